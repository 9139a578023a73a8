//! Renewing access tokens that expire, each on its platform's own grant.
//!
//! | platform | grant | needs |
//! | --- | --- | --- |
//! | X | OAuth 2.0 `refresh_token` grant, `POST /2/oauth2/token` | refresh token, client id (and secret for a confidential client) |
//! | Threads | `GET /refresh_access_token?grant_type=th_refresh_token` | the long-lived token itself |
//! | Facebook, Instagram | `GET /oauth/access_token?grant_type=fb_exchange_token` | the long-lived token, app id and app secret |
//! | Bluesky | `com.atproto.server.refreshSession` | refresh JWT |
//!
//! A refresher answers `AuthExpired` when the grant itself is refused (the person must
//! connect the account again) and `Retryable` when the platform could not be asked.
//! X and Bluesky rotate the refresh token: the publisher stores the new one in the same
//! transaction as the new access token.

use serde::Deserialize;

use crate::http::{ConfigError, Effect, Http, HttpConfig, Reply, classify_status, now_ms};
use crate::{AccountAuth, ConnectError, Token};

/// Exchanges a refresh credential for a new access token.
#[async_trait::async_trait]
pub trait CredentialRefresher: Send + Sync {
    /// Whether `auth` carries what this grant needs. Most grants need a refresh token;
    /// Meta's renew the long-lived access token itself.
    fn can_refresh(&self, auth: &AccountAuth) -> bool {
        auth.refresh_token.is_some()
    }

    async fn refresh(&self, auth: &AccountAuth) -> Result<AccountAuth, ConnectError>;
}

/// An app's OAuth client credentials (X client id/secret, Meta app id/secret).
#[derive(Clone)]
pub struct AppCredentials {
    pub client_id: String,
    pub client_secret: Option<Token>,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The standard OAuth 2.0 token answer (RFC 6749 §5.1), as X, Meta and Threads send it.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// An OAuth error answer (RFC 6749 §5.2).
#[derive(Deserialize)]
struct OAuthError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

fn expires_at(expires_in: Option<i64>) -> Option<i64> {
    expires_in
        .filter(|s| *s > 0)
        .map(|s| now_ms().saturating_add(s.saturating_mul(1000)))
}

fn renewed(auth: &AccountAuth, t: TokenAnswer) -> AccountAuth {
    AccountAuth {
        account_ref: auth.account_ref.clone(),
        access_token: Token::new(t.access_token),
        expires_at_ms: expires_at(t.expires_in),
        // A grant that does not rotate the refresh token keeps the old one.
        refresh_token: t
            .refresh_token
            .map(Token::new)
            .or(auth.refresh_token.clone()),
        app_secret: auth.app_secret.clone(),
    }
}

/// A refused grant means a person must connect the account again; everything else is
/// read as the other calls are (429 waits, 5xx retries).
fn oauth_error(reply: &Reply) -> ConnectError {
    if let Ok(e) = serde_json::from_slice::<OAuthError>(&reply.body)
        && !e.error.is_empty()
    {
        let detail = format!("{}: {}", e.error, e.error_description.unwrap_or_default());
        if matches!(
            e.error.as_str(),
            "invalid_grant" | "invalid_request" | "invalid_client" | "unauthorized_client"
        ) {
            return ConnectError::AuthExpired { detail };
        }
        return classify_status(reply.status, Effect::Read, e.error, detail, None);
    }
    match classify_status(
        reply.status,
        Effect::Read,
        reply.status.as_u16().to_string(),
        reply.text_lossy(),
        None,
    ) {
        ConnectError::Rejected { detail, .. } => ConnectError::AuthExpired { detail },
        other => other,
    }
}

/// X: OAuth 2.0 refresh-token grant. X refresh tokens are single-use: the answer's new
/// refresh token must be stored, the old one no longer works.
pub struct XRefresher {
    http: Http,
    app: AppCredentials,
}

impl XRefresher {
    pub fn new(cfg: &HttpConfig, app: AppCredentials) -> Result<XRefresher, ConfigError> {
        if app.client_id.trim().is_empty() {
            return Err(ConfigError(
                "X token refresh needs the app's client id".into(),
            ));
        }
        Ok(XRefresher {
            http: Http::new(cfg)?,
            app,
        })
    }
}

#[async_trait::async_trait]
impl CredentialRefresher for XRefresher {
    async fn refresh(&self, auth: &AccountAuth) -> Result<AccountAuth, ConnectError> {
        let Some(refresh) = &auth.refresh_token else {
            return Err(ConnectError::AuthExpired {
                detail: "no refresh token stored".into(),
            });
        };
        let mut rb = self.http.client.post(self.http.url("/2/oauth2/token"));
        // A confidential client authenticates with HTTP Basic; a public client names
        // itself in the body.
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose()),
        ];
        match &self.app.client_secret {
            Some(secret) => {
                rb = rb.basic_auth(&self.app.client_id, Some(secret.expose()));
            }
            None => form.push(("client_id", self.app.client_id.as_str())),
        }
        let reply = self.http.send(rb.form(&form), Effect::Read).await?;
        if !reply.status.is_success() {
            return Err(oauth_error(&reply));
        }
        Ok(renewed(auth, reply.json(Effect::Read)?))
    }
}

/// Threads: a long-lived token (60 days) renews itself once it is at least a day old.
pub struct ThreadsRefresher {
    http: Http,
}

impl ThreadsRefresher {
    /// `cfg.base_url` is the Threads API root, e.g. `https://graph.threads.net`.
    pub fn new(cfg: &HttpConfig) -> Result<ThreadsRefresher, ConfigError> {
        Ok(ThreadsRefresher {
            http: Http::new(cfg)?,
        })
    }
}

#[async_trait::async_trait]
impl CredentialRefresher for ThreadsRefresher {
    fn can_refresh(&self, _auth: &AccountAuth) -> bool {
        true
    }

    async fn refresh(&self, auth: &AccountAuth) -> Result<AccountAuth, ConnectError> {
        let rb = self
            .http
            .client
            .get(self.http.url("/refresh_access_token"))
            .query(&[
                ("grant_type", "th_refresh_token"),
                ("access_token", auth.access_token.expose()),
            ]);
        let reply = self.http.send(rb, Effect::Read).await?;
        if !reply.status.is_success() {
            return Err(crate::meta::error_of(&reply, Effect::Read));
        }
        Ok(renewed(auth, reply.json(Effect::Read)?))
    }
}

/// Facebook and Instagram (Facebook Login): a long-lived user token is exchanged for a
/// new one with `fb_exchange_token`, which needs the app id and secret. The secret comes
/// from the app configuration, or from the credential where it is kept per account.
pub struct MetaExchangeRefresher {
    http: Http,
    app: AppCredentials,
}

impl MetaExchangeRefresher {
    pub fn new(
        cfg: &HttpConfig,
        app: AppCredentials,
    ) -> Result<MetaExchangeRefresher, ConfigError> {
        if app.client_id.trim().is_empty() {
            return Err(ConfigError("Meta token exchange needs the app id".into()));
        }
        Ok(MetaExchangeRefresher {
            http: Http::new(cfg)?,
            app,
        })
    }
}

#[async_trait::async_trait]
impl CredentialRefresher for MetaExchangeRefresher {
    fn can_refresh(&self, auth: &AccountAuth) -> bool {
        self.app.client_secret.is_some() || auth.app_secret.is_some()
    }

    async fn refresh(&self, auth: &AccountAuth) -> Result<AccountAuth, ConnectError> {
        let Some(secret) = self.app.client_secret.as_ref().or(auth.app_secret.as_ref()) else {
            return Err(ConnectError::Rejected {
                code: "app_secret_missing".into(),
                detail: "exchanging a Meta token needs the app secret".into(),
            });
        };
        let rb = self
            .http
            .client
            .get(self.http.url("/oauth/access_token"))
            .query(&[
                ("grant_type", "fb_exchange_token"),
                ("client_id", self.app.client_id.as_str()),
                ("client_secret", secret.expose()),
                ("fb_exchange_token", auth.access_token.expose()),
            ]);
        let reply = self.http.send(rb, Effect::Read).await?;
        if !reply.status.is_success() {
            return Err(crate::meta::error_of(&reply, Effect::Read));
        }
        Ok(renewed(auth, reply.json(Effect::Read)?))
    }
}

/// Bluesky: `com.atproto.server.refreshSession` with the refresh JWT, on the account's
/// PDS. Both JWTs are replaced.
pub struct BlueskyRefresher {
    http: Http,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshedSession {
    access_jwt: String,
    refresh_jwt: String,
}

impl BlueskyRefresher {
    pub fn new(cfg: &HttpConfig) -> Result<BlueskyRefresher, ConfigError> {
        Ok(BlueskyRefresher {
            http: Http::new(cfg)?,
        })
    }
}

#[async_trait::async_trait]
impl CredentialRefresher for BlueskyRefresher {
    async fn refresh(&self, auth: &AccountAuth) -> Result<AccountAuth, ConnectError> {
        let Some(refresh) = &auth.refresh_token else {
            return Err(ConnectError::AuthExpired {
                detail: "no refresh token stored".into(),
            });
        };
        let rb = self
            .http
            .client
            .post(self.http.url("/xrpc/com.atproto.server.refreshSession"))
            .bearer_auth(refresh.expose());
        let reply = self.http.send(rb, Effect::Read).await?;
        if !reply.status.is_success() {
            return Err(match crate::bluesky::error_of(&reply, Effect::Read) {
                // ExpiredToken, InvalidToken, AccountTakedown …: sign in again.
                ConnectError::Rejected { detail, .. } => ConnectError::AuthExpired { detail },
                other => other,
            });
        }
        let s: RefreshedSession = reply.json(Effect::Read)?;
        Ok(AccountAuth {
            account_ref: auth.account_ref.clone(),
            expires_at_ms: crate::bluesky::jwt_expiry_ms(&s.access_jwt),
            access_token: Token::new(s.access_jwt),
            refresh_token: Some(Token::new(s.refresh_jwt)),
            app_secret: auth.app_secret.clone(),
        })
    }
}

//! What Facebook Pages, Instagram and Threads share: Meta's Graph API error object and
//! its rate-limit signals, `appsecret_proof`, and the two-step container flow of
//! Instagram and Threads.
//!
//! Meta reports throttling in the error code (4 app, 17 user, 32 page, 613 custom,
//! 80001–80014 business use case) with HTTP 400 or 403 as often as 429, and says how
//! long to wait only in the `X-Business-Use-Case-Usage` header
//! (`estimated_time_to_regain_access`, minutes).

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Deserialize;

use crate::http::{Effect, Http, Reply, classify_status, now_ms, retry_after};
use crate::media_host::{self, MediaHost};
use crate::x::enc;
use crate::{AccountAuth, ConnectError, PublishRequest, RemotePost};

/// Meta's windows are an hour long; without an estimate, wait a fraction of that.
const META_DEFAULT_WAIT: Duration = Duration::from_secs(15 * 60);

#[derive(Deserialize)]
struct Envelope {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    error_subcode: Option<i64>,
    #[serde(default)]
    is_transient: Option<bool>,
}

/// Whether a Graph error code means throttling.
pub fn is_rate_limit_code(code: i64) -> bool {
    matches!(code, 4 | 17 | 32 | 613) || (80001..=80014).contains(&code)
}

/// Whether a Graph error code means the token no longer works: 190 (expired, revoked,
/// password changed), 102 (session), 463/467 (expired/invalid, older form).
pub fn is_auth_code(code: i64) -> bool {
    matches!(code, 190 | 102 | 463 | 467)
}

/// The longest `estimated_time_to_regain_access` (minutes) in a usage header.
pub fn regain_access(header: &str) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_str(header).ok()?;
    let mut minutes: Option<u64> = None;
    let mut visit = |o: &serde_json::Value| {
        if let Some(m) = o
            .get("estimated_time_to_regain_access")
            .and_then(serde_json::Value::as_u64)
        {
            minutes = Some(minutes.map_or(m, |x| x.max(m)));
        }
    };
    match &v {
        serde_json::Value::Object(map) => {
            visit(&v);
            for entries in map.values() {
                for e in entries.as_array().into_iter().flatten() {
                    visit(e);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(&mut visit),
        _ => {}
    }
    minutes
        .filter(|m| *m > 0)
        .map(|m| Duration::from_secs(m * 60))
}

pub(crate) fn error_of(reply: &Reply, effect: Effect) -> ConnectError {
    let parsed: Option<GraphError> = serde_json::from_slice::<Envelope>(&reply.body)
        .ok()
        .map(|e| e.error);
    let wait = reply
        .header("x-business-use-case-usage")
        .and_then(regain_access)
        .or_else(|| reply.header("x-app-usage").and_then(regain_access))
        .or_else(|| {
            reply
                .header("retry-after")
                .and_then(|r| retry_after(r, now_ms()))
        });
    let Some(err) = parsed else {
        return classify_status(
            reply.status,
            effect,
            reply.status.as_u16().to_string(),
            reply.text_lossy(),
            wait,
        );
    };
    let code = err.code.unwrap_or(0);
    let code_text = match err.error_subcode {
        Some(sub) => format!("{code}/{sub}"),
        None => code.to_string(),
    };
    if is_rate_limit_code(code) {
        return ConnectError::RateLimited {
            detail: format!("({code_text}) {}", err.message),
            retry_after: wait.unwrap_or(META_DEFAULT_WAIT),
        };
    }
    if is_auth_code(code) {
        return ConnectError::AuthExpired {
            detail: format!("({code_text}) {}", err.message),
        };
    }
    // Codes 1 and 2 are Meta's "unknown" and "service temporarily unavailable":
    // transient by Meta's own account, but after a publish they leave it open
    // whether the post exists.
    if err.is_transient == Some(true) || matches!(code, 1 | 2) {
        return match effect {
            Effect::Publish => ConnectError::Uncertain {
                detail: format!("({code_text}) {}", err.message),
            },
            Effect::Read | Effect::Prepare => ConnectError::Retryable {
                detail: format!("({code_text}) {}", err.message),
                retry_after: wait,
            },
        };
    }
    classify_status(reply.status, effect, code_text, err.message, wait)
}

#[derive(Deserialize)]
pub(crate) struct IdOnly {
    pub id: String,
}

/// `appsecret_proof`: HMAC-SHA256 of the access token keyed by the app secret, in
/// lower-case hex. An app with "Require App Secret" on refuses calls without it, and a
/// token stolen on its own cannot be used without the secret.
pub fn appsecret_proof(access_token: &str, app_secret: &str) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(app_secret.as_bytes()) else {
        return String::new();
    };
    mac.update(access_token.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One Graph API call with the account's token (and its `appsecret_proof` when the
/// credential carries the app secret); error answers classified.
pub(crate) async fn call(
    http: &Http,
    rb: reqwest::RequestBuilder,
    auth: &AccountAuth,
    effect: Effect,
) -> Result<Reply, ConnectError> {
    let mut rb = rb.bearer_auth(auth.access_token.expose());
    if let Some(secret) = auth.app_secret.as_ref().filter(|s| !s.expose().is_empty()) {
        rb = rb.query(&[(
            "appsecret_proof",
            appsecret_proof(auth.access_token.expose(), secret.expose()),
        )]);
    }
    let reply = http.send(rb, effect).await?;
    if reply.status.is_success() {
        Ok(reply)
    } else {
        Err(error_of(&reply, effect))
    }
}

/// The public address of a just-published Instagram or Threads post. The publish
/// answer carries only the id; the permalink is one more read, and the post is
/// public whether or not that read succeeds, so a failure only leaves the URL out.
pub(crate) async fn permalink(http: &Http, auth: &AccountAuth, id: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Link {
        permalink: Option<String>,
    }
    let rb = http
        .client
        .get(http.url(&format!("/{}", enc(id))))
        .query(&[("fields", "permalink")]);
    let reply = call(http, rb, auth, Effect::Read).await.ok()?;
    reply.json::<Link>(Effect::Read).ok()?.permalink
}

/// How long to wait for Instagram or Threads to fetch and process images.
#[derive(Clone, Copy, Debug)]
pub struct ContainerPolling {
    pub interval: Duration,
    pub attempts: u32,
}

impl Default for ContainerPolling {
    fn default() -> Self {
        ContainerPolling {
            interval: Duration::from_secs(2),
            attempts: 30,
        }
    }
}

#[derive(Deserialize)]
struct ContainerStatus {
    #[serde(default)]
    status_code: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    error_message: Option<String>,
}

/// Polls a media container until it is `FINISHED`. A container that never finishes
/// is not an uncertain publish: nothing is public until `*_publish` is called.
pub(crate) async fn wait_container(
    http: &Http,
    auth: &AccountAuth,
    container: &str,
    polling: ContainerPolling,
) -> Result<(), ConnectError> {
    let attempts = polling.attempts.max(1);
    for attempt in 0..attempts {
        let rb = http
            .client
            .get(http.url(&format!("/{}", enc(container))))
            .query(&[("fields", "status_code,status,error_message")]);
        let reply = call(http, rb, auth, Effect::Read).await?;
        let s: ContainerStatus = reply.json(Effect::Read)?;
        match s.status_code.as_deref().unwrap_or("FINISHED") {
            "FINISHED" | "PUBLISHED" => return Ok(()),
            "ERROR" | "EXPIRED" => {
                return Err(ConnectError::Rejected {
                    code: "container_error".into(),
                    detail: s
                        .error_message
                        .or(s.status)
                        .unwrap_or_else(|| "the platform could not process the media".into()),
                });
            }
            _ => {
                if attempt + 1 < attempts {
                    tokio::time::sleep(polling.interval).await;
                }
            }
        }
    }
    Err(ConnectError::Retryable {
        detail: format!("media container {container} is still being processed"),
        retry_after: Some(polling.interval * 5),
    })
}

/// How one Meta product names the steps of its container flow.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ContainerApi {
    /// For messages: `Instagram`, `Threads`.
    pub platform: &'static str,
    /// `POST /{user-id}/{create}`: `media` or `threads`.
    pub create: &'static str,
    /// `POST /{user-id}/{publish}`: `media_publish` or `threads_publish`.
    pub publish: &'static str,
    /// The field that carries the post's text: `caption` or `text`.
    pub text_field: &'static str,
    /// `media_type` of an image container, where the API wants one (Threads `IMAGE`).
    pub image_type: Option<&'static str>,
    /// `media_type` of a text-only container, where the platform has text posts
    /// (Threads `TEXT`); `None`: a post needs an image.
    pub text_type: Option<&'static str>,
    pub max_images: usize,
}

/// Container, wait, publish: Instagram's and Threads' way of making a post public.
pub(crate) struct Containers<'a> {
    pub api: ContainerApi,
    pub http: &'a Http,
    pub media_host: Option<&'a Arc<dyn MediaHost>>,
    pub polling: ContainerPolling,
}

impl Containers<'_> {
    async fn create(
        &self,
        auth: &AccountAuth,
        form: &[(&str, String)],
    ) -> Result<String, ConnectError> {
        let rb = self
            .http
            .client
            .post(
                self.http
                    .url(&format!("/{}/{}", enc(&auth.account_ref), self.api.create)),
            )
            .form(form);
        let reply = call(self.http, rb, auth, Effect::Prepare).await?;
        Ok(reply.json::<IdOnly>(Effect::Prepare)?.id)
    }

    fn image_form(&self, url: &str, alt: Option<&String>) -> Vec<(&'static str, String)> {
        let mut form = Vec::with_capacity(4);
        if let Some(t) = self.api.image_type {
            form.push(("media_type", t.to_owned()));
        }
        form.push(("image_url", url.to_owned()));
        if let Some(alt) = alt.filter(|a| !a.trim().is_empty()) {
            form.push(("alt_text", alt.clone()));
        }
        form
    }

    /// Publishes `req`: images are handed to the media host (the platform fetches them
    /// from there), containers created and waited for, then the one call that makes
    /// the post public. Only that last call can leave the outcome uncertain.
    pub async fn publish(
        &self,
        auth: &AccountAuth,
        req: &PublishRequest,
    ) -> Result<RemotePost, ConnectError> {
        let api = self.api;
        if req.media.is_empty() && api.text_type.is_none() {
            return Err(ConnectError::Rejected {
                code: "image_required".into(),
                detail: format!("{} cannot publish a post without an image", api.platform),
            });
        }
        if req.media.len() > api.max_images {
            return Err(ConnectError::Rejected {
                code: "too_many_images".into(),
                detail: format!(
                    "{} takes at most {} images, got {}",
                    api.platform,
                    api.max_images,
                    req.media.len()
                ),
            });
        }
        let mut urls = Vec::with_capacity(req.media.len());
        if !req.media.is_empty() {
            let host = self
                .media_host
                .ok_or_else(|| media_host::missing(api.platform))?;
            for (i, m) in req.media.iter().enumerate() {
                urls.push(host.public_url(m, &req.idempotency_key, i).await?);
            }
        }
        let container = match urls.as_slice() {
            [] => {
                let text_type = api.text_type.unwrap_or("TEXT");
                self.create(
                    auth,
                    &[
                        ("media_type", text_type.to_owned()),
                        (api.text_field, req.text.clone()),
                    ],
                )
                .await?
            }
            [url] => {
                let mut form = self.image_form(url, req.media[0].alt_text.as_ref());
                form.push((api.text_field, req.text.clone()));
                self.create(auth, &form).await?
            }
            many => {
                let mut children = Vec::with_capacity(many.len());
                for (url, m) in many.iter().zip(&req.media) {
                    let mut form = self.image_form(url, m.alt_text.as_ref());
                    form.push(("is_carousel_item", "true".to_owned()));
                    children.push(self.create(auth, &form).await?);
                }
                for c in &children {
                    wait_container(self.http, auth, c, self.polling).await?;
                }
                self.create(
                    auth,
                    &[
                        ("media_type", "CAROUSEL".to_owned()),
                        ("children", children.join(",")),
                        (api.text_field, req.text.clone()),
                    ],
                )
                .await?
            }
        };
        if !urls.is_empty() {
            wait_container(self.http, auth, &container, self.polling).await?;
        }
        let rb = self
            .http
            .client
            .post(
                self.http
                    .url(&format!("/{}/{}", enc(&auth.account_ref), api.publish)),
            )
            .form(&[("creation_id", container.as_str())]);
        let reply = call(self.http, rb, auth, Effect::Publish).await?;
        let id = reply.json::<IdOnly>(Effect::Publish)?.id;
        Ok(RemotePost {
            url: permalink(self.http, auth, &id).await,
            remote_id: id,
            text: req.text.clone(),
            created_at_ms: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_headers_give_the_wait() {
        let buc = r#"{"1234":[{"type":"pages","call_count":100,"total_cputime":25,"total_time":25,"estimated_time_to_regain_access":7}]}"#;
        assert_eq!(regain_access(buc), Some(Duration::from_secs(420)));
        let app = r#"{"call_count":100,"total_time":25,"total_cputime":25}"#;
        assert_eq!(regain_access(app), None);
        assert!(is_rate_limit_code(613) && is_rate_limit_code(80001) && !is_rate_limit_code(100));
        assert!(is_auth_code(190) && !is_auth_code(200));
    }

    #[test]
    fn appsecret_proof_is_hex_hmac_sha256() {
        // RFC 4231, test case 2: key "Jefe".
        assert_eq!(
            appsecret_proof("what do ya want for nothing?", "Jefe"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Token refreshers against fakes on 127.0.0.1 that follow the platforms' documented
//! shapes. X's token endpoint is taken from its OpenAPI document (the `OAuth2UserToken`
//! security scheme's `tokenUrl`, with `offline.access` as the scope that grants refresh
//! tokens) and the request is checked against RFC 6749 §6, which X implements; Meta and
//! Threads follow their documentation (`fb_exchange_token`, `th_refresh_token`); Bluesky
//! `com.atproto.server.refreshSession`.

mod common;

use std::sync::{Arc, Mutex};

use base64::Engine;
use common::{auth, now_ms};
use koho_connect::http::HttpConfig;
use koho_connect::refresh::{
    AppCredentials, BlueskyRefresher, CredentialRefresher, MetaExchangeRefresher, ThreadsRefresher,
    XRefresher,
};
use koho_connect::{AccountAuth, ConnectError, Token};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn x_spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/x-openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every request a fake saw.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Request>>>);

async fn fake(
    answer: impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
) -> (MockServer, Seen) {
    let server = MockServer::start().await;
    let seen = Seen::default();
    let s = seen.clone();
    Mock::given(any())
        .respond_with(move |req: &Request| {
            s.0.lock().unwrap().push(req.clone());
            answer(req)
        })
        .mount(&server)
        .await;
    (server, seen)
}

fn form(req: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

fn field<'a>(f: &'a [(String, String)], k: &str) -> Option<&'a str> {
    f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn query(req: &Request) -> Vec<(String, String)> {
    req.url.query_pairs().into_owned().collect()
}

fn with_refresh(a: AccountAuth, refresh: &str) -> AccountAuth {
    AccountAuth {
        refresh_token: Some(Token::new(refresh)),
        ..a
    }
}

/// X's token endpoint as a fake: refresh tokens are single-use and rotate.
fn x_token_endpoint(
    token_path: String,
    client: &'static str,
    secret: Option<&'static str>,
) -> impl Fn(&Request) -> ResponseTemplate {
    let valid = Arc::new(Mutex::new(String::from("rt-1")));
    move |req: &Request| {
        // RFC 6749 §6: POST, form-encoded, grant_type=refresh_token, the token; a public
        // client names itself with client_id, a confidential one authenticates (§2.3.1).
        assert_eq!(req.method.as_str(), "POST");
        assert_eq!(req.url.path(), token_path);
        let ct = req.headers.get("content-type").unwrap().to_str().unwrap();
        assert!(ct.starts_with("application/x-www-form-urlencoded"), "{ct}");
        let f = form(req);
        assert_eq!(field(&f, "grant_type"), Some("refresh_token"));
        let basic = req
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned());
        match secret {
            Some(s) => {
                let want = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{client}:{s}"))
                );
                assert_eq!(basic.as_deref(), Some(want.as_str()));
            }
            None => {
                assert_eq!(basic, None);
                assert_eq!(field(&f, "client_id"), Some(client));
            }
        }
        let mut valid = valid.lock().unwrap();
        if field(&f, "refresh_token") != Some(valid.as_str()) {
            return ResponseTemplate::new(400).set_body_json(json!({
                "error": "invalid_request",
                "error_description": "Value passed for the token was invalid."
            }));
        }
        let n: u32 = valid[3..].parse().unwrap();
        *valid = format!("rt-{}", n + 1);
        ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": format!("at-{}", n + 1),
            "scope": "tweet.read tweet.write users.read media.write offline.access",
            "refresh_token": *valid,
        }))
    }
}

#[tokio::test]
async fn x_refresh_token_grant_follows_the_spec_and_rotates() {
    let spec = x_spec();
    let flow =
        &spec["components"]["securitySchemes"]["OAuth2UserToken"]["flows"]["authorizationCode"];
    let token_url = url::Url::parse(flow["tokenUrl"].as_str().unwrap()).unwrap();
    assert!(
        flow["scopes"].get("offline.access").is_some(),
        "refresh tokens come with offline.access"
    );
    let token_path = token_url.path().to_owned();

    // A public client (PKCE): client_id in the body.
    let (server, seen) = fake(x_token_endpoint(token_path.clone(), "koho-client", None)).await;
    let r = XRefresher::new(
        &HttpConfig::new(server.uri()),
        AppCredentials {
            client_id: "koho-client".into(),
            client_secret: None,
        },
    )
    .unwrap();
    let a = with_refresh(auth("1500000000000000001", "at-0"), "rt-1");
    assert!(r.can_refresh(&a));
    assert!(!r.can_refresh(&auth("1", "at")));
    let before = now_ms();
    let b = r.refresh(&a).await.unwrap();
    assert_eq!(b.access_token.expose(), "at-2");
    assert_eq!(b.refresh_token.as_ref().unwrap().expose(), "rt-2");
    assert_eq!(b.account_ref, a.account_ref);
    let exp = b.expires_at_ms.unwrap();
    assert!(exp >= before + 7_200_000 && exp <= now_ms() + 7_200_000);
    // The rotated token works, the used one does not: a person must reconnect.
    assert_eq!(r.refresh(&b).await.unwrap().access_token.expose(), "at-3");
    let err = r.refresh(&a).await.unwrap_err();
    assert!(matches!(err, ConnectError::AuthExpired { .. }), "{err:?}");
    assert_eq!(seen.0.lock().unwrap().len(), 3);

    // A confidential client: HTTP Basic with the client secret.
    let (server, _) = fake(x_token_endpoint(token_path, "koho-conf", Some("s3cret"))).await;
    let r = XRefresher::new(
        &HttpConfig::new(server.uri()),
        AppCredentials {
            client_id: "koho-conf".into(),
            client_secret: Some(Token::new("s3cret")),
        },
    )
    .unwrap();
    assert_eq!(r.refresh(&a).await.unwrap().access_token.expose(), "at-2");

    // X unreachable or failing: try again later, the credential is not given up.
    let (server, _) = fake(|_| ResponseTemplate::new(503)).await;
    let r = XRefresher::new(
        &HttpConfig::new(server.uri()),
        AppCredentials {
            client_id: "koho-client".into(),
            client_secret: None,
        },
    )
    .unwrap();
    assert!(matches!(
        r.refresh(&a).await.unwrap_err(),
        ConnectError::Retryable { .. }
    ));
    assert!(
        XRefresher::new(
            &HttpConfig::new(server.uri()),
            AppCredentials {
                client_id: " ".into(),
                client_secret: None
            }
        )
        .is_err()
    );
}

#[tokio::test]
async fn threads_long_lived_token_refreshes_itself() {
    let (server, seen) = fake(|req: &Request| {
        let q = query(req);
        assert_eq!(req.method.as_str(), "GET");
        assert_eq!(req.url.path(), "/refresh_access_token");
        assert_eq!(field(&q, "grant_type"), Some("th_refresh_token"));
        match field(&q, "access_token") {
            Some("th-long-1") => ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "th-long-2", "token_type": "bearer", "expires_in": 5_183_944
            })),
            _ => ResponseTemplate::new(400).set_body_json(json!({"error": {
                "message": "Error validating access token: Session has expired",
                "type": "OAuthException", "code": 190, "fbtrace_id": "A1"}})),
        }
    })
    .await;
    let r = ThreadsRefresher::new(&HttpConfig::new(server.uri())).unwrap();
    // The long-lived token is its own refresh credential.
    let a = auth("25000000000000001", "th-long-1");
    assert!(r.can_refresh(&a));
    let b = r.refresh(&a).await.unwrap();
    assert_eq!(b.access_token.expose(), "th-long-2");
    assert!(b.expires_at_ms.unwrap() > now_ms() + 5_000_000_000);
    assert!(matches!(
        r.refresh(&auth("25000000000000001", "expired"))
            .await
            .unwrap_err(),
        ConnectError::AuthExpired { .. }
    ));
    assert_eq!(seen.0.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn meta_long_lived_token_exchange_uses_the_app_secret() {
    let (server, _) = fake(|req: &Request| {
        let q = query(req);
        assert_eq!(req.url.path(), "/v23.0/oauth/access_token");
        assert_eq!(field(&q, "grant_type"), Some("fb_exchange_token"));
        assert_eq!(field(&q, "client_id"), Some("1234567890"));
        if field(&q, "client_secret") != Some("app-secret-123") {
            return ResponseTemplate::new(400).set_body_json(json!({"error": {
                "message": "Error validating client secret.", "type": "OAuthException", "code": 1}}));
        }
        match field(&q, "fb_exchange_token") {
            Some("ll-1") => ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "ll-2", "token_type": "bearer", "expires_in": 5_183_944
            })),
            _ => ResponseTemplate::new(400).set_body_json(json!({"error": {
                "message": "Error validating access token: The session has been invalidated",
                "type": "OAuthException", "code": 190, "error_subcode": 460}})),
        }
    })
    .await;
    let cfg = HttpConfig::new(format!("{}/v23.0", server.uri()));
    let app = |secret: Option<&str>| AppCredentials {
        client_id: "1234567890".into(),
        client_secret: secret.map(Token::new),
    };
    let r = MetaExchangeRefresher::new(&cfg, app(Some("app-secret-123"))).unwrap();
    let a = auth("104000000000001", "ll-1");
    let b = r.refresh(&a).await.unwrap();
    assert_eq!(b.access_token.expose(), "ll-2");
    assert!(b.expires_at_ms.is_some());
    assert!(matches!(
        r.refresh(&auth("104000000000001", "revoked"))
            .await
            .unwrap_err(),
        ConnectError::AuthExpired { .. }
    ));
    // No secret configured: the credential's own app secret is used, or nothing is tried.
    let r = MetaExchangeRefresher::new(&cfg, app(None)).unwrap();
    assert!(!r.can_refresh(&a));
    let with_secret = AccountAuth {
        app_secret: Some(Token::new("app-secret-123")),
        ..a
    };
    assert!(r.can_refresh(&with_secret));
    let b = r.refresh(&with_secret).await.unwrap();
    assert_eq!(b.access_token.expose(), "ll-2");
    assert_eq!(b.app_secret.unwrap().expose(), "app-secret-123");
}

fn jwt(exp_s: i64) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig",
        b64.encode(r#"{"typ":"at+jwt","alg":"HS256"}"#),
        b64.encode(
            json!({"scope": "com.atproto.access", "sub": "did:plc:abc", "exp": exp_s}).to_string()
        )
    )
}

#[tokio::test]
async fn bluesky_refresh_session_replaces_both_tokens() {
    let exp = now_ms() / 1000 + 7200;
    let access = jwt(exp);
    let a2 = access.clone();
    let (server, _) = fake(move |req: &Request| {
        assert_eq!(req.method.as_str(), "POST");
        assert_eq!(req.url.path(), "/xrpc/com.atproto.server.refreshSession");
        let bearer = req.headers.get("authorization").unwrap().to_str().unwrap();
        if bearer != "Bearer refresh-1" {
            return ResponseTemplate::new(400)
                .set_body_json(json!({"error": "ExpiredToken", "message": "Token has expired"}));
        }
        ResponseTemplate::new(200).set_body_json(json!({
            "accessJwt": a2, "refreshJwt": "refresh-2", "handle": "city.test", "did": "did:plc:abc"
        }))
    })
    .await;
    let r = BlueskyRefresher::new(&HttpConfig::new(server.uri())).unwrap();
    let a = with_refresh(auth("did:plc:abc", "old"), "refresh-1");
    let b = r.refresh(&a).await.unwrap();
    assert_eq!(b.access_token.expose(), access);
    assert_eq!(b.refresh_token.unwrap().expose(), "refresh-2");
    // The expiry is read from the new access JWT, so the publisher refreshes ahead.
    assert_eq!(b.expires_at_ms, Some(exp * 1000));
    assert!(matches!(
        r.refresh(&with_refresh(auth("did:plc:abc", "old"), "refresh-0"))
            .await
            .unwrap_err(),
        ConnectError::AuthExpired { .. }
    ));
    assert!(!r.can_refresh(&auth("did:plc:abc", "old")));
}

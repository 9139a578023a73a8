#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The LINE connector against a stateful fake of the Messaging API on 127.0.0.1 that
//! behaves as LINE documents the retry key, with every request checked against the
//! official OpenAPI document.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::openapi::{SentRequest, Spec, assert_conforms};
use common::{FakeMediaHost, auth, png, request};
use koho_connect::http::HttpConfig;
use koho_connect::line::{LineConnector, retry_key};
use koho_connect::{ConnectError, Connector, Idempotency, IdempotencyKey};
use serde_json::{Value, json};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn spec() -> Spec {
    Spec::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/specs/line-messaging-api.yml"
    ))
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Normal,
    AcceptThen500,
    AcceptThenSlow,
    RateLimited,
    MonthlyLimit,
}

#[derive(Default)]
struct State {
    /// Retry key → request id of the broadcast it created.
    accepted: HashMap<String, String>,
    broadcasts: Vec<Value>,
    next: u32,
    mode: Option<Mode>,
}

#[derive(Clone)]
struct Fake(Arc<Mutex<State>>);

fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "message": message }))
}

impl Respond for Fake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut st = self.0.lock().unwrap();
        let token = req
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned());
        if token.as_deref() != Some("Bearer channel-token") {
            return error(
                401,
                "Authentication failed. Confirm that the access token in the authorization header is valid.",
            );
        }
        match (req.method.as_str(), req.url.path()) {
            ("GET", "/v2/bot/info") => ResponseTemplate::new(200).set_body_json(json!({
                "userId": "Ub9952f8aabbccdd", "basicId": "@komae_city", "displayName": "狛江市",
                "pictureUrl": "https://profile.line-scdn.net/x", "chatMode": "bot", "markAsReadMode": "auto"
            })),
            ("POST", "/v2/bot/message/broadcast") => {
                match st.mode.take().unwrap_or(Mode::Normal) {
                    Mode::RateLimited => error(429, "Too Many Requests"),
                    Mode::MonthlyLimit => error(429, "You have reached your monthly limit."),
                    mode => {
                        let key = req.headers.get("x-line-retry-key").map(|v| v.to_str().unwrap().to_owned());
                        if let Some(k) = &key
                            && let Some(id) = st.accepted.get(k) {
                                // As documented: a repeat of an accepted key is a 409
                                // naming the original request.
                                return ResponseTemplate::new(409)
                                    .insert_header("x-line-request-id", "rep-0000")
                                    .insert_header("x-line-accepted-request-id", id.as_str())
                                    .set_body_json(json!({"message": "The retry key is already accepted"}));
                            }
                        let body: Value = serde_json::from_slice(&req.body).unwrap();
                        let msgs = body["messages"].as_array().unwrap();
                        if msgs.is_empty() || msgs.len() > 5 {
                            return ResponseTemplate::new(400).set_body_json(json!({
                                "message": "The request body has 1 error(s)",
                                "details": [{"message": "Size must be between 1 and 5", "property": "messages"}]
                            }));
                        }
                        st.next += 1;
                        let id = format!("req-{:04}", st.next);
                        if let Some(k) = key {
                            st.accepted.insert(k, id.clone());
                        }
                        st.broadcasts.push(body);
                        let ok = ResponseTemplate::new(200)
                            .insert_header("x-line-request-id", id.as_str())
                            .set_body_json(json!({}));
                        match mode {
                            Mode::AcceptThen500 => error(500, "An error occurred on the server"),
                            Mode::AcceptThenSlow => ok.set_delay(Duration::from_secs(3)),
                            _ => ok,
                        }
                    }
                }
            }
            _ => error(404, "Not found"),
        }
    }
}

async fn fake() -> (MockServer, Fake) {
    let server = MockServer::start().await;
    let fake = Fake(Arc::new(Mutex::new(State::default())));
    Mock::given(path_regex("^/v2/.*"))
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    (server, fake)
}

fn connector(base: &str) -> LineConnector {
    LineConnector::new(
        &HttpConfig::new(base).with_timeout(Duration::from_millis(800)),
        Some(Arc::new(FakeMediaHost)),
    )
    .unwrap()
}

#[tokio::test]
async fn broadcasts_text_and_images_and_conforms_to_the_spec() {
    let (server, fake) = fake().await;
    let line = connector(&server.uri());
    let a = auth("1656000000", "channel-token");
    assert_eq!(line.capabilities().idempotency, Idempotency::Native);
    let post = line
        .publish(
            &a,
            &request(
                "【狛江市】ごみ収集日の変更のお知らせ",
                "job-1",
                vec![png("収集日カレンダー")],
            ),
        )
        .await
        .unwrap();
    assert_eq!(post.remote_id, "req-0001");
    let st = fake.0.lock().unwrap().broadcasts.clone();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0]["messages"][0]["type"], "text");
    assert_eq!(st[0]["messages"][1]["type"], "image");
    assert_eq!(
        st[0]["messages"][1]["originalContentUrl"],
        "https://media.town.example.jp/job-1/0.png"
    );
    let profile = line.profile(&a).await.unwrap();
    assert_eq!(
        (profile.handle.as_str(), profile.display_name.as_str()),
        ("@komae_city", "狛江市")
    );
    assert_eq!(assert_conforms(&spec(), &server).await, 2);
}

#[tokio::test]
async fn a_retry_after_an_uncertain_attempt_is_recognised_not_repeated() {
    let (server, fake) = fake().await;
    let line = connector(&server.uri());
    let a = auth("1656000000", "channel-token");
    let req = request("避難指示が発令されました", "job-2", vec![]);
    fake.0.lock().unwrap().mode = Some(Mode::AcceptThen500);
    let err = line.publish(&a, &req).await.unwrap_err();
    assert!(matches!(err, ConnectError::Uncertain { .. }), "{err:?}");
    // The same job again: LINE answers 409 with the first request's id.
    let post = line.publish(&a, &req).await.unwrap();
    assert_eq!(post.remote_id, "req-0001");
    fake.0.lock().unwrap().mode = Some(Mode::AcceptThenSlow);
    let req2 = request("避難指示を解除しました", "job-3", vec![]);
    let err = line.publish(&a, &req2).await.unwrap_err();
    assert!(matches!(err, ConnectError::Uncertain { .. }), "{err:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(line.publish(&a, &req2).await.unwrap().remote_id, "req-0002");
    assert_eq!(
        fake.0.lock().unwrap().broadcasts.len(),
        2,
        "each job reached friends once"
    );
    assert_conforms(&spec(), &server).await;
}

#[tokio::test]
async fn retry_keys_are_stable_uuids() {
    let k = IdempotencyKey("job-9".into());
    assert_eq!(retry_key(&k), retry_key(&k));
    assert_ne!(retry_key(&k), retry_key(&IdempotencyKey("job-10".into())));
    let uuid = "123e4567-e89b-12d3-a456-426614174000";
    assert_eq!(retry_key(&IdempotencyKey(uuid.into())).to_string(), uuid);
}

#[tokio::test]
async fn rate_limit_monthly_quota_and_expired_token() {
    let (server, fake) = fake().await;
    let line = connector(&server.uri());
    let a = auth("1656000000", "channel-token");
    fake.0.lock().unwrap().mode = Some(Mode::RateLimited);
    let err = line
        .publish(&a, &request("a", "job-4", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::RateLimited { .. }), "{err:?}");
    fake.0.lock().unwrap().mode = Some(Mode::MonthlyLimit);
    let err = line
        .publish(&a, &request("a", "job-5", vec![]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::Rejected { ref code, .. } if code == "monthly_limit"),
        "{err:?}"
    );
    let err = line
        .profile(&auth("1656000000", "expired"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::AuthExpired { .. }), "{err:?}");
}

#[tokio::test]
async fn what_line_cannot_do_is_unsupported() {
    let line = connector("http://127.0.0.1:9");
    let a = auth("1656000000", "channel-token");
    let req = request("a", "job-6", vec![]);
    assert!(matches!(
        line.delete(&a, "req-1").await,
        Err(ConnectError::Unsupported { .. })
    ));
    assert!(matches!(
        line.recent_posts(&a, 5).await,
        Err(ConnectError::Unsupported { .. })
    ));
    assert!(matches!(
        line.find_published(&a, &req, 0).await,
        Err(ConnectError::Unsupported { .. })
    ));
    let no_host = LineConnector::new(&HttpConfig::new("http://127.0.0.1:9"), None).unwrap();
    let err = no_host
        .publish(&a, &request("a", "job-7", vec![png("x")]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Rejected { ref code, .. } if code == "media_host_missing"));
}

#[test]
fn the_validator_catches_broadcasts_that_break_the_spec() {
    let spec = spec();
    let check = |headers: Vec<(String, String)>, body: &str| {
        spec.check(&SentRequest {
            method: "POST",
            path: "/v2/bot/message/broadcast",
            query: vec![],
            headers,
            content_type: Some("application/json".into()),
            body: body.as_bytes(),
        })
    };
    let key = vec![(
        "X-Line-Retry-Key".to_owned(),
        "123e4567-e89b-12d3-a456-426614174000".to_owned(),
    )];
    assert!(check(key.clone(), r#"{"messages":[{"type":"text","text":"a"}]}"#).is_empty());
    assert!(!check(key.clone(), r#"{"messages":[]}"#).is_empty());
    assert!(!check(key.clone(), r#"{"messages":[{"type":"text"}]}"#).is_empty());
    assert!(
        !check(
            key.clone(),
            r#"{"messages":[{"type":"image","originalContentUrl":"x"}]}"#
        )
        .is_empty()
    );
    assert!(!check(key, r#"{"message":"a"}"#).is_empty());
    let not_uuid = vec![("X-Line-Retry-Key".to_owned(), "job-1".to_owned())];
    assert!(!check(not_uuid, r#"{"messages":[{"type":"text","text":"a"}]}"#).is_empty());
}

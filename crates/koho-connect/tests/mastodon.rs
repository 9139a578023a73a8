#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The Mastodon connector against a stateful fake of Mastodon's REST API on 127.0.0.1,
//! following docs.joinmastodon.org: `Idempotency-Key` returns the status already
//! created, media may answer 202 and need polling, `content` is HTML, rate limits
//! carry an ISO 8601 `X-RateLimit-Reset`.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{auth, dead_address, now_rfc3339, png, request};
use koho_connect::http::HttpConfig;
use koho_connect::mastodon::MastodonConnector;
use koho_connect::{ConnectError, Connector};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ACCOUNT: &str = "109000000000000001";

#[derive(Clone, Copy, PartialEq, Debug)]
enum Fault {
    StoreThen502,
    StoreThenSlow,
    RateLimited,
}

#[derive(Default)]
struct State {
    next: u64,
    statuses: Vec<Value>,
    by_key: HashMap<String, Value>,
    /// Media id → (description, polls before processed).
    media: HashMap<String, (Option<String>, u32)>,
    slow_media_polls: u32,
    fault: Option<Fault>,
}

#[derive(Clone)]
struct Fake(Arc<Mutex<State>>);

fn html(text: &str) -> String {
    let esc = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!("<p>{}</p>", esc.replace('\n', "<br />"))
}

impl Respond for Fake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut st = self.0.lock().unwrap();
        let token = req
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned());
        if token.as_deref() != Some("Bearer masto-token") {
            return ResponseTemplate::new(401)
                .set_body_json(json!({"error": "The access token is invalid"}));
        }
        let p = req.url.path().to_owned();
        match (req.method.as_str(), p.as_str()) {
            ("POST", "/api/v2/media") => {
                st.next += 1;
                let id = st.next.to_string();
                let body = String::from_utf8_lossy(&req.body).into_owned();
                let desc = body.split("name=\"description\"\r\n\r\n").nth(1).and_then(|r| r.split("\r\n").next()).map(str::to_owned);
                let polls = st.slow_media_polls;
                st.media.insert(id.clone(), (desc.clone(), polls));
                if polls > 0 {
                    ResponseTemplate::new(202).set_body_json(json!({"id": id, "type": "image", "url": null, "description": desc}))
                } else {
                    ResponseTemplate::new(200).set_body_json(json!({"id": id, "type": "image", "url": format!("https://files.example/{id}.png"), "description": desc}))
                }
            }
            ("GET", _) if p.starts_with("/api/v1/media/") => {
                let id = p.trim_start_matches("/api/v1/media/").to_owned();
                let m = st.media.get_mut(&id).unwrap();
                if m.1 > 0 {
                    m.1 -= 1;
                    return ResponseTemplate::new(206).set_body_json(json!({"id": id, "type": "image", "url": null}));
                }
                ResponseTemplate::new(200).set_body_json(json!({"id": id, "type": "image", "url": format!("https://files.example/{id}.png")}))
            }
            ("POST", "/api/v1/statuses") => {
                if st.fault == Some(Fault::RateLimited) {
                    st.fault = None;
                    let reset = koho_connect::http::format_rfc3339_ms(common::now_ms() + 300_000);
                    return ResponseTemplate::new(429)
                        .insert_header("X-RateLimit-Limit", "300")
                        .insert_header("X-RateLimit-Remaining", "0")
                        .insert_header("X-RateLimit-Reset", reset.as_str())
                        .set_body_json(json!({"error": "Too many requests"}));
                }
                let key = req.headers.get("idempotency-key").map(|v| v.to_str().unwrap().to_owned());
                if let Some(prev) = key.as_ref().and_then(|k| st.by_key.get(k)) {
                    return ResponseTemplate::new(200).set_body_json(prev.clone());
                }
                let body: Value = serde_json::from_slice(&req.body).unwrap();
                let text = body["status"].as_str().unwrap();
                if text.chars().count() > 500 {
                    return ResponseTemplate::new(422).set_body_json(json!({"error": "Validation failed: Text character limit of 500 exceeded"}));
                }
                for id in body["media_ids"].as_array().unwrap() {
                    assert!(st.media.contains_key(id.as_str().unwrap()));
                }
                st.next += 1;
                let id = st.next.to_string();
                let status = json!({
                    "id": id, "created_at": now_rfc3339(), "visibility": body["visibility"],
                    "uri": format!("https://social.example/users/town/statuses/{id}"),
                    "url": format!("https://social.example/@town/{id}"),
                    "content": html(text),
                    "media_attachments": body["media_ids"].as_array().unwrap().iter().map(|m| json!({"id": m})).collect::<Vec<_>>(),
                    "account": {"id": ACCOUNT, "acct": "town"}
                });
                st.statuses.push(status.clone());
                if let Some(k) = key {
                    st.by_key.insert(k, status.clone());
                }
                match st.fault.take() {
                    Some(Fault::StoreThen502) => ResponseTemplate::new(502).set_body_string("Bad Gateway"),
                    Some(Fault::StoreThenSlow) => ResponseTemplate::new(200).set_body_json(status).set_delay(Duration::from_secs(3)),
                    _ => ResponseTemplate::new(200).set_body_json(status),
                }
            }
            ("DELETE", _) if p.starts_with("/api/v1/statuses/") => {
                let id = p.trim_start_matches("/api/v1/statuses/");
                let n = st.statuses.len();
                st.statuses.retain(|s| s["id"] != id);
                if st.statuses.len() == n {
                    return ResponseTemplate::new(404).set_body_json(json!({"error": "Record not found"}));
                }
                ResponseTemplate::new(200).set_body_json(json!({"id": id, "text": "deleted"}))
            }
            ("GET", "/api/v1/accounts/verify_credentials") => ResponseTemplate::new(200).set_body_json(json!({
                "id": ACCOUNT, "username": "town", "acct": "town", "display_name": "狛江市",
                "note": "<p>狛江市の公式アカウント</p>", "source": {"note": "狛江市の公式アカウント"},
                "fields": [{"name": "Web", "value": "<a href=\"https://www.city.komae.tokyo.jp/\" rel=\"me\">https://www.city.komae.tokyo.jp/</a>"}]
            })),
            ("GET", _) if p == format!("/api/v1/accounts/{ACCOUNT}/statuses") => {
                let list: Vec<Value> = st.statuses.iter().rev().cloned().collect();
                ResponseTemplate::new(200).set_body_json(list)
            }
            _ => ResponseTemplate::new(404).set_body_json(json!({"error": "Record not found"})),
        }
    }
}

async fn fake() -> (MockServer, Fake) {
    let server = MockServer::start().await;
    let fake = Fake(Arc::new(Mutex::new(State::default())));
    Mock::given(any())
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    (server, fake)
}

fn connector(base: &str) -> MastodonConnector {
    MastodonConnector::new(&HttpConfig::new(base).with_timeout(Duration::from_millis(800)))
        .unwrap()
        .with_media_polling(Duration::from_millis(20), 20)
}

#[tokio::test]
async fn publishes_with_slow_media_reads_deletes_and_profile() {
    let (server, fake) = fake().await;
    let m = connector(&server.uri());
    let a = auth(ACCOUNT, "masto-token");
    fake.0.lock().unwrap().slow_media_polls = 2;
    let req = request(
        "狛江市 <花火> & 夏祭り\n開催します https://www.city.komae.tokyo.jp/",
        "job-1",
        vec![png("花火の写真")],
    );
    let post = m.publish(&a, &req).await.unwrap();
    assert_eq!(
        post.url.as_deref(),
        Some(&*format!("https://social.example/@town/{}", post.remote_id))
    );
    assert_eq!(
        fake.0
            .lock()
            .unwrap()
            .media
            .values()
            .next()
            .unwrap()
            .0
            .as_deref(),
        Some("花火の写真")
    );
    let recent = m.recent_posts(&a, 5).await.unwrap();
    assert_eq!(
        recent[0].text,
        "狛江市 <花火> & 夏祭り\n開催します https://www.city.komae.tokyo.jp/"
    );
    assert!(
        m.find_published(&a, &req, common::now_ms() - 5000)
            .await
            .unwrap()
            .is_some()
    );
    let p = m.profile(&a).await.unwrap();
    assert_eq!(p.description, "狛江市の公式アカウント");
    assert_eq!(p.url.as_deref(), Some("https://www.city.komae.tokyo.jp/"));
    m.delete(&a, &post.remote_id).await.unwrap();
    m.delete(&a, &post.remote_id).await.unwrap();
    assert!(m.recent_posts(&a, 5).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_idempotency_key_makes_a_retry_after_a_timeout_safe() {
    let (server, fake) = fake().await;
    let m = connector(&server.uri());
    let a = auth(ACCOUNT, "masto-token");
    let req = request("断水のお知らせ", "job-2", vec![]);
    fake.0.lock().unwrap().fault = Some(Fault::StoreThenSlow);
    let err = m.publish(&a, &req).await.unwrap_err();
    assert!(matches!(err, ConnectError::Uncertain { .. }), "{err:?}");
    let first_id = fake.0.lock().unwrap().statuses[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = m.publish(&a, &req).await.unwrap();
    assert_eq!(again.remote_id, first_id);
    fake.0.lock().unwrap().fault = Some(Fault::StoreThen502);
    let err = m
        .publish(&a, &request("別件", "job-3", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Uncertain { .. }), "{err:?}");
    assert_eq!(fake.0.lock().unwrap().statuses.len(), 2);
}

#[tokio::test]
async fn rate_limit_reset_is_iso8601_and_other_failures_classify() {
    let (server, fake) = fake().await;
    let m = connector(&server.uri());
    let a = auth(ACCOUNT, "masto-token");
    fake.0.lock().unwrap().fault = Some(Fault::RateLimited);
    match m
        .publish(&a, &request("a", "job-4", vec![]))
        .await
        .unwrap_err()
    {
        ConnectError::RateLimited { retry_after, .. } => {
            assert!(
                retry_after > Duration::from_secs(290) && retry_after <= Duration::from_secs(300),
                "{retry_after:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let err = m
        .publish(&a, &request(&"長".repeat(501), "job-5", vec![]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::Rejected { ref code, .. } if code == "422"),
        "{err:?}"
    );
    let err = m.profile(&auth(ACCOUNT, "revoked")).await.unwrap_err();
    assert!(matches!(err, ConnectError::AuthExpired { .. }), "{err:?}");
    let err = connector(&dead_address().await)
        .publish(&a, &request("a", "job-6", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Retryable { .. }), "{err:?}");
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The X connector against a stateful fake of API v2 on 127.0.0.1 whose answers follow
//! the official OpenAPI document, and every request koho sent checked against it.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::openapi::{SentRequest, Spec, assert_conforms};
use common::{auth, dead_address, hang_up_address, now_rfc3339, png, request};
use koho_connect::http::HttpConfig;
use koho_connect::x::XConnector;
use koho_connect::{ConnectError, Connector};
use serde_json::{Value, json};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const USER: &str = "1500000000000000001";

fn spec_path() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/x-openapi.json").to_owned()
}

/// What the fake does to the next `POST /2/tweets`.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Normal,
    /// Stores the post, then answers 503: the classic "it went out anyway".
    StoreThen503,
    /// Stores the post, then answers too late for the client.
    StoreThenSlow,
    RateLimited,
    /// The user's 24-hour posting cap is used up; the 15-minute window is not.
    DailyCap,
    Expired,
}

#[derive(Default)]
struct State {
    tweets: Vec<(String, String, String)>, // id, text, created_at
    media: Vec<String>,
    alt: Vec<(String, String)>,
    next: u64,
    mode: Option<Mode>,
}

#[derive(Clone)]
struct Fake(Arc<Mutex<State>>);

impl Fake {
    fn id(st: &mut State) -> String {
        st.next += 1;
        format!("{}", 1_860_000_000_000_000_000u64 + st.next)
    }
}

impl Respond for Fake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut st = self.0.lock().unwrap();
        let p = req.url.path().to_owned();
        let bearer = req
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        if bearer != "Bearer user-token" {
            return ResponseTemplate::new(401).set_body_json(json!({
                "title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"
            }));
        }
        match (req.method.as_str(), p.as_str()) {
            ("POST", "/2/media/upload") => {
                let id = Fake::id(&mut st);
                st.media.push(id.clone());
                ResponseTemplate::new(200).set_body_json(json!({
                    "data": {"id": id, "media_key": format!("3_{id}"), "size": 70, "expires_after_secs": 86400,
                             "image": {"image_type": "image/png", "w": 1, "h": 1}}
                }))
            }
            ("POST", "/2/media/metadata") => {
                let v: Value = serde_json::from_slice(&req.body).unwrap();
                st.alt.push((
                    v["id"].as_str().unwrap().to_owned(),
                    v["metadata"]["alt_text"]["text"].as_str().unwrap().to_owned(),
                ));
                ResponseTemplate::new(200).set_body_json(json!({"data": {"id": v["id"], "associated_metadata": true}}))
            }
            ("POST", "/2/tweets") => {
                let mode = st.mode.take().unwrap_or(Mode::Normal);
                match mode {
                    Mode::RateLimited => {
                        let reset = (common::now_ms() / 1000) + 900;
                        return ResponseTemplate::new(429)
                            .insert_header("x-rate-limit-limit", "100")
                            .insert_header("x-rate-limit-remaining", "0")
                            .insert_header("x-rate-limit-reset", reset.to_string().as_str())
                            .set_body_json(json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}));
                    }
                    Mode::DailyCap => {
                        let now = common::now_ms() / 1000;
                        return ResponseTemplate::new(429)
                            .insert_header("x-rate-limit-remaining", "99")
                            .insert_header("x-rate-limit-reset", (now + 600).to_string().as_str())
                            .insert_header("x-user-limit-24hour-limit", "100")
                            .insert_header("x-user-limit-24hour-remaining", "0")
                            .insert_header("x-user-limit-24hour-reset", (now + 20_000).to_string().as_str())
                            .set_body_json(json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}));
                    }
                    Mode::Expired => {
                        return ResponseTemplate::new(401).set_body_json(json!({
                            "title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"
                        }));
                    }
                    _ => {}
                }
                let v: Value = serde_json::from_slice(&req.body).unwrap();
                let text = v["text"].as_str().unwrap().to_owned();
                if text.chars().count() > 280 {
                    return ResponseTemplate::new(400).set_body_json(json!({
                        "errors": [{"message": "text: must be 280 characters or fewer"}],
                        "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                        "type": "https://api.x.com/2/problems/invalid-request"
                    }));
                }
                let id = Fake::id(&mut st);
                // X shortens links in what it stores and returns.
                let stored: String = text
                    .split(' ')
                    .map(|w| if w.starts_with("https://") { "https://t.co/AbCdEf".to_owned() } else { w.replace('&', "&amp;") })
                    .collect::<Vec<_>>()
                    .join(" ");
                st.tweets.push((id.clone(), stored.clone(), now_rfc3339()));
                let ok = ResponseTemplate::new(201).set_body_json(json!({
                    "data": {"id": id, "text": stored, "edit_history_tweet_ids": [id]}
                }));
                match mode {
                    Mode::StoreThen503 => ResponseTemplate::new(503).set_body_json(json!({
                        "title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503
                    })),
                    Mode::StoreThenSlow => ok.set_delay(Duration::from_secs(3)),
                    _ => ok,
                }
            }
            ("DELETE", _) if p.starts_with("/2/tweets/") => {
                let id = p.trim_start_matches("/2/tweets/");
                let before = st.tweets.len();
                st.tweets.retain(|t| t.0 != id);
                if st.tweets.len() == before {
                    return ResponseTemplate::new(404).set_body_json(json!({
                        "errors": [{"resource_id": id, "resource_type": "tweet", "title": "Not Found Error",
                                    "type": "https://api.x.com/2/problems/resource-not-found", "detail": "Could not find tweet"}],
                        "title": "Not Found Error", "detail": "Could not find tweet",
                        "type": "https://api.x.com/2/problems/resource-not-found"
                    }));
                }
                ResponseTemplate::new(200).set_body_json(json!({"data": {"deleted": true}}))
            }
            ("GET", "/2/users/me") => ResponseTemplate::new(200).set_body_json(json!({
                "data": {"id": USER, "username": "takanabe_town", "name": "高鍋町役場",
                         "description": "宮崎県高鍋町の公式アカウントです。", "url": "https://t.co/xyz",
                         "entities": {"url": {"urls": [{"start": 0, "end": 23, "url": "https://t.co/xyz",
                                                        "expanded_url": "https://www.town.takanabe.lg.jp/", "display_url": "town.takanabe.lg.jp"}]}}}
            })),
            ("GET", _) if p == format!("/2/users/{USER}/tweets") => {
                let max: usize = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "max_results")
                    .map(|(_, v)| v.parse().unwrap())
                    .unwrap_or(10);
                let data: Vec<Value> = st
                    .tweets
                    .iter()
                    .rev()
                    .take(max)
                    .map(|(id, text, at)| json!({"id": id, "text": text, "created_at": at, "edit_history_tweet_ids": [id]}))
                    .collect();
                let count = data.len();
                ResponseTemplate::new(200).set_body_json(json!({"data": data, "meta": {"result_count": count}}))
            }
            _ => ResponseTemplate::new(404),
        }
    }
}

async fn fake() -> (MockServer, Fake) {
    let server = MockServer::start().await;
    let fake = Fake(Arc::new(Mutex::new(State::default())));
    Mock::given(path_regex("^/2/.*"))
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    (server, fake)
}

fn connector(base: &str) -> XConnector {
    XConnector::new(&HttpConfig::new(base).with_timeout(Duration::from_millis(800))).unwrap()
}

#[tokio::test]
async fn publishes_with_images_and_alt_text_reads_and_deletes() {
    let (server, fake) = fake().await;
    let x = connector(&server.uri());
    let a = auth(USER, "user-token");
    let req = request(
        "高鍋町からのお知らせ：防災訓練は11月30日です。 https://www.town.takanabe.lg.jp/bousai?a=1&b=2",
        "job-1",
        vec![png("避難経路の地図"), png("集合場所の写真")],
    );
    let post = x.publish(&a, &req).await.unwrap();
    assert!(post.url.as_deref().unwrap().ends_with(&post.remote_id));
    {
        let st = fake.0.lock().unwrap();
        assert_eq!(st.media.len(), 2);
        assert_eq!(st.alt.len(), 2);
        assert_eq!(st.alt[0].1, "避難経路の地図");
        assert_eq!(st.tweets.len(), 1);
    }
    let recent = x.recent_posts(&a, 10).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].remote_id, post.remote_id);
    assert!(recent[0].created_at_ms.is_some());
    // The stored text has a t.co link and an escaped ampersand; it is still ours.
    let found = x
        .find_published(&a, &req, common::now_ms() - 60_000)
        .await
        .unwrap();
    assert_eq!(found.map(|p| p.remote_id), Some(post.remote_id.clone()));
    let other = request("別の投稿", "job-2", vec![]);
    assert_eq!(x.find_published(&a, &other, 0).await.unwrap(), None);

    let profile = x.profile(&a).await.unwrap();
    assert_eq!(profile.handle, "takanabe_town");
    assert_eq!(
        profile.url.as_deref(),
        Some("https://www.town.takanabe.lg.jp/")
    );

    x.delete(&a, &post.remote_id).await.unwrap();
    // Deleting again is not an error: the post is gone either way.
    x.delete(&a, &post.remote_id).await.unwrap();
    assert!(x.recent_posts(&a, 10).await.unwrap().is_empty());

    let n = assert_conforms(&Spec::load(&spec_path()), &server).await;
    assert!(n >= 10, "only {n} requests checked");
}

#[tokio::test]
async fn a_503_after_storing_is_uncertain_and_lookup_finds_the_post() {
    let (server, fake) = fake().await;
    let x = connector(&server.uri());
    let a = auth(USER, "user-token");
    fake.0.lock().unwrap().mode = Some(Mode::StoreThen503);
    let req = request("臨時休館のお知らせ", "job-3", vec![]);
    let since = common::now_ms();
    let err = x.publish(&a, &req).await.unwrap_err();
    assert!(matches!(err, ConnectError::Uncertain { .. }), "{err:?}");
    let found = x.find_published(&a, &req, since).await.unwrap();
    assert!(found.is_some(), "the post went out despite the 503");
}

#[tokio::test]
async fn a_timeout_after_sending_is_uncertain() {
    let (server, fake) = fake().await;
    let x = connector(&server.uri());
    let a = auth(USER, "user-token");
    fake.0.lock().unwrap().mode = Some(Mode::StoreThenSlow);
    let req = request("台風接近に伴う避難所開設", "job-4", vec![]);
    let err = x.publish(&a, &req).await.unwrap_err();
    assert!(matches!(err, ConnectError::Uncertain { .. }), "{err:?}");
    assert!(x.find_published(&a, &req, 0).await.unwrap().is_some());
}

#[tokio::test]
async fn rate_limit_waits_until_the_reset_header() {
    let (server, fake) = fake().await;
    let x = connector(&server.uri());
    fake.0.lock().unwrap().mode = Some(Mode::RateLimited);
    let err = x
        .publish(
            &auth(USER, "user-token"),
            &request("お知らせ", "job-5", vec![]),
        )
        .await
        .unwrap_err();
    match err {
        ConnectError::RateLimited { retry_after, .. } => {
            assert!(
                retry_after > Duration::from_secs(890) && retry_after <= Duration::from_secs(900),
                "{retry_after:?}"
            );
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn the_daily_post_cap_waits_for_its_own_reset() {
    let (server, fake) = fake().await;
    let x = connector(&server.uri());
    fake.0.lock().unwrap().mode = Some(Mode::DailyCap);
    let err = x
        .publish(
            &auth(USER, "user-token"),
            &request("お知らせ", "job-5b", vec![]),
        )
        .await
        .unwrap_err();
    match err {
        ConnectError::RateLimited { retry_after, .. } => assert!(
            retry_after > Duration::from_secs(19_990) && retry_after <= Duration::from_secs(20_000),
            "{retry_after:?}"
        ),
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn expired_token_needs_a_person() {
    let (server, fake) = fake().await;
    let x = connector(&server.uri());
    fake.0.lock().unwrap().mode = Some(Mode::Expired);
    let err = x
        .publish(
            &auth(USER, "user-token"),
            &request("お知らせ", "job-6", vec![]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::AuthExpired { .. }), "{err:?}");
    let err = x.profile(&auth(USER, "revoked")).await.unwrap_err();
    assert!(matches!(err, ConnectError::AuthExpired { .. }), "{err:?}");
}

#[tokio::test]
async fn validation_errors_are_rejections_with_the_platform_code() {
    let (server, _fake) = fake().await;
    let x = connector(&server.uri());
    let err = x
        .publish(
            &auth(USER, "user-token"),
            &request(&"あ".repeat(300), "job-7", vec![]),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ConnectError::Rejected {
            code: "invalid-request".into(),
            detail: "One or more parameters to your request was invalid.".into()
        }
    );
}

#[tokio::test]
async fn refused_connection_is_retryable_and_a_hang_up_is_uncertain() {
    let a = auth(USER, "user-token");
    let req = request("お知らせ", "job-8", vec![]);
    let err = connector(&dead_address().await)
        .publish(&a, &req)
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Retryable { .. }), "{err:?}");
    let hang = connector(&hang_up_address().await);
    let err = hang.publish(&a, &req).await.unwrap_err();
    assert!(matches!(err, ConnectError::Uncertain { .. }), "{err:?}");
    // Reading is harmless to repeat whatever happened.
    let err = hang.recent_posts(&a, 5).await.unwrap_err();
    assert!(matches!(err, ConnectError::Retryable { .. }), "{err:?}");
}

#[test]
fn the_validator_catches_requests_that_break_the_spec() {
    let spec = Spec::load(&spec_path());
    let bad = |method: &str, path: &str, body: &str| {
        spec.check(&SentRequest {
            method,
            path,
            query: vec![],
            headers: vec![],
            content_type: Some("application/json".into()),
            body: body.as_bytes(),
        })
    };
    assert!(bad("POST", "/2/tweets", r#"{"text":"ok"}"#).is_empty());
    assert!(
        !bad(
            "POST",
            "/2/tweets",
            r#"{"text":"x","media":{"media_ids":["abc"]}}"#
        )
        .is_empty()
    );
    assert!(!bad("POST", "/2/tweets", r#"{"text":"x","status":"y"}"#).is_empty());
    assert!(!bad("POST", "/2/tweets", r#"{"text":5}"#).is_empty());
    assert!(!bad("POST", "/2/media/metadata", r#"{"metadata":{}}"#).is_empty());
    assert!(!bad("POST", "/2/statuses/update", r#"{}"#).is_empty());
    assert!(!bad("PUT", "/2/tweets", r#"{}"#).is_empty());
    let q = spec.check(&SentRequest {
        method: "GET",
        path: "/2/users/1/tweets",
        query: vec![("max_results".into(), "3".into())],
        headers: vec![],
        content_type: None,
        body: b"",
    });
    assert!(!q.is_empty(), "max_results below 5 must be refused");
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The Misskey connector against a stateful fake of Misskey's API on 127.0.0.1,
//! shaped after misskey-hub.net's API reference: every call a POST with the token as
//! `i` in the body, errors as `{"error": {"code", "message", "id"}}`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{auth, hang_up_address, now_rfc3339, png, request};
use koho_connect::http::HttpConfig;
use koho_connect::misskey::MisskeyConnector;
use koho_connect::{ConnectError, Connector};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const USER: &str = "9abcdef012";

#[derive(Default)]
struct State {
    next: u64,
    notes: Vec<Value>,
    files: Vec<(String, Option<String>)>,
    rate_limited: bool,
    fail_after_store: bool,
}

#[derive(Clone)]
struct Fake(Arc<Mutex<State>>);

fn err(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {"message": message, "code": code, "id": "b0a7f5f8-dc2f-4171-b91f-de88ad238e14"}
    }))
}

impl Respond for Fake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut st = self.0.lock().unwrap();
        assert_eq!(req.method.as_str(), "POST", "Misskey's API is POST only");
        let p = req.url.path().to_owned();
        if p == "/api/drive/files/create" {
            let body = String::from_utf8_lossy(&req.body).into_owned();
            let field = |name: &str| {
                body.split(&format!("name=\"{name}\"\r\n\r\n"))
                    .nth(1)
                    .and_then(|r| r.split("\r\n").next())
                    .map(str::to_owned)
            };
            if field("i").as_deref() != Some("misskey-token") {
                return err(
                    401,
                    "AUTHENTICATION_FAILED",
                    "Authentication failed. Please ensure your token is correct.",
                );
            }
            st.next += 1;
            let id = format!("file{}", st.next);
            st.files.push((id.clone(), field("comment")));
            return ResponseTemplate::new(200).set_body_json(
                json!({"id": id, "type": "image/png", "comment": field("comment")}),
            );
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        if body["i"] != "misskey-token" {
            return err(
                401,
                "AUTHENTICATION_FAILED",
                "Authentication failed. Please ensure your token is correct.",
            );
        }
        match p.as_str() {
            "/api/notes/create" => {
                if st.rate_limited {
                    st.rate_limited = false;
                    return err(429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded. Please try again later.")
                        .insert_header("Retry-After", "42")
                        .insert_header("X-RateLimit-Remaining", "0");
                }
                st.next += 1;
                let note = json!({
                    "id": format!("note{}", st.next), "createdAt": now_rfc3339(), "userId": USER,
                    "text": body["text"], "visibility": body["visibility"], "fileIds": body.get("fileIds").cloned().unwrap_or(json!([]))
                });
                st.notes.push(note.clone());
                if st.fail_after_store {
                    st.fail_after_store = false;
                    return err(500, "INTERNAL_ERROR", "Internal error occurred. Please contact us if the error persists.");
                }
                ResponseTemplate::new(200).set_body_json(json!({"createdNote": note}))
            }
            "/api/notes/delete" => {
                let n = st.notes.len();
                st.notes.retain(|x| x["id"] != body["noteId"]);
                if st.notes.len() == n {
                    return err(400, "NO_SUCH_NOTE", "No such note.");
                }
                ResponseTemplate::new(204)
            }
            "/api/users/notes" => {
                assert_eq!(body["userId"], USER);
                let limit = body["limit"].as_u64().unwrap() as usize;
                let list: Vec<Value> = st.notes.iter().rev().take(limit).cloned().collect();
                ResponseTemplate::new(200).set_body_json(list)
            }
            "/api/i" => ResponseTemplate::new(200).set_body_json(json!({
                "id": USER, "username": "mine_city", "name": "美祢市", "description": "美祢市の公式アカウントです",
                "fields": [{"name": "Web", "value": "https://www2.city.mine.lg.jp/"}]
            })),
            _ => err(400, "NO_SUCH_ENDPOINT", "No such endpoint."),
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

fn connector(base: &str) -> MisskeyConnector {
    MisskeyConnector::new(&HttpConfig::new(base).with_timeout(Duration::from_millis(800))).unwrap()
}

#[tokio::test]
async fn publishes_reads_deletes_and_reads_the_profile() {
    let (server, fake) = fake().await;
    let mk = connector(&server.uri());
    let a = auth(USER, "misskey-token");
    let req = request(
        "秋吉台の山焼きを実施します",
        "job-1",
        vec![png("山焼きの様子")],
    );
    let post = mk.publish(&a, &req).await.unwrap();
    assert_eq!(
        post.url.as_deref(),
        Some(&*format!("{}/notes/{}", server.uri(), post.remote_id))
    );
    assert_eq!(
        fake.0.lock().unwrap().files[0].1.as_deref(),
        Some("山焼きの様子")
    );
    assert_eq!(fake.0.lock().unwrap().notes[0]["fileIds"][0], "file1");
    let recent = mk.recent_posts(&a, 10).await.unwrap();
    assert_eq!(recent[0].remote_id, post.remote_id);
    assert!(
        mk.find_published(&a, &req, common::now_ms() - 5000)
            .await
            .unwrap()
            .is_some()
    );
    let p = mk.profile(&a).await.unwrap();
    assert_eq!(
        (p.handle.as_str(), p.url.as_deref()),
        ("mine_city", Some("https://www2.city.mine.lg.jp/"))
    );
    mk.delete(&a, &post.remote_id).await.unwrap();
    mk.delete(&a, &post.remote_id).await.unwrap();
    assert!(mk.recent_posts(&a, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn errors_classify_by_misskey_code() {
    let (server, fake) = fake().await;
    let mk = connector(&server.uri());
    let a = auth(USER, "misskey-token");
    fake.0.lock().unwrap().rate_limited = true;
    let e = mk
        .publish(&a, &request("a", "job-2", vec![]))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        ConnectError::RateLimited {
            detail: "Rate limit exceeded. Please try again later.".into(),
            retry_after: Duration::from_secs(42)
        }
    );
    let e = mk.profile(&auth(USER, "old")).await.unwrap_err();
    assert!(matches!(e, ConnectError::AuthExpired { .. }), "{e:?}");
    let e = mk
        .publish(&auth(USER, "old"), &request("a", "job-3", vec![png("x")]))
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectError::AuthExpired { .. }), "{e:?}");
    fake.0.lock().unwrap().fail_after_store = true;
    let req = request("b", "job-4", vec![]);
    let e = mk.publish(&a, &req).await.unwrap_err();
    assert!(matches!(e, ConnectError::Uncertain { .. }), "{e:?}");
    assert!(
        mk.find_published(&a, &req, common::now_ms() - 5000)
            .await
            .unwrap()
            .is_some()
    );
    let e = connector(&hang_up_address().await)
        .publish(&a, &req)
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectError::Uncertain { .. }), "{e:?}");
}

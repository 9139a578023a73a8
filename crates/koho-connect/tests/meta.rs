#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Facebook Pages, Instagram and Threads against one stateful fake of Meta's Graph API
//! on 127.0.0.1, shaped after Meta's documentation (no machine-readable spec exists):
//! form-encoded writes, `{"id": …}` answers, containers that take time to process,
//! error objects with codes 4/17/32/613 (throttling) and 190 (token).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{FakeMediaHost, auth, png, request};
use koho_connect::facebook::FacebookConnector;
use koho_connect::http::HttpConfig;
use koho_connect::instagram::InstagramConnector;
use koho_connect::meta::ContainerPolling;
use koho_connect::threads::ThreadsConnector;
use koho_connect::{ConnectError, Connector};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PAGE: &str = "104000000000001";
const IG: &str = "17841400000000001";
const TH: &str = "25000000000000001";

#[derive(Clone, Copy, PartialEq, Debug)]
enum Fault {
    /// Publishes, then answers 500 with Meta's transient error.
    StoreThen500,
    /// Error code 32 (page request limit) with a use-case header, as HTTP 400.
    Throttled,
    /// Error code 190 (token expired).
    Expired,
}

/// A media container: (owner, text, polls left before FINISHED, children, alt text).
type Container = (String, String, u32, Vec<String>, Option<String>);

#[derive(Default)]
struct State {
    next: u64,
    /// Published posts per account: (id, text, created_time).
    posts: HashMap<String, Vec<(String, String, String)>>,
    containers: HashMap<String, Container>,
    unpublished_photos: Vec<(String, Option<String>)>,
    fault: Option<Fault>,
    slow_polls: u32,
    forms: Vec<HashMap<String, String>>,
    /// The app requires `appsecret_proof` (Meta's "Require App Secret"): this value.
    required_proof: Option<String>,
    /// Every call's `appsecret_proof`, in order.
    proofs: Vec<Option<String>>,
}

#[derive(Clone)]
struct Fake(Arc<Mutex<State>>);

fn graph_error(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
    }))
}

fn form(req: &Request) -> HashMap<String, String> {
    let ct = req
        .headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if ct.starts_with("multipart/form-data") {
        let mut out = HashMap::new();
        let boundary = ct.split("boundary=").nth(1).unwrap().to_owned();
        let text = String::from_utf8_lossy(&req.body).into_owned();
        for part in text.split(&format!("--{boundary}")) {
            if let Some((head, body)) = part.split_once("\r\n\r\n")
                && let Some(name) = head
                    .split("name=\"")
                    .nth(1)
                    .and_then(|n| n.split('"').next())
            {
                out.insert(name.to_owned(), body.trim_end_matches("\r\n").to_owned());
            }
        }
        out
    } else {
        url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect()
    }
}

impl Fake {
    fn id(st: &mut State) -> String {
        st.next += 1;
        format!("{}", 900_000_000 + st.next)
    }

    fn publish(st: &mut State, owner: &str, text: &str) -> (String, ResponseTemplate) {
        let id = Fake::id(st);
        let full = if owner == PAGE {
            format!("{PAGE}_{id}")
        } else {
            id
        };
        st.posts.entry(owner.to_owned()).or_default().push((
            full.clone(),
            text.to_owned(),
            now_meta(),
        ));
        let ok = ResponseTemplate::new(200).set_body_json(json!({"id": full}));
        if st.fault == Some(Fault::StoreThen500) {
            st.fault = None;
            return (
                full,
                graph_error(
                    500,
                    2,
                    "An unexpected error has occurred. Please retry your request later.",
                ),
            );
        }
        (full, ok)
    }
}

/// Meta's own timestamp form: `+0000` without a colon.
fn now_meta() -> String {
    let iso = common::now_rfc3339();
    format!("{}+0000", &iso[..19])
}

impl Respond for Fake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut st = self.0.lock().unwrap();
        let token = req
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned());
        if token.as_deref() != Some("Bearer page-token") {
            return graph_error(
                400,
                190,
                "Error validating access token: Session has expired on Sunday, 22-Nov-26 04:00:00 PST.",
            );
        }
        let proof = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "appsecret_proof")
            .map(|(_, v)| v.into_owned());
        st.proofs.push(proof.clone());
        if let Some(required) = st.required_proof.clone() {
            match proof {
                None => {
                    return graph_error(
                        400,
                        100,
                        "API calls from the server require an appsecret_proof argument",
                    );
                }
                Some(p) if p != required => {
                    return graph_error(
                        400,
                        100,
                        "Invalid appsecret_proof provided in the API argument",
                    );
                }
                Some(_) => {}
            }
        }
        match st.fault {
            Some(Fault::Throttled) if req.method.as_str() == "POST" => {
                st.fault = None;
                return graph_error(400, 32, "Page request limit reached")
                    .insert_header("x-business-use-case-usage", format!(r#"{{"{PAGE}":[{{"type":"pages","call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":12}}]}}"#).as_str());
            }
            Some(Fault::Expired) => {
                st.fault = None;
                return graph_error(
                    401,
                    190,
                    "Error validating access token: The session has been invalidated because the user changed their password.",
                );
            }
            _ => {}
        }
        let segs: Vec<String> = req
            .url
            .path()
            .trim_start_matches("/v23.0/")
            .split('/')
            .map(str::to_owned)
            .collect();
        let f = form(req);
        st.forms.push(f.clone());
        let seg = |i: usize| segs.get(i).map(String::as_str);
        match (req.method.as_str(), seg(0), seg(1)) {
            ("POST", Some(PAGE), Some("feed")) => {
                let (_, resp) = Fake::publish(&mut st, PAGE, &f["message"]);
                resp
            }
            ("POST", Some(PAGE), Some("photos")) => {
                assert!(f.contains_key("source"), "photo bytes travel as `source`");
                if f.get("published").map(String::as_str) == Some("false") {
                    let id = Fake::id(&mut st);
                    st.unpublished_photos.push((id.clone(), f.get("alt_text_custom").cloned()));
                    return ResponseTemplate::new(200).set_body_json(json!({"id": id}));
                }
                let photo = Fake::id(&mut st);
                let failing = st.fault == Some(Fault::StoreThen500);
                let (post, resp) = Fake::publish(&mut st, PAGE, f.get("message").map_or("", String::as_str));
                if failing {
                    return resp;
                }
                ResponseTemplate::new(200).set_body_json(json!({"id": photo, "post_id": post}))
            }
            ("GET", Some(PAGE), Some("posts")) => {
                let data: Vec<Value> = st.posts.get(PAGE).into_iter().flatten().rev()
                    .map(|(id, m, t)| json!({"id": id, "message": m, "created_time": t, "permalink_url": format!("https://www.facebook.com/{id}")}))
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({"data": data, "paging": {}}))
            }
            ("GET", Some(PAGE), None) => ResponseTemplate::new(200).set_body_json(json!({
                "id": PAGE, "username": "KamisuCity", "name": "神栖市", "about": "茨城県神栖市の公式ページです。",
                "website": "https://www.city.kamisu.ibaraki.jp/"
            })),
            ("POST", Some(owner), Some("media" | "threads")) => {
                let id = Fake::id(&mut st);
                let text = f.get("caption").or(f.get("text")).cloned().unwrap_or_default();
                if f.get("media_type").map(String::as_str) != Some("TEXT") && f.get("media_type").map(String::as_str) != Some("CAROUSEL") {
                    assert!(f["image_url"].starts_with("https://"), "images are fetched from public https URLs");
                }
                let children = f.get("children").map(|c| c.split(',').map(str::to_owned).collect()).unwrap_or_default();
                let polls = st.slow_polls;
                st.containers.insert(id.clone(), (owner.to_owned(), text, polls, children, f.get("alt_text").cloned()));
                ResponseTemplate::new(200).set_body_json(json!({"id": id}))
            }
            ("POST", Some(owner), Some("media_publish" | "threads_publish")) => {
                let cid = f["creation_id"].clone();
                let Some((o, text, polls, _, _)) = st.containers.get(&cid).cloned() else {
                    return graph_error(400, 100, "Invalid parameter");
                };
                assert_eq!(o, owner);
                if polls > 0 {
                    return graph_error(400, 9007, "Media ID is not available");
                }
                let (_, resp) = Fake::publish(&mut st, owner, &text);
                resp
            }
            ("GET", Some(owner), Some("media" | "threads")) => {
                let data: Vec<Value> = st.posts.get(owner).into_iter().flatten().rev()
                    .map(|(id, m, t)| json!({"id": id, "caption": m, "text": m, "timestamp": t, "permalink": format!("https://www.instagram.com/p/{id}/")}))
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({"data": data}))
            }
            ("GET", Some(IG), None) => ResponseTemplate::new(200).set_body_json(json!({
                "id": IG, "username": "mine_city", "name": "美祢市", "biography": "山口県美祢市の公式アカウント", "website": "https://www2.city.mine.lg.jp/"
            })),
            ("GET", Some(TH), None) => ResponseTemplate::new(200).set_body_json(json!({
                "id": TH, "username": "urausu_town", "name": "浦臼町", "threads_biography": "北海道浦臼町"
            })),
            ("GET", Some(id), None) if st.containers.contains_key(id) => {
                let c = st.containers.get_mut(id).unwrap();
                let status = if c.2 > 0 { c.2 -= 1; "IN_PROGRESS" } else { "FINISHED" };
                ResponseTemplate::new(200).set_body_json(json!({"id": id, "status_code": status}))
            }
            ("GET", Some(id), None) if st.posts.values().flatten().any(|p| p.0 == id) => {
                ResponseTemplate::new(200).set_body_json(
                    json!({"id": id, "permalink": format!("https://www.instagram.com/p/{id}/")}),
                )
            }
            ("DELETE", Some(id), None) => {
                let mut found = false;
                for posts in st.posts.values_mut() {
                    let n = posts.len();
                    posts.retain(|p| p.0 != id);
                    found |= posts.len() != n;
                }
                if found {
                    ResponseTemplate::new(200).set_body_json(json!({"success": true}))
                } else {
                    ResponseTemplate::new(400).set_body_json(json!({"error": {"message": "Unsupported delete request.", "type": "GraphMethodException", "code": 100, "error_subcode": 33}}))
                }
            }
            _ => graph_error(400, 100, "Unknown path components"),
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

fn cfg(server: &MockServer) -> HttpConfig {
    HttpConfig::new(format!("{}/v23.0", server.uri())).with_timeout(Duration::from_secs(5))
}

const FAST: ContainerPolling = ContainerPolling {
    interval: Duration::from_millis(20),
    attempts: 10,
};

#[tokio::test]
async fn facebook_page_text_one_image_many_images_read_delete_profile() {
    let (server, fake) = fake().await;
    let fb = FacebookConnector::new(&cfg(&server)).unwrap();
    let a = auth(PAGE, "page-token");
    let text = fb
        .publish(&a, &request("神栖市からのお知らせです。", "j1", vec![]))
        .await
        .unwrap();
    assert!(text.remote_id.starts_with(PAGE));
    let one = fb
        .publish(
            &a,
            &request("花火大会の写真", "j2", vec![png("夜空の花火")]),
        )
        .await
        .unwrap();
    let many = fb
        .publish(
            &a,
            &request("市役所の新庁舎", "j3", vec![png("正面"), png("窓口")]),
        )
        .await
        .unwrap();
    {
        let st = fake.0.lock().unwrap();
        assert_eq!(st.unpublished_photos.len(), 2);
        assert_eq!(st.unpublished_photos[0].1.as_deref(), Some("正面"));
        let last = st
            .forms
            .iter()
            .rev()
            .find(|f| f.contains_key("attached_media[1]"))
            .unwrap();
        assert!(last["attached_media[0]"].contains("media_fbid"));
        assert!(
            st.forms
                .iter()
                .any(|f| f.get("alt_text_custom").map(String::as_str) == Some("夜空の花火"))
        );
    }
    let recent = fb.recent_posts(&a, 10).await.unwrap();
    assert_eq!(
        recent
            .iter()
            .map(|p| p.remote_id.clone())
            .collect::<Vec<_>>(),
        vec![
            many.remote_id.clone(),
            one.remote_id.clone(),
            text.remote_id.clone()
        ]
    );
    assert!(
        recent[0].created_at_ms.is_some(),
        "Meta's +0000 timestamps parse"
    );
    fb.delete(&a, &one.remote_id).await.unwrap();
    fb.delete(&a, &one.remote_id).await.unwrap();
    assert_eq!(fb.recent_posts(&a, 10).await.unwrap().len(), 2);
    let p = fb.profile(&a).await.unwrap();
    assert_eq!(
        (p.handle.as_str(), p.display_name.as_str()),
        ("KamisuCity", "神栖市")
    );
    assert_eq!(
        p.url.as_deref(),
        Some("https://www.city.kamisu.ibaraki.jp/")
    );
}

#[tokio::test]
async fn meta_error_codes_become_the_right_errors() {
    let (server, fake) = fake().await;
    let fb = FacebookConnector::new(&cfg(&server)).unwrap();
    let a = auth(PAGE, "page-token");
    fake.0.lock().unwrap().fault = Some(Fault::Throttled);
    let err = fb
        .publish(&a, &request("a", "j1", vec![]))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ConnectError::RateLimited {
            detail: "(32) Page request limit reached".into(),
            retry_after: Duration::from_secs(12 * 60)
        }
    );
    fake.0.lock().unwrap().fault = Some(Fault::Expired);
    let err = fb
        .publish(&a, &request("a", "j2", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::AuthExpired { .. }), "{err:?}");
    // 190 arrives as HTTP 400 too.
    let err = fb.profile(&auth(PAGE, "old-token")).await.unwrap_err();
    assert!(matches!(err, ConnectError::AuthExpired { .. }), "{err:?}");
    fake.0.lock().unwrap().fault = Some(Fault::StoreThen500);
    let req = request("臨時のお知らせ", "j3", vec![]);
    let err = fb.publish(&a, &req).await.unwrap_err();
    assert!(matches!(err, ConnectError::Uncertain { .. }), "{err:?}");
    assert!(
        fb.find_published(&a, &req, common::now_ms() - 1000)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn instagram_waits_for_slow_containers_and_publishes_carousels() {
    let (server, fake) = fake().await;
    let ig = InstagramConnector::new(&cfg(&server), Some(Arc::new(FakeMediaHost)))
        .unwrap()
        .with_polling(FAST);
    let a = auth(IG, "page-token");
    let err = ig
        .publish(&a, &request("文字だけ", "j0", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Rejected { ref code, .. } if code == "image_required"));
    fake.0.lock().unwrap().slow_polls = 3;
    let single = ig
        .publish(
            &a,
            &request("秋芳洞の紅葉 #美祢市", "j1", vec![png("紅葉した木々")]),
        )
        .await
        .unwrap();
    fake.0.lock().unwrap().slow_polls = 0;
    let carousel = ig
        .publish(
            &a,
            &request("カルスト台地", "j2", vec![png("草原"), png("石灰岩")]),
        )
        .await
        .unwrap();
    {
        let st = fake.0.lock().unwrap();
        let carousel_container = st.containers.values().find(|c| c.3.len() == 2).unwrap();
        assert_eq!(carousel_container.1, "カルスト台地");
        assert!(
            st.containers
                .values()
                .any(|c| c.4.as_deref() == Some("石灰岩"))
        );
    }
    assert_eq!(
        single.url,
        Some(format!("https://www.instagram.com/p/{}/", single.remote_id))
    );
    let recent = ig.recent_posts(&a, 5).await.unwrap();
    assert_eq!(recent[0].remote_id, carousel.remote_id);
    assert_eq!(recent[1].remote_id, single.remote_id);
    assert!(matches!(
        ig.delete(&a, &single.remote_id).await,
        Err(ConnectError::Unsupported { .. })
    ));
    assert_eq!(ig.profile(&a).await.unwrap().handle, "mine_city");
    // A container that never finishes is not an uncertain publish: nothing is public.
    fake.0.lock().unwrap().slow_polls = 100;
    let err = ig
        .publish(&a, &request("処理中", "j3", vec![png("x")]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Retryable { .. }), "{err:?}");
}

#[tokio::test]
async fn threads_text_image_list_delete_and_uncertain_publish() {
    let (server, fake) = fake().await;
    let th = ThreadsConnector::new(&cfg(&server), Some(Arc::new(FakeMediaHost)))
        .unwrap()
        .with_polling(FAST);
    let a = auth(TH, "page-token");
    let t = th
        .publish(&a, &request("浦臼町です。", "j1", vec![]))
        .await
        .unwrap();
    let i = th
        .publish(&a, &request("ワイン畑", "j2", vec![png("ぶどう畑")]))
        .await
        .unwrap();
    assert_eq!(th.recent_posts(&a, 10).await.unwrap().len(), 2);
    fake.0.lock().unwrap().fault = Some(Fault::StoreThen500);
    let req = request("雪まつり", "j3", vec![]);
    let err = th.publish(&a, &req).await.unwrap_err();
    assert!(matches!(err, ConnectError::Uncertain { .. }), "{err:?}");
    assert!(
        th.find_published(&a, &req, common::now_ms() - 1000)
            .await
            .unwrap()
            .is_some()
    );
    th.delete(&a, &t.remote_id).await.unwrap();
    th.delete(&a, &i.remote_id).await.unwrap();
    assert_eq!(th.recent_posts(&a, 10).await.unwrap().len(), 1);
    assert_eq!(th.profile(&a).await.unwrap().display_name, "浦臼町");
}

/// HMAC-SHA256("page-token") keyed by "app-secret-123", hex, computed independently
/// (Python `hmac.new(b"app-secret-123", b"page-token", hashlib.sha256).hexdigest()`).
const PROOF: &str = "c900e723d23592431eb3dd41a493d033df83f131e8048851b4ca108039abfc5d";

#[tokio::test]
async fn appsecret_proof_goes_with_every_graph_call_when_the_credential_has_the_secret() {
    let (server, fake) = fake().await;
    let a = koho_connect::AccountAuth {
        app_secret: Some(koho_connect::Token::new("app-secret-123")),
        ..auth(PAGE, "page-token")
    };
    fake.0.lock().unwrap().required_proof = Some(PROOF.to_owned());
    let fb = FacebookConnector::new(&cfg(&server)).unwrap();
    fb.publish(&a, &request("お知らせ", "p1", vec![png("図")]))
        .await
        .unwrap();
    fb.recent_posts(&a, 5).await.unwrap();
    let ig = InstagramConnector::new(&cfg(&server), Some(Arc::new(FakeMediaHost)))
        .unwrap()
        .with_polling(FAST);
    let ig_auth = koho_connect::AccountAuth {
        account_ref: IG.to_owned(),
        ..a.clone()
    };
    fake.0.lock().unwrap().slow_polls = 1;
    ig.publish(&ig_auth, &request("写真", "p2", vec![png("写真")]))
        .await
        .unwrap();
    fake.0.lock().unwrap().slow_polls = 0;
    let th = ThreadsConnector::new(&cfg(&server), None).unwrap();
    let th_auth = koho_connect::AccountAuth {
        account_ref: TH.to_owned(),
        ..a.clone()
    };
    th.publish(&th_auth, &request("文字", "p3", vec![]))
        .await
        .unwrap();
    {
        let st = fake.0.lock().unwrap();
        // Create, poll, publish, permalink …: every call carried the proof.
        assert!(st.proofs.len() >= 8, "{:?}", st.proofs);
        assert!(st.proofs.iter().all(|p| p.as_deref() == Some(PROOF)));
    }
    // A wrong secret gives a wrong proof, which the app refuses; nothing is public.
    let wrong = koho_connect::AccountAuth {
        app_secret: Some(koho_connect::Token::new("another-secret")),
        ..a.clone()
    };
    let err = fb
        .publish(&wrong, &request("x", "p4", vec![]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::Rejected { ref code, .. } if code == "100"),
        "{err:?}"
    );
    // Without a secret in the credential no proof is sent (apps that do not require it).
    {
        let mut st = fake.0.lock().unwrap();
        st.required_proof = None;
        st.proofs.clear();
    }
    fb.recent_posts(&auth(PAGE, "page-token"), 1).await.unwrap();
    assert_eq!(fake.0.lock().unwrap().proofs, vec![None]);
}

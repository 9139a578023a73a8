#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `/m/{slug}/media/{token}`: outbox images served to the platforms that download them.
//! Public (no sign-in, no cookies), the right type and cache lifetime, the same address
//! for the same job image, and 404 once the link has expired.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use koho_check::{Checker, Guideline};
use koho_store::{Actor, Store};
use koho_web::{AppState, Options};
use koho_workflow::Workflow;
use koho_workflow::credentials::CredentialKey;
use koho_workflow::media_links::StoreMediaHost;
use koho_workflow::publisher::{
    ApprovedTarget, Connectors, ImageInput, ManualClock, Publisher, PublisherConfig, SystemClock,
};
use tower::ServiceExt;

const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A demo store with two jobs of one image each; their idempotency keys.
async fn world() -> (Store, Workflow, Vec<String>) {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let g = Guideline::preset("midori").unwrap().unwrap();
    koho_workflow::demo::fill(&store, "midori", g.clone())
        .await
        .unwrap();
    let site = Workflow::open(&store, "midori", g).await.unwrap();
    let publisher = Publisher::new(
        store.clone(),
        Connectors::new(),
        CredentialKey::generate().unwrap(),
        Arc::new(SystemClock),
        PublisherConfig::new("media-test"),
    )
    .unwrap();
    let tenant = store.tenant_by_slug("midori").await.unwrap();
    let bousai = site
        .accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.fields.handle == "@midori_bousai")
        .unwrap()
        .id;
    let mut keys = Vec::new();
    for body in ["お知らせ1", "お知らせ2"] {
        let id = scheduled_target(&store, &tenant, &bousai, body).await;
        let account = bousai.clone();
        let job = publisher
            .enqueue(
                &tenant,
                &ApprovedTarget {
                    post_target_id: id,
                    account_id: account,
                    text: "お知らせ".into(),
                    images: vec![ImageInput {
                        bytes: PNG_1X1.to_vec(),
                        alt_text: Some("図".into()),
                    }],
                    not_before: now_ms(),
                    deadline: now_ms() + 3_600_000,
                },
                &Actor::Cli,
            )
            .await
            .unwrap();
        keys.push(job.idempotency_key);
    }
    (store, site, keys)
}

fn router_for(store: Store, site: Workflow) -> axum::Router {
    let g = Guideline::preset("midori").unwrap().unwrap();
    let c = Checker::new(&g).unwrap();
    koho_web::router(AppState::new(store, vec![site], (g, c), vec![], Options::default()).unwrap())
}

fn path_of(url: &str) -> String {
    let rest = url.strip_prefix("https://koho.city.example.jp").unwrap();
    rest.to_owned()
}

#[tokio::test]
async fn images_are_public_typed_cached_briefly_and_expire() {
    let (store, site, keys) = world().await;
    let host = StoreMediaHost::new(
        store.clone(),
        "https://koho.city.example.jp/",
        Duration::from_secs(600),
        Arc::new(SystemClock),
    )
    .unwrap();
    let url = host.link_for(&keys[0], 0).await.unwrap();
    assert!(
        url.starts_with("https://koho.city.example.jp/m/midori/media/"),
        "{url}"
    );
    // A retry asks again: the same address, no second link.
    assert_eq!(host.link_for(&keys[0], 0).await.unwrap(), url);
    // Another job's image has its own, unrelated address.
    let other = host.link_for(&keys[1], 0).await.unwrap();
    assert_ne!(other, url);
    // No such image, no such job.
    assert!(host.link_for(&keys[0], 1).await.is_err());
    assert!(host.link_for("no-such-key", 0).await.is_err());

    let app = router_for(store.clone(), site);
    let res = app
        .clone()
        .oneshot(Request::get(path_of(&url)).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h[header::CONTENT_TYPE], "image/png");
    let cc = h[header::CACHE_CONTROL].to_str().unwrap().to_owned();
    let max_age: i64 = cc
        .strip_prefix("public, max-age=")
        .unwrap_or_else(|| panic!("{cc}"))
        .parse()
        .unwrap();
    assert!((1..=600).contains(&max_age), "{cc}");
    assert!(h.get(header::SET_COOKIE).is_none(), "no cookies on images");
    assert_eq!(h["cross-origin-resource-policy"], "cross-origin");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    assert!(body.starts_with(&[0x89, b'P', b'N', b'G']));

    // A made-up token, a token under another municipality's slug: 404.
    let fake = format!("/m/midori/media/{}", "0".repeat(64));
    let wrong_slug = path_of(&url).replace("/m/midori/", "/m/nowhere/");
    for p in [fake.as_str(), wrong_slug.as_str(), "/m/midori/media/short"] {
        let res = app
            .clone()
            .oneshot(Request::get(p).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
    }

    // A link issued two TTLs ago has expired: 404, though the image is still in the
    // outbox. (A fresh world: the jobs above already have live links.)
    let (s, w, k) = world().await;
    let old = StoreMediaHost::new(
        s.clone(),
        "https://koho.city.example.jp",
        Duration::from_secs(600),
        Arc::new(ManualClock::new(now_ms() - 1_200_000)),
    )
    .unwrap();
    let expired = old.link_for(&k[0], 0).await.unwrap();
    let router = router_for(s.clone(), w);
    let res = router
        .clone()
        .oneshot(Request::get(path_of(&expired)).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "expired link");
    // A retried publish asks again: the same address, alive again.
    let fresh = StoreMediaHost::new(
        s.clone(),
        "https://koho.city.example.jp",
        Duration::from_secs(600),
        Arc::new(SystemClock),
    )
    .unwrap();
    assert_eq!(fresh.link_for(&k[0], 0).await.unwrap(), expired);
    let res = router
        .oneshot(Request::get(path_of(&expired)).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// The whole chain as Instagram sees it: the publisher publishes a post with an image
/// through the real Instagram connector (a fake Graph API on 127.0.0.1), the connector
/// hands Instagram an address under `KOHO_PUBLIC_URL` from koho's own media host, and
/// that address, fetched the way Instagram fetches it, gives the stripped image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instagram_fetches_the_image_koho_serves() {
    use koho_connect::registry::{Overrides, Registry};
    use koho_store::{
        AccountFields, AccountKind, AccountState, NewAccount, Platform, VerificationStatus,
    };
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const IG: &str = "17841400000000001";
    let (store, site, _) = world().await;
    let tenant = store.tenant_by_slug("midori").await.unwrap();
    let ig_account = {
        let mut tx = store.begin(&tenant).await.unwrap();
        let a = tx
            .accounts()
            .create(&NewAccount {
                fields: AccountFields {
                    platform: Platform::Instagram,
                    handle: "@midori_city_ig".into(),
                    url: Some("https://www.instagram.com/midori_city_ig/".into()),
                    display_name: "みどり市".into(),
                    department_id: None,
                    manager_id: None,
                    registration_email: None,
                    purpose: "市政情報の発信".into(),
                    content_categories: vec![],
                    tone: None,
                    reply_policy: None,
                    follow_policy: None,
                    approval_required: true,
                    kind: AccountKind::Main,
                },
                state: AccountState::Active,
                verification: VerificationStatus::None,
                followers_count: None,
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        a
    };

    // koho itself, reachable on loopback (allowed for KOHO_PUBLIC_URL).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let web = router_for(store.clone(), site);
    tokio::spawn(async move { axum::serve(listener, web).await.unwrap() });

    // Instagram's Graph API: a container from image_url, FINISHED, then media_publish.
    let graph = MockServer::start().await;
    let image_urls = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = image_urls.clone();
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{IG}/media")))
        .respond_with(move |req: &wiremock::Request| {
            let form: Vec<(String, String)> =
                form_urlencoded::parse(&req.body).into_owned().collect();
            let url = form
                .iter()
                .find(|(k, _)| k == "image_url")
                .map(|(_, v)| v.clone())
                .expect("Instagram needs image_url");
            seen.lock().unwrap().push(url);
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "9001"}))
        })
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v23.0/9001"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"id": "9001", "status_code": "FINISHED"})),
        )
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{IG}/media_publish")))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "9002"})))
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v23.0/9002"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"id": "9002", "permalink": "https://www.instagram.com/p/X/"}),
        ))
        .mount(&graph)
        .await;

    let host = StoreMediaHost::new(
        store.clone(),
        &public_url,
        Duration::from_secs(3600),
        Arc::new(SystemClock),
    )
    .unwrap();
    let mut overrides = Overrides::default();
    overrides.api_urls.insert(
        koho_connect::Platform::Instagram,
        format!("{}/v23.0", graph.uri()),
    );
    let mut connectors = Connectors::new();
    connectors.set_registry(Arc::new(
        Registry::new(overrides, Some(Arc::new(host))).unwrap(),
    ));
    let key = CredentialKey::generate().unwrap();
    let publisher = Publisher::new(
        store.clone(),
        connectors,
        key,
        Arc::new(SystemClock),
        PublisherConfig::new("media-e2e"),
    )
    .unwrap();
    publisher
        .store_credential(
            &tenant,
            &ig_account.id,
            IG,
            &koho_workflow::credentials::Secrets {
                access_token: koho_connect::Token::new("ig-token"),
                refresh_token: None,
                app_secret: None,
            },
            None,
            &Actor::Cli,
        )
        .await
        .unwrap();
    let job = publisher
        .enqueue(
            &tenant,
            &ApprovedTarget {
                post_target_id: scheduled_target(&store, &tenant, &ig_account.id, "みどり市の紅葉")
                    .await,
                account_id: ig_account.id.clone(),
                text: "みどり市の紅葉".into(),
                images: vec![ImageInput {
                    bytes: PNG_1X1.to_vec(),
                    alt_text: Some("紅葉".into()),
                }],
                not_before: now_ms(),
                deadline: now_ms() + 3_600_000,
            },
            &Actor::Cli,
        )
        .await
        .unwrap();
    let report = publisher.run_once().await.unwrap();
    assert_eq!(report.published, 1, "{report:?}");
    let published = {
        let mut r = store.read(&tenant).await.unwrap();
        r.publish_jobs().get(&job.id).await.unwrap()
    };
    assert_eq!(published.remote_id.as_deref(), Some("9002"));

    let urls = image_urls.lock().unwrap().clone();
    assert_eq!(urls.len(), 1);
    assert!(
        urls[0].starts_with(&format!("{public_url}/m/midori/media/")),
        "{}",
        urls[0]
    );
    // Fetched as Instagram fetches it: over HTTP, no cookies, no sign-in.
    let (status, ctype, body) = fetch(&urls[0]).await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "image/png");
    assert!(body.starts_with(&[0x89, b'P', b'N', b'G']));
}

/// A plain HTTP GET over a TCP socket (the test needs no HTTP client crate).
async fn fetch(url: &str) -> (u16, String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut sock = tokio::net::TcpStream::connect(host).await.unwrap();
    sock.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut raw = Vec::new();
    sock.read_to_end(&mut raw).await.unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let ctype = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_default();
    (status, ctype, raw[end + 4..].to_vec())
}

/// A real post target on `account`, scheduled without a time and its post still a draft
/// (so no publisher round queues it by itself): the test enqueues it by hand, and the
/// job's outcome moves it like any target.
async fn scheduled_target(
    store: &Store,
    tenant: &koho_store::Tenant,
    account: &koho_store::AccountId,
    text: &str,
) -> koho_store::PostTargetId {
    let mut tx = store.begin(tenant).await.unwrap();
    let author = tx.people().list().await.unwrap().remove(0);
    let post = tx
        .posts()
        .create(&koho_store::NewPost {
            kind: koho_store::PostKind::Original,
            corrects_post_id: None,
            share_category: None,
            share_url: None,
            request_id: None,
            department_id: None,
            author_id: author.id.clone(),
            matters: vec![],
            publish_at: None,
        })
        .await
        .unwrap();
    tx.posts()
        .add_version(&koho_store::NewPostVersion {
            post_id: post.id.clone(),
            body: text.into(),
            apology: None,
            variants: serde_json::json!({}),
            diagnostics: serde_json::json!({"platforms": []}),
            error_count: 0,
            author_id: author.id.clone(),
            images: vec![],
        })
        .await
        .unwrap();
    let t = tx.posts().add_target(&post.id, account).await.unwrap();
    let mut scheduled = t.clone();
    scheduled.state = koho_store::TargetState::Scheduled;
    let t = tx.posts().update_target(&scheduled).await.unwrap();
    tx.commit().await.unwrap();
    t.id
}

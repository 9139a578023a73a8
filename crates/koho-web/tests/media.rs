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
    let account = site.accounts().await.unwrap()[0].id.clone();
    let publisher = Publisher::new(
        store.clone(),
        Connectors::new(),
        CredentialKey::generate().unwrap(),
        Arc::new(SystemClock),
        PublisherConfig::new("media-test"),
    )
    .unwrap();
    let tenant = store.tenant_by_slug("midori").await.unwrap();
    let mut keys = Vec::new();
    for id in ["t-media-1", "t-media-2"] {
        let job = publisher
            .enqueue(
                &tenant,
                &ApprovedTarget {
                    post_target_id: id.into(),
                    account_id: account.clone(),
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

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Connectors come from each account's own address: two Mastodon accounts on two
//! instances each publish to their own, a Bluesky handle is followed through handle
//! resolution and the PLC directory to its PDS, `KOHO_API_URL_<PLATFORM>` overrides, and
//! one connector is shared per (platform, server).

mod common;

use std::sync::{Arc, Mutex};

use common::{auth, request};
use koho_connect::registry::{AccountAddress, Overrides, Registry};
use koho_connect::{ConnectError, Platform};
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A Mastodon instance that accepts statuses and remembers their texts.
async fn mastodon() -> (MockServer, Arc<Mutex<Vec<String>>>) {
    let server = MockServer::start().await;
    let texts = Arc::new(Mutex::new(Vec::new()));
    let t = texts.clone();
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(move |req: &Request| {
            let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
            let mut t = t.lock().unwrap();
            t.push(v["status"].as_str().unwrap().to_owned());
            let id = t.len().to_string();
            ResponseTemplate::new(200).set_body_json(json!({
                "id": id, "url": format!("{base}/@city/{id}"),
                "content": format!("<p>{}</p>", v["status"].as_str().unwrap()),
                "created_at": common::now_rfc3339(), "media_attachments": []
            }))
        })
        .mount(&server)
        .await;
    (server, texts)
}

#[tokio::test]
async fn each_mastodon_account_publishes_on_its_own_instance() {
    let (one, one_texts) = mastodon().await;
    let (two, two_texts) = mastodon().await;
    let registry = Registry::new(Overrides::default(), None).unwrap();
    let url_one = format!("{}/@city", one.uri());
    let url_two = format!("{}/@kanko", two.uri());
    let a = AccountAddress {
        platform: Platform::Mastodon,
        handle: "@city",
        url: Some(&url_one),
    };
    let b = AccountAddress {
        platform: Platform::Mastodon,
        handle: "@kanko",
        url: Some(&url_two),
    };
    let ea = registry.endpoint(&a).await.unwrap();
    let eb = registry.endpoint(&b).await.unwrap();
    assert_eq!(ea.server, one.uri());
    assert_eq!(eb.server, two.uri());
    ea.connector
        .publish(&auth("1", "t"), &request("市からのお知らせ", "k1", vec![]))
        .await
        .unwrap();
    eb.connector
        .publish(&auth("2", "t"), &request("観光協会です", "k2", vec![]))
        .await
        .unwrap();
    assert_eq!(*one_texts.lock().unwrap(), vec!["市からのお知らせ"]);
    assert_eq!(*two_texts.lock().unwrap(), vec!["観光協会です"]);
    // One connector per (platform, server): a second account on instance one shares it.
    let url_one_b = format!("{}/@bousai", one.uri());
    let c = registry
        .endpoint(&AccountAddress {
            platform: Platform::Mastodon,
            handle: "@bousai",
            url: Some(&url_one_b),
        })
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&ea.connector, &c.connector));
    assert!(!Arc::ptr_eq(&ea.connector, &eb.connector));
    // Mastodon tokens do not expire: no refresher.
    assert!(ea.refresher.is_none());

    // Neither a URL nor an @user@server handle: the server cannot be known.
    let err = registry
        .endpoint(&AccountAddress {
            platform: Platform::Misskey,
            handle: "@city",
            url: None,
        })
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, ConnectError::Rejected { ref code, .. } if code == "server_unknown"),
        "{err:?}"
    );

    // KOHO_API_URL_MASTODON sends every account to one address (a proxy, a test peer).
    let mut o = Overrides::default();
    o.api_urls.insert(Platform::Mastodon, two.uri());
    let proxied = Registry::new(o, None).unwrap();
    assert_eq!(proxied.endpoint(&a).await.unwrap().server, two.uri());
}

#[tokio::test]
async fn a_bluesky_handle_leads_to_its_pds() {
    // One fake plays the AppView (resolveHandle) and the PLC directory; another the PDS.
    let pds = MockServer::start().await;
    let directory = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/xrpc/com.atproto.identity.resolveHandle"))
        .and(query_param("handle", "city.example.jp"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz"})),
        )
        .expect(1)
        .mount(&directory)
        .await;
    Mock::given(method("GET"))
        .and(path("/xrpc/com.atproto.identity.resolveHandle"))
        .and(query_param("handle", "nobody.example.jp"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": "InvalidRequest", "message": "Unable to resolve handle"}),
        ))
        .mount(&directory)
        .await;
    Mock::given(method("GET"))
        .and(path("/did:plc:ewvi7nxzyoun6zhxrhs64oiz"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
            "alsoKnownAs": ["at://city.example.jp"],
            "verificationMethod": [],
            "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                         "serviceEndpoint": pds.uri()}]
        })))
        .expect(1)
        .mount(&directory)
        .await;
    let o = Overrides {
        plc_url: Some(directory.uri()),
        handle_resolver: Some(directory.uri()),
        ..Overrides::default()
    };
    let registry = Registry::new(o, None).unwrap();
    let addr = AccountAddress {
        platform: Platform::Bluesky,
        handle: "@city.example.jp",
        url: Some("https://bsky.app/profile/city.example.jp"),
    };
    let e = registry.endpoint(&addr).await.unwrap();
    assert_eq!(e.server, pds.uri());
    assert!(e.refresher.is_some(), "Bluesky sessions are refreshed");
    // Resolved once, then cached (the mocks expect one call each).
    let again = registry.endpoint(&addr).await.unwrap();
    assert!(Arc::ptr_eq(&e.connector, &again.connector));

    // The account may name its PDS itself: no lookup.
    let named = registry
        .endpoint(&AccountAddress {
            platform: Platform::Bluesky,
            handle: "kanko.example.jp",
            url: Some("https://pds.kanko.example.jp"),
        })
        .await
        .unwrap();
    assert_eq!(named.server, "https://pds.kanko.example.jp");

    let err = registry
        .endpoint(&AccountAddress {
            platform: Platform::Bluesky,
            handle: "nobody.example.jp",
            url: None,
        })
        .await
        .err()
        .unwrap();
    assert!(matches!(err, ConnectError::Rejected { .. }), "{err:?}");
}

#[tokio::test]
async fn global_platforms_share_one_connector_and_get_their_refreshers() {
    let registry = Registry::new(Overrides::default(), None).unwrap();
    let x = |handle| AccountAddress {
        platform: Platform::X,
        handle,
        url: None,
    };
    let a = registry.endpoint(&x("@city")).await.unwrap();
    let b = registry.endpoint(&x("@kanko")).await.unwrap();
    assert!(Arc::ptr_eq(&a.connector, &b.connector));
    assert_eq!(a.server, koho_connect::x::DEFAULT_BASE_URL);
    // No X app configured: nothing to refresh with.
    assert!(a.refresher.is_none());
    let threads = registry
        .endpoint(&AccountAddress {
            platform: Platform::Threads,
            handle: "city",
            url: None,
        })
        .await
        .unwrap();
    assert!(threads.refresher.is_some());
    assert!(matches!(
        registry
            .endpoint(&AccountAddress {
                platform: Platform::Youtube,
                handle: "city",
                url: None
            })
            .await
            .err()
            .unwrap(),
        ConnectError::Unsupported { .. }
    ));
}

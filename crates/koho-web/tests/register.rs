//! The public register on a real socket: `/official-accounts` (HTML, JSON, CSV), each
//! account's operation policy, `/verify`, every municipality under `/m/{slug}/`, and the
//! caching contract (public, ETag, 304, a new ETag after a change).

// Helpers outside #[test] functions may unwrap too: a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{HeaderMap, Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use koho_check::{Checker, Guideline};
use koho_store::{AccountState, Actor, NewAuditEntry, Store, Subject};
use koho_web::{AppState, Options};
use koho_workflow::Workflow;
use serde_json::Value;

struct TestApp {
    addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
    store: Store,
    midori: Workflow,
}

struct Resp {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn preset(id: &str) -> Guideline {
    Guideline::preset(id).unwrap().unwrap()
}

/// みどり市 (the default) and a second municipality `hikari`, both filled by the demo, on a fresh in-memory database.
async fn spawn_app() -> TestApp {
    spawn_app_on("sqlite::memory:").await
}

async fn spawn_app_on(url: &str) -> TestApp {
    let store = Store::open(url).await.unwrap();
    koho_workflow::demo::fill(&store, "midori", preset("midori"))
        .await
        .unwrap();
    // A second municipality of the shared deployment (the demo's data, another slug).
    koho_workflow::demo::fill(&store, "hikari", preset("midori"))
        .await
        .unwrap();
    let midori = Workflow::open(&store, "midori", preset("midori"))
        .await
        .unwrap();
    let hikari = Workflow::open(&store, "hikari", preset("midori"))
        .await
        .unwrap();
    let g = preset("midori");
    let c = Checker::new(&g).unwrap();
    let state = AppState::new(
        store.clone(),
        vec![midori.clone(), hikari],
        (g, c),
        vec![],
        Options {
            secure_cookies: true,
            ..Options::default()
        },
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, koho_web::router(state))
            .await
            .unwrap();
    });
    TestApp {
        addr,
        client: Client::builder(TokioExecutor::new()).build_http(),
        store,
        midori,
    }
}

impl TestApp {
    async fn send(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut b = Request::builder()
            .method(Method::GET)
            .uri(format!("http://{}{path}", self.addr));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let res = self
            .client
            .request(b.body(Full::new(Bytes::new())).unwrap())
            .await
            .unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    async fn get(&self, path: &str) -> Resp {
        self.send(path, &[]).await
    }

    async fn json(&self, path: &str) -> Resp {
        self.send(path, &[("accept", "application/json")]).await
    }
}

fn assert_public(r: &Resp) {
    assert!(
        r.header("cache-control").starts_with("public, max-age="),
        "{}",
        r.header("cache-control")
    );
    assert!(r.header("etag").starts_with('"'), "{}", r.header("etag"));
    // Nothing private: no CSRF cookie on a page shared caches may keep.
    assert!(r.headers.get("set-cookie").is_none());
    // The security headers stay.
    assert!(
        r.header("content-security-policy")
            .contains("default-src 'none'")
    );
    assert_eq!(r.header("x-content-type-options"), "nosniff");
}

const PUBLIC: &[&str] = &["active", "grandfathered", "suspended", "closed"];

#[tokio::test]
async fn the_register_page_lists_public_accounts_and_is_cacheable() {
    let app = spawn_app().await;
    let r = app.get("/official-accounts").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("content-type").starts_with("text/html"));
    assert_public(&r);
    assert!(r.header("vary").contains("Cookie"));
    assert!(r.body.contains("<html lang=\"ja\""));
    assert!(
        r.body
            .contains("みどり市の公式ソーシャルメディアアカウント")
    );
    assert!(r.body.contains("<caption"));
    assert!(r.body.contains("href=\"/official-accounts.csv\""));
    // Every public account is listed, nothing applied for or rejected.
    for a in app.midori.accounts().await.unwrap() {
        let shown = r.body.contains(&format!("id=\"account-{}\"", a.id));
        assert_eq!(
            shown,
            PUBLIC.contains(&a.state.as_str()),
            "{} {}",
            a.fields.handle,
            a.state
        );
    }
    // Revalidation: the same version is 304 without a body, still public.
    let etag = r.header("etag").to_owned();
    let again = app
        .send("/official-accounts", &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);
    assert!(again.header("cache-control").starts_with("public"));
    // English from the same catalogue, with its own validator.
    let en = app.get("/official-accounts?lang=en").await;
    assert!(en.body.contains("Official social-media accounts of"));
    assert_ne!(en.header("etag"), etag);
    // Staff pages are still never stored.
    assert_eq!(app.get("/check").await.header("cache-control"), "no-store");
}

#[tokio::test]
async fn json_and_csv_carry_the_same_rows() {
    let app = spawn_app().await;
    let j = app.get("/official-accounts.json").await;
    assert_eq!(j.status, 200);
    assert!(j.header("content-type").starts_with("application/json"));
    assert_public(&j);
    let v = j.json();
    assert_eq!(v["municipality"]["slug"], "midori");
    assert_eq!(v["municipality"]["name"], "みどり市");
    let rows = v["accounts"].as_array().unwrap();
    assert!(rows.len() >= 5, "{rows:?}");
    for row in rows {
        assert!(PUBLIC.contains(&row["state"].as_str().unwrap()), "{row}");
        if let Some(u) = row["policy_url"].as_str() {
            assert_eq!(
                u,
                format!(
                    "/official-accounts/{}/policy",
                    row["account_id"].as_str().unwrap()
                )
            );
        }
    }
    let c = app.get("/official-accounts.csv").await;
    assert_eq!(c.status, 200);
    assert!(
        c.header("content-type")
            .starts_with("text/csv; charset=utf-8")
    );
    assert!(
        c.header("content-disposition")
            .contains("official-accounts-midori.csv")
    );
    assert_public(&c);
    // UTF-8 with a byte-order mark and CRLF: what Excel in a Japanese office reads.
    assert!(c.body.starts_with('\u{FEFF}'));
    assert!(c.body.contains("\r\n"));
    let lines: Vec<&str> = c.body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), rows.len() + 1);
    assert!(lines[0].contains("サービス"));
    for row in rows {
        assert!(c.body.contains(row["handle"].as_str().unwrap()));
    }
}

#[tokio::test]
async fn every_municipality_answers_under_its_slug() {
    let app = spawn_app().await;
    let root = app.get("/official-accounts.json").await.json();
    let m = app.get("/m/midori/official-accounts.json").await.json();
    assert_eq!(
        root["accounts"].as_array().unwrap().len(),
        m["accounts"].as_array().unwrap().len()
    );
    for row in m["accounts"].as_array().unwrap() {
        if let Some(u) = row["policy_url"].as_str() {
            assert!(u.starts_with("/m/midori/official-accounts/"), "{u}");
            assert_eq!(app.get(u).await.status, 200, "{u}");
        }
    }
    let mine = app.get("/m/hikari/official-accounts.json").await.json();
    assert_eq!(mine["municipality"]["slug"], "hikari");
    assert_eq!(mine["municipality"]["guideline"], "midori");
    let page = app.get("/m/hikari/official-accounts").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("href=\"/m/hikari/official-accounts.csv\"")
    );
    assert!(page.body.contains("href=\"/m/hikari/verify\""));
    // The registers are separate: no account of one appears in the other.
    let ids = |v: &Value| -> Vec<String> {
        v["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["account_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(ids(&mine).iter().all(|i| !ids(&m).contains(i)));
    // An unknown municipality: coded 404, JSON for JSON, HTML otherwise.
    let r = app.get("/m/nowhere/official-accounts.json").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "REGISTER_UNKNOWN_MUNICIPALITY");
    assert_eq!(r.header("cache-control"), "no-store");
    let r = app.get("/m/nowhere/verify?q=x").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("REGISTER_UNKNOWN_MUNICIPALITY"));
}

#[tokio::test]
async fn a_policy_page_shows_the_published_text_or_a_coded_404() {
    let app = spawn_app().await;
    let rows = app.get("/official-accounts.json").await.json()["accounts"]
        .as_array()
        .unwrap()
        .clone();
    let with = rows
        .iter()
        .find(|r| r["policy_version"].is_i64())
        .expect("a published policy");
    let id = with["account_id"].as_str().unwrap();
    let r = app.get(&format!("/official-accounts/{id}/policy")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_public(&r);
    let detail = app.midori.detail(&id.into()).await.unwrap();
    let body = &detail
        .policies
        .iter()
        .find(|p| p.status == koho_store::PolicyStatus::Published)
        .unwrap()
        .body;
    let first_line = body.lines().find(|l| !l.trim().is_empty()).unwrap().trim();
    let escaped = first_line.replace('&', "&amp;").replace('<', "&lt;");
    assert!(r.body.contains(&escaped), "{first_line}");
    if let Some(without) = rows.iter().find(|r| r["policy_version"].is_null()) {
        let r = app
            .json(&format!(
                "/official-accounts/{}/policy",
                without["account_id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(r.status, 404);
        assert_eq!(r.json()["error"]["code"], "REGISTER_POLICY_NOT_FOUND");
    }
    // An account that is not public (applied for) has no public policy page either.
    let hidden = app
        .midori
        .accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.state == AccountState::Applied)
        .expect("an applied account in the demo");
    let r = app
        .get(&format!("/official-accounts/{}/policy", hidden.id))
        .await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("REGISTER_ACCOUNT_NOT_FOUND"));
}

#[tokio::test]
async fn verify_answers_official_suspended_and_lookalikes() {
    let app = spawn_app().await;
    // The form alone.
    let r = app.get("/verify").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("name=\"q\""));
    assert_public(&r);
    // An official account by URL, in HTML and JSON.
    let r = app.get("/verify?q=https%3A%2F%2Fx.com%2Fmidori_city").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("verify-result--official"), "{}", r.body);
    assert!(r.body.contains("みどり市の公式アカウントです"));
    let j = app.json("/verify?q=%40midori_city").await;
    assert!(j.header("content-type").starts_with("application/json"));
    assert!(j.header("vary").contains("Accept"));
    let v = j.json();
    assert_eq!(v["verdict"], "official");
    assert_eq!(v["account"]["handle"], "@midori_city");
    assert_eq!(v["municipality"]["slug"], "midori");
    // A suspended one.
    let rows = app.get("/official-accounts.json").await.json();
    if let Some(s) = rows["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["state"] == "suspended")
    {
        let q = s["handle"].as_str().unwrap().replace('@', "%40");
        let v = app.json(&format!("/verify?q={q}")).await.json();
        assert_eq!(v["verdict"], "suspended");
    }
    // A lookalike: digits for letters.
    let r = app.get("/verify?q=%40midori_c1ty").await;
    assert!(r.body.contains("verify-result--not-official"));
    assert!(r.body.contains("verify-lookalikes"));
    assert!(r.body.contains("@midori_city"));
    let v = app.json("/verify?q=%40midori_c1ty").await.json();
    assert_eq!(v["verdict"], "not-official");
    assert!(
        v["lookalikes"][0]["tricks"]
            .as_array()
            .unwrap()
            .contains(&Value::from("digit-for-letter")),
        "{v}"
    );
    // English.
    let en = app.get("/verify?q=%40midori_city&lang=en").await;
    assert!(en.body.contains("is an official account of"));
    // Bad input: coded errors, never stored.
    let long = "a".repeat(301);
    let r = app.json(&format!("/verify?q={long}")).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "VERIFY_QUERY_TOO_LONG");
    assert_eq!(r.header("cache-control"), "no-store");
    let r = app.json("/verify").await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "VERIFY_QUERY_EMPTY");
    let r = app.get("/verify?q=a%07b").await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("VERIFY_QUERY_CONTROL_CHAR"));
    // Markup in the query is shown as text.
    let r = app.get("/verify?q=%3Cscript%3Ex%3C%2Fscript%3E").await;
    assert!(!r.body.contains("<script>x"));
}

#[tokio::test]
async fn a_change_in_the_register_is_seen_at_once_with_a_new_etag() {
    let app = spawn_app().await;
    let before = app.get("/official-accounts.json").await;
    let etag = before.header("etag").to_owned();
    let target = app
        .midori
        .accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.state == AccountState::Active && a.fields.handle != "@midori_city")
        .unwrap();
    // Any change is audited in its transaction: that moves the chain head.
    let mut tx = app.store.begin(app.midori.tenant()).await.unwrap();
    let mut changed = target.clone();
    changed.state = AccountState::Closed;
    let changed = tx.accounts().update(&changed).await.unwrap();
    tx.audit()
        .append(
            &NewAuditEntry::new(
                Actor::System,
                "account.close",
                Subject::new("official_account", target.id.as_str()),
            )
            .after(&changed)
            .unwrap(),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let after = app
        .send("/official-accounts.json", &[("if-none-match", &etag)])
        .await;
    assert_eq!(after.status, 200);
    assert_ne!(after.header("etag"), etag);
    let row = after.json()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account_id"] == target.id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["state"], "closed");
}

/// Another process (the CLI, a second server) writes to the same database: the server
/// learns of it within `HEAD_RECHECK`, and serves no page rendered before the change.
#[tokio::test]
async fn a_change_by_another_process_shows_within_the_recheck_interval() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("koho.db").display());
    let app = spawn_app_on(&url).await;
    let html_before = app.get("/official-accounts").await;
    let json_before = app.get("/official-accounts.json").await;
    let other = Store::open(&url).await.unwrap();
    let wf = Workflow::open(&other, "midori", preset("midori"))
        .await
        .unwrap();
    let target = wf
        .accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.state == AccountState::Active && a.fields.handle != "@midori_city")
        .unwrap();
    let mut tx = other.begin(wf.tenant()).await.unwrap();
    let mut changed = target.clone();
    changed.state = AccountState::Closed;
    let changed = tx.accounts().update(&changed).await.unwrap();
    tx.audit()
        .append(
            &NewAuditEntry::new(
                Actor::System,
                "account.close",
                Subject::new("official_account", target.id.as_str()),
            )
            .after(&changed)
            .unwrap(),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let written = std::time::Instant::now();
    let state = |r: &Resp| {
        r.json()["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["account_id"] == target.id.as_str())
            .map(|r| r["state"].clone())
            .unwrap()
    };
    loop {
        let now = app.get("/official-accounts.json").await;
        if state(&now) == "closed" {
            assert_ne!(now.header("etag"), json_before.header("etag"));
            break;
        }
        assert_eq!(
            now.header("etag"),
            json_before.header("etag"),
            "stale rows under a new validator"
        );
        assert!(
            written.elapsed() < koho_web::HEAD_RECHECK * 4,
            "still not seen after {:?}",
            written.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let html_after = app.get("/official-accounts").await;
    assert_ne!(html_after.header("etag"), html_before.header("etag"));
    assert_ne!(
        html_after.body, html_before.body,
        "a page rendered before the change was served"
    );
}

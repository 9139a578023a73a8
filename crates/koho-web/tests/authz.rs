//! Every route of the router, walked by every role and by an anonymous visitor, against one
//! table of expected statuses. A route the router has but the table lacks (or the other way
//! round) fails the test, so no page or API route can be added without deciding who may
//! use it.

// Helpers outside #[test] functions may unwrap too: a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use koho_check::{Checker, Guideline};
use koho_store::{ApplicationStatus, Role};
use koho_web::{AppState, Options};
use koho_workflow::Workflow;
use koho_workflow::auth::{AuthSettings, demo_totp_secret};
use koho_workflow::totp::format_code;

#[path = "authz_rows/register.rs"]
mod register_rows;

struct App {
    addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
}

struct Resp {
    status: u16,
    location: String,
    cookies: Vec<String>,
    body: String,
}

impl App {
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        for (k, v) in headers {
            b = b.header(*k, v.as_str());
        }
        let res = self
            .client
            .request(b.body(Full::new(Bytes::from(body))).unwrap())
            .await
            .unwrap();
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let cookies = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            location,
            cookies,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// A browser-like visitor: a cookie jar and, when signed in, an API token.
#[derive(Clone)]
struct Visitor {
    name: &'static str,
    cookies: Vec<String>,
    bearer: Option<String>,
}

impl Visitor {
    fn cookie_header(&self) -> String {
        self.cookies.join("; ")
    }

    fn absorb(&mut self, r: &Resp) {
        for c in &r.cookies {
            let name = c.split('=').next().unwrap().to_owned();
            self.cookies.retain(|x| !x.starts_with(&format!("{name}=")));
            if !c.ends_with('=') {
                self.cookies.push(c.clone());
            }
        }
    }

    fn csrf(&self) -> String {
        self.cookies
            .iter()
            .find_map(|c| c.strip_prefix("koho_csrf="))
            .unwrap()
            .to_owned()
    }

    async fn request(&mut self, app: &App, method: Method, path: &str, form: &str) -> Resp {
        let mut headers = vec![("cookie", self.cookie_header())];
        let body = if path.starts_with("/api/") {
            if let Some(b) = &self.bearer {
                headers.push(("authorization", format!("Bearer {b}")));
            }
            headers.push(("content-type", "application/json".to_owned()));
            form.to_owned()
        } else if method == Method::POST {
            headers.push((
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ));
            if form.is_empty() {
                format!("csrf={}", self.csrf())
            } else {
                format!("csrf={}&{form}", self.csrf())
            }
        } else {
            String::new()
        };
        let r = app.send(method, path, &headers, body).await;
        self.absorb(&r);
        r
    }
}

/// A 1×1 PNG for an outbox job's image.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The path of a live media link to an outbox image (as Instagram would fetch it).
async fn media_path(store: &koho_store::Store, site: &Workflow) -> String {
    use koho_workflow::publisher::{
        ApprovedTarget, Connectors, ImageInput, Publisher, PublisherConfig, SystemClock,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let publisher = Publisher::new(
        store.clone(),
        Connectors::new(),
        koho_workflow::credentials::CredentialKey::generate().unwrap(),
        std::sync::Arc::new(SystemClock),
        PublisherConfig::new("authz"),
    )
    .unwrap();
    let tenant = store.tenant_by_slug("midori").await.unwrap();
    // A real post target (its post stays a draft, so no round queues it by itself).
    let author = site
        .people()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.display_name == "佐藤 翼")
        .unwrap();
    let draft = site
        .draft_post(
            &koho_workflow::posts::PostDraft {
                accounts: vec![
                    site.accounts()
                        .await
                        .unwrap()
                        .into_iter()
                        .find(|a| a.fields.handle == "@midori_bousai")
                        .unwrap()
                        .id,
                ],
                body: "お知らせ".into(),
                ..koho_workflow::posts::PostDraft::default()
            },
            &author.id,
            now,
        )
        .await
        .unwrap();
    let target = &draft.targets[0].target;
    let job = publisher
        .enqueue(
            &tenant,
            &ApprovedTarget {
                post_target_id: target.id.clone(),
                account_id: target.account_id.clone(),
                text: "お知らせ".into(),
                images: vec![ImageInput {
                    bytes: PNG_1X1.to_vec(),
                    alt_text: Some("図".into()),
                }],
                not_before: now,
                deadline: now + 3_600_000,
            },
            &koho_store::Actor::Cli,
        )
        .await
        .unwrap();
    let host = koho_workflow::media_links::StoreMediaHost::new(
        store.clone(),
        "https://koho.example.jp",
        std::time::Duration::from_secs(3600),
        std::sync::Arc::new(SystemClock),
    )
    .unwrap();
    let url = host.link_for(&job.idempotency_key, 0).await.unwrap();
    url.strip_prefix("https://koho.example.jp")
        .unwrap()
        .to_owned()
}

async fn spawn() -> (App, Workflow, String) {
    let store = koho_store::Store::open("sqlite::memory:").await.unwrap();
    let g = Guideline::preset("midori").unwrap().unwrap();
    let c = Checker::new(&g).unwrap();
    koho_workflow::demo::fill(&store, "midori", g.clone())
        .await
        .unwrap();
    let site = Workflow::open(&store, "midori", g.clone()).await.unwrap();
    site.install_demo_credentials().await.unwrap();
    let media = media_path(&store, &site).await;
    let state = AppState::new(
        store,
        vec![site.clone()],
        (g, c),
        vec![],
        Options {
            secure_cookies: false,
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
    (
        App {
            addr,
            client: Client::builder(TokioExecutor::new()).build_http(),
        },
        site,
        media,
    )
}

/// Signs in a demo person by e-mail (password + the TOTP code of now) and gives them an
/// API token with one of their roles.
async fn sign_in(
    app: &App,
    site: &Workflow,
    name: &'static str,
    email: &str,
    role: Role,
) -> Visitor {
    let mut v = Visitor {
        name,
        cookies: Vec::new(),
        bearer: None,
    };
    let r = v.request(app, Method::GET, "/login", "").await;
    assert_eq!(r.status, 200);
    let secret = demo_totp_secret(email).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let form = format!(
        "email={}&password={}&code={}",
        form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>(),
        koho_workflow::auth::DEMO_PASSWORD,
        format_code(secret.code_at(now))
    );
    let r = v.request(app, Method::POST, "/login", &form).await;
    assert_eq!(r.status, 303, "{name} could not sign in: {}", r.body);
    assert!(v.cookies.iter().any(|c| c.starts_with("koho_session=")));
    let person = site.person_by_email(email).await.unwrap();
    let issued = site
        .issue_token(
            &format!("walk-{name}"),
            &person.id,
            role,
            now + 3_600_000,
            &AuthSettings::default(),
            &koho_store::Actor::Cli,
            now,
        )
        .await
        .unwrap();
    v.bearer = Some(issued.token.expose().to_owned());
    v
}

const ANON: usize = 0;
/// Visitor indexes: anonymous, staff, section chief, auditor, PR office chief (approver).
const APPROVER: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_with_every_role() {
    let (app, site, media) = spawn().await;
    let people = site.people().await.unwrap();
    let email_of = |name: &str| {
        people
            .iter()
            .find(|p| p.display_name == name)
            .unwrap_or_else(|| panic!("no demo person {name}"))
            .email
            .clone()
    };
    let mut visitors = [
        Visitor {
            name: "anonymous",
            cookies: Vec::new(),
            bearer: None,
        },
        sign_in(&app, &site, "staff", &email_of("佐藤 翼"), Role::Staff).await,
        sign_in(
            &app,
            &site,
            "section-chief",
            &email_of("山本 健"),
            Role::SectionChief,
        )
        .await,
        sign_in(
            &app,
            &site,
            "auditor",
            &email_of("井上 由美"),
            Role::Auditor,
        )
        .await,
        sign_in(
            &app,
            &site,
            "pr-office-chief",
            &email_of("緑川 一郎"),
            Role::PrOfficeChief,
        )
        .await,
    ];
    // The anonymous visitor gets its CSRF cookie like any browser.
    let r = visitors[ANON]
        .request(&app, Method::GET, "/login", "")
        .await;
    assert_eq!(r.status, 200);

    let pending = site
        .applications(Some(ApplicationStatus::Submitted))
        .await
        .unwrap();
    let app_id = pending
        .first()
        .expect("the demo has a pending application")
        .id
        .to_string();
    let account_id = site.accounts().await.unwrap()[0].id.to_string();
    let posts = PostFixtures::make(&site, &email_of("佐藤 翼"), &email_of("山本 健")).await;
    let bousai_x = posts.account.clone();
    // An account whose operation policy is published, from the public register itself.
    let register = app
        .send(Method::GET, "/official-accounts.json", &[], String::new())
        .await;
    let register: serde_json::Value = serde_json::from_str(&register.body).unwrap();
    let policy_path = register["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|row| row["policy_url"].as_str())
        .expect("the demo publishes a policy")
        .to_owned();
    let home = app.send(Method::GET, "/", &[], String::new()).await;
    let icon = {
        let at = home.body.find("href=\"/static/").unwrap() + "href=\"".len();
        let rest = &home.body[at..];
        rest[..rest.find('"').unwrap()].to_owned()
    };

    // (route, method, concrete path, form or JSON body, expected status per visitor:
    //  anonymous, staff, section chief, auditor, PR office chief = the opening approver)
    let s303 = [303, 200, 200, 200, 200];
    let mut table: Vec<(&str, Method, String, String, [u16; 5])> = vec![
        ("/", Method::GET, "/".into(), String::new(), [200; 5]),
        (
            "/check",
            Method::GET,
            "/check".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/check",
            Method::POST,
            "/check".into(),
            "text=%E3%81%8A%E7%9F%A5%E3%82%89%E3%81%9B&platform=x".into(),
            [200; 5],
        ),
        (
            "/static/{*path}",
            Method::GET,
            icon,
            String::new(),
            [200; 5],
        ),
        (
            "/official-accounts",
            Method::GET,
            "/official-accounts".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/official-accounts.json",
            Method::GET,
            "/official-accounts.json".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/official-accounts.csv",
            Method::GET,
            "/official-accounts.csv".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/official-accounts/{id}/policy",
            Method::GET,
            policy_path.clone(),
            String::new(),
            [200; 5],
        ),
        (
            "/verify",
            Method::GET,
            "/verify?q=%40midori_clty".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/m/{slug}/official-accounts",
            Method::GET,
            "/m/midori/official-accounts".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/m/{slug}/official-accounts.json",
            Method::GET,
            "/m/midori/official-accounts.json".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/m/{slug}/official-accounts.csv",
            Method::GET,
            "/m/midori/official-accounts.csv".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/m/{slug}/official-accounts/{id}/policy",
            Method::GET,
            format!("/m/midori{policy_path}"),
            String::new(),
            [200; 5],
        ),
        (
            "/m/{slug}/verify",
            Method::GET,
            "/m/midori/verify?q=%40midori_clty".into(),
            String::new(),
            [200; 5],
        ),
        // Outbox images for the platforms that download them: public, no sign-in.
        (
            "/m/{slug}/media/{token}",
            Method::GET,
            media.clone(),
            String::new(),
            [200; 5],
        ),
        (
            "/archive.atom",
            Method::GET,
            "/archive.atom".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/login",
            Method::GET,
            "/login".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/login",
            Method::POST,
            "/login".into(),
            "email=nobody%40example.jp&password=x&code=000000".into(),
            [401; 5],
        ),
        ("/staff", Method::GET, "/staff".into(), String::new(), s303),
        (
            "/staff/applications",
            Method::GET,
            "/staff/applications".into(),
            String::new(),
            s303,
        ),
        (
            "/staff/applications/{id}",
            Method::GET,
            format!("/staff/applications/{app_id}"),
            String::new(),
            s303,
        ),
        (
            "/staff/accounts/{id}",
            Method::GET,
            format!("/staff/accounts/{account_id}"),
            String::new(),
            s303,
        ),
        (
            "/staff/settings",
            Method::GET,
            "/staff/settings".into(),
            String::new(),
            s303,
        ),
        (
            "/staff/settings",
            Method::POST,
            "/staff/settings".into(),
            "lang=ja".into(),
            [303; 5],
        ),
        // Only the approver the guideline names decides; the first decision wins, the
        // second finds the application decided.
        (
            "/staff/applications/{id}/approve",
            Method::POST,
            format!("/staff/applications/{app_id}/approve"),
            "note=".into(),
            [303, 403, 403, 403, 303],
        ),
        (
            "/staff/applications/{id}/reject",
            Method::POST,
            format!("/staff/applications/{app_id}/reject"),
            "note=x".into(),
            [303, 403, 403, 403, 409],
        ),
        (
            "/healthz",
            Method::GET,
            "/healthz".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/api/check",
            Method::POST,
            "/api/check".into(),
            "{\"text\":\"お知らせ\"}".into(),
            [200; 5],
        ),
        (
            "/api/openapi.json",
            Method::GET,
            "/api/openapi.json".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/api/me",
            Method::GET,
            "/api/me".into(),
            String::new(),
            [401, 200, 200, 200, 200],
        ),
        (
            "/api/applications",
            Method::GET,
            "/api/applications?status=submitted".into(),
            String::new(),
            [401, 200, 200, 200, 200],
        ),
        // Posts. Staff (佐藤, 危機管理課) write; the section chief of the same section (山本)
        // approves (みどり市 第5条(1)); the auditor reads only; the PR office chief (緑川) may
        // write for any account but is not the approver the guideline names.
        (
            "/staff/posts",
            Method::GET,
            "/staff/posts?state=draft".into(),
            String::new(),
            s303,
        ),
        (
            "/staff/posts",
            Method::POST,
            "/staff/posts".into(),
            format!(
                "account={bousai_x}&body=%E9%98%B2%E7%81%BD%E8%A8%93%E7%B7%B4%E3%81%AE%E3%81%8A%E7%9F%A5%E3%82%89%E3%81%9B&intent=save"
            ),
            [303, 303, 303, 403, 303],
        ),
        (
            "/staff/posts/new",
            Method::GET,
            "/staff/posts/new".into(),
            String::new(),
            [303, 200, 200, 403, 200],
        ),
        (
            "/staff/posts/{id}",
            Method::GET,
            format!("/staff/posts/{}", posts.draft),
            String::new(),
            s303,
        ),
        (
            "/staff/posts/{id}/edit",
            Method::GET,
            format!("/staff/posts/{}/edit", posts.draft),
            String::new(),
            [303, 200, 200, 403, 200],
        ),
        (
            "/staff/posts/{id}/edit",
            Method::POST,
            format!("/staff/posts/{}/edit", posts.draft),
            format!(
                "account={bousai_x}&body=%E9%98%B2%E7%81%BD%E8%A8%93%E7%B7%B4%E3%81%AE%E6%97%A5%E7%A8%8B&publish_at=&intent=save"
            ),
            [303, 303, 303, 403, 303],
        ),
        (
            "/staff/posts/{id}/schedule",
            Method::POST,
            format!("/staff/posts/{}/schedule", posts.draft),
            "publish_at=".into(),
            [303, 303, 303, 403, 303],
        ),
        // The author submits; a second submission finds it submitted.
        (
            "/staff/posts/{id}/submit",
            Method::POST,
            format!("/staff/posts/{}/submit", posts.to_submit),
            "exception=&exception_reason=".into(),
            [303, 303, 409, 403, 409],
        ),
        // Only the section's chief decides, never the author.
        (
            "/staff/posts/{id}/override",
            Method::POST,
            format!("/staff/posts/{}/override", posts.submitted),
            "reason=x&clause=%E7%AC%AC6%E6%9D%A1(1)".into(),
            [303, 403, 303, 403, 403],
        ),
        (
            "/staff/posts/{id}/approve",
            Method::POST,
            format!("/staff/posts/{}/approve", posts.submitted),
            "note=".into(),
            [303, 403, 303, 403, 403],
        ),
        (
            "/staff/posts/{id}/reject",
            Method::POST,
            format!("/staff/posts/{}/reject", posts.submitted),
            "note=x".into(),
            [303, 403, 409, 403, 403],
        ),
        (
            "/staff/posts/{id}/withdraw",
            Method::POST,
            format!("/staff/posts/{}/withdraw", posts.to_withdraw),
            String::new(),
            [303, 303, 409, 403, 409],
        ),
        // The emergency post's report goes to the section chief; its reporter may not
        // acknowledge it, and once acknowledged it stays so.
        (
            "/staff/posts/{id}/acknowledge",
            Method::POST,
            format!("/staff/posts/{}/acknowledge", posts.emergency),
            String::new(),
            [303, 403, 303, 409, 409],
        ),
        (
            "/staff/posts/{id}/correct",
            Method::POST,
            format!("/staff/posts/{}/correct", posts.published),
            "body=%E8%A8%82%E6%AD%A3&apology=%E3%81%8A%E8%A9%AB%E3%81%B3".into(),
            [303, 303, 303, 403, 303],
        ),
        // みどり市's guideline has no rule for department requests: every attempt is refused
        // with that reason (the pages themselves are tested with a guideline that has one).
        (
            "/staff/requests",
            Method::GET,
            "/staff/requests".into(),
            String::new(),
            s303,
        ),
        (
            "/staff/requests",
            Method::POST,
            "/staff/requests".into(),
            "title=a&body=b".into(),
            [303, 422, 422, 403, 422],
        ),
        (
            "/staff/requests/{id}/accept",
            Method::POST,
            "/staff/requests/00000000-0000-0000-0000-000000000000/accept".into(),
            String::new(),
            [303, 422, 422, 403, 422],
        ),
        (
            "/staff/requests/{id}/decline",
            Method::POST,
            "/staff/requests/00000000-0000-0000-0000-000000000000/decline".into(),
            "reason=x".into(),
            [303, 422, 422, 422, 422],
        ),
        (
            "/api/posts",
            Method::GET,
            "/api/posts?state=draft".into(),
            String::new(),
            [401, 200, 200, 200, 200],
        ),
        (
            "/api/posts",
            Method::POST,
            "/api/posts".into(),
            format!("{{\"accounts\":[\"{bousai_x}\"],\"body\":\"防災訓練のお知らせ\"}}"),
            [401, 201, 201, 403, 201],
        ),
        (
            "/api/posts/{id}",
            Method::GET,
            format!("/api/posts/{}", posts.draft),
            String::new(),
            [401, 200, 200, 200, 200],
        ),
        (
            "/api/posts/{id}/submit",
            Method::POST,
            format!("/api/posts/{}/submit", posts.api_to_submit),
            "{}".into(),
            [401, 200, 409, 403, 409],
        ),
        (
            "/api/posts/{id}/approve",
            Method::POST,
            format!("/api/posts/{}/approve", posts.api_submitted),
            "{}".into(),
            [401, 403, 200, 403, 403],
        ),
        (
            "/api/posts/{id}/reject",
            Method::POST,
            format!("/api/posts/{}/reject", posts.api_submitted),
            "{\"reason\":\"x\"}".into(),
            [401, 403, 409, 403, 403],
        ),
        (
            "/api/posts/{id}/schedule",
            Method::POST,
            format!("/api/posts/{}/schedule", posts.draft),
            "{\"publish_at\":null}".into(),
            [401, 200, 200, 403, 200],
        ),
        (
            "/api/emergency",
            Method::POST,
            "/api/emergency".into(),
            format!(
                "{{\"accounts\":[\"{bousai_x}\"],\"body\":\"避難所を開設しました。\",\"reason\":\"大雨警報\"}}"
            ),
            [401, 201, 201, 403, 201],
        ),
        // Last: signing out ends the walk.
        (
            "/logout",
            Method::POST,
            "/logout".into(),
            String::new(),
            [303; 5],
        ),
    ];

    // Rows of other modules, before signing out (the last row).
    let last = table.len() - 1;
    table.splice(last..last, register_rows::rows(&site).await);

    // The table and the router list the same routes.
    let routed: BTreeSet<(String, String)> = koho_web::route_table()
        .into_iter()
        .map(|(p, m)| (p.to_owned(), m.to_string()))
        .collect();
    let tabled: BTreeSet<(String, String)> = table
        .iter()
        .map(|(p, m, ..)| ((*p).to_owned(), m.to_string()))
        .collect();
    let missing: Vec<_> = routed.difference(&tabled).collect();
    let extra: Vec<_> = tabled.difference(&routed).collect();
    assert!(
        missing.is_empty(),
        "routes without an expected status: {missing:?}"
    );
    assert!(extra.is_empty(), "table rows without a route: {extra:?}");

    let mut failures = Vec::new();
    for (route, method, path, body, want) in &table {
        for (i, v) in visitors.iter_mut().enumerate() {
            let r = v.request(&app, method.clone(), path, body).await;
            if r.status != want[i] {
                failures.push(format!(
                    "{method} {route} as {}: {} (want {}) {}",
                    v.name,
                    r.status,
                    want[i],
                    r.body.chars().take(300).collect::<String>()
                ));
            }
            // Pages send anonymous visitors to the sign-in page, remembering where.
            if i == ANON && want[i] == 303 && !route.starts_with("/logout") && route != &"/login" {
                assert!(
                    r.location.starts_with("/login?next=%2F"),
                    "{route}: {}",
                    r.location
                );
            }
            // Refusals name the guideline clause.
            if r.status == 403 && route.ends_with("/approve") {
                let g = site.guideline();
                let clause = if route.contains("/posts/") {
                    g.post_approval.clauses.first().unwrap()
                } else {
                    g.opening.clauses.last().unwrap()
                };
                assert!(r.body.contains("AUTH_FORBIDDEN"), "{}", r.body);
                assert!(
                    r.body.contains(clause.as_str()),
                    "{route} as {}: no clause {clause}",
                    v.name
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // After signing out, the old session cookie opens nothing.
    let mut gone = visitors[APPROVER].clone();
    let r = gone.request(&app, Method::GET, "/staff", "").await;
    assert_eq!(r.status, 303);
    // The approval happened once, by the approver.
    let decided = site.find_application(&app_id, None).await.unwrap();
    assert_eq!(decided.status, ApplicationStatus::Approved);
}

/// Posts in each state the walk needs, written through the workflow by 佐藤 (危機管理課) for
/// the section's X account and decided by its chief 山本.
struct PostFixtures {
    account: String,
    draft: String,
    to_submit: String,
    submitted: String,
    to_withdraw: String,
    emergency: String,
    published: String,
    api_to_submit: String,
    api_submitted: String,
}

impl PostFixtures {
    async fn make(site: &Workflow, staff_email: &str, chief_email: &str) -> PostFixtures {
        use koho_workflow::posts::{ExceptionChoice, PostDraft};
        let staff = site.person_by_email(staff_email).await.unwrap().id;
        let chief = site.person_by_email(chief_email).await.unwrap().id;
        let account = site
            .accounts()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.fields.handle == "@midori_bousai")
            .unwrap()
            .id;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let draft = |body: &str| PostDraft {
            accounts: vec![account.clone()],
            body: body.to_owned(),
            ..PostDraft::default()
        };
        let mut ids = Vec::new();
        for body in [
            "防災訓練を行います。",
            "防災無線の試験放送を行います。",
            "避難所の一覧を更新しました。",
            "防災マップを配布します。",
            "防災講座の参加者を募集します。",
            "備蓄品の点検を行います。",
            "消防団の訓練を行います。",
            "防災アプリの使い方を紹介します。",
        ] {
            ids.push(
                site.draft_post(&draft(body), &staff, now)
                    .await
                    .unwrap()
                    .post
                    .id,
            );
        }
        site.submit_post(&ids[2], &staff, None, now).await.unwrap();
        site.submit_post(&ids[6], &staff, None, now).await.unwrap();
        site.submit_post(
            &ids[4],
            &staff,
            Some(&ExceptionChoice {
                id: "emergency".into(),
                reason: "大雨で避難指示が出たため".into(),
            }),
            now,
        )
        .await
        .unwrap();
        // Approved, then published: a correction can be made of it.
        site.submit_post(&ids[5], &staff, None, now).await.unwrap();
        let v = site.approve_post(&ids[5], &chief, None, now).await.unwrap();
        site.record_published(
            &v.targets[0].target.id,
            "1",
            Some("https://x.com/midori_bousai/status/1"),
            now,
        )
        .await
        .unwrap();
        let s = |i: usize| ids[i].to_string();
        PostFixtures {
            account: account.to_string(),
            draft: s(0),
            to_submit: s(1),
            submitted: s(2),
            to_withdraw: s(3),
            emergency: s(4),
            published: s(5),
            api_to_submit: s(7),
            api_submitted: s(6),
        }
    }
}

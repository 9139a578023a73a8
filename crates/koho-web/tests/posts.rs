//! The posts pages and API over HTTP, against the real router and a fresh demo database
//! (みどり市: approval required, the section chief approves, 第5条(1); exceptions 第5条(2)
//! already public and 第5条(3) emergency, reported to the section chief). Each step of the
//! posting workflow and each refusal: the refusal keeps its code and cites the clause.

// Helpers outside #[test] functions may unwrap too: a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use koho_check::{Checker, Guideline};
use koho_store::{PostId, PostState, Role, TargetState};
use koho_web::{AppState, Options};
use koho_workflow::Workflow;
use koho_workflow::auth::{AuthSettings, demo_totp_secret};
use koho_workflow::totp::format_code;
use serde_json::{Value, json};

/// A private person's name with a mobile number: an error finding (personal information).
const VIOLATION: &str = "防災訓練の担当は山田花子さん（090-1234-5678）です。";
const FIXED: &str = "防災訓練の問い合わせは危機管理課（0123-45-6789）まで。";

struct App {
    addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
    site: Workflow,
}

struct Resp {
    status: u16,
    location: String,
    cookies: Vec<String>,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
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

    async fn account(&self, handle: &str) -> String {
        self.site
            .accounts()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.fields.handle == handle)
            .unwrap()
            .id
            .to_string()
    }
}

/// A signed-in browser (cookies) with an API token for one of the person's roles.
struct User {
    cookies: Vec<String>,
    token: String,
}

impl User {
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

    async fn get(&mut self, app: &App, path: &str) -> Resp {
        let r = app
            .send(
                Method::GET,
                path,
                &[("cookie", self.cookies.join("; "))],
                String::new(),
            )
            .await;
        self.absorb(&r);
        r
    }

    /// A form post with the CSRF token, as the page's form sends it.
    async fn post(&mut self, app: &App, path: &str, form: &str) -> Resp {
        let body = if form.is_empty() {
            format!("csrf={}", self.csrf())
        } else {
            format!("csrf={}&{form}", self.csrf())
        };
        let r = app
            .send(
                Method::POST,
                path,
                &[
                    ("cookie", self.cookies.join("; ")),
                    (
                        "content-type",
                        "application/x-www-form-urlencoded".to_owned(),
                    ),
                ],
                body,
            )
            .await;
        self.absorb(&r);
        r
    }

    async fn api(&self, app: &App, method: Method, path: &str, body: Value) -> Resp {
        app.send(
            method,
            path,
            &[
                ("authorization", format!("Bearer {}", self.token)),
                ("content-type", "application/json".to_owned()),
            ],
            if body.is_null() {
                String::new()
            } else {
                body.to_string()
            },
        )
        .await
    }
}

fn guideline(extra: &str) -> Guideline {
    let src = format!(
        "{}\n{extra}",
        koho_guideline::preset_source("midori").unwrap()
    );
    Guideline::parse("midori.toml", &src).unwrap()
}

async fn spawn_with(g: Guideline) -> App {
    let store = koho_store::Store::open("sqlite::memory:").await.unwrap();
    let c = Checker::new(&g).unwrap();
    koho_workflow::demo::fill(&store, "midori", g.clone())
        .await
        .unwrap();
    let site = Workflow::open(&store, "midori", g.clone()).await.unwrap();
    site.install_demo_credentials().await.unwrap();
    let state = AppState::new(
        store,
        vec![site.clone()],
        (g, c),
        vec![],
        Options::default(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, koho_web::router(state))
            .await
            .unwrap();
    });
    App {
        addr,
        client: Client::builder(TokioExecutor::new()).build_http(),
        site,
    }
}

async fn spawn() -> App {
    spawn_with(Guideline::preset("midori").unwrap().unwrap()).await
}

async fn sign_in(app: &App, name: &str, role: Role) -> User {
    let person = app
        .site
        .people()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.display_name == name)
        .unwrap_or_else(|| panic!("no demo person {name}"));
    let mut u = User {
        cookies: Vec::new(),
        token: String::new(),
    };
    u.get(app, "/login").await;
    let code = format_code(demo_totp_secret(&person.email).unwrap().code_at(now()));
    let r = u
        .post(
            app,
            "/login",
            &format!(
                "email={}&password={}&code={code}",
                enc(&person.email),
                koho_workflow::auth::DEMO_PASSWORD
            ),
        )
        .await;
    assert_eq!(r.status, 303, "{name} could not sign in: {}", r.body);
    let issued = app
        .site
        .issue_token(
            &format!("posts-{}-{}", role.as_str(), &person.id.as_str()[..8]),
            &person.id,
            role,
            now() + 3_600_000,
            &AuthSettings::default(),
            &koho_store::Actor::Cli,
            now(),
        )
        .await
        .unwrap();
    u.token = issued.token.expose().to_owned();
    u
}

/// 佐藤 翼 (危機管理課 staff) and 山本 健 (its section chief, the approver).
async fn drafter_and_chief(app: &App) -> (User, User) {
    (
        sign_in(app, "佐藤 翼", Role::Staff).await,
        sign_in(app, "山本 健", Role::SectionChief).await,
    )
}

fn post_id(location: &str) -> String {
    let rest = location.strip_prefix("/staff/posts/").unwrap();
    rest[..36].to_owned()
}

async fn state_of(app: &App, id: &str) -> PostState {
    app.site.post(&PostId::from(id)).await.unwrap().post.state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flagged_draft_is_fixed_submitted_and_approved_by_the_chief_with_the_diff() {
    let app = spawn().await;
    let (mut staff, mut chief) = drafter_and_chief(&app).await;
    let x = app.account("@midori_bousai").await;

    // The editor lists the section's accounts and the guideline's exceptions.
    let r = staff.get(&app, "/staff/posts/new").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("@midori_bousai") && r.body.contains("emergency"));
    assert!(
        !r.body.contains("@midori_kanko"),
        "another section's account"
    );

    // Saving a draft with a violation stores it with its findings, rendered on the server.
    let r = staff
        .post(
            &app,
            "/staff/posts",
            &format!("account={x}&body={}&intent=save", enc(VIOLATION)),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location.ends_with("?done=saved"), "{}", r.location);
    let id = post_id(&r.location);
    let page = staff.get(&app, &format!("/staff/posts/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<mark class=\"sev-error\">"), "marked");
    assert!(page.body.contains("id=\"blocked\""));
    let g = app.site.guideline();
    let clause = &g
        .check(koho_guideline::Category::PersonalInfo)
        .unwrap()
        .clauses[0];
    assert!(
        page.body.contains(clause.as_str()),
        "the finding cites {clause}"
    );
    // The editor shows the same findings without JavaScript.
    let edit = staff.get(&app, &format!("/staff/posts/{id}/edit")).await;
    assert!(
        edit.body.contains("<mark class=\"sev-error\">") && edit.body.contains(clause.as_str())
    );

    // Submitting is refused while the error stands; the author may not override.
    let r = staff
        .post(&app, &format!("/staff/posts/{id}/submit"), "exception=")
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_CHECK_ERRORS") && r.body.contains("midori"));
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/override"),
            &format!("reason=x&clause={}", enc("第6条(1)")),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("AUTH_FORBIDDEN") && r.body.contains("第5条(1)"));

    // Fixed, saved and submitted in one step.
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/edit"),
            &format!("account={x}&body={}&publish_at=&intent=submit", enc(FIXED)),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location.ends_with("?done=submitted"), "{}", r.location);
    assert_eq!(state_of(&app, &id).await, PostState::Submitted);

    // The chief sees it waiting on the dashboard, with the diff from version 1.
    let dash = chief.get(&app, "/staff").await;
    assert!(dash.body.contains(&format!("/staff/posts/{id}")));
    let page = chief.get(&app, &format!("/staff/posts/{id}")).await;
    assert!(page.body.contains("id=\"diff\""));
    assert!(page.body.contains("<del class=\"diff__removed\">"));
    assert!(page.body.contains("<ins class=\"diff__added\">"));
    assert!(page.body.contains("id=\"approve\""));

    // Refusals: a rejection needs a reason; the drafter's role may not decide.
    let r = chief
        .post(&app, &format!("/staff/posts/{id}/reject"), "note=")
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_REASON_REQUIRED") && r.body.contains("第5条(1)"));
    let r = staff
        .post(&app, &format!("/staff/posts/{id}/approve"), "note=")
        .await;
    assert_eq!(r.status, 403);
    let r = chief
        .post(&app, &format!("/staff/posts/{id}/approve"), "note=")
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let v = app.site.post(&PostId::from(id.as_str())).await.unwrap();
    assert_eq!(v.post.state, PostState::Approved);
    assert!(
        v.targets
            .iter()
            .all(|t| t.target.state == TargetState::Scheduled)
    );
    // Approving twice finds it approved.
    let r = chief
        .post(&app, &format!("/staff/posts/{id}/approve"), "note=")
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("POST_ILLEGAL_TRANSITION"));

    // Scheduling: a past time is refused, a future one is kept, in Asia/Tokyo.
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/schedule"),
            "publish_at=2020-01-01T09%3A00",
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_TIME_PASSED"));
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/schedule"),
            "publish_at=not-a-time",
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_INVALID_TIME"));
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/schedule"),
            "publish_at=2099-06-01T09%3A30",
        )
        .await;
    assert_eq!(r.status, 303);
    let v = app.site.post(&PostId::from(id.as_str())).await.unwrap();
    let want = koho_workflow::posts::tz::parse_local("2099-06-01 09:30", "Asia/Tokyo").unwrap();
    assert_eq!(v.post.publish_at, Some(want));
    assert_eq!(v.targets[0].target.publish_at, Some(want));
    let page = staff.get(&app, &format!("/staff/posts/{id}")).await;
    assert!(page.body.contains("2099-06-01 09:30"));
    let dash = staff.get(&app, "/staff").await;
    assert!(dash.body.contains("post-scheduled-heading") && dash.body.contains(&id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chief_overrides_findings_with_a_reason_citing_a_clause() {
    let app = spawn().await;
    let (mut staff, mut chief) = drafter_and_chief(&app).await;
    let x = app.account("@midori_bousai").await;
    let r = staff
        .post(
            &app,
            "/staff/posts",
            &format!("account={x}&body={}&intent=submit", enc(VIOLATION)),
        )
        .await;
    // Saved, but the submission in the same step is refused: the page says why.
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("POST_CHECK_ERRORS"));
    let id = post_id(&r.body[r.body.find("action=\"/staff/posts/").unwrap() + 8..]);
    let page = chief.get(&app, &format!("/staff/posts/{id}")).await;
    assert!(page.body.contains("id=\"override\""));
    let r = chief
        .post(
            &app,
            &format!("/staff/posts/{id}/override"),
            "reason=x&clause=99",
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_UNKNOWN_CLAUSE"));
    let r = chief
        .post(
            &app,
            &format!("/staff/posts/{id}/override"),
            &format!("reason=&clause={}", enc("第6条(1)")),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_REASON_REQUIRED"));
    let r = chief
        .post(
            &app,
            &format!("/staff/posts/{id}/override"),
            &format!(
                "reason={}&clause={}",
                enc("本人の同意を得て掲載する"),
                enc("第6条(1)")
            ),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = chief.get(&app, &format!("/staff/posts/{id}")).await;
    assert!(
        page.body.contains("本人の同意を得て掲載する") && page.body.contains("midori 第6条(1)")
    );
    assert!(!page.body.contains("id=\"blocked\""));
    let r = staff
        .post(&app, &format!("/staff/posts/{id}/submit"), "exception=")
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(state_of(&app, &id).await, PostState::Submitted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceptions_need_a_reason_and_an_emergency_report_is_acknowledged_by_the_chief() {
    let app = spawn().await;
    let (mut staff, mut chief) = drafter_and_chief(&app).await;
    let x = app.account("@midori_bousai").await;
    let make = |body: &str| format!("account={x}&body={}&intent=save", enc(body));
    let r = staff
        .post(
            &app,
            "/staff/posts",
            &make("市ホームページの防災情報を再掲します。"),
        )
        .await;
    let id = post_id(&r.location);
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/submit"),
            "exception=already-public&exception_reason=",
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_REASON_REQUIRED") && r.body.contains("第5条(2)"));
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/submit"),
            "exception=nope&exception_reason=x",
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_UNKNOWN_EXCEPTION"));
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/submit"),
            &format!(
                "exception=already-public&exception_reason={}",
                enc("4月1日に市ホームページで公表済み")
            ),
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(r.location.ends_with("done=cleared"), "{}", r.location);
    assert_eq!(state_of(&app, &id).await, PostState::Approved);

    // Emergency: out at once, the post-hoc report waits for the chief.
    let r = staff
        .post(&app, "/staff/posts", &make("避難所を開設しました。"))
        .await;
    let id = post_id(&r.location);
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/submit"),
            &format!("exception=emergency&exception_reason={}", enc("大雨警報")),
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(r.location.ends_with("done=emergency"), "{}", r.location);
    let dash = chief.get(&app, "/staff").await;
    assert!(section(&dash.body, "post-reports-heading").contains(&id));
    let r = staff
        .post(&app, &format!("/staff/posts/{id}/acknowledge"), "")
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("POST_SELF_APPROVAL"));
    let page = chief.get(&app, &format!("/staff/posts/{id}")).await;
    assert!(page.body.contains("id=\"acknowledge\"") && page.body.contains("大雨警報"));
    let r = chief
        .post(&app, &format!("/staff/posts/{id}/acknowledge"), "")
        .await;
    assert_eq!(r.status, 303);
    let r = chief
        .post(&app, &format!("/staff/posts/{id}/acknowledge"), "")
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("POST_ALREADY_ACKNOWLEDGED"));
    let dash = chief.get(&app, "/staff").await;
    assert!(!section(&dash.body, "post-reports-heading").contains(&id));
    let page = chief.get(&app, &format!("/staff/posts/{id}")).await;
    assert!(!page.body.contains("id=\"acknowledge\""));
    assert!(page.body.contains("id=\"report-state\""));
}

/// The part of a page from a heading's id to the end of its section (empty if absent).
fn section<'a>(body: &'a str, heading: &str) -> &'a str {
    let Some(at) = body.find(&format!("id=\"{heading}\"")) else {
        return "";
    };
    let rest = &body[at..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fills_every_list_of_the_dashboard() {
    let app = spawn().await;
    let (mut staff, mut chief) = drafter_and_chief(&app).await;
    let dash = staff.get(&app, "/staff").await;
    assert!(section(&dash.body, "post-drafts-heading").contains("防災マップの改訂版"));
    assert!(section(&dash.body, "post-expired-heading").contains("防災講座"));
    let alerts = section(&dash.body, "post-alerts-heading");
    assert!(
        alerts.contains("防災訓練の参加者") && alerts.contains("未確認"),
        "{alerts}"
    );
    let dash = chief.get(&app, "/staff").await;
    assert!(section(&dash.body, "post-reports-heading").contains("避難所を開設"));
    // The author was told of the expiry.
    let me = app
        .site
        .person_by_email(
            &app.site
                .people()
                .await
                .unwrap()
                .into_iter()
                .find(|p| p.display_name == "佐藤 翼")
                .unwrap()
                .email,
        )
        .await
        .unwrap();
    let told = app.site.notifications(&me.id).await.unwrap();
    assert!(told.iter().any(|n| n.kind == "post-expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawal_refusals_and_forms_keep_what_was_typed() {
    let app = spawn().await;
    let (mut staff, _) = drafter_and_chief(&app).await;
    let x = app.account("@midori_bousai").await;
    let kanko = app.account("midori_kanko").await;

    // Bad input re-renders the editor with the text kept.
    let r = staff
        .post(
            &app,
            "/staff/posts",
            &format!("body={}&intent=save", enc(FIXED)),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_NO_TARGETS") && r.body.contains(FIXED));
    let r = staff
        .post(
            &app,
            "/staff/posts",
            &format!("account={kanko}&body={}&intent=save", enc(FIXED)),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("POST_OTHER_DEPARTMENT"));
    let r = staff
        .post(
            &app,
            "/staff/posts",
            &format!(
                "account={x}&body={}&publish_at=2020-01-01T09%3A00&intent=save",
                enc(FIXED)
            ),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_TIME_PASSED") && r.body.contains("2020-01-01T09:00"));
    let r = staff.post(&app, "/staff/posts", "body=a&unknown=1").await;
    assert_eq!(r.status, 400);
    // No CSRF token, no change.
    let r = app
        .send(
            Method::POST,
            "/staff/posts",
            &[
                ("cookie", staff.cookies.join("; ")),
                (
                    "content-type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
            ],
            format!("account={x}&body=a"),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("CSRF_TOKEN_MISSING"));

    let r = staff
        .post(
            &app,
            "/staff/posts",
            &format!("account={x}&body={}&intent=save", enc(FIXED)),
        )
        .await;
    let id = post_id(&r.location);
    let r = staff
        .post(&app, &format!("/staff/posts/{id}/withdraw"), "")
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(state_of(&app, &id).await, PostState::Withdrawn);
    let r = staff
        .post(&app, &format!("/staff/posts/{id}/withdraw"), "")
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("POST_ILLEGAL_TRANSITION"));
    // The list filters by state.
    let list = staff.get(&app, "/staff/posts?state=withdrawn").await;
    assert!(list.body.contains(&id));
    let list = staff.get(&app, "/staff/posts?state=draft").await;
    assert!(!list.body.contains(&id));
    let r = staff.get(&app, "/staff/posts?state=nope").await;
    assert_eq!(r.status, 422);
    let r = staff.get(&app, "/staff/posts/not-a-uuid").await;
    assert_eq!(r.status, 404);
    // Every message comes from the catalogue: English on request.
    for path in [
        "/staff/posts/new?lang=en".to_owned(),
        format!("/staff/posts/{id}?lang=en"),
        "/staff/requests?lang=en".to_owned(),
    ] {
        let r = staff.get(&app, &path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.body.contains("<html lang=\"en\">"), "{path}");
    }
    let r = staff.get(&app, "/staff/posts/new?lang=en").await;
    assert!(r.body.contains("New post") && r.body.contains("Save and submit"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_of_a_published_post_links_both_ways() {
    let app = spawn().await;
    let (mut staff, mut chief) = drafter_and_chief(&app).await;
    let x = app.account("@midori_bousai").await;
    let r = staff
        .post(
            &app,
            "/staff/posts",
            &format!(
                "account={x}&body={}&intent=submit",
                enc("防災訓練は6月1日です。")
            ),
        )
        .await;
    let id = post_id(&r.location);
    chief
        .post(&app, &format!("/staff/posts/{id}/approve"), "note=")
        .await;
    // Not published yet: nothing to correct.
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/correct"),
            &format!("body=a&apology={}", enc("お詫びします")),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_NOT_PUBLISHED"));
    let v = app.site.post(&PostId::from(id.as_str())).await.unwrap();
    app.site
        .record_published(
            &v.targets[0].target.id,
            "77",
            Some("https://x.com/midori_bousai/status/77"),
            now(),
        )
        .await
        .unwrap();
    let page = staff.get(&app, &format!("/staff/posts/{id}")).await;
    assert!(page.body.contains("https://x.com/midori_bousai/status/77"));
    assert!(page.body.contains("data-target-state=\"published\""));
    assert!(page.body.contains("id=\"correct\""));
    // 第11条: a correction needs an apology.
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/correct"),
            &format!("body={}&apology=", enc("防災訓練は6月2日です。")),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_APOLOGY_REQUIRED") && r.body.contains("第11条"));
    let r = staff
        .post(
            &app,
            &format!("/staff/posts/{id}/correct"),
            &format!(
                "body={}&apology={}",
                enc("防災訓練は6月2日です。"),
                enc("日付に誤りがありました。お詫びして訂正します。")
            ),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let cid = post_id(&r.location);
    let page = staff.get(&app, &format!("/staff/posts/{cid}")).await;
    assert!(page.body.contains(&format!("href=\"/staff/posts/{id}\"")));
    assert!(page.body.contains("id=\"corrects-link\""));
    let page = staff.get(&app, &format!("/staff/posts/{id}")).await;
    assert!(page.body.contains(&format!("href=\"/staff/posts/{cid}\"")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn department_requests_are_taken_up_or_declined_with_a_reason() {
    // みどり市's guideline with a request rule like 美祢市 第4-2(3) and share categories like
    // 第4-2(4).
    let app = spawn_with(guideline(
        "[content.requests]\ndecided_by = \"pr-office\"\nclause = [\"第8条\"]\n\
         [[content.shares]]\nid = \"public-bodies\"\nlabel = \"公共機関が発信する情報\"\nclause = [\"第8条\"]\n",
    ))
    .await;
    let (mut staff, mut chief) = drafter_and_chief(&app).await;
    let mut pr = sign_in(&app, "木村 花子", Role::PrOffice).await;
    let x = app.account("@midori_city").await;

    let page = staff.get(&app, "/staff/requests").await;
    assert!(page.body.contains("id=\"send-request\"") && page.body.contains("第8条"));
    let r = staff
        .post(
            &app,
            "/staff/requests",
            &format!(
                "title={}&body={}&desired_at=",
                enc("防災訓練の告知"),
                enc("6月1日に防災訓練を行います。")
            ),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = staff
        .post(
            &app,
            "/staff/requests",
            &format!("title={}&body={}", enc("防災講座"), enc("講座を開きます。")),
        )
        .await;
    assert_eq!(r.status, 303);
    let reqs = app.site.requests().await.unwrap();
    let (second, first) = (reqs[0].id.to_string(), reqs[1].id.to_string());

    // Only the PR office decides.
    let r = chief
        .post(
            &app,
            &format!("/staff/requests/{first}/accept"),
            &format!("account={x}"),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let page = pr.get(&app, "/staff/requests").await;
    assert!(
        page.body
            .contains(&format!("/staff/requests/{first}/accept"))
    );
    let r = pr
        .post(
            &app,
            &format!("/staff/requests/{first}/accept"),
            &format!("account={x}"),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let draft = post_id(&r.location);
    let v = app.site.post(&PostId::from(draft.as_str())).await.unwrap();
    assert_eq!(v.version.body, "6月1日に防災訓練を行います。");
    assert!(v.post.request_id.is_some());
    let r = pr
        .post(
            &app,
            &format!("/staff/requests/{first}/decline"),
            "reason=x",
        )
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("POST_REQUEST_DECIDED"));
    let r = pr
        .post(
            &app,
            &format!("/staff/requests/{second}/decline"),
            "reason=",
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_REASON_REQUIRED"));
    let r = pr
        .post(
            &app,
            &format!("/staff/requests/{second}/decline"),
            &format!("reason={}", enc("市公式アカウントでは発信しない内容のため")),
        )
        .await;
    assert_eq!(r.status, 303);
    let page = staff.get(&app, "/staff/requests").await;
    assert!(
        page.body
            .contains("市公式アカウントでは発信しない内容のため")
    );

    // Shares only in the guideline's categories.
    let r = pr
        .post(
            &app,
            "/staff/posts",
            &format!(
                "account={x}&kind=share&share_url={}&share_category=&body={}&intent=save",
                enc("https://www.pref.example.lg.jp/"),
                enc("県からのお知らせです。")
            ),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("POST_SHARE_CATEGORY") && r.body.contains("第8条"));
    let page = pr.get(&app, "/staff/posts/new").await;
    assert!(page.body.contains("public-bodies"));
    let r = pr
        .post(
            &app,
            "/staff/posts",
            &format!(
                "account={x}&kind=share&share_url={}&share_category=public-bodies&body={}&intent=save",
                enc("https://www.pref.example.lg.jp/"),
                enc("県からのお知らせです。")
            ),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_posts_api_drafts_submits_decides_schedules_and_takes_emergencies() {
    let app = spawn().await;
    let (staff, chief) = drafter_and_chief(&app).await;
    let x = app.account("@midori_bousai").await;

    let r = app
        .send(Method::GET, "/api/posts", &[], String::new())
        .await;
    assert_eq!(r.status, 401);
    let r = staff
        .api(
            &app,
            Method::POST,
            "/api/posts",
            json!({"accounts": [x], "body": VIOLATION}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    let id = v["post"]["id"].as_str().unwrap().to_owned();
    assert!(v["blocked"].as_bool().unwrap());
    let r = staff
        .api(
            &app,
            Method::POST,
            &format!("/api/posts/{id}/submit"),
            Value::Null,
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "POST_CHECK_ERRORS");
    let r = staff
        .api(
            &app,
            Method::POST,
            "/api/posts",
            json!({"accounts": [x], "body": FIXED, "bogus": 1}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "API_INVALID_REQUEST");
    let r = staff
        .api(
            &app,
            Method::POST,
            "/api/posts",
            json!({"accounts": [x], "body": FIXED, "publish_at": "2099-06-01T09:30"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let id = r.json()["post"]["id"].as_str().unwrap().to_owned();
    let r = staff
        .api(
            &app,
            Method::POST,
            &format!("/api/posts/{id}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["post"]["state"], "submitted");
    let r = staff
        .api(
            &app,
            Method::POST,
            &format!("/api/posts/{id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "AUTH_FORBIDDEN");
    let r = chief
        .api(
            &app,
            Method::POST,
            &format!("/api/posts/{id}/reject"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "POST_REASON_REQUIRED");
    let r = chief
        .api(
            &app,
            Method::POST,
            &format!("/api/posts/{id}/approve"),
            json!({"note": "確認済み"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["post"]["state"], "approved");
    let r = staff
        .api(
            &app,
            Method::POST,
            &format!("/api/posts/{id}/schedule"),
            json!({"publish_at": "2099-07-01T10:00"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let want = koho_workflow::posts::tz::parse_local("2099-07-01 10:00", "Asia/Tokyo").unwrap();
    assert_eq!(r.json()["post"]["publish_at"], want);
    let r = staff
        .api(&app, Method::GET, &format!("/api/posts/{id}"), Value::Null)
        .await;
    assert_eq!(r.json()["targets"][0]["state"], "scheduled");
    let r = staff
        .api(&app, Method::GET, "/api/posts?state=approved", Value::Null)
        .await;
    assert!(
        r.json()["posts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id.as_str())
    );
    let r = staff
        .api(&app, Method::GET, "/api/posts?state=nope", Value::Null)
        .await;
    assert_eq!(r.status, 422);

    // Emergencies go out at once with a post-hoc report for the section chief.
    let r = staff
        .api(
            &app,
            Method::POST,
            "/api/emergency",
            json!({"accounts": [x], "body": "避難所を開設しました。", "reason": ""}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = staff
        .api(
            &app,
            Method::POST,
            "/api/emergency",
            json!({"accounts": [x], "body": "避難所を開設しました。", "reason": "大雨警報"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["post"]["state"], "approved");
    assert_eq!(v["post"]["exception_id"], "emergency");
    assert_eq!(v["report"]["report_to_role"], "section-chief");
    assert_eq!(v["targets"][0]["state"], "scheduled");
    // The auditor's token reads but does not write.
    let auditor = sign_in(&app, "井上 由美", Role::Auditor).await;
    let r = auditor
        .api(
            &app,
            Method::POST,
            "/api/emergency",
            json!({"accounts": [x], "body": "a", "reason": "b"}),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guideline_without_an_emergency_exception_refuses_emergencies() {
    let src = koho_guideline::preset_source("midori")
        .unwrap()
        .replace("post_hoc_report_to = \"section-chief\"\n", "");
    let app = spawn_with(Guideline::parse("midori.toml", &src).unwrap()).await;
    let (staff, _) = drafter_and_chief(&app).await;
    let x = app.account("@midori_bousai").await;
    let r = staff
        .api(
            &app,
            Method::POST,
            "/api/emergency",
            json!({"accounts": [x], "body": "避難所を開設しました。", "reason": "大雨"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "POST_NO_EMERGENCY");
}

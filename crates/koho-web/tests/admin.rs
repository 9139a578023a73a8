//! The register's staff screens, the public archive, the audit log viewer, people and API
//! tokens, and the register's JSON API, on a real socket: each action and each refusal,
//! with the guideline clause the refusal cites.

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
use koho_store::{
    AccountFields, AccountKind, AccountState, Actor, NewAccount, NewPerson, Platform, Role, Store,
    TargetState, VerificationStatus,
};
use koho_web::{AppState, Options};
use koho_workflow::Workflow;
use koho_workflow::auth::{AuthSettings, DEMO_PASSWORD, Password, demo_totp_secret};
use koho_workflow::posts::{CorrectionDraft, PostDraft};
use koho_workflow::totp::{TotpSecret, format_code};
use serde_json::Value;

fn preset(id: &str) -> Guideline {
    Guideline::preset(id).unwrap().unwrap()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

struct App {
    addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
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

/// Serves `sites` (the first is the default municipality) from `store`.
async fn serve(store: Store, sites: Vec<Workflow>) -> App {
    let g = sites[0].guideline().clone();
    let c = Checker::new(&g).unwrap();
    let state = AppState::new(
        store,
        sites,
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
    App {
        addr,
        client: Client::builder(TokioExecutor::new()).build_http(),
    }
}

/// The みどり市 demo on a fresh in-memory database, demo sign-ins installed.
async fn midori() -> (App, Workflow, Store) {
    let store = Store::open("sqlite::memory:").await.unwrap();
    koho_workflow::demo::fill(&store, "midori", preset("midori"))
        .await
        .unwrap();
    let site = Workflow::open(&store, "midori", preset("midori"))
        .await
        .unwrap();
    site.install_demo_credentials().await.unwrap();
    (serve(store.clone(), vec![site.clone()]).await, site, store)
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
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, &[], String::new()).await
    }

    async fn api(&self, method: Method, path: &str, token: &str, body: &str) -> Resp {
        self.send(
            method,
            path,
            &[
                ("authorization", format!("Bearer {token}")),
                ("content-type", "application/json".to_owned()),
            ],
            body.to_owned(),
        )
        .await
    }
}

/// A signed-in browser: its cookies.
struct Browser {
    cookies: Vec<String>,
}

impl Browser {
    fn absorb(&mut self, r: &Resp) {
        for c in r.headers.get_all("set-cookie") {
            let c = c.to_str().unwrap().split(';').next().unwrap().to_owned();
            let name = c.split('=').next().unwrap().to_owned();
            self.cookies.retain(|x| !x.starts_with(&format!("{name}=")));
            if !c.ends_with('=') {
                self.cookies.push(c);
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
}

/// Signs in with e-mail, password and the TOTP code of now.
async fn sign_in(
    app: &App,
    slug: &str,
    email: &str,
    password: &str,
    secret: &TotpSecret,
) -> Browser {
    let mut b = Browser {
        cookies: Vec::new(),
    };
    let r = b.get(app, "/login").await;
    assert_eq!(r.status, 200);
    let form = format!(
        "municipality={slug}&email={}&password={}&code={}",
        enc(email),
        enc(password),
        format_code(secret.code_at(now_ms()))
    );
    let r = b.post(app, "/login", &form).await;
    assert_eq!(r.status, 303, "{email} could not sign in: {}", r.body);
    b
}

async fn demo_sign_in(app: &App, site: &Workflow, name: &str) -> Browser {
    let p = site
        .people()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.display_name == name)
        .unwrap();
    let secret = demo_totp_secret(&p.email).unwrap();
    sign_in(app, "midori", &p.email, DEMO_PASSWORD, &secret).await
}

async fn token(site: &Workflow, name: &str, role: Role) -> String {
    let p = site
        .people()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.display_name == name)
        .unwrap();
    let now = now_ms();
    site.issue_token(
        &format!("test-{}-{}", &p.id.as_str()[..8], role.as_str()),
        &p.id,
        role,
        now + 3_600_000,
        &AuthSettings::default(),
        &Actor::Cli,
        now,
    )
    .await
    .unwrap()
    .token
    .expose()
    .to_owned()
}

fn location_id(r: &Resp, prefix: &str) -> String {
    let loc = r.header("location");
    let rest = loc
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{loc} does not start with {prefix}"));
    rest[..36].to_owned()
}

// ---------------------------------------------------------------------------------------------

/// 狛江市 4(2)ア: an application compares the proposal with the existing accounts and answers
/// (ア)(イ)(ウ); 4(2)イ: the section chief applies, nobody else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn komae_applies_with_the_existing_account_comparison() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let wf = Workflow::create(&store, "komae", preset("komae"))
        .await
        .unwrap();
    let dept = wf
        .add_department("子育て支援課", &Actor::Cli)
        .await
        .unwrap();
    let add = |name: &str, email: &str, roles: Vec<Role>| NewPerson {
        display_name: name.to_owned(),
        email: email.to_owned(),
        department_id: Some(dept.id.clone()),
        roles,
    };
    let chief = wf
        .add_person(
            &add(
                "子育て 課長",
                "chief@city.komae.lg.jp",
                vec![Role::SectionChief],
            ),
            &Actor::Cli,
        )
        .await
        .unwrap();
    let manager = wf
        .add_person(
            &add(
                "子育て 担当",
                "staff@city.komae.lg.jp",
                vec![Role::AccountManager, Role::Staff],
            ),
            &Actor::Cli,
        )
        .await
        .unwrap();
    // An account the city runs already, about the same matters.
    let mut tx = store.begin(wf.tenant()).await.unwrap();
    tx.accounts()
        .create(&NewAccount {
            fields: AccountFields {
                platform: Platform::X,
                handle: "@komae_kosodate".into(),
                url: None,
                display_name: "狛江市子育て支援".into(),
                department_id: Some(dept.id.clone()),
                manager_id: None,
                registration_email: None,
                purpose: "子育て支援の情報を届ける".into(),
                content_categories: vec!["子育て支援".into(), "イベント".into()],
                tone: None,
                reply_policy: None,
                follow_policy: None,
                approval_required: true,
                kind: AccountKind::Topic,
            },
            state: AccountState::Active,
            verification: VerificationStatus::None,
            followers_count: Some(100),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let now = now_ms();
    let mut secrets = Vec::new();
    for p in [&chief, &manager] {
        wf.set_password(
            &p.id,
            &Password::parse("komae-test-password").unwrap(),
            &Actor::Cli,
            now,
        )
        .await
        .unwrap();
        let s = TotpSecret::generate().unwrap();
        wf.store_totp(&p.id, &s, "koho", &Actor::Cli, now)
            .await
            .unwrap();
        secrets.push(s);
    }
    let app = serve(store.clone(), vec![wf.clone()]).await;

    // 4(2)イ: not the account manager.
    let mut staff = sign_in(
        &app,
        "komae",
        "staff@city.komae.lg.jp",
        "komae-test-password",
        &secrets[1],
    )
    .await;
    let r = staff.get(&app, "/staff/applications/new").await;
    assert_eq!(r.status, 403);
    assert!(
        r.body.contains("AUTH_FORBIDDEN") && r.body.contains("4(2)イ"),
        "{}",
        r.body
    );
    let r = staff
        .post(&app, "/staff/applications/new", "step=compare")
        .await;
    assert_eq!(r.status, 403);

    let mut b = sign_in(
        &app,
        "komae",
        "chief@city.komae.lg.jp",
        "komae-test-password",
        &secrets[0],
    )
    .await;
    let r = b.get(&app, "/staff/applications/new").await;
    assert_eq!(r.status, 200);
    for q in [
        "(ア) 既存アカウントへの情報集約",
        "(イ) 軽微な発信内容",
        "(ウ) 発信回数",
        "komae 4(2)ア",
    ] {
        assert!(r.body.contains(q), "the form lacks {q}");
    }
    // The guideline's own field labels, with their clauses.
    assert!(r.body.contains("表現の硬軟度合い"), "{}", r.body);

    let fields = format!(
        "platform=instagram&handle=%40komae_kosodate_photo&display_name={}&department={}&manager={}\
         &email=kosodate%40city.komae.lg.jp&purpose={}&content={}&tone={}&approval_needed=yes&plan={}",
        enc("狛江市子育て支援インスタグラム"),
        dept.id,
        manager.id,
        enc("子育て支援の情報を写真で届ける"),
        enc("子育て支援\nイベント"),
        enc("やわらかく"),
        enc("週に1回投稿する"),
    );
    // Comparing lists the similar account and drafts the policy from the template.
    let r = b
        .post(
            &app,
            "/staff/applications/new",
            &format!("step=compare&{fields}"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"overlaps\""), "{}", r.body);
    assert!(
        r.body.contains("@komae_kosodate"),
        "the existing account is listed"
    );
    assert!(
        r.body.contains("@komae_kosodate_photo"),
        "the values are kept"
    );
    let policy_start = r.body.find("name=\"policy\"").unwrap();
    let policy = &r.body[policy_start..];
    let policy = &policy[policy.find('>').unwrap() + 1..policy.find("</textarea>").unwrap()];
    assert!(
        policy.contains("ポリシー") || policy.contains("運用"),
        "{policy}"
    );
    let policy = policy
        .replace("&#13;", "")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'");

    // (ア)(イ)(ウ) unanswered: refused, every value still in the form.
    let with_policy = format!("{fields}&policy={}", enc(&policy));
    let r = b
        .post(
            &app,
            "/staff/applications/new",
            &format!("step=submit&{with_policy}"),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("WF_REVIEW_UNANSWERED") && r.body.contains("(ア)"),
        "{}",
        r.body
    );
    assert!(r.body.contains("@komae_kosodate_photo"));
    assert!(wf.applications(None).await.unwrap().is_empty());

    // Answered: filed, the answers kept with the application.
    let answers = format!(
        "review.aggregation={}&review.minor-content={}&review.frequency={}",
        enc("既存の X では写真が伝わりにくい"),
        enc("行事の写真が中心で軽微ではない"),
        enc("週1回で既存の発信を妨げない"),
    );
    let r = b
        .post(
            &app,
            "/staff/applications/new",
            &format!("step=submit&{with_policy}&{answers}"),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = location_id(&r, "/staff/applications/");
    assert!(r.header("location").ends_with("?done=applied"));
    let r = b
        .get(&app, &format!("/staff/applications/{id}?done=applied"))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("開設申請を受け付けました"));
    assert!(
        r.body.contains("既存の X では写真が伝わりにくい"),
        "{}",
        r.body
    );
    let apps = wf.applications(None).await.unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].applicant_id, chief.id);
    // The same handle again: the register keeps it reserved.
    let r = b
        .post(
            &app,
            "/staff/applications/new",
            &format!("step=submit&{with_policy}&{answers}"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("WF_DUPLICATE_HANDLE"), "{}", r.body);
    // A field the form does not have is refused, not ignored.
    let r = b
        .post(&app, "/staff/applications/new", "step=compare&password=x")
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
}

/// 美祢市 様式第1号・第2号 as staff pages: the guideline's words, the hashed stylesheet
/// (no inline style), A4; the approval document only after the approval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mine_forms_print_from_the_staff_pages() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let wf = Workflow::create(&store, "mine", preset("mine"))
        .await
        .unwrap();
    let dept = wf.add_department("観光商工課", &Actor::Cli).await.unwrap();
    let g = wf.guideline().clone();
    let role = |id: &str| koho_workflow::roles::store_role(g.role(id).unwrap().kind);
    let applicant = wf
        .add_person(
            &NewPerson {
                display_name: "観光 課長".into(),
                email: "kanko@city.mine.lg.jp".into(),
                department_id: Some(dept.id.clone()),
                roles: vec![role(&g.opening.applicant)],
            },
            &Actor::Cli,
        )
        .await
        .unwrap();
    let approver = wf
        .add_person(
            &NewPerson {
                display_name: "地方創生 室長".into(),
                email: "chihou@city.mine.lg.jp".into(),
                department_id: None,
                roles: vec![role(&g.opening.approver)],
            },
            &Actor::Cli,
        )
        .await
        .unwrap();
    // Every field 美祢市's form asks for.
    let mut req = koho_workflow::OpeningRequest {
        account: koho_workflow::AccountDraft {
            platform: Some(Platform::Instagram),
            handle: "@mine_kanko".into(),
            url: Some("https://www.instagram.com/mine_kanko".into()),
            display_name: "美祢市観光".into(),
            department: Some(dept.id.clone()),
            manager: Some(applicant.id.clone()),
            email: Some("kanko@city.mine.lg.jp".into()),
            purpose: "観光の魅力を発信する".into(),
            content: vec!["観光".into()],
            tone: Some("やわらかく".into()),
            reply_policy: Some("返信しない".into()),
            follow_policy: Some("フォローしない".into()),
            approval_needed: Some(true),
            main: false,
        },
        plan: "週に1回".into(),
        policy: Some("運用方針".into()),
        credentials_note: Some("課の金庫".into()),
        start_date: Some("令和8年4月".into()),
        other: Some("なし".into()),
        ..Default::default()
    };
    req.review = Default::default();
    let applied = wf.apply(&req, &applicant.id, now_ms()).await.unwrap();
    let id = applied.application.id.to_string();
    let now = now_ms();
    let secret = TotpSecret::generate().unwrap();
    wf.set_password(
        &approver.id,
        &Password::parse("mine-test-password").unwrap(),
        &Actor::Cli,
        now,
    )
    .await
    .unwrap();
    wf.store_totp(&approver.id, &secret, "koho", &Actor::Cli, now)
        .await
        .unwrap();
    let app = serve(store.clone(), vec![wf.clone()]).await;
    let mut b = sign_in(
        &app,
        "mine",
        "chihou@city.mine.lg.jp",
        "mine-test-password",
        &secret,
    )
    .await;

    let r = b
        .get(&app, &format!("/staff/applications/{id}/form/application"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("様式第1号"), "{}", r.body);
    assert!(
        r.body
            .contains("ソーシャルメディア分野別美祢市公式アカウント開設・運用届")
    );
    assert!(r.body.contains("@mine_kanko"));
    assert!(
        r.body
            .contains("<link rel=\"stylesheet\" href=\"/static/css/forms."),
        "{}",
        r.body
    );
    assert!(!r.body.contains("<style"), "no inline style under the CSP");
    let css_url = r.body[r.body.find("/static/css/forms.").unwrap()..]
        .split('"')
        .next()
        .unwrap();
    let css = app.get(css_url).await;
    assert_eq!(css.status, 200);
    assert!(css.body.contains("A4"), "the stylesheet sets the A4 page");
    // The approval document waits for the approval.
    let r = b
        .get(&app, &format!("/staff/applications/{id}/form/approval"))
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("FORM_NOT_APPROVED"), "{}", r.body);
    let r = b
        .post(&app, &format!("/staff/applications/{id}/approve"), "note=")
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = b
        .get(&app, &format!("/staff/applications/{id}/form/approval"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("様式第2号") && r.body.contains("地方創生 室長"),
        "{}",
        r.body
    );
    // Nothing else is a form.
    let r = b
        .get(&app, &format!("/staff/applications/{id}/form/other"))
        .await;
    assert_eq!(r.status, 404);
    // The account's procedures page links both.
    let acc = applied.account.id;
    let r = b.get(&app, &format!("/staff/accounts/{acc}/manage")).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body
            .contains(&format!("/staff/applications/{id}/form/application"))
    );
    assert!(
        r.body
            .contains(&format!("/staff/applications/{id}/form/approval"))
    );
}

/// みどり市: approve, publish the policy (versions kept), start, suspend with the notice
/// and the handle kept, resume, close with a reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_from_approval_to_closure_on_the_staff_pages() {
    let (app, site, _store) = midori().await;
    let people = site.people().await.unwrap();
    let chief_p = people.iter().find(|p| p.display_name == "山本 健").unwrap();
    let staff_p = people.iter().find(|p| p.display_name == "佐藤 翼").unwrap();
    let req = {
        let mut r = koho_workflow::OpeningRequest::default();
        r.account.platform = Some(Platform::Instagram);
        r.account.handle = "midori_bousai_photo".into();
        r.account.display_name = "みどり市防災フォト".into();
        r.account.department = chief_p.department_id.clone();
        r.account.manager = Some(staff_p.id.clone());
        r.account.purpose = "防災訓練の様子を写真で伝える".into();
        r.account.content = vec!["防災訓練".into()];
        r.plan = "月2回".into();
        r.policy = Some("第1版".into());
        r
    };
    let applied = site.apply(&req, &chief_p.id, now_ms()).await.unwrap();
    let acc = applied.account.id.to_string();
    let app_id = applied.application.id.to_string();

    let mut chief = demo_sign_in(&app, &site, "緑川 一郎").await;
    let r = chief
        .post(
            &app,
            &format!("/staff/applications/{app_id}/approve"),
            "note=",
        )
        .await;
    assert_eq!(r.status, 303);
    // Not public before it starts.
    let public = app.get("/official-accounts").await;
    assert!(!public.body.contains("midori_bousai_photo"));
    // みどり市 publishes policies: starting before publishing is refused, citing the clause.
    let r = chief
        .post(&app, &format!("/staff/accounts/{acc}/activate"), "")
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("WF_POLICY_NOT_PUBLISHED"), "{}", r.body);

    // The policy: version 1 drafted at the approval, a written version 2, published.
    let r = chief
        .get(&app, &format!("/staff/accounts/{acc}/policy"))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("第1版"));
    let r = chief
        .post(
            &app,
            &format!("/staff/accounts/{acc}/policy"),
            &format!("body={}", enc("第2版\r\n本文")),
        )
        .await;
    assert_eq!(r.status, 303);
    let r = chief
        .post(&app, &format!("/staff/accounts/{acc}/policy"), "body=+")
        .await;
    assert_eq!(r.status, 422, "an empty policy is refused");
    let r = chief
        .post(
            &app,
            &format!("/staff/accounts/{acc}/policy/publish"),
            "version=2",
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = chief
        .post(
            &app,
            &format!("/staff/accounts/{acc}/policy/publish"),
            "version=2",
        )
        .await;
    assert_eq!(
        r.status, 422,
        "a published version is not published again: {}",
        r.body
    );
    let d = site.detail(&applied.account.id).await.unwrap();
    assert_eq!(d.policies.len(), 2);
    assert_eq!(d.policies[1].body, "第2版\n本文");
    // The auditor neither drafts nor publishes (みどり市 operation_policy).
    let mut auditor = demo_sign_in(&app, &site, "井上 由美").await;
    let r = auditor
        .post(&app, &format!("/staff/accounts/{acc}/policy"), "body=x")
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("AUTH_FORBIDDEN"));

    let r = chief
        .post(&app, &format!("/staff/accounts/{acc}/activate"), "")
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let public = app.get("/official-accounts").await;
    assert!(
        public.body.contains("midori_bousai_photo"),
        "listed once running"
    );

    // みどり市 第10条: the account manager suspends and resumes (here 佐藤 翼, of the
    // account's section), the PR office chief closes.
    let r = chief
        .post(&app, &format!("/staff/accounts/{acc}/suspend"), "reason=x")
        .await;
    assert_eq!(r.status, 403);
    assert!(
        r.body.contains("第10条"),
        "the refusal cites the clause: {}",
        r.body
    );
    let mut manager = demo_sign_in(&app, &site, "佐藤 翼").await;
    let r = manager
        .get(&app, &format!("/staff/accounts/{acc}/manage"))
        .await;
    assert!(
        r.body.contains("id=\"suspend\"") && !r.body.contains("id=\"close\""),
        "{}",
        r.body
    );
    let r = manager
        .post(&app, &format!("/staff/accounts/{acc}/suspend"), "reason=+")
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("WF_REASON_REQUIRED"), "{}", r.body);
    let r = manager
        .post(
            &app,
            &format!("/staff/accounts/{acc}/suspend"),
            &format!("reason={}&followers=120", enc("訓練の季節が終わったため")),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The notice post (30 days ahead), the redirect to the main account, the handle kept.
    let r = manager.get(&app, r.header("location")).await;
    assert!(r.body.contains("id=\"notice-text\""), "{}", r.body);
    assert!(r.body.contains("運用停止を記録しました"));
    assert!(
        r.body.contains("midori_city_official"),
        "followers are sent to the main Instagram account: {}",
        r.body
    );
    let public = app.get("/official-accounts").await;
    assert!(
        public.body.contains("midori_bousai_photo"),
        "the handle is kept in the register"
    );
    let mut section = demo_sign_in(&app, &site, "山本 健").await;
    let r = section
        .post(&app, &format!("/staff/accounts/{acc}/resume"), "")
        .await;
    assert_eq!(r.status, 403);
    let r = manager
        .post(&app, &format!("/staff/accounts/{acc}/resume"), "")
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        site.account(&applied.account.id).await.unwrap().state,
        AccountState::Active
    );
    let r = manager
        .post(&app, &format!("/staff/accounts/{acc}/close"), "reason=x")
        .await;
    assert_eq!(r.status, 403);
    let r = chief
        .post(&app, &format!("/staff/accounts/{acc}/close"), "reason=")
        .await;
    assert_eq!(r.status, 422);
    let r = chief
        .post(
            &app,
            &format!("/staff/accounts/{acc}/close"),
            &format!("reason={}", enc("統合のため")),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        site.account(&applied.account.id).await.unwrap().state,
        AccountState::Closed
    );
    // Closed is final.
    let r = manager
        .post(&app, &format!("/staff/accounts/{acc}/resume"), "")
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("WF_ILLEGAL_TRANSITION"), "{}", r.body);
    let r = chief.get(&app, "/staff/accounts").await;
    assert!(r.body.contains("midori_bousai_photo"));
    // Every step is in the audit log, with the clause.
    let r = auditor
        .get(&app, &format!("/staff/audit?subject={acc}"))
        .await;
    assert_eq!(r.status, 200);
    for a in [
        "account.apply",
        "account.approve",
        "account.activate",
        "account.suspend",
        "account.resume",
        "account.close",
    ] {
        assert!(r.body.contains(a), "no {a} in the audit page");
    }
}

/// 神栖市 第7条(1)-style archive, for みどり市 (第11条: the corrected original is kept and
/// marked): the original and its correction shown together, cacheable, filterable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_shows_a_correction_with_its_original() {
    let (app, site, _store) = midori().await;
    let people = site.people().await.unwrap();
    let staff = people.iter().find(|p| p.display_name == "佐藤 翼").unwrap();
    let chief = people.iter().find(|p| p.display_name == "山本 健").unwrap();
    let bousai = site
        .accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.fields.handle == "@midori_bousai")
        .unwrap();
    // The demo has published posts of its own; these are new.
    let before = app.get("/archive").await;
    assert_eq!(before.status, 200);
    assert!(!before.body.contains("防災訓練は6月1日に行います。"));

    let now = now_ms() - 3_600_000;
    let publish = |id: koho_store::PostId, at: i64, remote: &'static str| {
        let site = site.clone();
        async move {
            for d in site.due_targets(at).await.unwrap() {
                if d.post_id == id {
                    site.record_published(
                        &d.target.id,
                        remote,
                        Some(&format!("https://x.com/midori_bousai/status/{remote}")),
                        at,
                    )
                    .await
                    .unwrap();
                }
            }
        }
    };
    let draft = PostDraft {
        accounts: vec![bousai.id.clone()],
        body: "防災訓練は6月1日に行います。".into(),
        ..PostDraft::default()
    };
    let v = site.draft_post(&draft, &staff.id, now).await.unwrap();
    let orig = v.post.id.clone();
    site.submit_post(&orig, &staff.id, None, now).await.unwrap();
    site.approve_post(&orig, &chief.id, None, now)
        .await
        .unwrap();
    publish(orig.clone(), now, "1001").await;
    let first = app.get("/archive").await;
    assert_eq!(first.status, 200);
    assert!(first.body.contains("防災訓練は6月1日に行います。"));
    let etag = first.header("etag").to_owned();
    assert!(
        first.header("cache-control").starts_with("public"),
        "{}",
        first.header("cache-control")
    );
    assert!(first.headers.get("set-cookie").is_none());
    let again = app
        .send(
            Method::GET,
            "/archive",
            &[("if-none-match", etag.clone())],
            String::new(),
        )
        .await;
    assert_eq!(again.status, 304);

    let fix = CorrectionDraft {
        body: "防災訓練の日付に誤りがありました。正しくは6月8日です。".into(),
        apology: Some("お詫びして訂正いたします。".into()),
        ..CorrectionDraft::default()
    };
    let c = site
        .correct_post(&orig, &fix, &staff.id, now + 60_000)
        .await
        .unwrap();
    let cid = c.post.id.clone();
    site.submit_post(&cid, &staff.id, None, now + 60_000)
        .await
        .unwrap();
    site.approve_post(&cid, &chief.id, None, now + 60_000)
        .await
        .unwrap();
    publish(cid.clone(), now + 120_000, "1002").await;
    for r in site.pending_retractions().await.unwrap() {
        site.record_deleted(&r.id, now + 180_000).await.unwrap();
    }

    // A new version of the page: the old ETag no longer matches.
    let r = app
        .send(
            Method::GET,
            "/archive",
            &[("if-none-match", etag.clone())],
            String::new(),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_ne!(r.header("etag"), etag);
    let body = &r.body;
    // The correction links to the original on the same page; the original is marked and
    // links to its correction, with the guideline's handling in words.
    assert!(body.contains(&format!("id=\"post-{orig}\"")), "{body}");
    assert!(body.contains(&format!("id=\"post-{cid}\"")));
    assert!(
        body.contains(&format!("href=\"#post-{orig}\"")),
        "the correction links its original"
    );
    assert!(
        body.contains(&format!("href=\"#post-{cid}\"")),
        "the original links its correction"
    );
    assert!(body.contains("訂正あり") && body.contains("archive__badge--correction"));
    assert!(
        body.contains("「訂正済み」と明示して"),
        "みどり市 第11条 keeps the original, marked: {body}"
    );
    assert!(body.contains("お詫びして訂正いたします。"));
    assert!(body.contains("https://x.com/midori_bousai/status/1002"));
    // The newest first.
    assert!(
        body.find(&format!("id=\"post-{cid}\"")).unwrap()
            < body.find(&format!("id=\"post-{orig}\"")).unwrap()
    );
    assert!(body.contains("第11条"), "the correction clause is cited");
    // English.
    let en = app.get("/archive?lang=en").await;
    assert!(
        en.body
            .contains("This post contained an error and was corrected"),
        "{}",
        en.body
    );
    assert_ne!(en.header("etag"), r.header("etag"));
    // Per account.
    let mine = app
        .get(&format!("/archive?account={}", enc("x:@midori_bousai")))
        .await;
    assert!(mine.body.contains("防災訓練は6月1日に行います。"));
    assert!(
        mine.body.contains("selected>"),
        "the filter shows the account chosen"
    );
    let other = app
        .get(&format!("/archive?account={}", enc("x:@midori_city")))
        .await;
    assert!(!other.body.contains("防災訓練は6月1日に行います。"));
    // Pages.
    assert_eq!(app.get("/archive?page=2").await.status, 404);
    let bad = app.get("/archive?page=zero").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("API_INVALID_QUERY"));
    // The same under the municipality's slug, without the feed link (the feed is the
    // default municipality's).
    let m = app.get("/m/midori/archive").await;
    assert_eq!(m.status, 200);
    assert!(m.body.contains("防災訓練は6月1日に行います。"));
    assert!(!m.body.contains("/archive.atom"));
    assert_eq!(app.get("/m/nowhere/archive").await.status, 404);
    // Nothing inline (CSP): no style attribute, no script element.
    assert!(!body.contains("style=") && !body.contains("<script"));
    let _ = TargetState::Published;
}

/// The audit log viewer: auditors only (koho's rule), filters, pages, and the chain
/// verification, which reports an edited entry with its number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auditors_read_and_verify_the_audit_log() {
    let dir = tempdir();
    let url = format!("sqlite://{}/audit.db?mode=rwc", dir.display());
    let store = Store::open(&url).await.unwrap();
    koho_workflow::demo::fill(&store, "midori", preset("midori"))
        .await
        .unwrap();
    let site = Workflow::open(&store, "midori", preset("midori"))
        .await
        .unwrap();
    site.install_demo_credentials().await.unwrap();
    let app = serve(store.clone(), vec![site.clone()]).await;

    let mut staff = demo_sign_in(&app, &site, "佐藤 翼").await;
    let r = staff.get(&app, "/staff/audit").await;
    assert_eq!(r.status, 403);
    assert!(
        r.body.contains("AUTH_FORBIDDEN") && r.body.contains("監査"),
        "{}",
        r.body
    );

    let mut auditor = demo_sign_in(&app, &site, "井上 由美").await;
    let r = auditor.get(&app, "/staff/audit").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("audit-verify--intact"), "{}", r.body);
    assert!(r.body.contains("監査ログは改ざんされていません"));
    // 50 a page, newest first, with a link to older entries.
    assert_eq!(r.body.matches("<tr id=\"seq-").count(), 50);
    let older = r.body.split("id=\"audit-older\"").next().unwrap();
    let href = older
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(href.starts_with("/staff/audit?before="), "{href}");
    let r2 = auditor.get(&app, &href).await;
    assert_eq!(r2.status, 200);
    assert!(
        !r2.body.contains("audit-verify"),
        "the verification runs on the first page"
    );
    // Filters: by action prefix, by actor, by subject, by dates.
    let r = auditor
        .get(&app, "/staff/audit?action=person.credentials")
        .await;
    let rows = r.body.matches("<tr id=\"seq-").count();
    assert!(rows > 0);
    assert_eq!(
        r.body
            .matches("<code>person.credentials.demo</code>")
            .count(),
        rows,
        "only that action"
    );
    let r = auditor.get(&app, "/staff/audit?actor=cli").await;
    assert!(r.body.contains("audit-empty") || !r.body.contains("person.credentials.demo"));
    let today = koho_workflow::time::iso_date(now_ms());
    let r = auditor
        .get(
            &app,
            &format!("/staff/audit?from={today}&to={today}&action=person."),
        )
        .await;
    assert!(r.body.contains("<tr id=\"seq-"));
    let r = auditor
        .get(&app, "/staff/audit?from=2000-01-01&to=2000-01-02")
        .await;
    assert!(r.body.contains("id=\"audit-empty\""));
    assert_eq!(
        auditor
            .get(&app, "/staff/audit?from=yesterday")
            .await
            .status,
        422
    );
    assert_eq!(
        auditor.get(&app, "/staff/audit?before=-3").await.status,
        422
    );

    // Someone edits entry 5 behind koho's back: the page says so, with its number.
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::raw_sql("UPDATE audit_log SET action = 'account.approve' WHERE seq = 5")
        .execute(&mut conn)
        .await
        .unwrap();
    let r = auditor.get(&app, "/staff/audit").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("audit-verify--broken"), "{}", r.body);
    assert!(
        r.body.contains("第5件の内容が書き換えられています"),
        "{}",
        r.body
    );
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "koho-web-admin-{}-{}",
        std::process::id(),
        now_ms()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// People and API tokens: the PR office chief adds a person, changes roles, unlocks; issues
/// a token whose secret is shown once and works, then revokes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_and_tokens_are_managed_on_the_web() {
    let (app, site, _store) = midori().await;
    let mut staff = demo_sign_in(&app, &site, "佐藤 翼").await;
    for path in ["/staff/people", "/staff/tokens"] {
        let r = staff.get(&app, path).await;
        assert_eq!(r.status, 403, "{path}");
        assert!(r.body.contains("AUTH_FORBIDDEN"));
    }
    let r = staff
        .post(
            &app,
            "/staff/people",
            "name=x&email=x%40example.jp&role=staff",
        )
        .await;
    assert_eq!(r.status, 403);

    let mut chief = demo_sign_in(&app, &site, "緑川 一郎").await;
    let r = chief.get(&app, "/staff/people").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("井上 由美"));
    let dept = site.department("危機管理課").await.unwrap();
    let r = chief
        .post(
            &app,
            "/staff/people",
            &format!(
                "name={}&email=shinnin%40city.midori.example.jp&department={}&role=staff",
                enc("新任 職員"),
                dept.id
            ),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = location_id(&r, "/staff/people/");
    let p = site
        .person_by_email("shinnin@city.midori.example.jp")
        .await
        .unwrap();
    assert_eq!(p.id.as_str(), id);
    assert_eq!(p.roles, vec![Role::Staff]);
    // No role at all is refused.
    let r = chief
        .post(&app, "/staff/people", "name=y&email=y%40example.jp")
        .await;
    assert_eq!(r.status, 422);
    let r = chief
        .post(
            &app,
            "/staff/people",
            "name=y&email=y%40example.jp&role=emperor",
        )
        .await;
    assert_eq!(r.status, 400);
    // New roles and department.
    let r = chief
        .post(
            &app,
            &format!("/staff/people/{id}"),
            "role=staff&role=account-manager&active=1",
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let p = site
        .person_by_email("shinnin@city.midori.example.jp")
        .await
        .unwrap();
    assert_eq!(p.roles, vec![Role::Staff, Role::AccountManager]);
    assert_eq!(p.department_id, None);
    // Not one's own.
    let me = site
        .people()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.display_name == "緑川 一郎")
        .unwrap();
    let r = chief
        .post(
            &app,
            &format!("/staff/people/{}", me.id),
            "role=staff&active=1",
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("自分自身"), "{}", r.body);

    // A locked-out person is unlocked.
    let victim = site
        .people()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.display_name == "田中 美咲")
        .unwrap();
    for _ in 0..AuthSettings::default().max_failures {
        let _ = site
            .sign_in(
                &koho_workflow::auth::SignInRequest {
                    email: &victim.email,
                    password: "wrong-password",
                    code: "000000",
                    user_agent: None,
                },
                &AuthSettings::default(),
                now_ms(),
            )
            .await;
    }
    assert!(
        site.login_state(&victim.id)
            .await
            .unwrap()
            .locked_until
            .is_some()
    );
    let r = chief
        .get(&app, &format!("/staff/people/{}", victim.id))
        .await;
    assert!(r.body.contains("id=\"unlock\""), "{}", r.body);
    let r = chief
        .post(&app, &format!("/staff/people/{}/unlock", victim.id), "")
        .await;
    assert_eq!(r.status, 303);
    assert!(
        site.login_state(&victim.id)
            .await
            .unwrap()
            .locked_until
            .is_none()
    );

    // A token: shown once, works with its one role, never shown again, revoked.
    let r = chief
        .post(
            &app,
            "/staff/tokens",
            &format!(
                "name={}&person={}&role=pr-office-chief&days=30",
                enc("reiki-system"),
                me.id
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("cache-control").contains("no-store"));
    let start = r.body.find("id=\"token-secret\">").unwrap() + "id=\"token-secret\">".len();
    let secret = r.body[start..].split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("koho_midori."), "{secret}");
    let me_api = app.api(Method::GET, "/api/me", &secret, "").await;
    assert_eq!(me_api.status, 200);
    assert_eq!(me_api.json()["scope"], "pr-office-chief");
    let list = chief.get(&app, "/staff/tokens").await;
    assert!(list.body.contains("reiki-system"));
    assert!(
        !list.body.contains(&secret),
        "the secret is never shown again"
    );
    let rest = secret.split('.').nth(1).unwrap();
    assert!(!list.body.contains(rest));
    // A role the person does not hold is refused.
    let r = chief
        .post(
            &app,
            "/staff/tokens",
            &format!("name=bad&person={}&role=auditor&days=30", me.id),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("AUTH_ROLE_NOT_HELD") || r.body.contains("役割"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("id=\"token-secret\""));
    let tid = site
        .api_tokens()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "reiki-system")
        .unwrap()
        .id;
    let r = chief
        .post(&app, &format!("/staff/tokens/{tid}/revoke"), "")
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        app.api(Method::GET, "/api/me", &secret, "").await.status,
        401
    );
}

/// The register's JSON API: each write with the token's one role, the guideline's
/// refusals as coded JSON errors citing the clause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_api_writes_with_scoped_tokens() {
    let (app, site, _store) = midori().await;
    let people = site.people().await.unwrap();
    let chief_p = people.iter().find(|p| p.display_name == "山本 健").unwrap();
    let staff_p = people.iter().find(|p| p.display_name == "佐藤 翼").unwrap();
    let applicant = token(&site, "山本 健", Role::SectionChief).await;
    let staff = token(&site, "佐藤 翼", Role::Staff).await;
    let approver = token(&site, "緑川 一郎", Role::PrOfficeChief).await;
    // The PR office chief also holds pr-office; a token with that role cannot decide.
    let pr_office = token(&site, "緑川 一郎", Role::PrOffice).await;

    let r = app.api(Method::GET, "/api/accounts", &staff, "").await;
    assert_eq!(r.status, 200);
    let all = r.json()["accounts"].as_array().unwrap().len();
    assert!(all > 5);

    let body = serde_json::json!({
        "account": {
            "platform": "instagram",
            "handle": "midori_api_test",
            "display_name": "API 試験",
            "department": chief_p.department_id,
            "manager": staff_p.id,
            "purpose": "防災の啓発",
            "content": ["防災"]
        },
        "plan": "月1回",
        "policy": "運用ポリシー"
    })
    .to_string();
    // みどり市 opening.applicant is the section chief.
    let r = app
        .api(Method::POST, "/api/applications", &staff, &body)
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "AUTH_FORBIDDEN");
    // A missing field, named with its clause.
    let r = app
        .api(
            Method::POST,
            "/api/applications",
            &applicant,
            &body.replace("\"plan\":\"月1回\",", ""),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "WF_MISSING_FIELD");
    let r = app
        .api(Method::POST, "/api/applications", &applicant, "{not json")
        .await;
    assert_eq!(r.status, 400);
    // Not JSON at all: refused before anything (CSRF rule of the API).
    let r = app
        .send(
            Method::POST,
            "/api/applications",
            &[
                ("authorization", format!("Bearer {applicant}")),
                ("content-type", "text/plain".into()),
            ],
            body.clone(),
        )
        .await;
    assert_eq!(r.status, 415);
    let r = app
        .api(Method::POST, "/api/applications", &applicant, &body)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    let app_id = v["application"]["id"].as_str().unwrap().to_owned();
    let acc = v["account"]["id"].as_str().unwrap().to_owned();
    assert_eq!(v["account"]["state"], "applied");

    let clause = site.guideline().opening.clauses.last().unwrap().clone();
    for t in [&applicant, &pr_office] {
        let r = app
            .api(
                Method::POST,
                &format!("/api/applications/{app_id}/approve"),
                t,
                "{}",
            )
            .await;
        assert_eq!(r.status, 403);
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&clause),
            "{}",
            r.body
        );
    }
    let r = app
        .api(
            Method::POST,
            &format!("/api/applications/{app_id}/approve"),
            &approver,
            "{\"note\":\"ok\",\"extra\":1}",
        )
        .await;
    assert_eq!(r.status, 422, "unknown fields are refused");
    assert_eq!(r.json()["error"]["code"], "API_INVALID_REQUEST");
    let r = app
        .api(
            Method::POST,
            &format!("/api/applications/{app_id}/approve"),
            &approver,
            "{\"note\":\"ok\"}",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["account"]["state"], "approved");
    let r = app
        .api(
            Method::POST,
            &format!("/api/applications/{app_id}/reject"),
            &approver,
            "{\"reason\":\"late\"}",
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["error"]["code"], "WF_APPLICATION_DECIDED");

    // A second application, rejected: a reason is required.
    let r = app
        .api(
            Method::POST,
            "/api/applications",
            &applicant,
            &body.replace("midori_api_test", "midori_api_test2"),
        )
        .await;
    let second = r.json()["application"]["id"].as_str().unwrap().to_owned();
    let r = app
        .api(
            Method::POST,
            &format!("/api/applications/{second}/reject"),
            &approver,
            "{}",
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "WF_REASON_REQUIRED");
    let r = app
        .api(
            Method::POST,
            &format!("/api/applications/{second}/reject"),
            &approver,
            "{\"reason\":\"重複\"}",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["application"]["status"], "rejected");

    // みどり市 第10条: the account manager suspends and resumes; the PR office chief
    // closes. A token with the staff role of the same person does not suspend.
    let manager = token(&site, "佐藤 翼", Role::AccountManager).await;
    let running = site
        .accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.fields.handle == "@midori_bousai")
        .unwrap()
        .id
        .to_string();
    for t in [&staff, &approver] {
        let r = app
            .api(
                Method::POST,
                &format!("/api/accounts/{running}/suspend"),
                t,
                "{\"reason\":\"x\"}",
            )
            .await;
        assert_eq!(r.status, 403);
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("第10条"),
            "{}",
            r.body
        );
    }
    let r = app
        .api(
            Method::POST,
            &format!("/api/accounts/{acc}/suspend"),
            &manager,
            "{\"reason\":\"x\"}",
        )
        .await;
    assert_eq!(
        r.status, 422,
        "an approved account is not running yet: {}",
        r.body
    );
    assert_eq!(r.json()["error"]["code"], "WF_ILLEGAL_TRANSITION");
    let r = app
        .api(
            Method::POST,
            &format!("/api/accounts/{running}/suspend"),
            &manager,
            "{\"reason\":\"見直し\",\"followers\":300}",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["account"]["state"], "suspended");
    assert_eq!(
        v["account"]["fields"]["handle"], "@midori_bousai",
        "the handle is kept"
    );
    assert!(!v["notice_text"].as_str().unwrap().is_empty());
    assert_eq!(
        v["redirect_to"]["fields"]["handle"], "@midori_city",
        "the main X account"
    );
    let r = app
        .api(
            Method::POST,
            &format!("/api/accounts/{running}/resume"),
            &manager,
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["account"]["state"], "active");
    let r = app
        .api(
            Method::POST,
            &format!("/api/accounts/{running}/close"),
            &manager,
            "{\"reason\":\"x\"}",
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .api(
            Method::POST,
            &format!("/api/accounts/{running}/close"),
            &approver,
            "{\"reason\":\"\"}",
        )
        .await;
    assert_eq!(r.status, 422);
    let r = app
        .api(
            Method::POST,
            &format!("/api/accounts/{running}/close"),
            &approver,
            "{\"reason\":\"統合\"}",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["account"]["state"], "closed");
    // Still in the register, any state.
    let r = app.api(Method::GET, "/api/accounts", &approver, "").await;
    assert_eq!(r.json()["accounts"].as_array().unwrap().len(), all + 2);
    let r = app
        .api(
            Method::POST,
            "/api/accounts/not-an-id/close",
            &approver,
            "{\"reason\":\"x\"}",
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .send(
            Method::POST,
            "/api/applications",
            &[("content-type", "application/json".into())],
            body,
        )
        .await;
    assert_eq!(r.status, 401);
}

//! The real router on a real socket (port 0), spoken to over HTTP/1.1: headers,
//! CSRF, error codes and the API contract.

// Helpers outside #[test] functions may unwrap too: a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{HeaderMap, Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use koho_check::{Checker, Guideline, Input, Platform};
use koho_web::{AppState, Options};
use serde_json::{Value, json};

struct TestApp {
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

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// `name=value` of a cookie this response sets.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|c| c.split(';').next().unwrap().to_owned())
    }

    /// The value of the hidden CSRF field of the page.
    fn csrf_field(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("csrf field");
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

fn midori() -> (Guideline, Checker) {
    let g = Guideline::preset("midori").unwrap().unwrap();
    let c = Checker::new(&g).unwrap();
    (g, c)
}

async fn spawn_app_with(options: Options) -> TestApp {
    let store = koho_store::Store::open("sqlite::memory:").await.unwrap();
    let (g, c) = midori();
    koho_workflow::demo::fill(&store, "midori", g.clone())
        .await
        .unwrap();
    let site = koho_workflow::Workflow::open(&store, "midori", g.clone())
        .await
        .unwrap();
    let state = AppState::new(store, vec![site], (g, c), vec![], options).unwrap();
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
    }
}

async fn spawn_app() -> TestApp {
    spawn_app_with(Options {
        secure_cookies: true,
        ..Options::default()
    })
    .await
}

impl TestApp {
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let res = self
            .client
            .request(b.body(Full::new(body.into())).unwrap())
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
        self.send(Method::GET, path, &[], Bytes::new()).await
    }

    async fn api_check(&self, body: &Value) -> Resp {
        self.send(
            Method::POST,
            "/api/check",
            &[("content-type", "application/json")],
            body.to_string(),
        )
        .await
    }
}

const POST: &str =
    "子育て相談会のお知らせ。担当の山田花子さん（090-1234-5678）までご連絡ください。";

fn assert_security_headers(r: &Resp) {
    let csp = r.header("content-security-policy");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("style-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("require-trusted-types-for 'script'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert_eq!(r.header("x-frame-options"), "DENY");
    assert_eq!(r.header("referrer-policy"), "no-referrer");
    assert!(r.header("permissions-policy").contains("camera=()"));
    assert!(r.header("permissions-policy").contains("geolocation=()"));
    assert!(!r.header("x-request-id").is_empty());
}

#[tokio::test]
async fn healthz_answers_json_with_the_guidelines_served() {
    let app = spawn_app().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").starts_with("application/json"));
    let v = r.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["guidelines"], json!(["midori"]));
    assert_security_headers(&r);
    assert!(r.set_cookies().is_empty(), "API responses set no cookies");
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/check",
        "/healthz",
        "/api/openapi.json",
        "/nope",
        "/api/nope",
    ] {
        let r = app.get(path).await;
        assert_security_headers(&r);
        assert!(
            r.headers.get("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
    }
    let a = app.get("/").await.header("x-request-id").to_owned();
    let b = app.get("/").await.header("x-request-id").to_owned();
    assert_ne!(a, b, "a new request id per request");
}

#[tokio::test]
async fn hsts_is_sent_when_served_over_https() {
    let app = spawn_app_with(Options {
        https: true,
        secure_cookies: true,
        ..Options::default()
    })
    .await;
    let r = app.get("/").await;
    assert!(
        r.header("strict-transport-security")
            .starts_with("max-age=")
    );
}

#[tokio::test]
async fn pages_are_japanese_first_and_english_on_request() {
    let app = spawn_app().await;
    let r = app.get("/").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").starts_with("text/html"));
    assert!(r.body.contains("<html lang=\"ja\">"));
    assert!(r.body.contains("href=\"#main\""), "skip link");
    assert!(r.body.contains("本文へ移動"));
    let csrf = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("koho_csrf="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(csrf.contains(attr), "{csrf} lacks {attr}");
    }

    let en = app.get("/check?lang=en").await;
    assert!(en.body.contains("<html lang=\"en\">"));
    assert!(en.body.contains("Pre-publication check"));
    let lang = en
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("koho_lang=en"))
        .unwrap();
    assert!(lang.contains("HttpOnly") && lang.contains("SameSite=Lax") && lang.contains("Secure"));

    let again = app
        .send(
            Method::GET,
            "/",
            &[("cookie", "koho_lang=en")],
            Bytes::new(),
        )
        .await;
    assert!(again.body.contains("<html lang=\"en\">"));
    assert!(
        again
            .body
            .contains("lang=\"ja\" hreflang=\"ja\">日本語</a>")
    );
}

#[tokio::test]
async fn the_api_returns_the_cli_json_and_the_platform_length() {
    let app = spawn_app().await;
    let r = app
        .api_check(&json!({ "text": POST, "platform": "x" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let (_, checker) = midori();
    let expected = checker.check(&Input {
        text: POST,
        platform: Some(Platform::X),
        images: &[],
        history: &[],
    });
    assert!(!expected.is_empty());
    assert_eq!(v["diagnostics"], serde_json::to_value(&expected).unwrap());
    let d = &v["diagnostics"][0];
    for key in [
        "rule", "name", "category", "severity", "start", "end", "excerpt", "message", "clauses",
    ] {
        assert!(d.get(key).is_some(), "diagnostic lacks {key}");
    }
    assert_eq!(d["clauses"][0]["guideline"], "midori");
    assert!(!d["clauses"][0]["text"].as_str().unwrap().is_empty());
    let l = &v["length"];
    assert_eq!(l["platform"], "x");
    assert_eq!(l["unit"], "weighted");
    assert_eq!(l["limit"], 280);
    assert_eq!(
        l["count"],
        koho_check::length::measure(POST, Platform::X)
            .unwrap()
            .count
    );
    assert!(l["over_at"].is_null());

    let none = app
        .api_check(&json!({ "text": "市役所からのお知らせです。" }))
        .await
        .json();
    assert!(none["length"].is_null());
    let blog = app
        .api_check(&json!({ "text": "市役所からのお知らせです。", "platform": "blog", "guideline": "midori" }))
        .await
        .json();
    assert!(blog["length"].is_null(), "blogs have no limit");

    let long = "あ".repeat(150);
    let over = app
        .api_check(&json!({ "text": long, "platform": "x" }))
        .await
        .json();
    assert_eq!(over["length"]["over_at"], 140);
}

async fn api_error(app: &TestApp, body: &str, content_type: &str) -> (u16, String, Value) {
    let r = app
        .send(
            Method::POST,
            "/api/check",
            &[("content-type", content_type)],
            body.to_owned(),
        )
        .await;
    assert!(
        r.header("content-type").starts_with("application/json"),
        "{}",
        r.body
    );
    let v = r.json();
    let e = &v["error"];
    assert_eq!(
        e["request_id"],
        r.header("x-request-id"),
        "request id in body and header"
    );
    let message = e["message"].as_str().unwrap();
    assert!(
        message
            .chars()
            .any(|c| matches!(c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF)),
        "message in Japanese: {message}"
    );
    (r.status, e["code"].as_str().unwrap().to_owned(), v)
}

#[tokio::test]
async fn bad_api_input_gets_a_stable_code_a_japanese_message_and_the_request_id() {
    let app = spawn_app().await;
    let j = "application/json";
    let cases: Vec<(String, &str, u16, &str)> = vec![
        (json!({ "text": "" }).to_string(), j, 422, "INPUT_EMPTY"),
        (
            json!({ "text": " \n　" }).to_string(),
            j,
            422,
            "INPUT_EMPTY",
        ),
        (
            json!({ "text": "市\u{202E}txt.exe" }).to_string(),
            j,
            422,
            "INPUT_BIDI_CONTROL",
        ),
        (
            json!({ "text": "ab\u{7}c" }).to_string(),
            j,
            422,
            "INPUT_CONTROL_CHAR",
        ),
        (
            json!({ "text": "a".repeat(koho_check::MAX_INPUT_BYTES + 1) }).to_string(),
            j,
            422,
            "INPUT_TOO_LARGE",
        ),
        (
            format!("{{\"text\": \"{}\"}}", "a".repeat(2 * 1024 * 1024)),
            j,
            413,
            "INPUT_TOO_LARGE",
        ),
        (
            json!({ "text": "お知らせ", "platform": "myspace" }).to_string(),
            j,
            422,
            "INPUT_UNKNOWN_PLATFORM",
        ),
        (
            json!({ "text": "お知らせ", "guideline": "nowhere" }).to_string(),
            j,
            422,
            "INPUT_UNKNOWN_GUIDELINE",
        ),
        (
            json!({ "body": "お知らせ" }).to_string(),
            j,
            422,
            "API_INVALID_REQUEST",
        ),
        (
            json!({ "text": 3 }).to_string(),
            j,
            422,
            "API_INVALID_REQUEST",
        ),
        ("{\"text\": ".to_owned(), j, 400, "API_BAD_JSON"),
        (
            json!({ "text": "お知らせ" }).to_string(),
            "text/plain",
            415,
            "API_UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            json!({ "text": "お知らせ" }).to_string(),
            "application/x-www-form-urlencoded",
            415,
            "API_UNSUPPORTED_MEDIA_TYPE",
        ),
    ];
    for (body, ct, status, code) in cases {
        let (s, c, v) = api_error(&app, &body, ct).await;
        assert_eq!((s, c.as_str()), (status, code), "{v}");
    }
    let (_, _, v) = api_error(&app, &json!({ "text": "ab\u{7}c" }).to_string(), j).await;
    assert!(v["error"]["message"].as_str().unwrap().contains("U+0007"));
}

#[tokio::test]
async fn unknown_paths_and_methods_get_coded_errors_never_traces() {
    let app = spawn_app().await;
    let r = app.get("/no/such/page").await;
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").starts_with("text/html"));
    assert!(r.body.contains("NOT_FOUND"));
    assert!(
        r.body.contains(r.header("x-request-id")),
        "request id shown on the page"
    );
    assert!(r.body.contains("問い合わせ番号"));

    let r = app.get("/api/nothing").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "NOT_FOUND");

    let r = app.get("/api/check").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["error"]["code"], "METHOD_NOT_ALLOWED");
    assert!(r.header("allow").contains("POST"));

    let r = app
        .send(
            Method::PUT,
            "/api/check",
            &[("content-type", "application/json")],
            "{}",
        )
        .await;
    assert_eq!(r.status, 405);

    let r = app
        .send(Method::GET, "/no/such/page?lang=en", &[], Bytes::new())
        .await;
    assert!(r.body.contains("Request ID"));
    for leak in ["panicked", "RUST_BACKTRACE", "src/", ".rs:"] {
        assert!(!r.body.contains(leak));
    }
}

#[tokio::test]
async fn form_posts_without_a_valid_csrf_token_are_refused() {
    let app = spawn_app().await;
    let form = "application/x-www-form-urlencoded";
    let body = "text=%E3%81%82&platform=x";

    let r = app
        .send(Method::POST, "/check", &[("content-type", form)], body)
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("CSRF_TOKEN_MISSING"), "{}", r.body);
    assert!(r.body.contains(r.header("x-request-id")));

    let page = app.get("/check").await;
    let cookie = page.cookie("koho_csrf").unwrap();
    let token = page.csrf_field();
    assert_eq!(
        cookie,
        format!("koho_csrf={token}"),
        "the page carries the cookie's token"
    );

    // The cookie alone is not enough.
    let r = app
        .send(
            Method::POST,
            "/check",
            &[("content-type", form), ("cookie", &cookie)],
            body,
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("CSRF_TOKEN_MISSING"));

    // A token that does not match the cookie.
    let other = app.get("/check").await.csrf_field();
    let r = app
        .send(
            Method::POST,
            "/check",
            &[("content-type", form), ("cookie", &cookie)],
            format!("{body}&csrf={other}"),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("CSRF_TOKEN_INVALID"));

    // A made-up token in both places (cookie tossing): not signed by the server.
    let fake = format!("{}.{}", "ab".repeat(16), "cd".repeat(32));
    let r = app
        .send(
            Method::POST,
            "/check",
            &[
                ("content-type", form),
                ("cookie", &format!("koho_csrf={fake}")),
            ],
            format!("{body}&csrf={fake}"),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("CSRF_TOKEN_INVALID"));

    // A browser telling us the form came from another site.
    let r = app
        .send(
            Method::POST,
            "/check",
            &[
                ("content-type", form),
                ("cookie", &cookie),
                ("sec-fetch-site", "cross-site"),
            ],
            format!("{body}&csrf={token}"),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("CSRF_CROSS_SITE"));

    // Cross-site JSON is refused too (a browser would have been stopped by CORS anyway).
    let r = app
        .send(
            Method::POST,
            "/api/check",
            &[
                ("content-type", "application/json"),
                ("sec-fetch-site", "cross-site"),
            ],
            json!({ "text": "a" }).to_string(),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "CSRF_CROSS_SITE");

    // With the token: accepted.
    let r = app
        .send(
            Method::POST,
            "/check",
            &[
                ("content-type", form),
                ("cookie", &cookie),
                ("sec-fetch-site", "same-origin"),
            ],
            format!("{body}&csrf={token}"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn the_form_without_javascript_renders_the_same_findings_with_clause_text() {
    let app = spawn_app().await;
    let page = app.get("/check").await;
    let cookie = page.cookie("koho_csrf").unwrap();
    let token = page.csrf_field();
    let body = form_encode(&[
        ("csrf", &token),
        ("platform", "x"),
        ("guideline", "midori"),
        ("text", POST),
    ]);
    let r = app
        .send(
            Method::POST,
            "/check",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &cookie),
            ],
            body,
        )
        .await;
    assert_eq!(r.status, 200);
    let (g, checker) = midori();
    let diags = checker.check(&Input {
        text: POST,
        platform: Some(Platform::X),
        images: &[],
        history: &[],
    });
    for d in &diags {
        assert!(r.body.contains(d.rule), "{} listed", d.rule);
        for c in &d.clauses {
            assert!(r.body.contains(&c.clause));
            assert!(r.body.contains(&c.text), "clause text shown");
        }
    }
    assert!(
        r.body.contains("class=\"sev-error\""),
        "marked in the mirror"
    );
    assert!(r.body.contains(&g.title));
    assert!(
        r.body.contains("山田花子"),
        "the text is kept in the textarea"
    );

    // Bad input is shown in the page, not as an error page, and the text is kept.
    let body = form_encode(&[
        ("csrf", &token),
        ("platform", "x"),
        ("text", "市\u{202E}txt"),
    ]);
    let r = app
        .send(
            Method::POST,
            "/check",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &cookie),
            ],
            body,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("INPUT_BIDI_CONTROL"));
    assert!(r.body.contains("id=\"check-form\""));
}

#[tokio::test]
async fn static_files_are_hashed_immutable_and_typed() {
    let app = spawn_app().await;
    let page = app.get("/check").await;
    let mut urls: Vec<String> = Vec::new();
    for attr in ["href=\"/static/", "src=\"/static/"] {
        for (i, _) in page.body.match_indices(attr) {
            let rest = &page.body[i + attr.len() - "/static/".len()..];
            urls.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    assert!(urls.len() >= 4, "{urls:?}");
    for u in &urls {
        let r = app.get(u).await;
        assert_eq!(r.status, 200, "{u}");
        assert_eq!(
            r.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert!(!r.header("content-type").is_empty());
        assert!(r.set_cookies().is_empty(), "no cookies on cacheable files");
        let etag = r.header("etag").to_owned();
        let again = app
            .send(Method::GET, u, &[("if-none-match", &etag)], Bytes::new())
            .await;
        assert_eq!(again.status, 304);
    }
    let css = urls.iter().find(|u| u.contains("/css/app.")).unwrap();
    let css = app.get(css).await;
    assert!(css.header("content-type").starts_with("text/css"));
    let font = css
        .body
        .split("url(\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let f = app.get(&font).await;
    assert_eq!((f.status, f.header("content-type")), (200, "font/woff2"));
    assert_eq!(
        app.get("/static/css/app.css").await.status,
        404,
        "only hashed names exist"
    );
}

#[tokio::test]
async fn openapi_describes_exactly_the_api_routes_and_they_answer() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json").await.json();
    assert_eq!(doc, koho_web::openapi_document());
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let documented = koho_web::openapi_operations(&doc);
    let mut routed: Vec<(String, String)> = koho_web::api_routes()
        .into_iter()
        .map(|(p, m, _)| (p.to_owned(), m.as_str().to_owned()))
        .collect();
    routed.sort();
    assert_eq!(documented, routed);
    for (path, method) in documented {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let r = app
            .send(
                m,
                &path,
                &[("content-type", "application/json")],
                json!({ "text": "a" }).to_string(),
            )
            .await;
        assert!(
            r.status != 404 && r.status != 405,
            "{method} {path}: {}",
            r.status
        );
    }
    // Every schema reference resolves.
    let text = doc.to_string();
    for (i, _) in text.match_indices("#/components/schemas/") {
        let name: String = text[i + 21..]
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect();
        assert!(doc["components"]["schemas"].get(&name).is_some(), "{name}");
    }
}

#[test]
fn handlers_have_no_japanese_string_literals() {
    // Every user-visible message comes from i18n/*.toml; Japanese in the source
    // is allowed only in comments and tests.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let src = std::fs::read_to_string(&path).unwrap();
        let code = src.split("#[cfg(test)]").next().unwrap();
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap();
            assert!(
                !line.chars().any(
                    |c| matches!(c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF | 0xFF01..=0xFF60)
                ),
                "{}:{}: Japanese outside the catalogue: {line}",
                path.display(),
                n + 1
            );
        }
    }
}

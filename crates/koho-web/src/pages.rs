//! Server-rendered HTML pages. Every page works without JavaScript; the editor's
//! script (`static/js/check.js`) only adds live checking on top of the same form.

use askama::Template;
use axum::body::Body;
use axum::extract::{Extension, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use koho_check::length::{Measure, Unit};
use koho_check::{Diagnostic, Platform, Severity};

use crate::api::{CheckResponse, run_check};
use crate::assets::{URLS, Urls};
use crate::error::AppError;
use crate::i18n::{Msgs, fill};
use crate::middleware::{Ctx, FORM_LIMIT};
use crate::state::{AppState, Compiled};

/// What the layout (`base.html`) needs on every page.
pub struct Layout {
    pub m: &'static Msgs,
    pub lang: &'static str,
    pub title: String,
    pub csrf: String,
    pub other_lang_href: String,
    pub demo_banner: Option<String>,
    pub urls: &'static Urls,
    /// `home`, `check`, or empty.
    pub current: &'static str,
    pub municipality: String,
}

impl Layout {
    pub fn new(app: &AppState, ctx: &Ctx, title: &str, current: &'static str) -> Layout {
        let m = ctx.lang.msgs();
        let g = &app.default_guideline().guideline;
        Layout {
            m,
            lang: ctx.lang.code(),
            title: fill(
                m.site_title_format,
                &[("page", title), ("municipality", &g.municipality.name)],
            ),
            csrf: ctx.csrf.clone(),
            other_lang_href: format!("{}?lang={}", ctx.path, m.lang_other_code),
            demo_banner: app.options().demo.then(|| {
                fill(
                    m.site_demo_banner,
                    &[("municipality", &g.municipality.name)],
                )
            }),
            urls: &URLS,
            current,
            municipality: g.municipality.name.clone(),
        }
    }
}

pub fn html(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    match body {
        Ok(s) => {
            let mut r = (status, s).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            AppError::internal().into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: Layout,
    heading: String,
    lead: String,
}

/// `GET /`
pub async fn home(State(app): State<AppState>, Extension(ctx): Extension<Ctx>) -> Response {
    let m = ctx.lang.msgs();
    let g = &app.default_guideline().guideline;
    let t = HomePage {
        page: Layout::new(&app, &ctx, m.home_title, "home"),
        heading: fill(m.home_heading, &[("municipality", &g.municipality.name)]),
        lead: fill(m.home_lead, &[("guideline", &g.title)]),
    };
    html(StatusCode::OK, t.render())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Layout,
    code: &'static str,
    message: String,
    request_id: String,
}

/// An error as a page, in the user's language.
pub fn error_page(app: &AppState, ctx: &Ctx, e: &AppError) -> Response {
    let m = ctx.lang.msgs();
    let t = ErrorPage {
        page: Layout::new(app, ctx, m.error_title, ""),
        code: e.code,
        message: e.message(m),
        request_id: ctx.request_id.clone(),
    };
    let body = t.render().unwrap_or_else(|_| e.code.to_owned());
    let mut r = (e.status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// One option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct ClauseView {
    pub label: String,
    pub text: String,
}

/// One diagnostic as the editor lists it.
pub struct FindingView {
    pub severity: &'static str,
    pub severity_label: &'static str,
    pub category: &'static str,
    pub rule: &'static str,
    pub start: usize,
    pub end: usize,
    pub position: String,
    pub excerpt: String,
    pub message: String,
    pub suggestion: Option<String>,
    pub clauses: Vec<ClauseView>,
}

impl FindingView {
    fn new(m: &Msgs, d: &Diagnostic) -> FindingView {
        FindingView {
            severity: d.severity.id(),
            severity_label: m.severity(d.severity),
            category: m.category(d.category),
            rule: d.rule,
            start: d.start,
            end: d.end,
            position: fill(
                m.check_position,
                &[
                    ("start", &(d.start + 1).to_string()),
                    ("end", &d.end.max(d.start + 1).to_string()),
                ],
            ),
            excerpt: d.excerpt.clone(),
            message: d.message.clone(),
            suggestion: d.suggestion.clone(),
            clauses: d
                .clauses
                .iter()
                .map(|c| ClauseView {
                    label: c.clause.clone(),
                    text: c.text.clone(),
                })
                .collect(),
        }
    }
}

/// A run of the highlight layer: text, and the class that marks it (if any).
#[derive(Debug, PartialEq)]
pub struct Segment {
    pub text: String,
    pub class: Option<String>,
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Error => 3,
    }
}

/// Splits the text where findings start and end, marking each run with the most
/// severe finding covering it, and the part beyond the length limit with `over`.
/// `static/js/check.js` does the same in the browser.
pub fn segments(text: &str, diags: &[Diagnostic], over_at: Option<usize>) -> Vec<Segment> {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut cuts = vec![0, n];
    for d in diags {
        cuts.push(d.start.min(n));
        cuts.push(d.end.min(n));
    }
    if let Some(o) = over_at {
        cuts.push(o.min(n));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<Segment> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a == b {
            continue;
        }
        let worst = diags
            .iter()
            .filter(|d| d.start <= a && d.end >= b && d.end > d.start)
            .map(|d| d.severity)
            .max_by_key(|s| severity_rank(*s));
        let over = over_at.is_some_and(|o| a >= o);
        let mut class: Vec<String> = Vec::new();
        if let Some(s) = worst {
            class.push(format!("sev-{}", s.id()));
        }
        if over {
            class.push("over".into());
        }
        let text: String = chars[a..b].iter().collect();
        let class = (!class.is_empty()).then(|| class.join(" "));
        match out.last_mut() {
            Some(last) if last.class == class => last.text.push_str(&text),
            _ => out.push(Segment { text, class }),
        }
    }
    out
}

/// The length counter, ready to show.
pub struct LengthView {
    pub counter: Option<String>,
    pub state: String,
    pub unit: String,
    pub over: bool,
}

fn length_view(m: &Msgs, platform: Option<Platform>, l: Option<&Measure>) -> LengthView {
    match (platform, l) {
        (None, _) => LengthView {
            counter: None,
            state: m.length_no_platform.to_owned(),
            unit: String::new(),
            over: false,
        },
        (Some(_), None) => LengthView {
            counter: None,
            state: m.length_no_limit.to_owned(),
            unit: String::new(),
            over: false,
        },
        (Some(_), Some(l)) => {
            let over = l.count > l.limit;
            LengthView {
                counter: Some(fill(
                    m.length_counter,
                    &[
                        ("count", &l.count.to_string()),
                        ("limit", &l.limit.to_string()),
                    ],
                )),
                state: if over {
                    fill(m.length_over, &[("n", &(l.count - l.limit).to_string())])
                } else {
                    fill(
                        m.length_remaining,
                        &[("n", &(l.limit - l.count).to_string())],
                    )
                },
                unit: match l.unit {
                    Unit::Weighted => m.length_unit_weighted,
                    Unit::Graphemes => m.length_unit_graphemes,
                    Unit::Chars => m.length_unit_chars,
                }
                .to_owned(),
                over,
            }
        }
    }
}

/// One check category of the guideline, for the side panel.
pub struct CheckItem {
    pub category: &'static str,
    pub severity: &'static str,
    pub severity_label: &'static str,
    pub note: Option<String>,
    pub clauses: Vec<ClauseView>,
}

fn check_items(m: &Msgs, c: &Compiled) -> Vec<CheckItem> {
    let g = &c.guideline;
    g.checks
        .iter()
        .map(|r| CheckItem {
            category: m.category(r.category),
            severity: r.severity.id(),
            severity_label: m.severity(r.severity),
            note: r.note.clone(),
            clauses: r
                .clauses
                .iter()
                .filter_map(|l| g.clause(l))
                .map(|cl| ClauseView {
                    label: cl.label.clone(),
                    text: cl.text.clone(),
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "check.html")]
struct CheckPage {
    page: Layout,
    lead: String,
    guideline_lead: String,
    guideline_id: String,
    guidelines: Vec<Choice>,
    platforms: Vec<Choice>,
    text: String,
    segments: Vec<Segment>,
    /// Server-side results exist (the form was submitted).
    checked: bool,
    status: String,
    error: bool,
    findings: Vec<FindingView>,
    length: LengthView,
    checks: Vec<CheckItem>,
    /// The messages the script needs, as JSON safe inside `<script>`.
    script_messages: String,
    /// Empty markup the script clones for each finding and clause.
    blank: FindingView,
    blank_clause: ClauseView,
}

/// What the editor shows: the form's values and, once submitted, the results.
struct EditorState {
    text: String,
    platform: Option<Platform>,
    guideline: String,
    result: Option<Result<CheckResponse, AppError>>,
}

fn summary(m: &Msgs, diags: &[Diagnostic]) -> String {
    if diags.is_empty() {
        return m.check_no_findings.to_owned();
    }
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count().to_string();
    fill(
        m.check_summary,
        &[
            ("n", &diags.len().to_string()),
            ("errors", &count(Severity::Error)),
            ("warnings", &count(Severity::Warning)),
            ("infos", &count(Severity::Info)),
        ],
    )
}

fn script_messages(m: &Msgs) -> String {
    let map: serde_json::Map<String, serde_json::Value> = m
        .for_script()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), serde_json::Value::from(v)))
        .collect();
    serde_json::Value::Object(map)
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn render_editor(app: &AppState, ctx: &Ctx, st: EditorState) -> Response {
    let m = ctx.lang.msgs();
    let compiled = app
        .guideline(&st.guideline)
        .unwrap_or_else(|| app.default_guideline());
    let g = &compiled.guideline;
    let (status_code, checked, status, error, findings, length, segments) = match &st.result {
        None => (
            StatusCode::OK,
            false,
            m.check_not_checked.to_owned(),
            false,
            Vec::new(),
            length_view(
                m,
                st.platform,
                st.platform
                    .and_then(|p| koho_check::length::measure("", p))
                    .as_ref(),
            ),
            segments(&st.text, &[], None),
        ),
        Some(Ok(r)) => (
            StatusCode::OK,
            true,
            summary(m, &r.diagnostics),
            false,
            r.diagnostics
                .iter()
                .map(|d| FindingView::new(m, d))
                .collect(),
            length_view(m, st.platform, r.length.as_ref()),
            segments(
                &st.text,
                &r.diagnostics,
                r.length.as_ref().and_then(|l| l.over_at),
            ),
        ),
        Some(Err(e)) => (
            e.status,
            true,
            fill(
                m.check_failed,
                &[("code", e.code), ("message", &e.message(m))],
            ),
            true,
            Vec::new(),
            length_view(m, st.platform, None),
            segments(&st.text, &[], None),
        ),
    };
    let t = CheckPage {
        page: Layout::new(app, ctx, m.check_title, "check"),
        lead: fill(m.check_lead, &[("guideline", &g.title)]),
        guideline_lead: fill(m.check_guideline_lead, &[("guideline", &g.title)]),
        guideline_id: g.id.clone(),
        guidelines: app
            .guidelines()
            .iter()
            .map(|c| Choice {
                value: c.guideline.id.clone(),
                label: c.guideline.title.clone(),
                selected: c.guideline.id == g.id,
            })
            .collect(),
        platforms: Platform::ALL
            .iter()
            .map(|p| Choice {
                value: p.id().to_owned(),
                label: m.platform(*p).to_owned(),
                selected: st.platform == Some(*p),
            })
            .collect(),
        text: st.text,
        segments,
        checked,
        status,
        error,
        findings,
        length,
        checks: check_items(m, compiled),
        script_messages: script_messages(m),
        blank: FindingView {
            severity: "info",
            severity_label: "",
            category: "",
            rule: "",
            start: 0,
            end: 0,
            position: String::new(),
            excerpt: String::new(),
            message: String::new(),
            suggestion: None,
            clauses: Vec::new(),
        },
        blank_clause: ClauseView {
            label: String::new(),
            text: String::new(),
        },
    };
    html(status_code, t.render())
}

fn params(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(ps: &'a [(String, String)], name: &str) -> Option<&'a str> {
    ps.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `GET /check`: the editor, empty. `?platform=` and `?guideline=` preselect.
pub async fn check_form(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(q): RawQuery,
) -> Response {
    let ps = params(q.unwrap_or_default().as_bytes());
    let platform = match param(&ps, "platform") {
        Some(p) => Platform::from_id(p),
        None => Some(Platform::X),
    };
    let guideline = param(&ps, "guideline")
        .filter(|g| app.guideline(g).is_some())
        .map_or_else(
            || app.default_guideline().guideline.id.clone(),
            str::to_owned,
        );
    render_editor(
        &app,
        &ctx,
        EditorState {
            text: String::new(),
            platform,
            guideline,
            result: None,
        },
    )
}

/// `POST /check`: the same editor with the results rendered on the server, for
/// browsers without JavaScript. (The CSRF token was checked by the middleware.)
pub async fn check_submit(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    body: Body,
) -> Response {
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return AppError::body_too_large(FORM_LIMIT).into_response();
    };
    let ps = params(&bytes);
    let Some(text) = param(&ps, "text") else {
        return AppError::bad_form().into_response();
    };
    // Browsers submit line breaks as CRLF; the script sends the textarea's LF.
    let text = text.replace("\r\n", "\n");
    let platform_id = param(&ps, "platform").filter(|p| !p.is_empty());
    let guideline = param(&ps, "guideline").filter(|g| !g.is_empty());
    let result = run_check(&app, text.clone(), platform_id, guideline).await;
    let platform = platform_id.and_then(Platform::from_id);
    let guideline = guideline
        .filter(|g| app.guideline(g).is_some())
        .map_or_else(
            || app.default_guideline().guideline.id.clone(),
            str::to_owned,
        );
    render_editor(
        &app,
        &ctx,
        EditorState {
            text,
            platform,
            guideline,
            result: Some(result),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use koho_check::{Category, ClauseRef};

    fn diag(start: usize, end: usize, severity: Severity) -> Diagnostic {
        Diagnostic {
            rule: "T001",
            name: "t",
            category: Category::PersonalInfo,
            severity,
            start,
            end,
            excerpt: String::new(),
            message: String::new(),
            suggestion: None,
            clauses: vec![ClauseRef {
                guideline: "g".into(),
                clause: "1".into(),
                text: "t".into(),
            }],
        }
    }

    fn seg(text: &str, class: Option<&str>) -> Segment {
        Segment {
            text: text.into(),
            class: class.map(str::to_owned),
        }
    }

    #[test]
    fn segments_mark_the_worst_finding_and_the_part_over_the_limit() {
        let d = [diag(1, 4, Severity::Warning), diag(2, 3, Severity::Error)];
        assert_eq!(
            segments("あいうえおか", &d, Some(5)),
            vec![
                seg("あ", None),
                seg("い", Some("sev-warning")),
                seg("う", Some("sev-error")),
                seg("え", Some("sev-warning")),
                seg("お", None),
                seg("か", Some("over")),
            ]
        );
    }

    #[test]
    fn segments_of_plain_text_are_one_run_and_spans_are_clamped() {
        assert_eq!(segments("abc", &[], None), vec![seg("abc", None)]);
        assert_eq!(
            segments("ab", &[diag(1, 9, Severity::Info)], None),
            vec![seg("a", None), seg("b", Some("sev-info"))]
        );
        assert!(segments("", &[], None).is_empty());
    }

    #[test]
    fn script_messages_cannot_close_the_script_element() {
        let s = script_messages(&crate::i18n::JA);
        assert!(!s.contains('<'));
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert!(v.get("check.no_findings").is_some());
    }
}

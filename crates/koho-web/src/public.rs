//! The public pages of the official-account register: the list of official accounts
//! (`/official-accounts`, `.json`, `.csv`), each account's published operation policy
//! (`/official-accounts/{id}/policy`) and "is this account official?" (`/verify?q=`).
//! No sign-in; citizens and other systems link to these exact paths. The default
//! municipality answers at the root, every municipality under `/m/{slug}/`.
//!
//! These pages are cacheable (`Cache-Control: public`), unlike staff pages. Their
//! validator is the municipality's audit chain head: every change that can alter the
//! register is audited in the same transaction, so an unchanged head means an
//! unchanged register. The rows are rebuilt only when the head moved, and each page's
//! bytes are rendered once per head ([`RegisterCache`], [`crate::head_cache`]). The head itself is read again
//! after a write through this server (the store counts them) or [`HEAD_RECHECK`](crate::HEAD_RECHECK) after
//! the last read, so a change made by another process (the CLI) shows within that time
//! and a page under load costs no database work at all.

use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use koho_store::{AccountId, AccountState};
use koho_workflow::lookup::{LookupAnswer, Trick, Verdict};
use koho_workflow::register::{RegisterRow, public_rows, to_csv};
use koho_workflow::{Workflow, lookup};
use serde::Serialize;

use crate::error::AppError;
use crate::head_cache::{HeadCache, Rendered, Snapshot, internal};
use crate::i18n::{Msgs, fill};
use crate::middleware::Ctx;
use crate::pages::{Layout, html};
use crate::state::AppState;

/// How long browsers and shared caches may use a public page without asking again.
/// Short, because a suspension must reach citizens quickly; revalidation is cheap
/// (ETag, 304).
pub const PUBLIC_MAX_AGE: u32 = 60;

/// Longest `q` accepted by `/verify`: longer than any URL of a profile, short enough
/// that the lookalike search stays cheap.
pub const MAX_QUERY_CHARS: usize = 300;

/// Marks a response as a public page: the middleware then sends `Cache-Control:
/// public` instead of `no-store`, and no CSRF cookie.
#[derive(Debug, Clone, Copy)]
pub struct PublicPage;

/// The register's rows (public ones, in register order, policy links relative to the
/// site) as of one audit chain head.
pub type RegisterCache = HeadCache<Vec<RegisterRow>>;

async fn register_snapshot(
    app: &AppState,
    wf: &Workflow,
) -> Result<Arc<Snapshot<Vec<RegisterRow>>>, AppError> {
    app.register_cache()
        .current(app, wf, async || {
            let rows = wf
                .register_rows()
                .await
                .map_err(|e| internal("register rows", &e))?;
            Ok(public_rows(&rows))
        })
        .await
}

/// The municipality a request is for, and the path prefix of its pages.
pub(crate) struct Site {
    pub(crate) wf: Arc<Workflow>,
    /// `""` at the root, `/m/{slug}` under a municipality.
    pub(crate) base: String,
}

pub(crate) fn site(app: &AppState, slug: Option<&str>) -> Result<Site, AppError> {
    match slug {
        None => app
            .default_site()
            .map(|wf| Site {
                wf: Arc::clone(wf),
                base: String::new(),
            })
            .ok_or_else(AppError::no_municipality),
        Some(s) => app
            .site(s)
            .map(|wf| Site {
                wf: Arc::clone(wf),
                base: format!("/m/{}", wf.municipality().slug),
            })
            .ok_or_else(|| AppError::unknown_municipality(s)),
    }
}

/// A row with its policy link under the site's prefix.
fn with_base(r: &RegisterRow, base: &str) -> RegisterRow {
    let mut r = r.clone();
    r.policy_url = r.policy_url.map(|u| format!("{base}{u}"));
    r
}

/// Whether one of the client's validators matches ours (RFC 9110 §13.1.2: weak
/// comparison, `*` matches any).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    let ours = etag.trim_start_matches("W/");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == ours)
}

/// Wraps a public response: ETag, the [`PublicPage`] marker, and 304 when the client
/// holds this version already. `render` runs only when a body is needed.
pub(crate) fn cached(
    headers: &HeaderMap,
    etag: &str,
    render: impl FnOnce() -> Result<Response, AppError>,
) -> Result<Response, AppError> {
    let mut res = if not_modified(headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        render()?
    };
    if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
        if let Ok(v) = HeaderValue::from_str(etag) {
            res.headers_mut().insert(header::ETAG, v);
        }
        res.extensions_mut().insert(PublicPage);
    }
    Ok(res)
}

pub(crate) fn etag(parts: &[&str]) -> String {
    format!("\"{}\"", parts.join("."))
}

fn platform_name(m: &Msgs, r: &RegisterRow) -> &'static str {
    m.get(&format!("platform.{}", r.platform))
        .unwrap_or(m.register_platform_other)
}

fn state_name(m: &Msgs, s: AccountState) -> &'static str {
    m.get(&format!("register.state.{s}"))
        .unwrap_or(m.register_state_unknown)
}

/// One row as the HTML table shows it.
pub struct RowView {
    pub id: String,
    pub platform: &'static str,
    pub name: String,
    pub handle: String,
    pub url: Option<String>,
    pub department: String,
    pub state: String,
    pub state_label: &'static str,
    pub policy: Option<(String, String)>,
    pub note: Vec<String>,
}

fn safe_href(u: &str) -> bool {
    u.starts_with("https://") || u.starts_with("http://")
}

fn row_view(m: &Msgs, r: &RegisterRow, base: &str) -> RowView {
    let mut note = Vec::new();
    if let Some(to) = &r.redirect_to {
        note.push(fill(m.register_redirect, &[("account", to)]));
    }
    if let Some(why) = &r.reason {
        note.push(fill(m.register_reason, &[("reason", why)]));
    }
    RowView {
        id: r.account_id.clone(),
        platform: platform_name(m, r),
        name: r.display_name.clone(),
        handle: r.handle.clone(),
        url: r.url.clone().filter(|u| safe_href(u)),
        department: r.department.clone().unwrap_or_default(),
        state: r.state.to_string(),
        state_label: state_name(m, r.state),
        policy: match (&r.policy_url, r.policy_version) {
            (Some(u), Some(v)) => Some((
                format!("{base}{u}"),
                fill(m.register_policy_version, &[("version", &v.to_string())]),
            )),
            _ => None,
        },
        note,
    }
}

pub(crate) fn layout(
    app: &AppState,
    ctx: &Ctx,
    title: &str,
    current: &'static str,
    site: &Site,
) -> Layout {
    let m = ctx.lang.msgs();
    let name = &site.wf.municipality().name;
    let mut l = Layout::new(app, ctx, title, current);
    l.title = fill(
        m.site_title_format,
        &[("page", title), ("municipality", name)],
    );
    l.municipality = name.clone();
    l
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    page: Layout,
    heading: String,
    lead: String,
    rows: Vec<RowView>,
    base: String,
}

async fn register_html(
    app: AppState,
    ctx: Ctx,
    headers: HeaderMap,
    slug: Option<String>,
) -> Result<Response, AppError> {
    let site = site(&app, slug.as_deref())?;
    let snap = register_snapshot(&app, &site.wf).await?;
    let tag = etag(&[&snap.version, "html", ctx.lang.code()]);
    let key = format!("html{}.{}", site.base, ctx.lang.code());
    cached(&headers, &tag, || {
        snap.page(key, || {
            let m = ctx.lang.msgs();
            let name = &site.wf.municipality().name;
            let t = RegisterPage {
                page: layout(&app, &ctx, m.register_title, "register", &site),
                heading: fill(m.register_heading, &[("municipality", name)]),
                lead: fill(m.register_lead, &[("municipality", name)]),
                rows: snap
                    .data
                    .iter()
                    .map(|r| row_view(m, r, &site.base))
                    .collect(),
                base: site.base.clone(),
            };
            Rendered::html(t.render())
        })
    })
}

/// The register as other systems read it.
#[derive(Serialize)]
struct RegisterJson<'a> {
    municipality: MunicipalityJson<'a>,
    accounts: Vec<RegisterRow>,
}

#[derive(Serialize)]
struct MunicipalityJson<'a> {
    slug: &'a str,
    name: &'a str,
    guideline: &'a str,
}

fn municipality_json(wf: &Workflow) -> MunicipalityJson<'_> {
    let m = wf.municipality();
    MunicipalityJson {
        slug: &m.slug,
        name: &m.name,
        guideline: &m.guideline_id,
    }
}

async fn register_json(
    app: AppState,
    headers: HeaderMap,
    slug: Option<String>,
) -> Result<Response, AppError> {
    let site = site(&app, slug.as_deref())?;
    let snap = register_snapshot(&app, &site.wf).await?;
    let tag = etag(&[&snap.version, "json", site.base.trim_start_matches("/m/")]);
    cached(&headers, &tag, || {
        snap.page(format!("json{}", site.base), || {
            Rendered::json(&RegisterJson {
                municipality: municipality_json(&site.wf),
                accounts: snap.data.iter().map(|r| with_base(r, &site.base)).collect(),
            })
        })
    })
}

async fn register_csv(
    app: AppState,
    headers: HeaderMap,
    slug: Option<String>,
) -> Result<Response, AppError> {
    let site = site(&app, slug.as_deref())?;
    let snap = register_snapshot(&app, &site.wf).await?;
    let tag = etag(&[&snap.version, "csv", site.base.trim_start_matches("/m/")]);
    cached(&headers, &tag, || {
        snap.page(format!("csv{}", site.base), || {
            let rows: Vec<RegisterRow> =
                snap.data.iter().map(|r| with_base(r, &site.base)).collect();
            // ASCII file name: Excel and older browsers mangle non-ASCII ones.
            let file = format!(
                "attachment; filename=\"official-accounts-{}.csv\"",
                site.wf.municipality().slug
            );
            Ok(Rendered {
                content_type: "text/csv; charset=utf-8; header=present",
                disposition: HeaderValue::from_str(&file).ok(),
                body: Bytes::from(to_csv(&rows)),
            })
        })
    })
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    page: Layout,
    heading: String,
    meta: String,
    paragraphs: Vec<String>,
    back: String,
}

async fn policy(
    app: AppState,
    ctx: Ctx,
    headers: HeaderMap,
    slug: Option<String>,
    id: String,
) -> Result<Response, AppError> {
    let site = site(&app, slug.as_deref())?;
    let snap = register_snapshot(&app, &site.wf).await?;
    // Only accounts of the public register have public policies.
    let Some(row) = snap.data.iter().find(|r| r.account_id == id) else {
        return Err(AppError::account_not_found());
    };
    if row.policy_version.is_none() {
        return Err(AppError::no_policy());
    }
    let tag = etag(&[&snap.version, "policy", &id, ctx.lang.code()]);
    if not_modified(&headers, &tag) {
        return cached(&headers, &tag, || {
            Ok(StatusCode::NOT_MODIFIED.into_response())
        });
    }
    let published = async {
        let mut r = app.store().read(site.wf.tenant()).await?;
        r.policies().published(&AccountId::from(id.as_str())).await
    }
    .await
    .map_err(|e| internal("policy", &e))?;
    let Some(p) = published else {
        return Err(AppError::no_policy());
    };
    let m = ctx.lang.msgs();
    let account = format!("{} {}", platform_name(m, row), row.handle);
    let t = PolicyPage {
        page: layout(
            &app,
            &ctx,
            &fill(m.policy_title, &[("account", &account)]),
            "register",
            &site,
        ),
        heading: fill(
            m.policy_heading,
            &[("account", &account), ("name", &row.display_name)],
        ),
        meta: fill(
            m.policy_meta,
            &[
                ("version", &p.version.to_string()),
                (
                    "date",
                    &p.published_at
                        .map(koho_workflow::time::iso_date)
                        .unwrap_or_default(),
                ),
            ],
        ),
        paragraphs: p
            .body
            .split("\n\n")
            .map(|s| s.trim_matches('\n').to_owned())
            .filter(|s| !s.trim().is_empty())
            .collect(),
        back: format!("{}/official-accounts", site.base),
    };
    cached(&headers, &tag, || Ok(html(StatusCode::OK, t.render())))
}

// ----------------------------------------------------------------------------------------
// verify

fn query_param(raw: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(raw?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            a.split(',')
                .map(|t| t.split(';').next().unwrap_or_default().trim())
                .any(|t| t.eq_ignore_ascii_case("application/json"))
                && !a.contains("text/html")
        })
}

/// The query, trimmed; refused when too long or carrying control characters.
fn valid_query(q: Option<String>) -> Result<Option<String>, AppError> {
    let Some(q) = q else { return Ok(None) };
    let q = q.trim().to_owned();
    if q.is_empty() {
        return Ok(None);
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::verify_query_too_long(MAX_QUERY_CHARS));
    }
    if q.chars().any(char::is_control) {
        return Err(AppError::verify_query_control());
    }
    Ok(Some(q))
}

/// The answer as `/verify` sends it to programs.
#[derive(Serialize)]
struct VerifyJson<'a> {
    municipality: MunicipalityJson<'a>,
    #[serde(flatten)]
    answer: LookupAnswer,
    /// The answer in one Japanese paragraph, for showing as is.
    message: String,
}

pub struct LookalikeView {
    pub text: String,
    pub tricks: String,
}

pub struct AnswerView {
    pub verdict: &'static str,
    pub message: String,
    pub account: Option<RowView>,
    pub lookalikes: Vec<LookalikeView>,
    pub more: Option<String>,
    pub advice: Option<String>,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    page: Layout,
    heading: String,
    lead: String,
    q: String,
    action: String,
    register: String,
    answer: Option<AnswerView>,
}

fn trick_name(m: &Msgs, t: Trick) -> &'static str {
    let id = serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    m.get(&format!("verify.trick.{id}")).unwrap_or_default()
}

/// Lookalikes shown on the page; the rest are counted.
const LOOKALIKES_SHOWN: usize = 5;

fn answer_view(m: &Msgs, a: &LookupAnswer, municipality: &str, base: &str) -> AnswerView {
    let (verdict, text) = match a.verdict {
        Verdict::Official => ("official", m.verify_verdict_official),
        Verdict::Suspended => ("suspended", m.verify_verdict_suspended),
        Verdict::Closed => ("closed", m.verify_verdict_closed),
        Verdict::NotOfficial => ("not-official", m.verify_verdict_not_official),
    };
    let lookalikes: Vec<LookalikeView> = a
        .lookalikes
        .iter()
        .take(LOOKALIKES_SHOWN)
        .map(|l| LookalikeView {
            text: fill(
                m.verify_lookalike,
                &[
                    (
                        "account",
                        &format!("{} {}", platform_name(m, &l.official), l.official.handle),
                    ),
                    ("name", &l.official.display_name),
                    ("state", state_name(m, l.official.state)),
                ],
            ),
            tricks: fill(
                m.verify_tricks,
                &[(
                    "tricks",
                    &l.tricks
                        .iter()
                        .map(|t| trick_name(m, *t))
                        .collect::<Vec<_>>()
                        .join(m.verify_list_separator),
                )],
            ),
        })
        .collect();
    AnswerView {
        verdict,
        message: fill(
            text,
            &[("query", a.query.trim()), ("municipality", municipality)],
        ),
        account: a.account.as_ref().map(|r| row_view(m, r, base)),
        more: (a.lookalikes.len() > LOOKALIKES_SHOWN).then(|| {
            fill(
                m.verify_more_lookalikes,
                &[("n", &(a.lookalikes.len() - LOOKALIKES_SHOWN).to_string())],
            )
        }),
        lookalikes,
        advice: (a.verdict == Verdict::NotOfficial).then(|| {
            fill(
                m.verify_not_official_advice,
                &[("municipality", municipality)],
            )
        }),
    }
}

async fn verify(
    app: AppState,
    ctx: Ctx,
    headers: HeaderMap,
    raw: Option<String>,
    slug: Option<String>,
) -> Result<Response, AppError> {
    let site = site(&app, slug.as_deref())?;
    let json = wants_json(&headers);
    let q = valid_query(query_param(raw.as_deref(), "q"))?;
    if json && q.is_none() {
        return Err(AppError::verify_query_empty());
    }
    let snap = register_snapshot(&app, &site.wf).await?;
    let answer = q.as_deref().map(|q| lookup(q, &snap.data));
    let name = site.wf.municipality().name.clone();
    if json {
        let tag = etag(&[&snap.version, "verify-json", &site.wf.municipality().slug]);
        return cached(&headers, &tag, || {
            let mut res = match answer {
                Some(a) => Json(VerifyJson {
                    municipality: municipality_json(&site.wf),
                    message: a.message_ja(),
                    answer: a,
                })
                .into_response(),
                None => StatusCode::NO_CONTENT.into_response(),
            };
            res.headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Accept"));
            Ok(res)
        });
    }
    let tag = etag(&[&snap.version, "verify", ctx.lang.code()]);
    cached(&headers, &tag, || {
        let m = ctx.lang.msgs();
        let t = VerifyPage {
            page: layout(&app, &ctx, m.verify_title, "verify", &site),
            heading: m.verify_heading.to_owned(),
            lead: fill(m.verify_lead, &[("municipality", &name)]),
            q: q.clone().unwrap_or_default(),
            action: format!("{}/verify", site.base),
            register: format!("{}/official-accounts", site.base),
            answer: answer
                .as_ref()
                .map(|a| answer_view(m, a, &name, &site.base)),
        };
        Ok(html(StatusCode::OK, t.render()))
    })
}

// ----------------------------------------------------------------------------------------
// routes: the default municipality at the root, each one under /m/{slug}

pub async fn root_register(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    register_html(app, ctx, headers, None).await
}

pub async fn site_register(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    register_html(app, ctx, headers, Some(slug)).await
}

pub async fn root_register_json(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    register_json(app, headers, None).await
}

pub async fn site_register_json(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    register_json(app, headers, Some(slug)).await
}

pub async fn root_register_csv(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    register_csv(app, headers, None).await
}

pub async fn site_register_csv(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    register_csv(app, headers, Some(slug)).await
}

pub async fn root_policy(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    policy(app, ctx, headers, None, id).await
}

pub async fn site_policy(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    policy(app, ctx, headers, Some(slug), id).await
}

pub async fn root_verify(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    verify(app, ctx, headers, raw, None).await
}

pub async fn site_verify(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    verify(app, ctx, headers, raw, Some(slug)).await
}

/// Whether the language of `lang` has a label for every state and trick (used by tests).
#[cfg(test)]
fn labels_complete(lang: crate::i18n::Lang) -> bool {
    let m = lang.msgs();
    AccountState::ALL
        .iter()
        .all(|s| m.get(&format!("register.state.{s}")).is_some())
        && [
            Trick::Homoglyph,
            Trick::DigitForLetter,
            Trick::LetterSwap,
            Trick::Separator,
            Trick::AddedDigits,
            Trick::Typo,
            Trick::Embeds,
        ]
        .iter()
        .all(|t| !trick_name(m, *t).is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_trick_has_a_label_in_both_languages() {
        assert!(labels_complete(crate::i18n::Lang::Ja));
        assert!(labels_complete(crate::i18n::Lang::En));
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, "\"a\""));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"a\""),
        );
        assert!(not_modified(&h, "\"a\""));
        assert!(!not_modified(&h, "\"b\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&h, "\"b\""));
    }

    #[test]
    fn json_is_chosen_only_when_asked_for_without_html() {
        let mut h = HeaderMap::new();
        assert!(!wants_json(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(wants_json(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,application/json;q=0.9"),
        );
        assert!(!wants_json(&h));
    }

    #[test]
    fn queries_are_trimmed_and_bounded() {
        assert_eq!(valid_query(Some("  ".into())).unwrap(), None);
        assert_eq!(
            valid_query(Some(" @a ".into())).unwrap().as_deref(),
            Some("@a")
        );
        assert_eq!(
            valid_query(Some("a".repeat(MAX_QUERY_CHARS + 1)))
                .unwrap_err()
                .code,
            "VERIFY_QUERY_TOO_LONG"
        );
        assert_eq!(
            valid_query(Some("a\u{7}".into())).unwrap_err().code,
            "VERIFY_QUERY_CONTROL_CHAR"
        );
    }
}

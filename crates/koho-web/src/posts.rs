//! Staff pages for posts: the list, the editor (live checking against the municipality's
//! own guideline, a length counter and a preview per platform), one post with its findings,
//! decisions, diff and targets, and the forms for each step of the posting workflow
//! (`koho_workflow::posts`); the department requests (美祢市 第4-2(3)); and the posts part
//! of the dashboard.
//!
//! Every page works without JavaScript: saving stores a checked version and the page shows
//! its findings rendered on the server. Each handler asks [`Staff::require`] first; the
//! workflow then applies the guideline's finer rules (own department, no self-approval,
//! reasons citing clauses) and its refusals keep their `POST_…` / `WF_…` codes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;

use askama::Template;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use koho_check::length::{Unit, measure};
use koho_check::{Category, Platform, Severity};
use koho_store::{
    AccountId, AccountState, DecisionKind, DepartmentRequest, OfficialAccount, PersonId, Post,
    PostId, PostKind, PostState, PostVersion, RequestId, RequestStatus, Role, TargetState,
};
use koho_workflow::auth::Action;
use koho_workflow::posts::rules::text_for;
use koho_workflow::posts::state::target_left;
use koho_workflow::posts::{
    CorrectionDraft, ExceptionChoice, PostAction, PostDraft, PostEdit, PostError, PostView, tz,
};
use koho_workflow::roles;
use serde::Deserialize;

use crate::auth::{Staff, now_ms};
use crate::diff::{Op, diff};
use crate::error::AppError;
use crate::i18n::{Msgs, fill};
use crate::middleware::Ctx;
use crate::pages::{Choice, ClauseView, Layout, Segment, html};
use crate::staff::{Item, workflow_error};
use crate::state::AppState;

// ---------------------------------------------------------------------------------------------
// errors, ids, forms

/// A posting workflow refusal or failure as a coded error.
pub fn post_error(e: &PostError) -> AppError {
    if let PostError::Workflow(w) = e {
        return workflow_error(w);
    }
    if !e.is_refusal() {
        tracing::error!(code = e.code(), error = %e, "posting workflow failed");
        return AppError::internal();
    }
    let status = match e {
        PostError::SelfApproval { .. } | PostError::OtherDepartment { .. } => StatusCode::FORBIDDEN,
        PostError::IllegalTransition { .. }
        | PostError::IllegalTargetTransition { .. }
        | PostError::AlreadySent { .. }
        | PostError::RequestDecided { .. }
        | PostError::AlreadyAcknowledged { .. } => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    AppError::refused(status, e.code(), e.ja())
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

pub fn parse_post_id(id: &str) -> Result<PostId, AppError> {
    if uuid_like(id) {
        Ok(PostId::from(id))
    } else {
        Err(AppError::not_found())
    }
}

fn parse_request_id(id: &str) -> Result<RequestId, AppError> {
    if uuid_like(id) {
        Ok(RequestId::from(id))
    } else {
        Err(AppError::not_found())
    }
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A submitted form: every field, in order (checkboxes repeat their name). Line breaks are
/// made LF as the script sends them; control characters other than line breaks and tabs are
/// refused, so nothing invisible is stored.
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8], known: &[&str]) -> Result<Form, AppError> {
        let mut v = Vec::new();
        for (k, val) in form_urlencoded::parse(body) {
            let k = k.into_owned();
            let ok = k == "csrf"
                || known.contains(&k.as_str())
                || known
                    .iter()
                    .any(|p| p.ends_with('.') && k.starts_with(p) && k.len() > p.len());
            if !ok {
                return Err(AppError::bad_form());
            }
            let val = val.replace("\r\n", "\n");
            if val
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                return Err(AppError::bad_form());
            }
            v.push((k, val));
        }
        Ok(Form(v))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// `variant.<platform>` fields that are not blank.
    fn variants(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .filter_map(|(k, v)| {
                let p = k.strip_prefix("variant.")?;
                (!v.trim().is_empty()).then(|| (p.to_owned(), v.clone()))
            })
            .collect()
    }
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// A local time from a form (`2026-06-01T09:30`, the `datetime-local` format) in the
/// municipality's zone; blank: none.
fn parse_time(staff: &Staff, s: &str) -> Result<Option<i64>, AppError> {
    match opt(s) {
        None => Ok(None),
        Some(t) => tz::parse_local(&t, &staff.site.guideline().municipality.timezone)
            .map(Some)
            .map_err(|e| post_error(&e)),
    }
}

fn local(staff: &Staff, ms: i64) -> String {
    tz::local_minute(ms, &staff.site.guideline().municipality.timezone)
        .unwrap_or_else(|_| koho_workflow::time::iso_minute(ms))
}

/// The value a `datetime-local` control takes.
fn local_input(staff: &Staff, ms: Option<i64>) -> String {
    ms.map(|t| local(staff, t).replacen(' ', "T", 1))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// labels

fn post_state_label(m: &Msgs, s: PostState) -> &'static str {
    m.get(&format!("posts.state.{}", s.as_str()))
        .unwrap_or(m.staff_unknown)
}

fn target_state_label(m: &Msgs, s: TargetState) -> &'static str {
    m.get(&format!("posts.target.{}", s.as_str()))
        .unwrap_or(m.staff_unknown)
}

fn platform_label(m: &Msgs, id: &str) -> &'static str {
    Platform::from_id(id).map_or(m.staff_unknown, |p| m.platform(p))
}

/// The first line of a text, cut short: how a post is named in lists.
fn title_of(body: &str) -> String {
    let line = body.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut t: String = line.chars().take(40).collect();
    if line.chars().count() > 40 {
        t.push('…');
    }
    t
}

fn may_post_to(staff: &Staff, a: &OfficialAccount) -> bool {
    let p = &staff.person;
    matches!(a.state, AccountState::Active | AccountState::Grandfathered)
        && (p.has_role(Role::PrOffice)
            || p.has_role(Role::PrOfficeChief)
            || a.fields.department_id.is_none()
            || a.fields.department_id == p.department_id)
}

async fn names(staff: &Staff) -> Result<HashMap<PersonId, String>, AppError> {
    Ok(staff
        .site
        .people()
        .await
        .map_err(|e| workflow_error(&e))?
        .into_iter()
        .map(|p| (p.id, p.display_name))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// findings, highlighting and the per-platform panels

/// One finding as stored with a version (the checker's JSON), ready to show.
pub struct PostFinding {
    pub severity: &'static str,
    pub severity_label: &'static str,
    pub category: String,
    pub rule: String,
    pub start: usize,
    pub end: usize,
    pub position: String,
    pub excerpt: String,
    pub message: String,
    pub suggestion: Option<String>,
    pub clauses: Vec<ClauseView>,
    /// Which platforms' texts it was found in (labels).
    pub platforms: String,
    /// Found in a platform's own text, not in the common one.
    pub in_variant: bool,
}

fn severity_of(s: &str) -> Severity {
    match s {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    }
}

fn rank(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Error => 3,
    }
}

/// The stored findings of a version, one entry per finding however many platforms it was
/// found for, errors first; and the spans to mark in the common text.
fn stored_findings(m: &Msgs, v: &PostVersion) -> (Vec<PostFinding>, Vec<(usize, usize, Severity)>) {
    let mut out: Vec<PostFinding> = Vec::new();
    let mut platforms_of: Vec<Vec<String>> = Vec::new();
    let mut spans = Vec::new();
    for p in v.diagnostics["platforms"].as_array().into_iter().flatten() {
        let pid = p["platform"].as_str().unwrap_or_default();
        let in_variant = !pid.is_empty() && v.variants.get(pid).is_some();
        for d in p["diagnostics"].as_array().into_iter().flatten() {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            let start = usize::try_from(d["start"].as_u64().unwrap_or(0)).unwrap_or(0);
            let end = usize::try_from(d["end"].as_u64().unwrap_or(0)).unwrap_or(0);
            let sev = severity_of(d["severity"].as_str().unwrap_or_default());
            let (rule, message) = (s("rule"), s("message"));
            let found = out.iter().position(|f| {
                f.rule == rule
                    && f.start == start
                    && f.end == end
                    && f.message == message
                    && f.in_variant == in_variant
                    && !in_variant
            });
            let i = match found {
                Some(i) => i,
                None => {
                    if !in_variant {
                        spans.push((start, end, sev));
                    }
                    let category = d["category"].as_str().unwrap_or_default();
                    out.push(PostFinding {
                        severity: sev.id(),
                        severity_label: m.severity(sev),
                        category: Category::ALL
                            .iter()
                            .find(|c| c.id() == category)
                            .map_or_else(|| category.to_owned(), |c| m.category(*c).to_owned()),
                        position: fill(
                            m.check_position,
                            &[
                                ("start", &(start + 1).to_string()),
                                ("end", &end.max(start + 1).to_string()),
                            ],
                        ),
                        excerpt: s("excerpt"),
                        suggestion: d["suggestion"].as_str().map(str::to_owned),
                        clauses: d["clauses"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|c| ClauseView {
                                label: c["clause"].as_str().unwrap_or_default().to_owned(),
                                text: c["text"].as_str().unwrap_or_default().to_owned(),
                            })
                            .collect(),
                        rule,
                        message,
                        start,
                        end,
                        platforms: String::new(),
                        in_variant,
                    });
                    platforms_of.push(Vec::new());
                    out.len() - 1
                }
            };
            if !pid.is_empty() {
                platforms_of[i].push(platform_label(m, pid).to_owned());
            }
        }
    }
    for (f, ps) in out.iter_mut().zip(platforms_of) {
        if !ps.is_empty() {
            f.platforms = fill(
                m.posts_findings_platforms,
                &[("platforms", &ps.join(m.posts_list_separator))],
            );
        }
    }
    out.sort_by_key(|f| std::cmp::Reverse(rank(severity_of(f.severity))));
    (out, spans)
}

/// The text cut where findings start and end, each run marked with its worst finding (the
/// same marking as the editor's, `pages::segments`).
fn mark(text: &str, spans: &[(usize, usize, Severity)]) -> Vec<Segment> {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut cuts = vec![0, n];
    for (s, e, _) in spans {
        cuts.push((*s).min(n));
        cuts.push((*e).min(n));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<Segment> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a == b {
            continue;
        }
        let worst = spans
            .iter()
            .filter(|(s, e, _)| *s <= a && *e >= b && e > s)
            .map(|(_, _, sev)| *sev)
            .max_by_key(|s| rank(*s));
        let class = worst.map(|s| format!("sev-{}", s.id()));
        let piece: String = chars[a..b].iter().collect();
        match out.last_mut() {
            Some(last) if last.class == class => last.text.push_str(&piece),
            _ => out.push(Segment { text: piece, class }),
        }
    }
    out
}

/// What one platform gets: its text, the length the way it counts, a preview.
pub struct PlatformPanel {
    pub platform: String,
    pub label: &'static str,
    pub counter: Option<String>,
    pub state: String,
    pub unit: String,
    pub over: bool,
    pub preview: String,
    pub uses_variant: bool,
}

fn panel(m: &Msgs, pid: &str, text: String, uses_variant: bool) -> PlatformPanel {
    let platform = Platform::from_id(pid);
    let l = platform.and_then(|p| measure(&text, p));
    let (counter, state, unit, over) = match l {
        None => (None, m.length_no_limit.to_owned(), String::new(), false),
        Some(l) => {
            let over = l.count > l.limit;
            (
                Some(fill(
                    m.length_counter,
                    &[
                        ("count", &l.count.to_string()),
                        ("limit", &l.limit.to_string()),
                    ],
                )),
                if over {
                    fill(m.length_over, &[("n", &(l.count - l.limit).to_string())])
                } else {
                    fill(
                        m.length_remaining,
                        &[("n", &(l.limit - l.count).to_string())],
                    )
                },
                match l.unit {
                    Unit::Weighted => m.length_unit_weighted,
                    Unit::Graphemes => m.length_unit_graphemes,
                    Unit::Chars => m.length_unit_chars,
                }
                .to_owned(),
                over,
            )
        }
    };
    PlatformPanel {
        platform: pid.to_owned(),
        label: platform_label(m, pid),
        counter,
        state,
        unit,
        over,
        preview: text,
        uses_variant,
    }
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

// ---------------------------------------------------------------------------------------------
// list

/// One post in a list.
pub struct PostRow {
    pub href: String,
    pub title: String,
    pub state: &'static str,
    pub author: String,
    pub when: String,
    pub targets: String,
}

fn post_row(m: &Msgs, staff: &Staff, v: &PostView, names: &HashMap<PersonId, String>) -> PostRow {
    let when = v
        .post
        .publish_at
        .map_or_else(|| m.posts_publish_now.to_owned(), |t| local(staff, t));
    PostRow {
        href: format!("/staff/posts/{}", v.post.id),
        title: title_of(&v.version.body),
        state: post_state_label(m, v.post.state),
        author: names.get(&v.post.author_id).cloned().unwrap_or_default(),
        when,
        targets: v
            .targets
            .iter()
            .map(|t| t.handle.clone())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Lists are cut at this many posts, newest first.
const LIST_LIMIT: usize = 200;

#[derive(Template)]
#[template(path = "staff/posts/list.html")]
struct ListPage {
    page: Layout,
    filters: Vec<Choice>,
    rows: Vec<PostRow>,
    can_draft: bool,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
}

/// `GET /staff/posts?state=`: posts, newest first, filtered by state.
pub async fn list(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let m = ctx.lang.msgs();
    let state = match q.state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<PostState>()
                .map_err(|_| AppError::invalid_query("state"))?,
        ),
    };
    let names = names(&staff).await?;
    let posts = staff.site.posts(state).await.map_err(|e| post_error(&e))?;
    let mut rows = Vec::new();
    for p in posts.iter().take(LIST_LIMIT) {
        let v = staff.site.post(&p.id).await.map_err(|e| post_error(&e))?;
        rows.push(post_row(m, &staff, &v, &names));
    }
    let mut filters = vec![Choice {
        value: String::new(),
        label: m.posts_filter_all.to_owned(),
        selected: state.is_none(),
    }];
    filters.extend(PostState::ALL.iter().map(|s| Choice {
        value: s.as_str().to_owned(),
        label: post_state_label(m, *s).to_owned(),
        selected: state == Some(*s),
    }));
    let t = ListPage {
        page: Layout::new(&app, &ctx, m.posts_list_title, "staff"),
        filters,
        rows,
        can_draft: staff.may(Action::DraftPost),
    };
    Ok(html(StatusCode::OK, t.render()))
}

// ---------------------------------------------------------------------------------------------
// the editor

/// An official account the person may post to.
pub struct AccountChoice {
    pub id: String,
    pub name: String,
    pub handle: String,
    pub platform: String,
    pub platform_label: &'static str,
    pub approval: bool,
    pub checked: bool,
}

/// A platform's own text.
pub struct VariantField {
    pub platform: String,
    pub label: String,
    pub value: String,
}

/// An approval exception of the guideline (高鍋町 3.8), as a choice at submission.
pub struct ExceptionOption {
    pub id: String,
    pub label: String,
    pub clause: String,
    pub emergency: Option<String>,
    pub checked: bool,
}

fn exception_options(m: &Msgs, staff: &Staff, chosen: Option<&str>) -> Vec<ExceptionOption> {
    let g = staff.site.guideline();
    g.post_approval
        .exceptions
        .iter()
        .map(|e| ExceptionOption {
            id: e.id.clone(),
            label: e.label.clone(),
            clause: e
                .clauses
                .first()
                .or(g.post_approval.clauses.first())
                .map(|c| format!("{} {c}", g.id))
                .unwrap_or_default(),
            emergency: e.post_hoc_report_to.as_ref().map(|r| {
                fill(
                    m.posts_exception_emergency,
                    &[("role", &g.role(r).map_or(r.clone(), |r| r.name.clone()))],
                )
            }),
            checked: chosen == Some(e.id.as_str()),
        })
        .collect()
}

/// A matter the guideline requires approval for (美祢市 第4-6).
pub struct MatterChoice {
    pub id: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "staff/posts/editor.html")]
struct EditorPage {
    page: Layout,
    heading: &'static str,
    action: String,
    is_new: bool,
    guideline_id: String,
    timezone: String,
    error: Option<String>,
    accounts: Vec<AccountChoice>,
    body: String,
    segments: Vec<Segment>,
    apology: Option<String>,
    variants: Vec<VariantField>,
    panels: Vec<PlatformPanel>,
    publish_at: String,
    share: bool,
    share_url: String,
    share_categories: Vec<Choice>,
    matters: Vec<MatterChoice>,
    exceptions: Vec<ExceptionOption>,
    exception_chosen: bool,
    exception_reason: String,
    findings: Vec<PostFinding>,
    checked: bool,
    status: String,
    script_messages: String,
}

/// What the editor shows: a post's current values, or what was typed.
#[derive(Default)]
struct EditorValues {
    accounts: Vec<String>,
    body: String,
    apology: Option<String>,
    variants: BTreeMap<String, String>,
    publish_at: String,
    share: bool,
    share_url: String,
    share_category: String,
    matters: Vec<String>,
    exception: Option<String>,
    exception_reason: String,
}

struct EditorView<'a> {
    post: Option<&'a PostView>,
    values: EditorValues,
    error: Option<String>,
}

async fn render_editor(
    app: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    status_code: StatusCode,
    view: EditorView<'_>,
) -> Result<Response, AppError> {
    let m = ctx.lang.msgs();
    let g = staff.site.guideline();
    let v = view.values;
    let mut accounts: Vec<AccountChoice> = staff
        .site
        .accounts()
        .await
        .map_err(|e| workflow_error(&e))?
        .iter()
        .filter(|a| may_post_to(staff, a))
        .map(|a| AccountChoice {
            id: a.id.to_string(),
            name: a.fields.display_name.clone(),
            handle: a.fields.handle.clone(),
            platform: a.fields.platform.as_str().to_owned(),
            platform_label: platform_label(m, a.fields.platform.as_str()),
            approval: a.fields.approval_required,
            checked: v.accounts.iter().any(|x| x == a.id.as_str()),
        })
        .collect();
    // Targets of the post the person could not choose any more stay listed.
    if let Some(p) = view.post {
        for t in &p.targets {
            if !accounts
                .iter()
                .any(|a| a.id == t.target.account_id.as_str())
            {
                accounts.push(AccountChoice {
                    id: t.target.account_id.to_string(),
                    name: t.display_name.clone(),
                    handle: t.handle.clone(),
                    platform: t.platform.clone(),
                    platform_label: platform_label(m, &t.platform),
                    approval: false,
                    checked: v.accounts.iter().any(|x| x == t.target.account_id.as_str()),
                });
            }
        }
    }
    let platforms: BTreeSet<String> = accounts.iter().map(|a| a.platform.clone()).collect();
    let variants = platforms
        .iter()
        .map(|p| VariantField {
            platform: p.clone(),
            label: fill(m.posts_variant_label, &[("platform", platform_label(m, p))]),
            value: v.variants.get(p).cloned().unwrap_or_default(),
        })
        .collect();
    let variants_json = serde_json::json!(v.variants);
    let panels = platforms
        .iter()
        .map(|p| {
            panel(
                m,
                p,
                text_for(&v.body, v.apology.as_deref(), &variants_json, p),
                v.variants.contains_key(p),
            )
        })
        .collect();
    let (findings, spans, checked) = match view.post {
        Some(p) if p.version.body == v.body => {
            let (f, s) = stored_findings(m, &p.version);
            (f, s, true)
        }
        _ => (Vec::new(), Vec::new(), false),
    };
    let status = if !checked {
        m.check_not_checked.to_owned()
    } else if findings.is_empty() {
        m.check_no_findings.to_owned()
    } else {
        let count = |s: &str| {
            findings
                .iter()
                .filter(|f| f.severity == s)
                .count()
                .to_string()
        };
        fill(
            m.check_summary,
            &[
                ("n", &findings.len().to_string()),
                ("errors", &count("error")),
                ("warnings", &count("warning")),
                ("infos", &count("info")),
            ],
        )
    };
    let (heading, action) = match view.post {
        Some(p) => (
            m.posts_edit_title,
            format!("/staff/posts/{}/edit", p.post.id),
        ),
        None => (m.posts_new_title, "/staff/posts".to_owned()),
    };
    let t = EditorPage {
        page: Layout::new(app, ctx, heading, "staff"),
        heading,
        action,
        is_new: view.post.is_none(),
        guideline_id: g.id.clone(),
        timezone: fill(
            m.posts_publish_at_hint,
            &[("timezone", &g.municipality.timezone)],
        ),
        error: view.error,
        accounts,
        segments: mark(&v.body, &spans),
        body: v.body,
        apology: v.apology,
        variants,
        panels,
        publish_at: v.publish_at,
        share: v.share,
        share_url: v.share_url,
        share_categories: g
            .content
            .shares
            .iter()
            .map(|s| Choice {
                value: s.id.clone(),
                label: s.label.clone(),
                selected: s.id == v.share_category,
            })
            .collect(),
        matters: g
            .post_approval
            .required_for
            .iter()
            .map(|r| MatterChoice {
                id: r.id.clone(),
                label: r.label.clone(),
                checked: v.matters.contains(&r.id),
            })
            .collect(),
        exceptions: exception_options(m, staff, v.exception.as_deref()),
        exception_chosen: v.exception.is_some(),
        exception_reason: v.exception_reason,
        findings,
        checked,
        status,
        script_messages: script_messages(m),
    };
    Ok(html(status_code, t.render()))
}

/// `GET /staff/posts/new`: an empty editor.
pub async fn new_form(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    render_editor(
        &app,
        &ctx,
        &staff,
        StatusCode::OK,
        EditorView {
            post: None,
            values: EditorValues::default(),
            error: None,
        },
    )
    .await
}

const EDITOR_FIELDS: &[&str] = &[
    "account",
    "body",
    "apology",
    "variant.",
    "publish_at",
    "kind",
    "share_url",
    "share_category",
    "matter",
    "exception",
    "exception_reason",
    "intent",
];

fn editor_values(f: &Form) -> EditorValues {
    EditorValues {
        accounts: f.all("account"),
        body: f.text("body"),
        apology: f.get("apology").map(str::to_owned),
        variants: f.variants(),
        publish_at: f.text("publish_at"),
        share: f.get("kind") == Some("share"),
        share_url: f.text("share_url"),
        share_category: f.text("share_category"),
        matters: f.all("matter"),
        exception: f.get("exception").and_then(opt),
        exception_reason: f.text("exception_reason"),
    }
}

fn exception_choice(v: &EditorValues) -> Option<ExceptionChoice> {
    v.exception.as_ref().map(|id| ExceptionChoice {
        id: id.clone(),
        reason: v.exception_reason.clone(),
    })
}

/// After saving: on to the post, or submitted at once when asked (`intent=submit`). A refused
/// submission shows the saved post with the refusal; nothing typed is lost.
async fn after_save(
    app: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: &PostId,
    submit: Option<Option<ExceptionChoice>>,
) -> Result<Response, AppError> {
    let Some(exception) = submit else {
        return Ok(see_other(&format!("/staff/posts/{id}?done=saved")));
    };
    match staff
        .site
        .submit_post(id, &staff.person.id, exception.as_ref(), now_ms())
        .await
    {
        Ok(v) => Ok(see_other(&format!(
            "/staff/posts/{id}?done={}",
            done_of_submit(&v)
        ))),
        Err(e) => {
            let err = post_error(&e);
            render_post(app, ctx, staff, id, None, Some(&err)).await
        }
    }
}

fn done_of_submit(v: &PostView) -> &'static str {
    match (v.post.state, v.report.is_some()) {
        (PostState::Submitted, _) => "submitted",
        (_, true) => "emergency",
        _ => "cleared",
    }
}

/// `POST /staff/posts`: a new draft (version 1, checked), for the accounts chosen.
pub async fn create(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let f = Form::parse(&body, EDITOR_FIELDS)?;
    let values = editor_values(&f);
    let draft = (|| -> Result<PostDraft, AppError> {
        Ok(PostDraft {
            // Images are attached with `koho post draft --image`; the web editor has no upload yet.
            images: Vec::new(),
            kind: Some(if values.share {
                PostKind::Share
            } else {
                PostKind::Original
            }),
            accounts: values
                .accounts
                .iter()
                .filter(|a| uuid_like(a))
                .map(|a| AccountId::from(a.as_str()))
                .collect(),
            body: values.body.clone(),
            variants: values.variants.clone(),
            matters: values.matters.clone(),
            share_category: opt(&values.share_category),
            share_url: opt(&values.share_url),
            publish_at: parse_time(&staff, &values.publish_at)?,
        })
    })();
    let result = match draft {
        Ok(d) => staff
            .site
            .draft_post(&d, &staff.person.id, now_ms())
            .await
            .map_err(|e| post_error(&e)),
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => {
            let submit = (f.get("intent") == Some("submit")).then(|| exception_choice(&values));
            after_save(&app, &ctx, &staff, &v.post.id, submit).await
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            let m = ctx.lang.msgs();
            let msg = e.message(m);
            render_editor(
                &app,
                &ctx,
                &staff,
                e.status,
                EditorView {
                    post: None,
                    values,
                    error: Some(fill(
                        m.posts_error_format,
                        &[("code", e.code), ("message", &msg)],
                    )),
                },
            )
            .await
        }
        Err(e) => Err(e),
    }
}

fn values_of(staff: &Staff, v: &PostView) -> EditorValues {
    EditorValues {
        accounts: v
            .targets
            .iter()
            .map(|t| t.target.account_id.to_string())
            .collect(),
        body: v.version.body.clone(),
        apology: if v.post.kind == PostKind::Correction {
            Some(v.version.apology.clone().unwrap_or_default())
        } else {
            None
        },
        variants: v
            .version
            .variants
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, x)| x.as_str().map(|s| (k.clone(), s.to_owned())))
                    .collect()
            })
            .unwrap_or_default(),
        publish_at: local_input(staff, v.post.publish_at),
        share: v.post.kind == PostKind::Share,
        share_url: v.post.share_url.clone().unwrap_or_default(),
        share_category: v.post.share_category.clone().unwrap_or_default(),
        matters: v.post.matters.clone(),
        exception: None,
        exception_reason: String::new(),
    }
}

/// `GET /staff/posts/{id}/edit`: the editor with the current version and its findings.
pub async fn edit_form(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let id = parse_post_id(&id)?;
    let v = staff.site.post(&id).await.map_err(|e| post_error(&e))?;
    let values = values_of(&staff, &v);
    render_editor(
        &app,
        &ctx,
        &staff,
        StatusCode::OK,
        EditorView {
            post: Some(&v),
            values,
            error: None,
        },
    )
    .await
}

/// `POST /staff/posts/{id}/edit`: a new version (checked again); the publication time is
/// set with it when it changed.
pub async fn edit(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let id = parse_post_id(&id)?;
    let f = Form::parse(&body, EDITOR_FIELDS)?;
    let values = editor_values(&f);
    let current = staff.site.post(&id).await.map_err(|e| post_error(&e))?;
    let now = now_ms();
    let result = async {
        let at = parse_time(&staff, &values.publish_at)?;
        let matters = if staff.site.guideline().post_approval.required_for.is_empty() {
            None
        } else {
            Some(values.matters.clone())
        };
        let edit = PostEdit {
            // Keeps the current version's images.
            images: None,
            body: values.body.clone(),
            apology: values.apology.clone(),
            variants: values.variants.clone(),
            accounts: Some(
                values
                    .accounts
                    .iter()
                    .filter(|a| uuid_like(a))
                    .map(|a| AccountId::from(a.as_str()))
                    .collect(),
            ),
            matters,
        };
        staff
            .site
            .edit_post(&id, &edit, &staff.person.id, now)
            .await
            .map_err(|e| post_error(&e))?;
        if at != current.post.publish_at {
            staff
                .site
                .schedule_post(&id, &staff.person.id, at, now)
                .await
                .map_err(|e| post_error(&e))?;
        }
        Ok::<(), AppError>(())
    }
    .await;
    match result {
        Ok(()) => {
            let submit = (f.get("intent") == Some("submit")).then(|| exception_choice(&values));
            after_save(&app, &ctx, &staff, &id, submit).await
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            let m = ctx.lang.msgs();
            let msg = e.message(m);
            // The saved version may have moved on if only the time was refused.
            let v = staff.site.post(&id).await.map_err(|e| post_error(&e))?;
            render_editor(
                &app,
                &ctx,
                &staff,
                e.status,
                EditorView {
                    post: Some(&v),
                    values,
                    error: Some(fill(
                        m.posts_error_format,
                        &[("code", e.code), ("message", &msg)],
                    )),
                },
            )
            .await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// one post

/// One account a post goes to, and where it stands there.
pub struct TargetRow {
    pub name: String,
    pub handle: String,
    pub platform: &'static str,
    pub state: &'static str,
    pub state_id: &'static str,
    pub time: String,
    pub link: Option<String>,
    pub error: Option<String>,
}

/// A run of a diff, with the word a screen reader says before it (colour is never the only
/// signal: additions are also underlined, removals struck through).
pub struct DiffPiece {
    pub class: &'static str,
    pub marker: &'static str,
    pub text: String,
}

pub struct DiffSection {
    pub label: String,
    pub pieces: Vec<DiffPiece>,
    pub changed: bool,
}

pub struct DiffView {
    pub heading: String,
    pub sections: Vec<DiffSection>,
}

/// A link to another post.
pub struct Link {
    pub href: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "staff/posts/post.html")]
struct PostPage {
    page: Layout,
    id: String,
    heading: String,
    state: &'static str,
    state_id: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    items: Vec<Item>,
    targets: Vec<TargetRow>,
    segments: Vec<Segment>,
    apology: Option<String>,
    variants: Vec<Item>,
    panels: Vec<PlatformPanel>,
    findings: Vec<PostFinding>,
    blocked: bool,
    diff: Option<DiffView>,
    can_edit: bool,
    can_submit: bool,
    can_decide: bool,
    own: bool,
    can_override: bool,
    can_schedule: bool,
    can_withdraw: bool,
    can_acknowledge: bool,
    can_correct: bool,
    apology_required: bool,
    exceptions: Vec<ExceptionOption>,
    exception_chosen: bool,
    exception_reason: String,
    clauses: Vec<Choice>,
    publish_at: String,
    timezone: String,
    report: Option<String>,
    report_state: Option<String>,
    corrects: Option<Link>,
    corrected_by: Vec<Link>,
    request_href: Option<String>,
    decisions: Vec<Item>,
    versions: Vec<Item>,
}

fn decision_label(m: &Msgs, k: DecisionKind) -> &'static str {
    m.get(&format!("posts.decision.{}", k.as_str()))
        .unwrap_or(m.staff_unknown)
}

fn diff_section(m: &Msgs, label: String, old: &str, new: &str) -> DiffSection {
    let pieces: Vec<DiffPiece> = diff(old, new)
        .into_iter()
        .map(|p| match p.op {
            Op::Same => DiffPiece {
                class: "same",
                marker: "",
                text: p.text,
            },
            Op::Added => DiffPiece {
                class: "added",
                marker: m.posts_diff_added,
                text: p.text,
            },
            Op::Removed => DiffPiece {
                class: "removed",
                marker: m.posts_diff_removed,
                text: p.text,
            },
        })
        .collect();
    DiffSection {
        label,
        changed: pieces.iter().any(|p| p.class != "same"),
        pieces,
    }
}

fn variant_map(v: &PostVersion) -> BTreeMap<String, String> {
    v.variants
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, x)| x.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// What changed since the last approved version (or, before any approval, since the
/// previous version): the body, the apology and every platform's own text.
fn diff_view(m: &Msgs, v: &PostView, versions: &[PostVersion]) -> Option<DiffView> {
    let cur = &v.version;
    let approved = v
        .decisions
        .iter()
        .filter(|d| {
            matches!(
                d.kind,
                DecisionKind::Approve | DecisionKind::Exception | DecisionKind::NotRequired
            ) && d.version < cur.version
        })
        .map(|d| d.version)
        .max();
    let (base, heading) = match approved {
        Some(n) => (n, m.posts_diff_since_approved),
        None if cur.version > 1 => (cur.version - 1, m.posts_diff_since_previous),
        None => return None,
    };
    let old = versions.iter().find(|x| x.version == base)?;
    let mut sections = vec![diff_section(
        m,
        m.posts_diff_body.to_owned(),
        &old.body,
        &cur.body,
    )];
    if old.apology.is_some() || cur.apology.is_some() {
        sections.push(diff_section(
            m,
            m.posts_apology_label.to_owned(),
            old.apology.as_deref().unwrap_or_default(),
            cur.apology.as_deref().unwrap_or_default(),
        ));
    }
    let (ov, nv) = (variant_map(old), variant_map(cur));
    let keys: BTreeSet<&String> = ov.keys().chain(nv.keys()).collect();
    for k in keys {
        sections.push(diff_section(
            m,
            fill(m.posts_variant_label, &[("platform", platform_label(m, k))]),
            ov.get(k).map_or("", String::as_str),
            nv.get(k).map_or("", String::as_str),
        ));
    }
    Some(DiffView {
        heading: fill(heading, &[("version", &base.to_string())]),
        sections,
    })
}

fn done_notice(m: &Msgs, done: Option<&str>) -> Option<&'static str> {
    m.get(&format!("posts.done.{}", done?))
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The page of one post. `error`: a refusal to show above it (the page is then sent with
/// the refusal's status).
async fn render_post(
    app: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: &PostId,
    done: Option<&str>,
    error: Option<&AppError>,
) -> Result<Response, AppError> {
    let m = ctx.lang.msgs();
    let g = staff.site.guideline();
    let wf = &staff.site;
    let v = wf.post(id).await.map_err(|e| post_error(&e))?;
    let versions = wf.post_versions(id).await.map_err(|e| post_error(&e))?;
    let names = names(staff).await?;
    let name = |p: &PersonId| names.get(p).cloned().unwrap_or_else(|| p.to_string());
    let p = &v.post;
    let me = &staff.person.id;
    let own = &p.author_id == me || &v.version.author_id == me;
    let sent = v.targets.iter().any(|t| target_left(t.target.state));
    let open = matches!(
        p.state,
        PostState::Draft | PostState::Submitted | PostState::Rejected | PostState::Approved
    );
    let (findings, spans) = stored_findings(m, &v.version);

    let mut items = vec![
        Item {
            label: m.posts_field_kind.into(),
            value: m
                .get(&format!("posts.kind.{}", p.kind.as_str()))
                .unwrap_or(m.staff_unknown)
                .into(),
        },
        Item {
            label: m.posts_field_author.into(),
            value: name(&p.author_id),
        },
        Item {
            label: m.posts_field_version.into(),
            value: fill(
                m.posts_version_number,
                &[("version", &p.version.to_string())],
            ),
        },
        Item {
            label: m.posts_field_publish_at.into(),
            value: p
                .publish_at
                .map_or_else(|| m.posts_publish_now.to_owned(), |t| local(staff, t)),
        },
    ];
    if let Some(b) = &p.approval_basis {
        items.push(Item {
            label: m.posts_field_basis.into(),
            value: m
                .get(&format!("posts.basis.{b}"))
                .unwrap_or(m.staff_unknown)
                .into(),
        });
    }
    if let Some(e) = &p.exception_id {
        let label = g
            .post_approval
            .exceptions
            .iter()
            .find(|x| &x.id == e)
            .map_or_else(|| e.clone(), |x| x.label.clone());
        items.push(Item {
            label: m.posts_field_exception.into(),
            value: format!(
                "{label}{}",
                p.exception_reason
                    .as_deref()
                    .map(|r| fill(m.posts_reason_suffix, &[("reason", r)]))
                    .unwrap_or_default()
            ),
        });
    }
    if let Some(u) = &p.share_url {
        items.push(Item {
            label: m.posts_field_share_url.into(),
            value: u.clone(),
        });
    }
    if !p.matters.is_empty() {
        items.push(Item {
            label: m.posts_field_matters.into(),
            value: p
                .matters
                .iter()
                .map(|id| {
                    g.post_approval
                        .required_for
                        .iter()
                        .find(|r| &r.id == id)
                        .map_or_else(|| id.clone(), |r| r.label.clone())
                })
                .collect::<Vec<_>>()
                .join(m.posts_list_separator),
        });
    }

    let targets = v
        .targets
        .iter()
        .map(|t| TargetRow {
            name: t.display_name.clone(),
            handle: t.handle.clone(),
            platform: platform_label(m, &t.platform),
            state: target_state_label(m, t.target.state),
            state_id: t.target.state.as_str(),
            time: t
                .target
                .published_at
                .or(t.target.publish_at)
                .map(|x| local(staff, x))
                .unwrap_or_default(),
            link: t
                .target
                .remote_url
                .clone()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            error: t.target.last_error.clone().filter(|_| {
                matches!(
                    t.target.state,
                    TargetState::Failed | TargetState::Unconfirmed | TargetState::Missed
                )
            }),
        })
        .collect();

    let variants_map = variant_map(&v.version);
    let variants = variants_map
        .iter()
        .map(|(k, x)| Item {
            label: platform_label(m, k).to_owned(),
            value: x.clone(),
        })
        .collect();
    let platforms: BTreeSet<&str> = v.targets.iter().map(|t| t.platform.as_str()).collect();
    let panels = platforms
        .iter()
        .map(|pid| {
            panel(
                m,
                pid,
                text_for(
                    &v.version.body,
                    v.version.apology.as_deref(),
                    &v.version.variants,
                    pid,
                ),
                variants_map.contains_key(*pid),
            )
        })
        .collect();

    let report = v.report.as_ref().map(|r| {
        fill(
            m.posts_report_text,
            &[("by", &name(&r.reported_by)), ("reason", &r.reason)],
        )
    });
    let report_state = v
        .report
        .as_ref()
        .map(|r| match (&r.acknowledged_by, r.acknowledged_at) {
            (Some(by), Some(at)) => fill(
                m.posts_report_acknowledged,
                &[("by", &name(by)), ("at", &local(staff, at))],
            ),
            _ => fill(
                m.posts_report_open,
                &[(
                    "role",
                    &g.role(&r.report_to_role)
                        .map_or(r.report_to_role.clone(), |x| x.name.clone()),
                )],
            ),
        });
    let can_acknowledge = v.report.as_ref().is_some_and(|r| {
        r.acknowledged_at.is_none()
            && &r.reported_by != me
            && roles::holds(g, &staff.person, &r.report_to_role)
    });

    let corrects = match &p.corrects_post_id {
        Some(orig) => {
            let o = wf.post(orig).await.map_err(|e| post_error(&e))?;
            Some(Link {
                href: format!("/staff/posts/{orig}"),
                label: title_of(&o.version.body),
            })
        }
        None => None,
    };
    let mut corrected_by = Vec::new();
    for c in wf.corrections_of(id).await.map_err(|e| post_error(&e))? {
        let cv = wf.post(&c.id).await.map_err(|e| post_error(&e))?;
        corrected_by.push(Link {
            href: format!("/staff/posts/{}", c.id),
            label: fill(
                m.posts_corrected_by_item,
                &[
                    ("title", &title_of(&cv.version.body)),
                    ("state", post_state_label(m, c.state)),
                ],
            ),
        });
    }

    let decisions = v
        .decisions
        .iter()
        .map(|d| Item {
            label: format!(
                "{} — {}",
                local(staff, d.decided_at),
                decision_label(m, d.kind)
            ),
            value: fill(
                m.posts_decision_format,
                &[
                    ("by", &name(&d.decided_by)),
                    ("version", &d.version.to_string()),
                    ("reason", d.reason.as_deref().unwrap_or("")),
                    (
                        "clause",
                        &d.clause_label
                            .as_deref()
                            .map(|c| format!("{} {c}", g.id))
                            .unwrap_or_default(),
                    ),
                ],
            ),
        })
        .collect();
    let version_items = versions
        .iter()
        .rev()
        .map(|x| Item {
            label: fill(
                m.posts_version_number,
                &[("version", &x.version.to_string())],
            ),
            value: fill(
                m.posts_version_format,
                &[
                    ("by", &name(&x.author_id)),
                    ("at", &local(staff, x.created_at)),
                    ("errors", &x.error_count.to_string()),
                ],
            ),
        })
        .collect();
    let first_clause = findings
        .iter()
        .find(|f| f.severity == "error")
        .and_then(|f| f.clauses.first())
        .map(|c| c.label.clone());
    let clauses = g
        .clauses
        .iter()
        .map(|c| Choice {
            value: c.label.clone(),
            label: match &c.title {
                Some(t) => fill(m.posts_clause_option, &[("label", &c.label), ("title", t)]),
                None => c.label.clone(),
            },
            selected: first_clause.as_deref() == Some(c.label.as_str()),
        })
        .collect();
    let may_draft = staff.may(Action::DraftPost);
    let may_approve = staff.may(Action::ApprovePost);
    let t = PostPage {
        page: Layout::new(app, ctx, m.posts_post_title, "staff"),
        id: p.id.to_string(),
        heading: title_of(&v.version.body),
        state: post_state_label(m, p.state),
        state_id: p.state.as_str(),
        notice: done_notice(m, done),
        error: error.map(|e| {
            fill(
                m.posts_error_format,
                &[("code", e.code), ("message", &e.message(m))],
            )
        }),
        items,
        targets,
        segments: mark(&v.version.body, &spans),
        apology: v.version.apology.clone(),
        variants,
        panels,
        blocked: v.blocked && open,
        diff: diff_view(m, &v, &versions),
        can_edit: open && !sent && may_draft,
        can_submit: p.state == PostState::Draft && may_draft,
        can_decide: p.state == PostState::Submitted && may_approve,
        own,
        can_override: v.blocked
            && matches!(p.state, PostState::Draft | PostState::Submitted)
            && may_approve
            && !own,
        can_schedule: matches!(
            p.state,
            PostState::Draft | PostState::Submitted | PostState::Approved
        ) && !sent
            && may_draft,
        can_withdraw: v.allowed_actions.contains(&PostAction::Withdraw) && !sent && may_draft,
        can_acknowledge,
        can_correct: g.correction.is_some()
            && v.targets
                .iter()
                .any(|t| t.target.state == TargetState::Published)
            && may_draft,
        apology_required: g.correction.as_ref().is_some_and(|c| c.apology),
        exceptions: exception_options(m, staff, None),
        exception_chosen: false,
        exception_reason: String::new(),
        clauses,
        publish_at: local_input(staff, p.publish_at),
        timezone: fill(
            m.posts_publish_at_hint,
            &[("timezone", &g.municipality.timezone)],
        ),
        report,
        report_state,
        corrects,
        corrected_by,
        request_href: p.request_id.as_ref().map(|_| "/staff/requests".to_owned()),
        decisions,
        versions: version_items,
        findings,
    };
    let status = error.map_or(StatusCode::OK, |e| e.status);
    Ok(html(status, t.render()))
}

/// `GET /staff/posts/{id}`
pub async fn show(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let id = parse_post_id(&id)?;
    render_post(&app, &ctx, &staff, &id, q.done.as_deref(), None).await
}

/// Runs one step on a post; a refusal re-renders the post with the refusal (and its status),
/// so what was typed into the other forms is not the only thing shown.
async fn step<F, Fut>(
    app: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: &PostId,
    done: &str,
    run: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Option<String>, AppError>>,
{
    match run().await {
        Ok(to) => {
            Ok(see_other(&to.unwrap_or_else(|| {
                format!("/staff/posts/{id}?done={done}")
            })))
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            render_post(app, ctx, staff, id, None, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

/// `POST /staff/posts/{id}/submit`: with an exception and its reason, or for approval.
pub async fn submit(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let id = parse_post_id(&id)?;
    let f = Form::parse(&body, &["exception", "exception_reason"])?;
    let choice = f.get("exception").and_then(opt).map(|e| ExceptionChoice {
        id: e,
        reason: f.text("exception_reason"),
    });
    let mut done = "submitted";
    let r = staff
        .site
        .submit_post(&id, &staff.person.id, choice.as_ref(), now_ms())
        .await;
    if let Ok(v) = &r {
        done = done_of_submit(v);
    }
    step(&app, &ctx, &staff, &id, done, || async {
        r.map(|_| None).map_err(|e| post_error(&e))
    })
    .await
}

/// `POST /staff/posts/{id}/approve`
pub async fn approve(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::ApprovePost)?;
    let id = parse_post_id(&id)?;
    let f = Form::parse(&body, &["note"])?;
    step(&app, &ctx, &staff, &id, "approved", || async {
        staff
            .site
            .approve_post(
                &id,
                &staff.person.id,
                opt(&f.text("note")).as_deref(),
                now_ms(),
            )
            .await
            .map(|_| None)
            .map_err(|e| post_error(&e))
    })
    .await
}

/// `POST /staff/posts/{id}/reject` (a reason is required; the author is told).
pub async fn reject(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::ApprovePost)?;
    let id = parse_post_id(&id)?;
    let f = Form::parse(&body, &["note"])?;
    step(&app, &ctx, &staff, &id, "rejected", || async {
        staff
            .site
            .reject_post(&id, &staff.person.id, &f.text("note"), now_ms())
            .await
            .map(|_| None)
            .map_err(|e| post_error(&e))
    })
    .await
}

/// `POST /staff/posts/{id}/override`: the approver lets error findings through, with a
/// reason citing a clause.
pub async fn override_findings(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::ApprovePost)?;
    let id = parse_post_id(&id)?;
    let f = Form::parse(&body, &["reason", "clause"])?;
    step(&app, &ctx, &staff, &id, "overridden", || async {
        staff
            .site
            .override_findings(
                &id,
                &staff.person.id,
                &f.text("reason"),
                &f.text("clause"),
                now_ms(),
            )
            .await
            .map(|_| None)
            .map_err(|e| post_error(&e))
    })
    .await
}

/// `POST /staff/posts/{id}/schedule`: the time it goes out (blank: as soon as cleared).
pub async fn schedule(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let id = parse_post_id(&id)?;
    let f = Form::parse(&body, &["publish_at"])?;
    step(&app, &ctx, &staff, &id, "scheduled", || async {
        let at = parse_time(&staff, &f.text("publish_at"))?;
        staff
            .site
            .schedule_post(&id, &staff.person.id, at, now_ms())
            .await
            .map(|_| None)
            .map_err(|e| post_error(&e))
    })
    .await
}

/// `POST /staff/posts/{id}/withdraw`
pub async fn withdraw(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let id = parse_post_id(&id)?;
    Form::parse(&body, &[])?;
    step(&app, &ctx, &staff, &id, "withdrawn", || async {
        staff
            .site
            .withdraw_post(&id, &staff.person.id, now_ms())
            .await
            .map(|_| None)
            .map_err(|e| post_error(&e))
    })
    .await
}

/// `POST /staff/posts/{id}/acknowledge`: the post-hoc report of an emergency post.
pub async fn acknowledge(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let id = parse_post_id(&id)?;
    Form::parse(&body, &[])?;
    step(&app, &ctx, &staff, &id, "acknowledged", || async {
        staff
            .site
            .acknowledge_report(&id, &staff.person.id, now_ms())
            .await
            .map(|_| None)
            .map_err(|e| post_error(&e))
    })
    .await
}

/// `POST /staff/posts/{id}/correct`: a correction of a published post, as a new draft.
pub async fn correct(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let id = parse_post_id(&id)?;
    let f = Form::parse(&body, &["body", "apology"])?;
    step(&app, &ctx, &staff, &id, "", || async {
        let draft = CorrectionDraft {
            images: Vec::new(),
            body: f.text("body"),
            apology: opt(&f.text("apology")),
            variants: BTreeMap::new(),
        };
        let v = staff
            .site
            .correct_post(&id, &draft, &staff.person.id, now_ms())
            .await
            .map_err(|e| post_error(&e))?;
        Ok(Some(format!("/staff/posts/{}?done=correction", v.post.id)))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// the dashboard's part

/// A target that did not go out as planned.
pub struct TargetAlert {
    pub href: String,
    pub title: String,
    pub handle: String,
    pub state: &'static str,
    pub detail: String,
}

/// The posts part of `/staff`.
pub struct PostsDashboard {
    pub drafts: Vec<PostRow>,
    pub can_approve: bool,
    pub waiting: Vec<PostRow>,
    pub scheduled: Vec<PostRow>,
    pub expired: Vec<PostRow>,
    pub reports: Vec<PostRow>,
    pub alerts: Vec<TargetAlert>,
}

/// What the dashboard lists for this person: their drafts and refused posts, posts waiting
/// for their approval (their own section's, never their own), what is scheduled, their posts
/// that expired unapproved, post-hoc reports they must acknowledge, and targets that failed,
/// went unconfirmed or were missed.
pub async fn dashboard(m: &Msgs, staff: &Staff) -> Result<PostsDashboard, AppError> {
    let wf = &staff.site;
    let g = wf.guideline();
    let me = &staff.person;
    let names = names(staff).await?;
    let all: Vec<Post> = wf.posts(None).await.map_err(|e| post_error(&e))?;
    let can_approve = staff.may(Action::ApprovePost);
    let approver_scoped = g.role(&g.post_approval.approver).is_some_and(|r| {
        matches!(
            r.kind,
            koho_guideline::RoleKind::Staff
                | koho_guideline::RoleKind::SectionChief
                | koho_guideline::RoleKind::AccountManager
                | koho_guideline::RoleKind::Contractor
        )
    });
    let mut d = PostsDashboard {
        drafts: Vec::new(),
        can_approve,
        waiting: Vec::new(),
        scheduled: Vec::new(),
        expired: Vec::new(),
        reports: Vec::new(),
        alerts: Vec::new(),
    };
    let mut cache: HashMap<PostId, PostView> = HashMap::new();
    for p in all.iter().take(LIST_LIMIT) {
        let mine = p.author_id == me.id;
        let waiting = can_approve
            && p.state == PostState::Submitted
            && !mine
            && (!approver_scoped
                || p.department_id.is_none()
                || p.department_id == me.department_id);
        let wanted = (mine
            && matches!(
                p.state,
                PostState::Draft | PostState::Rejected | PostState::Expired
            ))
            || waiting
            || p.state == PostState::Approved;
        if !wanted {
            continue;
        }
        let v = wf.post(&p.id).await.map_err(|e| post_error(&e))?;
        let row = post_row(m, staff, &v, &names);
        if mine && matches!(p.state, PostState::Draft | PostState::Rejected) {
            d.drafts.push(row);
        } else if mine && p.state == PostState::Expired {
            d.expired.push(row);
        } else if waiting {
            d.waiting.push(row);
        } else if v
            .targets
            .iter()
            .any(|t| t.target.state == TargetState::Scheduled)
        {
            d.scheduled.push(row);
        }
        cache.insert(p.id.clone(), v);
    }
    for r in wf.open_post_reports().await.map_err(|e| post_error(&e))? {
        if r.reported_by == me.id || !roles::holds(g, me, &r.report_to_role) {
            continue;
        }
        let v = match cache.get(&r.post_id) {
            Some(v) => v.clone(),
            None => wf.post(&r.post_id).await.map_err(|e| post_error(&e))?,
        };
        if approver_scoped_for(g, &r.report_to_role)
            && v.post.department_id.is_some()
            && v.post.department_id != me.department_id
        {
            continue;
        }
        d.reports.push(post_row(m, staff, &v, &names));
    }
    for state in [
        TargetState::Failed,
        TargetState::Unconfirmed,
        TargetState::Missed,
    ] {
        for t in wf
            .targets_in_state(state)
            .await
            .map_err(|e| post_error(&e))?
        {
            let v = match cache.get(&t.post_id) {
                Some(v) => v.clone(),
                None => wf.post(&t.post_id).await.map_err(|e| post_error(&e))?,
            };
            let handle = v
                .targets
                .iter()
                .find(|x| x.target.id == t.id)
                .map(|x| x.handle.clone())
                .unwrap_or_default();
            d.alerts.push(TargetAlert {
                href: format!("/staff/posts/{}", t.post_id),
                title: title_of(&v.version.body),
                handle,
                state: target_state_label(m, t.state),
                detail: t.last_error.clone().unwrap_or_default(),
            });
        }
    }
    Ok(d)
}

fn approver_scoped_for(g: &koho_guideline::Guideline, role_id: &str) -> bool {
    g.role(role_id).is_some_and(|r| {
        matches!(
            r.kind,
            koho_guideline::RoleKind::Staff
                | koho_guideline::RoleKind::SectionChief
                | koho_guideline::RoleKind::AccountManager
                | koho_guideline::RoleKind::Contractor
        )
    })
}

// ---------------------------------------------------------------------------------------------
// department requests (美祢市 第4-2(3))

/// One request in the list, with what may be done with it.
pub struct RequestRow {
    pub id: String,
    pub title: String,
    pub body: String,
    pub from: String,
    pub desired: String,
    pub status: &'static str,
    pub open: bool,
    pub reason: Option<String>,
    pub post_href: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/posts/requests.html")]
struct RequestsPage {
    page: Layout,
    rule: Option<String>,
    notice: Option<&'static str>,
    can_submit: bool,
    can_decide: bool,
    accounts: Vec<AccountChoice>,
    rows: Vec<RequestRow>,
    timezone: String,
}

fn request_row(
    m: &Msgs,
    staff: &Staff,
    r: &DepartmentRequest,
    names: &HashMap<PersonId, String>,
    departments: &HashMap<String, String>,
) -> RequestRow {
    RequestRow {
        id: r.id.to_string(),
        title: r.title.clone(),
        body: r.body.clone(),
        from: fill(
            m.posts_request_from,
            &[
                (
                    "by",
                    &names.get(&r.submitted_by).cloned().unwrap_or_default(),
                ),
                (
                    "department",
                    departments
                        .get(r.department_id.as_str())
                        .map_or("", String::as_str),
                ),
                ("at", &local(staff, r.created_at)),
            ],
        ),
        desired: r.desired_at.map(|t| local(staff, t)).unwrap_or_default(),
        status: m
            .get(&format!("posts.request_status.{}", r.status.as_str()))
            .unwrap_or(m.staff_unknown),
        open: r.status == RequestStatus::Submitted,
        reason: r.decision_reason.clone(),
        post_href: r.post_id.as_ref().map(|p| format!("/staff/posts/{p}")),
    }
}

/// `GET /staff/requests`: requests from departments, the form to send one, and (for the
/// role the guideline names) the forms to take one up or decline it.
pub async fn requests(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let m = ctx.lang.msgs();
    let g = staff.site.guideline();
    let rule = g.content.requests.as_ref();
    let names = names(&staff).await?;
    let departments: HashMap<String, String> = staff
        .site
        .departments()
        .await
        .map_err(|e| workflow_error(&e))?
        .into_iter()
        .map(|d| (d.id.to_string(), d.name))
        .collect();
    let rows = if rule.is_some() {
        staff
            .site
            .requests()
            .await
            .map_err(|e| post_error(&e))?
            .iter()
            .map(|r| request_row(m, &staff, r, &names, &departments))
            .collect()
    } else {
        Vec::new()
    };
    let can_decide = rule.is_some_and(|r| roles::holds(g, &staff.person, &r.decided_by));
    let accounts = if can_decide {
        staff
            .site
            .accounts()
            .await
            .map_err(|e| workflow_error(&e))?
            .iter()
            .filter(|a| may_post_to(&staff, a))
            .map(|a| AccountChoice {
                id: a.id.to_string(),
                name: a.fields.display_name.clone(),
                handle: a.fields.handle.clone(),
                platform: a.fields.platform.as_str().to_owned(),
                platform_label: platform_label(m, a.fields.platform.as_str()),
                approval: a.fields.approval_required,
                checked: false,
            })
            .collect()
    } else {
        Vec::new()
    };
    let t = RequestsPage {
        page: Layout::new(&app, &ctx, m.posts_requests_title, "staff"),
        rule: rule.map(|r| {
            fill(
                m.posts_request_rule,
                &[
                    (
                        "role",
                        &g.role(&r.decided_by)
                            .map_or(r.decided_by.clone(), |x| x.name.clone()),
                    ),
                    (
                        "clause",
                        &r.clauses
                            .first()
                            .map(|c| format!("{} {c}", g.id))
                            .unwrap_or_default(),
                    ),
                ],
            )
        }),
        notice: done_notice(m, q.done.as_deref()),
        can_submit: rule.is_some() && staff.may(Action::DraftPost),
        can_decide,
        accounts,
        rows,
        timezone: fill(
            m.posts_publish_at_hint,
            &[("timezone", &g.municipality.timezone)],
        ),
    };
    Ok(html(StatusCode::OK, t.render()))
}

/// `POST /staff/requests`: a department sends information for the PR office to publish.
pub async fn request_submit(staff: Staff, body: axum::body::Bytes) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let f = Form::parse(&body, &["title", "body", "desired_at"])?;
    let desired = parse_time(&staff, &f.text("desired_at"))?;
    let title = f.text("title");
    if title.trim().is_empty() || title.chars().count() > 200 {
        return Err(AppError::bad_form());
    }
    let text = f.text("body");
    koho_check::validate_text(&text).map_err(|e| AppError::input(&e))?;
    staff
        .site
        .submit_request(&staff.person.id, &title, &text, desired, now_ms())
        .await
        .map_err(|e| post_error(&e))?;
    Ok(see_other("/staff/requests?done=request-submitted"))
}

/// `POST /staff/requests/{id}/accept`: a draft for the accounts chosen, written by the
/// person deciding.
pub async fn request_accept(
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let id = parse_request_id(&id)?;
    let f = Form::parse(&body, &["account"])?;
    let accounts: Vec<AccountId> = f
        .all("account")
        .iter()
        .filter(|a| uuid_like(a))
        .map(|a| AccountId::from(a.as_str()))
        .collect();
    let v = staff
        .site
        .accept_request(&id, &staff.person.id, &accounts, now_ms())
        .await
        .map_err(|e| post_error(&e))?;
    Ok(see_other(&format!(
        "/staff/posts/{}?done=request-accepted",
        v.post.id
    )))
}

/// `POST /staff/requests/{id}/decline` (a reason is required; the requester is told).
pub async fn request_decline(
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let id = parse_request_id(&id)?;
    let f = Form::parse(&body, &["reason"])?;
    staff
        .site
        .decline_request(&id, &staff.person.id, &f.text("reason"), now_ms())
        .await
        .map_err(|e| post_error(&e))?;
    Ok(see_other("/staff/requests?done=request-declined"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_take_the_worst_finding_and_clamp() {
        let s = mark(
            "あいうえお",
            &[(1, 3, Severity::Warning), (2, 9, Severity::Error)],
        );
        let got: Vec<(String, Option<String>)> = s.into_iter().map(|s| (s.text, s.class)).collect();
        assert_eq!(
            got,
            vec![
                ("あ".into(), None),
                ("い".into(), Some("sev-warning".into())),
                ("うえお".into(), Some("sev-error".into())),
            ]
        );
    }

    #[test]
    fn titles_are_the_first_line_cut_short() {
        assert_eq!(title_of("\n一行目\n二行目"), "一行目");
        assert_eq!(title_of(&"あ".repeat(50)).chars().count(), 41);
    }

    #[test]
    fn forms_refuse_unknown_fields_and_control_characters() {
        assert!(Form::parse(b"note=a&csrf=x", &["note"]).is_ok());
        assert!(Form::parse(b"other=a", &["note"]).is_err());
        assert!(Form::parse(b"note=a%07", &["note"]).is_err());
        let f = Form::parse(
            b"variant.x=a&variant.facebook=&body=b%0D%0Ac",
            &["variant.", "body"],
        )
        .unwrap();
        assert_eq!(f.variants().len(), 1);
        assert_eq!(f.text("body"), "b\nc");
    }
}

//! `/staff/audit`: the municipality's hash-chained audit log for auditors, newest first,
//! filtered by actor, action, subject and date range, a page at a time; with the result
//! of the chain's verification (`koho audit verify`): intact, or where and how it breaks.
//!
//! The log is read backwards from the chain head in chunks, so a page costs the entries
//! scanned to fill it, never the whole log; the date range stops the scan once entries are
//! older than its start (entries are appended in time order). The "older" link carries the
//! last sequence number shown.

use askama::Template;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use koho_store::{Actor, AuditEntry, AuditProblem, AuditVerification};
use koho_workflow::auth::Action;
use koho_workflow::time::{iso_minute, parse_date};
use serde::Deserialize;

use crate::auth::Staff;
use crate::error::AppError;
use crate::i18n::{Msgs, fill};
use crate::middleware::Ctx;
use crate::pages::{Choice, Layout, html};
use crate::staff::workflow_error;
use crate::state::AppState;

/// Entries per page.
pub const PER_PAGE: usize = 50;
/// Entries read per query while scanning backwards.
const CHUNK: i64 = 500;
/// The most entries one page scans for matches: a filter that matches nothing in a long
/// log ends with an "older" link instead of a slow page.
const SCAN_BUDGET: i64 = 20_000;
/// Longest `before`/`after` JSON shown per entry, in characters.
const JSON_CHARS: usize = 4000;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    subject: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
}

/// The filters, parsed.
#[derive(Debug, Default)]
struct Filter {
    actor: Option<String>,
    action: Option<String>,
    subject: Option<String>,
    from_ms: Option<i64>,
    /// Exclusive: the midnight after the `to` date.
    to_ms: Option<i64>,
}

impl Filter {
    fn matches(&self, e: &AuditEntry) -> bool {
        if let Some(a) = &self.actor
            && e.actor.as_str() != a
        {
            return false;
        }
        // `account.` matches every account step; `account.suspend` that one.
        if let Some(a) = &self.action
            && !e.action.starts_with(a.as_str())
        {
            return false;
        }
        if let Some(s) = &self.subject {
            let ok = match s.split_once(':') {
                Some((kind, id)) => e.subject.kind == kind && e.subject.id == id,
                None => e.subject.id == *s || e.subject.kind == *s,
            };
            if !ok {
                return false;
            }
        }
        self.from_ms.is_none_or(|f| e.at >= f) && self.to_ms.is_none_or(|t| e.at < t)
    }
}

fn clean(s: Option<String>, name: &'static str) -> Result<Option<String>, AppError> {
    match s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > 200 || v.chars().any(char::is_control) => {
            Err(AppError::invalid_query(name))
        }
        other => Ok(other),
    }
}

fn date(s: Option<String>, name: &'static str) -> Result<Option<i64>, AppError> {
    match clean(s, name)? {
        Some(d) => parse_date(&d)
            .map(Some)
            .ok_or_else(|| AppError::invalid_query(name)),
        None => Ok(None),
    }
}

/// One entry as the table shows it.
pub struct EntryView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub subject_href: Option<String>,
    pub clause: String,
    pub hash: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The verification, in words.
pub struct VerifyView {
    pub intact: bool,
    pub text: String,
    pub detail: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/admin/audit.html")]
struct AuditPage {
    page: Layout,
    verify: Option<VerifyView>,
    actors: Vec<Choice>,
    action: String,
    subject: String,
    from: String,
    to: String,
    entries: Vec<EntryView>,
    older: Option<String>,
    newest: Option<String>,
    scanned_note: Option<String>,
}

/// Where and how a chain is broken, in the reader's language.
pub fn problem_text(m: &Msgs, p: &AuditProblem) -> String {
    match p {
        AuditProblem::HashMismatch { seq, .. } => {
            fill(m.audit_view_problem_hash, &[("seq", &seq.to_string())])
        }
        AuditProblem::Gap {
            after_seq,
            next_seq,
        } => fill(
            m.audit_view_problem_gap,
            &[
                ("after", &after_seq.to_string()),
                ("next", &next_seq.to_string()),
            ],
        ),
        AuditProblem::PrevHashMismatch { seq, .. } => {
            fill(m.audit_view_problem_link, &[("seq", &seq.to_string())])
        }
        AuditProblem::TruncatedTail { last_seq, head_seq } => fill(
            m.audit_view_problem_truncated,
            &[
                ("last", &last_seq.to_string()),
                ("head", &head_seq.to_string()),
            ],
        ),
        AuditProblem::BeyondHead { seq, head_seq } => fill(
            m.audit_view_problem_beyond,
            &[("seq", &seq.to_string()), ("head", &head_seq.to_string())],
        ),
        AuditProblem::HeadMismatch { seq, .. } => {
            fill(m.audit_view_problem_head, &[("seq", &seq.to_string())])
        }
        AuditProblem::MissingHead => m.audit_view_problem_missing_head.to_owned(),
    }
}

pub fn verify_view(m: &Msgs, v: &AuditVerification) -> VerifyView {
    match &v.problem {
        None => VerifyView {
            intact: true,
            text: fill(
                m.audit_view_intact,
                &[
                    ("n", &v.entries_checked.to_string()),
                    (
                        "hash",
                        v.head
                            .as_ref()
                            .and_then(|h| h.hash.get(..16))
                            .unwrap_or_default(),
                    ),
                ],
            ),
            detail: None,
        },
        Some(p) => VerifyView {
            intact: false,
            text: problem_text(m, p),
            detail: Some(p.to_string()),
        },
    }
}

fn pretty(v: Option<&serde_json::Value>) -> Option<String> {
    let v = v?;
    let s = serde_json::to_string_pretty(v).unwrap_or_default();
    if s.chars().count() > JSON_CHARS {
        let mut cut: String = s.chars().take(JSON_CHARS).collect();
        cut.push('…');
        Some(cut)
    } else {
        Some(s)
    }
}

/// `GET /staff/audit`
pub async fn page(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ViewAuditLog)?;
    let m = ctx.lang.msgs();
    let wf = &staff.site;
    let from_text = clean(q.from.clone(), "from")?.unwrap_or_default();
    let to_text = clean(q.to.clone(), "to")?.unwrap_or_default();
    let filter = Filter {
        actor: clean(q.actor.clone(), "actor")?,
        action: clean(q.action.clone(), "action")?,
        subject: clean(q.subject.clone(), "subject")?,
        from_ms: date(q.from.clone(), "from")?,
        to_ms: date(q.to.clone(), "to")?.map(|t| t + 24 * 3600 * 1000),
    };
    let before = match clean(q.before.clone(), "before")? {
        Some(b) => Some(
            b.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| AppError::invalid_query("before"))?,
        ),
        None => None,
    };
    let store = app.store();
    let tenant = wf.tenant();
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "audit viewer failed");
        AppError::internal()
    };
    // The verification walks the whole chain: on the first page, not on every "older".
    let verify = if before.is_none() {
        Some(verify_view(
            m,
            &wf.verify_audit().await.map_err(|e| workflow_error(&e))?,
        ))
    } else {
        None
    };
    let head = store.audit_head(tenant).await.map_err(|e| internal(&e))?;
    let mut cursor = before.unwrap_or(head.seq + 1).min(head.seq + 1);
    let mut found: Vec<AuditEntry> = Vec::new();
    let mut scanned = 0_i64;
    let mut exhausted = false;
    {
        let mut r = store.read(tenant).await.map_err(|e| internal(&e))?;
        'scan: while found.len() <= PER_PAGE {
            if cursor <= 1 {
                exhausted = true;
                break;
            }
            if scanned >= SCAN_BUDGET {
                break;
            }
            let after = (cursor - 1 - CHUNK).max(0);
            let mut chunk = r
                .audit()
                .list(after, cursor - 1 - after)
                .await
                .map_err(|e| internal(&e))?;
            chunk.retain(|e| e.seq < cursor);
            scanned += i64::try_from(chunk.len()).unwrap_or(CHUNK);
            cursor = after + 1;
            for e in chunk.into_iter().rev() {
                if filter.from_ms.is_some_and(|f| e.at < f) {
                    exhausted = true;
                    break 'scan;
                }
                if filter.matches(&e) {
                    found.push(e);
                    if found.len() > PER_PAGE {
                        break 'scan;
                    }
                }
            }
            if after == 0 {
                exhausted = true;
                break;
            }
        }
    }
    let more = found.len() > PER_PAGE;
    found.truncate(PER_PAGE);
    let people = wf.people().await.map_err(|e| workflow_error(&e))?;
    let actor_name = |a: &Actor| match a {
        Actor::Person(id) => people
            .iter()
            .find(|p| &p.id == id)
            .map_or_else(|| id.to_string(), |p| p.display_name.clone()),
        Actor::System => m.audit_view_actor_system.to_owned(),
        Actor::Cli => m.audit_view_actor_cli.to_owned(),
    };
    let entries: Vec<EntryView> = found
        .iter()
        .map(|e| EntryView {
            seq: e.seq,
            at: iso_minute(e.at),
            actor: actor_name(&e.actor),
            action: e.action.clone(),
            subject: format!("{}:{}", e.subject.kind, e.subject.id),
            subject_href: (e.subject.kind == koho_workflow::subject::ACCOUNT)
                .then(|| format!("/staff/accounts/{}/manage", e.subject.id)),
            clause: e
                .clause
                .as_ref()
                .map(|c| format!("{} {}", c.guideline_id, c.clause))
                .unwrap_or_default(),
            hash: e.hash.get(..12).unwrap_or(&e.hash).to_owned(),
            before: pretty(e.before.as_ref()),
            after: pretty(e.after.as_ref()),
        })
        .collect();
    // The query string of this search with another `before`.
    let link = |before: Option<i64>| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &filter.actor),
            ("action", &filter.action),
            ("subject", &filter.subject),
            ("from", &Some(from_text.clone()).filter(|v| !v.is_empty())),
            ("to", &Some(to_text.clone()).filter(|v| !v.is_empty())),
        ] {
            if let Some(v) = v {
                s.append_pair(k, v);
            }
        }
        if let Some(b) = before {
            s.append_pair("before", &b.to_string());
        }
        format!("/staff/audit?{}", s.finish())
    };
    let older = if more {
        found.last().map(|e| link(Some(e.seq)))
    } else if !exhausted {
        // The scan budget ran out before the page filled: go on from where it stopped.
        Some(link(Some(cursor)))
    } else {
        None
    };
    let scanned_note =
        (!more && !exhausted).then(|| fill(m.audit_view_scanned, &[("n", &scanned.to_string())]));
    let mut actors = vec![
        Choice {
            value: String::new(),
            label: m.audit_view_actor_any.to_owned(),
            selected: filter.actor.is_none(),
        },
        Choice {
            value: "system".to_owned(),
            label: m.audit_view_actor_system.to_owned(),
            selected: filter.actor.as_deref() == Some("system"),
        },
        Choice {
            value: "cli".to_owned(),
            label: m.audit_view_actor_cli.to_owned(),
            selected: filter.actor.as_deref() == Some("cli"),
        },
    ];
    actors.extend(people.iter().map(|p| Choice {
        value: p.id.to_string(),
        label: p.display_name.clone(),
        selected: filter.actor.as_deref() == Some(p.id.as_str()),
    }));
    let t = AuditPage {
        page: Layout::new(&app, &ctx, m.audit_view_title, "staff"),
        verify,
        actors,
        action: filter.action.clone().unwrap_or_default(),
        subject: filter.subject.clone().unwrap_or_default(),
        from: from_text.clone(),
        to: to_text.clone(),
        entries,
        older,
        newest: before.map(|_| link(None)),
        scanned_note,
    };
    Ok(html(StatusCode::OK, t.render()))
}

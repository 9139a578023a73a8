//! `/archive` and `/m/{slug}/archive`: every published post of the municipality as an HTML
//! page (神栖市 第7条(1), the archive the Atom feed `/archive.atom` also carries), each
//! correction shown with the post it corrects and each corrected original marked as the
//! guideline's correction rule says (deleted, or kept and marked), filterable by account,
//! paginated, printable and readable on a phone.
//!
//! Cached like the register pages: the validator is the audit chain head, because every
//! publication and correction is audited in the transaction that records it. The entries
//! are read again only when the head moved ([`ArchiveCache`]); a page of the snapshot is a
//! slice of it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use koho_store::{PostKind, TargetState};
use koho_workflow::posts::ArchiveEntry;
use koho_workflow::time::iso_minute;
use serde::Deserialize;

use crate::error::AppError;
use crate::head_cache::HeadCache;
use crate::i18n::{Msgs, fill};
use crate::middleware::Ctx;
use crate::pages::{Choice, Layout, html};
use crate::public::{Site, cached, etag, layout, site};
use crate::state::AppState;

/// Posts per page: short enough for a phone, long enough to print a month of a busy
/// account on a few sheets.
pub const PER_PAGE: usize = 20;

/// The most posts the page reaches back. The workflow reads the archive newest first;
/// older posts stay in the database and in the audit log.
pub const ARCHIVE_MAX: usize = 2000;

/// The archive of one municipality (newest first, at most [`ARCHIVE_MAX`] posts) as of
/// one audit chain head.
pub type ArchiveCache = HeadCache<Vec<ArchiveEntry>>;

#[derive(Debug, Deserialize)]
pub struct ArchiveQuery {
    page: Option<String>,
    /// `platform:handle`, e.g. `x:@midori_city`.
    account: Option<String>,
}

/// Where a post appeared, as the page shows it.
pub struct LinkView {
    pub account: String,
    pub handle: String,
    pub url: Option<String>,
    pub at: String,
    pub state: &'static str,
    /// `deleted` or `corrected` when the platform copy was dealt with by a correction.
    pub mark: &'static str,
}

/// A post it relates to.
pub struct RefView {
    pub href: String,
    pub text: String,
    pub at: String,
}

/// One post on the page.
pub struct EntryView {
    pub anchor: String,
    pub is_correction: bool,
    pub at: String,
    pub updated: Option<String>,
    pub text: String,
    pub links: Vec<LinkView>,
    pub corrects: Option<RefView>,
    pub corrected_by: Vec<RefView>,
    /// What the guideline did with this corrected original, in words (empty: not corrected).
    pub handling: String,
}

#[derive(Template)]
#[template(path = "archive.html")]
struct ArchivePage {
    page: Layout,
    heading: String,
    lead: String,
    clause: String,
    entries: Vec<EntryView>,
    accounts: Vec<Choice>,
    filtered: bool,
    base: String,
    feed: Option<String>,
    summary: String,
    prev: Option<String>,
    next: Option<String>,
    truncated: Option<String>,
}

fn anchor(id: &str) -> String {
    format!("post-{id}")
}

fn account_key(platform: &str, handle: &str) -> String {
    format!("{platform}:{handle}")
}

fn safe_href(u: &str) -> bool {
    u.starts_with("https://") || u.starts_with("http://")
}

fn target_label(m: &Msgs, s: TargetState) -> &'static str {
    m.get(&format!("archive_page.target.{}", s.as_str()))
        .unwrap_or(m.staff_unknown)
}

fn entry_view(m: &Msgs, e: &ArchiveEntry, on_page: &dyn Fn(&str) -> String) -> EntryView {
    let handling = if e.corrected_by.is_empty() {
        String::new()
    } else {
        match e.original_handling.as_deref() {
            Some("delete") => m.archive_page_handling_delete.to_owned(),
            Some("keep-marked") => m.archive_page_handling_keep.to_owned(),
            _ => m.archive_page_handling_corrected.to_owned(),
        }
    };
    EntryView {
        anchor: anchor(e.post_id.as_str()),
        is_correction: e.kind == PostKind::Correction,
        at: iso_minute(e.published_at),
        updated: (e.updated_at > e.published_at).then(|| iso_minute(e.updated_at)),
        text: e.text.clone(),
        links: e
            .links
            .iter()
            .map(|l| LinkView {
                account: format!(
                    "{} {}",
                    koho_check::Platform::from_id(&l.platform)
                        .map_or(l.platform.as_str(), |p| m.platform(p)),
                    l.display_name
                ),
                handle: l.handle.clone(),
                url: l.url.clone().filter(|u| safe_href(u)),
                at: iso_minute(l.published_at),
                state: target_label(m, l.state),
                mark: match l.state {
                    TargetState::Deleted | TargetState::Retracting => "deleted",
                    TargetState::Corrected => "corrected",
                    _ => "",
                },
            })
            .collect(),
        corrects: e.corrects.as_ref().map(|r| RefView {
            href: on_page(r.post_id.as_str()),
            text: r.text.clone(),
            at: r.published_at.map(iso_minute).unwrap_or_default(),
        }),
        corrected_by: e
            .corrected_by
            .iter()
            .map(|r| RefView {
                href: on_page(r.post_id.as_str()),
                text: r.text.clone(),
                at: r.published_at.map(iso_minute).unwrap_or_default(),
            })
            .collect(),
        handling,
    }
}

fn page_number(q: Option<&str>) -> Result<usize, AppError> {
    match q {
        None | Some("") => Ok(1),
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=ARCHIVE_MAX).contains(n))
            .ok_or_else(|| AppError::invalid_query("page")),
    }
}

async fn render(
    app: AppState,
    ctx: Ctx,
    headers: HeaderMap,
    slug: Option<String>,
    q: ArchiveQuery,
) -> Result<Response, AppError> {
    let site: Site = site(&app, slug.as_deref())?;
    let page_no = page_number(q.page.as_deref())?;
    let filter = q.account.filter(|a| !a.is_empty());
    if filter.as_ref().is_some_and(|f| f.len() > 200) {
        return Err(AppError::invalid_query("account"));
    }
    let wf = &site.wf;
    let snap = app
        .archive_cache()
        .current(&app, wf, async || {
            wf.archive(ARCHIVE_MAX).await.map_err(|e| {
                tracing::error!(code = e.code(), error = %e, "archive: read");
                AppError::internal()
            })
        })
        .await?;
    let tag = etag(&[
        &snap.version,
        "archive",
        ctx.lang.code(),
        site.base.trim_start_matches("/m/"),
        &page_no.to_string(),
        &filter
            .as_deref()
            .map(|f| {
                // The ETag is a quoted ASCII string: the account key goes in as hex.
                f.bytes().map(|b| format!("{b:02x}")).collect::<String>()
            })
            .unwrap_or_default(),
    ]);
    cached(&headers, &tag, || {
        let m = ctx.lang.msgs();
        let g = wf.guideline();
        let name = &wf.municipality().name;
        // Every account that published something, for the filter.
        let mut accounts: Vec<Choice> = Vec::new();
        for e in &snap.data {
            for l in &e.links {
                let key = account_key(&l.platform, &l.handle);
                if !accounts.iter().any(|c| c.value == key) {
                    accounts.push(Choice {
                        selected: filter.as_deref() == Some(key.as_str()),
                        label: format!(
                            "{} {} {}",
                            koho_check::Platform::from_id(&l.platform)
                                .map_or(l.platform.as_str(), |p| m.platform(p)),
                            l.display_name,
                            l.handle
                        ),
                        value: key,
                    });
                }
            }
        }
        accounts.sort_by(|a, b| a.label.cmp(&b.label));
        let matching: Vec<&ArchiveEntry> = snap
            .data
            .iter()
            .filter(|e| match &filter {
                None => true,
                Some(f) => e
                    .links
                    .iter()
                    .any(|l| account_key(&l.platform, &l.handle) == *f),
            })
            .collect();
        let pages = matching.len().div_ceil(PER_PAGE).max(1);
        let start = (page_no - 1) * PER_PAGE;
        let shown: Vec<&ArchiveEntry> = matching
            .iter()
            .skip(start)
            .take(PER_PAGE)
            .copied()
            .collect();
        let query_for = |p: usize| {
            let mut s = format!("{}/archive?page={p}", site.base);
            if let Some(f) = &filter {
                s.push_str("&account=");
                s.extend(form_urlencoded::byte_serialize(f.as_bytes()));
            }
            s
        };
        // A related post on the same page is a fragment link; elsewhere, its page.
        let position: HashMap<&str, usize> = matching
            .iter()
            .enumerate()
            .map(|(i, e)| (e.post_id.as_str(), i))
            .collect();
        let on_page = |id: &str| match position.get(id) {
            Some(i) if i / PER_PAGE + 1 == page_no => format!("#{}", anchor(id)),
            Some(i) => format!("{}#{}", query_for(i / PER_PAGE + 1), anchor(id)),
            None => format!("{}/archive#{}", site.base, anchor(id)),
        };
        let entries: Vec<EntryView> = shown.iter().map(|e| entry_view(m, e, &on_page)).collect();
        let clause = g
            .correction
            .as_ref()
            .and_then(|c| c.clauses.first())
            .map(|c| {
                fill(
                    m.archive_page_clause,
                    &[("guideline", &g.title), ("clause", c)],
                )
            })
            .unwrap_or_default();
        let t = ArchivePage {
            page: layout(&app, &ctx, m.archive_page_title, "archive", &site),
            heading: fill(m.archive_page_heading, &[("municipality", name)]),
            lead: fill(m.archive_page_lead, &[("municipality", name)]),
            clause,
            summary: if matching.is_empty() {
                String::new()
            } else {
                fill(
                    m.archive_page_summary,
                    &[
                        ("from", &(start + 1).to_string()),
                        ("to", &(start + shown.len()).to_string()),
                        ("total", &matching.len().to_string()),
                        ("page", &page_no.to_string()),
                        ("pages", &pages.to_string()),
                    ],
                )
            },
            prev: (page_no > 1).then(|| query_for(page_no - 1)),
            next: (page_no < pages).then(|| query_for(page_no + 1)),
            entries,
            accounts,
            filtered: filter.is_some(),
            feed: site.base.is_empty().then(|| "/archive.atom".to_owned()),
            base: site.base.clone(),
            truncated: (snap.data.len() >= ARCHIVE_MAX)
                .then(|| fill(m.archive_page_truncated, &[("n", &ARCHIVE_MAX.to_string())])),
        };
        let status = if page_no > pages {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        };
        Ok(html(status, t.render()))
    })
}

/// `GET /archive`: the default municipality's archive.
pub async fn root(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Query(q): Query<ArchiveQuery>,
) -> Result<Response, AppError> {
    render(app, ctx, headers, None, q).await
}

/// `GET /m/{slug}/archive`
pub async fn site_archive(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<ArchiveQuery>,
) -> Result<Response, AppError> {
    render(app, ctx, headers, Some(slug), q).await
}

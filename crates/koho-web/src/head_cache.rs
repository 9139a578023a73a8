//! Caches of what a municipality's public pages show, keyed by its audit chain head.
//!
//! Every change that can alter a public page (the register, a policy, a publication or a
//! correction) is audited in the transaction that makes it, so an unchanged chain head
//! means unchanged data. A [`HeadCache`] keeps one [`Snapshot`] per municipality: the
//! data read after that head, and each page rendered from it once. The head itself is
//! read again only after a write through this server (the store counts them) or
//! [`HEAD_RECHECK`] after it was last confirmed, so a change made by another process
//! (the CLI, a second server) shows within that time, and a page under load costs no
//! database work at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use koho_workflow::Workflow;
use serde::Serialize;

use crate::error::AppError;
use crate::state::AppState;

/// How long a snapshot is served before the database is asked whether the audit chain
/// moved, when this server has written nothing since. Short enough that a suspension
/// made from the CLI reaches citizens at once in human terms; long enough that a burst
/// of requests costs one head read.
pub const HEAD_RECHECK: Duration = Duration::from_millis(500);

/// What one municipality's pages show as of one audit chain head.
#[derive(Debug)]
pub struct Snapshot<T> {
    /// `seq-hash` of the chain head the data was read after: the pages' validator.
    pub version: String,
    pub data: T,
    /// When the head was last confirmed, with the store's write count at that moment.
    checked: Mutex<(Instant, u64)>,
    /// Pages of this version as rendered once, by page key (kind, site, language, …).
    pages: RwLock<HashMap<String, Rendered>>,
}

/// A rendered page: what a 200 response of one version carries.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub content_type: &'static str,
    pub disposition: Option<HeaderValue>,
    pub body: Bytes,
}

impl Rendered {
    pub fn html(body: Result<String, askama::Error>) -> Result<Rendered, AppError> {
        match body {
            Ok(s) => Ok(Rendered {
                content_type: "text/html; charset=utf-8",
                disposition: None,
                body: Bytes::from(s),
            }),
            Err(e) => Err(internal("template", &e)),
        }
    }

    pub fn json(value: &impl Serialize) -> Result<Rendered, AppError> {
        match serde_json::to_vec(value) {
            Ok(v) => Ok(Rendered {
                content_type: "application/json",
                disposition: None,
                body: Bytes::from(v),
            }),
            Err(e) => Err(internal("json", &e)),
        }
    }

    fn response(&self) -> Response {
        let mut res = self.body.clone().into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if let Some(d) = &self.disposition {
            h.insert(header::CONTENT_DISPOSITION, d.clone());
        }
        res
    }
}

impl<T> Snapshot<T> {
    /// The page `key` of this version, rendered by `render` the first time only.
    pub fn page(
        &self,
        key: String,
        render: impl FnOnce() -> Result<Rendered, AppError>,
    ) -> Result<Response, AppError> {
        if let Ok(pages) = self.pages.read()
            && let Some(r) = pages.get(&key)
        {
            return Ok(r.response());
        }
        let r = render()?;
        let res = r.response();
        if let Ok(mut pages) = self.pages.write() {
            pages.insert(key, r);
        }
        Ok(res)
    }
}

/// The latest snapshot of every municipality, keyed by municipality id.
#[derive(Debug)]
pub struct HeadCache<T> {
    by_tenant: RwLock<HashMap<String, Arc<Snapshot<T>>>>,
}

impl<T> Default for HeadCache<T> {
    fn default() -> Self {
        HeadCache {
            by_tenant: RwLock::default(),
        }
    }
}

impl<T> HeadCache<T> {
    fn cached(&self, id: &str) -> Option<Arc<Snapshot<T>>> {
        self.by_tenant.read().ok()?.get(id).cloned()
    }

    /// The current snapshot of `wf`'s data: the cached one while the chain head has not
    /// moved, else `load`ed again. A change landing between the head read and `load` is
    /// caught by the next head read, which differs.
    pub async fn current(
        &self,
        app: &AppState,
        wf: &Workflow,
        load: impl AsyncFnOnce() -> Result<T, AppError>,
    ) -> Result<Arc<Snapshot<T>>, AppError> {
        let id = wf.municipality().id.as_str();
        // Counted before the head is read: a write committing in between makes the next
        // request look again rather than trust a head that may predate it.
        let writes = app.store().local_writes();
        let cached = self.cached(id);
        if let Some(s) = &cached
            && s.checked
                .lock()
                .is_ok_and(|c| c.1 == writes && c.0.elapsed() < HEAD_RECHECK)
        {
            return Ok(Arc::clone(s));
        }
        let head = app
            .store()
            .audit_head(wf.tenant())
            .await
            .map_err(|e| internal("audit head", &e))?;
        let version = format!("{}-{}", head.seq, head.hash.get(..16).unwrap_or(&head.hash));
        if let Some(s) = cached
            && s.version == version
        {
            if let Ok(mut c) = s.checked.lock() {
                *c = (Instant::now(), writes);
            }
            return Ok(s);
        }
        let snap = Arc::new(Snapshot {
            version,
            data: load().await?,
            checked: Mutex::new((Instant::now(), writes)),
            pages: RwLock::default(),
        });
        if let Ok(mut map) = self.by_tenant.write() {
            map.insert(id.to_owned(), Arc::clone(&snap));
        }
        Ok(snap)
    }
}

pub(crate) fn internal(what: &str, e: &dyn std::fmt::Display) -> AppError {
    tracing::error!(error = %e, what, "public page failed");
    AppError::internal()
}

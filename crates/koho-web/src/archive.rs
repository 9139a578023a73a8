//! `/archive.atom`: the default municipality's published posts as an Atom 1.0 feed
//! (神栖市 第7条(1)), rendered by `koho_workflow::posts::render_atom`.

use axum::extract::{Extension, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use koho_workflow::posts::{FeedInfo, render_atom};

use crate::error::AppError;
use crate::i18n::fill;
use crate::middleware::Ctx;
use crate::state::AppState;

/// How many posts the feed carries.
const FEED_ENTRIES: usize = 100;

pub async fn atom(State(app): State<AppState>, Extension(ctx): Extension<Ctx>) -> Response {
    let Some(wf) = app.sites().first() else {
        return AppError::not_found().into_response();
    };
    let entries = match wf.archive(FEED_ENTRIES).await {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(code = e.code(), "archive feed: {e}");
            return AppError::internal().into_response();
        }
    };
    let g = wf.guideline();
    let home = g.municipality.homepage.trim_end_matches('/');
    let info = FeedInfo {
        title: fill(
            ctx.lang.msgs().archive_feed_title,
            &[("municipality", &g.municipality.name)],
        ),
        self_url: format!("{home}/archive.atom"),
        html_url: format!("{home}/archive"),
        author: g.municipality.name.clone(),
        timezone: g.municipality.timezone.clone(),
    };
    match render_atom(&info, &entries) {
        Ok(xml) => {
            let mut res = (StatusCode::OK, xml).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/atom+xml; charset=utf-8"),
            );
            res
        }
        Err(e) => {
            tracing::error!(code = e.code(), "archive feed: {e}");
            AppError::internal().into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use koho_check::{Checker, Guideline};
    use koho_workflow::Workflow;
    use tower::ServiceExt;

    use crate::{AppState, Options, router};

    #[tokio::test]
    async fn the_feed_is_atom_with_the_municipality_as_author() {
        let g = Guideline::preset("takanabe").unwrap().unwrap();
        let c = Checker::new(&g).unwrap();
        let store = koho_store::Store::open("sqlite::memory:").await.unwrap();
        let wf = Workflow::create(&store, "takanabe", g.clone())
            .await
            .unwrap();
        let state = AppState::new(store, vec![wf], (g, c), vec![], Options::default()).unwrap();
        let res = router(state)
            .oneshot(Request::get("/archive.atom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/atom+xml")
        );
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let xml = String::from_utf8(body.to_vec()).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let feed = doc.root_element();
        assert_eq!(
            feed.tag_name().namespace(),
            Some("http://www.w3.org/2005/Atom")
        );
        let author = feed.descendants().find(|n| n.has_tag_name("name")).unwrap();
        assert_eq!(author.text(), Some("高鍋町"));
    }
}

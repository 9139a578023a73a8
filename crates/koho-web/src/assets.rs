//! Static files, embedded in the binary and served under content-hashed names
//! (`/static/css/app.3f9c2a71d0.css`) with a year-long immutable cache lifetime.
//! Nothing is fetched from elsewhere: fonts and design tokens are vendored in
//! `static/` with their licences.

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// `(logical path, bytes, content type)`. CSS may refer to the other files by
/// `/static/<logical path>`; those references are rewritten to hashed names.
const FILES: &[(&str, &[u8], &str)] = &[
    (
        "fonts/noto-sans-jp-japanese-400-normal.woff2",
        include_bytes!("../static/fonts/noto-sans-jp-japanese-400-normal.woff2"),
        "font/woff2",
    ),
    (
        "fonts/noto-sans-jp-japanese-700-normal.woff2",
        include_bytes!("../static/fonts/noto-sans-jp-japanese-700-normal.woff2"),
        "font/woff2",
    ),
    (
        "icon.svg",
        include_bytes!("../static/icon.svg"),
        "image/svg+xml",
    ),
    (
        "css/tokens.css",
        include_bytes!("../static/css/tokens.css"),
        "text/css; charset=utf-8",
    ),
    (
        "css/app.css",
        include_bytes!("../static/css/app.css"),
        "text/css; charset=utf-8",
    ),
    (
        "css/forms.css",
        include_bytes!("../static/css/forms.css"),
        "text/css; charset=utf-8",
    ),
    (
        "js/check.js",
        include_bytes!("../static/js/check.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "js/post-editor.js",
        include_bytes!("../static/js/post-editor.js"),
        "text/javascript; charset=utf-8",
    ),
];

pub struct Asset {
    pub logical: &'static str,
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// The first 10 hex digits of the SHA-256 of the bytes served.
    pub hash: String,
    /// `/static/css/app.<hash>.css`
    pub url: String,
}

pub struct Assets {
    pub files: Vec<Asset>,
}

fn hashed_url(logical: &str, hash: &str) -> String {
    match logical.rsplit_once('.') {
        Some((stem, ext)) => format!("/static/{stem}.{hash}.{ext}"),
        None => format!("/static/{logical}.{hash}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Assets {
    fn build() -> Assets {
        let mut files: Vec<Asset> = Vec::with_capacity(FILES.len());
        for (logical, bytes, content_type) in FILES {
            let mut bytes = bytes.to_vec();
            if content_type.starts_with("text/css") {
                let mut css = String::from_utf8_lossy(&bytes).into_owned();
                for f in &files {
                    css = css.replace(&format!("/static/{}", f.logical), &f.url);
                }
                bytes = css.into_bytes();
            }
            let hash = hex(&Sha256::digest(&bytes)[..5]);
            let url = hashed_url(logical, &hash);
            files.push(Asset {
                logical,
                bytes: Bytes::from(bytes),
                content_type,
                hash,
                url,
            });
        }
        Assets { files }
    }

    /// The hashed URL of a file; an unknown name yields a URL that 404s (and a test fails).
    pub fn url(&self, logical: &str) -> &str {
        self.files
            .iter()
            .find(|f| f.logical == logical)
            .map_or("/static/missing", |f| f.url.as_str())
    }
}

pub static ASSETS: LazyLock<Assets> = LazyLock::new(Assets::build);

/// The URLs the page layout links to.
#[derive(Debug, Clone)]
pub struct Urls {
    pub tokens_css: &'static str,
    pub app_css: &'static str,
    pub check_js: &'static str,
    pub post_editor_js: &'static str,
    pub icon: &'static str,
}

pub static URLS: LazyLock<Urls> = LazyLock::new(|| Urls {
    tokens_css: ASSETS.url("css/tokens.css"),
    app_css: ASSETS.url("css/app.css"),
    check_js: ASSETS.url("js/check.js"),
    post_editor_js: ASSETS.url("js/post-editor.js"),
    icon: ASSETS.url("icon.svg"),
});

/// `GET /static/{*path}`: only the current hashed names exist.
pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let wanted = format!("/static/{path}");
    let Some(asset) = ASSETS.files.iter().find(|f| f.url == wanted) else {
        return Err(AppError::not_found());
    };
    let etag = format!("\"{}\"", asset.hash);
    let mut h = HeaderMap::new();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    Ok((h, asset.bytes.clone()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_gets_a_hashed_url_and_css_refers_to_hashed_fonts() {
        for f in &ASSETS.files {
            assert!(f.url.contains(&f.hash), "{}", f.url);
            assert_eq!(f.hash.len(), 10);
        }
        let css = ASSETS
            .files
            .iter()
            .find(|f| f.logical == "css/app.css")
            .unwrap();
        let css = String::from_utf8(css.bytes.to_vec()).unwrap();
        let font = ASSETS.url("fonts/noto-sans-jp-japanese-400-normal.woff2");
        assert!(css.contains(font), "app.css should use {font}");
        assert!(!css.contains("/static/fonts/noto-sans-jp-japanese-400-normal.woff2"));
    }

    #[test]
    fn layout_urls_name_real_files() {
        for u in [
            URLS.tokens_css,
            URLS.app_css,
            URLS.check_js,
            URLS.post_editor_js,
            URLS.icon,
        ] {
            assert!(ASSETS.files.iter().any(|f| f.url == u), "{u}");
        }
    }
}

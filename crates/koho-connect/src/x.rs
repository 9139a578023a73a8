//! X (formerly Twitter), API v2.
//!
//! Images go up through `POST /2/media/upload` (multipart, `media_category=tweet_image`),
//! alt text through `POST /2/media/metadata`, the post through `POST /2/tweets`.
//! X has no idempotency key: after an uncertain attempt the connector reads the
//! account's timeline (`GET /2/users/{id}/tweets`) and compares texts, links masked
//! because X rewrites them to t.co.

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::http::{
    ConfigError, Effect, Http, HttpConfig, Reply, classify_status, created_since, decode_entities,
    now_ms, parse_rfc3339_ms, retry_after, same_text, until_epoch_secs,
};
use crate::{
    AccountAuth, Capabilities, ConnectError, Connector, Idempotency, Platform, Profile,
    PublishRequest, RemotePost,
};

pub const DEFAULT_BASE_URL: &str = "https://api.x.com";

pub struct XConnector {
    http: Http,
}

impl XConnector {
    pub fn new(cfg: &HttpConfig) -> Result<XConnector, ConfigError> {
        Ok(XConnector {
            http: Http::new(cfg)?,
        })
    }

    async fn call(
        &self,
        rb: reqwest::RequestBuilder,
        auth: &AccountAuth,
        effect: Effect,
    ) -> Result<Reply, ConnectError> {
        let reply = self
            .http
            .send(rb.bearer_auth(auth.access_token.expose()), effect)
            .await?;
        if reply.status.is_success() {
            return Ok(reply);
        }
        Err(error_of(&reply, effect))
    }

    async fn upload(
        &self,
        auth: &AccountAuth,
        media: &crate::Media,
        index: usize,
    ) -> Result<String, ConnectError> {
        let part = reqwest::multipart::Part::bytes(media.bytes.clone())
            .file_name(format!("image{index}"))
            .mime_str(&media.mime)
            .map_err(|e| ConnectError::Rejected {
                code: "media_type".into(),
                detail: e.to_string(),
            })?;
        let form = reqwest::multipart::Form::new()
            .part("media", part)
            .text("media_category", "tweet_image");
        let rb = self
            .http
            .client
            .post(self.http.url("/2/media/upload"))
            .multipart(form);
        let reply = self.call(rb, auth, Effect::Prepare).await?;
        let body: Data<UploadData> = reply.json(Effect::Prepare)?;
        let id = body.data.id;
        if let Some(alt) = media.alt_text.as_deref().filter(|a| !a.trim().is_empty()) {
            let rb = self
                .http
                .client
                .post(self.http.url("/2/media/metadata"))
                .json(&json!({"id": id, "metadata": {"alt_text": {"text": alt}}}));
            self.call(rb, auth, Effect::Prepare).await?;
        }
        Ok(id)
    }
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct UploadData {
    id: String,
}

#[derive(Deserialize)]
struct Tweet {
    id: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Deserialize)]
struct Timeline {
    #[serde(default)]
    data: Vec<Tweet>,
}

#[derive(Deserialize)]
struct User {
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    entities: Option<UserEntities>,
}

#[derive(Deserialize)]
struct UserEntities {
    url: Option<UrlEntity>,
}

#[derive(Deserialize)]
struct UrlEntity {
    #[serde(default)]
    urls: Vec<Expanded>,
}

#[derive(Deserialize)]
struct Expanded {
    expanded_url: Option<String>,
}

fn post_url(id: &str) -> String {
    format!("https://x.com/i/status/{id}")
}

fn remote_post(t: Tweet) -> RemotePost {
    RemotePost {
        url: Some(post_url(&t.id)),
        created_at_ms: t.created_at.as_deref().and_then(parse_rfc3339_ms),
        text: decode_entities(&t.text),
        remote_id: t.id,
    }
}

/// X answers errors either as a problem (`title`, `detail`, `type`) or as
/// `{"errors": [{"message", "code"}]}` (v1.1-style, still used by the gateway).
fn error_of(reply: &Reply, effect: Effect) -> ConnectError {
    let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
    let first = v.get("errors").and_then(|e| e.get(0));
    let detail = v
        .get("detail")
        .or_else(|| first.and_then(|e| e.get("message")))
        .or_else(|| v.get("title"))
        .and_then(|d| d.as_str())
        .map_or_else(|| reply.text_lossy(), str::to_owned);
    let code = v
        .get("type")
        .and_then(|t| t.as_str())
        .map(|t| t.rsplit('/').next().unwrap_or(t).to_owned())
        .or_else(|| {
            first
                .and_then(|e| e.get("code"))
                .map(|c| c.to_string().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| reply.status.as_u16().to_string());
    let wait = rate_limit_wait(reply, now_ms());
    // An expired OAuth 2.0 token is a 401; a revoked app or suspended account is a
    // 403 that no retry fixes, so it stays a rejection.
    if reply.status == StatusCode::FORBIDDEN && detail.contains("duplicate content") {
        return ConnectError::Rejected {
            code: "duplicate".into(),
            detail,
        };
    }
    classify_status(reply.status, effect, code, detail, wait)
}

/// How long an X 429 lasts. Besides the 15-minute endpoint window
/// (`x-rate-limit-*`), posting has 24-hour caps per user and per app
/// (`x-user-limit-24hour-*`, `x-app-limit-24hour-*`); the wait is until the latest
/// reset among the windows that are used up, or the endpoint window when none says so.
pub(crate) fn rate_limit_wait(reply: &Reply, now_ms: i64) -> Option<std::time::Duration> {
    let exhausted = |prefix: &str| {
        let remaining = reply.header(&format!("{prefix}-remaining"))?;
        if remaining.trim() != "0" {
            return None;
        }
        until_epoch_secs(reply.header(&format!("{prefix}-reset"))?, now_ms)
    };
    ["x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"]
        .iter()
        .filter_map(|p| exhausted(p))
        .max()
        .or_else(|| {
            reply
                .header("x-rate-limit-reset")
                .and_then(|r| until_epoch_secs(r, now_ms))
        })
        .or_else(|| {
            reply
                .header("retry-after")
                .and_then(|r| retry_after(r, now_ms))
        })
}

#[async_trait::async_trait]
impl Connector for XConnector {
    fn platform(&self) -> Platform {
        Platform::X
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency: Idempotency::Lookup,
            max_images: 4,
            alt_text: true,
            can_delete: true,
            can_read_posts: true,
        }
    }

    async fn publish(
        &self,
        auth: &AccountAuth,
        req: &PublishRequest,
    ) -> Result<RemotePost, ConnectError> {
        if req.media.len() > 4 {
            return Err(ConnectError::Rejected {
                code: "too_many_images".into(),
                detail: format!("X takes at most 4 images, got {}", req.media.len()),
            });
        }
        let mut ids = Vec::with_capacity(req.media.len());
        for (i, m) in req.media.iter().enumerate() {
            ids.push(self.upload(auth, m, i).await?);
        }
        let mut body = json!({ "text": req.text });
        if !ids.is_empty() {
            body["media"] = json!({ "media_ids": ids });
        }
        let rb = self
            .http
            .client
            .post(self.http.url("/2/tweets"))
            .json(&body);
        let reply = self.call(rb, auth, Effect::Publish).await?;
        let created: Data<Tweet> = reply.json(Effect::Publish)?;
        let mut post = remote_post(created.data);
        if post.text.is_empty() {
            post.text.clone_from(&req.text);
        }
        Ok(post)
    }

    async fn find_published(
        &self,
        auth: &AccountAuth,
        req: &PublishRequest,
        since_ms: i64,
    ) -> Result<Option<RemotePost>, ConnectError> {
        let posts = self.recent_posts(auth, 20).await?;
        Ok(posts
            .into_iter()
            .find(|p| created_since(p.created_at_ms, since_ms) && same_text(&req.text, &p.text)))
    }

    async fn delete(&self, auth: &AccountAuth, remote_id: &str) -> Result<(), ConnectError> {
        let rb = self
            .http
            .client
            .delete(self.http.url(&format!("/2/tweets/{}", enc(remote_id))));
        match self.call(rb, auth, Effect::Publish).await {
            Ok(_) => Ok(()),
            // Already gone is what a delete wants.
            Err(ConnectError::Rejected { code, .. }) if code == "resource-not-found" => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn recent_posts(
        &self,
        auth: &AccountAuth,
        limit: usize,
    ) -> Result<Vec<RemotePost>, ConnectError> {
        // The endpoint accepts 5..=100.
        let max = limit.clamp(5, 100).to_string();
        let rb = self
            .http
            .client
            .get(
                self.http
                    .url(&format!("/2/users/{}/tweets", enc(&auth.account_ref))),
            )
            .query(&[
                ("max_results", max.as_str()),
                ("post.fields", "created_at"),
                ("exclude", "replies,retweets"),
            ]);
        let reply = self.call(rb, auth, Effect::Read).await?;
        let tl: Timeline = reply.json(Effect::Read)?;
        Ok(tl.data.into_iter().take(limit).map(remote_post).collect())
    }

    async fn profile(&self, auth: &AccountAuth) -> Result<Profile, ConnectError> {
        let rb = self
            .http
            .client
            .get(self.http.url("/2/users/me"))
            .query(&[("user.fields", "description,url,entities")]);
        let reply = self.call(rb, auth, Effect::Read).await?;
        let me: Data<User> = reply.json(Effect::Read)?;
        let u = me.data;
        // The `url` field is a t.co link; the entity holds the address the
        // municipality actually entered.
        let expanded = u
            .entities
            .and_then(|e| e.url)
            .and_then(|u| u.urls.into_iter().next())
            .and_then(|e| e.expanded_url);
        Ok(Profile {
            handle: u.username,
            display_name: u.name,
            description: u.description,
            url: expanded.or(u.url).filter(|s| !s.is_empty()),
        })
    }
}

/// A path segment from an id the caller holds: ids never contain `/`, but a corrupted
/// one must not reach another endpoint.
pub(crate) fn enc(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

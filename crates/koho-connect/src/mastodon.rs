//! Mastodon (and compatible servers) through its REST API.
//!
//! Images: `POST /api/v2/media` with `file` and `description` (alt text); a 202 means
//! the server is still processing, and `GET /api/v1/media/{id}` is polled until it has
//! a `url`. Post: `POST /api/v1/statuses` with an `Idempotency-Key` header carrying the
//! job's key: Mastodon answers a repeat within an hour with the status it already
//! created, so a retry cannot duplicate. Own posts: `GET /api/v1/accounts/{id}/statuses`
//! (HTML `content`, turned back into text); profile: `GET
//! /api/v1/accounts/verify_credentials`. Rate limits: `X-RateLimit-Reset` in ISO 8601.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::http::{
    ConfigError, Effect, Http, HttpConfig, Reply, classify_status, created_since, html_to_text,
    now_ms, parse_rfc3339_ms, retry_after, same_text, until_epoch_secs, until_rfc3339,
};
use crate::x::enc;
use crate::{
    AccountAuth, Capabilities, ConnectError, Connector, Idempotency, Platform, Profile,
    PublishRequest, RemotePost,
};

pub struct MastodonConnector {
    http: Http,
    media_poll: Duration,
    media_poll_attempts: u32,
}

#[derive(Deserialize)]
struct Attachment {
    id: String,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Deserialize)]
struct Account {
    acct: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    fields: Vec<Field>,
}

#[derive(Deserialize)]
struct Source {
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
struct Field {
    #[serde(default)]
    value: String,
}

impl MastodonConnector {
    pub fn new(cfg: &HttpConfig) -> Result<MastodonConnector, ConfigError> {
        Ok(MastodonConnector {
            http: Http::new(cfg)?,
            media_poll: Duration::from_secs(1),
            media_poll_attempts: 30,
        })
    }

    /// How often and how long to wait for the server to process an image.
    #[must_use]
    pub fn with_media_polling(mut self, interval: Duration, attempts: u32) -> MastodonConnector {
        self.media_poll = interval;
        self.media_poll_attempts = attempts.max(1);
        self
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
            Ok(reply)
        } else {
            Err(error_of(&reply, effect))
        }
    }

    async fn upload(
        &self,
        auth: &AccountAuth,
        m: &crate::Media,
        i: usize,
    ) -> Result<String, ConnectError> {
        let part = reqwest::multipart::Part::bytes(m.bytes.clone())
            .file_name(format!("image{i}"))
            .mime_str(&m.mime)
            .map_err(|e| ConnectError::Rejected {
                code: "media_type".into(),
                detail: e.to_string(),
            })?;
        let mut form = reqwest::multipart::Form::new().part("file", part);
        if let Some(alt) = m.alt_text.as_deref().filter(|a| !a.trim().is_empty()) {
            form = form.text("description", alt.to_owned());
        }
        let rb = self
            .http
            .client
            .post(self.http.url("/api/v2/media"))
            .multipart(form);
        let reply = self.call(rb, auth, Effect::Prepare).await?;
        let mut att: Attachment = reply.json(Effect::Prepare)?;
        let mut polls = 0;
        // 202 (or a null url) means "accepted, still processing".
        while att.url.is_none() {
            if polls >= self.media_poll_attempts {
                return Err(ConnectError::Retryable {
                    detail: format!("media {} is still being processed", att.id),
                    retry_after: Some(self.media_poll * 5),
                });
            }
            polls += 1;
            tokio::time::sleep(self.media_poll).await;
            let rb = self
                .http
                .client
                .get(self.http.url(&format!("/api/v1/media/{}", enc(&att.id))));
            let reply = self
                .http
                .send(rb.bearer_auth(auth.access_token.expose()), Effect::Read)
                .await?;
            match reply.status.as_u16() {
                200 => att = reply.json(Effect::Read)?,
                206 => {}
                _ => return Err(error_of(&reply, Effect::Read)),
            }
        }
        Ok(att.id)
    }
}

fn error_of(reply: &Reply, effect: Effect) -> ConnectError {
    let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
    let detail = v
        .get("error")
        .and_then(|e| e.as_str())
        .map_or_else(|| reply.text_lossy(), str::to_owned);
    let now = now_ms();
    // Real Mastodon sends ISO 8601; some compatible servers send epoch seconds.
    let wait = reply
        .header("x-ratelimit-reset")
        .and_then(|r| until_rfc3339(r, now).or_else(|| until_epoch_secs(r, now)))
        .or_else(|| {
            reply
                .header("retry-after")
                .and_then(|r| retry_after(r, now))
        });
    classify_status(
        reply.status,
        effect,
        reply.status.as_u16().to_string(),
        detail,
        wait,
    )
}

fn remote_post(s: Status) -> RemotePost {
    RemotePost {
        text: s.text.unwrap_or_else(|| html_to_text(&s.content)),
        url: s.url.or(s.uri),
        created_at_ms: s.created_at.as_deref().and_then(parse_rfc3339_ms),
        remote_id: s.id,
    }
}

#[async_trait::async_trait]
impl Connector for MastodonConnector {
    fn platform(&self) -> Platform {
        Platform::Mastodon
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency: Idempotency::Native,
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
        let mut ids = Vec::with_capacity(req.media.len());
        for (i, m) in req.media.iter().enumerate() {
            ids.push(self.upload(auth, m, i).await?);
        }
        let rb = self
            .http
            .client
            .post(self.http.url("/api/v1/statuses"))
            .header("Idempotency-Key", &req.idempotency_key.0)
            .json(&json!({
                "status": req.text,
                "media_ids": ids,
                "visibility": "public",
            }));
        let reply = self.call(rb, auth, Effect::Publish).await?;
        let s: Status = reply.json(Effect::Publish)?;
        let mut post = remote_post(s);
        post.text.clone_from(&req.text);
        Ok(post)
    }

    async fn find_published(
        &self,
        auth: &AccountAuth,
        req: &PublishRequest,
        since_ms: i64,
    ) -> Result<Option<RemotePost>, ConnectError> {
        let posts = self.recent_posts(auth, 40).await?;
        Ok(posts
            .into_iter()
            .find(|p| created_since(p.created_at_ms, since_ms) && same_text(&req.text, &p.text)))
    }

    async fn delete(&self, auth: &AccountAuth, remote_id: &str) -> Result<(), ConnectError> {
        let rb = self.http.client.delete(
            self.http
                .url(&format!("/api/v1/statuses/{}", enc(remote_id))),
        );
        match self.call(rb, auth, Effect::Publish).await {
            Ok(_) => Ok(()),
            Err(ConnectError::Rejected { code, .. }) if code == "404" => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn recent_posts(
        &self,
        auth: &AccountAuth,
        limit: usize,
    ) -> Result<Vec<RemotePost>, ConnectError> {
        let limit_s = limit.clamp(1, 40).to_string();
        let rb = self
            .http
            .client
            .get(self.http.url(&format!(
                "/api/v1/accounts/{}/statuses",
                enc(&auth.account_ref)
            )))
            .query(&[
                ("limit", limit_s.as_str()),
                ("exclude_replies", "true"),
                ("exclude_reblogs", "true"),
            ]);
        let reply = self.call(rb, auth, Effect::Read).await?;
        let list: Vec<Status> = reply.json(Effect::Read)?;
        Ok(list.into_iter().take(limit).map(remote_post).collect())
    }

    async fn profile(&self, auth: &AccountAuth) -> Result<Profile, ConnectError> {
        let rb = self
            .http
            .client
            .get(self.http.url("/api/v1/accounts/verify_credentials"));
        let reply = self.call(rb, auth, Effect::Read).await?;
        let a: Account = reply.json(Effect::Read)?;
        // The first profile field holding a link is the account's website.
        let url = a.fields.iter().find_map(|f| {
            let text = html_to_text(&f.value);
            let t = text.trim();
            (t.starts_with("https://") || t.starts_with("http://")).then(|| t.to_owned())
        });
        Ok(Profile {
            handle: a.acct,
            display_name: a.display_name,
            description: a
                .source
                .and_then(|s| s.note)
                .unwrap_or_else(|| html_to_text(&a.note)),
            url,
        })
    }
}

//! Misskey through its RPC-style API: every call is a `POST /api/…` with a JSON body
//! carrying the token as `i`.
//!
//! Images: `POST /api/drive/files/create` (multipart, `comment` is the alt text). Post:
//! `POST /api/notes/create` (`text`, `fileIds`, `visibility: public`). Delete:
//! `/api/notes/delete`. Own posts: `/api/users/notes`. Profile: `/api/i`. Misskey has no
//! idempotency key: after an uncertain attempt the account's notes are compared by
//! text. Rate limits: 429 `RATE_LIMIT_EXCEEDED` with `Retry-After` (seconds).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::{
    ConfigError, Effect, Http, HttpConfig, Reply, classify_status, created_since, delta_secs,
    now_ms, parse_rfc3339_ms, retry_after, same_text,
};
use crate::{
    AccountAuth, Capabilities, ConnectError, Connector, Idempotency, Platform, Profile,
    PublishRequest, RemotePost,
};

/// A note holds at most 16 files.
const MAX_IMAGES: usize = 16;

pub struct MisskeyConnector {
    http: Http,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Note {
    id: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    created_note: Note,
}

#[derive(Deserialize)]
struct DriveFile {
    id: String,
}

#[derive(Deserialize)]
struct Me {
    username: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    fields: Vec<MeField>,
}

#[derive(Deserialize)]
struct MeField {
    #[serde(default)]
    value: String,
}

impl MisskeyConnector {
    pub fn new(cfg: &HttpConfig) -> Result<MisskeyConnector, ConfigError> {
        Ok(MisskeyConnector {
            http: Http::new(cfg)?,
        })
    }

    async fn api(
        &self,
        auth: &AccountAuth,
        endpoint: &str,
        mut body: Value,
        effect: Effect,
    ) -> Result<Reply, ConnectError> {
        body["i"] = Value::String(auth.access_token.expose().to_owned());
        let rb = self
            .http
            .client
            .post(self.http.url(&format!("/api/{endpoint}")))
            .json(&body);
        let reply = self.http.send(rb, effect).await?;
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(error_of(&reply, effect))
        }
    }

    fn note_url(&self, id: &str) -> String {
        format!("{}/notes/{id}", self.http.base())
    }

    fn remote_post(&self, n: Note) -> RemotePost {
        RemotePost {
            url: Some(self.note_url(&n.id)),
            text: n.text.unwrap_or_default(),
            created_at_ms: n.created_at.as_deref().and_then(parse_rfc3339_ms),
            remote_id: n.id,
        }
    }
}

fn error_of(reply: &Reply, effect: Effect) -> ConnectError {
    let v: Value = serde_json::from_slice(&reply.body).unwrap_or_default();
    let err = v.get("error").cloned().unwrap_or_default();
    let code = err
        .get("code")
        .and_then(Value::as_str)
        .map_or_else(|| reply.status.as_u16().to_string(), str::to_owned);
    let detail = err
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| reply.text_lossy(), str::to_owned);
    let wait = reply
        .header("retry-after")
        .and_then(|r| retry_after(r, now_ms()))
        .or_else(|| reply.header("x-ratelimit-reset").and_then(delta_secs))
        .or_else(|| {
            err.get("info")
                .and_then(|i| i.get("resetMs"))
                .and_then(Value::as_f64)
                .and_then(|ms| delta_secs(&(ms / 1000.0).to_string()))
        });
    match code.as_str() {
        "AUTHENTICATION_FAILED" | "CREDENTIAL_REQUIRED" | "INVALID_TOKEN" => {
            ConnectError::AuthExpired {
                detail: format!("{code}: {detail}"),
            }
        }
        "RATE_LIMIT_EXCEEDED" => ConnectError::RateLimited {
            detail,
            retry_after: wait.unwrap_or(crate::http::DEFAULT_RATE_LIMIT_WAIT),
        },
        _ => classify_status(reply.status, effect, code, detail, wait),
    }
}

#[async_trait::async_trait]
impl Connector for MisskeyConnector {
    fn platform(&self) -> Platform {
        Platform::Misskey
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency: Idempotency::Lookup,
            max_images: MAX_IMAGES,
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
        if req.media.len() > MAX_IMAGES {
            return Err(ConnectError::Rejected {
                code: "too_many_images".into(),
                detail: format!(
                    "Misskey takes at most {MAX_IMAGES} files, got {}",
                    req.media.len()
                ),
            });
        }
        let mut file_ids = Vec::with_capacity(req.media.len());
        for (i, m) in req.media.iter().enumerate() {
            let part = reqwest::multipart::Part::bytes(m.bytes.clone())
                .file_name(format!("image{i}"))
                .mime_str(&m.mime)
                .map_err(|e| ConnectError::Rejected {
                    code: "media_type".into(),
                    detail: e.to_string(),
                })?;
            let mut form = reqwest::multipart::Form::new()
                .text("i", auth.access_token.expose().to_owned())
                .part("file", part);
            if let Some(alt) = m.alt_text.as_deref().filter(|a| !a.trim().is_empty()) {
                form = form.text("comment", alt.to_owned());
            }
            let rb = self
                .http
                .client
                .post(self.http.url("/api/drive/files/create"))
                .multipart(form);
            let reply = self.http.send(rb, Effect::Prepare).await?;
            if !reply.status.is_success() {
                return Err(error_of(&reply, Effect::Prepare));
            }
            file_ids.push(reply.json::<DriveFile>(Effect::Prepare)?.id);
        }
        let mut body = json!({ "text": req.text, "visibility": "public" });
        if !file_ids.is_empty() {
            body["fileIds"] = json!(file_ids);
        }
        let reply = self
            .api(auth, "notes/create", body, Effect::Publish)
            .await?;
        let created: Created = reply.json(Effect::Publish)?;
        let mut post = self.remote_post(created.created_note);
        post.text.clone_from(&req.text);
        Ok(post)
    }

    async fn find_published(
        &self,
        auth: &AccountAuth,
        req: &PublishRequest,
        since_ms: i64,
    ) -> Result<Option<RemotePost>, ConnectError> {
        let posts = self.recent_posts(auth, 30).await?;
        Ok(posts
            .into_iter()
            .find(|p| created_since(p.created_at_ms, since_ms) && same_text(&req.text, &p.text)))
    }

    async fn delete(&self, auth: &AccountAuth, remote_id: &str) -> Result<(), ConnectError> {
        match self
            .api(
                auth,
                "notes/delete",
                json!({ "noteId": remote_id }),
                Effect::Publish,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(ConnectError::Rejected { code, .. }) if code == "NO_SUCH_NOTE" => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn recent_posts(
        &self,
        auth: &AccountAuth,
        limit: usize,
    ) -> Result<Vec<RemotePost>, ConnectError> {
        let body = json!({
            "userId": auth.account_ref,
            "limit": limit.clamp(1, 100),
            "withReplies": false,
            "withRenotes": false,
        });
        let reply = self.api(auth, "users/notes", body, Effect::Read).await?;
        let notes: Vec<Note> = reply.json(Effect::Read)?;
        Ok(notes
            .into_iter()
            .take(limit)
            .map(|n| self.remote_post(n))
            .collect())
    }

    async fn profile(&self, auth: &AccountAuth) -> Result<Profile, ConnectError> {
        let reply = self.api(auth, "i", json!({}), Effect::Read).await?;
        let me: Me = reply.json(Effect::Read)?;
        let url = me.fields.iter().find_map(|f| {
            let v = f.value.trim();
            (v.starts_with("https://") || v.starts_with("http://")).then(|| v.to_owned())
        });
        Ok(Profile {
            display_name: me.name.unwrap_or_else(|| me.username.clone()),
            handle: me.username,
            description: me.description.unwrap_or_default(),
            url,
        })
    }
}

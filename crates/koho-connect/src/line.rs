//! LINE Official Account, Messaging API broadcast.
//!
//! A post is `POST /v2/bot/message/broadcast` to every friend of the account: a text
//! message followed by up to four image messages (five messages at most). Images are
//! fetched by LINE from `https` URLs, so they need a [`MediaHost`]. Each job sends
//! `X-Line-Retry-Key`, a UUID derived from its [`IdempotencyKey`]: LINE accepts a key
//! once and answers a repeat with 409 and the original request's id
//! (`X-Line-Accepted-Request-Id`), which this connector reports as success. A retry
//! after an uncertain attempt is therefore safe.
//!
//! A broadcast cannot be listed, looked up or deleted, and images carry no alt text.
//! The bot's profile comes from `GET /v2/bot/info`.

use std::sync::Arc;

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::http::{
    ConfigError, Effect, Http, HttpConfig, Reply, classify_status, now_ms, retry_after,
};
use crate::media_host::{self, MediaHost};
use crate::{
    AccountAuth, Capabilities, ConnectError, Connector, Idempotency, IdempotencyKey, Platform,
    Profile, PublishRequest, RemotePost,
};

pub const DEFAULT_BASE_URL: &str = "https://api.line.me";

/// A broadcast holds at most five messages: the text and four images.
const MAX_IMAGES: usize = 4;

pub struct LineConnector {
    http: Http,
    media_host: Option<Arc<dyn MediaHost>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BotInfo {
    basic_id: String,
    #[serde(default)]
    premium_id: Option<String>,
    display_name: String,
}

/// The `X-Line-Retry-Key` of a job: the key itself when it is a UUID, otherwise a
/// name-based (v5) UUID of it, so every attempt of the job sends the same one.
pub fn retry_key(key: &IdempotencyKey) -> Uuid {
    Uuid::parse_str(&key.0).unwrap_or_else(|_| {
        Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("koho:{}", key.0).as_bytes())
    })
}

impl LineConnector {
    pub fn new(
        cfg: &HttpConfig,
        media_host: Option<Arc<dyn MediaHost>>,
    ) -> Result<LineConnector, ConfigError> {
        Ok(LineConnector {
            http: Http::new(cfg)?,
            media_host,
        })
    }
}

fn error_of(reply: &Reply, effect: Effect) -> ConnectError {
    let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
    let message = v
        .get("message")
        .and_then(|m| m.as_str())
        .map_or_else(|| reply.text_lossy(), str::to_owned);
    let details: Vec<String> = v
        .get("details")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let m = d.get("message")?.as_str()?;
            let p = d.get("property").and_then(|p| p.as_str()).unwrap_or("");
            Some(format!("{p}: {m}"))
        })
        .collect();
    let detail = if details.is_empty() {
        message.clone()
    } else {
        format!("{message} ({})", details.join("; "))
    };
    // The monthly message quota also answers 429, but waiting minutes cannot help.
    if reply.status == StatusCode::TOO_MANY_REQUESTS && message.contains("monthly limit") {
        return ConnectError::Rejected {
            code: "monthly_limit".into(),
            detail,
        };
    }
    let wait = reply
        .header("retry-after")
        .and_then(|r| retry_after(r, now_ms()));
    classify_status(
        reply.status,
        effect,
        reply.status.as_u16().to_string(),
        detail,
        wait,
    )
}

#[async_trait::async_trait]
impl Connector for LineConnector {
    fn platform(&self) -> Platform {
        Platform::Line
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency: Idempotency::Native,
            max_images: MAX_IMAGES,
            alt_text: false,
            can_delete: false,
            can_read_posts: false,
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
                    "a LINE broadcast holds the text and at most {MAX_IMAGES} images, got {}",
                    req.media.len()
                ),
            });
        }
        let mut messages = vec![json!({ "type": "text", "text": req.text })];
        if !req.media.is_empty() {
            let host = self
                .media_host
                .as_ref()
                .ok_or_else(|| media_host::missing("LINE"))?;
            for (i, m) in req.media.iter().enumerate() {
                let url = host.public_url(m, &req.idempotency_key, i).await?;
                messages.push(json!({
                    "type": "image",
                    "originalContentUrl": url,
                    "previewImageUrl": url,
                }));
            }
        }
        let rb = self
            .http
            .client
            .post(self.http.url("/v2/bot/message/broadcast"))
            .bearer_auth(auth.access_token.expose())
            .header(
                "X-Line-Retry-Key",
                retry_key(&req.idempotency_key).to_string(),
            )
            .json(&json!({ "messages": messages }));
        let reply = self.http.send(rb, Effect::Publish).await?;
        let request_id = if reply.status.is_success() {
            reply.header("x-line-request-id").map(str::to_owned)
        } else if reply.status == StatusCode::CONFLICT
            && reply.header("x-line-accepted-request-id").is_some()
        {
            // An earlier attempt with this key was accepted: this is that broadcast.
            reply
                .header("x-line-accepted-request-id")
                .map(str::to_owned)
        } else {
            return Err(error_of(&reply, Effect::Publish));
        };
        Ok(RemotePost {
            remote_id: request_id.unwrap_or_else(|| retry_key(&req.idempotency_key).to_string()),
            url: None,
            text: req.text.clone(),
            created_at_ms: None,
        })
    }

    async fn find_published(
        &self,
        _auth: &AccountAuth,
        _req: &PublishRequest,
        _since_ms: i64,
    ) -> Result<Option<RemotePost>, ConnectError> {
        Err(ConnectError::Unsupported {
            what: "looking up a LINE broadcast (re-send with the same retry key instead)",
        })
    }

    async fn delete(&self, _auth: &AccountAuth, _remote_id: &str) -> Result<(), ConnectError> {
        Err(ConnectError::Unsupported {
            what: "deleting a LINE broadcast",
        })
    }

    async fn recent_posts(
        &self,
        _auth: &AccountAuth,
        _limit: usize,
    ) -> Result<Vec<RemotePost>, ConnectError> {
        Err(ConnectError::Unsupported {
            what: "listing LINE broadcasts",
        })
    }

    async fn profile(&self, auth: &AccountAuth) -> Result<Profile, ConnectError> {
        let rb = self
            .http
            .client
            .get(self.http.url("/v2/bot/info"))
            .bearer_auth(auth.access_token.expose());
        let reply = self.http.send(rb, Effect::Read).await?;
        if !reply.status.is_success() {
            return Err(error_of(&reply, Effect::Read));
        }
        let info: BotInfo = reply.json(Effect::Read)?;
        Ok(Profile {
            handle: info.premium_id.unwrap_or(info.basic_id),
            display_name: info.display_name,
            description: String::new(),
            url: None,
        })
    }
}

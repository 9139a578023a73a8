//! Instagram professional accounts through the Instagram Graph API.
//!
//! Publishing takes two steps: a media container (`POST /{ig-user-id}/media` with an
//! `image_url` Instagram downloads, `caption`, `alt_text`; for several images one
//! container per image with `is_carousel_item=true`, then a `CAROUSEL` container with
//! `children`), then `POST /{ig-user-id}/media_publish` with `creation_id`. Only the
//! last step makes anything public, so only its failures can be uncertain. Containers
//! that are still `IN_PROGRESS` are polled (`GET /{container-id}?fields=status_code`).
//!
//! Instagram cannot publish text without an image, and its API cannot delete a post.
//! There is no idempotency key: after an uncertain attempt `GET /{ig-user-id}/media` is
//! read and captions compared.

use std::sync::Arc;

use serde::Deserialize;

use crate::http::{
    ConfigError, Effect, Http, HttpConfig, Reply, created_since, parse_rfc3339_ms, same_text,
};
use crate::media_host::MediaHost;
use crate::meta::{self, ContainerApi, ContainerPolling, Containers};
use crate::x::enc;
use crate::{
    AccountAuth, Capabilities, ConnectError, Connector, Idempotency, Platform, Profile,
    PublishRequest, RemotePost,
};

pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com/v23.0";

const API: ContainerApi = ContainerApi {
    platform: "Instagram",
    create: "media",
    publish: "media_publish",
    text_field: "caption",
    image_type: None,
    text_type: None,
    max_images: 10,
};

pub struct InstagramConnector {
    http: Http,
    media_host: Option<Arc<dyn MediaHost>>,
    polling: ContainerPolling,
}

#[derive(Deserialize)]
struct MediaList {
    #[serde(default)]
    data: Vec<IgMedia>,
}

#[derive(Deserialize)]
struct IgMedia {
    id: String,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

#[derive(Deserialize)]
struct IgUser {
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    biography: Option<String>,
    #[serde(default)]
    website: Option<String>,
}

impl InstagramConnector {
    pub fn new(
        cfg: &HttpConfig,
        media_host: Option<Arc<dyn MediaHost>>,
    ) -> Result<InstagramConnector, ConfigError> {
        Ok(InstagramConnector {
            http: Http::new(cfg)?,
            media_host,
            polling: ContainerPolling::default(),
        })
    }

    #[must_use]
    pub fn with_polling(mut self, polling: ContainerPolling) -> InstagramConnector {
        self.polling = polling;
        self
    }

    async fn call(
        &self,
        rb: reqwest::RequestBuilder,
        auth: &AccountAuth,
        effect: Effect,
    ) -> Result<Reply, ConnectError> {
        meta::call(&self.http, rb, auth, effect).await
    }

    fn containers(&self) -> Containers<'_> {
        Containers {
            api: API,
            http: &self.http,
            media_host: self.media_host.as_ref(),
            polling: self.polling,
        }
    }
}

#[async_trait::async_trait]
impl Connector for InstagramConnector {
    fn platform(&self) -> Platform {
        Platform::Instagram
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency: Idempotency::Lookup,
            max_images: API.max_images,
            alt_text: true,
            can_delete: false,
            can_read_posts: true,
        }
    }

    async fn publish(
        &self,
        auth: &AccountAuth,
        req: &PublishRequest,
    ) -> Result<RemotePost, ConnectError> {
        self.containers().publish(auth, req).await
    }

    async fn find_published(
        &self,
        auth: &AccountAuth,
        req: &PublishRequest,
        since_ms: i64,
    ) -> Result<Option<RemotePost>, ConnectError> {
        let posts = self.recent_posts(auth, 25).await?;
        Ok(posts
            .into_iter()
            .find(|p| created_since(p.created_at_ms, since_ms) && same_text(&req.text, &p.text)))
    }

    async fn delete(&self, _auth: &AccountAuth, _remote_id: &str) -> Result<(), ConnectError> {
        Err(ConnectError::Unsupported {
            what: "deleting an Instagram post through the API",
        })
    }

    async fn recent_posts(
        &self,
        auth: &AccountAuth,
        limit: usize,
    ) -> Result<Vec<RemotePost>, ConnectError> {
        let limit_s = limit.clamp(1, 100).to_string();
        let rb = self
            .http
            .client
            .get(self.http.url(&format!("/{}/media", enc(&auth.account_ref))))
            .query(&[
                ("fields", "id,caption,permalink,timestamp"),
                ("limit", limit_s.as_str()),
            ]);
        let reply = self.call(rb, auth, Effect::Read).await?;
        let list: MediaList = reply.json(Effect::Read)?;
        Ok(list
            .data
            .into_iter()
            .take(limit)
            .map(|m| RemotePost {
                remote_id: m.id,
                url: m.permalink,
                text: m.caption.unwrap_or_default(),
                created_at_ms: m.timestamp.as_deref().and_then(parse_rfc3339_ms),
            })
            .collect())
    }

    async fn profile(&self, auth: &AccountAuth) -> Result<Profile, ConnectError> {
        let rb = self
            .http
            .client
            .get(self.http.url(&format!("/{}", enc(&auth.account_ref))))
            .query(&[("fields", "username,name,biography,website")]);
        let reply = self.call(rb, auth, Effect::Read).await?;
        let u: IgUser = reply.json(Effect::Read)?;
        Ok(Profile {
            display_name: u.name.unwrap_or_else(|| u.username.clone()),
            handle: u.username,
            description: u.biography.unwrap_or_default(),
            url: u.website.filter(|w| !w.is_empty()),
        })
    }
}

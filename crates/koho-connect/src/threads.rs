//! Threads through the Threads API (`graph.threads.net`).
//!
//! Two steps like Instagram: a container (`POST /{threads-user-id}/threads` with
//! `media_type` `TEXT`, `IMAGE` + `image_url` + `alt_text`, or `CAROUSEL` + `children`),
//! then `POST /{threads-user-id}/threads_publish` with `creation_id`. Only the second
//! step is public. Posts are listed with `GET /{threads-user-id}/threads` and deleted
//! with `DELETE /{threads-media-id}`. No idempotency key: lookup by text.

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

pub const DEFAULT_BASE_URL: &str = "https://graph.threads.net/v1.0";

const API: ContainerApi = ContainerApi {
    platform: "Threads",
    create: "threads",
    publish: "threads_publish",
    text_field: "text",
    image_type: Some("IMAGE"),
    text_type: Some("TEXT"),
    // Threads allows up to 20 items in a carousel.
    max_images: 20,
};

pub struct ThreadsConnector {
    http: Http,
    media_host: Option<Arc<dyn MediaHost>>,
    polling: ContainerPolling,
}

#[derive(Deserialize)]
struct List {
    #[serde(default)]
    data: Vec<Thread>,
}

#[derive(Deserialize)]
struct Thread {
    id: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

#[derive(Deserialize)]
struct ThreadsUser {
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    threads_biography: Option<String>,
}

impl ThreadsConnector {
    pub fn new(
        cfg: &HttpConfig,
        media_host: Option<Arc<dyn MediaHost>>,
    ) -> Result<ThreadsConnector, ConfigError> {
        Ok(ThreadsConnector {
            http: Http::new(cfg)?,
            media_host,
            polling: ContainerPolling::default(),
        })
    }

    #[must_use]
    pub fn with_polling(mut self, polling: ContainerPolling) -> ThreadsConnector {
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
impl Connector for ThreadsConnector {
    fn platform(&self) -> Platform {
        Platform::Threads
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency: Idempotency::Lookup,
            max_images: API.max_images,
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

    async fn delete(&self, auth: &AccountAuth, remote_id: &str) -> Result<(), ConnectError> {
        let rb = self
            .http
            .client
            .delete(self.http.url(&format!("/{}", enc(remote_id))));
        self.call(rb, auth, Effect::Publish).await.map(|_| ())
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
            .get(
                self.http
                    .url(&format!("/{}/threads", enc(&auth.account_ref))),
            )
            .query(&[
                ("fields", "id,text,permalink,timestamp"),
                ("limit", limit_s.as_str()),
            ]);
        let reply = self.call(rb, auth, Effect::Read).await?;
        let list: List = reply.json(Effect::Read)?;
        Ok(list
            .data
            .into_iter()
            .take(limit)
            .map(|t| RemotePost {
                remote_id: t.id,
                url: t.permalink,
                text: t.text.unwrap_or_default(),
                created_at_ms: t.timestamp.as_deref().and_then(parse_rfc3339_ms),
            })
            .collect())
    }

    async fn profile(&self, auth: &AccountAuth) -> Result<Profile, ConnectError> {
        let rb = self
            .http
            .client
            .get(self.http.url(&format!("/{}", enc(&auth.account_ref))))
            .query(&[("fields", "id,username,name,threads_biography")]);
        let reply = self.call(rb, auth, Effect::Read).await?;
        let u: ThreadsUser = reply.json(Effect::Read)?;
        Ok(Profile {
            display_name: u.name.unwrap_or_else(|| u.username.clone()),
            handle: u.username,
            description: u.threads_biography.unwrap_or_default(),
            url: None,
        })
    }
}

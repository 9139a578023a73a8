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
use crate::media_host::{self, MediaHost};
use crate::meta::{self, ContainerPolling, IdOnly, wait_container};
use crate::x::enc;
use crate::{
    AccountAuth, Capabilities, ConnectError, Connector, Idempotency, Platform, Profile,
    PublishRequest, RemotePost,
};

pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com/v23.0";

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

    async fn container(
        &self,
        auth: &AccountAuth,
        form: &[(&str, String)],
    ) -> Result<String, ConnectError> {
        let rb = self
            .http
            .client
            .post(self.http.url(&format!("/{}/media", enc(&auth.account_ref))))
            .form(form);
        let reply = self.call(rb, auth, Effect::Prepare).await?;
        Ok(reply.json::<IdOnly>(Effect::Prepare)?.id)
    }

    async fn wait_ready(&self, auth: &AccountAuth, container: &str) -> Result<(), ConnectError> {
        wait_container(&self.http, auth, container, self.polling).await
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
            max_images: 10,
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
        if req.media.is_empty() {
            return Err(ConnectError::Rejected {
                code: "image_required".into(),
                detail: "Instagram cannot publish a post without an image".into(),
            });
        }
        if req.media.len() > 10 {
            return Err(ConnectError::Rejected {
                code: "too_many_images".into(),
                detail: format!("Instagram takes at most 10 images, got {}", req.media.len()),
            });
        }
        let host = self
            .media_host
            .as_ref()
            .ok_or_else(|| media_host::missing("Instagram"))?;
        let mut urls = Vec::with_capacity(req.media.len());
        for (i, m) in req.media.iter().enumerate() {
            urls.push(host.public_url(m, &req.idempotency_key, i).await?);
        }
        let container = if let [url] = urls.as_slice() {
            let mut form = vec![("image_url", url.clone()), ("caption", req.text.clone())];
            if let Some(alt) = req.media[0].alt_text.clone() {
                form.push(("alt_text", alt));
            }
            self.container(auth, &form).await?
        } else {
            let mut children = Vec::with_capacity(urls.len());
            for (url, m) in urls.iter().zip(&req.media) {
                let mut form = vec![
                    ("image_url", url.clone()),
                    ("is_carousel_item", "true".to_owned()),
                ];
                if let Some(alt) = m.alt_text.clone() {
                    form.push(("alt_text", alt));
                }
                children.push(self.container(auth, &form).await?);
            }
            for c in &children {
                self.wait_ready(auth, c).await?;
            }
            let form = vec![
                ("media_type", "CAROUSEL".to_owned()),
                ("children", children.join(",")),
                ("caption", req.text.clone()),
            ];
            self.container(auth, &form).await?
        };
        self.wait_ready(auth, &container).await?;
        let rb = self
            .http
            .client
            .post(
                self.http
                    .url(&format!("/{}/media_publish", enc(&auth.account_ref))),
            )
            .form(&[("creation_id", container.as_str())]);
        let reply = self.call(rb, auth, Effect::Publish).await?;
        let id = reply.json::<IdOnly>(Effect::Publish)?.id;
        Ok(RemotePost {
            url: meta::permalink(&self.http, auth, &id).await,
            remote_id: id,
            text: req.text.clone(),
            created_at_ms: None,
        })
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

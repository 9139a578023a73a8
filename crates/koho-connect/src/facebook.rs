//! Facebook Pages through the Graph API.
//!
//! Text: `POST /{page-id}/feed` (`message`). One image: `POST /{page-id}/photos` with the
//! bytes as `source`, the text as `message` and `alt_text_custom`. Several images: each
//! uploaded with `published=false`, then one feed post with `attached_media`. The Graph
//! API has no idempotency key; after an uncertain attempt the Page's posts are read
//! (`GET /{page-id}/posts`) and compared by text.

use serde::Deserialize;

use crate::http::{
    ConfigError, Effect, Http, HttpConfig, Reply, created_since, parse_rfc3339_ms, same_text,
};
use crate::meta::IdOnly;
use crate::x::enc;
use crate::{
    AccountAuth, Capabilities, ConnectError, Connector, Idempotency, Media, Platform, Profile,
    PublishRequest, RemotePost,
};

pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com/v23.0";

pub struct FacebookConnector {
    http: Http,
}

#[derive(Deserialize)]
struct PhotoCreated {
    id: String,
    #[serde(default)]
    post_id: Option<String>,
}

#[derive(Deserialize)]
struct Feed {
    #[serde(default)]
    data: Vec<FeedPost>,
}

#[derive(Deserialize)]
struct FeedPost {
    id: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    created_time: Option<String>,
    #[serde(default)]
    permalink_url: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    id: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    about: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    website: Option<String>,
}

impl FacebookConnector {
    pub fn new(cfg: &HttpConfig) -> Result<FacebookConnector, ConfigError> {
        Ok(FacebookConnector {
            http: Http::new(cfg)?,
        })
    }

    async fn call(
        &self,
        rb: reqwest::RequestBuilder,
        auth: &AccountAuth,
        effect: Effect,
    ) -> Result<Reply, ConnectError> {
        crate::meta::call(&self.http, rb, auth, effect).await
    }

    fn photo_form(media: &Media, index: usize) -> Result<reqwest::multipart::Form, ConnectError> {
        let part = reqwest::multipart::Part::bytes(media.bytes.clone())
            .file_name(format!("image{index}"))
            .mime_str(&media.mime)
            .map_err(|e| ConnectError::Rejected {
                code: "media_type".into(),
                detail: e.to_string(),
            })?;
        let mut form = reqwest::multipart::Form::new().part("source", part);
        if let Some(alt) = media.alt_text.as_deref().filter(|a| !a.trim().is_empty()) {
            form = form.text("alt_text_custom", alt.to_owned());
        }
        Ok(form)
    }
}

#[async_trait::async_trait]
impl Connector for FacebookConnector {
    fn platform(&self) -> Platform {
        Platform::Facebook
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency: Idempotency::Lookup,
            max_images: 10,
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
        let page = enc(&auth.account_ref);
        let remote_id = match req.media.as_slice() {
            [] => {
                let rb = self
                    .http
                    .client
                    .post(self.http.url(&format!("/{page}/feed")))
                    .form(&[("message", req.text.as_str())]);
                let reply = self.call(rb, auth, Effect::Publish).await?;
                reply.json::<IdOnly>(Effect::Publish)?.id
            }
            [one] => {
                let form = Self::photo_form(one, 0)?.text("message", req.text.clone());
                let rb = self
                    .http
                    .client
                    .post(self.http.url(&format!("/{page}/photos")))
                    .multipart(form);
                let reply = self.call(rb, auth, Effect::Publish).await?;
                let p: PhotoCreated = reply.json(Effect::Publish)?;
                p.post_id.unwrap_or(p.id)
            }
            many => {
                let mut form: Vec<(String, String)> = vec![("message".into(), req.text.clone())];
                for (i, m) in many.iter().enumerate() {
                    let photo = Self::photo_form(m, i)?.text("published", "false");
                    let rb = self
                        .http
                        .client
                        .post(self.http.url(&format!("/{page}/photos")))
                        .multipart(photo);
                    let reply = self.call(rb, auth, Effect::Prepare).await?;
                    let id = reply.json::<PhotoCreated>(Effect::Prepare)?.id;
                    form.push((
                        format!("attached_media[{i}]"),
                        serde_json::json!({ "media_fbid": id }).to_string(),
                    ));
                }
                let rb = self
                    .http
                    .client
                    .post(self.http.url(&format!("/{page}/feed")))
                    .form(&form);
                let reply = self.call(rb, auth, Effect::Publish).await?;
                reply.json::<IdOnly>(Effect::Publish)?.id
            }
        };
        Ok(RemotePost {
            url: Some(format!("https://www.facebook.com/{remote_id}")),
            remote_id,
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

    async fn delete(&self, auth: &AccountAuth, remote_id: &str) -> Result<(), ConnectError> {
        let rb = self
            .http
            .client
            .delete(self.http.url(&format!("/{}", enc(remote_id))));
        match self.call(rb, auth, Effect::Publish).await {
            Ok(_) => Ok(()),
            // 100/33: the object does not exist (any more).
            Err(ConnectError::Rejected { code, .. }) if code == "100/33" => Ok(()),
            Err(e) => Err(e),
        }
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
            .get(self.http.url(&format!("/{}/posts", enc(&auth.account_ref))))
            .query(&[
                ("fields", "id,message,created_time,permalink_url"),
                ("limit", limit_s.as_str()),
            ]);
        let reply = self.call(rb, auth, Effect::Read).await?;
        let feed: Feed = reply.json(Effect::Read)?;
        Ok(feed
            .data
            .into_iter()
            .take(limit)
            .map(|p| RemotePost {
                url: p
                    .permalink_url
                    .or_else(|| Some(format!("https://www.facebook.com/{}", p.id))),
                created_at_ms: p.created_time.as_deref().and_then(parse_rfc3339_ms),
                text: p.message.unwrap_or_default(),
                remote_id: p.id,
            })
            .collect())
    }

    async fn profile(&self, auth: &AccountAuth) -> Result<Profile, ConnectError> {
        let rb = self
            .http
            .client
            .get(self.http.url(&format!("/{}", enc(&auth.account_ref))))
            .query(&[("fields", "id,username,name,about,description,website")]);
        let reply = self.call(rb, auth, Effect::Read).await?;
        let p: Page = reply.json(Effect::Read)?;
        Ok(Profile {
            handle: p.username.unwrap_or(p.id),
            display_name: p.name,
            description: p.about.or(p.description).unwrap_or_default(),
            url: p.website.filter(|w| !w.is_empty()),
        })
    }
}

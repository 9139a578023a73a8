//! Platform connectors: what koho needs from each social network, behind one trait.
//!
//! A [`Connector`] publishes a post (with images), deletes it, reads the account's own
//! recent posts and its profile, each on the platform's real HTTP API with a configurable
//! base URL (tests point it at 127.0.0.1). Connectors hold no state about jobs: the durable
//! outbox (`koho-store`) and the publisher (`koho-workflow`) decide what to send and when;
//! a connector only reports, precisely, what happened, so the publisher can tell "safe to
//! retry" from "may already be public".
//!
//! The types here are the contract between the connectors and the publisher.

use std::time::Duration;

pub use koho_guideline::Platform;

pub mod bluesky;
pub mod facebook;
pub mod factory;
pub mod http;
pub mod instagram;
pub mod line;
pub mod mastodon;
pub mod media_host;
pub mod meta;
pub mod misskey;
pub mod refresh;
pub mod registry;
pub mod threads;
pub mod x;

pub use http::{ConfigError, HttpConfig};

/// A secret string (an access token): never printed by `Debug`, never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Token {
        Token(value.into())
    }

    /// The raw value, for an `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// How koho authenticates as one official account on its platform, decrypted for the
/// duration of one call.
#[derive(Clone, Debug)]
pub struct AccountAuth {
    /// The platform's id of the account (X user id, Facebook Page id, Instagram
    /// business account id, Threads user id, LINE channel id, Bluesky DID, Mastodon or
    /// Misskey account id).
    pub account_ref: String,
    /// The bearer credential: OAuth access token, Page token, channel access token,
    /// Bluesky access JWT, Mastodon or Misskey token.
    pub access_token: Token,
    /// When `access_token` stops working, Unix ms, if the platform says.
    pub expires_at_ms: Option<i64>,
    /// Refresh credential where the platform has one (X OAuth 2.0, Bluesky refresh JWT,
    /// Threads/Instagram long-lived token exchange).
    pub refresh_token: Option<Token>,
    /// The Meta app's secret, where the app requires `appsecret_proof` on every Graph
    /// API call (Facebook, Instagram, Threads); never sent itself, only its HMAC.
    pub app_secret: Option<Token>,
}

impl AccountAuth {
    /// A credential with only an access token.
    pub fn bearer(account_ref: impl Into<String>, access_token: Token) -> AccountAuth {
        AccountAuth {
            account_ref: account_ref.into(),
            access_token,
            expires_at_ms: None,
            refresh_token: None,
            app_secret: None,
        }
    }
}

/// An image to attach, already stripped of location and identifying metadata.
#[derive(Clone, Debug)]
pub struct Media {
    pub bytes: Vec<u8>,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub mime: String,
    /// Alternative text; required by koho where the platform supports it.
    pub alt_text: Option<String>,
}

/// A key that is the same for every attempt of one publish job and different for every
/// job. Connectors use it as the platform's idempotency key where one exists (Mastodon
/// `Idempotency-Key`, LINE `X-Line-Retry-Key` as a UUID, the Bluesky record key of
/// `putRecord`) and to recognise their own post when looking before a re-send.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(pub String);

/// One post to publish on one account.
#[derive(Clone, Debug)]
pub struct PublishRequest {
    pub text: String,
    pub media: Vec<Media>,
    pub idempotency_key: IdempotencyKey,
}

/// A post as the platform has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemotePost {
    /// The platform's id (tweet id, Bluesky AT URI, Mastodon status id, LINE request id …).
    pub remote_id: String,
    /// The public address of the post, where the platform has one.
    pub url: Option<String>,
    pub text: String,
    /// Unix ms.
    pub created_at_ms: Option<i64>,
}

/// The account's public profile, for drift detection.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Profile {
    pub handle: String,
    pub display_name: String,
    pub description: String,
    /// The website field, where the platform has one.
    pub url: Option<String>,
}

/// How a connector avoids publishing twice when it cannot tell whether an attempt
/// reached the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// The platform de-duplicates requests carrying the same key.
    Native,
    /// The connector can read the account's recent posts and look for this one.
    Lookup,
    /// Neither: an uncertain attempt must be marked unconfirmed for a person to check.
    None,
}

/// What a platform supports, so the publisher and the editor can adapt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    pub idempotency: Idempotency,
    pub max_images: usize,
    pub alt_text: bool,
    pub can_delete: bool,
    pub can_read_posts: bool,
}

/// Why a call failed, classified for the publisher.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// Nothing was published (refused before sending, connection refused, 5xx before
    /// the request body was accepted, 503 with no side effect): safe to retry.
    #[error("temporary failure, nothing published: {detail}")]
    Retryable {
        detail: String,
        retry_after: Option<Duration>,
    },
    /// The platform's rate limit: retry no earlier than `retry_after`.
    #[error("rate limited (retry after {retry_after:?}): {detail}")]
    RateLimited {
        detail: String,
        retry_after: Duration,
    },
    /// The request may have reached the platform (a timeout or a broken connection
    /// after sending, a 5xx to a write): never re-send blindly.
    #[error("outcome unknown, the post may be public: {detail}")]
    Uncertain { detail: String },
    /// The credential is expired or revoked: a person must reconnect the account.
    #[error("credential expired or revoked: {detail}")]
    AuthExpired { detail: String },
    /// Refused for good (too long, media rejected, forbidden …): retrying cannot help.
    #[error("refused by the platform ({code}): {detail}")]
    Rejected { code: String, detail: String },
    /// The platform cannot do this at all (e.g. LINE broadcasts cannot be listed).
    #[error("not supported by this platform: {what}")]
    Unsupported { what: &'static str },
}

/// One platform's API.
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    fn platform(&self) -> Platform;

    fn capabilities(&self) -> Capabilities;

    /// Publishes one post; on success the platform's id and URL.
    async fn publish(
        &self,
        auth: &AccountAuth,
        req: &PublishRequest,
    ) -> Result<RemotePost, ConnectError>;

    /// Looks among the account's recent posts for the one `req` would have created
    /// (by its idempotency key where the platform keeps it, else by text) — used after
    /// an [`ConnectError::Uncertain`] attempt, before deciding to re-send.
    async fn find_published(
        &self,
        auth: &AccountAuth,
        req: &PublishRequest,
        since_ms: i64,
    ) -> Result<Option<RemotePost>, ConnectError>;

    async fn delete(&self, auth: &AccountAuth, remote_id: &str) -> Result<(), ConnectError>;

    /// The account's own most recent posts, newest first.
    async fn recent_posts(
        &self,
        auth: &AccountAuth,
        limit: usize,
    ) -> Result<Vec<RemotePost>, ConnectError>;

    async fn profile(&self, auth: &AccountAuth) -> Result<Profile, ConnectError>;
}

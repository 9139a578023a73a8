//! Which server an account lives on, and one connector per (platform, server).
//!
//! X, Facebook, Instagram, Threads and LINE have one global API. Mastodon and Misskey
//! accounts live on their instance: `https://mastodon.example/@city` (the account's
//! registered URL) or the handle `@city@mastodon.example` names it. A Bluesky account
//! lives on its PDS: found from the handle (handle → DID → DID document →
//! `#atproto_pds` service), or named directly by registering the PDS address as the
//! account's URL. `KOHO_API_URL_<PLATFORM>` (an [`Overrides`] entry) sends every account
//! of a platform to one address instead: a test peer, a proxy.
//!
//! Connectors are built once per (platform, server) and shared; a Bluesky handle's PDS
//! is looked up again after [`PDS_TTL`], so an account that moved is followed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;

use crate::http::{ConfigError, Effect, Http, HttpConfig, now_ms};
use crate::media_host::MediaHost;
use crate::refresh::{
    AppCredentials, BlueskyRefresher, CredentialRefresher, MetaExchangeRefresher, ThreadsRefresher,
    XRefresher,
};
use crate::{ConnectError, Connector, Platform};

/// How long a resolved Bluesky PDS address is trusted.
pub const PDS_TTL: Duration = Duration::from_secs(3600);

/// The public PLC directory, where `did:plc` documents live.
pub const DEFAULT_PLC_URL: &str = "https://plc.directory";
/// An AppView that answers `com.atproto.identity.resolveHandle` for handles whose
/// owners publish them by DNS only.
pub const DEFAULT_HANDLE_RESOLVER: &str = "https://public.api.bsky.app";
/// The Threads API root for token refresh (its calls carry no version).
pub const THREADS_OAUTH_URL: &str = "https://graph.threads.net";

/// What the register knows about an account that tells where it lives.
#[derive(Clone, Copy, Debug)]
pub struct AccountAddress<'a> {
    pub platform: Platform,
    /// As registered: `@city@mastodon.example`, `city.bsky.social`, `did:plc:…`.
    pub handle: &'a str,
    /// The account's public address, e.g. `https://mastodon.example/@city`.
    pub url: Option<&'a str>,
}

/// The connector for one account, and the refresher for its tokens if the platform's
/// tokens expire.
#[derive(Clone)]
pub struct Endpoint {
    pub connector: Arc<dyn Connector>,
    pub refresher: Option<Arc<dyn CredentialRefresher>>,
    /// The server the connector talks to.
    pub server: String,
}

/// Addresses and app credentials from the configuration.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `KOHO_API_URL_<PLATFORM>`: every account of the platform goes here.
    pub api_urls: HashMap<Platform, String>,
    /// `KOHO_PLC_URL`.
    pub plc_url: Option<String>,
    /// `KOHO_ATPROTO_HANDLE_RESOLVER`.
    pub handle_resolver: Option<String>,
    /// `KOHO_OAUTH_URL_THREADS`: where Threads tokens are renewed (defaults to the
    /// API override, else [`THREADS_OAUTH_URL`]).
    pub threads_oauth_url: Option<String>,
    /// X OAuth 2.0 client (`KOHO_X_CLIENT_ID`, `KOHO_X_CLIENT_SECRET`).
    pub x_app: Option<AppCredentials>,
    /// Meta app (`KOHO_META_APP_ID`, `KOHO_META_APP_SECRET`).
    pub meta_app: Option<AppCredentials>,
}

/// Builds and caches connectors by (platform, server).
pub struct Registry {
    overrides: Overrides,
    media_host: Option<Arc<dyn MediaHost>>,
    lookup: Http,
    endpoints: Mutex<HashMap<(Platform, String), Endpoint>>,
    /// Bluesky handle or DID → (PDS, resolved at ms).
    pds: Mutex<HashMap<String, (String, i64)>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut keys: Vec<String> = self
            .endpoints
            .lock()
            .map(|m| m.keys().map(|(p, s)| format!("{}@{s}", p.id())).collect())
            .unwrap_or_default();
        keys.sort();
        f.debug_struct("Registry")
            .field("overrides", &self.overrides.api_urls)
            .field("endpoints", &keys)
            .finish_non_exhaustive()
    }
}

/// The social platforms koho publishes to.
pub fn is_social(platform: Platform) -> bool {
    !matches!(platform, Platform::Youtube | Platform::Blog)
}

/// Whether every account of the platform lives on its own server.
pub fn own_server(platform: Platform) -> bool {
    matches!(
        platform,
        Platform::Bluesky | Platform::Mastodon | Platform::Misskey
    )
}

fn origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?;
    Some(match u.port() {
        Some(p) => format!("{}://{host}:{p}", u.scheme()),
        None => format!("{}://{host}", u.scheme()),
    })
}

/// The instance of a Mastodon or Misskey account: the origin of its URL, else the
/// domain of a `@user@domain` handle.
pub fn instance_of(handle: &str, url: Option<&str>) -> Option<String> {
    if let Some(o) = url.and_then(origin) {
        return Some(o);
    }
    let h = handle.trim().trim_start_matches('@');
    let (_, domain) = h.split_once('@')?;
    let domain = domain.trim();
    if domain.is_empty() || domain.contains(['/', ' ', '@']) {
        return None;
    }
    Some(format!("https://{domain}"))
}

/// A Bluesky account's URL names its PDS unless it is a profile page
/// (`https://bsky.app/profile/…`, any AppView).
pub fn named_pds(url: Option<&str>) -> Option<String> {
    let u = url::Url::parse(url?.trim()).ok()?;
    if u.path().starts_with("/profile/") || u.host_str() == Some("bsky.app") {
        return None;
    }
    origin(u.as_str())
}

#[derive(Deserialize)]
struct DidDoc {
    #[serde(default)]
    service: Vec<DidService>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DidService {
    id: String,
    #[serde(default, rename = "type")]
    kind: String,
    service_endpoint: serde_json::Value,
}

#[derive(Deserialize)]
struct Resolved {
    did: String,
}

fn not_found(what: String) -> ConnectError {
    ConnectError::Rejected {
        code: "server_unknown".into(),
        detail: what,
    }
}

impl Registry {
    pub fn new(
        overrides: Overrides,
        media_host: Option<Arc<dyn MediaHost>>,
    ) -> Result<Registry, ConfigError> {
        for (p, url) in &overrides.api_urls {
            Http::new(&HttpConfig::new(url.clone()))
                .map_err(|e| ConfigError(format!("{}: {e}", p.id())))?;
        }
        let lookup = Http::new(
            &HttpConfig::new(
                overrides
                    .plc_url
                    .clone()
                    .unwrap_or_else(|| DEFAULT_PLC_URL.to_owned()),
            )
            .with_timeout(Duration::from_secs(10)),
        )?;
        Ok(Registry {
            overrides,
            media_host,
            lookup,
            endpoints: Mutex::new(HashMap::new()),
            pds: Mutex::new(HashMap::new()),
        })
    }

    /// The connector (and refresher) for `account`, built on first use.
    pub async fn endpoint(&self, account: &AccountAddress<'_>) -> Result<Endpoint, ConnectError> {
        let platform = account.platform;
        if !is_social(platform) {
            return Err(ConnectError::Unsupported {
                what: "publishing to this platform",
            });
        }
        let server = self.server_of(account).await?;
        let key = (platform, server.clone());
        if let Some(e) = self
            .endpoints
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return Ok(e);
        }
        let built = self
            .build(platform, &server)
            .map_err(|e| ConnectError::Rejected {
                code: "connector_config".into(),
                detail: e.to_string(),
            })?;
        if let Ok(mut m) = self.endpoints.lock() {
            // Two callers may build at once; the first one stored wins.
            return Ok(m.entry(key).or_insert(built).clone());
        }
        Ok(built)
    }

    async fn server_of(&self, account: &AccountAddress<'_>) -> Result<String, ConnectError> {
        let platform = account.platform;
        if let Some(url) = self.overrides.api_urls.get(&platform) {
            return Ok(url.trim_end_matches('/').to_owned());
        }
        match platform {
            Platform::Mastodon | Platform::Misskey => instance_of(account.handle, account.url)
                .ok_or_else(|| {
                    not_found(format!(
                        "{} account {}: register its URL (https://server/@name) or a handle @name@server",
                        platform.id(),
                        account.handle
                    ))
                }),
            Platform::Bluesky => {
                if let Some(pds) = named_pds(account.url) {
                    return Ok(pds);
                }
                self.bluesky_pds(account.handle).await
            }
            _ => Ok(default_url(platform).to_owned()),
        }
    }

    fn build(&self, platform: Platform, server: &str) -> Result<Endpoint, ConfigError> {
        let cfg = HttpConfig::new(server);
        let connector: Arc<dyn Connector> = Arc::from(crate::factory::connector_for(
            platform,
            Some(server),
            self.media_host.clone(),
        )?);
        let refresher: Option<Arc<dyn CredentialRefresher>> = match platform {
            Platform::X => match &self.overrides.x_app {
                Some(app) => Some(Arc::new(XRefresher::new(&cfg, app.clone())?)),
                None => None,
            },
            Platform::Facebook | Platform::Instagram => match &self.overrides.meta_app {
                Some(app) => Some(Arc::new(MetaExchangeRefresher::new(&cfg, app.clone())?)),
                None => None,
            },
            Platform::Threads => {
                let url = self
                    .overrides
                    .threads_oauth_url
                    .clone()
                    .or_else(|| self.overrides.api_urls.get(&Platform::Threads).cloned())
                    .unwrap_or_else(|| THREADS_OAUTH_URL.to_owned());
                Some(Arc::new(ThreadsRefresher::new(&HttpConfig::new(url))?))
            }
            Platform::Bluesky => Some(Arc::new(BlueskyRefresher::new(&cfg)?)),
            _ => None,
        };
        Ok(Endpoint {
            connector,
            refresher,
            server: server.to_owned(),
        })
    }

    /// The PDS of a Bluesky handle or DID, cached for [`PDS_TTL`].
    async fn bluesky_pds(&self, handle: &str) -> Result<String, ConnectError> {
        let handle = handle.trim().trim_start_matches('@').to_lowercase();
        let now = now_ms();
        let ttl = i64::try_from(PDS_TTL.as_millis()).unwrap_or(i64::MAX);
        if let Some((pds, at)) = self.pds.lock().ok().and_then(|m| m.get(&handle).cloned())
            && now - at < ttl
        {
            return Ok(pds);
        }
        let did = if handle.starts_with("did:") {
            handle.clone()
        } else {
            self.resolve_handle(&handle).await?
        };
        let pds = self.pds_of_did(&did).await?;
        if let Ok(mut m) = self.pds.lock() {
            m.insert(handle, (pds.clone(), now));
        }
        Ok(pds)
    }

    async fn resolve_handle(&self, handle: &str) -> Result<String, ConnectError> {
        if handle.is_empty() || !handle.contains('.') || handle.contains(['/', ' ', '@']) {
            return Err(not_found(format!(
                "`{handle}` is not a Bluesky handle (e.g. city.bsky.social)"
            )));
        }
        // The HTTPS method of handle resolution first; handles published by DNS only
        // are asked of an AppView, which resolves both.
        if self.overrides.handle_resolver.is_none() {
            let rb = self
                .lookup
                .client
                .get(format!("https://{handle}/.well-known/atproto-did"));
            if let Ok(reply) = self.lookup.send(rb, Effect::Read).await
                && reply.status.is_success()
            {
                let did = String::from_utf8_lossy(&reply.body).trim().to_owned();
                if did.starts_with("did:") {
                    return Ok(did);
                }
            }
        }
        let resolver = self
            .overrides
            .handle_resolver
            .as_deref()
            .unwrap_or(DEFAULT_HANDLE_RESOLVER)
            .trim_end_matches('/');
        let rb = self
            .lookup
            .client
            .get(format!(
                "{resolver}/xrpc/com.atproto.identity.resolveHandle"
            ))
            .query(&[("handle", handle)]);
        let reply = self.lookup.send(rb, Effect::Read).await?;
        if reply.status.as_u16() == 400 || reply.status.as_u16() == 404 {
            return Err(not_found(format!(
                "Bluesky handle {handle} does not resolve"
            )));
        }
        if !reply.status.is_success() {
            return Err(ConnectError::Retryable {
                detail: format!("resolving {handle}: HTTP {}", reply.status.as_u16()),
                retry_after: None,
            });
        }
        Ok(reply.json::<Resolved>(Effect::Read)?.did)
    }

    async fn pds_of_did(&self, did: &str) -> Result<String, ConnectError> {
        let url = if let Some(rest) = did.strip_prefix("did:web:") {
            let host = rest.replace("%3A", ":");
            format!("https://{host}/.well-known/did.json")
        } else if did.starts_with("did:plc:") {
            self.lookup.url(&format!("/{did}"))
        } else {
            return Err(not_found(format!("unsupported DID method: {did}")));
        };
        let reply = self
            .lookup
            .send(self.lookup.client.get(url), Effect::Read)
            .await?;
        if reply.status.as_u16() == 404 || reply.status.as_u16() == 410 {
            return Err(not_found(format!("{did} has no DID document")));
        }
        if !reply.status.is_success() {
            return Err(ConnectError::Retryable {
                detail: format!("DID document of {did}: HTTP {}", reply.status.as_u16()),
                retry_after: None,
            });
        }
        let doc: DidDoc = reply.json(Effect::Read)?;
        doc.service
            .iter()
            .find(|s| s.id.ends_with("#atproto_pds") || s.kind == "AtprotoPersonalDataServer")
            .and_then(|s| s.service_endpoint.as_str())
            .and_then(origin)
            .ok_or_else(|| not_found(format!("{did} names no PDS")))
    }
}

/// The global API of a platform.
pub fn default_url(platform: Platform) -> &'static str {
    match platform {
        Platform::X => crate::x::DEFAULT_BASE_URL,
        Platform::Facebook => crate::facebook::DEFAULT_BASE_URL,
        Platform::Instagram => crate::instagram::DEFAULT_BASE_URL,
        Platform::Threads => crate::threads::DEFAULT_BASE_URL,
        Platform::Line => crate::line::DEFAULT_BASE_URL,
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_come_from_the_url_or_the_handle() {
        assert_eq!(
            instance_of("@city", Some("https://mastodon.example/@city")).as_deref(),
            Some("https://mastodon.example")
        );
        assert_eq!(
            instance_of("@city@social.town.example.jp", None).as_deref(),
            Some("https://social.town.example.jp")
        );
        assert_eq!(
            instance_of("city", Some("http://127.0.0.1:3000/@city")).as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(instance_of("@city", None), None);
        assert_eq!(
            named_pds(Some("https://bsky.app/profile/city.example.jp")),
            None
        );
        assert_eq!(
            named_pds(Some("https://pds.city.example.jp/")).as_deref(),
            Some("https://pds.city.example.jp")
        );
    }
}

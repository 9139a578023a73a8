//! koho as its own image host, for the platforms that download images themselves
//! (Instagram, Threads, LINE).
//!
//! The images of a publish job are already in the outbox, stripped of location and
//! identifying metadata. [`StoreMediaHost`] gives each one a random, unguessable token
//! (`publish_media_links`) and answers `{public_url}/m/{slug}/media/{token}`; koho-web
//! serves the image there ([`open`]) until the link expires, then answers 404. The same
//! job and image index always get the same token, so a retried publish leaves no second
//! copy behind; asking again only pushes the expiry out.

use std::sync::Arc;
use std::time::Duration;

use koho_connect::media_host::MediaHost;
use koho_connect::{ConnectError, IdempotencyKey, Media};
use koho_store::{Actor, NewAuditEntry, Store, StoreError, Subject};

use crate::publisher::Clock;

/// How long a platform has to fetch an image after koho handed out its address.
pub const DEFAULT_LINK_TTL: Duration = Duration::from_secs(24 * 3600);

/// Serves outbox images from koho itself.
pub struct StoreMediaHost {
    store: Store,
    public_url: String,
    ttl: Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for StoreMediaHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreMediaHost")
            .field("public_url", &self.public_url)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Why a public address cannot be used for images.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PublicUrlError(pub String);

/// Checks koho's public base address: `https`, or `http` on a loopback address (tests, a
/// TLS proxy on the same machine); no query, no fragment. Returns it without a trailing
/// `/`.
pub fn check_public_url(url: &str) -> Result<String, PublicUrlError> {
    let trimmed = url.trim().trim_end_matches('/');
    let parsed = url::Url::parse(trimmed)
        .map_err(|e| PublicUrlError(format!("`{trimmed}` is not a URL: {e}")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(PublicUrlError(format!("`{trimmed}` has no host"))),
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        other => {
            return Err(PublicUrlError(format!(
                "`{trimmed}`: platforms fetch images only over https (got {other}://, allowed \
                 only on a loopback address)"
            )));
        }
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(PublicUrlError(format!(
            "`{trimmed}` must not have a query or fragment"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(PublicUrlError(format!(
            "`{trimmed}` must not carry credentials"
        )));
    }
    Ok(trimmed.to_owned())
}

fn new_token() -> Result<String, ConnectError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| ConnectError::Retryable {
        detail: format!("no randomness for a media link: {e}"),
        retry_after: None,
    })?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn store_error(e: &StoreError) -> ConnectError {
    ConnectError::Retryable {
        detail: format!("media link ({}): {e}", e.code()),
        retry_after: None,
    }
}

/// Tokens are 64 lower-case hex digits; anything else is not looked up at all.
fn token_shape_ok(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl StoreMediaHost {
    /// `public_url` is checked with [`check_public_url`].
    pub fn new(
        store: Store,
        public_url: &str,
        ttl: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<StoreMediaHost, PublicUrlError> {
        Ok(StoreMediaHost {
            store,
            public_url: check_public_url(public_url)?,
            ttl,
            clock,
        })
    }
}

#[async_trait::async_trait]
impl MediaHost for StoreMediaHost {
    async fn public_url(
        &self,
        _media: &Media,
        key: &IdempotencyKey,
        index: usize,
    ) -> Result<String, ConnectError> {
        self.link_for(&key.0, index).await
    }
}

impl StoreMediaHost {
    /// The public address of image `index` of the job with idempotency key `key`
    /// (the bytes served are the job's own, from the outbox).
    pub async fn link_for(&self, key: &str, index: usize) -> Result<String, ConnectError> {
        let municipalities = self
            .store
            .municipalities()
            .await
            .map_err(|e| store_error(&e))?;
        let idx = i64::try_from(index).map_err(|_| ConnectError::Rejected {
            code: "media_index".into(),
            detail: format!("image index {index}"),
        })?;
        for m in municipalities {
            let tenant = self
                .store
                .tenant(&m.id)
                .await
                .map_err(|e| store_error(&e))?;
            // Look first without the write lock: only one municipality has the job.
            let job = {
                let mut r = self
                    .store
                    .read(&tenant)
                    .await
                    .map_err(|e| store_error(&e))?;
                r.publish_jobs()
                    .get_by_idempotency_key(key)
                    .await
                    .map_err(|e| store_error(&e))?
            };
            let Some(job) = job else { continue };
            if index >= job.media.len() {
                return Err(ConnectError::Rejected {
                    code: "media_index".into(),
                    detail: format!("job {} has no image {index}", job.id),
                });
            }
            let now = self.clock.now_ms();
            let ttl = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
            let mut tx = self
                .store
                .begin(&tenant)
                .await
                .map_err(|e| store_error(&e))?;
            let before = tx
                .media_links()
                .get_for(&job.id, idx)
                .await
                .map_err(|e| store_error(&e))?;
            let link = tx
                .media_links()
                .issue(&job.id, idx, &new_token()?, now.saturating_add(ttl))
                .await
                .map_err(|e| store_error(&e))?;
            if before.is_none() {
                // Publishing an image at a public address is audited like every other
                // step of the job (the token itself is never written to the log).
                let entry = NewAuditEntry::new(
                    Actor::System,
                    "publish.media_link",
                    Subject::new("publish_job", job.id.as_str()),
                )
                .after(&link)
                .map_err(|e| store_error(&e))?;
                tx.audit()
                    .append(&entry)
                    .await
                    .map_err(|e| store_error(&e))?;
            }
            tx.commit().await.map_err(|e| store_error(&e))?;
            return Ok(format!(
                "{}/m/{}/media/{}",
                self.public_url, m.slug, link.token
            ));
        }
        Err(ConnectError::Rejected {
            code: "media_job_unknown".into(),
            detail: "no publish job has this idempotency key".into(),
        })
    }
}

/// An image as koho-web serves it.
#[derive(Debug, Clone)]
pub struct ServedImage {
    pub mime: String,
    pub bytes: Vec<u8>,
    /// Unix ms.
    pub expires_at: i64,
}

/// The image behind a media link of the municipality `slug`, if the link exists and has
/// not expired at `now`. Stripped once more before it leaves: the bytes came back from
/// the database.
pub async fn open(
    store: &Store,
    slug: &str,
    token: &str,
    now: i64,
) -> Result<Option<ServedImage>, StoreError> {
    if !token_shape_ok(token) {
        return Ok(None);
    }
    let tenant = match store.tenant_by_slug(slug).await {
        Ok(t) => t,
        Err(StoreError::UnknownTenant(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut r = store.read(&tenant).await?;
    let Some(link) = r.media_links().get(token).await? else {
        return Ok(None);
    };
    if link.expires_at <= now {
        return Ok(None);
    }
    let job = r.publish_jobs().get(&link.job_id).await?;
    let Some(m) = usize::try_from(link.media_index)
        .ok()
        .and_then(|i| job.media.get(i))
    else {
        return Ok(None);
    };
    let Ok(bytes) = koho_media::strip(&m.bytes) else {
        tracing::warn!(job = %job.id, "an outbox image can no longer be stripped; not served");
        return Ok(None);
    };
    Ok(Some(ServedImage {
        mime: m.mime.clone(),
        bytes,
        expires_at: link.expires_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_must_be_https_except_on_loopback() {
        assert_eq!(
            check_public_url("https://koho.city.example.jp/").unwrap(),
            "https://koho.city.example.jp"
        );
        assert!(check_public_url("http://127.0.0.1:8080").is_ok());
        assert!(check_public_url("http://localhost:8080/koho").is_ok());
        assert!(check_public_url("http://[::1]:8080").is_ok());
        assert!(check_public_url("http://koho.city.example.jp").is_err());
        assert!(check_public_url("ftp://koho.city.example.jp").is_err());
        assert!(check_public_url("https://koho.city.example.jp/?a=b").is_err());
        assert!(check_public_url("https://u:p@koho.city.example.jp").is_err());
        assert!(check_public_url("koho.city.example.jp").is_err());
        assert!(token_shape_ok(&"ab".repeat(32)));
        assert!(!token_shape_ok("../etc/passwd"));
    }
}

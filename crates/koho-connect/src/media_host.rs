//! Public addresses for images, for the platforms that fetch images themselves.
//!
//! Instagram, Threads and LINE do not accept uploaded bytes: they take an `https` URL and
//! download the image from it. Whoever runs koho decides where such images live (the
//! municipality's own web server, an object store); the connectors for those platforms
//! are given a [`MediaHost`] and refuse posts with images when they have none.

use crate::{ConnectError, IdempotencyKey, Media};

#[async_trait::async_trait]
pub trait MediaHost: Send + Sync {
    /// Makes `media` reachable at a public `https` address and returns it. The same
    /// `key` and `index` must give the same address, so a retried publish does not
    /// leave a second copy behind.
    async fn public_url(
        &self,
        media: &Media,
        key: &IdempotencyKey,
        index: usize,
    ) -> Result<String, ConnectError>;
}

pub(crate) fn missing(platform: &'static str) -> ConnectError {
    ConnectError::Rejected {
        code: "media_host_missing".into(),
        detail: format!(
            "{platform} fetches images from a public URL, and no media host is configured"
        ),
    }
}

//! One place that turns "this account is on platform P at address U" into a connector.

use std::sync::Arc;

use crate::http::{ConfigError, HttpConfig};
use crate::media_host::MediaHost;
use crate::{Connector, Platform};

/// A connector for `platform`. `base_url` is the platform's API address; it may be
/// left out for the platforms with one global API (X, Facebook, Instagram, Threads,
/// LINE) and is required for those where every account lives on its own server
/// (Bluesky PDS, Mastodon and Misskey instances).
pub fn connector_for(
    platform: Platform,
    base_url: Option<&str>,
    media_host: Option<Arc<dyn MediaHost>>,
) -> Result<Box<dyn Connector>, ConfigError> {
    let global = |default: &str| HttpConfig::new(base_url.unwrap_or(default));
    let own = || {
        base_url.map(HttpConfig::new).ok_or_else(|| {
            ConfigError(format!(
                "{} needs the address of the account's server",
                platform.id()
            ))
        })
    };
    Ok(match platform {
        Platform::X => Box::new(crate::x::XConnector::new(&global(
            crate::x::DEFAULT_BASE_URL,
        ))?),
        Platform::Facebook => Box::new(crate::facebook::FacebookConnector::new(&global(
            crate::facebook::DEFAULT_BASE_URL,
        ))?),
        Platform::Instagram => Box::new(crate::instagram::InstagramConnector::new(
            &global(crate::instagram::DEFAULT_BASE_URL),
            media_host,
        )?),
        Platform::Threads => Box::new(crate::threads::ThreadsConnector::new(
            &global(crate::threads::DEFAULT_BASE_URL),
            media_host,
        )?),
        Platform::Line => Box::new(crate::line::LineConnector::new(
            &global(crate::line::DEFAULT_BASE_URL),
            media_host,
        )?),
        Platform::Bluesky => Box::new(crate::bluesky::BlueskyConnector::new(&own()?)?),
        Platform::Mastodon => Box::new(crate::mastodon::MastodonConnector::new(&own()?)?),
        Platform::Misskey => Box::new(crate::misskey::MisskeyConnector::new(&own()?)?),
        Platform::Youtube | Platform::Blog => {
            return Err(ConfigError(format!(
                "koho has no connector for {}",
                platform.id()
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_social_platform_has_a_connector() {
        for p in Platform::ALL {
            let c = connector_for(*p, Some("https://example.invalid"), None);
            match p {
                Platform::Youtube | Platform::Blog => assert!(c.is_err()),
                _ => assert_eq!(c.map(|c| c.platform()).ok(), Some(*p)),
            }
        }
        assert!(connector_for(Platform::Mastodon, None, None).is_err());
        assert!(connector_for(Platform::X, None, None).is_ok());
        assert!(connector_for(Platform::X, Some("ftp://x"), None).is_err());
    }
}

//! What every request shares: the compiled checkers, the municipalities served (each
//! with its register workflow over the shared store) and the server's settings.

use std::sync::Arc;

use koho_check::{Checker, Guideline};
use koho_store::Store;
use koho_workflow::Workflow;
use sha2::{Digest, Sha256};

/// How the server is deployed.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Demo mode: a banner says so, and every built-in guideline can be chosen.
    pub demo: bool,
    /// Served over HTTPS (directly or behind a proxy): sends HSTS.
    pub https: bool,
    /// Mark cookies `Secure`. Browsers accept such cookies over plain HTTP only on
    /// loopback, so this is on for HTTPS and for a loopback listener.
    pub secure_cookies: bool,
    /// Key for signing CSRF tokens; random per process when absent.
    pub secret: Option<Vec<u8>>,
}

/// A guideline with its checker, compiled once at start.
#[derive(Debug)]
pub struct Compiled {
    pub guideline: Guideline,
    pub checker: Checker,
}

#[derive(Debug)]
struct Inner {
    /// The first is the default.
    guidelines: Vec<Compiled>,
    options: Options,
    csrf_key: [u8; 32],
    store: Store,
    /// The first is the default: its public pages are served at the root; every
    /// municipality's are also served under `/m/{slug}/`.
    sites: Vec<Arc<Workflow>>,
    /// The public register of each municipality, as of its audit chain head.
    register_cache: crate::public::RegisterCache,
    archive_cache: crate::archive_page::ArchiveCache,
}

/// Shared by every request (cheap to clone).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

/// The server cannot start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

impl AppState {
    /// `sites` are the municipalities this server serves (the first is the default);
    /// `default` is the editor's default guideline; `more` are further guidelines the
    /// editor may choose from (the demo's built-ins).
    pub fn new(
        store: Store,
        sites: Vec<Workflow>,
        default: (Guideline, Checker),
        more: Vec<(Guideline, Checker)>,
        options: Options,
    ) -> Result<AppState, StartError> {
        let csrf_key = match &options.secret {
            Some(s) if s.len() >= 16 => {
                let d = Sha256::digest(s);
                let mut k = [0u8; 32];
                k.copy_from_slice(&d);
                k
            }
            Some(_) => return Err(StartError("KOHO_SECRET must be at least 16 bytes".into())),
            None => random_bytes::<32>().map_err(|e| StartError(format!("no randomness: {e}")))?,
        };
        let mut guidelines = vec![Compiled {
            guideline: default.0,
            checker: default.1,
        }];
        for (g, c) in more {
            if !guidelines.iter().any(|x| x.guideline.id == g.id) {
                guidelines.push(Compiled {
                    guideline: g,
                    checker: c,
                });
            }
        }
        Ok(AppState(Arc::new(Inner {
            guidelines,
            options,
            csrf_key,
            store,
            sites: sites.into_iter().map(Arc::new).collect(),
            register_cache: crate::public::RegisterCache::default(),
            archive_cache: crate::archive_page::ArchiveCache::default(),
        })))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// Every municipality served, the default first.
    pub fn sites(&self) -> &[Arc<Workflow>] {
        &self.0.sites
    }

    /// The default municipality, if the database holds any.
    pub fn default_site(&self) -> Option<&Arc<Workflow>> {
        self.0.sites.first()
    }

    /// A municipality by its slug.
    pub fn site(&self, slug: &str) -> Option<&Arc<Workflow>> {
        self.0.sites.iter().find(|w| w.municipality().slug == slug)
    }

    pub fn register_cache(&self) -> &crate::public::RegisterCache {
        &self.0.register_cache
    }

    pub fn archive_cache(&self) -> &crate::archive_page::ArchiveCache {
        &self.0.archive_cache
    }

    pub fn options(&self) -> &Options {
        &self.0.options
    }

    pub fn default_guideline(&self) -> &Compiled {
        &self.0.guidelines[0]
    }

    pub fn guidelines(&self) -> &[Compiled] {
        &self.0.guidelines
    }

    pub fn guideline(&self, id: &str) -> Option<&Compiled> {
        self.0.guidelines.iter().find(|c| c.guideline.id == id)
    }

    pub fn guideline_ids(&self) -> Vec<&str> {
        self.0
            .guidelines
            .iter()
            .map(|c| c.guideline.id.as_str())
            .collect()
    }

    /// A new CSRF token: 16 random bytes and their HMAC under the server key, hex.
    pub fn mint_csrf(&self) -> Option<String> {
        let nonce = random_bytes::<16>().ok()?;
        let mac = hmac_sha256(&self.0.csrf_key, &nonce);
        Some(format!("{}.{}", hex(&nonce), hex(&mac)))
    }

    /// Whether a token was minted by this server (under its key).
    pub fn csrf_valid(&self, token: &str) -> bool {
        let Some((nonce, mac)) = token.split_once('.') else {
            return false;
        };
        let (Some(nonce), Some(mac)) = (unhex(nonce), unhex(mac)) else {
            return false;
        };
        nonce.len() == 16 && constant_time_eq(&hmac_sha256(&self.0.csrf_key, &nonce), &mac)
    }

    /// A CSRF token bound to a session cookie value (`None`: not signed in): the HMAC
    /// covers the nonce and the SHA-256 of the cookie, so a token is worthless with any
    /// other session — including one planted before sign-in.
    pub fn mint_csrf_for(&self, session: Option<&str>) -> Option<String> {
        let Some(session) = session else {
            return self.mint_csrf();
        };
        let nonce = random_bytes::<16>().ok()?;
        let mac = hmac_sha256(&self.0.csrf_key, &bound(&nonce, session));
        Some(format!("{}.{}", hex(&nonce), hex(&mac)))
    }

    /// Whether a token was minted by this server for this session cookie (or, with `None`,
    /// for no session).
    pub fn csrf_valid_for(&self, token: &str, session: Option<&str>) -> bool {
        let Some(session) = session else {
            return self.csrf_valid(token);
        };
        let Some((nonce, mac)) = token.split_once('.') else {
            return false;
        };
        let (Some(nonce), Some(mac)) = (unhex(nonce), unhex(mac)) else {
            return false;
        };
        nonce.len() == 16
            && constant_time_eq(
                &hmac_sha256(&self.0.csrf_key, &bound(&nonce, session)),
                &mac,
            )
    }
}

/// The MAC input of a session-bound CSRF token: nonce, a separator no nonce has, and the
/// session cookie's digest.
fn bound(nonce: &[u8], session: &str) -> Vec<u8> {
    let mut msg = nonce.to_vec();
    msg.extend_from_slice(b"|session|");
    msg.extend_from_slice(&Sha256::digest(session.as_bytes()));
    msg
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)?;
    Ok(b)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Equal length and equal bytes, in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// HMAC-SHA256 (RFC 2104) with a 32-byte key.
fn hmac_sha256(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    let outer = Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&outer);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn memory_store() -> Store {
        Store::open("sqlite::memory:").await.unwrap()
    }

    async fn state(secret: Option<&[u8]>) -> AppState {
        let g = Guideline::preset("midori").unwrap().unwrap();
        let c = Checker::new(&g).unwrap();
        AppState::new(
            memory_store().await,
            vec![],
            (g, c),
            vec![],
            Options {
                secret: secret.map(<[u8]>::to_vec),
                ..Options::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2_shape() {
        // RFC 4231 test case 2 uses a 4-byte key; ours is padded to 32 zero-filled
        // bytes, which HMAC treats identically (keys shorter than the block are
        // zero-padded).
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let mac = hmac_sha256(&key, b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[tokio::test]
    async fn tokens_verify_only_under_the_minting_key() {
        let a = state(Some(b"0123456789abcdef")).await;
        let b = state(Some(b"fedcba9876543210")).await;
        let t = a.mint_csrf().unwrap();
        assert!(a.csrf_valid(&t));
        assert!(!b.csrf_valid(&t));
        assert!(!a.csrf_valid("00.00"));
        assert!(!a.csrf_valid(""));
        assert!(!a.csrf_valid(&t.replace('.', "")));
        let mut forged = t.clone();
        forged.replace_range(0..2, if &t[0..2] == "00" { "11" } else { "00" });
        assert!(!a.csrf_valid(&forged));
    }

    #[tokio::test]
    async fn short_secrets_are_refused() {
        let g = Guideline::preset("midori").unwrap().unwrap();
        let c = Checker::new(&g).unwrap();
        let r = AppState::new(
            memory_store().await,
            vec![],
            (g, c),
            vec![],
            Options {
                secret: Some(b"short".to_vec()),
                ..Options::default()
            },
        );
        assert!(r.is_err());
    }
}

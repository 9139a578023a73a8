//! Shared pieces of the connector tests: accounts, requests, and peers that misbehave
//! at the transport level (nobody listening, hanging up after the request).
#![allow(dead_code)]

pub mod openapi;

use koho_connect::{AccountAuth, IdempotencyKey, Media, PublishRequest, Token};
use tokio::io::AsyncReadExt;

pub fn auth(account: &str, token: &str) -> AccountAuth {
    AccountAuth {
        account_ref: account.into(),
        access_token: Token::new(token),
        expires_at_ms: None,
        refresh_token: None,
        app_secret: None,
    }
}

pub fn request(text: &str, key: &str, media: Vec<Media>) -> PublishRequest {
    PublishRequest {
        text: text.into(),
        media,
        idempotency_key: IdempotencyKey(key.into()),
    }
}

/// A real 1×1 PNG, so peers that inspect images accept it.
pub const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

pub fn png(alt: &str) -> Media {
    Media {
        bytes: PNG_1X1.to_vec(),
        mime: "image/png".into(),
        alt_text: Some(alt.into()),
    }
}

/// An address where nothing listens: connecting is refused before anything is sent.
pub async fn dead_address() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// A peer that reads the whole request and then closes the connection without
/// answering: the request was delivered, its outcome is unknown.
pub async fn hang_up_address() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut seen = Vec::new();
                // Read until the end of the headers and a little more, then vanish.
                while let Ok(n) = sock.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    if let Some(pos) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&seen[..pos]).to_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if seen.len() >= pos + 4 + len {
                            break;
                        }
                    }
                }
                drop(sock);
            });
        }
    });
    format!("http://{addr}")
}

/// A fake media host: images are "published" at a deterministic https URL.
pub struct FakeMediaHost;

#[async_trait::async_trait]
impl koho_connect::media_host::MediaHost for FakeMediaHost {
    async fn public_url(
        &self,
        _media: &Media,
        key: &IdempotencyKey,
        index: usize,
    ) -> Result<String, koho_connect::ConnectError> {
        Ok(format!(
            "https://media.town.example.jp/{}/{index}.png",
            key.0
        ))
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn now_rfc3339() -> String {
    koho_connect::http::format_rfc3339_ms(now_ms())
}

//! A small stateful fake social platform on 127.0.0.1 (Mastodon-shaped: bearer tokens,
//! `POST /api/v1/statuses` with `Idempotency-Key`, the account's statuses, an OAuth refresh
//! grant) and a connector that talks to it over real HTTP with real timeouts.
//!
//! The fake counts what it stored, so tests judge "published exactly once" on the
//! platform's side, not the publisher's. Faults are scripted per account: a 429 with a
//! reset, a 503 before storing, a 500 after storing, a hang after storing (the client's
//! timeout fires while the post is already public), an expired token.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    dead_code
)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use koho_connect::{
    AccountAuth, Capabilities, ConnectError, Connector, Idempotency, Platform, Profile,
    PublishRequest, RemotePost, Token,
};
use koho_workflow::publisher::CredentialRefresher;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted misbehaviour, used by the next request that would store a post.
#[derive(Clone, Debug)]
pub enum Fault {
    /// 429 with `Retry-After` seconds; nothing stored.
    RateLimit { retry_after_s: u64 },
    /// 503 before storing anything.
    UnavailableBeforeStore,
    /// Stores the post, then answers 500.
    ErrorAfterStore,
    /// Stores the post, then answers only after this long.
    HangAfterStore(Duration),
    /// 401: the token is refused.
    Unauthorized,
}

#[derive(Clone, Debug)]
pub struct FakePost {
    pub id: String,
    pub text: String,
    pub key: Option<String>,
    pub created_at_ms: i64,
    pub media: usize,
    pub media_clean: bool,
}

#[derive(Debug, Default)]
pub struct FakeAccount {
    pub token: String,
    /// Tokens replaced by a refresh stay valid until they expire (as on real platforms).
    pub old_tokens: Vec<String>,
    pub refresh_token: String,
    pub posts: Vec<FakePost>,
    pub faults: VecDeque<Fault>,
    pub refreshes: usize,
    pub publish_requests: usize,
    /// Posts taken down with `DELETE /api/v1/statuses/:id`.
    pub deleted: Vec<FakePost>,
}

#[derive(Debug, Default)]
pub struct FakeState {
    /// By account ref.
    pub accounts: HashMap<String, FakeAccount>,
    /// Honour `Idempotency-Key` (Mastodon does; X and Misskey do not).
    pub honour_keys: bool,
    pub next_id: u64,
    /// Added before every answer.
    pub latency: Duration,
}

#[derive(Clone)]
pub struct FakePlatform {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<FakeState>>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

impl FakePlatform {
    pub async fn start(honour_keys: bool, latency: Duration) -> FakePlatform {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(FakeState {
            honour_keys,
            latency,
            ..FakeState::default()
        }));
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, st).await;
                });
            }
        });
        FakePlatform { addr, state }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn add_account(&self, account_ref: &str, token: &str, refresh_token: &str) {
        self.state.lock().unwrap().accounts.insert(
            account_ref.to_owned(),
            FakeAccount {
                token: token.to_owned(),
                refresh_token: refresh_token.to_owned(),
                ..FakeAccount::default()
            },
        );
    }

    pub fn script(&self, account_ref: &str, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .accounts
            .get_mut(account_ref)
            .unwrap()
            .faults
            .push_back(fault);
    }

    pub fn set_token(&self, account_ref: &str, token: &str) {
        self.state
            .lock()
            .unwrap()
            .accounts
            .get_mut(account_ref)
            .unwrap()
            .token = token.to_owned();
        self.state
            .lock()
            .unwrap()
            .accounts
            .get_mut(account_ref)
            .unwrap()
            .old_tokens
            .clear();
    }

    pub fn posts(&self, account_ref: &str) -> Vec<FakePost> {
        self.state.lock().unwrap().accounts[account_ref]
            .posts
            .clone()
    }

    pub fn deleted(&self, account_ref: &str) -> Vec<FakePost> {
        self.state.lock().unwrap().accounts[account_ref]
            .deleted
            .clone()
    }

    pub fn account<R>(&self, account_ref: &str, f: impl FnOnce(&FakeAccount) -> R) -> R {
        f(&self.state.lock().unwrap().accounts[account_ref])
    }

    /// How many stored posts carry this text, over every account.
    pub fn count_text(&self, text: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .accounts
            .values()
            .flat_map(|a| a.posts.iter())
            .filter(|p| p.text == text)
            .count()
    }
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

async fn read_request(sock: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

async fn respond(sock: &mut TcpStream, status: u16, extra: &[(&str, String)], body: &str) {
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Other",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    let _ = sock.write_all(out.as_bytes()).await;
    let _ = sock.shutdown().await;
}

fn post_json(p: &FakePost, base: &str, account: &str) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "url": format!("{base}/@{account}/{}", p.id),
        "content": p.text,
        "created_at_ms": p.created_at_ms,
        "media_attachments": p.media,
    })
}

async fn serve(mut sock: TcpStream, st: Arc<Mutex<FakeState>>) -> Option<()> {
    let req = read_request(&mut sock).await?;
    let latency = st.lock().unwrap().latency;
    tokio::time::sleep(latency).await;
    let base = format!("http://{}", sock.local_addr().ok()?);
    let bearer = req
        .headers
        .get("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let path_only = req.path.split('?').next().unwrap_or_default().to_owned();

    if req.method == "POST" && path_only == "/oauth/token" {
        let v: serde_json::Value = serde_json::from_slice(&req.body).ok()?;
        let rt = v["refresh_token"].as_str().unwrap_or_default();
        let answer = {
            let mut s = st.lock().unwrap();
            let found = s
                .accounts
                .iter_mut()
                .find(|(_, a)| a.refresh_token == rt && !rt.is_empty());
            found.map(|(_, a)| {
            a.refreshes += 1;
            let old = std::mem::take(&mut a.token);
            a.old_tokens.push(old);
            a.token = format!("token-{}-{}", a.refreshes, rt);
            a.refresh_token = format!("{rt}+");
            serde_json::json!({"access_token": a.token, "refresh_token": a.refresh_token, "expires_in": 3600})
            })
        };
        match answer {
            Some(body) => respond(&mut sock, 200, &[], &body.to_string()).await,
            None => respond(&mut sock, 401, &[], r#"{"error":"invalid_grant"}"#).await,
        }
        return Some(());
    }

    // Every other call is the token's account.
    let account_ref = {
        let s = st.lock().unwrap();
        s.accounts
            .iter()
            .find(|(_, a)| {
                !bearer.is_empty() && (a.token == bearer || a.old_tokens.contains(&bearer))
            })
            .map(|(k, _)| k.clone())
    };
    let Some(account_ref) = account_ref else {
        respond(
            &mut sock,
            401,
            &[],
            r#"{"error":"The access token is invalid"}"#,
        )
        .await;
        return Some(());
    };

    if req.method == "GET" && path_only.ends_with("/statuses") {
        let list: Vec<serde_json::Value> = st.lock().unwrap().accounts[&account_ref]
            .posts
            .iter()
            .rev()
            .map(|p| post_json(p, &base, &account_ref))
            .collect();
        respond(
            &mut sock,
            200,
            &[],
            &serde_json::Value::Array(list).to_string(),
        )
        .await;
        return Some(());
    }

    if req.method == "DELETE"
        && let Some(id) = path_only.strip_prefix("/api/v1/statuses/")
    {
        let found = {
            let mut s = st.lock().unwrap();
            let acc = s.accounts.get_mut(&account_ref).unwrap();
            match acc.posts.iter().position(|p| p.id == id) {
                Some(i) => {
                    let p = acc.posts.remove(i);
                    acc.deleted.push(p);
                    true
                }
                None => false,
            }
        };
        if found {
            respond(&mut sock, 200, &[], "{}").await;
        } else {
            respond(&mut sock, 404, &[], r#"{"error":"Record not found"}"#).await;
        }
        return Some(());
    }

    if req.method == "POST" && path_only == "/api/v1/statuses" {
        let v: serde_json::Value = match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(_) => {
                respond(&mut sock, 422, &[], r#"{"error":"bad json"}"#).await;
                return Some(());
            }
        };
        let text = v["status"].as_str().unwrap_or_default().to_owned();
        let media: Vec<Vec<u8>> = v["media"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m["data"].as_str())
                    .filter_map(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
                    .collect()
            })
            .unwrap_or_default();
        let media_clean = media.iter().all(|m| {
            koho_media::inspect(m)
                .map(|i| i.is_clean())
                .unwrap_or(false)
        });
        let key = req.headers.get("idempotency-key").cloned();
        let (fault, stored, hang) = {
            let mut s = st.lock().unwrap();
            let honour = s.honour_keys;
            s.next_id += 1;
            let id = format!("{}", 1_000_000 + s.next_id);
            let acc = s.accounts.get_mut(&account_ref).unwrap();
            acc.publish_requests += 1;
            let fault = acc.faults.pop_front();
            if let Some(
                Fault::RateLimit { .. } | Fault::UnavailableBeforeStore | Fault::Unauthorized,
            ) = fault
            {
                (fault, None, None)
            } else {
                let existing = if honour {
                    key.as_ref()
                        .and_then(|k| acc.posts.iter().find(|p| p.key.as_ref() == Some(k)))
                        .cloned()
                } else {
                    None
                };
                let post = existing.unwrap_or_else(|| {
                    let p = FakePost {
                        id,
                        text,
                        key: key.clone(),
                        created_at_ms: now_ms(),
                        media: media.len(),
                        media_clean,
                    };
                    acc.posts.push(p.clone());
                    p
                });
                let hang = match &fault {
                    Some(Fault::HangAfterStore(d)) => Some(*d),
                    _ => None,
                };
                (fault, Some(post), hang)
            }
        };
        match (fault, stored) {
            (Some(Fault::RateLimit { retry_after_s }), _) => {
                respond(
                    &mut sock,
                    429,
                    &[("retry-after", retry_after_s.to_string())],
                    r#"{"error":"Too many requests"}"#,
                )
                .await;
            }
            (Some(Fault::UnavailableBeforeStore), _) => {
                respond(&mut sock, 503, &[], r#"{"error":"unavailable"}"#).await;
            }
            (Some(Fault::Unauthorized), _) => {
                respond(
                    &mut sock,
                    401,
                    &[],
                    r#"{"error":"The access token expired"}"#,
                )
                .await;
            }
            (Some(Fault::ErrorAfterStore), _) => {
                respond(&mut sock, 500, &[], r#"{"error":"internal"}"#).await;
            }
            (_, Some(post)) => {
                if let Some(d) = hang {
                    tokio::time::sleep(d).await;
                }
                let body = post_json(&post, &base, &account_ref).to_string();
                respond(&mut sock, 200, &[], &body).await;
            }
            (_, None) => respond(&mut sock, 500, &[], "{}").await,
        }
        return Some(());
    }
    respond(&mut sock, 404, &[], r#"{"error":"not found"}"#).await;
    Some(())
}

// ---------------------------------------------------------------------------------------------
// the connector

/// A connector for the fake, as a real one for its platform would classify errors.
pub struct FakeConnector {
    pub platform: Platform,
    pub base_url: String,
    pub idempotency: Idempotency,
    pub timeout: Duration,
}

struct Response {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

enum HttpFailure {
    /// Nothing reached the server.
    NotSent(String),
    /// The request was written; the answer did not come.
    AfterSend(String),
}

impl FakeConnector {
    pub fn new(platform: Platform, base_url: String, idempotency: Idempotency) -> Self {
        FakeConnector {
            platform,
            base_url,
            idempotency,
            timeout: Duration::from_millis(1500),
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        extra: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Response, HttpFailure> {
        let host = self.base_url.trim_start_matches("http://").to_owned();
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut sock = tokio::time::timeout_at(deadline, TcpStream::connect(&host))
            .await
            .map_err(|_| HttpFailure::NotSent("connect timed out".into()))?
            .map_err(|e| HttpFailure::NotSent(e.to_string()))?;
        let body = body.unwrap_or_default();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
            body.len()
        );
        if let Some(t) = auth {
            head.push_str(&format!("authorization: Bearer {t}\r\n"));
        }
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(body);
        tokio::time::timeout_at(deadline, sock.write_all(&out))
            .await
            .map_err(|_| HttpFailure::AfterSend("write timed out".into()))?
            .map_err(|e| HttpFailure::AfterSend(e.to_string()))?;
        let mut raw = Vec::new();
        tokio::time::timeout_at(deadline, sock.read_to_end(&mut raw))
            .await
            .map_err(|_| HttpFailure::AfterSend("no answer before the timeout".into()))?
            .map_err(|e| HttpFailure::AfterSend(e.to_string()))?;
        let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Err(HttpFailure::AfterSend("truncated answer".into()));
        };
        let head = String::from_utf8_lossy(&raw[..i]).to_string();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| HttpFailure::AfterSend("bad status line".into()))?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Ok(Response {
            status,
            headers,
            body: raw[i + 4..].to_vec(),
        })
    }

    fn error_for(&self, r: &Response, write: bool) -> ConnectError {
        let detail = String::from_utf8_lossy(&r.body).to_string();
        match r.status {
            429 => ConnectError::RateLimited {
                retry_after: Duration::from_secs(
                    r.headers
                        .get("retry-after")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(60),
                ),
                detail,
            },
            401 => ConnectError::AuthExpired { detail },
            503 => ConnectError::Retryable {
                detail,
                retry_after: None,
            },
            s if s >= 500 && write => ConnectError::Uncertain { detail },
            s if s >= 500 => ConnectError::Retryable {
                detail,
                retry_after: None,
            },
            s => ConnectError::Rejected {
                code: s.to_string(),
                detail,
            },
        }
    }

    fn post_from(v: &serde_json::Value) -> RemotePost {
        RemotePost {
            remote_id: v["id"].as_str().unwrap_or_default().to_owned(),
            url: v["url"].as_str().map(str::to_owned),
            text: v["content"].as_str().unwrap_or_default().to_owned(),
            created_at_ms: v["created_at_ms"].as_i64(),
        }
    }
}

#[async_trait::async_trait]
impl Connector for FakeConnector {
    fn platform(&self) -> Platform {
        self.platform
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency: self.idempotency,
            max_images: 4,
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
        let media: Vec<serde_json::Value> = req
            .media
            .iter()
            .map(|m| {
                serde_json::json!({
                    "mime": m.mime,
                    "description": m.alt_text,
                    "data": base64::engine::general_purpose::STANDARD.encode(&m.bytes),
                })
            })
            .collect();
        let body = serde_json::json!({"status": req.text, "media": media}).to_string();
        let key = req.idempotency_key.0.clone();
        let extra: Vec<(&str, &str)> = if self.idempotency == Idempotency::Native {
            vec![("idempotency-key", key.as_str())]
        } else {
            vec![]
        };
        match self
            .call(
                "POST",
                "/api/v1/statuses",
                Some(auth.access_token.expose()),
                &extra,
                Some(body.as_bytes()),
            )
            .await
        {
            Ok(r) if r.status == 200 => {
                let v: serde_json::Value =
                    serde_json::from_slice(&r.body).map_err(|e| ConnectError::Uncertain {
                        detail: e.to_string(),
                    })?;
                Ok(Self::post_from(&v))
            }
            Ok(r) => Err(self.error_for(&r, true)),
            Err(HttpFailure::NotSent(detail)) => Err(ConnectError::Retryable {
                detail,
                retry_after: None,
            }),
            Err(HttpFailure::AfterSend(detail)) => Err(ConnectError::Uncertain { detail }),
        }
    }

    async fn find_published(
        &self,
        auth: &AccountAuth,
        req: &PublishRequest,
        since_ms: i64,
    ) -> Result<Option<RemotePost>, ConnectError> {
        let path = format!("/api/v1/accounts/{}/statuses?limit=40", auth.account_ref);
        match self
            .call("GET", &path, Some(auth.access_token.expose()), &[], None)
            .await
        {
            Ok(r) if r.status == 200 => {
                let v: serde_json::Value =
                    serde_json::from_slice(&r.body).map_err(|e| ConnectError::Retryable {
                        detail: e.to_string(),
                        retry_after: None,
                    })?;
                Ok(v.as_array()
                    .into_iter()
                    .flatten()
                    .map(Self::post_from)
                    .find(|p| {
                        p.text == req.text && p.created_at_ms.unwrap_or(i64::MAX) >= since_ms
                    }))
            }
            Ok(r) => Err(self.error_for(&r, false)),
            Err(HttpFailure::NotSent(detail) | HttpFailure::AfterSend(detail)) => {
                Err(ConnectError::Retryable {
                    detail,
                    retry_after: None,
                })
            }
        }
    }

    async fn delete(&self, auth: &AccountAuth, remote_id: &str) -> Result<(), ConnectError> {
        let path = format!("/api/v1/statuses/{remote_id}");
        match self
            .call("DELETE", &path, Some(auth.access_token.expose()), &[], None)
            .await
        {
            Ok(r) if r.status == 200 => Ok(()),
            Ok(r) => Err(self.error_for(&r, false)),
            Err(HttpFailure::NotSent(detail) | HttpFailure::AfterSend(detail)) => {
                Err(ConnectError::Retryable {
                    detail,
                    retry_after: None,
                })
            }
        }
    }

    async fn recent_posts(
        &self,
        _auth: &AccountAuth,
        _limit: usize,
    ) -> Result<Vec<RemotePost>, ConnectError> {
        Err(ConnectError::Unsupported {
            what: "recent posts",
        })
    }

    async fn profile(&self, _auth: &AccountAuth) -> Result<Profile, ConnectError> {
        Err(ConnectError::Unsupported { what: "profile" })
    }
}

/// The fake's OAuth refresh grant.
pub struct FakeRefresher {
    pub connector: FakeConnector,
}

#[async_trait::async_trait]
impl CredentialRefresher for FakeRefresher {
    async fn refresh(&self, auth: &AccountAuth) -> Result<AccountAuth, ConnectError> {
        let rt = auth
            .refresh_token
            .as_ref()
            .map(|t| t.expose().to_owned())
            .unwrap_or_default();
        let body =
            serde_json::json!({"grant_type": "refresh_token", "refresh_token": rt}).to_string();
        match self
            .connector
            .call("POST", "/oauth/token", None, &[], Some(body.as_bytes()))
            .await
        {
            Ok(r) if r.status == 200 => {
                let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                Ok(AccountAuth {
                    account_ref: auth.account_ref.clone(),
                    access_token: Token::new(v["access_token"].as_str().unwrap()),
                    expires_at_ms: Some(now_ms() + v["expires_in"].as_i64().unwrap() * 1000),
                    refresh_token: v["refresh_token"].as_str().map(Token::new),
                    app_secret: auth.app_secret.clone(),
                })
            }
            Ok(r) => Err(self.connector.error_for(&r, false)),
            Err(HttpFailure::NotSent(d) | HttpFailure::AfterSend(d)) => {
                Err(ConnectError::Retryable {
                    detail: d,
                    retry_after: None,
                })
            }
        }
    }
}

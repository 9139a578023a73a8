//! Bluesky through the AT Protocol's XRPC endpoints on the account's PDS.
//!
//! Images: `com.atproto.repo.uploadBlob`. Post: `com.atproto.repo.putRecord` into
//! `app.bsky.feed.post` with a record key derived from the job's [`IdempotencyKey`], so
//! every attempt of one job writes the same record: a retry after an uncertain attempt
//! overwrites instead of publishing twice, and `find_published` is an exact
//! `com.atproto.repo.getRecord`. Links and hashtags become facets, whose offsets count
//! UTF-8 bytes (a kanji is three). Own posts: `com.atproto.repo.listRecords`; delete:
//! `com.atproto.repo.deleteRecord`. The profile is read from the repository itself
//! (`describeRepo` and the `app.bsky.actor.profile/self` record), which every PDS
//! serves, where `app.bsky.actor.getProfile` needs an AppView behind the PDS.
//!
//! Access tokens live two hours; on `ExpiredToken` the connector refreshes with the
//! refresh token (`com.atproto.server.refreshSession`), keeps the new pair for the
//! account and retries once. [`BlueskyConnector::session`] hands the new pair out so
//! it can be stored.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::http::{
    ConfigError, Effect, Http, HttpConfig, Reply, classify_status, format_rfc3339_ms, now_ms,
    parse_rfc3339_ms, retry_after, until_epoch_secs,
};
use crate::{
    AccountAuth, Capabilities, ConnectError, Connector, Idempotency, IdempotencyKey, Platform,
    Profile, PublishRequest, RemotePost, Token,
};

pub const POST_COLLECTION: &str = "app.bsky.feed.post";
const PROFILE_COLLECTION: &str = "app.bsky.actor.profile";

/// A fresh pair of tokens obtained by refreshing.
#[derive(Clone, Debug)]
pub struct Session {
    pub access: Token,
    pub refresh: Token,
}

pub struct BlueskyConnector {
    http: Http,
    /// Tokens refreshed since the account's stored ones, by DID.
    sessions: Mutex<HashMap<String, Session>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatedSession {
    did: String,
    access_jwt: String,
    refresh_jwt: String,
}

#[derive(Deserialize)]
struct Written {
    uri: String,
}

#[derive(Deserialize)]
struct RecordList {
    #[serde(default)]
    records: Vec<RecordItem>,
}

#[derive(Deserialize)]
struct RecordItem {
    uri: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct Described {
    handle: String,
}

/// What an XRPC call carries.
#[derive(Clone, Copy)]
enum Body<'a> {
    None,
    Json(&'a Value),
    Bytes(&'a [u8], &'a str),
}

impl BlueskyConnector {
    pub fn new(cfg: &HttpConfig) -> Result<BlueskyConnector, ConfigError> {
        Ok(BlueskyConnector {
            http: Http::new(cfg)?,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// Signs in with a handle (or DID) and an app password, as when a municipality
    /// connects its account.
    pub async fn create_session(
        &self,
        identifier: &str,
        password: &str,
    ) -> Result<AccountAuth, ConnectError> {
        let rb = self
            .http
            .client
            .post(self.http.url("/xrpc/com.atproto.server.createSession"))
            .json(&json!({ "identifier": identifier, "password": password }));
        let reply = self.http.send(rb, Effect::Read).await?;
        if !reply.status.is_success() {
            return Err(error_of(&reply, Effect::Read));
        }
        let s: CreatedSession = reply.json(Effect::Read)?;
        Ok(AccountAuth {
            account_ref: s.did,
            expires_at_ms: jwt_expiry_ms(&s.access_jwt),
            access_token: Token::new(s.access_jwt),
            refresh_token: Some(Token::new(s.refresh_jwt)),
            app_secret: None,
        })
    }

    /// The tokens to store for `did` if they were refreshed since it was loaded.
    pub fn session(&self, did: &str) -> Option<Session> {
        self.sessions.lock().ok()?.get(did).cloned()
    }

    fn current(&self, auth: &AccountAuth) -> Session {
        if let Some(s) = self.session(&auth.account_ref) {
            return s;
        }
        Session {
            access: auth.access_token.clone(),
            refresh: auth.refresh_token.clone().unwrap_or_else(|| Token::new("")),
        }
    }

    async fn refresh(&self, auth: &AccountAuth, refresh: &Token) -> Result<(), ConnectError> {
        let rb = self
            .http
            .client
            .post(self.http.url("/xrpc/com.atproto.server.refreshSession"))
            .bearer_auth(refresh.expose());
        let reply = self.http.send(rb, Effect::Read).await?;
        if !reply.status.is_success() {
            // A refused refresh token means the person must sign in again.
            return Err(match error_of(&reply, Effect::Read) {
                ConnectError::Rejected { detail, .. } => ConnectError::AuthExpired { detail },
                other => other,
            });
        }
        let s: CreatedSession = reply.json(Effect::Read)?;
        if let Ok(mut map) = self.sessions.lock() {
            map.insert(
                auth.account_ref.clone(),
                Session {
                    access: Token::new(s.access_jwt),
                    refresh: Token::new(s.refresh_jwt),
                },
            );
        }
        Ok(())
    }

    async fn xrpc(
        &self,
        auth: &AccountAuth,
        method: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
        effect: Effect,
    ) -> Result<Reply, ConnectError> {
        let mut refreshed = false;
        loop {
            let session = self.current(auth);
            let url = self.http.url(&format!("/xrpc/{method}"));
            let rb = match body {
                Body::None => self.http.client.get(url).query(query),
                Body::Json(v) => self.http.client.post(url).json(v),
                Body::Bytes(b, mime) => self
                    .http
                    .client
                    .post(url)
                    .header(reqwest::header::CONTENT_TYPE, mime)
                    .body(b.to_vec()),
            };
            let reply = self
                .http
                .send(rb.bearer_auth(session.access.expose()), effect)
                .await?;
            if reply.status.is_success() {
                return Ok(reply);
            }
            let err = error_of(&reply, effect);
            // An expired token is refused before the handler runs: nothing happened,
            // so even a publish may be repeated once with a fresh token.
            if !refreshed
                && xrpc_error_name(&reply).as_deref() == Some("ExpiredToken")
                && !session.refresh.expose().is_empty()
            {
                self.refresh(auth, &session.refresh).await?;
                refreshed = true;
                continue;
            }
            return Err(err);
        }
    }

    async fn get_record(
        &self,
        auth: &AccountAuth,
        collection: &str,
        rkey: &str,
    ) -> Result<Option<Value>, ConnectError> {
        let q = [
            ("repo", auth.account_ref.as_str()),
            ("collection", collection),
            ("rkey", rkey),
        ];
        match self
            .xrpc(
                auth,
                "com.atproto.repo.getRecord",
                &q,
                Body::None,
                Effect::Read,
            )
            .await
        {
            Ok(reply) => Ok(Some(reply.json(Effect::Read)?)),
            Err(ConnectError::Rejected { code, .. }) if code == "RecordNotFound" => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// When an access JWT expires (its `exp` claim, Unix ms), so the publisher can refresh
/// ahead of time. The signature is not checked: only the PDS that issued it can, and
/// koho only schedules with it.
pub fn jwt_expiry_ms(jwt: &str) -> Option<i64> {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("exp")?.as_i64()?.checked_mul(1000)
}

fn xrpc_error_name(reply: &Reply) -> Option<String> {
    let v: Value = serde_json::from_slice(&reply.body).ok()?;
    v.get("error")?.as_str().map(str::to_owned)
}

pub(crate) fn error_of(reply: &Reply, effect: Effect) -> ConnectError {
    let v: Value = serde_json::from_slice(&reply.body).unwrap_or_default();
    let name = v
        .get("error")
        .and_then(Value::as_str)
        .map_or_else(|| reply.status.as_u16().to_string(), str::to_owned);
    let detail = v
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| reply.text_lossy(), str::to_owned);
    let now = now_ms();
    let wait = reply
        .header("ratelimit-reset")
        .and_then(|r| until_epoch_secs(r, now))
        .or_else(|| {
            reply
                .header("retry-after")
                .and_then(|r| retry_after(r, now))
        });
    match name.as_str() {
        // The PDS answers these with 400 as well as 401.
        "ExpiredToken" | "InvalidToken" | "AuthenticationRequired" | "AuthMissing" => {
            ConnectError::AuthExpired {
                detail: format!("{name}: {detail}"),
            }
        }
        "RateLimitExceeded" => ConnectError::RateLimited {
            detail,
            retry_after: wait.unwrap_or(crate::http::DEFAULT_RATE_LIMIT_WAIT),
        },
        _ => classify_status(reply.status, effect, name, detail, wait),
    }
}

const TID_ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// Whether `s` is a TID: 13 base32-sortable characters whose first leaves the top bit 0.
pub fn is_tid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 13
        && b.iter().all(|c| TID_ALPHABET.contains(c))
        && b"234567abcdefghij".contains(&b[0])
}

fn encode_tid(value: u64) -> String {
    let v = value & !(1 << 63);
    (0..13)
        .rev()
        .map(|i| TID_ALPHABET[((v >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// The record key of the post a job creates. `app.bsky.feed.post` keys must be TIDs.
/// A key that already is one is used as it is (an outbox that mints its keys as TIDs
/// gets records in publication order). Any other key is hashed into a TID whose time
/// lies between 2020 and mid-2024 — always in the past, so no relay treats it as from
/// the future — and whose 57 hashed bits make collisions negligible.
pub fn record_key(key: &IdempotencyKey) -> String {
    if is_tid(&key.0) {
        return key.0.clone();
    }
    const BASE_US: u64 = 1_577_836_800_000_000; // 2020-01-01T00:00:00Z
    let h = Sha256::digest(key.0.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&h[..8]);
    let n = u64::from_be_bytes(first);
    let micros = BASE_US + (n >> 17); // 47 bits ≈ 4.4 years
    let clock = n & 0x3ff;
    encode_tid((micros << 10) | clock)
}

/// Link and hashtag facets of `text`, with UTF-8 byte offsets.
pub fn facets(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (start, end) in link_spans(text) {
        out.push(json!({
            "index": { "byteStart": start, "byteEnd": end },
            "features": [{ "$type": "app.bsky.richtext.facet#link", "uri": &text[start..end] }]
        }));
    }
    for (start, end) in tag_spans(text) {
        // The tag is stored without its `#`/`＃`.
        let hash_len = text[start..].chars().next().map_or(1, char::len_utf8);
        out.push(json!({
            "index": { "byteStart": start, "byteEnd": end },
            "features": [{ "$type": "app.bsky.richtext.facet#tag", "tag": &text[start + hash_len..end] }]
        }));
    }
    out
}

fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// Links end at whitespace or at the first non-ASCII character: Japanese text often
/// continues right after a URL (`…https://example.jp/をご覧ください`).
fn link_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(rel) = text[from..].find("http") {
        let start = from + rel;
        let rest = &text[start..];
        let scheme_ok = rest.starts_with("https://") || rest.starts_with("http://");
        let boundary_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        if !(scheme_ok && boundary_ok) {
            from = start + 4;
            continue;
        }
        let len: usize = rest
            .chars()
            .take_while(|c| is_url_char(*c))
            .map(char::len_utf8)
            .sum();
        let mut end = start + len;
        while end > start {
            let last = text[..end].chars().next_back().unwrap_or(' ');
            let unbalanced_paren = last == ')' && !text[start..end].contains('(');
            if ".,;:!?'\"".contains(last) || unbalanced_paren {
                end -= last.len_utf8();
            } else {
                break;
            }
        }
        let scheme_len = if rest.starts_with("https://") { 8 } else { 7 };
        if end > start + scheme_len {
            spans.push((start, end));
        }
        from = end.max(start + 4);
    }
    spans
}

fn is_tag_end(c: char) -> bool {
    c.is_whitespace()
        || (c.is_ascii_punctuation() && c != '_')
        || "、。，．！？「」『』（）【】・：；…".contains(c)
}

fn tag_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let starts = (c == '#' || c == '＃') && prev.is_none_or(char::is_whitespace);
        prev = Some(c);
        if !starts {
            continue;
        }
        let body_start = i + c.len_utf8();
        let len: usize = text[body_start..]
            .chars()
            .take_while(|ch| !is_tag_end(*ch))
            .map(char::len_utf8)
            .sum();
        let tag = &text[body_start..body_start + len];
        if !tag.is_empty()
            && !tag.chars().all(|ch| ch.is_ascii_digit())
            && tag.chars().count() <= 64
        {
            spans.push((i, body_start + len));
        }
    }
    spans
}

fn has_japanese(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xff66..=0xff9f)
    })
}

/// `at://{did}/{collection}/{rkey}`.
fn parse_at_uri(uri: &str) -> Option<(&str, &str, &str)> {
    let rest = uri.strip_prefix("at://")?;
    let mut parts = rest.splitn(3, '/');
    let (repo, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
    if repo.is_empty() || collection.is_empty() || rkey.is_empty() || rkey.contains('/') {
        return None;
    }
    Some((repo, collection, rkey))
}

fn web_url(uri: &str) -> Option<String> {
    let (repo, _, rkey) = parse_at_uri(uri)?;
    Some(format!("https://bsky.app/profile/{repo}/post/{rkey}"))
}

fn remote_post(uri: String, value: &Value) -> RemotePost {
    RemotePost {
        url: web_url(&uri),
        text: value
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        created_at_ms: value
            .get("createdAt")
            .and_then(Value::as_str)
            .and_then(parse_rfc3339_ms),
        remote_id: uri,
    }
}

#[async_trait::async_trait]
impl Connector for BlueskyConnector {
    fn platform(&self) -> Platform {
        Platform::Bluesky
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency: Idempotency::Native,
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
        if req.media.len() > 4 {
            return Err(ConnectError::Rejected {
                code: "too_many_images".into(),
                detail: format!("Bluesky takes at most 4 images, got {}", req.media.len()),
            });
        }
        let mut images = Vec::with_capacity(req.media.len());
        for m in &req.media {
            let reply = self
                .xrpc(
                    auth,
                    "com.atproto.repo.uploadBlob",
                    &[],
                    Body::Bytes(&m.bytes, &m.mime),
                    Effect::Prepare,
                )
                .await?;
            let v: Value = reply.json(Effect::Prepare)?;
            let blob = v
                .get("blob")
                .cloned()
                .ok_or_else(|| ConnectError::Retryable {
                    detail: "uploadBlob answered without a blob".into(),
                    retry_after: None,
                })?;
            images.push(json!({ "alt": m.alt_text.clone().unwrap_or_default(), "image": blob }));
        }
        let mut record = json!({
            "$type": POST_COLLECTION,
            "text": req.text,
            "createdAt": format_rfc3339_ms(now_ms()),
        });
        let facets = facets(&req.text);
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        if has_japanese(&req.text) {
            record["langs"] = json!(["ja"]);
        }
        if !images.is_empty() {
            record["embed"] = json!({ "$type": "app.bsky.embed.images", "images": images });
        }
        let rkey = record_key(&req.idempotency_key);
        let body = json!({
            "repo": auth.account_ref,
            "collection": POST_COLLECTION,
            "rkey": rkey,
            "validate": true,
            "record": record,
        });
        let reply = self
            .xrpc(
                auth,
                "com.atproto.repo.putRecord",
                &[],
                Body::Json(&body),
                Effect::Publish,
            )
            .await?;
        let w: Written = reply.json(Effect::Publish)?;
        Ok(RemotePost {
            url: web_url(&w.uri),
            remote_id: w.uri,
            text: req.text.clone(),
            created_at_ms: record
                .get("createdAt")
                .and_then(Value::as_str)
                .and_then(parse_rfc3339_ms),
        })
    }

    async fn find_published(
        &self,
        auth: &AccountAuth,
        req: &PublishRequest,
        _since_ms: i64,
    ) -> Result<Option<RemotePost>, ConnectError> {
        let rkey = record_key(&req.idempotency_key);
        let Some(v) = self.get_record(auth, POST_COLLECTION, &rkey).await? else {
            return Ok(None);
        };
        let uri = v.get("uri").and_then(Value::as_str).map_or_else(
            || format!("at://{}/{POST_COLLECTION}/{rkey}", auth.account_ref),
            str::to_owned,
        );
        Ok(Some(remote_post(
            uri,
            v.get("value").unwrap_or(&Value::Null),
        )))
    }

    async fn delete(&self, auth: &AccountAuth, remote_id: &str) -> Result<(), ConnectError> {
        let (repo, collection, rkey) =
            parse_at_uri(remote_id).ok_or_else(|| ConnectError::Rejected {
                code: "invalid_uri".into(),
                detail: format!("not an AT URI: {remote_id}"),
            })?;
        if repo != auth.account_ref {
            return Err(ConnectError::Rejected {
                code: "other_repo".into(),
                detail: format!("{remote_id} is not in {}", auth.account_ref),
            });
        }
        let body = json!({ "repo": repo, "collection": collection, "rkey": rkey });
        self.xrpc(
            auth,
            "com.atproto.repo.deleteRecord",
            &[],
            Body::Json(&body),
            Effect::Publish,
        )
        .await
        .map(|_| ())
    }

    async fn recent_posts(
        &self,
        auth: &AccountAuth,
        limit: usize,
    ) -> Result<Vec<RemotePost>, ConnectError> {
        // Records come in record-key order, which is publication order only for keys
        // minted as TIDs at publication; a larger page sorted by `createdAt` holds.
        let fetch = limit.clamp(50, 100).to_string();
        let q = [
            ("repo", auth.account_ref.as_str()),
            ("collection", POST_COLLECTION),
            ("limit", fetch.as_str()),
        ];
        let reply = self
            .xrpc(
                auth,
                "com.atproto.repo.listRecords",
                &q,
                Body::None,
                Effect::Read,
            )
            .await?;
        let list: RecordList = reply.json(Effect::Read)?;
        let mut posts: Vec<RemotePost> = list
            .records
            .into_iter()
            .map(|r| remote_post(r.uri, &r.value))
            .collect();
        posts.sort_by_key(|p| std::cmp::Reverse(p.created_at_ms));
        posts.truncate(limit);
        Ok(posts)
    }

    async fn profile(&self, auth: &AccountAuth) -> Result<Profile, ConnectError> {
        let reply = self
            .xrpc(
                auth,
                "com.atproto.repo.describeRepo",
                &[("repo", auth.account_ref.as_str())],
                Body::None,
                Effect::Read,
            )
            .await?;
        let d: Described = reply.json(Effect::Read)?;
        let record = self
            .get_record(auth, PROFILE_COLLECTION, "self")
            .await?
            .and_then(|v| v.get("value").cloned())
            .unwrap_or(Value::Null);
        let field = |name: &str| {
            record
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Ok(Profile {
            handle: d.handle,
            display_name: field("displayName"),
            description: field("description"),
            url: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_keys_are_stable_valid_tids() {
        let a = record_key(&IdempotencyKey("job-42".into()));
        assert!(is_tid(&a), "{a}");
        assert_eq!(a, record_key(&IdempotencyKey("job-42".into())));
        assert_ne!(a, record_key(&IdempotencyKey("job-43".into())));
        // A key minted as a TID is kept.
        assert_eq!(
            record_key(&IdempotencyKey("3jzfcijpj2z2a".into())),
            "3jzfcijpj2z2a"
        );
        assert!(!is_tid("koho-abc"));
        assert!(!is_tid("zzzzzzzzzzzzz"));
    }

    #[test]
    fn facets_count_utf8_bytes() {
        let text = "詳しくはhttps://www.town.example.jp/bousai/をご覧ください。 #防災 #2026 (https://a.jp/x).";
        let f = facets(text);
        let spans: Vec<(&str, &str)> = f
            .iter()
            .map(|v| {
                let s = v["index"]["byteStart"].as_u64().unwrap() as usize;
                let e = v["index"]["byteEnd"].as_u64().unwrap() as usize;
                (&text[s..e], v["features"][0]["$type"].as_str().unwrap())
            })
            .collect();
        assert_eq!(
            spans,
            vec![
                (
                    "https://www.town.example.jp/bousai/",
                    "app.bsky.richtext.facet#link"
                ),
                ("https://a.jp/x", "app.bsky.richtext.facet#link"),
                ("#防災", "app.bsky.richtext.facet#tag"),
            ]
        );
        // "詳しくは" is four characters and twelve bytes.
        assert_eq!(f[0]["index"]["byteStart"], 12);
        assert_eq!(f[2]["features"][0]["tag"], "防災");
    }

    #[test]
    fn at_uris() {
        assert_eq!(
            parse_at_uri("at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a"),
            Some(("did:plc:abc", "app.bsky.feed.post", "3jzfcijpj2z2a"))
        );
        assert_eq!(parse_at_uri("https://bsky.app/x"), None);
    }
}

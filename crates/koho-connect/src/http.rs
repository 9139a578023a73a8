//! What every connector shares: one HTTP client with timeouts, the classification of
//! transport failures and status codes into [`ConnectError`], and the parsing of each
//! platform's rate-limit signals.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::ConnectError;

/// When a platform says "too many requests" but not until when: long enough not to
/// hammer it, short enough that a morning notice still goes out in the morning.
pub const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// Where a connector talks to and how patiently.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// The API's base address, e.g. `https://api.x.com` or a Mastodon instance;
    /// tests point it at 127.0.0.1.
    pub base_url: String,
    /// The whole request, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// Connecting only: a failure here means nothing was sent.
    pub connect_timeout: Duration,
}

impl HttpConfig {
    pub fn new(base_url: impl Into<String>) -> HttpConfig {
        HttpConfig {
            base_url: base_url.into(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
        }
    }

    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> HttpConfig {
        self.timeout = timeout;
        self
    }
}

/// A connector could not be built from its configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid connector configuration: {0}")]
pub struct ConfigError(pub String);

/// What a request does to the account, which decides how a lost answer is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Reads only: any failure is safe to retry.
    Read,
    /// Creates something invisible (an uploaded image, an unpublished container):
    /// repeating it leaves at most an orphan, never a second public post.
    Prepare,
    /// Makes something public or removes it: a lost answer means "may have happened".
    Publish,
}

/// A complete answer: status, headers and the whole body.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// Decodes a success body. A success whose body cannot be read after a publish is
    /// still a success on the platform's side, so it is uncertain, not retryable.
    pub fn json<T: DeserializeOwned>(&self, effect: Effect) -> Result<T, ConnectError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let detail = format!("unexpected answer ({}): {e}", self.status.as_u16());
            match effect {
                Effect::Publish => ConnectError::Uncertain { detail },
                Effect::Read | Effect::Prepare => ConnectError::Retryable {
                    detail,
                    retry_after: None,
                },
            }
        })
    }

    pub fn text_lossy(&self) -> String {
        let s = String::from_utf8_lossy(&self.body);
        s.chars().take(500).collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The shared client of one connector.
#[derive(Clone, Debug)]
pub(crate) struct Http {
    pub client: reqwest::Client,
    base: String,
}

impl Http {
    pub fn new(cfg: &HttpConfig) -> Result<Http, ConfigError> {
        let base = cfg.base_url.trim_end_matches('/').to_owned();
        let parsed = url::Url::parse(&base).map_err(|e| ConfigError(format!("{base}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConfigError(format!("{base}: not an http(s) address")));
        }
        let client = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            .user_agent(concat!("koho/", env!("CARGO_PKG_VERSION")))
            // A redirect of a POST would silently turn a publish into something else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigError(e.to_string()))?;
        Ok(Http { client, base })
    }

    /// `path` starts with `/` and is appended to the base (which may carry a version
    /// prefix such as `/v23.0`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends and reads the whole answer, turning transport failures into errors by
    /// whether the request can have had an effect.
    pub async fn send(&self, rb: RequestBuilder, effect: Effect) -> Result<Reply, ConnectError> {
        let resp = rb.send().await.map_err(|e| transport_error(&e, effect))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .bytes()
            .await
            .map_err(|e| transport_error(&e, effect))?
            .to_vec();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}

/// Connection refused, DNS and connect timeouts happen before a byte of the request
/// left: nothing can have been published. Anything later (a timeout waiting for the
/// answer, a connection reset mid-answer) may follow a stored post.
pub(crate) fn transport_error(e: &reqwest::Error, effect: Effect) -> ConnectError {
    let detail = describe(e);
    if e.is_builder() {
        return ConnectError::Rejected {
            code: "request".into(),
            detail,
        };
    }
    if e.is_connect() {
        return ConnectError::Retryable {
            detail,
            retry_after: None,
        };
    }
    match effect {
        Effect::Publish => ConnectError::Uncertain { detail },
        Effect::Read | Effect::Prepare => ConnectError::Retryable {
            detail,
            retry_after: None,
        },
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "connection failed".to_owned()
    };
    // The chain of causes says "connection refused", "dns error" …; the URL is left
    // out because some platforms carry tokens in query strings.
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(cause) = src {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        src = cause.source();
    }
    s
}

/// The default reading of an error status once a platform has had its say about its
/// own codes: 429 waits, 401 needs a person, 5xx to a publish is uncertain.
pub(crate) fn classify_status(
    status: StatusCode,
    effect: Effect,
    code: String,
    detail: String,
    retry_after: Option<Duration>,
) -> ConnectError {
    if status == StatusCode::TOO_MANY_REQUESTS {
        return ConnectError::RateLimited {
            detail,
            retry_after: retry_after.unwrap_or(DEFAULT_RATE_LIMIT_WAIT),
        };
    }
    if status == StatusCode::UNAUTHORIZED {
        return ConnectError::AuthExpired { detail };
    }
    if status.is_server_error() {
        return match effect {
            Effect::Publish => ConnectError::Uncertain {
                detail: format!("{} {code}: {detail}", status.as_u16()),
            },
            Effect::Read | Effect::Prepare => ConnectError::Retryable {
                detail: format!("{} {code}: {detail}", status.as_u16()),
                retry_after,
            },
        };
    }
    if status == StatusCode::REQUEST_TIMEOUT {
        return match effect {
            Effect::Publish => ConnectError::Uncertain { detail },
            Effect::Read | Effect::Prepare => ConnectError::Retryable {
                detail,
                retry_after,
            },
        };
    }
    ConnectError::Rejected { code, detail }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A wait until an instant given in Unix seconds (X `x-rate-limit-reset`, Bluesky
/// `ratelimit-reset`). A reset already past still waits a second: the platform's clock
/// may be ahead of ours.
pub fn until_epoch_secs(value: &str, now_ms: i64) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    let at_ms = (secs * 1000.0) as i64;
    Some(wait_until(at_ms, now_ms))
}

/// A wait given as seconds from now (Misskey `X-RateLimit-Reset`, `Retry-After`).
pub fn delta_secs(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(secs.max(1.0)))
}

/// `Retry-After`: either seconds or an HTTP date.
pub fn retry_after(value: &str, now_ms: i64) -> Option<Duration> {
    if let Some(d) = delta_secs(value) {
        return Some(d);
    }
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    let at_ms = i64::try_from(at.duration_since(UNIX_EPOCH).ok()?.as_millis()).ok()?;
    Some(wait_until(at_ms, now_ms))
}

/// A wait until an ISO-8601 instant (Mastodon `X-RateLimit-Reset`).
pub fn until_rfc3339(value: &str, now_ms: i64) -> Option<Duration> {
    Some(wait_until(parse_rfc3339_ms(value)?, now_ms))
}

fn wait_until(at_ms: i64, now_ms: i64) -> Duration {
    let ms = at_ms.saturating_sub(now_ms).max(1000);
    Duration::from_millis(u64::try_from(ms).unwrap_or(1000))
}

/// Parses the timestamps platforms send: `2026-11-22T05:00:00Z`,
/// `2026-11-22T05:00:00.123456+09:00`, and Meta's `2026-11-22T05:00:00+0000`.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac_ms = 0i64;
    if let Some(r) = rest.strip_prefix('.') {
        let digits: String = r.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return None;
        }
        let mut ms3: String = digits.chars().take(3).collect();
        while ms3.len() < 3 {
            ms3.push('0');
        }
        frac_ms = ms3.parse().ok()?;
        rest = &r[digits.len()..];
    }
    let offset_min = match rest {
        "Z" | "z" | "" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let oh: i64 = digits[0..2].parse().ok()?;
            let om: i64 = digits[2..4].parse().ok()?;
            sign * (oh * 60 + om)
        }
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset_min * 60;
    Some(secs * 1000 + frac_ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats Unix ms as `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form AT Protocol records use.
pub fn format_rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Whether a post the platform returns is the one koho sent. Platforms rewrite text:
/// X shortens links to t.co and escapes `&<>`, Mastodon returns HTML, everyone trims.
/// Links are therefore compared by position only.
pub(crate) fn same_text(sent: &str, remote: &str) -> bool {
    normalise(sent) == normalise(&decode_entities(remote))
}

fn normalise(s: &str) -> String {
    let mut out = String::new();
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if word.starts_with("http://") || word.starts_with("https://") {
            out.push_str("<link>");
        } else {
            out.push_str(word);
        }
    }
    out
}

pub(crate) fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Plain text of the small HTML platforms return for a post (Mastodon `content`):
/// paragraphs and line breaks become newlines, tags go, entities are decoded.
pub(crate) fn html_to_text(html: &str) -> String {
    let html = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p><p>", "\n\n");
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode_entities(&out)
}

/// Whether a post was created after an attempt began, allowing for clock skew between
/// koho and the platform.
pub(crate) fn created_since(created_at_ms: Option<i64>, since_ms: i64) -> bool {
    const SKEW_MS: i64 = 5 * 60 * 1000;
    created_at_ms.is_none_or(|t| t >= since_ms - SKEW_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_forms_of_every_platform() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2026-11-22T05:00:00.250Z"),
            Some(1_795_323_600_250)
        );
        // Meta writes the offset without a colon.
        assert_eq!(
            parse_rfc3339_ms("2026-11-22T14:00:00+0900"),
            parse_rfc3339_ms("2026-11-22T05:00:00Z")
        );
        assert_eq!(
            parse_rfc3339_ms("2026-11-22T14:00:00.123456+09:00"),
            Some(1_795_323_600_123)
        );
        assert_eq!(parse_rfc3339_ms("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
        assert_eq!(
            format_rfc3339_ms(1_795_323_600_250),
            "2026-11-22T05:00:00.250Z"
        );
        for ms in [0, 951_782_400_000, 1_795_323_600_250, 4_102_444_800_999] {
            assert_eq!(parse_rfc3339_ms(&format_rfc3339_ms(ms)), Some(ms));
        }
    }

    #[test]
    fn rate_limit_resets_in_each_format() {
        let now = 1_795_323_600_000;
        assert_eq!(
            until_epoch_secs("1795323660", now),
            Some(Duration::from_secs(60))
        );
        // A reset in the past still waits a little.
        assert_eq!(
            until_epoch_secs("1795323000", now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            until_rfc3339("2026-11-22T05:05:00.000Z", now),
            Some(Duration::from_secs(300))
        );
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Sun, 22 Nov 2026 05:02:00 GMT", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(delta_secs("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(until_epoch_secs("soon", now), None);
        assert_eq!(delta_secs("-3"), None);
    }

    #[test]
    fn text_matching_survives_platform_rewrites() {
        assert!(same_text(
            "防災訓練のお知らせ https://www.town.example.jp/a?b=1&c=2",
            "防災訓練のお知らせ https://t.co/abc123"
        ));
        assert!(same_text("A & B <c>", "A &amp; B &lt;c&gt;"));
        assert!(!same_text("防災訓練のお知らせ", "防災訓練の中止"));
        assert_eq!(
            html_to_text("<p>一行目<br />二行目</p><p>&amp; 三</p>"),
            "一行目\n二行目\n\n& 三"
        );
    }
}

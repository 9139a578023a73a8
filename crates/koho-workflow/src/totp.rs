//! Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, 6 digits, 30 s
//! steps — what every authenticator app shows. Pure: the time comes in as Unix ms.

use sha1::{Digest, Sha1};

/// Length of a time step in milliseconds.
pub const STEP_MS: i64 = 30_000;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps accepted on either side of the current one, for clocks that drift.
pub const SKEW_STEPS: i64 = 1;
/// Bytes of a generated secret (160 bits, the HMAC-SHA-1 block recommendation of RFC 4226).
pub const SECRET_BYTES: usize = 20;

/// A shared TOTP secret. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// A fresh random secret.
    pub fn generate() -> Result<TotpSecret, getrandom::Error> {
        let mut b = vec![0u8; SECRET_BYTES];
        getrandom::fill(&mut b)?;
        Ok(TotpSecret(b))
    }

    /// A secret from raw bytes (at least 10, as RFC 4226 requires 128 bits and recommends 160).
    pub fn from_bytes(bytes: &[u8]) -> Option<TotpSecret> {
        (bytes.len() >= 10).then(|| TotpSecret(bytes.to_vec()))
    }

    /// Parses the base32 text authenticator apps and the store use (case and spaces ignored).
    pub fn from_base32(s: &str) -> Option<TotpSecret> {
        base32_decode(s).and_then(|b| TotpSecret::from_bytes(&b))
    }

    /// RFC 4648 base32 without padding, as in otpauth:// URIs.
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// The code for one time step, with `digits` digits.
    pub fn code_at_step(&self, step: i64, digits: u32) -> u32 {
        hotp(&self.0, u64::try_from(step).unwrap_or(0), digits)
    }

    /// The 6-digit code at a time.
    pub fn code_at(&self, now_ms: i64) -> u32 {
        self.code_at_step(step_of(now_ms), DIGITS)
    }

    /// Checks `code` against the steps around `now_ms`. Returns the step it matched, unless
    /// that step is not after `last_used` (a code is good once: a replay is refused).
    pub fn verify(&self, code: &str, now_ms: i64, last_used: Option<i64>) -> Option<i64> {
        let code = code.trim();
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let wanted: u32 = code.parse().ok()?;
        let now = step_of(now_ms);
        let mut matched = None;
        // Every candidate is computed, so the time taken does not tell which one matched.
        for step in (now - SKEW_STEPS)..=(now + SKEW_STEPS) {
            if step >= 0 && self.code_at_step(step, DIGITS) == wanted && matched.is_none() {
                matched = Some(step);
            }
        }
        let step = matched?;
        match last_used {
            Some(last) if step <= last => None,
            _ => Some(step),
        }
    }
}

/// The time step of a moment (T = floor(unix seconds / 30)).
pub fn step_of(now_ms: i64) -> i64 {
    now_ms.div_euclid(STEP_MS)
}

/// Formats a code with leading zeros.
pub fn format_code(code: u32) -> String {
    format!("{code:0width$}", width = DIGITS as usize)
}

/// The `otpauth://totp/…` URI an authenticator app reads (from a QR code or pasted).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &TotpSecret) -> String {
    let label = format!("{}:{}", pct(issuer), pct(account));
    format!(
        "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={}",
        secret.to_base32(),
        pct(issuer),
        STEP_MS / 1000
    )
}

/// Percent-encoding of everything but unreserved characters (RFC 3986).
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// HOTP (RFC 4226): HMAC-SHA-1 of the counter, dynamic truncation, `digits` digits.
fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    let mac = hmac_sha1(key, &counter.to_be_bytes());
    let offset = usize::from(mac[19] & 0x0f);
    let bin = (u32::from(mac[offset] & 0x7f) << 24)
        | (u32::from(mac[offset + 1]) << 16)
        | (u32::from(mac[offset + 2]) << 8)
        | u32::from(mac[offset + 3]);
    bin % 10u32.pow(digits)
}

/// HMAC (RFC 2104) over SHA-1 (block 64 bytes).
fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for i in 0..64 {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha1::new().chain_update(ipad).chain_update(msg).finalize();
    let outer = Sha1::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize();
    let mut out = [0u8; 20];
    out.copy_from_slice(&outer);
    out
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(B32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(B32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in s.chars() {
        if c == '=' || c == ' ' || c == '-' {
            continue;
        }
        let v = B32
            .iter()
            .position(|&x| char::from(x) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | u32::try_from(v).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows: (Unix seconds, 8-digit TOTP).
    const RFC6238_SHA1: &[(i64, u32)] = &[
        (59, 94_287_082),
        (1_111_111_109, 7_081_804),
        (1_111_111_111, 14_050_471),
        (1_234_567_890, 89_005_924),
        (2_000_000_000, 69_279_037),
        (20_000_000_000, 65_353_130),
    ];

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890").unwrap()
    }

    #[test]
    fn rfc_6238_test_vectors() {
        let s = rfc_secret();
        for &(secs, code) in RFC6238_SHA1 {
            assert_eq!(s.code_at_step(step_of(secs * 1000), 8), code, "T={secs}");
            // Six digits are the last six of the eight.
            assert_eq!(s.code_at(secs * 1000), code % 1_000_000, "T={secs}");
        }
    }

    #[test]
    fn rfc_4226_hotp_vectors() {
        // RFC 4226 Appendix D, counters 0..9.
        let want = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", i as u64, 6), *w);
        }
    }

    #[test]
    fn one_step_of_drift_is_accepted_two_are_not() {
        let s = rfc_secret();
        let t = 1_111_111_111_000;
        let code = format_code(s.code_at(t));
        assert_eq!(s.verify(&code, t, None), Some(step_of(t)));
        assert_eq!(s.verify(&code, t + STEP_MS, None), Some(step_of(t)));
        assert_eq!(s.verify(&code, t - STEP_MS, None), Some(step_of(t)));
        assert_eq!(s.verify(&code, t + 2 * STEP_MS, None), None);
        assert_eq!(s.verify(&code, t - 2 * STEP_MS, None), None);
    }

    #[test]
    fn a_used_step_is_not_accepted_again() {
        let s = rfc_secret();
        let t = 1_234_567_890_000;
        let code = format_code(s.code_at(t));
        let step = s.verify(&code, t, None).unwrap();
        assert_eq!(s.verify(&code, t, Some(step)), None);
        assert_eq!(s.verify(&code, t, Some(step + 1)), None);
        assert_eq!(s.verify(&code, t, Some(step - 1)), Some(step));
    }

    #[test]
    fn malformed_codes_are_refused() {
        let s = rfc_secret();
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６", "-12345"] {
            assert_eq!(s.verify(bad, 59_000, None), None, "{bad}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_decode("MZXW6YTBOI======").unwrap(), b"foobar");
        assert_eq!(base32_decode("mzxw 6ytb oi").unwrap(), b"foobar");
        assert!(base32_decode("MZ1W").is_none());
        let s = TotpSecret::generate().unwrap();
        assert_eq!(TotpSecret::from_base32(&s.to_base32()).unwrap(), s);
        assert!(TotpSecret::from_base32("MZXW6").is_none(), "too short");
    }

    #[test]
    fn otpauth_uri_names_issuer_and_account() {
        let s = rfc_secret();
        let uri = otpauth_uri("koho みどり市", "a@b.jp", &s);
        assert!(uri.starts_with("otpauth://totp/koho%20%E3%81%BF"));
        assert!(uri.contains(":a%40b.jp?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"));
        assert!(uri.ends_with("&algorithm=SHA1&digits=6&period=30"));
        assert!(!format!("{s:?}").contains("GEZ"));
    }
}

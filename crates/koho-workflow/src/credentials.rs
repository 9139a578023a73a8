//! Platform credentials at rest: sealed with XChaCha20-Poly1305 under a key that lives
//! outside the database.
//!
//! * The key comes from `KOHO_CREDENTIAL_KEY` (64 hex digits or base64 of 32 bytes) or from
//!   the file named by `KOHO_CREDENTIAL_KEY_FILE` (the same text, or 32 raw bytes). A
//!   database backup therefore holds only ciphertext.
//! * The municipality and account ids are the associated data: a ciphertext copied onto
//!   another account's row (or another municipality's) fails to open instead of lending
//!   its token to the wrong account.
//! * A fresh random 24-byte nonce per seal (XChaCha's nonce is long enough for random
//!   nonces to never repeat in practice).
//! * Neither the key nor a token is ever printed: every `Debug` here is redacted.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use koho_connect::{AccountAuth, Token};
use koho_store::{AccountId, MunicipalityId};
use sha2::{Digest, Sha256};

/// Environment variable holding the key itself.
pub const KEY_ENV: &str = "KOHO_CREDENTIAL_KEY";
/// Environment variable naming a file that holds the key.
pub const KEY_FILE_ENV: &str = "KOHO_CREDENTIAL_KEY_FILE";

const NONCE_LEN: usize = 24;
const AAD_TAG: &[u8] = b"koho-credential-v1";

/// Why a key could not be loaded or a credential could not be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("no credential key: set {KEY_ENV} or {KEY_FILE_ENV}")]
    Missing,
    #[error("both {KEY_ENV} and {KEY_FILE_ENV} are set; set only one")]
    Ambiguous,
    #[error("the credential key file {path} cannot be read: {reason}")]
    File { path: String, reason: String },
    #[error("the credential key must be 32 bytes, as 64 hex digits or base64")]
    Malformed,
    #[error(
        "the credential was sealed with key {stored}, but the loaded key is {loaded}: load the right key"
    )]
    WrongKey { stored: String, loaded: String },
    #[error("the credential cannot be opened: it was altered or belongs to another account")]
    Tampered,
}

impl KeyError {
    /// Stable code for logs and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Missing => "KEY_MISSING",
            KeyError::Ambiguous => "KEY_AMBIGUOUS",
            KeyError::File { .. } => "KEY_FILE",
            KeyError::Malformed => "KEY_MALFORMED",
            KeyError::WrongKey { .. } => "KEY_WRONG",
            KeyError::Tampered => "KEY_TAMPERED",
        }
    }

    /// The message for a person at the screen.
    pub fn ja(&self) -> String {
        match self {
            KeyError::Missing => format!(
                "認証情報の暗号鍵がありません。環境変数 {KEY_ENV} または {KEY_FILE_ENV} を設定してください"
            ),
            KeyError::Ambiguous => {
                format!("{KEY_ENV} と {KEY_FILE_ENV} の両方が設定されています。どちらか一方にしてください")
            }
            KeyError::File { path, .. } => format!("暗号鍵のファイル {path} を読めません"),
            KeyError::Malformed => {
                "暗号鍵は32バイト（16進数64桁または base64）で指定してください".to_owned()
            }
            KeyError::WrongKey { .. } => {
                "認証情報は別の暗号鍵で暗号化されています。正しい鍵を設定してください".to_owned()
            }
            KeyError::Tampered => {
                "認証情報を復号できません（改ざん、または別のアカウントの認証情報です）。アカウントを再接続してください".to_owned()
            }
        }
    }
}

/// The 32-byte key that seals credentials. `Debug` never shows it.
#[derive(Clone)]
pub struct CredentialKey {
    key: [u8; 32],
    id: String,
}

impl std::fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialKey")
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl CredentialKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(key: [u8; 32]) -> CredentialKey {
        let digest = Sha256::new_with_prefix(b"koho-credential-key-id")
            .chain_update(key)
            .finalize();
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        CredentialKey { key, id }
    }

    /// A new random key (for `koho publisher key generate` and tests).
    pub fn generate() -> Result<CredentialKey, KeyError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|_| KeyError::Malformed)?;
        Ok(CredentialKey::from_bytes(key))
    }

    /// Parses 64 hex digits or base64 of 32 bytes (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<CredentialKey, KeyError> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| KeyError::Malformed)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(|_| KeyError::Malformed)?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Malformed)?;
        Ok(CredentialKey::from_bytes(key))
    }

    /// The key as 64 hex digits, to write into a key file once.
    pub fn to_hex(&self) -> String {
        self.key.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Loads the key from `KOHO_CREDENTIAL_KEY` or `KOHO_CREDENTIAL_KEY_FILE`.
    pub fn from_env() -> Result<CredentialKey, KeyError> {
        let inline = std::env::var(KEY_ENV).ok().filter(|v| !v.trim().is_empty());
        let file = std::env::var_os(KEY_FILE_ENV).filter(|v| !v.is_empty());
        match (inline, file) {
            (Some(_), Some(_)) => Err(KeyError::Ambiguous),
            (Some(v), None) => CredentialKey::parse(&v),
            (None, Some(path)) => CredentialKey::from_file(std::path::Path::new(&path)),
            (None, None) => Err(KeyError::Missing),
        }
    }

    /// Loads the key from a file: its text form, or exactly 32 raw bytes.
    pub fn from_file(path: &std::path::Path) -> Result<CredentialKey, KeyError> {
        let bytes = std::fs::read(path).map_err(|e| KeyError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        if let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) {
            // 32 bytes that happen to be printable are still taken as raw: a text key is
            // 44 (base64) or 64 (hex) characters long.
            return Ok(CredentialKey::from_bytes(key));
        }
        let text = String::from_utf8(bytes).map_err(|_| KeyError::Malformed)?;
        CredentialKey::parse(&text)
    }

    /// A short fingerprint that names the key without revealing it.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.key).into())
    }

    /// Seals the credential of one account; the result is base64 text for the database.
    pub fn seal(
        &self,
        municipality: &MunicipalityId,
        account: &AccountId,
        secrets: &Secrets,
    ) -> Result<String, KeyError> {
        let plain = secrets.encode();
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| KeyError::Malformed)?;
        let aad = associated_data(municipality, account);
        let sealed = self
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .map_err(|_| KeyError::Tampered)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// Opens a credential sealed for exactly this municipality and account.
    pub fn open(
        &self,
        municipality: &MunicipalityId,
        account: &AccountId,
        key_id: &str,
        sealed: &str,
    ) -> Result<Secrets, KeyError> {
        if key_id != self.id {
            return Err(KeyError::WrongKey {
                stored: key_id.to_owned(),
                loaded: self.id.clone(),
            });
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| KeyError::Tampered)?;
        if raw.len() < NONCE_LEN {
            return Err(KeyError::Tampered);
        }
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| KeyError::Tampered)?;
        let aad = associated_data(municipality, account);
        let plain = self
            .cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map_err(|_| KeyError::Tampered)?;
        Secrets::decode(&plain).ok_or(KeyError::Tampered)
    }
}

fn associated_data(municipality: &MunicipalityId, account: &AccountId) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_TAG.len() + 80);
    aad.extend_from_slice(AAD_TAG);
    for part in [municipality.as_str(), account.as_str()] {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

/// The secret part of a credential, decrypted for the duration of one call.
#[derive(Clone, PartialEq, Eq)]
pub struct Secrets {
    pub access_token: Token,
    pub refresh_token: Option<Token>,
    /// The Meta app secret for `appsecret_proof`, where the account's app requires it.
    pub app_secret: Option<Token>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

impl Secrets {
    fn encode(&self) -> Vec<u8> {
        serde_json::json!({
            "access_token": self.access_token.expose(),
            "refresh_token": self.refresh_token.as_ref().map(Token::expose),
            "app_secret": self.app_secret.as_ref().map(Token::expose),
        })
        .to_string()
        .into_bytes()
    }

    fn decode(bytes: &[u8]) -> Option<Secrets> {
        let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        Some(Secrets {
            access_token: Token::new(v.get("access_token")?.as_str()?),
            refresh_token: v
                .get("refresh_token")
                .and_then(serde_json::Value::as_str)
                .map(Token::new),
            // Absent in credentials sealed before app secrets were kept.
            app_secret: v
                .get("app_secret")
                .and_then(serde_json::Value::as_str)
                .map(Token::new),
        })
    }

    /// The connector's view of the credential.
    pub fn to_auth(&self, account_ref: &str, expires_at_ms: Option<i64>) -> AccountAuth {
        AccountAuth {
            account_ref: account_ref.to_owned(),
            access_token: self.access_token.clone(),
            expires_at_ms,
            refresh_token: self.refresh_token.clone(),
            app_secret: self.app_secret.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets {
            access_token: Token::new("at-very-secret"),
            refresh_token: Some(Token::new("rt-very-secret")),
            app_secret: Some(Token::new("as-very-secret")),
        }
    }

    #[test]
    fn seals_and_opens_for_the_same_account_only() {
        let key = CredentialKey::generate().unwrap();
        let m = MunicipalityId::from("m1");
        let a = AccountId::from("a1");
        let sealed = key.seal(&m, &a, &secrets()).unwrap();
        assert!(!sealed.contains("very-secret"));
        assert_eq!(key.open(&m, &a, key.id(), &sealed).unwrap(), secrets());
        // Moved to another account or municipality: refused.
        assert_eq!(
            key.open(&m, &AccountId::from("a2"), key.id(), &sealed),
            Err(KeyError::Tampered)
        );
        assert_eq!(
            key.open(&MunicipalityId::from("m2"), &a, key.id(), &sealed),
            Err(KeyError::Tampered)
        );
        // One flipped bit: refused.
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(&sealed)
            .unwrap();
        raw[30] ^= 1;
        let flipped = base64::engine::general_purpose::STANDARD.encode(raw);
        assert_eq!(
            key.open(&m, &a, key.id(), &flipped),
            Err(KeyError::Tampered)
        );
        // Another key: named, not silently garbage.
        let other = CredentialKey::generate().unwrap();
        assert!(matches!(
            other.open(&m, &a, key.id(), &sealed),
            Err(KeyError::WrongKey { .. })
        ));
        // Two seals of the same secret differ (fresh nonce).
        assert_ne!(sealed, key.seal(&m, &a, &secrets()).unwrap());
    }

    #[test]
    fn keys_parse_and_never_print() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let k = CredentialKey::parse(hex).unwrap();
        assert_eq!(k.to_hex(), hex);
        let b64 = base64::engine::general_purpose::STANDARD.encode(k.key);
        assert_eq!(CredentialKey::parse(&b64).unwrap().id(), k.id());
        assert_eq!(
            CredentialKey::parse("short").unwrap_err(),
            KeyError::Malformed
        );
        let shown = format!("{k:?} {:?}", secrets());
        assert!(!shown.contains("0011223344"), "{shown}");
        assert!(!shown.contains("very-secret"), "{shown}");

        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("raw.key");
        std::fs::write(&raw, k.key).unwrap();
        assert_eq!(CredentialKey::from_file(&raw).unwrap().id(), k.id());
        let text = dir.path().join("text.key");
        std::fs::write(&text, format!("{hex}\n")).unwrap();
        assert_eq!(CredentialKey::from_file(&text).unwrap().id(), k.id());
        assert!(matches!(
            CredentialKey::from_file(&dir.path().join("none")),
            Err(KeyError::File { .. })
        ));
    }
}

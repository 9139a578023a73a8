//! Staff sign-in and authorisation: passwords (argon2id), TOTP second factor, lockout,
//! sessions, API tokens, and which role may do what.
//!
//! Like the rest of the crate, nothing here reads a clock: every step takes `now` (Unix ms).
//! Every security-relevant event — sign-in success and failure, lockout, sign-out, session
//! and token revocation, token issue, password and TOTP changes — is appended to the
//! municipality's audit chain in the same transaction as the change it records.
//!
//! Tokens handed to browsers and API clients carry the municipality's slug in clear (so a
//! server of several municipalities knows which tenant to ask) and 256 random bits; the
//! store keeps only their SHA-256.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use koho_guideline::{Guideline, RoleKind};
use koho_store::{
    Actor, ApiToken, ApiTokenId, LoginState, NewApiToken, NewAuditEntry, NewSession, Person,
    PersonId, Role, Secret, Session, SessionId, StoreError, Subject, token_hash,
};
use serde_json::json;

use crate::error::{Denial, WorkflowError};
use crate::totp::{self, TotpSecret};
use crate::workflow::Workflow;

/// Audit subject kinds of this module.
pub mod subject {
    pub const SESSION: &str = "session";
    pub const API_TOKEN: &str = "api_token";
    pub const PERSON: &str = "person";
    pub const SIGN_IN: &str = "sign_in";
}

// ---------------------------------------------------------------------------------------------
// settings

/// How long sessions live and when sign-in locks. The defaults suit a town hall: a session
/// ends after 30 idle minutes or 12 hours (one working day), and five wrong attempts in a
/// row lock the person out for 15 minutes.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    pub session_idle_ms: i64,
    pub session_absolute_ms: i64,
    pub max_failures: i64,
    pub lockout_ms: i64,
    /// A live session's last-seen time is written at most this often, so that browsing does
    /// not turn every page view into a database write.
    pub touch_interval_ms: i64,
    /// Longest life of an API token.
    pub max_token_ms: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            session_idle_ms: 30 * 60 * 1000,
            session_absolute_ms: 12 * 3600 * 1000,
            max_failures: 5,
            lockout_ms: 15 * 60 * 1000,
            touch_interval_ms: 60 * 1000,
            max_token_ms: 366 * 24 * 3600 * 1000,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// errors

/// Why a sign-in, session or token was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Unknown e-mail, wrong password, wrong or reused code, no credentials, deactivated or
    /// locked out: one answer for all, so the screen does not tell which addresses exist.
    #[error("sign-in refused")]
    SignInRefused,
    /// The session does not exist, expired or was revoked.
    #[error("the session is not valid")]
    SessionInvalid,
    /// The API token does not exist, expired, was revoked, or its person lost the role.
    #[error("the API token is not valid")]
    TokenInvalid,
    /// A new password is too short or too long.
    #[error("the password must be {min} to {max} characters")]
    WeakPassword { min: usize, max: usize },
    /// A person may act only with a role they hold.
    #[error("{person} does not hold role {role}")]
    RoleNotHeld { person: String, role: Role },
    /// A token's life is longer than allowed or not in the future.
    #[error("an API token must expire within {max_days} days from now")]
    TokenLifetime { max_days: i64 },
    /// Hashing or randomness failed.
    #[error("cryptography failed: {0}")]
    Crypto(String),
    /// The workflow or store failed or refused.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        AuthError::Workflow(WorkflowError::Store(e))
    }
}

impl AuthError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::SignInRefused => "AUTH_SIGN_IN_REFUSED",
            AuthError::SessionInvalid => "AUTH_SESSION_INVALID",
            AuthError::TokenInvalid => "AUTH_TOKEN_INVALID",
            AuthError::WeakPassword { .. } => "AUTH_WEAK_PASSWORD",
            AuthError::RoleNotHeld { .. } => "AUTH_ROLE_NOT_HELD",
            AuthError::TokenLifetime { .. } => "AUTH_TOKEN_LIFETIME",
            AuthError::Crypto(_) => "AUTH_CRYPTO",
            AuthError::Workflow(e) => e.code(),
        }
    }

    /// The message in Japanese.
    pub fn ja(&self) -> String {
        match self {
            AuthError::SignInRefused => "サインインできません。メールアドレス・パスワード・確認コードを確かめてください。続けて失敗すると一時的にロックされます".to_owned(),
            AuthError::SessionInvalid => "サインインの有効期限が切れました。もう一度サインインしてください".to_owned(),
            AuthError::TokenInvalid => "API トークンが無効です（期限切れ・失効・権限の変更）".to_owned(),
            AuthError::WeakPassword { min, max } => {
                format!("パスワードは {min} 文字以上 {max} 文字以下にしてください")
            }
            AuthError::RoleNotHeld { person, role } => {
                format!("{person} さんは役割「{}」を持っていません", role_label(*role))
            }
            AuthError::TokenLifetime { max_days } => {
                format!("API トークンの有効期限は今から {max_days} 日以内にしてください")
            }
            AuthError::Crypto(_) => "暗号処理に失敗しました".to_owned(),
            AuthError::Workflow(e) => e.ja(),
        }
    }

    /// True when the request was wrong (not the system).
    pub fn is_refusal(&self) -> bool {
        match self {
            AuthError::Crypto(_) => false,
            AuthError::Workflow(e) => e.is_refusal(),
            _ => true,
        }
    }
}

type Result<T, E = AuthError> = std::result::Result<T, E>;

fn crypto(e: impl std::fmt::Display) -> AuthError {
    AuthError::Crypto(e.to_string())
}

// ---------------------------------------------------------------------------------------------
// passwords

/// Shortest password accepted. Length is what resists guessing (NIST SP 800-63B); koho adds
/// no composition rules for its own sign-in. (The guideline's `[credentials]` rules are for
/// the platforms' passwords, which koho never stores.)
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password accepted (argon2 would take anything; a limit keeps requests small).
pub const PASSWORD_MAX_CHARS: usize = 256;

/// A new password that satisfies the length rule. `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    /// Accepts 12–256 characters (a trailing newline from a pipe is dropped).
    pub fn parse(s: &str) -> Result<Password> {
        let s = s.strip_suffix('\n').unwrap_or(s);
        let s = s.strip_suffix('\r').unwrap_or(s);
        let n = s.chars().count();
        if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&n) {
            return Err(AuthError::WeakPassword {
                min: PASSWORD_MIN_CHARS,
                max: PASSWORD_MAX_CHARS,
            });
        }
        Ok(Password(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn argon2() -> Result<Argon2<'static>> {
    // OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).map_err(crypto)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The argon2id PHC string of a password, with a fresh random salt.
pub fn hash_password(password: &Password) -> Result<Secret> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(crypto)?;
    let salt = SaltString::encode_b64(&salt).map_err(crypto)?;
    let hash = argon2()?
        .hash_password(password.expose().as_bytes(), &salt)
        .map_err(crypto)?;
    Ok(Secret::new(hash.to_string()))
}

/// Whether `candidate` matches the stored PHC string (parameters are read from it).
pub fn verify_password(stored: &Secret, candidate: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored.expose()) else {
        return false;
    };
    Argon2::default()
        .verify_password(candidate.as_bytes(), &parsed)
        .is_ok()
}

/// A hash nobody's password matches, verified for unknown addresses so that they take as
/// long as a wrong password.
fn decoy_hash() -> Option<&'static Secret> {
    static DECOY: OnceLock<Option<Secret>> = OnceLock::new();
    DECOY
        .get_or_init(|| {
            let mut pw = [0u8; 24];
            getrandom::fill(&mut pw).ok()?;
            let pw = Password(b64url(&pw));
            hash_password(&pw).ok()
        })
        .as_ref()
}

// ---------------------------------------------------------------------------------------------
// tokens

/// A bearer secret (session cookie value or API token). `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerSecret(String);

impl std::fmt::Debug for BearerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerSecret(<redacted>)")
    }
}

impl BearerSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The prefix of API tokens, so that secret scanners and people recognise them.
pub const API_TOKEN_PREFIX: &str = "koho_";

pub(crate) fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 2);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn random_secret() -> Result<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(crypto)?;
    Ok(b64url(&b))
}

/// The municipality slug a session cookie or API token names, if it is well formed.
pub fn token_slug(token: &str) -> Option<&str> {
    let t = token.strip_prefix(API_TOKEN_PREFIX).unwrap_or(token);
    let (slug, secret) = t.split_once('.')?;
    let ok_slug = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ok_secret = secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (ok_slug && ok_secret).then_some(slug)
}

// ---------------------------------------------------------------------------------------------
// results

/// A successful sign-in.
#[derive(Debug)]
pub struct SignedIn {
    /// The cookie value; shown once, stored only hashed.
    pub token: BearerSecret,
    pub session: Session,
    pub person: Person,
    /// The interface language the person chose, if any.
    pub ui_lang: Option<String>,
}

/// A session that is live, with its person.
#[derive(Clone, Debug)]
pub struct StaffSession {
    pub session: Session,
    pub person: Person,
}

/// A TOTP enrolment: the secret to put in the authenticator, once.
#[derive(Debug)]
pub struct Enrolment {
    pub secret: TotpSecret,
    pub uri: String,
}

/// A newly issued API token; `token` is shown once.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: BearerSecret,
    pub record: ApiToken,
}

/// A verified API token with the person it acts for.
#[derive(Clone, Debug)]
pub struct TokenHolder {
    pub token: ApiToken,
    pub person: Person,
}

/// What a sign-in attempt presents.
#[derive(Debug)]
pub struct SignInRequest<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub code: &'a str,
    /// The browser's `User-Agent`, summarised for the person's list of sessions.
    pub user_agent: Option<&'a str>,
}

/// A short form of a `User-Agent`: browser and platform, not the full fingerprint.
pub fn summarize_user_agent(ua: &str) -> String {
    let browser = ["Edg/", "Firefox/", "Chrome/", "Safari/"]
        .iter()
        .find(|b| ua.contains(*b))
        .map_or("other", |b| b.trim_end_matches('/'));
    let platform = [
        "Windows", "Android", "iPhone", "iPad", "Mac OS", "Linux", "CrOS",
    ]
    .iter()
    .find(|p| ua.contains(*p))
    .copied()
    .unwrap_or("other");
    format!("{browser} / {platform}")
}

fn entry(actor: Actor, action: &str, kind: &str, id: &str) -> NewAuditEntry {
    NewAuditEntry::new(actor, action, Subject::new(kind, id))
}

// ---------------------------------------------------------------------------------------------
// the workflows

impl Workflow {
    /// Sets a person's password (and ends their sessions: whoever knew the old one is out).
    pub async fn set_password(
        &self,
        person: &PersonId,
        password: &Password,
        by: &Actor,
        now: i64,
    ) -> Result<()> {
        let hash = hash_password(password)?;
        let mut tx = self.store().begin(self.tenant()).await?;
        tx.people().set_password_hash(person, Some(&hash)).await?;
        let ended = tx
            .sessions()
            .revoke_all_for_person(person, now, "password-changed")
            .await?;
        let e = entry(
            by.clone(),
            "person.password.set",
            subject::PERSON,
            person.as_str(),
        )
        .after(&json!({ "password": "changed", "sessions_ended": ended }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Enrols (or re-enrols) a person's authenticator: a new TOTP secret replaces the old.
    pub async fn enroll_totp(
        &self,
        person: &PersonId,
        issuer: &str,
        by: &Actor,
        now: i64,
    ) -> Result<Enrolment> {
        let secret = TotpSecret::generate().map_err(crypto)?;
        self.store_totp(person, &secret, issuer, by, now).await
    }

    /// Stores a given TOTP secret (the demo's fixed secrets; tests).
    pub async fn store_totp(
        &self,
        person: &PersonId,
        secret: &TotpSecret,
        issuer: &str,
        by: &Actor,
        now: i64,
    ) -> Result<Enrolment> {
        let mut tx = self.store().begin(self.tenant()).await?;
        let p = tx.people().get(person).await?;
        tx.people()
            .set_totp_secret(person, Some(&Secret::new(secret.to_base32())))
            .await?;
        let mut st = tx.login_states().get(person).await?;
        st.last_totp_step = None;
        tx.login_states().put(person, &st).await?;
        let ended = tx
            .sessions()
            .revoke_all_for_person(person, now, "totp-enrolled")
            .await?;
        let e = entry(
            by.clone(),
            "person.totp.enroll",
            subject::PERSON,
            person.as_str(),
        )
        .after(&json!({ "totp": "enrolled", "sessions_ended": ended }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(Enrolment {
            uri: totp::otpauth_uri(issuer, &p.email, secret),
            secret: secret.clone(),
        })
    }

    /// Signs in with e-mail, password and TOTP code. Every refusal is the same
    /// [`AuthError::SignInRefused`] and takes one argon2 verification, known address or not.
    pub async fn sign_in(
        &self,
        req: &SignInRequest<'_>,
        settings: &AuthSettings,
        now: i64,
    ) -> Result<SignedIn> {
        let mut r = self.store().read(self.tenant()).await?;
        let person = match r.people().get_by_email(req.email).await {
            Ok(p) => p,
            Err(StoreError::NotFound { .. }) | Err(StoreError::Invalid { .. }) => {
                drop(r);
                if let Some(decoy) = decoy_hash() {
                    let _ = verify_password(decoy, req.password);
                }
                self.audit_unknown(req.email).await?;
                return Err(AuthError::SignInRefused);
            }
            Err(e) => return Err(e.into()),
        };
        let creds = r.people().credentials(&person.id).await?;
        let before = r.login_states().get(&person.id).await?;
        drop(r);

        // The slow part runs outside any write transaction.
        let password_ok = match &creds.password_hash {
            Some(h) => verify_password(h, req.password),
            None => {
                if let Some(decoy) = decoy_hash() {
                    let _ = verify_password(decoy, req.password);
                }
                false
            }
        };
        let secret = creds
            .totp_secret
            .as_ref()
            .and_then(|s| TotpSecret::from_base32(s.expose()));

        let mut tx = self.store().begin(self.tenant()).await?;
        // Re-read under the write transaction: concurrent attempts each count.
        let mut st = tx.login_states().get(&person.id).await?;
        let locked = st.locked_until.is_some_and(|t| t > now);
        let step = secret
            .as_ref()
            .and_then(|s| s.verify(req.code, now, st.last_totp_step));
        let reason = if locked {
            Some("locked")
        } else if !person.active {
            Some("inactive")
        } else if !password_ok {
            Some("password")
        } else if secret.is_none() {
            Some("no-totp")
        } else if step.is_none() {
            Some("totp")
        } else {
            None
        };
        let ua = req.user_agent.map(summarize_user_agent);
        if let Some(reason) = reason {
            if !locked {
                st.consecutive_failures += 1;
                st.last_failure_at = Some(now);
            }
            let e = entry(
                Actor::System,
                "auth.sign_in.failure",
                subject::PERSON,
                person.id.as_str(),
            )
            .after(&json!({
                "reason": reason,
                "consecutive_failures": st.consecutive_failures,
                "user_agent": ua,
            }))?;
            tx.audit().append(&e).await?;
            if !locked && st.consecutive_failures >= settings.max_failures {
                let before_lock = st.clone();
                st.locked_until = Some(now + settings.lockout_ms);
                st.consecutive_failures = 0;
                let e = entry(
                    Actor::System,
                    "auth.lockout",
                    subject::PERSON,
                    person.id.as_str(),
                )
                .before(&before_lock)?
                .after(&json!({
                    "locked_until": st.locked_until,
                    "after_failures": settings.max_failures,
                }))?;
                tx.audit().append(&e).await?;
            }
            tx.login_states().put(&person.id, &st).await?;
            tx.commit().await?;
            return Err(AuthError::SignInRefused);
        }

        st.consecutive_failures = 0;
        st.locked_until = None;
        st.last_totp_step = step;
        st.last_success_at = Some(now);
        tx.login_states().put(&person.id, &st).await?;
        let token = BearerSecret(format!("{}.{}", self.municipality().slug, random_secret()?));
        let session = tx
            .sessions()
            .create(&NewSession {
                token_hash: token_hash(token.expose()),
                person_id: person.id.clone(),
                now,
                idle_expires_at: now + settings.session_idle_ms,
                absolute_expires_at: now + settings.session_absolute_ms,
                user_agent: ua,
            })
            .await?;
        let e = entry(
            Actor::Person(person.id.clone()),
            "auth.sign_in",
            subject::SESSION,
            session.id.as_str(),
        )
        .before(&before)?
        .after(&session)?;
        tx.audit().append(&e).await?;
        let ui_lang = tx.preferences().ui_lang(&person.id).await?;
        tx.commit().await?;
        Ok(SignedIn {
            token,
            session,
            person,
            ui_lang,
        })
    }

    async fn audit_unknown(&self, email: &str) -> Result<()> {
        // The address may be a mistyped password: only a short digest is kept, enough to
        // see repeated attempts at one address.
        let digest = token_hash(&email.trim().to_lowercase());
        let mut tx = self.store().begin(self.tenant()).await?;
        let e = entry(
            Actor::System,
            "auth.sign_in.failure",
            subject::SIGN_IN,
            "unknown",
        )
        .after(&json!({ "reason": "unknown-email", "email_sha256_prefix": &digest[..16] }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session behind a cookie value, with its person; records use at most once
    /// per `touch_interval_ms` and slides the idle expiry.
    pub async fn session(
        &self,
        token: &str,
        settings: &AuthSettings,
        now: i64,
    ) -> Result<StaffSession> {
        if token_slug(token) != Some(self.municipality().slug.as_str())
            || token.starts_with(API_TOKEN_PREFIX)
        {
            return Err(AuthError::SessionInvalid);
        }
        let mut r = self.store().read(self.tenant()).await?;
        let session = match r.sessions().get_by_token_hash(&token_hash(token)).await {
            Ok(s) => s,
            Err(StoreError::NotFound { .. }) => return Err(AuthError::SessionInvalid),
            Err(e) => return Err(e.into()),
        };
        if !session.is_live(now) {
            return Err(AuthError::SessionInvalid);
        }
        let person = r.people().get(&session.person_id).await?;
        drop(r);
        if !person.active {
            return Err(AuthError::SessionInvalid);
        }
        if now - session.last_seen_at >= settings.touch_interval_ms {
            let mut tx = self.store().begin(self.tenant()).await?;
            tx.sessions()
                .touch(&session.id, now, now + settings.session_idle_ms)
                .await?;
            tx.commit().await?;
        }
        Ok(StaffSession { session, person })
    }

    /// Ends the session behind a cookie value (sign-out). Unknown or ended: nothing to do.
    pub async fn sign_out(&self, token: &str, now: i64) -> Result<()> {
        if token_slug(token) != Some(self.municipality().slug.as_str()) {
            return Ok(());
        }
        let mut tx = self.store().begin(self.tenant()).await?;
        let session = match tx.sessions().get_by_token_hash(&token_hash(token)).await {
            Ok(s) => s,
            Err(StoreError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if tx.sessions().revoke(&session.id, now, "sign-out").await? {
            let e = entry(
                Actor::Person(session.person_id.clone()),
                "auth.sign_out",
                subject::SESSION,
                session.id.as_str(),
            )
            .before(&session)?;
            tx.audit().append(&e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Revokes one session (an operator or the security officer).
    pub async fn revoke_session(&self, id: &SessionId, by: &Actor, now: i64) -> Result<bool> {
        let mut tx = self.store().begin(self.tenant()).await?;
        let before = tx.sessions().get(id).await?;
        let done = tx.sessions().revoke(id, now, "revoked").await?;
        if done {
            let after = tx.sessions().get(id).await?;
            let e = entry(
                by.clone(),
                "auth.session.revoke",
                subject::SESSION,
                id.as_str(),
            )
            .before(&before)?
            .after(&after)?;
            tx.audit().append(&e).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Revokes every session of a person; returns how many ended.
    pub async fn revoke_all_sessions(
        &self,
        person: &PersonId,
        by: &Actor,
        now: i64,
    ) -> Result<u64> {
        let mut tx = self.store().begin(self.tenant()).await?;
        let n = tx
            .sessions()
            .revoke_all_for_person(person, now, "revoke-all")
            .await?;
        let e = entry(
            by.clone(),
            "auth.session.revoke_all",
            subject::PERSON,
            person.as_str(),
        )
        .after(&json!({ "sessions_ended": n }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Sessions live at `now`.
    pub async fn live_sessions(&self, now: i64) -> Result<Vec<Session>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.sessions().list_live(now).await?)
    }

    /// A person's sessions, newest first.
    pub async fn sessions_of(&self, person: &PersonId) -> Result<Vec<Session>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.sessions().list_for_person(person).await?)
    }

    /// A person's sign-in record.
    pub async fn login_state(&self, person: &PersonId) -> Result<LoginState> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.login_states().get(person).await?)
    }

    /// Lifts a lockout (audited).
    pub async fn unlock(&self, person: &PersonId, by: &Actor) -> Result<()> {
        let mut tx = self.store().begin(self.tenant()).await?;
        let before = tx.login_states().get(person).await?;
        let mut st = before.clone();
        st.locked_until = None;
        st.consecutive_failures = 0;
        tx.login_states().put(person, &st).await?;
        let e = entry(by.clone(), "auth.unlock", subject::PERSON, person.as_str())
            .before(&before)?
            .after(&st)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(())
    }

    // ----------------------------------------------------------------------------------------
    // API tokens

    /// Issues an API token acting as `person` with only `role` (which they must hold),
    /// valid until `expires_at`. The token is in the result once and nowhere else.
    #[allow(clippy::too_many_arguments)]
    pub async fn issue_token(
        &self,
        name: &str,
        person: &PersonId,
        role: Role,
        expires_at: i64,
        settings: &AuthSettings,
        by: &Actor,
        now: i64,
    ) -> Result<IssuedToken> {
        if expires_at <= now || expires_at - now > settings.max_token_ms {
            return Err(AuthError::TokenLifetime {
                max_days: settings.max_token_ms / (24 * 3600 * 1000),
            });
        }
        let mut tx = self.store().begin(self.tenant()).await?;
        let p = tx.people().get(person).await?;
        if !p.active {
            return Err(WorkflowError::InactivePerson {
                person: p.display_name,
            }
            .into());
        }
        if !p.has_role(role) {
            return Err(AuthError::RoleNotHeld {
                person: p.display_name,
                role,
            });
        }
        let token = BearerSecret(format!(
            "{API_TOKEN_PREFIX}{}.{}",
            self.municipality().slug,
            random_secret()?
        ));
        let record = tx
            .api_tokens()
            .create(&NewApiToken {
                name: name.trim().to_owned(),
                token_hash: token_hash(token.expose()),
                person_id: person.clone(),
                role,
                created_by: by.clone(),
                now,
                expires_at,
            })
            .await?;
        let e = entry(
            by.clone(),
            "auth.token.issue",
            subject::API_TOKEN,
            record.id.as_str(),
        )
        .after(&record)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(IssuedToken { token, record })
    }

    /// The live token behind `Authorization: Bearer …`, with its person, who must still be
    /// active and hold the token's role.
    pub async fn verify_token(
        &self,
        token: &str,
        settings: &AuthSettings,
        now: i64,
    ) -> Result<TokenHolder> {
        if !token.starts_with(API_TOKEN_PREFIX)
            || token_slug(token) != Some(self.municipality().slug.as_str())
        {
            return Err(AuthError::TokenInvalid);
        }
        let mut r = self.store().read(self.tenant()).await?;
        let record = match r.api_tokens().get_by_token_hash(&token_hash(token)).await {
            Ok(t) => t,
            Err(StoreError::NotFound { .. }) => return Err(AuthError::TokenInvalid),
            Err(e) => return Err(e.into()),
        };
        if !record.is_live(now) {
            return Err(AuthError::TokenInvalid);
        }
        let person = r.people().get(&record.person_id).await?;
        drop(r);
        if !person.active || !person.has_role(record.role) {
            return Err(AuthError::TokenInvalid);
        }
        if record
            .last_used_at
            .is_none_or(|t| now - t >= settings.touch_interval_ms)
        {
            let mut tx = self.store().begin(self.tenant()).await?;
            tx.api_tokens().touch(&record.id, now).await?;
            tx.commit().await?;
        }
        Ok(TokenHolder {
            token: record,
            person,
        })
    }

    /// Revokes a token by id or name; returns false when it was already revoked.
    pub async fn revoke_token(&self, id_or_name: &str, by: &Actor, now: i64) -> Result<bool> {
        let mut tx = self.store().begin(self.tenant()).await?;
        let before = match tx.api_tokens().get_by_name(id_or_name).await {
            Ok(t) => t,
            Err(StoreError::NotFound { .. }) => tx
                .api_tokens()
                .get(&ApiTokenId::from(id_or_name))
                .await
                .map_err(|e| match e {
                    StoreError::NotFound { .. } => WorkflowError::NotFound {
                        what: "api token",
                        key: id_or_name.to_owned(),
                    },
                    other => WorkflowError::Store(other),
                })?,
            Err(e) => return Err(e.into()),
        };
        let done = tx.api_tokens().revoke(&before.id, now).await?;
        if done {
            let after = tx.api_tokens().get(&before.id).await?;
            let e = entry(
                by.clone(),
                "auth.token.revoke",
                subject::API_TOKEN,
                before.id.as_str(),
            )
            .before(&before)?
            .after(&after)?;
            tx.audit().append(&e).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Every API token, by name.
    pub async fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.api_tokens().list().await?)
    }

    // ----------------------------------------------------------------------------------------
    // preferences

    /// Sets the person's interface language (`ja`, `en`, or none for the default).
    pub async fn set_ui_lang(&self, person: &PersonId, lang: Option<&str>, now: i64) -> Result<()> {
        let mut tx = self.store().begin(self.tenant()).await?;
        let before = tx.preferences().ui_lang(person).await?;
        tx.preferences().set_ui_lang(person, lang, now).await?;
        let e = entry(
            Actor::Person(person.clone()),
            "person.preferences.set",
            subject::PERSON,
            person.as_str(),
        )
        .before(&json!({ "ui_lang": before }))?
        .after(&json!({ "ui_lang": lang }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person's interface language, if chosen.
    pub async fn ui_lang(&self, person: &PersonId) -> Result<Option<String>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.preferences().ui_lang(person).await?)
    }
}

// ---------------------------------------------------------------------------------------------
// demo sign-in

/// The password of every demo person. DEMO ONLY: it is printed on the console and is in the
/// source code; [`Workflow::install_demo_credentials`] refuses any municipality but the demo.
pub const DEMO_PASSWORD: &str = "midori-demo-password";

/// A demo person's fixed TOTP secret (SHA-1 of their address), so that a printed login keeps
/// working across restarts of `koho serve --demo`. DEMO ONLY.
pub fn demo_totp_secret(email: &str) -> Option<TotpSecret> {
    use sha1::Digest as _;
    TotpSecret::from_bytes(&sha1::Sha1::digest(format!("koho demo {email}").as_bytes()))
}

/// A login of the demo, to print.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DemoLogin {
    pub name: String,
    pub email: String,
    pub roles: Vec<Role>,
    pub password: &'static str,
    pub totp_secret: String,
}

impl Workflow {
    /// Gives every person of the demo municipality [`DEMO_PASSWORD`] and their
    /// [`demo_totp_secret`] (audited as `person.credentials.demo`). Refused for any
    /// municipality not run by the demo guideline.
    pub async fn install_demo_credentials(&self) -> Result<Vec<DemoLogin>> {
        if self.guideline().id != "midori" {
            return Err(WorkflowError::Invalid {
                field: "municipality",
                ja: "デモ用のサインイン情報は、デモの自治体にだけ設定できます".to_owned(),
                en: "demo credentials are only for the demo municipality".to_owned(),
            }
            .into());
        }
        let password = Password::parse(DEMO_PASSWORD)?;
        let hash = hash_password(&password)?;
        let mut tx = self.store().begin(self.tenant()).await?;
        let people = tx.people().list().await?;
        let mut out = Vec::with_capacity(people.len());
        for p in people {
            let Some(secret) = demo_totp_secret(&p.email) else {
                continue;
            };
            tx.people().set_password_hash(&p.id, Some(&hash)).await?;
            tx.people()
                .set_totp_secret(&p.id, Some(&Secret::new(secret.to_base32())))
                .await?;
            let e = entry(
                Actor::System,
                "person.credentials.demo",
                subject::PERSON,
                p.id.as_str(),
            )
            .after(&json!({ "password": "demo", "totp": "demo" }))?;
            tx.audit().append(&e).await?;
            out.push(DemoLogin {
                name: p.display_name,
                email: p.email,
                roles: p.roles,
                password: DEMO_PASSWORD,
                totp_secret: secret.to_base32(),
            });
        }
        tx.commit().await?;
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// authorisation

/// What a signed-in person may ask koho to do. Each maps to the roles that may, taken from
/// the guideline where the guideline decides (who applies, approves, suspends, closes,
/// approves posts) and from koho's own rules otherwise (who reads the audit log or manages
/// people and tokens).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The staff dashboard and the register's staff pages.
    ViewDashboard,
    /// Writing and checking draft posts.
    DraftPost,
    /// Approving a post before it is published (`post_approval.approver`).
    ApprovePost,
    /// Applying for a new account (`opening.applicant`).
    ApplyForAccount,
    /// Approving or rejecting an application (`opening.approver`, `opening.waiver.by`).
    DecideApplication,
    /// Suspending or resuming an account (`suspension.decided_by`).
    SuspendAccount,
    /// Closing an account (`closure.decided_by`).
    CloseAccount,
    /// Drafting and publishing an operation policy (the account's section, PR office).
    EditPolicy,
    /// Reading the audit log.
    ViewAuditLog,
    /// Adding people, roles, passwords and authenticators; ending others' sessions.
    ManagePeople,
    /// Issuing and revoking API tokens.
    ManageTokens,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::ViewDashboard,
        Action::DraftPost,
        Action::ApprovePost,
        Action::ApplyForAccount,
        Action::DecideApplication,
        Action::SuspendAccount,
        Action::CloseAccount,
        Action::EditPolicy,
        Action::ViewAuditLog,
        Action::ManagePeople,
        Action::ManageTokens,
    ];

    /// What it is called on screen (Japanese; used in refusals).
    pub fn label(self) -> &'static str {
        match self {
            Action::ViewDashboard => "職員用画面の閲覧",
            Action::DraftPost => "投稿の下書き",
            Action::ApprovePost => "投稿の承認",
            Action::ApplyForAccount => "公式アカウントの開設申請",
            Action::DecideApplication => "開設申請の承認・却下",
            Action::SuspendAccount => "公式アカウントの運用停止・再開",
            Action::CloseAccount => "公式アカウントの廃止",
            Action::EditPolicy => "運用ポリシーの作成・公開",
            Action::ViewAuditLog => "監査ログの閲覧",
            Action::ManagePeople => "職員・権限・認証情報の管理",
            Action::ManageTokens => "API トークンの発行・失効",
        }
    }
}

/// Who may do an action, and the clause that says so (None: koho's own rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Guideline role ids, when the guideline decides.
    pub role_ids: Vec<String>,
    /// The store roles that may.
    pub roles: Vec<Role>,
    pub clause: Option<String>,
}

fn kinds_of(g: &Guideline, ids: &[&str]) -> Vec<Role> {
    let mut v: Vec<Role> = ids
        .iter()
        .filter_map(|id| g.role(id))
        .map(|r| crate::roles::store_role(r.kind))
        .collect();
    v.sort();
    v.dedup();
    v
}

fn by_guideline(g: &Guideline, ids: Vec<&str>, clause: Option<&String>) -> Grant {
    Grant {
        roles: kinds_of(g, &ids),
        role_ids: ids.into_iter().map(str::to_owned).collect(),
        clause: clause.cloned(),
    }
}

fn by_koho(roles: &[Role]) -> Grant {
    Grant {
        role_ids: Vec::new(),
        roles: roles.to_vec(),
        clause: None,
    }
}

/// The grant of an action under a guideline.
pub fn grant(g: &Guideline, action: Action) -> Grant {
    let opening_last = g.opening.clauses.last();
    match action {
        Action::ViewDashboard => by_koho(Role::ALL),
        Action::DraftPost => by_koho(&[
            Role::Staff,
            Role::SectionChief,
            Role::AccountManager,
            Role::PrOffice,
            Role::PrOfficeChief,
            Role::Contractor,
        ]),
        Action::ApprovePost => by_guideline(
            g,
            vec![g.post_approval.approver.as_str()],
            g.post_approval.clauses.first(),
        ),
        Action::ApplyForAccount => by_guideline(
            g,
            vec![g.opening.applicant.as_str()],
            g.opening.clauses.first(),
        ),
        Action::DecideApplication => {
            let mut ids = vec![g.opening.approver.as_str()];
            if let Some(w) = &g.opening.waiver {
                ids.push(w.by.as_str());
            }
            by_guideline(g, ids, opening_last)
        }
        Action::SuspendAccount => match &g.suspension {
            Some(s) => by_guideline(g, vec![s.decided_by.as_str()], s.clauses.first()),
            None => by_guideline(g, vec![g.opening.approver.as_str()], opening_last),
        },
        Action::CloseAccount => match &g.closure {
            Some(c) => by_guideline(g, vec![c.decided_by.as_str()], c.clauses.first()),
            None => by_guideline(g, vec![g.opening.approver.as_str()], opening_last),
        },
        Action::EditPolicy => {
            let mut ids = vec![g.opening.applicant.as_str(), g.opening.approver.as_str()];
            ids.extend(
                g.roles
                    .iter()
                    .filter(|r| {
                        matches!(
                            r.kind,
                            RoleKind::AccountManager | RoleKind::PrOffice | RoleKind::PrOfficeChief
                        )
                    })
                    .map(|r| r.id.as_str()),
            );
            let clause = g
                .operation_policy
                .as_ref()
                .and_then(|p| p.clauses.first())
                .or(opening_last);
            by_guideline(g, ids, clause)
        }
        Action::ViewAuditLog => by_koho(&[
            Role::Auditor,
            Role::SecurityOfficer,
            Role::PrOfficeChief,
            Role::ItCommitteeChair,
        ]),
        Action::ManagePeople | Action::ManageTokens => {
            by_koho(&[Role::SecurityOfficer, Role::PrOfficeChief])
        }
    }
}

/// Whether any of `roles` may do `action`.
pub fn permits(g: &Guideline, roles: &[Role], action: Action) -> bool {
    let gr = grant(g, action);
    roles.iter().any(|r| gr.roles.contains(r))
}

/// Refuses unless `person` is active and holds a role (of `scope`, when acting through an
/// API token limited to one role) that may do `action`. The refusal names the roles and
/// cites the guideline clause.
pub fn authorize(
    g: &Guideline,
    person: &Person,
    scope: Option<Role>,
    action: Action,
) -> std::result::Result<(), WorkflowError> {
    if !person.active {
        return Err(WorkflowError::InactivePerson {
            person: person.display_name.clone(),
        });
    }
    let roles: Vec<Role> = match scope {
        Some(r) if person.has_role(r) => vec![r],
        Some(_) => Vec::new(),
        None => person.roles.clone(),
    };
    if permits(g, &roles, action) {
        return Ok(());
    }
    let gr = grant(g, action);
    let names: Vec<String> = if gr.role_ids.is_empty() {
        gr.roles.iter().map(|r| role_label(*r).to_owned()).collect()
    } else {
        gr.role_ids
            .iter()
            .filter_map(|id| g.role(id).map(|r| r.name.clone()))
            .collect()
    };
    Err(WorkflowError::NotAuthorized(Box::new(Denial {
        person: person.display_name.clone(),
        action: action.label().to_owned(),
        role_id: gr
            .role_ids
            .first()
            .cloned()
            .or_else(|| gr.roles.first().map(|r| r.as_str().to_owned()))
            .unwrap_or_default(),
        role_name: names.join("」または「"),
        guideline: if gr.clause.is_some() {
            g.id.clone()
        } else {
            "koho".to_owned()
        },
        clause: gr.clause,
    })))
}

/// koho's Japanese name of a store role.
pub fn role_label(r: Role) -> &'static str {
    match r {
        Role::Staff => "担当者",
        Role::SectionChief => "所属長",
        Role::AccountManager => "運用管理者",
        Role::PrOffice => "広報主管課",
        Role::PrOfficeChief => "広報主管課長",
        Role::ItCommitteeMember => "行政情報化推進委員会 委員",
        Role::ItCommitteeChair => "行政情報化推進委員会 委員長",
        Role::SecurityOfficer => "統括情報セキュリティ責任者",
        Role::Contractor => "委託事業者",
        Role::Auditor => "監査",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn midori() -> Guideline {
        Guideline::preset("midori").unwrap().unwrap()
    }

    #[test]
    fn passwords_hash_and_verify() {
        let p = Password::parse("correct horse battery").unwrap();
        let h = hash_password(&p).unwrap();
        assert!(h.expose().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse battery "));
        assert!(!verify_password(&Secret::new("junk"), "x"));
        let h2 = hash_password(&p).unwrap();
        assert_ne!(h.expose(), h2.expose(), "salted");
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn password_length_rule() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("elevenchars").is_err());
        assert!(Password::parse("twelve chars").is_ok());
        assert_eq!(
            Password::parse("twelve chars\n").unwrap().expose(),
            "twelve chars"
        );
        assert!(Password::parse("パスワードは十二文字以上です").is_ok());
        assert!(Password::parse(&"a".repeat(257)).is_err());
    }

    #[test]
    fn tokens_name_their_municipality() {
        let s = format!("midori.{}", random_secret().unwrap());
        assert_eq!(token_slug(&s), Some("midori"));
        assert_eq!(token_slug(&format!("koho_{s}")), Some("midori"));
        assert_eq!(token_slug("midori.short"), None);
        assert_eq!(token_slug(&s.replace("midori", "Mid")), None);
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(random_secret().unwrap().len(), 43);
    }

    #[test]
    fn grants_follow_the_guideline() {
        let g = midori();
        // みどり市: the PR office chief approves openings, section chiefs apply and approve posts.
        let decide = grant(&g, Action::DecideApplication);
        assert!(decide.roles.contains(&Role::PrOfficeChief));
        assert!(!decide.roles.contains(&Role::Staff));
        assert_eq!(
            decide.clause.as_deref(),
            g.opening.clauses.last().map(String::as_str)
        );
        assert!(permits(&g, &[Role::SectionChief], Action::ApplyForAccount));
        assert!(permits(&g, &[Role::SectionChief], Action::ApprovePost));
        assert!(!permits(&g, &[Role::Staff], Action::ApprovePost));
        assert!(permits(&g, &[Role::Auditor], Action::ViewAuditLog));
        assert!(!permits(&g, &[Role::Contractor], Action::ViewAuditLog));
        for a in Action::ALL {
            assert!(permits(&g, Role::ALL, *a), "{a:?} has nobody");
        }
    }

    #[test]
    fn refusals_cite_the_clause() {
        let g = midori();
        let p = Person {
            id: PersonId::from("p"),
            municipality_id: koho_store::MunicipalityId::from("m"),
            display_name: "佐藤 翼".into(),
            email: "s@x.jp".into(),
            department_id: None,
            roles: vec![Role::Staff],
            active: true,
            created_at: 0,
            updated_at: 0,
            row_version: 1,
        };
        let e = authorize(&g, &p, None, Action::DecideApplication).unwrap_err();
        assert_eq!(e.code(), "WF_NOT_AUTHORIZED");
        let clause = g.opening.clauses.last().unwrap();
        assert!(e.ja().contains(clause.as_str()), "{}", e.ja());
        assert!(authorize(&g, &p, None, Action::DraftPost).is_ok());
        // A token scoped to a role the person lacks grants nothing.
        assert!(authorize(&g, &p, Some(Role::Auditor), Action::ViewDashboard).is_err());
        let mut off = p;
        off.active = false;
        assert_eq!(
            authorize(&g, &off, None, Action::DraftPost)
                .unwrap_err()
                .code(),
            "WF_INACTIVE_PERSON"
        );
    }

    #[test]
    fn user_agents_are_summarised() {
        assert_eq!(
            summarize_user_agent(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
            ),
            "Chrome / Linux"
        );
        assert_eq!(summarize_user_agent("curl/8"), "other / other");
    }
}

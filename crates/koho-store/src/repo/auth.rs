//! Sign-in state: sessions, failed-login counters, API tokens and per-person preferences.
//!
//! The store keeps no secret here: a session or API token is stored as the SHA-256 of the
//! token its holder presents ([`token_hash`]), so reading the database does not let anyone
//! sign in. Which session is valid, when a person is locked out and what a token may do are
//! the workflow's decisions; the store only records them. Times are passed in by the caller
//! (the workflow has no clock either), so expiry can be tested without waiting.

use sqlx::any::AnyRow;

use super::{Access, ReadWrite, RefTable, RowExt, ensure_ref, repository};
use crate::audit::sha256_hex;
use crate::error::{Result, StoreError, on};
use crate::ids::{MunicipalityId, PersonId};
use crate::model::{Actor, Role};

macro_rules! auth_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh time-ordered id (UUIDv7).
            pub fn generate() -> Self {
                $name(uuid::Uuid::now_v7().to_string())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

auth_id!(
    /// Id of a sign-in session (not the token: the id may be shown and logged).
    SessionId
);
auth_id!(
    /// Id of an API token (not the token itself).
    ApiTokenId
);

/// The SHA-256 (hex) under which a session or API token is stored and looked up.
///
/// Tokens carry 256 random bits, so a fast unsalted hash is enough: there is nothing to
/// guess, only a database copy to make useless.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// Longest user-agent summary kept.
const USER_AGENT_MAX: usize = 200;

// ---------------------------------------------------------------------------------------------
// sessions

/// A new session; every time is decided by the caller.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// [`token_hash`] of the cookie value.
    pub token_hash: String,
    pub person_id: PersonId,
    pub now: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
    /// A short description of the browser, for the person's list of sessions.
    pub user_agent: Option<String>,
}

/// A sign-in session.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Session {
    pub id: SessionId,
    pub municipality_id: MunicipalityId,
    pub person_id: PersonId,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// Ends unless used again before this time.
    pub idle_expires_at: i64,
    /// Ends at this time however busy it is.
    pub absolute_expires_at: i64,
    pub revoked_at: Option<i64>,
    /// `sign-out`, `revoked`, `revoke-all`, `password-changed` …
    pub revoked_reason: Option<String>,
    pub user_agent: Option<String>,
}

impl Session {
    /// Usable at `now`: not revoked and neither expiry passed.
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.idle_expires_at && now < self.absolute_expires_at
    }
}

const SESSION_COLS: &str = "id, municipality_id, person_id, created_at, last_seen_at, \
    idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, user_agent";

fn session_from_row(row: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: SessionId::from(row.text("id")?),
        municipality_id: MunicipalityId::from(row.text("municipality_id")?),
        person_id: PersonId::from(row.text("person_id")?),
        created_at: row.int("created_at")?,
        last_seen_at: row.int("last_seen_at")?,
        idle_expires_at: row.int("idle_expires_at")?,
        absolute_expires_at: row.int("absolute_expires_at")?,
        revoked_at: row.opt_int("revoked_at")?,
        revoked_reason: row.opt_text("revoked_reason")?,
        user_agent: row.opt_text("user_agent")?,
    })
}

fn check_hash(field: &'static str, hash: &str) -> Result<()> {
    if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(StoreError::invalid(field, "must be a SHA-256 in hex"))
    }
}

fn summary(ua: Option<&str>) -> Option<String> {
    ua.map(|s| {
        s.chars()
            .filter(|c| !c.is_control())
            .take(USER_AGENT_MAX)
            .collect::<String>()
    })
    .filter(|s| !s.trim().is_empty())
}

repository!(
    /// Sign-in sessions of the tenant's people.
    Sessions
);

impl<A: Access> Sessions<'_, A> {
    async fn one(&mut self, sql: &'static str, key: &str) -> Result<Session> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE municipality_id = $1 AND {sql} = $2"
        )))
        .bind(self.tenant.as_str())
        .bind(key)
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(r) => session_from_row(&r),
            None => Err(StoreError::not_found("session", key)),
        }
    }

    /// The session stored under this token hash (live or not).
    pub async fn get_by_token_hash(&mut self, hash: &str) -> Result<Session> {
        // The hash itself never appears in an error.
        self.one("token_hash", hash).await.map_err(|e| match e {
            StoreError::NotFound { .. } => StoreError::not_found("session", "<token>"),
            other => other,
        })
    }

    /// One session by id.
    pub async fn get(&mut self, id: &SessionId) -> Result<Session> {
        self.one("id", id.as_str()).await
    }

    /// A person's sessions, newest first.
    pub async fn list_for_person(&mut self, person: &PersonId) -> Result<Vec<Session>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE municipality_id = $1 AND person_id = $2
             ORDER BY created_at DESC, id DESC"
        )))
        .bind(self.tenant.as_str())
        .bind(person.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// Sessions live at `now`, newest first.
    pub async fn list_live(&mut self, now: i64) -> Result<Vec<Session>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE municipality_id = $1
               AND revoked_at IS NULL AND idle_expires_at > $2 AND absolute_expires_at > $2
             ORDER BY created_at DESC, id DESC"
        )))
        .bind(self.tenant.as_str())
        .bind(now)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(session_from_row).collect()
    }
}

impl Sessions<'_, ReadWrite> {
    /// Records a new session.
    pub async fn create(&mut self, new: &NewSession) -> Result<Session> {
        check_hash("token_hash", &new.token_hash)?;
        if new.idle_expires_at <= new.now || new.absolute_expires_at <= new.now {
            return Err(StoreError::invalid("expires_at", "must be after now"));
        }
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Person,
            new.person_id.as_str(),
        )
        .await?;
        let id = SessionId::generate();
        sqlx::query(
            "INSERT INTO sessions (id, municipality_id, token_hash, person_id, created_at,
                 last_seen_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason,
                 user_agent)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, NULL, NULL, $8)",
        )
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(&new.token_hash)
        .bind(new.person_id.as_str())
        .bind(new.now)
        .bind(new.idle_expires_at)
        .bind(new.absolute_expires_at)
        .bind(summary(new.user_agent.as_deref()))
        .execute(&mut *self.conn)
        .await
        .map_err(on("session"))?;
        self.get(&id).await
    }

    /// Records use of a live session: last seen and a new idle expiry (never past the
    /// absolute one).
    pub async fn touch(&mut self, id: &SessionId, now: i64, idle_expires_at: i64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE sessions SET last_seen_at = $3,
                 idle_expires_at = CASE WHEN $4 < absolute_expires_at THEN $4 ELSE absolute_expires_at END
             WHERE municipality_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .bind(now)
        .bind(idle_expires_at)
        .execute(&mut *self.conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("session", id.as_str()));
        }
        Ok(())
    }

    /// Ends one session; returns false when it was already revoked.
    pub async fn revoke(&mut self, id: &SessionId, now: i64, reason: &str) -> Result<bool> {
        // Distinguish "not ours" (not found) from "already ended" (false).
        self.get(id).await?;
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = $3, revoked_reason = $4
             WHERE municipality_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .bind(now)
        .bind(reason)
        .execute(&mut *self.conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends every unrevoked session of a person; returns how many.
    pub async fn revoke_all_for_person(
        &mut self,
        person: &PersonId,
        now: i64,
        reason: &str,
    ) -> Result<u64> {
        ensure_ref(self.conn, self.tenant, RefTable::Person, person.as_str()).await?;
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = $3, revoked_reason = $4
             WHERE municipality_id = $1 AND person_id = $2 AND revoked_at IS NULL",
        )
        .bind(self.tenant.as_str())
        .bind(person.as_str())
        .bind(now)
        .bind(reason)
        .execute(&mut *self.conn)
        .await?;
        Ok(done.rows_affected())
    }

    /// Deletes sessions that ended before `before` (expired or revoked); returns how many.
    pub async fn purge_ended(&mut self, before: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE municipality_id = $1
               AND (revoked_at < $2 OR absolute_expires_at < $2 OR idle_expires_at < $2)",
        )
        .bind(self.tenant.as_str())
        .bind(before)
        .execute(&mut *self.conn)
        .await?;
        Ok(done.rows_affected())
    }
}

// ---------------------------------------------------------------------------------------------
// failed sign-ins and lockout

/// A person's sign-in record: consecutive failures, lockout and the last TOTP step used.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LoginState {
    pub consecutive_failures: i64,
    pub last_failure_at: Option<i64>,
    /// Sign-in is refused until this time.
    pub locked_until: Option<i64>,
    /// The TOTP time step of the last accepted code: a code of this step or earlier is a
    /// replay.
    pub last_totp_step: Option<i64>,
    pub last_success_at: Option<i64>,
}

repository!(
    /// Failed-sign-in counters, lockouts and TOTP replay guards of the tenant's people.
    LoginStates
);

impl<A: Access> LoginStates<'_, A> {
    /// The person's record; a person who never signed in has the default (nothing).
    pub async fn get(&mut self, person: &PersonId) -> Result<LoginState> {
        ensure_ref(self.conn, self.tenant, RefTable::Person, person.as_str()).await?;
        let row = sqlx::query(
            "SELECT consecutive_failures, last_failure_at, locked_until, last_totp_step,
                    last_success_at
             FROM login_states WHERE municipality_id = $1 AND person_id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(person.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        let Some(row) = row else {
            return Ok(LoginState::default());
        };
        Ok(LoginState {
            consecutive_failures: row.int("consecutive_failures")?,
            last_failure_at: row.opt_int("last_failure_at")?,
            locked_until: row.opt_int("locked_until")?,
            last_totp_step: row.opt_int("last_totp_step")?,
            last_success_at: row.opt_int("last_success_at")?,
        })
    }
}

impl LoginStates<'_, ReadWrite> {
    /// Stores the person's record as given (the workflow computed it).
    pub async fn put(&mut self, person: &PersonId, state: &LoginState) -> Result<()> {
        ensure_ref(self.conn, self.tenant, RefTable::Person, person.as_str()).await?;
        if state.consecutive_failures < 0 {
            return Err(StoreError::invalid(
                "consecutive_failures",
                "must not be negative",
            ));
        }
        // One upsert statement that both engines accept.
        sqlx::query(
            "INSERT INTO login_states (municipality_id, person_id, consecutive_failures,
                 last_failure_at, locked_until, last_totp_step, last_success_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (municipality_id, person_id) DO UPDATE SET
                 consecutive_failures = excluded.consecutive_failures,
                 last_failure_at = excluded.last_failure_at,
                 locked_until = excluded.locked_until,
                 last_totp_step = excluded.last_totp_step,
                 last_success_at = excluded.last_success_at",
        )
        .bind(self.tenant.as_str())
        .bind(person.as_str())
        .bind(state.consecutive_failures)
        .bind(state.last_failure_at)
        .bind(state.locked_until)
        .bind(state.last_totp_step)
        .bind(state.last_success_at)
        .execute(&mut *self.conn)
        .await
        .map_err(on("login state"))?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// API tokens

/// A new API token.
#[derive(Clone, Debug)]
pub struct NewApiToken {
    /// A name unique in the municipality, e.g. `cms-export`.
    pub name: String,
    /// [`token_hash`] of the bearer token.
    pub token_hash: String,
    /// The token acts as this person …
    pub person_id: PersonId,
    /// … with only this one of the person's roles.
    pub role: Role,
    pub created_by: Actor,
    pub now: i64,
    pub expires_at: i64,
}

/// An API token (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub municipality_id: MunicipalityId,
    pub name: String,
    pub person_id: PersonId,
    pub role: Role,
    pub created_by: Actor,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiToken {
    /// Usable at `now`: not revoked, not expired.
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

const TOKEN_COLS: &str = "id, municipality_id, name, person_id, role, created_by, created_at, \
    expires_at, last_used_at, revoked_at";

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: ApiTokenId::from(row.text("id")?),
        municipality_id: MunicipalityId::from(row.text("municipality_id")?),
        name: row.text("name")?,
        person_id: PersonId::from(row.text("person_id")?),
        role: row.parsed("role")?,
        created_by: Actor::parse(&row.text("created_by")?),
        created_at: row.int("created_at")?,
        expires_at: row.int("expires_at")?,
        last_used_at: row.opt_int("last_used_at")?,
        revoked_at: row.opt_int("revoked_at")?,
    })
}

fn check_token_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "name",
            format!("`{name}` must be 1-64 of a-z, 0-9, '-', '_', '.'"),
        ))
    }
}

repository!(
    /// API tokens of the tenant.
    ApiTokens
);

impl<A: Access> ApiTokens<'_, A> {
    async fn one(&mut self, col: &'static str, key: &str) -> Result<ApiToken> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE municipality_id = $1 AND {col} = $2"
        )))
        .bind(self.tenant.as_str())
        .bind(key)
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(r) => token_from_row(&r),
            None => Err(StoreError::not_found("api token", key)),
        }
    }

    /// One token by id.
    pub async fn get(&mut self, id: &ApiTokenId) -> Result<ApiToken> {
        self.one("id", id.as_str()).await
    }

    /// One token by name.
    pub async fn get_by_name(&mut self, name: &str) -> Result<ApiToken> {
        self.one("name", name).await
    }

    /// The token stored under this hash (live or not).
    pub async fn get_by_token_hash(&mut self, hash: &str) -> Result<ApiToken> {
        self.one("token_hash", hash).await.map_err(|e| match e {
            StoreError::NotFound { .. } => StoreError::not_found("api token", "<token>"),
            other => other,
        })
    }

    /// Every token (revoked and expired too), by name.
    pub async fn list(&mut self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE municipality_id = $1 ORDER BY name, id"
        )))
        .bind(self.tenant.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(token_from_row).collect()
    }
}

impl ApiTokens<'_, ReadWrite> {
    /// Records a new token.
    pub async fn create(&mut self, new: &NewApiToken) -> Result<ApiToken> {
        check_token_name(&new.name)?;
        check_hash("token_hash", &new.token_hash)?;
        if new.expires_at <= new.now {
            return Err(StoreError::invalid("expires_at", "must be after now"));
        }
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Person,
            new.person_id.as_str(),
        )
        .await?;
        let id = ApiTokenId::generate();
        sqlx::query(
            "INSERT INTO api_tokens (id, municipality_id, name, token_hash, person_id, role,
                 created_by, created_at, expires_at, last_used_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL)",
        )
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(&new.name)
        .bind(&new.token_hash)
        .bind(new.person_id.as_str())
        .bind(new.role.as_str())
        .bind(new.created_by.as_str())
        .bind(new.now)
        .bind(new.expires_at)
        .execute(&mut *self.conn)
        .await
        .map_err(on("api token"))?;
        self.get(&id).await
    }

    /// Records a use of the token.
    pub async fn touch(&mut self, id: &ApiTokenId, now: i64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET last_used_at = $3 WHERE municipality_id = $1 AND id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .bind(now)
        .execute(&mut *self.conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("api token", id.as_str()));
        }
        Ok(())
    }

    /// Revokes a token; returns false when it was already revoked.
    pub async fn revoke(&mut self, id: &ApiTokenId, now: i64) -> Result<bool> {
        self.get(id).await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3
             WHERE municipality_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .bind(now)
        .execute(&mut *self.conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

// ---------------------------------------------------------------------------------------------
// preferences

repository!(
    /// Per-person preferences (the interface language).
    Preferences
);

/// Language codes a person may choose.
pub const UI_LANGS: &[&str] = &["ja", "en"];

impl<A: Access> Preferences<'_, A> {
    /// The person's interface language, if they chose one.
    pub async fn ui_lang(&mut self, person: &PersonId) -> Result<Option<String>> {
        ensure_ref(self.conn, self.tenant, RefTable::Person, person.as_str()).await?;
        let v: Option<Option<String>> = sqlx::query_scalar(
            "SELECT ui_lang FROM person_preferences WHERE municipality_id = $1 AND person_id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(person.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        Ok(v.flatten())
    }
}

impl Preferences<'_, ReadWrite> {
    /// Sets (or with `None` clears) the person's interface language.
    pub async fn set_ui_lang(
        &mut self,
        person: &PersonId,
        lang: Option<&str>,
        now: i64,
    ) -> Result<()> {
        if let Some(l) = lang
            && !UI_LANGS.contains(&l)
        {
            return Err(StoreError::invalid(
                "ui_lang",
                format!("`{l}` is not one of {UI_LANGS:?}"),
            ));
        }
        ensure_ref(self.conn, self.tenant, RefTable::Person, person.as_str()).await?;
        sqlx::query(
            "INSERT INTO person_preferences (municipality_id, person_id, ui_lang, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (municipality_id, person_id) DO UPDATE SET
                 ui_lang = excluded.ui_lang, updated_at = excluded.updated_at",
        )
        .bind(self.tenant.as_str())
        .bind(person.as_str())
        .bind(lang)
        .bind(now)
        .execute(&mut *self.conn)
        .await
        .map_err(on("preferences"))?;
        Ok(())
    }
}

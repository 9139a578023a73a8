-- koho-store schema, version 2: sign-in, sessions, lockout, API tokens, preferences.
-- Same conventions as 0001: one text for both engines, TEXT ids, BIGINT Unix-ms times,
-- composite foreign keys over (municipality_id, …) so no row points into another municipality.
-- Secrets are never stored: sessions and API tokens keep only the SHA-256 of the token the
-- holder presents, so a copy of the database cannot be replayed as a login.

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    token_hash TEXT NOT NULL UNIQUE,
    person_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    absolute_expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_reason TEXT,
    user_agent TEXT,
    UNIQUE (municipality_id, id),
    FOREIGN KEY (municipality_id, person_id) REFERENCES people (municipality_id, id)
)
;
CREATE INDEX sessions_by_person ON sessions (municipality_id, person_id)
;
CREATE TABLE login_states (
    municipality_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    consecutive_failures BIGINT NOT NULL,
    last_failure_at BIGINT,
    locked_until BIGINT,
    last_totp_step BIGINT,
    last_success_at BIGINT,
    PRIMARY KEY (municipality_id, person_id),
    FOREIGN KEY (municipality_id, person_id) REFERENCES people (municipality_id, id) ON DELETE CASCADE
)
;
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    person_id TEXT NOT NULL,
    role TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    UNIQUE (municipality_id, id),
    UNIQUE (municipality_id, name),
    FOREIGN KEY (municipality_id, person_id) REFERENCES people (municipality_id, id)
)
;
CREATE TABLE person_preferences (
    municipality_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    ui_lang TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (municipality_id, person_id),
    FOREIGN KEY (municipality_id, person_id) REFERENCES people (municipality_id, id) ON DELETE CASCADE
)

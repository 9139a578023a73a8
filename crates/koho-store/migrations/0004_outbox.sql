-- koho-store schema, version 4: the publishing outbox.
-- Jobs are claimed under a lease, so a publisher process that dies mid-send leaves a row
-- that the next claimer recognises as "may have been sent" instead of a fresh job.
-- Credentials are stored only as authenticated ciphertext; the key never enters the
-- database. Statements are separated by a line holding only ";" (see migrate.rs).

CREATE TABLE publish_jobs (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    account_id TEXT NOT NULL,
    post_target_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    broadcast_id TEXT,
    priority BIGINT NOT NULL,
    body TEXT NOT NULL,
    media TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    uncertain BIGINT NOT NULL CHECK (uncertain IN (0, 1)),
    first_attempt_at BIGINT,
    remote_id TEXT,
    remote_url TEXT,
    last_error_code TEXT,
    last_error TEXT,
    finished_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    row_version BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    UNIQUE (municipality_id, idempotency_key),
    UNIQUE (municipality_id, post_target_id),
    FOREIGN KEY (municipality_id, account_id) REFERENCES official_accounts (municipality_id, id)
)
;
CREATE INDEX publish_jobs_due ON publish_jobs (municipality_id, state, next_attempt_at)
;
CREATE INDEX publish_jobs_by_broadcast ON publish_jobs (municipality_id, broadcast_id)
;
CREATE TABLE platform_credentials (
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    account_id TEXT NOT NULL,
    account_ref TEXT NOT NULL,
    sealed TEXT NOT NULL,
    key_id TEXT NOT NULL,
    expires_at BIGINT,
    status TEXT NOT NULL,
    refresh_owner TEXT,
    refresh_lease_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    row_version BIGINT NOT NULL,
    PRIMARY KEY (municipality_id, account_id),
    FOREIGN KEY (municipality_id, account_id) REFERENCES official_accounts (municipality_id, id)
)
;
CREATE TABLE publish_account_holds (
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    account_id TEXT NOT NULL,
    hold_until BIGINT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (municipality_id, account_id),
    FOREIGN KEY (municipality_id, account_id) REFERENCES official_accounts (municipality_id, id)
)
;
CREATE TABLE publish_alerts (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    account_id TEXT NOT NULL,
    job_id TEXT,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    report_to TEXT,
    created_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by TEXT,
    UNIQUE (municipality_id, id),
    FOREIGN KEY (municipality_id, account_id) REFERENCES official_accounts (municipality_id, id),
    FOREIGN KEY (municipality_id, job_id) REFERENCES publish_jobs (municipality_id, id)
)
;
CREATE INDEX publish_alerts_open ON publish_alerts (municipality_id, resolved_at, created_at)

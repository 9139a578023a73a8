-- koho-store schema, version 5: posts meet the outbox.
-- 1. publish_jobs.post_target_id becomes a real foreign key to post_targets (composite, so a
--    job cannot point into another municipality). It is NULL for a job that publishes no
--    post target (an emergency broadcast typed in at the publisher). SQLite cannot add a
--    constraint to a table, so both tables hanging together (publish_jobs and
--    publish_alerts, which references it) are rebuilt the same way on both engines: copy
--    out, drop children before parents, create, copy back. Job rows whose post_target_id
--    names no post target (broadcasts written by schema 4) keep NULL.
-- 2. post_images: the images of one post version, in order, with alt text. Bytes are
--    stored as base64 text (already stripped of location and identifying metadata); whether
--    the author's file carried GPS is kept for the checker's finding.
-- Statements are separated by a line holding only ";" (see migrate.rs).

CREATE TABLE koho_tmp_publish_jobs AS SELECT * FROM publish_jobs
;
CREATE TABLE koho_tmp_publish_alerts AS SELECT * FROM publish_alerts
;
DROP TABLE publish_alerts
;
DROP TABLE publish_jobs
;
CREATE TABLE publish_jobs (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    account_id TEXT NOT NULL,
    post_target_id TEXT,
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
    FOREIGN KEY (municipality_id, account_id) REFERENCES official_accounts (municipality_id, id),
    FOREIGN KEY (municipality_id, post_target_id) REFERENCES post_targets (municipality_id, id)
)
;
CREATE INDEX publish_jobs_due ON publish_jobs (municipality_id, state, next_attempt_at)
;
CREATE INDEX publish_jobs_by_broadcast ON publish_jobs (municipality_id, broadcast_id)
;
INSERT INTO publish_jobs (
    id, municipality_id, account_id, post_target_id, kind, broadcast_id, priority, body,
    media, idempotency_key, not_before, deadline, state, attempts, next_attempt_at,
    lease_owner, lease_expires_at, uncertain, first_attempt_at, remote_id, remote_url,
    last_error_code, last_error, finished_at, created_by, created_at, updated_at, row_version)
SELECT
    j.id, j.municipality_id, j.account_id,
    CASE WHEN EXISTS (SELECT 1 FROM post_targets t
                      WHERE t.municipality_id = j.municipality_id AND t.id = j.post_target_id)
         THEN j.post_target_id ELSE NULL END,
    j.kind, j.broadcast_id, j.priority, j.body,
    j.media, j.idempotency_key, j.not_before, j.deadline, j.state, j.attempts, j.next_attempt_at,
    j.lease_owner, j.lease_expires_at, j.uncertain, j.first_attempt_at, j.remote_id, j.remote_url,
    j.last_error_code, j.last_error, j.finished_at, j.created_by, j.created_at, j.updated_at,
    j.row_version
FROM koho_tmp_publish_jobs j
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
;
INSERT INTO publish_alerts (
    id, municipality_id, account_id, job_id, kind, message, report_to, created_at,
    resolved_at, resolved_by)
SELECT id, municipality_id, account_id, job_id, kind, message, report_to, created_at,
    resolved_at, resolved_by
FROM koho_tmp_publish_alerts
;
DROP TABLE koho_tmp_publish_alerts
;
DROP TABLE koho_tmp_publish_jobs
;
CREATE TABLE post_images (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    post_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    position BIGINT NOT NULL,
    mime TEXT NOT NULL,
    alt_text TEXT,
    has_gps BIGINT NOT NULL CHECK (has_gps IN (0, 1)),
    sha256 TEXT NOT NULL,
    bytes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    UNIQUE (municipality_id, post_id, version, position),
    FOREIGN KEY (municipality_id, post_id, version)
        REFERENCES post_versions (municipality_id, post_id, version)
)

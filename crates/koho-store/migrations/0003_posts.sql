-- Posts (投稿): drafts, their versions with the checker's findings, the official accounts
-- each post goes to, the decisions on them (approval, exception, override), post-hoc
-- reports of emergency posts, requests from other departments and notifications to people.
-- Same conventions as 0001: TEXT UUIDv7 ids, BIGINT Unix ms, JSON as TEXT, composite foreign
-- keys over (municipality_id, …) so no row can point into another municipality.
CREATE TABLE department_requests (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    department_id TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    desired_at BIGINT,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    decision_reason TEXT,
    post_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    row_version BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    FOREIGN KEY (municipality_id, department_id) REFERENCES departments (municipality_id, id),
    FOREIGN KEY (municipality_id, submitted_by) REFERENCES people (municipality_id, id),
    FOREIGN KEY (municipality_id, decided_by) REFERENCES people (municipality_id, id)
)
;
CREATE INDEX department_requests_by_status ON department_requests (municipality_id, status)
;
CREATE TABLE posts (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    kind TEXT NOT NULL,
    corrects_post_id TEXT,
    share_category TEXT,
    share_url TEXT,
    request_id TEXT,
    department_id TEXT,
    author_id TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    matters TEXT NOT NULL,
    approval_basis TEXT,
    exception_id TEXT,
    exception_reason TEXT,
    publish_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    row_version BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    FOREIGN KEY (municipality_id, corrects_post_id) REFERENCES posts (municipality_id, id),
    FOREIGN KEY (municipality_id, request_id) REFERENCES department_requests (municipality_id, id),
    FOREIGN KEY (municipality_id, department_id) REFERENCES departments (municipality_id, id),
    FOREIGN KEY (municipality_id, author_id) REFERENCES people (municipality_id, id)
)
;
CREATE INDEX posts_by_state ON posts (municipality_id, state, publish_at)
;
CREATE INDEX posts_by_original ON posts (municipality_id, corrects_post_id)
;
CREATE TABLE post_versions (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    post_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    apology TEXT,
    variants TEXT NOT NULL,
    diagnostics TEXT NOT NULL,
    error_count BIGINT NOT NULL,
    author_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    UNIQUE (municipality_id, post_id, version),
    FOREIGN KEY (municipality_id, post_id) REFERENCES posts (municipality_id, id),
    FOREIGN KEY (municipality_id, author_id) REFERENCES people (municipality_id, id)
)
;
CREATE TABLE post_targets (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    post_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    state TEXT NOT NULL,
    publish_at BIGINT,
    remote_id TEXT,
    remote_url TEXT,
    published_at BIGINT,
    last_error TEXT,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    row_version BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    UNIQUE (municipality_id, post_id, account_id),
    FOREIGN KEY (municipality_id, post_id) REFERENCES posts (municipality_id, id),
    FOREIGN KEY (municipality_id, account_id) REFERENCES official_accounts (municipality_id, id)
)
;
CREATE INDEX post_targets_due ON post_targets (municipality_id, state, publish_at)
;
CREATE TABLE post_decisions (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    post_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    kind TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    exception_id TEXT,
    reason TEXT,
    clause_label TEXT,
    decided_at BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    FOREIGN KEY (municipality_id, post_id) REFERENCES posts (municipality_id, id),
    FOREIGN KEY (municipality_id, decided_by) REFERENCES people (municipality_id, id)
)
;
CREATE INDEX post_decisions_by_post ON post_decisions (municipality_id, post_id, version)
;
CREATE TABLE post_hoc_reports (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    post_id TEXT NOT NULL,
    report_to_role TEXT NOT NULL,
    exception_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at BIGINT,
    reminders BIGINT NOT NULL,
    next_reminder_at BIGINT,
    row_version BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    UNIQUE (municipality_id, post_id),
    FOREIGN KEY (municipality_id, post_id) REFERENCES posts (municipality_id, id),
    FOREIGN KEY (municipality_id, reported_by) REFERENCES people (municipality_id, id),
    FOREIGN KEY (municipality_id, acknowledged_by) REFERENCES people (municipality_id, id)
)
;
CREATE INDEX post_hoc_reports_open ON post_hoc_reports (municipality_id, acknowledged_at, next_reminder_at)
;
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    person_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    message TEXT NOT NULL,
    clause_label TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    UNIQUE (municipality_id, id),
    FOREIGN KEY (municipality_id, person_id) REFERENCES people (municipality_id, id)
)
;
CREATE INDEX notifications_by_person ON notifications (municipality_id, person_id, read_at)

-- koho-store schema, version 1.
-- One text for both engines: TEXT ids generated in Rust (UUIDv7), BIGINT Unix-millisecond
-- times, BIGINT 0/1 flags, JSON kept as TEXT. Every tenant table carries municipality_id and a
-- UNIQUE (municipality_id, id) key, and every reference between rows is a composite foreign
-- key over (municipality_id, …): a row can never point into another municipality.
-- Statements are separated by a line holding only ";" (see migrate.rs).

CREATE TABLE municipalities (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    guideline_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    row_version BIGINT NOT NULL
)
;
CREATE TABLE audit_chain_heads (
    municipality_id TEXT PRIMARY KEY REFERENCES municipalities (id),
    seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL
)
;
CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    name TEXT NOT NULL,
    parent_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    row_version BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    UNIQUE (municipality_id, name),
    FOREIGN KEY (municipality_id, parent_id) REFERENCES departments (municipality_id, id)
)
;
CREATE TABLE people (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    display_name TEXT NOT NULL,
    email TEXT NOT NULL,
    department_id TEXT,
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    password_hash TEXT,
    totp_secret TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    row_version BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    UNIQUE (municipality_id, email),
    FOREIGN KEY (municipality_id, department_id) REFERENCES departments (municipality_id, id)
)
;
CREATE TABLE person_roles (
    municipality_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (municipality_id, person_id, role),
    FOREIGN KEY (municipality_id, person_id) REFERENCES people (municipality_id, id) ON DELETE CASCADE
)
;
CREATE INDEX person_roles_by_role ON person_roles (municipality_id, role)
;
CREATE TABLE official_accounts (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    platform TEXT NOT NULL,
    handle TEXT NOT NULL,
    handle_normalized TEXT NOT NULL,
    url TEXT,
    display_name TEXT NOT NULL,
    department_id TEXT,
    manager_id TEXT,
    registration_email TEXT,
    purpose TEXT NOT NULL,
    content_categories TEXT NOT NULL,
    tone TEXT,
    reply_policy TEXT,
    follow_policy TEXT,
    approval_required BIGINT NOT NULL CHECK (approval_required IN (0, 1)),
    verification TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    followers_count BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    row_version BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    UNIQUE (municipality_id, platform, handle_normalized),
    FOREIGN KEY (municipality_id, department_id) REFERENCES departments (municipality_id, id),
    FOREIGN KEY (municipality_id, manager_id) REFERENCES people (municipality_id, id)
)
;
CREATE INDEX official_accounts_by_state ON official_accounts (municipality_id, state)
;
CREATE TABLE account_applications (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    kind TEXT NOT NULL,
    account_id TEXT,
    proposal TEXT NOT NULL,
    plan TEXT NOT NULL,
    applicant_id TEXT NOT NULL,
    checklist TEXT NOT NULL,
    overlap_account_ids TEXT NOT NULL,
    status TEXT NOT NULL,
    form_number TEXT,
    submitted_at BIGINT,
    decided_by TEXT,
    decided_at BIGINT,
    decision_reason TEXT,
    waiver BIGINT NOT NULL CHECK (waiver IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    row_version BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    FOREIGN KEY (municipality_id, account_id) REFERENCES official_accounts (municipality_id, id),
    FOREIGN KEY (municipality_id, applicant_id) REFERENCES people (municipality_id, id),
    FOREIGN KEY (municipality_id, decided_by) REFERENCES people (municipality_id, id)
)
;
CREATE INDEX account_applications_by_status ON account_applications (municipality_id, status)
;
CREATE TABLE operation_policy_versions (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    account_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    published_at BIGINT,
    UNIQUE (municipality_id, id),
    UNIQUE (municipality_id, account_id, version),
    FOREIGN KEY (municipality_id, account_id) REFERENCES official_accounts (municipality_id, id)
)
;
CREATE UNIQUE INDEX operation_policy_versions_one_published
    ON operation_policy_versions (municipality_id, account_id) WHERE status = 'published'
;
CREATE TABLE account_events (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    effective_at BIGINT,
    next_check_at BIGINT,
    related_account_id TEXT,
    recorded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (municipality_id, id),
    FOREIGN KEY (municipality_id, account_id) REFERENCES official_accounts (municipality_id, id),
    FOREIGN KEY (municipality_id, related_account_id) REFERENCES official_accounts (municipality_id, id)
)
;
CREATE INDEX account_events_by_account ON account_events (municipality_id, account_id, occurred_at)
;
CREATE INDEX account_events_due ON account_events (municipality_id, next_check_at)
;
CREATE TABLE audit_log (
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    clause_guideline TEXT,
    clause_label TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (municipality_id, seq)
)
;
CREATE INDEX audit_log_by_subject ON audit_log (municipality_id, subject_type, subject_id)

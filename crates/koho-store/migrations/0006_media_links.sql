-- koho-store schema, version 6: public addresses of outbox images.
-- Instagram, Threads and LINE do not take uploaded images: they download them from a
-- public https URL. koho serves a job's (already stripped) images itself, at an address
-- whose token is random, so it cannot be guessed, and which stops working at
-- expires_at. One token per job image: a retried publish gets the same address back.
-- Statements are separated by a line holding only ";" (see migrate.rs).

CREATE TABLE publish_media_links (
    token TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    job_id TEXT NOT NULL,
    media_index BIGINT NOT NULL CHECK (media_index >= 0),
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (municipality_id, job_id, media_index),
    FOREIGN KEY (municipality_id, job_id) REFERENCES publish_jobs (municipality_id, id)
)

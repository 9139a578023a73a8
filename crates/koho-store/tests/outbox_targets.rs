//! Migration 5 on every engine: a schema-4 outbox (jobs naming post targets by free text,
//! emergency broadcasts with made-up target names, alerts on jobs) is rebuilt with
//! `publish_jobs.post_target_id` a real foreign key to `post_targets` — existing jobs and
//! alerts kept, made-up target names cleared — and the key is enforced afterwards; post
//! images are stored with their version.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use common::*;
use koho_store::*;
use sqlx::Connection;

const V4: &str = include_str!("../migrations/0004_outbox.sql");

async fn raw(url: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url).await.unwrap()
}

async fn try_exec(url: &str, sql: &str) -> Result<(), String> {
    let mut conn = raw(url).await;
    let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    conn.close().await.unwrap();
    r
}

fn job_sql(id: &str, municipality: &str, account: &str, target: Option<&str>, key: &str) -> String {
    let target = target.map_or("NULL".to_owned(), |t| format!("'{t}'"));
    format!(
        "INSERT INTO publish_jobs (id, municipality_id, account_id, post_target_id, kind,
            broadcast_id, priority, body, media, idempotency_key, not_before, deadline, state,
            attempts, next_attempt_at, lease_owner, lease_expires_at, uncertain,
            first_attempt_at, remote_id, remote_url, last_error_code, last_error, finished_at,
            created_by, created_at, updated_at, row_version)
         VALUES ('{id}', '{municipality}', '{account}', {target}, 'scheduled', NULL, 0, 'お知らせ',
            '[]', '{key}', 1, 2, 'published', 1, 1, NULL, NULL, 0, 1, 'r-{id}', NULL, NULL,
            NULL, 2, 'cli', 1, 2, 3)"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_5_ties_jobs_to_post_targets_and_keeps_the_outbox() {
    each_engine(|env| async move {
        let db = env.open().await;
        let w = world(&db.store, "takanabe", "@town").await;
        let mut tx = db.store.begin(&w.tenant).await.unwrap();
        let post = tx
            .posts()
            .create(&NewPost {
                kind: PostKind::Original,
                corrects_post_id: None,
                share_category: None,
                share_url: None,
                request_id: None,
                department_id: None,
                author_id: w.person.id.clone(),
                matters: vec![],
                publish_at: None,
            })
            .await
            .unwrap();
        let jpg = include_bytes!("../../koho-media/tests/fixtures/with-gps.jpg").to_vec();
        tx.posts()
            .add_version(&NewPostVersion {
                post_id: post.id.clone(),
                body: "写真つきのお知らせ".into(),
                apology: None,
                variants: serde_json::json!({}),
                diagnostics: serde_json::json!({}),
                error_count: 0,
                author_id: w.person.id.clone(),
                images: vec![NewPostImage {
                    mime: "image/jpeg".into(),
                    alt_text: Some(" 花火 ".into()),
                    has_gps: true,
                    bytes: jpg.clone(),
                }],
            })
            .await
            .unwrap();
        let target = tx
            .posts()
            .add_target(&post.id, &w.account.id)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut r = db.store.read(&w.tenant).await.unwrap();
        let images = r.posts().images(&post.id, 1).await.unwrap();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].bytes, jpg);
        assert_eq!(images[0].alt_text.as_deref(), Some("花火"));
        assert!(images[0].has_gps);
        assert!(
            !format!("{:?}", images[0]).contains("255, 216"),
            "no bytes in Debug"
        );
        drop(r);
        db.store.close().await;

        // Back to schema 4: the outbox tables as 0004 made them, with rows it allowed.
        let (m, a, t) = (
            w.municipality.id.to_string(),
            w.account.id.to_string(),
            target.id.to_string(),
        );
        // Later migrations go too: they are applied again after 5.
        for sql in [
            "DROP TABLE publish_media_links",
            "DELETE FROM koho_schema_migrations WHERE version = 6",
            "DROP TABLE post_images",
            "DROP TABLE publish_alerts",
            "DROP TABLE publish_jobs",
            "DELETE FROM koho_schema_migrations WHERE version = 5",
        ] {
            db.exec(sql).await;
        }
        for stmt in V4.split("\n;\n").filter(|s| {
            s.contains("CREATE TABLE publish_jobs")
                || s.contains("CREATE INDEX publish_jobs_")
                || s.contains("CREATE TABLE publish_alerts")
                || s.contains("CREATE INDEX publish_alerts_")
        }) {
            db.exec(stmt).await;
        }
        db.exec(&job_sql("job-real", &m, &a, Some(&t), "k1")).await;
        db.exec(&job_sql(
            "job-broadcast",
            &m,
            &a,
            Some("emergency:b1:acc"),
            "k2",
        ))
        .await;
        db.exec(&format!(
            "INSERT INTO publish_alerts (id, municipality_id, account_id, job_id, kind, message,
                report_to, created_at, resolved_at, resolved_by)
             VALUES ('alert-1', '{m}', '{a}', 'job-broadcast', 'post-hoc-report', '報告', NULL, 5,
                NULL, NULL)"
        ))
        .await;

        // Reopening applies migration 5 (and any later ones).
        let store = Store::open(&db.url).await.unwrap();
        assert!(store.schema_version().await.unwrap() >= 5);
        let mut r = store.read(&w.tenant).await.unwrap();
        let real = r
            .publish_jobs()
            .get(&PublishJobId::from("job-real"))
            .await
            .unwrap();
        assert_eq!(real.post_target_id.as_ref(), Some(&target.id));
        assert_eq!(real.remote_id.as_deref(), Some("r-job-real"));
        assert_eq!(
            r.publish_jobs()
                .get_by_target(&target.id)
                .await
                .unwrap()
                .unwrap()
                .id,
            real.id
        );
        let broadcast = r
            .publish_jobs()
            .get(&PublishJobId::from("job-broadcast"))
            .await
            .unwrap();
        assert_eq!(broadcast.post_target_id, None);
        let alerts = r.publish_alerts().list_open().await.unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].job_id.as_ref(), Some(&broadcast.id));
        // The images of schema 5 start empty after the rebuild; the table works.
        assert!(r.posts().images(&post.id, 1).await.unwrap().is_empty());
        drop(r);

        // The key holds on both engines: no job for a target that does not exist, nor a
        // second job for one target; no job left pointing at a deleted target.
        let e = try_exec(
            &db.url,
            &job_sql("job-bogus", &m, &a, Some("no-such-target"), "k3"),
        )
        .await
        .unwrap_err();
        assert!(e.to_lowercase().contains("foreign key"), "{e}");
        let e = try_exec(&db.url, &job_sql("job-twice", &m, &a, Some(&t), "k4"))
            .await
            .unwrap_err();
        assert!(e.to_lowercase().contains("unique"), "{e}");
        let e = try_exec(
            &db.url,
            &format!("DELETE FROM post_targets WHERE id = '{t}'"),
        )
        .await
        .unwrap_err();
        assert!(e.to_lowercase().contains("foreign key"), "{e}");
        try_exec(&db.url, &job_sql("job-none", &m, &a, None, "k5"))
            .await
            .unwrap();

        // The repository refuses a made-up target before the database has to.
        let mut tx = store.begin(&w.tenant).await.unwrap();
        let err = tx
            .publish_jobs()
            .enqueue(&NewPublishJob {
                account_id: w.account.id.clone(),
                post_target_id: Some(PostTargetId::from("no-such-target")),
                kind: JobKind::Scheduled,
                broadcast_id: None,
                body: "x".into(),
                media: vec![],
                idempotency_key: "k6".into(),
                not_before: 1,
                deadline: 2,
                created_by: Actor::Cli,
            })
            .await;
        assert_not_found(err);
        drop(tx);
        store.close().await;
    })
    .await;
}

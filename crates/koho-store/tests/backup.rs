//! Online backup, export and restore.
// Test code: helpers outside #[test] functions may unwrap and panic too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use koho_store::*;

/// Every row of every tenant, as the export file shows it minus its header (created_at),
/// sorted (engines may collate `ORDER BY` differently).
async fn export_rows(store: &Store, path: &std::path::Path) -> Vec<String> {
    store.export(path).await.unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().skip(1).map(str::to_owned).collect();
    assert!(lines.last().unwrap().starts_with("{\"end\":true"));
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_writing_then_restore() {
    each_engine(|env| async move {
        let db = env.open().await;
        let (_, t) = municipality(&db.store, "komae").await;
        let committed: Arc<Mutex<Vec<AccountId>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));

        let writer = {
            let (store, t, committed, stop) =
                (db.store.clone(), t.clone(), committed.clone(), stop.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let mut tx = store.begin(&t).await.unwrap();
                    let acc = tx
                        .accounts()
                        .create(&new_account(account_fields(
                            Platform::X,
                            &format!("acc{i}"),
                        )))
                        .await
                        .unwrap();
                    tx.audit()
                        .append(
                            &NewAuditEntry::new(
                                Actor::System,
                                "account.register",
                                Subject::new("official_account", acc.id.as_str()),
                            )
                            .after(&acc)
                            .unwrap(),
                        )
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                    committed.lock().unwrap().push(acc.id);
                    i += 1;
                    tokio::task::yield_now().await;
                }
                i
            })
        };

        while committed.lock().unwrap().len() < 20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let before_backup: Vec<AccountId> = committed.lock().unwrap().clone();
        let path = env.path("koho.backup");
        let info = db.store.backup(&path).await.unwrap();
        let at_backup_end = committed.lock().unwrap().len();
        // Let the writer go on a little after the backup, then stop it.
        while committed.lock().unwrap().len() < at_backup_end + 5 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.store(true, Ordering::SeqCst);
        let written = writer.await.unwrap();
        assert!(written >= before_backup.len() + 5);
        assert!(info.bytes > 0);
        match env.engine {
            Engine::Sqlite => assert_eq!(info.format, BackupFormat::SqliteFile),
            Engine::Postgres => assert_eq!(info.format, BackupFormat::JsonLines),
        }
        // A second backup never overwrites the first.
        assert_code(db.store.backup(&path).await, "STORE_BACKUP");

        let restored = Store::restore(&env.fresh_url().await, &path).await.unwrap();
        let t2 = restored.tenant_by_slug("komae").await.unwrap();
        assert_eq!(t2, t);
        let mut r = restored.read(&t2).await.unwrap();
        for id in &before_backup {
            r.accounts().get(id).await.unwrap();
        }
        let n = r.accounts().list().await.unwrap().len();
        assert!(n >= before_backup.len() && n <= written, "{n}");
        drop(r);
        let v = restored.verify_audit(&t2).await.unwrap();
        assert!(v.is_intact(), "{v:?}");
        // One creation entry plus one per account in the backup: the snapshot is consistent.
        assert_eq!(v.head.unwrap().seq, n as i64 + 1);

        // The restored store is a working store.
        let mut tx = restored.begin(&t2).await.unwrap();
        tx.audit()
            .append(&NewAuditEntry::new(
                Actor::Cli,
                "store.restore",
                Subject::new("store", "restore"),
            ))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(restored.verify_audit(&t2).await.unwrap().is_intact());
        restored.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_restore_round_trips_every_table() {
    each_engine(|env| async move {
        let db = env.open().await;
        let a = world(&db.store, "komae", "komae_city").await;
        world(&db.store, "mine", "mine_city").await;
        // A child department created before its parent exists in id order: restore must
        // link parents after all departments are in.
        let mut tx = db.store.begin(&a.tenant).await.unwrap();
        let late_parent = tx
            .departments()
            .create(&NewDepartment {
                name: "総務部".into(),
                parent_id: None,
            })
            .await
            .unwrap();
        let mut top = tx.departments().get(&a.department.id).await.unwrap();
        top.parent_id = Some(late_parent.id.clone());
        tx.departments().update(&top).await.unwrap();
        tx.people()
            .set_totp_secret(&a.person.id, Some(&Secret::new("JBSWY3DPEHPK3PXP")))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let original = export_rows(&db.store, &env.path("a.jsonl")).await;

        // Restore the JSON Lines export.
        let restored = Store::restore(&env.fresh_url().await, &env.path("a.jsonl"))
            .await
            .unwrap();
        assert_eq!(export_rows(&restored, &env.path("b.jsonl")).await, original);
        let t = restored.tenant_by_slug("komae").await.unwrap();
        let mut r = restored.read(&t).await.unwrap();
        let cred = r.people().credentials(&a.person.id).await.unwrap();
        assert_eq!(cred.totp_secret.unwrap().expose(), "JBSWY3DPEHPK3PXP");
        drop(r);

        // Restore the engine's native backup.
        db.store.backup(&env.path("native.backup")).await.unwrap();
        let native = Store::restore(&env.fresh_url().await, &env.path("native.backup"))
            .await
            .unwrap();
        assert_eq!(export_rows(&native, &env.path("c.jsonl")).await, original);
        for slug in ["komae", "mine"] {
            let t = native.tenant_by_slug(slug).await.unwrap();
            assert!(native.verify_audit(&t).await.unwrap().is_intact());
        }

        // Restore refuses a database that holds data, and leaves it alone.
        assert_code(
            Store::restore(&db.url, &env.path("a.jsonl")).await,
            "STORE_RESTORE_NOT_EMPTY",
        );

        // An export cut short is refused as a whole: nothing is loaded.
        let text = std::fs::read_to_string(env.path("a.jsonl")).unwrap();
        let cut: Vec<&str> = text.lines().collect();
        std::fs::write(env.path("cut.jsonl"), cut[..cut.len() - 1].join("\n")).unwrap();
        let target = env.fresh_url().await;
        assert_code(
            Store::restore(&target, &env.path("cut.jsonl")).await,
            "STORE_RESTORE",
        );
        let empty = Store::open(&target).await.unwrap();
        assert!(empty.municipalities().await.unwrap().is_empty());

        // Garbage is not a backup.
        std::fs::write(env.path("junk"), b"hello").unwrap();
        assert_code(
            Store::restore(&env.fresh_url().await, &env.path("junk")).await,
            "STORE_RESTORE",
        );
        restored.close().await;
        native.close().await;
        empty.close().await;
    })
    .await;
}

/// A municipality's embedded SQLite database moves into a shared PostgreSQL one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_restores_into_postgres() {
    let Some(_) = pg_admin_url() else {
        eprintln!("DATABASE_URL not set: PostgreSQL part skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("komae.db").display());
    let store = Store::open(&sqlite_url).await.unwrap();
    let w = world(&store, "komae", "komae_city").await;
    let backup = dir.path().join("komae.backup");
    store.backup(&backup).await.unwrap();
    let original = export_rows(&store, &dir.path().join("a.jsonl")).await;

    each_engine(move |env| {
        let backup = backup.clone();
        let original = original.clone();
        let tenant = w.tenant.clone();
        async move {
            if env.engine != Engine::Postgres {
                return;
            }
            let pg = Store::restore(&env.fresh_url().await, &backup)
                .await
                .unwrap();
            assert_eq!(pg.engine(), Engine::Postgres);
            assert_eq!(export_rows(&pg, &env.path("pg.jsonl")).await, original);
            assert!(pg.verify_audit(&tenant).await.unwrap().is_intact());
            pg.close().await;
        }
    })
    .await;
}

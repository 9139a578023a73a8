//! The per-municipality audit hash chain: atomic with domain changes, safe under concurrent
//! appenders, and every kind of tampering reported precisely.
// Test code: helpers outside #[test] functions may unwrap and panic too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use common::*;
use koho_store::*;

/// A municipality whose chain holds seq 1 (creation) to 5.
async fn chain(store: &Store, slug: &str) -> Tenant {
    let (_, tenant) = municipality(store, slug).await;
    let mut tx = store.begin(&tenant).await.unwrap();
    for i in 2..=5 {
        tx.audit()
            .append(
                &NewAuditEntry::new(
                    Actor::Cli,
                    "account.update",
                    Subject::new("official_account", format!("acc-{i}")),
                )
                .before(&serde_json::json!({"n": i - 1, "名前": "狛江"}))
                .unwrap()
                .after(&serde_json::json!({"n": i}))
                .unwrap()
                .clause(slug, "第7条"),
            )
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    tenant
}

async fn stored_hash(db: &TestDb, t: &Tenant, seq: i64) -> String {
    db.query_text(&format!(
        "SELECT hash FROM audit_log WHERE municipality_id = '{}' AND seq = {seq}",
        t.id()
    ))
    .await
}

/// Inserts a self-consistent forged entry (correct hash over its own fields).
async fn forge(db: &TestDb, t: &Tenant, seq: i64, prev_hash: &str) -> String {
    let m = t.id().as_str();
    let hash = audit_entry_hash(&AuditHashInput {
        municipality_id: m,
        seq,
        at: 1,
        actor: "system",
        action: "account.approve",
        subject_type: "official_account",
        subject_id: "forged",
        before_json: None,
        after_json: None,
        clause_guideline: None,
        clause_label: None,
        prev_hash,
    });
    db.exec(&format!(
        "INSERT INTO audit_log (municipality_id, seq, at, actor, action, subject_type, subject_id,
             before_json, after_json, clause_guideline, clause_label, prev_hash, hash)
         VALUES ('{m}', {seq}, 1, 'system', 'account.approve', 'official_account', 'forged',
             NULL, NULL, NULL, NULL, '{prev_hash}', '{hash}')"
    ))
    .await;
    hash
}

async fn problem(store: &Store, t: &Tenant) -> Option<AuditProblem> {
    store.verify_audit(t).await.unwrap().problem
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intact_chain_verifies_and_links() {
    each_engine(|env| async move {
        let db = env.open().await;
        let t = chain(&db.store, "komae").await;
        let v = db.store.verify_audit(&t).await.unwrap();
        assert!(v.is_intact(), "{v:?}");
        assert_eq!(v.entries_checked, 5);
        let head = v.head.unwrap();
        assert_eq!(head.seq, 5);

        let mut r = db.store.read(&t).await.unwrap();
        let entries = r.audit().list(0, 100).await.unwrap();
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[0].prev_hash, GENESIS_HASH);
        assert_eq!(entries[0].action, "municipality.create");
        for w in entries.windows(2) {
            assert_eq!(w[1].prev_hash, w[0].hash);
            assert_eq!(w[1].seq, w[0].seq + 1);
        }
        assert_eq!(entries[4].hash, head.hash);
        let e = r.audit().get(3).await.unwrap();
        assert_eq!(e.before, Some(serde_json::json!({"n": 2, "名前": "狛江"})));
        assert_eq!(
            e.clause,
            Some(ClauseRef {
                guideline_id: "komae".into(),
                clause: "第7条".into()
            })
        );
        assert_eq!(r.audit().list(3, 1).await.unwrap()[0].seq, 4);
        let about = r
            .audit()
            .list_for_subject(&Subject::new("official_account", "acc-4"))
            .await
            .unwrap();
        assert_eq!(about.len(), 1);
        assert_eq!(about[0].seq, 4);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_is_reported_precisely() {
    each_engine(|env| async move {
        let db = env.open().await;
        let store = &db.store;

        // Edited entry: its own hash no longer matches.
        let t = chain(store, "edit").await;
        db.exec(&format!(
            "UPDATE audit_log SET action = 'account.reject' WHERE municipality_id = '{}' AND seq = 3",
            t.id()
        ))
        .await;
        assert!(matches!(
            problem(store, &t).await,
            Some(AuditProblem::HashMismatch { seq: 3, .. })
        ));

        // Edited JSON, even only its spelling.
        let t = chain(store, "edit-json").await;
        db.exec(&format!(
            "UPDATE audit_log SET after_json = '{{ \"n\": 2 }}' WHERE municipality_id = '{}' AND seq = 2",
            t.id()
        ))
        .await;
        assert!(matches!(
            problem(store, &t).await,
            Some(AuditProblem::HashMismatch { seq: 2, .. })
        ));

        // Edited entry with its hash recomputed: the next entry no longer links to it.
        let t = chain(store, "rehash").await;
        let prev = stored_hash(&db, &t, 2).await;
        db.exec(&format!(
            "DELETE FROM audit_log WHERE municipality_id = '{}' AND seq = 3",
            t.id()
        ))
        .await;
        forge(&db, &t, 3, &prev).await;
        assert!(matches!(
            problem(store, &t).await,
            Some(AuditProblem::PrevHashMismatch { seq: 4, .. })
        ));

        // Deleted entry: a gap.
        let t = chain(store, "delete").await;
        db.exec(&format!(
            "DELETE FROM audit_log WHERE municipality_id = '{}' AND seq = 3",
            t.id()
        ))
        .await;
        assert_eq!(
            problem(store, &t).await,
            Some(AuditProblem::Gap {
                after_seq: 2,
                next_seq: 4
            })
        );

        // Inserted entry: later entries renumbered, a valid-looking entry put at seq 3.
        let t = chain(store, "insert").await;
        let m = t.id();
        db.exec(&format!(
            "UPDATE audit_log SET seq = seq + 1000 WHERE municipality_id = '{m}' AND seq >= 3"
        ))
        .await;
        db.exec(&format!(
            "UPDATE audit_log SET seq = seq - 999 WHERE municipality_id = '{m}' AND seq >= 1000"
        ))
        .await;
        let prev = stored_hash(&db, &t, 2).await;
        forge(&db, &t, 3, &prev).await;
        let p = problem(store, &t).await;
        assert!(
            matches!(p, Some(AuditProblem::PrevHashMismatch { seq: 4, .. })),
            "{p:?}"
        );

        // Reordered entries: seq 3 and 4 swapped.
        let t = chain(store, "reorder").await;
        let m = t.id();
        db.exec(&format!(
            "UPDATE audit_log SET seq = 1003 WHERE municipality_id = '{m}' AND seq = 3"
        ))
        .await;
        db.exec(&format!(
            "UPDATE audit_log SET seq = 3 WHERE municipality_id = '{m}' AND seq = 4"
        ))
        .await;
        db.exec(&format!(
            "UPDATE audit_log SET seq = 4 WHERE municipality_id = '{m}' AND seq = 1003"
        ))
        .await;
        let p = problem(store, &t).await;
        assert!(
            matches!(p, Some(AuditProblem::PrevHashMismatch { seq: 3, .. })),
            "{p:?}"
        );

        // Truncated tail: detected against the chain head.
        let t = chain(store, "truncate").await;
        db.exec(&format!(
            "DELETE FROM audit_log WHERE municipality_id = '{}' AND seq >= 4",
            t.id()
        ))
        .await;
        assert_eq!(
            problem(store, &t).await,
            Some(AuditProblem::TruncatedTail {
                last_seq: 3,
                head_seq: 5
            })
        );

        // Entry appended behind koho's back, correctly linked: beyond the head.
        let t = chain(store, "append").await;
        let prev = stored_hash(&db, &t, 5).await;
        forge(&db, &t, 6, &prev).await;
        assert_eq!(
            problem(store, &t).await,
            Some(AuditProblem::BeyondHead {
                seq: 6,
                head_seq: 5
            })
        );

        // Chain head rewritten.
        let t = chain(store, "head").await;
        db.exec(&format!(
            "UPDATE audit_chain_heads SET head_hash = '{}' WHERE municipality_id = '{}'",
            "f".repeat(64),
            t.id()
        ))
        .await;
        assert!(matches!(
            problem(store, &t).await,
            Some(AuditProblem::HeadMismatch { seq: 5, .. })
        ));

        // Chain head deleted.
        let t = chain(store, "nohead").await;
        db.exec(&format!(
            "DELETE FROM audit_chain_heads WHERE municipality_id = '{}'",
            t.id()
        ))
        .await;
        assert_eq!(problem(store, &t).await, Some(AuditProblem::MissingHead));

        // Tampering with one municipality never shows up in another's chain.
        let clean = chain(store, "clean").await;
        assert!(store.verify_audit(&clean).await.unwrap().is_intact());

        // Reports read as English sentences naming the seq.
        let msg = AuditProblem::Gap {
            after_seq: 2,
            next_seq: 4,
        }
        .to_string();
        assert!(msg.contains("gap after seq 2"), "{msg}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_entry_commits_or_rolls_back_with_the_change() {
    each_engine(|env| async move {
        let db = env.open().await;
        let (_, t) = municipality(&db.store, "komae").await;
        let head = |store: Store, t: Tenant| async move {
            store.read(&t).await.unwrap().audit().head().await.unwrap()
        };
        let start = head(db.store.clone(), t.clone()).await;

        // Rolled back explicitly: neither the account nor its entry exists.
        let mut tx = db.store.begin(&t).await.unwrap();
        let acc = tx
            .accounts()
            .create(&new_account(account_fields(Platform::X, "komae_city")))
            .await
            .unwrap();
        tx.audit()
            .append(
                &NewAuditEntry::new(
                    Actor::Cli,
                    "account.register",
                    Subject::new("official_account", acc.id.as_str()),
                )
                .after(&acc)
                .unwrap(),
            )
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        let mut r = db.store.read(&t).await.unwrap();
        assert_not_found(r.accounts().get(&acc.id).await);
        drop(r);
        assert_eq!(head(db.store.clone(), t.clone()).await, start);

        // Dropped without commit: same.
        {
            let mut tx = db.store.begin(&t).await.unwrap();
            tx.accounts()
                .create(&new_account(account_fields(Platform::X, "komae_city")))
                .await
                .unwrap();
            tx.audit()
                .append(&NewAuditEntry::new(
                    Actor::Cli,
                    "account.register",
                    Subject::new("official_account", "x"),
                ))
                .await
                .unwrap();
        }
        assert_eq!(head(db.store.clone(), t.clone()).await, start);

        // Committed: both, and the entry carries the row.
        let mut tx = db.store.begin(&t).await.unwrap();
        let acc = tx
            .accounts()
            .create(&new_account(account_fields(Platform::X, "komae_city")))
            .await
            .unwrap();
        let entry = tx
            .audit()
            .append(
                &NewAuditEntry::new(
                    Actor::Cli,
                    "account.register",
                    Subject::new("official_account", acc.id.as_str()),
                )
                .after(&acc)
                .unwrap(),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(entry.seq, start.seq + 1);
        let mut r = db.store.read(&t).await.unwrap();
        assert_eq!(r.accounts().get(&acc.id).await.unwrap(), acc);
        let stored = r.audit().get(entry.seq).await.unwrap();
        assert_eq!(stored, entry);
        let back: OfficialAccount = serde_json::from_value(stored.after.unwrap()).unwrap();
        assert_eq!(back, acc);
        drop(r);

        // A failed change inside the unit of work: the caller drops it, nothing lands.
        let mut tx = db.store.begin(&t).await.unwrap();
        tx.audit()
            .append(&NewAuditEntry::new(
                Actor::Cli,
                "account.register",
                Subject::new("official_account", "dup"),
            ))
            .await
            .unwrap();
        let dup = tx
            .accounts()
            .create(&new_account(account_fields(Platform::X, "@KOMAE_CITY")))
            .await;
        assert_code(dup, "STORE_CONFLICT");
        drop(tx);
        assert_eq!(head(db.store.clone(), t.clone()).await.seq, start.seq + 1);
        assert!(db.store.verify_audit(&t).await.unwrap().is_intact());

        // Bad input is refused before anything is written.
        let mut tx = db.store.begin(&t).await.unwrap();
        assert_code(
            tx.audit()
                .append(&NewAuditEntry::new(Actor::Cli, " ", Subject::new("x", "y")))
                .await,
            "STORE_INVALID",
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appenders_in_two_processes_do_not_fork_the_chain() {
    each_engine(|env| async move {
        let db = env.open().await;
        // A second pool on the same database stands in for a second koho process.
        let other = Store::open(&db.url).await.unwrap();
        let (_, t) = municipality(&db.store, "komae").await;
        let (_, quiet) = municipality(&db.store, "mine").await;
        const TASKS_PER_STORE: usize = 3;
        const APPENDS: usize = 15;
        let mut tasks = Vec::new();
        for (s, store) in [db.store.clone(), other.clone()].into_iter().enumerate() {
            for k in 0..TASKS_PER_STORE {
                let store = store.clone();
                let t = t.clone();
                tasks.push(tokio::spawn(async move {
                    let mut seqs = Vec::new();
                    for i in 0..APPENDS {
                        let mut tx = store.begin(&t).await.unwrap();
                        // Read first, then write (on SQLite this would fail with
                        // SQLITE_BUSY_SNAPSHOT without BEGIN IMMEDIATE). PostgreSQL reads are
                        // READ COMMITTED and unlocked, so the head may move in between.
                        let head = tx.audit().head().await.unwrap();
                        let e = tx
                            .audit()
                            .append(&NewAuditEntry::new(
                                Actor::System,
                                "test.append",
                                Subject::new("writer", format!("{s}-{k}-{i}")),
                            ))
                            .await
                            .unwrap();
                        assert!(e.seq > head.seq);
                        tx.commit().await.unwrap();
                        seqs.push(e.seq);
                    }
                    seqs
                }));
            }
        }
        let mut all: Vec<i64> = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all.sort_unstable();
        let total = (2 * TASKS_PER_STORE * APPENDS) as i64;
        assert_eq!(
            all,
            (2..=total + 1).collect::<Vec<_>>(),
            "every seq handed out once"
        );
        let v = db.store.verify_audit(&t).await.unwrap();
        assert!(v.is_intact(), "{v:?}");
        assert_eq!(v.head.unwrap().seq, total + 1);
        assert_eq!(v.entries_checked, total + 1);
        // Times follow the chain order: the clock is read once the chain head is locked.
        let mut r = db.store.read(&t).await.unwrap();
        let entries = r.audit().list(0, 1000).await.unwrap();
        assert!(entries.windows(2).all(|w| w[0].at <= w[1].at));
        drop(r);
        let q = other.verify_audit(&quiet).await.unwrap();
        assert_eq!(q.entries_checked, 1);
        other.close().await;
    })
    .await;
}

//! Dated history appended in bulk (`AuditLog::append_history`): the chain it writes is the
//! chain single appends write, it stays per municipality, and `Store::audit_head` reads the
//! head every change moves.
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

fn entry(i: usize) -> NewAuditEntry {
    NewAuditEntry::new(
        Actor::Cli,
        "post.approve",
        Subject::new("official_account", format!("acc-{}", i % 7)),
    )
    .after(&serde_json::json!({ "n": i, "本文": "お知らせ" }))
    .unwrap()
    .clause("mine", "第4-3")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_history_chains_like_single_appends_and_stays_in_its_municipality() {
    each_engine(|env| async move {
        let db = env.open().await;
        let store = &db.store;
        let (_, a) = municipality(store, "komae").await;
        let (_, b) = municipality(store, "mine").await;
        let b_head = store.audit_head(&b).await.unwrap();

        // More than one multi-row statement's worth, dated in the past.
        let history: Vec<(i64, NewAuditEntry)> = (0..2500)
            .map(|i| (1_600_000_000_000 + i as i64 * 60_000, entry(i)))
            .collect();
        let mut tx = store.begin(&a).await.unwrap();
        let head = tx.audit().append_history(&history).await.unwrap();
        // A single append afterwards continues the same chain.
        let last = tx.audit().append(&entry(9999)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(head.seq, 2501, "creation entry + 2500");
        assert_eq!(last.seq, 2502);
        assert_eq!(last.prev_hash, head.hash);

        let v = store.verify_audit(&a).await.unwrap();
        assert!(v.is_intact(), "{:?}", v.problem);
        assert_eq!(v.entries_checked, 2502);
        let now = store.audit_head(&a).await.unwrap();
        assert_eq!((now.seq, now.hash.clone()), (last.seq, last.hash.clone()));
        let mut r = store.read(&a).await.unwrap();
        let e = r.audit().get(1234).await.unwrap();
        assert_eq!(e.at, 1_600_000_000_000 + 1232 * 60_000);
        drop(r);

        // The other municipality's chain and head are untouched.
        assert_eq!(store.audit_head(&b).await.unwrap().hash, b_head.hash);
        assert!(store.verify_audit(&b).await.unwrap().is_intact());

        // Out-of-order times are refused, and nothing is written.
        let mut tx = store.begin(&a).await.unwrap();
        let bad = vec![(2_000, entry(1)), (1_000, entry(2))];
        assert!(matches!(
            tx.audit().append_history(&bad).await,
            Err(StoreError::Invalid { .. })
        ));
        drop(tx);
        assert_eq!(store.audit_head(&a).await.unwrap().seq, 2502);
    })
    .await;
}

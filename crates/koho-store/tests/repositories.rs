//! Opening, migrations and the repositories' own guarantees (uniqueness, row versions,
//! immutability of policy versions, secrets kept out of listings).
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_migrates_once_and_reopens() {
    each_engine(|env| async move {
        let url = env.fresh_url().await;
        // Two processes opening a fresh database at the same moment.
        let (a, b) = tokio::join!(Store::open(&url), Store::open(&url));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.schema_version().await.unwrap(), SCHEMA_VERSION);
        assert_eq!(a.engine(), env.engine);
        municipality(&a, "komae").await;
        a.close().await;
        b.close().await;
        let again = Store::open(&url).await.unwrap();
        assert_eq!(again.schema_version().await.unwrap(), SCHEMA_VERSION);
        assert_eq!(again.municipalities().await.unwrap().len(), 1);
        let db = TestDb {
            store: again,
            url: url.clone(),
        };
        // One row per embedded migration file, however many features have added one.
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "sql")
            })
            .count();
        assert_eq!(
            db.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM koho_schema_migrations")
                .await,
            files.to_string()
        );
        // A database written by a newer koho is refused, not downgraded.
        db.exec("INSERT INTO koho_schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', 0)")
            .await;
        db.store.close().await;
        assert_code(Store::open(&url).await, "STORE_SCHEMA_TOO_NEW");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_memory_and_bad_urls() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let (_, t) = municipality(&store, "komae").await;
    let mut tx = store.begin(&t).await.unwrap();
    tx.departments()
        .create(&NewDepartment {
            name: "秘書広報課".into(),
            parent_id: None,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store
            .read(&t)
            .await
            .unwrap()
            .departments()
            .list()
            .await
            .unwrap()
            .len(),
        1
    );
    // Another memory store is another database.
    let other = Store::open("sqlite::memory:").await.unwrap();
    assert!(other.municipalities().await.unwrap().is_empty());

    assert_code(Store::open("mysql://localhost/koho").await, "STORE_URL");
    assert_code(Store::open("koho.db").await, "STORE_URL");
    let e = Store::open("ftp://x").await.unwrap_err();
    assert!(e.to_string().contains("sqlite://"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn municipalities_and_departments() {
    each_engine(|env| async move {
        let db = env.open().await;
        let store = &db.store;
        let (m, t) = municipality(store, "komae").await;
        assert_code(
            store
                .create_municipality(
                    &NewMunicipality {
                        slug: "komae".into(),
                        name: "again".into(),
                        guideline_id: "komae".into(),
                    },
                    &Actor::Cli,
                )
                .await,
            "STORE_CONFLICT",
        );
        assert_code(
            store
                .create_municipality(
                    &NewMunicipality {
                        slug: "Komae City".into(),
                        name: "x".into(),
                        guideline_id: "komae".into(),
                    },
                    &Actor::Cli,
                )
                .await,
            "STORE_INVALID",
        );

        let mut tx = store.begin(&t).await.unwrap();
        let mut own = tx.municipality().get().await.unwrap();
        assert_eq!(own, m);
        own.name = "狛江市".into();
        let renamed = tx.municipality().update(&own).await.unwrap();
        assert_eq!(renamed.row_version, 2);
        assert_code(tx.municipality().update(&own).await, "STORE_STALE");

        let top = tx
            .departments()
            .create(&NewDepartment {
                name: "企画財政部".into(),
                parent_id: None,
            })
            .await
            .unwrap();
        let mid = tx
            .departments()
            .create(&NewDepartment {
                name: "秘書広報課".into(),
                parent_id: Some(top.id.clone()),
            })
            .await
            .unwrap();
        let leaf = tx
            .departments()
            .create(&NewDepartment {
                name: "広報係".into(),
                parent_id: Some(mid.id.clone()),
            })
            .await
            .unwrap();
        let chain: Vec<String> = tx
            .departments()
            .ancestry(&leaf.id)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(chain, ["広報係", "秘書広報課", "企画財政部"]);

        // No cycles: the top cannot move under its own grandchild, nor under itself.
        let mut looped = top.clone();
        looped.parent_id = Some(leaf.id.clone());
        assert_code(tx.departments().update(&looped).await, "STORE_INVALID");
        looped.parent_id = Some(top.id.clone());
        assert_code(tx.departments().update(&looped).await, "STORE_INVALID");

        // Stale update.
        let mut renamed = mid.clone();
        renamed.name = "広報課".into();
        tx.departments().update(&renamed).await.unwrap();
        assert_code(tx.departments().update(&renamed).await, "STORE_STALE");
        tx.commit().await.unwrap();

        // Names are unique per municipality.
        let mut tx = store.begin(&t).await.unwrap();
        assert_code(
            tx.departments()
                .create(&NewDepartment {
                    name: "広報係".into(),
                    parent_id: None,
                })
                .await,
            "STORE_CONFLICT",
        );
        drop(tx);
        // A department in use cannot be deleted.
        let mut tx = store.begin(&t).await.unwrap();
        assert_code(tx.departments().delete(&mid.id).await, "STORE_CONFLICT");
        drop(tx);
        let mut tx = store.begin(&t).await.unwrap();
        tx.departments().delete(&leaf.id).await.unwrap();
        assert_not_found(tx.departments().get(&leaf.id).await);
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_roles_and_credentials() {
    each_engine(|env| async move {
        let db = env.open().await;
        let (_, t) = municipality(&db.store, "komae").await;
        let mut tx = db.store.begin(&t).await.unwrap();
        let chief = tx
            .people()
            .create(&NewPerson {
                display_name: "広報 課長".into(),
                email: " Chief@Komae.Example ".into(),
                department_id: None,
                roles: vec![Role::PrOfficeChief, Role::SectionChief, Role::PrOfficeChief],
            })
            .await
            .unwrap();
        assert_eq!(chief.email, "chief@komae.example");
        assert_eq!(chief.roles, [Role::SectionChief, Role::PrOfficeChief]);
        assert!(chief.active);
        let staff = tx
            .people()
            .create(&NewPerson {
                display_name: "担当 一郎".into(),
                email: "staff@komae.example".into(),
                department_id: None,
                roles: vec![Role::Staff],
            })
            .await
            .unwrap();
        assert_code(
            tx.people()
                .create(&NewPerson {
                    display_name: "x".into(),
                    email: "not-an-address".into(),
                    department_id: None,
                    roles: vec![],
                })
                .await,
            "STORE_INVALID",
        );
        let chiefs = tx
            .people()
            .list_with_role(Role::PrOfficeChief)
            .await
            .unwrap();
        assert_eq!(chiefs, vec![chief.clone()]);
        assert_eq!(
            tx.people()
                .get_by_email("CHIEF@komae.example")
                .await
                .unwrap()
                .id,
            chief.id
        );

        tx.people()
            .set_password_hash(&chief.id, Some(&Secret::new("$argon2id$secret-hash")))
            .await
            .unwrap();
        tx.people()
            .set_totp_secret(&chief.id, Some(&Secret::new("TOTPSECRETVALUE")))
            .await
            .unwrap();
        let listed = format!("{:?}", tx.people().list().await.unwrap());
        assert!(
            !listed.contains("argon2") && !listed.contains("TOTPSECRET"),
            "{listed}"
        );
        let cred = tx.people().credentials(&chief.id).await.unwrap();
        assert!(!format!("{cred:?}").contains("argon2"));
        assert_eq!(
            cred.password_hash.unwrap().expose(),
            "$argon2id$secret-hash"
        );
        tx.people().set_totp_secret(&chief.id, None).await.unwrap();
        assert_eq!(
            tx.people()
                .credentials(&chief.id)
                .await
                .unwrap()
                .totp_secret,
            None
        );

        // Update replaces roles; deactivate instead of delete.
        let mut s = staff.clone();
        s.roles = vec![Role::Contractor];
        s.active = false;
        let s = tx.people().update(&s).await.unwrap();
        assert_eq!(s.roles, [Role::Contractor]);
        assert!(!s.active);
        assert!(
            tx.people()
                .list_with_role(Role::Staff)
                .await
                .unwrap()
                .is_empty()
        );
        assert_code(tx.people().update(&staff).await, "STORE_STALE");
        tx.commit().await.unwrap();

        let mut tx = db.store.begin(&t).await.unwrap();
        let mut dup = s.clone();
        dup.email = "chief@komae.example".into();
        assert_code(tx.people().update(&dup).await, "STORE_CONFLICT");
        drop(tx);

        let mut tx = db.store.begin(&t).await.unwrap();
        tx.people().delete(&staff.id).await.unwrap();
        assert_not_found(tx.people().get(&staff.id).await);
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_applications_policies_events() {
    each_engine(|env| async move {
        let db = env.open().await;
        let w = world(&db.store, "komae", "@Komae_City").await;
        let mut tx = db.store.begin(&w.tenant).await.unwrap();

        // Handles are unique per platform after normalisation, free across platforms.
        assert_eq!(w.account.handle_normalized, "komae_city");
        assert_eq!(
            tx.accounts()
                .get_by_handle(Platform::X, "komae_city")
                .await
                .unwrap()
                .id,
            w.account.id
        );
        let other_platform = tx
            .accounts()
            .create(&new_account(account_fields(
                Platform::Instagram,
                "komae_city",
            )))
            .await
            .unwrap();
        assert_eq!(
            tx.accounts()
                .list_by_department(&w.department.id)
                .await
                .unwrap(),
            vec![w.account.clone()]
        );
        assert_code(
            tx.accounts()
                .create(&new_account(account_fields(Platform::Line, "  @ ")))
                .await,
            "STORE_INVALID",
        );
        // Optimistic concurrency on update; state is free text to the store.
        let mut acc = tx.accounts().get(&w.account.id).await.unwrap();
        acc.state = AccountState::Suspended;
        acc.fields.content_categories.push("tourism".into());
        let updated = tx.accounts().update(&acc).await.unwrap();
        assert_eq!(updated.row_version, acc.row_version + 1);
        assert_eq!(updated.fields.content_categories.len(), 3);
        assert_code(tx.accounts().update(&acc).await, "STORE_STALE");
        tx.accounts()
            .record_followers(&w.account.id, 4321)
            .await
            .unwrap();
        assert_eq!(
            tx.accounts()
                .get(&w.account.id)
                .await
                .unwrap()
                .followers_count,
            Some(4321)
        );
        assert_code(
            tx.accounts().record_followers(&w.account.id, -1).await,
            "STORE_INVALID",
        );
        assert_eq!(
            tx.accounts()
                .list_by_state(AccountState::Suspended)
                .await
                .unwrap()
                .len(),
            1
        );

        // Applications: decision recorded through update.
        let mut app = tx.applications().get(&w.application.id).await.unwrap();
        assert_eq!(app.checklist["overlap_checked"], true);
        app.status = ApplicationStatus::Approved;
        app.decision = Some(Decision {
            by: w.person.id.clone(),
            at: 1_700_000_100_000,
            reason: Some("第4条により承認".into()),
            waiver: true,
        });
        let decided = tx.applications().update(&app).await.unwrap();
        assert_eq!(decided.decision, app.decision);
        assert_eq!(
            tx.applications()
                .list_by_status(ApplicationStatus::Approved)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_code(tx.applications().update(&app).await, "STORE_STALE");
        let mut bad = NewApplication {
            kind: ApplicationKind::PurposeChange,
            account_id: None,
            proposal: account_fields(Platform::X, "x"),
            plan: String::new(),
            applicant_id: w.person.id.clone(),
            checklist: serde_json::json!(null),
            overlap_account_ids: vec![],
            status: ApplicationStatus::Draft,
            form_number: None,
            submitted_at: None,
        };
        assert_code(tx.applications().create(&bad).await, "STORE_INVALID");
        bad.kind = ApplicationKind::Opening;
        let draft_app = tx.applications().create(&bad).await.unwrap();
        tx.applications().delete(&draft_app.id).await.unwrap();

        // Policy versions: numbered per account, one published, never edited.
        let v2 = w.draft_policy.clone();
        assert_eq!(w.published_policy.version, 1);
        assert_eq!(v2.version, 2);
        let (published, superseded) = tx
            .policies()
            .publish(&v2.id, 1_800_000_000_000)
            .await
            .unwrap();
        assert_eq!(published.status, PolicyStatus::Published);
        assert_eq!(published.published_at, Some(1_800_000_000_000));
        let superseded = superseded.unwrap();
        assert_eq!(superseded.id, w.published_policy.id);
        assert_eq!(superseded.status, PolicyStatus::Superseded);
        assert_eq!(superseded.body, w.published_policy.body);
        assert_eq!(
            tx.policies()
                .published(&w.account.id)
                .await
                .unwrap()
                .unwrap()
                .id,
            v2.id
        );
        assert_code(tx.policies().publish(&v2.id, 1).await, "STORE_IMMUTABLE");
        assert_code(tx.policies().delete_draft(&v2.id).await, "STORE_IMMUTABLE");
        let v3 = tx
            .policies()
            .create_draft(&NewPolicyVersion {
                account_id: w.account.id.clone(),
                body: "v3".into(),
                created_by: Actor::Cli,
            })
            .await
            .unwrap();
        assert_eq!(v3.version, 3);
        let first_other = tx
            .policies()
            .create_draft(&NewPolicyVersion {
                account_id: other_platform.id.clone(),
                body: "ig v1".into(),
                created_by: Actor::Cli,
            })
            .await
            .unwrap();
        assert_eq!(first_other.version, 1);
        assert_eq!(
            tx.policies().get_version(&w.account.id, 3).await.unwrap(),
            v3
        );
        tx.policies().delete_draft(&v3.id).await.unwrap();
        let versions: Vec<i64> = tx
            .policies()
            .list_for_account(&w.account.id)
            .await
            .unwrap()
            .iter()
            .map(|v| v.version)
            .collect();
        assert_eq!(versions, [1, 2]);

        // Events: due list and the movable next check.
        let due = tx.events().list_due(1_700_200_000_000).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].related_account_id.as_ref(), Some(&w.account.id));
        assert_eq!(due[0].payload["impact_followers"], 100);
        let moved = tx
            .events()
            .set_next_check(&w.event.id, Some(1_900_000_000_000))
            .await
            .unwrap();
        assert_eq!(moved.next_check_at, Some(1_900_000_000_000));
        assert!(
            tx.events()
                .list_due(1_700_200_000_000)
                .await
                .unwrap()
                .is_empty()
        );
        assert_code(
            tx.events()
                .create(&NewAccountEvent {
                    account_id: w.account.id.clone(),
                    kind: "Suspension!".into(),
                    payload: serde_json::json!({}),
                    occurred_at: 0,
                    effective_at: None,
                    next_check_at: None,
                    related_account_id: None,
                    recorded_by: Actor::Cli,
                })
                .await,
            "STORE_INVALID",
        );
        tx.commit().await.unwrap();

        // An account others refer to cannot be deleted; an unreferenced one can.
        let mut tx = db.store.begin(&w.tenant).await.unwrap();
        assert_code(tx.accounts().delete(&w.account.id).await, "STORE_CONFLICT");
        drop(tx);
        let mut tx = db.store.begin(&w.tenant).await.unwrap();
        let lonely = tx
            .accounts()
            .create(&new_account(account_fields(
                Platform::Bluesky,
                "komae.bsky.social",
            )))
            .await
            .unwrap();
        tx.accounts().delete(&lonely.id).await.unwrap();
        tx.commit().await.unwrap();

        // A reader cannot write: its repositories have no write functions, and on
        // PostgreSQL the transaction itself is READ ONLY.
        let mut r = db.store.read(&w.tenant).await.unwrap();
        assert_eq!(r.accounts().list().await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_links_are_one_per_job_image_and_only_grow_longer() {
    each_engine(|env| async move {
        let db = env.open().await;
        let w = world(&db.store, "kamisu", "@kamisu_city").await;
        let mut tx = db.store.begin(&w.tenant).await.unwrap();
        let job = tx
            .publish_jobs()
            .enqueue(&NewPublishJob {
                account_id: w.account.id.clone(),
                // A broadcast job: it needs no post target row.
                post_target_id: None,
                kind: JobKind::Emergency,
                broadcast_id: Some("b-media".into()),
                body: "お知らせ".into(),
                media: vec![JobMedia {
                    bytes: vec![1, 2, 3],
                    mime: "image/png".into(),
                    alt_text: None,
                }],
                idempotency_key: "key-media-1".into(),
                not_before: 0,
                deadline: 10,
                created_by: Actor::Cli,
            })
            .await
            .unwrap();
        assert_eq!(
            tx.publish_jobs()
                .get_by_idempotency_key("key-media-1")
                .await
                .unwrap()
                .unwrap()
                .id,
            job.id
        );
        assert_eq!(
            tx.publish_jobs()
                .get_by_idempotency_key("no-such-key")
                .await
                .unwrap(),
            None
        );
        let first_token = "a".repeat(64);
        let l1 = tx
            .media_links()
            .issue(&job.id, 0, &first_token, 1_000)
            .await
            .unwrap();
        assert_eq!(l1.token, first_token);
        assert_eq!(l1.expires_at, 1_000);
        // Asked again (a retried publish) with another candidate: the same token, the
        // expiry moved out, never in.
        let l2 = tx
            .media_links()
            .issue(&job.id, 0, &"b".repeat(64), 5_000)
            .await
            .unwrap();
        assert_eq!(l2.token, first_token);
        assert_eq!(l2.expires_at, 5_000);
        let l3 = tx
            .media_links()
            .issue(&job.id, 0, &"c".repeat(64), 2_000)
            .await
            .unwrap();
        assert_eq!(
            (l3.token.as_str(), l3.expires_at),
            (first_token.as_str(), 5_000)
        );
        // Another image of the job is another link.
        let other = tx
            .media_links()
            .issue(&job.id, 1, &"d".repeat(64), 5_000)
            .await
            .unwrap();
        assert_ne!(other.token, first_token);
        assert_eq!(
            tx.media_links()
                .get(&first_token)
                .await
                .unwrap()
                .unwrap()
                .media_index,
            0
        );
        assert_eq!(tx.media_links().get(&"e".repeat(64)).await.unwrap(), None);
        // Short tokens, negative indexes and unknown jobs are refused.
        assert_code(
            tx.media_links().issue(&job.id, 2, "short", 5_000).await,
            "STORE_INVALID",
        );
        assert_code(
            tx.media_links()
                .issue(&job.id, -1, &"f".repeat(64), 5_000)
                .await,
            "STORE_INVALID",
        );
        assert_not_found(
            tx.media_links()
                .issue(&PublishJobId::from("nope"), 0, &"f".repeat(64), 5_000)
                .await,
        );
        // The token never appears when the link is serialised (audit entries).
        let shown = serde_json::to_string(&l1).unwrap();
        assert!(!shown.contains(&first_token), "{shown}");
        tx.commit().await.unwrap();
    })
    .await;
}

//! Tenancy isolation: through every repository function, municipality A cannot read,
//! change or delete municipality B's rows, nor point its own rows at them.
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
async fn no_repository_function_crosses_municipalities() {
    each_engine(|env| async move {
        let db = env.open().await;
        let store = &db.store;
        let a = world(store, "komae", "komae_city").await;
        let b = world(store, "mine", "mine_city").await;
        let bo = outbox_rows(store, &b).await;
        let b_before = b_snapshot(store, &b).await;

        let mut tx = store.begin(&a.tenant).await.unwrap();

        // --- municipality record
        let own = tx.municipality().get().await.unwrap();
        assert_eq!(own.id, a.municipality.id);
        assert_not_found(tx.municipality().update(&b.municipality).await);

        // --- departments
        let mut d = tx.departments();
        assert_not_found(d.get(&b.department.id).await);
        assert_not_found(d.ancestry(&b.sub_department.id).await);
        assert!(
            d.list()
                .await
                .unwrap()
                .iter()
                .all(|x| x.municipality_id == a.municipality.id)
        );
        assert_not_found(
            d.create(&NewDepartment {
                name: "越境課".into(),
                parent_id: Some(b.department.id.clone()),
            })
            .await,
        );
        assert_not_found(d.update(&b.department).await);
        let mut moved = a.sub_department.clone();
        moved.parent_id = Some(b.department.id.clone());
        assert_not_found(d.update(&moved).await);
        assert_not_found(d.delete(&b.department.id).await);

        // --- people
        let mut p = tx.people();
        assert_not_found(p.get(&b.person.id).await);
        assert_not_found(p.get_by_email(&b.person.email).await);
        assert!(
            p.list()
                .await
                .unwrap()
                .iter()
                .all(|x| x.municipality_id == a.municipality.id)
        );
        assert!(
            p.list_with_role(Role::Staff)
                .await
                .unwrap()
                .iter()
                .all(|x| x.municipality_id == a.municipality.id)
        );
        assert!(
            p.list_in_department(&b.department.id)
                .await
                .unwrap()
                .is_empty()
        );
        assert_not_found(p.credentials(&b.person.id).await);
        assert_not_found(
            p.create(&NewPerson {
                display_name: "越境".into(),
                email: "x@komae.example".into(),
                department_id: Some(b.department.id.clone()),
                roles: vec![],
            })
            .await,
        );
        assert_not_found(p.update(&b.person).await);
        let mut b_person_in_a_dept = b.person.clone();
        b_person_in_a_dept.department_id = Some(a.department.id.clone());
        assert_not_found(p.update(&b_person_in_a_dept).await);
        assert_not_found(
            p.set_password_hash(&b.person.id, Some(&Secret::new("stolen")))
                .await,
        );
        assert_not_found(p.set_totp_secret(&b.person.id, None).await);
        assert_not_found(p.delete(&b.person.id).await);

        // --- official accounts
        let mut acc = tx.accounts();
        assert_not_found(acc.get(&b.account.id).await);
        assert_not_found(acc.get_by_handle(Platform::X, "mine_city").await);
        assert!(
            acc.list()
                .await
                .unwrap()
                .iter()
                .all(|x| x.municipality_id == a.municipality.id)
        );
        assert!(
            acc.list_by_state(AccountState::Active)
                .await
                .unwrap()
                .iter()
                .all(|x| x.municipality_id == a.municipality.id)
        );
        assert!(
            acc.list_by_department(&b.department.id)
                .await
                .unwrap()
                .is_empty()
        );
        let mut f = account_fields(Platform::Instagram, "cross");
        f.department_id = Some(b.department.id.clone());
        assert_not_found(acc.create(&new_account(f)).await);
        let mut f = account_fields(Platform::Instagram, "cross");
        f.manager_id = Some(b.person.id.clone());
        assert_not_found(acc.create(&new_account(f)).await);
        assert_not_found(acc.update(&b.account).await);
        let mut b_account_with_a_refs = b.account.clone();
        b_account_with_a_refs.fields.department_id = Some(a.department.id.clone());
        b_account_with_a_refs.fields.manager_id = Some(a.person.id.clone());
        assert_not_found(acc.update(&b_account_with_a_refs).await);
        assert_not_found(acc.record_followers(&b.account.id, 1).await);
        assert_not_found(acc.delete(&b.account.id).await);

        // --- applications
        let mut ap = tx.applications();
        assert_not_found(ap.get(&b.application.id).await);
        assert!(
            ap.list()
                .await
                .unwrap()
                .iter()
                .all(|x| x.municipality_id == a.municipality.id)
        );
        assert!(
            ap.list_by_status(ApplicationStatus::Submitted)
                .await
                .unwrap()
                .iter()
                .all(|x| x.municipality_id == a.municipality.id)
        );
        assert!(ap.list_for_account(&b.account.id).await.unwrap().is_empty());
        let base = NewApplication {
            kind: ApplicationKind::Opening,
            account_id: None,
            proposal: account_fields(Platform::Line, "@komae_line"),
            plan: "plan".into(),
            applicant_id: a.person.id.clone(),
            checklist: serde_json::json!({}),
            overlap_account_ids: vec![],
            status: ApplicationStatus::Draft,
            form_number: None,
            submitted_at: None,
        };
        let mut n = base.clone();
        n.applicant_id = b.person.id.clone();
        assert_not_found(ap.create(&n).await);
        let mut n = base.clone();
        n.account_id = Some(b.account.id.clone());
        assert_not_found(ap.create(&n).await);
        let mut n = base.clone();
        n.overlap_account_ids = vec![b.account.id.clone()];
        assert_not_found(ap.create(&n).await);
        let mut n = base.clone();
        n.proposal.manager_id = Some(b.person.id.clone());
        assert_not_found(ap.create(&n).await);
        assert_not_found(ap.update(&b.application).await);
        let mut b_app_with_a_refs = b.application.clone();
        b_app_with_a_refs.account_id = Some(a.account.id.clone());
        b_app_with_a_refs.applicant_id = a.person.id.clone();
        b_app_with_a_refs.overlap_account_ids = vec![];
        b_app_with_a_refs.proposal = account_fields(Platform::X, "whatever");
        assert_not_found(ap.update(&b_app_with_a_refs).await);
        let mut own_app = a.application.clone();
        own_app.decision = Some(Decision {
            by: b.person.id.clone(),
            at: 1,
            reason: None,
            waiver: false,
        });
        assert_not_found(ap.update(&own_app).await);
        assert_not_found(ap.delete(&b.application.id).await);

        // --- operation policy versions
        let mut pv = tx.policies();
        assert_not_found(pv.get(&b.published_policy.id).await);
        assert_not_found(pv.get_version(&b.account.id, 1).await);
        assert!(pv.list_for_account(&b.account.id).await.unwrap().is_empty());
        assert_eq!(pv.published(&b.account.id).await.unwrap(), None);
        assert_not_found(
            pv.create_draft(&NewPolicyVersion {
                account_id: b.account.id.clone(),
                body: "x".into(),
                created_by: Actor::Cli,
            })
            .await,
        );
        assert_not_found(pv.publish(&b.draft_policy.id, 1).await);
        assert_not_found(pv.delete_draft(&b.draft_policy.id).await);

        // --- account events
        let mut ev = tx.events();
        assert_not_found(ev.get(&b.event.id).await);
        assert!(ev.list_for_account(&b.account.id).await.unwrap().is_empty());
        assert!(
            ev.list_due(i64::MAX)
                .await
                .unwrap()
                .iter()
                .all(|x| x.municipality_id == a.municipality.id)
        );
        let new_event = NewAccountEvent {
            account_id: b.account.id.clone(),
            kind: "closure".into(),
            payload: serde_json::json!({}),
            occurred_at: 1,
            effective_at: None,
            next_check_at: None,
            related_account_id: None,
            recorded_by: Actor::Cli,
        };
        assert_not_found(ev.create(&new_event).await);
        let mut e = new_event.clone();
        e.account_id = a.account.id.clone();
        e.related_account_id = Some(b.account.id.clone());
        assert_not_found(ev.create(&e).await);
        assert_not_found(ev.set_next_check(&b.event.id, None).await);

        // --- publishing outbox: jobs, credentials, holds, alerts
        let mut pj = tx.publish_jobs();
        assert_not_found(pj.get(&bo.job.id).await);
        assert_eq!(
            pj.get_by_target(&PostTargetId::from("b-target"))
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            pj.get_by_idempotency_key(&bo.job.idempotency_key)
                .await
                .unwrap(),
            None
        );
        assert!(
            pj.list(None, 1000)
                .await
                .unwrap()
                .iter()
                .all(|j| j.municipality_id == a.municipality.id)
        );
        assert!(
            pj.list_for_broadcast("b-broadcast")
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            pj.list_overdue(i64::MAX)
                .await
                .unwrap()
                .iter()
                .all(|j| j.municipality_id == a.municipality.id)
        );
        assert!(pj.count_by_state().await.unwrap().is_empty());
        assert_not_found(pj.enqueue(&new_job(&b.account.id, "cross")).await);
        let claimed = pj
            .claim(&ClaimRequest {
                owner: "a-worker",
                now: i64::MAX - 1,
                lease_ms: 1,
                limit: 100,
                broadcast_id: None,
            })
            .await
            .unwrap();
        assert!(claimed.is_empty(), "claimed B's job: {claimed:?}");
        assert_not_found(pj.update(&bo.job).await);
        let mut ml = tx.media_links();
        assert_eq!(ml.get(&bo.media_token).await.unwrap(), None);
        assert_eq!(ml.get_for(&bo.job.id, 0).await.unwrap(), None);
        assert_not_found(ml.issue(&bo.job.id, 0, &"a".repeat(64), 1).await);
        let mut cr = tx.credentials();
        assert_eq!(cr.get(&b.account.id).await.unwrap(), None);
        assert!(cr.list().await.unwrap().is_empty());
        assert_not_found(
            cr.put(&NewCredential {
                account_id: b.account.id.clone(),
                account_ref: "x".into(),
                sealed: "x".into(),
                key_id: "k".into(),
                expires_at: None,
            })
            .await,
        );
        assert!(
            !cr.try_begin_refresh(&b.account.id, "a", 0, 1)
                .await
                .unwrap()
        );
        assert!(
            !cr.finish_refresh(&b.account.id, "b-owner", "x", "k", None)
                .await
                .unwrap()
        );
        cr.abandon_refresh(&b.account.id, "b-owner").await.unwrap();
        assert_not_found(cr.mark_expired(&b.account.id).await);
        assert_not_found(cr.delete(&b.account.id).await);
        let mut ho = tx.holds();
        assert_eq!(ho.get(&b.account.id).await.unwrap(), None);
        assert!(ho.list_active(0).await.unwrap().is_empty());
        assert_not_found(ho.hold(&b.account.id, i64::MAX, "rate-limited", "x").await);
        assert!(!ho.clear(&b.account.id).await.unwrap());
        let mut al = tx.publish_alerts();
        assert_not_found(al.get(&bo.alert.id).await);
        assert!(al.list_open().await.unwrap().is_empty());
        assert!(al.list_for_account(&b.account.id).await.unwrap().is_empty());
        let alert = NewAlert {
            account_id: b.account.id.clone(),
            job_id: None,
            kind: AlertKind::Failed,
            message: "x".into(),
            report_to: None,
        };
        assert_not_found(al.create(&alert).await);
        assert_not_found(
            al.create(&NewAlert {
                account_id: a.account.id.clone(),
                job_id: Some(bo.job.id.clone()),
                ..alert.clone()
            })
            .await,
        );
        assert_not_found(al.resolve(&bo.alert.id, &Actor::Cli, 1).await);

        // --- audit log: seqs are per municipality, so "B's row" is any seq past A's head
        let mut au = tx.audit();
        assert_eq!(au.head().await.unwrap().seq, a.audit_head);
        assert_not_found(au.get(a.audit_head + 1).await);
        let all = au.list(0, 10_000).await.unwrap();
        assert_eq!(all.len() as i64, a.audit_head);
        assert!(all.iter().all(|x| x.municipality_id == a.municipality.id));
        assert!(
            au.list_for_subject(&Subject::new("account", b.account.id.as_str()))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(au.verify().await.unwrap().is_intact());
        tx.rollback().await.unwrap();

        // --- the read-only view answers the same way
        let mut r = store.read(&a.tenant).await.unwrap();
        assert_not_found(r.accounts().get(&b.account.id).await);
        assert_not_found(r.people().get(&b.person.id).await);
        assert_not_found(r.departments().get(&b.department.id).await);
        assert_not_found(r.applications().get(&b.application.id).await);
        assert_not_found(r.policies().get(&b.published_policy.id).await);
        assert_not_found(r.events().get(&b.event.id).await);
        drop(r);

        // --- B is untouched and both chains verify
        assert_eq!(b_snapshot(store, &b).await, b_before);
        assert!(store.verify_audit(&a.tenant).await.unwrap().is_intact());
        assert!(store.verify_audit(&b.tenant).await.unwrap().is_intact());

        // --- tenant handles exist only for real municipalities
        assert_code(
            store.tenant(&MunicipalityId::from("nope")).await,
            "STORE_TENANT",
        );
        assert_code(store.tenant_by_slug("nope").await, "STORE_TENANT");
        assert_eq!(store.tenant_by_slug("mine").await.unwrap(), b.tenant);
    })
    .await;
}

/// Everything of B as text, to compare before and after A's attempts.
async fn b_snapshot(store: &Store, b: &World) -> String {
    let mut r = store.read(&b.tenant).await.unwrap();
    let cred = r.people().credentials(&b.person.id).await.unwrap();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        r.municipality().get().await.unwrap(),
        r.departments().list().await.unwrap(),
        r.people().list().await.unwrap(),
        cred.password_hash.map(|s| s.expose().to_owned()),
        r.accounts().list().await.unwrap(),
        r.applications().list().await.unwrap(),
        r.policies().list_for_account(&b.account.id).await.unwrap(),
        r.events().list_for_account(&b.account.id).await.unwrap(),
        r.audit().list(0, 10_000).await.unwrap(),
    ) + &format!(
        "\n{:?}\n{:?}\n{:?}\n{:?}",
        r.publish_jobs().list(None, 1_000).await.unwrap(),
        r.credentials()
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.sealed.clone(), c))
            .collect::<Vec<_>>(),
        r.holds().get(&b.account.id).await.unwrap(),
        r.publish_alerts()
            .list_for_account(&b.account.id)
            .await
            .unwrap(),
    ) + &{
        let jobs = r.publish_jobs().list(None, 1_000).await.unwrap();
        let mut links = Vec::new();
        for j in &jobs {
            links.push(r.media_links().get_for(&j.id, 0).await.unwrap());
        }
        format!("\n{links:?}")
    }
}

/// The posting tables: municipality A reaches none of B's posts, versions, targets,
/// decisions, post-hoc reports, requests or notifications, and cannot point its own rows
/// at B's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_post_function_crosses_municipalities() {
    each_engine(|env| async move {
        let db = env.open().await;
        let store = &db.store;
        let a = world(store, "komae", "komae_city").await;
        let b = world(store, "mine", "mine_city").await;

        // B's posting rows.
        let mut tx = store.begin(&b.tenant).await.unwrap();
        let req = tx
            .posts()
            .create_request(&NewDepartmentRequest {
                department_id: b.department.id.clone(),
                submitted_by: b.person.id.clone(),
                title: "観光案内".into(),
                body: "本文".into(),
                desired_at: None,
            })
            .await
            .unwrap();
        let post = tx
            .posts()
            .create(&NewPost {
                kind: PostKind::Original,
                corrects_post_id: None,
                share_category: None,
                share_url: None,
                request_id: Some(req.id.clone()),
                department_id: Some(b.department.id.clone()),
                author_id: b.person.id.clone(),
                matters: vec![],
                publish_at: Some(1_800_000_000_000),
            })
            .await
            .unwrap();
        let version = tx
            .posts()
            .add_version(&NewPostVersion {
                post_id: post.id.clone(),
                body: "秋吉台の山焼き".into(),
                apology: None,
                variants: serde_json::json!({}),
                diagnostics: serde_json::json!({"platforms": []}),
                error_count: 0,
                author_id: b.person.id.clone(),
                images: vec![],
            })
            .await
            .unwrap();
        let target = tx
            .posts()
            .add_target(&post.id, &b.account.id)
            .await
            .unwrap();
        let decision = tx
            .posts()
            .add_decision(&NewPostDecision {
                post_id: post.id.clone(),
                version: 1,
                kind: DecisionKind::Exception,
                decided_by: b.person.id.clone(),
                exception_id: Some("emergency".into()),
                reason: Some("緊急".into()),
                clause_label: Some("第4-6".into()),
                decided_at: 1,
            })
            .await
            .unwrap();
        let report = tx
            .posts()
            .create_report(&NewPostHocReport {
                post_id: post.id.clone(),
                report_to_role: "section-chief".into(),
                exception_id: "emergency".into(),
                reason: "緊急".into(),
                reported_by: b.person.id.clone(),
                next_reminder_at: Some(1),
            })
            .await
            .unwrap();
        let note = tx
            .posts()
            .notify(&NewNotification {
                person_id: b.person.id.clone(),
                kind: "post-expired".into(),
                subject_type: "post".into(),
                subject_id: post.id.to_string(),
                message: "期限切れ".into(),
                clause_label: None,
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let snapshot = |store: Store, b_tenant: Tenant, post: PostId, person: PersonId| async move {
            let mut r = store.read(&b_tenant).await.unwrap();
            let mut p = r.posts();
            format!(
                "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
                p.get(&post).await.unwrap(),
                p.versions(&post).await.unwrap(),
                p.targets(&post).await.unwrap(),
                p.decisions(&post).await.unwrap(),
                p.report_for(&post).await.unwrap(),
                p.requests().await.unwrap(),
                p.notifications(&person).await.unwrap(),
            )
        };
        let before = snapshot(
            store.clone(),
            b.tenant.clone(),
            post.id.clone(),
            b.person.id.clone(),
        )
        .await;

        let mut tx = store.begin(&a.tenant).await.unwrap();
        let mut p = tx.posts();
        assert_not_found(p.get(&post.id).await);
        assert!(p.list(None).await.unwrap().is_empty());
        assert!(
            p.list_timed(PostState::Draft, i64::MAX)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(p.corrections_of(&post.id).await.unwrap().is_empty());
        assert_not_found(p.version(&post.id, 1).await);
        assert!(p.versions(&post.id).await.unwrap().is_empty());
        assert_not_found(p.target(&target.id).await);
        assert!(p.targets(&post.id).await.unwrap().is_empty());
        assert!(
            p.targets_timed(TargetState::Waiting, i64::MAX)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(p.published_targets(100).await.unwrap().is_empty());
        assert!(p.decisions(&post.id).await.unwrap().is_empty());
        assert!(p.report_for(&post.id).await.unwrap().is_none());
        assert!(p.open_reports().await.unwrap().is_empty());
        assert_not_found(p.request(&req.id).await);
        assert!(p.requests().await.unwrap().is_empty());
        assert!(p.notifications(&b.person.id).await.unwrap().is_empty());
        // Writes on B's rows, or pointing at them.
        assert_not_found(p.update(&post).await);
        assert_not_found(
            p.add_version(&NewPostVersion {
                post_id: post.id.clone(),
                body: "乗っ取り".into(),
                apology: None,
                variants: serde_json::json!({}),
                diagnostics: serde_json::json!({}),
                error_count: 0,
                author_id: a.person.id.clone(),
                images: vec![],
            })
            .await,
        );
        assert_not_found(p.add_target(&post.id, &a.account.id).await);
        assert_not_found(p.remove_target(&target.id).await);
        assert_not_found(p.update_target(&target).await);
        let mut new_a = NewPost {
            kind: PostKind::Correction,
            corrects_post_id: Some(post.id.clone()),
            share_category: None,
            share_url: None,
            request_id: None,
            department_id: Some(a.department.id.clone()),
            author_id: a.person.id.clone(),
            matters: vec![],
            publish_at: None,
        };
        assert_not_found(p.create(&new_a).await);
        new_a.corrects_post_id = None;
        new_a.request_id = Some(req.id.clone());
        assert_not_found(p.create(&new_a).await);
        new_a.request_id = None;
        new_a.author_id = b.person.id.clone();
        assert_not_found(p.create(&new_a).await);
        new_a.author_id = a.person.id.clone();
        new_a.kind = PostKind::Original;
        let own = p.create(&new_a).await.unwrap();
        assert_not_found(p.add_target(&own.id, &b.account.id).await);
        assert_not_found(
            p.add_decision(&NewPostDecision {
                post_id: post.id.clone(),
                version: 1,
                kind: DecisionKind::Approve,
                decided_by: a.person.id.clone(),
                exception_id: None,
                reason: None,
                clause_label: None,
                decided_at: 2,
            })
            .await,
        );
        assert_not_found(
            p.add_decision(&NewPostDecision {
                post_id: own.id.clone(),
                version: 1,
                kind: DecisionKind::Approve,
                decided_by: b.person.id.clone(),
                exception_id: None,
                reason: None,
                clause_label: None,
                decided_at: 2,
            })
            .await,
        );
        assert_not_found(
            p.create_report(&NewPostHocReport {
                post_id: post.id.clone(),
                report_to_role: "section-chief".into(),
                exception_id: "emergency".into(),
                reason: "x".into(),
                reported_by: a.person.id.clone(),
                next_reminder_at: None,
            })
            .await,
        );
        assert_not_found(p.update_report(&report).await);
        assert_not_found(
            p.create_request(&NewDepartmentRequest {
                department_id: b.department.id.clone(),
                submitted_by: a.person.id.clone(),
                title: "x".into(),
                body: "x".into(),
                desired_at: None,
            })
            .await,
        );
        assert_not_found(p.update_request(&req).await);
        assert_not_found(
            p.notify(&NewNotification {
                person_id: b.person.id.clone(),
                kind: "x".into(),
                subject_type: "post".into(),
                subject_id: "x".into(),
                message: "x".into(),
                clause_label: None,
            })
            .await,
        );
        assert_not_found(p.mark_read(&note.id, 5).await);
        let _ = (&version, &decision);
        tx.rollback().await.unwrap();

        let after = snapshot(
            store.clone(),
            b.tenant.clone(),
            post.id.clone(),
            b.person.id.clone(),
        )
        .await;
        assert_eq!(before, after);
    })
    .await;
}

/// The sign-in repositories (sessions, login states, API tokens, preferences) are bound to
/// the tenant like the register's: A cannot see, use, end or change B's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sign_in_repository_function_crosses_municipalities() {
    each_engine(|env| async move {
        let db = env.open().await;
        let store = &db.store;
        let a = world(store, "komae", "komae_city").await;
        let b = world(store, "mine", "mine_city").await;
        let now = 1_800_000_000_000;

        // B: a session, a login state, an API token and a preference.
        let b_session_hash = token_hash("mine.b-session");
        let b_token_hash = token_hash("koho_mine.b-token");
        let mut tx = store.begin(&b.tenant).await.unwrap();
        let b_session = tx
            .sessions()
            .create(&NewSession {
                token_hash: b_session_hash.clone(),
                person_id: b.person.id.clone(),
                now,
                idle_expires_at: now + 1_000,
                absolute_expires_at: now + 10_000,
                user_agent: Some("Firefox / Linux".into()),
            })
            .await
            .unwrap();
        tx.login_states()
            .put(
                &b.person.id,
                &LoginState {
                    consecutive_failures: 2,
                    last_failure_at: Some(now),
                    ..LoginState::default()
                },
            )
            .await
            .unwrap();
        let b_token = tx
            .api_tokens()
            .create(&NewApiToken {
                name: "export".into(),
                token_hash: b_token_hash.clone(),
                person_id: b.person.id.clone(),
                role: Role::Staff,
                created_by: Actor::Cli,
                now,
                expires_at: now + 1_000_000,
            })
            .await
            .unwrap();
        tx.preferences()
            .set_ui_lang(&b.person.id, Some("en"), now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let b_before = b_auth_snapshot(store, &b, &b_session.id).await;

        let mut tx = store.begin(&a.tenant).await.unwrap();
        // --- sessions
        let mut s = tx.sessions();
        assert_not_found(s.get(&b_session.id).await);
        assert_not_found(s.get_by_token_hash(&b_session_hash).await);
        assert!(s.list_for_person(&b.person.id).await.unwrap().is_empty());
        assert!(
            s.list_live(now)
                .await
                .unwrap()
                .iter()
                .all(|x| x.municipality_id == a.municipality.id)
        );
        assert_not_found(
            s.create(&NewSession {
                token_hash: token_hash("komae.x"),
                person_id: b.person.id.clone(),
                now,
                idle_expires_at: now + 1,
                absolute_expires_at: now + 2,
                user_agent: None,
            })
            .await,
        );
        assert_not_found(s.touch(&b_session.id, now + 1, now + 5_000).await);
        assert_not_found(s.revoke(&b_session.id, now, "stolen").await);
        assert_not_found(s.revoke_all_for_person(&b.person.id, now, "stolen").await);
        assert_eq!(s.purge_ended(now + 1_000_000).await.unwrap(), 0);

        // --- login states
        let mut l = tx.login_states();
        assert_not_found(l.get(&b.person.id).await);
        assert_not_found(l.put(&b.person.id, &LoginState::default()).await);

        // --- API tokens
        let mut t = tx.api_tokens();
        assert_not_found(t.get(&b_token.id).await);
        assert_not_found(t.get_by_name("export").await);
        assert_not_found(t.get_by_token_hash(&b_token_hash).await);
        assert!(t.list().await.unwrap().is_empty());
        assert_not_found(
            t.create(&NewApiToken {
                name: "cross".into(),
                token_hash: token_hash("koho_komae.x"),
                person_id: b.person.id.clone(),
                role: Role::Staff,
                created_by: Actor::Cli,
                now,
                expires_at: now + 5,
            })
            .await,
        );
        assert_not_found(t.touch(&b_token.id, now).await);
        assert_not_found(t.revoke(&b_token.id, now).await);

        // --- preferences
        let mut p = tx.preferences();
        assert_not_found(p.ui_lang(&b.person.id).await);
        assert_not_found(p.set_ui_lang(&b.person.id, Some("ja"), now).await);
        tx.rollback().await.unwrap();

        // --- the read-only view answers the same way
        let mut r = store.read(&a.tenant).await.unwrap();
        assert_not_found(r.sessions().get(&b_session.id).await);
        assert_not_found(r.api_tokens().get(&b_token.id).await);
        assert_not_found(r.login_states().get(&b.person.id).await);
        assert_not_found(r.preferences().ui_lang(&b.person.id).await);
        drop(r);

        assert_eq!(b_auth_snapshot(store, &b, &b_session.id).await, b_before);
    })
    .await;
}

async fn b_auth_snapshot(store: &Store, b: &World, session: &SessionId) -> String {
    let mut r = store.read(&b.tenant).await.unwrap();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        r.sessions().get(session).await.unwrap(),
        r.login_states().get(&b.person.id).await.unwrap(),
        r.api_tokens().list().await.unwrap(),
        r.preferences().ui_lang(&b.person.id).await.unwrap(),
    )
}

/// B's outbox rows: a job under B's own lease, a credential in refresh, a hold, an alert.
struct OutboxRows {
    job: PublishJob,
    alert: PublishAlert,
    /// The token of a media link to B's job image.
    media_token: String,
}

fn new_job(account: &AccountId, target: &str) -> NewPublishJob {
    NewPublishJob {
        account_id: account.clone(),
        post_target_id: None,
        kind: JobKind::Emergency,
        broadcast_id: Some("b-broadcast".into()),
        body: "お知らせ".into(),
        media: vec![],
        idempotency_key: format!("key-{target}"),
        not_before: 0,
        deadline: 1,
        created_by: Actor::Cli,
    }
}

async fn outbox_rows(store: &Store, b: &World) -> OutboxRows {
    let mut tx = store.begin(&b.tenant).await.unwrap();
    let job = tx
        .publish_jobs()
        .enqueue(&new_job(&b.account.id, "b-target"))
        .await
        .unwrap();
    tx.credentials()
        .put(&NewCredential {
            account_id: b.account.id.clone(),
            account_ref: "b-ref".into(),
            sealed: "b-sealed".into(),
            key_id: "b-key".into(),
            expires_at: Some(5),
        })
        .await
        .unwrap();
    assert!(
        tx.credentials()
            .try_begin_refresh(&b.account.id, "b-owner", 0, i64::MAX)
            .await
            .unwrap()
    );
    tx.holds()
        .hold(&b.account.id, 10, "rate-limited", "429")
        .await
        .unwrap();
    let alert = tx
        .publish_alerts()
        .create(&NewAlert {
            account_id: b.account.id.clone(),
            job_id: Some(job.id.clone()),
            kind: AlertKind::Unconfirmed,
            message: "確認してください".into(),
            report_to: None,
        })
        .await
        .unwrap();
    let media_token = tx
        .media_links()
        .issue(&job.id, 0, &"b".repeat(64), i64::MAX)
        .await
        .unwrap()
        .token;
    tx.commit().await.unwrap();
    OutboxRows {
        job,
        alert,
        media_token,
    }
}

//! One municipality's register from the first day to a suspended topic account, every
//! change audited in the same unit of work, the chain verified at the end.
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
use serde_json::json;

/// Appends the audit entry for a change inside the caller's unit of work.
async fn audit(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    subject: Subject,
    before: Option<&serde_json::Value>,
    after: &impl serde::Serialize,
    clause: Option<&str>,
) -> AuditEntry {
    let mut e = NewAuditEntry::new(actor.clone(), action, subject)
        .after(after)
        .unwrap();
    if let Some(b) = before {
        e = e.before(b).unwrap();
    }
    if let Some(c) = clause {
        e = e.clause("komae", c);
    }
    tx.audit().append(&e).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn komae_opens_runs_and_suspends_a_topic_account() {
    each_engine(|env| async move {
        let db = env.open().await;
        let store = &db.store;
        let cli = Actor::Cli;

        // Day 1: the municipality (its chain starts with its own creation).
        let komae = store
            .create_municipality(
                &NewMunicipality {
                    slug: "komae".into(),
                    name: "狛江市".into(),
                    guideline_id: "komae".into(),
                },
                &cli,
            )
            .await
            .unwrap();
        let t = store.tenant_by_slug("komae").await.unwrap();
        assert_eq!(t.id(), &komae.id);

        // Departments and people.
        let mut tx = store.begin(&t).await.unwrap();
        let kikaku = tx
            .departments()
            .create(&NewDepartment {
                name: "企画財政部".into(),
                parent_id: None,
            })
            .await
            .unwrap();
        let hisho = tx
            .departments()
            .create(&NewDepartment {
                name: "秘書広報課".into(),
                parent_id: Some(kikaku.id.clone()),
            })
            .await
            .unwrap();
        let bunka = tx
            .departments()
            .create(&NewDepartment {
                name: "文化振興課".into(),
                parent_id: None,
            })
            .await
            .unwrap();
        for d in [&kikaku, &hisho, &bunka] {
            audit(&mut tx, &cli, "department.create", Subject::new("department", d.id.as_str()), None, d, None).await;
        }
        let chief = tx
            .people()
            .create(&NewPerson {
                display_name: "秘書広報課長".into(),
                email: "koho-chief@city.komae.example".into(),
                department_id: Some(hisho.id.clone()),
                roles: vec![Role::PrOfficeChief, Role::SectionChief],
            })
            .await
            .unwrap();
        let chair = tx
            .people()
            .create(&NewPerson {
                display_name: "行政情報化推進委員長".into(),
                email: "it-chair@city.komae.example".into(),
                department_id: Some(kikaku.id.clone()),
                roles: vec![Role::ItCommitteeChair],
            })
            .await
            .unwrap();
        let staff = tx
            .people()
            .create(&NewPerson {
                display_name: "文化 担当".into(),
                email: "bunka@city.komae.example".into(),
                department_id: Some(bunka.id.clone()),
                roles: vec![Role::Staff, Role::AccountManager],
            })
            .await
            .unwrap();
        for p in [&chief, &chair, &staff] {
            audit(&mut tx, &cli, "person.create", Subject::new("person", p.id.as_str()), None, p, None).await;
        }
        // The main account existed before the guideline: grandfathered, reported not approved.
        let mut main_fields = account_fields(Platform::X, "@komae_city");
        main_fields.department_id = Some(hisho.id.clone());
        main_fields.manager_id = Some(chief.id.clone());
        let main = tx
            .accounts()
            .create(&NewAccount {
                fields: main_fields,
                state: AccountState::Grandfathered,
                verification: VerificationStatus::Verified,
                followers_count: Some(12_000),
            })
            .await
            .unwrap();
        audit(&mut tx, &cli, "account.register", Subject::new("official_account", main.id.as_str()), None, &main, Some("附則")).await;
        tx.commit().await.unwrap();

        // The culture section applies for a topic account (opening application, 様式第1号).
        let staff_actor = Actor::Person(staff.id.clone());
        let mut proposal = account_fields(Platform::Instagram, "@komae_bunka");
        proposal.kind = AccountKind::Topic;
        proposal.department_id = Some(bunka.id.clone());
        proposal.manager_id = Some(staff.id.clone());
        proposal.content_categories = vec!["culture".into(), "events".into()];
        let mut tx = store.begin(&t).await.unwrap();
        let app = tx
            .applications()
            .create(&NewApplication {
                kind: ApplicationKind::Opening,
                account_id: None,
                proposal: proposal.clone(),
                plan: "市民文化祭の情報を写真で発信する".into(),
                applicant_id: staff.id.clone(),
                checklist: json!({"purpose_clear": true, "overlap_with_main": "reviewed", "manager_named": true}),
                overlap_account_ids: vec![main.id.clone()],
                status: ApplicationStatus::Submitted,
                form_number: Some("様式第1号".into()),
                submitted_at: Some(1_714_000_000_000),
            })
            .await
            .unwrap();
        audit(&mut tx, &staff_actor, "application.submit", Subject::new("account_application", app.id.as_str()), None, &app, Some("第7条")).await;
        tx.commit().await.unwrap();

        // The IT committee chair approves, waiving the committee meeting; the account is
        // registered from the proposal and the application points at it — one unit of work.
        let chair_actor = Actor::Person(chair.id.clone());
        let mut tx = store.begin(&t).await.unwrap();
        let mut decided = tx.applications().get(&app.id).await.unwrap();
        let before = serde_json::to_value(&decided).unwrap();
        let topic = tx
            .accounts()
            .create(&NewAccount {
                fields: decided.proposal.clone(),
                state: AccountState::Approved,
                verification: VerificationStatus::None,
                followers_count: None,
            })
            .await
            .unwrap();
        decided.status = ApplicationStatus::Approved;
        decided.account_id = Some(topic.id.clone());
        decided.decision = Some(Decision {
            by: chair.id.clone(),
            at: 1_714_100_000_000,
            reason: Some("委員長専決".into()),
            waiver: true,
        });
        let decided = tx.applications().update(&decided).await.unwrap();
        audit(&mut tx, &chair_actor, "application.approve", Subject::new("account_application", app.id.as_str()), Some(&before), &decided, Some("第7条第2項")).await;
        audit(&mut tx, &chair_actor, "account.register", Subject::new("official_account", topic.id.as_str()), None, &topic, Some("第7条第2項")).await;
        tx.commit().await.unwrap();

        // Operation policy: v1 published at opening, v2 replaces it.
        let mut tx = store.begin(&t).await.unwrap();
        let v1 = tx
            .policies()
            .create_draft(&NewPolicyVersion {
                account_id: topic.id.clone(),
                body: "# 狛江市文化振興課 Instagram 運用ポリシー\n\nコメントには原則として返信しません。".into(),
                created_by: staff_actor.clone(),
            })
            .await
            .unwrap();
        let (v1, none) = tx.policies().publish(&v1.id, 1_714_200_000_000).await.unwrap();
        assert!(none.is_none());
        audit(&mut tx, &staff_actor, "policy.publish", Subject::new("operation_policy_version", v1.id.as_str()), None, &v1, Some("第8条")).await;
        let mut active = tx.accounts().get(&topic.id).await.unwrap();
        let before = serde_json::to_value(&active).unwrap();
        active.state = AccountState::Active;
        let active = tx.accounts().update(&active).await.unwrap();
        audit(&mut tx, &staff_actor, "account.activate", Subject::new("official_account", topic.id.as_str()), Some(&before), &active, None).await;
        tx.commit().await.unwrap();

        let mut tx = store.begin(&t).await.unwrap();
        let v2 = tx
            .policies()
            .create_draft(&NewPolicyVersion {
                account_id: topic.id.clone(),
                body: "# 運用ポリシー 第2版\n\n位置情報は付けません。".into(),
                created_by: staff_actor.clone(),
            })
            .await
            .unwrap();
        let (v2, old) = tx.policies().publish(&v2.id, 1_720_000_000_000).await.unwrap();
        assert_eq!(old.as_ref().map(|o| o.status), Some(PolicyStatus::Superseded));
        audit(&mut tx, &staff_actor, "policy.publish", Subject::new("operation_policy_version", v2.id.as_str()), None, &v2, Some("第8条")).await;
        tx.record_followers_and_commit(&topic.id, 850).await;

        // A year later: the annual review folds the topic account into the main one.
        let chief_actor = Actor::Person(chief.id.clone());
        let mut tx = store.begin(&t).await.unwrap();
        let event = tx
            .events()
            .create(&NewAccountEvent {
                account_id: topic.id.clone(),
                kind: "suspension".into(),
                payload: json!({
                    "reason": "年間の運用状況確認で効果が低いと判断",
                    "impact_followers": 850,
                    "notice_period_days": 30,
                    "keep_handle": true
                }),
                occurred_at: 1_745_000_000_000,
                effective_at: Some(1_747_600_000_000),
                next_check_at: Some(1_778_000_000_000),
                related_account_id: Some(main.id.clone()),
                recorded_by: chief_actor.clone(),
            })
            .await
            .unwrap();
        audit(&mut tx, &chief_actor, "account.suspend.notice", Subject::new("official_account", topic.id.as_str()), None, &event, Some("第11条")).await;
        let mut suspended = tx.accounts().get(&topic.id).await.unwrap();
        let before = serde_json::to_value(&suspended).unwrap();
        suspended.state = AccountState::Suspended;
        let suspended = tx.accounts().update(&suspended).await.unwrap();
        audit(&mut tx, &chief_actor, "account.suspend", Subject::new("official_account", topic.id.as_str()), Some(&before), &suspended, Some("第11条")).await;
        tx.commit().await.unwrap();

        // Reading it all back from one snapshot.
        let mut r = store.read(&t).await.unwrap();
        assert_eq!(r.municipality().get().await.unwrap().name, "狛江市");
        assert_eq!(
            r.departments()
                .ancestry(&hisho.id)
                .await
                .unwrap()
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>(),
            ["秘書広報課", "企画財政部"]
        );
        assert_eq!(r.people().list_with_role(Role::PrOfficeChief).await.unwrap(), vec![chief.clone()]);
        let accounts = r.accounts().list().await.unwrap();
        assert_eq!(accounts.len(), 2);
        let topic_now = r.accounts().get_by_handle(Platform::Instagram, "komae_bunka").await.unwrap();
        assert_eq!(topic_now.state, AccountState::Suspended);
        assert_eq!(topic_now.followers_count, Some(850));
        assert_eq!(topic_now.fields.kind, AccountKind::Topic);
        let apps = r.applications().list_for_account(&topic.id).await.unwrap();
        assert_eq!(apps.len(), 1);
        assert!(apps[0].decision.as_ref().unwrap().waiver);
        let versions = r.policies().list_for_account(&topic.id).await.unwrap();
        assert_eq!(
            versions.iter().map(|v| (v.version, v.status)).collect::<Vec<_>>(),
            [(1, PolicyStatus::Superseded), (2, PolicyStatus::Published)]
        );
        let events = r.events().list_for_account(&topic.id).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].related_account_id.as_ref(), Some(&main.id));
        assert_eq!(r.events().list_due(1_778_000_000_000).await.unwrap().len(), 1);

        // The account's history, straight from the audit log.
        let history: Vec<String> = r
            .audit()
            .list_for_subject(&Subject::new("official_account", topic.id.as_str()))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            history,
            ["account.register", "account.activate", "account.followers", "account.suspend.notice", "account.suspend"]
        );
        let approval = r
            .audit()
            .list_for_subject(&Subject::new("account_application", app.id.as_str()))
            .await
            .unwrap();
        assert_eq!(approval[1].actor, chair_actor);
        assert_eq!(approval[1].clause.as_ref().unwrap().clause, "第7条第2項");
        assert_eq!(approval[1].before.as_ref().unwrap()["status"], "submitted");
        assert_eq!(approval[1].after.as_ref().unwrap()["status"], "approved");

        let v = r.audit().verify().await.unwrap();
        assert!(v.is_intact(), "{v:?}");
        // 1 creation + 3 departments + 3 people + main + submit + approve + register
        // + publish + activate + publish + followers + notice + suspend.
        assert_eq!(v.entries_checked, 17);
    })
    .await;
}

/// A small helper the story uses to show a non-versioned write plus its audit entry.
trait FollowersExt {
    async fn record_followers_and_commit(self, account: &AccountId, count: i64);
}

impl FollowersExt for Tx {
    async fn record_followers_and_commit(mut self, account: &AccountId, count: i64) {
        self.accounts()
            .record_followers(account, count)
            .await
            .unwrap();
        self.audit()
            .append(
                &NewAuditEntry::new(
                    Actor::System,
                    "account.followers",
                    Subject::new("official_account", account.as_str()),
                )
                .after(&json!({"followers_count": count}))
                .unwrap(),
            )
            .await
            .unwrap();
        self.commit().await.unwrap();
    }
}

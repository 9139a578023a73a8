//! A topic account's whole life under a 狛江市-like guideline, next to the demo
//! municipality in the same database: applied, refused self-approval, approved by the IT
//! committee, policy v1 published, purpose changed and approved again, suspended with
//! notice and redirect, an illegal move refused, closed — and the audit chain intact.
// Test code: helpers outside #[test] functions may unwrap and panic too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use std::collections::BTreeMap;

use common::*;
use koho_store::{AccountState, ApplicationStatus, PolicyStatus, Role, Subject};
use koho_workflow::time::{DAY_MS, jst_midnight};
use koho_workflow::{
    AccountDraft, OpeningRequest, PurposeChange, PurposeChangeOutcome, SuspendRequest, Verdict,
    Workflow, demo, register,
};

fn at(m: u32, d: u32) -> i64 {
    jst_midnight(2026, m, d) + 9 * 3_600_000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn komae_like_topic_account_from_application_to_closure() {
    each_engine(|env| async move {
        let store = env.open().await;

        // The demo municipality fills the fresh database first.
        let midori = koho_guideline::Guideline::preset("midori")
            .unwrap()
            .unwrap();
        let summary = demo::fill(&store, "midori", midori.clone()).await.unwrap();
        assert_eq!(summary.municipality, "みどり市");
        assert!(summary.accounts >= 12, "{summary:?}");
        for s in demo::expected_states(&midori) {
            assert!(
                summary.by_state.contains_key(s.as_str()),
                "demo lacks {s}: {summary:?}"
            );
        }
        let again = demo::fill(&store, "midori", midori.clone())
            .await
            .unwrap_err();
        assert_eq!(again.code(), "WF_ALREADY_EXISTS");

        // A second municipality in the same database, run by a komae-like guideline.
        let wf = Workflow::create(&store, "komae", komae_like())
            .await
            .unwrap();
        for d in ["子育て支援課", "秘書広報課"] {
            wf.add_department(d, &koho_store::Actor::System)
                .await
                .unwrap();
        }
        let chief = person(
            &wf,
            "鈴木 一子",
            "suzuki@city.komae.lg.jp",
            Some("子育て支援課"),
            &[Role::SectionChief, Role::ItCommitteeMember],
        )
        .await;
        let manager = person(
            &wf,
            "高田 二郎",
            "takada@city.komae.lg.jp",
            Some("子育て支援課"),
            &[Role::AccountManager, Role::Staff],
        )
        .await;
        let member = person(
            &wf,
            "佐々木 三郎",
            "sasaki@city.komae.lg.jp",
            Some("秘書広報課"),
            &[Role::ItCommitteeMember],
        )
        .await;
        let chair = person(
            &wf,
            "委員長 四郎",
            "chair@city.komae.lg.jp",
            None,
            &[Role::ItCommitteeChair],
        )
        .await;
        let pr_chief = person(
            &wf,
            "広報 五郎",
            "koho@city.komae.lg.jp",
            Some("秘書広報課"),
            &[Role::SectionChief, Role::AccountManager],
        )
        .await;

        // The tenants are isolated: midori's people do not exist in komae.
        assert_eq!(
            wf.person_by_email("midorikawa.ichiro@city.midori.example.lg.jp")
                .await
                .unwrap_err()
                .code(),
            "WF_NOT_FOUND"
        );

        let review: BTreeMap<String, String> = [
            (
                "aggregation",
                "子育て世帯向けの細かな情報は市広報アカウントの情報集約になじまない",
            ),
            (
                "minor-content",
                "手当の期限など、対象者には重要な情報である",
            ),
            (
                "frequency",
                "週3回程度で、市広報アカウントの発信を阻害しない",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let request = |handle: &str, purpose: &str, dept: &koho_store::Department| OpeningRequest {
            account: AccountDraft {
                platform: Some(koho_store::Platform::X),
                handle: handle.to_owned(),
                url: Some(format!("https://x.com/{}", handle.trim_start_matches('@'))),
                display_name: format!("狛江市{}X", dept.name),
                department: Some(dept.id.clone()),
                manager: Some(manager.id.clone()),
                email: Some("kosodate@city.komae.lg.jp".to_owned()),
                purpose: purpose.to_owned(),
                content: vec!["子育てイベント".to_owned(), "手当の申請期限".to_owned()],
                tone: Some("やわらかく".to_owned()),
                reply_policy: Some("返信は行わない".to_owned()),
                follow_policy: None,
                approval_needed: Some(true),
                main: false,
            },
            plan: "電子計算組織処理計画書（第4号様式）を提出済み".to_owned(),
            policy: Some("（運用ポリシー）".to_owned()),
            review: review.clone(),
            followers: None,
            ..OpeningRequest::default()
        };

        // The main account, opened by 秘書広報課 (approved by the committee).
        let koho_dept = wf.department("秘書広報課").await.unwrap();
        let mut main_req = request("@komae_city", "市政情報を市民に届ける", &koho_dept);
        main_req.account.main = true;
        main_req.account.manager = Some(pr_chief.id.clone());
        main_req.account.display_name = "狛江市".to_owned();
        main_req.account.email = Some("koho@city.komae.lg.jp".to_owned());
        main_req.account.content = vec!["市政情報".to_owned(), "災害情報".to_owned()];
        let main = wf.apply(&main_req, &pr_chief.id, at(4, 1)).await.unwrap();
        wf.approve(&main.application.id, &member.id, false, None, at(4, 2))
            .await
            .unwrap();
        wf.publish_policy(&main.account.id, None, &pr_chief.id, at(4, 3))
            .await
            .unwrap();
        let main_account = wf
            .activate(&main.account.id, &pr_chief.id, at(4, 4))
            .await
            .unwrap();
        assert_eq!(main_account.state, AccountState::Active);

        let dept = wf.department("子育て支援課").await.unwrap();

        // 1. Incomplete applications are refused, naming the field and the clause.
        let mut incomplete = request("@komae_kosodate", "", &dept);
        incomplete.plan.clear();
        let e = wf
            .apply(&incomplete, &chief.id, at(5, 1))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_MISSING_FIELD");
        assert!(
            e.ja().contains("「アカウントの目的」（komae 4(2)イ）"),
            "{}",
            e.ja()
        );
        assert!(e.ja().contains("電子計算組織処理計画書"), "{}", e.ja());
        let mut gmail = request("@komae_kosodate", "子育て支援の情報を届ける", &dept);
        gmail.account.email = Some("komae.kosodate@gmail.com".to_owned());
        let e = wf.apply(&gmail, &chief.id, at(5, 1)).await.unwrap_err();
        assert_eq!(e.code(), "WF_EMAIL_DOMAIN");
        let mut unreviewed = request("@komae_kosodate", "子育て支援の情報を届ける", &dept);
        unreviewed.review.remove("frequency");
        let e = wf
            .apply(&unreviewed, &chief.id, at(5, 1))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_REVIEW_UNANSWERED");
        assert!(e.ja().contains("(ウ) 発信回数"), "{}", e.ja());
        // Staff cannot apply: the guideline gives that to the section chief (4(2)イ).
        let e = wf
            .apply(
                &request("@komae_kosodate", "子育て支援の情報を届ける", &dept),
                &manager.id,
                at(5, 1),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_NOT_AUTHORIZED");

        // 2. The complete application, with the overlap review recorded.
        let mut req = request(
            "@komae_kosodate",
            "子育て支援の情報を子育て世帯に届ける",
            &dept,
        );
        req.policy = Some(
            wf.draft_policy_for(&req.account, at(5, 1))
                .await
                .unwrap()
                .body,
        );
        assert!(
            req.policy
                .as_deref()
                .unwrap()
                .contains("第3条 狛江市子育て支援課Xの運用主体は子育て支援課")
        );
        let applied = wf.apply(&req, &chief.id, at(5, 1)).await.unwrap();
        assert_eq!(applied.account.state, AccountState::Applied);
        assert_eq!(applied.application.status, ApplicationStatus::Submitted);
        assert_eq!(
            applied.application.checklist["review"][2]["answer"],
            "週3回程度で、市広報アカウントの発信を阻害しない"
        );
        let app = applied.application.id.clone();
        let account = applied.account.id.clone();

        // 3. Self-approval refused even though the chief sits on the committee.
        let e = wf
            .approve(&app, &chief.id, false, None, at(5, 2))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_SELF_DECISION");
        // Someone outside the committee cannot approve either.
        let e = wf
            .approve(&app, &pr_chief.id, false, None, at(5, 2))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_NOT_AUTHORIZED");
        assert!(
            e.ja().contains("行政情報化推進委員会") && e.ja().contains("4(2)ウ"),
            "{}",
            e.ja()
        );

        // 4. The committee approves: policy v1 drafted from the application.
        let decided = wf
            .approve(&app, &member.id, false, Some("情報化計画を確認"), at(5, 10))
            .await
            .unwrap();
        assert_eq!(decided.account.state, AccountState::Approved);
        assert_eq!(decided.application.status, ApplicationStatus::Approved);
        let d = decided.application.decision.as_ref().unwrap();
        assert_eq!(
            (d.by.clone(), d.at, d.waiver),
            (member.id.clone(), at(5, 10), false)
        );
        assert_eq!(decided.policy.as_ref().unwrap().version, 1);
        let e = wf
            .approve(&app, &member.id, false, None, at(5, 11))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_APPLICATION_DECIDED");

        // 5. Not before the policy is public (4(3)ア); then v1 is published and it runs.
        let e = wf
            .activate(&account, &manager.id, at(5, 11))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_POLICY_NOT_PUBLISHED");
        let v1 = wf
            .publish_policy(&account, None, &manager.id, at(5, 12))
            .await
            .unwrap();
        assert_eq!((v1.version, v1.status), (1, PolicyStatus::Published));
        let active = wf.activate(&account, &manager.id, at(5, 15)).await.unwrap();
        assert_eq!(active.state, AccountState::Active);

        // 6. A change of purpose goes to the committee again.
        let outcome = wf
            .change_purpose(
                &account,
                &PurposeChange {
                    purpose: "子育て支援と子どもの居場所づくりの情報を届ける".to_owned(),
                    content: vec!["子育てイベント".to_owned(), "居場所づくり".to_owned()],
                    reason: "子どもの居場所事業の開始".to_owned(),
                    policy: None,
                },
                &chief.id,
                at(6, 1),
            )
            .await
            .unwrap();
        let PurposeChangeOutcome::NeedsApproval { application } = outcome else {
            panic!("re-approval expected");
        };
        assert_eq!(
            wf.account(&account).await.unwrap().fields.purpose,
            "子育て支援の情報を子育て世帯に届ける"
        );
        let e = wf
            .approve(&application.id, &chief.id, false, None, at(6, 2))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_SELF_DECISION");
        let re = wf
            .approve(&application.id, &member.id, false, None, at(6, 3))
            .await
            .unwrap();
        assert_eq!(
            re.account.fields.purpose,
            "子育て支援と子どもの居場所づくりの情報を届ける"
        );
        assert_eq!(re.account.state, AccountState::Active);
        assert_eq!(re.policy.as_ref().unwrap().version, 2);
        let v2 = wf
            .publish_policy(&account, None, &manager.id, at(6, 4))
            .await
            .unwrap();
        let detail = wf.detail(&account).await.unwrap();
        let statuses: Vec<(i64, PolicyStatus)> = detail
            .policies
            .iter()
            .map(|p| (p.version, p.status))
            .collect();
        assert_eq!(
            statuses,
            vec![(1, PolicyStatus::Superseded), (2, PolicyStatus::Published)]
        );
        assert!(v2.body.contains("居場所づくり"), "{}", v2.body);

        // 7. Suspension (4(5)): impact first, then notice, redirect, kept handle, rechecks.
        let e = wf
            .suspend(
                &account,
                &SuspendRequest {
                    reason: "市広報アカウントに集約".to_owned(),
                    ..SuspendRequest::default()
                },
                &chief.id,
                at(9, 1),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_IMPACT_REQUIRED");
        assert!(e.ja().contains("4(5)イ"), "{}", e.ja());
        let e = wf
            .suspend(
                &account,
                &SuspendRequest {
                    reason: "x".to_owned(),
                    followers: Some(850),
                    ..SuspendRequest::default()
                },
                &member.id,
                at(9, 1),
            )
            .await
            .unwrap_err();
        assert_eq!(
            e.code(),
            "WF_NOT_AUTHORIZED",
            "the section chief decides (komae [suspension] decided_by)"
        );
        let s = wf
            .suspend(
                &account,
                &SuspendRequest {
                    reason: "効果と独自性が担保できないため、市広報アカウントに集約する".to_owned(),
                    followers: Some(850),
                    ..SuspendRequest::default()
                },
                &chief.id,
                at(9, 1),
            )
            .await
            .unwrap();
        assert_eq!(s.account.state, AccountState::Suspended);
        assert_eq!(s.account.followers_count, Some(850));
        assert_eq!(s.effective_at, at(9, 1) + 30 * DAY_MS);
        assert_eq!(s.next_check_at, Some(at(9, 1) + 120 * DAY_MS));
        assert_eq!(s.redirect_to.as_ref().unwrap().id, main_account.id);
        assert!(
            s.notice_text.contains("https://x.com/komae_city"),
            "{}",
            s.notice_text
        );
        assert!(
            s.notice_text.contains("削除せずに残します"),
            "{}",
            s.notice_text
        );
        assert!(
            s.notice_text.contains("停止の理由"),
            "publish_reason: {}",
            s.notice_text
        );
        assert_eq!(s.event.payload["notice_days"], 30);
        assert!(wf.due_checks(at(12, 1)).await.unwrap().is_empty());
        let due = wf.due_checks(at(9, 1) + 121 * DAY_MS).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].account.id, account);

        // 8. Illegal moves are refused with a stable code.
        let e = wf
            .activate(&account, &manager.id, at(9, 2))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_ILLEGAL_TRANSITION");
        assert!(
            e.ja()
                .contains("「運用停止」の状態のアカウントに「運用開始」はできません"),
            "{}",
            e.ja()
        );
        assert_eq!(
            e.to_string(),
            "cannot activate an account that is suspended"
        );

        // 9. The periodic check of the kept account moves the next check.
        let check = wf
            .record_check(
                &account,
                "なりすましなし",
                &manager.id,
                at(9, 1) + 121 * DAY_MS,
            )
            .await
            .unwrap();
        assert_eq!(check.next_check_at, Some(at(9, 1) + 211 * DAY_MS));
        assert!(
            wf.due_checks(at(9, 1) + 122 * DAY_MS)
                .await
                .unwrap()
                .is_empty()
        );

        // 10. Closure: komae has no closure clause, so the opening approver decides.
        let e = wf
            .close(&account, "  ", &member.id, at(12, 1))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_REASON_REQUIRED");
        let closed = wf
            .close(&account, "事業の終了", &member.id, at(12, 1))
            .await
            .unwrap();
        assert_eq!(closed.state, AccountState::Closed);
        let e = wf.resume(&account, &chief.id, at(12, 2)).await.unwrap_err();
        assert_eq!(e.code(), "WF_ILLEGAL_TRANSITION");
        // The record stays: the handle cannot be registered again.
        let e = wf.apply(&req, &chief.id, at(12, 3)).await.unwrap_err();
        assert_eq!(e.code(), "WF_DUPLICATE_HANDLE");
        assert_eq!(
            wf.find_account("@komae_kosodate", None)
                .await
                .unwrap()
                .state,
            AccountState::Closed
        );

        // 11. A waiver by the committee chair is recorded as such.
        let mut waived = request("@komae_bousai", "災害時の緊急情報を届ける", &dept);
        waived.account.email = Some("bousai@city.komae.lg.jp".to_owned());
        let w = wf.apply(&waived, &chief.id, at(12, 5)).await.unwrap();
        let e = wf
            .approve(&w.application.id, &member.id, true, None, at(12, 6))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_NOT_AUTHORIZED");
        let w = wf
            .approve(
                &w.application.id,
                &chair.id,
                true,
                Some("緊急の必要"),
                at(12, 6),
            )
            .await
            .unwrap();
        assert!(w.application.decision.as_ref().unwrap().waiver);

        // 12. The public register and the "is this official?" answer.
        let rows = register::public_rows(&wf.register_rows().await.unwrap());
        let handles: Vec<&str> = rows.iter().map(|r| r.handle.as_str()).collect();
        assert_eq!(
            handles,
            vec!["@komae_city", "@komae_kosodate"],
            "approved-only accounts are not public yet"
        );
        assert_eq!(rows[1].policy_version, Some(2));
        assert_eq!(
            wf.lookup("https://x.com/komae_kosodate")
                .await
                .unwrap()
                .verdict,
            Verdict::Closed
        );
        assert_eq!(
            wf.lookup("@KOMAE_CITY").await.unwrap().verdict,
            Verdict::Official
        );
        let fake = wf.lookup("https://x.com/komae_clty").await.unwrap();
        assert_eq!(fake.verdict, Verdict::NotOfficial);
        assert_eq!(fake.lookalikes[0].official.handle, "@komae_city");

        // 13. Every step is in the chain, citing the clause that drove it.
        let mut reader = store.read(wf.tenant()).await.unwrap();
        let log = reader
            .audit()
            .list_for_subject(&Subject::new(
                koho_workflow::subject::ACCOUNT,
                account.as_str(),
            ))
            .await
            .unwrap();
        let steps: Vec<(String, Option<String>)> = log
            .iter()
            .map(|e| {
                (
                    e.action.clone(),
                    e.clause
                        .as_ref()
                        .map(|c| format!("{} {}", c.guideline_id, c.clause)),
                )
            })
            .collect();
        let expect = |a: &str, c: &str| (a.to_owned(), Some(c.to_owned()));
        assert_eq!(
            steps,
            vec![
                expect("account.apply", "komae 4(2)イ"),
                expect("account.approve", "komae 4(2)ウ"),
                expect("account.activate", "komae 4(3)ア"),
                expect("account.purpose_change.apply", "komae 4(2)ウ"),
                expect("account.purpose_change.approve", "komae 4(2)ウ"),
                expect("account.suspend", "komae 4(5)ア"),
                expect("account.recheck", "komae 4(5)エ"),
                expect("account.close", "komae 4(2)ウ"),
            ]
        );
        let actors: Vec<String> = log.iter().map(|e| e.actor.to_string()).collect();
        assert_eq!(
            actors[1],
            member.id.to_string(),
            "the approver is the recorded actor"
        );
        drop(reader);
        let v = wf.verify_audit().await.unwrap();
        assert!(v.is_intact(), "{v:?}");
        let midori_wf = Workflow::open(&store, "midori", midori).await.unwrap();
        assert!(midori_wf.verify_audit().await.unwrap().is_intact());
        store.close().await;
    })
    .await;
}

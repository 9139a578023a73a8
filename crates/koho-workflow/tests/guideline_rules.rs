//! The same workflows under the other presets: what each guideline's clauses change.
// Test code: helpers outside #[test] functions may unwrap and panic too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use common::*;
use koho_guideline::Guideline;
use koho_store::{AccountState, Actor, Platform, Role};
use koho_workflow::time::jst_midnight;
use koho_workflow::{
    AccountDraft, GrandfatheredReport, OpeningRequest, PurposeChange, PurposeChangeOutcome,
    SuspendRequest, Workflow, register,
};

fn now() -> i64 {
    jst_midnight(2026, 4, 1)
}

fn draft(handle: &str, dept: &koho_store::Department, email: &str) -> AccountDraft {
    AccountDraft {
        platform: Some(Platform::X),
        handle: handle.to_owned(),
        url: Some(format!("https://x.com/{}", handle.trim_start_matches('@'))),
        display_name: format!("{}の公式X", dept.name),
        department: Some(dept.id.clone()),
        email: Some(email.to_owned()),
        purpose: "観光情報を届ける".to_owned(),
        content: vec!["観光イベント".to_owned()],
        ..AccountDraft::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mine_grandfathers_accounts_by_report_without_approval() {
    each_engine(|env| async move {
        let store = env.open().await;
        let wf = Workflow::create(&store, "mine", Guideline::preset("mine").unwrap().unwrap())
            .await
            .unwrap();
        let dept = wf
            .add_department("観光商工課", &Actor::System)
            .await
            .unwrap();
        wf.add_department("地方創生推進室", &Actor::System)
            .await
            .unwrap();
        let chief = person(
            &wf,
            "観光 課長",
            "kanko@city.mine.lg.jp",
            Some("観光商工課"),
            &[Role::SectionChief],
        )
        .await;
        let staff = person(
            &wf,
            "観光 職員",
            "staff@city.mine.lg.jp",
            Some("観光商工課"),
            &[Role::Staff],
        )
        .await;
        let office = person(
            &wf,
            "推進室長",
            "sousei@city.mine.lg.jp",
            Some("地方創生推進室"),
            &[Role::PrOfficeChief],
        )
        .await;
        let report = GrandfatheredReport {
            account: draft("@mine_kanko", &dept, "kanko@city.mine.lg.jp"),
            since: Some("2016-04-01".to_owned()),
            note: None,
            followers: Some(3000),
        };
        // Staff may not report; the section chief may (第5).
        assert_eq!(
            wf.report_grandfathered(&report, &staff.id, now())
                .await
                .unwrap_err()
                .code(),
            "WF_NOT_AUTHORIZED"
        );
        let acc = wf
            .report_grandfathered(&report, &chief.id, now())
            .await
            .unwrap();
        assert_eq!(acc.state, AccountState::Grandfathered);
        assert!(
            wf.applications(None).await.unwrap().is_empty(),
            "no approval involved"
        );
        let detail = wf.detail(&acc.id).await.unwrap();
        assert_eq!(
            detail.events[0].payload["report_to_name"],
            "地方創生推進室長"
        );
        // Grandfathered accounts are official for the public.
        assert_eq!(
            wf.lookup("@mine_kanko").await.unwrap().verdict,
            koho_workflow::Verdict::Official
        );
        // The office it was reported to takes it into regular operation.
        assert_eq!(
            wf.regularize(&acc.id, &chief.id, now())
                .await
                .unwrap_err()
                .code(),
            "WF_NOT_AUTHORIZED"
        );
        let acc = wf.regularize(&acc.id, &office.id, now()).await.unwrap();
        assert_eq!(acc.state, AccountState::Active);
        let mut reader = store.read(wf.tenant()).await.unwrap();
        let log = reader
            .audit()
            .list_for_subject(&koho_store::Subject::new(
                koho_workflow::subject::ACCOUNT,
                acc.id.as_str(),
            ))
            .await
            .unwrap();
        let clauses: Vec<String> = log
            .iter()
            .map(|e| e.clause.as_ref().unwrap().clause.clone())
            .collect();
        assert_eq!(clauses, vec!["第5", "第5"]);
        drop(reader);

        // A guideline without grandfathering refuses the report.
        let without = koho_guideline::preset_source("midori")
            .unwrap()
            .replace(MIDORI_GRANDFATHERING_RULE, "");
        assert!(!without.contains("[grandfathering]"));
        let midori = Workflow::create(
            &store,
            "midori",
            Guideline::parse("midori-without-grandfathering", &without).unwrap(),
        )
        .await
        .unwrap();
        let d = midori
            .add_department("観光交流課", &Actor::System)
            .await
            .unwrap();
        let c = person(
            &midori,
            "課長",
            "chief@city.midori.example.lg.jp",
            Some("観光交流課"),
            &[Role::SectionChief],
        )
        .await;
        let rep = GrandfatheredReport {
            account: draft("@midori_old", &d, "kanko@city.midori.example.lg.jp"),
            ..GrandfatheredReport::default()
        };
        let e = midori
            .report_grandfathered(&rep, &c.id, now())
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_NO_RULE");
        assert!(e.ja().contains("適用除外"), "{}", e.ja());
        assert!(wf.verify_audit().await.unwrap().is_intact());
        store.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kamisu_wants_the_sections_address_and_keeps_no_handle() {
    each_engine(|env| async move {
        let store = env.open().await;
        let wf = Workflow::create(
            &store,
            "kamisu",
            Guideline::preset("kamisu").unwrap().unwrap(),
        )
        .await
        .unwrap();
        let dept = wf
            .add_department("観光振興課", &Actor::System)
            .await
            .unwrap();
        wf.add_department("秘書広報課", &Actor::System)
            .await
            .unwrap();
        let manager = person(
            &wf,
            "運用管理者",
            "kanko@city.kamisu.ibaraki.jp",
            Some("観光振興課"),
            &[Role::AccountManager],
        )
        .await;
        let pr = person(
            &wf,
            "広報課長",
            "koho@city.kamisu.ibaraki.jp",
            Some("秘書広報課"),
            &[Role::PrOfficeChief],
        )
        .await;
        let mut req = OpeningRequest {
            account: draft("@kamisu_kanko", &dept, "kamisu.kanko@gmail.com"),
            plan: "運用計画".to_owned(),
            policy: Some("運用ポリシー".to_owned()),
            ..OpeningRequest::default()
        };
        let e = wf.apply(&req, &manager.id, now()).await.unwrap_err();
        assert_eq!(e.code(), "WF_EMAIL_DOMAIN");
        assert!(
            e.ja().contains("kamisu 第8条(4)") && e.ja().contains("city.kamisu.ibaraki.jp"),
            "{}",
            e.ja()
        );
        req.account.email = Some("kanko@city.kamisu.ibaraki.jp".to_owned());
        let applied = wf.apply(&req, &manager.id, now()).await.unwrap();
        wf.approve(&applied.application.id, &pr.id, false, None, now())
            .await
            .unwrap();
        wf.publish_policy(&applied.account.id, None, &manager.id, now())
            .await
            .unwrap();
        wf.activate(&applied.account.id, &manager.id, now())
            .await
            .unwrap();
        let checklist = wf.profile_checklist(&applied.account.id).await.unwrap();
        let email = checklist
            .items
            .iter()
            .find(|i| i.id == "department-email")
            .unwrap();
        assert_eq!(email.satisfied, Some(true));
        assert!(email.clauses.contains(&"第8条(4)".to_owned()));
        // 第5条3: the manager stops it; no notice period, no redirect, the handle is not kept.
        let s = wf
            .suspend(
                &applied.account.id,
                &SuspendRequest {
                    reason: "投稿がない".to_owned(),
                    ..SuspendRequest::default()
                },
                &manager.id,
                now(),
            )
            .await
            .unwrap();
        assert_eq!(s.effective_at, now());
        assert!(s.redirect_to.is_none() && s.next_check_at.is_none());
        assert!(!s.notice_text.contains("削除せず"), "{}", s.notice_text);
        // No [closure] in kamisu: the opening approver closes, citing the opening clause.
        assert_eq!(
            wf.close(&applied.account.id, "廃止", &manager.id, now())
                .await
                .unwrap_err()
                .code(),
            "WF_NOT_AUTHORIZED"
        );
        wf.close(&applied.account.id, "廃止", &pr.id, now())
            .await
            .unwrap();
        assert!(wf.verify_audit().await.unwrap().is_intact());
        store.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takanabe_changes_purpose_at_once_and_keeps_closure_reasons_internal() {
    each_engine(|env| async move {
        let store = env.open().await;
        let wf = Workflow::create(
            &store,
            "takanabe",
            Guideline::preset("takanabe").unwrap().unwrap(),
        )
        .await
        .unwrap();
        let dept = wf
            .add_department("産業振興課", &Actor::System)
            .await
            .unwrap();
        let staff = person(
            &wf,
            "担当",
            "staff@town.takanabe.lg.jp",
            Some("産業振興課"),
            &[Role::Staff],
        )
        .await;
        let chief = person(
            &wf,
            "課長",
            "chief@town.takanabe.lg.jp",
            Some("産業振興課"),
            &[Role::SectionChief],
        )
        .await;
        let other_chief = person(
            &wf,
            "他課長",
            "other@town.takanabe.lg.jp",
            None,
            &[Role::SectionChief],
        )
        .await;
        let mut account = draft("@takanabe_kanko", &dept, "sangyo@town.takanabe.lg.jp");
        account.manager = Some(staff.id.clone());
        account.reply_policy = Some("返信しない".to_owned());
        let req = OpeningRequest {
            account,
            policy: Some("ポリシー".to_owned()),
            ..OpeningRequest::default()
        };
        let applied = wf.apply(&req, &staff.id, now()).await.unwrap();
        // A section chief of another section may not decide (department-level role).
        assert_eq!(
            wf.reject(&applied.application.id, &other_chief.id, "不要", now())
                .await
                .unwrap_err()
                .code(),
            "WF_NOT_AUTHORIZED"
        );
        assert_eq!(
            wf.reject(&applied.application.id, &chief.id, " ", now())
                .await
                .unwrap_err()
                .code(),
            "WF_REASON_REQUIRED"
        );
        let rejected = wf
            .reject(
                &applied.application.id,
                &chief.id,
                "目的が既存の町公式アカウントと重なる",
                now(),
            )
            .await
            .unwrap();
        assert_eq!(rejected.account.state, AccountState::Rejected);
        // Rejected → applied again with corrected data.
        let again = wf
            .resubmit(&applied.account.id, &req, &staff.id, now())
            .await
            .unwrap();
        assert_eq!(again.account.state, AccountState::Applied);
        wf.approve(&again.application.id, &chief.id, false, None, now())
            .await
            .unwrap();
        wf.publish_policy(&again.account.id, None, &staff.id, now())
            .await
            .unwrap();
        wf.activate(&again.account.id, &staff.id, now())
            .await
            .unwrap();
        // No re-approval rule: the purpose changes at once, with a new policy draft.
        let outcome = wf
            .change_purpose(
                &again.account.id,
                &PurposeChange {
                    purpose: "観光と特産品の情報を届ける".to_owned(),
                    ..PurposeChange::default()
                },
                &staff.id,
                now(),
            )
            .await
            .unwrap();
        let PurposeChangeOutcome::Changed { account, policy } = outcome else {
            panic!("takanabe has no re-approval rule");
        };
        assert_eq!(account.fields.purpose, "観光と特産品の情報を届ける");
        assert_eq!(policy.version, 2);
        // 高鍋町 7: the section chief closes; the reason is not published.
        wf.close(&again.account.id, "事業の終了", &chief.id, now())
            .await
            .unwrap();
        let rows = register::public_rows(&wf.register_rows().await.unwrap());
        assert_eq!(rows[0].state, AccountState::Closed);
        assert_eq!(rows[0].reason, None);
        assert!(wf.verify_audit().await.unwrap().is_intact());
        store.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_publishes_its_closure_reason_and_keeps_checking() {
    each_engine(|env| async move {
        let store = env.open().await;
        let g = Guideline::preset("midori").unwrap().unwrap();
        koho_workflow::demo::fill(&store, "midori", g.clone())
            .await
            .unwrap();
        let wf = Workflow::open(&store, "midori", g).await.unwrap();
        let rows = register::public_rows(&wf.register_rows().await.unwrap());
        let closed = rows
            .iter()
            .find(|r| r.state == AccountState::Closed)
            .unwrap();
        assert!(
            closed.reason.as_deref().unwrap().contains("一本化"),
            "midori 第10条 publishes the reason"
        );
        let suspended = rows
            .iter()
            .find(|r| r.state == AccountState::Suspended)
            .unwrap();
        assert_eq!(
            suspended.redirect_to.as_deref(),
            Some("X（旧Twitter） @midori_city")
        );
        assert!(
            !wf.due_checks(jst_midnight(2026, 1, 1))
                .await
                .unwrap()
                .is_empty()
        );
        let csv = register::to_csv(&rows);
        assert_eq!(csv.lines().count(), rows.len() + 1);
        store.close().await;
    })
    .await;
}

/// The grandfathering rule of guidelines/midori.toml (附則2), removed to get a
/// guideline without one.
const MIDORI_GRANDFATHERING_RULE: &str =
    "[grandfathering]\nclause = \"附則2\"\nreport_to = \"pr-office-chief\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_reports_the_library_when_the_guideline_grandfathers() {
    each_engine(|env| async move {
        let store = env.open().await;
        let g = Guideline::preset("midori").unwrap().unwrap();
        assert!(g.grandfathering.is_some());
        let summary = koho_workflow::demo::fill(&store, "midori", g.clone())
            .await
            .unwrap();
        for s in koho_workflow::demo::expected_states(&g) {
            assert!(
                summary.by_state.contains_key(s.as_str()),
                "demo lacks {s}: {summary:?}"
            );
        }
        assert_eq!(summary.by_state.get("grandfathered"), Some(&1));
        let wf = Workflow::open(&store, "midori", g).await.unwrap();
        assert_eq!(
            wf.find_account("midori_library", None).await.unwrap().state,
            AccountState::Grandfathered
        );
        store.close().await;
    })
    .await;
}

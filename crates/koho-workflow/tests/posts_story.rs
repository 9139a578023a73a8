//! The life of posts under three real guidelines, on every engine:
//!
//! * 高鍋町 (takanabe, 3.8): approval required; the checker blocks a post with personal
//!   information until a section chief overrides it citing a clause; no self-approval; an
//!   approved post edited goes back for approval; scheduled in Asia/Tokyo, handed to the
//!   publisher when due; an emergency post goes out at once and its post-hoc report is
//!   chased until the chief acknowledges it; a post nobody approved in time expires and its
//!   author is told; a post not sent within the window is missed; a correction with an
//!   apology deletes the original and both stand together in the archive and the Atom feed.
//! * 美祢市 (mine, 第4-6): no approval unless an official view; shares only in 第4-2(4)'s
//!   categories; a department's request (第4-2(3)) declined with a reason, another accepted.
//! * 狛江市 (komae, 4(2)イ): each account's policy decides; a correction deletes the original
//!   without an apology (ポリシー第5条2).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::*;
use koho_guideline::Guideline;
use koho_store::{
    AccountFields, AccountId, AccountKind, AccountState, NewAccount, Platform, PostKind, PostState,
    Role, Store, TargetState, VerificationStatus,
};
use koho_workflow::Workflow;
use koho_workflow::posts::{
    CorrectionDraft, ExceptionChoice, FeedInfo, PostDraft, PostEdit, render_atom, tz,
};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

fn jst(s: &str) -> i64 {
    tz::parse_local(s, "Asia/Tokyo").unwrap()
}

async fn account(
    store: &Store,
    wf: &Workflow,
    platform: Platform,
    handle: &str,
    dept: &str,
    approval_required: bool,
) -> AccountId {
    let department_id = Some(wf.department(dept).await.unwrap().id);
    let mut tx = store.begin(wf.tenant()).await.unwrap();
    let a = tx
        .accounts()
        .create(&NewAccount {
            fields: AccountFields {
                platform,
                handle: handle.into(),
                url: Some(format!("https://{platform}.example/{handle}")),
                display_name: format!("{handle} 公式"),
                department_id,
                manager_id: None,
                registration_email: None,
                purpose: "町政情報の発信".into(),
                content_categories: vec![],
                tone: None,
                reply_policy: None,
                follow_policy: None,
                approval_required,
                kind: AccountKind::Main,
            },
            state: AccountState::Active,
            verification: VerificationStatus::None,
            followers_count: None,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    a.id
}

fn draft(accounts: &[&AccountId], body: &str) -> PostDraft {
    PostDraft {
        accounts: accounts.iter().map(|a| (*a).clone()).collect(),
        body: body.into(),
        ..PostDraft::default()
    }
}

fn preset(id: &str) -> Guideline {
    Guideline::preset(id).unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takanabe_posts_from_draft_to_archive() {
    each_engine(|env| async move {
        let store = env.open().await;
        let wf = Workflow::create(&store, "takanabe", preset("takanabe")).await.unwrap();
        for d in ["総務課", "政策推進課"] {
            wf.add_department(d, &koho_store::Actor::System).await.unwrap();
        }
        let staff = person(&wf, "高鍋 花子", "hanako@town.takanabe.lg.jp", Some("総務課"), &[Role::Staff]).await;
        let chief = person(&wf, "総務 課長", "chief@town.takanabe.lg.jp", Some("総務課"), &[Role::SectionChief]).await;
        let other_chief = person(&wf, "政策 課長", "seisaku@town.takanabe.lg.jp", Some("政策推進課"), &[Role::SectionChief]).await;
        let x = account(&store, &wf, Platform::X, "@takanabe_town", "総務課", true).await;
        let fb = account(&store, &wf, Platform::Facebook, "takanabe.town", "総務課", true).await;
        let now = jst("2026-05-20 10:00");

        // A draft naming a private person with a phone number: stored with its findings.
        let body = "山田太郎さん（090-1234-5678）が町長賞を受賞しました。";
        let v = wf.draft_post(&draft(&[&x, &fb], body), &staff.id, now).await.unwrap();
        let post = v.post.id.clone();
        assert_eq!(v.post.state, PostState::Draft);
        assert!(v.version.error_count > 0 && v.blocked);
        assert_eq!(v.version.diagnostics["platforms"].as_array().unwrap().len(), 2);
        let e = wf.submit_post(&post, &staff.id, None, now).await.unwrap_err();
        assert_eq!(e.code(), "POST_CHECK_ERRORS");
        assert!(e.ja().contains("takanabe"), "{}", e.ja());
        // Only an approver other than the author overrides, citing a real clause.
        let e = wf.override_findings(&post, &staff.id, "本人同意済み", "3.3", now).await.unwrap_err();
        assert_eq!(e.code(), "POST_SELF_APPROVAL");
        let e = wf.override_findings(&post, &chief.id, "本人同意済み", "99.9", now).await.unwrap_err();
        assert_eq!(e.code(), "POST_UNKNOWN_CLAUSE");
        let e = wf.override_findings(&post, &chief.id, "  ", "3.3", now).await.unwrap_err();
        assert_eq!(e.code(), "POST_REASON_REQUIRED");

        // Rewritten: a clean version 2 with a shorter text for X, scheduled in JST.
        let edit = PostEdit {
            body: "町長賞の受賞者が決まりました。詳しくは町のホームページをご覧ください。".into(),
            variants: BTreeMap::from([("x".to_owned(), "町長賞の受賞者が決まりました。".to_owned())]),
            ..PostEdit::default()
        };
        let v = wf.edit_post(&post, &edit, &staff.id, now).await.unwrap();
        assert_eq!((v.version.version, v.version.error_count, v.blocked), (2, 0, false));
        let t = jst("2026-06-01 09:30");
        let e = wf.schedule_post(&post, &staff.id, Some(now - MIN), now).await.unwrap_err();
        assert_eq!(e.code(), "POST_TIME_PASSED");
        wf.schedule_post(&post, &staff.id, Some(t), now).await.unwrap();

        // 3.8: the section chief approves, not the author, not another section's chief.
        let v = wf.submit_post(&post, &staff.id, None, now).await.unwrap();
        assert_eq!(v.post.state, PostState::Submitted);
        assert!(v.targets.iter().all(|t| t.target.state == TargetState::Waiting));
        assert!(wf.notifications(&chief.id).await.unwrap().iter().any(|n| n.kind == "post-approval-requested"));
        assert_eq!(wf.approve_post(&post, &staff.id, None, now).await.unwrap_err().code(), "POST_SELF_APPROVAL");
        assert_eq!(wf.approve_post(&post, &other_chief.id, None, now).await.unwrap_err().code(), "WF_NOT_AUTHORIZED");
        let v = wf.approve_post(&post, &chief.id, Some("確認しました"), now).await.unwrap();
        assert_eq!(v.post.state, PostState::Approved);
        assert!(v.targets.iter().all(|x| x.target.state == TargetState::Scheduled && x.target.publish_at == Some(t)));
        assert_eq!(wf.approve_post(&post, &chief.id, None, now).await.unwrap_err().code(), "POST_ILLEGAL_TRANSITION");

        // Editing the approved post sends it back for approval.
        let mut again = edit.clone();
        again.body.push_str("（6月1日更新）");
        let v = wf.edit_post(&post, &again, &staff.id, now).await.unwrap();
        assert_eq!(v.post.state, PostState::Draft);
        assert!(v.targets.iter().all(|x| x.target.state == TargetState::Waiting));
        wf.submit_post(&post, &staff.id, None, now).await.unwrap();
        wf.approve_post(&post, &chief.id, None, now).await.unwrap();

        // The publisher's seam: nothing before T, both targets at T, X with its variant.
        assert!(wf.due_targets(t - MIN).await.unwrap().is_empty());
        let due = wf.due_targets(t).await.unwrap();
        assert_eq!(due.len(), 2);
        let dx = due.iter().find(|d| d.account.id == x).unwrap();
        let dfb = due.iter().find(|d| d.account.id == fb).unwrap();
        assert_eq!(dx.text, "町長賞の受賞者が決まりました。");
        assert!(dfb.text.contains("（6月1日更新）"));
        wf.record_published(&dx.target.id, "190001", Some("https://x.example/takanabe_town/status/190001"), t + MIN).await.unwrap();
        let f = wf.record_failed(&dfb.target.id, "HTTP 503", t + MIN).await.unwrap();
        assert_eq!((f.state, f.attempts), (TargetState::Failed, 1));
        wf.record_published(&dfb.target.id, "fb_1", Some("https://facebook.example/takanabe.town/posts/1"), t + 2 * MIN).await.unwrap();
        let e = wf.record_published(&dfb.target.id, "fb_1", None, t + 3 * MIN).await.unwrap_err();
        assert_eq!(e.code(), "POST_ILLEGAL_TARGET_TRANSITION");
        let e = wf.edit_post(&post, &edit, &staff.id, t + HOUR).await.unwrap_err();
        assert_eq!(e.code(), "POST_ALREADY_SENT");

        // Emergency (3.8 exception): out at once, reported, chased, acknowledged by the chief.
        let quake = jst("2026-06-02 03:10");
        let v = wf.draft_post(&draft(&[&x], "【緊急】町内全域に避難指示を発令しました。"), &staff.id, quake).await.unwrap();
        let em = v.post.id.clone();
        let e = wf.submit_post(&em, &staff.id, Some(&ExceptionChoice { id: "emergency".into(), reason: " ".into() }), quake).await.unwrap_err();
        assert_eq!(e.code(), "POST_REASON_REQUIRED");
        let e = wf.submit_post(&em, &staff.id, Some(&ExceptionChoice { id: "hurry".into(), reason: "急ぎ".into() }), quake).await.unwrap_err();
        assert_eq!(e.code(), "POST_UNKNOWN_EXCEPTION");
        let v = wf
            .submit_post(&em, &staff.id, Some(&ExceptionChoice { id: "emergency".into(), reason: "深夜の地震で課長に連絡がつかない".into() }), quake)
            .await
            .unwrap();
        assert_eq!(v.post.state, PostState::Approved);
        assert_eq!(v.post.approval_basis.as_deref(), Some("exception"));
        let report = v.report.clone().unwrap();
        assert_eq!(report.report_to_role, "section-chief");
        assert_eq!(wf.due_targets(quake).await.unwrap().len(), 1);
        let sw = wf.sweep_posts(quake + 25 * HOUR).await.unwrap();
        assert_eq!(sw.reminded, vec![em.clone()]);
        assert!(wf.notifications(&chief.id).await.unwrap().iter().any(|n| n.kind == "post-hoc-report-reminder"));
        assert_eq!(wf.acknowledge_report(&em, &staff.id, quake + 26 * HOUR).await.unwrap_err().code(), "POST_SELF_APPROVAL");
        assert_eq!(wf.acknowledge_report(&em, &other_chief.id, quake + 26 * HOUR).await.unwrap_err().code(), "WF_NOT_AUTHORIZED");
        let ack = wf.acknowledge_report(&em, &chief.id, quake + 26 * HOUR).await.unwrap();
        assert_eq!(ack.acknowledged_by.as_ref(), Some(&chief.id));
        assert!(wf.sweep_posts(quake + 60 * HOUR).await.unwrap().reminded.is_empty());

        // Not approved by its time: expired, never published, the author told.
        let t2 = jst("2026-06-10 12:00");
        let mut d = draft(&[&x], "図書館の夏休みイベントのお知らせです。");
        d.publish_at = Some(t2);
        let late = wf.draft_post(&d, &staff.id, now).await.unwrap().post.id;
        wf.submit_post(&late, &staff.id, None, now).await.unwrap();
        let sw = wf.sweep_posts(t2 + MIN).await.unwrap();
        assert_eq!(sw.expired, vec![late.clone()]);
        let v = wf.post(&late).await.unwrap();
        assert_eq!(v.post.state, PostState::Expired);
        assert!(v.targets.iter().all(|t| t.target.state == TargetState::Expired));
        assert!(wf.due_targets(t2 + MIN).await.unwrap().iter().all(|d| d.post_id != late));
        assert_eq!(wf.approve_post(&late, &chief.id, None, t2 + MIN).await.unwrap_err().code(), "POST_ILLEGAL_TRANSITION");
        assert!(wf.notifications(&staff.id).await.unwrap().iter().any(|n| n.kind == "post-expired" && n.subject_id == late.as_str()));

        // Approved but not sent within the window: missed, not sent late.
        let t3 = jst("2026-06-11 08:00");
        let mut d = draft(&[&fb], "本日はごみの収集日です。");
        d.publish_at = Some(t3);
        let miss = wf.draft_post(&d, &staff.id, now).await.unwrap().post.id;
        wf.submit_post(&miss, &staff.id, None, now).await.unwrap();
        wf.approve_post(&miss, &chief.id, None, now).await.unwrap();
        assert!(wf.due_targets(t3 + 61 * MIN).await.unwrap().iter().all(|d| d.post_id != miss));
        let sw = wf.sweep_posts(t3 + 61 * MIN).await.unwrap();
        assert_eq!(sw.missed.len(), 1);
        assert_eq!(wf.post(&miss).await.unwrap().targets[0].target.state, TargetState::Missed);

        // 6.3: a correction with an apology; once out, the original is deleted.
        let fix = CorrectionDraft { body: "先ほどの投稿で受賞者の発表日に誤りがありました。正しくは6月2日です。".into(), ..Default::default() };
        let e = wf.correct_post(&post, &fix, &staff.id, t + 2 * HOUR).await.unwrap_err();
        assert_eq!(e.code(), "POST_APOLOGY_REQUIRED");
        let e = wf.correct_post(&late, &CorrectionDraft { apology: Some("失礼しました".into()), ..fix.clone() }, &staff.id, t + 2 * HOUR).await.unwrap_err();
        assert_eq!(e.code(), "POST_NOT_PUBLISHED");
        let fix = CorrectionDraft { apology: Some("お詫びして訂正いたします。".into()), ..fix };
        let c = wf.correct_post(&post, &fix, &staff.id, t + 2 * HOUR).await.unwrap();
        assert_eq!(c.post.kind, PostKind::Correction);
        assert_eq!(c.targets.len(), 2);
        wf.submit_post(&c.post.id, &staff.id, None, t + 2 * HOUR).await.unwrap();
        wf.approve_post(&c.post.id, &chief.id, None, t + 2 * HOUR).await.unwrap();
        let due = wf.due_targets(t + 2 * HOUR).await.unwrap();
        let cx = due.iter().find(|d| d.post_id == c.post.id && d.account.id == x).unwrap();
        assert_eq!(cx.corrects_remote_id.as_deref(), Some("190001"));
        assert!(cx.text.ends_with("お詫びして訂正いたします。"));
        wf.record_published(&cx.target.id, "190777", Some("https://x.example/takanabe_town/status/190777"), t + 2 * HOUR + MIN).await.unwrap();
        // Each account's original goes when the correction is out on that account: the
        // Facebook original stays until the Facebook correction is published.
        let retract = wf.pending_retractions().await.unwrap();
        assert_eq!(retract.len(), 1, "only the X original so far");
        assert_eq!(retract[0].account_id, x);
        let cfb = due.iter().find(|d| d.post_id == c.post.id && d.account.id == fb).unwrap();
        wf.record_published(&cfb.target.id, "fb_777", None, t + 2 * HOUR + MIN).await.unwrap();
        let retract = wf.pending_retractions().await.unwrap();
        assert_eq!(retract.len(), 2, "the original on both accounts is to be deleted");
        for r in &retract {
            wf.record_deleted(&r.id, t + 2 * HOUR + 2 * MIN).await.unwrap();
        }
        let orig = wf.post(&post).await.unwrap();
        assert!(orig.targets.iter().all(|t| t.target.state == TargetState::Deleted));

        // 神栖市 第7条(1)-style archive: the correction and the original together.
        let arch = wf.archive(20).await.unwrap();
        let oe = arch.iter().find(|e| e.post_id == post).unwrap();
        assert_eq!(oe.corrected_by.len(), 1);
        assert_eq!(oe.original_handling.as_deref(), Some("delete"));
        let ce = arch.iter().find(|e| e.post_id == c.post.id).unwrap();
        assert_eq!(ce.corrects.as_ref().unwrap().post_id, post);
        assert!(arch.iter().all(|e| e.post_id != late && e.post_id != miss));
        let xml = render_atom(
            &FeedInfo {
                title: "高鍋町 公式SNS投稿アーカイブ".into(),
                self_url: "https://www.town.takanabe.lg.jp/archive.atom".into(),
                html_url: "https://www.town.takanabe.lg.jp/archive".into(),
                author: "高鍋町".into(),
                timezone: "Asia/Tokyo".into(),
            },
            &arch,
        )
        .unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let ids: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("entry"))
            .map(|e| e.children().find(|n| n.has_tag_name("id")).unwrap().text().unwrap().to_owned())
            .collect();
        assert!(ids.contains(&format!("urn:uuid:{post}")) && ids.contains(&format!("urn:uuid:{}", c.post.id)));

        // Every decision is in the chain, with its clause.
        let audit = wf.verify_audit().await.unwrap();
        assert!(audit.is_intact(), "{audit:?}");
        let mut r = store.read(wf.tenant()).await.unwrap();
        let entries = r.audit().list_for_subject(&koho_store::Subject::new("post", post.as_str())).await.unwrap();
        let approve = entries.iter().find(|e| e.action == "post.approve").unwrap();
        assert_eq!(approve.clause.as_ref().map(|c| c.clause.as_str()), Some("3.8"));
        assert!(entries.iter().any(|e| e.action == "post.edit.reapproval"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mine_posts_shares_and_requests() {
    each_engine(|env| async move {
        let store = env.open().await;
        let wf = Workflow::create(&store, "mine", preset("mine"))
            .await
            .unwrap();
        for d in ["地方創生推進室", "観光振興課"] {
            wf.add_department(d, &koho_store::Actor::System)
                .await
                .unwrap();
        }
        let pr = person(
            &wf,
            "推進 担当",
            "pr@city.mine.lg.jp",
            Some("地方創生推進室"),
            &[Role::PrOffice],
        )
        .await;
        let pr_chief = person(
            &wf,
            "推進 室長",
            "chief@city.mine.lg.jp",
            Some("地方創生推進室"),
            &[Role::SectionChief, Role::PrOfficeChief],
        )
        .await;
        let tourism = person(
            &wf,
            "観光 担当",
            "kanko@city.mine.lg.jp",
            Some("観光振興課"),
            &[Role::Staff],
        )
        .await;
        let main = account(
            &store,
            &wf,
            Platform::X,
            "@mine_city",
            "地方創生推進室",
            false,
        )
        .await;
        let now = jst("2026-07-01 10:00");

        // 第4-6: no approval for ordinary information…
        let v = wf
            .draft_post(
                &draft(&[&main], "秋吉台の山焼きの日程が決まりました。"),
                &pr.id,
                now,
            )
            .await
            .unwrap();
        let v = wf.submit_post(&v.post.id, &pr.id, None, now).await.unwrap();
        assert_eq!(
            (v.post.state, v.post.approval_basis.as_deref()),
            (PostState::Approved, Some("not-required"))
        );
        // …but an official view needs the chief.
        let mut d = draft(&[&main], "市の観光振興の方針をお知らせします。");
        d.matters = vec!["official-view".into()];
        let v = wf.draft_post(&d, &pr.id, now).await.unwrap();
        let v = wf.submit_post(&v.post.id, &pr.id, None, now).await.unwrap();
        assert_eq!(v.post.state, PostState::Submitted);
        let v = wf
            .approve_post(&v.post.id, &pr_chief.id, None, now)
            .await
            .unwrap();
        assert_eq!(v.post.state, PostState::Approved);
        let mut d = draft(&[&main], "x");
        d.matters = vec!["gossip".into()];
        assert_eq!(
            wf.draft_post(&d, &pr.id, now).await.unwrap_err().code(),
            "POST_UNKNOWN_MATTER"
        );

        // 第4-2(4): shares only in the listed categories.
        let mut s = draft(&[&main], "秋芳洞の新緑です。");
        s.kind = Some(PostKind::Share);
        s.share_url = Some("https://example.org/akiyoshido".into());
        s.share_category = Some("celebrity".into());
        let e = wf.draft_post(&s, &pr.id, now).await.unwrap_err();
        assert_eq!(e.code(), "POST_SHARE_CATEGORY");
        s.share_category = Some("landscape".into());
        let v = wf.draft_post(&s, &pr.id, now).await.unwrap();
        assert_eq!(v.post.share_category.as_deref(), Some("landscape"));

        // Staff of another section cannot post to the main account: they send a request.
        let e = wf
            .draft_post(&draft(&[&main], "観光案内所の営業時間"), &tourism.id, now)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "POST_OTHER_DEPARTMENT");
        let r1 = wf
            .submit_request(
                &tourism.id,
                "観光案内所の営業時間",
                "観光案内所は8月から9時開館です。",
                None,
                now,
            )
            .await
            .unwrap();
        let r2 = wf
            .submit_request(
                &tourism.id,
                "私的な催し",
                "職員の同好会の案内です。",
                None,
                now,
            )
            .await
            .unwrap();
        assert!(
            wf.notifications(&pr.id)
                .await
                .unwrap()
                .iter()
                .any(|n| n.kind == "request-submitted")
        );
        assert_eq!(
            wf.decline_request(&r2.id, &tourism.id, "不要", now)
                .await
                .unwrap_err()
                .code(),
            "WF_NOT_AUTHORIZED"
        );
        assert_eq!(
            wf.decline_request(&r2.id, &pr.id, "", now)
                .await
                .unwrap_err()
                .code(),
            "POST_REASON_REQUIRED"
        );
        let declined = wf
            .decline_request(
                &r2.id,
                &pr.id,
                "市のPRに資する情報ではないため（第4-2(2)）",
                now,
            )
            .await
            .unwrap();
        assert_eq!(declined.status, koho_store::RequestStatus::Declined);
        assert!(
            wf.notifications(&tourism.id)
                .await
                .unwrap()
                .iter()
                .any(|n| n.kind == "request-declined" && n.message.contains("第4-2(2)"))
        );
        let v = wf
            .accept_request(&r1.id, &pr.id, std::slice::from_ref(&main), now)
            .await
            .unwrap();
        assert_eq!(v.post.request_id.as_ref(), Some(&r1.id));
        assert_eq!(v.post.author_id, pr.id);
        assert_eq!(
            wf.accept_request(&r1.id, &pr.id, std::slice::from_ref(&main), now)
                .await
                .unwrap_err()
                .code(),
            "POST_REQUEST_DECIDED"
        );
        assert!(wf.verify_audit().await.unwrap().is_intact());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn komae_per_account_approval_and_correction_without_apology() {
    each_engine(|env| async move {
        let store = env.open().await;
        let wf = Workflow::create(&store, "komae", preset("komae"))
            .await
            .unwrap();
        wf.add_department("秘書広報課", &koho_store::Actor::System)
            .await
            .unwrap();
        let staff = person(
            &wf,
            "狛江 職員",
            "staff@city.komae.lg.jp",
            Some("秘書広報課"),
            &[Role::Staff],
        )
        .await;
        let chief = person(
            &wf,
            "広報 課長",
            "chief@city.komae.lg.jp",
            Some("秘書広報課"),
            &[Role::SectionChief],
        )
        .await;
        let free = account(&store, &wf, Platform::X, "@komae_city", "秘書広報課", false).await;
        let strict = account(
            &store,
            &wf,
            Platform::Instagram,
            "komae_city",
            "秘書広報課",
            true,
        )
        .await;
        let now = jst("2026-08-01 10:00");

        // 4(2)イ: the account's policy decides.
        let v = wf
            .draft_post(
                &draft(&[&free], "多摩川花火大会の交通規制のお知らせです。"),
                &staff.id,
                now,
            )
            .await
            .unwrap();
        let v = wf
            .submit_post(&v.post.id, &staff.id, None, now)
            .await
            .unwrap();
        assert_eq!(v.post.state, PostState::Approved);
        let published = v.post.id.clone();
        let v = wf
            .draft_post(
                &draft(
                    &[&free, &strict],
                    "狛江市の新しい子育て支援策をお知らせします。",
                ),
                &staff.id,
                now,
            )
            .await
            .unwrap();
        let v = wf
            .submit_post(&v.post.id, &staff.id, None, now)
            .await
            .unwrap();
        assert_eq!(v.post.state, PostState::Submitted);
        wf.reject_post(&v.post.id, &chief.id, "対象年齢の記載を加えてください", now)
            .await
            .unwrap();
        assert!(
            wf.notifications(&staff.id)
                .await
                .unwrap()
                .iter()
                .any(|n| n.kind == "post-rejected")
        );
        assert_eq!(
            wf.post(&v.post.id).await.unwrap().post.state,
            PostState::Rejected
        );

        // ポリシー第5条2: delete and repost; no apology required.
        let due = wf.due_targets(now).await.unwrap();
        wf.record_published(&due[0].target.id, "1", None, now + MIN)
            .await
            .unwrap();

        // 4(4)イ: the same text again within the window is flagged (a warning in 狛江市).
        let again = wf
            .draft_post(
                &draft(&[&free], "多摩川花火大会の交通規制のお知らせです。"),
                &staff.id,
                now + HOUR,
            )
            .await
            .unwrap();
        assert!(
            again
                .version
                .diagnostics
                .to_string()
                .contains("repeated-post"),
            "{}",
            again.version.diagnostics
        );
        assert_eq!(again.version.error_count, 0);
        let c = wf
            .correct_post(
                &published,
                &CorrectionDraft {
                    body: "交通規制の時間を訂正します。18時からです。".into(),
                    ..Default::default()
                },
                &staff.id,
                now + HOUR,
            )
            .await
            .unwrap();
        let c = wf
            .submit_post(&c.post.id, &staff.id, None, now + HOUR)
            .await
            .unwrap();
        assert_eq!(c.post.state, PostState::Approved);
        let due = wf.due_targets(now + HOUR).await.unwrap();
        let d = due.iter().find(|d| d.post_id == c.post.id).unwrap();
        wf.record_published(&d.target.id, "2", None, now + HOUR + MIN)
            .await
            .unwrap();
        assert_eq!(wf.pending_retractions().await.unwrap().len(), 1);
        let arch = wf.archive(10).await.unwrap();
        assert_eq!(arch.len(), 2);
        assert!(wf.verify_audit().await.unwrap().is_intact());
    })
    .await;
}

//! Posts through the publisher, end to end, on every engine: a post drafted with a photo,
//! checked, submitted, approved and scheduled goes out once at its time through the
//! publisher's own round (a stateful fake platform over real HTTP), shows in the public
//! archive, and its correction deletes the original (高鍋町 6.3) or leaves it marked
//! (浦臼町 7(1)②); an emergency post (高鍋町 3.8) jumps the queue; an unapproved post never
//! goes out; a post not sent within the window is missed and its author told; two
//! publishers on one database never publish a target twice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;
mod publishing;

use std::sync::Arc;
use std::time::Duration;

use common::{each_engine, person};
use koho_connect::{Idempotency, Platform};
use koho_guideline::Guideline;
use koho_store::{JobKind, JobState, PostState, Role, Store, TargetState};
use koho_workflow::Workflow;
use koho_workflow::credentials::CredentialKey;
use koho_workflow::posts::{CorrectionDraft, ExceptionChoice, ImageUpload, PostDraft};
use koho_workflow::publisher::ManualClock;
use publishing::fake_platform::Fault;
use publishing::support::*;

const WITH_GPS_JPG: &[u8] = include_bytes!("../../koho-media/tests/fixtures/with-gps.jpg");
const TIMEOUT: Duration = Duration::from_millis(800);
const MIN: i64 = 60_000;

fn preset(id: &str) -> Guideline {
    Guideline::preset(id).unwrap().unwrap()
}

async fn town(store: &Store, slug: &str) -> Workflow {
    let wf = Workflow::create(store, slug, preset(slug)).await.unwrap();
    wf.add_department("総務課", &koho_store::Actor::System)
        .await
        .unwrap();
    wf
}

fn photo(alt: Option<&str>) -> ImageUpload {
    ImageUpload {
        name: "hanabi.jpg".into(),
        bytes: WITH_GPS_JPG.to_vec(),
        alt_text: alt.map(str::to_owned),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_post_goes_out_once_and_its_correction_follows_the_guideline() {
    each_engine(|env| async move {
        // 高鍋町 deletes a corrected original (6.3); 浦臼町 keeps it, marked (7(1)②).
        for (slug, deletes) in [("takanabe", true), ("urausu", false)] {
            let store = env.open().await;
            let wf = town(&store, slug).await;
            let staff = person(
                &wf,
                "発信 担当",
                &format!("staff@{slug}.example.jp"),
                Some("総務課"),
                &[Role::Staff],
            )
            .await;
            let chief = person(
                &wf,
                "総務 課長",
                &format!("chief@{slug}.example.jp"),
                Some("総務課"),
                &[Role::SectionChief],
            )
            .await;
            let site = Site::start(Platform::Mastodon, Idempotency::Native, Duration::ZERO).await;
            let key = CredentialKey::generate().unwrap();
            let now = wall_ms();
            let clock = Arc::new(ManualClock::new(now));
            let p = publisher(
                &store,
                connectors(&[&site], TIMEOUT),
                &key,
                clock.clone(),
                "story",
                TIMEOUT,
            );
            let acct = account(&store, wf.tenant(), Platform::Mastodon, &format!("@{slug}")).await;
            let (aref, _) = connect(&p, wf.tenant(), &site, &acct, None).await;
            let at = now + 10 * MIN;

            // Draft with a geotagged photo: Mastodon reads alt text aloud, so it is required.
            let mut d = PostDraft {
                accounts: vec![acct.id.clone()],
                body: "今夜の花火大会は予定どおり開催します。".into(),
                publish_at: Some(at),
                images: vec![photo(None)],
                ..PostDraft::default()
            };
            let e = wf.draft_post(&d, &staff.id, now).await.unwrap_err();
            assert_eq!(e.code(), "POST_ALT_TEXT_REQUIRED", "{}", e.ja());
            d.images = vec![photo(Some("夜空に上がる花火"))];
            let v = wf.draft_post(&d, &staff.id, now).await.unwrap();
            let post = v.post.id.clone();
            assert_eq!(v.images.len(), 1);
            assert!(v.images[0].has_gps, "the author's file had GPS");
            assert!(
                koho_media::inspect(&v.images[0].bytes).unwrap().is_clean(),
                "stored stripped"
            );
            // The checker saw the photo (肖像権: 高鍋町 3.3 / 浦臼町).
            assert!(
                v.version.diagnostics.to_string().contains("PR001"),
                "{}",
                v.version.diagnostics
            );

            // Submitted but not approved: the publisher's round leaves it alone.
            let v = wf.submit_post(&post, &staff.id, None, now).await.unwrap();
            assert_eq!(v.post.state, PostState::Submitted);
            let r = p.run_once().await.unwrap();
            assert_eq!((r.queued, r.claimed), (0, 0));
            wf.approve_post(&post, &chief.id, None, now + MIN)
                .await
                .unwrap();
            // Approved, but its time has not come.
            clock.set(at - MIN);
            assert_eq!(p.run_once().await.unwrap().queued, 0);
            assert!(site.fake.posts(&aref).is_empty());

            // Its time: queued and published in one round, once.
            clock.set(at);
            let r = p.run_once().await.unwrap();
            assert_eq!((r.queued, r.published), (1, 1), "{r:?}");
            let posts = site.fake.posts(&aref);
            assert_eq!(posts.len(), 1);
            assert_eq!((posts[0].media, posts[0].media_clean), (1, true));
            let t = wf.post(&post).await.unwrap().targets[0].target.clone();
            assert_eq!(t.state, TargetState::Published);
            assert_eq!(t.remote_id.as_deref(), Some(posts[0].id.as_str()));
            assert!(t.remote_url.as_deref().unwrap().ends_with(&posts[0].id));
            let mut r = store.read(wf.tenant()).await.unwrap();
            let job = r
                .publish_jobs()
                .get_by_target(&t.id)
                .await
                .unwrap()
                .unwrap();
            drop(r);
            assert_eq!(
                (job.state, job.kind),
                (JobState::Published, JobKind::Scheduled)
            );
            assert_eq!(
                job.deadline - job.not_before,
                60 * MIN,
                "missed_after_minutes default"
            );
            // Nothing more to do: the next rounds publish nothing again.
            let r = p.run_once().await.unwrap();
            assert_eq!((r.queued, r.claimed), (0, 0));
            assert_eq!(site.fake.posts(&aref).len(), 1);

            let arch = wf.archive(10).await.unwrap();
            assert_eq!(arch.len(), 1);
            assert_eq!(arch[0].links[0].url, t.remote_url);

            // The correction (高鍋町 asks for an apology, 浦臼町 does not).
            let fix = CorrectionDraft {
                body: "花火大会は雨天のため明日に延期します。".into(),
                apology: deletes.then(|| "お詫びして訂正いたします。".to_owned()),
                ..CorrectionDraft::default()
            };
            let c = wf
                .correct_post(&post, &fix, &staff.id, at + MIN)
                .await
                .unwrap();
            wf.submit_post(&c.post.id, &staff.id, None, at + MIN)
                .await
                .unwrap();
            wf.approve_post(&c.post.id, &chief.id, None, at + MIN)
                .await
                .unwrap();
            clock.set(at + 2 * MIN);
            let r = p.run_once().await.unwrap();
            assert_eq!(r.published, 1, "{r:?}");
            let orig = wf.post(&post).await.unwrap().targets[0].target.clone();
            let want = if deletes {
                TargetState::Retracting
            } else {
                TargetState::Corrected
            };
            assert_eq!(orig.state, want);
            // The next round deletes the original on the platform where the guideline says so.
            let r = p.run_once().await.unwrap();
            let orig = wf.post(&post).await.unwrap().targets[0].target.clone();
            if deletes {
                assert_eq!(r.deleted, 1);
                assert_eq!(orig.state, TargetState::Deleted);
                assert_eq!(site.fake.deleted(&aref).len(), 1);
                assert_eq!(
                    site.fake.deleted(&aref)[0].id,
                    orig.remote_id.clone().unwrap()
                );
                assert_eq!(site.fake.posts(&aref).len(), 1);
            } else {
                assert_eq!(r.deleted, 0);
                assert_eq!(orig.state, TargetState::Corrected);
                assert!(site.fake.deleted(&aref).is_empty());
                assert_eq!(site.fake.posts(&aref).len(), 2);
            }
            assert!(wf.pending_retractions().await.unwrap().is_empty());

            // The archive shows both, each pointing at the other.
            let arch = wf.archive(10).await.unwrap();
            assert_eq!(arch.len(), 2, "{arch:?}");
            let corr = arch.iter().find(|e| e.post_id == c.post.id).unwrap();
            assert_eq!(corr.corrects.as_ref().unwrap().post_id, post);
            let original = arch.iter().find(|e| e.post_id == post).unwrap();
            assert_eq!(original.corrected_by[0].post_id, c.post.id);
            assert_eq!(original.links[0].state, want_final(deletes));
            assert_eq!(
                original.original_handling.as_deref(),
                Some(if deletes { "delete" } else { "keep-marked" })
            );

            if deletes {
                // 高鍋町 3.8: an emergency post goes out in the very next round, ahead of the
                // queue, and its post-hoc report is open.
                let v = wf
                    .draft_post(
                        &PostDraft {
                            accounts: vec![acct.id.clone()],
                            body: "大雨のため町内全域に避難指示を発令しました。".into(),
                            ..PostDraft::default()
                        },
                        &staff.id,
                        at + 3 * MIN,
                    )
                    .await
                    .unwrap();
                let choice = ExceptionChoice {
                    id: "emergency".into(),
                    reason: "避難指示の即時周知".into(),
                };
                let v = wf
                    .submit_post(&v.post.id, &staff.id, Some(&choice), at + 3 * MIN)
                    .await
                    .unwrap();
                assert!(v.report.is_some());
                clock.set(at + 3 * MIN);
                let r = p.run_once().await.unwrap();
                assert_eq!((r.queued, r.published), (1, 1), "{r:?}");
                let t = wf.post(&v.post.id).await.unwrap().targets[0].target.clone();
                assert_eq!(t.state, TargetState::Published);
                let mut r = store.read(wf.tenant()).await.unwrap();
                let job = r
                    .publish_jobs()
                    .get_by_target(&t.id)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(job.kind, JobKind::Emergency);
                assert_eq!(job.priority, 100);
            }

            let mut r = store.read(wf.tenant()).await.unwrap();
            let actions: Vec<String> = r
                .audit()
                .list(0, 10_000)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.action)
                .collect();
            for a in [
                "post.target.queued",
                "publish.enqueue",
                "publish.published",
                "post.target.published",
                "post.correct.original",
            ] {
                assert!(
                    actions.iter().any(|x| x == a),
                    "{a} missing from {actions:?}"
                );
            }
            assert!(r.audit().verify().await.unwrap().is_intact());
        }
    })
    .await;
}

fn want_final(deletes: bool) -> TargetState {
    if deletes {
        TargetState::Deleted
    } else {
        TargetState::Corrected
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unapproved_posts_never_go_out_and_late_ones_are_missed_with_the_author_told() {
    each_engine(|env| async move {
        let store = env.open().await;
        let wf = town(&store, "takanabe").await;
        let staff = person(
            &wf,
            "発信 担当",
            "staff@takanabe.example.jp",
            Some("総務課"),
            &[Role::Staff],
        )
        .await;
        let chief = person(
            &wf,
            "総務 課長",
            "chief@takanabe.example.jp",
            Some("総務課"),
            &[Role::SectionChief],
        )
        .await;
        let site = Site::start(Platform::Mastodon, Idempotency::Native, Duration::ZERO).await;
        let key = CredentialKey::generate().unwrap();
        let now = wall_ms();
        let clock = Arc::new(ManualClock::new(now));
        let p = publisher(
            &store,
            connectors(&[&site], TIMEOUT),
            &key,
            clock.clone(),
            "late",
            TIMEOUT,
        );
        let acct = account(&store, wf.tenant(), Platform::Mastodon, "@takanabe").await;
        let (aref, _) = connect(&p, wf.tenant(), &site, &acct, None).await;
        let draft = |body: &str, at: i64| PostDraft {
            accounts: vec![acct.id.clone()],
            body: body.into(),
            publish_at: Some(at),
            ..PostDraft::default()
        };
        let inbox = |kind: &'static str| {
            let wf = &wf;
            let staff = staff.id.clone();
            async move {
                wf.notifications(&staff)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|n| n.kind == kind)
                    .count()
            }
        };

        // Submitted, never approved: its time comes and goes, nothing is sent; it expires.
        let at = now + 10 * MIN;
        let unapproved = wf
            .draft_post(&draft("未承認の投稿です。", at), &staff.id, now)
            .await
            .unwrap()
            .post
            .id;
        wf.submit_post(&unapproved, &staff.id, None, now)
            .await
            .unwrap();
        clock.set(at + MIN);
        let r = p.run_once().await.unwrap();
        assert_eq!((r.queued, r.claimed), (0, 0));
        assert_eq!(
            wf.post(&unapproved).await.unwrap().post.state,
            PostState::Expired
        );
        assert_eq!(site.fake.count_text("未承認の投稿です。"), 0);
        assert_eq!(inbox("post-expired").await, 1);

        // Approved, but no publisher ran within 高鍋町's window (60 minutes by default):
        // the round that finally runs marks it missed instead of publishing it late.
        let at2 = at + 10 * MIN;
        let late = wf
            .draft_post(
                &draft("遅れて出してはいけない投稿です。", at2),
                &staff.id,
                at + MIN,
            )
            .await
            .unwrap()
            .post
            .id;
        wf.submit_post(&late, &staff.id, None, at + MIN)
            .await
            .unwrap();
        wf.approve_post(&late, &chief.id, None, at + MIN)
            .await
            .unwrap();
        clock.set(at2 + 61 * MIN);
        let r = p.run_once().await.unwrap();
        assert_eq!((r.queued, r.claimed), (0, 0), "{r:?}");
        let t = wf.post(&late).await.unwrap().targets[0].target.clone();
        assert_eq!(t.state, TargetState::Missed);
        assert_eq!(site.fake.count_text("遅れて出してはいけない投稿です。"), 0);
        assert_eq!(inbox("post-missed").await, 1);

        // Queued on time, but the platform holds the account past the window: the job is
        // missed at its deadline and the target follows it, in the same transaction.
        let now3 = at2 + 62 * MIN;
        let at3 = now3 + 5 * MIN;
        let held = wf
            .draft_post(&draft("混雑で送れなかった投稿です。", at3), &staff.id, now3)
            .await
            .unwrap()
            .post
            .id;
        wf.submit_post(&held, &staff.id, None, now3).await.unwrap();
        wf.approve_post(&held, &chief.id, None, now3).await.unwrap();
        site.fake.script(
            &aref,
            Fault::RateLimit {
                retry_after_s: 7200,
            },
        );
        clock.set(at3);
        let r = p.run_once().await.unwrap();
        assert_eq!((r.queued, r.retried), (1, 1), "{r:?}");
        let t = wf.post(&held).await.unwrap().targets[0].target.clone();
        assert_eq!(t.state, TargetState::Queued);
        // Queued: the post can no longer be edited or withdrawn (the job carries its text).
        let e = wf.withdraw_post(&held, &staff.id, at3).await.unwrap_err();
        assert_eq!(e.code(), "POST_ALREADY_SENT");
        clock.set(at3 + 61 * MIN);
        let r = p.run_once().await.unwrap();
        assert_eq!(r.missed, 1, "{r:?}");
        let t = wf.post(&held).await.unwrap().targets[0].target.clone();
        assert_eq!(t.state, TargetState::Missed);
        let mut rd = store.read(wf.tenant()).await.unwrap();
        assert_eq!(
            rd.publish_jobs()
                .get_by_target(&t.id)
                .await
                .unwrap()
                .unwrap()
                .state,
            JobState::Missed
        );
        drop(rd);
        assert_eq!(site.fake.count_text("混雑で送れなかった投稿です。"), 0);
        assert_eq!(inbox("post-missed").await, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_publishers_on_one_database_never_publish_a_target_twice() {
    each_engine(|env| async move {
        // Two processes: two stores (two pools) on one database.
        let url = env.fresh_url().await;
        let s1 = Store::open(&url).await.unwrap();
        let s2 = Store::open(&url).await.unwrap();
        // 美祢市 第4-6: no approval needed for ordinary posts, so they are due at once.
        let wf = town(&s1, "mine").await;
        let staff = person(
            &wf,
            "発信 担当",
            "staff@mine.example.jp",
            Some("総務課"),
            &[Role::Staff],
        )
        .await;
        let site = Site::start(
            Platform::Mastodon,
            Idempotency::Native,
            Duration::from_millis(15),
        )
        .await;
        let key = CredentialKey::generate().unwrap();
        let now = wall_ms();
        let clock = Arc::new(ManualClock::new(now));
        let p1 = publisher(
            &s1,
            connectors(&[&site], TIMEOUT),
            &key,
            clock.clone(),
            "p1",
            TIMEOUT,
        );
        let p2 = publisher(
            &s2,
            connectors(&[&site], TIMEOUT),
            &key,
            clock.clone(),
            "p2",
            TIMEOUT,
        );
        let a = account(&s1, wf.tenant(), Platform::Mastodon, "@mine_a").await;
        let b = account(&s1, wf.tenant(), Platform::Mastodon, "@mine_b").await;
        connect(&p1, wf.tenant(), &site, &a, None).await;
        connect(&p1, wf.tenant(), &site, &b, None).await;
        let n = 12;
        let mut texts = Vec::new();
        for i in 0..n {
            let body = format!("美祢市からのお知らせ その{i}");
            let v = wf
                .draft_post(
                    &PostDraft {
                        accounts: vec![a.id.clone(), b.id.clone()],
                        body: body.clone(),
                        ..PostDraft::default()
                    },
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
            texts.push(body);
        }
        let mut queued = 0;
        for _ in 0..4 {
            let (x, y) = tokio::join!(p1.run_once(), p2.run_once());
            let (x, y) = (x.unwrap(), y.unwrap());
            queued += x.queued + y.queued;
        }
        assert_eq!(queued, 2 * n, "every target queued exactly once");
        for t in &texts {
            assert_eq!(site.fake.count_text(t), 2, "{t}: once per account");
        }
        let mut r = s1.read(wf.tenant()).await.unwrap();
        let jobs = r.publish_jobs().list(None, 1000).await.unwrap();
        assert_eq!(jobs.len(), 2 * n);
        assert!(jobs.iter().all(|j| j.state == JobState::Published));
        for p in r.posts().list(None).await.unwrap() {
            for t in r.posts().targets(&p.id).await.unwrap() {
                assert_eq!(t.state, TargetState::Published);
            }
        }
        assert!(r.audit().verify().await.unwrap().is_intact());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_finished_job_brings_its_queued_target_in_line_at_the_next_round() {
    each_engine(|env| async move {
        let store = env.open().await;
        let wf = town(&store, "mine").await;
        let staff = person(
            &wf,
            "発信 担当",
            "staff@mine.example.jp",
            Some("総務課"),
            &[Role::Staff],
        )
        .await;
        let site = Site::start(Platform::Mastodon, Idempotency::Native, Duration::ZERO).await;
        let key = CredentialKey::generate().unwrap();
        let now = wall_ms();
        let clock = Arc::new(ManualClock::new(now));
        let p = publisher(
            &store,
            connectors(&[&site], TIMEOUT),
            &key,
            clock.clone(),
            "fix",
            TIMEOUT,
        );
        let a = account(&store, wf.tenant(), Platform::Mastodon, "@mine").await;
        connect(&p, wf.tenant(), &site, &a, None).await;
        let v = wf
            .draft_post(
                &PostDraft {
                    accounts: vec![a.id.clone()],
                    body: "秋吉台の山焼きは延期します。".into(),
                    ..PostDraft::default()
                },
                &staff.id,
                now,
            )
            .await
            .unwrap();
        wf.submit_post(&v.post.id, &staff.id, None, now)
            .await
            .unwrap();
        assert_eq!(p.enqueue_due(&wf, now).await.unwrap(), 1);
        // Queued twice? The second call finds nothing due.
        assert_eq!(p.enqueue_due(&wf, now).await.unwrap(), 0);
        let t = wf.post(&v.post.id).await.unwrap().targets[0].target.clone();
        assert_eq!(t.state, TargetState::Queued);
        // A publisher recorded the job's outcome but not the target's (say, an older
        // build): the job says published, the target still says queued.
        let mut tx = store.begin(wf.tenant()).await.unwrap();
        let mut job = tx
            .publish_jobs()
            .get_by_target(&t.id)
            .await
            .unwrap()
            .unwrap();
        job.state = JobState::Published;
        job.remote_id = Some("9001".into());
        job.remote_url = Some("https://social.example.jp/@mine/9001".into());
        job.finished_at = Some(now);
        tx.publish_jobs().update(&job).await.unwrap();
        tx.commit().await.unwrap();
        // The next round brings the target in line, sending nothing.
        p.run_once().await.unwrap();
        let t = wf.post(&v.post.id).await.unwrap().targets[0].target.clone();
        assert_eq!(t.state, TargetState::Published);
        assert_eq!(t.remote_id.as_deref(), Some("9001"));
        assert_eq!(site.fake.count_text("秋吉台の山焼きは延期します。"), 0);
        assert_eq!(wf.archive(10).await.unwrap().len(), 1);
    })
    .await;
}

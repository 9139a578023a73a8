//! The publisher against fake platforms over real HTTP: faults, uncertainty, holds,
//! credentials, deadlines and the emergency broadcast, on every engine.
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

use common::each_engine;
use koho_connect::{Idempotency, Platform};
use koho_store::{Actor, AlertKind, CredentialStatus, JobState, PublishJob, Store, Tenant};
use koho_workflow::credentials::CredentialKey;
use koho_workflow::publisher::{
    ApprovedTarget, EmergencyRequest, ImageInput, ManualClock, Publisher,
};
use publishing::fake_platform::Fault;
use publishing::support::*;

const WITH_GPS_JPG: &[u8] = include_bytes!("../../koho-media/tests/fixtures/with-gps.jpg");
const TIMEOUT: Duration = Duration::from_millis(400);

async fn target(
    store: &Store,
    tenant: &Tenant,
    account: &koho_store::AccountId,
    text: &str,
    now: i64,
) -> ApprovedTarget {
    ApprovedTarget {
        post_target_id: post_target(store, tenant, account, text).await,
        account_id: account.clone(),
        text: text.into(),
        images: vec![],
        not_before: now,
        deadline: now + 3_600_000,
    }
}

async fn job(store: &Store, tenant: &Tenant, j: &PublishJob) -> PublishJob {
    let mut r = store.read(tenant).await.unwrap();
    r.publish_jobs().get(&j.id).await.unwrap()
}

async fn alerts(store: &Store, tenant: &Tenant) -> Vec<koho_store::PublishAlert> {
    let mut r = store.read(tenant).await.unwrap();
    r.publish_alerts().list_open().await.unwrap()
}

/// Runs rounds until nothing is claimed.
async fn drain(p: &Publisher) {
    for _ in 0..20 {
        if p.run_once().await.unwrap().claimed == 0 {
            return;
        }
    }
    panic!("the publisher kept claiming jobs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn publishes_once_through_platform_faults() {
    each_engine(|env| async move {
        let store = env.open().await;
        let tenant = municipality(&store, "takanabe").await;
        let native = Site::start(Platform::Mastodon, Idempotency::Native, Duration::ZERO).await;
        let lookup = Site::start(Platform::X, Idempotency::Lookup, Duration::ZERO).await;
        let none = Site::start(Platform::Misskey, Idempotency::None, Duration::ZERO).await;
        let key = CredentialKey::generate().unwrap();
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let p = publisher(
            &store,
            connectors(&[&native, &lookup, &none], TIMEOUT),
            &key,
            clock.clone(),
            "test-1",
            TIMEOUT,
        );
        let a_native = account(&store, &tenant, Platform::Mastodon, "@town").await;
        let a_lookup = account(&store, &tenant, Platform::X, "@town_x").await;
        let a_none = account(&store, &tenant, Platform::Misskey, "@town_mk").await;
        let (r_native, _) = connect(&p, &tenant, &native, &a_native, None).await;
        let (r_lookup, _) = connect(&p, &tenant, &lookup, &a_lookup, None).await;
        let (r_none, _) = connect(&p, &tenant, &none, &a_none, None).await;
        let now = clock.now();

        // 1. A plain post with a geotagged photo: published once, the photo arrives clean.
        let mut t = target(&store, &tenant, &a_native.id, "花火大会のお知らせ", now).await;
        t.images = vec![ImageInput {
            bytes: WITH_GPS_JPG.to_vec(),
            alt_text: Some("花火".into()),
        }];
        assert!(koho_media::inspect(WITH_GPS_JPG).unwrap().has_gps);
        let photo = p.enqueue(&tenant, &t, &Actor::Cli).await.unwrap();
        drain(&p).await;
        let photo = job(&store, &tenant, &photo).await;
        assert_eq!(photo.state, JobState::Published);
        let posts = native.fake.posts(&r_native);
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].media, 1);
        assert!(posts[0].media_clean, "metadata reached the platform");
        assert_eq!(photo.remote_id.as_deref(), Some(posts[0].id.as_str()));
        // The same approved target cannot be enqueued twice.
        assert_eq!(
            p.enqueue(&tenant, &t, &Actor::Cli)
                .await
                .unwrap_err()
                .code(),
            "STORE_CONFLICT"
        );

        // 2. 503 before storing: retried after the backoff, published once.
        native.fake.script(&r_native, Fault::UnavailableBeforeStore);
        let j = p
            .enqueue(
                &tenant,
                &target(&store, &tenant, &a_native.id, "ごみ収集日の変更", now).await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        drain(&p).await;
        let j1 = job(&store, &tenant, &j).await;
        assert_eq!(j1.state, JobState::Pending);
        assert!(!j1.uncertain);
        assert!(j1.next_attempt_at > clock.now());
        clock.set(j1.next_attempt_at);
        drain(&p).await;
        assert_eq!(job(&store, &tenant, &j).await.state, JobState::Published);
        assert_eq!(native.fake.count_text("ごみ収集日の変更"), 1);

        // 3. 500 after the post was stored, native idempotency: re-sent with the same key,
        //    the platform answers with the stored post, still one post.
        native.fake.script(&r_native, Fault::ErrorAfterStore);
        let j = p
            .enqueue(
                &tenant,
                &target(&store, &tenant, &a_native.id, "健診のご案内", now).await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        drain(&p).await;
        let j1 = job(&store, &tenant, &j).await;
        assert_eq!(j1.state, JobState::Pending);
        assert!(j1.uncertain);
        clock.set(j1.next_attempt_at);
        drain(&p).await;
        let j2 = job(&store, &tenant, &j).await;
        assert_eq!(j2.state, JobState::Published);
        assert_eq!(native.fake.count_text("健診のご案内"), 1);
        assert_eq!(native.fake.account(&r_native, |a| a.publish_requests), 5);

        // 4. A timeout after the post was stored, lookup platform: the publisher looks
        //    before re-sending, finds it, does not send again.
        lookup
            .fake
            .script(&r_lookup, Fault::HangAfterStore(TIMEOUT * 3));
        let j = p
            .enqueue(
                &tenant,
                &target(&store, &tenant, &a_lookup.id, "道路工事のお知らせ", now).await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        drain(&p).await;
        let j1 = job(&store, &tenant, &j).await;
        assert!(j1.uncertain, "{j1:?}");
        assert_eq!(j1.state, JobState::Pending);
        clock.set(j1.next_attempt_at);
        drain(&p).await;
        let j2 = job(&store, &tenant, &j).await;
        assert_eq!(j2.state, JobState::Published, "{j2:?}");
        assert_eq!(lookup.fake.count_text("道路工事のお知らせ"), 1);
        assert_eq!(lookup.fake.account(&r_lookup, |a| a.publish_requests), 1);
        // Lookup, post not there (the 500 came before anything was kept? no: after): a
        // lookup platform whose post is missing is sent again.

        // 5. 500 after storing on a platform without idempotency or lookup: unconfirmed,
        //    an alert, and no second request.
        none.fake.script(&r_none, Fault::ErrorAfterStore);
        let j = p
            .enqueue(
                &tenant,
                &target(&store, &tenant, &a_none.id, "防災訓練の実施", now).await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        drain(&p).await;
        let j1 = job(&store, &tenant, &j).await;
        assert_eq!(j1.state, JobState::Unconfirmed);
        assert_eq!(none.fake.count_text("防災訓練の実施"), 1);
        clock.advance(60_000);
        drain(&p).await;
        assert_eq!(none.fake.account(&r_none, |a| a.publish_requests), 1);
        let open = alerts(&store, &tenant).await;
        assert!(
            open.iter()
                .any(|a| a.kind == AlertKind::Unconfirmed && a.job_id.as_ref() == Some(&j.id)),
            "{open:?}"
        );

        // 6. 429: the account is held until the reset; no other job of that account is
        //    sent before it, jobs of other accounts are.
        lookup
            .fake
            .script(&r_lookup, Fault::RateLimit { retry_after_s: 120 });
        let before = lookup.fake.account(&r_lookup, |a| a.publish_requests);
        let limited = p
            .enqueue(
                &tenant,
                &target(&store, &tenant, &a_lookup.id, "図書館の休館日", clock.now()).await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        drain(&p).await;
        let other_same = p
            .enqueue(
                &tenant,
                &target(
                    &store,
                    &tenant,
                    &a_lookup.id,
                    "図書館の開館時間",
                    clock.now(),
                )
                .await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        let other_account = p
            .enqueue(
                &tenant,
                &target(&store, &tenant, &a_native.id, "図書館まつり", clock.now()).await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        clock.advance(60_000);
        drain(&p).await;
        assert_eq!(
            lookup.fake.account(&r_lookup, |a| a.publish_requests),
            before + 1
        );
        assert_eq!(
            job(&store, &tenant, &limited).await.state,
            JobState::Pending
        );
        assert_eq!(
            job(&store, &tenant, &other_same).await.state,
            JobState::Pending
        );
        assert_eq!(
            job(&store, &tenant, &other_account).await.state,
            JobState::Published
        );
        clock.advance(61_000);
        drain(&p).await;
        assert_eq!(
            job(&store, &tenant, &limited).await.state,
            JobState::Published
        );
        assert_eq!(
            job(&store, &tenant, &other_same).await.state,
            JobState::Published
        );

        // 7. An expired token: an alert, the credential marked expired, the account held;
        //    after a person reconnects the account, the job goes out.
        native.fake.script(&r_native, Fault::Unauthorized);
        let j = p
            .enqueue(
                &tenant,
                &target(&store, &tenant, &a_native.id, "窓口時間の延長", clock.now()).await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        drain(&p).await;
        assert_eq!(job(&store, &tenant, &j).await.state, JobState::Pending);
        {
            let mut r = store.read(&tenant).await.unwrap();
            let cred = r.credentials().get(&a_native.id).await.unwrap().unwrap();
            assert_eq!(cred.status, CredentialStatus::Expired);
        }
        assert!(
            alerts(&store, &tenant)
                .await
                .iter()
                .any(|a| a.kind == AlertKind::AuthExpired && a.account_id == a_native.id)
        );
        let requests = native.fake.account(&r_native, |a| a.publish_requests);
        clock.advance(600_000);
        drain(&p).await;
        assert_eq!(
            native.fake.account(&r_native, |a| a.publish_requests),
            requests
        );
        native.fake.set_token(&r_native, "reconnected");
        p.store_credential(
            &tenant,
            &a_native.id,
            &r_native,
            &koho_workflow::credentials::Secrets {
                access_token: koho_connect::Token::new("reconnected"),
                refresh_token: None,
                app_secret: None,
            },
            None,
            &Actor::Cli,
        )
        .await
        .unwrap();
        drain(&p).await;
        assert_eq!(job(&store, &tenant, &j).await.state, JobState::Published);

        // 8. Overdue: marked missed, never sent late.
        let late = p
            .enqueue(
                &tenant,
                &ApprovedTarget {
                    deadline: clock.now() + 1_000,
                    ..target(&store, &tenant, &a_none.id, "本日の催し", clock.now()).await
                },
                &Actor::Cli,
            )
            .await
            .unwrap();
        clock.advance(5_000);
        drain(&p).await;
        assert_eq!(job(&store, &tenant, &late).await.state, JobState::Missed);
        assert_eq!(none.fake.count_text("本日の催し"), 0);

        // Every transition is in the audit chain, and the chain is intact.
        let mut r = store.read(&tenant).await.unwrap();
        let trail = r
            .audit()
            .list_for_subject(&koho_store::Subject::new("publish_job", late.id.as_str()))
            .await
            .unwrap();
        let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["publish.enqueue", "publish.missed"]);
        assert!(r.audit().verify().await.unwrap().is_intact());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn recovers_an_expired_lease_as_uncertain() {
    each_engine(|env| async move {
        let store = env.open().await;
        let tenant = municipality(&store, "komae").await;
        let none = Site::start(Platform::Misskey, Idempotency::None, Duration::ZERO).await;
        let native = Site::start(Platform::Mastodon, Idempotency::Native, Duration::ZERO).await;
        let key = CredentialKey::generate().unwrap();
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let p = publisher(
            &store,
            connectors(&[&none, &native], TIMEOUT),
            &key,
            clock.clone(),
            "w1",
            TIMEOUT,
        );
        let a_none = account(&store, &tenant, Platform::Misskey, "@k").await;
        let a_native = account(&store, &tenant, Platform::Mastodon, "@k2").await;
        connect(&p, &tenant, &none, &a_none, None).await;
        let (r_native, _) = connect(&p, &tenant, &native, &a_native, None).await;
        let now = clock.now();
        let j_none = p
            .enqueue(
                &tenant,
                &target(&store, &tenant, &a_none.id, "x1", now).await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        let j_native = p
            .enqueue(
                &tenant,
                &target(&store, &tenant, &a_native.id, "x2", now).await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        // A worker claims both and dies before sending anything.
        {
            let mut tx = store.begin(&tenant).await.unwrap();
            let claimed = tx
                .publish_jobs()
                .claim(&koho_store::ClaimRequest {
                    owner: "dead-worker",
                    now,
                    lease_ms: 1_000,
                    limit: 10,
                    broadcast_id: None,
                })
                .await
                .unwrap();
            assert_eq!(claimed.len(), 2);
            tx.commit().await.unwrap();
        }
        // While the lease runs, nobody else takes them.
        assert_eq!(p.run_once().await.unwrap().claimed, 0);
        clock.advance(1_001);
        drain(&p).await;
        // No way to tell on the first platform: unconfirmed, not re-sent.
        let j = job(&store, &tenant, &j_none).await;
        assert_eq!(j.state, JobState::Unconfirmed);
        assert_eq!(none.fake.count_text("x1"), 0);
        // Native idempotency: re-sent with the same key, once.
        let j = job(&store, &tenant, &j_native).await;
        assert_eq!(j.state, JobState::Published);
        assert_eq!(native.fake.posts(&r_native).len(), 1);
        let mut r = store.read(&tenant).await.unwrap();
        let trail = r
            .audit()
            .list_for_subject(&koho_store::Subject::new("publish_job", j_none.id.as_str()))
            .await
            .unwrap();
        let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
        // The dead worker claimed behind the publisher's back (no audit entry of its own).
        assert_eq!(
            actions,
            ["publish.enqueue", "publish.recover", "publish.unconfirmed"]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn credentials_are_sealed_bound_and_refreshed_once() {
    each_engine(|env| async move {
        let store = env.open().await;
        let tenant = municipality(&store, "mine").await;
        let site = Site::start(
            Platform::Bluesky,
            Idempotency::Native,
            Duration::from_millis(50),
        )
        .await;
        let key = CredentialKey::generate().unwrap();
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let p1 = publisher(
            &store,
            connectors(&[&site], TIMEOUT),
            &key,
            clock.clone(),
            "p1",
            TIMEOUT,
        );
        let p2 = publisher(
            &store,
            connectors(&[&site], TIMEOUT),
            &key,
            clock.clone(),
            "p2",
            TIMEOUT,
        );
        let a = account(&store, &tenant, Platform::Bluesky, "mine.bsky").await;
        let b = account(&store, &tenant, Platform::Bluesky, "mine2.bsky").await;
        // Expires in 2 minutes: inside the 10-minute refresh margin.
        let (ref_a, token_a) = connect(&p1, &tenant, &site, &a, Some(clock.now() + 120_000)).await;
        connect(&p1, &tenant, &site, &b, None).await;

        // At rest: no token in the row, only ciphertext.
        let mut r = store.read(&tenant).await.unwrap();
        let stored = r.credentials().get(&a.id).await.unwrap().unwrap();
        drop(r);
        assert!(!stored.sealed.contains(&token_a));
        assert!(!format!("{stored:?}").contains(&stored.sealed));

        // Two publishers work the same account at once: exactly one refresh.
        for i in 0..6 {
            p1.enqueue(
                &tenant,
                &target(&store, &tenant, &a.id, &format!("refresh {i}"), clock.now()).await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        }
        let (x, y) = tokio::join!(p1.run_once(), p2.run_once());
        x.unwrap();
        y.unwrap();
        drain(&p1).await;
        assert_eq!(site.fake.account(&ref_a, |acc| acc.refreshes), 1);
        assert_eq!(site.fake.posts(&ref_a).len(), 6);
        let mut r = store.read(&tenant).await.unwrap();
        let refreshed = r.credentials().get(&a.id).await.unwrap().unwrap();
        assert!(refreshed.expires_at.unwrap() > clock.now() + 3_000_000);
        assert!(refreshed.refresh_owner.is_none());
        drop(r);

        // The ciphertext of A copied onto B's row does not open as B's.
        let mut tx = store.begin(&tenant).await.unwrap();
        let b_cred = tx.credentials().get(&b.id).await.unwrap().unwrap();
        tx.credentials()
            .put(&koho_store::NewCredential {
                account_id: b.id.clone(),
                account_ref: b_cred.account_ref.clone(),
                sealed: refreshed.sealed.clone(),
                key_id: refreshed.key_id.clone(),
                expires_at: None,
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let jb = p1
            .enqueue(
                &tenant,
                &target(&store, &tenant, &b.id, "moved", clock.now()).await,
                &Actor::Cli,
            )
            .await
            .unwrap();
        drain(&p1).await;
        assert_eq!(job(&store, &tenant, &jb).await.state, JobState::Pending);
        assert_eq!(site.fake.count_text("moved"), 0);
        assert!(
            alerts(&store, &tenant)
                .await
                .iter()
                .any(|al| al.kind == AlertKind::AuthExpired && al.account_id == b.id)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn emergency_broadcast_reaches_every_account_under_the_exception() {
    each_engine(|env| async move {
        let store = env.open().await;
        let tenant = municipality(&store, "takanabe").await;
        let guideline = koho_guideline::Guideline::preset("takanabe")
            .unwrap()
            .unwrap();
        let sites = [
            Site::start(Platform::X, Idempotency::Lookup, Duration::from_millis(50)).await,
            Site::start(
                Platform::Line,
                Idempotency::Native,
                Duration::from_millis(50),
            )
            .await,
            Site::start(
                Platform::Bluesky,
                Idempotency::Native,
                Duration::from_millis(50),
            )
            .await,
        ];
        let refs: Vec<&Site> = sites.iter().collect();
        let key = CredentialKey::generate().unwrap();
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let p = publisher(
            &store,
            connectors(&refs, TIMEOUT),
            &key,
            clock.clone(),
            "e",
            TIMEOUT,
        );
        let mut ids = vec![];
        for (i, s) in sites.iter().enumerate() {
            for n in 0..2 {
                let a = account(&store, &tenant, s.platform, &format!("@e{i}_{n}")).await;
                connect(&p, &tenant, s, &a, None).await;
                ids.push(a.id);
            }
        }
        let report = p
            .emergency_broadcast(
                &tenant,
                &guideline,
                &EmergencyRequest {
                    text: "【避難指示】高鍋町全域に避難指示を発令しました".into(),
                    images: vec![],
                    account_ids: ids.clone(),
                    actor: Actor::Cli,
                    approved_by: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(report.jobs.len(), 6);
        assert!(
            report.jobs.iter().all(|j| j.state == JobState::Published),
            "{:?}",
            report.jobs
        );
        let total: usize = sites
            .iter()
            .map(|s| {
                s.fake
                    .count_text("【避難指示】高鍋町全域に避難指示を発令しました")
            })
            .sum();
        assert_eq!(total, 6);
        // The exception clause is cited and a post-hoc report to the section chief raised.
        let mut r = store.read(&tenant).await.unwrap();
        let entry = r
            .audit()
            .list_for_subject(&koho_store::Subject::new(
                "broadcast",
                report.broadcast_id.as_str(),
            ))
            .await
            .unwrap();
        assert_eq!(entry.len(), 1);
        assert!(entry[0].clause.is_some(), "{:?}", entry[0]);
        let open = r.publish_alerts().list_open().await.unwrap();
        let report_alert = open
            .iter()
            .find(|a| a.kind == AlertKind::PostHocReport)
            .unwrap();
        assert_eq!(report_alert.report_to.as_deref(), Some("section-chief"));

        // A suspended account stays silent: the whole broadcast is refused, nothing sent.
        let mut tx = store.begin(&tenant).await.unwrap();
        let mut quiet = tx.accounts().get(&ids[0]).await.unwrap();
        quiet.state = koho_store::AccountState::Suspended;
        tx.accounts().update(&quiet).await.unwrap();
        tx.commit().await.unwrap();
        let err = p
            .emergency_broadcast(
                &tenant,
                &guideline,
                &EmergencyRequest {
                    text: "停止中のアカウントへ".into(),
                    images: vec![],
                    account_ids: ids.clone(),
                    actor: Actor::Cli,
                    approved_by: None,
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), "PUB_ACCOUNT_NOT_ACTIVE");
        let sent: usize = sites
            .iter()
            .map(|s| s.fake.count_text("停止中のアカウントへ"))
            .sum();
        assert_eq!(sent, 0);

        // A guideline without such an exception needs a named approver.
        let komae = koho_guideline::Guideline::preset("komae").unwrap().unwrap();
        let err = p
            .emergency_broadcast(
                &tenant,
                &komae,
                &EmergencyRequest {
                    text: "x".into(),
                    images: vec![],
                    account_ids: ids,
                    actor: Actor::Cli,
                    approved_by: None,
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), "PUB_NO_EMERGENCY_RULE");
        assert!(err.ja().contains("承認者"));
    })
    .await;
}

//! Accounts on different servers of one platform: the publisher takes each account's
//! connector from the account's own address (its registered URL), so two Mastodon
//! accounts on two instances each publish on their own, in one round of one process.
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
use koho_connect::registry::{Overrides, Registry};
use koho_connect::{Idempotency, Platform};
use koho_store::{Actor, JobState, OfficialAccount, Store, Tenant};
use koho_workflow::credentials::CredentialKey;
use koho_workflow::publisher::{ApprovedTarget, Connectors, ManualClock};
use publishing::support::*;

const TIMEOUT: Duration = Duration::from_secs(5);

async fn with_url(
    store: &Store,
    tenant: &Tenant,
    a: OfficialAccount,
    url: String,
) -> OfficialAccount {
    let mut tx = store.begin(tenant).await.unwrap();
    let mut a = a;
    a.fields.url = Some(url);
    let updated = tx.accounts().update(&a).await.unwrap();
    tx.commit().await.unwrap();
    updated
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_account_publishes_on_its_own_server() {
    each_engine(|env| async move {
        let store = env.open().await;
        let tenant = municipality(&store, "takanabe").await;
        let one = Site::start(Platform::Mastodon, Idempotency::Native, Duration::ZERO).await;
        let two = Site::start(Platform::Mastodon, Idempotency::Native, Duration::ZERO).await;
        let mut connectors = Connectors::new();
        connectors.set_registry(Arc::new(Registry::new(Overrides::default(), None).unwrap()));
        let key = CredentialKey::generate().unwrap();
        let clock = Arc::new(ManualClock::new(wall_ms()));
        let p = publisher(&store, connectors, &key, clock.clone(), "servers", TIMEOUT);
        let town = account(&store, &tenant, Platform::Mastodon, "@town").await;
        let town = with_url(
            &store,
            &tenant,
            town,
            format!("{}/@town", one.fake.base_url()),
        )
        .await;
        let kanko = account(&store, &tenant, Platform::Mastodon, "@kanko").await;
        let kanko = with_url(
            &store,
            &tenant,
            kanko,
            format!("{}/@kanko", two.fake.base_url()),
        )
        .await;
        // An account whose server cannot be told: its job waits, nothing is lost.
        let lost = account(&store, &tenant, Platform::Misskey, "@nowhere").await;
        let (r_town, _) = connect(&p, &tenant, &one, &town, None).await;
        let (r_kanko, _) = connect(&p, &tenant, &two, &kanko, None).await;
        let now = clock.now();
        let mut jobs = Vec::new();
        for (a, text) in [
            (&town, "町からのお知らせ"),
            (&kanko, "観光協会からのお知らせ"),
            (&lost, "届かないお知らせ"),
        ] {
            let id = post_target(&store, &tenant, &a.id, text).await;
            jobs.push(
                p.enqueue(
                    &tenant,
                    &ApprovedTarget {
                        post_target_id: id,
                        account_id: a.id.clone(),
                        text: text.into(),
                        images: vec![],
                        not_before: now,
                        deadline: now + 3_600_000,
                    },
                    &Actor::Cli,
                )
                .await
                .unwrap(),
            );
        }
        let report = p.run_once().await.unwrap();
        assert_eq!(report.published, 2, "{report:?}");
        let texts = |site: &Site, r: &str| -> Vec<String> {
            site.fake.posts(r).into_iter().map(|p| p.text).collect()
        };
        assert_eq!(texts(&one, &r_town), vec!["町からのお知らせ"]);
        assert_eq!(texts(&two, &r_kanko), vec!["観光協会からのお知らせ"]);
        let mut r = store.read(&tenant).await.unwrap();
        let lost_job = r.publish_jobs().get(&jobs[2].id).await.unwrap();
        assert_eq!(lost_job.state, JobState::Pending);
        assert_eq!(lost_job.last_error_code.as_deref(), Some("no-connector"));
        assert!(
            lost_job.last_error.as_deref().unwrap().contains("@nowhere"),
            "{:?}",
            lost_job.last_error
        );
        let published = r.publish_jobs().get(&jobs[0].id).await.unwrap();
        assert_eq!(published.state, JobState::Published);
        assert!(
            published
                .remote_url
                .as_deref()
                .unwrap()
                .starts_with(&one.fake.base_url())
        );
    })
    .await;
}

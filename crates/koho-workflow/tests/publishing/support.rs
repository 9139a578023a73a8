//! Fixtures of the publisher tests: a municipality with accounts on fake platforms and
//! their sealed credentials.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    dead_code
)]

use std::sync::Arc;
use std::time::Duration;

use koho_connect::{Idempotency, Platform};
use koho_store::{
    AccountFields, AccountId, AccountKind, AccountState, Actor, NewAccount, NewMunicipality,
    NewPerson, NewPost, NewPostVersion, OfficialAccount, PostKind, PostTargetId, Role, Store,
    TargetState, Tenant, VerificationStatus,
};
use koho_workflow::credentials::{CredentialKey, Secrets};
use koho_workflow::publisher::{Clock, Connectors, Publisher, PublisherConfig};

use super::fake_platform::{FakeConnector, FakePlatform, FakeRefresher};

pub fn store_platform(p: Platform) -> koho_store::Platform {
    p.id().parse().unwrap()
}

pub async fn municipality(store: &Store, slug: &str) -> Tenant {
    let m = store
        .create_municipality(
            &NewMunicipality {
                slug: slug.into(),
                name: format!("{slug}市"),
                guideline_id: "takanabe".into(),
            },
            &Actor::Cli,
        )
        .await
        .unwrap();
    store.tenant(&m.id).await.unwrap()
}

pub async fn account(
    store: &Store,
    tenant: &Tenant,
    platform: Platform,
    handle: &str,
) -> OfficialAccount {
    let mut tx = store.begin(tenant).await.unwrap();
    let a = tx
        .accounts()
        .create(&NewAccount {
            fields: AccountFields {
                platform: store_platform(platform),
                handle: handle.into(),
                url: None,
                display_name: format!("{handle} 公式"),
                department_id: None,
                manager_id: None,
                registration_email: None,
                purpose: "市政情報の発信".into(),
                content_categories: vec![],
                tone: None,
                reply_policy: None,
                follow_policy: None,
                approval_required: true,
                kind: AccountKind::Main,
            },
            state: AccountState::Active,
            verification: VerificationStatus::None,
            followers_count: None,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    a
}

/// A real post target on `account`, scheduled without a time (so the posts sweep leaves it
/// alone) and its post still a draft (so the publisher's own rounds do not queue it): the
/// outbox tests enqueue it by hand. Its job's outcome moves it like any target.
pub async fn post_target(
    store: &Store,
    tenant: &Tenant,
    account: &AccountId,
    text: &str,
) -> PostTargetId {
    let mut tx = store.begin(tenant).await.unwrap();
    let author = match tx
        .people()
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.email == "outbox-fixture@example.jp")
    {
        Some(p) => p,
        None => tx
            .people()
            .create(&NewPerson {
                display_name: "発信 担当".into(),
                email: "outbox-fixture@example.jp".into(),
                department_id: None,
                roles: vec![Role::PrOffice],
            })
            .await
            .unwrap(),
    };
    let post = tx
        .posts()
        .create(&NewPost {
            kind: PostKind::Original,
            corrects_post_id: None,
            share_category: None,
            share_url: None,
            request_id: None,
            department_id: None,
            author_id: author.id.clone(),
            matters: vec![],
            publish_at: None,
        })
        .await
        .unwrap();
    tx.posts()
        .add_version(&NewPostVersion {
            post_id: post.id.clone(),
            body: text.into(),
            apology: None,
            variants: serde_json::json!({}),
            diagnostics: serde_json::json!({"platforms": []}),
            error_count: 0,
            author_id: author.id.clone(),
            images: vec![],
        })
        .await
        .unwrap();
    let t = tx.posts().add_target(&post.id, account).await.unwrap();
    let mut s = t.clone();
    s.state = TargetState::Scheduled;
    let t = tx.posts().update_target(&s).await.unwrap();
    tx.commit().await.unwrap();
    t.id
}

/// One fake platform with its connector settings.
pub struct Site {
    pub platform: Platform,
    pub fake: FakePlatform,
    pub idempotency: Idempotency,
}

impl Site {
    pub async fn start(platform: Platform, idempotency: Idempotency, latency: Duration) -> Site {
        let fake = FakePlatform::start(idempotency == Idempotency::Native, latency).await;
        Site {
            platform,
            fake,
            idempotency,
        }
    }

    pub fn connector(&self, timeout: Duration) -> FakeConnector {
        let mut c = FakeConnector::new(self.platform, self.fake.base_url(), self.idempotency);
        c.timeout = timeout;
        c
    }
}

/// Connectors (and refreshers) for these sites.
pub fn connectors(sites: &[&Site], timeout: Duration) -> Connectors {
    let mut c = Connectors::new();
    for s in sites {
        c.add(Arc::new(s.connector(timeout)));
        c.add_refresher(
            s.platform,
            Arc::new(FakeRefresher {
                connector: s.connector(timeout),
            }),
        );
    }
    c
}

/// A publisher with short timings for tests.
pub fn publisher(
    store: &Store,
    connectors: Connectors,
    key: &CredentialKey,
    clock: Arc<dyn Clock>,
    owner: &str,
    attempt_timeout: Duration,
) -> Publisher {
    let mut config = PublisherConfig::new(owner);
    config.attempt_timeout = attempt_timeout;
    config.lease = attempt_timeout * 3;
    config.backoff_base = Duration::from_millis(200);
    config.backoff_max = Duration::from_secs(5);
    config.idle_poll = Duration::from_millis(20);
    Publisher::new(store.clone(), connectors, key.clone(), clock, config).unwrap()
}

/// Registers `account` on the fake and stores its credential.
pub async fn connect(
    publisher: &Publisher,
    tenant: &Tenant,
    site: &Site,
    account: &OfficialAccount,
    expires_at: Option<i64>,
) -> (String, String) {
    let account_ref = format!("ref-{}", account.handle_normalized);
    let token = format!("token-{}", account.id);
    site.fake
        .add_account(&account_ref, &token, &format!("refresh-{}", account.id));
    publisher
        .store_credential(
            tenant,
            &account.id,
            &account_ref,
            &Secrets {
                access_token: koho_connect::Token::new(token.clone()),
                refresh_token: Some(koho_connect::Token::new(format!("refresh-{}", account.id))),
                app_secret: None,
            },
            expires_at,
            &Actor::Cli,
        )
        .await
        .unwrap();
    (account_ref, token)
}

pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

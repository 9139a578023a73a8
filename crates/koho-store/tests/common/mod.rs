//! One test body, every engine: SQLite always (a fresh file per database), PostgreSQL too
//! when `DATABASE_URL` points at a server (a fresh, uniquely named database per database
//! asked for, dropped afterwards).
// Test code: helpers outside #[test] functions may unwrap and panic too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]
#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use koho_store::*;
use sqlx::Connection;

/// Engines a test body runs on.
pub fn engines() -> Vec<Engine> {
    let mut engines = vec![Engine::Sqlite];
    if pg_admin_url().is_some() {
        engines.push(Engine::Postgres);
    }
    engines
}

pub fn pg_admin_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

/// Replaces the database name of a PostgreSQL URL.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

/// Databases made for one test on one engine.
pub struct Env {
    pub engine: Engine,
    dir: tempfile::TempDir,
    pg_databases: Mutex<Vec<String>>,
}

/// A store and the URL it was opened from.
pub struct TestDb {
    pub store: Store,
    pub url: String,
}

impl TestDb {
    /// Runs raw SQL on a separate connection (to tamper with rows behind the store's back).
    pub async fn exec(&self, sql: &str) {
        let mut conn = raw_conn(&self.url).await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await.unwrap();
    }

    /// One text column of the first row.
    pub async fn query_text(&self, sql: &str) -> String {
        let mut conn = raw_conn(&self.url).await;
        let v: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await.unwrap();
        v
    }
}

async fn raw_conn(url: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url).await.unwrap()
}

impl Env {
    fn new(engine: Engine) -> Env {
        Env {
            engine,
            dir: tempfile::tempdir().unwrap(),
            pg_databases: Mutex::new(Vec::new()),
        }
    }

    /// A scratch directory removed after the test.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A path in the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The URL of a new, empty database.
    pub async fn fresh_url(&self) -> String {
        let name = format!("koho_test_{}", uuid_like());
        match self.engine {
            Engine::Sqlite => format!("sqlite://{}", self.path(&format!("{name}.db")).display()),
            Engine::Postgres => {
                let admin = pg_admin_url().unwrap();
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn.close().await.unwrap();
                self.pg_databases.lock().unwrap().push(name.clone());
                with_database(&admin, &name)
            }
        }
    }

    /// A store on a new, empty database.
    pub async fn open(&self) -> TestDb {
        let url = self.fresh_url().await;
        let store = Store::open(&url).await.unwrap();
        TestDb { store, url }
    }

    async fn cleanup(&self) {
        let dbs: Vec<String> = std::mem::take(&mut *self.pg_databases.lock().unwrap());
        if dbs.is_empty() {
            return;
        }
        let admin = pg_admin_url().unwrap();
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        for db in dbs {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
        }
        conn.close().await.unwrap();
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs `body` once per engine, each with its own [`Env`]; drops PostgreSQL databases even
/// when the body panics, then re-raises the panic naming the engine.
pub async fn each_engine<F, Fut>(body: F)
where
    F: Fn(Arc<Env>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    for engine in engines() {
        let env = Arc::new(Env::new(engine));
        let run = tokio::spawn(tokio::time::timeout(
            Duration::from_secs(180),
            body(env.clone()),
        ));
        let outcome = run.await;
        env.cleanup().await;
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(_)) => panic!("[{engine}] test timed out"),
            Err(e) if e.is_panic() => {
                eprintln!("[{engine}] test body panicked");
                std::panic::resume_unwind(e.into_panic());
            }
            Err(e) => panic!("[{engine}] {e}"),
        }
    }
}

// ------------------------------------------------------------------------------------------
// fixtures

pub async fn municipality(store: &Store, slug: &str) -> (Municipality, Tenant) {
    let m = store
        .create_municipality(
            &NewMunicipality {
                slug: slug.into(),
                name: format!("{slug} city"),
                guideline_id: slug.into(),
            },
            &Actor::Cli,
        )
        .await
        .unwrap();
    let t = store.tenant(&m.id).await.unwrap();
    (m, t)
}

pub fn account_fields(platform: Platform, handle: &str) -> AccountFields {
    AccountFields {
        platform,
        handle: handle.into(),
        url: Some(format!("https://example.invalid/{handle}")),
        display_name: format!("{handle} official"),
        department_id: None,
        manager_id: None,
        registration_email: Some("koho@example.invalid".into()),
        purpose: "市政情報の発信".into(),
        content_categories: vec!["events".into(), "disaster".into()],
        tone: Some("polite".into()),
        reply_policy: Some("no replies".into()),
        follow_policy: Some("public bodies only".into()),
        approval_required: true,
        kind: AccountKind::Main,
    }
}

pub fn new_account(fields: AccountFields) -> NewAccount {
    NewAccount {
        fields,
        state: AccountState::Active,
        verification: VerificationStatus::None,
        followers_count: Some(100),
    }
}

/// Everything one municipality can hold, one of each (plus a sub-department).
pub struct World {
    pub municipality: Municipality,
    pub tenant: Tenant,
    pub department: Department,
    pub sub_department: Department,
    pub person: Person,
    pub account: OfficialAccount,
    pub application: AccountApplication,
    pub published_policy: PolicyVersion,
    pub draft_policy: PolicyVersion,
    pub event: AccountEvent,
    pub audit_head: i64,
}

/// Populates a municipality through the public API, auditing every change.
pub async fn world(store: &Store, slug: &str, handle: &str) -> World {
    let (municipality, tenant) = municipality(store, slug).await;
    let mut tx = store.begin(&tenant).await.unwrap();
    let department = tx
        .departments()
        .create(&NewDepartment {
            name: "秘書広報課".into(),
            parent_id: None,
        })
        .await
        .unwrap();
    let sub_department = tx
        .departments()
        .create(&NewDepartment {
            name: "広報係".into(),
            parent_id: Some(department.id.clone()),
        })
        .await
        .unwrap();
    let person = tx
        .people()
        .create(&NewPerson {
            display_name: format!("{slug} 担当"),
            email: format!("staff@{slug}.example"),
            department_id: Some(department.id.clone()),
            roles: vec![Role::Staff, Role::AccountManager],
        })
        .await
        .unwrap();
    tx.people()
        .set_password_hash(&person.id, Some(&Secret::new(format!("hash-{slug}"))))
        .await
        .unwrap();
    let mut fields = account_fields(Platform::X, handle);
    fields.department_id = Some(department.id.clone());
    fields.manager_id = Some(person.id.clone());
    let account = tx
        .accounts()
        .create(&new_account(fields.clone()))
        .await
        .unwrap();
    let application = tx
        .applications()
        .create(&NewApplication {
            kind: ApplicationKind::PurposeChange,
            account_id: Some(account.id.clone()),
            proposal: fields,
            plan: "防災情報も発信する".into(),
            applicant_id: person.id.clone(),
            checklist: serde_json::json!({"overlap_checked": true}),
            overlap_account_ids: vec![account.id.clone()],
            status: ApplicationStatus::Submitted,
            form_number: Some("様式第1号".into()),
            submitted_at: Some(1_700_000_000_000),
        })
        .await
        .unwrap();
    let v1 = tx
        .policies()
        .create_draft(&NewPolicyVersion {
            account_id: account.id.clone(),
            body: "# 運用ポリシー v1".into(),
            created_by: Actor::Person(person.id.clone()),
        })
        .await
        .unwrap();
    let (published_policy, _) = tx
        .policies()
        .publish(&v1.id, 1_700_000_000_000)
        .await
        .unwrap();
    let draft_policy = tx
        .policies()
        .create_draft(&NewPolicyVersion {
            account_id: account.id.clone(),
            body: "# 運用ポリシー v2".into(),
            created_by: Actor::Person(person.id.clone()),
        })
        .await
        .unwrap();
    let event = tx
        .events()
        .create(&NewAccountEvent {
            account_id: account.id.clone(),
            kind: "suspension".into(),
            payload: serde_json::json!({"reason": "統合", "impact_followers": 100}),
            occurred_at: 1_700_000_000_000,
            effective_at: Some(1_700_100_000_000),
            next_check_at: Some(1_700_200_000_000),
            related_account_id: Some(account.id.clone()),
            recorded_by: Actor::System,
        })
        .await
        .unwrap();
    for (action, id) in [
        ("department.create", department.id.as_str()),
        ("person.create", person.id.as_str()),
        ("account.create", account.id.as_str()),
    ] {
        tx.audit()
            .append(&NewAuditEntry::new(
                Actor::Cli,
                action,
                Subject::new(action.split('.').next().unwrap(), id),
            ))
            .await
            .unwrap();
    }
    let audit_head = tx.audit().head().await.unwrap().seq;
    tx.commit().await.unwrap();
    World {
        municipality,
        tenant,
        department,
        sub_department,
        person,
        account,
        application,
        published_policy,
        draft_policy,
        event,
        audit_head,
    }
}

/// Asserts a `STORE_NOT_FOUND` error.
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    match r {
        Err(e) => assert_eq!(e.code(), "STORE_NOT_FOUND", "{e}"),
        Ok(v) => panic!("expected STORE_NOT_FOUND, got {v:?}"),
    }
}

/// Asserts an error with this code.
#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(r: Result<T, StoreError>, code: &str) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e}"),
        Ok(v) => panic!("expected {code}, got {v:?}"),
    }
}

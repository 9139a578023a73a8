//! The store handle, tenant handles and units of work.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Any, AnyPool, Transaction};

use crate::audit::{self, AuditLog, AuditVerification, NewAuditEntry, Subject};
use crate::engine::{Engine, OpenOptions, ScratchFile, Target};
use crate::error::{Result, StoreError};
use crate::ids::{MunicipalityId, Tenant};
use crate::migrate;
use crate::model::{Actor, Municipality, NewMunicipality, now_ms};
use crate::repo::municipality::{self, MunicipalityRecord};
use crate::repo::outbox::{
    AccountHolds, MediaLinks, PlatformCredentials, PublishAlerts, PublishJobs,
};
use crate::repo::posts::Posts;
use crate::repo::{
    ReadOnly, ReadWrite,
    accounts::Accounts,
    applications::Applications,
    auth::{ApiTokens, LoginStates, Preferences, Sessions},
    departments::Departments,
    events::AccountEvents,
    people::People,
    policies::PolicyVersions,
    required,
};

/// A connection pool to one koho database, SQLite or PostgreSQL. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) engine: Engine,
    /// Keeps the file behind `sqlite::memory:` until the last clone is dropped.
    _scratch: Option<std::sync::Arc<ScratchFile>>,
    /// Units of work committed through this store and its clones (see [`Store::local_writes`]).
    pub(crate) writes: std::sync::Arc<AtomicU64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("engine", &self.engine)
            .field("connections", &self.pool.size())
            .finish()
    }
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`:
    /// `sqlite://PATH`, `sqlite::memory:` or `postgres://USER@HOST/DB`.
    pub async fn open(url: &str) -> Result<Store> {
        Store::open_with(url, &OpenOptions::default()).await
    }

    /// [`Store::open`] with explicit pool and lock-wait settings.
    pub async fn open_with(url: &str, options: &OpenOptions) -> Result<Store> {
        let mut target = Target::parse(url)?;
        let pool = target.connect(options).await?;
        migrate::run(&pool, target.engine).await?;
        Ok(Store {
            pool,
            engine: target.engine,
            _scratch: target.scratch.take().map(std::sync::Arc::new),
            writes: std::sync::Arc::default(),
        })
    }

    /// The engine behind this store.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The schema version the database is at.
    pub async fn schema_version(&self) -> Result<i64> {
        migrate::current_version(&self.pool).await
    }

    /// How many units of work ([`Tx`]) this store and its clones have committed since it
    /// was opened. Caches of what the database says (the public pages) compare it to know
    /// that a write of this process happened without asking the database; writes of
    /// other processes are not counted.
    pub fn local_writes(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// Closes every pooled connection (`sqlite::memory:` data is gone once the store is dropped).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin_raw(&self, statement: &'static str) -> Result<Transaction<'static, Any>> {
        Ok(self.pool.begin_with(statement).await?)
    }

    /// Creates a municipality, its audit chain and the chain's first entry
    /// (`municipality.create` by `actor`) in one transaction.
    pub async fn create_municipality(
        &self,
        new: &NewMunicipality,
        actor: &Actor,
    ) -> Result<Municipality> {
        municipality::check_slug(&new.slug)?;
        required("name", &new.name)?;
        required("guideline_id", &new.guideline_id)?;
        let now = now_ms();
        let m = Municipality {
            id: MunicipalityId::generate(),
            slug: new.slug.clone(),
            name: new.name.trim().to_owned(),
            guideline_id: new.guideline_id.trim().to_owned(),
            created_at: now,
            updated_at: now,
            row_version: 1,
        };
        let mut tx = self.begin_raw(self.engine.begin_write()).await?;
        if municipality::get_by_slug(&mut tx, &m.slug).await?.is_some() {
            return Err(StoreError::Conflict {
                entity: "municipality",
                detail: format!("slug `{}` is taken", m.slug),
            });
        }
        municipality::insert(&mut tx, &m).await?;
        audit::create_head(&mut tx, m.id.as_str()).await?;
        let tenant = Tenant::new(m.id.clone());
        audit::append(
            &mut tx,
            &tenant,
            &NewAuditEntry::new(
                actor.clone(),
                "municipality.create",
                Subject::new("municipality", m.id.as_str()),
            )
            .after(&m)?,
        )
        .await?;
        tx.commit().await?;
        self.writes.fetch_add(1, Ordering::AcqRel);
        Ok(m)
    }

    /// Every municipality in the store (for operators of a shared deployment).
    pub async fn municipalities(&self) -> Result<Vec<Municipality>> {
        let mut conn = self.pool.acquire().await?;
        municipality::list_all(&mut conn).await
    }

    /// The tenant handle of an existing municipality (`STORE_TENANT` if there is none).
    pub async fn tenant(&self, id: &MunicipalityId) -> Result<Tenant> {
        let mut conn = self.pool.acquire().await?;
        match municipality::get_by_id(&mut conn, id.as_str()).await? {
            Some(m) => Ok(Tenant::new(m.id)),
            None => Err(StoreError::UnknownTenant(id.to_string())),
        }
    }

    /// The tenant handle of the municipality with this slug.
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Tenant> {
        let mut conn = self.pool.acquire().await?;
        match municipality::get_by_slug(&mut conn, slug).await? {
            Some(m) => Ok(Tenant::new(m.id)),
            None => Err(StoreError::UnknownTenant(slug.to_owned())),
        }
    }

    /// Starts a read-write unit of work for one tenant. Nothing is written until
    /// [`Tx::commit`]; dropping the `Tx` rolls back.
    ///
    /// On SQLite this takes the database write lock at once (`BEGIN IMMEDIATE`): keep
    /// transactions short and do no network I/O inside them.
    pub async fn begin(&self, tenant: &Tenant) -> Result<Tx> {
        Ok(Tx {
            tx: self.begin_raw(self.engine.begin_write()).await?,
            tenant: tenant.clone(),
            writes: std::sync::Arc::clone(&self.writes),
        })
    }

    /// Starts a read-only view of one tenant over a single consistent snapshot.
    pub async fn read(&self, tenant: &Tenant) -> Result<Reader> {
        Ok(Reader {
            tx: self.begin_raw(self.engine.begin_snapshot()).await?,
            tenant: tenant.clone(),
        })
    }

    /// The tenant's audit chain head, read outside any transaction: one primary-key
    /// lookup. Every change is audited in its own transaction, so the head identifies
    /// a version of the tenant's data (the public pages use it as their ETag).
    pub async fn audit_head(&self, tenant: &Tenant) -> Result<audit::ChainHead> {
        audit::head_of(&self.pool, tenant).await
    }

    /// Verifies the tenant's audit chain over one snapshot.
    pub async fn verify_audit(&self, tenant: &Tenant) -> Result<AuditVerification> {
        let mut reader = self.read(tenant).await?;
        reader.audit().verify().await
    }
}

/// Repository accessors shared by [`Tx`] and [`Reader`].
macro_rules! accessors {
    ($ty:ident, $access:ty) => {
        impl $ty {
            /// The tenant this unit of work is bound to.
            pub fn tenant(&self) -> &Tenant {
                &self.tenant
            }

            /// The tenant's own municipality row.
            pub fn municipality(&mut self) -> MunicipalityRecord<'_, $access> {
                MunicipalityRecord::new(&mut self.tx, &self.tenant)
            }

            /// Departments.
            pub fn departments(&mut self) -> Departments<'_, $access> {
                Departments::new(&mut self.tx, &self.tenant)
            }

            /// People.
            pub fn people(&mut self) -> People<'_, $access> {
                People::new(&mut self.tx, &self.tenant)
            }

            /// Official accounts.
            pub fn accounts(&mut self) -> Accounts<'_, $access> {
                Accounts::new(&mut self.tx, &self.tenant)
            }

            /// Opening and purpose-change applications.
            pub fn applications(&mut self) -> Applications<'_, $access> {
                Applications::new(&mut self.tx, &self.tenant)
            }

            /// Operation policy versions.
            pub fn policies(&mut self) -> PolicyVersions<'_, $access> {
                PolicyVersions::new(&mut self.tx, &self.tenant)
            }

            /// Account events.
            pub fn events(&mut self) -> AccountEvents<'_, $access> {
                AccountEvents::new(&mut self.tx, &self.tenant)
            }

            /// Posts and everything hanging off them (versions, targets, decisions,
            /// post-hoc reports, department requests, notifications).
            pub fn posts(&mut self) -> Posts<'_, $access> {
                Posts::new(&mut self.tx, &self.tenant)
            }

            /// The audit log.
            pub fn audit(&mut self) -> AuditLog<'_, $access> {
                AuditLog::new(&mut self.tx, &self.tenant)
            }

            /// Sign-in sessions.
            pub fn sessions(&mut self) -> Sessions<'_, $access> {
                Sessions::new(&mut self.tx, &self.tenant)
            }

            /// Failed-sign-in counters, lockouts and TOTP replay guards.
            pub fn login_states(&mut self) -> LoginStates<'_, $access> {
                LoginStates::new(&mut self.tx, &self.tenant)
            }

            /// API tokens.
            pub fn api_tokens(&mut self) -> ApiTokens<'_, $access> {
                ApiTokens::new(&mut self.tx, &self.tenant)
            }

            /// Per-person preferences.
            pub fn preferences(&mut self) -> Preferences<'_, $access> {
                Preferences::new(&mut self.tx, &self.tenant)
            }

            /// Publish jobs (the outbox).
            pub fn publish_jobs(&mut self) -> PublishJobs<'_, $access> {
                PublishJobs::new(&mut self.tx, &self.tenant)
            }

            /// Sealed platform credentials of the accounts.
            pub fn credentials(&mut self) -> PlatformCredentials<'_, $access> {
                PlatformCredentials::new(&mut self.tx, &self.tenant)
            }

            /// Per-account publishing holds.
            pub fn holds(&mut self) -> AccountHolds<'_, $access> {
                AccountHolds::new(&mut self.tx, &self.tenant)
            }

            /// Publisher alerts.
            pub fn publish_alerts(&mut self) -> PublishAlerts<'_, $access> {
                PublishAlerts::new(&mut self.tx, &self.tenant)
            }

            /// Public addresses of outbox images.
            pub fn media_links(&mut self) -> MediaLinks<'_, $access> {
                MediaLinks::new(&mut self.tx, &self.tenant)
            }
        }
    };
}

/// A read-write unit of work bound to one tenant: domain changes and their audit entries
/// commit together or not at all.
///
/// Reads inside a `Tx` see committed data but lock nothing on PostgreSQL (READ COMMITTED):
/// read-modify-write of a row is protected by its `row_version` (`STORE_STALE`), and the
/// audit chain by the chain-head row lock taken in [`AuditLog::append`]. On SQLite the whole
/// `Tx` holds the write lock.
///
/// After a write fails with `STORE_CONFLICT` or `STORE_DATABASE`, roll the `Tx` back:
/// PostgreSQL refuses further statements in a failed transaction.
pub struct Tx {
    tx: Transaction<'static, Any>,
    tenant: Tenant,
    writes: std::sync::Arc<AtomicU64>,
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").field("tenant", &self.tenant).finish()
    }
}

accessors!(Tx, ReadWrite);

impl Tx {
    /// Makes every change of this unit of work durable.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        self.writes.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Discards every change (dropping the `Tx` does the same).
    pub async fn rollback(self) -> Result<()> {
        Ok(self.tx.rollback().await?)
    }
}

/// A read-only view of one tenant over a consistent snapshot.
pub struct Reader {
    tx: Transaction<'static, Any>,
    tenant: Tenant,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("tenant", &self.tenant)
            .finish()
    }
}

accessors!(Reader, ReadOnly);

#[cfg(test)]
mod memory_tests {
    use super::*;

    /// sqlx replaces a pool connection it has given up on; with `sqlite::memory:` that
    /// once meant a fresh, empty database in the middle of a run.
    #[tokio::test]
    async fn memory_store_survives_a_replaced_connection_and_leaves_nothing_behind() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let path = store._scratch.as_ref().unwrap().path().to_owned();
        let m = store
            .create_municipality(
                &NewMunicipality {
                    slug: "midori".into(),
                    name: "みどり市".into(),
                    guideline_id: "midori".into(),
                },
                &Actor::System,
            )
            .await
            .unwrap();
        for _ in 0..3 {
            let conn = store.pool.acquire().await.unwrap();
            conn.close().await.unwrap();
        }
        assert_eq!(store.municipalities().await.unwrap()[0].id, m.id);
        let twin = Store::open("sqlite::memory:").await.unwrap();
        assert!(
            twin.municipalities().await.unwrap().is_empty(),
            "each memory store is its own"
        );
        let copy = store.clone();
        drop(store);
        assert!(path.exists(), "a clone keeps the data");
        copy.close().await;
        drop(copy);
        assert!(!path.exists(), "{} left behind", path.display());
    }
}

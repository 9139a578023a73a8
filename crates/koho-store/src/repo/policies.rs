//! Operation policy versions: numbered per account, never edited, only their status moves.

use sqlx::any::AnyRow;

use super::{Access, ReadWrite, RefTable, RowExt, ensure_ref, repository};
use crate::error::{Result, StoreError, on};
use crate::ids::{AccountId, MunicipalityId, PolicyVersionId};
use crate::model::{Actor, NewPolicyVersion, PolicyStatus, PolicyVersion, now_ms};

const ENTITY: &str = "operation policy version";

macro_rules! cols {
    () => {
        "id, municipality_id, account_id, version, body, status, created_by, created_at, \
         published_at"
    };
}

repository!(
    /// Operation policy versions of the tenant's accounts.
    PolicyVersions
);

fn from_row(row: &AnyRow) -> Result<PolicyVersion> {
    Ok(PolicyVersion {
        id: PolicyVersionId::from(row.text("id")?),
        municipality_id: MunicipalityId::from(row.text("municipality_id")?),
        account_id: AccountId::from(row.text("account_id")?),
        version: row.int("version")?,
        body: row.text("body")?,
        status: row.parsed("status")?,
        created_by: Actor::parse(&row.text("created_by")?),
        created_at: row.int("created_at")?,
        published_at: row.opt_int("published_at")?,
    })
}

impl<A: Access> PolicyVersions<'_, A> {
    /// One version by id.
    pub async fn get(&mut self, id: &PolicyVersionId) -> Result<PolicyVersion> {
        let row = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM operation_policy_versions WHERE municipality_id = $1 AND id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(row) => from_row(&row),
            None => Err(StoreError::not_found(ENTITY, id.as_str())),
        }
    }

    /// Version `version` (1, 2, 3 …) of an account's policy.
    pub async fn get_version(
        &mut self,
        account: &AccountId,
        version: i64,
    ) -> Result<PolicyVersion> {
        let row = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM operation_policy_versions
              WHERE municipality_id = $1 AND account_id = $2 AND version = $3"
        ))
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .bind(version)
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(row) => from_row(&row),
            None => Err(StoreError::not_found(
                ENTITY,
                format!("{account} v{version}"),
            )),
        }
    }

    /// All versions of an account's policy, oldest first.
    pub async fn list_for_account(&mut self, account: &AccountId) -> Result<Vec<PolicyVersion>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM operation_policy_versions WHERE municipality_id = $1 AND account_id = $2
              ORDER BY version"
        ))
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The published version of an account's policy, if any.
    pub async fn published(&mut self, account: &AccountId) -> Result<Option<PolicyVersion>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM operation_policy_versions
              WHERE municipality_id = $1 AND account_id = $2 AND status = 'published'"
        ))
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        row.as_ref().map(from_row).transpose()
    }
}

impl PolicyVersions<'_, ReadWrite> {
    /// Adds the next version (highest + 1) of the account's policy as a draft.
    pub async fn create_draft(&mut self, new: &NewPolicyVersion) -> Result<PolicyVersion> {
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Account,
            new.account_id.as_str(),
        )
        .await?;
        let next: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM operation_policy_versions
             WHERE municipality_id = $1 AND account_id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(new.account_id.as_str())
        .fetch_one(&mut *self.conn)
        .await?;
        let id = PolicyVersionId::generate();
        sqlx::query(concat!(
            "INSERT INTO operation_policy_versions (",
            cols!(),
            ") VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, NULL)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.account_id.as_str())
        .bind(next)
        .bind(&new.body)
        .bind(new.created_by.as_str())
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        self.get(&id).await
    }

    /// Publishes a draft at `at` (Unix ms); the previously published version of the same
    /// account, if any, becomes superseded in the same transaction. Returns the published
    /// version and the superseded one.
    pub async fn publish(
        &mut self,
        id: &PolicyVersionId,
        at: i64,
    ) -> Result<(PolicyVersion, Option<PolicyVersion>)> {
        let draft = self.get(id).await?;
        if draft.status != PolicyStatus::Draft {
            return Err(StoreError::Immutable {
                entity: ENTITY,
                id: id.to_string(),
                reason: format!(
                    "only a draft can be published, this one is {}",
                    draft.status
                ),
            });
        }
        let previous = self.published(&draft.account_id).await?;
        if let Some(prev) = &previous {
            sqlx::query(
                "UPDATE operation_policy_versions SET status = 'superseded'
                 WHERE municipality_id = $1 AND id = $2 AND status = 'published'",
            )
            .bind(self.tenant.as_str())
            .bind(prev.id.as_str())
            .execute(&mut *self.conn)
            .await
            .map_err(on(ENTITY))?;
        }
        let done = sqlx::query(
            "UPDATE operation_policy_versions SET status = 'published', published_at = $3
             WHERE municipality_id = $1 AND id = $2 AND status = 'draft'",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .bind(at)
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale {
                entity: ENTITY,
                id: id.to_string(),
                expected: draft.version,
            });
        }
        let published = self.get(id).await?;
        let superseded = match previous {
            Some(prev) => Some(self.get(&prev.id).await?),
            None => None,
        };
        Ok((published, superseded))
    }

    /// Discards a draft. Published and superseded versions stay forever.
    pub async fn delete_draft(&mut self, id: &PolicyVersionId) -> Result<()> {
        let version = self.get(id).await?;
        if version.status != PolicyStatus::Draft {
            return Err(StoreError::Immutable {
                entity: ENTITY,
                id: id.to_string(),
                reason: format!(
                    "only a draft can be deleted, this one is {}",
                    version.status
                ),
            });
        }
        sqlx::query(
            "DELETE FROM operation_policy_versions
             WHERE municipality_id = $1 AND id = $2 AND status = 'draft'",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        Ok(())
    }
}

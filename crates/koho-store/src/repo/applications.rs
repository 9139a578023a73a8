//! Opening and purpose-change applications.

use sqlx::any::AnyRow;

use super::{
    Access, ReadWrite, RefTable, RowExt, ensure_opt_ref, ensure_ref, flag, repository, to_json,
};
use crate::error::{Result, StoreError, on};
use crate::ids::{AccountId, ApplicationId, MunicipalityId, PersonId};
use crate::model::{
    AccountApplication, AccountFields, ApplicationKind, ApplicationStatus, Decision,
    NewApplication, now_ms,
};

const ENTITY: &str = "account application";

macro_rules! cols {
    () => {
        "id, municipality_id, kind, account_id, proposal, plan, applicant_id, checklist, \
         overlap_account_ids, status, form_number, submitted_at, decided_by, decided_at, \
         decision_reason, waiver, created_at, updated_at, row_version"
    };
}

repository!(
    /// Account applications of the tenant's municipality.
    Applications
);

fn from_row(row: &AnyRow) -> Result<AccountApplication> {
    let decision = match (row.opt_text("decided_by")?, row.opt_int("decided_at")?) {
        (Some(by), Some(at)) => Some(Decision {
            by: PersonId::from(by),
            at,
            reason: row.opt_text("decision_reason")?,
            waiver: row.flag("waiver")?,
        }),
        (None, None) => None,
        _ => {
            return Err(StoreError::Corrupt(
                "account application has only one of decided_by / decided_at".to_owned(),
            ));
        }
    };
    Ok(AccountApplication {
        id: ApplicationId::from(row.text("id")?),
        municipality_id: MunicipalityId::from(row.text("municipality_id")?),
        kind: row.parsed("kind")?,
        account_id: row.opt_text("account_id")?.map(AccountId::from),
        proposal: row.json::<AccountFields>("proposal")?,
        plan: row.text("plan")?,
        applicant_id: PersonId::from(row.text("applicant_id")?),
        checklist: row.json("checklist")?,
        overlap_account_ids: row.json("overlap_account_ids")?,
        status: row.parsed("status")?,
        decision,
        form_number: row.opt_text("form_number")?,
        submitted_at: row.opt_int("submitted_at")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
        row_version: row.int("row_version")?,
    })
}

impl<A: Access> Applications<'_, A> {
    /// One application.
    pub async fn get(&mut self, id: &ApplicationId) -> Result<AccountApplication> {
        let row = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM account_applications WHERE municipality_id = $1 AND id = $2"
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

    /// Every application, newest first.
    pub async fn list(&mut self) -> Result<Vec<AccountApplication>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM account_applications WHERE municipality_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(self.tenant.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Applications in one status, oldest first (a work queue).
    pub async fn list_by_status(
        &mut self,
        status: ApplicationStatus,
    ) -> Result<Vec<AccountApplication>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM account_applications WHERE municipality_id = $1 AND status = $2
              ORDER BY created_at, id"
        ))
        .bind(self.tenant.as_str())
        .bind(status.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Applications concerning one account, oldest first.
    pub async fn list_for_account(
        &mut self,
        account: &AccountId,
    ) -> Result<Vec<AccountApplication>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM account_applications WHERE municipality_id = $1 AND account_id = $2
              ORDER BY created_at, id"
        ))
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(from_row).collect()
    }
}

impl Applications<'_, ReadWrite> {
    /// Checks that every id the application names is one of the tenant's rows.
    async fn check(
        &mut self,
        kind: ApplicationKind,
        account_id: Option<&AccountId>,
        proposal: &AccountFields,
        applicant: &PersonId,
        overlaps: &[AccountId],
        decision: Option<&Decision>,
    ) -> Result<()> {
        if kind == ApplicationKind::PurposeChange && account_id.is_none() {
            return Err(StoreError::invalid(
                "account_id",
                "a purpose-change application must name its account",
            ));
        }
        super::accounts::check_fields(self.conn, self.tenant, proposal).await?;
        ensure_ref(self.conn, self.tenant, RefTable::Person, applicant.as_str()).await?;
        ensure_opt_ref(
            self.conn,
            self.tenant,
            RefTable::Account,
            account_id.map(AccountId::as_str),
        )
        .await?;
        for overlap in overlaps {
            ensure_ref(self.conn, self.tenant, RefTable::Account, overlap.as_str()).await?;
        }
        if let Some(d) = decision {
            ensure_ref(self.conn, self.tenant, RefTable::Person, d.by.as_str()).await?;
        }
        Ok(())
    }

    /// Records a new application.
    pub async fn create(&mut self, new: &NewApplication) -> Result<AccountApplication> {
        self.check(
            new.kind,
            new.account_id.as_ref(),
            &new.proposal,
            &new.applicant_id,
            &new.overlap_account_ids,
            None,
        )
        .await?;
        let id = ApplicationId::generate();
        sqlx::query(concat!(
            "INSERT INTO account_applications (",
            cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, NULL, NULL, 0, \
               $13, $13, 1)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.kind.as_str())
        .bind(new.account_id.as_ref().map(AccountId::as_str))
        .bind(to_json("proposal", &new.proposal)?)
        .bind(&new.plan)
        .bind(new.applicant_id.as_str())
        .bind(to_json("checklist", &new.checklist)?)
        .bind(to_json("overlap_account_ids", &new.overlap_account_ids)?)
        .bind(new.status.as_str())
        .bind(new.form_number.as_deref())
        .bind(new.submitted_at)
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        self.get(&id).await
    }

    /// Writes every field of `a` (status and decision included). `a.row_version` must be the
    /// version read.
    pub async fn update(&mut self, a: &AccountApplication) -> Result<AccountApplication> {
        self.check(
            a.kind,
            a.account_id.as_ref(),
            &a.proposal,
            &a.applicant_id,
            &a.overlap_account_ids,
            a.decision.as_ref(),
        )
        .await?;
        let d = a.decision.as_ref();
        let done = sqlx::query(
            "UPDATE account_applications SET kind = $3, account_id = $4, proposal = $5, plan = $6,
                 applicant_id = $7, checklist = $8, overlap_account_ids = $9, status = $10,
                 form_number = $11, submitted_at = $12, decided_by = $13, decided_at = $14,
                 decision_reason = $15, waiver = $16, updated_at = $17,
                 row_version = row_version + 1
             WHERE municipality_id = $1 AND id = $2 AND row_version = $18",
        )
        .bind(self.tenant.as_str())
        .bind(a.id.as_str())
        .bind(a.kind.as_str())
        .bind(a.account_id.as_ref().map(AccountId::as_str))
        .bind(to_json("proposal", &a.proposal)?)
        .bind(&a.plan)
        .bind(a.applicant_id.as_str())
        .bind(to_json("checklist", &a.checklist)?)
        .bind(to_json("overlap_account_ids", &a.overlap_account_ids)?)
        .bind(a.status.as_str())
        .bind(a.form_number.as_deref())
        .bind(a.submitted_at)
        .bind(d.map(|d| d.by.as_str()))
        .bind(d.map(|d| d.at))
        .bind(d.and_then(|d| d.reason.as_deref()))
        .bind(flag(d.is_some_and(|d| d.waiver)))
        .bind(now_ms())
        .bind(a.row_version)
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        if done.rows_affected() == 0 {
            // Either gone / another tenant's, or changed since it was read.
            self.get(&a.id).await?;
            return Err(StoreError::Stale {
                entity: ENTITY,
                id: a.id.to_string(),
                expected: a.row_version,
            });
        }
        self.get(&a.id).await
    }

    /// Removes an application (e.g. a discarded draft).
    pub async fn delete(&mut self, id: &ApplicationId) -> Result<()> {
        let done =
            sqlx::query("DELETE FROM account_applications WHERE municipality_id = $1 AND id = $2")
                .bind(self.tenant.as_str())
                .bind(id.as_str())
                .execute(&mut *self.conn)
                .await
                .map_err(on(ENTITY))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(ENTITY, id.as_str()));
        }
        Ok(())
    }
}

//! The official-account register.

use sqlx::any::AnyRow;

use super::{
    Access, ReadWrite, RefTable, RowExt, ensure_opt_ref, flag, missing_or_stale, repository,
    required, to_json,
};
use crate::error::{Result, StoreError, on};
use crate::ids::{AccountId, DepartmentId, MunicipalityId, PersonId, Tenant};
use crate::model::{
    AccountFields, AccountState, NewAccount, OfficialAccount, Platform, normalize_handle, now_ms,
};

const ENTITY: &str = "official account";

macro_rules! cols {
    () => {
        "id, municipality_id, platform, handle, handle_normalized, url, display_name, \
         department_id, manager_id, registration_email, purpose, content_categories, tone, \
         reply_policy, follow_policy, approval_required, verification, kind, state, \
         followers_count, created_at, updated_at, row_version"
    };
}

repository!(
    /// Official accounts of the tenant's municipality.
    Accounts
);

fn from_row(row: &AnyRow) -> Result<OfficialAccount> {
    Ok(OfficialAccount {
        id: AccountId::from(row.text("id")?),
        municipality_id: MunicipalityId::from(row.text("municipality_id")?),
        fields: AccountFields {
            platform: row.parsed("platform")?,
            handle: row.text("handle")?,
            url: row.opt_text("url")?,
            display_name: row.text("display_name")?,
            department_id: row.opt_text("department_id")?.map(DepartmentId::from),
            manager_id: row.opt_text("manager_id")?.map(PersonId::from),
            registration_email: row.opt_text("registration_email")?,
            purpose: row.text("purpose")?,
            content_categories: row.json("content_categories")?,
            tone: row.opt_text("tone")?,
            reply_policy: row.opt_text("reply_policy")?,
            follow_policy: row.opt_text("follow_policy")?,
            approval_required: row.flag("approval_required")?,
            kind: row.parsed("kind")?,
        },
        handle_normalized: row.text("handle_normalized")?,
        verification: row.parsed("verification")?,
        state: row.parsed("state")?,
        followers_count: row.opt_int("followers_count")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
        row_version: row.int("row_version")?,
    })
}

/// Checks the fields and that the department and manager belong to the tenant.
/// Shared with applications, whose proposals carry the same fields.
pub(crate) async fn check_fields(
    conn: &mut sqlx::AnyConnection,
    tenant: &Tenant,
    f: &AccountFields,
) -> Result<()> {
    if normalize_handle(&f.handle).is_empty() {
        return Err(StoreError::invalid("handle", "must not be empty"));
    }
    required("display_name", &f.display_name)?;
    ensure_opt_ref(
        conn,
        tenant,
        RefTable::Department,
        f.department_id.as_ref().map(DepartmentId::as_str),
    )
    .await?;
    ensure_opt_ref(
        conn,
        tenant,
        RefTable::Person,
        f.manager_id.as_ref().map(PersonId::as_str),
    )
    .await
}

fn check_followers(count: Option<i64>) -> Result<()> {
    match count {
        Some(n) if n < 0 => Err(StoreError::invalid(
            "followers_count",
            "must not be negative",
        )),
        _ => Ok(()),
    }
}

impl<A: Access> Accounts<'_, A> {
    async fn fetch_list(
        &mut self,
        sql: &'static str,
        arg: Option<&str>,
    ) -> Result<Vec<OfficialAccount>> {
        let mut q = sqlx::query(sql).bind(self.tenant.as_str());
        if let Some(arg) = arg {
            q = q.bind(arg.to_owned());
        }
        let rows = q.fetch_all(&mut *self.conn).await?;
        rows.iter().map(from_row).collect()
    }

    /// One account.
    pub async fn get(&mut self, id: &AccountId) -> Result<OfficialAccount> {
        let row = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM official_accounts WHERE municipality_id = $1 AND id = $2"
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

    /// The account with this handle on this platform (handle compared normalised).
    pub async fn get_by_handle(
        &mut self,
        platform: Platform,
        handle: &str,
    ) -> Result<OfficialAccount> {
        let normalized = normalize_handle(handle);
        let row = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM official_accounts
              WHERE municipality_id = $1 AND platform = $2 AND handle_normalized = $3"
        ))
        .bind(self.tenant.as_str())
        .bind(platform.as_str())
        .bind(&normalized)
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(row) => from_row(&row),
            None => Err(StoreError::not_found(
                ENTITY,
                format!("{platform}:{normalized}"),
            )),
        }
    }

    /// Every account, by platform and handle.
    pub async fn list(&mut self) -> Result<Vec<OfficialAccount>> {
        self.fetch_list(
            concat!(
                "SELECT ",
                cols!(),
                " FROM official_accounts WHERE municipality_id = $1
                  ORDER BY platform, handle_normalized"
            ),
            None,
        )
        .await
    }

    /// Accounts in one state.
    pub async fn list_by_state(&mut self, state: AccountState) -> Result<Vec<OfficialAccount>> {
        self.fetch_list(
            concat!(
                "SELECT ",
                cols!(),
                " FROM official_accounts WHERE municipality_id = $1 AND state = $2
                  ORDER BY platform, handle_normalized"
            ),
            Some(state.as_str()),
        )
        .await
    }

    /// Accounts owned by one department.
    pub async fn list_by_department(
        &mut self,
        department: &DepartmentId,
    ) -> Result<Vec<OfficialAccount>> {
        self.fetch_list(
            concat!(
                "SELECT ",
                cols!(),
                " FROM official_accounts WHERE municipality_id = $1 AND department_id = $2
                  ORDER BY platform, handle_normalized"
            ),
            Some(department.as_str()),
        )
        .await
    }
}

impl Accounts<'_, ReadWrite> {
    /// Registers an account. `STORE_CONFLICT` if the tenant already has this platform and
    /// normalised handle.
    pub async fn create(&mut self, new: &NewAccount) -> Result<OfficialAccount> {
        let f = &new.fields;
        check_fields(self.conn, self.tenant, f).await?;
        check_followers(new.followers_count)?;
        let id = AccountId::generate();
        sqlx::query(concat!(
            "INSERT INTO official_accounts (",
            cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
               $17, $18, $19, $20, $21, $21, 1)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(f.platform.as_str())
        .bind(f.handle.trim())
        .bind(normalize_handle(&f.handle))
        .bind(f.url.as_deref())
        .bind(f.display_name.trim())
        .bind(f.department_id.as_ref().map(DepartmentId::as_str))
        .bind(f.manager_id.as_ref().map(PersonId::as_str))
        .bind(f.registration_email.as_deref())
        .bind(&f.purpose)
        .bind(to_json("content_categories", &f.content_categories)?)
        .bind(f.tone.as_deref())
        .bind(f.reply_policy.as_deref())
        .bind(f.follow_policy.as_deref())
        .bind(flag(f.approval_required))
        .bind(new.verification.as_str())
        .bind(f.kind.as_str())
        .bind(new.state.as_str())
        .bind(new.followers_count)
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        self.get(&id).await
    }

    /// Writes every field of `a` (state included). `a.row_version` must be the version read.
    pub async fn update(&mut self, a: &OfficialAccount) -> Result<OfficialAccount> {
        let f = &a.fields;
        check_fields(self.conn, self.tenant, f).await?;
        check_followers(a.followers_count)?;
        let done = sqlx::query(
            "UPDATE official_accounts SET platform = $3, handle = $4, handle_normalized = $5,
                 url = $6, display_name = $7, department_id = $8, manager_id = $9,
                 registration_email = $10, purpose = $11, content_categories = $12, tone = $13,
                 reply_policy = $14, follow_policy = $15, approval_required = $16,
                 verification = $17, kind = $18, state = $19, followers_count = $20,
                 updated_at = $21, row_version = row_version + 1
             WHERE municipality_id = $1 AND id = $2 AND row_version = $22",
        )
        .bind(self.tenant.as_str())
        .bind(a.id.as_str())
        .bind(f.platform.as_str())
        .bind(f.handle.trim())
        .bind(normalize_handle(&f.handle))
        .bind(f.url.as_deref())
        .bind(f.display_name.trim())
        .bind(f.department_id.as_ref().map(DepartmentId::as_str))
        .bind(f.manager_id.as_ref().map(PersonId::as_str))
        .bind(f.registration_email.as_deref())
        .bind(&f.purpose)
        .bind(to_json("content_categories", &f.content_categories)?)
        .bind(f.tone.as_deref())
        .bind(f.reply_policy.as_deref())
        .bind(f.follow_policy.as_deref())
        .bind(flag(f.approval_required))
        .bind(a.verification.as_str())
        .bind(f.kind.as_str())
        .bind(a.state.as_str())
        .bind(a.followers_count)
        .bind(now_ms())
        .bind(a.row_version)
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        if done.rows_affected() == 0 {
            return Err(missing_or_stale(
                self.conn,
                self.tenant,
                RefTable::Account,
                a.id.as_str(),
                a.row_version,
            )
            .await);
        }
        self.get(&a.id).await
    }

    /// Records a follower count taken from the platform (no row-version check: the latest
    /// measurement wins).
    pub async fn record_followers(&mut self, id: &AccountId, count: i64) -> Result<()> {
        check_followers(Some(count))?;
        let done = sqlx::query(
            "UPDATE official_accounts SET followers_count = $3, updated_at = $4,
                 row_version = row_version + 1
             WHERE municipality_id = $1 AND id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .bind(count)
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(ENTITY, id.as_str()));
        }
        Ok(())
    }

    /// Removes an account that nothing refers to (applications, policies and events do:
    /// close an account instead of deleting it). `STORE_CONFLICT` if referenced.
    pub async fn delete(&mut self, id: &AccountId) -> Result<()> {
        let done =
            sqlx::query("DELETE FROM official_accounts WHERE municipality_id = $1 AND id = $2")
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

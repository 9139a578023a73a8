//! Account events: suspension and closure records and anything else with a kind, a JSON
//! payload and some times.

use sqlx::any::AnyRow;

use super::{Access, ReadWrite, RefTable, RowExt, ensure_opt_ref, ensure_ref, repository, to_json};
use crate::error::{Result, StoreError, on};
use crate::ids::{AccountId, EventId, MunicipalityId};
use crate::model::{AccountEvent, Actor, NewAccountEvent, now_ms};

const ENTITY: &str = "account event";

macro_rules! cols {
    () => {
        "id, municipality_id, account_id, kind, payload, occurred_at, effective_at, \
         next_check_at, related_account_id, recorded_by, created_at"
    };
}

repository!(
    /// Events of the tenant's accounts.
    AccountEvents
);

fn from_row(row: &AnyRow) -> Result<AccountEvent> {
    Ok(AccountEvent {
        id: EventId::from(row.text("id")?),
        municipality_id: MunicipalityId::from(row.text("municipality_id")?),
        account_id: AccountId::from(row.text("account_id")?),
        kind: row.text("kind")?,
        payload: row.json("payload")?,
        occurred_at: row.int("occurred_at")?,
        effective_at: row.opt_int("effective_at")?,
        next_check_at: row.opt_int("next_check_at")?,
        related_account_id: row.opt_text("related_account_id")?.map(AccountId::from),
        recorded_by: Actor::parse(&row.text("recorded_by")?),
        created_at: row.int("created_at")?,
    })
}

fn check_kind(kind: &str) -> Result<()> {
    let ok = !kind.is_empty()
        && kind.len() <= 64
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "kind",
            format!("`{kind}` must be 1-64 of a-z, 0-9, '-', '_', '.'"),
        ))
    }
}

impl<A: Access> AccountEvents<'_, A> {
    /// One event.
    pub async fn get(&mut self, id: &EventId) -> Result<AccountEvent> {
        let row = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM account_events WHERE municipality_id = $1 AND id = $2"
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

    /// An account's events in the order they happened.
    pub async fn list_for_account(&mut self, account: &AccountId) -> Result<Vec<AccountEvent>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM account_events WHERE municipality_id = $1 AND account_id = $2
              ORDER BY occurred_at, id"
        ))
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Events whose next check is due at or before `until` (Unix ms), earliest first.
    pub async fn list_due(&mut self, until: i64) -> Result<Vec<AccountEvent>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM account_events WHERE municipality_id = $1 AND next_check_at <= $2
              ORDER BY next_check_at, id"
        ))
        .bind(self.tenant.as_str())
        .bind(until)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(from_row).collect()
    }
}

impl AccountEvents<'_, ReadWrite> {
    /// Records an event.
    pub async fn create(&mut self, new: &NewAccountEvent) -> Result<AccountEvent> {
        check_kind(&new.kind)?;
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Account,
            new.account_id.as_str(),
        )
        .await?;
        ensure_opt_ref(
            self.conn,
            self.tenant,
            RefTable::Account,
            new.related_account_id.as_ref().map(AccountId::as_str),
        )
        .await?;
        let id = EventId::generate();
        sqlx::query(concat!(
            "INSERT INTO account_events (",
            cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.account_id.as_str())
        .bind(&new.kind)
        .bind(to_json("payload", &new.payload)?)
        .bind(new.occurred_at)
        .bind(new.effective_at)
        .bind(new.next_check_at)
        .bind(new.related_account_id.as_ref().map(AccountId::as_str))
        .bind(new.recorded_by.as_str())
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        self.get(&id).await
    }

    /// Moves or clears the next check date (the rest of an event is a record and stays).
    pub async fn set_next_check(&mut self, id: &EventId, at: Option<i64>) -> Result<AccountEvent> {
        let done = sqlx::query(
            "UPDATE account_events SET next_check_at = $3 WHERE municipality_id = $1 AND id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .bind(at)
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(ENTITY, id.as_str()));
        }
        self.get(id).await
    }
}

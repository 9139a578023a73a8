//! Tenant-bound repositories.
//!
//! A repository borrows the connection of a [`Tx`](crate::Tx) or a
//! [`Reader`](crate::Reader) together with its [`Tenant`]; every statement it runs has
//! `municipality_id = $1` bound to that tenant, and every id handed to it that names another
//! row (a department, a manager, a redirect target …) is checked to belong to the same
//! tenant before it is written. Write functions exist only on repositories obtained from a
//! `Tx` (`A = ReadWrite`).

use std::str::FromStr;

use serde::de::DeserializeOwned;
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Result, StoreError};
use crate::ids::Tenant;

pub(crate) mod accounts;
pub(crate) mod applications;
pub(crate) mod auth;
pub(crate) mod departments;
pub(crate) mod events;
pub(crate) mod municipality;
pub(crate) mod outbox;
pub(crate) mod people;
pub(crate) mod policies;
pub(crate) mod posts;

mod sealed {
    pub trait Sealed {}
}

/// Access level of a repository: [`ReadOnly`] or [`ReadWrite`].
pub trait Access: sealed::Sealed + Send + Sync + 'static {}

/// Repositories from a [`Reader`](crate::Reader): read functions only.
#[derive(Debug)]
pub enum ReadOnly {}

/// Repositories from a [`Tx`](crate::Tx): read and write functions.
#[derive(Debug)]
pub enum ReadWrite {}

impl sealed::Sealed for ReadOnly {}
impl sealed::Sealed for ReadWrite {}
impl Access for ReadOnly {}
impl Access for ReadWrite {}

/// Declares a repository struct borrowing a connection and a tenant.
macro_rules! repository {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<'c, A: $crate::repo::Access> {
            pub(crate) conn: &'c mut sqlx::AnyConnection,
            pub(crate) tenant: &'c $crate::ids::Tenant,
            pub(crate) _access: std::marker::PhantomData<A>,
        }

        impl<'c, A: $crate::repo::Access> $name<'c, A> {
            pub(crate) fn new(
                conn: &'c mut sqlx::AnyConnection,
                tenant: &'c $crate::ids::Tenant,
            ) -> Self {
                $name {
                    conn,
                    tenant,
                    _access: std::marker::PhantomData,
                }
            }

            /// The tenant every statement of this repository is bound to.
            pub fn tenant(&self) -> &$crate::ids::Tenant {
                self.tenant
            }
        }
    };
}
pub(crate) use repository;

/// Typed column access that turns decode failures into [`StoreError::Corrupt`].
pub(crate) trait RowExt {
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn flag(&self, col: &str) -> Result<bool>;
    fn parsed<T: FromStr<Err = StoreError>>(&self, col: &str) -> Result<T>;
    fn json<T: DeserializeOwned>(&self, col: &str) -> Result<T>;
}

fn corrupt(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("column `{col}`: {e}"))
}

impl RowExt for AnyRow {
    fn text(&self, col: &str) -> Result<String> {
        self.try_get::<String, _>(col).map_err(|e| corrupt(col, e))
    }

    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        self.try_get::<Option<String>, _>(col)
            .map_err(|e| corrupt(col, e))
    }

    fn int(&self, col: &str) -> Result<i64> {
        self.try_get::<i64, _>(col).map_err(|e| corrupt(col, e))
    }

    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        self.try_get::<Option<i64>, _>(col)
            .map_err(|e| corrupt(col, e))
    }

    fn flag(&self, col: &str) -> Result<bool> {
        match self.int(col)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(corrupt(
                col,
                format!("flag value {other} is neither 0 nor 1"),
            )),
        }
    }

    fn parsed<T: FromStr<Err = StoreError>>(&self, col: &str) -> Result<T> {
        self.text(col)?.parse().map_err(|e| corrupt(col, e))
    }

    fn json<T: DeserializeOwned>(&self, col: &str) -> Result<T> {
        serde_json::from_str(&self.text(col)?).map_err(|e| corrupt(col, e))
    }
}

/// Serialises a value to the JSON text stored in a TEXT column.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(
    field: &'static str,
    value: &T,
) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::invalid(field, e.to_string()))
}

/// 0/1 for flag columns.
pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// Rows another row can refer to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RefTable {
    Department,
    Person,
    Account,
}

/// Fails with `NotFound` unless `id` is a row of `table` in the tenant's municipality.
pub(crate) async fn ensure_ref(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    table: RefTable,
    id: &str,
) -> Result<()> {
    let (sql, entity) = match table {
        RefTable::Department => (
            "SELECT 1 FROM departments WHERE municipality_id = $1 AND id = $2",
            "department",
        ),
        RefTable::Person => (
            "SELECT 1 FROM people WHERE municipality_id = $1 AND id = $2",
            "person",
        ),
        RefTable::Account => (
            "SELECT 1 FROM official_accounts WHERE municipality_id = $1 AND id = $2",
            "official account",
        ),
    };
    let found = sqlx::query(sql)
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::not_found(entity, id)),
    }
}

/// Same as [`ensure_ref`] for an optional reference.
pub(crate) async fn ensure_opt_ref(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    table: RefTable,
    id: Option<&str>,
) -> Result<()> {
    match id {
        Some(id) => ensure_ref(conn, tenant, table, id).await,
        None => Ok(()),
    }
}

/// After an `UPDATE … WHERE row_version = $n` touched no row: NotFound or Stale.
pub(crate) async fn missing_or_stale(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    table: RefTable,
    id: &str,
    expected: i64,
) -> StoreError {
    let entity = match table {
        RefTable::Department => "department",
        RefTable::Person => "person",
        RefTable::Account => "official account",
    };
    match ensure_ref(conn, tenant, table, id).await {
        Ok(()) => StoreError::Stale {
            entity,
            id: id.to_owned(),
            expected,
        },
        Err(e) => e,
    }
}

/// Rejects empty (after trimming) required text.
pub(crate) fn required(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(StoreError::invalid(field, "must not be empty"));
    }
    Ok(())
}

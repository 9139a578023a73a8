//! The tenant's own municipality row.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{Access, ReadWrite, RowExt, repository, required};
use crate::error::{Result, StoreError, on};
use crate::ids::MunicipalityId;
use crate::model::{Municipality, now_ms};

const ENTITY: &str = "municipality";

macro_rules! cols {
    () => {
        "id, slug, name, guideline_id, created_at, updated_at, row_version"
    };
}

repository!(
    /// The tenant's own municipality record.
    MunicipalityRecord
);

pub(crate) fn from_row(row: &AnyRow) -> Result<Municipality> {
    Ok(Municipality {
        id: MunicipalityId::from(row.text("id")?),
        slug: row.text("slug")?,
        name: row.text("name")?,
        guideline_id: row.text("guideline_id")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
        row_version: row.int("row_version")?,
    })
}

/// Slugs are lowercase ASCII letters, digits and `-`, 1–63 characters, starting with a
/// letter or digit.
pub(crate) fn check_slug(slug: &str) -> Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 63
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "slug",
            format!("`{slug}` must be 1-63 lowercase letters, digits or '-'"),
        ))
    }
}

pub(crate) async fn get_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<Municipality>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        cols!(),
        " FROM municipalities WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub(crate) async fn get_by_slug(
    conn: &mut AnyConnection,
    slug: &str,
) -> Result<Option<Municipality>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        cols!(),
        " FROM municipalities WHERE slug = $1"
    ))
    .bind(slug)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub(crate) async fn list_all(conn: &mut AnyConnection) -> Result<Vec<Municipality>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        cols!(),
        " FROM municipalities ORDER BY slug"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub(crate) async fn insert(conn: &mut AnyConnection, m: &Municipality) -> Result<()> {
    sqlx::query(concat!(
        "INSERT INTO municipalities (",
        cols!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(m.id.as_str())
    .bind(&m.slug)
    .bind(&m.name)
    .bind(&m.guideline_id)
    .bind(m.created_at)
    .bind(m.updated_at)
    .bind(m.row_version)
    .execute(&mut *conn)
    .await
    .map_err(on(ENTITY))?;
    Ok(())
}

impl<A: Access> MunicipalityRecord<'_, A> {
    /// The tenant's municipality.
    pub async fn get(&mut self) -> Result<Municipality> {
        get_by_id(self.conn, self.tenant.as_str())
            .await?
            .ok_or_else(|| StoreError::UnknownTenant(self.tenant.as_str().to_owned()))
    }
}

impl MunicipalityRecord<'_, ReadWrite> {
    /// Changes slug, name or guideline id. `m.row_version` must be the version read.
    pub async fn update(&mut self, m: &Municipality) -> Result<Municipality> {
        if m.id != *self.tenant.id() {
            return Err(StoreError::not_found(ENTITY, m.id.as_str()));
        }
        check_slug(&m.slug)?;
        required("name", &m.name)?;
        required("guideline_id", &m.guideline_id)?;
        let done = sqlx::query(
            "UPDATE municipalities SET slug = $2, name = $3, guideline_id = $4, updated_at = $5,
                 row_version = row_version + 1
             WHERE id = $1 AND row_version = $6",
        )
        .bind(self.tenant.as_str())
        .bind(&m.slug)
        .bind(&m.name)
        .bind(&m.guideline_id)
        .bind(now_ms())
        .bind(m.row_version)
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale {
                entity: ENTITY,
                id: m.id.to_string(),
                expected: m.row_version,
            });
        }
        self.get().await
    }
}

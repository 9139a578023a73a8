//! Departments (課), optionally nested.

use sqlx::any::AnyRow;

use super::{
    Access, ReadWrite, RefTable, RowExt, ensure_opt_ref, missing_or_stale, repository, required,
};
use crate::error::{Result, StoreError, on};
use crate::ids::{DepartmentId, MunicipalityId};
use crate::model::{Department, NewDepartment, now_ms};

const ENTITY: &str = "department";

macro_rules! cols {
    () => {
        "id, municipality_id, name, parent_id, created_at, updated_at, row_version"
    };
}

repository!(
    /// Departments of the tenant's municipality.
    Departments
);

fn from_row(row: &AnyRow) -> Result<Department> {
    Ok(Department {
        id: DepartmentId::from(row.text("id")?),
        municipality_id: MunicipalityId::from(row.text("municipality_id")?),
        name: row.text("name")?,
        parent_id: row.opt_text("parent_id")?.map(DepartmentId::from),
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
        row_version: row.int("row_version")?,
    })
}

impl<A: Access> Departments<'_, A> {
    /// One department.
    pub async fn get(&mut self, id: &DepartmentId) -> Result<Department> {
        let row = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM departments WHERE municipality_id = $1 AND id = $2"
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

    /// All departments, by name.
    pub async fn list(&mut self) -> Result<Vec<Department>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM departments WHERE municipality_id = $1 ORDER BY name, id"
        ))
        .bind(self.tenant.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The department and its ancestors, nearest first.
    pub async fn ancestry(&mut self, id: &DepartmentId) -> Result<Vec<Department>> {
        let rows = sqlx::query(
            "WITH RECURSIVE chain (id, depth) AS (
                 SELECT id, 0 FROM departments WHERE municipality_id = $1 AND id = $2
                 UNION ALL
                 SELECT d.parent_id, chain.depth + 1
                 FROM departments d JOIN chain ON d.id = chain.id
                 WHERE d.municipality_id = $1 AND d.parent_id IS NOT NULL AND chain.depth < 64
             )
             SELECT d.id, d.municipality_id, d.name, d.parent_id, d.created_at, d.updated_at,
                    d.row_version
             FROM chain JOIN departments d ON d.id = chain.id AND d.municipality_id = $1
             ORDER BY chain.depth",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        if rows.is_empty() {
            return Err(StoreError::not_found(ENTITY, id.as_str()));
        }
        rows.iter().map(from_row).collect()
    }
}

impl Departments<'_, ReadWrite> {
    /// Adds a department. The parent, if any, must be one of the tenant's departments.
    pub async fn create(&mut self, new: &NewDepartment) -> Result<Department> {
        required("name", &new.name)?;
        ensure_opt_ref(
            self.conn,
            self.tenant,
            RefTable::Department,
            new.parent_id.as_ref().map(DepartmentId::as_str),
        )
        .await?;
        let id = DepartmentId::generate();
        let now = now_ms();
        sqlx::query(concat!(
            "INSERT INTO departments (",
            cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $5, 1)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.name.trim())
        .bind(new.parent_id.as_ref().map(DepartmentId::as_str))
        .bind(now)
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        self.get(&id).await
    }

    /// Renames or moves a department. `d.row_version` must be the version read; moving a
    /// department under itself or one of its descendants is refused.
    pub async fn update(&mut self, d: &Department) -> Result<Department> {
        required("name", &d.name)?;
        if let Some(parent) = &d.parent_id {
            ensure_opt_ref(
                self.conn,
                self.tenant,
                RefTable::Department,
                Some(parent.as_str()),
            )
            .await?;
            // The new parent's ancestry must not contain the department itself.
            let ancestry = self.ancestry(parent).await?;
            if ancestry.iter().any(|a| a.id == d.id) {
                return Err(StoreError::invalid(
                    "parent_id",
                    format!("department `{}` cannot be placed under itself", d.id),
                ));
            }
        }
        let done = sqlx::query(
            "UPDATE departments SET name = $3, parent_id = $4, updated_at = $5,
                 row_version = row_version + 1
             WHERE municipality_id = $1 AND id = $2 AND row_version = $6",
        )
        .bind(self.tenant.as_str())
        .bind(d.id.as_str())
        .bind(d.name.trim())
        .bind(d.parent_id.as_ref().map(DepartmentId::as_str))
        .bind(now_ms())
        .bind(d.row_version)
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        if done.rows_affected() == 0 {
            return Err(missing_or_stale(
                self.conn,
                self.tenant,
                RefTable::Department,
                d.id.as_str(),
                d.row_version,
            )
            .await);
        }
        self.get(&d.id).await
    }

    /// Removes a department that nothing refers to any more (else `STORE_CONFLICT`).
    pub async fn delete(&mut self, id: &DepartmentId) -> Result<()> {
        let done = sqlx::query("DELETE FROM departments WHERE municipality_id = $1 AND id = $2")
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

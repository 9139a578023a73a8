//! People, their roles and (on demand) their login secrets.

use std::collections::HashMap;

use sqlx::any::AnyRow;

use super::{
    Access, ReadWrite, RefTable, RowExt, ensure_opt_ref, flag, missing_or_stale, repository,
    required,
};
use crate::error::{Result, StoreError, on};
use crate::ids::{DepartmentId, MunicipalityId, PersonId};
use crate::model::{Credentials, NewPerson, Person, Role, Secret, now_ms};

const ENTITY: &str = "person";

/// Listing columns: never the password hash or TOTP secret.
macro_rules! cols {
    () => {
        "id, municipality_id, display_name, email, department_id, active, created_at, updated_at, row_version"
    };
}

repository!(
    /// People of the tenant's municipality.
    People
);

fn from_row(row: &AnyRow, roles: Vec<Role>) -> Result<Person> {
    Ok(Person {
        id: PersonId::from(row.text("id")?),
        municipality_id: MunicipalityId::from(row.text("municipality_id")?),
        display_name: row.text("display_name")?,
        email: row.text("email")?,
        department_id: row.opt_text("department_id")?.map(DepartmentId::from),
        roles,
        active: row.flag("active")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
        row_version: row.int("row_version")?,
    })
}

fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(char::is_whitespace);
    if !valid {
        return Err(StoreError::invalid(
            "email",
            format!("`{email}` is not an e-mail address"),
        ));
    }
    Ok(email)
}

fn normalize_roles(roles: &[Role]) -> Vec<Role> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
}

impl<A: Access> People<'_, A> {
    async fn roles_of(&mut self, id: &str) -> Result<Vec<Role>> {
        let rows = sqlx::query(
            "SELECT role FROM person_roles WHERE municipality_id = $1 AND person_id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(id)
        .fetch_all(&mut *self.conn)
        .await?;
        let roles: Result<Vec<Role>> = rows.iter().map(|r| r.parsed::<Role>("role")).collect();
        Ok(normalize_roles(&roles?))
    }

    /// Attaches roles to rows fetched by a listing query (one extra query, not one per row).
    async fn with_roles(&mut self, rows: Vec<AnyRow>) -> Result<Vec<Person>> {
        let role_rows =
            sqlx::query("SELECT person_id, role FROM person_roles WHERE municipality_id = $1")
                .bind(self.tenant.as_str())
                .fetch_all(&mut *self.conn)
                .await?;
        let mut by_person: HashMap<String, Vec<Role>> = HashMap::new();
        for r in &role_rows {
            by_person
                .entry(r.text("person_id")?)
                .or_default()
                .push(r.parsed("role")?);
        }
        rows.iter()
            .map(|row| {
                let roles = by_person.remove(&row.text("id")?).unwrap_or_default();
                from_row(row, normalize_roles(&roles))
            })
            .collect()
    }

    /// One person.
    pub async fn get(&mut self, id: &PersonId) -> Result<Person> {
        let row = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM people WHERE municipality_id = $1 AND id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::not_found(ENTITY, id.as_str()));
        };
        let roles = self.roles_of(id.as_str()).await?;
        from_row(&row, roles)
    }

    /// The person with this e-mail address (compared case-insensitively).
    pub async fn get_by_email(&mut self, email: &str) -> Result<Person> {
        let email = email.trim().to_lowercase();
        let row = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM people WHERE municipality_id = $1 AND email = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(&email)
        .fetch_optional(&mut *self.conn)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::not_found(ENTITY, email));
        };
        let roles = self.roles_of(&row.text("id")?).await?;
        from_row(&row, roles)
    }

    /// Everybody, by display name.
    pub async fn list(&mut self) -> Result<Vec<Person>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM people WHERE municipality_id = $1 ORDER BY display_name, id"
        ))
        .bind(self.tenant.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        self.with_roles(rows).await
    }

    /// Everybody holding `role`, by display name.
    pub async fn list_with_role(&mut self, role: Role) -> Result<Vec<Person>> {
        let rows = sqlx::query(
            "SELECT p.id, p.municipality_id, p.display_name, p.email, p.department_id, p.active,
                    p.created_at, p.updated_at, p.row_version
             FROM people p JOIN person_roles r
               ON r.municipality_id = p.municipality_id AND r.person_id = p.id
             WHERE p.municipality_id = $1 AND r.role = $2
             ORDER BY p.display_name, p.id",
        )
        .bind(self.tenant.as_str())
        .bind(role.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        self.with_roles(rows).await
    }

    /// Everybody in a department, by display name.
    pub async fn list_in_department(&mut self, department: &DepartmentId) -> Result<Vec<Person>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM people WHERE municipality_id = $1 AND department_id = $2
              ORDER BY display_name, id"
        ))
        .bind(self.tenant.as_str())
        .bind(department.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        self.with_roles(rows).await
    }

    /// The person's login secrets (for the login code only).
    pub async fn credentials(&mut self, id: &PersonId) -> Result<Credentials> {
        let row = sqlx::query(
            "SELECT password_hash, totp_secret FROM people WHERE municipality_id = $1 AND id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::not_found(ENTITY, id.as_str()));
        };
        Ok(Credentials {
            password_hash: row.opt_text("password_hash")?.map(Secret::new),
            totp_secret: row.opt_text("totp_secret")?.map(Secret::new),
        })
    }
}

impl People<'_, ReadWrite> {
    async fn replace_roles(&mut self, id: &str, roles: &[Role]) -> Result<()> {
        sqlx::query("DELETE FROM person_roles WHERE municipality_id = $1 AND person_id = $2")
            .bind(self.tenant.as_str())
            .bind(id)
            .execute(&mut *self.conn)
            .await?;
        for role in normalize_roles(roles) {
            sqlx::query(
                "INSERT INTO person_roles (municipality_id, person_id, role) VALUES ($1, $2, $3)",
            )
            .bind(self.tenant.as_str())
            .bind(id)
            .bind(role.as_str())
            .execute(&mut *self.conn)
            .await
            .map_err(on(ENTITY))?;
        }
        Ok(())
    }

    /// Adds a person (active, without credentials).
    pub async fn create(&mut self, new: &NewPerson) -> Result<Person> {
        required("display_name", &new.display_name)?;
        let email = normalize_email(&new.email)?;
        ensure_opt_ref(
            self.conn,
            self.tenant,
            RefTable::Department,
            new.department_id.as_ref().map(DepartmentId::as_str),
        )
        .await?;
        let id = PersonId::generate();
        sqlx::query(concat!(
            "INSERT INTO people (",
            cols!(),
            ") VALUES ($1, $2, $3, $4, $5, 1, $6, $6, 1)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.display_name.trim())
        .bind(&email)
        .bind(new.department_id.as_ref().map(DepartmentId::as_str))
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        self.replace_roles(id.as_str(), &new.roles).await?;
        self.get(&id).await
    }

    /// Changes name, e-mail, department, roles or the active flag. `p.row_version` must be
    /// the version read.
    pub async fn update(&mut self, p: &Person) -> Result<Person> {
        required("display_name", &p.display_name)?;
        let email = normalize_email(&p.email)?;
        ensure_opt_ref(
            self.conn,
            self.tenant,
            RefTable::Department,
            p.department_id.as_ref().map(DepartmentId::as_str),
        )
        .await?;
        let done = sqlx::query(
            "UPDATE people SET display_name = $3, email = $4, department_id = $5, active = $6,
                 updated_at = $7, row_version = row_version + 1
             WHERE municipality_id = $1 AND id = $2 AND row_version = $8",
        )
        .bind(self.tenant.as_str())
        .bind(p.id.as_str())
        .bind(p.display_name.trim())
        .bind(&email)
        .bind(p.department_id.as_ref().map(DepartmentId::as_str))
        .bind(flag(p.active))
        .bind(now_ms())
        .bind(p.row_version)
        .execute(&mut *self.conn)
        .await
        .map_err(on(ENTITY))?;
        if done.rows_affected() == 0 {
            return Err(missing_or_stale(
                self.conn,
                self.tenant,
                RefTable::Person,
                p.id.as_str(),
                p.row_version,
            )
            .await);
        }
        self.replace_roles(p.id.as_str(), &p.roles).await?;
        self.get(&p.id).await
    }

    /// Sets or clears the password hash (the hash is computed by the caller).
    pub async fn set_password_hash(&mut self, id: &PersonId, hash: Option<&Secret>) -> Result<()> {
        self.set_secret(
            "UPDATE people SET password_hash = $3, updated_at = $4
             WHERE municipality_id = $1 AND id = $2",
            id,
            hash,
        )
        .await
    }

    /// Sets or clears the TOTP secret.
    pub async fn set_totp_secret(&mut self, id: &PersonId, secret: Option<&Secret>) -> Result<()> {
        self.set_secret(
            "UPDATE people SET totp_secret = $3, updated_at = $4
             WHERE municipality_id = $1 AND id = $2",
            id,
            secret,
        )
        .await
    }

    async fn set_secret(
        &mut self,
        sql: &'static str,
        id: &PersonId,
        value: Option<&Secret>,
    ) -> Result<()> {
        let done = sqlx::query(sql)
            .bind(self.tenant.as_str())
            .bind(id.as_str())
            .bind(value.map(Secret::expose))
            .bind(now_ms())
            .execute(&mut *self.conn)
            .await
            .map_err(on(ENTITY))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(ENTITY, id.as_str()));
        }
        Ok(())
    }

    /// Removes a person nothing refers to any more (else `STORE_CONFLICT`; deactivate
    /// instead). Audit entries keep the id as text.
    pub async fn delete(&mut self, id: &PersonId) -> Result<()> {
        let done = sqlx::query("DELETE FROM people WHERE municipality_id = $1 AND id = $2")
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

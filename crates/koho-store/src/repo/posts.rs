//! The posting workflow's tables: posts, versions, targets, decisions, post-hoc reports,
//! department requests and notifications. One repository, because every write of a post
//! step touches several of them inside the same `Tx`.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{
    Access, ReadWrite, RefTable, RowExt, ensure_opt_ref, ensure_ref, flag, repository, to_json,
};
use crate::error::{Result, StoreError, on};
use crate::ids::{
    AccountId, DepartmentId, MunicipalityId, NotificationId, PersonId, PostDecisionId, PostId,
    PostTargetId, PostVersionId, ReportId, RequestId, Tenant,
};
use crate::model::now_ms;
use crate::post_model::{
    DepartmentRequest, NewDepartmentRequest, NewNotification, NewPost, NewPostDecision,
    NewPostHocReport, NewPostImage, NewPostVersion, Notification, Post, PostDecision,
    PostHocReport, PostImage, PostState, PostTarget, PostVersion, TargetState,
};

repository!(
    /// Posts of the tenant and everything hanging off them.
    Posts
);

macro_rules! post_cols {
    () => {
        "id, municipality_id, kind, corrects_post_id, share_category, share_url, request_id, \
         department_id, author_id, state, version, matters, approval_basis, exception_id, \
         exception_reason, publish_at, created_at, updated_at, row_version"
    };
}
macro_rules! version_cols {
    () => {
        "id, municipality_id, post_id, version, body, apology, variants, diagnostics, \
         error_count, author_id, created_at"
    };
}
macro_rules! target_cols {
    () => {
        "id, municipality_id, post_id, account_id, state, publish_at, remote_id, remote_url, \
         published_at, last_error, attempts, created_at, updated_at, row_version"
    };
}
macro_rules! image_cols {
    () => {
        "id, municipality_id, post_id, version, position, mime, alt_text, has_gps, sha256, \
         bytes, created_at"
    };
}
macro_rules! decision_cols {
    () => {
        "id, municipality_id, post_id, version, kind, decided_by, exception_id, reason, \
         clause_label, decided_at"
    };
}
macro_rules! report_cols {
    () => {
        "id, municipality_id, post_id, report_to_role, exception_id, reason, reported_by, \
         created_at, acknowledged_by, acknowledged_at, reminders, next_reminder_at, row_version"
    };
}
macro_rules! request_cols {
    () => {
        "id, municipality_id, department_id, submitted_by, title, body, desired_at, status, \
         decided_by, decided_at, decision_reason, post_id, created_at, updated_at, row_version"
    };
}
macro_rules! notification_cols {
    () => {
        "id, municipality_id, person_id, kind, subject_type, subject_id, message, clause_label, \
         created_at, read_at"
    };
}

fn post_row(r: &AnyRow) -> Result<Post> {
    Ok(Post {
        id: PostId::from(r.text("id")?),
        municipality_id: MunicipalityId::from(r.text("municipality_id")?),
        kind: r.parsed("kind")?,
        corrects_post_id: r.opt_text("corrects_post_id")?.map(PostId::from),
        share_category: r.opt_text("share_category")?,
        share_url: r.opt_text("share_url")?,
        request_id: r.opt_text("request_id")?.map(RequestId::from),
        department_id: r.opt_text("department_id")?.map(DepartmentId::from),
        author_id: PersonId::from(r.text("author_id")?),
        state: r.parsed("state")?,
        version: r.int("version")?,
        matters: r.json("matters")?,
        approval_basis: r.opt_text("approval_basis")?,
        exception_id: r.opt_text("exception_id")?,
        exception_reason: r.opt_text("exception_reason")?,
        publish_at: r.opt_int("publish_at")?,
        created_at: r.int("created_at")?,
        updated_at: r.int("updated_at")?,
        row_version: r.int("row_version")?,
    })
}

fn version_row(r: &AnyRow) -> Result<PostVersion> {
    Ok(PostVersion {
        id: PostVersionId::from(r.text("id")?),
        municipality_id: MunicipalityId::from(r.text("municipality_id")?),
        post_id: PostId::from(r.text("post_id")?),
        version: r.int("version")?,
        body: r.text("body")?,
        apology: r.opt_text("apology")?,
        variants: r.json("variants")?,
        diagnostics: r.json("diagnostics")?,
        error_count: r.int("error_count")?,
        author_id: PersonId::from(r.text("author_id")?),
        created_at: r.int("created_at")?,
    })
}

fn target_row(r: &AnyRow) -> Result<PostTarget> {
    Ok(PostTarget {
        id: PostTargetId::from(r.text("id")?),
        municipality_id: MunicipalityId::from(r.text("municipality_id")?),
        post_id: PostId::from(r.text("post_id")?),
        account_id: AccountId::from(r.text("account_id")?),
        state: r.parsed("state")?,
        publish_at: r.opt_int("publish_at")?,
        remote_id: r.opt_text("remote_id")?,
        remote_url: r.opt_text("remote_url")?,
        published_at: r.opt_int("published_at")?,
        last_error: r.opt_text("last_error")?,
        attempts: r.int("attempts")?,
        created_at: r.int("created_at")?,
        updated_at: r.int("updated_at")?,
        row_version: r.int("row_version")?,
    })
}

fn image_row(r: &AnyRow) -> Result<PostImage> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(r.text("bytes")?)
        .map_err(|e| StoreError::invalid("post image bytes", e.to_string()))?;
    Ok(PostImage {
        id: r.text("id")?,
        post_id: PostId::from(r.text("post_id")?),
        version: r.int("version")?,
        position: r.int("position")?,
        mime: r.text("mime")?,
        alt_text: r.opt_text("alt_text")?,
        has_gps: r.flag("has_gps")?,
        sha256: r.text("sha256")?,
        bytes,
        created_at: r.int("created_at")?,
    })
}

/// Images per post version: enough for any platform (Instagram and Facebook take 10).
pub const MAX_POST_IMAGES: usize = 10;
/// Bytes per image, before base64 (platform limits are lower; this guards the database).
pub const MAX_POST_IMAGE_BYTES: usize = 16 * 1024 * 1024;

fn check_image(i: usize, img: &NewPostImage) -> Result<()> {
    if !matches!(img.mime.as_str(), "image/jpeg" | "image/png" | "image/webp") {
        return Err(StoreError::invalid(
            "image",
            format!("image {} has unsupported type {}", i + 1, img.mime),
        ));
    }
    if img.bytes.is_empty() || img.bytes.len() > MAX_POST_IMAGE_BYTES {
        return Err(StoreError::invalid(
            "image",
            format!(
                "image {} is empty or larger than {MAX_POST_IMAGE_BYTES} bytes",
                i + 1
            ),
        ));
    }
    if img
        .alt_text
        .as_ref()
        .is_some_and(|a| a.chars().count() > 1_500)
    {
        return Err(StoreError::invalid(
            "alt_text",
            format!("alt text of image {} is longer than 1500 characters", i + 1),
        ));
    }
    Ok(())
}

fn decision_row(r: &AnyRow) -> Result<PostDecision> {
    Ok(PostDecision {
        id: PostDecisionId::from(r.text("id")?),
        municipality_id: MunicipalityId::from(r.text("municipality_id")?),
        post_id: PostId::from(r.text("post_id")?),
        version: r.int("version")?,
        kind: r.parsed("kind")?,
        decided_by: PersonId::from(r.text("decided_by")?),
        exception_id: r.opt_text("exception_id")?,
        reason: r.opt_text("reason")?,
        clause_label: r.opt_text("clause_label")?,
        decided_at: r.int("decided_at")?,
    })
}

fn report_row(r: &AnyRow) -> Result<PostHocReport> {
    Ok(PostHocReport {
        id: ReportId::from(r.text("id")?),
        municipality_id: MunicipalityId::from(r.text("municipality_id")?),
        post_id: PostId::from(r.text("post_id")?),
        report_to_role: r.text("report_to_role")?,
        exception_id: r.text("exception_id")?,
        reason: r.text("reason")?,
        reported_by: PersonId::from(r.text("reported_by")?),
        created_at: r.int("created_at")?,
        acknowledged_by: r.opt_text("acknowledged_by")?.map(PersonId::from),
        acknowledged_at: r.opt_int("acknowledged_at")?,
        reminders: r.int("reminders")?,
        next_reminder_at: r.opt_int("next_reminder_at")?,
        row_version: r.int("row_version")?,
    })
}

fn request_row(r: &AnyRow) -> Result<DepartmentRequest> {
    Ok(DepartmentRequest {
        id: RequestId::from(r.text("id")?),
        municipality_id: MunicipalityId::from(r.text("municipality_id")?),
        department_id: DepartmentId::from(r.text("department_id")?),
        submitted_by: PersonId::from(r.text("submitted_by")?),
        title: r.text("title")?,
        body: r.text("body")?,
        desired_at: r.opt_int("desired_at")?,
        status: r.parsed("status")?,
        decided_by: r.opt_text("decided_by")?.map(PersonId::from),
        decided_at: r.opt_int("decided_at")?,
        decision_reason: r.opt_text("decision_reason")?,
        post_id: r.opt_text("post_id")?.map(PostId::from),
        created_at: r.int("created_at")?,
        updated_at: r.int("updated_at")?,
        row_version: r.int("row_version")?,
    })
}

fn notification_row(r: &AnyRow) -> Result<Notification> {
    Ok(Notification {
        id: NotificationId::from(r.text("id")?),
        municipality_id: MunicipalityId::from(r.text("municipality_id")?),
        person_id: PersonId::from(r.text("person_id")?),
        kind: r.text("kind")?,
        subject_type: r.text("subject_type")?,
        subject_id: r.text("subject_id")?,
        message: r.text("message")?,
        clause_label: r.opt_text("clause_label")?,
        created_at: r.int("created_at")?,
        read_at: r.opt_int("read_at")?,
    })
}

/// Fails with `NotFound` unless the row of `table` with `id` is the tenant's. The posting
/// tables are not in [`RefTable`], which belongs to the register.
async fn ensure_own(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    table: &'static str,
    entity: &'static str,
    id: &str,
) -> Result<()> {
    let sql = match table {
        "posts" => "SELECT 1 FROM posts WHERE municipality_id = $1 AND id = $2",
        "department_requests" => {
            "SELECT 1 FROM department_requests WHERE municipality_id = $1 AND id = $2"
        }
        _ => return Err(StoreError::invalid("table", table)),
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

fn checked_text(field: &'static str, value: &str, max: usize) -> Result<()> {
    super::required(field, value)?;
    if value.chars().count() > max {
        return Err(StoreError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(())
}

impl<A: Access> Posts<'_, A> {
    /// One post.
    pub async fn get(&mut self, id: &PostId) -> Result<Post> {
        let row = sqlx::query(concat!(
            "SELECT ",
            post_cols!(),
            " FROM posts WHERE municipality_id = $1 AND id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(r) => post_row(&r),
            None => Err(StoreError::not_found("post", id.as_str())),
        }
    }

    /// Posts, newest first, optionally only those in `state`.
    pub async fn list(&mut self, state: Option<PostState>) -> Result<Vec<Post>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            post_cols!(),
            " FROM posts WHERE municipality_id = $1 AND (CAST($2 AS TEXT) IS NULL OR state = $2)
              ORDER BY created_at DESC, id DESC"
        ))
        .bind(self.tenant.as_str())
        .bind(state.map(PostState::as_str))
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(post_row).collect()
    }

    /// Posts in `state` whose time is at or before `until`, earliest first.
    pub async fn list_timed(&mut self, state: PostState, until: i64) -> Result<Vec<Post>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            post_cols!(),
            " FROM posts WHERE municipality_id = $1 AND state = $2 AND publish_at <= $3
              ORDER BY publish_at, id"
        ))
        .bind(self.tenant.as_str())
        .bind(state.as_str())
        .bind(until)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(post_row).collect()
    }

    /// The corrections of a post, oldest first.
    pub async fn corrections_of(&mut self, id: &PostId) -> Result<Vec<Post>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            post_cols!(),
            " FROM posts WHERE municipality_id = $1 AND corrects_post_id = $2
              ORDER BY created_at, id"
        ))
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(post_row).collect()
    }

    /// Version `version` of a post.
    pub async fn version(&mut self, post: &PostId, version: i64) -> Result<PostVersion> {
        let row = sqlx::query(concat!(
            "SELECT ",
            version_cols!(),
            " FROM post_versions WHERE municipality_id = $1 AND post_id = $2 AND version = $3"
        ))
        .bind(self.tenant.as_str())
        .bind(post.as_str())
        .bind(version)
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(r) => version_row(&r),
            None => Err(StoreError::not_found(
                "post version",
                format!("{post} v{version}"),
            )),
        }
    }

    /// Every version of a post, oldest first.
    pub async fn versions(&mut self, post: &PostId) -> Result<Vec<PostVersion>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            version_cols!(),
            " FROM post_versions WHERE municipality_id = $1 AND post_id = $2 ORDER BY version"
        ))
        .bind(self.tenant.as_str())
        .bind(post.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(version_row).collect()
    }

    /// The images of version `version` of a post, in order.
    pub async fn images(&mut self, post: &PostId, version: i64) -> Result<Vec<PostImage>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            image_cols!(),
            " FROM post_images WHERE municipality_id = $1 AND post_id = $2 AND version = $3
              ORDER BY position"
        ))
        .bind(self.tenant.as_str())
        .bind(post.as_str())
        .bind(version)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(image_row).collect()
    }

    /// Targets in `state`, oldest first, at most `limit` (uses the `post_targets_due` index:
    /// no scan over every post).
    pub async fn targets_in_state(
        &mut self,
        state: TargetState,
        limit: i64,
    ) -> Result<Vec<PostTarget>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            target_cols!(),
            " FROM post_targets WHERE municipality_id = $1 AND state = $2
              ORDER BY updated_at, id LIMIT $3"
        ))
        .bind(self.tenant.as_str())
        .bind(state.as_str())
        .bind(limit)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(target_row).collect()
    }

    /// One target.
    pub async fn target(&mut self, id: &PostTargetId) -> Result<PostTarget> {
        let row = sqlx::query(concat!(
            "SELECT ",
            target_cols!(),
            " FROM post_targets WHERE municipality_id = $1 AND id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(r) => target_row(&r),
            None => Err(StoreError::not_found("post target", id.as_str())),
        }
    }

    /// The targets of a post.
    pub async fn targets(&mut self, post: &PostId) -> Result<Vec<PostTarget>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            target_cols!(),
            " FROM post_targets WHERE municipality_id = $1 AND post_id = $2 ORDER BY created_at, id"
        ))
        .bind(self.tenant.as_str())
        .bind(post.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(target_row).collect()
    }

    /// Targets in `state` whose time is at or before `until`, earliest first.
    pub async fn targets_timed(
        &mut self,
        state: TargetState,
        until: i64,
    ) -> Result<Vec<PostTarget>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            target_cols!(),
            " FROM post_targets WHERE municipality_id = $1 AND state = $2 AND publish_at <= $3
              ORDER BY publish_at, id"
        ))
        .bind(self.tenant.as_str())
        .bind(state.as_str())
        .bind(until)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(target_row).collect()
    }

    /// Targets that were ever published (published, retracting, deleted or corrected),
    /// newest first: what the public archive shows.
    pub async fn published_targets(&mut self, limit: i64) -> Result<Vec<PostTarget>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            target_cols!(),
            " FROM post_targets WHERE municipality_id = $1 AND published_at IS NOT NULL
              ORDER BY published_at DESC, id DESC LIMIT $2"
        ))
        .bind(self.tenant.as_str())
        .bind(limit)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(target_row).collect()
    }

    /// The decisions on a post, oldest first.
    pub async fn decisions(&mut self, post: &PostId) -> Result<Vec<PostDecision>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            decision_cols!(),
            " FROM post_decisions WHERE municipality_id = $1 AND post_id = $2
              ORDER BY decided_at, id"
        ))
        .bind(self.tenant.as_str())
        .bind(post.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(decision_row).collect()
    }

    /// The post-hoc report of a post, if it has one.
    pub async fn report_for(&mut self, post: &PostId) -> Result<Option<PostHocReport>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            report_cols!(),
            " FROM post_hoc_reports WHERE municipality_id = $1 AND post_id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(post.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        row.as_ref().map(report_row).transpose()
    }

    /// Unacknowledged post-hoc reports, oldest first.
    pub async fn open_reports(&mut self) -> Result<Vec<PostHocReport>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            report_cols!(),
            " FROM post_hoc_reports WHERE municipality_id = $1 AND acknowledged_at IS NULL
              ORDER BY created_at, id"
        ))
        .bind(self.tenant.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(report_row).collect()
    }

    /// One department request.
    pub async fn request(&mut self, id: &RequestId) -> Result<DepartmentRequest> {
        let row = sqlx::query(concat!(
            "SELECT ",
            request_cols!(),
            " FROM department_requests WHERE municipality_id = $1 AND id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(r) => request_row(&r),
            None => Err(StoreError::not_found("department request", id.as_str())),
        }
    }

    /// Department requests, newest first.
    pub async fn requests(&mut self) -> Result<Vec<DepartmentRequest>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            request_cols!(),
            " FROM department_requests WHERE municipality_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(self.tenant.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(request_row).collect()
    }

    /// A person's notifications, newest first.
    pub async fn notifications(&mut self, person: &PersonId) -> Result<Vec<Notification>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            notification_cols!(),
            " FROM notifications WHERE municipality_id = $1 AND person_id = $2
              ORDER BY created_at DESC, id DESC"
        ))
        .bind(self.tenant.as_str())
        .bind(person.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(notification_row).collect()
    }
}

impl Posts<'_, ReadWrite> {
    /// Creates a post (without versions or targets: add them in the same `Tx`).
    pub async fn create(&mut self, new: &NewPost) -> Result<Post> {
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Person,
            new.author_id.as_str(),
        )
        .await?;
        ensure_opt_ref(
            self.conn,
            self.tenant,
            RefTable::Department,
            new.department_id.as_ref().map(DepartmentId::as_str),
        )
        .await?;
        if let Some(p) = &new.corrects_post_id {
            ensure_own(self.conn, self.tenant, "posts", "post", p.as_str()).await?;
        }
        if let Some(r) = &new.request_id {
            ensure_own(
                self.conn,
                self.tenant,
                "department_requests",
                "department request",
                r.as_str(),
            )
            .await?;
        }
        let id = PostId::generate();
        let now = now_ms();
        sqlx::query(concat!(
            "INSERT INTO posts (",
            post_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, NULL, NULL, NULL, $12, $13, $13, 1)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.kind.as_str())
        .bind(new.corrects_post_id.as_ref().map(PostId::as_str))
        .bind(new.share_category.as_deref())
        .bind(new.share_url.as_deref())
        .bind(new.request_id.as_ref().map(RequestId::as_str))
        .bind(new.department_id.as_ref().map(DepartmentId::as_str))
        .bind(new.author_id.as_str())
        .bind(PostState::Draft.as_str())
        .bind(to_json("matters", &new.matters)?)
        .bind(new.publish_at)
        .bind(now)
        .execute(&mut *self.conn)
        .await
        .map_err(on("post"))?;
        self.get(&id).await
    }

    /// Writes a post's mutable fields if nobody changed it since it was read.
    pub async fn update(&mut self, p: &Post) -> Result<Post> {
        let done = sqlx::query(
            "UPDATE posts SET state = $3, version = $4, matters = $5, approval_basis = $6,
                exception_id = $7, exception_reason = $8, publish_at = $9, share_category = $10,
                share_url = $11, updated_at = $12, row_version = row_version + 1
             WHERE municipality_id = $1 AND id = $2 AND row_version = $13",
        )
        .bind(self.tenant.as_str())
        .bind(p.id.as_str())
        .bind(p.state.as_str())
        .bind(p.version)
        .bind(to_json("matters", &p.matters)?)
        .bind(p.approval_basis.as_deref())
        .bind(p.exception_id.as_deref())
        .bind(p.exception_reason.as_deref())
        .bind(p.publish_at)
        .bind(p.share_category.as_deref())
        .bind(p.share_url.as_deref())
        .bind(now_ms())
        .bind(p.row_version)
        .execute(&mut *self.conn)
        .await
        .map_err(on("post"))?;
        if done.rows_affected() == 0 {
            ensure_own(self.conn, self.tenant, "posts", "post", p.id.as_str()).await?;
            return Err(StoreError::Stale {
                entity: "post",
                id: p.id.to_string(),
                expected: p.row_version,
            });
        }
        self.get(&p.id).await
    }

    /// Adds the next version of a post's text and makes it the post's current version.
    pub async fn add_version(&mut self, new: &NewPostVersion) -> Result<PostVersion> {
        checked_text("body", &new.body, 100_000)?;
        if new.images.len() > MAX_POST_IMAGES {
            return Err(StoreError::invalid(
                "images",
                format!("more than {MAX_POST_IMAGES} images"),
            ));
        }
        for (i, img) in new.images.iter().enumerate() {
            check_image(i, img)?;
        }
        ensure_own(
            self.conn,
            self.tenant,
            "posts",
            "post",
            new.post_id.as_str(),
        )
        .await?;
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Person,
            new.author_id.as_str(),
        )
        .await?;
        let next: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM post_versions
             WHERE municipality_id = $1 AND post_id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(new.post_id.as_str())
        .fetch_one(&mut *self.conn)
        .await?;
        let id = PostVersionId::generate();
        sqlx::query(concat!(
            "INSERT INTO post_versions (",
            version_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.post_id.as_str())
        .bind(next)
        .bind(&new.body)
        .bind(new.apology.as_deref())
        .bind(to_json("variants", &new.variants)?)
        .bind(to_json("diagnostics", &new.diagnostics)?)
        .bind(new.error_count)
        .bind(new.author_id.as_str())
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on("post version"))?;
        let now = now_ms();
        for (position, img) in new.images.iter().enumerate() {
            use base64::Engine as _;
            sqlx::query(concat!(
                "INSERT INTO post_images (",
                image_cols!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ))
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(self.tenant.as_str())
            .bind(new.post_id.as_str())
            .bind(next)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(&img.mime)
            .bind(
                img.alt_text
                    .as_deref()
                    .map(str::trim)
                    .filter(|a| !a.is_empty()),
            )
            .bind(flag(img.has_gps))
            .bind(crate::audit::sha256_hex(&img.bytes))
            .bind(base64::engine::general_purpose::STANDARD.encode(&img.bytes))
            .bind(now)
            .execute(&mut *self.conn)
            .await
            .map_err(on("post image"))?;
        }
        sqlx::query("UPDATE posts SET version = $3 WHERE municipality_id = $1 AND id = $2")
            .bind(self.tenant.as_str())
            .bind(new.post_id.as_str())
            .bind(next)
            .execute(&mut *self.conn)
            .await
            .map_err(on("post"))?;
        self.version(&new.post_id, next).await
    }

    /// Adds an official account to a post, waiting for the post to be cleared.
    pub async fn add_target(&mut self, post: &PostId, account: &AccountId) -> Result<PostTarget> {
        ensure_own(self.conn, self.tenant, "posts", "post", post.as_str()).await?;
        ensure_ref(self.conn, self.tenant, RefTable::Account, account.as_str()).await?;
        let id = PostTargetId::generate();
        let now = now_ms();
        sqlx::query(concat!(
            "INSERT INTO post_targets (",
            target_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, NULL, NULL, 0, $6, $6, 1)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(post.as_str())
        .bind(account.as_str())
        .bind(TargetState::Waiting.as_str())
        .bind(now)
        .execute(&mut *self.conn)
        .await
        .map_err(on("post target"))?;
        self.target(&id).await
    }

    /// Removes a target that never left `waiting` (the draft's accounts changed).
    pub async fn remove_target(&mut self, id: &PostTargetId) -> Result<()> {
        let t = self.target(id).await?;
        if t.state != TargetState::Waiting {
            return Err(StoreError::Immutable {
                entity: "post target",
                id: id.to_string(),
                reason: format!("it is {}, only waiting targets can be removed", t.state),
            });
        }
        sqlx::query("DELETE FROM post_targets WHERE municipality_id = $1 AND id = $2")
            .bind(self.tenant.as_str())
            .bind(id.as_str())
            .execute(&mut *self.conn)
            .await
            .map_err(on("post target"))?;
        Ok(())
    }

    /// Writes a target's mutable fields if nobody changed it since it was read.
    pub async fn update_target(&mut self, t: &PostTarget) -> Result<PostTarget> {
        let done = sqlx::query(
            "UPDATE post_targets SET state = $3, publish_at = $4, remote_id = $5, remote_url = $6,
                published_at = $7, last_error = $8, attempts = $9, updated_at = $10,
                row_version = row_version + 1
             WHERE municipality_id = $1 AND id = $2 AND row_version = $11",
        )
        .bind(self.tenant.as_str())
        .bind(t.id.as_str())
        .bind(t.state.as_str())
        .bind(t.publish_at)
        .bind(t.remote_id.as_deref())
        .bind(t.remote_url.as_deref())
        .bind(t.published_at)
        .bind(t.last_error.as_deref())
        .bind(t.attempts)
        .bind(now_ms())
        .bind(t.row_version)
        .execute(&mut *self.conn)
        .await
        .map_err(on("post target"))?;
        if done.rows_affected() == 0 {
            self.target(&t.id).await?;
            return Err(StoreError::Stale {
                entity: "post target",
                id: t.id.to_string(),
                expected: t.row_version,
            });
        }
        self.target(&t.id).await
    }

    /// Records a decision on a post version.
    pub async fn add_decision(&mut self, new: &NewPostDecision) -> Result<PostDecision> {
        ensure_own(
            self.conn,
            self.tenant,
            "posts",
            "post",
            new.post_id.as_str(),
        )
        .await?;
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Person,
            new.decided_by.as_str(),
        )
        .await?;
        let id = PostDecisionId::generate();
        sqlx::query(concat!(
            "INSERT INTO post_decisions (",
            decision_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.post_id.as_str())
        .bind(new.version)
        .bind(new.kind.as_str())
        .bind(new.decided_by.as_str())
        .bind(new.exception_id.as_deref())
        .bind(new.reason.as_deref())
        .bind(new.clause_label.as_deref())
        .bind(new.decided_at)
        .execute(&mut *self.conn)
        .await
        .map_err(on("post decision"))?;
        let row = sqlx::query(concat!(
            "SELECT ",
            decision_cols!(),
            " FROM post_decisions WHERE municipality_id = $1 AND id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_one(&mut *self.conn)
        .await?;
        decision_row(&row)
    }

    /// Opens the post-hoc report of a post published without approval.
    pub async fn create_report(&mut self, new: &NewPostHocReport) -> Result<PostHocReport> {
        checked_text("reason", &new.reason, 10_000)?;
        ensure_own(
            self.conn,
            self.tenant,
            "posts",
            "post",
            new.post_id.as_str(),
        )
        .await?;
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Person,
            new.reported_by.as_str(),
        )
        .await?;
        let id = ReportId::generate();
        sqlx::query(concat!(
            "INSERT INTO post_hoc_reports (",
            report_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, 0, $9, 1)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.post_id.as_str())
        .bind(&new.report_to_role)
        .bind(&new.exception_id)
        .bind(&new.reason)
        .bind(new.reported_by.as_str())
        .bind(now_ms())
        .bind(new.next_reminder_at)
        .execute(&mut *self.conn)
        .await
        .map_err(on("post-hoc report"))?;
        self.report_for(&new.post_id)
            .await?
            .ok_or_else(|| StoreError::not_found("post-hoc report", id.as_str()))
    }

    /// Writes a report's acknowledgement and reminder fields if unchanged since read.
    pub async fn update_report(&mut self, r: &PostHocReport) -> Result<PostHocReport> {
        if let Some(p) = &r.acknowledged_by {
            ensure_ref(self.conn, self.tenant, RefTable::Person, p.as_str()).await?;
        }
        let done = sqlx::query(
            "UPDATE post_hoc_reports SET acknowledged_by = $3, acknowledged_at = $4,
                reminders = $5, next_reminder_at = $6, row_version = row_version + 1
             WHERE municipality_id = $1 AND id = $2 AND row_version = $7",
        )
        .bind(self.tenant.as_str())
        .bind(r.id.as_str())
        .bind(r.acknowledged_by.as_ref().map(PersonId::as_str))
        .bind(r.acknowledged_at)
        .bind(r.reminders)
        .bind(r.next_reminder_at)
        .bind(r.row_version)
        .execute(&mut *self.conn)
        .await
        .map_err(on("post-hoc report"))?;
        if done.rows_affected() == 0 {
            let exists = self.report_for(&r.post_id).await?;
            return Err(match exists {
                Some(e) if e.id == r.id => StoreError::Stale {
                    entity: "post-hoc report",
                    id: r.id.to_string(),
                    expected: r.row_version,
                },
                _ => StoreError::not_found("post-hoc report", r.id.as_str()),
            });
        }
        self.report_for(&r.post_id)
            .await?
            .ok_or_else(|| StoreError::not_found("post-hoc report", r.id.as_str()))
    }

    /// Records a request from a department.
    pub async fn create_request(
        &mut self,
        new: &NewDepartmentRequest,
    ) -> Result<DepartmentRequest> {
        checked_text("title", &new.title, 200)?;
        checked_text("body", &new.body, 100_000)?;
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Department,
            new.department_id.as_str(),
        )
        .await?;
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Person,
            new.submitted_by.as_str(),
        )
        .await?;
        let id = RequestId::generate();
        let now = now_ms();
        sqlx::query(concat!(
            "INSERT INTO department_requests (",
            request_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL, NULL, $9, $9, 1)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.department_id.as_str())
        .bind(new.submitted_by.as_str())
        .bind(&new.title)
        .bind(&new.body)
        .bind(new.desired_at)
        .bind(crate::post_model::RequestStatus::Submitted.as_str())
        .bind(now)
        .execute(&mut *self.conn)
        .await
        .map_err(on("department request"))?;
        self.request(&id).await
    }

    /// Writes a request's decision if unchanged since read.
    pub async fn update_request(&mut self, r: &DepartmentRequest) -> Result<DepartmentRequest> {
        if let Some(p) = &r.decided_by {
            ensure_ref(self.conn, self.tenant, RefTable::Person, p.as_str()).await?;
        }
        if let Some(p) = &r.post_id {
            ensure_own(self.conn, self.tenant, "posts", "post", p.as_str()).await?;
        }
        let done = sqlx::query(
            "UPDATE department_requests SET status = $3, decided_by = $4, decided_at = $5,
                decision_reason = $6, post_id = $7, updated_at = $8, row_version = row_version + 1
             WHERE municipality_id = $1 AND id = $2 AND row_version = $9",
        )
        .bind(self.tenant.as_str())
        .bind(r.id.as_str())
        .bind(r.status.as_str())
        .bind(r.decided_by.as_ref().map(PersonId::as_str))
        .bind(r.decided_at)
        .bind(r.decision_reason.as_deref())
        .bind(r.post_id.as_ref().map(PostId::as_str))
        .bind(now_ms())
        .bind(r.row_version)
        .execute(&mut *self.conn)
        .await
        .map_err(on("department request"))?;
        if done.rows_affected() == 0 {
            self.request(&r.id).await?;
            return Err(StoreError::Stale {
                entity: "department request",
                id: r.id.to_string(),
                expected: r.row_version,
            });
        }
        self.request(&r.id).await
    }

    /// Leaves a message for a person.
    pub async fn notify(&mut self, new: &NewNotification) -> Result<Notification> {
        checked_text("message", &new.message, 10_000)?;
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Person,
            new.person_id.as_str(),
        )
        .await?;
        let id = NotificationId::generate();
        sqlx::query(concat!(
            "INSERT INTO notifications (",
            notification_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.person_id.as_str())
        .bind(&new.kind)
        .bind(&new.subject_type)
        .bind(&new.subject_id)
        .bind(&new.message)
        .bind(new.clause_label.as_deref())
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on("notification"))?;
        let row = sqlx::query(concat!(
            "SELECT ",
            notification_cols!(),
            " FROM notifications WHERE municipality_id = $1 AND id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_one(&mut *self.conn)
        .await?;
        notification_row(&row)
    }

    /// Marks a notification read.
    pub async fn mark_read(&mut self, id: &NotificationId, at: i64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE notifications SET read_at = $3 WHERE municipality_id = $1 AND id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .bind(at)
        .execute(&mut *self.conn)
        .await
        .map_err(on("notification"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("notification", id.as_str()));
        }
        Ok(())
    }
}

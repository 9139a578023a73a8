//! Reads the staff workspace needs besides [`Workflow::post`]: open post-hoc reports, targets
//! in one state (the dashboard's failed and unconfirmed publications), the corrections of a
//! post and one department request. Nothing here changes anything.

use koho_store::{
    DepartmentRequest, Post, PostHocReport, PostId, PostTarget, RequestId, TargetState,
};

use crate::Workflow;
use crate::error::WorkflowError;
use crate::posts::PostError;

type Result<T, E = PostError> = std::result::Result<T, E>;

impl Workflow {
    /// Post-hoc reports nobody has acknowledged yet, oldest first.
    pub async fn open_post_reports(&self) -> Result<Vec<PostHocReport>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.posts().open_reports().await?)
    }

    /// Every target in `state` that has a time, earliest first.
    pub async fn targets_in_state(&self, state: TargetState) -> Result<Vec<PostTarget>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.posts().targets_timed(state, i64::MAX).await?)
    }

    /// The corrections made of a post, oldest first.
    pub async fn corrections_of(&self, id: &PostId) -> Result<Vec<Post>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.posts().corrections_of(id).await?)
    }

    /// One department request.
    pub async fn request(&self, id: &RequestId) -> Result<DepartmentRequest> {
        let mut r = self.store().read(self.tenant()).await?;
        match r.posts().request(id).await {
            Ok(v) => Ok(v),
            Err(koho_store::StoreError::NotFound { .. }) => {
                Err(PostError::Workflow(WorkflowError::NotFound {
                    what: "department request",
                    key: id.to_string(),
                }))
            }
            Err(e) => Err(e.into()),
        }
    }
}

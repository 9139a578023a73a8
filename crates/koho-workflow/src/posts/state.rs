//! The post lifecycle and the life of one post on one account, as explicit state machines.
//!
//! ```text
//!  post:   draft ──submit──▶ submitted ──approve──▶ approved
//!            ▲  └─submit (exception / no approval needed)──────▲
//!            │               ├──reject──▶ rejected
//!            │               └──expire──▶ expired      (its time came first)
//!            └──edit── submitted | rejected | approved (nothing sent yet)
//!          withdraw: draft | submitted | rejected | approved (nothing sent yet) ──▶ withdrawn
//!
//!  target: waiting ──clear──▶ scheduled ──▶ published ──▶ retracting ──▶ deleted
//!             │                  │  ▲           └──────▶ corrected
//!             │                  │  └─ failed (retry) ◀─┐
//!             │                  ├──▶ failed ───────────┘──▶ published | unconfirmed | missed
//!             │                  ├──▶ unconfirmed ──▶ published | failed
//!             │                  ├──▶ missed            (not sent within the window)
//!             │                  ├──▶ waiting           (the post was edited)
//!             │                  └──▶ queued ──▶ published | failed | unconfirmed | missed
//!             └──▶ expired | withdrawn              (the publish job's outcome)
//! ```
//!
//! `queued` means one publish job holds the target: the publisher moved it there in the
//! same transaction that wrote the job, and moves it on in the transaction that writes
//! the job's outcome.

use koho_store::{PostState, TargetState};
use serde::Serialize;

use crate::posts::error::PostError;

/// Something done to a post as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostAction {
    Edit,
    /// Submit for approval.
    Submit,
    /// Cleared without approval at submission (exception, or none needed).
    Clear,
    Approve,
    Reject,
    Expire,
    Withdraw,
}

impl PostAction {
    pub const ALL: &'static [PostAction] = &[
        PostAction::Edit,
        PostAction::Submit,
        PostAction::Clear,
        PostAction::Approve,
        PostAction::Reject,
        PostAction::Expire,
        PostAction::Withdraw,
    ];

    pub fn id(self) -> &'static str {
        match self {
            PostAction::Edit => "edit",
            PostAction::Submit => "submit",
            PostAction::Clear => "clear",
            PostAction::Approve => "approve",
            PostAction::Reject => "reject",
            PostAction::Expire => "expire",
            PostAction::Withdraw => "withdraw",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PostAction::Edit => "編集",
            PostAction::Submit => "承認申請",
            PostAction::Clear => "承認不要での確定",
            PostAction::Approve => "承認",
            PostAction::Reject => "差戻し",
            PostAction::Expire => "期限切れ",
            PostAction::Withdraw => "取下げ",
        }
    }
}

/// The state a post reaches by `action`, or `POST_ILLEGAL_TRANSITION`.
pub fn next_post_state(from: PostState, action: PostAction) -> Result<PostState, PostError> {
    use PostState as S;
    let to = match (from, action) {
        (S::Draft | S::Submitted | S::Rejected | S::Approved, PostAction::Edit) => S::Draft,
        (S::Draft, PostAction::Submit) => S::Submitted,
        (S::Draft, PostAction::Clear) => S::Approved,
        (S::Submitted, PostAction::Approve) => S::Approved,
        (S::Submitted, PostAction::Reject) => S::Rejected,
        (S::Submitted, PostAction::Expire) => S::Expired,
        (S::Draft | S::Submitted | S::Rejected | S::Approved, PostAction::Withdraw) => S::Withdrawn,
        _ => return Err(PostError::IllegalTransition { from, action }),
    };
    Ok(to)
}

/// The actions possible on a post in a state.
pub fn allowed_post_actions(from: PostState) -> Vec<PostAction> {
    PostAction::ALL
        .iter()
        .copied()
        .filter(|a| next_post_state(from, *a).is_ok())
        .collect()
}

/// Whether a target may move from `from` to `to`.
pub fn target_move_allowed(from: TargetState, to: TargetState) -> bool {
    use TargetState as T;
    matches!(
        (from, to),
        (T::Waiting, T::Scheduled | T::Expired | T::Withdrawn)
            | (
                T::Scheduled,
                T::Waiting
                    | T::Queued
                    | T::Published
                    | T::Failed
                    | T::Unconfirmed
                    | T::Missed
                    | T::Withdrawn
            )
            | (
                T::Queued,
                T::Published | T::Failed | T::Unconfirmed | T::Missed
            )
            | (
                T::Failed,
                T::Scheduled | T::Published | T::Failed | T::Unconfirmed | T::Missed
            )
            | (T::Unconfirmed, T::Published | T::Failed)
            | (T::Published, T::Retracting | T::Corrected)
            | (T::Retracting, T::Deleted)
    )
}

/// `to`, or `POST_ILLEGAL_TARGET_TRANSITION`.
pub fn next_target_state(from: TargetState, to: TargetState) -> Result<TargetState, PostError> {
    if target_move_allowed(from, to) {
        Ok(to)
    } else {
        Err(PostError::IllegalTargetTransition { from, to })
    }
}

/// Whether something was sent to the platform (the post can no longer just be edited).
pub fn target_left(state: TargetState) -> bool {
    !matches!(
        state,
        TargetState::Waiting
            | TargetState::Scheduled
            | TargetState::Expired
            | TargetState::Withdrawn
            | TargetState::Missed
    )
}

pub fn post_state_label(s: PostState) -> &'static str {
    match s {
        PostState::Draft => "下書き",
        PostState::Submitted => "承認待ち",
        PostState::Approved => "承認済み（公開予定）",
        PostState::Rejected => "差戻し",
        PostState::Expired => "期限切れ（未承認のまま予定時刻を過ぎた）",
        PostState::Withdrawn => "取下げ",
    }
}

pub fn target_state_label(s: TargetState) -> &'static str {
    match s {
        TargetState::Waiting => "承認待ち",
        TargetState::Scheduled => "公開予定",
        TargetState::Queued => "送信処理中",
        TargetState::Published => "公開済み",
        TargetState::Failed => "公開失敗",
        TargetState::Unconfirmed => "公開未確認",
        TargetState::Missed => "公開見送り（予定時刻を過ぎた）",
        TargetState::Expired => "期限切れ",
        TargetState::Retracting => "削除待ち（訂正）",
        TargetState::Deleted => "削除済み（訂正）",
        TargetState::Corrected => "訂正済み（元の投稿を残す）",
        TargetState::Withdrawn => "取下げ",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_post_state_has_a_way_out_or_is_final() {
        for s in PostState::ALL {
            let out = allowed_post_actions(*s);
            let final_state = matches!(s, PostState::Expired | PostState::Withdrawn);
            assert_eq!(out.is_empty(), final_state, "{s}: {out:?}");
        }
    }

    #[test]
    fn published_cannot_go_back_to_waiting() {
        assert!(!target_move_allowed(
            TargetState::Published,
            TargetState::Waiting
        ));
        assert!(!target_move_allowed(
            TargetState::Missed,
            TargetState::Published
        ));
        assert!(!target_move_allowed(
            TargetState::Expired,
            TargetState::Scheduled
        ));
        assert!(target_move_allowed(
            TargetState::Scheduled,
            TargetState::Published
        ));
        let e = next_target_state(TargetState::Deleted, TargetState::Published).unwrap_err();
        assert_eq!(e.code(), "POST_ILLEGAL_TARGET_TRANSITION");
    }

    #[test]
    fn a_queued_target_follows_its_job_and_cannot_be_pulled_back() {
        for to in [
            TargetState::Published,
            TargetState::Failed,
            TargetState::Unconfirmed,
            TargetState::Missed,
        ] {
            assert!(target_move_allowed(TargetState::Queued, to), "{to}");
        }
        for to in [
            TargetState::Waiting,
            TargetState::Scheduled,
            TargetState::Withdrawn,
            TargetState::Queued,
        ] {
            assert!(!target_move_allowed(TargetState::Queued, to), "{to}");
        }
        // Something may be on the wire: the post can no longer be edited or withdrawn.
        assert!(target_left(TargetState::Queued));
    }

    #[test]
    fn approved_post_cannot_be_approved_again() {
        let e = next_post_state(PostState::Approved, PostAction::Approve).unwrap_err();
        assert_eq!(e.code(), "POST_ILLEGAL_TRANSITION");
        assert!(e.ja().contains("承認済み"), "{}", e.ja());
    }
}

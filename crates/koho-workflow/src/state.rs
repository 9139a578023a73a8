//! The account lifecycle as an explicit state machine.
//!
//! ```text
//!   (apply) ──▶ applied ──approve──▶ approved ──activate──▶ active ◀──resume── suspended
//!                 │  ▲                  │                    │  └──suspend──▶    │
//!            reject  resubmit           close                close              close
//!                 ▼  │                  ▼                    ▼                  ▼
//!               rejected              closed ◀───────────────┴──────────────────┘
//!
//!   (report) ──▶ grandfathered ──regularize──▶ active
//!                     ├──suspend──▶ suspended
//!                     └──close────▶ closed
//! ```
//!
//! `change-purpose` keeps the state (approved, active, suspended, grandfathered). `closed`
//! is final, and an account is never deleted: the handle record stays so nobody can register
//! the same handle as "official" again (狛江市 4(5)エ).

use koho_store::AccountState;
use serde::Serialize;

use crate::error::WorkflowError;

/// Something done to an account that may move it to another state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Decide an opening application in favour.
    Approve,
    /// Decide an opening application against.
    Reject,
    /// Apply again after a rejection.
    Resubmit,
    /// Start running an approved account.
    Activate,
    /// Stop running (運用停止): notice, redirect, keep the handle.
    Suspend,
    /// Run a suspended account again.
    Resume,
    /// End the account for good (廃止); the record stays.
    Close,
    /// Bring a grandfathered account under the guideline's regular operation.
    Regularize,
    /// Change the purpose or content (re-approval where the guideline says so).
    ChangePurpose,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: &'static [Action] = &[
        Action::Approve,
        Action::Reject,
        Action::Resubmit,
        Action::Activate,
        Action::Suspend,
        Action::Resume,
        Action::Close,
        Action::Regularize,
        Action::ChangePurpose,
    ];

    /// Stable id, e.g. `change-purpose`.
    pub fn id(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Resubmit => "resubmit",
            Action::Activate => "activate",
            Action::Suspend => "suspend",
            Action::Resume => "resume",
            Action::Close => "close",
            Action::Regularize => "regularize",
            Action::ChangePurpose => "change-purpose",
        }
    }

    /// What staff call it.
    pub fn label(self) -> &'static str {
        match self {
            Action::Approve => "承認",
            Action::Reject => "却下",
            Action::Resubmit => "再申請",
            Action::Activate => "運用開始",
            Action::Suspend => "運用停止",
            Action::Resume => "運用再開",
            Action::Close => "廃止",
            Action::Regularize => "届出の受理（通常運用へ）",
            Action::ChangePurpose => "目的の変更",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// The state an account reaches by `action`, or `WF_ILLEGAL_TRANSITION`.
pub fn next_state(from: AccountState, action: Action) -> Result<AccountState, WorkflowError> {
    use AccountState as S;
    let to = match (from, action) {
        (S::Applied, Action::Approve) => S::Approved,
        (S::Applied, Action::Reject) => S::Rejected,
        (S::Rejected, Action::Resubmit) => S::Applied,
        (S::Approved, Action::Activate) => S::Active,
        (S::Active | S::Grandfathered, Action::Suspend) => S::Suspended,
        (S::Suspended, Action::Resume) => S::Active,
        (S::Approved | S::Active | S::Suspended | S::Grandfathered, Action::Close) => S::Closed,
        (S::Grandfathered, Action::Regularize) => S::Active,
        (
            s @ (S::Approved | S::Active | S::Suspended | S::Grandfathered),
            Action::ChangePurpose,
        ) => s,
        _ => return Err(WorkflowError::IllegalTransition { from, action }),
    };
    Ok(to)
}

/// The actions possible in a state.
pub fn allowed_actions(from: AccountState) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| next_state(from, *a).is_ok())
        .collect()
}

/// Whether the public may rely on the account as the municipality's (it is listed in the
/// public register): running, grandfathered, suspended (kept, not deleted) or closed (kept
/// so that lookalikes can be told apart).
pub fn is_public(state: AccountState) -> bool {
    matches!(
        state,
        AccountState::Active
            | AccountState::Grandfathered
            | AccountState::Suspended
            | AccountState::Closed
    )
}

/// The Japanese name of a state.
pub fn state_label(state: AccountState) -> &'static str {
    match state {
        AccountState::Applied => "申請中",
        AccountState::Approved => "承認済み（運用開始前）",
        AccountState::Active => "運用中",
        AccountState::Suspended => "運用停止",
        AccountState::Closed => "廃止",
        AccountState::Rejected => "却下",
        AccountState::Grandfathered => "適用除外（既存アカウント）",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_is_final() {
        assert!(allowed_actions(AccountState::Closed).is_empty());
    }
}

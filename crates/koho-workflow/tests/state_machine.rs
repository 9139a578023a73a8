//! Every (state, action) pair of the account lifecycle, against one table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use koho_store::AccountState as S;
use koho_workflow::state::{Action as A, allowed_actions, is_public, next_state};

/// The expected edges; every pair not listed must be refused.
const EDGES: &[(S, A, S)] = &[
    (S::Applied, A::Approve, S::Approved),
    (S::Applied, A::Reject, S::Rejected),
    (S::Rejected, A::Resubmit, S::Applied),
    (S::Approved, A::Activate, S::Active),
    (S::Approved, A::Close, S::Closed),
    (S::Approved, A::ChangePurpose, S::Approved),
    (S::Active, A::Suspend, S::Suspended),
    (S::Active, A::Close, S::Closed),
    (S::Active, A::ChangePurpose, S::Active),
    (S::Suspended, A::Resume, S::Active),
    (S::Suspended, A::Close, S::Closed),
    (S::Suspended, A::ChangePurpose, S::Suspended),
    (S::Grandfathered, A::Regularize, S::Active),
    (S::Grandfathered, A::Suspend, S::Suspended),
    (S::Grandfathered, A::Close, S::Closed),
    (S::Grandfathered, A::ChangePurpose, S::Grandfathered),
];

#[test]
fn every_state_action_pair_matches_the_table() {
    let mut checked = 0;
    for &from in S::ALL {
        for &action in A::ALL {
            let expected = EDGES
                .iter()
                .find(|(f, a, _)| *f == from && *a == action)
                .map(|(_, _, to)| *to);
            match (next_state(from, action), expected) {
                (Ok(to), Some(want)) => assert_eq!(to, want, "{from} --{action}-->"),
                (Err(e), None) => {
                    assert_eq!(e.code(), "WF_ILLEGAL_TRANSITION", "{from} --{action}-->");
                    assert_eq!(
                        e.to_string(),
                        format!("cannot {} an account that is {from}", action.id())
                    );
                    assert!(e.ja().contains("はできません"), "{}", e.ja());
                }
                (Ok(to), None) => panic!("{from} --{action}--> {to} should be refused"),
                (Err(e), Some(want)) => panic!("{from} --{action}--> {want} refused: {e}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, S::ALL.len() * A::ALL.len());
    assert_eq!(checked, 63);
}

#[test]
fn closed_is_final_and_nothing_leads_out_of_it() {
    assert!(allowed_actions(S::Closed).is_empty());
    for &a in A::ALL {
        assert!(next_state(S::Closed, a).is_err());
    }
    // No action deletes an account: there is no state without a record.
    assert!(EDGES.iter().all(|(_, _, to)| S::ALL.contains(to)));
}

#[test]
fn the_public_sees_official_kept_and_closed_accounts_only() {
    let public: Vec<S> = S::ALL.iter().copied().filter(|s| is_public(*s)).collect();
    assert_eq!(
        public,
        vec![S::Active, S::Suspended, S::Closed, S::Grandfathered]
    );
}

#[test]
fn illegal_moves_name_what_is_possible() {
    let e = next_state(S::Suspended, A::Suspend).unwrap_err();
    assert_eq!(
        e.ja(),
        "「運用停止」の状態のアカウントに「運用停止」はできません（この状態で可能な操作: 運用再開、廃止、目的の変更）"
    );
    let e = next_state(S::Closed, A::Resume).unwrap_err();
    assert!(
        e.ja().ends_with("（この状態で可能な操作: なし）"),
        "{}",
        e.ja()
    );
}

//! Who may do what: the guideline names a role (by its id) for each decision, the role has
//! a kind, and a person holds kinds in the store. Pure functions.

use koho_guideline::{Guideline, RoleKind};
use koho_store::{Person, Role};

use crate::error::WorkflowError;

/// The store's role for a guideline role kind.
pub fn store_role(kind: RoleKind) -> Role {
    match kind {
        RoleKind::Staff => Role::Staff,
        RoleKind::SectionChief => Role::SectionChief,
        RoleKind::AccountManager => Role::AccountManager,
        RoleKind::PrOffice => Role::PrOffice,
        RoleKind::PrOfficeChief => Role::PrOfficeChief,
        RoleKind::ItCommittee => Role::ItCommitteeMember,
        RoleKind::ItCommitteeChair => Role::ItCommitteeChair,
        RoleKind::SecurityOfficer => Role::SecurityOfficer,
        RoleKind::Contractor => Role::Contractor,
        RoleKind::Auditor => Role::Auditor,
    }
}

/// The store role and the guideline's name for the role `role_id`.
pub fn guideline_role(g: &Guideline, role_id: &str) -> Result<(Role, String), WorkflowError> {
    match g.role(role_id) {
        Some(r) => Ok((store_role(r.kind), r.name.clone())),
        None => Err(WorkflowError::NotFound {
            what: "role",
            key: format!("{}:{role_id}", g.id),
        }),
    }
}

/// Whether `person` holds the guideline role `role_id` (by its kind).
pub fn holds(g: &Guideline, person: &Person, role_id: &str) -> bool {
    guideline_role(g, role_id).is_ok_and(|(role, _)| person.has_role(role))
}

/// Refuses unless `person` is active and holds the guideline role `role_id`.
pub fn require(
    g: &Guideline,
    person: &Person,
    role_id: &str,
    action: &str,
    clause: Option<&str>,
) -> Result<(), WorkflowError> {
    require_any(g, person, &[role_id], action, clause)
}

/// Refuses unless `person` is active and holds one of the guideline roles `role_ids` (the
/// error names the first).
pub fn require_any(
    g: &Guideline,
    person: &Person,
    role_ids: &[&str],
    action: &str,
    clause: Option<&str>,
) -> Result<(), WorkflowError> {
    if !person.active {
        return Err(WorkflowError::InactivePerson {
            person: person.display_name.clone(),
        });
    }
    for id in role_ids {
        if holds(g, person, id) {
            return Ok(());
        }
    }
    let first = role_ids.first().copied().unwrap_or_default();
    let names: Vec<String> = role_ids
        .iter()
        .filter_map(|id| g.role(id).map(|r| r.name.clone()))
        .collect();
    Err(WorkflowError::NotAuthorized(Box::new(
        crate::error::Denial {
            person: person.display_name.clone(),
            action: action.to_owned(),
            role_id: first.to_owned(),
            role_name: if names.is_empty() {
                first.to_owned()
            } else {
                names.join("」または「")
            },
            guideline: g.id.clone(),
            clause: clause.map(str::to_owned),
        },
    )))
}

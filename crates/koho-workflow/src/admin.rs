//! Administrative steps the web screens need besides the register's transitions: changing a
//! person's roles and department, and drafting an operation policy from text the section
//! wrote (not only from the guideline's template). Each runs in one transaction with its
//! audit entry, like every step of [`Workflow`].

use koho_store::{
    AccountId, Actor, DepartmentId, NewPolicyVersion, Person, PersonId, PolicyVersion, Role,
    Subject,
};

use crate::Workflow;
use crate::error::WorkflowError;
use crate::workflow::subject;

type Result<T, E = WorkflowError> = std::result::Result<T, E>;

/// Longest operation policy accepted, in characters: the longest preset template filled
/// in is about 6,000; a policy ten times longer is a mistake (a pasted document).
pub const MAX_POLICY_CHARS: usize = 60_000;

/// A change of a person's record by an administrator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonChange {
    /// The new roles (at least one).
    pub roles: Vec<Role>,
    /// The new department (`None`: none).
    pub department: Option<DepartmentId>,
    /// Whether the person may sign in at all.
    pub active: bool,
}

impl Workflow {
    /// Changes a person's roles, department and active flag (audited `person.update`, the
    /// record before and after). Refused for one's own record: an administrator who removed
    /// their own administration role could not undo it, and a change of one's own
    /// authority should be made by another person.
    pub async fn update_person(
        &self,
        id: &PersonId,
        change: &PersonChange,
        by: &Actor,
    ) -> Result<Person> {
        if matches!(by, Actor::Person(p) if p == id) {
            return Err(WorkflowError::Invalid {
                field: "person",
                ja: "自分自身の役割・所属は変更できません。別の管理者に依頼してください".to_owned(),
                en: "a person cannot change their own roles or department".to_owned(),
            });
        }
        if change.roles.is_empty() {
            return Err(WorkflowError::Invalid {
                field: "roles",
                ja: "役割を1つ以上選んでください".to_owned(),
                en: "choose at least one role".to_owned(),
            });
        }
        let mut tx = self.begin().await?;
        let before = Self::person(&mut tx, id).await?;
        let mut p = before.clone();
        let mut roles = change.roles.clone();
        roles.sort();
        roles.dedup();
        p.roles = roles;
        p.department_id = change.department.clone();
        p.active = change.active;
        let after = tx.people().update(&p).await?;
        let e = self
            .entry(
                by,
                "person.update",
                Subject::new(subject::PERSON, after.id.as_str()),
                None,
            )
            .before(&before)?
            .after(&after)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Drafts a new policy version with the given text (every version is kept; publish it
    /// with [`Workflow::publish_policy`]). The account's section, its manager, the PR office
    /// or the approver may, as for a drafted template (the guideline's operation-policy
    /// clause).
    pub async fn draft_policy_text(
        &self,
        account: &AccountId,
        body: &str,
        by: &PersonId,
    ) -> Result<PolicyVersion> {
        let body = body.trim();
        if body.is_empty() {
            return Err(WorkflowError::Invalid {
                field: "policy",
                ja: "運用ポリシーの本文を入力してください".to_owned(),
                en: "the policy text is empty".to_owned(),
            });
        }
        if body.chars().count() > MAX_POLICY_CHARS {
            return Err(WorkflowError::Invalid {
                field: "policy",
                ja: format!("運用ポリシーが長すぎます（{MAX_POLICY_CHARS}文字まで）"),
                en: format!("the policy is longer than {MAX_POLICY_CHARS} characters"),
            });
        }
        let g = self.guideline();
        let clause = g
            .operation_policy
            .as_ref()
            .and_then(|p| p.clauses.first().cloned());
        let mut tx = self.begin().await?;
        let acc = Self::account_in(&mut tx, account).await?;
        let person = Self::person(&mut tx, by).await?;
        self.require_manage(&person, &acc, "運用ポリシーの作成", clause.as_deref())?;
        let actor = Actor::Person(person.id.clone());
        let v = tx
            .policies()
            .create_draft(&NewPolicyVersion {
                account_id: acc.id.clone(),
                // Line ends as the browser sends them (CRLF) would make every version
                // differ from the template's text by invisible characters.
                body: body.replace("\r\n", "\n"),
                created_by: actor.clone(),
            })
            .await?;
        let e = self
            .entry(
                &actor,
                "policy.draft",
                Subject::new(subject::POLICY, v.id.as_str()),
                clause.as_deref(),
            )
            .after(&v)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koho_guideline::Guideline;
    use koho_store::{NewPerson, PolicyStatus, Store};

    async fn demo() -> Workflow {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let g = Guideline::preset("midori").unwrap().unwrap();
        crate::demo::fill(&store, "midori", g.clone())
            .await
            .unwrap();
        Workflow::open(&store, "midori", g).await.unwrap()
    }

    #[tokio::test]
    async fn roles_change_is_audited_and_not_for_oneself() {
        let wf = demo().await;
        let people = wf.people().await.unwrap();
        let chief = people
            .iter()
            .find(|p| p.has_role(Role::PrOfficeChief))
            .unwrap();
        let new = wf
            .add_person(
                &NewPerson {
                    display_name: "試験 太郎".into(),
                    email: "shiken@city.midori.example.jp".into(),
                    department_id: None,
                    roles: vec![Role::Staff],
                },
                &Actor::Cli,
            )
            .await
            .unwrap();
        let by = Actor::Person(chief.id.clone());
        let change = PersonChange {
            roles: vec![Role::Staff, Role::AccountManager],
            department: chief.department_id.clone(),
            active: true,
        };
        let after = wf.update_person(&new.id, &change, &by).await.unwrap();
        assert_eq!(after.roles, vec![Role::Staff, Role::AccountManager]);
        assert_eq!(after.department_id, chief.department_id);
        let mut r = wf.store().read(wf.tenant()).await.unwrap();
        let log = r
            .audit()
            .list_for_subject(&Subject::new(subject::PERSON, new.id.as_str()))
            .await
            .unwrap();
        assert_eq!(log.last().unwrap().action, "person.update");
        let own = wf.update_person(&chief.id, &change, &by).await.unwrap_err();
        assert_eq!(own.code(), "WF_INVALID");
        let none = PersonChange {
            roles: vec![],
            ..change
        };
        assert!(wf.update_person(&new.id, &none, &by).await.is_err());
    }

    #[tokio::test]
    async fn a_written_policy_becomes_a_new_draft_version() {
        let wf = demo().await;
        let people = wf.people().await.unwrap();
        let chief = people
            .iter()
            .find(|p| p.has_role(Role::PrOfficeChief))
            .unwrap();
        let auditor = people.iter().find(|p| p.has_role(Role::Auditor)).unwrap();
        let acc = wf.accounts().await.unwrap().remove(0);
        let before = wf.detail(&acc.id).await.unwrap().policies.len();
        let v = wf
            .draft_policy_text(&acc.id, "第1条 目的\r\n本文", &chief.id)
            .await
            .unwrap();
        assert_eq!(v.status, PolicyStatus::Draft);
        assert_eq!(v.body, "第1条 目的\n本文");
        assert_eq!(wf.detail(&acc.id).await.unwrap().policies.len(), before + 1);
        let e = wf
            .draft_policy_text(&acc.id, "x", &auditor.id)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_NOT_AUTHORIZED");
        let e = wf
            .draft_policy_text(&acc.id, "  ", &chief.id)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WF_INVALID");
    }
}

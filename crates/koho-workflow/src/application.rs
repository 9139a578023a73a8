//! What an opening application or a grandfathered-account report holds, and the pure checks
//! of it against the guideline: every `[[opening.fields]]` entry filled, every
//! existing-account review question answered (狛江市 4(2)ア), the registration e-mail on the
//! municipality's domains.

use std::collections::BTreeMap;

use koho_guideline::{FieldId, Guideline};
use koho_store::{AccountFields, AccountKind, DepartmentId, PersonId, Platform};
use serde::{Deserialize, Serialize};

use crate::error::{MissingField, UnansweredQuestion, WorkflowError};

/// The descriptive data of an account, as an applicant proposes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountDraft {
    pub platform: Option<Platform>,
    /// As the platform shows it, e.g. `@midori_city`.
    pub handle: String,
    pub url: Option<String>,
    pub display_name: String,
    pub department: Option<DepartmentId>,
    /// 運用管理者
    pub manager: Option<PersonId>,
    /// The address the platform account is registered with.
    pub email: Option<String>,
    pub purpose: String,
    /// What the account posts, one item per entry.
    pub content: Vec<String>,
    pub tone: Option<String>,
    pub reply_policy: Option<String>,
    pub follow_policy: Option<String>,
    /// Whether posts need approval (狛江市 4(2)イ 決裁の要・不要).
    pub approval_needed: Option<bool>,
    /// The municipality's main account (市広報アカウント) or a topic account.
    pub main: bool,
}

impl AccountDraft {
    /// The store's field record (after [`validate_opening`] or [`validate_report`]).
    pub fn to_fields(&self, platform: Platform) -> AccountFields {
        let display_name = if self.display_name.trim().is_empty() {
            self.handle.trim().to_owned()
        } else {
            self.display_name.trim().to_owned()
        };
        AccountFields {
            platform,
            handle: self.handle.trim().to_owned(),
            url: nonempty(&self.url),
            display_name,
            department_id: self.department.clone(),
            manager_id: self.manager.clone(),
            registration_email: nonempty(&self.email).map(|e| e.to_lowercase()),
            purpose: self.purpose.trim().to_owned(),
            content_categories: self
                .content
                .iter()
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
            tone: nonempty(&self.tone),
            reply_policy: nonempty(&self.reply_policy),
            follow_policy: nonempty(&self.follow_policy),
            approval_required: self.approval_needed.unwrap_or(false),
            kind: if self.main {
                AccountKind::Main
            } else {
                AccountKind::Topic
            },
        }
    }
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn filled(s: &Option<String>) -> bool {
    nonempty(s).is_some()
}

/// An opening application (開設申請, 美祢市 様式第1号).
// Missing members are empty, so that the guideline's check names every missing field with
// its clause instead of a JSON error naming the first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpeningRequest {
    pub account: AccountDraft,
    /// 運用計画 / 電子計算組織処理計画書 (狛江市 4(2)イ).
    pub plan: String,
    /// The operation policy the applicant submits; generate one with
    /// [`Workflow::draft_policy_for`](crate::Workflow::draft_policy_for).
    pub policy: Option<String>,
    /// Where the password is kept (美祢市 様式第1号 登録情報: パスワード). Never the password:
    /// koho does not store platform passwords.
    pub credentials_note: Option<String>,
    /// 運用開始予定時期
    pub start_date: Option<String>,
    /// その他
    pub other: Option<String>,
    /// Answers to the existing-account review, by question id.
    pub review: BTreeMap<String, String>,
    pub followers: Option<i64>,
}

/// A report of an account that existed before the guideline (美祢市 第5).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrandfatheredReport {
    pub account: AccountDraft,
    /// Since when the account has been run, as the reporter knows it.
    pub since: Option<String>,
    pub note: Option<String>,
    pub followers: Option<i64>,
}

/// A change of an account's purpose or content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeChange {
    pub purpose: String,
    /// New content items (empty keeps the current ones).
    pub content: Vec<String>,
    /// Why the purpose changes.
    pub reason: String,
    /// The new policy text; generated from the template when absent.
    pub policy: Option<String>,
}

/// Whether the application holds a value for `id`.
fn has(req: &OpeningRequest, id: FieldId) -> bool {
    let a = &req.account;
    match id {
        FieldId::Department => a.department.is_some(),
        FieldId::Platform => a.platform.is_some(),
        FieldId::Handle => !a.handle.trim().is_empty(),
        FieldId::Url => filled(&a.url),
        FieldId::DisplayName => !a.display_name.trim().is_empty(),
        FieldId::Email => filled(&a.email),
        FieldId::Credentials => filled(&req.credentials_note),
        FieldId::Manager => a.manager.is_some(),
        FieldId::Purpose => !a.purpose.trim().is_empty(),
        FieldId::Content => a.content.iter().any(|c| !c.trim().is_empty()),
        FieldId::Tone => filled(&a.tone),
        FieldId::ReplyPolicy => filled(&a.reply_policy),
        FieldId::FollowPolicy => filled(&a.follow_policy),
        FieldId::ApprovalNeeded => a.approval_needed.is_some(),
        FieldId::Plan => !req.plan.trim().is_empty(),
        FieldId::Policy => filled(&req.policy),
        FieldId::StartDate => filled(&req.start_date),
        FieldId::Other => filled(&req.other),
    }
}

/// The fields koho's register needs whatever the guideline says.
fn register_needs(account: &AccountDraft) -> Vec<MissingField> {
    let mut out = Vec::new();
    if account.platform.is_none() {
        out.push(MissingField {
            id: "platform".to_owned(),
            label: "利用するサービス".to_owned(),
            clauses: Vec::new(),
        });
    }
    if account.handle.trim().trim_start_matches('@').is_empty() {
        out.push(MissingField {
            id: "handle".to_owned(),
            label: "アカウントのID（ユーザー名）".to_owned(),
            clauses: Vec::new(),
        });
    }
    out
}

/// Every guideline field the application leaves empty, then what the register needs.
pub fn missing_fields(g: &Guideline, req: &OpeningRequest) -> Vec<MissingField> {
    let mut out: Vec<MissingField> = Vec::new();
    for f in &g.opening.fields {
        if has(req, f.id) {
            continue;
        }
        let id = field_id(f.id);
        // The same id twice (美祢市 has two 「その他」): report each label once.
        if out.iter().any(|m| m.id == id && m.label == f.label) {
            continue;
        }
        out.push(MissingField {
            id: id.to_owned(),
            label: f.label.clone(),
            clauses: f.clauses.clone(),
        });
    }
    for need in register_needs(&req.account) {
        if !out.iter().any(|m| m.id == need.id) {
            out.push(need);
        }
    }
    out
}

/// Review questions without an answer.
pub fn unanswered(g: &Guideline, review: &BTreeMap<String, String>) -> Vec<UnansweredQuestion> {
    let Some(r) = &g.opening.existing_account_review else {
        return Vec::new();
    };
    r.questions
        .iter()
        .filter(|q| review.get(&q.id).is_none_or(|a| a.trim().is_empty()))
        .map(|q| UnansweredQuestion {
            id: q.id.clone(),
            label: q.label.clone(),
            clauses: r.clauses.clone(),
        })
        .collect()
}

/// Refuses an opening application the guideline would not accept.
pub fn validate_opening(g: &Guideline, req: &OpeningRequest) -> Result<Platform, WorkflowError> {
    let missing = missing_fields(g, req);
    if !missing.is_empty() {
        return Err(WorkflowError::MissingFields {
            guideline: g.id.clone(),
            fields: missing,
        });
    }
    let questions = unanswered(g, &req.review);
    if !questions.is_empty() {
        return Err(WorkflowError::ReviewUnanswered {
            guideline: g.id.clone(),
            questions,
        });
    }
    validate_common(g, &req.account, req.followers)
}

/// Refuses a grandfathered-account report without what the register needs.
pub fn validate_report(
    g: &Guideline,
    rep: &GrandfatheredReport,
) -> Result<Platform, WorkflowError> {
    let missing = register_needs(&rep.account);
    if !missing.is_empty() {
        return Err(WorkflowError::MissingFields {
            guideline: g.id.clone(),
            fields: missing,
        });
    }
    validate_common(g, &rep.account, rep.followers)
}

fn validate_common(
    g: &Guideline,
    a: &AccountDraft,
    followers: Option<i64>,
) -> Result<Platform, WorkflowError> {
    if let Some(e) = nonempty(&a.email) {
        crate::email::check(g, &e)?;
    }
    if let Some(url) = nonempty(&a.url)
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(WorkflowError::Invalid {
            field: "url",
            ja: format!("アカウントの URL「{url}」は https:// で始まる URL ではありません"),
            en: format!("account URL `{url}` is not an http(s) URL"),
        });
    }
    if followers.is_some_and(|n| n < 0) {
        return Err(WorkflowError::Invalid {
            field: "followers",
            ja: "フォロワー数は 0 以上で指定してください".to_owned(),
            en: "followers must not be negative".to_owned(),
        });
    }
    match a.platform {
        Some(p) => Ok(p),
        None => Err(WorkflowError::MissingFields {
            guideline: g.id.clone(),
            fields: register_needs(a),
        }),
    }
}

/// The stable id of a field.
pub fn field_id(id: FieldId) -> &'static str {
    match id {
        FieldId::Department => "department",
        FieldId::Platform => "platform",
        FieldId::Handle => "handle",
        FieldId::Url => "url",
        FieldId::DisplayName => "display-name",
        FieldId::Email => "email",
        FieldId::Credentials => "credentials",
        FieldId::Manager => "manager",
        FieldId::Purpose => "purpose",
        FieldId::Content => "content",
        FieldId::Tone => "tone",
        FieldId::ReplyPolicy => "reply-policy",
        FieldId::FollowPolicy => "follow-policy",
        FieldId::ApprovalNeeded => "approval-needed",
        FieldId::Plan => "plan",
        FieldId::Policy => "policy",
        FieldId::StartDate => "start-date",
        FieldId::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn komae_names_every_missing_field_with_its_clause() {
        let g = Guideline::preset("komae").unwrap().unwrap();
        let req = OpeningRequest {
            account: AccountDraft {
                platform: Some(Platform::X),
                handle: "@komae_kosodate".to_owned(),
                ..AccountDraft::default()
            },
            ..OpeningRequest::default()
        };
        let e = validate_opening(&g, &req).unwrap_err();
        assert_eq!(e.code(), "WF_MISSING_FIELD");
        let ja = e.ja();
        assert!(ja.contains("「アカウントの目的」（komae 4(2)イ）"), "{ja}");
        assert!(
            ja.contains("「登録メールアドレス」（komae ポリシー第4条(2)・ポリシー第4条）"),
            "{ja}"
        );
        assert!(!ja.contains("ユーザー名"), "{ja}");
    }
}

//! What an account's profile must state, per the guideline's `[[profile]]` requirements
//! (神栖市 第7条・第8条, 美祢市 第4-2(5), 高鍋町 6.1 …), with the value koho expects where it
//! knows it. Pure functions.

use koho_guideline::{Guideline, ProfileItem, StanceKind};
use koho_store::{OfficialAccount, VerificationStatus};
use serde::Serialize;

use crate::email;

/// One line of the profile checklist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProfileCheck {
    pub id: String,
    /// The guideline's own words.
    pub label: String,
    pub clauses: Vec<String>,
    /// What koho expects the profile to say, when it can tell.
    pub expected: Option<String>,
    /// `Some(false)` when koho can see the requirement is not met.
    pub satisfied: Option<bool>,
}

/// The facts a profile draws on.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProfileFacts {
    pub homepage: String,
    pub account_list_url: Option<String>,
    pub policy_url: Option<String>,
}

/// The whole checklist of one account.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileChecklist {
    pub facts: ProfileFacts,
    pub items: Vec<ProfileCheck>,
}

/// The checklist for `account` (its department's name as `department`).
pub fn checklist(
    g: &Guideline,
    account: &OfficialAccount,
    department: Option<&str>,
    policy_url: Option<String>,
) -> ProfileChecklist {
    let m = &g.municipality;
    let f = &account.fields;
    let facts = ProfileFacts {
        homepage: m.homepage.clone(),
        account_list_url: m.account_list_url.clone(),
        policy_url,
    };
    let items = g
        .profile
        .iter()
        .map(|p| {
            let (expected, satisfied) = match p.id {
                ProfileItem::NameIcon => (Some(f.display_name.clone()), None),
                ProfileItem::UserId => (Some(f.handle.clone()), None),
                ProfileItem::DepartmentEmail => match &f.registration_email {
                    Some(e) => (Some(e.clone()), Some(email::on_domains(e, &m.domains))),
                    None => (
                        Some(format!("所管部署のアドレス（{}）", m.domains.join("、"))),
                        Some(false),
                    ),
                },
                ProfileItem::HomepageUrl => (Some(m.homepage.clone()), None),
                ProfileItem::AccountListLink => match &m.account_list_url {
                    Some(u) => (Some(u.clone()), None),
                    None => (
                        Some("（ガイドラインに公式アカウント一覧の URL が未設定です）".to_owned()),
                        Some(false),
                    ),
                },
                ProfileItem::StatedLimits => (
                    Some("問い合わせへの回答や利用者の登録は行わない旨".to_owned()),
                    None,
                ),
                ProfileItem::OfficialStatement => {
                    (Some(format!("{}の公式アカウントです", m.name)), None)
                }
                ProfileItem::OperatorAndPurpose => (
                    Some(format!(
                        "運営: {}{}／目的: {}",
                        m.name,
                        department.unwrap_or_default(),
                        f.purpose
                    )),
                    None,
                ),
                ProfileItem::NoReplyNotice => {
                    let prohibited = g
                        .replies
                        .as_ref()
                        .is_some_and(|r| r.policy == StanceKind::Prohibited);
                    (
                        Some(if prohibited {
                            "コメント等への個別の返信は行いません".to_owned()
                        } else {
                            "コメントへの対応方針".to_owned()
                        }),
                        None,
                    )
                }
                ProfileItem::Verification => (
                    Some("公式アカウントの認証（バッジ）".to_owned()),
                    match account.verification {
                        VerificationStatus::Verified => Some(true),
                        VerificationStatus::Unavailable => None,
                        VerificationStatus::None | VerificationStatus::Requested => Some(false),
                    },
                ),
            };
            ProfileCheck {
                id: profile_id(p.id).to_owned(),
                label: p.label.clone(),
                clauses: p.clauses.clone(),
                expected,
                satisfied,
            }
        })
        .collect();
    ProfileChecklist { facts, items }
}

fn profile_id(p: ProfileItem) -> &'static str {
    match p {
        ProfileItem::NameIcon => "name-icon",
        ProfileItem::UserId => "user-id",
        ProfileItem::DepartmentEmail => "department-email",
        ProfileItem::HomepageUrl => "homepage-url",
        ProfileItem::AccountListLink => "account-list-link",
        ProfileItem::StatedLimits => "stated-limits",
        ProfileItem::OfficialStatement => "official-statement",
        ProfileItem::OperatorAndPurpose => "operator-and-purpose",
        ProfileItem::NoReplyNotice => "no-reply-notice",
        ProfileItem::Verification => "verification",
    }
}

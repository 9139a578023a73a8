//! Row types and the text enums stored in them.
//!
//! Enums are stored as their stable text ids (e.g. `section-chief`, `grandfathered`); the
//! store checks that a value is one of the known ids but knows nothing about which
//! transitions between them are legal — that is the workflow layer's job.

use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::StoreError;
use crate::ids::{
    AccountId, ApplicationId, DepartmentId, EventId, MunicipalityId, PersonId, PolicyVersionId,
};

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable text id stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = StoreError;

            fn from_str(s: &str) -> Result<Self, StoreError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(StoreError::invalid(
                        stringify!($name),
                        format!("unknown value `{other}`"),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use text_enum;

text_enum!(
    /// A social-media platform.
    Platform {
        X => "x",
        Facebook => "facebook",
        Instagram => "instagram",
        Line => "line",
        Youtube => "youtube",
        Bluesky => "bluesky",
        Mastodon => "mastodon",
        Misskey => "misskey",
        Threads => "threads",
        Blog => "blog",
        Other => "other",
    }
);

text_enum!(
    /// A role a person holds in the municipality.
    Role {
        /// 担当者 / 職員
        Staff => "staff",
        /// 所属長 / 課長
        SectionChief => "section-chief",
        /// 運用管理者
        AccountManager => "account-manager",
        /// 広報主管課
        PrOffice => "pr-office",
        /// 広報主管課長
        PrOfficeChief => "pr-office-chief",
        /// 行政情報化推進委員会 委員
        ItCommitteeMember => "it-committee-member",
        /// 行政情報化推進委員会 委員長
        ItCommitteeChair => "it-committee-chair",
        /// 統括情報セキュリティ責任者
        SecurityOfficer => "security-officer",
        /// 委託事業者
        Contractor => "contractor",
        /// 監査
        Auditor => "auditor",
    }
);

text_enum!(
    /// Main account or a department's topic account.
    AccountKind {
        Main => "main",
        Topic => "topic",
    }
);

text_enum!(
    /// Lifecycle state of an official account (legality of transitions is not checked here).
    AccountState {
        Applied => "applied",
        Approved => "approved",
        Active => "active",
        Suspended => "suspended",
        Closed => "closed",
        Rejected => "rejected",
        Grandfathered => "grandfathered",
    }
);

text_enum!(
    /// The platform's verification badge for the account.
    VerificationStatus {
        /// Not applied for.
        None => "none",
        /// Applied for, not granted yet.
        Requested => "requested",
        /// Granted.
        Verified => "verified",
        /// The platform offers no badge to this account.
        Unavailable => "unavailable",
    }
);

text_enum!(
    /// What an account application asks for.
    ApplicationKind {
        /// 開設申請 (様式第1号)
        Opening => "opening",
        /// Change of an existing account's purpose or content.
        PurposeChange => "purpose-change",
    }
);

text_enum!(
    /// Where an application stands.
    ApplicationStatus {
        Draft => "draft",
        Submitted => "submitted",
        Approved => "approved",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
    }
);

text_enum!(
    /// Status of one operation policy version.
    PolicyStatus {
        Draft => "draft",
        Published => "published",
        Superseded => "superseded",
    }
);

/// Who did something: a person, or koho itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A person of the municipality.
    Person(PersonId),
    /// An automatic job of koho.
    System,
    /// An operator at the command line.
    Cli,
}

impl Actor {
    /// Text form: the person id, `system` or `cli`.
    pub fn as_str(&self) -> &str {
        match self {
            Actor::Person(id) => id.as_str(),
            Actor::System => "system",
            Actor::Cli => "cli",
        }
    }

    /// Parses the text form; anything but `system` / `cli` is a person id.
    pub fn parse(s: &str) -> Actor {
        match s {
            "system" => Actor::System,
            "cli" => Actor::Cli,
            other => Actor::Person(PersonId::from(other)),
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Actor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Actor::parse(&String::deserialize(d)?))
    }
}

/// A secret stored for later login (password hash, TOTP secret). Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; call only where it is needed.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

// ---------------------------------------------------------------------------------------------
// municipalities

/// A new municipality (tenant).
#[derive(Clone, Debug)]
pub struct NewMunicipality {
    /// Short ASCII id used in URLs and the CLI, e.g. `komae` (lowercase letters, digits, `-`).
    pub slug: String,
    /// Display name, e.g. `狛江市`.
    pub name: String,
    /// The guideline preset or document the municipality runs by, e.g. `komae`.
    pub guideline_id: String,
}

/// A municipality (tenant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Municipality {
    pub id: MunicipalityId,
    pub slug: String,
    pub name: String,
    pub guideline_id: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// Incremented by every update; an update must present the version it read.
    pub row_version: i64,
}

// ---------------------------------------------------------------------------------------------
// departments

/// A new department.
#[derive(Clone, Debug)]
pub struct NewDepartment {
    pub name: String,
    pub parent_id: Option<DepartmentId>,
}

/// A department (課) of the municipality.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub id: DepartmentId,
    pub municipality_id: MunicipalityId,
    pub name: String,
    pub parent_id: Option<DepartmentId>,
    pub created_at: i64,
    pub updated_at: i64,
    pub row_version: i64,
}

// ---------------------------------------------------------------------------------------------
// people

/// A new person.
#[derive(Clone, Debug)]
pub struct NewPerson {
    pub display_name: String,
    /// Stored trimmed and lower-cased; unique within the municipality.
    pub email: String,
    pub department_id: Option<DepartmentId>,
    pub roles: Vec<Role>,
}

/// A person of the municipality. Credentials are not part of it: see
/// [`People::credentials`](crate::People::credentials).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub municipality_id: MunicipalityId,
    pub display_name: String,
    pub email: String,
    pub department_id: Option<DepartmentId>,
    /// Sorted, without duplicates.
    pub roles: Vec<Role>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub row_version: i64,
}

impl Person {
    /// Whether the person holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Login secrets of a person, read only on demand.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    pub password_hash: Option<Secret>,
    pub totp_secret: Option<Secret>,
}

// ---------------------------------------------------------------------------------------------
// official accounts

/// The descriptive fields of an official account, as registered or as proposed in an
/// application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFields {
    pub platform: Platform,
    /// The handle as the platform shows it, e.g. `@komae_city`.
    pub handle: String,
    pub url: Option<String>,
    pub display_name: String,
    pub department_id: Option<DepartmentId>,
    /// 運用管理者
    pub manager_id: Option<PersonId>,
    /// The e-mail address the platform account is registered with.
    pub registration_email: Option<String>,
    pub purpose: String,
    /// What the account posts about (guideline's content categories).
    pub content_categories: Vec<String>,
    pub tone: Option<String>,
    pub reply_policy: Option<String>,
    pub follow_policy: Option<String>,
    /// Whether posts need approval before publishing.
    pub approval_required: bool,
    pub kind: AccountKind,
}

/// A new official account.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub fields: AccountFields,
    pub state: AccountState,
    pub verification: VerificationStatus,
    pub followers_count: Option<i64>,
}

/// An official account in the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficialAccount {
    pub id: AccountId,
    pub municipality_id: MunicipalityId,
    pub fields: AccountFields,
    /// Derived from `fields.handle` on every write; unique per municipality and platform.
    pub handle_normalized: String,
    pub verification: VerificationStatus,
    pub state: AccountState,
    pub followers_count: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub row_version: i64,
}

/// The normalised form of a handle used for the uniqueness rule: trimmed, without leading
/// `@`, lower-cased (`@Komae_City` and `komae_city` are the same account).
pub fn normalize_handle(handle: &str) -> String {
    handle.trim().trim_start_matches('@').trim().to_lowercase()
}

// ---------------------------------------------------------------------------------------------
// applications

/// A recorded decision on an application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub by: PersonId,
    /// Unix milliseconds.
    pub at: i64,
    pub reason: Option<String>,
    /// The procedure was waived (e.g. by the IT committee chair).
    pub waiver: bool,
}

/// A new opening or purpose-change application.
#[derive(Clone, Debug)]
pub struct NewApplication {
    pub kind: ApplicationKind,
    /// The account concerned: required for a purpose change, filled for an opening once the
    /// account exists.
    pub account_id: Option<AccountId>,
    pub proposal: AccountFields,
    pub plan: String,
    pub applicant_id: PersonId,
    /// Answers to the guideline's checklist, as the workflow defines them.
    pub checklist: Value,
    /// Existing accounts shown to the approver as overlapping.
    pub overlap_account_ids: Vec<AccountId>,
    pub status: ApplicationStatus,
    /// e.g. `様式第1号`.
    pub form_number: Option<String>,
    pub submitted_at: Option<i64>,
}

/// An account application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountApplication {
    pub id: ApplicationId,
    pub municipality_id: MunicipalityId,
    pub kind: ApplicationKind,
    pub account_id: Option<AccountId>,
    pub proposal: AccountFields,
    pub plan: String,
    pub applicant_id: PersonId,
    pub checklist: Value,
    pub overlap_account_ids: Vec<AccountId>,
    pub status: ApplicationStatus,
    pub decision: Option<Decision>,
    pub form_number: Option<String>,
    pub submitted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub row_version: i64,
}

// ---------------------------------------------------------------------------------------------
// operation policy versions

/// A new draft version of an account's operation policy.
#[derive(Clone, Debug)]
pub struct NewPolicyVersion {
    pub account_id: AccountId,
    /// Markdown or plain text.
    pub body: String,
    pub created_by: Actor,
}

/// One version of an account's operation policy. Only its status ever changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub id: PolicyVersionId,
    pub municipality_id: MunicipalityId,
    pub account_id: AccountId,
    /// 1, 2, 3 … per account.
    pub version: i64,
    pub body: String,
    pub status: PolicyStatus,
    pub created_by: Actor,
    pub created_at: i64,
    pub published_at: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// account events

/// A new account event.
#[derive(Clone, Debug)]
pub struct NewAccountEvent {
    pub account_id: AccountId,
    /// Lowercase id such as `suspension`, `closure`, `handle-change`.
    pub kind: String,
    /// Kind-specific details (impact followers, notice period, reason …).
    pub payload: Value,
    /// When it happened or was decided (Unix ms).
    pub occurred_at: i64,
    /// When it takes effect, if later.
    pub effective_at: Option<i64>,
    /// When someone should look at the account again.
    pub next_check_at: Option<i64>,
    /// Another account involved, e.g. the redirect target after a suspension.
    pub related_account_id: Option<AccountId>,
    pub recorded_by: Actor,
}

/// A recorded account event (suspension, closure …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEvent {
    pub id: EventId,
    pub municipality_id: MunicipalityId,
    pub account_id: AccountId,
    pub kind: String,
    pub payload: Value,
    pub occurred_at: i64,
    pub effective_at: Option<i64>,
    pub next_check_at: Option<i64>,
    pub related_account_id: Option<AccountId>,
    pub recorded_by: Actor,
    pub created_at: i64,
}

/// Current time in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
            let json = serde_json::to_string(r).unwrap();
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), *r);
        }
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>().unwrap(), *p);
        }
        assert_eq!(Role::PrOfficeChief.as_str(), "pr-office-chief");
        let err = "boss".parse::<Role>().unwrap_err();
        assert_eq!(err.code(), "STORE_INVALID");
    }

    #[test]
    fn handles_normalise() {
        assert_eq!(normalize_handle(" @Komae_City "), "komae_city");
        assert_eq!(
            normalize_handle("@Koho@Mastodon.Example"),
            "koho@mastodon.example"
        );
    }

    #[test]
    fn secrets_do_not_leak_through_debug() {
        let c = Credentials {
            password_hash: Some(Secret::new("$argon2id$v=19$abc")),
            totp_secret: Some(Secret::new("JBSWY3DPEHPK3PXP")),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("argon2"));
        assert!(!shown.contains("JBSWY3DP"));
        assert_eq!(c.password_hash.unwrap().expose(), "$argon2id$v=19$abc");
    }

    #[test]
    fn actors_parse() {
        assert_eq!(Actor::parse("system"), Actor::System);
        assert_eq!(Actor::parse("cli"), Actor::Cli);
        assert_eq!(Actor::parse("0190"), Actor::Person(PersonId::from("0190")));
    }
}

//! The typed guideline. Everything here was read from a guideline file and validated:
//! every role, clause and category a rule names exists.

use serde::Serialize;

use crate::category::Category;

/// A clause label as the document writes it, e.g. `4(4)イ` or `第8条(3)`.
pub type ClauseLabel = String;
/// The id a guideline gives one of its roles, e.g. `section-chief`.
pub type RoleId = String;

#[derive(Debug, Clone, Serialize)]
pub struct Guideline {
    pub id: String,
    pub title: String,
    pub municipality: Municipality,
    pub adopted: Option<String>,
    pub documents: Vec<Document>,
    pub roles: Vec<Role>,
    pub clauses: Vec<Clause>,
    pub opening: Opening,
    pub grandfathering: Option<Grandfathering>,
    pub operation_policy: Option<OperationPolicy>,
    pub profile: Vec<ProfileRequirement>,
    pub post_approval: PostApproval,
    pub content: ContentRules,
    pub checks: Vec<CheckRule>,
    pub replies: Option<Stance>,
    pub follows: Option<Stance>,
    pub moderation: Vec<ModerationGround>,
    pub credentials: Option<Credentials>,
    pub posting_devices: Option<PostingDevices>,
    pub inactivity: Option<Inactivity>,
    pub annual_review: Option<AnnualReview>,
    pub suspension: Option<Suspension>,
    pub closure: Option<Closure>,
    pub correction: Option<Correction>,
    pub incidents: Vec<Incident>,
    pub reminders: Vec<Reminder>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Municipality {
    pub name: String,
    pub homepage: String,
    /// The homepage page listing every official account (高鍋町 6.1, 神栖市 第6条).
    pub account_list_url: Option<String>,
    /// The municipality's own domains: links and e-mail addresses on them are not third-party.
    pub domains: Vec<String>,
    /// The municipality's own telephone numbers, as digits only.
    pub phones: Vec<String>,
    pub departments: Vec<String>,
    /// Place and organisation names the morphological analyser should know.
    pub place_names: Vec<String>,
    pub timezone: String,
    pub fiscal_year_start_month: u8,
}

/// A document the guideline consists of (a guideline and its sample policy, say).
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub date: Option<String>,
}

/// What kind of actor a role is; koho's authorisation is built on kinds, the
/// guideline decides which role of which kind decides what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleKind {
    Staff,
    SectionChief,
    AccountManager,
    PrOffice,
    PrOfficeChief,
    ItCommittee,
    ItCommitteeChair,
    SecurityOfficer,
    Contractor,
    Auditor,
}

impl RoleKind {
    pub const IDS: &'static [&'static str] = &[
        "staff",
        "section-chief",
        "account-manager",
        "pr-office",
        "pr-office-chief",
        "it-committee",
        "it-committee-chair",
        "security-officer",
        "contractor",
        "auditor",
    ];

    pub fn from_id(s: &str) -> Option<Self> {
        Some(match s {
            "staff" => RoleKind::Staff,
            "section-chief" => RoleKind::SectionChief,
            "account-manager" => RoleKind::AccountManager,
            "pr-office" => RoleKind::PrOffice,
            "pr-office-chief" => RoleKind::PrOfficeChief,
            "it-committee" => RoleKind::ItCommittee,
            "it-committee-chair" => RoleKind::ItCommitteeChair,
            "security-officer" => RoleKind::SecurityOfficer,
            "contractor" => RoleKind::Contractor,
            "auditor" => RoleKind::Auditor,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub id: RoleId,
    /// The name the document uses, e.g. 「地方創生推進室長」.
    pub name: String,
    pub kind: RoleKind,
}

#[derive(Debug, Clone, Serialize)]
pub struct Clause {
    pub label: ClauseLabel,
    /// Which document of the guideline, when it has more than one.
    pub document: Option<String>,
    pub title: Option<String>,
    /// The clause's original text.
    pub text: String,
}

/// Where a rule comes from: the clauses it cites.
pub type Cites = Vec<ClauseLabel>;

#[derive(Debug, Clone, Serialize)]
pub struct Opening {
    pub clauses: Cites,
    /// The role that applies (usually the owning section's chief).
    pub applicant: RoleId,
    /// The role whose approval opens an account.
    pub approver: RoleId,
    pub waiver: Option<Waiver>,
    /// A change of purpose needs approval again (神栖市 第4条).
    pub reapproval_on_purpose_change: Option<Cites>,
    pub fields: Vec<ApplicationField>,
    pub existing_account_review: Option<ExistingAccountReview>,
    pub application_form: Option<Form>,
    pub approval_form: Option<Form>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Waiver {
    pub by: RoleId,
    pub clauses: Cites,
}

/// The fields an opening application must hold. Ids are fixed so workflows can map
/// them onto the account record; labels are the guideline's own words.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationField {
    pub id: FieldId,
    pub label: String,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldId {
    Department,
    Platform,
    Handle,
    Url,
    DisplayName,
    Email,
    Credentials,
    Manager,
    Purpose,
    Content,
    Tone,
    ReplyPolicy,
    FollowPolicy,
    ApprovalNeeded,
    Plan,
    Policy,
    StartDate,
    Other,
}

impl FieldId {
    pub const IDS: &'static [&'static str] = &[
        "department",
        "platform",
        "handle",
        "url",
        "display-name",
        "email",
        "credentials",
        "manager",
        "purpose",
        "content",
        "tone",
        "reply-policy",
        "follow-policy",
        "approval-needed",
        "plan",
        "policy",
        "start-date",
        "other",
    ];

    pub fn from_id(s: &str) -> Option<Self> {
        use FieldId::*;
        Some(match s {
            "department" => Department,
            "platform" => Platform,
            "handle" => Handle,
            "url" => Url,
            "display-name" => DisplayName,
            "email" => Email,
            "credentials" => Credentials,
            "manager" => Manager,
            "purpose" => Purpose,
            "content" => Content,
            "tone" => Tone,
            "reply-policy" => ReplyPolicy,
            "follow-policy" => FollowPolicy,
            "approval-needed" => ApprovalNeeded,
            "plan" => Plan,
            "policy" => Policy,
            "start-date" => StartDate,
            "other" => Other,
            _ => return None,
        })
    }
}

/// Questions an applicant answers about the existing accounts (狛江市 4(2)ア).
#[derive(Debug, Clone, Serialize)]
pub struct ExistingAccountReview {
    pub clauses: Cites,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub id: String,
    pub label: String,
    pub text: String,
}

/// A printable form the guideline defines (美祢市 様式第1号・第2号).
#[derive(Debug, Clone, Serialize)]
pub struct Form {
    pub number: String,
    pub title: String,
    pub addressee: Option<String>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Grandfathering {
    pub clauses: Cites,
    /// Grandfathered accounts are reported to this role, not approved by it.
    pub report_to: RoleId,
}

#[derive(Debug, Clone, Serialize)]
pub struct OperationPolicy {
    pub clauses: Cites,
    pub required_items: Vec<PolicyItem>,
    /// Published on the homepage (高鍋町 3.7 庁内外に公表, 神栖市 第6条2).
    pub publish: bool,
    /// Template with `{{placeholders}}` filled from the account record.
    pub template: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyItem {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileRequirement {
    pub id: ProfileItem,
    pub label: String,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileItem {
    NameIcon,
    UserId,
    DepartmentEmail,
    HomepageUrl,
    AccountListLink,
    StatedLimits,
    OfficialStatement,
    OperatorAndPurpose,
    NoReplyNotice,
    Verification,
}

impl ProfileItem {
    pub const IDS: &'static [&'static str] = &[
        "name-icon",
        "user-id",
        "department-email",
        "homepage-url",
        "account-list-link",
        "stated-limits",
        "official-statement",
        "operator-and-purpose",
        "no-reply-notice",
        "verification",
    ];
    pub fn from_id(s: &str) -> Option<Self> {
        use ProfileItem::*;
        Some(match s {
            "name-icon" => NameIcon,
            "user-id" => UserId,
            "department-email" => DepartmentEmail,
            "homepage-url" => HomepageUrl,
            "account-list-link" => AccountListLink,
            "stated-limits" => StatedLimits,
            "official-statement" => OfficialStatement,
            "operator-and-purpose" => OperatorAndPurpose,
            "no-reply-notice" => NoReplyNotice,
            "verification" => Verification,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalDefault {
    /// Every post needs approval unless an exception applies (高鍋町 3.8).
    Required,
    /// No approval, except for the listed matters (美祢市 4-6).
    NotRequired,
    /// Each account's operation policy decides (狛江市 4(2)イ 決裁の要・不要).
    PerAccount,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostApproval {
    pub clauses: Cites,
    pub default: ApprovalDefault,
    pub approver: RoleId,
    /// Cases where staff may publish without approval.
    pub exceptions: Vec<ApprovalException>,
    /// Matters that need approval even where the default is none.
    pub required_for: Vec<ApprovalMatter>,
    /// How long after its scheduled time a post may still go out; later it is marked
    /// missed rather than published late. `None`: koho's default.
    pub missed_after_minutes: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApprovalException {
    pub id: String,
    pub label: String,
    pub clauses: Cites,
    /// An emergency post: published at once, then reported to and acknowledged by this role.
    pub post_hoc_report_to: Option<RoleId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApprovalMatter {
    pub id: String,
    pub label: String,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContentRules {
    pub allowed: Vec<ContentCategory>,
    pub shares: Vec<ContentCategory>,
    /// A department submits information; this role decides whether to publish (美祢市 第4-2(3)).
    pub requests: Option<Requests>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContentCategory {
    pub id: String,
    pub label: String,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Serialize)]
pub struct Requests {
    pub decided_by: RoleId,
    pub clauses: Cites,
}

/// textlint's severities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn from_id(s: &str) -> Option<Self> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
    pub fn id(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One enabled check category with the guideline's severity and clauses.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRule {
    pub category: Category,
    pub severity: Severity,
    pub clauses: Cites,
    /// The guideline's own words for what is prohibited, shown beside the clause.
    pub note: Option<String>,
    pub options: CheckOptions,
    /// Per-rule severity overrides by rule code (`off` disables a rule).
    pub rules: Vec<RuleOverride>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckOptions {
    /// repeated-post: how far back to compare, in days.
    pub window_days: Option<u32>,
    /// repeated-post: normalised similarity at or above which two posts are the same.
    pub similarity: Option<f64>,
    /// commercial: local job listings are allowed content (美祢市 第4-2(2)エ).
    pub allow_job_listings: bool,
    /// third-party-link: further domains treated as trusted besides the municipality's own.
    pub trusted_domains: Vec<String>,
    /// undecided-policy: the municipality asks for opinions (高鍋町 4 の括弧書き).
    pub allow_public_comment: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleOverride {
    pub code: String,
    /// `None` turns the rule off.
    pub severity: Option<Severity>,
    /// Byte span in the guideline source, so the checker can report unknown codes.
    #[serde(skip)]
    pub span: std::ops::Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StanceKind {
    /// Not done at all unless the named roles permit it.
    Prohibited,
    /// Done when judged useful.
    CaseByCase,
    Allowed,
}

/// Reply or follow policy.
#[derive(Debug, Clone, Serialize)]
pub struct Stance {
    pub policy: StanceKind,
    pub exception_by: Vec<RoleId>,
    /// Every role in `exception_by` must permit, not just one (神栖市 第7条(3)
    /// 「広報主管課及び運用管理者が許可した場合」).
    pub exception_requires_all: bool,
    pub exception: Option<String>,
    /// The stance must be stated where users see it (美祢市 第4-2(5)).
    pub must_state: bool,
    pub clauses: Cites,
}

/// Grounds for deleting a user's comment or blocking a user.
#[derive(Debug, Clone, Serialize)]
pub struct ModerationGround {
    pub id: String,
    pub label: String,
    pub category: Option<Category>,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Serialize)]
pub struct Credentials {
    pub min_length: Option<u32>,
    pub require_letters: bool,
    pub require_digits: bool,
    pub require_symbols: bool,
    /// "changed regularly": how often koho reminds, in days.
    pub rotation_days: Option<u32>,
    /// Not the same as or similar to another platform's password (狛江市 ポリシー第4条(4)).
    pub distinct_across_platforms: bool,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostingDevices {
    pub allowed: Vec<String>,
    pub exception: Option<String>,
    pub exception_by: Option<RoleId>,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inactivity {
    /// Days without a post after which the account is flagged.
    pub after_days: u32,
    pub decided_by: RoleId,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnnualReview {
    /// The month the review is due (fiscal year end; March in Japan).
    pub month: u8,
    pub decided_by: RoleId,
    /// Question ids of the opening review reused as criteria.
    pub criteria: Vec<String>,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suspension {
    pub decided_by: RoleId,
    pub notice_days: Option<u32>,
    pub recheck_days: Option<u32>,
    /// Never delete the account while the platform exists (狛江市 4(5)エ).
    pub keep_handle: bool,
    pub redirect_to_main: bool,
    pub publish_reason: bool,
    pub steps: Vec<Step>,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Serialize)]
pub struct Closure {
    pub decided_by: RoleId,
    pub publish_reason: bool,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OriginalHandling {
    Delete,
    KeepMarked,
}

#[derive(Debug, Clone, Serialize)]
pub struct Correction {
    pub original: OriginalHandling,
    pub apology: bool,
    /// Role that may demand a correction (神栖市 第5条4).
    pub demanded_by: Option<RoleId>,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    Impersonation,
    Hijack,
    Backlash,
    Error,
    ImportantMention,
}

impl IncidentKind {
    pub const IDS: &'static [&'static str] = &[
        "impersonation",
        "hijack",
        "backlash",
        "error",
        "important-mention",
    ];
    pub fn from_id(s: &str) -> Option<Self> {
        Some(match s {
            "impersonation" => IncidentKind::Impersonation,
            "hijack" => IncidentKind::Hijack,
            "backlash" => IncidentKind::Backlash,
            "error" => IncidentKind::Error,
            "important-mention" => IncidentKind::ImportantMention,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub kind: IncidentKind,
    /// Who is told, in order.
    pub report_chain: Vec<RoleId>,
    pub steps: Vec<Step>,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub id: String,
    pub label: String,
    pub clauses: Cites,
}

/// What software cannot enforce but can remind of: a checklist item, a reminder,
/// a training acknowledgement.
#[derive(Debug, Clone, Serialize)]
pub struct Reminder {
    pub id: String,
    pub when: ReminderWhen,
    pub label: String,
    pub clauses: Cites,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReminderWhen {
    /// Shown beside the editor before every post.
    Posting,
    /// Acknowledged once a year by every user.
    Training,
    /// Part of the opening application.
    Opening,
    /// Part of the annual review.
    Review,
}

//! The one error type of the workflows: a stable code for scripts and logs, a Japanese
//! message for the person at the screen ([`WorkflowError::ja`]) and an English `Display`
//! for operators.

use koho_store::{AccountState, StoreError};

use crate::state::Action;

/// A field the guideline requires that an application left empty.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MissingField {
    /// The field id (`purpose`, `handle` …).
    pub id: String,
    /// The guideline's own label, e.g. 「アカウントの目的」.
    pub label: String,
    /// The clauses that require it (empty when koho itself needs the field).
    pub clauses: Vec<String>,
}

/// Who was refused what, and which role the guideline names instead.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Denial {
    pub person: String,
    /// What was attempted, in Japanese.
    pub action: String,
    pub role_id: String,
    /// The guideline's name for the role(s) that may.
    pub role_name: String,
    pub guideline: String,
    pub clause: Option<String>,
}

/// An existing-account review question left unanswered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UnansweredQuestion {
    pub id: String,
    pub label: String,
    pub clauses: Vec<String>,
}

/// Everything a workflow can refuse or fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError {
    /// The application lacks fields the guideline requires.
    #[error("the application lacks required fields: {}", list_ids(fields))]
    MissingFields {
        guideline: String,
        fields: Vec<MissingField>,
    },
    /// The existing-account review (狛江市 4(2)ア) was not answered in full.
    #[error("the existing-account review is not answered: {}", questions.iter().map(|q| q.id.as_str()).collect::<Vec<_>>().join(", "))]
    ReviewUnanswered {
        guideline: String,
        questions: Vec<UnansweredQuestion>,
    },
    /// The registration e-mail address is not on one of the municipality's domains.
    #[error("registration e-mail `{email}` is not on the municipality's domains ({})", domains.join(", "))]
    ForeignEmailDomain {
        email: String,
        domains: Vec<String>,
        guideline: String,
        clause: Option<String>,
    },
    /// The acting person does not hold the role the guideline names for this step.
    #[error("{} may not {}: the guideline ({} {}) gives this to role `{}`", .0.person, .0.action, .0.guideline, .0.clause.as_deref().unwrap_or("-"), .0.role_id)]
    NotAuthorized(Box<Denial>),
    /// Nobody decides on their own application.
    #[error("{person} applied and may not decide on the same application")]
    SelfDecision { person: String },
    /// The acting person is deactivated.
    #[error("{person} is deactivated")]
    InactivePerson { person: String },
    /// The state machine has no such edge.
    #[error("cannot {} an account that is {from}", action.id())]
    IllegalTransition { from: AccountState, action: Action },
    /// The application was already decided or withdrawn.
    #[error("application {id} is {status}, not submitted")]
    ApplicationNotPending { id: String, status: String },
    /// A reason is required for this step.
    #[error("a reason is required to {action}")]
    ReasonRequired {
        action: String,
        clause: Option<String>,
    },
    /// The guideline has no rule for this step.
    #[error("guideline {guideline} has no rule for {rule}")]
    NoRule {
        guideline: String,
        rule: &'static str,
    },
    /// The impact of a suspension (followers) must be recorded (狛江市 4(5)イ).
    #[error("the impact of the suspension (followers) must be recorded ({guideline} {clause})")]
    ImpactRequired { guideline: String, clause: String },
    /// There is no main account to redirect followers to (狛江市 4(5)ウ).
    #[error("no active main account to redirect to ({guideline} {clause})")]
    NoRedirectTarget { guideline: String, clause: String },
    /// The operation policy must be published before the account starts (神栖市 第6条2 …).
    #[error("the operation policy must be published before the account is activated ({guideline} {})", clause.as_deref().unwrap_or("-"))]
    PolicyNotPublished {
        guideline: String,
        clause: Option<String>,
    },
    /// No draft policy version to publish.
    #[error("account {account} has no draft policy version to publish")]
    NoPolicyDraft { account: String },
    /// The platform and handle are already in the register.
    #[error("{platform} handle `{handle}` is already in the register (state {state})")]
    DuplicateHandle {
        platform: String,
        handle: String,
        state: AccountState,
    },
    /// Nothing with this key.
    #[error("{what} `{key}` not found")]
    NotFound { what: &'static str, key: String },
    /// The key matches several accounts.
    #[error("`{key}` matches several accounts; name the platform")]
    Ambiguous {
        key: String,
        candidates: Vec<String>,
    },
    /// The guideline handed in is not the municipality's.
    #[error("municipality {municipality} runs guideline {expected}, not {got}")]
    GuidelineMismatch {
        municipality: String,
        expected: String,
        got: String,
    },
    /// The demo municipality already exists.
    #[error("municipality `{slug}` already exists")]
    AlreadyExists { slug: String },
    /// A malformed value.
    #[error("invalid {field}: {en}")]
    Invalid {
        field: &'static str,
        ja: String,
        en: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn list_ids(fields: &[MissingField]) -> String {
    fields
        .iter()
        .map(|f| f.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn cite(guideline: &str, clauses: &[String]) -> String {
    if clauses.is_empty() {
        "koho の台帳に必要".to_owned()
    } else {
        format!("{guideline} {}", clauses.join("・"))
    }
}

fn cite_one(guideline: &str, clause: Option<&str>) -> String {
    match clause {
        Some(c) => format!("（{guideline} {c}）"),
        None => String::new(),
    }
}

impl WorkflowError {
    /// Stable machine-readable code (`WF_…`, or the store's `STORE_…`).
    pub fn code(&self) -> &'static str {
        match self {
            WorkflowError::MissingFields { .. } => "WF_MISSING_FIELD",
            WorkflowError::ReviewUnanswered { .. } => "WF_REVIEW_UNANSWERED",
            WorkflowError::ForeignEmailDomain { .. } => "WF_EMAIL_DOMAIN",
            WorkflowError::NotAuthorized(_) => "WF_NOT_AUTHORIZED",
            WorkflowError::SelfDecision { .. } => "WF_SELF_DECISION",
            WorkflowError::InactivePerson { .. } => "WF_INACTIVE_PERSON",
            WorkflowError::IllegalTransition { .. } => "WF_ILLEGAL_TRANSITION",
            WorkflowError::ApplicationNotPending { .. } => "WF_APPLICATION_DECIDED",
            WorkflowError::ReasonRequired { .. } => "WF_REASON_REQUIRED",
            WorkflowError::NoRule { .. } => "WF_NO_RULE",
            WorkflowError::ImpactRequired { .. } => "WF_IMPACT_REQUIRED",
            WorkflowError::NoRedirectTarget { .. } => "WF_NO_REDIRECT",
            WorkflowError::PolicyNotPublished { .. } => "WF_POLICY_NOT_PUBLISHED",
            WorkflowError::NoPolicyDraft { .. } => "WF_NO_POLICY_DRAFT",
            WorkflowError::DuplicateHandle { .. } => "WF_DUPLICATE_HANDLE",
            WorkflowError::NotFound { .. } => "WF_NOT_FOUND",
            WorkflowError::Ambiguous { .. } => "WF_AMBIGUOUS",
            WorkflowError::GuidelineMismatch { .. } => "WF_GUIDELINE_MISMATCH",
            WorkflowError::AlreadyExists { .. } => "WF_ALREADY_EXISTS",
            WorkflowError::Invalid { .. } => "WF_INVALID",
            WorkflowError::Store(e) => e.code(),
        }
    }

    /// True when the request itself was wrong (CLI exit 2), false for failures of the
    /// system (database, files).
    pub fn is_refusal(&self) -> bool {
        match self {
            WorkflowError::Store(e) => matches!(
                e,
                StoreError::NotFound { .. }
                    | StoreError::Conflict { .. }
                    | StoreError::Invalid { .. }
                    | StoreError::Immutable { .. }
                    | StoreError::UnknownTenant(_)
            ),
            _ => true,
        }
    }

    /// The message for the person at the screen, in Japanese, naming the clause.
    pub fn ja(&self) -> String {
        match self {
            WorkflowError::MissingFields { guideline, fields } => {
                let list: Vec<String> = fields
                    .iter()
                    .map(|f| format!("「{}」（{}）", f.label, cite(guideline, &f.clauses)))
                    .collect();
                format!("開設申請に次の項目がありません: {}", list.join("、"))
            }
            WorkflowError::ReviewUnanswered {
                guideline,
                questions,
            } => {
                let list: Vec<String> = questions
                    .iter()
                    .map(|q| format!("「{}」（{}）", q.label, cite(guideline, &q.clauses)))
                    .collect();
                format!(
                    "既存アカウントの活用の検討に回答していない項目があります: {}",
                    list.join("、")
                )
            }
            WorkflowError::ForeignEmailDomain {
                email,
                domains,
                guideline,
                clause,
            } => format!(
                "登録メールアドレス「{email}」は市のドメイン（{}）のアドレスではありません。所管する部署のアドレスを登録してください{}",
                domains.join("、"),
                cite_one(guideline, clause.as_deref())
            ),
            WorkflowError::NotAuthorized(d) => format!(
                "{} さんは「{}」を行えません。ガイドラインでは「{}」が行います{}",
                d.person,
                d.action,
                d.role_name,
                cite_one(&d.guideline, d.clause.as_deref())
            ),
            WorkflowError::SelfDecision { person } => format!(
                "{person} さんは自分の申請を承認・却下できません。申請者以外の承認者が決定してください"
            ),
            WorkflowError::InactivePerson { person } => {
                format!("{person} さんは無効化されているため、操作できません")
            }
            WorkflowError::IllegalTransition { from, action } => {
                let allowed: Vec<&str> = crate::state::allowed_actions(*from)
                    .iter()
                    .map(|a| a.label())
                    .collect();
                let allowed = if allowed.is_empty() {
                    "なし".to_owned()
                } else {
                    allowed.join("、")
                };
                format!(
                    "「{}」の状態のアカウントに「{}」はできません（この状態で可能な操作: {allowed}）",
                    crate::state::state_label(*from),
                    action.label(),
                )
            }
            WorkflowError::ApplicationNotPending { id, status } => {
                format!(
                    "申請 {id} は既に「{}」です。審査中の申請ではありません",
                    status_label(status)
                )
            }
            WorkflowError::ReasonRequired { action, clause } => {
                let cite = clause
                    .as_deref()
                    .map(|c| format!("（{c}）"))
                    .unwrap_or_default();
                format!("「{action}」には理由が必要です{cite}")
            }
            WorkflowError::NoRule { guideline, rule } => format!(
                "ガイドライン「{guideline}」には{}の規定がありません",
                rule_label(rule)
            ),
            WorkflowError::ImpactRequired { guideline, clause } => format!(
                "運用停止の前に、停止による影響度（フォロワー数など）を記録してください（{guideline} {clause}）"
            ),
            WorkflowError::NoRedirectTarget { guideline, clause } => format!(
                "誘導先の市広報アカウント（運用中のメインアカウント）がありません。誘導先を指定してください（{guideline} {clause}）"
            ),
            WorkflowError::PolicyNotPublished { guideline, clause } => format!(
                "運用ポリシーを公開してから運用を開始してください{}",
                cite_one(guideline, clause.as_deref())
            ),
            WorkflowError::NoPolicyDraft { account } => {
                format!("アカウント {account} には公開できる運用ポリシーの下書きがありません")
            }
            WorkflowError::DuplicateHandle {
                platform,
                handle,
                state,
            } => format!(
                "{platform} の「{handle}」は既に台帳にあります（状態: {}）。閉鎖したアカウントも、なりすまし防止のため記録を残しています",
                crate::state::state_label(*state)
            ),
            WorkflowError::NotFound { what, key } => {
                format!("{}「{key}」が見つかりません", what_label(what))
            }
            WorkflowError::Ambiguous { key, candidates } => format!(
                "「{key}」に当たるアカウントが複数あります（{}）。--platform で指定してください",
                candidates.join("、")
            ),
            WorkflowError::GuidelineMismatch {
                municipality,
                expected,
                got,
            } => format!(
                "自治体「{municipality}」のガイドラインは「{expected}」です（渡されたのは「{got}」）"
            ),
            WorkflowError::AlreadyExists { slug } => format!("自治体「{slug}」は既にあります"),
            WorkflowError::Invalid { ja, .. } => ja.clone(),
            WorkflowError::Store(e) => store_ja(e),
        }
    }
}

fn status_label(status: &str) -> &str {
    match status {
        "draft" => "下書き",
        "submitted" => "審査中",
        "approved" => "承認済み",
        "rejected" => "却下",
        "withdrawn" => "取下げ",
        other => other,
    }
}

fn rule_label(rule: &str) -> &str {
    match rule {
        "grandfathering" => "適用除外（既存アカウントの届出）",
        "waiver" => "手続の適用除外（委員長等の判断）",
        "suspension" => "運用停止",
        "closure" => "廃止",
        other => other,
    }
}

fn what_label(what: &str) -> &str {
    match what {
        "account" => "アカウント",
        "application" => "申請",
        "person" => "職員",
        "department" => "所属",
        "policy version" => "運用ポリシーの版",
        "role" => "役割",
        other => other,
    }
}

/// Japanese text for a store error.
pub fn store_ja(e: &StoreError) -> String {
    match e {
        StoreError::UnsupportedUrl(url) => format!(
            "データベースの URL「{url}」は使えません。sqlite://パス または postgres://ユーザー@ホスト/DB を指定してください"
        ),
        StoreError::UnknownTenant(t) => format!("自治体「{t}」はデータベースにありません"),
        StoreError::NotFound { entity, id } => format!("{entity}「{id}」が見つかりません"),
        StoreError::Conflict { entity, detail } => {
            format!("{entity} の登録が既存のデータと衝突します（{detail}）")
        }
        StoreError::Stale { .. } => {
            "ほかの人が同時に変更しました。読み込み直してやり直してください".to_owned()
        }
        StoreError::Busy(_) => {
            "データベースが使用中です。しばらくしてからやり直してください".to_owned()
        }
        StoreError::RestoreTargetNotEmpty { table, rows } => format!(
            "復元先のデータベースが空ではありません（{table} に {rows} 行）。空のデータベースを指定してください"
        ),
        StoreError::Restore(d) => format!("復元に失敗しました: {d}"),
        StoreError::Backup(d) => format!("バックアップに失敗しました: {d}"),
        StoreError::Io { path, source } => {
            format!(
                "ファイル「{}」を読み書きできません（{source}）",
                path.display()
            )
        }
        StoreError::SchemaTooNew { found, supported } => format!(
            "データベースはより新しい koho で作られています（スキーマ {found}、この koho は {supported} まで）"
        ),
        other => format!("データベースのエラー: {other}"),
    }
}

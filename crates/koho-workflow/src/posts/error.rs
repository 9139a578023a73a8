//! What the posting workflow refuses or fails with: a stable `POST_…` code, a Japanese
//! message naming the clause ([`PostError::ja`]) and an English `Display` for logs.

use koho_store::{PostState, StoreError, TargetState};

use crate::error::WorkflowError;
use crate::posts::state::{PostAction, allowed_post_actions, post_state_label, target_state_label};

/// A finding of the checker that blocks submission.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BlockingFinding {
    /// Platform id the text was checked for, when it was a per-platform text.
    pub platform: Option<String>,
    pub rule: String,
    pub message: String,
    pub clauses: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostError {
    #[error("cannot {} a post that is {from}", action.id())]
    IllegalTransition { from: PostState, action: PostAction },
    #[error("a post target cannot move from {from} to {to}")]
    IllegalTargetTransition { from: TargetState, to: TargetState },
    #[error("the checker found {} error(s); an approver must override them with a reason citing a clause", findings.len())]
    CheckErrors {
        guideline: String,
        findings: Vec<BlockingFinding>,
    },
    #[error("{person} wrote this post and may not approve it or override its findings")]
    SelfApproval { person: String },
    #[error("guideline {guideline} has no approval exception `{id}`")]
    UnknownException {
        guideline: String,
        id: String,
        known: Vec<String>,
    },
    #[error("guideline {guideline} has no approval matter `{id}`")]
    UnknownMatter {
        guideline: String,
        id: String,
        known: Vec<String>,
    },
    #[error("guideline {guideline} has no clause `{clause}`")]
    UnknownClause { guideline: String, clause: String },
    #[error("a reason is required to {what}")]
    ReasonRequired {
        what: &'static str,
        guideline: String,
        clause: Option<String>,
    },
    #[error("share category {category:?} is not one the guideline allows ({})", allowed.join(", "))]
    ShareCategory {
        category: Option<String>,
        allowed: Vec<String>,
        guideline: String,
        clause: Option<String>,
    },
    #[error("a post needs at least one official account")]
    NoTargets,
    #[error("account {account} is {state} and cannot be posted to")]
    AccountNotPostable { account: String, state: String },
    #[error("{person} may not post to {account}, an account of another department")]
    OtherDepartment { person: String, account: String },
    #[error("guideline {guideline} has no rule for {rule}")]
    NoRule {
        guideline: String,
        rule: &'static str,
    },
    #[error("the guideline asks for an apology with a correction ({guideline} {clause})")]
    ApologyRequired { guideline: String, clause: String },
    #[error("post {post} was never published, so there is nothing to correct")]
    NotPublished { post: String },
    #[error("post {post} already went out; publish a correction instead of editing it")]
    AlreadySent { post: String },
    #[error("the publication time has already passed")]
    TimePassed,
    #[error("cannot read the time `{input}`: {detail}")]
    InvalidTime { input: String, detail: String },
    #[error("unknown time zone `{0}` in the guideline")]
    TimeZone(String),
    #[error("department request {id} was already decided")]
    RequestDecided { id: String },
    #[error("post-hoc report of post {post} was already acknowledged")]
    AlreadyAcknowledged { post: String },
    #[error("image {} cannot be read: {detail}", index + 1)]
    BadImage { index: usize, detail: String },
    #[error("image {} has no alt text, which {platform} shows to screen-reader users", index + 1)]
    AltTextRequired { index: usize, platform: String },
    #[error("{count} images, but {platform} takes at most {max}")]
    TooManyImages {
        count: usize,
        max: usize,
        platform: String,
    },
    #[error("invalid {field}: {en}")]
    Invalid {
        field: &'static str,
        ja: String,
        en: String,
    },
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
}

impl From<StoreError> for PostError {
    fn from(e: StoreError) -> Self {
        PostError::Workflow(WorkflowError::Store(e))
    }
}

fn cite(guideline: &str, clause: Option<&str>) -> String {
    clause
        .map(|c| format!("（{guideline} {c}）"))
        .unwrap_or_default()
}

impl PostError {
    /// Stable code for scripts and logs.
    pub fn code(&self) -> &'static str {
        match self {
            PostError::IllegalTransition { .. } => "POST_ILLEGAL_TRANSITION",
            PostError::IllegalTargetTransition { .. } => "POST_ILLEGAL_TARGET_TRANSITION",
            PostError::CheckErrors { .. } => "POST_CHECK_ERRORS",
            PostError::SelfApproval { .. } => "POST_SELF_APPROVAL",
            PostError::UnknownException { .. } => "POST_UNKNOWN_EXCEPTION",
            PostError::UnknownMatter { .. } => "POST_UNKNOWN_MATTER",
            PostError::UnknownClause { .. } => "POST_UNKNOWN_CLAUSE",
            PostError::ReasonRequired { .. } => "POST_REASON_REQUIRED",
            PostError::ShareCategory { .. } => "POST_SHARE_CATEGORY",
            PostError::NoTargets => "POST_NO_TARGETS",
            PostError::AccountNotPostable { .. } => "POST_ACCOUNT_NOT_POSTABLE",
            PostError::OtherDepartment { .. } => "POST_OTHER_DEPARTMENT",
            PostError::NoRule { .. } => "POST_NO_RULE",
            PostError::ApologyRequired { .. } => "POST_APOLOGY_REQUIRED",
            PostError::NotPublished { .. } => "POST_NOT_PUBLISHED",
            PostError::AlreadySent { .. } => "POST_ALREADY_SENT",
            PostError::TimePassed => "POST_TIME_PASSED",
            PostError::InvalidTime { .. } => "POST_INVALID_TIME",
            PostError::TimeZone(_) => "POST_TIME_ZONE",
            PostError::RequestDecided { .. } => "POST_REQUEST_DECIDED",
            PostError::AlreadyAcknowledged { .. } => "POST_ALREADY_ACKNOWLEDGED",
            PostError::BadImage { .. } => "POST_BAD_IMAGE",
            PostError::AltTextRequired { .. } => "POST_ALT_TEXT_REQUIRED",
            PostError::TooManyImages { .. } => "POST_TOO_MANY_IMAGES",
            PostError::Invalid { .. } => "POST_INVALID",
            PostError::Workflow(e) => e.code(),
        }
    }

    /// True when the request was wrong (CLI exit 2), false when the system failed.
    pub fn is_refusal(&self) -> bool {
        match self {
            PostError::Workflow(e) => e.is_refusal(),
            PostError::TimeZone(_) => false,
            _ => true,
        }
    }

    /// The message for the person at the screen.
    pub fn ja(&self) -> String {
        match self {
            PostError::IllegalTransition { from, action } => {
                let allowed: Vec<&str> = allowed_post_actions(*from)
                    .iter()
                    .map(|a| a.label())
                    .collect();
                let allowed = if allowed.is_empty() {
                    "なし".to_owned()
                } else {
                    allowed.join("、")
                };
                format!(
                    "「{}」の投稿に「{}」はできません（この状態で可能な操作: {allowed}）",
                    post_state_label(*from),
                    action.label()
                )
            }
            PostError::IllegalTargetTransition { from, to } => format!(
                "アカウントへの投稿を「{}」から「{}」にはできません",
                target_state_label(*from),
                target_state_label(*to)
            ),
            PostError::CheckErrors {
                guideline,
                findings,
            } => {
                let list: Vec<String> = findings
                    .iter()
                    .map(|f| {
                        let on = f
                            .platform
                            .as_deref()
                            .map(|p| format!("[{p}] "))
                            .unwrap_or_default();
                        format!("{on}{}（{guideline} {}）", f.message, f.clauses.join("・"))
                    })
                    .collect();
                format!(
                    "事前チェックでエラーが {} 件あります。修正するか、承認者が条項を示した理由を記録して上書きしてください: {}",
                    findings.len(),
                    list.join("、")
                )
            }
            PostError::SelfApproval { person } => format!(
                "{person} さんが作成した投稿です。自分の投稿は承認・上書きできません。ほかの承認者に依頼してください"
            ),
            PostError::UnknownException {
                guideline,
                id,
                known,
            } => format!(
                "ガイドライン「{guideline}」に承認の例外「{id}」はありません（使える例外: {}）",
                if known.is_empty() {
                    "なし".to_owned()
                } else {
                    known.join("、")
                }
            ),
            PostError::UnknownMatter {
                guideline,
                id,
                known,
            } => format!(
                "ガイドライン「{guideline}」に承認が必要な事項「{id}」はありません（事項: {}）",
                if known.is_empty() {
                    "なし".to_owned()
                } else {
                    known.join("、")
                }
            ),
            PostError::UnknownClause { guideline, clause } => {
                format!("ガイドライン「{guideline}」に条項「{clause}」はありません")
            }
            PostError::ReasonRequired {
                what,
                guideline,
                clause,
            } => format!(
                "「{what}」には理由が必要です{}",
                cite(guideline, clause.as_deref())
            ),
            PostError::ShareCategory {
                category,
                allowed,
                guideline,
                clause,
            } => format!(
                "シェアできるのはガイドラインの定める情報だけです{}。分類「{}」は対象外です（対象: {}）",
                cite(guideline, clause.as_deref()),
                category.as_deref().unwrap_or("未指定"),
                allowed.join("、")
            ),
            PostError::NoTargets => "投稿先の公式アカウントを1つ以上指定してください".to_owned(),
            PostError::AccountNotPostable { account, state } => {
                format!("アカウント「{account}」は「{state}」のため投稿できません")
            }
            PostError::OtherDepartment { person, account } => format!(
                "{person} さんはアカウント「{account}」を所管する所属の職員ではありません。広報主管課への依頼として提出してください"
            ),
            PostError::NoRule { guideline, rule } => {
                format!("ガイドライン「{guideline}」には{rule}の規定がありません")
            }
            PostError::ApologyRequired { guideline, clause } => {
                format!("訂正にはお詫びの文を添えてください（{guideline} {clause}）")
            }
            PostError::NotPublished { post } => {
                format!("投稿 {post} はまだ公開されていないため、訂正ではなく編集してください")
            }
            PostError::AlreadySent { post } => format!(
                "投稿 {post} は既に公開（送信）されています。編集ではなく訂正を作成してください"
            ),
            PostError::TimePassed => {
                "公開予定時刻が既に過ぎています。未来の時刻を指定してください".to_owned()
            }
            PostError::InvalidTime { input, .. } => {
                format!("時刻「{input}」を読めません。「2026-06-01 09:30」の形式で指定してください")
            }
            PostError::TimeZone(tz) => format!("ガイドラインのタイムゾーン「{tz}」が不明です"),
            PostError::RequestDecided { id } => format!("依頼 {id} は既に処理されています"),
            PostError::AlreadyAcknowledged { post } => {
                format!("投稿 {post} の事後報告は既に了承されています")
            }
            PostError::BadImage { index, .. } => format!(
                "{}枚目の画像を読み取れません。JPEG・PNG・WebP の画像を添付してください",
                index + 1
            ),
            PostError::AltTextRequired { index, platform } => format!(
                "{}枚目の画像に代替テキスト（画像の説明）がありません。{platform} では代替テキストが画面読み上げで伝えられるため、画像の内容を説明する文を入力してください",
                index + 1
            ),
            PostError::TooManyImages {
                count,
                max,
                platform,
            } => format!("画像が {count} 枚あります。{platform} に添付できるのは {max} 枚までです"),
            PostError::Invalid { ja, .. } => ja.clone(),
            PostError::Workflow(e) => e.ja(),
        }
    }
}

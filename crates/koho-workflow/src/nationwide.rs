//! A synthetic nationwide shared deployment, for load tests: every municipality of Japan
//! (1,741 by default) with its departments, people, official accounts in every public
//! state, published operation policies, and years of audit history — the volume a
//! national koho would hold. Names are synthetic (`全国試験市0001`); the guidelines are the
//! five presets in turn, so each municipality runs by a real guideline.
//!
//! Each municipality is written in one transaction: the register rows through the
//! repositories, the history in multi-row statements with the hash chain computed as
//! every append computes it ([`koho_store::AuditLog::append_history`]), so `koho audit
//! verify` passes on the result.

use koho_guideline::Guideline;
use koho_store::{
    AccountFields, AccountKind, AccountState, Actor, ApplicationKind, ApplicationStatus,
    NewAccount, NewAccountEvent, NewApplication, NewAuditEntry, NewDepartment, NewMunicipality,
    NewPerson, NewPolicyVersion, Platform, Role, Store, Subject, VerificationStatus,
};
use serde::Serialize;
use serde_json::json;

use crate::error::WorkflowError;
use crate::time::DAY_MS;
use crate::workflow::subject;

type Result<T> = std::result::Result<T, WorkflowError>;

/// How big the deployment is.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub municipalities: usize,
    pub accounts_per_municipality: usize,
    pub years: u32,
    /// Audit entries per account per year (besides the opening's own).
    pub entries_per_account_year: usize,
}

impl Default for Scale {
    /// Japan's 1,741 basic municipalities (1,718 市町村 and Tokyo's 23 special wards), ten
    /// accounts each, five years, two dozen audited events per account a year (approved
    /// posts, monthly checks, follower counts …).
    fn default() -> Self {
        Scale {
            municipalities: 1741,
            accounts_per_municipality: 10,
            years: 5,
            entries_per_account_year: 24,
        }
    }
}

/// What one municipality became.
#[derive(Clone, Debug, Serialize)]
pub struct Generated {
    pub slug: String,
    pub name: String,
    pub guideline: String,
    pub accounts: usize,
    pub audit_entries: usize,
}

/// The slug of municipality number `i` (0-based): `m0001` …
pub fn slug(i: usize) -> String {
    format!("m{:04}", i + 1)
}

const DEPARTMENTS: &[&str] = &[
    "秘書広報課",
    "危機管理課",
    "子育て支援課",
    "観光振興課",
    "生涯学習課",
    "環境政策課",
];

const PLATFORMS: &[Platform] = &[
    Platform::X,
    Platform::Instagram,
    Platform::Facebook,
    Platform::Line,
    Platform::Youtube,
    Platform::X,
    Platform::Instagram,
    Platform::Bluesky,
    Platform::X,
    Platform::Threads,
];

const TOPICS: &[(&str, &str)] = &[
    ("city", "市政情報"),
    ("bousai", "防災情報"),
    ("kosodate", "子育て情報"),
    ("kanko", "観光情報"),
    ("library", "図書館"),
    ("kankyo", "環境・ごみ"),
    ("sports", "スポーツ"),
    ("event", "イベント"),
    ("kenko", "健康・福祉"),
    ("iju", "移住・定住"),
];

fn url(p: Platform, handle: &str) -> Option<String> {
    let h = handle.trim_start_matches('@');
    Some(match p {
        Platform::X => format!("https://x.com/{h}"),
        Platform::Instagram => format!("https://www.instagram.com/{h}"),
        Platform::Facebook => format!("https://www.facebook.com/{h}"),
        Platform::Line => format!("https://page.line.me/{h}"),
        Platform::Youtube => format!("https://www.youtube.com/@{h}"),
        Platform::Bluesky => format!("https://bsky.app/profile/{h}"),
        Platform::Threads => format!("https://www.threads.net/@{h}"),
        _ => return None,
    })
}

/// The state of account number `k`: most run, one is suspended, one closed, one predates
/// the guideline — so the register and the lookalike check see every public state.
fn state_of(k: usize) -> AccountState {
    match k % 10 {
        7 => AccountState::Suspended,
        8 => AccountState::Closed,
        9 => AccountState::Grandfathered,
        _ => AccountState::Active,
    }
}

/// Writes municipality `i` (0-based) of a nationwide deployment into `store`, ending
/// its history at `now` (Unix ms).
pub async fn generate_one(
    store: &Store,
    i: usize,
    guideline: &Guideline,
    scale: &Scale,
    now: i64,
) -> Result<Generated> {
    let slug = slug(i);
    let name = format!("全国試験市{:04}", i + 1);
    let m = store
        .create_municipality(
            &NewMunicipality {
                slug: slug.clone(),
                name: name.clone(),
                guideline_id: guideline.id.clone(),
            },
            &Actor::System,
        )
        .await?;
    let tenant = store.tenant(&m.id).await?;
    let mut tx = store.begin(&tenant).await?;
    let gid = guideline.id.clone();
    let clause = guideline.opening.clauses.first().cloned();
    let span = i64::from(scale.years) * 365 * DAY_MS;
    let start = now - span;
    let mut history: Vec<(i64, NewAuditEntry)> = Vec::new();
    let cite = |e: NewAuditEntry| match &clause {
        Some(c) => e.clause(gid.clone(), c.clone()),
        None => e,
    };

    let mut departments = Vec::new();
    for d in DEPARTMENTS {
        let dep = tx
            .departments()
            .create(&NewDepartment {
                name: (*d).to_owned(),
                parent_id: None,
            })
            .await?;
        history.push((
            start,
            NewAuditEntry::new(
                Actor::System,
                "department.create",
                Subject::new(subject::DEPARTMENT, dep.id.as_str()),
            )
            .after(&dep)?,
        ));
        departments.push(dep);
    }
    let domain = format!("{slug}.example.lg.jp");
    let cast: &[(&str, &str, Role, usize)] = &[
        ("pr.chief", "広報 課長", Role::PrOfficeChief, 0),
        ("pr.staff", "広報 担当", Role::PrOffice, 0),
        ("bousai.chief", "防災 課長", Role::SectionChief, 1),
        ("kosodate.chief", "子育て 課長", Role::SectionChief, 2),
        ("kanko.chief", "観光 課長", Role::SectionChief, 3),
        ("staff", "担当 職員", Role::Staff, 0),
        ("manager", "運用 管理者", Role::AccountManager, 0),
        ("ciso", "情報 セキュリティ", Role::SecurityOfficer, 0),
    ];
    let mut people = Vec::new();
    for (mail, pname, role, dept) in cast {
        let p = tx
            .people()
            .create(&NewPerson {
                display_name: (*pname).to_owned(),
                email: format!("{mail}@{domain}"),
                department_id: Some(departments[*dept].id.clone()),
                roles: vec![*role],
            })
            .await?;
        history.push((
            start,
            NewAuditEntry::new(
                Actor::System,
                "person.create",
                Subject::new(subject::PERSON, p.id.as_str()),
            )
            .after(&p)?,
        ));
        people.push(p);
    }
    let chief = people[0].id.clone();
    let applicant = people[2].id.clone();
    let manager = people[6].id.clone();

    let mut accounts = Vec::new();
    for k in 0..scale.accounts_per_municipality {
        let platform = PLATFORMS[k % PLATFORMS.len()];
        let (topic, label) = TOPICS[k % TOPICS.len()];
        let suffix = if k < TOPICS.len() {
            String::new()
        } else {
            format!("{}", k / TOPICS.len())
        };
        let handle = format!("@{slug}_{topic}{suffix}");
        let state = state_of(k);
        let opened = start + (k as i64) * 30 * DAY_MS;
        let fields = AccountFields {
            platform,
            handle: handle.clone(),
            url: url(platform, &handle),
            display_name: format!("{name} {label}"),
            department_id: Some(departments[k % departments.len()].id.clone()),
            manager_id: Some(manager.clone()),
            registration_email: Some(format!("sns-{topic}@{domain}")),
            purpose: format!("{name}の{label}をお知らせする"),
            content_categories: vec![label.to_owned()],
            tone: None,
            reply_policy: Some("原則として返信しない".to_owned()),
            follow_policy: Some("原則としてフォローしない".to_owned()),
            approval_required: true,
            kind: if k == 0 {
                AccountKind::Main
            } else {
                AccountKind::Topic
            },
        };
        let account = tx
            .accounts()
            .create(&NewAccount {
                fields: fields.clone(),
                state,
                verification: VerificationStatus::None,
                followers_count: Some(1000 + (k as i64) * 137),
            })
            .await?;
        let subj = || Subject::new(subject::ACCOUNT, account.id.as_str());
        if state != AccountState::Grandfathered {
            let application = tx
                .applications()
                .create(&NewApplication {
                    kind: ApplicationKind::Opening,
                    account_id: Some(account.id.clone()),
                    proposal: fields.clone(),
                    plan: format!("{label}を週2回程度発信する"),
                    applicant_id: applicant.clone(),
                    checklist: json!({ "guideline": gid }),
                    overlap_account_ids: Vec::new(),
                    status: ApplicationStatus::Submitted,
                    form_number: guideline
                        .opening
                        .application_form
                        .as_ref()
                        .map(|f| f.number.clone()),
                    submitted_at: Some(opened),
                })
                .await?;
            history.push((
                opened,
                cite(
                    NewAuditEntry::new(Actor::Person(applicant.clone()), "account.apply", subj())
                        .after(&json!({ "account": account, "application": application }))?,
                ),
            ));
            history.push((
                opened + DAY_MS,
                cite(
                    NewAuditEntry::new(Actor::Person(chief.clone()), "account.approve", subj())
                        .before(&json!({ "state": "applied" }))?
                        .after(&json!({ "state": "approved" }))?,
                ),
            ));
            history.push((
                opened + 2 * DAY_MS,
                cite(
                    NewAuditEntry::new(Actor::Person(manager.clone()), "account.activate", subj())
                        .before(&json!({ "state": "approved" }))?
                        .after(&json!({ "state": "active" }))?,
                ),
            ));
        } else {
            history.push((
                opened,
                NewAuditEntry::new(Actor::Person(manager.clone()), "account.report", subj())
                    .after(&account)?,
            ));
        }
        let draft = tx
            .policies()
            .create_draft(&NewPolicyVersion {
                account_id: account.id.clone(),
                body: format!(
                    "{name} {label} 運用ポリシー\n\n1 目的\n{name}の{label}を発信します。\n\n2 コメントへの対応\n原則として返信しません。"
                ),
                created_by: Actor::Person(manager.clone()),
            })
            .await?;
        tx.policies()
            .publish(&draft.id, opened + 2 * DAY_MS)
            .await?;
        history.push((
            opened + 2 * DAY_MS,
            NewAuditEntry::new(
                Actor::Person(manager.clone()),
                "policy.publish",
                Subject::new(subject::POLICY, draft.id.as_str()),
            )
            .after(&json!({ "account_id": account.id, "version": draft.version }))?,
        ));
        // The running life of the account: approved posts, monthly checks, follower
        // counts, now and then a policy revision — spread evenly to `now`.
        let n = scale.entries_per_account_year * scale.years as usize;
        let from = opened + 3 * DAY_MS;
        let step = ((now - from) / (n as i64 + 1)).max(1);
        for j in 0..n {
            let at = from + step * (j as i64 + 1);
            let (action, payload) = match j % 6 {
                0 => (
                    "account.check",
                    json!({ "result": "ok", "followers": 1000 + j }),
                ),
                1 | 3 | 4 => (
                    "post.approve",
                    json!({ "post": format!("{label}のお知らせ {}", j + 1), "approved": true }),
                ),
                2 => ("account.followers", json!({ "followers": 1000 + j * 3 })),
                _ => (
                    "account.profile-check",
                    json!({ "items_ok": 6, "items": 6 }),
                ),
            };
            history.push((
                at,
                NewAuditEntry::new(Actor::Person(manager.clone()), action, subj())
                    .after(&payload)?,
            ));
        }
        accounts.push(account);
    }
    // Suspensions and closures redirect followers to the main account.
    let main = accounts.first().map(|a| a.id.clone());
    for a in &accounts {
        let kind = match a.state {
            AccountState::Suspended => "suspension",
            AccountState::Closed => "closure",
            _ => continue,
        };
        let at = now - 30 * DAY_MS;
        let ev = tx
            .events()
            .create(&NewAccountEvent {
                account_id: a.id.clone(),
                kind: kind.to_owned(),
                payload: json!({ "reason": "担当業務の見直しのため" }),
                occurred_at: at,
                effective_at: Some(at),
                next_check_at: None,
                related_account_id: main.clone().filter(|m| m != &a.id),
                recorded_by: Actor::Person(chief.clone()),
            })
            .await?;
        history.push((
            at,
            cite(
                NewAuditEntry::new(
                    Actor::Person(chief.clone()),
                    if kind == "closure" {
                        "account.close"
                    } else {
                        "account.suspend"
                    },
                    Subject::new(subject::ACCOUNT, a.id.as_str()),
                )
                .after(&ev)?,
            ),
        ));
    }
    history.sort_by_key(|(at, _)| *at);
    let entries = history.len();
    tx.audit().append_history(&history).await?;
    tx.commit().await?;
    Ok(Generated {
        slug,
        name,
        guideline: guideline.id.clone(),
        accounts: accounts.len(),
        audit_entries: entries + 1,
    })
}

//! Demo data: the fictional みどり市 (guideline `midori`) with departments, people in their
//! roles and official accounts on every platform in every state — all made through the
//! real workflows, so the audit log tells how each account got where it is.

use std::collections::BTreeMap;

use koho_guideline::Guideline;
use koho_store::{
    AccountId, AccountState, Actor, Department, NewPerson, Person, PersonId, Platform, Role, Store,
};
use serde::Serialize;

use crate::application::{AccountDraft, GrandfatheredReport, OpeningRequest, PurposeChange};
use crate::error::WorkflowError;
use crate::posts::{ExceptionChoice, PostDraft, PostError};
use crate::time::jst_midnight;
use crate::workflow::{PurposeChangeOutcome, SuspendRequest, Workflow};

type Result<T, E = WorkflowError> = std::result::Result<T, E>;

/// What [`fill`] made.
#[derive(Clone, Debug, Serialize)]
pub struct DemoSummary {
    pub slug: String,
    pub municipality: String,
    pub guideline: String,
    pub departments: usize,
    pub people: usize,
    pub accounts: usize,
    pub by_state: BTreeMap<String, usize>,
    pub audit_entries: i64,
}

struct Cast {
    departments: Vec<Department>,
    people: BTreeMap<&'static str, Person>,
}

impl Cast {
    fn dept(&self, name: &str) -> Result<Department> {
        self.departments
            .iter()
            .find(|d| d.name == name)
            .cloned()
            .ok_or_else(|| WorkflowError::NotFound {
                what: "department",
                key: name.to_owned(),
            })
    }

    fn id(&self, key: &str) -> Result<PersonId> {
        self.people
            .get(key)
            .map(|p| p.id.clone())
            .ok_or_else(|| WorkflowError::NotFound {
                what: "person",
                key: key.to_owned(),
            })
    }
}

/// People of the demo: (key, name, mail local part, department, roles).
const PEOPLE: &[(&str, &str, &str, &str, &[Role])] = &[
    (
        "pr-chief",
        "緑川 一郎",
        "midorikawa.ichiro",
        "広報広聴課",
        &[Role::PrOfficeChief, Role::PrOffice],
    ),
    (
        "pr-deputy",
        "森 和也",
        "mori.kazuya",
        "広報広聴課",
        &[Role::SectionChief, Role::PrOffice],
    ),
    (
        "pr-staff",
        "木村 花子",
        "kimura.hanako",
        "広報広聴課",
        &[Role::PrOffice, Role::AccountManager, Role::Staff],
    ),
    (
        "bousai-chief",
        "山本 健",
        "yamamoto.ken",
        "危機管理課",
        &[Role::SectionChief],
    ),
    (
        "bousai-staff",
        "佐藤 翼",
        "sato.tsubasa",
        "危機管理課",
        &[Role::AccountManager, Role::Staff],
    ),
    (
        "kosodate-chief",
        "田中 美咲",
        "tanaka.misaki",
        "子育て支援課",
        &[Role::SectionChief],
    ),
    (
        "kosodate-staff",
        "高橋 陽菜",
        "takahashi.hina",
        "子育て支援課",
        &[Role::AccountManager, Role::Staff],
    ),
    (
        "kanko-chief",
        "伊藤 大輔",
        "ito.daisuke",
        "観光交流課",
        &[Role::SectionChief],
    ),
    (
        "kanko-staff",
        "渡辺 さくら",
        "watanabe.sakura",
        "観光交流課",
        &[Role::AccountManager, Role::Staff],
    ),
    (
        "kanko-contractor",
        "みどりメディア 担当 清水",
        "shimizu.contractor",
        "観光交流課",
        &[Role::Contractor],
    ),
    (
        "library-chief",
        "中村 修",
        "nakamura.osamu",
        "図書館",
        &[Role::SectionChief, Role::AccountManager],
    ),
    (
        "kankyo-chief",
        "小林 誠",
        "kobayashi.makoto",
        "環境課",
        &[Role::SectionChief, Role::AccountManager],
    ),
    (
        "kenko-chief",
        "加藤 恵",
        "kato.megumi",
        "健康推進課",
        &[Role::SectionChief, Role::AccountManager],
    ),
    (
        "sports-chief",
        "吉田 拓也",
        "yoshida.takuya",
        "スポーツ振興課",
        &[Role::SectionChief, Role::AccountManager],
    ),
    (
        "senkyo-chief",
        "山田 直樹",
        "yamada.naoki",
        "選挙管理委員会事務局",
        &[Role::SectionChief, Role::AccountManager],
    ),
    (
        "ciso",
        "松本 亮",
        "matsumoto.ryo",
        "",
        &[Role::SecurityOfficer],
    ),
    ("auditor", "井上 由美", "inoue.yumi", "", &[Role::Auditor]),
];

/// One demo account: who applies and who runs it.
struct DemoAccount {
    platform: Platform,
    handle: &'static str,
    url: &'static str,
    name: &'static str,
    department: &'static str,
    applicant: &'static str,
    manager: &'static str,
    mail: &'static str,
    purpose: &'static str,
    content: &'static [&'static str],
    main: bool,
    followers: i64,
}

#[allow(clippy::too_many_arguments)]
fn acc(
    platform: Platform,
    handle: &'static str,
    url: &'static str,
    name: &'static str,
    department: &'static str,
    (applicant, manager): (&'static str, &'static str),
    mail: &'static str,
    purpose: &'static str,
    content: &'static [&'static str],
    main: bool,
    followers: i64,
) -> DemoAccount {
    DemoAccount {
        platform,
        handle,
        url,
        name,
        department,
        applicant,
        manager,
        mail,
        purpose,
        content,
        main,
        followers,
    }
}

fn accounts() -> Vec<DemoAccount> {
    use Platform::*;
    vec![
        acc(
            X,
            "@midori_city",
            "https://x.com/midori_city",
            "みどり市（公式）",
            "広報広聴課",
            ("pr-deputy", "pr-staff"),
            "kouhou",
            "市政の情報を市民に広く迅速に届ける",
            &[
                "市のイベント・施策",
                "災害・防災情報",
                "市民生活に関するお知らせ",
            ],
            true,
            12_800,
        ),
        acc(
            Facebook,
            "midori.city",
            "https://www.facebook.com/midori.city",
            "みどり市",
            "広報広聴課",
            ("pr-deputy", "pr-staff"),
            "kouhou",
            "市政の情報を写真とともに届ける",
            &["市のイベント・施策", "市長の動静"],
            true,
            4_300,
        ),
        acc(
            Instagram,
            "midori_city_official",
            "https://www.instagram.com/midori_city_official",
            "みどり市公式インスタグラム",
            "広報広聴課",
            ("pr-deputy", "pr-staff"),
            "kouhou",
            "市の風景と季節の行事を写真で発信する",
            &["季節の風景", "市のイベント"],
            true,
            6_100,
        ),
        acc(
            Line,
            "@midoricity",
            "https://line.me/R/ti/p/@midoricity",
            "みどり市LINE公式アカウント",
            "広報広聴課",
            ("pr-deputy", "pr-staff"),
            "kouhou",
            "登録者に市政の情報と防災情報を配信する",
            &["ごみ収集日", "防災情報", "市のお知らせ"],
            true,
            21_500,
        ),
        acc(
            Youtube,
            "@midori-city",
            "https://www.youtube.com/@midori-city",
            "みどり市公式チャンネル",
            "広報広聴課",
            ("pr-deputy", "pr-staff"),
            "kouhou",
            "市政番組と記者会見の動画を公開する",
            &["市政番組", "市長記者会見"],
            true,
            2_900,
        ),
        acc(
            Bluesky,
            "midori-city.bsky.social",
            "https://bsky.app/profile/midori-city.bsky.social",
            "みどり市",
            "広報広聴課",
            ("pr-deputy", "pr-staff"),
            "kouhou",
            "Xと同じ市政の情報を分散型のサービスでも届ける",
            &["市のイベント・施策", "災害・防災情報"],
            true,
            800,
        ),
        acc(
            X,
            "@midori_bousai",
            "https://x.com/midori_bousai",
            "みどり市防災",
            "危機管理課",
            ("bousai-chief", "bousai-staff"),
            "bousai",
            "災害時の避難情報と平時の防災啓発を届ける",
            &["避難情報", "気象警報", "防災訓練"],
            false,
            9_700,
        ),
        acc(
            Mastodon,
            "@midori_bousai@mastodon.example",
            "https://mastodon.example/@midori_bousai",
            "みどり市防災",
            "危機管理課",
            ("bousai-chief", "bousai-staff"),
            "bousai",
            "災害時の避難情報を分散型のサービスでも届ける",
            &["避難情報", "気象警報"],
            false,
            350,
        ),
        acc(
            X,
            "@midori_kosodate",
            "https://x.com/midori_kosodate",
            "みどり市子育て応援",
            "子育て支援課",
            ("kosodate-chief", "kosodate-staff"),
            "kosodate",
            "子育て世帯に支援制度と子育てイベントを知らせる",
            &["子育て支援制度", "子育てイベント", "手当の申請期限"],
            false,
            1_200,
        ),
        acc(
            Instagram,
            "midori_kanko",
            "https://www.instagram.com/midori_kanko",
            "みどり市観光",
            "観光交流課",
            ("kanko-chief", "kanko-staff"),
            "kanko",
            "市外の人に観光地と特産品の魅力を伝える",
            &["観光地", "特産品", "観光イベント"],
            false,
            8_400,
        ),
        acc(
            Instagram,
            "midori_library",
            "https://www.instagram.com/midori_library",
            "みどり市立図書館",
            "図書館",
            ("library-chief", "library-chief"),
            "toshokan",
            "図書館の新着図書と行事を知らせる",
            &["新着図書", "おはなし会", "休館日"],
            false,
            1_900,
        ),
        acc(
            X,
            "@midori_kankyo",
            "https://x.com/midori_kankyo",
            "みどり市環境課",
            "環境課",
            ("kankyo-chief", "kankyo-chief"),
            "kankyo",
            "ごみの分別と環境イベントを知らせる",
            &["ごみの分別", "環境イベント"],
            false,
            600,
        ),
        acc(
            Instagram,
            "midori_sports",
            "https://www.instagram.com/midori_sports",
            "みどり市スポーツ",
            "スポーツ振興課",
            ("sports-chief", "sports-chief"),
            "sports",
            "市民スポーツ大会と体育施設の情報を届ける",
            &["スポーツ大会", "体育施設の予約"],
            false,
            0,
        ),
        acc(
            Youtube,
            "@midori-kenko",
            "https://www.youtube.com/@midori-kenko",
            "みどり市健康チャンネル",
            "健康推進課",
            ("kenko-chief", "kenko-chief"),
            "kenko",
            "健康づくりの体操と検診の案内を動画で届ける",
            &["健康体操", "がん検診の案内"],
            false,
            0,
        ),
        acc(
            Facebook,
            "midori.senkyo",
            "https://www.facebook.com/midori.senkyo",
            "みどり市選挙管理委員会",
            "選挙管理委員会事務局",
            ("senkyo-chief", "senkyo-chief"),
            "senkyo",
            "選挙の日程と投票所を知らせる",
            &["選挙の日程", "投票所"],
            false,
            0,
        ),
    ]
}

fn day(m: u32, d: u32) -> i64 {
    jst_midnight(2025, m, d) + 10 * 3_600_000
}

fn review(g: &Guideline) -> BTreeMap<String, String> {
    g.opening
        .existing_account_review
        .iter()
        .flat_map(|r| r.questions.iter())
        .map(|q| {
            (
                q.id.clone(),
                "既存の市公式アカウントでは対象者に届きにくいため、新規に開設する".to_owned(),
            )
        })
        .collect()
}

/// Fills a fresh database with the demo municipality run by `guideline` (みどり市 with
/// `midori`). Refuses with `WF_ALREADY_EXISTS` if the municipality `slug` is there already.
pub async fn fill(store: &Store, slug: &str, guideline: Guideline) -> Result<DemoSummary> {
    let g = guideline.clone();
    let wf = Workflow::create(store, slug, guideline).await?;
    let domain = g
        .municipality
        .domains
        .first()
        .cloned()
        .unwrap_or_else(|| "city.midori.example.lg.jp".to_owned());
    let system = Actor::System;

    let mut departments = Vec::new();
    for name in &g.municipality.departments {
        departments.push(wf.add_department(name, &system).await?);
    }
    for (_, _, _, dept, _) in PEOPLE {
        if !dept.is_empty() && !departments.iter().any(|d| d.name == *dept) {
            departments.push(wf.add_department(dept, &system).await?);
        }
    }
    let mut people = BTreeMap::new();
    for (key, name, mail, dept, roles) in PEOPLE {
        let department_id = departments
            .iter()
            .find(|d| d.name == *dept)
            .map(|d| d.id.clone());
        let p = wf
            .add_person(
                &NewPerson {
                    display_name: (*name).to_owned(),
                    email: format!("{mail}@{domain}"),
                    department_id,
                    roles: roles.to_vec(),
                },
                &system,
            )
            .await?;
        people.insert(*key, p);
    }
    let cast = Cast {
        departments,
        people,
    };
    let approver = cast.id("pr-chief")?;

    let mut ids: BTreeMap<&'static str, AccountId> = BTreeMap::new();
    let grandfathered = g.grandfathering.is_some();
    for (i, a) in accounts().iter().enumerate() {
        let dept = cast.dept(a.department)?;
        let draft = AccountDraft {
            platform: Some(a.platform),
            handle: a.handle.to_owned(),
            url: Some(a.url.to_owned()),
            display_name: a.name.to_owned(),
            department: Some(dept.id.clone()),
            manager: Some(cast.id(a.manager)?),
            email: Some(format!("{}@{domain}", a.mail)),
            purpose: a.purpose.to_owned(),
            content: a.content.iter().map(|c| (*c).to_owned()).collect(),
            tone: Some("親しみやすく、正確に".to_owned()),
            reply_policy: Some("コメントへの個別の返信は行わない".to_owned()),
            follow_policy: Some("国・県・市の公式アカウントに限りフォローする".to_owned()),
            approval_needed: Some(true),
            main: a.main,
        };
        let applicant = cast.id(a.applicant)?;
        let manager = cast.id(a.manager)?;
        let offset = u32::try_from(i).unwrap_or(0);
        let applied_at = day(4, 1 + offset);
        if a.handle == "midori_library" && grandfathered {
            let acc = wf
                .report_grandfathered(
                    &GrandfatheredReport {
                        account: draft,
                        since: Some("2019-04-01".to_owned()),
                        note: Some("運用方針の施行前から図書館が運用している".to_owned()),
                        followers: Some(a.followers),
                    },
                    &applicant,
                    applied_at,
                )
                .await?;
            ids.insert(a.handle, acc.id);
            continue;
        }
        let policy = wf.draft_policy_for(&draft, applied_at).await?.body;
        let req = OpeningRequest {
            account: draft,
            plan: format!("{}。週に数回投稿し、年度末に効果を点検する。", a.purpose),
            policy: Some(policy),
            review: review(&g),
            start_date: Some("2025-05-01".to_owned()),
            followers: Some(a.followers),
            ..OpeningRequest::default()
        };
        let applied = wf.apply(&req, &applicant, applied_at).await?;
        let id = applied.account.id.clone();
        ids.insert(a.handle, id.clone());
        match a.handle {
            "@midori-sports" | "midori_sports" => continue, // waits for the PR office chief
            "midori.senkyo" => {
                let app = applied.application.id;
                wf.reject(
                    &app,
                    &approver,
                    "選挙の情報は市公式アカウント（X・LINE）で発信できるため、新規開設の必要性が認められない（第2条）",
                    day(4, 20),
                )
                .await?;
                continue;
            }
            _ => {}
        }
        wf.approve(
            &applied.application.id,
            &approver,
            false,
            None,
            day(4, 15 + offset % 10),
        )
        .await?;
        if a.handle == "@midori-kenko" {
            continue; // approved, starts later
        }
        wf.publish_policy(&id, None, &manager, day(4, 25)).await?;
        wf.activate(&id, &manager, day(5, 1)).await?;
    }

    // The main X account widened its purpose: approval again (第2条), policy v2.
    if let Some(main_x) = ids.get("@midori_city") {
        let outcome = wf
            .change_purpose(
                main_x,
                &PurposeChange {
                    purpose: "市政の情報と災害時の緊急情報を市民に広く迅速に届ける".to_owned(),
                    content: vec![
                        "市のイベント・施策".to_owned(),
                        "災害・防災情報".to_owned(),
                        "市民生活に関するお知らせ".to_owned(),
                        "選挙の日程".to_owned(),
                    ],
                    reason: "災害時の緊急情報の発信を明記するため".to_owned(),
                    policy: None,
                },
                &cast.id("pr-deputy")?,
                day(7, 1),
            )
            .await?;
        if let PurposeChangeOutcome::NeedsApproval { application } = outcome {
            wf.approve(
                &application.id,
                &approver,
                false,
                Some("災害対応の強化として承認"),
                day(7, 3),
            )
            .await?;
        }
        wf.publish_policy(main_x, None, &cast.id("pr-staff")?, day(7, 4))
            .await?;
    }

    // 子育て支援課's X account: too few posts, folded into the main account (第10条).
    if let Some(kosodate) = ids.get("@midori_kosodate") {
        wf.suspend(
            kosodate,
            &SuspendRequest {
                reason: "投稿が少なく、子育ての情報は市公式アカウントに集約するため".to_owned(),
                followers: Some(1_200),
                redirect_to: None,
                notice_text: None,
            },
            &cast.id("kosodate-staff")?,
            day(8, 1),
        )
        .await?;
    }

    // 環境課's X account: closed after the service it announced ended.
    if let Some(kankyo) = ids.get("@midori_kankyo") {
        wf.close(
            kankyo,
            "ごみ分別アプリへの移行に伴い、情報発信を市公式アカウントに一本化したため",
            &approver,
            day(9, 1),
        )
        .await?;
    }

    posts(&wf, &cast, &ids).await.map_err(|e| match e {
        PostError::Workflow(w) => w,
        other => WorkflowError::Invalid {
            field: "demo posts",
            ja: other.ja(),
            en: other.to_string(),
        },
    })?;

    let accounts = wf.accounts().await?;
    let mut by_state: BTreeMap<String, usize> = BTreeMap::new();
    for a in &accounts {
        *by_state.entry(a.state.to_string()).or_default() += 1;
    }
    let verification = wf.verify_audit().await?;
    Ok(DemoSummary {
        slug: slug.to_owned(),
        municipality: wf.municipality().name.clone(),
        guideline: g.id.clone(),
        departments: cast.departments.len(),
        people: cast.people.len(),
        accounts: accounts.len(),
        by_state,
        audit_entries: verification.head.map(|h| h.seq).unwrap_or(0),
    })
}

/// Posts of 危機管理課's X account, so that the staff dashboard has something in each of its
/// lists: a draft, an emergency post published at once whose post-hoc report the section
/// chief has not acknowledged yet (第5条(3)), a post whose time came before anyone approved
/// it (expired, its author told), and one the platform did not confirm. Every date is in
/// the past, so nothing is left for the publisher to send.
async fn posts(
    wf: &Workflow,
    cast: &Cast,
    ids: &BTreeMap<&'static str, AccountId>,
) -> std::result::Result<(), PostError> {
    let Some(x) = ids.get("@midori_bousai") else {
        return Ok(());
    };
    let staff = cast.id("bousai-staff")?;
    let chief = cast.id("bousai-chief")?;
    let draft = |body: &str, publish_at: Option<i64>| PostDraft {
        accounts: vec![x.clone()],
        body: body.to_owned(),
        publish_at,
        ..PostDraft::default()
    };
    wf.draft_post(
        &draft(
            "防災マップの改訂版を、6月から各地区の公民館で配布します。",
            None,
        ),
        &staff,
        day(10, 1),
    )
    .await?;
    let emergency = wf
        .guideline()
        .post_approval
        .exceptions
        .iter()
        .find(|e| e.post_hoc_report_to.is_some())
        .map(|e| e.id.clone());
    if let Some(id) = emergency {
        let v = wf
            .draft_post(
                &draft(
                    "大雨警報の発表に伴い、北町公民館に避難所を開設しました。",
                    None,
                ),
                &staff,
                day(10, 2),
            )
            .await?;
        let v = wf
            .submit_post(
                &v.post.id,
                &staff,
                Some(&ExceptionChoice {
                    id,
                    reason: "大雨警報が発表され、直ちに避難所の開設を知らせる必要があったため"
                        .to_owned(),
                }),
                day(10, 2),
            )
            .await?;
        for t in &v.targets {
            wf.record_published(
                &t.target.id,
                "1850000000000000001",
                Some("https://x.com/midori_bousai/status/1850000000000000001"),
                day(10, 2) + 60_000,
            )
            .await?;
        }
    }
    let v = wf
        .draft_post(
            &draft(
                "防災訓練の参加者を募集します。申込みは危機管理課（0123-45-6789）まで。",
                None,
            ),
            &staff,
            day(10, 5),
        )
        .await?;
    let v = wf.submit_post(&v.post.id, &staff, None, day(10, 5)).await?;
    if v.post.state == koho_store::PostState::Submitted {
        let v = wf
            .approve_post(&v.post.id, &chief, None, day(10, 5))
            .await?;
        for t in &v.targets {
            wf.record_unconfirmed(
                &t.target.id,
                "送信後、X から投稿の確認が返ってきませんでした",
                day(10, 5) + 60_000,
            )
            .await?;
        }
    }
    let v = wf
        .draft_post(
            &draft("防災講座「家庭の備蓄」を開きます。", Some(day(10, 20))),
            &staff,
            day(10, 6),
        )
        .await?;
    wf.submit_post(&v.post.id, &staff, None, day(10, 6)).await?;
    wf.sweep_posts(day(10, 21)).await?;
    Ok(())
}

/// Whether the demo made an account of each state the guideline can produce.
pub fn expected_states(g: &Guideline) -> Vec<AccountState> {
    let mut v = vec![
        AccountState::Active,
        AccountState::Suspended,
        AccountState::Applied,
        AccountState::Approved,
        AccountState::Rejected,
        AccountState::Closed,
    ];
    if g.grandfathering.is_some() {
        v.push(AccountState::Grandfathered);
    }
    v
}

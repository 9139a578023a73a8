//! Rows of the authorisation walk for the register's staff screens, the archive, the audit
//! log viewer, people and tokens, and the register's JSON API (admin.rs, archive_page.rs,
//! audit_view.rs, people.rs, api_register.rs). Visitors: anonymous, staff (佐藤 翼,
//! account manager of 危機管理課), section chief (山本 健, 危機管理課: みどり市's applicant),
//! auditor (井上 由美), PR office chief (緑川 一郎: the approver, who also closes accounts
//! (みどり市 第10条) and manages people and tokens).

use hyper::Method;
use koho_store::{AccountState, Actor, PersonId, Platform, Role};
use koho_workflow::auth::AuthSettings;
use koho_workflow::{AccountDraft, OpeningRequest, Workflow};

pub type Row = (&'static str, Method, String, String, [u16; 5]);

/// A complete opening application of みどり市 (every `[[opening.fields]]` filled).
pub fn opening(
    department: &koho_store::DepartmentId,
    manager: &PersonId,
    handle: &str,
) -> OpeningRequest {
    OpeningRequest {
        account: AccountDraft {
            platform: Some(Platform::Instagram),
            handle: handle.to_owned(),
            display_name: format!("試験 {handle}"),
            department: Some(department.clone()),
            manager: Some(manager.clone()),
            purpose: "防災訓練の様子を写真で伝える".to_owned(),
            content: vec!["防災訓練".to_owned()],
            ..AccountDraft::default()
        },
        plan: "月に2回投稿する".to_owned(),
        policy: Some("運用ポリシー本文".to_owned()),
        ..OpeningRequest::default()
    }
}

fn json_opening(department: &str, manager: &str, handle: &str) -> String {
    serde_json::json!({
        "account": {
            "platform": "instagram",
            "handle": handle,
            "display_name": "試験アカウント",
            "department": department,
            "manager": manager,
            "purpose": "防災訓練の様子を写真で伝える",
            "content": ["防災訓練"]
        },
        "plan": "月に2回投稿する",
        "policy": "運用ポリシー本文"
    })
    .to_string()
}

pub async fn rows(site: &Workflow) -> Vec<Row> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let people = site.people().await.unwrap();
    let person = |name: &str| people.iter().find(|p| p.display_name == name).unwrap();
    let chief = person("山本 健");
    let bousai = chief.department_id.clone().unwrap();
    let staff = person("佐藤 翼");
    let target = person("木村 花子");
    let auditor = person("井上 由美");
    let accounts = site.accounts().await.unwrap();
    let active: Vec<_> = accounts
        .iter()
        .filter(|a| a.state == AccountState::Active)
        .collect();
    // A: an account of 危機管理課 (the staff and the chief's own), C, D, E: others.
    let a = active
        .iter()
        .find(|a| a.fields.department_id.as_ref() == Some(&bousai))
        .unwrap()
        .id
        .to_string();
    let others: Vec<String> = active
        .iter()
        .filter(|x| x.id.as_str() != a)
        .map(|x| x.id.to_string())
        .collect();
    let (c, d, e) = (others[0].clone(), others[1].clone(), others[2].clone());
    // Two applications waiting for the approver, decided through the API.
    let to_approve = site
        .apply(&opening(&bousai, &staff.id, "walk_approve"), &chief.id, now)
        .await
        .unwrap()
        .application
        .id
        .to_string();
    let to_reject = site
        .apply(&opening(&bousai, &staff.id, "walk_reject"), &chief.id, now)
        .await
        .unwrap()
        .application
        .id
        .to_string();
    let app_id = site.applications(None).await.unwrap()[0].id.to_string();
    // A token nobody walks with, to revoke.
    let spare = site
        .issue_token(
            "walk-spare",
            &auditor.id,
            Role::Auditor,
            now + 3_600_000,
            &AuthSettings::default(),
            &Actor::Cli,
            now,
        )
        .await
        .unwrap()
        .record
        .id
        .to_string();
    let s303 = [303, 200, 200, 200, 200];
    let approver_only = [303, 403, 403, 403, 303];
    let manager_only = [303, 303, 403, 403, 403];
    let admin_get = [303, 403, 403, 403, 200];
    let api_approver = [401, 403, 403, 403, 200];
    vec![
        // Public: the archive of posts (神栖市 第7条(1)).
        (
            "/archive",
            Method::GET,
            "/archive".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/m/{slug}/archive",
            Method::GET,
            "/m/midori/archive?page=1".into(),
            String::new(),
            [200; 5],
        ),
        (
            "/staff/accounts",
            Method::GET,
            "/staff/accounts".into(),
            String::new(),
            s303,
        ),
        // Applying is the section chief's (みどり市 opening.applicant).
        (
            "/staff/applications/new",
            Method::GET,
            "/staff/applications/new".into(),
            String::new(),
            [303, 403, 200, 403, 403],
        ),
        (
            "/staff/applications/new",
            Method::POST,
            "/staff/applications/new".into(),
            "step=compare&platform=x&handle=%40walk_compare&purpose=%E9%98%B2%E7%81%BD".into(),
            [303, 403, 200, 403, 403],
        ),
        // みどり市's guideline names no printable forms.
        (
            "/staff/applications/{id}/form/{kind}",
            Method::GET,
            format!("/staff/applications/{app_id}/form/application"),
            String::new(),
            [303, 404, 404, 404, 404],
        ),
        (
            "/staff/accounts/{id}/manage",
            Method::GET,
            format!("/staff/accounts/{a}/manage"),
            String::new(),
            s303,
        ),
        (
            "/staff/accounts/{id}/policy",
            Method::GET,
            format!("/staff/accounts/{a}/policy"),
            String::new(),
            s303,
        ),
        // The account's section (its manager, its chief) and the PR office draft and
        // publish; the auditor does not.
        (
            "/staff/accounts/{id}/policy",
            Method::POST,
            format!("/staff/accounts/{a}/policy"),
            "body=%E7%AC%AC1%E6%9D%A1".into(),
            [303, 303, 303, 403, 303],
        ),
        (
            "/staff/accounts/{id}/policy/publish",
            Method::POST,
            format!("/staff/accounts/{a}/policy/publish"),
            String::new(),
            [303, 303, 303, 403, 303],
        ),
        // A running account cannot start again: refused by the state machine after the
        // role check.
        (
            "/staff/accounts/{id}/activate",
            Method::POST,
            format!("/staff/accounts/{a}/activate"),
            String::new(),
            [303, 422, 422, 403, 422],
        ),
        // みどり市 第10条: the account manager of the account's section suspends and
        // resumes (the staff visitor, 佐藤 翼); the PR office chief closes.
        (
            "/staff/accounts/{id}/suspend",
            Method::POST,
            format!("/staff/accounts/{a}/suspend"),
            "reason=walk&followers=10".into(),
            manager_only,
        ),
        (
            "/staff/accounts/{id}/resume",
            Method::POST,
            format!("/staff/accounts/{a}/resume"),
            String::new(),
            manager_only,
        ),
        (
            "/staff/accounts/{id}/close",
            Method::POST,
            format!("/staff/accounts/{d}/close"),
            "reason=walk".into(),
            approver_only,
        ),
        // The audit log: auditors and the PR office chief.
        (
            "/staff/audit",
            Method::GET,
            "/staff/audit?action=account.".into(),
            String::new(),
            [303, 403, 403, 200, 200],
        ),
        // People and tokens: the PR office chief and the security officer.
        (
            "/staff/people",
            Method::GET,
            "/staff/people".into(),
            String::new(),
            admin_get,
        ),
        (
            "/staff/people",
            Method::POST,
            "/staff/people".into(),
            "name=%E8%A9%A6%E9%A8%93&email=walk.person%40example.jp&role=staff".into(),
            approver_only,
        ),
        (
            "/staff/people/{id}",
            Method::GET,
            format!("/staff/people/{}", target.id),
            String::new(),
            admin_get,
        ),
        (
            "/staff/people/{id}",
            Method::POST,
            format!("/staff/people/{}", target.id),
            "role=staff&role=pr-office&active=1".into(),
            approver_only,
        ),
        (
            "/staff/people/{id}/unlock",
            Method::POST,
            format!("/staff/people/{}/unlock", target.id),
            String::new(),
            approver_only,
        ),
        (
            "/staff/tokens",
            Method::GET,
            "/staff/tokens".into(),
            String::new(),
            admin_get,
        ),
        // Issuing answers with the page that shows the secret once (200, not a redirect).
        (
            "/staff/tokens",
            Method::POST,
            "/staff/tokens".into(),
            format!(
                "name=walk-issued&person={}&role=pr-office-chief&days=30",
                person("緑川 一郎").id
            ),
            [303, 403, 403, 403, 200],
        ),
        (
            "/staff/tokens/{id}/revoke",
            Method::POST,
            format!("/staff/tokens/{spare}/revoke"),
            String::new(),
            approver_only,
        ),
        // The API, each token acting with one role.
        (
            "/api/accounts",
            Method::GET,
            "/api/accounts".into(),
            String::new(),
            [401, 200, 200, 200, 200],
        ),
        (
            "/api/applications",
            Method::POST,
            "/api/applications".into(),
            json_opening(bousai.as_str(), staff.id.as_str(), "walk_api"),
            [401, 403, 201, 403, 403],
        ),
        (
            "/api/applications/{id}/approve",
            Method::POST,
            format!("/api/applications/{to_approve}/approve"),
            "{}".into(),
            api_approver,
        ),
        (
            "/api/applications/{id}/reject",
            Method::POST,
            format!("/api/applications/{to_reject}/reject"),
            "{\"reason\":\"walk\"}".into(),
            api_approver,
        ),
        // The walk's staff token acts with the staff role only, not as account manager:
        // nobody here may suspend (admin.rs tests the account manager's token).
        (
            "/api/accounts/{id}/suspend",
            Method::POST,
            format!("/api/accounts/{c}/suspend"),
            "{\"reason\":\"walk\",\"followers\":5}".into(),
            [401, 403, 403, 403, 403],
        ),
        (
            "/api/accounts/{id}/resume",
            Method::POST,
            format!("/api/accounts/{c}/resume"),
            String::new(),
            [401, 403, 403, 403, 403],
        ),
        (
            "/api/accounts/{id}/close",
            Method::POST,
            format!("/api/accounts/{e}/close"),
            "{\"reason\":\"walk\"}".into(),
            api_approver,
        ),
    ]
}

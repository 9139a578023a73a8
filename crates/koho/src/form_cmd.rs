//! `koho account form APPLICATION --kind application|approval [--out FILE]`: the printable
//! A4 application or approval document of an application (美祢市 様式第1号・第2号, or the
//! forms another guideline names), as one self-contained HTML file: its styles are
//! embedded, so it prints the same opened from a disk or a mail attachment. (Served by
//! koho, the same page would link the stylesheet instead: the server's CSP allows no
//! inline style; signed-in staff open it at `/staff/applications/{id}/form/{kind}`.)

use clap::ValueEnum;
use koho_store::{PersonId, Platform};
use koho_web::forms::{FormError, FormInput, FormKind, FormStyle, render_form};
use koho_workflow::Workflow;

use crate::db_cmd::wf_err;
use crate::error::{CliError, CliResult};
use crate::out;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormKindArg {
    /// 開設申請の様式（美祢市 様式第1号）
    Application,
    /// 承認の文書（美祢市 様式第2号）
    Approval,
}

fn form_err(e: &FormError, g: &str) -> CliError {
    match e {
        FormError::NotDefined { kind, .. } => CliError::input(
            e.code(),
            format!(
                "ガイドライン「{g}」には{}の様式が定められていません（[opening.{}] がありません）",
                match kind {
                    FormKind::Application => "開設申請",
                    FormKind::Approval => "承認",
                },
                match kind {
                    FormKind::Application => "application_form",
                    FormKind::Approval => "approval_form",
                }
            ),
            e.to_string(),
        ),
        FormError::NotApproved { status } => CliError::input(
            e.code(),
            format!(
                "この申請は承認されていません（状態: {status}）。承認の文書は承認のあとで作れます"
            ),
            e.to_string(),
        ),
        FormError::Render(_) => CliError {
            exit: 3,
            ..CliError::input(
                e.code(),
                "様式を作れませんでした（内部エラー）",
                e.to_string(),
            )
        },
    }
}

pub async fn form(
    wf: &Workflow,
    key: &str,
    platform: Option<Platform>,
    kind: FormKindArg,
    out_path: Option<&str>,
) -> CliResult<u8> {
    // By application id, else the account's newest application (any status: the
    // approval document is made after the decision).
    let all = wf.applications(None).await.map_err(|e| wf_err(&e))?;
    let app = match all.iter().find(|a| a.id.as_str() == key.trim()) {
        Some(a) => a.clone(),
        None => {
            let account = wf
                .find_account(key, platform)
                .await
                .map_err(|e| wf_err(&e))?;
            all.into_iter()
                .find(|a| a.account_id.as_ref() == Some(&account.id))
                .ok_or_else(|| {
                    wf_err(&koho_workflow::WorkflowError::NotFound {
                        what: "application",
                        key: key.to_owned(),
                    })
                })?
        }
    };
    let people = wf.people().await.map_err(|e| wf_err(&e))?;
    let name_of = |id: &PersonId| {
        people
            .iter()
            .find(|p| &p.id == id)
            .map(|p| p.display_name.clone())
    };
    let department = match &app.proposal.department_id {
        Some(d) => wf
            .departments()
            .await
            .map_err(|e| wf_err(&e))?
            .into_iter()
            .find(|x| &x.id == d)
            .map(|x| x.name),
        None => None,
    };
    let applicant = name_of(&app.applicant_id).unwrap_or_default();
    let manager = app.proposal.manager_id.as_ref().and_then(name_of);
    let approver = app.decision.as_ref().and_then(|d| name_of(&d.by));
    let input = FormInput {
        guideline: wf.guideline(),
        municipality: &wf.municipality().name,
        application: &app,
        department: department.as_deref(),
        applicant: &applicant,
        manager: manager.as_deref(),
        approver: approver.as_deref(),
    };
    let kind = match kind {
        FormKindArg::Application => FormKind::Application,
        FormKindArg::Approval => FormKind::Approval,
    };
    let html = render_form(kind, &input, FormStyle::Embedded)
        .map_err(|e| form_err(&e, &wf.guideline().id))?;
    match out_path {
        None | Some("-") => out(&html)?,
        Some(path) => {
            std::fs::write(path, &html).map_err(|e| CliError::io(path, &e))?;
            out(&format!(
                "{path} に書き出しました。ブラウザで開いて A4 で印刷してください。\n"
            ))?;
        }
    }
    Ok(0)
}

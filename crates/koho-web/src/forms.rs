//! Printable application and approval forms (美祢市 様式第1号・様式第2号, and any other
//! guideline that names its forms in `[opening.application_form]` /
//! `[opening.approval_form]`): A4 pages rendered from an application's data. The form's
//! number, title, addressee, field labels and approval sentence are the guideline's own
//! words; koho adds only the values.
//!
//! Two ways to carry the styles ([`FormStyle`]): a page koho serves links its hashed
//! stylesheet (the CSP allows no inline style), while a file written by `koho account
//! form` embeds it, so that it prints the same when opened from a disk or mailed, with no
//! server and no network.

use askama::Template;
use koho_guideline::{FieldId, Form, Guideline};
use koho_store::AccountApplication;
use koho_workflow::register::platform_label;
use koho_workflow::time::wareki_date;

use crate::i18n::{JA, Msgs, fill};

/// The styles of the forms, also served as `/static/css/forms.css`.
pub const FORMS_CSS: &str = include_str!("../static/css/forms.css");

/// Which of the two forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    /// The opening application (開設・運用届, 美祢市 様式第1号).
    Application,
    /// The approval document (開設・運用承認, 美祢市 様式第2号).
    Approval,
}

/// How the page gets its styles.
#[derive(Debug, Clone, Copy)]
pub enum FormStyle<'a> {
    /// A `<style>` element with [`FORMS_CSS`]: for a standalone file.
    Embedded,
    /// A `<link rel="stylesheet">` to this URL: for a page koho serves under its CSP.
    Linked(&'a str),
}

/// Everything a form shows, gathered by the caller from the register.
#[derive(Debug, Clone)]
pub struct FormInput<'a> {
    pub guideline: &'a Guideline,
    pub municipality: &'a str,
    pub application: &'a AccountApplication,
    /// The applying department's name.
    pub department: Option<&'a str>,
    /// The applicant's name.
    pub applicant: &'a str,
    /// The account manager's name (運用管理者), when the form asks for one.
    pub manager: Option<&'a str>,
    /// The approver's name, for the approval document.
    pub approver: Option<&'a str>,
}

/// Why a form cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// The guideline names no such form.
    NotDefined { guideline: String, kind: FormKind },
    /// An approval document for an application that was not approved.
    NotApproved { status: String },
    /// The template failed (a bug).
    Render(String),
}

impl FormError {
    pub fn code(&self) -> &'static str {
        match self {
            FormError::NotDefined { .. } => "FORM_NOT_DEFINED",
            FormError::NotApproved { .. } => "FORM_NOT_APPROVED",
            FormError::Render(_) => "FORM_RENDER",
        }
    }
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormError::NotDefined { guideline, kind } => {
                write!(f, "guideline `{guideline}` defines no {kind:?} form")
            }
            FormError::NotApproved { status } => {
                write!(f, "the application is {status}, not approved")
            }
            FormError::Render(e) => write!(f, "form template failed: {e}"),
        }
    }
}

impl std::error::Error for FormError {}

/// One row of the application form's table. A group label (登録情報) spans the rows of
/// its sub-items (ID, パスワード, URL …), as on the paper form.
pub struct FormRow {
    /// `Some((label, rows))` on the first row of a group.
    pub group: Option<(String, usize)>,
    /// Inside a group (its first cell is the group's).
    pub in_group: bool,
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage<'a> {
    m: &'static Msgs,
    title: String,
    css_embedded: Option<&'static str>,
    css_link: Option<&'a str>,
    number: String,
    doc_number: &'static str,
    date: String,
    addressee: String,
    sender: String,
    seal: &'static str,
    heading: String,
    approval: bool,
    rows: Vec<FormRow>,
    sentence: String,
    account: String,
}

fn text(v: Option<&str>) -> String {
    v.map(str::trim).unwrap_or_default().to_owned()
}

fn checklist_str(a: &AccountApplication, key: &str) -> Option<String> {
    a.checklist[key]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn value_of(m: &Msgs, input: &FormInput<'_>, id: FieldId) -> String {
    let a = input.application;
    let p = &a.proposal;
    match id {
        FieldId::Department => text(input.department),
        FieldId::Platform => platform_label(p.platform).to_owned(),
        FieldId::Handle => p.handle.clone(),
        FieldId::Url => text(p.url.as_deref()),
        FieldId::DisplayName => p.display_name.clone(),
        FieldId::Email => text(p.registration_email.as_deref()),
        // koho never holds platform passwords: the form says where it is kept.
        FieldId::Credentials => checklist_str(a, "credentials_note")
            .unwrap_or_else(|| m.form_credentials_elsewhere.to_owned()),
        FieldId::Manager => text(input.manager),
        FieldId::Purpose => p.purpose.clone(),
        FieldId::Content => {
            let mut items = p.content_categories.join(m.form_list_separator);
            if items.is_empty() {
                items = p.purpose.clone();
            }
            items
        }
        FieldId::Tone => text(p.tone.as_deref()),
        FieldId::ReplyPolicy => text(p.reply_policy.as_deref()),
        FieldId::FollowPolicy => text(p.follow_policy.as_deref()),
        FieldId::ApprovalNeeded => if p.approval_required {
            m.form_yes
        } else {
            m.form_no
        }
        .to_owned(),
        FieldId::Plan => a.plan.clone(),
        FieldId::Policy => checklist_str(a, "policy")
            .map(|_| m.form_policy_attached.to_owned())
            .unwrap_or_default(),
        FieldId::StartDate => checklist_str(a, "start_date").unwrap_or_default(),
        FieldId::Other => checklist_str(a, "other").unwrap_or_default(),
    }
}

/// The rows of the application form, grouped the way the guideline's labels are
/// (`登録情報: ID`, `登録情報: URL` → one 登録情報 cell spanning both).
fn rows(m: &Msgs, input: &FormInput<'_>) -> Vec<FormRow> {
    let fields = &input.guideline.opening.fields;
    let split = |l: &str| -> (Option<String>, String) {
        match l.split_once(": ").or_else(|| l.split_once('\u{FF1A}')) {
            Some((g, rest)) => (Some(g.trim().to_owned()), rest.trim().to_owned()),
            None => (None, l.trim().to_owned()),
        }
    };
    let mut out: Vec<FormRow> = Vec::with_capacity(fields.len());
    let mut i = 0;
    while i < fields.len() {
        let (group, label) = split(&fields[i].label);
        match group {
            Some(g) => {
                let span = fields[i..]
                    .iter()
                    .take_while(|f| split(&f.label).0.as_deref() == Some(g.as_str()))
                    .count();
                for (k, f) in fields[i..i + span].iter().enumerate() {
                    out.push(FormRow {
                        group: (k == 0).then(|| (g.clone(), span)),
                        in_group: true,
                        label: split(&f.label).1,
                        value: value_of(m, input, f.id),
                    });
                }
                i += span;
            }
            None => {
                out.push(FormRow {
                    group: None,
                    in_group: false,
                    label,
                    value: value_of(m, input, fields[i].id),
                });
                i += 1;
            }
        }
    }
    out
}

/// The addressee's title as a form writes it: a department's chief is 「○○課長」.
fn chief_of(department: Option<&str>, fallback: &str) -> String {
    match department.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => format!("{d}{}", JA.form_chief_suffix),
        None => fallback.to_owned(),
    }
}

/// The sentence of an approval document: the guideline form's last paragraph with the
/// application's date written into its first date blank.
fn approval_sentence(m: &Msgs, form: &Form, submitted: Option<i64>) -> String {
    let date = submitted.map(wareki_date);
    let last = form.body.as_deref().and_then(|b| {
        b.split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .last()
    });
    match (last, date) {
        (Some(p), Some(d)) => {
            let blank = m.form_date_blank;
            if p.contains(blank) {
                p.replacen(blank, &d, 1)
            } else {
                p.to_owned()
            }
        }
        (Some(p), None) => p.to_owned(),
        (None, d) => fill(
            m.form_approval_sentence,
            &[("date", &d.unwrap_or_default()), ("title", &form.title)],
        ),
    }
}

fn form_of(g: &Guideline, kind: FormKind) -> Result<&Form, FormError> {
    match kind {
        FormKind::Application => g.opening.application_form.as_ref(),
        FormKind::Approval => g.opening.approval_form.as_ref(),
    }
    .ok_or_else(|| FormError::NotDefined {
        guideline: g.id.clone(),
        kind,
    })
}

/// The form as one HTML document (Japanese: these are the municipality's documents).
pub fn render_form(
    kind: FormKind,
    input: &FormInput<'_>,
    style: FormStyle<'_>,
) -> Result<String, FormError> {
    let m = &JA;
    let g = input.guideline;
    let form = form_of(g, kind)?;
    let a = input.application;
    let approver_title = g
        .roles
        .iter()
        .find(|r| r.id == g.opening.approver)
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let applicant_chief = chief_of(input.department, &approver_title);
    let account = format!(
        "{} {}",
        platform_label(a.proposal.platform),
        a.proposal.handle
    );
    let (date, addressee, sender, rows, sentence) = match kind {
        FormKind::Application => {
            let to = form.addressee.clone().unwrap_or(approver_title);
            (
                a.submitted_at.map(wareki_date),
                fill(m.form_addressee, &[("to", &to)]),
                fill(
                    m.form_sender,
                    &[("title", &applicant_chief), ("name", input.applicant)],
                ),
                rows(m, input),
                String::new(),
            )
        }
        FormKind::Approval => {
            let Some(decision) = a
                .decision
                .as_ref()
                .filter(|_| a.status == koho_store::ApplicationStatus::Approved)
            else {
                return Err(FormError::NotApproved {
                    status: a.status.to_string(),
                });
            };
            // The approval is sent by the addressee of the application.
            let from = g
                .opening
                .application_form
                .as_ref()
                .and_then(|f| f.addressee.clone())
                .unwrap_or(approver_title);
            (
                Some(wareki_date(decision.at)),
                applicant_chief,
                fill(
                    m.form_sender,
                    &[
                        ("title", &from),
                        ("name", input.approver.unwrap_or_default()),
                    ],
                ),
                Vec::new(),
                approval_sentence(m, form, a.submitted_at),
            )
        }
    };
    let page = FormPage {
        m,
        title: fill(
            m.form_document_title,
            &[("number", &form.number), ("title", &form.title)],
        ),
        css_embedded: matches!(style, FormStyle::Embedded).then_some(FORMS_CSS),
        css_link: match style {
            FormStyle::Linked(u) => Some(u),
            FormStyle::Embedded => None,
        },
        number: form.number.clone(),
        doc_number: m.form_doc_number,
        date: date.unwrap_or_else(|| m.form_date_blank.to_owned()),
        addressee,
        sender,
        seal: m.form_seal,
        heading: form.title.clone(),
        approval: kind == FormKind::Approval,
        rows,
        sentence,
        account: fill(
            m.form_account_line,
            &[("account", &account), ("municipality", input.municipality)],
        ),
    };
    page.render().map_err(|e| FormError::Render(e.to_string()))
}

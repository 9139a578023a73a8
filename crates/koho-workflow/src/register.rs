//! The public register of official accounts (高鍋町 6.1, 神栖市 第6条, 狛江市 ポリシー第7条):
//! one row per official account, rendered as JSON, CSV or an HTML table. Pure functions.

use koho_store::{AccountKind, AccountState, OfficialAccount, Platform};
use serde::Serialize;

use crate::state::{is_public, state_label};

/// One row of the public register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegisterRow {
    pub account_id: String,
    pub platform: Platform,
    pub platform_label: String,
    pub handle: String,
    pub url: Option<String>,
    pub display_name: String,
    pub department: Option<String>,
    pub kind: AccountKind,
    pub state: AccountState,
    pub state_label: String,
    /// Version number of the published operation policy.
    pub policy_version: Option<i64>,
    /// Where the published policy is shown (relative to koho's public pages).
    pub policy_url: Option<String>,
    /// For a suspended account: the account followers are sent to.
    pub redirect_to: Option<String>,
    /// For a closed or suspended account whose guideline publishes the reason.
    pub reason: Option<String>,
}

/// The name staff know a platform by.
pub fn platform_label(p: Platform) -> &'static str {
    match koho_guideline::Platform::from_id(p.as_str()) {
        Some(gp) => gp.label(),
        None => "その他",
    }
}

/// Extra facts about an account the register shows.
#[derive(Clone, Debug, Default)]
pub struct RowFacts {
    pub department: Option<String>,
    pub policy_version: Option<i64>,
    pub redirect_to: Option<String>,
    pub reason: Option<String>,
}

impl RegisterRow {
    /// The row of an account.
    pub fn new(a: &OfficialAccount, facts: RowFacts) -> RegisterRow {
        RegisterRow {
            account_id: a.id.to_string(),
            platform: a.fields.platform,
            platform_label: platform_label(a.fields.platform).to_owned(),
            handle: a.fields.handle.clone(),
            url: a.fields.url.clone(),
            display_name: a.fields.display_name.clone(),
            department: facts.department,
            kind: a.fields.kind,
            state: a.state,
            state_label: state_label(a.state).to_owned(),
            policy_url: facts
                .policy_version
                .map(|_| format!("/official-accounts/{}/policy", a.id)),
            policy_version: facts.policy_version,
            redirect_to: facts.redirect_to,
            reason: facts.reason,
        }
    }
}

/// Only the rows the public sees (running, grandfathered, suspended, closed), in order.
pub fn public_rows(rows: &[RegisterRow]) -> Vec<RegisterRow> {
    let mut out: Vec<RegisterRow> = rows
        .iter()
        .filter(|r| is_public(r.state))
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        (
            state_order(a.state),
            a.kind != AccountKind::Main,
            a.platform,
            &a.handle,
        )
            .cmp(&(
                state_order(b.state),
                b.kind != AccountKind::Main,
                b.platform,
                &b.handle,
            ))
    });
    out
}

fn state_order(s: AccountState) -> u8 {
    match s {
        AccountState::Active | AccountState::Grandfathered => 0,
        AccountState::Suspended => 1,
        AccountState::Closed => 2,
        _ => 3,
    }
}

/// The register as pretty JSON.
pub fn to_json(rows: &[RegisterRow]) -> String {
    serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".to_owned())
}

/// Column headers of the CSV and HTML renderings.
pub const COLUMNS: &[&str] = &[
    "サービス",
    "アカウント名",
    "ID",
    "URL",
    "所属",
    "状態",
    "運用ポリシー",
    "誘導先",
    "理由",
];

fn cells(r: &RegisterRow) -> [String; 9] {
    [
        r.platform_label.clone(),
        r.display_name.clone(),
        r.handle.clone(),
        r.url.clone().unwrap_or_default(),
        r.department.clone().unwrap_or_default(),
        r.state_label.clone(),
        r.policy_url.clone().unwrap_or_default(),
        r.redirect_to.clone().unwrap_or_default(),
        r.reason.clone().unwrap_or_default(),
    ]
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The register as CSV (RFC 4180, CRLF line ends, UTF-8 with BOM so spreadsheet software
/// reads the Japanese correctly).
pub fn to_csv(rows: &[RegisterRow]) -> String {
    let mut s = String::from("\u{FEFF}");
    s.push_str(&COLUMNS.join(","));
    s.push_str("\r\n");
    for r in rows {
        let line: Vec<String> = cells(r).iter().map(|c| csv_field(c)).collect();
        s.push_str(&line.join(","));
        s.push_str("\r\n");
    }
    s
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn safe_href(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/')
}

/// The register as an HTML table (a fragment; the page around it is the web layer's).
pub fn to_html(municipality: &str, rows: &[RegisterRow]) -> String {
    let mut s = format!(
        "<table class=\"koho-register\">\n<caption>{}の公式ソーシャルメディアアカウント一覧</caption>\n<thead><tr>",
        html_escape(municipality)
    );
    for c in COLUMNS {
        s.push_str(&format!("<th scope=\"col\">{c}</th>"));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        s.push_str(&format!(
            "<tr data-state=\"{}\"><td>{}</td><td>{}</td>",
            r.state,
            html_escape(&r.platform_label),
            html_escape(&r.display_name)
        ));
        match r.url.as_deref().filter(|u| safe_href(u)) {
            Some(u) => s.push_str(&format!(
                "<td><a href=\"{}\" rel=\"noopener\">{}</a></td><td>{}</td>",
                html_escape(u),
                html_escape(&r.handle),
                html_escape(u)
            )),
            None => s.push_str(&format!("<td>{}</td><td></td>", html_escape(&r.handle))),
        }
        s.push_str(&format!(
            "<td>{}</td><td>{}</td>",
            html_escape(r.department.as_deref().unwrap_or_default()),
            html_escape(&r.state_label)
        ));
        match (&r.policy_url, r.policy_version) {
            (Some(u), Some(v)) => s.push_str(&format!(
                "<td><a href=\"{}\">第{v}版</a></td>",
                html_escape(u)
            )),
            _ => s.push_str("<td></td>"),
        }
        s.push_str(&format!(
            "<td>{}</td><td>{}</td></tr>\n",
            html_escape(r.redirect_to.as_deref().unwrap_or_default()),
            html_escape(r.reason.as_deref().unwrap_or_default())
        ));
    }
    s.push_str("</tbody>\n</table>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("広報"), "広報");
    }

    #[test]
    fn html_escapes_markup() {
        assert_eq!(
            html_escape("<a href='x'>&"),
            "&lt;a href=&#39;x&#39;&gt;&amp;"
        );
        assert!(!safe_href("javascript:alert(1)"));
    }
}

//! Diagnostics as a compiler would print them, and as SARIF 2.1.0 for tools.

use koho_check::{Diagnostic, RULES, Severity};
use serde_json::{Value, json};
use unicode_width::UnicodeWidthStr;

fn severity_ja(s: Severity) -> &'static str {
    match s {
        Severity::Error => "エラー",
        Severity::Warning => "警告",
        Severity::Info => "情報",
    }
}

/// `(line, column)`, both 1-based, of a character index; and the line's text.
fn locate(text: &str, at: usize) -> (usize, usize, &str) {
    let mut line_no = 1;
    let mut line_start_char = 0;
    let mut line_start_byte = 0;
    for (ci, (bi, c)) in text.char_indices().enumerate() {
        if ci >= at {
            break;
        }
        if c == '\n' {
            line_no += 1;
            line_start_char = ci + 1;
            line_start_byte = bi + 1;
        }
    }
    let rest = text.get(line_start_byte..).unwrap_or("");
    let line = rest.split('\n').next().unwrap_or("").trim_end_matches('\r');
    (line_no, at - line_start_char + 1, line)
}

/// Compiler-style rendering: the line, a caret under the span, message, suggestion, clause.
/// `title` names the guideline in the 根拠 lines, as staff know it.
pub fn human(origin: &str, text: &str, title: &str, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let (line_no, col, line) = locate(text, d.start);
        out.push_str(&format!(
            "{}[{}] {}: {}\n",
            severity_ja(d.severity),
            d.rule,
            d.category.label_ja(),
            d.message
        ));
        out.push_str(&format!("  --> {origin}:{line_no}:{col}\n"));
        let gutter = " ".repeat(line_no.to_string().len());
        out.push_str(&format!("{gutter} |\n{line_no} | {line}\n"));
        let before: String = line.chars().take(col - 1).collect();
        let line_chars = line.chars().count();
        let span_in_line: String = line
            .chars()
            .skip(col - 1)
            .take((d.end - d.start).min(line_chars.saturating_sub(col - 1)))
            .collect();
        let pad = UnicodeWidthStr::width(before.as_str());
        let width = UnicodeWidthStr::width(span_in_line.as_str()).max(1);
        out.push_str(&format!(
            "{gutter} | {}{}\n",
            " ".repeat(pad),
            "^".repeat(width)
        ));
        if let Some(s) = &d.suggestion {
            out.push_str(&format!("{gutter} = 提案: {s}\n"));
        }
        for c in &d.clauses {
            let text: String = c.text.chars().take(80).collect();
            let more = if c.text.chars().count() > 80 {
                "…"
            } else {
                ""
            };
            out.push_str(&format!(
                "{gutter} = 根拠: {title} {}「{}{more}」\n",
                c.clause,
                text.replace('\n', " ")
            ));
        }
        out.push('\n');
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let infos = diags.len() - errors - warnings;
    if diags.is_empty() {
        out.push_str("問題は見つかりませんでした。\n");
    } else {
        out.push_str(&format!(
            "エラー {errors} 件、警告 {warnings} 件、情報 {infos} 件\n"
        ));
    }
    out
}

/// One SARIF 2.1.0 log for one checked file.
pub fn sarif(uri: &str, text: &str, diags: &[Diagnostic]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.summary },
                "help": { "text": r.doc, "markdown": r.doc },
                "properties": { "category": r.category.id() }
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let (sl, sc, _) = locate(text, d.start);
            let (el, ec, _) = locate(text, d.end);
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            let mut message = d.message.clone();
            if let Some(s) = &d.suggestion {
                message.push_str(&format!("（提案: {s}）"));
            }
            json!({
                "ruleId": d.rule,
                "ruleIndex": RULES.iter().position(|r| r.code == d.rule),
                "level": level,
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri },
                        "region": {
                            "startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec,
                            "charOffset": d.start, "charLength": d.end - d.start,
                            "snippet": { "text": d.excerpt }
                        }
                    }
                }],
                "properties": {
                    "category": d.category.id(),
                    "clauses": d.clauses,
                }
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "koho",
                "informationUri": "https://example.invalid/koho",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "columnKind": "unicodeCodePoints",
            "results": results
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_counts_lines_and_columns_in_chars() {
        assert_eq!(locate("あい\nうえお", 4), (2, 2, "うえお"));
        assert_eq!(locate("abc", 0), (1, 1, "abc"));
    }
}

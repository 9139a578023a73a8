//! `docs/guidelines/coverage.md` accounts for every clause of every preset: one
//! section per preset (its heading names the preset id in backticks), one table row
//! per clause label, in the preset's order, each saying what koho does with it.
//!
//! Fails when a preset declares a clause the table lacks, when a rule cites a clause
//! the table lacks, or when the table has a row for a label the preset does not
//! declare — so the document cannot drift from the presets.

// Helpers outside #[test] functions are test code too; clippy.toml only covers the
// test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashSet};

use koho_guideline::{Guideline, PRESETS};

fn coverage_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/guidelines/coverage.md")
}

/// One table row: the clause label and its cells.
#[derive(Debug)]
struct Row {
    line: usize,
    label: String,
    cells: Vec<String>,
}

/// The rows of every `## … (`id`)` section, by preset id.
fn sections(doc: &str) -> (BTreeMap<String, Vec<Row>>, Vec<String>) {
    let mut out: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut current: Option<String> = None;
    for (n, line) in doc.lines().enumerate() {
        let line_no = n + 1;
        let trimmed = line.trim();
        if let Some(heading) = trimmed.strip_prefix("## ") {
            // A heading without a backticked id is an intro or closing section.
            current = heading.split('`').nth(1).map(str::to_owned);
            if let Some(id) = &current
                && out.insert(id.clone(), Vec::new()).is_some()
            {
                problems.push(format!("line {line_no}: a second section for `{id}`"));
            }
            continue;
        }
        if trimmed.starts_with('#') && !trimmed.starts_with("###") {
            // A top-level heading ends the current preset's section.
            current = None;
            continue;
        }
        if !trimmed.starts_with('|') {
            continue;
        }
        let cells: Vec<String> = trimmed
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect();
        let first = cells.first().map(String::as_str).unwrap_or("");
        let is_separator = cells
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')));
        if is_separator || first == "条項" {
            continue;
        }
        // Tables outside a preset's section (the intro's legend) are not coverage rows.
        let Some(id) = &current else {
            continue;
        };
        let label = first.trim_matches('`').to_owned();
        if let Some(rows) = out.get_mut(id) {
            rows.push(Row {
                line: line_no,
                label,
                cells,
            });
        }
    }
    (out, problems)
}

/// Everything wrong with `doc` as the coverage table of `presets`.
fn problems(doc: &str, presets: &[Guideline]) -> Vec<String> {
    let (sections, mut problems) = sections(doc);
    for id in sections.keys() {
        if !presets.iter().any(|g| &g.id == id) {
            problems.push(format!("section `{id}` names no preset"));
        }
    }
    for g in presets {
        let id = &g.id;
        let before = problems.len();
        let Some(rows) = sections.get(id) else {
            problems.push(format!("{id}: no section whose heading contains `{id}`"));
            continue;
        };
        let declared: Vec<&str> = g.clauses.iter().map(|c| c.label.as_str()).collect();
        let in_table: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        let table_set: HashSet<&str> = in_table.iter().copied().collect();

        // (a) every declared clause has a row
        for label in &declared {
            if !table_set.contains(label) {
                problems.push(format!("{id}: clause {label} has no row"));
            }
        }
        // (b) every clause a rule cites has a row
        for label in g.cited_clauses() {
            if !table_set.contains(label) {
                problems.push(format!("{id}: cited clause {label} has no row"));
            }
        }
        // (c) every row is a declared clause, once, with all three columns filled in
        let mut seen = HashSet::new();
        for r in rows {
            if !declared.contains(&r.label.as_str()) {
                problems.push(format!(
                    "{id}: line {}: row for {} which the preset does not declare",
                    r.line, r.label
                ));
            }
            if !seen.insert(r.label.as_str()) {
                problems.push(format!("{id}: line {}: second row for {}", r.line, r.label));
            }
            if r.cells.len() != 3 || r.cells.iter().any(String::is_empty) {
                problems.push(format!(
                    "{id}: line {}: row for {} needs three non-empty columns (条項 | 要旨 | koho での扱い)",
                    r.line, r.label
                ));
            }
        }
        // Same order as the preset's [[clauses]], so the table reads like the document.
        let common_doc: Vec<&str> = declared
            .iter()
            .copied()
            .filter(|l| table_set.contains(l))
            .collect();
        let common_table: Vec<&str> = in_table
            .iter()
            .copied()
            .filter(|l| declared.contains(l))
            .collect();
        if problems.len() == before && common_doc != common_table {
            let at = common_doc
                .iter()
                .zip(&common_table)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            problems.push(format!(
                "{id}: rows are not in the preset's order: expected {} where the table has {}",
                common_doc[at], common_table[at]
            ));
        }
    }
    problems
}

fn presets() -> Vec<Guideline> {
    PRESETS
        .iter()
        .map(|(id, _)| {
            Guideline::preset(id)
                .expect("listed")
                .unwrap_or_else(|e| panic!("{}", e.render_en()))
        })
        .collect()
}

fn read_doc() -> String {
    let path = coverage_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn coverage_table_lists_every_clause_of_every_preset() {
    let found = problems(&read_doc(), &presets());
    assert!(
        found.is_empty(),
        "docs/guidelines/coverage.md is out of step with the presets:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn a_missing_row_is_caught() {
    let doc = read_doc();
    let presets = presets();
    for g in &presets {
        let label = g.cited_clauses()[0].to_owned();
        let cut: String = doc
            .lines()
            .filter(|l| {
                let cell = l
                    .trim()
                    .trim_start_matches('|')
                    .split('|')
                    .next()
                    .unwrap_or("")
                    .trim();
                !(l.trim().starts_with('|') && cell.trim_matches('`') == label)
            })
            .collect::<Vec<_>>()
            .join("\n");
        // The label may have a row in other presets' tables too; removing every such row
        // must be reported for this preset at least.
        let found = problems(&cut, &presets);
        assert!(
            found
                .iter()
                .any(|p| p.starts_with(&format!("{}: ", g.id)) && p.contains(&label)),
            "{}: removing the row for {label} went unnoticed: {found:?}",
            g.id
        );
    }
}

#[test]
fn a_row_for_an_undeclared_clause_is_caught() {
    let doc = read_doc();
    let presets = presets();
    for g in &presets {
        let heading = doc
            .lines()
            .position(|l| l.starts_with("## ") && l.contains(&format!("`{}`", g.id)))
            .expect("section");
        // Append a bogus row right after the section's first table row.
        let mut lines: Vec<&str> = doc.lines().collect();
        let first_row = (heading..lines.len())
            .find(|&i| {
                lines[i].trim().starts_with('|')
                    && !lines[i].contains("条項")
                    && !lines[i].contains("---")
            })
            .expect("a row");
        lines.insert(first_row + 1, "| 第999条 | 存在しない条項 | なし |");
        let found = problems(&lines.join("\n"), &presets);
        assert!(
            found
                .iter()
                .any(|p| p.starts_with(&format!("{}: ", g.id)) && p.contains("第999条")),
            "{}: a row for an undeclared clause went unnoticed: {found:?}",
            g.id
        );
    }
}

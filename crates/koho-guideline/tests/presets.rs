// Helpers outside #[test] functions are test code too; clippy.toml only covers the
// test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use koho_guideline::{Category, Guideline, PRESETS};

#[test]
fn every_preset_loads_and_validates() {
    for (id, _) in PRESETS {
        let g = Guideline::preset(id)
            .expect("listed")
            .unwrap_or_else(|e| panic!("{}", e.render_en()));
        assert_eq!(&g.id, id);
        for label in g.cited_clauses() {
            let clause = g.clause(label).expect("resolved");
            assert!(
                !clause.text.trim().is_empty(),
                "{id}: clause {label} has no text"
            );
        }
    }
}

#[test]
fn takanabe_requires_chief_approval_with_emergency_post_hoc_report() {
    let g = Guideline::preset("takanabe").unwrap().unwrap();
    assert_eq!(g.post_approval.approver, "section-chief");
    let emergency = g
        .post_approval
        .exceptions
        .iter()
        .find(|e| e.id == "emergency")
        .unwrap();
    assert_eq!(
        emergency.post_hoc_report_to.as_deref(),
        Some("section-chief")
    );
    assert_eq!(emergency.clauses, vec!["3.8".to_string()]);
    assert!(
        g.check(Category::MaskedText).is_none(),
        "高鍋町 has no clause on masked text"
    );
}

/// みどり市 was written for koho from a typical 運用方針, with no code changes: it loads
/// from its file like any municipality's own guideline would.
#[test]
fn a_guideline_written_from_scratch_loads_from_its_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../guidelines/midori.toml");
    let src = std::fs::read_to_string(path).unwrap();
    let g = Guideline::parse(path, &src).unwrap_or_else(|e| panic!("{}", e.render_en()));
    assert_eq!(g.municipality.name, "みどり市");
    assert_eq!(
        g.checks.len(),
        Category::ALL.len(),
        "the evaluation guideline enables every category"
    );
    assert_eq!(g.opening.approver, "pr-office-chief");
    let emergency = g
        .post_approval
        .exceptions
        .iter()
        .find(|e| e.post_hoc_report_to.is_some())
        .unwrap();
    assert_eq!(emergency.clauses, vec!["第5条(3)".to_string()]);
    for (clause, _) in g.rules_by_clause() {
        assert!(
            g.cited_clauses().contains(&clause.label.as_str()),
            "clause {} is cited by no rule",
            clause.label
        );
    }
}

#[test]
fn show_groups_every_rule_under_its_clause() {
    let g = Guideline::preset("komae").unwrap().unwrap();
    let grouped = g.rules_by_clause();
    assert_eq!(grouped.len(), g.clauses.len());
    let total: usize = grouped.iter().map(|(_, r)| r.len()).sum();
    let cited: usize = g.rule_lines().iter().map(|(c, _)| c.len()).sum();
    assert_eq!(total, cited, "every citation appears once under its clause");
    let masked = grouped.iter().find(|(c, _)| c.label == "4(4)イ").unwrap();
    assert!(
        masked.1.iter().any(|r| r.section == "checks.masked-text"),
        "{:#?}",
        masked.1
    );
}

#[test]
fn kamisu_replies_need_both_the_pr_office_and_the_account_manager() {
    let g = Guideline::preset("kamisu").unwrap().unwrap();
    let r = g.replies.as_ref().unwrap();
    assert!(r.exception_requires_all);
    assert_eq!(
        r.exception_by,
        vec!["pr-office".to_string(), "account-manager".to_string()]
    );
    let line = g
        .rule_lines()
        .into_iter()
        .find(|(_, l)| l.section == "replies")
        .unwrap()
        .1;
    assert!(
        line.text.contains("及び") && line.text.contains("そろって許可"),
        "{}",
        line.text
    );
}

use koho_guideline::{Category, Guideline, PRESETS};

#[test]
fn every_preset_loads_and_validates() {
    for (id, _) in PRESETS {
        let g = Guideline::preset(id).expect("listed").unwrap_or_else(|e| panic!("{}", e.render_en()));
        assert_eq!(&g.id, id);
        for label in g.cited_clauses() {
            let clause = g.clause(label).expect("resolved");
            assert!(!clause.text.trim().is_empty(), "{id}: clause {label} has no text");
        }
    }
}

#[test]
fn takanabe_requires_chief_approval_with_emergency_post_hoc_report() {
    let g = Guideline::preset("takanabe").unwrap().unwrap();
    assert_eq!(g.post_approval.approver, "section-chief");
    let emergency = g.post_approval.exceptions.iter().find(|e| e.id == "emergency").unwrap();
    assert_eq!(emergency.post_hoc_report_to.as_deref(), Some("section-chief"));
    assert_eq!(emergency.clauses, vec!["3.8".to_string()]);
    assert!(g.check(Category::MaskedText).is_none(), "高鍋町 has no clause on masked text");
}

//! Arbitrary text as a guideline file. Parsing must never panic, whatever the
//! input; a parse error must render (both languages, as `koho` shows it); a
//! guideline that parses must group its rules by clause and compile to a checker
//! (or report unknown rule codes) without panicking.
#![no_main]

use koho_check::Checker;
use koho_guideline::Guideline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match Guideline::parse("fuzz.toml", src) {
        Ok(g) => {
            let grouped = g.rules_by_clause();
            std::hint::black_box(grouped.len());
            if let Err(errors) = Checker::new(&g) {
                for e in &errors {
                    assert!(
                        e.span.start <= e.span.end && e.span.end <= src.len(),
                        "unknown-code span {:?} outside the {}-byte source",
                        e.span,
                        src.len()
                    );
                    std::hint::black_box(e.ja());
                }
            }
        }
        Err(e) => {
            std::hint::black_box(e.render_en());
            std::hint::black_box(e.render_ja());
        }
    }
});

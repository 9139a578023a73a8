//! Snapshot tests (after ruff's `test.rs`): every `tests/fixtures/*.txt` post is
//! checked against the demo guideline and its diagnostics compared with the `.snap`
//! file beside it. A first line `#! platform=x` sets the platform. Review changes,
//! then bless them with `KOHO_BLESS=1 cargo test -p koho-check --test snapshots`.

// Helpers outside #[test] functions are test code too; clippy.toml only covers the
// test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::path::Path;

use koho_check::{Checker, Guideline, Input, Platform};

fn render(text: &str, platform: Option<Platform>, checker: &Checker) -> String {
    let mut out = String::new();
    for d in checker.check(&Input {
        text,
        platform,
        images: &[],
        history: &[],
    }) {
        let clauses: Vec<&str> = d.clauses.iter().map(|c| c.clause.as_str()).collect();
        let _ = writeln!(
            out,
            "{} {} {}..{} 「{}」 {} [{}]",
            d.rule,
            d.severity.id(),
            d.start,
            d.end,
            d.excerpt.replace('\n', "⏎"),
            d.message,
            clauses.join(", ")
        );
        if let Some(s) = d.suggestion {
            let _ = writeln!(out, "    提案: {s}");
        }
    }
    if out.is_empty() {
        out.push_str("(no diagnostics)\n");
    }
    out
}

#[test]
fn fixtures_match_their_snapshots() {
    let g = Guideline::preset("midori").unwrap().unwrap();
    let checker = Checker::new(&g).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let bless = std::env::var_os("KOHO_BLESS").is_some();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut failures = Vec::new();
    let mut seen = 0;
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
    {
        seen += 1;
        let raw = std::fs::read_to_string(path).unwrap();
        let (platform, text) = match raw.strip_prefix("#! platform=") {
            Some(rest) => {
                let (p, body) = rest.split_once('\n').unwrap();
                (Platform::from_id(p.trim()), body.to_owned())
            }
            None => (None, raw.clone()),
        };
        let got = render(text.trim_end_matches('\n'), platform, &checker);
        let snap = path.with_extension("snap");
        if bless {
            std::fs::write(&snap, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&snap).unwrap_or_default();
        if want != got {
            failures.push(format!(
                "{}:\n--- expected\n{want}--- got\n{got}",
                path.display()
            ));
        }
    }
    assert!(seen >= 10, "expected at least 10 fixtures, found {seen}");
    assert!(
        failures.is_empty(),
        "{}\n(bless with KOHO_BLESS=1 after review)",
        failures.join("\n")
    );
}

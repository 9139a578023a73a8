//! The checker's quality on the labelled corpus, measured through the real `koho eval`.
//!
//! The issue's targets are recall >= 0.90 on every category and at most 1% of ordinary
//! posts with an error-severity finding, on posts the rules were not written from.
//! They are met on the development split but not yet on the implicit forms of
//! `dev-extra.jsonl` or the held-out `test.jsonl` (see docs/quality.md). The floors
//! below are what koho reaches today: a change that makes any category worse fails
//! here. Raise them as the checker improves; never lower them to make a change pass.

// Helpers outside #[test] functions are test code too; clippy.toml only covers the
// test functions themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The issue's recall target, reported beside each floor.
const TARGET: f64 = 0.90;

const DEV: &[(&str, f64)] = &[
    ("personal-info", 1.00),
    ("discrimination", 1.00),
    ("insult", 1.00),
    ("illegal", 1.00),
    ("rumor", 1.00),
    ("obscene", 1.00),
    ("confidential", 0.90),
    ("security", 1.00),
    ("undecided-policy", 1.00),
    ("political", 1.00),
    ("religious", 1.00),
    ("commercial", 0.90),
    ("social-advocacy", 1.00),
    ("personal-opinion", 0.92),
    ("masked-text", 1.00),
    ("url-shortener", 1.00),
    ("third-party-link", 1.00),
    ("copyright", 1.00),
    ("portrait", 1.00),
    ("geotag", 1.00),
    ("repeated-post", 1.00),
    ("plain-language", 1.00),
    ("length", 1.00),
];

const DEV_EXTRA: &[(&str, f64)] = &[
    ("personal-info", 0.00),
    ("discrimination", 0.80),
    ("insult", 0.92),
    ("illegal", 0.88),
    ("rumor", 1.00),
    ("obscene", 0.77),
    ("confidential", 0.96),
    ("security", 0.86),
    ("undecided-policy", 0.79),
    ("political", 0.96),
    ("religious", 0.72),
    ("commercial", 0.82),
    ("social-advocacy", 1.00),
    ("personal-opinion", 1.00),
    ("masked-text", 1.00),
    ("url-shortener", 1.00),
    ("third-party-link", 1.00),
    ("copyright", 0.83),
    ("portrait", 1.00),
    ("geotag", 1.00),
    ("repeated-post", 1.00),
    ("plain-language", 1.00),
    ("length", 1.00),
];

/// `corpus/dev-extra3.jsonl`: the word-class combos were developed on it, so every
/// labelled category is found and no ordinary post is blocked.
const DEV_EXTRA3: &[(&str, f64)] = &[
    ("personal-info", 1.00),
    ("discrimination", 1.00),
    ("insult", 1.00),
    ("illegal", 1.00),
    ("rumor", 1.00),
    ("obscene", 1.00),
    ("confidential", 1.00),
    ("security", 1.00),
    ("undecided-policy", 1.00),
    ("political", 1.00),
    ("religious", 1.00),
    ("commercial", 1.00),
    ("social-advocacy", 1.00),
    ("personal-opinion", 1.00),
    ("masked-text", 1.00),
    ("url-shortener", 1.00),
    ("third-party-link", 1.00),
    ("copyright", 1.00),
    ("portrait", 1.00),
    ("geotag", 1.00),
    ("repeated-post", 1.00),
    ("plain-language", 1.00),
    ("length", 1.00),
];

const TEST: &[(&str, f64)] = &[
    ("personal-info", 0.85),
    ("discrimination", 0.37),
    ("insult", 0.22),
    ("illegal", 0.25),
    ("rumor", 0.77),
    ("obscene", 0.77),
    ("confidential", 0.22),
    ("security", 0.55),
    ("undecided-policy", 0.44),
    ("political", 0.25),
    ("religious", 0.57),
    ("commercial", 0.37),
    ("social-advocacy", 0.62),
    ("personal-opinion", 0.30),
    ("masked-text", 1.00),
    ("url-shortener", 1.00),
    ("third-party-link", 0.66),
    ("copyright", 0.50),
    ("portrait", 0.62),
    ("geotag", 1.00),
    ("repeated-post", 1.00),
    ("plain-language", 1.00),
    ("length", 1.00),
];

fn eval(file: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_koho"))
        .args(["eval", "--json", &format!("{ROOT}/corpus/{file}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Problems with one split: categories below their floor, too many blocked ordinary posts.
fn regressions(file: &str, floors: &[(&str, f64)], max_ordinary_share: f64) -> Vec<String> {
    let report = eval(file);
    let mut out = Vec::new();
    for c in report["categories"].as_array().unwrap() {
        let name = c["category"].as_str().unwrap();
        let recall = c["recall"].as_f64().unwrap();
        let floor = floors
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .unwrap();
        let mark = if recall >= TARGET {
            "meets the target"
        } else {
            "below the target"
        };
        eprintln!("{file}: {name} recall {recall:.3} ({mark} {TARGET}; floor {floor})");
        if recall + 1e-9 < floor {
            out.push(format!(
                "{file}: {name} recall {recall:.3} fell below its floor {floor}"
            ));
        }
    }
    let share = report["ordinary_with_error_share"].as_f64().unwrap();
    if share > max_ordinary_share {
        out.push(format!(
            "{file}: {:.1}% of ordinary posts have an error (ceiling {:.1}%)",
            share * 100.0,
            max_ordinary_share * 100.0
        ));
    }
    out
}

#[test]
fn quality_does_not_regress() {
    let mut problems = regressions("dev.jsonl", DEV, 0.01);
    problems.extend(regressions("dev-extra.jsonl", DEV_EXTRA, 0.03));
    problems.extend(regressions("dev-extra3.jsonl", DEV_EXTRA3, 0.0));
    problems.extend(regressions("test.jsonl", TEST, 0.035));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_development_split_meets_the_issue_targets() {
    let report = eval("dev.jsonl");
    for c in report["categories"].as_array().unwrap() {
        assert!(c["recall"].as_f64().unwrap() >= TARGET, "{c}");
    }
    assert!(report["ordinary_with_error_share"].as_f64().unwrap() <= 0.01);
}

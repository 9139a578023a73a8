//! The checker's quality targets, measured on the labelled corpus through the real
//! `koho eval`: recall ≥ 0.90 on every category (the held-out split included) and
//! at most 1% of ordinary posts with an error-severity finding.

// Helpers outside #[test] functions are test code too; clippy.toml only covers the
// test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn eval(files: &[&str]) -> serde_json::Value {
    let paths: Vec<String> = files.iter().map(|f| format!("{ROOT}/corpus/{f}")).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_koho"))
        .arg("eval")
        .arg("--json")
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn check_targets(report: &serde_json::Value, split: &str) -> Vec<String> {
    let mut misses = Vec::new();
    for c in report["categories"].as_array().unwrap() {
        let recall = c["recall"].as_f64().unwrap();
        if recall < 0.90 {
            misses.push(format!(
                "{split}: {} recall {recall:.3} < 0.90",
                c["category"]
            ));
        }
    }
    let share = report["ordinary_with_error_share"].as_f64().unwrap();
    if share > 0.01 {
        misses.push(format!(
            "{split}: {:.1}% of ordinary posts have an error (> 1%)",
            share * 100.0
        ));
    }
    misses
}

#[test]
fn recall_and_quiet_on_ordinary_posts_meet_the_targets() {
    let mut misses = check_targets(&eval(&["dev.jsonl"]), "dev");
    misses.extend(check_targets(&eval(&["test.jsonl"]), "test (held out)"));
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

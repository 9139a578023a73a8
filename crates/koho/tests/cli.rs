//! The CLI contract, exercised through the real binary.

// Helpers outside #[test] functions are test code too; clippy.toml only covers the
// test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn koho(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_koho"))
        .args(args)
        .env_remove("KOHO_GUIDELINE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // A large input may be refused before it is all read; a broken pipe is expected then.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

#[test]
fn every_preset_validates() {
    let o = koho(
        &[
            "guideline",
            "validate",
            "takanabe",
            "komae",
            "mine",
            "urausu",
            "kamisu",
            "midori",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 6);
}

#[test]
fn an_invalid_guideline_file_fails_with_positions_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let src = std::fs::read_to_string(format!("{ROOT}/guidelines/midori.toml"))
        .unwrap()
        .replacen("approver = \"pr-office-chief\"", "approver = \"mayor\"", 1)
        .replacen("[checks.rumor]", "[checks.rumour]", 1);
    std::fs::write(&path, src).unwrap();
    let o = koho(&["guideline", "validate", path.to_str().unwrap()], b"");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad.toml:") && err.contains("役割「mayor」は定義されていません"),
        "{err}"
    );
    assert!(
        err.contains("チェック区分「rumour」は定義されていません。「rumor」の誤りではありませんか"),
        "{err}"
    );
}

#[test]
fn show_prints_every_clause_with_its_text() {
    let o = koho(&["guideline", "show", "komae"], b"");
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for label in ["4(2)ア", "4(4)イ", "4(5)エ"] {
        assert!(out.contains(&format!("■ {label}")), "missing {label}");
    }
    assert!(out.contains("伏せ字を使う等要らぬ詮索を招くような記述も避けること"));
    let json = koho(&["guideline", "show", "komae", "--format", "json"], b"");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["guideline"]["id"], "komae");
    assert!(v["clauses"].as_array().unwrap().len() > 30);
}

#[test]
fn check_exit_codes_follow_the_contract() {
    let clean = koho(
        &["check", "-p", "x", "-"],
        "図書館は12月29日から休館します。".as_bytes(),
    );
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}{}",
        stdout(&clean),
        stderr(&clean)
    );
    let long = "あ".repeat(150);
    let over = koho(&["check", "-p", "x", "-"], long.as_bytes());
    assert_eq!(over.status.code(), Some(1));
    assert!(stdout(&over).contains("LN001"));
}

#[test]
fn json_diagnostics_have_the_contract_fields_and_char_offsets() {
    let text = format!("お知らせ🌸{}", "あ".repeat(140));
    let o = koho(
        &["check", "-p", "x", "--format", "json", "-"],
        text.as_bytes(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = &v.as_array().unwrap()[0];
    for key in [
        "rule", "category", "severity", "start", "end", "excerpt", "message", "clauses",
    ] {
        assert!(d.get(key).is_some(), "missing {key}: {d}");
    }
    assert_eq!(d["category"], "length");
    assert_eq!(d["severity"], "error");
    // お知らせ (4×2) + 🌸 (2) + 135×2 = 280; the 136th あ is char index 5 + 135 = 140.
    assert_eq!(d["start"], 140);
    assert_eq!(d["end"], 145);
    assert_eq!(d["clauses"][0]["guideline"], "midori");
    assert_eq!(d["clauses"][0]["clause"], "第7条(9)");
}

#[test]
fn sarif_output_is_a_sarif_log() {
    let o = koho(
        &["check", "-p", "x", "--format", "sarif", "-"],
        "あ".repeat(141).as_bytes(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let r = &v["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "LN001");
    assert_eq!(r["level"], "error");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        141
    );
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let cases: Vec<(Vec<&str>, Vec<u8>, &str)> = vec![
        (vec!["check", "-"], b"".to_vec(), "本文が空"),
        (
            vec!["check", "-"],
            vec![0xe3, 0x81, 0xff, 0x41],
            "UTF-8 ではありません",
        ),
        (
            vec!["check", "-"],
            vec![b'a'; 10 * 1024 * 1024],
            "大きすぎます",
        ),
        (
            vec!["check", "-"],
            "市\u{7}のお知らせ".as_bytes().to_vec(),
            "制御文字",
        ),
        (
            vec!["check", "-"],
            "市\u{202E}のお知らせ".as_bytes().to_vec(),
            "表示順を変える制御文字",
        ),
        (
            vec!["check", "-g", "nowhere", "-"],
            "お知らせ".as_bytes().to_vec(),
            "ガイドライン「nowhere」はありません",
        ),
        (
            vec!["check", "-p", "myspace", "-"],
            "お知らせ".as_bytes().to_vec(),
            "サービス「myspace」は使えません",
        ),
        (
            vec!["check", "--image", "/nonexistent.jpg", "-"],
            "お知らせ".as_bytes().to_vec(),
            "見つかりません",
        ),
    ];
    for (args, input, expect) in cases {
        let o = koho(&args, &input);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
}

#[test]
fn a_corrupt_image_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.jpg");
    let good = std::fs::read(format!("{ROOT}/corpus/images/with-gps.jpg")).unwrap();
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let o = koho(
        &["check", "--image", path.to_str().unwrap(), "-"],
        "紅葉です".as_bytes(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("画像「"), "{}", stderr(&o));
}

#[test]
fn images_with_location_are_errors() {
    let img = format!("{ROOT}/corpus/images/with-gps.jpg");
    let o = koho(
        &["check", "--format", "json", "--image", &img, "-"],
        "紅葉がきれいです".as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"GT001") && rules.contains(&"PR001"),
        "{rules:?}"
    );
}

#[test]
fn media_strip_removes_the_location() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clean.jpg");
    let img = format!("{ROOT}/corpus/images/with-gps.jpg");
    let o = koho(&["media", "strip", &img, out.to_str().unwrap()], b"");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let clean = std::fs::read(&out).unwrap();
    assert!(!koho_media_has_gps(&clean));
    let o = koho(
        &[
            "check",
            "--format",
            "json",
            "--image",
            out.to_str().unwrap(),
            "-",
        ],
        "紅葉".as_bytes(),
    );
    assert!(!stdout(&o).contains("GT001"));
}

fn koho_media_has_gps(bytes: &[u8]) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.jpg");
    std::fs::write(&p, bytes).unwrap();
    let o = koho(&["media", "inspect", p.to_str().unwrap()], b"");
    stdout(&o).contains("has_gps: true")
}

#[test]
fn batch_answers_every_line_in_order_and_flags_bad_lines() {
    let mut input = String::new();
    for i in 0..5000 {
        let text = if i % 7 == 0 {
            "あ".repeat(141)
        } else {
            format!("お知らせ{i}")
        };
        input.push_str(&serde_json::json!({ "id": i, "text": text, "platform": "x" }).to_string());
        input.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("posts.jsonl");
    std::fs::write(&path, &input).unwrap();
    let o = koho(&["check", "--batch", path.to_str().unwrap()], b"");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5000);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["id"], i);
        let n = l["diagnostics"].as_array().unwrap().len();
        assert_eq!(n > 0, i % 7 == 0, "line {i}: {l}");
    }
    let bad = koho(
        &["check", "--batch", "-"],
        b"{\"id\": 1, \"text\": \"ok\"}\nnot json\n",
    );
    assert_eq!(bad.status.code(), Some(2));
    let out: Vec<serde_json::Value> = stdout(&bad)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out[1]["line"], 2);
}

#[test]
fn rules_are_listed_and_explained() {
    let o = koho(&["rules"], b"");
    assert!(stdout(&o).contains("LN001"));
    let e = koho(&["rules", "ln001"], b"");
    assert!(stdout(&e).contains("何を見つけるか"));
    assert_eq!(koho(&["rules", "ZZ999"], b"").status.code(), Some(2));
}

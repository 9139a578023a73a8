//! Malformed guideline files, each with the exact problems koho must report:
//! `line:column code message` (English rendering; Japanese is tested separately).

// Helpers outside #[test] functions are test code too; clippy.toml only covers the
// test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use koho_guideline::Guideline;

const BASE: &str = r#"[guideline]
id = "test"
title = "テスト市運用方針"

[municipality]
name = "テスト市"
homepage = "https://www.city.test.lg.jp/"

[roles.staff]
name = "職員"
kind = "staff"

[roles.chief]
name = "課長"
kind = "section-chief"

[[clauses]]
label = "第1条"
text = "職員は課長の承認を得て投稿する。"

[opening]
clause = "第1条"
applicant = "staff"
approver = "chief"

[post_approval]
clause = "第1条"
default = "required"
approver = "chief"
"#;

fn problems(src: &str) -> Vec<String> {
    match Guideline::parse("t.toml", src) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .located()
            .iter()
            .map(|l| format!("{}:{} {} {}", l.line, l.column, l.code, l.problem.kind))
            .collect(),
    }
}

/// `BASE` with `from` replaced by `to` (which must occur exactly once).
fn edit(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "ambiguous edit {from:?}");
    BASE.replacen(from, to, 1)
}

fn with(extra: &str) -> String {
    format!("{BASE}\n{extra}")
}

#[test]
fn the_base_file_is_valid() {
    assert_eq!(problems(BASE), Vec::<String>::new());
}

#[test]
fn malformed_files_report_exactly_these_problems() {
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "unterminated string",
            edit("title = \"テスト市運用方針\"", "title = \"テスト市運用方針"),
            vec!["3:18 G001 TOML syntax error: invalid basic string, expected `\"`"],
        ),
        (
            "misspelt section",
            with("[checkz.rumor]\nseverity = \"error\"\nclause = \"第1条\""),
            vec!["31:2 G002 unknown key `checkz` (did you mean `checks`?)"],
        ),
        (
            "misspelt key",
            edit("homepage = ", "homepag = "),
            vec![
                "5:1 G003 missing required key `municipality.homepage`",
                "7:1 G002 unknown key `municipality.homepag` (did you mean `homepage`?)",
            ],
        ),
        (
            "wrong type",
            edit("title = \"テスト市運用方針\"", "title = 3"),
            vec!["3:9 G004 `guideline.title` must be a string, found an integer"],
        ),
        (
            "missing id",
            edit("id = \"test\"\n", ""),
            vec!["1:1 G003 missing required key `guideline.id`"],
        ),
        (
            "empty title",
            edit("title = \"テスト市運用方針\"", "title = \"  \""),
            vec!["3:9 G005 `guideline.title` must not be empty"],
        ),
        (
            "unknown role kind",
            edit("kind = \"staff\"", "kind = \"mayor\""),
            vec![
                "11:8 G007 `roles.staff.kind` has invalid value `mayor` (expected one of: staff, section-chief, account-manager, pr-office, pr-office-chief, it-committee, it-committee-chair, security-officer, contractor, auditor)",
            ],
        ),
        (
            "dangling role",
            edit(
                "approver = \"chief\"\n\n[post",
                "approver = \"chef\"\n\n[post",
            ),
            vec!["24:12 G008 unknown role `chef` (did you mean `chief`?)"],
        ),
        (
            "dangling clause",
            edit(
                "[post_approval]\nclause = \"第1条\"",
                "[post_approval]\nclause = \"第2条\"",
            ),
            vec!["27:10 G008 unknown clause `第2条` (did you mean `第1条`?)"],
        ),
        (
            "duplicate clause",
            with("[[clauses]]\nlabel = \"第1条\"\ntext = \"重複\""),
            vec!["32:9 G009 duplicate clause `第1条`"],
        ),
        (
            "unknown category",
            with("[checks.personal-infos]\nseverity = \"error\"\nclause = \"第1条\""),
            vec![
                "31:9 G008 unknown check category `personal-infos` (did you mean `personal-info`?)",
            ],
        ),
        (
            "bad severity",
            with("[checks.rumor]\nseverity = \"fatal\"\nclause = \"第1条\""),
            vec![
                "32:12 G007 `checks.rumor.severity` has invalid value `fatal` (expected one of: error, warning, info)",
            ],
        ),
        (
            "check without clause",
            with("[checks.rumor]\nseverity = \"error\""),
            vec!["31:1 G003 missing required key `checks.rumor.clause`"],
        ),
        (
            "bad rule override",
            with(
                "[checks.rumor]\nseverity = \"error\"\nclause = \"第1条\"\nrules = { RU001 = \"loud\" }",
            ),
            vec![
                "34:19 G007 `checks.rumor.rules.RU001` has invalid value `loud` (expected one of: error, warning, info, off)",
            ],
        ),
        (
            "option on the wrong category",
            with("[checks.rumor]\nseverity = \"error\"\nclause = \"第1条\"\nwindow_days = 7"),
            vec![
                "31:1 G010 option `window_days` belongs to checks.repeated-post, not checks.rumor",
            ],
        ),
        (
            "zero days",
            with("[inactivity]\nafter_days = 0\ndecided_by = \"chief\"\nclause = \"第1条\""),
            vec!["32:14 G006 `inactivity.after_days` must be an integer from 1 to 3650"],
        ),
        (
            "similarity above 1",
            with(
                "[checks.repeated-post]\nseverity = \"warning\"\nclause = \"第1条\"\nsimilarity = 1.5",
            ),
            vec!["34:14 G006 `checks.repeated-post.similarity` must be a number from 0.5 to 1"],
        ),
        (
            "domain with scheme",
            edit(
                "homepage = \"https://www.city.test.lg.jp/\"",
                "homepage = \"https://www.city.test.lg.jp/\"\ndomains = [\"https://city.test.lg.jp\"]",
            ),
            vec![
                "8:12 G007 `municipality.domains` has invalid value `https://city.test.lg.jp` (expected one of: a lower-case host name without scheme or path, e.g. city.komae.lg.jp)",
            ],
        ),
        (
            "bad phone",
            edit(
                "homepage = \"https://www.city.test.lg.jp/\"",
                "homepage = \"https://www.city.test.lg.jp/\"\nphones = [\"12345\"]",
            ),
            vec![
                "8:11 G007 `municipality.phones` has invalid value `12345` (expected one of: a Japanese phone number such as 03-3430-1111)",
            ],
        ),
        (
            "homepage without scheme",
            edit(
                "\"https://www.city.test.lg.jp/\"",
                "\"www.city.test.lg.jp\"",
            ),
            vec![
                "7:12 G007 `municipality.homepage` has invalid value `www.city.test.lg.jp` (expected one of: an http(s):// URL)",
            ],
        ),
        (
            "applicant approves own application",
            edit(
                "approver = \"chief\"\n\n[post",
                "approver = \"staff\"\n\n[post",
            ),
            vec![
                "21:1 G010 opening.approver must differ from opening.applicant: an application is never decided by its applicant",
            ],
        ),
        (
            "required_for with approval always required",
            with("[[post_approval.required_for]]\nid = \"policy\"\nlabel = \"政策\""),
            vec![
                "26:1 G010 post_approval.required_for only makes sense when default is not-required or per-account",
            ],
        ),
        (
            "date as string",
            edit(
                "title = \"テスト市運用方針\"",
                "title = \"テスト市運用方針\"\nadopted = \"2022-05-26\"",
            ),
            vec!["4:11 G004 `guideline.adopted` must be a date (YYYY-MM-DD), found a string"],
        ),
        (
            "unknown moderation category",
            with(
                "[[moderation]]\nid = \"x\"\nlabel = \"荒らし\"\ncategory = \"spam\"\nclause = \"第1条\"",
            ),
            vec!["34:12 G008 unknown check category `spam`"],
        ),
        (
            "unknown review criterion",
            with("[annual_review]\ndecided_by = \"chief\"\ncriteria = [\"a\"]\nclause = \"第1条\""),
            vec!["33:13 G008 unknown question `a`"],
        ),
        (
            "unknown password class",
            with("[credentials]\nrequire = [\"letters\", \"emoji\"]\nclause = \"第1条\""),
            vec![
                "32:23 G007 `credentials.require` has invalid value `emoji` (expected one of: letters, digits, symbols)",
            ],
        ),
        (
            "clauses not an array of tables",
            edit(
                "[[clauses]]\nlabel = \"第1条\"\ntext = \"職員は課長の承認を得て投稿する。\"\n",
                "",
            )
            .replacen("[guideline]", "clauses = \"第1条\"\n[guideline]", 1),
            vec![
                "1:11 G004 `clauses` must be an array of tables, found a string",
                "20:10 G008 unknown clause `第1条`",
                "25:10 G008 unknown clause `第1条`",
            ],
        ),
        (
            "id with capitals",
            edit("id = \"test\"", "id = \"Test City\""),
            vec![
                "2:6 G007 `guideline.id` has invalid value `Test City` (expected one of: lower-case ASCII letters, digits and '-')",
            ],
        ),
        (
            "missing section",
            edit(
                "[post_approval]\nclause = \"第1条\"\ndefault = \"required\"\napprover = \"chief\"\n",
                "",
            ),
            vec!["1:1 G003 missing required key `post_approval`"],
        ),
    ];
    assert!(cases.len() >= 20);
    let mut failures = Vec::new();
    for (name, src, expected) in &cases {
        let got = problems(src);
        if &got != expected {
            failures.push(format!(
                "{name}:\n  expected {expected:#?}\n  got      {got:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let src = edit("kind = \"staff\"", "kind = \"mayor\"")
        .replace("title = \"テスト市運用方針\"", "title = 3")
        + "\n[checks.rumour]\n";
    assert_eq!(problems(&src).len(), 3, "{:#?}", problems(&src));
}

#[test]
fn problems_read_in_japanese() {
    let src = edit(
        "approver = \"chief\"\n\n[post",
        "approver = \"chef\"\n\n[post",
    );
    let e = Guideline::parse("t.toml", &src).unwrap_err();
    assert_eq!(
        e.render_ja(),
        "t.toml:24:12: エラー[G008]: 役割「chef」は定義されていません。「chief」の誤りではありませんか\n"
    );
}

//! Setting up a real (non-demo) municipality through the real binary — `koho municipality
//! create`, `department add`, `person add`, the `list` variants — and the printable forms
//! (`koho account form`), on a temporary database: SQLite always, PostgreSQL too when
//! `DATABASE_URL` points at a server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use common::*;

fn koho_m(env: &Env, url: &str, muni: &str, args: &[&str]) -> Output {
    koho_in(
        env.dir.path(),
        Some(url),
        &[("KOHO_MUNICIPALITY", muni)],
        args,
    )
}

#[track_caller]
fn refused(o: &Output, code: &str) {
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(o), stderr(o));
    assert!(stderr(o).contains(code), "{}", stderr(o));
}

const CHIEF: &str = "kanko.chief@city.mine.lg.jp";
const APPROVER: &str = "sousei@city.mine.lg.jp";

#[test]
fn a_real_municipality_is_set_up_and_its_forms_are_printed() {
    each_engine(|env| {
        let url = env.fresh_url();
        let created = json(&koho(
            env,
            &url,
            &[
                "municipality",
                "create",
                "--slug",
                "mine",
                "--name",
                "美祢市",
                "--guideline",
                "mine",
                "--format",
                "json",
            ],
        ));
        assert_eq!(created["slug"], "mine");
        assert_eq!(created["name"], "美祢市");
        assert_eq!(created["guideline_id"], "mine");
        // Refusals change nothing: a taken slug, a bad slug, an unknown guideline.
        refused(
            &koho(
                env,
                &url,
                &[
                    "municipality",
                    "create",
                    "--slug",
                    "mine",
                    "--guideline",
                    "mine",
                ],
            ),
            "WF_ALREADY_EXISTS",
        );
        let bad = koho(
            env,
            &url,
            &[
                "municipality",
                "create",
                "--slug",
                "Bad Slug",
                "--guideline",
                "mine",
            ],
        );
        assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
        refused(
            &koho(
                env,
                &url,
                &[
                    "municipality",
                    "create",
                    "--slug",
                    "x",
                    "--guideline",
                    "nosuch",
                ],
            ),
            "CLI_UNKNOWN_GUIDELINE",
        );
        let list = json(&koho(
            env,
            &url,
            &["municipality", "list", "--format", "json"],
        ));
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

        for d in ["観光商工課", "地方創生推進室"] {
            ok(&koho_m(env, &url, "mine", &["department", "add", d]));
        }
        let deps = json(&koho_m(
            env,
            &url,
            "mine",
            &["department", "list", "--format", "json"],
        ));
        assert_eq!(deps.as_array().unwrap().len(), 2, "{deps}");
        refused(
            &koho_m(env, &url, "mine", &["department", "add", "観光商工課"]),
            "",
        );

        ok(&koho_m(
            env,
            &url,
            "mine",
            &[
                "person",
                "add",
                "--email",
                CHIEF,
                "--name",
                "観光 課長",
                "--role",
                "section-chief",
                "--department",
                "観光商工課",
            ],
        ));
        ok(&koho_m(
            env,
            &url,
            "mine",
            &[
                "person",
                "add",
                "--email",
                APPROVER,
                "--name",
                "創生 室長",
                "--role",
                "pr-office-chief",
                "--department",
                "地方創生推進室",
            ],
        ));
        refused(
            &koho_m(
                env,
                &url,
                "mine",
                &[
                    "person",
                    "add",
                    "--email",
                    "x@city.mine.lg.jp",
                    "--name",
                    "x",
                    "--role",
                    "mayor",
                ],
            ),
            "CLI_UNKNOWN_ROLE",
        );
        refused(
            &koho_m(
                env,
                &url,
                "mine",
                &[
                    "person",
                    "add",
                    "--email",
                    "y@city.mine.lg.jp",
                    "--name",
                    "y",
                    "--role",
                    "staff",
                    "--department",
                    "存在しない課",
                ],
            ),
            "WF_NOT_FOUND",
        );
        let people = json(&koho_m(
            env,
            &url,
            "mine",
            &["person", "list", "--format", "json"],
        ));
        let people = people.as_array().unwrap();
        assert_eq!(people.len(), 2, "{people:?}");
        let chief = people.iter().find(|p| p["email"] == CHIEF).unwrap();
        assert_eq!(chief["department"], "観光商工課");
        assert_eq!(chief["roles"][0], "section-chief");

        // The people just made can act by the municipality's own guideline.
        ok(&koho_m(
            env,
            &url,
            "mine",
            &[
                "account",
                "apply",
                "--as",
                CHIEF,
                "--platform",
                "instagram",
                "--handle",
                "mine_kanko",
                "--url",
                "https://www.instagram.com/mine_kanko",
                "--name",
                "美祢市観光情報",
                "--email",
                "kanko-sns@city.mine.lg.jp",
                "--purpose",
                "観光の魅力を発信する",
                "--content",
                "観光情報",
                "--reply-policy",
                "原則として返信しない",
                "--credentials-note",
                "観光商工課の金庫で保管",
                "--start-date",
                "令和8年4月",
                "--other",
                "秋吉台の写真を中心に",
                "--plan",
                "週2回",
            ],
        ));
        // 様式第1号, to a file.
        let file = env.path("form1.html");
        ok(&koho_m(
            env,
            &url,
            "mine",
            &[
                "account",
                "form",
                "mine_kanko",
                "--kind",
                "application",
                "--out",
                &file,
            ],
        ));
        let html = std::fs::read_to_string(&file).unwrap();
        for want in [
            "<html lang=\"ja\">",
            "様式第1号",
            "ソーシャルメディア分野別美祢市公式アカウント開設・運用届",
            "地方創生推進室長　宛て",
            "観光商工課長　観光 課長",
            "size: A4",
            "mine_kanko",
            "https://www.instagram.com/mine_kanko",
            "観光商工課の金庫で保管",
            "令和8年4月",
            "rowspan=\"6\"",
        ] {
            assert!(html.contains(want), "{want}\n{html}");
        }
        // Not approved yet: no approval document.
        refused(
            &koho_m(
                env,
                &url,
                "mine",
                &["account", "form", "mine_kanko", "--kind", "approval"],
            ),
            "FORM_NOT_APPROVED",
        );
        ok(&koho_m(
            env,
            &url,
            "mine",
            &["account", "approve", "mine_kanko", "--as", APPROVER],
        ));
        // 様式第2号, to standard output.
        let approval = ok(&koho_m(
            env,
            &url,
            "mine",
            &["account", "form", "mine_kanko", "--kind", "approval"],
        ));
        for want in [
            "様式第2号",
            "ソーシャルメディア分野別美祢市公式アカウント開設・運用承認",
            "観光商工課長",
            "地方創生推進室長　創生 室長",
            "付　第　　号で出された分野別美祢市公式アカウントの開設・運用について承認します。",
            "Instagram mine_kanko",
        ] {
            assert!(approval.contains(want), "{want}\n{approval}");
        }
        assert!(
            approval.contains("令和") && !approval.contains("令和　　年　　月　　日付"),
            "{approval}"
        );
        // Every step above is in the audit chain, intact.
        let verify = koho_m(env, &url, "mine", &["audit", "verify"]);
        assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    });
}

#[test]
fn a_guideline_without_forms_says_so() {
    each_engine(|env| {
        let url = env.fresh_url();
        ok(&koho(env, &url, &["demo"]));
        refused(
            &koho_m(
                env,
                &url,
                "midori",
                &["account", "form", "@midori_city", "--kind", "application"],
            ),
            "FORM_NOT_DEFINED",
        );
    });
}

#[test]
fn a_guideline_file_is_kept_under_its_id_for_later_commands() {
    each_engine(|env| {
        let url = env.fresh_url();
        let preset = koho_guideline::preset_source("mine").unwrap();
        let own = preset.replacen("id = \"mine\"", "id = \"mine-2026\"", 1);
        let file = env.path("mine-2026.toml");
        std::fs::write(&file, &own).unwrap();
        ok(&koho(
            env,
            &url,
            &[
                "municipality",
                "create",
                "--slug",
                "mine",
                "--name",
                "美祢市",
                "--guideline",
                &file,
            ],
        ));
        // Found again by id alone, without the file's path.
        std::fs::remove_file(&file).unwrap();
        ok(&koho_m(env, &url, "mine", &["department", "add", "秘書課"]));
        let installed = env.dir.path().join("guidelines").join("mine-2026.toml");
        assert_eq!(std::fs::read_to_string(installed).unwrap(), own);
        // A different file under the same id is refused.
        let other = env.path("other.toml");
        std::fs::write(&other, own.replacen("美祢市", "美祢市（改）", 1)).unwrap();
        refused(
            &koho(
                env,
                &url,
                &[
                    "municipality",
                    "create",
                    "--slug",
                    "mine2",
                    "--guideline",
                    &other,
                ],
            ),
            "CLI_GUIDELINE_EXISTS",
        );
        // A built-in id cannot be taken by a file.
        let clash = env.path("clash.toml");
        std::fs::write(&clash, preset).unwrap();
        refused(
            &koho(
                env,
                &url,
                &[
                    "municipality",
                    "create",
                    "--slug",
                    "mine3",
                    "--guideline",
                    &clash,
                ],
            ),
            "CLI_GUIDELINE_ID",
        );
    });
}

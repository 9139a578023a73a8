//! `koho post …` through the real binary on the demo municipality (みどり市, 第5条(1):
//! approval by the section chief), on a SQLite file. The workflow's own tests cover both
//! engines; this checks the shell: arguments, JSON output, exit codes, Japanese errors,
//! times read in Asia/Tokyo whatever `TZ` says, and the Atom feed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

const DOMAIN: &str = "city.midori.example.lg.jp";

fn koho(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_koho"))
        .args(args)
        .env_remove("KOHO_GUIDELINE")
        .env_remove("KOHO_MUNICIPALITY")
        .env("KOHO_DATA_DIR", dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("koho.db").display()),
        )
        // The server's zone must not matter: times are the guideline's (Asia/Tokyo).
        .env("TZ", "America/Los_Angeles")
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn refused(o: &Output, code: &str) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(code), "{err}");
    err
}

fn who(local: &str) -> String {
    format!("{local}@{DOMAIN}")
}

#[test]
fn post_lifecycle_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&koho(d, &["demo"]));
    let staff = who("kimura.hanako");
    let chief = who("mori.kazuya");

    let out = ok(&koho(
        d,
        &[
            "post",
            "draft",
            "--as",
            &staff,
            "--account",
            "@midori_city",
            "--text",
            "市民まつりの会場案内です。",
            "--variant",
            "x=市民まつり会場案内",
            "--format",
            "json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = v["post"]["id"].as_str().unwrap().to_owned();
    assert_eq!(v["post"]["state"], "draft");
    assert_eq!(v["version"]["variants"]["x"], "市民まつり会場案内");

    // Times: an impossible date is refused; a local time is Tokyo time whatever TZ says.
    refused(
        &koho(
            d,
            &[
                "post",
                "schedule",
                &id,
                "--as",
                &staff,
                "--at",
                "2099-02-30 09:00",
            ],
        ),
        "POST_INVALID_TIME",
    );
    ok(&koho(
        d,
        &[
            "post",
            "schedule",
            &id,
            "--as",
            &staff,
            "--at",
            "2099-06-01 09:30",
        ],
    ));
    let show: serde_json::Value =
        serde_json::from_str(&ok(&koho(d, &["post", "show", &id, "--format", "json"]))).unwrap();
    assert_eq!(show["post"]["publish_at"], 4_083_957_000_000_i64);

    ok(&koho(d, &["post", "submit", &id, "--as", &staff]));
    let err = refused(
        &koho(d, &["post", "approve", &id, "--as", &staff]),
        "POST_SELF_APPROVAL",
    );
    assert!(err.contains("自分の投稿"), "{err}");
    let err = refused(
        &koho(d, &["post", "reject", &id, "--as", &chief, "--reason", " "]),
        "POST_REASON_REQUIRED",
    );
    assert!(err.contains("第5条(1)"), "{err}");
    ok(&koho(d, &["post", "approve", &id, "--as", &chief]));
    refused(
        &koho(d, &["post", "approve", &id, "--as", &chief]),
        "POST_ILLEGAL_TRANSITION",
    );

    let list: serde_json::Value = serde_json::from_str(&ok(&koho(
        d,
        &["post", "list", "--state", "approved", "--format", "json"],
    )))
    .unwrap();
    // The demo's own posts of 危機管理課 are there too.
    let approved = list.as_array().unwrap();
    assert!(approved.iter().any(|p| p["id"] == id.as_str()), "{list}");
    assert!(approved.iter().all(|p| p["state"] == "approved"), "{list}");
    refused(
        &koho(d, &["post", "list", "--state", "published"]),
        "CLI_BAD_ARGUMENT",
    );
    refused(&koho(d, &["post", "show", "no-such-post"]), "WF_NOT_FOUND");

    // A valid feed, with the demo's emergency post (published) in it.
    let atom = ok(&koho(d, &["post", "archive", "--format", "atom"]));
    let doc = roxmltree::Document::parse(&atom).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "feed");
    assert!(atom.contains("避難所を開設"), "{atom}");
}

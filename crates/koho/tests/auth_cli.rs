//! `koho person`, `koho session`, `koho token` and the demo logins, through the real binary on
//! a SQLite file: the password travels on stdin and appears in no output, the TOTP URI and
//! the token are printed once, and the demo prints its logins with a demo-only warning.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn koho(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_koho"))
        .args(args)
        .env_remove("KOHO_GUIDELINE")
        .env_remove("KOHO_MUNICIPALITY")
        .env("KOHO_DATA_DIR", dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("koho.db").display()),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[track_caller]
fn ok(o: &Output) -> String {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    out
}

#[test]
fn credentials_sessions_and_tokens_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // The demo prints its logins, marked as demo only.
    let demo = ok(&koho(d, &["demo"], None));
    assert!(demo.contains("DEMO ONLY"), "{demo}");
    assert!(demo.contains("パスワード: midori-demo-password"), "{demo}");
    let chief_line = demo
        .lines()
        .find(|l| l.contains("pr-office-chief"))
        .unwrap();
    assert!(chief_line.contains("TOTP: "), "{chief_line}");
    let email = chief_line
        .split('<')
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap()
        .to_owned();

    // A new password from stdin: never echoed.
    let secret = "a brand new passphrase 42";
    let o = koho(
        d,
        &["person", "set-password", &email],
        Some(&format!("{secret}\n")),
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(!out.contains(secret) && !err.contains(secret));
    // Too short: refused with exit 2 and a Japanese message.
    let o = koho(d, &["person", "set-password", &email], Some("short\n"));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("AUTH_WEAK_PASSWORD"), "{}", text(&o).1);
    // Unknown person.
    let o = koho(
        d,
        &["person", "set-password", "nobody@example.jp"],
        Some(&format!("{secret}\n")),
    );
    assert_eq!(o.status.code(), Some(2));

    // TOTP enrolment prints the otpauth URI once.
    let out = ok(&koho(d, &["person", "enroll-totp", &email], None));
    assert!(out.contains("otpauth://totp/"), "{out}");
    assert!(out.contains("&digits=6&period=30"), "{out}");

    // Tokens: issued once on stdout, listed without the token, revoked.
    let o = koho(
        d,
        &[
            "token",
            "issue",
            "cms",
            "--person",
            &email,
            "--role",
            "pr-office-chief",
            "--days",
            "30",
        ],
        None,
    );
    let token = ok(&o).trim().to_owned();
    assert!(token.starts_with("koho_midori."), "{token}");
    let list = ok(&koho(d, &["token", "list"], None));
    assert!(list.contains("cms") && list.contains("有効"), "{list}");
    assert!(!list.contains(&token));
    let o = koho(
        d,
        &[
            "token", "issue", "x", "--person", &email, "--role", "auditor",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "a role the person lacks");
    let o = koho(
        d,
        &["token", "issue", "y", "--person", &email, "--role", "mayor"],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "an unknown role");
    ok(&koho(d, &["token", "revoke", "cms"], None));
    let list = ok(&koho(d, &["token", "list", "--format", "json"], None));
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert!(v[0]["revoked_at"].is_i64(), "{v}");

    // Sessions: none yet; revoking a person's sessions is audited even when there are none.
    assert!(ok(&koho(d, &["session", "list"], None)).contains("ありません"));
    ok(&koho(d, &["session", "revoke", "--person", &email], None));
    let o = koho(
        d,
        &["session", "revoke", "0199aaaa-0000-7000-8000-000000000000"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));

    // Everything is in the audit log, which verifies.
    let audit = ok(&koho(d, &["audit", "verify"], None));
    assert!(!audit.contains(secret));
}

//! The register commands through the real binary, on a temporary database: SQLite always,
//! PostgreSQL too when `DATABASE_URL` points at a server (a fresh database per test, dropped
//! afterwards).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use common::*;

const MAIL: &str = "city.midori.example.lg.jp";

#[test]
fn demo_fills_a_fresh_database_and_lists_as_json() {
    each_engine(|env| {
        let url = env.fresh_url();
        let out = ok(&koho(env, &url, &["demo"]));
        assert!(
            out.contains("みどり市") && out.contains("公式アカウント"),
            "{out}"
        );
        // Running it again is harmless (`koho demo && koho serve` works every time).
        assert!(ok(&koho(env, &url, &["demo"])).contains("既にあります"));

        let list = json(&koho(env, &url, &["account", "list", "--format", "json"]));
        let rows = list.as_array().unwrap();
        assert!(rows.len() >= 12, "{list}");
        let states: Vec<&str> = rows.iter().map(|r| r["state"].as_str().unwrap()).collect();
        for s in [
            "active",
            "suspended",
            "closed",
            "applied",
            "approved",
            "rejected",
        ] {
            assert!(states.contains(&s), "no {s} account: {states:?}");
        }
        let platforms: Vec<&str> = rows
            .iter()
            .map(|r| r["platform"].as_str().unwrap())
            .collect();
        for p in [
            "x",
            "facebook",
            "instagram",
            "line",
            "bluesky",
            "mastodon",
            "youtube",
        ] {
            assert!(platforms.contains(&p), "no {p} account");
        }
        let text = ok(&koho(env, &url, &["account", "list"]));
        assert!(
            text.contains("@midori_city") && text.contains("運用停止"),
            "{text}"
        );

        let show = json(&koho(
            env,
            &url,
            &["account", "show", "@midori_city", "--format", "json"],
        ));
        let versions: Vec<&str> = show["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["status"].as_str().unwrap())
            .collect();
        assert_eq!(versions, vec!["superseded", "published"]);
        let show = ok(&koho(
            env,
            &url,
            &["account", "show", "https://x.com/midori_kosodate"],
        ));
        assert!(
            show.contains("運用停止（理由:") && show.contains("次回確認"),
            "{show}"
        );
        assert!(
            show.contains("プロフィールのチェックリスト") && show.contains("第4条"),
            "{show}"
        );

        let pending = json(&koho(
            env,
            &url,
            &["account", "applications", "--format", "json"],
        ));
        assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");

        let csv = ok(&koho(env, &url, &["register", "export", "--format", "csv"]));
        assert!(csv.starts_with("\u{feff}サービス,"), "{csv}");
        assert!(
            !csv.contains("midori_sports"),
            "applied accounts are not public"
        );
        let html = ok(&koho(
            env,
            &url,
            &["register", "export", "--format", "html"],
        ));
        assert!(
            html.contains("<table") && html.contains("https://x.com/midori_city"),
            "{html}"
        );
    });
}

#[test]
fn apply_and_approve_through_the_cli() {
    each_engine(|env| {
        let url = env.fresh_url();
        ok(&koho(env, &url, &["demo"]));
        let chief = format!("tanaka.misaki@{MAIL}");
        let staff = format!("takahashi.hina@{MAIL}");
        let pr_chief = format!("midorikawa.ichiro@{MAIL}");
        let apply = |extra: &[&str]| {
            let mut args = vec![
                "account",
                "apply",
                "--as",
                &chief,
                "--platform",
                "instagram",
                "--handle",
                "midori_kosodate_photo",
                "--name",
                "みどり市子育て応援フォト",
                "--manager",
                &staff,
                "--email",
                "kosodate@city.midori.example.lg.jp",
                "--purpose",
                "子育て世帯に支援制度と子育てイベントを写真で知らせる",
                "--content",
                "子育てイベント",
                "--content",
                "子育て支援制度",
            ];
            args.extend_from_slice(extra);
            koho(env, &url, &args)
        };
        // Missing plan: refused in Japanese, naming the field and the clause, exit 2.
        let o = apply(&[]);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        assert!(
            stderr(&o).contains("「運用計画」（midori 第2条）"),
            "{}",
            stderr(&o)
        );
        // --check lists the overlapping existing accounts without submitting.
        let check = ok(&apply(&["--plan", "週2回投稿", "--check"]));
        assert!(
            check.contains("@midori_kosodate") && check.contains("必要な項目はそろっています"),
            "{check}"
        );
        let applied = ok(&apply(&["--plan", "週2回投稿"]));
        assert!(
            applied.contains("開設申請を受け付けました") && applied.contains("広報広聴課長"),
            "{applied}"
        );

        // The applicant may not approve; an unknown person is refused too.
        let o = koho(
            env,
            &url,
            &[
                "account",
                "approve",
                "midori_kosodate_photo",
                "--as",
                &chief,
            ],
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("WF_NOT_AUTHORIZED") || stderr(&o).contains("WF_SELF_DECISION"),
            "{}",
            stderr(&o)
        );
        let o = koho(
            env,
            &url,
            &[
                "account",
                "approve",
                "midori_kosodate_photo",
                "--as",
                "nobody@example.com",
            ],
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("登録されていません"), "{}", stderr(&o));

        let approved = ok(&koho(
            env,
            &url,
            &[
                "account",
                "approve",
                "midori_kosodate_photo",
                "--as",
                &pr_chief,
            ],
        ));
        assert!(
            approved.contains("承認しました") && approved.contains("第1版"),
            "{approved}"
        );
        let o = koho(
            env,
            &url,
            &[
                "account",
                "activate",
                "midori_kosodate_photo",
                "--as",
                &staff,
            ],
        );
        assert_eq!(o.status.code(), Some(2), "policy must be published first");
        assert!(
            stderr(&o).contains("運用ポリシーを公開してから"),
            "{}",
            stderr(&o)
        );
        ok(&koho(
            env,
            &url,
            &[
                "account",
                "policy",
                "midori_kosodate_photo",
                "--publish",
                "--as",
                &staff,
            ],
        ));
        ok(&koho(
            env,
            &url,
            &[
                "account",
                "activate",
                "midori_kosodate_photo",
                "--as",
                &staff,
            ],
        ));
        let policy = ok(&koho(
            env,
            &url,
            &["account", "policy", "midori_kosodate_photo"],
        ));
        assert!(
            policy.contains("【第1版・公開中】") && policy.contains("子育て世帯に支援制度"),
            "{policy}"
        );

        let active = json(&koho(
            env,
            &url,
            &["account", "list", "--state", "active", "--format", "json"],
        ));
        assert!(
            active
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["handle"] == "midori_kosodate_photo")
        );

        // An illegal move: activating an active account.
        let o = koho(
            env,
            &url,
            &[
                "account",
                "activate",
                "midori_kosodate_photo",
                "--as",
                &staff,
            ],
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("WF_ILLEGAL_TRANSITION") && stderr(&o).contains("はできません"),
            "{}",
            stderr(&o)
        );

        // Suspend and close through the CLI.
        let s = ok(&koho(
            env,
            &url,
            &[
                "account",
                "suspend",
                "midori_kosodate_photo",
                "--as",
                &staff,
                "--reason",
                "市公式アカウントに集約",
                "--followers",
                "120",
            ],
        ));
        assert!(
            s.contains("誘導先") && s.contains("【運用停止のお知らせ】"),
            "{s}"
        );
        ok(&koho(
            env,
            &url,
            &[
                "account",
                "close",
                "midori_kosodate_photo",
                "--as",
                &pr_chief,
                "--reason",
                "事業終了",
            ],
        ));

        let log = json(&koho(
            env,
            &url,
            &[
                "audit",
                "log",
                "--account",
                "midori_kosodate_photo",
                "--format",
                "json",
            ],
        ));
        let actions: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            vec![
                "account.close",
                "account.suspend",
                "account.activate",
                "account.approve",
                "account.apply"
            ]
        );
        assert_eq!(log[3]["clause"]["clause"], "第2条");
        assert_eq!(log[3]["actor_name"], "緑川 一郎");
    });
}

#[test]
fn backup_restore_and_audit_verify() {
    each_engine(|env| {
        let url = env.fresh_url();
        ok(&koho(env, &url, &["demo"]));
        let verified = ok(&koho(env, &url, &["audit", "verify"]));
        assert!(verified.contains("改ざんされていません"), "{verified}");

        let backup = env.path("koho-backup");
        let out = ok(&koho(env, &url, &["db", "backup", &backup]));
        assert!(out.contains("バックアップを作成しました"), "{out}");
        // Never over an existing file.
        let o = koho(env, &url, &["db", "backup", &backup]);
        assert_ne!(o.status.code(), Some(0));

        // Restore refuses a database that holds data…
        let o = koho(env, &url, &["db", "restore", &backup]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("空ではありません"), "{}", stderr(&o));
        // …and fills an empty one with the same register.
        let other = env.fresh_url();
        let restored = ok(&koho(env, &other, &["db", "restore", &backup]));
        assert!(
            restored.contains("みどり市") && restored.contains("異常なし"),
            "{restored}"
        );
        let before = json(&koho(env, &url, &["account", "list", "--format", "json"]));
        let after = json(&koho(env, &other, &["account", "list", "--format", "json"]));
        assert_eq!(before, after);
        assert!(
            ok(&koho(env, &other, &["audit", "verify", "--all"])).contains("改ざんされていません")
        );

        // Tampering is found and located.
        env.exec(
            &other,
            "UPDATE audit_log SET action = 'account.approve' WHERE seq = 5",
        );
        let o = koho(env, &other, &["audit", "verify"]);
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        assert!(
            stdout(&o).contains("第5件の内容が書き換えられています"),
            "{}",
            stdout(&o)
        );
        let v = koho(env, &other, &["audit", "verify", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
        assert_eq!(v[0]["intact"], false);
        assert_eq!(v[0]["broken_at_seq"], 5);
    });
}

#[test]
fn register_lookup_answers_and_warns_about_lookalikes() {
    each_engine(|env| {
        let url = env.fresh_url();
        ok(&koho(env, &url, &["demo"]));
        let a = ok(&koho(
            env,
            &url,
            &["register", "lookup", "https://x.com/midori_city"],
        ));
        assert!(a.contains("公式アカウントです"), "{a}");
        let a = ok(&koho(env, &url, &["register", "lookup", "@midori_clty"]));
        assert!(
            a.contains("公式アカウントではありません")
                && a.contains("@midori_city")
                && a.contains("なりすまし"),
            "{a}"
        );
        let j = json(&koho(
            env,
            &url,
            &[
                "register",
                "lookup",
                "https://x.com/midori_kosodate",
                "--format",
                "json",
            ],
        ));
        assert_eq!(j["verdict"], "suspended");
        assert!(
            j["message"].as_str().unwrap().contains("@midori_city"),
            "{j}"
        );
        let j = json(&koho(
            env,
            &url,
            &["register", "lookup", "@midori_kankyo", "--format", "json"],
        ));
        assert_eq!(j["verdict"], "closed");
    });
}

#[test]
fn an_empty_database_says_how_to_start() {
    each_engine(|env| {
        let url = env.fresh_url();
        let o = koho(env, &url, &["account", "list"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("koho demo"), "{}", stderr(&o));
    });
}

#[test]
fn the_default_database_lives_in_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("koho");
    let o = koho_in(&data, None, &[], &["demo"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(data.join("koho.db").exists());
    let cfg = koho_in(&data, None, &[], &["config", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&cfg.stdout).unwrap();
    let db = v
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["env"] == "DATABASE_URL")
        .unwrap();
    assert_eq!(db["source"], "default");
    assert!(
        db["value"]
            .as_str()
            .unwrap()
            .ends_with("nested/koho/koho.db"),
        "{db}"
    );
}

#[test]
fn bad_configuration_is_refused_at_start_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value, needle) in [
        (
            "DATABASE_URL",
            "mysql://root@localhost/koho",
            "「mysql」は使えない",
        ),
        ("DATABASE_URL", "koho.db", "URL として解釈できません"),
        ("DATABASE_URL", "postgres://db:notaport/koho", "ポート番号"),
        ("KOHO_MUNICIPALITY", "Midori City", "自治体 ID"),
        // Platforms fetch images only over https.
        ("KOHO_PUBLIC_URL", "http://koho.example.jp", "https://"),
    ] {
        for args in [&["account", "list"][..], &["config"][..], &["demo"][..]] {
            let o = koho_in(dir.path(), None, &[(key, value)], args);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{key}={value} {args:?}: {}",
                stdout(&o)
            );
            let err = stderr(&o);
            assert!(err.contains(key) && err.contains(needle), "{err}");
            assert!(err.starts_with("エラー[CONFIG_INVALID]"), "{err}");
        }
    }
    // Secrets never reach the screen.
    let o = koho_in(
        dir.path(),
        None,
        &[(
            "DATABASE_URL",
            "postgres://koho:s3cret@db.example:5432/koho",
        )],
        &["config"],
    );
    let out = ok(&o);
    assert!(
        out.contains("postgres://koho:****@db.example:5432/koho") && !out.contains("s3cret"),
        "{out}"
    );
    assert!(out.contains("KOHO_MUNICIPALITY = midori"), "{out}");
}

//! Sign-in end to end on a real database (SQLite; PostgreSQL too with DATABASE_URL):
//! password + TOTP, replay, lockout, sessions (idle, absolute, sign-out, revoke-all),
//! API tokens (scope, revocation, lost role), and every event in an intact audit chain.
// Test code: helpers outside #[test] functions may unwrap and panic too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use common::*;
use koho_store::{Actor, Role};
use koho_workflow::Workflow;
use koho_workflow::auth::{AuthError, AuthSettings, Password, SignInRequest, demo_totp_secret};
use koho_workflow::totp::{STEP_MS, TotpSecret, format_code};

const T0: i64 = 1_800_000_000_000;

fn req<'a>(email: &'a str, password: &'a str, code: &'a str) -> SignInRequest<'a> {
    SignInRequest {
        email,
        password,
        code,
        user_agent: Some("Mozilla/5.0 (Windows NT 10.0) Chrome/120 Safari/537"),
    }
}

async fn actions(wf: &Workflow) -> Vec<String> {
    let mut r = wf.store().read(wf.tenant()).await.unwrap();
    r.audit()
        .list(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sessions_lockout_and_tokens() {
    each_engine(|env| async move {
        let store = env.open().await;
        let wf = Workflow::create(&store, "komae", komae_like())
            .await
            .unwrap();
        wf.add_department("秘書広報課", &Actor::System)
            .await
            .unwrap();
        let chief = person(
            &wf,
            "鈴木 一子",
            "suzuki@city.komae.lg.jp",
            Some("秘書広報課"),
            &[Role::SectionChief, Role::Staff],
        )
        .await;
        let s = AuthSettings::default();
        let pw = Password::parse("長い合言葉 correct horse").unwrap();
        wf.set_password(&chief.id, &pw, &Actor::Cli, T0)
            .await
            .unwrap();
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let enrolled = wf
            .store_totp(&chief.id, &secret, "koho 狛江市", &Actor::Cli, T0)
            .await
            .unwrap();
        assert!(enrolled.uri.starts_with("otpauth://totp/koho%20"));
        let email = "Suzuki@City.Komae.lg.jp"; // addresses compare case-insensitively
        let code = |t: i64| format_code(secret.code_at(t));

        // --- success, then the same code again is a replay
        let t = T0 + 60_000;
        let signed = wf
            .sign_in(&req(email, pw.expose(), &code(t)), &s, t)
            .await
            .unwrap();
        assert_eq!(signed.person.id, chief.id);
        assert!(signed.token.expose().starts_with("komae."));
        assert_eq!(
            signed.session.user_agent.as_deref(),
            Some("Chrome / Windows")
        );
        let replay = wf
            .sign_in(&req(email, pw.expose(), &code(t)), &s, t + 1_000)
            .await;
        assert!(
            matches!(replay, Err(AuthError::SignInRefused)),
            "{replay:?}"
        );
        // The next step's code is fine.
        let t2 = t + STEP_MS;
        wf.sign_in(&req(email, pw.expose(), &code(t2)), &s, t2)
            .await
            .unwrap();

        // --- the session: live, sliding idle expiry, absolute end, sign-out
        let token = signed.token.expose().to_owned();
        let live = wf.session(&token, &s, t + 1_000).await.unwrap();
        assert_eq!(live.person.id, chief.id);
        let later = t + s.session_idle_ms - 1;
        wf.session(&token, &s, later).await.unwrap(); // touched: idle expiry moves on
        wf.session(&token, &s, later + s.session_idle_ms - 1)
            .await
            .unwrap();
        assert!(matches!(
            wf.session(&token, &s, later + 2 * s.session_idle_ms).await,
            Err(AuthError::SessionInvalid)
        ));
        // Kept busy, a session still ends at its absolute expiry.
        let t3 = t2 + STEP_MS;
        let busy = wf
            .sign_in(&req(email, pw.expose(), &code(t3)), &s, t3)
            .await
            .unwrap();
        let mut at = t3;
        while at < t3 + s.session_absolute_ms - s.session_idle_ms {
            at += s.session_idle_ms / 2;
            wf.session(busy.token.expose(), &s, at).await.unwrap();
        }
        assert!(matches!(
            wf.session(busy.token.expose(), &s, t3 + s.session_absolute_ms)
                .await,
            Err(AuthError::SessionInvalid)
        ));
        // A forged or foreign cookie is simply invalid.
        for bad in [
            "",
            "komae.x",
            &token.replace("komae.", "mine."),
            &format!("{token}x"),
        ] {
            assert!(
                matches!(wf.session(bad, &s, t).await, Err(AuthError::SessionInvalid)),
                "{bad}"
            );
        }
        let t4 = t3 + STEP_MS;
        let out = wf
            .sign_in(&req(email, pw.expose(), &code(t4)), &s, t4)
            .await
            .unwrap();
        wf.sign_out(out.token.expose(), t4 + 1).await.unwrap();
        assert!(wf.session(out.token.expose(), &s, t4 + 2).await.is_err());
        wf.sign_out(out.token.expose(), t4 + 3).await.unwrap(); // twice is harmless

        // --- revoke-all ends every session of the person
        let t5 = t4 + STEP_MS;
        let one = wf
            .sign_in(&req(email, pw.expose(), &code(t5)), &s, t5)
            .await
            .unwrap();
        // Every session not yet ended by sign-out or revocation: t, t2, t3 (expired by time
        // but never revoked) and t5.
        assert_eq!(
            wf.revoke_all_sessions(&chief.id, &Actor::Cli, t5 + 1)
                .await
                .unwrap(),
            4
        );
        assert!(wf.session(one.token.expose(), &s, t5 + 2).await.is_err());

        // --- unknown address, wrong password, wrong code: one answer
        let t6 = t5 + STEP_MS;
        for (e, p, c) in [
            ("nobody@city.komae.lg.jp", pw.expose(), code(t6)),
            (email, "wrong password!!", code(t6)),
            (email, pw.expose(), "000000".to_owned()),
        ] {
            let r = wf.sign_in(&req(e, p, &c), &s, t6).await;
            assert!(matches!(r, Err(AuthError::SignInRefused)), "{e}: {r:?}");
        }

        // --- lockout after max_failures in a row (two already counted above), audited
        for _ in 0..(s.max_failures - 2) {
            let r = wf
                .sign_in(&req(email, "wrong password!!", &code(t6)), &s, t6)
                .await;
            assert!(r.is_err());
        }
        let st = wf.login_state(&chief.id).await.unwrap();
        assert_eq!(st.locked_until, Some(t6 + s.lockout_ms));
        // Even the right password and code are refused while locked.
        let t7 = t6 + STEP_MS;
        assert!(
            wf.sign_in(&req(email, pw.expose(), &code(t7)), &s, t7)
                .await
                .is_err()
        );
        // After the lockout period, sign-in works again.
        let t8 = t6 + s.lockout_ms + STEP_MS;
        wf.sign_in(&req(email, pw.expose(), &code(t8)), &s, t8)
            .await
            .unwrap();

        // --- a new password ends existing sessions
        let t9 = t8 + STEP_MS;
        let before_change = wf
            .sign_in(&req(email, pw.expose(), &code(t9)), &s, t9)
            .await
            .unwrap();
        let pw2 = Password::parse("another long passphrase").unwrap();
        wf.set_password(&chief.id, &pw2, &Actor::Cli, t9 + 1)
            .await
            .unwrap();
        assert!(
            wf.session(before_change.token.expose(), &s, t9 + 2)
                .await
                .is_err()
        );

        // --- API tokens: scoped to a held role, revocable, die with the role
        let refused = wf
            .issue_token(
                "cms",
                &chief.id,
                Role::Auditor,
                t9 + DAY,
                &s,
                &Actor::Cli,
                t9,
            )
            .await;
        assert!(
            matches!(refused, Err(AuthError::RoleNotHeld { .. })),
            "{refused:?}"
        );
        let too_long = wf
            .issue_token(
                "cms",
                &chief.id,
                Role::Staff,
                t9 + 400 * DAY,
                &s,
                &Actor::Cli,
                t9,
            )
            .await;
        assert!(matches!(too_long, Err(AuthError::TokenLifetime { .. })));
        let issued = wf
            .issue_token("cms", &chief.id, Role::Staff, t9 + DAY, &s, &Actor::Cli, t9)
            .await
            .unwrap();
        let tok = issued.token.expose().to_owned();
        assert!(tok.starts_with("koho_komae."));
        let holder = wf.verify_token(&tok, &s, t9 + 1).await.unwrap();
        assert_eq!(holder.token.role, Role::Staff);
        assert!(matches!(
            wf.verify_token(&tok, &s, t9 + DAY).await,
            Err(AuthError::TokenInvalid)
        ));
        // A session cookie is not a token, nor the other way round.
        assert!(
            wf.verify_token(&tok.replacen("koho_", "", 1), &s, t9)
                .await
                .is_err()
        );
        assert!(wf.session(&tok, &s, t9).await.is_err());
        let dup = wf
            .issue_token("cms", &chief.id, Role::Staff, t9 + DAY, &s, &Actor::Cli, t9)
            .await;
        assert_eq!(dup.unwrap_err().code(), "STORE_CONFLICT");
        // The person loses the role: the token stops working.
        let mut p = wf.person_by_email(email).await.unwrap();
        p.roles.retain(|r| *r != Role::Staff);
        let mut tx = store.begin(wf.tenant()).await.unwrap();
        tx.people().update(&p).await.unwrap();
        tx.commit().await.unwrap();
        assert!(wf.verify_token(&tok, &s, t9 + 2).await.is_err());
        let second = wf
            .issue_token(
                "cms-2",
                &chief.id,
                Role::SectionChief,
                t9 + DAY,
                &s,
                &Actor::Cli,
                t9,
            )
            .await
            .unwrap();
        wf.verify_token(second.token.expose(), &s, t9 + 1)
            .await
            .unwrap();
        assert!(wf.revoke_token("cms-2", &Actor::Cli, t9 + 2).await.unwrap());
        assert!(
            !wf.revoke_token(second.record.id.as_str(), &Actor::Cli, t9 + 3)
                .await
                .unwrap()
        );
        assert!(
            wf.verify_token(second.token.expose(), &s, t9 + 4)
                .await
                .is_err()
        );
        assert_eq!(
            wf.revoke_token("nope", &Actor::Cli, t9)
                .await
                .unwrap_err()
                .code(),
            "WF_NOT_FOUND"
        );

        // --- preferences
        assert_eq!(wf.ui_lang(&chief.id).await.unwrap(), None);
        wf.set_ui_lang(&chief.id, Some("en"), t9).await.unwrap();
        let t10 = t9 + STEP_MS;
        let with_lang = wf
            .sign_in(&req(email, pw2.expose(), &code(t10)), &s, t10)
            .await
            .unwrap();
        assert_eq!(with_lang.ui_lang.as_deref(), Some("en"));
        assert_eq!(
            wf.set_ui_lang(&chief.id, Some("fr"), t9)
                .await
                .unwrap_err()
                .code(),
            "STORE_INVALID"
        );

        // --- everything is in the audit chain, which verifies; no secret is in it
        let acts = actions(&wf).await;
        for a in [
            "person.password.set",
            "person.totp.enroll",
            "auth.sign_in",
            "auth.sign_in.failure",
            "auth.lockout",
            "auth.sign_out",
            "auth.session.revoke_all",
            "auth.token.issue",
            "auth.token.revoke",
            "person.preferences.set",
        ] {
            assert!(acts.iter().any(|x| x == a), "no {a} in {acts:?}");
        }
        assert_eq!(acts.iter().filter(|a| *a == "auth.lockout").count(), 1);
        let mut r = store.read(wf.tenant()).await.unwrap();
        let all = format!("{:?}", r.audit().list(0, 100_000).await.unwrap());
        drop(r);
        for secret_text in [pw.expose(), pw2.expose(), &tok, &secret.to_base32(), &token] {
            assert!(!all.contains(secret_text), "a secret is in the audit log");
        }
        assert!(wf.verify_audit().await.unwrap().is_intact());
    })
    .await;
}

const DAY: i64 = 86_400_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_credentials_only_for_the_demo() {
    each_engine(|env| async move {
        let store = env.open().await;
        let midori = koho_guideline::Guideline::preset("midori")
            .unwrap()
            .unwrap();
        koho_workflow::demo::fill(&store, "midori", midori.clone())
            .await
            .unwrap();
        let demo = Workflow::open(&store, "midori", midori).await.unwrap();
        let logins = demo.install_demo_credentials().await.unwrap();
        assert!(logins.len() >= 10);
        let chief = logins
            .iter()
            .find(|l| l.roles.contains(&Role::PrOfficeChief))
            .unwrap();
        let secret = demo_totp_secret(&chief.email).unwrap();
        assert_eq!(secret.to_base32(), chief.totp_secret);
        let s = AuthSettings::default();
        let t = T0;
        demo.sign_in(
            &req(
                &chief.email,
                chief.password,
                &format_code(secret.code_at(t)),
            ),
            &s,
            t,
        )
        .await
        .unwrap();

        let other = Workflow::create(&store, "komae", komae_like())
            .await
            .unwrap();
        assert_eq!(
            other.install_demo_credentials().await.unwrap_err().code(),
            "WF_INVALID"
        );
    })
    .await;
}

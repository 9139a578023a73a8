//! `koho person …`, `koho session …`, `koho token …`: sign-in credentials, sessions and API
//! tokens of the configured municipality (KOHO_MUNICIPALITY). Every change is audited with
//! the operator (`cli`) as actor.
//!
//! Secrets: a password is read from standard input (with echo off on a terminal) and never
//! printed or logged; a TOTP secret and an API token are printed once, at creation, and are
//! not recoverable afterwards (only their hashes, or for TOTP the secret itself, are stored).

use std::io::{BufRead, IsTerminal, Read, Write};

use clap::Subcommand;
use koho_store::{Actor, Role};
use koho_workflow::Workflow;
use koho_workflow::auth::{AuthError, AuthSettings, Password};
use koho_workflow::time::{DAY_MS, iso_minute};

use crate::account_cmd::Format;
use crate::config::Config;
use crate::db_cmd::{block_on, now_ms, open_store, open_workflow, wf_err};
use crate::error::{CliError, CliResult};
use crate::out;

#[derive(Subcommand)]
pub enum PersonCmd {
    /// パスワードを設定する（標準入力から読み、表示しない）。その人のセッションはすべて終了する
    SetPassword {
        /// 職員のメールアドレス
        email: String,
    },
    /// 認証アプリ（TOTP）を登録する。otpauth:// URI を一度だけ表示する
    EnrollTotp {
        /// 職員のメールアドレス
        email: String,
    },
    /// サインインのロックを解除する
    Unlock {
        /// 職員のメールアドレス
        email: String,
    },
}

#[derive(Subcommand)]
pub enum SessionCmd {
    /// 有効なセッションの一覧
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// セッションを失効させる（ID、または --person で その人のすべて）
    Revoke {
        /// セッション ID
        #[arg(required_unless_present = "person")]
        id: Option<String>,
        /// この職員（メールアドレス）のセッションをすべて失効させる
        #[arg(long, conflicts_with = "id")]
        person: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TokenCmd {
    /// API トークンを発行する（トークンは一度だけ表示する）
    Issue {
        /// トークンの名前（英小文字・数字・- _ .）
        name: String,
        /// トークンが代理する職員のメールアドレス
        #[arg(long)]
        person: String,
        /// トークンに許す役割（その職員が持つもの 1 つ）: staff, section-chief, auditor …
        #[arg(long)]
        role: String,
        /// 有効日数（1〜366）
        #[arg(long, default_value_t = 90)]
        days: u32,
    },
    /// API トークンを失効させる
    Revoke {
        /// トークンの名前または ID
        name: String,
    },
    /// API トークンの一覧（トークンそのものは表示しない）
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

pub fn auth_err(e: &AuthError) -> CliError {
    match e {
        AuthError::Workflow(w) => wf_err(w),
        other if other.is_refusal() => CliError::input(other.code(), other.ja(), other.to_string()),
        other => crate::db_cmd::system(other.code(), other.ja(), other.to_string()),
    }
}

async fn with_workflow<T>(f: impl AsyncFnOnce(&Workflow) -> CliResult<T>) -> CliResult<T> {
    let cfg = Config::load()?;
    let store = open_store(&cfg).await?;
    let result = match open_workflow(&cfg, &store).await {
        Ok(wf) => f(&wf).await,
        Err(e) => Err(e),
    };
    store.close().await;
    result
}

/// Reads the new password: with echo off from a terminal (asked twice), else the first
/// line of standard input.
fn read_password() -> CliResult<String> {
    let io_err = |e: std::io::Error| CliError::io("<stdin>", &e);
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("新しいパスワード: ").map_err(io_err)?;
        let second = rpassword::prompt_password("もう一度: ").map_err(io_err)?;
        if first != second {
            return Err(CliError::input(
                "CLI_PASSWORD_MISMATCH",
                "2回入力したパスワードが一致しません",
                "the two passwords differ",
            ));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        // One line, at most 4 KiB: a password, not a file.
        std::io::stdin()
            .lock()
            .take(4096)
            .read_line(&mut line)
            .map_err(io_err)?;
        Ok(line)
    }
}

pub fn person(cmd: PersonCmd) -> CliResult<u8> {
    match cmd {
        PersonCmd::SetPassword { email } => {
            let raw = read_password()?;
            let password = Password::parse(&raw).map_err(|e| auth_err(&e))?;
            drop(raw);
            block_on(with_workflow(async |wf: &Workflow| {
                let p = wf.person_by_email(&email).await.map_err(|e| wf_err(&e))?;
                wf.set_password(&p.id, &password, &Actor::Cli, now_ms())
                    .await
                    .map_err(|e| auth_err(&e))?;
                out(&format!(
                    "{} さんのパスワードを設定しました。その人のセッションはすべて終了しました。\n",
                    p.display_name
                ))?;
                Ok(0)
            }))?
        }
        PersonCmd::EnrollTotp { email } => block_on(with_workflow(async |wf: &Workflow| {
            let p = wf.person_by_email(&email).await.map_err(|e| wf_err(&e))?;
            let issuer = format!("koho {}", wf.municipality().name);
            let e = wf
                .enroll_totp(&p.id, &issuer, &Actor::Cli, now_ms())
                .await
                .map_err(|e| auth_err(&e))?;
            out(&format!(
                "{} さんの認証アプリを登録しました。次の URI（または秘密鍵）を本人の認証アプリに登録してください。\nこの表示は一度きりです。画面の記録やログに残さないでください。\n\n{}\n\n秘密鍵: {}\n",
                p.display_name,
                e.uri,
                e.secret.to_base32()
            ))?;
            Ok(0)
        }))?,
        PersonCmd::Unlock { email } => block_on(with_workflow(async |wf: &Workflow| {
            let p = wf.person_by_email(&email).await.map_err(|e| wf_err(&e))?;
            wf.unlock(&p.id, &Actor::Cli)
                .await
                .map_err(|e| auth_err(&e))?;
            out(&format!(
                "{} さんのロックを解除しました。\n",
                p.display_name
            ))?;
            Ok(0)
        }))?,
    }
}

pub fn session(cmd: SessionCmd) -> CliResult<u8> {
    block_on(with_workflow(async |wf: &Workflow| match cmd {
        SessionCmd::List { format } => {
            let now = now_ms();
            let list = wf.live_sessions(now).await.map_err(|e| auth_err(&e))?;
            let people = wf.people().await.map_err(|e| wf_err(&e))?;
            let name = |id: &koho_store::PersonId| {
                people
                    .iter()
                    .find(|p| &p.id == id)
                    .map_or_else(|| id.to_string(), |p| p.email.clone())
            };
            match format {
                Format::Json => out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                ))?,
                Format::Text => {
                    if list.is_empty() {
                        out("有効なセッションはありません。\n")?;
                    }
                    for s in &list {
                        out(&format!(
                            "{}  {}  開始 {}  最終 {}  {}\n",
                            s.id,
                            name(&s.person_id),
                            iso_minute(s.created_at),
                            iso_minute(s.last_seen_at),
                            s.user_agent.as_deref().unwrap_or("-")
                        ))?;
                    }
                }
            }
            Ok(0)
        }
        SessionCmd::Revoke { id, person } => {
            let now = now_ms();
            if let Some(email) = person {
                let p = wf.person_by_email(&email).await.map_err(|e| wf_err(&e))?;
                let n = wf
                    .revoke_all_sessions(&p.id, &Actor::Cli, now)
                    .await
                    .map_err(|e| auth_err(&e))?;
                out(&format!(
                    "{} さんのセッション {n} 件を失効させました。\n",
                    p.display_name
                ))?;
            } else if let Some(id) = id {
                let done = wf
                    .revoke_session(&koho_store::SessionId::from(id.as_str()), &Actor::Cli, now)
                    .await
                    .map_err(|e| auth_err(&e))?;
                out(if done {
                    "セッションを失効させました。\n"
                } else {
                    "このセッションは既に終了しています。\n"
                })?;
            }
            Ok(0)
        }
    }))?
}

pub fn token(cmd: TokenCmd) -> CliResult<u8> {
    block_on(with_workflow(async |wf: &Workflow| match cmd {
        TokenCmd::Issue {
            name,
            person,
            role,
            days,
        } => {
            let role: Role = role.parse().map_err(|_| {
                let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                CliError::input(
                    "CLI_UNKNOWN_ROLE",
                    format!(
                        "役割「{role}」はありません（使えるもの: {}）",
                        all.join(", ")
                    ),
                    format!("unknown role `{role}`"),
                )
            })?;
            let p = wf.person_by_email(&person).await.map_err(|e| wf_err(&e))?;
            let now = now_ms();
            let issued = wf
                .issue_token(
                    &name,
                    &p.id,
                    role,
                    now + i64::from(days) * DAY_MS,
                    &AuthSettings::default(),
                    &Actor::Cli,
                    now,
                )
                .await
                .map_err(|e| auth_err(&e))?;
            let mut o = std::io::stdout().lock();
            // The token alone on stdout, so it can be piped into a secret store; the notice
            // goes to stderr.
            writeln!(o, "{}", issued.token.expose()).map_err(|e| CliError::io("<stdout>", &e))?;
            let _ = writeln!(
                std::io::stderr().lock(),
                "API トークン「{}」を発行しました（{} さん、役割 {}、期限 {}）。トークンは今だけ表示されます。",
                issued.record.name,
                p.display_name,
                role,
                iso_minute(issued.record.expires_at)
            );
            Ok(0)
        }
        TokenCmd::Revoke { name } => {
            let done = wf
                .revoke_token(&name, &Actor::Cli, now_ms())
                .await
                .map_err(|e| auth_err(&e))?;
            out(if done {
                "API トークンを失効させました。\n"
            } else {
                "この API トークンは既に失効しています。\n"
            })?;
            Ok(0)
        }
        TokenCmd::List { format } => {
            let list = wf.api_tokens().await.map_err(|e| auth_err(&e))?;
            match format {
                Format::Json => out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                ))?,
                Format::Text => {
                    if list.is_empty() {
                        out("API トークンはありません。\n")?;
                    }
                    let now = now_ms();
                    for t in &list {
                        let state = if t.revoked_at.is_some() {
                            "失効"
                        } else if !t.is_live(now) {
                            "期限切れ"
                        } else {
                            "有効"
                        };
                        out(&format!(
                            "{}  {}  役割 {}  期限 {}  {}\n",
                            t.name,
                            t.id,
                            t.role,
                            iso_minute(t.expires_at),
                            state
                        ))?;
                    }
                }
            }
            Ok(0)
        }
    }))?
}

/// Prints the demo's sign-in data with a clear warning (demo data only).
pub fn print_demo_logins(logins: &[koho_workflow::auth::DemoLogin]) -> CliResult<()> {
    let mut text = String::from(
        "\n*** デモ専用のサインイン情報（DEMO ONLY — 実在の職員・実データには絶対に使わないこと） ***\n\
         確認コードは、TOTP の秘密鍵を認証アプリに登録すると表示されます。\n",
    );
    for l in logins {
        let roles: Vec<&str> = l.roles.iter().map(|r| r.as_str()).collect();
        text.push_str(&format!(
            "  {} <{}> [{}]  パスワード: {}  TOTP: {}\n",
            l.name,
            l.email,
            roles.join(", "),
            l.password,
            l.totp_secret
        ));
    }
    text.push('\n');
    out(&text)
}

//! The `koho` command. A thin shell: every decision is made by the library crates.

mod account_cmd;
mod admin_cmd;
mod audit_cmd;
mod auth_cmd;
mod check_cmd;
mod config;
mod db_cmd;
mod demo_cmd;
mod error;
mod eval_cmd;
mod form_cmd;
mod guideline_cmd;
mod load;
mod media_cmd;
mod post_cmd;
mod publisher_cmd;
mod register_cmd;
mod render;
mod serve_cmd;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliResult;

#[derive(Parser)]
#[command(
    name = "koho",
    version,
    about = "自治体の公式SNSアカウントを、その自治体のガイドラインどおりに運用するためのツール"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// ガイドライン（プリセットまたは TOML ファイル）の検証と表示
    #[command(subcommand)]
    Guideline(guideline_cmd::GuidelineCmd),
    /// 投稿前チェック: 下書きがガイドラインのどの条項に触れるかを調べる
    Check(check_cmd::CheckArgs),
    /// チェック規則の一覧、または1つの規則の説明
    Rules(check_cmd::RulesArgs),
    /// ラベル付きコーパスでチェッカーの精度を測る
    Eval(eval_cmd::EvalArgs),
    /// 画像の位置情報などのメタデータ
    #[command(subcommand)]
    Media(media_cmd::MediaCmd),
    /// 公式アカウント台帳: 開設申請・承認・運用停止・廃止など
    #[command(subcommand)]
    Account(account_cmd::AccountCmd),
    /// 投稿: 下書き・事前チェック・承認・公開予定・訂正・公開アーカイブ
    #[command(subcommand)]
    Post(post_cmd::PostCmd),
    /// 自治体の登録と一覧（採用するガイドラインを指定する）
    #[command(subcommand)]
    Municipality(admin_cmd::MunicipalityCmd),
    /// 所属（課など）の登録と一覧
    #[command(subcommand)]
    Department(admin_cmd::DepartmentCmd),
    /// 公開用の台帳と「このアカウントは公式か」の確認
    #[command(subcommand)]
    Register(register_cmd::RegisterCmd),
    /// 監査ログの検証と表示
    #[command(subcommand)]
    Audit(audit_cmd::AuditCmd),
    /// データベースのバックアップと復元
    #[command(subcommand)]
    Db(db_cmd::DbCmd),
    /// 空のデータベースにデモの自治体（架空の みどり市）を作る
    Demo(demo_cmd::DemoArgs),
    /// ウェブ画面と API を起動する（投稿前チェックの編集画面など）
    Serve(serve_cmd::ServeArgs),
    /// 職員のサインイン情報: パスワード、認証アプリ（TOTP）、ロック解除
    #[command(subcommand)]
    Person(PersonCmd),
    /// サインイン中のセッションの一覧と失効
    #[command(subcommand)]
    Session(auth_cmd::SessionCmd),
    /// API トークンの発行・失効・一覧
    #[command(subcommand)]
    Token(auth_cmd::TokenCmd),
    /// 承認済みの投稿の送信（発信プロセス、送信キューの状態、認証情報の暗号鍵）
    #[command(subcommand)]
    Publisher(publisher_cmd::PublisherCmd),
    /// 有効な設定を表示する（秘密情報は伏せ字）
    Config {
        #[arg(long, value_enum, default_value = "text")]
        format: account_cmd::Format,
    },
}

/// `koho person`: registering people (admin_cmd) and their sign-in secrets (auth_cmd),
/// one command for the administrator.
#[derive(Subcommand)]
enum PersonCmd {
    #[command(flatten)]
    Register(admin_cmd::PersonCmd),
    #[command(flatten)]
    SignIn(auth_cmd::PersonCmd),
}

fn run(cli: Cli) -> CliResult<u8> {
    match cli.command {
        Command::Guideline(c) => guideline_cmd::run(c),
        Command::Check(a) => check_cmd::check(&a),
        Command::Rules(a) => check_cmd::rules(&a),
        Command::Eval(a) => eval_cmd::run(&a),
        Command::Media(c) => media_cmd::run(c),
        Command::Account(c) => account_cmd::run(c),
        Command::Post(c) => post_cmd::run(c),
        Command::Register(c) => register_cmd::run(c),
        Command::Municipality(c) => admin_cmd::run_municipality(c),
        Command::Department(c) => admin_cmd::run_department(c),
        Command::Audit(c) => audit_cmd::run(c),
        Command::Db(c) => db_cmd::run(c),
        Command::Demo(a) => demo_cmd::run(&a),
        Command::Serve(a) => serve_cmd::run(&a),
        Command::Person(PersonCmd::Register(c)) => admin_cmd::run_person(c),
        Command::Person(PersonCmd::SignIn(c)) => auth_cmd::person(c),
        Command::Session(c) => auth_cmd::session(c),
        Command::Token(c) => auth_cmd::token(c),
        Command::Publisher(c) => publisher_cmd::run(&c),
        Command::Config { format } => config::show(matches!(format, account_cmd::Format::Json)),
    }
}

/// Writes to standard output; a closed pipe (`koho … | head`) is not an error.
pub(crate) fn out(s: &str) -> CliResult<()> {
    let mut o = std::io::stdout().lock();
    match o.write_all(s.as_bytes()).and_then(|()| o.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(error::CliError::io("<stdout>", &e)),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let _ = writeln!(std::io::stderr().lock(), "エラー[{}]: {}", e.code, e.ja);
            if std::env::var_os("KOHO_LOG_EN").is_some() {
                let _ = writeln!(std::io::stderr().lock(), "error[{}]: {}", e.code, e.en);
            }
            ExitCode::from(e.exit)
        }
    }
}

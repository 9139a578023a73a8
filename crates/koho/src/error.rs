//! CLI errors: Japanese for the person at the terminal, a stable code for logs and
//! scripts, and the exit status the contract promises (2 = usage or input error).

use std::fmt;

#[derive(Debug)]
pub struct CliError {
    pub code: &'static str,
    /// What the user reads.
    pub ja: String,
    /// What logs read.
    pub en: String,
    pub exit: u8,
}

impl CliError {
    pub fn input(code: &'static str, ja: impl Into<String>, en: impl Into<String>) -> Self {
        CliError {
            code,
            ja: ja.into(),
            en: en.into(),
            exit: 2,
        }
    }

    pub fn io(path: &str, e: &std::io::Error) -> Self {
        let ja = match e.kind() {
            std::io::ErrorKind::NotFound => format!("ファイル「{path}」が見つかりません"),
            std::io::ErrorKind::PermissionDenied => {
                format!("ファイル「{path}」を読み書きする権限がありません")
            }
            std::io::ErrorKind::InvalidData => {
                format!("ファイル「{path}」は UTF-8 のテキストではありません")
            }
            _ => format!("ファイル「{path}」を読み書きできません（{e}）"),
        };
        CliError::input("CLI_IO", ja, format!("{path}: {e}"))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.en, self.code)
    }
}

impl std::error::Error for CliError {}

pub type CliResult<T> = Result<T, CliError>;

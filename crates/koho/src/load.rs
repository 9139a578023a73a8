//! Finding a guideline by preset id or file path, and reading inputs.

use std::io::Read;

use koho_check::Checker;
use koho_guideline::{EXAMPLES, Guideline, PRESETS};

use crate::error::{CliError, CliResult};

/// The guideline used when none is named: `KOHO_GUIDELINE`, else the demo municipality.
pub fn default_guideline() -> String {
    std::env::var("KOHO_GUIDELINE").unwrap_or_else(|_| "midori".to_owned())
}

fn builtin_ids() -> String {
    PRESETS
        .iter()
        .chain(EXAMPLES)
        .map(|(id, _)| *id)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the source of a guideline named by id or path: `(origin, source)`.
pub fn guideline_source(spec: &str) -> CliResult<(String, String)> {
    if let Some(src) = koho_guideline::preset_source(spec) {
        return Ok((format!("preset:{spec}"), src.to_owned()));
    }
    let looks_like_path =
        spec.contains('/') || spec.contains('.') || std::path::Path::new(spec).exists();
    if !looks_like_path {
        return Err(CliError::input(
            "CLI_UNKNOWN_GUIDELINE",
            format!(
                "ガイドライン「{spec}」はありません。組み込み: {}、またはファイルのパスを指定してください",
                builtin_ids()
            ),
            format!("unknown guideline `{spec}` (built-in: {})", builtin_ids()),
        ));
    }
    let src = read_text_file(spec)?;
    Ok((spec.to_owned(), src))
}

/// Parses and validates a guideline, or returns every problem as one error.
pub fn guideline(spec: &str) -> CliResult<Guideline> {
    let (origin, src) = guideline_source(spec)?;
    Guideline::parse(&origin, &src).map_err(|e| {
        CliError::input(
            "CLI_INVALID_GUIDELINE",
            format!(
                "ガイドライン「{origin}」に誤りがあります:\n{}",
                e.render_ja().trim_end()
            ),
            e.render_en(),
        )
    })
}

/// A checker for a guideline; invalid rule overrides are reported like other problems.
pub fn checker(spec: &str) -> CliResult<(Guideline, Checker)> {
    let g = guideline(spec)?;
    let c = Checker::new(&g).map_err(|errs| {
        let list: Vec<String> = errs.iter().map(|e| e.ja()).collect();
        CliError::input(
            "CLI_INVALID_GUIDELINE",
            format!(
                "ガイドライン「{spec}」に誤りがあります:\n{}",
                list.join("\n")
            ),
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    Ok((g, c))
}

pub fn read_text_file(path: &str) -> CliResult<String> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| {
        CliError::input(
            "CLI_NOT_UTF8",
            format!(
                "「{path}」は UTF-8 のテキストではありません（{}バイト目）",
                e.utf8_error().valid_up_to() + 1
            ),
            format!(
                "{path}: invalid UTF-8 at byte {}",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Reads a file, or standard input for `-`, refusing anything larger than `limit`.
pub fn read_bytes_limited(path: &str, limit: usize) -> CliResult<Vec<u8>> {
    let mut buf = Vec::new();
    let taken = if path == "-" {
        std::io::stdin()
            .lock()
            .take(limit as u64 + 1)
            .read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit as u64 + 1).read_to_end(&mut buf))
    };
    taken.map_err(|e| CliError::io(path, &e))?;
    if buf.len() > limit {
        return Err(CliError::input(
            "INPUT_TOO_LARGE",
            format!("「{path}」が大きすぎます（上限 {limit} バイト）"),
            format!("{path}: larger than {limit} bytes"),
        ));
    }
    Ok(buf)
}

pub fn read_bytes(path: &str) -> CliResult<Vec<u8>> {
    read_bytes_limited(path, 64 * 1024 * 1024)
}

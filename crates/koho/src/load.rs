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

/// Whether `spec` names a built-in guideline (a preset or an example).
pub fn is_builtin(spec: &str) -> bool {
    koho_guideline::preset_source(spec).is_some()
}

/// Where a municipality's own guideline file is kept: `<data dir>/guidelines/<id>.toml`.
fn installed_path(data_dir: &str, id: &str) -> std::path::PathBuf {
    std::path::Path::new(data_dir)
        .join("guidelines")
        .join(format!("{id}.toml"))
}

/// An id that can name an installed guideline file (no path separators or dots).
fn plain_id(spec: &str) -> bool {
    !spec.is_empty()
        && spec
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Keeps a municipality's guideline file in the data directory under its id, so that
/// every later command — and `koho serve` — finds it by the id the municipality's record
/// names. Refuses an id of a built-in guideline, and a different file under an id that
/// is taken.
pub fn install_guideline(cfg: &crate::config::Config, spec: &str, g: &Guideline) -> CliResult<()> {
    if is_builtin(&g.id) || !plain_id(&g.id) {
        return Err(CliError::input(
            "CLI_GUIDELINE_ID",
            format!(
                "ガイドライン「{spec}」の id「{}」は使えません（組み込みのガイドラインと同じか、英小文字・数字・- _ 以外を含みます）。ファイルの id を変えてください",
                g.id
            ),
            format!("guideline id `{}` is built in or not a plain id", g.id),
        ));
    }
    let source = read_text_file(spec)?;
    let dest = installed_path(&cfg.data_dir, &g.id);
    match std::fs::read_to_string(&dest) {
        Ok(existing) if existing == source => return Ok(()),
        Ok(_) => {
            return Err(CliError::input(
                "CLI_GUIDELINE_EXISTS",
                format!(
                    "id「{}」のガイドラインは既に {} にあり、内容が違います。別の id にするか、既存のファイルを確かめてください",
                    g.id,
                    dest.display()
                ),
                format!(
                    "a different guideline `{}` is installed at {}",
                    g.id,
                    dest.display()
                ),
            ));
        }
        Err(_) => {}
    }
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| CliError::io(&dir.display().to_string(), &e))?;
    }
    std::fs::write(&dest, source).map_err(|e| CliError::io(&dest.display().to_string(), &e))
}

/// Reads the source of a guideline named by id or path: `(origin, source)`. An id that
/// is not built in is looked up among the installed guidelines (`koho municipality
/// create --guideline FILE`).
pub fn guideline_source(spec: &str) -> CliResult<(String, String)> {
    if let Some(src) = koho_guideline::preset_source(spec) {
        return Ok((format!("preset:{spec}"), src.to_owned()));
    }
    if plain_id(spec)
        && let Ok(cfg) = crate::config::Config::load()
    {
        let path = installed_path(&cfg.data_dir, spec);
        if path.is_file() {
            let origin = path.display().to_string();
            let src = read_text_file(&origin)?;
            return Ok((origin, src));
        }
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

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};

use clap::{Args, ValueEnum};
use koho_check::{
    Checker, ClauseRef, Diagnostic, ImageFacts, Input, MAX_INPUT_BYTES, PastPost, Platform, RULES,
    has_error, validate_text,
};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, CliResult};
use crate::{load, out, render};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

#[derive(Args)]
pub struct CheckArgs {
    /// ガイドライン（プリセット ID または TOML ファイル）。既定は環境変数 KOHO_GUIDELINE、なければ midori
    #[arg(long, short)]
    guideline: Option<String>,
    /// 投稿先サービス（文字数の上限に使う）
    #[arg(long, short, value_parser = parse_platform)]
    platform: Option<Platform>,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// 添付画像（位置情報と肖像権を確認する）
    #[arg(long = "image")]
    images: Vec<String>,
    /// アカウントの最近の投稿（JSON Lines: {"text": ..., "days_ago": N}）
    #[arg(long)]
    history: Option<String>,
    /// JSON Lines の投稿をまとめてチェックする（1行 {"id", "text", "guideline"?, "platform"?}）
    #[arg(long, conflicts_with_all = ["images", "history", "file"])]
    batch: Option<String>,
    /// 投稿本文のファイル。`-` または省略で標準入力
    file: Option<String>,
}

pub fn parse_platform(s: &str) -> Result<Platform, String> {
    Platform::from_id(s).ok_or_else(|| {
        let all: Vec<&str> = Platform::ALL.iter().map(|p| p.id()).collect();
        format!(
            "サービス「{s}」は使えません（使えるもの: {}）",
            all.join(", ")
        )
    })
}

pub fn check(a: &CheckArgs) -> CliResult<u8> {
    let spec = a.guideline.clone().unwrap_or_else(load::default_guideline);
    if let Some(batch) = &a.batch {
        return run_batch(batch, &spec, a.platform);
    }
    let (guideline, checker) = load::checker(&spec)?;
    let path = a.file.as_deref().unwrap_or("-");
    let bytes = load::read_bytes_limited(path, MAX_INPUT_BYTES)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        CliError::input(
            "INPUT_NOT_UTF8",
            format!(
                "投稿本文が UTF-8 ではありません（{}バイト目）",
                e.utf8_error().valid_up_to() + 1
            ),
            "post text is not valid UTF-8",
        )
    })?;
    validate_text(&text).map_err(|e| CliError::input(e.code(), e.ja(), e.to_string()))?;
    let images = a
        .images
        .iter()
        .map(|p| image_facts(p))
        .collect::<CliResult<Vec<_>>>()?;
    let history_src = match &a.history {
        Some(p) => load::read_text_file(p)?,
        None => String::new(),
    };
    let history = parse_history(&history_src, a.history.as_deref().unwrap_or(""))?;
    let past: Vec<PastPost<'_>> = history
        .iter()
        .map(|h| PastPost {
            text: &h.text,
            days_ago: h.days_ago,
        })
        .collect();
    let diags = checker.check(&Input {
        text: &text,
        platform: a.platform,
        images: &images,
        history: &past,
    });
    let origin = if path == "-" { "<stdin>" } else { path };
    match a.format {
        Format::Human => out(&render::human(origin, &text, &guideline.title, &diags))?,
        Format::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&diags).unwrap_or_default()
        ))?,
        Format::Sarif => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&render::sarif(origin, &text, &diags)).unwrap_or_default()
        ))?,
    }
    Ok(u8::from(has_error(&diags)))
}

/// Reads an image and learns what the checker needs from its metadata.
pub fn image_facts(path: &str) -> CliResult<ImageFacts> {
    let bytes = load::read_bytes(path)?;
    let meta = koho_media::inspect(&bytes).map_err(|e| {
        CliError::input(
            "INPUT_BAD_IMAGE",
            format!(
                "画像「{path}」を読み取れません。JPEG・PNG・WebP の画像を指定してください（{}）",
                e.code()
            ),
            format!("{path}: {e}"),
        )
    })?;
    let name = std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned());
    Ok(ImageFacts {
        name,
        has_gps: meta.has_gps,
    })
}

#[derive(Deserialize)]
pub struct HistoryLine {
    pub text: String,
    #[serde(default)]
    pub days_ago: u32,
}

pub fn parse_history(src: &str, origin: &str) -> CliResult<Vec<HistoryLine>> {
    let mut v = Vec::new();
    for (n, line) in src.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let h: HistoryLine = serde_json::from_str(line).map_err(|e| {
            CliError::input(
                "INPUT_BAD_JSONL",
                format!("{origin}:{}: 投稿履歴の行が読み取れません（{{\"text\": ..., \"days_ago\": 数}} の形にしてください）", n + 1),
                format!("{origin}:{}: {e}", n + 1),
            )
        })?;
        v.push(h);
    }
    Ok(v)
}

#[derive(Deserialize)]
struct BatchLine {
    id: serde_json::Value,
    text: String,
    guideline: Option<String>,
    platform: Option<String>,
}

/// Lines are read and answered in chunks, in input order, so memory stays constant
/// whatever the file size; each chunk is checked on every core.
const CHUNK: usize = 2048;

fn run_batch(path: &str, default_spec: &str, default_platform: Option<Platform>) -> CliResult<u8> {
    let reader: Box<dyn BufRead> = if path == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(path).map_err(|e| CliError::io(path, &e))?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, f))
    };
    let mut checkers: HashMap<String, Checker> = HashMap::new();
    checkers.insert(default_spec.to_owned(), load::checker(default_spec)?.1);
    let stdout = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 16, stdout.lock());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (mut any_error, mut any_bad) = (false, false);
    let mut lines = reader.lines().enumerate();
    loop {
        let mut chunk: Vec<(usize, Result<BatchLine, String>)> = Vec::with_capacity(CHUNK);
        for (n, line) in lines.by_ref() {
            let parsed = match line {
                Ok(l) if l.trim().is_empty() => continue,
                Ok(l) => serde_json::from_str::<BatchLine>(&l).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            chunk.push((n + 1, parsed));
            if chunk.len() == CHUNK {
                break;
            }
        }
        if chunk.is_empty() {
            break;
        }
        // Guidelines named per line are compiled once, before the parallel part.
        for (_, l) in &chunk {
            if let Ok(BatchLine {
                guideline: Some(g), ..
            }) = l
                && !checkers.contains_key(g)
            {
                let c = load::checker(g)?.1;
                checkers.insert(g.clone(), c);
            }
        }
        let per = chunk.len().div_ceil(threads);
        let results: Vec<Answer> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .chunks(per.max(1))
                .map(|part| {
                    let checkers = &checkers;
                    s.spawn(move || {
                        let mut clauses = ClauseJson::default();
                        part.iter()
                            .map(|(n, l)| {
                                batch_one(
                                    *n,
                                    l,
                                    checkers,
                                    default_spec,
                                    default_platform,
                                    &mut clauses,
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for r in results {
            any_error |= r.has_error;
            any_bad |= r.bad_input;
            w.write_all(r.json.as_bytes())
                .and_then(|()| w.write_all(b"\n"))
                .map_err(|e| CliError::io("<stdout>", &e))?;
        }
    }
    w.flush().map_err(|e| CliError::io("<stdout>", &e))?;
    Ok(if any_bad { 2 } else { u8::from(any_error) })
}

/// One output line of a batch, with what it means for the exit status.
struct Answer {
    json: String,
    has_error: bool,
    bad_input: bool,
}

fn batch_one(
    n: usize,
    line: &Result<BatchLine, String>,
    checkers: &HashMap<String, Checker>,
    default_spec: &str,
    default_platform: Option<Platform>,
    clauses: &mut ClauseJson,
) -> Answer {
    let bad = |msg: String| Answer {
        json:
            serde_json::json!({ "line": n, "error": { "code": "INPUT_BAD_LINE", "message": msg } })
                .to_string(),
        has_error: false,
        bad_input: true,
    };
    let l = match line {
        Ok(l) => l,
        Err(e) => return bad(format!("{n}行目を JSON として読み取れません: {e}")),
    };
    let platform = match &l.platform {
        Some(p) => match parse_platform(p) {
            Ok(p) => Some(p),
            Err(e) => return bad(e),
        },
        None => default_platform,
    };
    let spec = l.guideline.as_deref().unwrap_or(default_spec);
    let Some(checker) = checkers.get(spec) else {
        return bad(format!("ガイドライン「{spec}」を読み込めません"));
    };
    let diags: Vec<Diagnostic> = match validate_text(&l.text) {
        Ok(()) => checker.check(&Input {
            text: &l.text,
            platform,
            images: &[],
            history: &[],
        }),
        Err(e) => {
            return Answer {
                json: serde_json::json!({ "id": l.id, "error": { "code": e.code(), "message": e.ja() } }).to_string(),
                has_error: false,
                bad_input: true,
            };
        }
    };
    Answer {
        json: checked_json(&l.id, &diags, clauses),
        has_error: has_error(&diags),
        bad_input: false,
    }
}

/// A checked post's answer line, `{"id": …, "diagnostics": […]}`, byte for byte what
/// `serde_json` makes of the diagnostics (a test compares the two). Every diagnostic
/// carries its clauses' full wording, the same few sets again and again: escaping
/// them was the largest part of writing the answer, so each set is escaped once per
/// thread ([`ClauseJson`]) and the rest of a diagnostic is serialised from borrowed
/// fields ([`DiagnosticHead`]).
fn checked_json(id: &serde_json::Value, diags: &[Diagnostic], clauses: &mut ClauseJson) -> String {
    let mut json = String::with_capacity(64 + diags.len() * 512);
    json.push_str("{\"id\":");
    json.push_str(&serde_json::to_string(id).unwrap_or_default());
    json.push_str(",\"diagnostics\":[");
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        let head = serde_json::to_string(&DiagnosticHead::of(d)).unwrap_or_default();
        // The head is an object; the clauses go in as its last member, where
        // `Diagnostic` declares them.
        json.push_str(head.strip_suffix('}').unwrap_or(&head));
        json.push_str(",\"clauses\":");
        json.push_str(clauses.get(&d.clauses));
        json.push('}');
    }
    json.push_str("]}");
    json
}

/// `Diagnostic` without its clauses, in the same field order and names.
#[derive(Serialize)]
struct DiagnosticHead<'a> {
    rule: &'a str,
    name: &'a str,
    category: koho_check::Category,
    severity: koho_check::Severity,
    start: usize,
    end: usize,
    excerpt: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suggestion: Option<&'a str>,
}

impl<'a> DiagnosticHead<'a> {
    fn of(d: &'a Diagnostic) -> Self {
        // Destructured so that a field added to `Diagnostic` fails to compile here.
        let Diagnostic {
            rule,
            name,
            category,
            severity,
            start,
            end,
            excerpt,
            message,
            suggestion,
            clauses: _,
        } = d;
        DiagnosticHead {
            rule,
            name,
            category: *category,
            severity: *severity,
            start: *start,
            end: *end,
            excerpt,
            message,
            suggestion: suggestion.as_deref(),
        }
    }
}

/// Clause sets already serialised. A checker has one set per guideline check, so the
/// list stays short and a lookup is a few comparisons of equal texts.
#[derive(Default)]
struct ClauseJson {
    sets: Vec<(Vec<ClauseRef>, String)>,
}

impl ClauseJson {
    fn get(&mut self, clauses: &[ClauseRef]) -> &str {
        let i = match self.sets.iter().position(|(c, _)| c.as_slice() == clauses) {
            Some(i) => i,
            None => {
                let json = serde_json::to_string(clauses).unwrap_or_default();
                self.sets.push((clauses.to_vec(), json));
                self.sets.len() - 1
            }
        };
        self.sets.get(i).map_or("[]", |(_, j)| j.as_str())
    }
}

#[derive(Args)]
pub struct RulesArgs {
    /// 説明を表示する規則のコード（例: PI001）。省略で一覧
    code: Option<String>,
    #[arg(long)]
    json: bool,
}

pub fn rules(a: &RulesArgs) -> CliResult<u8> {
    if let Some(code) = &a.code {
        let Some(r) = RULES.iter().find(|r| r.code.eq_ignore_ascii_case(code)) else {
            return Err(CliError::input(
                "CLI_UNKNOWN_RULE",
                format!("規則「{code}」はありません（koho rules で一覧を表示できます）"),
                format!("unknown rule {code}"),
            ));
        };
        out(&format!(
            "# {} {}（{}）\n\n{}\n\n{}\n",
            r.code,
            r.name,
            r.category.id(),
            r.summary,
            r.doc
        ))?;
        return Ok(0);
    }
    if a.json {
        let v: Vec<_> = RULES
            .iter()
            .map(|r| serde_json::json!({ "code": r.code, "name": r.name, "category": r.category.id(), "summary": r.summary }))
            .collect();
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ))?;
    } else {
        let mut s = String::new();
        for r in RULES {
            s.push_str(&format!(
                "{}  {:<18} {:<28} {}\n",
                r.code,
                r.category.id(),
                r.name,
                r.summary
            ));
        }
        out(&s)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer line as `serde_json` writes the whole diagnostics.
    #[derive(Serialize)]
    struct Checked<'a> {
        id: &'a serde_json::Value,
        diagnostics: &'a [Diagnostic],
    }

    #[test]
    fn batch_answers_are_what_serde_json_writes() {
        let (_, checker) = load::checker("midori").unwrap();
        let mut clauses = ClauseJson::default();
        let texts = [
            "",
            "本日午前9時から、みどり市民会館で子育て相談会を開きます。",
            "噂ですが、駅前の店が閉店するらしい。詳しくは bit.ly/abc へ。田中太郎さん（090-1234-5678）に連絡を。\"引用\"と\\も",
            "ごみの分別もできないバカな人がまだいます。パスワードは Abc#1234 です。",
        ];
        for (i, text) in texts.iter().enumerate() {
            for id in [serde_json::json!(i), serde_json::json!(format!("p\"{i}"))] {
                let diags = checker.check(&Input {
                    text,
                    platform: Some(Platform::X),
                    images: &[],
                    history: &[],
                });
                let want = serde_json::to_string(&Checked {
                    id: &id,
                    diagnostics: &diags,
                })
                .unwrap();
                assert_eq!(checked_json(&id, &diags, &mut clauses), want);
            }
        }
        assert!(!clauses.sets.is_empty());
    }
}

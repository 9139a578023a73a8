//! `koho eval`: precision and recall per category on a labelled corpus, and the share
//! of ordinary posts that would be blocked (any error-severity finding).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use clap::Args;
use koho_check::{Category, ImageFacts, Input, PastPost, Severity};
use serde::Deserialize;

use crate::check_cmd::{HistoryLine, image_facts, parse_platform};
use crate::error::{CliError, CliResult};
use crate::{load, out};

#[derive(Args)]
pub struct EvalArgs {
    /// JSON Lines のコーパス（複数可）: {"id", "text", "labels": [...], "platform"?, "images"?, "history"?}
    #[arg(required = true)]
    corpus: Vec<String>,
    /// ガイドライン（既定は全区分を有効にした midori）
    #[arg(long, short, default_value = "midori")]
    guideline: String,
    /// 見逃し・誤検出した投稿を表示する
    #[arg(long)]
    show_misses: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Deserialize)]
struct Labelled {
    id: String,
    text: String,
    #[serde(default)]
    labels: Vec<String>,
    platform: Option<String>,
    #[serde(default)]
    images: Vec<String>,
    #[serde(default)]
    history: Vec<HistoryLine>,
}

#[derive(Default, Clone, Copy, serde::Serialize)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn precision(self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

pub fn run(a: &EvalArgs) -> CliResult<u8> {
    let (_, checker) = load::checker(&a.guideline)?;
    let mut counts: BTreeMap<Category, Counts> = Category::ALL
        .iter()
        .map(|c| (*c, Counts::default()))
        .collect();
    let (mut ordinary, mut ordinary_blocked, mut total) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for path in &a.corpus {
        let src = load::read_text_file(path)?;
        let dir = Path::new(path).parent().unwrap_or(Path::new("."));
        for (n, line) in src.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let post: Labelled = serde_json::from_str(line).map_err(|e| {
                CliError::input(
                    "INPUT_BAD_JSONL",
                    format!("{path}:{}: コーパスの行が読み取れません（{e}）", n + 1),
                    format!("{path}:{}: {e}", n + 1),
                )
            })?;
            let mut expected = BTreeSet::new();
            for l in &post.labels {
                let c = Category::from_id(l).ok_or_else(|| {
                    CliError::input(
                        "INPUT_BAD_LABEL",
                        format!("{path}:{}: 不明なラベル「{l}」です", n + 1),
                        format!("{path}:{}: unknown label {l}", n + 1),
                    )
                })?;
                expected.insert(c);
            }
            let platform = post
                .platform
                .as_deref()
                .map(parse_platform)
                .transpose()
                .map_err(|e| {
                    CliError::input(
                        "INPUT_BAD_PLATFORM",
                        format!("{path}:{}: {e}", n + 1),
                        format!("{path}:{}: bad platform", n + 1),
                    )
                })?;
            let images: Vec<ImageFacts> = post
                .images
                .iter()
                .map(|p| image_facts(&dir.join(p).to_string_lossy()))
                .collect::<CliResult<_>>()?;
            let history: Vec<PastPost<'_>> = post
                .history
                .iter()
                .map(|h| PastPost {
                    text: &h.text,
                    days_ago: h.days_ago,
                })
                .collect();
            let diags = checker.check(&Input {
                text: &post.text,
                platform,
                images: &images,
                history: &history,
            });
            // The corpus labels what a reviewer would flag (warning or error); an
            // info-level reminder is not a finding.
            let found: BTreeSet<Category> = diags
                .iter()
                .filter(|d| d.severity >= Severity::Warning)
                .map(|d| d.category)
                .collect();
            total += 1;
            if expected.is_empty() {
                ordinary += 1;
                if diags.iter().any(|d| d.severity == Severity::Error) {
                    ordinary_blocked += 1;
                }
            }
            for c in Category::ALL {
                let e = counts.entry(*c).or_default();
                match (expected.contains(c), found.contains(c)) {
                    (true, true) => e.tp += 1,
                    (false, true) => {
                        e.fp += 1;
                        let d = diags
                            .iter()
                            .find(|d| d.category == *c)
                            .map(|d| format!("{} 「{}」", d.rule, d.excerpt));
                        misses.push(format!(
                            "誤検出 {} {}: {}",
                            c.id(),
                            post.id,
                            d.unwrap_or_default()
                        ));
                    }
                    (true, false) => {
                        e.fn_ += 1;
                        misses.push(format!(
                            "見逃し {} {}: {}",
                            c.id(),
                            post.id,
                            post.text.chars().take(60).collect::<String>()
                        ));
                    }
                    (false, false) => {}
                }
            }
        }
    }
    let blocked_share = ratio(ordinary_blocked, ordinary.max(1));
    if a.json {
        let cats: Vec<_> = counts
            .iter()
            .map(|(c, k)| {
                serde_json::json!({ "category": c.id(), "tp": k.tp, "fp": k.fp, "fn": k.fn_,
                    "precision": k.precision(), "recall": k.recall() })
            })
            .collect();
        let v = serde_json::json!({ "posts": total, "ordinary": ordinary, "ordinary_with_error": ordinary_blocked,
            "ordinary_with_error_share": blocked_share, "categories": cats });
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ))?;
    } else {
        let mut s = format!(
            "{:<18} {:>5} {:>5} {:>5} {:>9} {:>7}\n",
            "category", "TP", "FP", "FN", "precision", "recall"
        );
        for (c, k) in &counts {
            s.push_str(&format!(
                "{:<18} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}\n",
                c.id(),
                k.tp,
                k.fp,
                k.fn_,
                k.precision(),
                k.recall()
            ));
        }
        s.push_str(&format!(
            "\n投稿 {total} 件、通常の投稿 {ordinary} 件のうちエラーが出たもの {ordinary_blocked} 件（{:.1}%）\n",
            blocked_share * 100.0
        ));
        if a.show_misses {
            s.push('\n');
            for m in &misses {
                s.push_str(m);
                s.push('\n');
            }
        }
        out(&s)?;
    }
    Ok(0)
}

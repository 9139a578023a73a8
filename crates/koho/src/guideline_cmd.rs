use clap::{Subcommand, ValueEnum};
use koho_guideline::{EXAMPLES, Guideline, PRESETS};

use crate::error::{CliError, CliResult};
use crate::{load, out};

#[derive(Clone, Copy, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum GuidelineCmd {
    /// ガイドラインを検証し、誤りをすべて「ファイル:行:列」で示す（誤りがあれば終了コード 2）
    Validate {
        /// プリセット ID または TOML ファイル（複数可）
        #[arg(required = true)]
        guidelines: Vec<String>,
    },
    /// 条項ごとに、その条項を根拠とする規則を表示する
    Show {
        /// プリセット ID または TOML ファイル
        guideline: String,
        #[arg(long, value_enum, default_value = "text")]
        format: ShowFormat,
    },
    /// 組み込みのガイドライン（プリセットと例）を一覧する
    List,
}

pub fn run(cmd: GuidelineCmd) -> CliResult<u8> {
    match cmd {
        GuidelineCmd::Validate { guidelines } => validate(&guidelines),
        GuidelineCmd::Show { guideline, format } => show(&guideline, format),
        GuidelineCmd::List => {
            let mut s = String::new();
            for (id, src) in PRESETS.iter().chain(EXAMPLES) {
                let title = Guideline::parse(id, src)
                    .map(|g| g.title)
                    .unwrap_or_default();
                let kind = if PRESETS.iter().any(|(p, _)| p == id) {
                    "プリセット"
                } else {
                    "例"
                };
                s.push_str(&format!("{id:<10} {kind:<6} {title}\n"));
            }
            out(&s)?;
            Ok(0)
        }
    }
}

fn validate(specs: &[String]) -> CliResult<u8> {
    let mut failed = false;
    let mut report = String::new();
    for spec in specs {
        let (origin, src) = load::guideline_source(spec)?;
        match Guideline::parse(&origin, &src) {
            Ok(g) => match koho_check::Checker::new(&g) {
                Ok(_) => report.push_str(&format!(
                    "{origin}: OK（{}、条項 {} 件、チェック {} 区分）\n",
                    g.title,
                    g.clauses.len(),
                    g.checks.len()
                )),
                Err(errs) => {
                    failed = true;
                    for e in errs {
                        let (line, col) = koho_guideline::line_col(&src, e.span.start);
                        report.push_str(&format!(
                            "{origin}:{line}:{col}: エラー[G008]: {}\n",
                            e.ja()
                        ));
                    }
                }
            },
            Err(e) => {
                failed = true;
                report.push_str(&e.render_ja());
            }
        }
    }
    if failed {
        return Err(CliError::input(
            "CLI_INVALID_GUIDELINE",
            format!("ガイドラインに誤りがあります\n{}", report.trim_end()),
            "guideline validation failed",
        ));
    }
    out(&report)?;
    Ok(0)
}

fn show(spec: &str, format: ShowFormat) -> CliResult<u8> {
    let g = load::guideline(spec)?;
    match format {
        ShowFormat::Json => {
            let by_clause: Vec<serde_json::Value> = g
                .rules_by_clause()
                .into_iter()
                .map(|(c, rules)| serde_json::json!({ "clause": c, "rules": rules }))
                .collect();
            let v = serde_json::json!({ "guideline": &g, "clauses": by_clause });
            out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ))?;
        }
        ShowFormat::Text => {
            let mut s = format!("{}（{}）\n", g.title, g.id);
            s.push_str(&format!(
                "自治体: {}  ホームページ: {}\n",
                g.municipality.name, g.municipality.homepage
            ));
            let roles: Vec<String> = g
                .roles
                .iter()
                .map(|r| format!("{}={}", r.id, r.name))
                .collect();
            s.push_str(&format!("役割: {}\n\n", roles.join("、")));
            for (c, rules) in g.rules_by_clause() {
                let title = c
                    .title
                    .as_deref()
                    .map(|t| format!(" {t}"))
                    .unwrap_or_default();
                s.push_str(&format!("■ {}{title}\n", c.label));
                for line in c.text.lines() {
                    s.push_str(&format!("    {line}\n"));
                }
                if rules.is_empty() {
                    s.push_str("  （koho の規則なし）\n");
                }
                for r in rules {
                    s.push_str(&format!("  - [{}] {}\n", r.section, r.text));
                }
                s.push('\n');
            }
            out(&s)?;
        }
    }
    Ok(0)
}

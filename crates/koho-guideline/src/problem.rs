//! Problems found in a guideline file, each with the byte span it concerns.
//! `Display` is English (logs); [`ProblemKind::ja`] is what an administrator reads.

use std::fmt;
use std::ops::Range;

/// One problem in a guideline file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub span: Range<usize>,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProblemKind {
    Syntax {
        message: String,
    },
    UnknownKey {
        key: String,
        hint: Option<String>,
    },
    MissingKey {
        key: String,
    },
    WrongType {
        key: String,
        expected: &'static str,
        found: &'static str,
    },
    Empty {
        key: String,
    },
    OutOfRange {
        key: String,
        min: i64,
        max: i64,
    },
    OutOfRangeFloat {
        key: String,
        min: f64,
        max: f64,
    },
    InvalidValue {
        key: String,
        value: String,
        expected: String,
    },
    UnknownReference {
        kind: RefKind,
        name: String,
        hint: Option<String>,
    },
    Duplicate {
        kind: RefKind,
        name: String,
    },
    Inconsistent {
        message_en: String,
        message_ja: String,
    },
}

/// What a dangling or duplicated name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    Role,
    Clause,
    Category,
    ContentCategory,
    Platform,
    Question,
    Item,
    Rule,
}

impl RefKind {
    fn en(self) -> &'static str {
        match self {
            RefKind::Role => "role",
            RefKind::Clause => "clause",
            RefKind::Category => "check category",
            RefKind::ContentCategory => "content category",
            RefKind::Platform => "platform",
            RefKind::Question => "question",
            RefKind::Item => "item",
            RefKind::Rule => "check rule",
        }
    }
    fn ja(self) -> &'static str {
        match self {
            RefKind::Role => "役割",
            RefKind::Clause => "条項",
            RefKind::Category => "チェック区分",
            RefKind::ContentCategory => "発信内容の区分",
            RefKind::Platform => "サービス",
            RefKind::Question => "確認事項",
            RefKind::Item => "項目",
            RefKind::Rule => "チェック規則",
        }
    }
}

impl ProblemKind {
    /// A stable code for tests, logs and documentation.
    pub fn code(&self) -> &'static str {
        match self {
            ProblemKind::Syntax { .. } => "G001",
            ProblemKind::UnknownKey { .. } => "G002",
            ProblemKind::MissingKey { .. } => "G003",
            ProblemKind::WrongType { .. } => "G004",
            ProblemKind::Empty { .. } => "G005",
            ProblemKind::OutOfRange { .. } | ProblemKind::OutOfRangeFloat { .. } => "G006",
            ProblemKind::InvalidValue { .. } => "G007",
            ProblemKind::UnknownReference { .. } => "G008",
            ProblemKind::Duplicate { .. } => "G009",
            ProblemKind::Inconsistent { .. } => "G010",
        }
    }

    /// The message in Japanese, for the people who write guideline files.
    pub fn ja(&self) -> String {
        match self {
            ProblemKind::Syntax { message } => {
                format!("TOML の書き方に誤りがあります（{message}）")
            }
            ProblemKind::UnknownKey { key, hint } => match hint {
                Some(h) => format!("不明なキー「{key}」です。「{h}」の誤りではありませんか"),
                None => format!("不明なキー「{key}」です"),
            },
            ProblemKind::MissingKey { key } => format!("必須のキー「{key}」がありません"),
            ProblemKind::WrongType {
                key,
                expected,
                found,
            } => format!(
                "「{key}」の型が違います（{} が必要ですが {} が書かれています）",
                ja_type(expected),
                ja_type(found)
            ),
            ProblemKind::Empty { key } => format!("「{key}」が空です"),
            ProblemKind::OutOfRange { key, min, max } => {
                format!("「{key}」は {min} 以上 {max} 以下の整数にしてください")
            }
            ProblemKind::OutOfRangeFloat { key, min, max } => {
                format!("「{key}」は {min} 以上 {max} 以下の数にしてください")
            }
            ProblemKind::InvalidValue {
                key,
                value,
                expected,
            } => {
                format!("「{key}」の値「{value}」は使えません（使える値: {expected}）")
            }
            ProblemKind::UnknownReference { kind, name, hint } => match hint {
                Some(h) => format!(
                    "{}「{name}」は定義されていません。「{h}」の誤りではありませんか",
                    kind.ja()
                ),
                None => format!("{}「{name}」は定義されていません", kind.ja()),
            },
            ProblemKind::Duplicate { kind, name } => {
                format!("{}「{name}」が重複して定義されています", kind.ja())
            }
            ProblemKind::Inconsistent { message_ja, .. } => message_ja.clone(),
        }
    }
}

fn ja_type(t: &str) -> &str {
    match t {
        "string" => "文字列",
        "integer" => "整数",
        "float" => "数",
        "boolean" => "真偽値 (true/false)",
        "datetime" => "日時",
        "date (YYYY-MM-DD)" => "日付 (YYYY-MM-DD)",
        "array" => "配列",
        "table" => "表",
        "array of tables" => "表の配列",
        "string or array of strings" => "文字列または文字列の配列",
        other => other,
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::Syntax { message } => write!(f, "TOML syntax error: {message}"),
            ProblemKind::UnknownKey { key, hint } => match hint {
                Some(h) => write!(f, "unknown key `{key}` (did you mean `{h}`?)"),
                None => write!(f, "unknown key `{key}`"),
            },
            ProblemKind::MissingKey { key } => write!(f, "missing required key `{key}`"),
            ProblemKind::WrongType {
                key,
                expected,
                found,
            } => {
                write!(
                    f,
                    "`{key}` must be {} {expected}, found {} {found}",
                    article(expected),
                    article(found)
                )
            }
            ProblemKind::Empty { key } => write!(f, "`{key}` must not be empty"),
            ProblemKind::OutOfRange { key, min, max } => {
                write!(f, "`{key}` must be an integer from {min} to {max}")
            }
            ProblemKind::OutOfRangeFloat { key, min, max } => {
                write!(f, "`{key}` must be a number from {min} to {max}")
            }
            ProblemKind::InvalidValue {
                key,
                value,
                expected,
            } => {
                write!(
                    f,
                    "`{key}` has invalid value `{value}` (expected one of: {expected})"
                )
            }
            ProblemKind::UnknownReference { kind, name, hint } => match hint {
                Some(h) => write!(f, "unknown {} `{name}` (did you mean `{h}`?)", kind.en()),
                None => write!(f, "unknown {} `{name}`", kind.en()),
            },
            ProblemKind::Duplicate { kind, name } => write!(f, "duplicate {} `{name}`", kind.en()),
            ProblemKind::Inconsistent { message_en, .. } => f.write_str(message_en),
        }
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Line and column (both 1-based, column in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// Every problem in one guideline file; returned instead of a guideline when any exists.
#[derive(Debug, Clone)]
pub struct GuidelineErrors {
    /// The file name as given by the user, or `preset:<id>`.
    pub origin: String,
    pub source: String,
    pub problems: Vec<Problem>,
}

/// A problem located for display: `file:line:col`.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<'a> {
    pub line: usize,
    pub column: usize,
    pub code: &'static str,
    pub problem: &'a Problem,
}

impl GuidelineErrors {
    pub fn located(&self) -> Vec<Located<'_>> {
        let mut v: Vec<Located<'_>> = self
            .problems
            .iter()
            .map(|p| {
                let (line, column) = line_col(&self.source, p.span.start);
                Located {
                    line,
                    column,
                    code: p.kind.code(),
                    problem: p,
                }
            })
            .collect();
        v.sort_by_key(|l| (l.line, l.column));
        v
    }

    /// Japanese report, one problem per line, compiler style.
    pub fn render_ja(&self) -> String {
        self.render(|k| k.ja(), "エラー")
    }

    /// English report, for logs.
    pub fn render_en(&self) -> String {
        self.render(ToString::to_string, "error")
    }

    fn render(&self, msg: impl Fn(&ProblemKind) -> String, word: &str) -> String {
        let mut out = String::new();
        for l in self.located() {
            out.push_str(&format!(
                "{}:{}:{}: {word}[{}]: {}\n",
                self.origin,
                l.line,
                l.column,
                l.code,
                msg(&l.problem.kind)
            ));
        }
        out
    }
}

impl fmt::Display for GuidelineErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render_en().trim_end())
    }
}

impl std::error::Error for GuidelineErrors {}

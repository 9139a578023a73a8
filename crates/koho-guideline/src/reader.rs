//! A reader over TOML's spanned document tree that records every problem it meets
//! instead of stopping at the first, so `koho guideline validate` can report them all.

use std::collections::HashSet;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::problem::{Problem, ProblemKind};

/// Collects problems while a document is read.
#[derive(Default)]
pub(crate) struct Sink {
    pub(crate) problems: Vec<Problem>,
}

impl Sink {
    pub(crate) fn push(&mut self, span: Range<usize>, kind: ProblemKind) {
        self.problems.push(Problem { span, kind });
    }
}

/// A value together with where it was written.
#[derive(Debug, Clone)]
pub(crate) struct At<T> {
    pub(crate) value: T,
    pub(crate) span: Range<usize>,
}

/// One TOML table being read. Keys that are never asked for are reported as unknown
/// by [`Obj::finish`], which is how typos in hand-written guidelines are caught.
pub(crate) struct Obj<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    path: String,
    used: HashSet<&'a str>,
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "string",
        DeValue::Integer(_) => "integer",
        DeValue::Float(_) => "float",
        DeValue::Boolean(_) => "boolean",
        DeValue::Datetime(_) => "datetime",
        DeValue::Array(_) => "array",
        DeValue::Table(_) => "table",
    }
}

impl<'a, 'i> Obj<'a, 'i> {
    pub(crate) fn root(doc: &'a Spanned<DeTable<'i>>) -> Self {
        Obj {
            table: doc.get_ref(),
            span: doc.span(),
            path: String::new(),
            used: HashSet::new(),
        }
    }

    pub(crate) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Header span used when a required key is missing: the start of the table.
    fn missing_span(&self) -> Range<usize> {
        self.span.start..self.span.start.saturating_add(1).min(self.span.end.max(1))
    }

    fn get(&mut self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        let (k, v) = self.table.get_key_value(key)?;
        self.used.insert(k.get_ref().as_ref());
        Some(v)
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    fn wrong_type(
        &self,
        sink: &mut Sink,
        key: &str,
        v: &Spanned<DeValue<'_>>,
        expected: &'static str,
    ) {
        sink.push(
            v.span(),
            ProblemKind::WrongType {
                key: self.child_path(key),
                expected,
                found: type_name(v.get_ref()),
            },
        );
    }

    fn missing(&self, sink: &mut Sink, key: &str) {
        sink.push(
            self.missing_span(),
            ProblemKind::MissingKey {
                key: self.child_path(key),
            },
        );
    }

    pub(crate) fn opt_str(&mut self, sink: &mut Sink, key: &str) -> Option<At<String>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => {
                if s.trim().is_empty() {
                    sink.push(
                        v.span(),
                        ProblemKind::Empty {
                            key: self.child_path(key),
                        },
                    );
                    return None;
                }
                Some(At {
                    value: s.to_string(),
                    span: v.span(),
                })
            }
            _ => {
                self.wrong_type(sink, key, v, "string");
                None
            }
        }
    }

    pub(crate) fn str(&mut self, sink: &mut Sink, key: &str) -> Option<At<String>> {
        if !self.has(key) {
            self.missing(sink, key);
            return None;
        }
        self.opt_str(sink, key)
    }

    pub(crate) fn opt_bool(&mut self, sink: &mut Sink, key: &str) -> Option<bool> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(sink, key, v, "boolean");
                None
            }
        }
    }

    /// An integer within `range`; out-of-range values are reported with the bounds.
    pub(crate) fn opt_int(
        &mut self,
        sink: &mut Sink,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let v = self.get(key)?;
        let DeValue::Integer(i) = v.get_ref() else {
            self.wrong_type(sink, key, v, "integer");
            return None;
        };
        let parsed = i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok();
        match parsed {
            Some(n) if range.contains(&n) => Some(n),
            _ => {
                sink.push(
                    v.span(),
                    ProblemKind::OutOfRange {
                        key: self.child_path(key),
                        min: *range.start(),
                        max: *range.end(),
                    },
                );
                None
            }
        }
    }

    pub(crate) fn opt_float(
        &mut self,
        sink: &mut Sink,
        key: &str,
        min: f64,
        max: f64,
    ) -> Option<f64> {
        let v = self.get(key)?;
        let n = match v.get_ref() {
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            DeValue::Integer(i) => i.as_str().replace('_', "").parse::<f64>().ok(),
            _ => {
                self.wrong_type(sink, key, v, "float");
                return None;
            }
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                sink.push(
                    v.span(),
                    ProblemKind::OutOfRangeFloat {
                        key: self.child_path(key),
                        min,
                        max,
                    },
                );
                None
            }
        }
    }

    /// A TOML date such as `2022-05-26`, kept as its ISO text.
    pub(crate) fn opt_date(&mut self, sink: &mut Sink, key: &str) -> Option<String> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Datetime(d) if d.date.is_some() && d.time.is_none() => Some(d.to_string()),
            _ => {
                self.wrong_type(sink, key, v, "date (YYYY-MM-DD)");
                None
            }
        }
    }

    /// A string, or a list of strings; both spellings are accepted because a rule
    /// citing one clause reads more naturally as `clause = "第7条"`.
    pub(crate) fn opt_str_list(&mut self, sink: &mut Sink, key: &str) -> Option<Vec<At<String>>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(vec![At {
                value: s.to_string(),
                span: v.span(),
            }]),
            DeValue::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item.get_ref() {
                        DeValue::String(s) => out.push(At {
                            value: s.to_string(),
                            span: item.span(),
                        }),
                        other => sink.push(
                            item.span(),
                            ProblemKind::WrongType {
                                key: format!("{}[]", self.child_path(key)),
                                expected: "string",
                                found: type_name(other),
                            },
                        ),
                    }
                }
                Some(out)
            }
            _ => {
                self.wrong_type(sink, key, v, "string or array of strings");
                None
            }
        }
    }

    pub(crate) fn opt_table(&mut self, sink: &mut Sink, key: &str) -> Option<Obj<'a, 'i>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(Obj {
                table: t,
                span: v.span(),
                path: self.child_path(key),
                used: HashSet::new(),
            }),
            _ => {
                self.wrong_type(sink, key, v, "table");
                None
            }
        }
    }

    pub(crate) fn table(&mut self, sink: &mut Sink, key: &str) -> Option<Obj<'a, 'i>> {
        if !self.has(key) {
            self.missing(sink, key);
            return None;
        }
        self.opt_table(sink, key)
    }

    /// An array of tables (`[[clauses]]`); a missing key is an empty list.
    pub(crate) fn tables(&mut self, sink: &mut Sink, key: &str) -> Vec<Obj<'a, 'i>> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(sink, key, v, "array of tables");
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for (n, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(t) => out.push(Obj {
                    table: t,
                    span: item.span(),
                    path: format!("{}[{n}]", self.child_path(key)),
                    used: HashSet::new(),
                }),
                other => sink.push(
                    item.span(),
                    ProblemKind::WrongType {
                        key: format!("{}[{n}]", self.child_path(key)),
                        expected: "table",
                        found: type_name(other),
                    },
                ),
            }
        }
        out
    }

    /// Every entry of a table whose keys are names chosen by the author
    /// (`[roles.section-chief]`, `[checks.personal-info]`).
    pub(crate) fn entries(&mut self) -> Vec<(At<String>, &'a Spanned<DeValue<'i>>)> {
        self.table
            .iter()
            .map(|(k, v)| {
                self.used.insert(k.get_ref().as_ref());
                (
                    At {
                        value: k.get_ref().to_string(),
                        span: k.span(),
                    },
                    v,
                )
            })
            .collect()
    }

    /// Reads an entry from [`Obj::entries`] as a table.
    pub(crate) fn entry_table(
        &self,
        sink: &mut Sink,
        key: &At<String>,
        v: &'a Spanned<DeValue<'i>>,
    ) -> Option<Obj<'a, 'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(Obj {
                table: t,
                span: v.span(),
                path: self.child_path(&key.value),
                used: HashSet::new(),
            }),
            _ => {
                self.wrong_type(sink, &key.value, v, "table");
                None
            }
        }
    }

    /// Reports keys nobody asked for, with the closest known key as a hint.
    pub(crate) fn finish(self, sink: &mut Sink, known: &[&str]) {
        for (k, _) in self.table.iter() {
            let name: &str = k.get_ref().as_ref();
            if !self.used.contains(name) {
                sink.push(
                    k.span(),
                    ProblemKind::UnknownKey {
                        key: self.child_path(name),
                        hint: closest(name, known).map(str::to_owned),
                    },
                );
            }
        }
    }
}

/// The known key nearest to a misspelt one, if it is near enough to be a typo.
pub(crate) fn closest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.chars().count() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

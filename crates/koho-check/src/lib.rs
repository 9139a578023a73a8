//! koho's pre-publication checker.
//!
//! A [`Checker`] is compiled once from a municipality's [`Guideline`]: only the
//! categories the guideline has a clause for are enabled, each with that guideline's
//! severity and clauses. [`Checker::check`] then runs every enabled rule over one
//! post and returns diagnostics whose spans count Unicode scalar values of the input.
//!
//! The checker is pure — no I/O, no clock: images arrive as facts already read,
//! and the account's recent posts arrive with their age.

mod input;
pub mod length;
mod lexicon;
mod normalize;
mod registry;
mod rules;
mod text;

use std::fmt;

pub use input::{InputError, MAX_INPUT_BYTES, validate_text};
pub use koho_guideline::{Category, Guideline, Platform, Severity};
pub use normalize::Normalized;
pub use registry::{RULES, RuleInfo};

use registry::Emitted;

/// What one post consists of, as far as checking is concerned.
#[derive(Debug, Clone, Copy, Default)]
pub struct Input<'a> {
    pub text: &'a str,
    /// The platform the post is for; enables the length rule.
    pub platform: Option<Platform>,
    pub images: &'a [ImageFacts],
    /// The account's recent posts, for the repeated-post rule.
    pub history: &'a [PastPost<'a>],
}

/// What the caller learnt from an attached image (see the `koho-media` crate).
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    /// File name or alt text, shown in the diagnostic.
    pub name: String,
    /// The image carries GPS coordinates in its metadata.
    pub has_gps: bool,
}

/// A post the account published earlier.
#[derive(Debug, Clone, Copy)]
pub struct PastPost<'a> {
    pub text: &'a str,
    /// How long ago, in whole days (0 = today).
    pub days_ago: u32,
}

/// An account's recent posts, prepared once for the repeated-post rule (RP001).
///
/// Comparing a post with the account's history needs every past post normalised and
/// cut into character pairs. That work depends on the history alone, so it is done
/// here, once per account (or per batch of posts for one account), instead of on
/// every check: pass the result to [`Checker::check_with_history`] for each post.
#[derive(Debug, Clone, Default)]
pub struct History {
    posts: Vec<rules::repeated::Past>,
}

impl History {
    /// No past posts.
    pub const EMPTY: History = History { posts: Vec::new() };

    pub fn new(posts: &[PastPost<'_>]) -> History {
        History {
            posts: posts.iter().map(rules::repeated::Past::new).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.posts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.posts.is_empty()
    }

    pub(crate) fn posts(&self) -> &[rules::repeated::Past] {
        &self.posts
    }
}

/// The clause a diagnostic rests on, with its original wording.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClauseRef {
    pub guideline: String,
    pub clause: String,
    pub text: String,
}

/// One finding in a post.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    /// Stable rule code, e.g. `PI001`.
    pub rule: &'static str,
    /// The rule's name, e.g. `phone-number`.
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// Span in Unicode scalar values of the input, `[start, end)`.
    pub start: usize,
    pub end: usize,
    pub excerpt: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    pub clauses: Vec<ClauseRef>,
}

/// A guideline that cannot be turned into a checker (an unknown rule code in an override).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub code: String,
    /// Byte span in the guideline source.
    pub span: std::ops::Range<usize>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown check rule code `{}` in a rules override",
            self.code
        )
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    pub fn ja(&self) -> String {
        format!(
            "チェック規則「{}」は存在しません（koho rules で一覧を表示できます）",
            self.code
        )
    }
}

/// Per-rule settings after the guideline was applied.
#[derive(Debug, Clone)]
struct Enabled {
    severity: Severity,
    clauses: usize,
}

/// Settings rules read: the municipality's own facts and the guideline's options.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// Lower-case host names the municipality owns (links and e-mail there are fine).
    pub(crate) own_domains: Vec<String>,
    /// Further trusted domains (third-party-link option).
    pub(crate) trusted_domains: Vec<String>,
    /// The municipality's phone numbers, digits only.
    pub(crate) own_phones: Vec<String>,
    pub(crate) window_days: u32,
    pub(crate) similarity: f64,
    pub(crate) allow_job_listings: bool,
    pub(crate) allow_public_comment: bool,
}

/// A checker compiled for one guideline.
#[derive(Debug, Clone)]
pub struct Checker {
    guideline_id: String,
    enabled: Vec<Option<Enabled>>,
    clause_sets: Vec<Vec<ClauseRef>>,
    settings: Settings,
}

impl Checker {
    /// Compiles the guideline's check rules. Fails only on an override naming a rule
    /// code that does not exist.
    pub fn new(g: &Guideline) -> Result<Checker, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut clause_sets = Vec::new();
        let mut enabled: Vec<Option<Enabled>> = vec![None; RULES.len()];
        for check in &g.checks {
            let refs: Vec<ClauseRef> = check
                .clauses
                .iter()
                .filter_map(|l| g.clause(l))
                .map(|c| ClauseRef {
                    guideline: g.id.clone(),
                    clause: c.label.clone(),
                    text: c.text.clone(),
                })
                .collect();
            clause_sets.push(refs);
            let set = clause_sets.len() - 1;
            for (i, rule) in RULES.iter().enumerate() {
                if rule.category == check.category {
                    enabled[i] = Some(Enabled {
                        severity: check.severity,
                        clauses: set,
                    });
                }
            }
            for o in &check.rules {
                match RULES
                    .iter()
                    .position(|r| r.code == o.code && r.category == check.category)
                {
                    Some(i) => {
                        enabled[i] = o.severity.map(|severity| Enabled {
                            severity,
                            clauses: set,
                        });
                    }
                    None => errors.push(ConfigError {
                        code: o.code.clone(),
                        span: o.span.clone(),
                    }),
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let opts = |c: Category| g.check(c).map(|r| &r.options);
        let repeated = opts(Category::RepeatedPost);
        let settings = Settings {
            own_domains: g
                .municipality
                .domains
                .iter()
                .map(|d| d.to_ascii_lowercase())
                .collect(),
            trusted_domains: opts(Category::ThirdPartyLink)
                .map(|o| o.trusted_domains.clone())
                .unwrap_or_default(),
            own_phones: g.municipality.phones.clone(),
            window_days: repeated.and_then(|o| o.window_days).unwrap_or(7),
            similarity: repeated.and_then(|o| o.similarity).unwrap_or(0.85),
            allow_job_listings: opts(Category::Commercial).is_some_and(|o| o.allow_job_listings),
            allow_public_comment: opts(Category::UndecidedPolicy)
                .is_some_and(|o| o.allow_public_comment),
        };
        Ok(Checker {
            guideline_id: g.id.clone(),
            enabled,
            clause_sets,
            settings,
        })
    }

    pub fn guideline_id(&self) -> &str {
        &self.guideline_id
    }

    /// Whether any rule of the category is on.
    pub fn is_enabled(&self, c: Category) -> bool {
        RULES
            .iter()
            .zip(&self.enabled)
            .any(|(r, e)| r.category == c && e.is_some())
    }

    /// Checks one post. Diagnostics come sorted by position.
    ///
    /// `input.history` is prepared for this call alone; to check many posts of one
    /// account, prepare a [`History`] once and use [`Checker::check_with_history`].
    pub fn check(&self, input: &Input<'_>) -> Vec<Diagnostic> {
        if input.history.is_empty() {
            self.check_with_history(input, &History::EMPTY)
        } else {
            self.check_with_history(input, &History::new(input.history))
        }
    }

    /// Checks one post against an account history prepared with [`History::new`],
    /// which takes the place of `input.history` (that field is not read).
    pub fn check_with_history(&self, input: &Input<'_>, history: &History) -> Vec<Diagnostic> {
        let norm = Normalized::new(input.text);
        let cx = rules::Cx::new(input, &norm, &self.settings).with_history(history);
        let mut out = registry::Out::default();
        for (i, rule) in RULES.iter().enumerate() {
            if self.enabled[i].is_some() {
                out.current = i;
                (rule.check)(&cx, &mut out);
            }
        }
        let mut diags: Vec<Diagnostic> = out
            .hits
            .into_iter()
            .filter_map(|h| self.diagnostic(input.text, &norm, h))
            .collect();
        diags.sort_by(|a, b| (a.start, a.end, a.rule).cmp(&(b.start, b.end, b.rule)));
        diags.dedup_by(|b, a| {
            a.rule == b.rule && a.start == b.start && a.end == b.end && a.message == b.message
        });
        diags
    }

    fn diagnostic(&self, text: &str, norm: &Normalized, h: Emitted) -> Option<Diagnostic> {
        let on = self.enabled[h.rule].as_ref()?;
        let rule = &RULES[h.rule];
        let (start, end) = match h.span {
            registry::Span::Norm(s, e) => norm.to_input(s, e),
            registry::Span::Input(s, e) => (s, e),
        };
        Some(Diagnostic {
            rule: rule.code,
            name: rule.name,
            category: rule.category,
            severity: on.severity,
            start,
            end,
            excerpt: text.chars().skip(start).take(end - start).collect(),
            message: h.message,
            suggestion: h.suggestion,
            clauses: self.clause_sets[on.clauses].clone(),
        })
    }
}

/// Whether a diagnostic list blocks publication (any error-severity finding).
pub fn has_error(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

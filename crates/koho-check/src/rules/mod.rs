//! Check rules, one module per category. Each rule's `DOC` is its user
//! documentation; each module ends with the cases it must flag and must not flag.

use std::cell::OnceCell;

use koho_guideline::Category;

use crate::normalize::Normalized;
use crate::registry::Out;
use crate::text::{UrlMatch, find_urls};
use crate::{History, Input, Settings};

pub(crate) mod commercial;
pub(crate) mod confidential;
pub(crate) mod context;
pub(crate) mod copyright;
pub(crate) mod discrimination;
pub(crate) mod illegal;
pub(crate) mod images;
pub(crate) mod insult;
pub(crate) mod length;
pub(crate) mod links;
pub(crate) mod masked_text;
pub(crate) mod obscene;
pub(crate) mod personal_info;
pub(crate) mod personal_opinion;
pub(crate) mod plain_language;
pub(crate) mod political;
pub(crate) mod religious;
pub(crate) mod repeated;
pub(crate) mod rumor;
pub(crate) mod security;
pub(crate) mod social_advocacy;
pub(crate) mod undecided_policy;
pub(crate) mod wording;

/// A check rule. Implementations are unit structs listed in `registry.rs`.
pub(crate) trait Rule {
    const CODE: &'static str;
    const NAME: &'static str;
    const CATEGORY: Category;
    const SUMMARY: &'static str;
    const DOC: &'static str;
    fn check(cx: &Cx<'_>, out: &mut Out);
}

/// What a rule sees of one post.
///
/// Scans several rules share are computed at most once per post, in the slots below:
/// a `Cx` lives for one call of `Checker::check`, so nothing outlives the post and
/// no state hides in thread-locals.
pub(crate) struct Cx<'a> {
    pub(crate) input: &'a Input<'a>,
    pub(crate) norm: &'a Normalized,
    pub(crate) settings: &'a Settings,
    /// The account's recent posts, prepared (see [`History`]).
    pub(crate) history: &'a History,
    urls: OnceCell<Vec<UrlMatch>>,
    /// The phrase engine's findings per rule (`context.rs`).
    pub(crate) phrases: OnceCell<Vec<Vec<(usize, usize)>>>,
    /// The word lists' matches per list (`wording.rs`).
    pub(crate) words: OnceCell<[Vec<wording::Hit>; wording::LISTS]>,
    /// The private persons' names and their classes (`personal_info/person.rs`).
    pub(crate) names: OnceCell<personal_info::Names>,
}

/// No history: what a post without `Input::history` is compared with.
static NO_HISTORY: History = History::EMPTY;

impl<'a> Cx<'a> {
    pub(crate) fn new(input: &'a Input<'a>, norm: &'a Normalized, settings: &'a Settings) -> Self {
        Cx {
            input,
            norm,
            settings,
            history: &NO_HISTORY,
            urls: OnceCell::new(),
            phrases: OnceCell::new(),
            words: OnceCell::new(),
            names: OnceCell::new(),
        }
    }

    /// The same, comparing the post with a prepared account history.
    pub(crate) fn with_history(self, history: &'a History) -> Self {
        Cx { history, ..self }
    }

    /// The normalised text rules match on.
    pub(crate) fn text(&self) -> &str {
        &self.norm.text
    }

    /// URLs in the normalised text, found once per post.
    pub(crate) fn urls(&self) -> &[UrlMatch] {
        self.urls.get_or_init(|| find_urls(&self.norm.text))
    }

    /// Whether a host belongs to the municipality itself.
    pub(crate) fn is_own_host(&self, host: &str) -> bool {
        self.settings
            .own_domains
            .iter()
            .any(|d| crate::text::host_within(host, d))
    }
}

#[cfg(test)]
pub(crate) mod test {
    //! Helpers for each rule's pass/fail cases: a guideline with every category on.
    use std::sync::LazyLock;

    use koho_guideline::{Category, Guideline};

    use crate::{Checker, Diagnostic, ImageFacts, Input, PastPost, Platform};

    pub(crate) const ALL_CATEGORIES: &str = include_str!("../../../../guidelines/midori.toml");

    pub(crate) static CHECKER: LazyLock<Checker> = LazyLock::new(|| {
        let g = Guideline::parse("guidelines/midori.toml", ALL_CATEGORIES)
            .unwrap_or_else(|e| panic!("{}", e.render_en()));
        assert_eq!(
            g.checks.len(),
            Category::ALL.len(),
            "the test guideline enables every category"
        );
        Checker::new(&g).unwrap()
    });

    pub(crate) fn run(text: &str, platform: Option<Platform>) -> Vec<Diagnostic> {
        CHECKER.check(&Input {
            text,
            platform,
            images: &[],
            history: &[],
        })
    }

    pub(crate) fn run_full(
        text: &str,
        images: &[ImageFacts],
        history: &[PastPost<'_>],
    ) -> Vec<Diagnostic> {
        CHECKER.check(&Input {
            text,
            platform: None,
            images,
            history,
        })
    }

    /// Asserts that `code` fires on every text of `fail` and on none of `pass`.
    pub(crate) fn cases(code: &str, pass: &[&str], fail: &[&str]) {
        for t in fail {
            let d = run(t, None);
            assert!(
                d.iter().any(|d| d.rule == code),
                "{code} should flag: {t}\n got: {d:#?}"
            );
        }
        for t in pass {
            let d = run(t, None);
            let hit: Vec<_> = d.iter().filter(|d| d.rule == code).collect();
            assert!(
                hit.is_empty(),
                "{code} should not flag: {t}\n got: {hit:#?}"
            );
        }
    }

    /// The excerpt `code` reports on `text`.
    pub(crate) fn excerpts(code: &str, text: &str) -> Vec<String> {
        run(text, None)
            .into_iter()
            .filter(|d| d.rule == code)
            .map(|d| d.excerpt)
            .collect()
    }
}

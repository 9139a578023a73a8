//! Word lists matched in one pass (double-array Aho-Corasick, char-wise).
//!
//! Patterns are normalised exactly like post text (NFKC, lower-case ASCII, katakana
//! folded to hiragana), so one entry matches every width and kana spelling. Match
//! against [`crate::Normalized::folded`]; its byte offsets equal those of `text`.

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};

use crate::normalize::Normalized;

/// A compiled word list whose entries carry a payload `T`.
pub(crate) struct Lexicon<T> {
    ac: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
    entries: Vec<T>,
}

impl<T> Lexicon<T> {
    /// Builds from `(pattern, payload)` pairs. Empty patterns are skipped; a pattern
    /// that repeats after normalisation keeps its first payload.
    pub(crate) fn new(items: impl IntoIterator<Item = (String, T)>) -> Self {
        let mut seen = std::collections::HashSet::new();
        let mut patterns = Vec::new();
        let mut entries = Vec::new();
        for (p, v) in items {
            let key = Normalized::new(p.trim()).folded;
            if key.is_empty() || !seen.insert(key.clone()) {
                continue;
            }
            let Ok(id) = u32::try_from(entries.len()) else {
                break;
            };
            patterns.push((key, id));
            entries.push(v);
        }
        let ac = if patterns.is_empty() {
            None
        } else {
            CharwiseDoubleArrayAhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build_with_values(patterns)
                .ok()
        };
        Lexicon { ac, entries }
    }

    /// Leftmost-longest, non-overlapping matches: `(start, end, payload)` in bytes.
    pub(crate) fn find<'a>(
        &'a self,
        folded: &'a str,
    ) -> impl Iterator<Item = (usize, usize, &'a T)> + 'a {
        self.ac.iter().flat_map(move |ac| {
            ac.leftmost_find_iter(folded).filter_map(move |m| {
                let v = self.entries.get(m.value() as usize)?;
                Some((m.start(), m.end(), v))
            })
        })
    }
}

/// Lines of a tab-separated data file, without blank lines and `#` comments.
pub(crate) fn tsv(src: &str) -> impl Iterator<Item = Vec<&str>> {
    src.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| l.split('\t').map(str::trim).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_across_width_and_kana_variants() {
        let lex = Lexicon::new([("バカ".to_string(), 1), ("ｷﾁｶﾞｲ".to_string(), 2)]);
        let t = Normalized::new("ばかだ、ﾊﾞｶ、きちがい");
        let hits: Vec<_> = lex
            .find(&t.folded)
            .map(|(s, e, v)| (&t.text[s..e], *v))
            .collect();
        assert_eq!(hits, vec![("ばか", 1), ("バカ", 1), ("きちがい", 2)]);
    }

    #[test]
    fn longest_match_wins() {
        let lex = Lexicon::new([("片手".to_string(), 1), ("片手落ち".to_string(), 2)]);
        let t = Normalized::new("片手落ちの対応");
        assert_eq!(
            lex.find(&t.folded).map(|(_, _, v)| *v).collect::<Vec<_>>(),
            vec![2]
        );
    }

    #[test]
    fn empty_lexicon_matches_nothing() {
        let lex: Lexicon<u8> = Lexicon::new(Vec::new());
        assert_eq!(lex.find("abc").count(), 0);
    }
}

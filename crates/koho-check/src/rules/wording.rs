//! Word lists shared by the wording rules (discrimination, insult, obscene, plain language,
//! copyright).
//!
//! All five categories' lists compile, once, into **one** Aho-Corasick automaton whose payload
//! says which category (and which role in it) a pattern belongs to. A post is scanned once:
//! the first of these rules to ask stores every category's hits in the post's `Cx`, and the
//! other rules reuse them.
//!
//! The scan collects every occurrence (overlapping) and then, for each category on its own,
//! keeps the leftmost-longest non-overlapping matches — exactly what a separate automaton
//! per category would report, so one category's long word never hides another category's
//! short one (OB's 「若い女性」 does not hide DS's 「女性」). This is why the module drives
//! `daachorse` itself instead of the shared [`crate::lexicon::Lexicon`], whose single
//! leftmost-longest pass would let categories shadow each other; patterns are normalised the
//! same way (NFKC, lower-case ASCII, katakana folded to hiragana).
//!
//! Data files are tab-separated: `pattern, role, flags, suggestion, note`. The role says
//! what a match means to the rules (a finding, or context such as "this sentence is about
//! preventing discrimination"); `allow` entries are ordinary words that contain a listed one
//! and win by being longer. A pattern may appear on several lines with different roles.
//! Flags: `k` — the match must contain katakana as written (「クズ」, not 「くず」); `h` — it
//! must not (「ばか」 for the hiragana spelling, while 「バカ」 has its own boundary check);
//! `b` — the match must not continue a longer katakana or ASCII word (「カス」 but not
//! 「カスタード」); `n` — a prohibition may follow; a number is a weight.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};

use super::Cx;
use crate::lexicon::tsv;
use crate::normalize::Normalized;

/// The categories with a word list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum List {
    Discrimination = 0,
    Insult = 1,
    Obscene = 2,
    PlainLanguage = 3,
    Copyright = 4,
}

pub(crate) const LISTS: usize = 5;

/// One line of a data file.
#[derive(Debug)]
pub(crate) struct Entry {
    list: List,
    pub(crate) role: &'static str,
    katakana: bool,
    hiragana: bool,
    bounded: bool,
    /// `n`: a prohibition may follow (「無断転載禁止」 is a notice, not a reprint).
    pub(crate) negatable: bool,
    pub(crate) weight: u32,
    /// Replacements, `|`-separated; empty when there is none.
    pub(crate) suggestion: &'static str,
    /// Why the word is a problem, without the source tag.
    pub(crate) note: &'static str,
}

/// The entries of one distinct pattern, ordered by category.
struct Group {
    entries: Vec<Entry>,
    /// Per category: the range of `entries` that belongs to it (empty if none).
    ranges: [Range<usize>; LISTS],
}

struct Compiled {
    ac: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
    groups: Vec<Group>,
}

fn compile(sources: &[(List, &'static str)]) -> Compiled {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut keys: Vec<String> = Vec::new();
    let mut groups: Vec<Vec<Entry>> = Vec::new();
    for &(list, src) in sources {
        for cols in tsv(src) {
            let [pattern, role, flags, suggestion, note] = cols[..] else {
                continue;
            };
            let key = Normalized::new(pattern).folded;
            if key.is_empty() {
                continue;
            }
            let entry = Entry {
                list,
                role,
                katakana: flags.contains('k'),
                hiragana: flags.contains('h'),
                bounded: flags.contains('b'),
                negatable: flags.contains('n'),
                weight: flags.parse().unwrap_or(0),
                suggestion: if suggestion == "-" { "" } else { suggestion },
                note: strip_source(note),
            };
            let at = *index.entry(key.clone()).or_insert_with(|| {
                keys.push(key);
                groups.push(Vec::new());
                groups.len() - 1
            });
            if let Some(g) = groups.get_mut(at) {
                g.push(entry);
            }
        }
    }
    let groups = groups
        .into_iter()
        .map(|mut entries| {
            entries.sort_by_key(|e| e.list as usize);
            let ranges = std::array::from_fn(|l| {
                let start = entries.partition_point(|e| (e.list as usize) < l);
                let end = entries.partition_point(|e| (e.list as usize) <= l);
                start..end
            });
            Group { entries, ranges }
        })
        .collect();
    let ac = CharwiseDoubleArrayAhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .build_with_values(keys.iter().zip(0u32..))
        .ok();
    Compiled { ac, groups }
}

/// 「身体障害に由来する表現 (k)」 → 「身体障害に由来する表現」.
fn strip_source(note: &'static str) -> &'static str {
    let n = note.trim();
    let n = match n.rfind(" (") {
        Some(i) if n.ends_with(')') => &n[..i],
        _ => n,
    };
    if n == "-" || n.starts_with('(') {
        ""
    } else {
        n
    }
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    compile(&[
        (
            List::Discrimination,
            include_str!("../../data/discrimination.tsv"),
        ),
        (List::Insult, include_str!("../../data/insult.tsv")),
        (List::Obscene, include_str!("../../data/obscene.tsv")),
        (
            List::PlainLanguage,
            include_str!("../../data/plain_language_koho.tsv"),
        ),
        (
            List::PlainLanguage,
            include_str!("../../data/plain_language_prh.tsv"),
        ),
        (List::Copyright, include_str!("../../data/copyright.tsv")),
    ])
});

/// A match of one pattern in the normalised text (byte offsets).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    entries: &'static [Entry],
    /// Bit i: `entries[i]` passed its flags.
    ok: u32,
}

impl Hit {
    /// The entry with this role, if the pattern has it here.
    pub(crate) fn get(&self, role: &str) -> Option<&'static Entry> {
        self.entries
            .iter()
            .enumerate()
            .find(|&(i, e)| e.role == role && i < 32 && self.ok & (1 << i) != 0)
            .map(|(_, e)| e)
    }

    pub(crate) fn has(&self, role: &str) -> bool {
        self.get(role).is_some()
    }
}

/// All matches of a category's list in this post, in text order, `allow` entries removed.
pub(crate) fn hits(cx: &Cx<'_>, list: List) -> Vec<Hit> {
    cx.words
        .get_or_init(|| scan(cx))
        .get(list as usize)
        .cloned()
        .unwrap_or_default()
}

/// One pass over the post; then, per category, the leftmost-longest non-overlapping matches.
fn scan(cx: &Cx<'_>) -> [Vec<Hit>; LISTS] {
    let c: &'static Compiled = &COMPILED;
    let mut out: [Vec<Hit>; LISTS] = Default::default();
    let Some(ac) = c.ac.as_ref() else {
        return out;
    };
    let mut found: [Vec<(usize, usize, u32)>; LISTS] = Default::default();
    for m in ac.find_overlapping_iter(&cx.norm.folded) {
        let Some(g) = c.groups.get(m.value() as usize) else {
            continue;
        };
        for (l, r) in g.ranges.iter().enumerate() {
            if !r.is_empty()
                && let Some(f) = found.get_mut(l)
            {
                f.push((m.start(), m.end(), m.value()));
            }
        }
    }
    let text = cx.text();
    for (l, f) in found.iter_mut().enumerate() {
        f.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut last_end = 0;
        for &(start, end, id) in f.iter() {
            if start < last_end {
                continue;
            }
            last_end = end;
            let Some(g) = c.groups.get(id as usize) else {
                continue;
            };
            let Some(entries) = g.ranges.get(l).and_then(|r| g.entries.get(r.clone())) else {
                continue;
            };
            if entries.iter().any(|e| e.role == "allow") {
                continue;
            }
            if let Some(hit) = check_flags(text, start, end, entries)
                && let Some(o) = out.get_mut(l)
            {
                o.push(hit);
            }
        }
    }
    out
}

fn check_flags(text: &str, start: usize, end: usize, entries: &'static [Entry]) -> Option<Hit> {
    let written = text.get(start..end)?;
    let has_katakana = written.chars().any(is_katakana);
    let mut ok = 0u32;
    for (k, e) in entries.iter().enumerate().take(32) {
        let script_ok = (!e.katakana || has_katakana) && (!e.hiragana || !has_katakana);
        if script_ok && (!e.bounded || is_whole_word(text, start, end)) {
            ok |= 1 << k;
        }
    }
    (ok != 0).then_some(Hit {
        start,
        end,
        entries,
        ok,
    })
}

pub(crate) fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | '\u{30FC}' | '\u{31F0}'..='\u{31FF}')
}

/// The match does not continue a katakana word or an ASCII word on either side.
fn is_whole_word(text: &str, start: usize, end: usize) -> bool {
    let (Some(inner), Some(before), Some(after)) =
        (text.get(start..end), text.get(..start), text.get(end..))
    else {
        return false;
    };
    let (Some(first), Some(last)) = (inner.chars().next(), inner.chars().next_back()) else {
        return false;
    };
    let prev = before.chars().next_back();
    let next = after.chars().next();
    let joins = |a: char, b: Option<char>| match b {
        Some(b) => {
            (is_katakana(a) && is_katakana(b))
                || (a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric())
        }
        None => false,
    };
    !joins(first, prev) && !joins(last, next)
}

/// The sentence around byte `at`: delimited by 。！？ and line breaks.
pub(crate) fn sentence(text: &str, at: usize) -> Range<usize> {
    let is_end = |c: char| matches!(c, '。' | '!' | '?' | '\n' | '．');
    let at = at.min(text.len());
    let start = text
        .get(..at)
        .and_then(|b| {
            b.char_indices()
                .rev()
                .find(|&(_, c)| is_end(c))
                .map(|(i, c)| i + c.len_utf8())
        })
        .unwrap_or(0);
    let end = text
        .get(at..)
        .and_then(|a| {
            a.char_indices()
                .find(|&(_, c)| is_end(c))
                .map(|(i, c)| at + i + c.len_utf8())
        })
        .unwrap_or(text.len());
    start..end
}

/// Whether any hit with `role` lies inside `range`.
pub(crate) fn any_in(hits: &[Hit], role: &str, range: &Range<usize>) -> bool {
    hits.iter()
        .any(|h| h.start >= range.start && h.end <= range.end && h.has(role))
}

/// 「a」「b」 from `a|b`.
pub(crate) fn quoted(alternatives: &str) -> String {
    alternatives
        .split('|')
        .map(|a| format!("「{a}」"))
        .collect()
}

/// The text of a hit.
pub(crate) fn word<'t>(text: &'t str, h: &Hit) -> &'t str {
    text.get(h.start..h.end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_compiles_and_has_findings() {
        assert!(COMPILED.ac.is_some());
        for l in 0..LISTS {
            let n = COMPILED
                .groups
                .iter()
                .filter(|g| !g.ranges[l].is_empty())
                .count();
            assert!(n > 20, "list {l} is nearly empty");
        }
    }

    #[test]
    fn categories_do_not_shadow_each_other() {
        // OB's cue 「若い女性」 and DS's group 「女性」 overlap; each category sees its own.
        let n = Normalized::new("若い女性は感情的だ");
        let input = crate::Input {
            text: "",
            platform: None,
            images: &[],
            history: &[],
        };
        let settings = crate::Settings::default();
        let cx = Cx::new(&input, &n, &settings);
        let ds = hits(&cx, List::Discrimination);
        let ob = hits(&cx, List::Obscene);
        assert!(ds.iter().any(|h| h.has("group")));
        assert!(ob.iter().any(|h| h.has("cue")));
    }

    #[test]
    fn roles_are_known() {
        let known = [
            "w1", "w1a", "w2", "w3", "allow", "group", "pred", "pred2", "gen", "excl", "anti",
            "victim", "aware", "cue", "reprint", "whole", "work", "anon", "saying", "lyrics",
            "present", "media", "objp", "objs", "objc", "vcopy", "vscreen", "vuse", "famous",
            "perm", "source", "own", "quoting",
        ];
        for e in COMPILED.groups.iter().flat_map(|g| &g.entries) {
            assert!(known.contains(&e.role), "unknown role {}", e.role);
        }
    }

    #[test]
    fn sentence_bounds() {
        let t = "一文目です。二文目!三文目";
        let r = sentence(t, t.find("二").unwrap());
        assert_eq!(&t[r], "二文目!");
        let r = sentence(t, t.find("三").unwrap());
        assert_eq!(&t[r], "三文目");
    }

    #[test]
    fn whole_word_check() {
        let t = "カスタードとカスと abc";
        let s = t.find("カスと").unwrap();
        assert!(is_whole_word(t, s, s + "カス".len()));
        assert!(!is_whole_word(t, 0, "カス".len()));
        let s = t.find("ab").unwrap();
        assert!(!is_whole_word(t, s, s + 2));
    }

    #[test]
    fn source_tags_are_stripped() {
        assert_eq!(strip_source("差別語 (k)"), "差別語");
        assert_eq!(strip_source("(k)"), "");
        assert_eq!(strip_source("-"), "");
    }

    /// The categories whose rules live in this crate's wording/links/masked-text modules.
    const MINE: &[(&str, &str)] = &[
        ("discrimination", "DS"),
        ("insult", "IN"),
        ("obscene", "OB"),
        ("plain-language", "PL"),
        ("masked-text", "MT"),
        ("url-shortener", "US"),
        ("third-party-link", "TL"),
        ("copyright", "CR"),
    ];

    /// Whether a rule is one of this module family's (not another engineer's rule in the
    /// same category, such as a learned `XX9nn` rule).
    fn is_mine(code: &str) -> bool {
        MINE.iter().any(|(_, p)| code.starts_with(p)) && code.get(2..).is_some_and(|n| n < "900")
    }

    /// Recall and false positives of these categories on the development corpus
    /// (`corpus/dev.jsonl`; the held-out test split is never read here):
    /// `cargo test -p koho-check --lib -- --ignored wording_dev_corpus --nocapture`
    #[test]
    #[ignore = "reads corpus/dev.jsonl"]
    fn wording_dev_corpus() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/dev.jsonl");
        let Ok(src) = std::fs::read_to_string(path) else {
            println!("no {path}");
            return;
        };
        let posts: Vec<serde_json::Value> = src
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut ordinary = (0, 0);
        for (cat, prefix) in MINE {
            let (mut pos, mut hit, mut neg, mut fp) = (0, 0, 0, 0);
            for v in &posts {
                let text = v["text"].as_str().unwrap();
                let labels = v["labels"].as_array().unwrap();
                let labelled = labels.iter().any(|l| l == cat);
                let found: Vec<_> = crate::rules::test::run(text, None)
                    .into_iter()
                    .filter(|d| d.rule.starts_with(prefix) && is_mine(d.rule))
                    .map(|d| format!("{} {}", d.rule, d.excerpt))
                    .collect();
                if labelled {
                    pos += 1;
                    if found.is_empty() {
                        println!("MISSED {cat} {}: {text}", v["id"]);
                    } else {
                        hit += 1;
                    }
                } else {
                    neg += 1;
                    if !found.is_empty() {
                        fp += 1;
                        println!("FALSE  {cat} {}: {found:?} in {text}", v["id"]);
                    }
                }
            }
            println!("== {cat}: recall {hit}/{pos}, flagged {fp}/{neg} posts without the label");
        }
        for v in &posts {
            if v["labels"].as_array().unwrap().is_empty() {
                ordinary.0 += 1;
                let errors: Vec<_> = crate::rules::test::run(v["text"].as_str().unwrap(), None)
                    .into_iter()
                    .filter(|d| d.severity == crate::Severity::Error && is_mine(d.rule))
                    .map(|d| format!("{} {}", d.rule, d.excerpt))
                    .collect();
                if !errors.is_empty() {
                    ordinary.1 += 1;
                    println!("ORDINARY WITH ERROR {}: {errors:?}", v["id"]);
                }
            }
        }
        println!(
            "== ordinary posts with an error from these rules: {}/{}",
            ordinary.1, ordinary.0
        );
    }

    /// Time these rules alone (thread CPU time) on 500-character posts made from the
    /// development corpus, in total and per rule:
    /// `cargo test --release -p koho-check --lib -- --ignored wording_speed --nocapture`
    #[test]
    #[ignore = "timing; run in release"]
    fn wording_speed() {
        fn cpu() -> u128 {
            let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
            t.tv_sec as u128 * 1_000_000_000 + t.tv_nsec as u128
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/dev.jsonl");
        let src = std::fs::read_to_string(path).unwrap_or_default();
        let texts: Vec<String> = src
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["text"].as_str().map(str::to_string))
            .collect();
        let chars: Vec<char> = texts.concat().chars().collect();
        let posts: Vec<String> = (0..400)
            .map(|i| {
                chars
                    .iter()
                    .cycle()
                    .skip(i * 137 % chars.len().max(1))
                    .take(500)
                    .collect()
            })
            .collect();
        let mine: Vec<_> = crate::RULES
            .iter()
            .enumerate()
            .filter(|(_, r)| is_mine(r.code))
            .collect();
        let settings = crate::Settings {
            own_domains: vec!["city.midori.example.lg.jp".into()],
            ..Default::default()
        };
        let mut totals = Vec::new();
        let mut best: HashMap<&str, u128> = HashMap::new();
        let mut per_rule = vec![0u128; mine.len()];
        for round in 0..9 {
            for text in &posts {
                let input = crate::Input {
                    text,
                    platform: None,
                    images: &[],
                    history: &[],
                };
                let norm = Normalized::new(text);
                let cx = Cx::new(&input, &norm, &settings);
                let mut out = crate::registry::Out::default();
                if round % 2 == 1 {
                    // per rule (each timing adds the clock's own cost)
                    for (k, (i, r)) in mine.iter().enumerate() {
                        let a = cpu();
                        out.current = *i;
                        (r.check)(&cx, &mut out);
                        per_rule[k] += cpu() - a;
                    }
                } else {
                    let t0 = cpu();
                    for (i, r) in &mine {
                        out.current = *i;
                        (r.check)(&cx, &mut out);
                    }
                    if round > 0 {
                        let t = cpu() - t0;
                        totals.push(t);
                        let b = best.entry(text.as_str()).or_insert(u128::MAX);
                        *b = (*b).min(t);
                    }
                }
                std::hint::black_box(&out);
            }
        }
        totals.sort_unstable();
        let p = |q: f64| totals[((totals.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
        println!(
            "{} rules, 500-char posts, thread CPU time: p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            mine.len(),
            p(0.5),
            p(0.9),
            p(0.99),
            p(1.0)
        );
        let mut best: Vec<u128> = best.into_values().collect();
        best.sort_unstable();
        let q = |x: f64| best[((best.len() - 1) as f64 * x) as usize] as f64 / 1000.0;
        println!(
            "  fastest of 4 runs per post (machine noise removed): p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            q(0.5),
            q(0.9),
            q(0.99),
            q(1.0)
        );
        for (k, (_, r)) in mine.iter().enumerate() {
            println!(
                "  {} mean {:.2} µs",
                r.code,
                per_rule[k] as f64 / (4 * posts.len()) as f64 / 1000.0
            );
        }
    }

    /// Development aid: `KOHO_PROBE=file` with lines `category<TAB>text` (`-` = must stay clean).
    #[test]
    #[ignore = "development aid"]
    fn wording_probe() {
        let Some(path) = std::env::var_os("KOHO_PROBE") else {
            return;
        };
        let src = std::fs::read_to_string(path).unwrap();
        for line in src.lines() {
            let Some((cat, text)) = line.split_once('\t') else {
                continue;
            };
            let text = text.replace("\\n", "\n");
            let found: Vec<_> = crate::rules::test::run(&text, None)
                .into_iter()
                .filter(|d| is_mine(d.rule))
                .map(|d| format!("{} {}", d.rule, d.excerpt))
                .collect();
            let prefix = MINE.iter().find(|(c, _)| *c == cat).map(|(_, p)| *p);
            if std::env::var_os("KOHO_PROBE_SHOW").is_some() {
                for d in crate::rules::test::run(&text, None)
                    .into_iter()
                    .filter(|d| is_mine(d.rule))
                {
                    println!(
                        "{} {:?} 「{}」 {}\n    提案: {}",
                        d.rule,
                        d.severity,
                        d.excerpt,
                        d.message,
                        d.suggestion.unwrap_or_default()
                    );
                }
            }
            match prefix {
                Some(p) if !found.iter().any(|f| f.starts_with(p)) => {
                    println!("MISS  {cat}: {text}   {found:?}")
                }
                None if !found.is_empty() => println!("NOISE {found:?}: {text}"),
                _ => {}
            }
        }
    }
}

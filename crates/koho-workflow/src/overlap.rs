//! Which existing accounts already cover what a new account would post (狛江市 4(2)ア:
//! consider the existing official accounts before opening a new one). Pure functions.
//!
//! Texts are compared as sets of terms: ASCII words, and character bigrams of the runs of
//! kanji and katakana (hiragana is mostly particles and inflections, so it separates runs).
//! The score is the Dice coefficient of the two sets, over the purpose, content and name.

use std::collections::BTreeSet;

use koho_store::{AccountId, AccountState, DepartmentId, OfficialAccount, Platform};
use serde::Serialize;

/// Score at or above which an account is reported as overlapping.
pub const OVERLAP_THRESHOLD: f64 = 0.2;

/// Katakana words almost every account's purpose contains.
const STOP_WORDS: &[&str] = &[
    "イベント",
    "アカウント",
    "サービス",
    "ソーシャルメディア",
    "ホームページ",
    "メディア",
    "コンテンツ",
    "ページ",
    "ニュース",
    "インターネット",
    "ポスト",
];

/// Bigrams almost every account's purpose contains; they say nothing about overlap.
const STOP_TERMS: &[&str] = &[
    "情報", "発信", "提供", "市民", "公式", "本市", "市政", "運用", "活用", "周知", "広報", "目的",
    "内容", "皆様", "市内", "その", "など", "関す", "行う",
];

/// An existing account that overlaps the proposed one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Overlap {
    pub account_id: AccountId,
    pub platform: Platform,
    pub handle: String,
    pub display_name: String,
    pub state: AccountState,
    /// 0.0 – 1.0.
    pub score: f64,
    /// Terms both texts share (at most 8).
    pub shared_terms: Vec<String>,
    pub same_department: bool,
    pub same_platform: bool,
}

/// Folds full-width ASCII to half-width and lower-cases.
pub fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々' | 'ヶ')
}

fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A0}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}') && c != '・'
}

/// The terms of a text: ASCII words of two or more characters, katakana words and bigrams
/// of kanji runs, without the stop terms.
pub fn terms(text: &str) -> BTreeSet<String> {
    let text = fold_width(text);
    let mut out = BTreeSet::new();
    let mut word = String::new();
    let mut run: Vec<char> = Vec::new();
    let mut kana = String::new();
    // A katakana compound keeps its parts around stop words (スポーツイベント → スポーツ).
    let flush_kana = |kana: &mut String, out: &mut BTreeSet<String>| {
        let mut rest = kana.clone();
        for stop in STOP_WORDS {
            rest = rest.replace(stop, " ");
        }
        for part in rest.split(' ').filter(|p| p.chars().count() >= 2) {
            out.insert(part.to_owned());
        }
        kana.clear();
    };
    let flush_word = |word: &mut String, out: &mut BTreeSet<String>| {
        if word.chars().count() >= 2 {
            out.insert(std::mem::take(word));
        }
        word.clear();
    };
    let flush_run = |run: &mut Vec<char>, out: &mut BTreeSet<String>| {
        for pair in run.windows(2) {
            let t: String = pair.iter().collect();
            if !STOP_TERMS.contains(&t.as_str()) {
                out.insert(t);
            }
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            flush_run(&mut run, &mut out);
            flush_kana(&mut kana, &mut out);
            word.push(c);
        } else if is_kanji(c) {
            flush_word(&mut word, &mut out);
            flush_kana(&mut kana, &mut out);
            run.push(c);
        } else if is_katakana(c) {
            flush_word(&mut word, &mut out);
            flush_run(&mut run, &mut out);
            kana.push(c);
        } else {
            flush_word(&mut word, &mut out);
            flush_run(&mut run, &mut out);
            flush_kana(&mut kana, &mut out);
        }
    }
    flush_word(&mut word, &mut out);
    flush_run(&mut run, &mut out);
    flush_kana(&mut kana, &mut out);
    out
}

/// Dice coefficient of two term sets.
pub fn similarity(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    2.0 * shared as f64 / (a.len() + b.len()) as f64
}

/// What a proposed account is about.
#[derive(Clone, Copy, Debug)]
pub struct Proposal<'a> {
    pub platform: Option<Platform>,
    pub department: Option<&'a DepartmentId>,
    pub display_name: &'a str,
    pub purpose: &'a str,
    pub content: &'a [String],
}

fn account_text(a: &OfficialAccount) -> String {
    let f = &a.fields;
    format!(
        "{} {} {}",
        f.display_name,
        f.purpose,
        f.content_categories.join(" ")
    )
}

/// Existing accounts (not rejected, not the proposal's own `exclude`) whose purpose and
/// content overlap the proposal, best first. An account of the same department is listed on
/// the same platform always, elsewhere at half the threshold.
pub fn find_overlaps(
    proposal: &Proposal<'_>,
    existing: &[OfficialAccount],
    exclude: Option<&AccountId>,
) -> Vec<Overlap> {
    let mine = terms(&format!(
        "{} {} {}",
        proposal.display_name,
        proposal.purpose,
        proposal.content.join(" ")
    ));
    let mut out: Vec<Overlap> = existing
        .iter()
        .filter(|a| Some(&a.id) != exclude)
        .filter(|a| !matches!(a.state, AccountState::Rejected | AccountState::Closed))
        .filter_map(|a| {
            let theirs = terms(&account_text(a));
            let score = similarity(&mine, &theirs);
            let same_department = proposal.department.is_some()
                && proposal.department == a.fields.department_id.as_ref();
            let same_platform = proposal.platform == Some(a.fields.platform);
            let related = same_department && (same_platform || score >= OVERLAP_THRESHOLD / 2.0);
            if score < OVERLAP_THRESHOLD && !related {
                return None;
            }
            Some(Overlap {
                account_id: a.id.clone(),
                platform: a.fields.platform,
                handle: a.fields.handle.clone(),
                display_name: a.fields.display_name.clone(),
                state: a.state,
                score: (score * 100.0).round() / 100.0,
                shared_terms: mine.intersection(&theirs).take(8).cloned().collect(),
                same_department,
                same_platform,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.handle.cmp(&b.handle))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_bigrams_of_kanji_runs_and_ascii_words() {
        let t = terms("子育て支援の情報をＬＩＮＥで発信、スポーツイベントも");
        assert!(t.contains("支援"));
        assert!(t.contains("スポーツ"));
        assert!(!t.contains("イベント"), "stop word");
        assert!(t.contains("line"));
        assert!(!t.contains("情報"), "stop term");
        assert!(!t.contains("ての"), "hiragana separates");
    }

    #[test]
    fn similar_texts_score_higher() {
        let a = terms("図書館のイベントや新着図書のおはなし会");
        let b = terms("図書館の休館日と新着図書の案内");
        let c = terms("道路工事と通行止めのお知らせ");
        assert!(similarity(&a, &b) > similarity(&a, &c));
        assert!(similarity(&a, &b) >= OVERLAP_THRESHOLD);
    }
}

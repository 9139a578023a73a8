//! How each platform counts a post, exactly, and where a post crosses the limit.
//! The editor's live counter and the `length` rule share this code.

use koho_guideline::Platform;
use unicode_segmentation::UnicodeSegmentation;

use crate::text::find_urls;

/// What a platform counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    /// X: CJK and most non-Latin characters weigh 2, Latin 1, a URL 23, an emoji 2.
    Weighted,
    /// User-perceived characters (grapheme clusters).
    Graphemes,
    /// Unicode code points.
    Chars,
}

/// The count of one post on one platform.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Measure {
    pub platform: Platform,
    pub unit: Unit,
    pub count: usize,
    pub limit: usize,
    /// Input character index of the first character beyond the limit.
    pub over_at: Option<usize>,
}

/// X's URL weight: every link is shortened to t.co and counts as 23.
const X_URL: usize = 23;
const MASTODON_URL: usize = 23;

/// The platform's limit and unit, or `None` where koho knows no practical limit.
pub fn rule_for(p: Platform) -> Option<(Unit, usize)> {
    Some(match p {
        Platform::X => (Unit::Weighted, 280),
        Platform::Bluesky => (Unit::Graphemes, 300),
        Platform::Mastodon => (Unit::Graphemes, 500),
        Platform::Threads => (Unit::Chars, 500),
        Platform::Misskey => (Unit::Chars, 3000),
        Platform::Instagram => (Unit::Chars, 2200),
        Platform::Line => (Unit::Chars, 5000),
        Platform::Facebook => (Unit::Chars, 63206),
        Platform::Youtube | Platform::Blog => return None,
    })
}

fn x_weight(c: char) -> usize {
    match c as u32 {
        0x0000..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => 1,
        _ => 2,
    }
}

fn is_emoji_cluster(g: &str) -> bool {
    g.chars().any(|c| {
        matches!(c as u32,
            0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F | 0x200D)
    }) && !g.is_ascii()
}

/// Whether `c` is a grapheme cluster of its own whatever its neighbours are, as long
/// as they come from this set too: its Grapheme_Cluster_Break is Other, LF or Control
/// (never CR, which joins a following LF). Text made only of these characters needs no
/// grapheme segmentation; `own_clusters_break_everywhere` checks the set.
fn is_own_cluster(c: char) -> bool {
    matches!(c as u32,
        0x0A | 0x20..=0x7E
        | 0x2010..=0x2027
        | 0x3000..=0x3029
        | 0x3041..=0x3096
        | 0x309B..=0x30FF
        | 0x4E00..=0x9FFF
        | 0xFF01..=0xFF5E)
}

/// The grapheme clusters of `text`, as `text.graphemes(true)` gives them, segmenting
/// only where a character outside the [`is_own_cluster`] set could join a cluster.
///
/// Between two characters of the set there is always a boundary, and none of them is
/// Extend, ZWJ, Prepend, CR, a regional indicator or pictographic, so the rules that
/// look further back (emoji sequences, flag pairs) stop at them. A window is therefore
/// cut where an own-cluster character is followed by another one: it holds the other
/// characters with their own-cluster neighbours, and segmenting it alone gives the
/// clusters the whole text would. A post with one emoji segments a few characters
/// instead of all of them.
fn clusters(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, bool)> = text
        .char_indices()
        .map(|(b, c)| (b, is_own_cluster(c)))
        .collect();
    let byte = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let own = |i: usize| chars.get(i).is_some_and(|&(_, o)| o);
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let mut end = i + 1;
        while end < chars.len() && !(own(end - 1) && own(end)) {
            end += 1;
        }
        let window = &text[byte(i)..byte(end)];
        if end == i + 1 {
            out.push(window);
        } else {
            out.extend(window.graphemes(true));
        }
        i = end;
    }
    out
}

/// Counts `text` the way `platform` does.
pub fn measure(text: &str, platform: Platform) -> Option<Measure> {
    let (unit, limit) = rule_for(platform)?;
    let (count, over_at) = match unit {
        // Code points: no URL weight, no clusters.
        Unit::Chars => {
            let count = text.chars().count();
            (count, (count > limit).then_some(limit))
        }
        Unit::Weighted | Unit::Graphemes if text.chars().all(is_own_cluster) => {
            let clusters = text.char_indices().map(|(b, c)| &text[b..b + c.len_utf8()]);
            tally(text, clusters, platform, unit, limit)
        }
        Unit::Weighted | Unit::Graphemes => {
            tally(text, clusters(text).into_iter(), platform, unit, limit)
        }
    };
    Some(Measure {
        platform,
        unit,
        count,
        limit,
        over_at,
    })
}

/// The count of `text`, split into `clusters`, and the input character index where
/// it first exceeds `limit`.
fn tally<'t>(
    text: &'t str,
    clusters: impl Iterator<Item = &'t str>,
    platform: Platform,
    unit: Unit,
    limit: usize,
) -> (usize, Option<usize>) {
    let urls = match platform {
        Platform::X | Platform::Mastodon => find_urls(text),
        _ => Vec::new(),
    };
    let url_weight = if platform == Platform::X {
        X_URL
    } else {
        MASTODON_URL
    };
    let mut count = 0usize;
    let mut over_at = None;
    let mut char_index = 0usize;
    let mut byte = 0usize;
    let mut url_iter = urls.iter().peekable();
    let mut add = |weight: usize, at_char: usize, count: &mut usize| {
        *count += weight;
        if over_at.is_none() && *count > limit {
            over_at = Some(at_char);
        }
    };
    for g in clusters {
        let g_chars = if g.len() == 1 { 1 } else { g.chars().count() };
        if url_iter.peek().is_some_and(|u| byte >= u.end) {
            url_iter.next();
        }
        // URLs are found on the text itself (they are ASCII, so byte offsets agree
        // with the input as long as the input is scanned, not a normalised copy).
        if let Some(u) = url_iter.peek()
            && byte >= u.start
            && byte < u.end
        {
            if byte == u.start {
                add(url_weight, char_index, &mut count);
            }
            byte += g.len();
            char_index += g_chars;
            continue;
        }
        match unit {
            Unit::Weighted => {
                let w = if is_emoji_cluster(g) {
                    2
                } else {
                    g.chars().map(x_weight).sum()
                };
                add(w, char_index, &mut count);
            }
            Unit::Graphemes => add(1, char_index, &mut count),
            Unit::Chars => {
                for k in 0..g_chars {
                    add(1, char_index + k, &mut count);
                }
            }
        }
        byte += g.len();
        char_index += g_chars;
    }
    (count, over_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_counts_cjk_as_two_and_latin_as_one() {
        let m = measure("こんにちは abc", Platform::X).unwrap();
        assert_eq!(m.count, 10 + 4);
        assert_eq!(m.over_at, None);
    }

    #[test]
    fn x_counts_a_url_as_23_whatever_its_length() {
        let m = measure(
            "詳細 https://www.city.example.lg.jp/kurashi/gomi/2026/index.html",
            Platform::X,
        )
        .unwrap();
        assert_eq!(m.count, 4 + 1 + 23);
    }

    #[test]
    fn x_limit_is_crossed_at_the_141st_japanese_character() {
        let text = "あ".repeat(141);
        let m = measure(&text, Platform::X).unwrap();
        assert_eq!(m.count, 282);
        assert_eq!(m.over_at, Some(140));
        assert_eq!(
            measure(&"あ".repeat(140), Platform::X).unwrap().over_at,
            None
        );
    }

    #[test]
    fn x_emoji_with_modifiers_counts_two() {
        let m = measure("👍🏽", Platform::X).unwrap();
        assert_eq!(m.count, 2);
        let family = measure("👨\u{200d}👩\u{200d}👧", Platform::X).unwrap();
        assert_eq!(family.count, 2);
    }

    #[test]
    fn bluesky_counts_graphemes() {
        let m = measure(&"が".repeat(300), Platform::Bluesky).unwrap();
        assert_eq!((m.count, m.over_at), (300, None));
        let decomposed = "か\u{3099}".repeat(301);
        let m = measure(&decomposed, Platform::Bluesky).unwrap();
        assert_eq!(m.count, 301);
        assert_eq!(m.over_at, Some(600));
    }

    #[test]
    fn line_allows_5000_chars() {
        assert_eq!(
            measure(&"a".repeat(5000), Platform::Line).unwrap().over_at,
            None
        );
        assert_eq!(
            measure(&"a".repeat(5001), Platform::Line).unwrap().over_at,
            Some(5000)
        );
    }

    #[test]
    fn blog_has_no_limit() {
        assert!(measure("x", Platform::Blog).is_none());
    }

    /// Each character of the fast path's set forms a cluster of its own next to any
    /// other of the set, itself included, and next to characters of every kind.
    #[test]
    fn own_clusters_break_everywhere() {
        let set: Vec<char> = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|&c| is_own_cluster(c))
            .collect();
        let others = [
            'a', ' ', '\n', 'あ', 'ア', '漢', '。', '（', '０', '\u{3000}', '―',
        ];
        for &c in &set {
            for &d in others.iter().chain(std::iter::once(&c)) {
                let pair = format!("{c}{d}");
                assert_eq!(
                    pair.graphemes(true).count(),
                    2,
                    "U+{:04X} U+{:04X}",
                    c as u32,
                    d as u32
                );
                let pair = format!("{d}{c}");
                assert_eq!(
                    pair.graphemes(true).count(),
                    2,
                    "U+{:04X} U+{:04X}",
                    d as u32,
                    c as u32
                );
            }
        }
    }

    /// Windowed segmentation gives the clusters segmenting the whole text gives, for
    /// texts mixing the own-cluster set with marks, joiners, flags, CR LF, prepended
    /// and Hangul characters.
    #[test]
    fn windowed_segmentation_agrees_with_whole_text_segmentation() {
        let pool: Vec<char> = "あア漢。「 a\n\r\u{3099}\u{301}\u{20DD}👍🏽\u{200d}👩❤\u{fe0f}🇯🇵🇺🇸é한\u{1100}\u{1161}\u{11A8}\u{600}\u{0E33}\u{093F}…※☀\u{200b}\t"
            .chars()
            .collect();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for n in 0..30_000 {
            let len = n % 24;
            let mut t = String::new();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                t.push(pool[(seed % pool.len() as u64) as usize]);
            }
            let whole: Vec<&str> = t.graphemes(true).collect();
            assert_eq!(clusters(&t), whole, "{t:?}");
        }
    }

    /// The count as it was before the fast paths: grapheme segmentation always.
    fn reference(text: &str, platform: Platform) -> Option<(usize, Option<usize>)> {
        let (unit, limit) = rule_for(platform)?;
        Some(tally(text, text.graphemes(true), platform, unit, limit))
    }

    #[test]
    fn the_fast_paths_count_what_segmentation_counts() {
        let pool: Vec<char> = "あいうアイウ漢字ｱｲｳﾞﾟ０１２ＡＢａｂ09AZaz-ー。、「」\n \r\u{3099}\u{301}👍🏽\u{200d}👩🇯🇵é한\u{1161}"
            .chars()
            .collect();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut texts: Vec<String> = vec![
            "詳細 https://www.city.example.lg.jp/a をご覧ください".into(),
            "あ".repeat(141),
            format!(
                "{}https://x.example.com/{}",
                "あ".repeat(130),
                "b".repeat(40)
            ),
        ];
        for _ in 0..5_000 {
            let len = (seed % 320) as usize;
            let mut t = String::new();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // mostly the fast set, sometimes anything from the pool
                let c = if seed.is_multiple_of(5) {
                    pool[(seed / 5 % pool.len() as u64) as usize]
                } else {
                    "あ漢ア。a 1\nー"
                        .chars()
                        .nth((seed / 5 % 9) as usize)
                        .unwrap()
                };
                t.push(c);
            }
            if seed.is_multiple_of(3) {
                t.push_str(" https://bit.ly/3abc ");
            }
            texts.push(t);
        }
        for t in &texts {
            for p in Platform::ALL {
                let got = measure(t, *p).map(|m| (m.count, m.over_at));
                assert_eq!(got, reference(t, *p), "{p:?} {t:?}");
            }
        }
    }
}

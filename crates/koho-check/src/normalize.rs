//! Text normalisation with a map back to the writer's own characters.
//!
//! Rules match on one canonical form — NFKC (full-width digits and letters become
//! ASCII, half-width kana become full-width), lower-case ASCII, dashes between digits
//! folded to `-` — so that 「０９０－１２３４－５６７８」 and "090-1234-5678" are the same
//! phone number. Diagnostics must point into the text the user typed, so every
//! byte of the normalised text remembers which input characters it came from.
//!
//! Normalisation runs on every post and on every phrase of the lists at start-up, so
//! it is the checker's hottest code. Almost every character of a Japanese post (kana,
//! kanji, ASCII, full-width ASCII, the common punctuation) normalises on its own to a
//! known result; those take a table-free fast path, and only the rest goes through
//! the NFKC iterator, one segment (a character and the marks that compose with it)
//! at a time.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::canonical_combining_class;

/// The normalised text of one post.
#[derive(Debug, Default)]
pub struct Normalized {
    /// NFKC, ASCII lower-cased, dashes between digits as `-`.
    pub text: String,
    /// `text` with katakana folded to hiragana (same byte length, so spans are shared).
    pub folded: String,
    /// For every byte of `text`: the input character range `[start, end)` it came from.
    src: Vec<(u32, u32)>,
    /// Number of characters in the input.
    pub input_chars: usize,
}

fn is_extender(c: char) -> bool {
    // Kana, kanji and everything below U+0300 have combining class 0 and are not the
    // voiced sound marks: answered without the table.
    match c as u32 {
        0..0x300 | 0x3040..0x3099 | 0x309B..0x3100 | 0x4E00..0xA000 => false,
        _ => {
            // Combining marks and the half-width/full-width voiced sound marks compose
            // with the preceding character under NFKC, so they must be normalised
            // together with it.
            canonical_combining_class(c) != 0
                || matches!(c, '\u{FF9E}' | '\u{FF9F}' | '\u{3099}' | '\u{309A}')
        }
    }
}

/// NFKC of `c` standing alone, lower-cased, for the characters posts are made of;
/// `None` sends a character to the NFKC iterator. `stable_chars_are_their_own_nfkc`
/// checks every character this answers for.
fn alone(c: char) -> Option<char> {
    match c as u32 {
        0..0x80 => Some(c.to_ascii_lowercase()),
        // hiragana; katakana, the middle dot and the long-vowel mark; ideographic
        // iteration mark, closing mark, number zero; brackets; wave dash
        0x3041..=0x3096
        | 0x30A1..=0x30FC
        | 0x3001..=0x3003
        | 0x3005..=0x3007
        | 0x3008..=0x3011
        | 0x3014..=0x301C
        | 0x4E00..=0x9FFF => Some(c),
        // full-width ASCII
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).map(|a| a.to_ascii_lowercase()),
        // ideographic space
        0x3000 => Some(' '),
        _ => None,
    }
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            ..='\u{2015}'
                | '\u{2212}'
                | '\u{30FC}'
                | '\u{FF70}'
                | '\u{FE63}'
                | '\u{2500}'
                | '\u{2501}'
    )
}

impl Normalized {
    pub fn new(input: &str) -> Normalized {
        let mut text = String::with_capacity(input.len() + 8);
        let mut src: Vec<(u32, u32)> = Vec::with_capacity(input.len() + 8);
        let mut seg = String::new();
        let mut chars = input.chars().peekable();
        let mut i: u32 = 0;
        while let Some(c) = chars.next() {
            let start = i;
            i += 1;
            let extended = chars.peek().is_some_and(|&n| is_extender(n));
            if !extended && let Some(a) = alone(c) {
                text.push(a);
                src.extend(std::iter::repeat_n((start, i), a.len_utf8()));
                continue;
            }
            seg.clear();
            seg.push(c);
            while let Some(&n) = chars.peek()
                && is_extender(n)
            {
                seg.push(n);
                chars.next();
                i += 1;
            }
            for c in seg.nfkc() {
                let c = c.to_ascii_lowercase();
                text.push(c);
                src.extend(std::iter::repeat_n((start, i), c.len_utf8()));
            }
        }
        fold_dashes_between_digits(&mut text, &mut src);
        let folded = kata_to_hira(&text);
        Normalized {
            text,
            folded,
            src,
            input_chars: i as usize,
        }
    }

    /// The input character range of a byte range of `text`.
    pub fn to_input(&self, start: usize, end: usize) -> (usize, usize) {
        if self.src.is_empty() {
            return (0, 0);
        }
        let s = self
            .src
            .get(start)
            .map_or(self.input_chars, |r| r.0 as usize);
        let e = if end == 0 {
            s
        } else {
            self.src
                .get(end - 1)
                .map_or(self.input_chars, |r| r.1 as usize)
        };
        (s, e.max(s))
    }

    /// The byte offset in `text` where the input character `ch` starts.
    pub fn from_input_char(&self, ch: usize) -> usize {
        self.src.partition_point(|r| (r.0 as usize) < ch)
    }
}

/// `text` with katakana U+30A1–U+30F6 as hiragana (0x60 lower). Both are three bytes
/// in UTF-8 (`E3 82 A1` … `E3 83 B6` to `E3 81 81` … `E3 82 96`), so the bytes are
/// rewritten in place and every offset stays valid.
fn kata_to_hira(text: &str) -> String {
    let mut b = text.as_bytes().to_vec();
    let mut k = 0;
    while k + 2 < b.len() {
        if b[k] != 0xE3 {
            k += 1;
            continue;
        }
        let cp = 0x3000 | (u32::from(b[k + 1] & 0x3F) << 6) | u32::from(b[k + 2] & 0x3F);
        if (0x30A1..=0x30F6).contains(&cp) {
            let h = cp - 0x60;
            b[k + 1] = 0x80 | ((h >> 6) & 0x3F) as u8;
            b[k + 2] = 0x80 | (h & 0x3F) as u8;
        }
        k += 3;
    }
    String::from_utf8(b).unwrap_or_else(|_| text.to_owned())
}

/// 「０９０ー１２３４」 uses the long-vowel mark or a minus sign as a hyphen; between
/// two digits every dash-like character becomes `-`. Elsewhere ー stays a vowel mark.
fn fold_dashes_between_digits(text: &mut String, src: &mut Vec<(u32, u32)>) {
    // Digits are ASCII, so "the character before is a digit" is a test of one byte.
    let bytes = text.as_bytes();
    let digit_at = |k: usize| bytes.get(k).is_some_and(u8::is_ascii_digit);
    let folds: Vec<(usize, usize)> = text
        .char_indices()
        .filter(|&(b, c)| {
            c != '-' && b > 0 && digit_at(b - 1) && digit_at(b + c.len_utf8()) && is_dash(c)
        })
        .map(|(b, c)| (b, c.len_utf8()))
        .collect();
    if folds.is_empty() {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let mut out_src = Vec::with_capacity(src.len());
    let mut from = 0;
    for (b, len) in folds {
        out.push_str(&text[from..b]);
        out_src.extend_from_slice(&src[from..b]);
        out.push('-');
        out_src.push(src[b]);
        from = b + len;
    }
    out.push_str(&text[from..]);
    out_src.extend_from_slice(&src[from..]);
    *text = out;
    *src = out_src;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_dashes_become_ascii() {
        let n = Normalized::new("電話０９０ー１２３４−５６７８まで");
        assert_eq!(n.text, "電話090-1234-5678まで");
        let start = n.text.find("090").unwrap();
        let end = start + "090-1234-5678".len();
        assert_eq!(n.to_input(start, end), (2, 15));
    }

    #[test]
    fn half_width_kana_with_voiced_mark_maps_back_to_both_input_chars() {
        let n = Normalized::new("ｶﾞｽ料金");
        assert_eq!(n.text, "ガス料金");
        assert_eq!(n.to_input(0, "ガ".len()), (0, 2));
        assert_eq!(n.folded, "がす料金");
    }

    #[test]
    fn long_vowel_mark_is_kept_inside_words() {
        assert_eq!(Normalized::new("スーパー").text, "スーパー");
    }

    #[test]
    fn compatibility_characters_expand_and_map_to_one_input_char() {
        let n = Normalized::new("㍻31年");
        assert_eq!(n.text, "平成31年");
        assert_eq!(n.to_input(0, "平成".len()), (0, 1));
    }

    #[test]
    fn empty_input() {
        let n = Normalized::new("");
        assert_eq!(n.to_input(0, 0), (0, 0));
    }

    /// Every character the fast path answers for is its own NFKC (lower-cased), and
    /// the quick extender test agrees with the table.
    #[test]
    fn the_fast_path_agrees_with_nfkc_for_every_character() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            if let Some(a) = alone(c) {
                let want: String = std::iter::once(c)
                    .nfkc()
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                assert_eq!(a.to_string(), want, "U+{:04X}", c as u32);
                assert_eq!(canonical_combining_class(c), 0, "U+{:04X}", c as u32);
            }
            let slow = canonical_combining_class(c) != 0
                || matches!(c, '\u{FF9E}' | '\u{FF9F}' | '\u{3099}' | '\u{309A}');
            assert_eq!(is_extender(c), slow, "U+{:04X}", c as u32);
        }
    }

    /// The normalisation as it was before the fast paths: every segment through the
    /// NFKC iterator, katakana folded per character.
    fn reference(input: &str) -> (String, String, Vec<(u32, u32)>, usize) {
        let chars: Vec<char> = input.chars().collect();
        let mut text = String::new();
        let mut src: Vec<(u32, u32)> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let start = i;
            i += 1;
            while i < chars.len() && is_extender(chars[i]) {
                i += 1;
            }
            let seg: String = chars[start..i].iter().collect();
            for c in seg.nfkc() {
                let c = c.to_ascii_lowercase();
                text.push(c);
                src.extend(std::iter::repeat_n((start as u32, i as u32), c.len_utf8()));
            }
        }
        let cs: Vec<(usize, char)> = text.char_indices().collect();
        let mut out = String::new();
        let mut out_src = Vec::new();
        for (k, &(b, c)) in cs.iter().enumerate() {
            let prev = k > 0 && cs[k - 1].1.is_ascii_digit();
            let next = cs.get(k + 1).is_some_and(|(_, n)| n.is_ascii_digit());
            if c != '-' && is_dash(c) && prev && next {
                out.push('-');
                out_src.push(src[b]);
            } else {
                out.push(c);
                out_src.extend_from_slice(&src[b..b + c.len_utf8()]);
            }
        }
        let folded = out
            .chars()
            .map(|c| match c {
                '\u{30A1}'..='\u{30F6}' => char::from_u32(c as u32 - 0x60).unwrap(),
                _ => c,
            })
            .collect();
        (out, folded, out_src, chars.len())
    }

    fn same_as_reference(t: &str) {
        let n = Normalized::new(t);
        let (text, folded, src, chars) = reference(t);
        assert_eq!(n.text, text, "{t:?}");
        assert_eq!(n.folded, folded, "{t:?}");
        assert_eq!(n.src, src, "{t:?}");
        assert_eq!(n.input_chars, chars, "{t:?}");
    }

    #[test]
    fn the_fast_paths_give_what_nfkc_per_segment_gives() {
        for t in [
            "電話０９０ー１２３４−５６７８まで",
            "ｶﾞｽ料金ﾊﾟﾝﾌﾚｯﾄ ｱｲｳ",
            "㍻31年、①②③、ＡＢＣ　ｄｅｆ、Ｅメール",
            "か\u{3099}き\u{309A}ゝゞヽヾヿゟ゛゜",
            "e\u{301}te\u{301}\u{302}, A\u{30A}ngström, ﬁle",
            "1ー2ー3、1－2、1‐2、1—2、一ー二、ー1ー、1ー",
            "アァヴヵヶヷヸヹヺ・ーヽ",
            "한국어 ᄀ\u{1161}\u{11A8}",
            "👍🏽👨\u{200d}👩\u{200d}👧 🇯🇵",
            "\u{301}先頭の結合文字",
            "https://WWW.City.Example.jp/A?B=C",
            "",
        ] {
            same_as_reference(t);
        }
        // Random strings over characters from every path, marks and dashes included.
        let pool: Vec<char> = "あいうアイウ漢字ｱｲｳﾞﾟ０１２ＡＢａｂ09AZaz-ー−‐–—―─\u{3099}\u{309A}\u{301}\u{20DD}㍻①ﬁ　 、。「」（）〜～！？\n\t👍🏽\u{200d}é한"
            .chars()
            .collect();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            let len = (seed % 12) as usize;
            let mut t = String::new();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                t.push(pool[(seed % pool.len() as u64) as usize]);
            }
            same_as_reference(&t);
        }
    }
}

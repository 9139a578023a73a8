//! Text normalisation with a map back to the writer's own characters.
//!
//! Rules match on one canonical form — NFKC (full-width digits and letters become
//! ASCII, half-width kana become full-width), lower-case ASCII, dashes between digits
//! folded to `-` — so that 「０９０－１２３４－５６７８」 and "090-1234-5678" are the same
//! phone number. Diagnostics must point into the text the user typed, so every
//! byte of the normalised text remembers which input characters it came from.

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
    // Combining marks and the half-width/full-width voiced sound marks compose with the
    // preceding character under NFKC, so they must be normalised together with it.
    canonical_combining_class(c) != 0
        || matches!(c, '\u{FF9E}' | '\u{FF9F}' | '\u{3099}' | '\u{309A}')
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
        let chars: Vec<char> = input.chars().collect();
        let mut text = String::with_capacity(input.len() + 8);
        let mut src: Vec<(u32, u32)> = Vec::with_capacity(input.len() + 8);
        let mut i = 0;
        let mut seg = String::new();
        while i < chars.len() {
            let start = i;
            i += 1;
            while i < chars.len() && is_extender(chars[i]) {
                i += 1;
            }
            seg.clear();
            seg.extend(chars[start..i].iter());
            let range = (start as u32, i as u32);
            for c in seg.nfkc() {
                let c = if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c
                };
                let mut buf = [0u8; 4];
                let s = c.encode_utf8(&mut buf);
                text.push_str(s);
                src.extend(std::iter::repeat_n(range, s.len()));
            }
        }
        fold_dashes_between_digits(&mut text, &mut src);
        let folded = text.chars().map(kata_to_hira).collect();
        Normalized {
            text,
            folded,
            src,
            input_chars: chars.len(),
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

fn kata_to_hira(c: char) -> char {
    match c {
        '\u{30A1}'..='\u{30F6}' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        _ => c,
    }
}

/// 「０９０ー１２３４」 uses the long-vowel mark or a minus sign as a hyphen; between
/// two digits every dash-like character becomes `-`. Elsewhere ー stays a vowel mark.
fn fold_dashes_between_digits(text: &mut String, src: &mut Vec<(u32, u32)>) {
    if !text.chars().any(|c| is_dash(c) && c != '-') {
        return;
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = String::with_capacity(text.len());
    let mut out_src = Vec::with_capacity(src.len());
    for (k, &(b, c)) in chars.iter().enumerate() {
        let len = c.len_utf8();
        let prev_digit = k > 0 && chars[k - 1].1.is_ascii_digit();
        let next_digit = chars.get(k + 1).is_some_and(|(_, n)| n.is_ascii_digit());
        if c != '-' && is_dash(c) && prev_digit && next_digit {
            out.push('-');
            out_src.push(src[b]);
        } else {
            out.push(c);
            out_src.extend_from_slice(&src[b..b + len]);
        }
    }
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
}

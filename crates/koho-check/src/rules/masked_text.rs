//! Masked text (伏せ字): runs of mask symbols (MT001) and a single mask symbol inside a word
//! (MT002).

use koho_guideline::Category;

use super::{Cx, Rule};
use crate::registry::Out;

/// Symbols used to hide words. 〇 is also the kanji zero; ☆★※◎◆◇ are marks and bullets.
fn is_mask(c: char) -> bool {
    matches!(
        c,
        '○' | '〇'
            | '◯'
            | '●'
            | '□'
            | '■'
            | '△'
            | '▲'
            | '▽'
            | '▼'
            | '×'
            | '✕'
            | '✖'
            | '*'
    )
}

fn is_round(c: char) -> bool {
    matches!(c, '○' | '〇' | '◯')
}

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit()
        || matches!(
            c,
            '一' | '二'
                | '三'
                | '四'
                | '五'
                | '六'
                | '七'
                | '八'
                | '九'
                | '十'
                | '百'
                | '千'
                | '万'
                | '〇'
        )
}

/// Kanji, kana or the long-vowel mark: a character that belongs to a Japanese word.
fn is_word_char(c: char) -> bool {
    matches!(c,
        '\u{3041}'..='\u{309F}' | '\u{30A1}'..='\u{30FA}' | '\u{30FC}' | '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々')
}

/// Lines that show how to fill in a form use 〇〇 as a placeholder.
fn is_example_line(line: &str) -> bool {
    ["記入例", "例:", "(例", "【例", "見本"]
        .iter()
        .any(|m| line.contains(m))
}

/// A run of mask symbols in the normalised text (byte range, characters).
struct Run {
    start: usize,
    end: usize,
    chars: Vec<char>,
}

fn runs(text: &str) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut cur: Option<Run> = None;
    for (i, c) in text.char_indices() {
        if is_mask(c) {
            match cur.as_mut() {
                Some(r) => {
                    r.end = i + c.len_utf8();
                    r.chars.push(c);
                }
                None => {
                    cur = Some(Run {
                        start: i,
                        end: i + c.len_utf8(),
                        chars: vec![c],
                    })
                }
            }
        } else if let Some(r) = cur.take() {
            out.push(r);
        }
    }
    out.extend(cur);
    out
}

fn line_of(text: &str, at: usize) -> &str {
    let start = text
        .get(..at)
        .and_then(|b| b.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(at..)
        .and_then(|a| a.find('\n'))
        .map_or(text.len(), |i| at + i);
    text.get(start..end).unwrap_or("")
}

/// Whether a run is something other than hiding a word.
fn is_not_a_mask(text: &str, r: &Run, urls: &[std::ops::Range<usize>]) -> bool {
    let prev = text.get(..r.start).and_then(|b| b.chars().next_back());
    let next = text.get(r.end..).and_then(|a| a.chars().next());
    let line = line_of(text, r.start);
    let body = line.trim();
    // 〇 as the kanji zero: 二〇二六年, 一〇〇
    if r.chars.iter().all(|&c| is_round(c))
        && (prev.is_some_and(is_numeral) || next.is_some_and(is_numeral))
    {
        return true;
    }
    // ○×クイズ, 3×3
    if r.chars.len() == 2 && is_round(r.chars[0]) && matches!(r.chars[1], '×' | '✕') {
        return true;
    }
    if r.chars.iter().all(|&c| c == '×')
        && (prev.is_some_and(|c| c.is_ascii_digit()) || next.is_some_and(|c| c.is_ascii_digit()))
    {
        return true;
    }
    // a separator line (＊＊＊, ■■■■) or a frame around a heading (◆◆お知らせ◆◆, ■■ 募集 ■■)
    let run_text = text.get(r.start..r.end).unwrap_or("");
    if body == run_text
        || (body.starts_with(run_text)
            && body.ends_with(run_text)
            && body.len() > run_text.len() * 2)
    {
        return true;
    }
    // **bold** in Markdown
    if r.chars.iter().all(|&c| c == '*') && r.chars.len() == 2 && line.matches("**").count() >= 2 {
        return true;
    }
    is_example_line(line) || urls.iter().any(|u| u.start <= r.start && r.end <= u.end)
}

pub(crate) struct MaskRun;

impl Rule for MaskRun {
    const CODE: &'static str = "MT001";
    const NAME: &'static str = "masked-word";
    const CATEGORY: Category = Category::MaskedText;
    const SUMMARY: &'static str = "〇〇・××などの伏せ字で語を隠している";
    const DOC: &'static str = "\
## 何を見つけるか
「○○さん」「××というご発言」「□□ビル」「●●を理由に」「＊＊＊＊まんじゅう」「×××万円」のように、
伏せ字の記号（○ 〇 ◯ ● □ ■ △ ▲ × ＊ など）を2つ以上続けて、語を隠している箇所です。
英字の「XX社」のような伏せ字も対象です。

次の場合は知らせません。
- 漢数字のゼロとしての〇（「二〇二六年」「一〇〇周年」）
- 「○×クイズ」「3×3」
- 区切り線（「＊＊＊＊＊」だけの行）や見出しの飾り（「■■ 募集 ■■」）、Markdown の太字（「**重要**」）
- 記入例・見本の中の「〇〇町〇〇番地」
- 行頭の「●」「◯」など、1つだけの記号（箇条書き）。1つだけで語の中にあるものは MT002 が扱います

## なぜ
伏せ字は「何を隠しているのか」という憶測や詮索を招き、誤解や風評につながります。
書ける内容ははっきり書き、書けない内容には触れないのが原則です。

## 例
- 見つける: 「市内の○○地区で××による被害が相次いでいます」
- 見つける: 「先日の会議で△△議員から××というご発言がありました」
- 見つけない: 「令和八年（二〇二六年）四月一日から」
- 見つけない: 「●水：1人1日3リットルを目安に」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        if !text.chars().any(|c| is_mask(c) || c == 'x') {
            return;
        }
        let urls: Vec<_> = cx.urls().iter().map(|u| u.start..u.end).collect();
        for r in runs(text) {
            if r.chars.len() < 2 || is_not_a_mask(text, &r, &urls) {
                continue;
            }
            let masked = text.get(r.start..r.end).unwrap_or("");
            out.at(
                r.start,
                r.end,
                format!("「{masked}」は伏せ字です。何を隠しているのか憶測や詮索を招きます"),
                Some(
                    "書ける内容は明記し、書けない内容は触れないか、「一部の店舗」のように伏せ字を使わない表現にしてください"
                        .to_string(),
                ),
            );
        }
        for (start, end) in ascii_masks(text, &urls) {
            out.at(
                start,
                end,
                format!(
                    "「{}」は伏せ字です。何を隠しているのか憶測や詮索を招きます",
                    text.get(start..end).unwrap_or("")
                ),
                Some("書ける内容は明記し、書けない内容には触れないでください".to_string()),
            );
        }
    }
}

/// 「XX社」「xx地区」: two or three x's standing alone before a Japanese word.
fn ascii_masks(text: &str, urls: &[std::ops::Range<usize>]) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'x' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i] == b'x' {
            i += 1;
        }
        let n = i - start;
        let prev_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let next = text.get(i..).and_then(|a| a.chars().next());
        if (2..=3).contains(&n)
            && prev_ok
            && next.is_some_and(is_word_char)
            && !urls.iter().any(|u| u.start <= start && i <= u.end)
            && !is_example_line(line_of(text, start))
        {
            out.push((start, i));
        }
    }
    out
}

pub(crate) struct MaskInWord;

/// Honorifics and titles after a masked name: 「○さん」「△課長」.
const TITLES: &[&str] = &[
    "さん",
    "様",
    "さま",
    "氏",
    "くん",
    "君",
    "ちゃん",
    "課長",
    "部長",
    "議員",
    "先生",
    "社長",
    "店長",
];

impl Rule for MaskInWord {
    const CODE: &'static str = "MT002";
    const NAME: &'static str = "masked-character";
    const CATEGORY: Category = Category::MaskedText;
    const SUMMARY: &'static str = "語の一部を○などの記号1つで伏せている";
    const DOC: &'static str = "\
## 何を見つけるか
「山田○子」「田中●さん」「△課長」のように、語の中の1文字を伏せ字の記号（○ 〇 ◯ ● □ ■ △）で隠している箇所です。
記号の前後がどちらも漢字・かなのとき、または記号のすぐ後に「さん」「様」「課長」などが続くときに知らせます。

行頭や「：」の後の記号（「◯ 参加費：無料」「受付：○」）、漢数字のゼロ（「二〇二六年」）、
「みどり市×あおば大学」の「×」は対象外です。

## なぜ
名前などを一部だけ伏せると、かえって誰のことかを推測させ、憶測や詮索を招きます。

## 例
- 見つける: 「山田○子さんが受賞しました」
- 見つけない: 「◯ 参加費：無料」
- 見つけない: 「受付：○（当日可）」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        if !text.chars().any(is_mask) {
            return;
        }
        let urls: Vec<_> = cx.urls().iter().map(|u| u.start..u.end).collect();
        for r in runs(text) {
            let [c] = r.chars[..] else {
                continue;
            };
            if matches!(c, '×' | '✕' | '✖' | '*' | '▲' | '▼' | '▽')
                || is_not_a_mask(text, &r, &urls)
            {
                continue;
            }
            let prev = text.get(..r.start).and_then(|b| b.chars().next_back());
            let rest = text.get(r.end..).unwrap_or("");
            let next = rest.chars().next();
            let inside = prev.is_some_and(is_word_char) && next.is_some_and(is_word_char);
            let titled = TITLES.iter().any(|t| rest.starts_with(t));
            if !(inside || titled) {
                continue;
            }
            // the word around the mask, for the excerpt: up to 3 characters each side
            let start = text
                .get(..r.start)
                .map(|b| {
                    b.char_indices()
                        .rev()
                        .take_while(|&(_, c)| is_word_char(c))
                        .take(3)
                        .last()
                        .map_or(r.start, |(i, _)| i)
                })
                .unwrap_or(r.start);
            let end = r.end
                + rest
                    .chars()
                    .take_while(|&c| is_word_char(c))
                    .take(3)
                    .map(char::len_utf8)
                    .sum::<usize>();
            out.at(
                start,
                end,
                format!("「{}」は語の一部を伏せ字にしています。誰・何のことかを推測させ、憶測を招きます", text.get(start..end).unwrap_or("")),
                Some("伏せずに書ける場合は明記し、書けない場合はその語に触れない書き方にしてください".to_string()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts};

    #[test]
    fn mt001_runs() {
        cases(
            "MT001",
            &[
                "令和八年（二〇二六年）四月一日から、一〇〇周年記念事業が始まります。",
                "◯ 参加費：無料\n◯ 定員：30人",
                "9月1日は防災の日です。\n●水：1人1日3リットル\n●食料：3日分",
                "○×クイズ大会を開きます。3×3バスケの大会も。",
                "＊＊＊＊＊\n次のお知らせです",
                "■■ 参加者募集 ■■",
                "記入例：みどり市〇〇町〇〇番地",
                "**重要** 本日は休館日です",
                "詳しくは https://www.city.midori.example.lg.jp/a/xxb.html をご覧ください",
            ],
            &[
                "ふるさと納税の返礼品に関する不適切な取り扱い（金額：×××万円）について",
                "某有名人の〇〇さんが、来月みどり市にやって来る!?",
                "駅前の□□ビル跡地の活用について",
                "先日の会議で△△議員から××というご発言がありました",
                "市内の○○地区で××による被害が相次いでいます。",
                "本日、職員が●●を理由に懲戒処分となりました。",
                "みどり市の新名物「＊＊＊＊まんじゅう」、名前はまだヒミツです",
                "XX社との契約について",
            ],
        );
        assert_eq!(excerpts("MT001", "駅前の□□ビル跡地"), vec!["□□"]);
        assert_eq!(
            excerpts("MT001", "「＊＊＊＊まんじゅう」"),
            vec!["＊＊＊＊"]
        );
    }

    #[test]
    fn mt002_single_symbol_in_word() {
        cases(
            "MT002",
            &[
                "◯ 参加費：無料",
                "受付：○（当日可）",
                "二〇二六年",
                "みどり市×あおば大学 連携協定",
                "●水：3リットル",
            ],
            &[
                "山田○子さんが受賞しました。",
                "昨日、田中●さんから連絡がありました。",
            ],
        );
        assert_eq!(excerpts("MT002", "山田○子さんが"), vec!["山田○子さん"]);
    }
}

use std::sync::LazyLock;

use koho_guideline::Category;
use regex::Regex;

use super::context::{ADDRESS_CUES, Cue, nearest};
use super::{back, char_before, is_hiragana, is_kanji, is_katakana};
use crate::registry::Out;
use crate::rules::{Cx, Rule};

/// PI003: an address down to the house (番地・号) or the flat.
pub(crate) struct HomeAddress;

impl Rule for HomeAddress {
    const CODE: &'static str = "PI003";
    const NAME: &'static str = "home-address";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "番地・号や部屋番号まで書いた個人の住所";
    const DOC: &'static str = "\
## 何を見つけるか
家や部屋まで特定できる住所を見つけます。郵便番号（〒123-4567）が前にあれば、そこから示します。

- 丁目・番・号（若葉町3丁目14番8号、北町1丁目6番、1丁目2-3）
- 番地（中町123番地、123番地の4）
- ハイフン区切り（川口3-22-5）
- 団地・マンションの棟や部屋（3号棟205号室）

次のものは示しません。

- 町丁目までの地域名（「北町1丁目の一部で断水」「中央町2丁目付近」「1丁目2番から5番まで」）
- 市役所・公民館・センター・体育館・図書館・学校・公園など施設の住所や、会場・所在地として書かれた住所、事業所の住所（「さん」「様」「自宅」「お住まい」など個人を示す語の方が近い場合を除く）
- 郵便番号だけのもの

## なぜ
番地や部屋番号まで書いた住所は、氏名がなくても住んでいる人を特定できます。受賞者や寄附者の紹介、事故や滞納の案内で住所を載せてしまう誤りが起こります。地域を伝えるときは町丁目までにします。

## 例
示す:
- 最優秀賞 〒012-3481 みどり市若葉町3丁目14番8号 高橋 美代子 様
- ご自宅（川口3-22-5）を訪問しました
- 東浜団地3号棟205号室にお住まいの方

示さない:
- 南町2丁目の一部で断水します
- 会場：みどり市民会館（みどり市中央町1丁目2番3号）";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        if !text.contains('番') && !text.contains('号') && !text.contains('-') {
            return;
        }
        let Some(re) = ADDRESS.as_ref() else {
            return;
        };
        for m in re.find_iter(text) {
            let (start, end) = (m.start(), m.end());
            let found = m.as_str();
            if char_before(text, start).is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '.')
                || text[end..].starts_with(|c: char| c.is_ascii_digit() || c == '-')
            {
                continue;
            }
            let room = found.contains("号室") || found.contains("号棟");
            let dash = !room && !found.contains('丁') && !found.contains('番');
            if dash && !place_before(text, start) {
                continue;
            }
            // 「千代田1-1」: two numbers only right after a postal code and a place name.
            if dash && found.matches('-').count() == 1 && !postal_before(text, start) {
                continue;
            }
            if is_area(&text[end..]) {
                continue;
            }
            let cue = nearest(cx, &ADDRESS_CUES, start, end, 40, 20);
            match cue {
                Some(Cue::Public | Cue::Business) => continue,
                Some(Cue::Person) => {}
                // A flat number alone is flagged only where someone lives.
                None | Some(Cue::Neutral) if room && !residence_before(text, start) => continue,
                None | Some(Cue::Neutral) => {}
            }
            let from = extend_back(text, start);
            out.at(
                from,
                end,
                if room {
                    "部屋番号まで書いた住所が含まれています。住んでいる人を特定できます".into()
                } else {
                    "番地・号まで書いた住所が含まれています。氏名がなくても住んでいる人を特定できます".into()
                },
                Some("地域を伝えるときは「〇〇町2丁目」のように町丁目までにし、個人の住所は載せないでください".into()),
            );
        }
    }
}

static ADDRESS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // Numbers in digits or in kanji (三丁目十四番八号).
    let n = r"(?:\d{1,4}|[一二三四五六七八九十百千〇]{1,5})";
    Regex::new(&format!(
        r"(?x)
          {n}\s?丁目\s?{n}\s?(?:番地?|-)(?:\s?の?\s?{n}(?:\s?号|-\d{{1,4}})?)?
        | {n}\s?番地(?:\s?の?\s?{n}(?:\s?号)?)?
        | {n}\s?番\s?{n}\s?号
        | \d{{1,2}}-\d{{1,4}}-\d{{1,4}}
        | \d{{1,4}}-\d{{1,4}}
        | (?:\d{{1,3}}\s?号棟\s?)?\d{{1,4}}\s?号室|\d{{1,3}}\s?号棟\s?\d{{1,4}}(?:\s?号)?
        "
    ))
    .ok()
});

/// Counters and units: 「第3-1-2条」「試合は3勝2敗」 are no addresses.
const UNITS: &str = "第約計全号円年月日時分秒歳回件人名個枚冊点位番条項章節図表巻版型式期度階券組対勝敗引率比差局週戦数";

/// 「川口3-22-5」: a dash-separated address follows a place name, not 第 or a unit.
fn place_before(text: &str, start: usize) -> bool {
    match char_before(text, start) {
        Some(c) if is_kanji(c) => !UNITS.contains(c),
        Some(c) => is_katakana(c),
        None => false,
    }
}

/// A postal code (〒123-4567 or 123-4567) and a place name right before `start`.
fn postal_before(text: &str, start: usize) -> bool {
    let from = extend_back(text, start);
    from < start && text[from..].starts_with(|c: char| c == '〒' || c.is_ascii_digit())
}

/// Words after an address that make it an area: 付近, 周辺, の一部, から, まで.
fn is_area(rest: &str) -> bool {
    let rest = rest.trim_start();
    "付近 周辺 一帯 の一部 地先 先 交差点 地内 沿い 辺り あたり 界隈 方面 から まで 〜 ~ 間 \
        以北 以南 以東 以西"
        .split_whitespace()
        .any(|w| rest.starts_with(w))
}

/// A block of flats named just before a flat number.
fn residence_before(text: &str, start: usize) -> bool {
    let w = &text[back(text, start, 15, |c| c == '\n')..start];
    "団地 住宅 マンション アパート ハイツ コーポ 荘 寮 レジデンス メゾン ハイム"
        .split_whitespace()
        .any(|r| w.contains(r))
}

/// Start of the place name (and of a postal code before it) that leads up to `start`.
fn extend_back(text: &str, start: usize) -> usize {
    let mut at = start;
    for (i, c) in text[..start].char_indices().rev().take(15) {
        let part = is_kanji(c)
            || is_katakana(c)
            || is_hiragana(c)
                && !matches!(
                    c,
                    'の' | 'に' | 'は' | 'を' | 'が' | 'で' | 'と' | 'へ' | 'も' | 'や'
                );
        if !part {
            break;
        }
        at = i;
    }
    // 〒123-4567 right before the place name.
    let head = text[..at].trim_end();
    let b = head.as_bytes();
    if b.len() >= 8
        && b[b.len() - 8..].iter().enumerate().all(|(i, &x)| {
            if i == 3 {
                x == b'-'
            } else {
                x.is_ascii_digit()
            }
        })
    {
        let p = head.len() - 8;
        let lead = text[..p].trim_end();
        return if lead.ends_with('〒') {
            lead.len() - '〒'.len_utf8()
        } else {
            p
        };
    }
    at
}

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts};

    const CODE: &str = "PI003";

    #[test]
    fn pass_fail() {
        cases(
            CODE,
            &[
                "【断水のお知らせ】南町2丁目の一部で断水します。",
                "北町1丁目・2丁目、川口3丁目に避難指示を発令しました。",
                "中央町2丁目付近で停電が発生しています",
                "北町1丁目2番から5番までの区間で工事を行います",
                "会場：みどり市民会館（みどり市中央町1丁目2番3号）",
                "〒012-3400 みどり市中央町1丁目1番1号 みどり市役所",
                "所在地：みどり市北町3-5-1（北町公民館）",
                "みどり市立図書館（南町4丁目5番地）",
                "〒012-3481 みどり市若葉町",
                "第3-1-2条",
                "北町1-2の区間",
                "試合は北町3-2で勝利",
                "試合は3-2-1で勝利",
                "市役所本庁舎3階301号室で受け付けます",
                "第5号議案、令和7年第3号",
                "みどり駅前の1番線ホーム、2番目の窓口",
                "株式会社みどり製作所（北町5丁目3番1号）",
            ],
            &[
                "最優秀賞　〒012-3481 みどり市若葉町3丁目14番8号　高橋 美代子 様",
                "ご自宅（川口3-22-5）を訪問しました",
                "東浜団地3号棟205号室にお住まいの方は、至急住宅課へ",
                "山田さん（北町123番地）",
                "北町5番3号の山田さん",
                "1丁目2-3にお住まいの方",
                "火災が発生したのは若葉町3丁目14番8号の住宅です",
                "〒100-0001 東京都千代田区千代田1-1 山田方",
                "送り主の山田さん（みどり市若葉町三丁目十四番八号）",
            ],
        );
    }

    #[test]
    fn spans() {
        assert_eq!(
            excerpts(
                CODE,
                "最優秀賞　〒012-3481 みどり市若葉町3丁目14番8号　高橋 美代子 様"
            ),
            vec!["〒012-3481 みどり市若葉町3丁目14番8号"]
        );
        assert_eq!(
            excerpts(CODE, "ご自宅（川口3-22-5）を訪問"),
            vec!["川口3-22-5"]
        );
        assert_eq!(
            excerpts(CODE, "東浜団地3号棟205号室にお住まいの方"),
            vec!["東浜団地3号棟205号室"]
        );
    }
}

//! Whose number or address is it? The words nearest to a finding decide: 「税務課
//! （0123-45-6730）」 is an office, 「吉田さん宅（0123 48 2906）」 a home.

use std::sync::LazyLock;

use super::{ahead, back, is_break};
use crate::lexicon::Lexicon;
use crate::rules::Cx;

/// What a cue word says about the number or address next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cue {
    /// A private person: さん, 宅, 携帯, お住まい…
    Person,
    /// A public body or a public facility: 市役所, 課, センター, 公民館…
    Public,
    /// A business: 株式会社, 店, 旅館…
    Business,
    /// A word that contains a cue but is none (住宅 holds 宅, 皆さん holds さん).
    Neutral,
}

/// A lexicon from groups of space-separated words.
fn lexicon(groups: &[(&str, Cue)]) -> Lexicon<Cue> {
    Lexicon::new(
        groups
            .iter()
            .flat_map(|(words, cue)| words.split_whitespace().map(move |w| (w.to_string(), *cue))),
    )
}

const PERSON: &str = "さん 様 さま 氏 くん ちゃん 宅 自宅 私宅 携帯 ケータイ スマホ 個人 本人 お住まい 住まい \
    在住 居住 私";

const NEUTRAL: &str =
    "住宅 宅配 宅地 お客様 皆さん 皆様 みなさん みなさま 個人情報 私有地 私立 氏名";

const PUBLIC: &str = "市役所 区役所 役所 役場 庁舎 本庁 市庁 県庁 支所 出張所 課 局 係 室 部 署 事務所 \
    センター 窓口 相談 ダイヤル ホットライン コールセンター 消防 警察 交番 保健所 病院 \
    診療所 医師会 協会 協議会 組合 委員会 事務局 本部 公民館 図書館 体育館 会館 学校 園 館 \
    施設 受付 社協 社会福祉協議会 商工会 機構 財団 公社 代表 駅 ハローワーク 法テラス 議会 \
    ホール プラザ 広場 公園 庁 省 団体 共済 連合会 避難所 会場 所在地 集合場所 市民 市立 \
    県立 町立 村立 国立 公立 道の駅 fax ファクス ファックス 平日 受付時間 開館時間 開庁時間";

const BUSINESS: &str = "株式会社 (株) 有限会社 (有) 合同会社 会社 店 商店 旅館 ホテル 温泉 食堂 工場 事業所 本社 \
    支社 営業所 法人 クリニック 薬局 銀行 農協 生協 スーパー モール ショップ 営業時間 定休日";

/// Cues around a phone number or an e-mail address.
pub(super) static CONTACT_CUES: LazyLock<Lexicon<Cue>> = LazyLock::new(|| {
    lexicon(&[
        (NEUTRAL, Cue::Neutral),
        (PERSON, Cue::Person),
        (PUBLIC, Cue::Public),
        (BUSINESS, Cue::Business),
    ])
});

/// Cues around a street address: a facility's address is public.
pub(super) static ADDRESS_CUES: LazyLock<Lexicon<Cue>> = LazyLock::new(|| {
    lexicon(&[
        (NEUTRAL, Cue::Neutral),
        (PERSON, Cue::Person),
        ("方 お宅 住所 現住所 届け出", Cue::Person),
        (PUBLIC, Cue::Public),
        (BUSINESS, Cue::Business),
        (
            "美術館 博物館 資料館 神社 寺 教会 市場 球場 グラウンド 競技場 プール 幼稚園 保育園 \
                保育所 こども園 大学 高校 集合 場所 会館 ビル 郵便局 郵送先 送付先 提出先 宛先 申込先 \
                応募先 送り先",
            Cue::Public,
        ),
    ])
});

/// The cue nearest to the span `[start, end)` within `before` characters before it
/// and `after` characters after it, in the same sentence. Neutral words only keep
/// the cues inside them from matching.
pub(super) fn nearest(
    cx: &Cx<'_>,
    lex: &Lexicon<Cue>,
    start: usize,
    end: usize,
    before: usize,
    after: usize,
) -> Option<Cue> {
    let text = cx.text();
    let folded = cx.norm.folded.as_str();
    let ws = back(text, start, before, is_break);
    let we = ahead(text, end, after, is_break);
    let left = lex
        .find(&folded[ws..start])
        .filter(|(_, _, c)| **c != Cue::Neutral)
        .last()
        .map(|(_, e, c)| (text[ws + e..start].chars().count(), *c));
    let right = lex
        .find(&folded[end..we])
        .find(|(_, _, c)| **c != Cue::Neutral)
        .map(|(s, _, c)| (text[end..end + s].chars().count(), *c));
    let pick = match (left, right) {
        (Some(l), Some(r)) => Some(if r.0 < l.0 { r } else { l }),
        (l, r) => l.or(r),
    };
    pick.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Input;
    use crate::normalize::Normalized;

    fn cue(text: &str, needle: &str) -> Option<Cue> {
        let norm = Normalized::new(text);
        let input = Input {
            text,
            ..Input::default()
        };
        let settings = crate::Settings::default();
        let cx = Cx::new(&input, &norm, &settings);
        let s = norm.text.find(needle).unwrap();
        nearest(&cx, &CONTACT_CUES, s, s + needle.len(), 20, 15)
    }

    #[test]
    fn nearest_cue_wins() {
        assert_eq!(cue("税務課（0123-45-6730）へ", "0123"), Some(Cue::Public));
        assert_eq!(
            cue("自治会長の吉田さん宅（0123 48 2906）", "0123"),
            Some(Cue::Person)
        );
        assert_eq!(
            cue("☎ 0120-530-753（粗大ごみ受付センター）", "0120"),
            Some(Cue::Public)
        );
        assert_eq!(cue("市営住宅 0123-45-0000", "0123"), None);
        assert_eq!(cue("お電話ください。0123-45-0000", "0123"), None);
    }
}

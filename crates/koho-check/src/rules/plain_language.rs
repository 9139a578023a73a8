//! Plain language: 役所言葉 and jargon (PL001), hard kanji better written in kana (PL002),
//! stiff official endings and imperatives (PL003).

use koho_guideline::Category;

use super::wording::{self, List, quoted, word};
use super::{Cx, Rule};
use crate::registry::Out;

pub(crate) struct Jargon;

impl Rule for Jargon {
    const CODE: &'static str = "PL001";
    const NAME: &'static str = "official-jargon";
    const CATEGORY: Category = Category::PlainLanguage;
    const SUMMARY: &'static str = "役所言葉・専門用語を使っている";
    const DOC: &'static str = "\
## 何を見つけるか
住民向けの投稿では伝わりにくい役所言葉・行政の専門用語・カタカナ語です。言い換えの候補を示します。

| 例 | 言い換え |
| --- | --- |
| 鋭意 | 全力で |
| 遺漏なきよう | 漏れのないよう |
| 勘案 | 考え合わせて |
| 所要の措置 | 必要な対応 |
| 善処 | 適切に対応 |
| 周知徹底を図る | 広くお知らせ |
| 可及的速やかに | できるだけ早く |
| 思料 | 考える |
| 資する | 役立つ |
| 〜に係る | 〜に関する、〜の |
| 当該 | その、この |
| 供用開始 | 利用開始 |
| スキーム | 仕組み |

語のリストは koho 独自のものに、公用文の校正辞書（textlint-rule-ja-official-documents）のうち
「平易な言葉に言い換える」規則を加えたものです。

## なぜ
SNS の読み手は、行政の文書に慣れていない住民です。役所言葉は意味が伝わらないうえ、冷たい印象を与えます。

## 例
- 見つける: 「諸般の事情を総合的に勘案し」→「さまざまな事情」「いろいろな面から考えて」
- 見つける: 「所要の措置を講ずるべく鋭意対応しているところであります」
- 見つけない: 「ごみは朝8時までに出してください」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        report(cx, out, "w1", |w, e| {
            let kind = if e.note.is_empty() {
                "役所言葉"
            } else {
                e.note
            };
            let message = format!("「{w}」は{kind}で、住民には伝わりにくい言葉です");
            let suggestion = if e.suggestion.is_empty() {
                "使わずに、具体的に分かりやすく書き直してください".to_string()
            } else {
                format!(
                    "{}など、やさしい言葉に言い換えてください",
                    quoted(e.suggestion)
                )
            };
            (message, suggestion)
        });
    }
}

pub(crate) struct HardKanji;

impl Rule for HardKanji {
    const CODE: &'static str = "PL002";
    const NAME: &'static str = "hard-kanji";
    const CATEGORY: Category = Category::PlainLanguage;
    const SUMMARY: &'static str = "かなで書くほうが読みやすい難しい漢字を使っている";
    const DOC: &'static str = "\
## 何を見つけるか
公用文でもかなで書くことになっている副詞・接続詞・補助動詞などの漢字表記です
（「予め」→「あらかじめ」、「殆ど」→「ほとんど」、「且つ」→「かつ」、「〜して頂く」→「〜していただく」）。
公用文の校正辞書（textlint-rule-ja-official-documents）から、投稿を読みやすくする規則だけを選んでいます。

## なぜ
読めない漢字があると、そこで読むのをやめてしまう人がいます。やさしい表記は、子どもや外国人住民にも届きます。

## 例
- 見つける: 「予めご了承ください」→「あらかじめ」
- 見つける: 「記入して頂く」→「記入していただく」
- 見つけない: 「あらかじめご了承ください」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        report(cx, out, "w2", |w, e| {
            (
                format!("「{w}」は難しい漢字の表記です"),
                if e.suggestion.is_empty() {
                    "かなで書いてください".to_string()
                } else {
                    format!("{}とかなで書くと読みやすくなります", quoted(e.suggestion))
                },
            )
        });
    }
}

pub(crate) struct StiffEnding;

impl Rule for StiffEnding {
    const CODE: &'static str = "PL003";
    const NAME: &'static str = "stiff-ending";
    const CATEGORY: Category = Category::PlainLanguage;
    const SUMMARY: &'static str = "内部文書のような硬い文末・命令調を使っている";
    const DOC: &'static str = "\
## 何を見つけるか
内部文書や通知文の文末をそのまま使った表現です
（「〜されたい。」「〜ものとする」「〜ところであります」「〜こととしております」「〜所存です」）。

## なぜ
命令調や内部文書の言い回しは、住民に向けた呼びかけとして冷たく、分かりにくく感じられます。
「〜してください」「〜します」と書けば十分に伝わります。

## 例
- 見つける: 「所管課に提出されたい。」→「担当課に提出してください」
- 見つける: 「啓発活動の充実強化に努めるものとする」→「努めます」
- 見つけない: 「参加されたい方は、窓口へお申し込みください」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        report(cx, out, "w3", |w, e| {
            (
                format!("「{w}」は内部文書のような硬い言い回しです"),
                if e.suggestion.is_empty() {
                    "住民への呼びかけの言い方に改めてください".to_string()
                } else {
                    format!(
                        "{}のように、住民に語りかける言い方に改めてください",
                        quoted(e.suggestion)
                    )
                },
            )
        });
    }
}

fn report(
    cx: &Cx<'_>,
    out: &mut Out,
    role: &str,
    say: impl Fn(&str, &wording::Entry) -> (String, String),
) {
    let text = cx.text();
    for h in wording::hits(cx, List::PlainLanguage) {
        if let Some(e) = h.get(role) {
            let (message, suggestion) = say(word(text, &h).trim_end_matches(['。', '!', '、']), e);
            out.at(h.start, h.end, message, Some(suggestion));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts, run};

    #[test]
    fn pl001_jargon() {
        cases(
            "PL001",
            &[
                "ごみは朝8時までに出してください。",
                "日本市場で人気の特産品です。",
                "責任をもって対応します。時間に余裕をもってお越しください。",
                "本町2丁目で断水します。",
            ],
            &[
                "大雨に伴う土砂災害の発生に鑑み、所要の措置を講ずるべく鋭意対応しているところであります。",
                "市民各位におかれましては、遺漏なきよう万全を期されたい。",
                "申請者の所得状況等を勘案の上、個別具体的に判断し、適切に善処いたします。",
                "ごみの適正排出に係る周知徹底を図るため、各自治会等と連携します。",
                "効果的なアプローチを可及的速やかに実施することとしております。",
                "地域資源の利活用及び交流人口の拡大に資することを目的とし、官民連携スキームにより実施する。",
                "当該施設の供用開始に伴い、旧施設の利用に係る諸手続きについては、別途通知するところによる。",
            ],
        );
        assert_eq!(excerpts("PL001", "鋭意対応中です"), vec!["鋭意"]);
        let d = run("所要の措置を講じます", None);
        let hit = d.iter().find(|d| d.rule == "PL001").unwrap();
        assert_eq!(hit.excerpt, "所要の措置");
        assert!(hit.suggestion.as_deref().unwrap().contains("必要な対応"));
    }

    #[test]
    fn pl002_hard_kanji() {
        cases(
            "PL002",
            &["あらかじめご了承ください。"],
            &["予めご了承ください。", "殆どの方が利用しています。"],
        );
        assert_eq!(excerpts("PL002", "予めご了承ください"), vec!["予め"]);
    }

    #[test]
    fn pl003_stiff_endings() {
        cases(
            "PL003",
            &[
                "参加されたい方は、窓口へお申し込みください。",
                "天候次第です。",
            ],
            &[
                "所管課に提出されたい。",
                "啓発活動の一層の充実強化に努めるものとする。",
                "引き続き対処してまいる所存です。",
            ],
        );
        assert_eq!(excerpts("PL003", "提出されたい。"), vec!["されたい。"]);
    }
}

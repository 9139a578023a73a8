//! Insult: abusive words (IN001) and ridiculing or defaming phrases (IN002).

use koho_guideline::Category;

use super::wording::{self, List, any_in, sentence, word};
use super::{Cx, Rule};
use crate::registry::Out;

pub(crate) struct AbusiveWord;

impl Rule for AbusiveWord {
    const CODE: &'static str = "IN001";
    const NAME: &'static str = "abusive-word";
    const CATEGORY: Category = Category::Insult;
    const SUMMARY: &'static str = "人をののしる言葉・蔑称を使っている";
    const DOC: &'static str = "\
## 何を見つけるか
「バカ」「アホ」「クズ」「無能」「役立たず」「暇人」「クレーマー」「老害」「死ね」など、
人をののしる言葉、容姿や年齢による蔑称、暴言です。

かなの短い語は、前後の文字を見て単語として使われているときだけ知らせます。
「バカンス」「アホウドリ」「カスタード」「ピンボケ」「〜したばかり」「馬鹿にならない」「親ばか」は対象外です。
「悪口やいじめをなくそう」のように、悪口そのものを話題にしてやめるよう呼びかける文も対象外です。

## なぜ
公式アカウントが人をののしると、相手を傷つけるだけでなく、市全体への信頼を損ないます。
マナー違反への注意でも、人ではなく行為を指摘します。

## 例
- 見つける: 「ごみの分別もできないバカな人がまだいます」
- 見つける: 「ごみを置いて帰った連中は人間のクズです」
- 見つける: 「前任の担当者が無能だったせいで」
- 見つけない: 「夏のバカンスシーズンは道路が混み合います」
- 見つけない: 「アホウドリの剥製を展示しています」
- 見つけない: 「開館したばかりの図書館です」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        report(cx, out, "w1", |w| {
            (
                format!(
                    "「{w}」は人をののしる言葉です。公式アカウントの発信にふさわしくありません"
                ),
                "人を評価する言葉は使わず、困っている事実とお願いしたい行動を書いてください"
                    .to_string(),
            )
        });
    }
}

pub(crate) struct Ridicule;

impl Rule for Ridicule {
    const CODE: &'static str = "IN002";
    const NAME: &'static str = "ridicule-defamation";
    const CATEGORY: Category = Category::Insult;
    const SUMMARY: &'static str = "人や団体をあざける・おとしめる言い方をしている";
    const DOC: &'static str = "\
## 何を見つけるか
人や団体、他の自治体をあざけったり、根拠を示さずにおとしめたりする言い方です。
「〇〇は最低です」「センスがない」「〇〇より100倍マシ」「恥を知れ」「頭がおかしい」「税金泥棒」
「嘘つき」「何もわかっていない」など。

「最低気温」「最低限」「最低でも」のような言葉は対象外です。

## なぜ
特定の人や団体をおとしめる発信は、誹謗中傷や名誉毀損にあたるおそれがあり、炎上の原因にもなります。
比較やPRでも、他者を下げずに自分たちの良さを伝えます。

## 例
- 見つける: 「隣の市の観光PR動画、センスがなさすぎて笑ってしまいました」
- 見つける: 「あの人たちは現場を何もわかっていない」
- 見つける: 「あの業者の対応は最低です」
- 見つけない: 「明日の最低気温は2度の予想です」
- 見つけない: 「最低限の持ち物をリュックに入れておきましょう」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        report(cx, out, "w2", |w| {
            (
                format!(
                    "「{w}」は人や団体をあざけり、おとしめる言い方です。誹謗中傷と受け取られるおそれがあります"
                ),
                "他者への評価は書かず、市の取り組みや事実だけを伝えてください".to_string(),
            )
        });
    }
}

fn report(cx: &Cx<'_>, out: &mut Out, role: &str, say: impl Fn(&str) -> (String, String)) {
    let hits = wording::hits(cx, List::Insult);
    let text = cx.text();
    for h in &hits {
        let Some(e) = h.get(role) else {
            continue;
        };
        if any_in(&hits, "anti", &sentence(text, h.start)) {
            continue;
        }
        let (mut message, suggestion) = say(word(text, h));
        if !e.note.is_empty() {
            message = format!("{message}（{}）", e.note);
        }
        out.at(h.start, h.end, message, Some(suggestion));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts};

    #[test]
    fn in001_abusive_words() {
        cases(
            "IN001",
            &[
                "夏のバカンスシーズンは道路が混み合います。",
                "アホウドリの剥製を展示しています。",
                "開館したばかりの図書館です。",
                "電気代も馬鹿にならない季節です。",
                "カスタードプリン作り教室を開きます。",
                "ピンボケ写真の直し方講座。",
                "ちびっこ広場が新しくなりました。",
                "紙くずは燃やすごみへ。",
                "悪口やいじめをなくそう。「バカ」「死ね」などの言葉は人を傷つけます。",
                "カスハラ防止のための職員研修を行いました。",
            ],
            &[
                "ごみの分別もできないバカな人がまだいます。",
                "駅前の放置自転車、持ち主はよほどのアホなんでしょうか。",
                "花火大会の翌朝、ごみを置いて帰った連中は人間のクズです。",
                "前任の担当者が無能だったせいで手続きに1か月もかかっていました。",
                "あの人たちは現場を何もわかっていない役立たずです。",
                "毎日ネットに文句ばかり書いている暇人の方の意見には答えられません。",
                "説明会で大声を出していたクレーマーのおじいさん。",
                "ばかな人が多くて困ります。",
            ],
        );
        assert_eq!(
            excerpts("IN001", "連中は人間のクズです"),
            vec!["連中", "人間のクズ"]
        );
    }

    #[test]
    fn in002_ridicule() {
        cases(
            "IN002",
            &[
                "明日の最低気温は2度の予想です。",
                "最低限の持ち物をリュックに入れておきましょう。",
                "最低でも3日分の水を備えましょう。",
            ],
            &[
                "隣のあおば台市の観光PR動画、センスがなさすぎて笑ってしまいました。うちの市のほうが100倍マシです😂",
                "あの業者の対応は最低です。",
                "恥を知ってください。",
                "県の担当者は現場を何もわかっていない。",
            ],
        );
        assert_eq!(
            excerpts("IN002", "あの業者の対応は最低です。"),
            vec!["は最低です"]
        );
    }
}

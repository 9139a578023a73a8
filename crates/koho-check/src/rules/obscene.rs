//! Obscene: sexual words (OB001) and descriptions that sexualise people or products (OB002).

use koho_guideline::Category;

use super::wording::{self, List, any_in, sentence, word};
use super::{Cx, Rule};
use crate::registry::Out;

pub(crate) struct SexualWord;

impl Rule for SexualWord {
    const CODE: &'static str = "OB001";
    const NAME: &'static str = "sexual-word";
    const CATEGORY: Category = Category::Obscene;
    const SUMMARY: &'static str = "性的な語・性風俗や成人向けの内容に触れている";
    const DOC: &'static str = "\
## 何を見つけるか
性行為や性器を表す俗語、性的な品評（「エロい」「色っぽい」）、成人向けの作品や店
（「アダルト動画」「大人のおもちゃ」「風俗店」「キャバクラ」）、🔞 の記号などです。
語のリストは公開の不適切語リストをもとに、自治体の発信に合わせて選び直しています。

検診・健康・子育ての案内で使う語（「乳がん検診」「乳房」「性感染症」「母乳」「おっぱい」）、
体の部位や医療の言葉は対象にしていません。
「痴漢」「盗撮」「売春」「わいせつ」「アダルトサイト」のように防犯や被害防止の呼びかけにも出てくる語は、
同じ文に「注意」「被害」「犯罪」「相談」「防止」などの言葉があれば知らせません。

## なぜ
わいせつな表現や性風俗の紹介は公序良俗に反し、公式アカウントへの信頼を大きく損ないます。

## 例
- 見つける: 「ちょっとエッチな温泉旅館ものです🔞」
- 見つける: 「風俗店やキャバクラの情報も網羅しています」
- 見つける: 「大人のおもちゃ屋さんの新店舗オープンをお祝いします」
- 見つけない: 「40歳以上の女性を対象に乳がん検診を行います」
- 見つけない: 「電車内の痴漢被害を防ぐため、警察と合同で啓発活動を行いました」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let hits = wording::hits(cx, List::Obscene);
        let text = cx.text();
        for h in &hits {
            let aware_only = h.get("w1").is_none();
            let Some(e) = h.get("w1").or_else(|| h.get("w1a")) else {
                continue;
            };
            if aware_only && any_in(&hits, "aware", &sentence(text, h.start)) {
                continue;
            }
            let note = if e.note.is_empty() {
                "性的な語"
            } else {
                e.note
            };
            out.at(
                h.start,
                h.end,
                format!(
                    "「{}」は{note}です。公式アカウントの発信にふさわしくありません",
                    word(text, h)
                ),
                Some("性的な表現を削除してください。成人向けの店や作品は紹介しません".to_string()),
            );
        }
    }
}

pub(crate) struct Sexualised;

/// The cue weights (half points) a post must reach, from at least two kinds of cue
/// (body, dress, person, place, hint).
const THRESHOLD: u32 = 7;

impl Rule for Sexualised {
    const CODE: &'static str = "OB002";
    const NAME: &'static str = "sexualised-description";
    const CATEGORY: Category = Category::Obscene;
    const SUMMARY: &'static str = "人の身体や特産品を性的にほのめかしている";
    const DOC: &'static str = "\
## 何を見つけるか
一語ずつなら問題のない言葉が重なって、人の身体を性的に強調したり、下ネタをほのめかしたりしている投稿です。
身体の部位（「胸元」「バスト」「ボディライン」「うなじ」）、服装（「ビキニ」「水着姿」「タオル一枚」）、
人の呼び方（「女子大生」「お姉さん」「人妻」）、ほのめかし（「太くて長くて」「なんちゃって」「😏」「💋」）
などにそれぞれ重みをつけ、投稿全体で種類（身体・服装・人・場所・ほのめかし）が2つ以上そろい、
合計が基準を超えたときに知らせます。

「水着」「美人の湯」「奥さまも大満足のお弁当」のように一つだけ、または弱い言葉の組み合わせでは知らせません。

## なぜ
身体を性的に品評したり、特産品を下ネタに結びつけたりする発信は、人を性的な対象として扱い、
公序良俗に反すると受け取られます。

## 例
- 見つける: 「監視員のビキニ女子大生たちが皆さんをお待ちしています👙」
- 見つける: 「特産の長なすが今年も豊作です🍆太くて長くて、奥さまも大満足…なんちゃって😏」
- 見つけない: 「市民プールは水着の貸し出しを行っていません」
- 見つけない: 「特産の長なすが今年も豊作です🍆 太くて長い立派ななすです」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let hits = wording::hits(cx, List::Obscene);
        let text = cx.text();
        let mut seen: Vec<&str> = Vec::new();
        let mut kinds: Vec<&str> = Vec::new();
        let mut total = 0;
        let mut heaviest: Option<(u32, usize, usize)> = None;
        for h in &hits {
            let Some(e) = h.get("cue") else {
                continue;
            };
            let w = word(text, h);
            if seen.contains(&w) {
                continue;
            }
            seen.push(w);
            if !kinds.contains(&e.note) {
                kinds.push(e.note);
            }
            total += e.weight;
            if heaviest.is_none_or(|(wt, _, _)| e.weight > wt) {
                heaviest = Some((e.weight, h.start, h.end));
            }
        }
        if kinds.len() < 2 || total < THRESHOLD {
            return;
        }
        if let Some((_, start, end)) = heaviest {
            let list: String = seen.iter().map(|w| format!("「{w}」")).collect();
            out.at(
                start,
                end,
                format!("{list}の組み合わせが、人の身体や特産品を性的にほのめかす表現になっています"),
                Some("身体の部位や服装の強調、性的なほのめかしをやめ、伝えたい情報だけを書いてください".to_string()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts};

    #[test]
    fn ob001_sexual_words() {
        cases(
            "OB001",
            &[
                "40歳以上の女性を対象に乳がん検診を行います。乳房のセルフチェックの方法もお伝えします。",
                "性感染症の検査は保健所で無料・匿名で受けられます。",
                "電車内の痴漢被害を防ぐため、警察と合同で啓発活動を行いました。",
                "助産師による母乳・おっぱい相談を毎週行っています。",
                "アダルトサイトの架空請求に注意してください。",
                "フェラーリの展示イベントを開催します。",
                "二穴パンチを貸し出しています。",
                "ちんちん電車に乗って市内をめぐろう。",
                "子宮頸がん検診の対象は20歳以上の女性です。",
            ],
            &[
                "みどり温泉でロケが行われた大人向け作品が配信中！ちょっとエッチな温泉旅館ものです🔞",
                "駅前の夜のお店を紹介する「大人のナイトマップ」を作成しました。風俗店やキャバクラの情報も網羅しています。",
                "成人の日にちなんで、大人のおもちゃ屋さんの新店舗オープンをお祝いします🎉",
                "浴衣のお姉さんのうなじと胸元がエロすぎると職員の間で大評判です😍",
                "タオル一枚の女性モデルさんの色っぽいショットを公開中！",
                "今年は水着審査を復活✨ボディラインとバストに自信のある女性、お待ちしています💋",
            ],
        );
        assert_eq!(excerpts("OB001", "ちょっとエッチな旅館"), vec!["エッチ"]);
    }

    #[test]
    fn ob002_sexualised_descriptions() {
        cases(
            "OB002",
            &[
                "市民プールは水着の貸し出しを行っていません。",
                "特産の長なすが今年も豊作です🍆 太くて長い立派ななすです。",
                "奥さまも大満足のボリューム弁当が登場！",
                "美人の湯として知られる温泉です。",
                "市民プールのビキニ・水着の規定について：ラッシュガードの着用も可能です。",
            ],
            &[
                "市民プール、今年も監視員のビキニ女子大生たちが皆さんをお待ちしています👙",
                "特産の長なすが今年も豊作です🍆太くて長くて、奥さまも大満足…なんちゃって😏",
                "浴衣のお姉さんのうなじと胸元が大評判です😍",
            ],
        );
        assert_eq!(
            excerpts("OB002", "ビキニ女子大生たちがお待ちしています"),
            vec!["ビキニ"]
        );
    }
}

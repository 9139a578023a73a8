//! Discrimination: discriminatory terms and idioms (DS001), and statements that pin a
//! judgement on a whole group of people (DS002).

use koho_guideline::Category;

use super::wording::{self, Hit, List, any_in, quoted, sentence, word};
use super::{Cx, Rule};
use crate::registry::Out;

pub(crate) struct DiscriminatoryTerm;

impl Rule for DiscriminatoryTerm {
    const CODE: &'static str = "DS001";
    const NAME: &'static str = "discriminatory-term";
    const CATEGORY: Category = Category::Discrimination;
    const SUMMARY: &'static str = "差別語・差別に由来する慣用句を使っている";
    const DOC: &'static str = "\
## 何を見つけるか
障害・出身・職業・民族・性別などに関する差別語や、差別に由来する慣用句です
（「片手落ち」「めくら判」「つんぼ桟敷」「気違い沙汰」「土方」「部落」「外人」「父兄」など）。
言い換えの候補があるものは、あわせて示します。

「差別のない社会を」「人権啓発」「『〇〇』は差別語です」のように、差別をなくす趣旨の文の中で
語そのものを取り上げている場合は知らせません。
「ちびっこ」「傍ら（かたわら）」「聞きちがい」「土方歳三」のように、一部に同じ文字を含む別の言葉も対象外です。

## なぜ
差別語は、書き手に悪意がなくても、読んだ人を傷つけ、差別を助長します。
慣用句として定着した語でも、自治体の発信では別の言葉に置き換えるのが原則です。

## 例
- 見つける: 「補助金の配分が片手落ちだとのご意見」→「不公平」「配慮に欠ける」
- 見つける: 「中身を読まずにめくら判を押してしまう」→「よく確認せずに押す判」
- 見つける: 「父兄の皆さまへ」→「保護者」
- 見つけない: 「部落差別の解消に向けた人権啓発講演会を開きます」
- 見つけない: 「ちびっこ広場の遊具を新しくしました」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let hits = wording::hits(cx, List::Discrimination);
        let text = cx.text();
        for h in &hits {
            let Some(e) = h.get("w1") else {
                continue;
            };
            if any_in(&hits, "anti", &sentence(text, h.start)) {
                continue;
            }
            let w = word(text, h);
            let message = if e.note.is_empty() {
                format!("「{w}」は差別的な表現です")
            } else {
                format!(
                    "「{w}」は{}です。読む人を傷つけ、差別を助長するおそれがあります",
                    e.note
                )
            };
            let suggestion = if e.suggestion.is_empty() {
                "この語を使わず、具体的な事実を書く表現に改めてください".to_string()
            } else {
                format!("{}などに言い換えてください", quoted(e.suggestion))
            };
            out.at(h.start, h.end, message, Some(suggestion));
        }
    }
}

pub(crate) struct Stereotype;

impl Rule for Stereotype {
    const CODE: &'static str = "DS002";
    const NAME: &'static str = "group-stereotype";
    const CATEGORY: Category = Category::Discrimination;
    const SUMMARY: &'static str = "国籍・性別・障害・年齢などで人をひとくくりにして決めつけている";
    const DOC: &'static str = "\
## 何を見つけるか
国籍・民族、性別、障害、年齢・世代、生活保護の受給、性的指向などの属性で人をひとくくりにし、
否定的な性質や排除を結びつける表現です。

- 性別による決めつけ: 「女のくせに」「男顔負け」「女らしく」「女子力」など
- 属性と否定的な評価の結びつけ: 「外国人が増えると治安が悪くなる」「〇〇世代らしく打たれ弱い」
  「生活保護を受けている人の多くは働けるのに働かない」「障害者はどうせ何もできない」
- 属性を理由にした排除: 「〇〇人お断り」「外国人禁止」「日本人のみ」

属性の語（「外国人」「高齢者」など）だけでは知らせません。同じ文の中で、その属性が主語になり
（「外国人は」「高齢者って」「〇〇世代らしく」）、否定的な評価や排除の言葉が続くときに知らせます。
「差別のない社会」「偏見をなくそう」「〜と思われがちですが」のように、決めつけを否定する文や、
「高齢者を狙った詐欺にご注意」のように、その属性の人が被害にあう側として書かれた注意喚起の文は対象外です。

## なぜ
属性で人をひとくくりにする表現は偏見を広め、差別を助長します。
行政の発信は、属性ではなく具体的な事実や行動について書く必要があります。

## 例
- 見つける: 「外国人が増えると治安が悪くなるとも言われていますので」
- 見つける: 「ゆとり世代らしく打たれ弱い子が多いですが」
- 見つける: 「マナーの悪い〇〇人観光客のグループはお断りする場合があります」
- 見つける: 「女のくせにと言われた時代もありましたが」
- 見つけない: 「外国人住民の皆さんに向けて、やさしい日本語の防災講座を開きます」
- 見つけない: 「障害のある人への差別をなくそう」
- 見つけない: 「高齢者は熱中症になりやすいので、こまめに水分をとりましょう」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let hits = wording::hits(cx, List::Discrimination);
        let text = cx.text();
        for (i, h) in hits.iter().enumerate() {
            let sent = sentence(text, h.start);
            if let Some(e) = h.get("w2") {
                if any_in(&hits, "anti", &sent) {
                    continue;
                }
                let w = word(text, h);
                let suggestion = if e.suggestion.is_empty() {
                    "性別や国籍などで人を決めつけない表現に改めてください".to_string()
                } else {
                    format!(
                        "{}などに言い換えるか、性別などに触れない表現に改めてください",
                        quoted(e.suggestion)
                    )
                };
                out.at(
                    h.start,
                    h.end,
                    format!("「{w}」は{}です", note_or(e.note)),
                    Some(suggestion),
                );
                continue;
            }
            if !h.has("group") || any_in(&hits, "anti", &sent) || any_in(&hits, "victim", &sent) {
                continue;
            }
            if let Some((start, end, kind)) = generalisation(text, &hits, i, &sent) {
                let group = word(text, h);
                let (message, suggestion) = match kind {
                    Kind::Exclusion => (
                        format!(
                            "「{group}」という属性を理由に利用や入店を断る表現です。差別的な取扱いにあたります"
                        ),
                        "属性ではなく、禁止する行為（騒音・ごみの放置など）を具体的に示してください",
                    ),
                    Kind::Judgement => (
                        format!(
                            "「{group}」をひとくくりにして否定的に決めつける表現です。偏見を助長するおそれがあります"
                        ),
                        "属性で一般化せず、具体的な事実や行動について書いてください",
                    ),
                };
                out.at(start, end, message, Some(suggestion.to_string()));
            }
        }
    }
}

fn note_or(note: &str) -> &str {
    if note.is_empty() {
        "人をひとくくりにする表現"
    } else {
        note
    }
}

enum Kind {
    Judgement,
    Exclusion,
}

/// Words that may sit between a group and its particle: 「外国人の方は」「〇〇人観光客のグループは」.
const GROUP_SUFFIXES: &[&str] = &[
    "の人たち",
    "の人々",
    "の方々",
    "の皆さん",
    "の皆様",
    "の人",
    "の方",
    "たち",
    "ども",
    "観光客",
    "客",
    "住民",
    "のグループ",
    "の団体",
    "のお客様",
    "のお客さん",
    "の子",
    "の若者",
    "の子ども",
    "の家庭",
    "家庭",
    "の職員",
    "職員",
    "の社員",
    "社員",
    "従業員",
    "ドライバー",
    "から来た人たち",
    "から来た人",
    "出身の人",
    "出身者",
    "系の人",
    "の入居",
    "のご入居",
    "の入学",
    "の採用",
    "ら",
    "のご入店",
    "の入店",
    "のご来店",
    "の来店",
    "のご利用",
    "の利用",
    "の入場",
    "のご宿泊",
    "の宿泊",
    "のご参加",
    "の参加",
    "のご入館",
    "の入館",
    "のご入室",
    "の入室",
    "のご乗車",
    "の乗車",
    "のご入会",
    "の入会",
    "のご予約",
    "の予約",
];

/// What makes the group the topic or the subject of the judgement.
const TOPIC: &[&str] = &[
    "は",
    "のほうが",
    "って",
    "なんて",
    "なんか",
    "の多く",
    "のほとんど",
    "というのは",
    "ってのは",
    "が増え",
    "が多い",
    "が多く",
    "が住",
    "が来",
    "が集ま",
    "らしく",
    "らしい",
    "のくせ",
    "だから",
    "なのに",
    "には",
    "、",
    ",",
    "がいる",
    "が近",
];

/// The group at `hits[i]` is the topic of its sentence (「外国人は」「〇〇世代らしく」).
fn is_topic(text: &str, end: usize) -> bool {
    let Some(mut rest) = text.get(end..) else {
        return false;
    };
    // up to three suffixes: 「〇〇人観光客のグループは」「シングルマザーの家庭の子どもは」
    for _ in 0..4 {
        if TOPIC.iter().any(|t| rest.starts_with(t)) {
            return true;
        }
        match GROUP_SUFFIXES
            .iter()
            .filter(|s| rest.starts_with(**s))
            .max_by_key(|s| s.len())
        {
            Some(s) => rest = &rest[s.len()..],
            None => return false,
        }
    }
    false
}

/// The span of a generalisation about the group at `hits[i]`, if the sentence makes one.
fn generalisation(
    text: &str,
    hits: &[Hit],
    i: usize,
    sent: &std::ops::Range<usize>,
) -> Option<(usize, usize, Kind)> {
    let g = hits.get(i)?;
    // 「マナーの悪い〇〇人観光客」: the judgement directly before the group
    if let Some(p) = hits[..i]
        .iter()
        .rev()
        .find(|p| p.has("pred") && p.end <= g.start && p.start >= sent.start)
        && g.start - p.end <= 6
    {
        return Some((p.start, g.end, Kind::Judgement));
    }
    // 「〇〇国の人お断り」: the refusal right after the group
    if let Some(x) = hits.get(i + 1)
        && x.has("excl")
        && x.start.saturating_sub(g.end) <= 3
    {
        return Some((g.start, x.end, Kind::Exclusion));
    }
    if !is_topic(text, g.end) {
        return None;
    }
    // within about 40 characters after the group, in the same sentence
    let reach = (g.end + 120).min(sent.end);
    let after = hits[i + 1..].iter().take_while(|p| p.start < reach);
    let has_gen = hits
        .iter()
        .any(|x| x.start >= sent.start && x.end <= sent.end && x.has("gen"));
    for p in after {
        if p.has("excl") {
            return Some((g.start, p.end, Kind::Exclusion));
        }
        if p.has("pred") || (p.has("pred2") && has_gen) {
            return Some((g.start, p.end, Kind::Judgement));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts};

    #[test]
    fn ds001_terms() {
        cases(
            "DS001",
            &[
                "部落差別の解消に向けた人権啓発講演会を開きます。",
                "ちびっこ広場の遊具を新しくしました。",
                "本を読むかたわら、散歩を楽しんでいます。",
                "聞きちがいのないよう、番号をご確認ください。",
                "新選組の土方歳三ゆかりの地をめぐるツアーです。",
                "ページをめくらないでお待ちください。",
                "「片手落ち」「めくら判」は差別語です。言い換えましょう。",
                "差別のない社会をめざし、人権週間の啓発活動を行います。",
                "郷土玩具の土人形の絵付け体験を行います。",
            ],
            &[
                "今回の補助金の配分は、中心部ばかりで周辺地区には片手落ちだとのご意見をいただきました。",
                "中身を読まずにめくら判を押してしまう…そんなことがないよう電子決裁にしました。",
                "住民説明会ではつんぼ桟敷に置かれたというご意見もありました。",
                "台風の中で海を見に行くのは気違い沙汰です。",
                "父兄の皆さまのご参加をお待ちしています。",
                "いわゆるオカマの方の利用はご遠慮いただいています。",
                "外人観光客が増えています。",
            ],
        );
        assert_eq!(
            excerpts("DS001", "配分が片手落ちだとのご意見"),
            vec!["片手落ち"]
        );
        assert_eq!(
            excerpts("DS001", "つんぼ桟敷に置かれた"),
            vec!["つんぼ桟敷"]
        );
    }

    #[test]
    fn ds001_suggests_replacements() {
        let d = crate::rules::test::run("中身を読まずにめくら判を押してしまう", None);
        let hit = d.iter().find(|d| d.rule == "DS001").unwrap();
        assert!(
            hit.suggestion
                .as_deref()
                .unwrap()
                .contains("よく確認せずに押す判")
        );
    }

    #[test]
    fn ds002_generalisations() {
        cases(
            "DS002",
            &[
                "外国人住民の皆さんに向けて、やさしい日本語の防災講座を開きます。",
                "高齢者は熱中症になりやすいので、こまめに水分をとりましょう。",
                "障害のある人への差別をなくそう。",
                "外国人が増えると治安が悪くなる、というのは偏見です。",
                "工事のため、2階の女子トイレは利用禁止です。",
                "障害者手帳をお持ちの方は窓口で提示してください。",
                "女性の活躍推進に向けたセミナーを開きます。",
                "高齢者は特殊詐欺の迷惑電話にご注意ください。",
                "高齢者の皆さんは早めに避難すべきです。",
                "高齢者の方は遠慮せず周りに甘えてください。",
                "高齢者は、特殊詐欺などの犯罪が増えているので気をつけましょう。",
            ],
            &[
                "最近、市内で外国人住民が増えています。外国人が増えると治安が悪くなるとも言われていますので、戸締まりはしっかりとお願いします。",
                "今年の新採用職員は、ゆとり世代らしく打たれ弱い子が多いですが、みんなで温かく育てていきます。",
                "生活保護を受けている人の多くは働けるのに働かない人たちです。",
                "マナーの悪い〇〇人観光客のグループはお断りする場合があります。",
                "消防団の女性団員が活躍中！女のくせにと言われた時代もありましたが、いまや男顔負けの働きぶりです。",
                "障害者は一人では何もできない。",
                "外国人の方のご入店はお断りしております。",
                "年寄りは頑固で感情的になりやすい。",
            ],
        );
        assert_eq!(
            excerpts("DS002", "外国人が増えると治安が悪くなる。"),
            vec!["外国人が増えると治安が悪"]
        );
    }
}

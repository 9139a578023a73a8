//! Names of private persons (PI010), names together with age, health, welfare or
//! family facts (PI011), and children's names (PI012). A name is reported by one of
//! the three rules only: the most specific that applies. PI013 finds a person left
//! unnamed but described so that readers know who it is, next to such facts.

use std::sync::LazyLock;

use koho_guideline::Category;
use regex::Regex;

use super::names::{NameHit, NameKind, ROLES, find_names};
use super::{ahead, back, char_before, is_break};
use crate::lexicon::Lexicon;
use crate::registry::Out;
use crate::rules::{Cx, Rule};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fact {
    Age,
    Health,
    Welfare,
    Family,
    /// A word holding a fact word that is none (病院 holds 病).
    Neutral,
}

impl Fact {
    fn label(self) -> &'static str {
        match self {
            Fact::Age => "年齢",
            Fact::Health => "健康状態",
            Fact::Welfare => "生活や経済の状況",
            Fact::Family => "家族の状況",
            Fact::Neutral => "",
        }
    }
}

/// What a word near a name tells: a fact about the person, or that the person is a
/// child at a nursery or school. One automaton for both, so the words around a
/// name are read once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Near {
    Fact(Fact),
    School,
}

static NEAR: LazyLock<Lexicon<Near>> = LazyLock::new(|| {
    let groups: &[(&str, Fact)] = &[
        (
            "病院 病棟 介護保険 介護予防 福祉課 保護課 障害福祉 障がい福祉 生活保護課 介護保険課 健康 \
                予防 家族連れ ご家族で 病児保育",
            Fact::Neutral,
        ),
        (
            "認知症 病気 持病 入院 通院 障害 障がい 障碍 要介護 要支援 介護 寝たきり 病 がん 癌 透析 \
                手術 療養 闘病 難病 精神疾患 うつ 疾患 症状 脳梗塞 骨折 車いす 車椅子 妊娠 感染 陽性 \
                余命 認知機能 服薬 後遺症 発達",
            Fact::Health,
        ),
        (
            "生活保護 受給 滞納 借金 破産 困窮 失業 無職 独居 一人暮らし ひとり暮らし 独り暮らし \
                身寄り 離婚 別居 母子家庭 父子家庭 ひとり親 虐待 不登校 引きこもり ひきこもり 逮捕 前科 \
                服役 生活苦 債務 孤立 孤独死 家賃",
            Fact::Welfare,
        ),
        (
            "亡くな 亡くされ 死別 他界 逝去 死去 遺族 未亡人",
            Fact::Family,
        ),
    ];
    // Words that place a person in a nursery, school or class.
    let school = "保育園 幼稚園 こども園 保育所 小学校 中学校 小学生 中学生 高校生 園児 児童 生徒 学童 \
        歳児 年生 クラス 学年 組 中学 小学";
    Lexicon::new(
        school
            .split_whitespace()
            .map(|w| (w.to_string(), Near::School))
            .chain(groups.iter().flat_map(|(words, f)| {
                words
                    .split_whitespace()
                    .map(move |w| (w.to_string(), Near::Fact(*f)))
            })),
    )
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Plain,
    Facts([Option<Fact>; 3]),
    Child,
}

/// A number of at most three digits at the start of `s`.
fn leading_number(s: &str) -> Option<u32> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    Some(
        s.bytes()
            .take(digits)
            .fold(0, |n, b| n * 10 + u32::from(b - b'0')),
    )
}

/// An age written right after the name — 「さん（82）」「さん(94歳)」「くん（5さい）」 —
/// or in the words just around it: 「94歳の」. `after` and `before` are those words.
fn age_near(after: &str, before: &str) -> Option<u32> {
    // In parentheses right after the name.
    if let Some(inner) = after.strip_prefix('(')
        && let Some(n) = leading_number(inner)
    {
        let rest = inner.trim_start_matches(|c: char| c.is_ascii_digit());
        if rest.starts_with(')')
            || rest.starts_with('歳')
            || rest.starts_with('才')
            || rest.starts_with("さい")
        {
            return Some(n);
        }
    }
    // 「94歳」 in the words around the name.
    for w in [after, before] {
        for (i, c) in w.char_indices() {
            if !(matches!(c, '歳' | '才') || c == 'さ' && w[i..].starts_with("さい")) {
                continue;
            }
            let digits = w[..i].bytes().rev().take_while(u8::is_ascii_digit).count();
            if (1..=3).contains(&digits) {
                return leading_number(&w[i - digits..]);
            }
        }
    }
    None
}

fn class_word_ok(text: &str, s: usize, e: usize) -> bool {
    // 「組」 only as a class: 2組, ぞう組, ひまわり組 — not 番組, 取り組み, 組合.
    if &text[s..e] != "組" {
        return true;
    }
    let prev = char_before(text, s);
    let next = text[e..].chars().next();
    prev.is_some_and(|c| c.is_ascii_digit() || super::is_hiragana(c) || super::is_katakana(c))
        && !next.is_some_and(|c| {
            matches!(
                c,
                'み' | 'む' | 'め' | 'ん' | '合' | '織' | '長' | '員' | '込' | '立'
            )
        })
}

/// `near` holds every [`NEAR`] word of the post, in order.
fn classify(cx: &Cx<'_>, hit: &NameHit, near: &[(usize, usize, Near)]) -> Class {
    let text = cx.text();
    // The words around the name: 25 characters before it and 14 after it in the
    // same sentence (class, school, age), about 60 after it on the same line (facts).
    let bs = back(text, hit.start, 25, is_break);
    let near_end = ahead(text, hit.end, 14, is_break);
    let age = age_near(
        &text[hit.end..near_end],
        &text[back(text, hit.start, 8, is_break)..hit.start],
    );
    // About 60 characters (180 bytes of kana and kanji), up to the end of the line.
    let mut fe = (hit.end + 180).min(text.len());
    while !text.is_char_boundary(fe) {
        fe -= 1;
    }
    let fe = text[hit.end..fe].find('\n').map_or(fe, |i| hit.end + i);
    let mut school = false;
    let mut facts = [None; 3];
    let mut add = |f: Fact| {
        if f != Fact::Neutral
            && !facts.contains(&Some(f))
            && let Some(slot) = facts.iter_mut().find(|s| s.is_none())
        {
            *slot = Some(f);
        }
    };
    if age.is_some() {
        add(Fact::Age);
    }
    let first = near.partition_point(|w| w.0 < bs);
    let around = near[first..]
        .iter()
        .take_while(|w| w.1 <= fe)
        .filter(|w| w.1 <= hit.start || w.0 >= hit.end);
    for &(s, e, n) in around {
        match n {
            // The class or school before the name, or within 14 characters after it.
            Near::School => school |= e <= near_end && class_word_ok(text, s, e),
            Near::Fact(f) => add(f),
        }
    }
    if school || hit.hon.is_childish() && age.is_some() {
        // A teacher or a parent at the school, or an adult's age, is no child.
        let adult = age.is_some_and(|a| a > 15)
            || "教諭 教員 先生 職員 保護者 校長 園長 教頭 元 卒業生 ボランティア"
                .split_whitespace()
                .any(|w| text[bs..hit.start].contains(w));
        if !adult {
            return Class::Child;
        }
    }
    if facts[0].is_some() {
        Class::Facts(facts)
    } else {
        Class::Plain
    }
}

fn compute(cx: &Cx<'_>) -> Vec<(NameHit, Class)> {
    let names = find_names(cx.text(), &cx.norm.folded);
    if names.is_empty() {
        return Vec::new();
    }
    // The fact and school words of the whole post, read once for all its names.
    let near: Vec<(usize, usize, Near)> = NEAR
        .find(&cx.norm.folded)
        .map(|(s, e, n)| (s, e, *n))
        .collect();
    names
        .into_iter()
        .map(|h| (h, classify(cx, &h, &near)))
        .collect()
}

/// Every name of a post with its class. PI010, PI011 and PI012 run one after another
/// on the same post and share one search, kept in the post's `Cx`.
#[derive(Debug, Default)]
pub(crate) struct Names(Vec<(NameHit, Class)>);

/// Every name of the post with its class, found once per post.
fn names_of<'c>(cx: &'c Cx<'_>) -> &'c [(NameHit, Class)] {
    &cx.names.get_or_init(|| Names(compute(cx))).0
}

/// PI010: a private person's name.
pub(crate) struct PersonName;

impl Rule for PersonName {
    const CODE: &'static str = "PI010";
    const NAME: &'static str = "person-name";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "敬称付きの個人名";
    const DOC: &'static str = "\
## 何を見つけるか
「さん」「様（さま）」「氏」「くん（君）」「ちゃん」「殿」の付いた個人名を、姓・名の名簿（約2,000の姓と約7万の名）で確かめて見つけます。

- 姓名（山田花子さん、森本 健司さん、高橋 美代子 様、佐藤 陽菜（ひな）さん、佐々木トメさん）
- 姓だけ（田中様、佐藤氏、鈴木くん）
- 名だけ（はなちゃん、はるとくん）

次のものは示しません。

- 人名でない語（皆さん、皆様、お客様、お子さん、園児さん、生産者さん、〇〇課さん、神様、様式、氏名）
- 議員・市長・選手・歌手・講師など公的な立場や職業の肩書きが前に付いた名前、「山田花子さん（管理栄養士）」のように肩書きを添えた名前、マスコットキャラクターの名前
- 肩書きだけのもの（市長、教育長、課長）

名前に年齢・健康・生活の事実が結び付いているときは PI011、子どもの名前は PI012 が示します（同じ名前を二重には示しません）。歴史上の人物などは名簿に一致すれば示すことがあります。

## なぜ
氏名は個人を特定する情報の中心です。受賞者・寄附者・協力者の紹介でも、公表には本人の同意が必要です。誤送付のおわびや落とし物の案内に、相手の名前を書いてしまう誤りがよく起こります。

## 例
示す:
- 拾ってくださった山田花子さんへご連絡ください
- 本町4丁目　田村 真一さま

示さない:
- 市民の皆さん、お子さんの健康のために
- 県議会議員の遠藤さやか氏";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        for &(h, c) in names_of(cx) {
            if c != Class::Plain {
                continue;
            }
            let what = match h.kind {
                NameKind::Full => "個人の氏名",
                NameKind::Surname => "個人の名字",
                NameKind::Given => "個人の名前",
            };
            out.at(
                h.start,
                h.end,
                format!("{what}が含まれています。氏名の公表には本人の同意が必要です"),
                Some("同意を得ていない場合は、名前を削除するか「市内の方」「受賞者」のように書き換えてください".into()),
            );
        }
    }
}

/// PI011: a name with age, health, welfare or family facts.
pub(crate) struct PersonFacts;

impl Rule for PersonFacts {
    const CODE: &'static str = "PI011";
    const NAME: &'static str = "person-with-sensitive-facts";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "個人名と年齢・健康・生活・家族の事実の組み合わせ";
    const DOC: &'static str = "\
## 何を見つけるか
敬称付きの個人名（PI010 と同じ方法で確かめたもの）の近くに、次の事実があるものを見つけます。

- 年齢（山田さん（82）、94歳の佐々木さん）
- 健康状態（認知症、持病、入院、障害、要介護、がん など）
- 生活や経済の状況（生活保護、滞納、一人暮らし、困窮、不登校 など）
- 家族の状況（亡くなった、死別 など）

名前の前25文字（同じ文の中）と後およそ60文字（同じ行の中）を見ます。「病院」「介護保険課」のように事実を表さない語は除きます。

## なぜ
病歴や障害、生活保護の受給などは、個人情報保護法で特に配慮が必要な「要配慮個人情報」にあたるか、それに近い情報です。名前と結び付けて公開すると、差別や偏見、犯罪の標的になるおそれがあります。一人暮らしの高齢者の情報は防犯上も危険です。

## 例
示す:
- 岡田 勇さん（71）は、奥さまを昨年亡くされてから一人暮らし
- 南町の佐々木トメさん（94歳）は持病の心臓病を抱えながら完歩
- 生活保護を受けている佐藤さん

示さない:
- 65歳以上の方は無料です
- 健康推進課の講座「認知症を知ろう」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        for &(h, c) in names_of(cx) {
            let Class::Facts(facts) = c else {
                continue;
            };
            let labels: Vec<&str> = facts.iter().flatten().map(|f| f.label()).collect();
            out.at(
                h.start,
                h.end,
                format!("個人名と{}が結び付いています。健康や生活の状況は特に配慮が必要な個人情報です", labels.join("・")),
                Some("名前を削除するか、年齢・健康・生活の状況を書かないでください。紹介する場合も本人の同意を得た範囲にとどめます".into()),
            );
        }
    }
}

/// PI013: a person left unnamed but described so that readers know who it is,
/// together with health or welfare facts.
pub(crate) struct IdentifiableDescription;

/// Phrases that tell readers they can work out who is meant.
static HINTS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"名前を(?:聞けば|言えば|出せば|見れば)|誰(?:のこと)?(?:だ)?か(?:すぐに?)?(?:わかる|分かる)|有名な[^。、!?\n]{0,12}?(?:さん|さま|様|氏|の方)",
    )
    .ok()
});

impl Rule for IdentifiableDescription {
    const CODE: &'static str = "PI013";
    const NAME: &'static str = "identifiable-description";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "名前を伏せても誰か分かる書き方と、健康・生活の事実の組み合わせ";
    const DOC: &'static str = "\
## 何を見つけるか
名前を書かずに、読む人が誰のことか分かると示す書き方（「名前を聞けばわかる方」「誰だかすぐ分かる」「有名な〇〇の社長さん」）のうち、前後80文字（同じ段落の中）に健康状態・生活や経済の状況・家族の状況（認知症、入院、生活保護、滞納、一人暮らし、亡くなった など）が書かれているものを見つけます。

「有名な歌手の〇〇さん」のように肩書きのある公人の紹介は示しません。

## なぜ
名前を伏せても、勤め先や経歴、「有名な」といった手掛かりで本人が分かれば、書かれた事実はその人の個人情報です。生活保護の申請や病気のような要配慮個人情報は、職務上知り得た秘密でもあります。

## 例
示す:
- 生活保護の申請が28件あり、そのうち1件は市内の有名な会社の元社長さんで、皆さんも名前を聞けばわかる方です

示さない:
- 有名な落語家の〇〇さんによる認知症予防の講演会
- 生活保護の申請件数は28件でした";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        let Some(re) = HINTS.as_ref() else {
            return;
        };
        for m in re.find_iter(text) {
            if ROLES.iter().any(|r| m.as_str().contains(r)) {
                continue;
            }
            let ws = back(text, m.start(), 80, |c| c == '\n');
            let we = ahead(text, m.end(), 80, |c| c == '\n');
            let fact = NEAR
                .find(&cx.norm.folded[ws..we])
                .find_map(|(_, _, n)| match n {
                    Near::Fact(f @ (Fact::Health | Fact::Welfare | Fact::Family)) => Some(*f),
                    _ => None,
                });
            let Some(fact) = fact else {
                continue;
            };
            out.at(
                m.start(),
                m.end(),
                format!(
                    "名前を伏せても誰のことか分かる書き方で、その人の{}に触れています。特定できれば個人情報です",
                    fact.label()
                ),
                Some("人物が分かる手掛かり（勤め先・経歴・「有名な」など）を削除し、件数などの統計だけを伝えてください".into()),
            );
        }
    }
}

/// PI012: a child's name with the nursery, school, class or age.
pub(crate) struct ChildName;

impl Rule for ChildName {
    const CODE: &'static str = "PI012";
    const NAME: &'static str = "child-name";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "子どもの名前と園・学校・クラス・年齢の組み合わせ";
    const DOC: &'static str = "\
## 何を見つけるか
子どもの名前（PI010 と同じ方法で確かめた敬称付きの名前）のうち、次のどれかと一緒に書かれたものを見つけます。

- 園・学校・学年・クラス（ひまわり保育園、ぞう組、4年2組、小学生、園児 など）が名前の前25文字か後14文字（同じ文の中）にある
- 「くん」「ちゃん」の名前に15歳以下の年齢（はるとくん（5さい））が付いている

「番組」「取り組み」「組合」の「組」はクラスとして扱いません。

## なぜ
名前と園・学校・クラスがそろうと、子どもの居場所が分かり、連れ去りやつきまといの危険につながります。作品展やコンクールの紹介でも、学校や保護者の同意を確かめ、通常は学年までにとどめます。

## 例
示す:
- ひまわり保育園 ぞう組のはるとくん（5さい）が描いてくれました
- みどり南小学校4年2組の佐藤 陽菜（ひな）さんが金賞を受賞

示さない:
- お子さんの健康のために
- 小学生の皆さん、夏休みの宿題は進んでいますか";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        for &(h, c) in names_of(cx) {
            if c != Class::Child {
                continue;
            }
            out.at(
                h.start,
                h.end,
                "子どもの名前と園・学校・クラス・年齢が一緒に書かれています。子どもの居場所が分かってしまいます".into(),
                Some("名前を削除し、「年長の園児」「4年生の児童」のように書き換えてください".into()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts};

    #[test]
    fn person_name() {
        cases(
            "PI010",
            &[
                "市民の皆さん、お子さんの健康のために手洗いを",
                "お客様各位、皆様のご来場をお待ちしています",
                "市長と教育長が出席しました",
                "県議会議員の遠藤さやか氏が国政への挑戦を語ります",
                "人気歌手・星野ミライさんの名曲",
                "みどり飲料さんの新商品",
                "設計事務所さんのサイト",
                "生産者さんの果樹園",
                "ボランティアの皆さん、いつもありがとうございます",
                "講師：管理栄養士 山田花子さん",
                "山田花子さん（管理栄養士）の講演",
                "申請様式と氏名欄",
                "様々な催し",
                "たくさんのご参加",
                "園児さんが来庁",
                "広報課さん",
                "マスコットキャラクターのみどりちゃん",
                "ぞう組の歌",
            ],
            &[
                "拾ってくださった桜台2丁目の山田花子さん（090-3812-4457）へ",
                "本町4丁目　田村 真一さま",
                "東京都世田谷区在住の会社経営 森本 健司さん",
                "田中様よりご寄附をいただきました",
                "佐藤氏が受賞",
                "鈴木くんが来てくれました",
                "はなちゃんが遊びに来ました",
                "氏名：木村 康介さん",
                "最優秀賞　高橋 美代子 様",
            ],
        );
        assert_eq!(
            excerpts("PI010", "拾ってくださった山田花子さんへ"),
            vec!["山田花子さん"]
        );
        assert_eq!(
            excerpts("PI010", "会社経営 森本 健司さん（昭和48年"),
            vec!["森本 健司さん"]
        );
    }

    #[test]
    fn person_facts() {
        cases(
            "PI011",
            &[
                "65歳以上の方は無料です",
                "健康推進課の講座「認知症を知ろう」",
                "山田花子さんが受賞しました",
                "みどり病院の田中さんが講演します",
                "生活保護の相談は生活福祉課へ",
            ],
            &[
                "元中学校教諭の岡田 勇さん（71）は、奥さまを昨年亡くされてから一人暮らし",
                "南町の佐々木トメさん（94歳）でした！持病の心臓病を抱えながらの完歩",
                "生活保護を受けている佐藤さん",
                "田中様は認知症のため",
                "山田さん（82）",
            ],
        );
        assert_eq!(
            excerpts("PI011", "佐々木トメさん（94歳）でした"),
            vec!["佐々木トメさん"]
        );
    }

    #[test]
    fn identifiable_description() {
        cases(
            "PI013",
            &[
                "有名な落語家の桂さんによる認知症予防の講演会",
                "生活保護の申請件数は28件でした。",
                "有名な観光地で、誰でも楽しめます",
                "名前を聞けばわかる有名な会社が進出します",
                "ご存じの方も多いと思いますが、熱中症で入院する人が増えています",
            ],
            &[
                "生活保護の申請が先月は28件ありました。そのうち1件は、市内の有名な会社の元社長さんで、皆さんも名前を聞けばわかる方です。",
                "入院中の方は、駅前の有名なお店のご主人の方で、誰だかすぐ分かると思います",
            ],
        );
    }

    #[test]
    fn child_name() {
        cases(
            "PI012",
            &[
                "お子さんの健康のために",
                "小学生の皆さん、夏休みの宿題は進んでいますか",
                "テレビ番組の山田さん",
                "取り組みを進める田中さん",
                "鈴木くんが来てくれました",
            ],
            &[
                "ひまわり保育園 ぞう組のはるとくん（5さい）が、マスコットを描いてくれました",
                "みどり南小学校4年2組の佐藤 陽菜（ひな）さんが金賞を受賞しました",
                "はなちゃん（3歳）",
                "3年生の田中くん",
            ],
        );
        assert_eq!(
            excerpts("PI012", "ぞう組のはるとくん（5さい）"),
            vec!["はるとくん"]
        );
        // one name, one rule
        let d = crate::rules::test::run("ぞう組のはるとくん（5さい）", None);
        assert_eq!(
            d.iter().filter(|d| d.rule.starts_with("PI01")).count(),
            1,
            "{d:#?}"
        );
    }
}

//! Copyright: reprints of whole works (CR001), quotations without a source and song lyrics
//! (CR002), copies of pages, screens and other people's pictures (CR003).

use std::ops::Range;

use koho_guideline::Category;

use super::wording::{self, Hit, List, any_in, sentence, word};
use super::{Cx, Rule};
use crate::registry::Out;

/// How far (bytes of the normalised text, about a third in characters) a cue may be from
/// the word it qualifies.
const NEAR: usize = 60;

/// How far a copying verb may follow its object (about 15 characters).
const NEAR_OBJECT: usize = 45;

fn post_has(hits: &[Hit], role: &str) -> bool {
    hits.iter().any(|h| h.has(role))
}

/// The sentence before the one at `at`, plus that one.
fn with_previous(text: &str, at: usize) -> Range<usize> {
    let s = sentence(text, at);
    let start = if s.start == 0 {
        0
    } else {
        sentence(text, s.start - 1).start
    };
    start..s.end
}

/// 「無断転載禁止」「記事を転載しないでください」「無断転載されています」: a notice, not a reprint.
fn negated(text: &str, end: usize) -> bool {
    const NEG: &[&str] = &[
        "禁止",
        "禁じ",
        "を禁",
        "は禁",
        "お断り",
        "ご遠慮",
        "厳禁",
        "しないで",
        "おやめ",
        "はやめ",
        "不可",
        "できません",
        "お控え",
        "ng",
        "はいけ",
        "しないよう",
        "されないよう",
        "され",
        "は著作権",
    ];
    let after: String = text.get(end..).unwrap_or("").chars().take(10).collect();
    let after = after.trim_start_matches(['・', '、', ' ', '/']);
    NEG.iter().any(|n| after.contains(n))
}

pub(crate) struct Reprint;

impl Rule for Reprint {
    const CODE: &'static str = "CR001";
    const NAME: &'static str = "full-reprint";
    const CATEGORY: Category = Category::Copyright;
    const SUMMARY: &'static str = "他者の記事や作品を丸ごと転載している";
    const DOC: &'static str = "\
## 何を見つけるか
新聞記事・書籍・句集などを丸ごと、またはそのまま載せていることを示す言い方です。
「全文転載」「以下転載」「〇〇より転載します」「無断転載」「（作品を）すべてご紹介」「そのまま掲載」など。
「すべて」「そのまま」は、同じ文か直前の文に作品（句集・新聞・記事・小説など）があるときだけ知らせます。

投稿の中に「許可を得て」「許諾」「転載許可」などがあるとき、市歌・条例・市報など市の著作物や
公の文書を載せるときは知らせません。「無断転載禁止」のような注意書きも対象外です。

## なぜ
引用は、必要な部分に限り、出典を示してはじめて認められます。全文の転載は引用の範囲を超え、
著作権者の許諾がなければ著作権の侵害です。

## 例
- 見つける: 「以下、みどり日報より全文転載します。」
- 見つける: 「有名俳人の句集から、10句をすべてご紹介します」
- 見つけない: 「新聞記事は許可を得て転載しています」
- 見つけない: 「写真の無断転載を禁じます」
- 見つけない: 「市歌の歌詞を全文掲載します」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let hits = wording::hits(cx, List::Copyright);
        if post_has(&hits, "perm") {
            return;
        }
        let text = cx.text();
        for h in &hits {
            let sent = sentence(text, h.start);
            if any_in(&hits, "own", &sent) {
                continue;
            }
            if let Some(e) = h.get("reprint") {
                if e.negatable && negated(text, h.end) {
                    continue;
                }
            } else if !h.has("whole") || !any_in(&hits, "work", &with_previous(text, h.start)) {
                continue;
            }
            out.at(
                h.start,
                h.end,
                format!(
                    "「{}」: 他者の記事や作品を丸ごと載せると、引用の範囲を超えて著作権の侵害になります",
                    word(text, h)
                ),
                Some(
                    "要点を自分の言葉でまとめ、出典を示してリンクしてください。全文を載せるなら著作権者の許諾を得てください"
                        .to_string(),
                ),
            );
        }
    }
}

pub(crate) struct UncreditedQuote;

impl Rule for UncreditedQuote {
    const CODE: &'static str = "CR002";
    const NAME: &'static str = "uncredited-quote";
    const CATEGORY: Category = Category::Copyright;
    const SUMMARY: &'static str = "出典を示さずに他者の文章・言葉・歌詞を載せている";
    const DOC: &'static str = "\
## 何を見つけるか
- 出典の分からない引用: 「ある有名な経営者の言葉です」「誰かの言葉」「作者不明」「どこかで読んだ」
- 出典を書かない引用: 「〜の一部を引用します」のあとに出典がない
- 歌詞の掲載: 「歌詞をお届けします」「〇〇の歌詞『…』」
- 作品（新聞・記事・本・小説など）に触れた投稿の中の、40字以上のかぎかっこ（「…」）の長い引用

投稿に「出典」「〇〇より引用」「〇〇著『…』」「〇〇新聞より」などの出典、または許諾の記載があるとき、
市歌・校歌など市の著作物のときは知らせません。

## なぜ
引用は、出典を明示し、引用部分が従であることなどが条件です。出典のない引用や歌詞の掲載は、
著作権（複製権・公衆送信権）や著作者人格権の侵害になるおそれがあります。

## 例
- 見つける: 「『まちづくりとは、人づくりである』——ある有名な経営者の言葉です」
- 見つける: 「名曲『夏のひかり』の歌詞をお届けします🎵」
- 見つけない: 「（出典：みどり日報 6月12日付）」を添えた短い引用
- 見つけない: 「市民歌の歌詞を掲載します」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let hits = wording::hits(cx, List::Copyright);
        if post_has(&hits, "source") || post_has(&hits, "perm") {
            return;
        }
        let text = cx.text();
        let mut found = false;
        for (i, h) in hits.iter().enumerate() {
            if any_in(&hits, "own", &sentence(text, h.start)) {
                continue;
            }
            if let Some(e) = h.get("anon") {
                let credited_to_nobody = !e.note.is_empty()
                    || hits[i + 1..]
                        .iter()
                        .take_while(|s| s.start < h.end + NEAR)
                        .any(|s| s.has("saying"));
                if credited_to_nobody {
                    found = true;
                    out.at(
                        h.start,
                        h.end,
                        format!(
                            "「{}」: 誰の言葉か分からない形で他者の言葉を引用しています",
                            word(text, h)
                        ),
                        Some(
                            "引用するときは、著者名と作品名などの出典を明示してください"
                                .to_string(),
                        ),
                    );
                }
            } else if h.has("quoting") {
                found = true;
                out.at(
                    h.start,
                    h.end,
                    format!("「{}」: 引用元が書かれていません", word(text, h)),
                    Some(
                        "引用するときは、著者名と作品名・記事名などの出典を明示してください"
                            .to_string(),
                    ),
                );
            } else if h.has("lyrics") && !post_has(&hits, "own") {
                let presented = hits[i + 1..]
                    .iter()
                    .take_while(|s| s.start < h.end + NEAR)
                    .any(|s| s.has("present"))
                    || long_quotes(text.get(h.end..).unwrap_or(""), 10)
                        .next()
                        .is_some();
                if presented {
                    found = true;
                    out.at(
                        h.start,
                        h.end,
                        "歌詞を載せています。歌詞は短くても著作物で、許諾なく掲載できません".to_string(),
                        Some("曲名と歌手名の紹介にとどめるか、著作権管理団体などの許諾を得てください".to_string()),
                    );
                }
            }
        }
        if found || !post_has(&hits, "work") || post_has(&hits, "own") {
            return;
        }
        for q in long_quotes(text, 40) {
            out.at(
                q.start,
                q.end,
                "作品や記事からの長い引用に出典が書かれていません".to_string(),
                Some("引用は必要な部分だけにし、「（出典：〇〇新聞 〇月〇日付）」のように出典を明示してください".to_string()),
            );
        }
    }
}

/// Spans of 「…」 quotations with at least `min` characters inside.
fn long_quotes(text: &str, min: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let rest = text.get(from..)?;
            let open = from + rest.find('「')?;
            let inner_start = open + '「'.len_utf8();
            let close = inner_start + text.get(inner_start..)?.find('」')?;
            from = close + '」'.len_utf8();
            if text.get(inner_start..close)?.chars().count() >= min {
                return Some(open..from);
            }
        }
    })
}

pub(crate) struct CopiedMedia;

impl Rule for CopiedMedia {
    const CODE: &'static str = "CR003";
    const NAME: &'static str = "copied-media";
    const CATEGORY: Category = Category::Copyright;
    const SUMMARY: &'static str = "紙面・放送画面・他者の画像やキャラクターを複製して使っている";
    const DOC: &'static str = "\
## 何を見つけるか
- 他者の画像・写真の流用: 「画像はお借りしました」「拾い画」「ネットで見つけた写真」
- 紙面や誌面の複製: 「新聞記事の写真」「ガイドブックのページをスキャンして掲載」「記事をスクショ」
- 放送画面の複製: 「ドラマの名場面をスマホで撮影」「テレビ画面」「番組を録画して」
- キャラクターの無断使用: 「人気アニメのキャラクターのイラストを使って」

投稿に「許可を得て」「許諾」「写真提供：」「公認」「コラボ」などがあるとき、
市のマスコット・公式キャラクター・職員が撮影した写真・フリー素材など市が使ってよいものは知らせません。

## なぜ
新聞・雑誌・放送・写真・イラスト・キャラクターには著作権があります。撮影やスキャンで複製して
載せることは、許諾がなければ複製権・公衆送信権の侵害です。

## 例
- 見つける: 「県の観光ガイドブックの『みどり市』のページをスキャンして掲載します」
- 見つける: 「テレビで放送していたドラマの名場面をスマホで撮影しました」
- 見つける: 「人気アニメのキャラクターのイラストを使って交通安全ポスターを作りました」
- 見つけない: 「市のマスコットのイラストを使ったポスターです」
- 見つけない: 「写真提供：みどり市観光協会」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let hits = wording::hits(cx, List::Copyright);
        if post_has(&hits, "perm") {
            return;
        }
        let text = cx.text();
        for (i, h) in hits.iter().enumerate() {
            let sent = sentence(text, h.start);
            if any_in(&hits, "own", &sent) {
                continue;
            }
            let found = if h.has("media") {
                Some((h.end, Media::Borrowed))
            } else {
                let verb = |role: &str| {
                    hits[i + 1..]
                        .iter()
                        .take_while(|v| v.start < (h.end + NEAR_OBJECT).min(sent.end))
                        .find(|v| v.has(role))
                        .map(|v| v.end)
                };
                if h.has("objp") {
                    verb("vcopy").map(|e| (e, Media::Print))
                } else if h.has("objs") {
                    verb("vscreen").map(|e| (e, Media::Screen))
                } else if h.has("objc") && any_in(&hits, "famous", &sent) {
                    verb("vuse").map(|e| (e, Media::Character))
                } else {
                    None
                }
            };
            let Some((end, kind)) = found else {
                continue;
            };
            let (message, suggestion) = match kind {
                Media::Borrowed => (
                    "他者が撮影・作成した画像を使っているようです。画像にも著作権があります",
                    "市で撮影・作成した画像を使うか、撮影者の許諾を得て「写真提供：〇〇」と記載してください",
                ),
                Media::Print => (
                    "新聞・雑誌・書籍などの紙面を撮影やスキャンで複製して載せると、著作権の侵害になります",
                    "紙面の画像は載せず、内容を紹介して発行元のページにリンクするか、発行元の許諾を得てください",
                ),
                Media::Screen => (
                    "放送番組や映像の画面を撮影・録画して載せると、著作権の侵害になります",
                    "番組名と放送日を紹介するにとどめ、画面の写真は載せないでください",
                ),
                Media::Character => (
                    "他者のキャラクターやイラストを使うには、著作権者の許諾が必要です",
                    "市のオリジナル素材を使うか、権利者の許諾を得て使用条件を守ってください",
                ),
            };
            out.at(
                h.start,
                end,
                message.to_string(),
                Some(suggestion.to_string()),
            );
        }
    }
}

enum Media {
    Borrowed,
    Print,
    Screen,
    Character,
}

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts};

    #[test]
    fn cr001_reprints() {
        cases(
            "CR001",
            &[
                "新聞記事は許可を得て転載しています。以下転載します。",
                "写真の無断転載を禁じます。",
                "無断転載・無断使用はご遠慮ください。",
                "市歌の歌詞を全文掲載します。",
                "市内の全施設をすべてご紹介します。",
                "条例の全文を掲載しました。",
            ],
            &[
                "以下、みどり日報より全文転載します。\n「みどり市は12日、市内の小中学校全校に冷房設備を整備すると発表した。」",
                "【今日の一句】有名俳人の句集から、季節にぴったりの10句をすべてご紹介します。（句集の内容をそのまま掲載）",
                "あおば新聞の記事をそのまま載せます。",
                "ネットの記事を無断転載しちゃいました。",
            ],
        );
        assert_eq!(
            excerpts("CR001", "以下、みどり日報より全文転載します。"),
            vec!["全文転載"]
        );
    }

    #[test]
    fn cr002_uncredited_quotes() {
        cases(
            "CR002",
            &[
                "「まちづくりとは、人づくりである」（出典：松下一郎『まちの本』）",
                "市民歌の歌詞をお届けします。「みどりの丘に」",
                "市長は「子育て世代の皆さんが安心して暮らせるまちをつくるため、全力で取り組みます」と話しました。",
                "新聞で紹介されました。「みどり市の挑戦が注目を集めている」（みどり日報 6月12日付より引用）",
            ],
            &[
                "「まちづくりとは、人づくりである」——ある有名な経営者の言葉です。",
                "人気歌手の名曲「夏のひかり」の歌詞をお届けします🎵「君と見た花火が 今も胸に咲いている 帰り道のあの川を」",
                "作者不明ですが、心に響く詩を紹介します。",
                "新聞の記事を紹介します。「みどり市は12日、市内の小中学校全校に冷房設備を整備すると発表した。総事業費は約8億円で、来年夏までの完了を目指す。」",
            ],
        );
        assert_eq!(
            excerpts("CR002", "——ある有名な経営者の言葉です。"),
            vec!["ある有名な"]
        );
    }

    #[test]
    fn cr003_copied_media() {
        cases(
            "CR003",
            &[
                "市のマスコットのイラストを使ったポスターです。",
                "写真提供：みどり市観光協会。ネットで見つけた絶景です",
                "テレビ局の取材で、ドラマのロケ地を撮影していただきました。",
                "詳しくはホームページに掲載しています。",
                "映画の撮影スポットをめぐるツアーです。",
            ],
            &[
                "県の観光ガイドブック（出版社：あおば出版）の「みどり市」のページをスキャンして掲載します。",
                "テレビで放送していたドラマの名場面をスマホで撮影しました📺",
                "ネットで見つけたみどり山の絶景写真です📷（画像はお借りしました）",
                "人気アニメのキャラクターのイラストを使って、交通安全ポスターを作りました🚸",
                "今朝の新聞記事の写真です。",
            ],
        );
        assert_eq!(
            excerpts("CR003", "名場面をスマホで撮影しました"),
            vec!["名場面をスマホで撮"]
        );
    }
}

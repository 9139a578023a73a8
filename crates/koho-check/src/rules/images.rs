use std::sync::LazyLock;

use koho_guideline::Category;

use super::{Cx, Rule};
use crate::lexicon::Lexicon;
use crate::registry::Out;

pub(crate) struct ImageLocation;

impl Rule for ImageLocation {
    const CODE: &'static str = "GT001";
    const NAME: &'static str = "image-location";
    const CATEGORY: Category = Category::Geotag;
    const SUMMARY: &'static str = "添付画像に撮影場所の位置情報（GPS）が残っている";
    const DOC: &'static str = "\
## 何を見つけるか
添付画像の Exif・XMP などのメタデータに残った GPS の緯度・経度です。

## なぜ
撮影場所が分かると、職員や写っている人の自宅、公開前の現場などが特定されるおそれがあります。
`koho media strip 元画像 出力先` で画質を変えずに位置情報を削除できます。koho から投稿する画像は
送信前に自動で削除されます。

## 例
- 見つける: スマートフォンで撮影し位置情報が記録されたままの JPEG
- 見つけない: 位置情報のない画像、スクリーンショット";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        for img in cx.input.images.iter().filter(|i| i.has_gps) {
            out.at_input(
                0,
                0,
                format!("画像「{}」に撮影場所の位置情報が記録されています", img.name),
                Some("koho media strip で位置情報を削除した画像を添付してください".into()),
            );
        }
    }
}

pub(crate) struct AttachedImageConsent;

impl Rule for AttachedImageConsent {
    const CODE: &'static str = "PR001";
    const NAME: &'static str = "attached-image-consent";
    const CATEGORY: Category = Category::Portrait;
    const SUMMARY: &'static str = "添付画像に写っている人の同意を確認する";
    const DOC: &'static str = "\
## 何を見つけるか
画像を添付したすべての投稿で、写っている人の同意を確認するよう促します。

## なぜ
個人が特定できる写真は、事前に本人（子どもは保護者）の同意が必要です。画像の中身は
koho には判断できないため、添付のたびに確認を促します。

## 例
- 見つける: 画像を1枚以上添付した投稿
- 見つけない: 画像のない投稿";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        if let Some(first) = cx.input.images.first() {
            let n = cx.input.images.len();
            let which = if n == 1 {
                format!("画像「{}」", first.name)
            } else {
                format!("画像{n}枚")
            };
            out.at_input(
                0,
                0,
                format!("{which}に個人が特定できる人が写っている場合は、本人の同意を得ていることを確認してください"),
                Some("同意が得られない場合は、顔が分からない写真に差し替えるか加工してください".into()),
            );
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cue {
    /// A phrase that by itself means people are in a picture (集合写真).
    PeoplePicture,
    /// People who may be in a picture the post shows (参加者, 子どもたち).
    People,
    /// The post is about a picture (写真, 撮影).
    Picture,
    /// Consent was obtained, or nobody identifiable is in the picture.
    Cleared,
}

static CUES: LazyLock<Lexicon<Cue>> = LazyLock::new(|| {
    let people_picture = [
        "集合写真",
        "記念写真",
        "記念撮影",
        "笑顔の写真",
        "顔写真",
        "写真に写って",
        "動画に映って",
        "笑顔いっぱいの一枚",
    ];
    let people = [
        "皆さん",
        "皆様",
        "みなさん",
        "子どもたち",
        "子供たち",
        "こどもたち",
        "児童",
        "生徒",
        "園児",
        "部員",
        "選手",
        "参加者",
        "来場者",
        "来庁者",
        "住民の",
        "新成人",
        "ランナー",
        "ボランティア",
        "親子",
        "ママ",
        "パパ",
        "赤ちゃん",
        "笑顔",
        "表情",
        "晴れ着姿",
        "仮装",
        "混み合",
        "お年寄り",
        "利用者の",
        "受講者",
    ];
    let picture = [
        "写真",
        "撮影",
        "一枚",
        "📸",
        "動画",
        "映像",
        "ご覧ください",
        "をどうぞ",
    ];
    let cleared = [
        "同意をいただ",
        "同意を得",
        "同意済",
        "了承を得",
        "了承をいただ",
        "許可を得",
        "許可をいただ",
        "承諾を得",
        "作品のみ",
        "人物は写って",
        "写っていません",
        "後ろ姿",
        "顔が写らない",
        "顔が分からない",
        "顔がわからない",
        "ぼかし",
        "シルエット",
    ];
    let mut items = Vec::new();
    items.extend(
        people_picture
            .iter()
            .map(|w| (w.to_string(), Cue::PeoplePicture)),
    );
    items.extend(people.iter().map(|w| (w.to_string(), Cue::People)));
    items.extend(picture.iter().map(|w| (w.to_string(), Cue::Picture)));
    items.extend(cleared.iter().map(|w| (w.to_string(), Cue::Cleared)));
    Lexicon::new(items)
});

pub(crate) struct PeopleInPicture;

impl Rule for PeopleInPicture {
    const CODE: &'static str = "PR002";
    const NAME: &'static str = "people-in-picture";
    const CATEGORY: Category = Category::Portrait;
    const SUMMARY: &'static str = "人が写った写真・動画を載せている";
    const DOC: &'static str = "\
## 何を見つけるか
人が写った写真や動画を載せる投稿です。画像を添付して本文に人を表す言葉（「参加者」「子どもたち」
「皆さん」「笑顔」など）があるとき、または画像がなくても「集合写真」「記念撮影」のように人の写った
写真を示す言葉があるときに知らせます。本文で同意を得たこと（「同意をいただいています」）や、人が
特定できないこと（「作品のみ」「後ろ姿」）が書かれていれば知らせません。

## なぜ
個人が特定できる写真・映像は、事前に本人や所属団体（子どもは保護者）の了解が必要です。

## 例
- 見つける: 画像付きで「敬老会に参加された皆さんの写真です」、「参加者の集合写真です」
- 見つけない: 画像付きで「紅葉が見頃です」、「写真の掲載は保護者の同意をいただいています」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let mut first_people = None;
        let mut strong = None;
        let mut picture = false;
        for (s, e, cue) in CUES.find(&cx.norm.folded) {
            match cue {
                Cue::Cleared => return,
                Cue::PeoplePicture => {
                    strong.get_or_insert((s, e));
                }
                Cue::People => {
                    first_people.get_or_insert((s, e));
                }
                Cue::Picture => picture = true,
            }
        }
        let has_images = !cx.input.images.is_empty();
        let hit = match (strong, first_people) {
            (Some(span), _) => Some(span),
            (None, Some(span)) if has_images || picture => Some(span),
            _ => None,
        };
        // Without an attachment, a people word next to 写真 is only a mention; with
        // one, a people word is enough because the picture is right there.
        if let Some((s, e)) = hit
            && (has_images || strong.is_some() || picture)
        {
            out.at(
                s,
                e,
                "人が写った写真・動画のようです。写っている人（子どもは保護者）の同意を得ているか確認してください".into(),
                Some("同意が確認できない人は、顔が分からないように加工するか写真を差し替えてください".into()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ImageFacts;
    use crate::rules::test::{cases, run_full};

    fn img(name: &str, gps: bool) -> ImageFacts {
        ImageFacts {
            name: name.into(),
            has_gps: gps,
        }
    }

    #[test]
    fn gps_in_an_attached_image_is_flagged_per_image() {
        let d = run_full(
            "紅葉がきれいです",
            &[img("a.jpg", true), img("b.jpg", false), img("c.jpg", true)],
            &[],
        );
        let gt: Vec<_> = d.iter().filter(|d| d.rule == "GT001").collect();
        assert_eq!(gt.len(), 2);
        assert!(gt[0].message.contains("a.jpg"));
        assert_eq!((gt[0].start, gt[0].end), (0, 0));
    }

    #[test]
    fn no_gps_no_geotag_finding() {
        let d = run_full("紅葉がきれいです", &[img("a.jpg", false)], &[]);
        assert!(d.iter().all(|d| d.rule != "GT001"));
    }

    #[test]
    fn every_attached_image_gets_one_consent_reminder() {
        let d = run_full(
            "運動会の様子です",
            &[img("a.jpg", false), img("b.jpg", false)],
            &[],
        );
        assert_eq!(d.iter().filter(|d| d.rule == "PR001").count(), 1);
        assert!(
            run_full("お知らせ", &[], &[])
                .iter()
                .all(|d| d.rule != "PR001")
        );
    }

    #[test]
    fn people_in_picture_cases() {
        cases(
            "PR002",
            &[
                "紅葉の写真です",
                "写真コンテストの作品を募集します",
                "参加者の集合写真です。掲載は皆さんの同意をいただいています",
                "市民の皆さんにお知らせします",
            ],
            &[
                "参加者の集合写真です",
                "子どもたちの笑顔をご覧ください",
                "顔写真を掲載しました",
                "ランナーの皆さんを撮影しました",
            ],
        );
    }

    #[test]
    fn with_an_image_a_people_word_is_enough() {
        let images = [img("a.jpg", false)];
        let flagged = |t: &str| run_full(t, &images, &[]).iter().any(|d| d.rule == "PR002");
        assert!(flagged("敬老会に参加された皆さんです"));
        assert!(!flagged("新しいごみ収集車が走り始めました"));
        assert!(!flagged("書道展の作品です（写真は作品のみ）"));
    }
}

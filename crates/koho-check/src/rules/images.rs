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

/// Words that put people into a photo or video the post talks about.
static PEOPLE_IN_PICTURE: LazyLock<Lexicon<()>> = LazyLock::new(|| {
    Lexicon::new(
        [
            "集合写真", "記念写真", "笑顔の写真", "活動の様子の写真", "様子を撮影", "写真に写って", "動画に映って",
            "顔写真", "子どもたちの写真", "児童の写真", "生徒の写真", "園児の写真", "参加者の写真",
            "皆さんの笑顔", "子どもたちの笑顔", "表情をご覧", "写真で紹介", "写真を掲載",
        ]
        .into_iter()
        .map(|w| (w.to_string(), ())),
    )
});

pub(crate) struct PeopleInPicture;

impl Rule for PeopleInPicture {
    const CODE: &'static str = "PR002";
    const NAME: &'static str = "people-in-picture";
    const CATEGORY: Category = Category::Portrait;
    const SUMMARY: &'static str = "人が写った写真・動画に触れている";
    const DOC: &'static str = "\
## 何を見つけるか
「集合写真」「子どもたちの笑顔」「顔写真」など、人が写った写真や動画を紹介する言葉です。

## なぜ
個人が特定できる写真・映像は、事前に本人や所属団体の了解が必要です。

## 例
- 見つける: 「参加者の集合写真です」
- 見つけない: 「紅葉の写真です」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        if !cx.input.images.is_empty() {
            // PR001 already reminds about every attached image.
            return;
        }
        if let Some((s, e, ())) = PEOPLE_IN_PICTURE.find(&cx.norm.folded).next() {
            out.at(
                s,
                e,
                "人が写った写真・動画を載せる場合は、写っている人の同意を確認してください".into(),
                Some("同意のない人は顔が分からないようにしてください".into()),
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
        let d = run_full("紅葉がきれいです", &[img("a.jpg", true), img("b.jpg", false), img("c.jpg", true)], &[]);
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
        let d = run_full("運動会の様子です", &[img("a.jpg", false), img("b.jpg", false)], &[]);
        assert_eq!(d.iter().filter(|d| d.rule == "PR001").count(), 1);
        assert!(run_full("お知らせ", &[], &[]).iter().all(|d| d.rule != "PR001"));
    }

    #[test]
    fn people_in_picture_cases() {
        cases(
            "PR002",
            &["紅葉の写真です", "写真コンテストの作品を募集します"],
            &["参加者の集合写真です", "子どもたちの笑顔をご覧ください", "顔写真を掲載しました"],
        );
    }
}

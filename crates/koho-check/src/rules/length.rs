use koho_guideline::Category;

use super::{Cx, Rule};
use crate::length::{Unit, measure};
use crate::registry::Out;

pub(crate) struct PlatformLength;

impl Rule for PlatformLength {
    const CODE: &'static str = "LN001";
    const NAME: &'static str = "platform-length";
    const CATEGORY: Category = Category::Length;
    const SUMMARY: &'static str = "投稿先サービスの文字数上限を超えている";
    const DOC: &'static str = "\
## 何を見つけるか
投稿先サービスの数え方で文字数を数え、上限を超えた位置から末尾までを示します。

| サービス | 数え方 | 上限 |
| --- | --- | --- |
| X | 重み付き（漢字・かな・全角は2、半角英数は1、URLは一律23、絵文字は2） | 280 |
| Bluesky | 書記素（見た目の1文字） | 300 |
| Mastodon | 書記素（URLは一律23） | 500 |
| Threads | 文字 | 500 |
| Misskey | 文字 | 3,000 |
| Instagram | 文字 | 2,200 |
| LINE公式アカウント | 文字 | 5,000 |
| Facebook | 文字 | 63,206 |

## なぜ
上限を超えた投稿は送信できないか、途中で切れて意味が変わります。

## 例
Xで全角141文字の投稿 → 141文字目から先が上限超過として示されます。";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let Some(platform) = cx.input.platform else {
            return;
        };
        let Some(m) = measure(cx.input.text, platform) else {
            return;
        };
        let Some(at) = m.over_at else {
            return;
        };
        let unit = match m.unit {
            Unit::Weighted => "。全角は2、URLは23として数えます",
            Unit::Graphemes | Unit::Chars => "",
        };
        out.at_input(
            at,
            cx.norm.input_chars,
            format!(
                "{}の上限 {} を超えています（現在 {}{}）。ここから先は投稿できません",
                platform.label(),
                m.limit,
                m.count,
                unit
            ),
            Some("文を短くするか、詳細をホームページに掲載してリンクしてください".into()),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Platform;
    use crate::rules::test::run;

    #[test]
    fn flags_from_the_first_character_over_the_limit() {
        let text = format!("{}いう", "あ".repeat(139));
        let d = run(&text, Some(Platform::X));
        let hit = d.iter().find(|d| d.rule == "LN001").expect("over 280");
        assert_eq!((hit.start, hit.end), (140, 141));
        assert_eq!(hit.excerpt, "う");
    }

    #[test]
    fn passes_at_the_limit_and_without_platform() {
        let text = "あ".repeat(140);
        assert!(
            run(&text, Some(Platform::X))
                .iter()
                .all(|d| d.rule != "LN001")
        );
        assert!(
            run(&"あ".repeat(400), None)
                .iter()
                .all(|d| d.rule != "LN001")
        );
        assert!(
            run(&"あ".repeat(400), Some(Platform::Instagram))
                .iter()
                .all(|d| d.rule != "LN001")
        );
    }
}

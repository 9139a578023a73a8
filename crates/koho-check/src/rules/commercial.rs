//! Commercial: advertising a specific business's products or services.
//! Phrases: `data/phrases/commercial.tsv`; engine: [`super::context`].

use koho_guideline::Category;

use super::context::report;
use super::{Cx, Rule};
use crate::registry::Out;

pub(crate) struct ProductPromotion;

impl Rule for ProductPromotion {
    const CODE: &'static str = "CM001";
    const NAME: &'static str = "product-promotion";
    const CATEGORY: Category = Category::Commercial;
    const SUMMARY: &'static str = "特定の事業者の商品・サービスを勧めている";
    const DOC: &'static str = "\
## 何を見つけるか
- 事業者や商品を表す語（株式会社、カフェ、整体院、電力会社、工務店、新商品、新作、新車、Amazon…）と、推奨・購入を促す語（おすすめです、イチオシ、一番おトク、愛用、絶品、買えます、いかがですか、安くて丁寧…）が同じ文か隣の文にあるもの
- 業種の語（〇〇株式会社、ドラッグストア、スクール、旅館…）と、販促の語（キャンペーン、セール、特典、無料体験…）が同じ文にあるもの
- 店・商品の種類（スタジオ、写真館、〇〇モーターズ、ドリンク、商品…）と、勧める言い方（〜がおすすめ、買うなら、
  選ぶなら、まずはお店へ…）が同じ文か隣の文にあるもの
- 業者の広告の決まり文句（無料見積もり、今すぐお電話を）

次のものは指摘しません。

- 市の事業：プレミアム付商品券、ふるさと納税の返礼品、特産品の紹介、購入への補助金・助成
- 市の施設（市営・市立、図書館、公民館）の案内
- 消費者トラブルへの注意喚起（「電力会社の切り替えのトラブルにご注意」）
- 協賛店・協力店の一覧（子育て応援パスポートなど市の制度）

## なぜ
公式アカウントが特定の事業者の商品を勧めると、市がその事業者に便宜を図っていると受け取られ、公平性を損ないます。
ガイドラインは特定の事業者の商品又はサービスの宣伝その他営利を目的とする情報の発信を禁じています。

## 例
指摘する：

- 電気代の節約なら「ひかりでんき」への**切り替え**が**一番おトク**です！
- みどり飲料さんの**新商品**、市役所の自販機でも**買えます**。1本**いかがですか**？

指摘しない：

- プレミアム付商品券は市内のお店で使えます。今なら30％お得です。
- ふるさと納税の返礼品に、新商品「梨ジェラート」が加わりました。
- 電気自動車のご購入に補助金を交付します。";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        report(
            cx,
            out,
            Self::CODE,
            |q| format!("{q}は、特定の事業者の商品・サービスの宣伝と受け取られます"),
            "特定の事業者を勧める表現は削除してください。市の事業と関わる場合は、事業の目的と参加事業者の一覧など公平な形で伝えてください",
        );
    }
}

pub(crate) struct DiscountPromotion;

impl Rule for DiscountPromotion {
    const CODE: &'static str = "CM002";
    const NAME: &'static str = "discount-promotion";
    const CATEGORY: Category = Category::Commercial;
    const SUMMARY: &'static str = "割引・クーポン・キャンペーンなど販売促進を告知している";
    const DOC: &'static str = "\
## 何を見つけるか
事業者の販売促進の告知を見つけます。

- 「クーポンコード」「割引コード」「〇〇円のところ…円に」
- 投稿を見せると割引になる仕組み：「市の投稿を見たと言えば」「この画面をご提示ください」「メッセージを店頭でご提示」
- 値引きの語（％オフ、割引、半額、下取り、円アップ、無料…）と販促の語（今なら、今だけ、セール、キャンペーン、クーポン、初回、ご契約の方、店頭で…）が同じ文か隣の文にあるもの

市の事業（プレミアム付商品券、ふるさと納税、がん検診の無料クーポン、マイナンバーカードの取得促進、交通安全キャンペーン）や協賛店の制度は指摘しません。
参加費・入場料（「参加費500円」「入場無料」）だけでは指摘しません。

## なぜ
自治体の公式アカウントを使った販売促進は、特定の事業者への便宜供与になります。
ガイドラインは営利を目的とする情報の発信を禁じています。

## 例
指摘する：

- 市内のドラッグストア全店で使える10％オフ**クーポンコード**をプレゼント！
- 初回は3,980**円のところ**、市公式インスタを**見たと言えば**1,980円に！
- **今なら**Amazonのセールで40％**オフ**です。

指摘しない：

- がん検診の無料クーポン券を対象の方に送付しました。
- 市民プールは65歳以上の方は半額です。";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        report(
            cx,
            out,
            Self::CODE,
            |q| {
                format!(
                    "{q}は、事業者の割引やキャンペーンの告知です。営利を目的とする情報にあたります"
                )
            },
            "事業者の販売促進は公式アカウントで告知しないでください。市の事業であれば、事業名と市の問い合わせ先を明記してください",
        );
    }
}

pub(crate) struct AffiliateLink;

impl Rule for AffiliateLink {
    const CODE: &'static str = "CM003";
    const NAME: &'static str = "affiliate-link";
    const CATEGORY: Category = Category::Commercial;
    const SUMMARY: &'static str = "アフィリエイト・広告表記・購入リンクがある";
    const DOC: &'static str = "\
## 何を見つけるか
- アフィリエイトの印：URL の `tag=`（Amazon アソシエイト）、`a8.net`、`afl.rakuten`、`moshimo.com` など、「アフィリエイト」「アソシエイト」
- 広告表記のハッシュタグ：#PR、#ad、#sponsored、#広告、#プロモーション、#タイアップ、#提供
- 購入を促すリンク文：「ご購入はこちら」「ご注文はこちら」「ポチって」

アフィリエイト広告の詐欺への注意喚起や、商品券・ふるさと納税の案内は対象外です。

## なぜ
アフィリエイトリンクは、投稿から購入があると誰かに報酬が入る仕組みで、公式アカウントを営利に使うことになります。
広告表記のある投稿も、特定の事業者の宣伝です。

## 例
指摘する：

- 今ならAmazonのセールで40％オフです👇 https://www.amazon.co.jp/dp/B0EXAMPLE1?**tag=**midorisns-22
- 新作コスメを使ってみました！ **#PR**

指摘しない：

- 「アフィリエイトで簡単に稼げる」という副業詐欺にご注意ください。";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        report(
            cx,
            out,
            Self::CODE,
            |q| {
                format!(
                    "{q}は、アフィリエイト・広告・購入への誘導です。公式アカウントを営利に使うことになります"
                )
            },
            "アフィリエイトタグや広告表記、購入リンクを削除してください。商品の紹介が必要なら、メーカーの公式ページなど中立な情報源を示してください",
        );
    }
}

pub(crate) struct PrivateJobListing;

impl Rule for PrivateJobListing {
    const CODE: &'static str = "CM004";
    const NAME: &'static str = "private-job-listing";
    const CATEGORY: Category = Category::Commercial;
    const SUMMARY: &'static str =
        "民間事業者の求人を告知している（求人を認めないガイドラインのみ）";
    const DOC: &'static str = "\
## 何を見つけるか
民間事業者を表す語（株式会社、有限会社、〇〇店では、事業所、工場、医院…）と、求人の語（求人、スタッフ募集、従業員を募集、アルバイト募集、時給…）が同じ文か隣の文にあるものを見つけます。

ガイドラインが市内事業者の求人情報を例外として認めている場合（`allow_job_listings`、美祢市の運用方針 第4-2(2)エ など）は、この規則は働きません。
市自身の職員募集（会計年度任用職員、職員採用試験、地域おこし協力隊）は、設定にかかわらず対象外です。
ハローワークや合同企業説明会の案内では、組合せによる指摘をしません。

## なぜ
求人情報を認めていないガイドラインのもとでは、特定の事業者の求人を載せることは、その事業者の営業活動への協力になります。

## 例
指摘する（求人を認めないガイドラインのとき）：

- 株式会社みどり食品では、工場スタッフを募集しています。時給1,100円〜。

指摘しない：

- 会計年度任用職員（事務補助）を募集します。
- 合同企業説明会を開催します。市内の企業20社が参加します。";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        if cx.settings.allow_job_listings {
            return;
        }
        report(
            cx,
            out,
            Self::CODE,
            |q| {
                format!(
                    "{q}は、民間事業者の求人の告知です。このガイドラインは求人情報を例外にしていません"
                )
            },
            "求人情報はハローワークや事業者自身の媒体を案内するか、市の就職支援の事業として公平な形で伝えてください",
        );
    }
}

#[cfg(test)]
mod tests {
    use koho_guideline::Guideline;

    use crate::rules::test::{ALL_CATEGORIES, cases, excerpts};
    use crate::{Checker, Input};

    const CIVIC: &[&str] = &[
        "【プレミアム付商品券の販売について】市内のお店で使える商品券を販売します。今なら30％お得です。",
        "ふるさと納税の返礼品に、新商品「梨ジェラート」が加わりました！ぜひご利用ください。",
        "がん検診の無料クーポン券を対象の方に送付しました。",
        "秋のもみじウォーク参加者募集。参加費は保険料込みで500円です。",
        "市民プールは65歳以上の方は半額です。",
        "電気自動車のご購入に補助金を交付します。",
        "電力会社の切り替えをめぐるトラブルにご注意ください。",
        "子育て応援パスポートを協賛店の店頭でご提示いただくと、割引などのサービスが受けられます。",
        "会計年度任用職員（事務補助）を募集します。時給1,050円です。",
        "マイナンバーカードの取得キャンペーン中です。カードは無料で作れます。",
        "「アフィリエイトで簡単に稼げる」という副業詐欺にご注意ください。",
        "市内の商店街で、秋のセールが始まりました。",
        "入場無料！ぜひお越しください。",
        "シーズンオフの平日はゆったり楽しめます。",
        "交通安全キャンペーンを実施します。",
    ];

    #[test]
    fn shop_and_call_to_action() {
        cases(
            "CM001",
            &[
                "市の特産品を使った商品開発の補助金を受け付けています。",
                "七五三の記念写真の撮り方講座を、市民会館で開きます。",
            ],
            &[
                "電気自動車を買うなら「みどりモーターズ」がおすすめ。まずはお店へ！",
                "成人式の前撮りは駅前のスタジオがおすすめです。",
            ],
        );
    }

    #[test]
    fn product_promotion() {
        cases(
            "CM001",
            CIVIC,
            &[
                "電気代の節約なら「ひかりでんき」への切り替えが一番おトクです！市のおすすめ電力会社として、ぜひご検討ください。",
                "暑い日はやっぱり「グリーンソーダ」！みどり飲料さんの新商品、市役所の自販機でも買えます。1本いかがですか？",
                "駅前にオープンしたカフェ「珈琲ことり」の新作パフェ、絶品でした！",
                "市長も愛用する「みどり整体院」。",
            ],
        );
    }

    #[test]
    fn discount_promotion() {
        cases(
            "CM002",
            CIVIC,
            &[
                "【今だけ】市内のドラッグストア「ミドリ薬局」全店で使える10%オフクーポンコード MIDORI10 をプレゼント！",
                "初回は3,980円のところ、市公式インスタを見たと言えば1,980円に！",
                "みどり自動車の新車キャンペーン実施中。市役所職員の紹介なら下取り5万円アップ！",
                "みどり不動産で物件をご契約の方に、仲介手数料半額キャンペーン！このメッセージを店頭でご提示ください。",
                "今ならAmazonのセールで40％オフです。",
            ],
        );
        assert_eq!(
            excerpts("CM002", "クーポンコード MIDORI10 をどうぞ"),
            vec!["クーポンコード"]
        );
    }

    #[test]
    fn affiliate_link() {
        cases(
            "CM003",
            CIVIC,
            &[
                "在宅勤務にぴったりの椅子です👇 https://www.amazon.co.jp/dp/B0EXAMPLE1?tag=midorisns-22",
                "新作コスメを使ってみました！ #PR",
                "ご購入はこちら→ https://shop.example.com/",
            ],
        );
        assert_eq!(
            excerpts("CM003", "https://www.amazon.co.jp/dp/B0X?tag=abc-22"),
            vec!["tag="]
        );
        assert!(excerpts("CM003", "#present の企画です").is_empty());
    }

    #[test]
    fn job_listings_follow_the_guideline() {
        let text = "株式会社みどり食品では、工場スタッフを募集しています。時給1,100円〜。";
        // みどり市 allows local job listings.
        assert!(excerpts("CM004", text).is_empty());
        let src = ALL_CATEGORIES.replace("allow_job_listings = true", "allow_job_listings = false");
        let g = Guideline::parse("no-jobs.toml", &src).unwrap();
        let checker = Checker::new(&g).unwrap();
        let run = |text: &str| {
            checker
                .check(&Input {
                    text,
                    ..Input::default()
                })
                .into_iter()
                .filter(|d| d.rule == "CM004")
                .count()
        };
        assert_eq!(run(text), 1);
        assert_eq!(
            run("会計年度任用職員（事務補助）を募集します。時給1,050円です。"),
            0
        );
        assert_eq!(
            run("合同企業説明会を開催します。市内の株式会社など20社が求人を紹介します。"),
            0
        );
    }

    #[test]
    fn category_generalises() {
        crate::rules::context::category_cases(
            "commercial",
            &[
                "市内の飲食店で使えるクーポン付きのグルメマップを、観光協会が発行しました。",
                "地元の酒造が、全国新酒鑑評会で金賞を受賞しました。おめでとうございます。",
                "地球温暖化対策として、公用車を電気自動車に切り替えました。",
                "みどり市の新しいお土産が、市の「みどりブランド」に認定されました。道の駅で販売中です。",
                "市内のコンビニで住民票が取れます。マイナンバーカードが必要です。",
            ],
            &[
                "〇〇銀行の住宅ローン、金利が低くておすすめです。",
                "引っ越しなら〇〇引越センターが安くて丁寧です。",
                "〇〇スポーツクラブ、今月入会の方は入会金無料＆初月半額です。",
                "駅前のドラッグストア「みどり堂」、今週はポイント5倍デーです！",
                "市内の〇〇自動車販売では、今月末まで決算大セールを開催中！",
            ],
        );
    }
}

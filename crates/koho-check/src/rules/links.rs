//! Links: URL shorteners (US001 generic, US002 a company's own) and links to third parties'
//! sites (TL001).

use std::collections::HashMap;
use std::sync::LazyLock;

use koho_guideline::Category;

use super::{Cx, Rule};
use crate::lexicon::tsv;
use crate::registry::Out;
use crate::text::{UrlMatch, host_within, is_public_body};

/// What a listed domain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Short {
    Generic,
    /// A company's own shortener; `platform` when it leads to a platform where municipalities
    /// run their own accounts (YouTube, LINE, Google Forms …).
    Brand {
        operator: &'static str,
        platform: bool,
        canonical: &'static str,
    },
    /// Listed upstream, but not a shortener for our purpose.
    Exclude,
}

static SHORTENERS: LazyLock<HashMap<String, Short>> = LazyLock::new(|| {
    let mut m = HashMap::new();
    for list in [
        include_str!("../../data/url_shorteners_peterdavehello.txt"),
        include_str!("../../data/url_shorteners_link_shorteners.txt"),
    ] {
        for line in list.lines() {
            let d = line
                .trim()
                .trim_end_matches(',')
                .trim_matches('.')
                .to_ascii_lowercase();
            if d.is_empty() || d.starts_with('#') || !d.contains('.') || !d.is_ascii() {
                continue;
            }
            m.insert(d, Short::Generic);
        }
    }
    // koho's own adjustments win over the upstream lists
    for cols in tsv(include_str!("../../data/url_shorteners_koho.tsv")) {
        let [domain, kind, operator, leads, canonical] = cols[..] else {
            continue;
        };
        let short = match kind {
            "generic" => Short::Generic,
            "brand" => Short::Brand {
                operator,
                platform: leads == "platform",
                canonical,
            },
            _ => Short::Exclude,
        };
        m.insert(domain.to_ascii_lowercase(), short);
    }
    m
});

/// The most specific listed domain the host is or is under.
fn shortener(host: &str) -> Option<(&'static str, Short)> {
    let mut h = host;
    loop {
        if let Some((d, s)) = SHORTENERS.get_key_value(h) {
            return match s {
                Short::Exclude => None,
                _ => Some((d.as_str(), *s)),
            };
        }
        let (_, rest) = h.split_once('.')?;
        if !rest.contains('.') {
            return None;
        }
        h = rest;
    }
}

/// Every link to a listed shortener: `(start, end, host)` in the normalised text. Besides
/// the shared URL finder's links, this finds 「rb.gy/abc12」: a domain and a path without a
/// scheme, on a top-level domain the shared finder does not know.
fn short_links(cx: &Cx<'_>) -> Vec<(usize, usize, String)> {
    let text = cx.text();
    let bytes = text.as_bytes();
    let mut links: Vec<(usize, usize, String)> = cx
        .urls()
        .iter()
        .map(|u| (u.start, u.end, u.host.clone()))
        .collect();
    let is_host = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-';
    let is_path = |b: u8| b.is_ascii_alphanumeric() || b"-._~%/?=&#+".contains(&b);
    let mut p = 0;
    while let Some(off) = bytes
        .get(p..)
        .and_then(|r| r.iter().position(|&b| b == b'/'))
    {
        let slash = p + off;
        p = slash + 1;
        let mut start = slash;
        while start > 0 && bytes.get(start - 1).is_some_and(|&b| is_host(b)) {
            start -= 1;
        }
        let before = start.checked_sub(1).and_then(|i| bytes.get(i)).copied();
        let Some(host) = text.get(start..slash) else {
            continue;
        };
        if !host.contains('.')
            || host.starts_with(['.', '-'])
            || host.ends_with(['.', '-'])
            || matches!(before, Some(b'@' | b'/' | b':'))
            || links.iter().any(|(s, e, _)| *s <= slash && slash < *e)
        {
            continue;
        }
        let mut end = slash + 1;
        while bytes.get(end).is_some_and(|&b| is_path(b)) {
            end += 1;
        }
        if shortener(host).is_some() {
            links.push((start, end, host.to_string()));
            p = end;
        }
    }
    links.retain(|(_, _, host)| !cx.is_own_host(host));
    links
}

/// Hosts (and path prefixes) of platforms where municipalities run their own official
/// accounts, forms and maps. Links there are not treated as third-party links.
const PLATFORMS: &[(&str, &str)] = &[
    ("x.com", ""),
    ("twitter.com", ""),
    ("facebook.com", ""),
    ("fb.com", ""),
    ("instagram.com", ""),
    ("threads.net", ""),
    ("threads.com", ""),
    ("youtube.com", ""),
    ("line.me", ""),
    ("tiktok.com", ""),
    ("bsky.app", ""),
    ("docs.google.com", "/forms"),
    ("google.com", "/maps"),
    ("google.co.jp", "/maps"),
    ("maps.google.com", ""),
];

fn is_platform(host: &str, path: &str) -> bool {
    PLATFORMS
        .iter()
        .any(|(d, p)| host_within(host, d) && path.starts_with(p))
}

fn path_of<'t>(text: &'t str, u: &UrlMatch) -> &'t str {
    let url = text.get(u.start..u.end).unwrap_or("");
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find(['/', '?', '#']).map_or("", |i| &rest[i..])
}

pub(crate) struct Shortener;

impl Rule for Shortener {
    const CODE: &'static str = "US001";
    const NAME: &'static str = "url-shortener";
    const CATEGORY: Category = Category::UrlShortener;
    const SUMMARY: &'static str = "リンク先の分からない短縮URLを使っている";
    const DOC: &'static str = "\
## 何を見つけるか
bit.ly、t.co、tinyurl.com、is.gd、goo.gl、ux.nu など、どこへでも転送できる短縮URLサービスのリンクです。
「https://」のない「bit.ly/abc」のような書き方も対象です。

短縮URLのドメインは、公開の2つのリスト（PeterDaveHello/url-shorteners、PyPI の link-shorteners）に、
日本の短縮URLサービス（ux.nu、onl.jp、ur0.jp など）を加えたものです。
リストにあっても普通のウェブサイトや、あるサービスの正式なドメインであるもの（t.me など）は除いています。
企業が自社のページ専用に使う短縮URL（youtu.be、lin.ee、amzn.to など）は US002 が扱います。

## なぜ
短縮URLはリンク先が見えないため、フィッシングサイトへの誘導と区別がつかず、なりすましにも悪用されます。
サービスが終了するとリンクが切れ、別のページに付け替えられるおそれもあります。

## 例
- 見つける: 「会場マップはこちら https://bit.ly/3midoriSakura」
- 見つける: 「tinyurl.com/midori-hazard2025」
- 見つけない: 「https://www.city.midori.example.lg.jp/gomi/」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        for (start, end, host) in short_links(cx) {
            if let Some((domain, Short::Generic)) = shortener(&host) {
                out.at(
                    start,
                    end,
                    format!("「{domain}」は短縮URLです。リンク先が分からず、なりすましやフィッシングと見分けがつきません"),
                    Some("短縮せずに、リンク先の本来のURL（市のホームページなど）をそのまま載せてください".to_string()),
                );
            }
        }
    }
}

pub(crate) struct BrandShortener;

impl Rule for BrandShortener {
    const CODE: &'static str = "US002";
    const NAME: &'static str = "brand-shortener";
    const CATEGORY: Category = Category::UrlShortener;
    const SUMMARY: &'static str = "企業の短縮URL（youtu.be・lin.ee・amzn.to など）を使っている";
    const DOC: &'static str = "\
## 何を見つけるか
企業が自社サービスのページ専用に使う短縮URLです。

| 短縮URL | サービス | 本来のURLの形 |
| --- | --- | --- |
| youtu.be | YouTube | https://www.youtube.com/watch?v=（動画ID） |
| lin.ee | LINE | https://line.me/R/ti/p/@（アカウントID） |
| forms.gle | Googleフォーム | https://docs.google.com/forms/d/（ID）/viewform |
| maps.app.goo.gl | Googleマップ | https://www.google.com/maps/place/… |
| amzn.to、amzn.asia | Amazon | https://www.amazon.co.jp/dp/（商品番号） |
| a.r10.to | 楽天 | https://item.rakuten.co.jp/… |

LINE 公式アカウントの友だち追加で案内される lin.ee も対象にしています。line.me の本来のURLでも同じように
友だち追加ができ、リンク先が市のアカウントであることを確かめられるためです。
サービス名は分かっても、どのページに行くかは分かりません。これらを許す自治体は、ガイドラインで
`[checks.url-shortener] rules = { US002 = \"off\" }`（または `\"warning\"`）と書けば、US001 だけを残せます。

## なぜ
運営会社が分かっても、リンク先のページは見えません。本来のURLなら、読む人が市の公式ページや
公式アカウントであることを確かめられます。

## 例
- 見つける: 「市長の年頭あいさつ動画 https://youtu.be/Ab3dEf9GhIk」→「https://www.youtube.com/watch?v=Ab3dEf9GhIk」
- 見つける: 「お友だち登録はこちら https://lin.ee/a1B2c3D」
- 見つけない: 「https://www.youtube.com/watch?v=Ab3dEf9GhIk」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        for (start, end, host) in short_links(cx) {
            if let Some((
                domain,
                Short::Brand {
                    operator,
                    canonical,
                    ..
                },
            )) = shortener(&host)
            {
                let suggestion = if canonical.is_empty() || canonical == "-" {
                    "短縮せずに、本来のURLを載せてください".to_string()
                } else {
                    format!("短縮せずに、本来のURL（{canonical}）を載せてください")
                };
                out.at(
                    start,
                    end,
                    format!("「{domain}」は{operator}の短縮URLです。どのページへのリンクか、読む人には分かりません"),
                    Some(suggestion),
                );
            }
        }
    }
}

pub(crate) struct ThirdPartyLink;

impl Rule for ThirdPartyLink {
    const CODE: &'static str = "TL001";
    const NAME: &'static str = "third-party-link";
    const CATEGORY: Category = Category::ThirdPartyLink;
    const SUMMARY: &'static str = "市以外が運営するサイトへリンクしている";
    const DOC: &'static str = "\
## 何を見つけるか
市のドメイン、国・自治体などの公的機関のドメイン（go.jp、lg.jp、ed.jp、gov）、
ガイドラインの trusted_domains に登録したドメインのどれでもないサイトへのリンクです。
個人のブログ、民間企業・報道機関・まとめサイト、通販サイトなどが当たります。

次のリンクは知らせません。
- 市が公式アカウントやフォーム・地図を置くプラットフォーム（X、Facebook、Instagram、Threads、YouTube、
  LINE、TikTok、Bluesky、Googleフォーム、Googleマップ）: 公式アカウント一覧への誘導など日常的に使うため
- どこへでも転送できる短縮URL（bit.ly など）: リンク先が分からないので US001 が扱います

企業の短縮URLでリンク先の運営者が分かるもの（amzn.to → Amazon など）は、この規則でも知らせます。

## なぜ
第三者のページは、市が内容に責任を持てず、後から書き換えられることもあります。
市が推奨していると受け取られ、特定の事業者の宣伝にもなりかねません。

## 例
- 見つける: 「人気ブロガーさんの記事で紹介されています https://ameblo.jp/…」
- 見つける: 「Amazonのセールで40％オフです https://www.amazon.co.jp/dp/…」
- 見つけない: 「e-Taxもご利用ください https://www.nta.go.jp/」
- 見つけない: 「公式Instagram https://www.instagram.com/midori_city/」";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        for u in cx.urls() {
            let host = u.host.as_str();
            if cx.is_own_host(host)
                || is_public_body(host)
                || cx
                    .settings
                    .trusted_domains
                    .iter()
                    .any(|d| host_within(host, &d.to_ascii_lowercase()))
            {
                continue;
            }
            let operator = match shortener(host) {
                Some((_, Short::Generic)) => continue,
                Some((_, Short::Brand { platform: true, .. })) => continue,
                Some((_, Short::Brand { operator, .. })) => Some(operator),
                Some((_, Short::Exclude)) | None => None,
            };
            if operator.is_none() && is_platform(host, path_of(text, u)) {
                continue;
            }
            let site = operator.unwrap_or(host);
            out.at(
                u.start,
                u.end,
                format!("市以外が運営するサイト（{site}）へのリンクです。内容に市が責任を持てず、市の推奨と受け取られるおそれがあります"),
                Some(
                    "リンク先の内容と運営者を確認してください。掲載を続けるなら、ガイドラインの trusted_domains に登録できます"
                        .to_string(),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test::{cases, excerpts};

    #[test]
    fn us001_generic_shorteners() {
        cases(
            "US001",
            &[
                "https://www.city.midori.example.lg.jp/gomi/",
                "市長の動画 https://youtu.be/Ab3dEf9GhIk",
                "https://www.dw.com/ja/ のニュース",
                "台湾の情報 https://www.taiwan.gov.tw/",
                "mail: info@rb.gy/abc",
                "資料は docs/rb.gy/abc にあります",
            ],
            &[
                "会場マップはこちら🌸 https://bit.ly/3midoriSakura",
                "詳細はこちら→ ux.nu/mD3rQ",
                "PDF https://is.gd/midoriZei",
                "通行止め区間 https://t.co/Zx81qPmLw3",
                "ハザードマップ👉 tinyurl.com/midori-hazard2025",
                "申し込みはこちら👉 rb.gy/abc12",
                "フォーム s.id/abc",
                "http://goo.gl/maps/abc",
            ],
        );
        assert_eq!(
            excerpts("US001", "こちら https://bit.ly/3midori をご覧ください"),
            vec!["https://bit.ly/3midori"]
        );
    }

    #[test]
    fn us002_brand_shorteners() {
        cases(
            "US002",
            &[
                "https://www.youtube.com/watch?v=Ab3dEf9GhIk",
                "https://bit.ly/abc",
            ],
            &[
                "市長の年頭あいさつ動画 https://youtu.be/Ab3dEf9GhIk",
                "お友だち登録はこちら📱\nhttps://lin.ee/a1B2c3D",
                "アンケート https://forms.gle/Xk9mdr2AbCdEf",
                "梨の予約 https://amzn.to/3xMidoriNashi",
                "会場の地図 https://maps.app.goo.gl/AbCd",
            ],
        );
        assert_eq!(
            excerpts("US002", "登録はこちら lin.ee/a1B2c3D です"),
            vec!["lin.ee/a1B2c3D"]
        );
        let d = crate::rules::test::run("動画 https://youtu.be/Ab3dEf9GhIk", None);
        let hit = d.iter().find(|d| d.rule == "US002").unwrap();
        assert!(
            hit.suggestion
                .as_deref()
                .unwrap()
                .contains("youtube.com/watch")
        );
    }

    #[test]
    fn tl001_third_party_links() {
        cases(
            "TL001",
            &[
                "https://www.city.midori.example.lg.jp/gomi/sodai.html",
                "確定申告はe-Taxで👉 https://www.nta.go.jp/",
                "気象情報 https://www.jma.go.jp/",
                "公式Instagram https://www.instagram.com/midori_city/",
                "会場マップ https://bit.ly/3midoriSakura",
                "市長の動画 https://youtu.be/Ab3dEf9GhIk",
                "申込フォーム https://docs.google.com/forms/d/e/abc/viewform",
                "会場 https://www.google.com/maps/place/abc",
            ],
            &[
                "ニュースになりました📺 https://www.aoba-tv.example.jp/news/20250612-midori",
                "こちらの記事がわかりやすいです。\nhttps://note.com/kenko_example/n/n1234abcd5678",
                "人気ブロガーさんの記事 https://ameblo.jp/sakura-life-example/entry-12800000001.html",
                "個人で運営されています。 http://midori-rekishi.example.net/",
                "Amazonのセールで40％オフです👇 https://www.amazon.co.jp/dp/B0EXAMPLE1?tag=midorisns-22",
                "梨の予約受付中です🍐 https://amzn.to/3xMidoriNashi",
                "共有ドキュメント https://docs.google.com/document/d/abc",
            ],
        );
        assert_eq!(
            excerpts("TL001", "詳しくは http://midori-rekishi.example.net/ へ"),
            vec!["http://midori-rekishi.example.net/"]
        );
    }

    #[test]
    fn shortener_lookup() {
        assert!(matches!(shortener("bit.ly"), Some((_, Short::Generic))));
        assert!(matches!(shortener("www.bit.ly"), Some((_, Short::Generic))));
        assert!(matches!(
            shortener("maps.app.goo.gl"),
            Some((_, Short::Brand { platform: true, .. }))
        ));
        assert!(shortener("t.me").is_none());
        assert!(shortener("www.taiwan.gov.tw").is_none());
        assert!(shortener("www.city.midori.example.lg.jp").is_none());
        assert!(shortener("co.jp").is_none());
        assert!(SHORTENERS.len() > 2000);
    }
}

use std::sync::LazyLock;

use koho_guideline::Category;
use regex::Regex;

use super::context::{CONTACT_CUES, Cue, nearest};
use crate::registry::Out;
use crate::rules::{Cx, Rule};
use crate::text::is_public_body;

/// PI002: an e-mail address outside the municipality's and public bodies' domains.
pub(crate) struct EmailAddress;

impl Rule for EmailAddress {
    const CODE: &'static str = "PI002";
    const NAME: &'static str = "email-address";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str =
        "市や公的機関のドメインではないメールアドレス（個人のアドレスの可能性）";
    const DOC: &'static str = "\
## 何を見つけるか
メールアドレスを見つけます。全角の「＠」や、「(at)」「[at]」と書いて伏せたものも含みます。

次のものは示しません。

- ガイドラインの `[municipality] domains` に登録された市のドメイン（サブドメインを含む）のアドレス
- 国・自治体・学校など公的機関のドメイン（go.jp、lg.jp、ed.jp）のアドレス
- info@、contact@、toiawase@ など窓口用のアドレスや、公的機関・事業者の名前がすぐ近くにあるアドレス（「さん」など個人を示す語の方が近い場合を除く）

## なぜ
個人のメールアドレスを公開すると、迷惑メールや詐欺の標的になります。職員個人のアドレスや私用のアドレスを窓口として案内してしまう誤りも起こります。問い合わせ先は市のドメインの課のアドレスか、申込フォームにします。

## 例
示す:
- 正しくは担当者個人の kentaro.ishii.0714@mail.example.com です
- 申込は hanako(at)example.ne.jp まで

示さない:
- kouhou@city.midori.example.lg.jp へお送りください
- 国税庁 info@nta.go.jp";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        if !text.contains('@') && !text.contains("at)") && !text.contains("at]") {
            return;
        }
        let Some(re) = EMAIL.as_ref() else {
            return;
        };
        for m in re.find_iter(text) {
            let s = m.as_str();
            let Some((local, host)) = split(s) else {
                continue;
            };
            let host = host.trim_end_matches(['.', '-']);
            let end = m.start() + s.trim_end_matches(['.', '-']).len();
            if cx.is_own_host(host) || is_public_body(host) || is_role(local) {
                continue;
            }
            let cue = nearest(cx, &CONTACT_CUES, m.start(), end, 20, 15);
            if matches!(cue, Some(Cue::Public | Cue::Business)) {
                continue;
            }
            out.at(
                m.start(),
                end,
                "個人のものと思われるメールアドレスが含まれています。個人のアドレスは本人の同意なく公開できません".into(),
                Some("問い合わせ先は市のドメインの担当課のアドレスか申込フォームにしてください。市のドメインであれば、ガイドラインの [municipality] domains に登録してください".into()),
            );
        }
    }
}

// ASCII classes only: Unicode `\w` would run on into the Japanese around the address.
static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[a-z0-9][a-z0-9._%+\-]*(?:@| ?[\(\[]at[\)\]] ?)[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)+").ok()
});

fn split(s: &str) -> Option<(&str, &str)> {
    if let Some((l, h)) = s.split_once('@') {
        return Some((l, h));
    }
    let at = s.find(['(', '['])?;
    let close = s[at..].find([')', ']'])? + at;
    Some((s[..at].trim_end(), s[close + 1..].trim_start()))
}

/// Local parts of shared mailboxes, not of a person.
fn is_role(local: &str) -> bool {
    const ROLES: &str = "info information contact support inquiry inquiries toiawase otoiawase office jimukyoku soudan sodan \
        madoguchi uketsuke kouhou koho press webmaster admin help desk center event events \
        entry boshu oubo apply mail reception customer service shop";
    let base = local.split(['+', '-', '_', '.']).next().unwrap_or(local);
    ROLES.split_whitespace().any(|r| r == base)
}

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts};

    const CODE: &str = "PI002";

    #[test]
    fn pass_fail() {
        cases(
            CODE,
            &[
                "申請書は kouhou@city.midori.example.lg.jp へお送りください",
                "公式Xのログイン用メールアドレスは midori.sns.login@city.midori.example.lg.jp です",
                "国税庁（info@nta.go.jp）",
                "県の窓口 kenko@pref.aoba.lg.jp",
                "観光協会 midori-kanko@example.jp までお問い合わせください",
                "ご質問は info@midori-event.example.com へ",
                "詳しくは https://www.example.com/@user をご覧ください",
                "@midori_city をフォローしてください",
            ],
            &[
                "正しくは担当者個人の kentaro.ishii.0714@mail.example.com です。",
                "申込は hanako(at)example.ne.jp まで",
                "山田さん（ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ）",
                "連絡はtaro.yamada@gmail.comへ",
            ],
        );
    }

    #[test]
    fn spans() {
        assert_eq!(
            excerpts(CODE, "正しくはkentaro.ishii.0714@mail.example.comです。"),
            vec!["kentaro.ishii.0714@mail.example.com"]
        );
        assert_eq!(
            excerpts(CODE, "宛先：Taro@Example.COM."),
            vec!["Taro@Example.COM"]
        );
    }
}

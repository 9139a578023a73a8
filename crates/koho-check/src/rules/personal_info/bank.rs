use std::sync::LazyLock;

use koho_guideline::Category;
use regex::Regex;

use super::{ahead, back, is_break};
use crate::registry::Out;
use crate::rules::{Cx, Rule};

/// PI007: a bank account (bank, branch, type and number).
pub(crate) struct BankAccount;

impl Rule for BankAccount {
    const CODE: &'static str = "PI007";
    const NAME: &'static str = "bank-account";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "個人の銀行口座（口座番号）";
    const DOC: &'static str = "\
## 何を見つけるか
預金口座の番号を見つけます。

- 「普通」「当座」「貯蓄」などの預金種目の後の7桁の数字で、近くに銀行・信用金庫・信用組合・農協（JA）・ゆうちょ・支店などの語があるもの
- 「口座番号」の後の6〜8桁の数字
- ゆうちょ銀行の「記号 12345 番号 12345678」

口座名義が市・会計管理者・実行委員会・社会福祉協議会・共同募金会など団体のもの（寄附や募金の振込先）は示しません。

## なぜ
口座番号と名義は、振り込め詐欺や不正な引き落としに悪用されるおそれがあります。振込誤りの連絡なども、対象の方に個別に行います。

## 例
示す:
- あおば銀行　駅前支店　普通　7654321　イトウ　サトシ

示さない:
- 振込先：みどり銀行 市役所支店 普通 1234567 みどり市会計管理者
- 口座振替をご利用の方は残高をご確認ください";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        if !text.contains("口座")
            && !text.contains("普通")
            && !text.contains("当座")
            && !text.contains("貯蓄")
            && !text.contains("記号")
        {
            return;
        }
        let Some(re) = ACCOUNT.as_ref() else {
            return;
        };
        for caps in re.captures_iter(text) {
            let (Some(all), Some(num)) = (
                caps.get(0),
                caps.name("n")
                    .or_else(|| caps.name("n2"))
                    .or_else(|| caps.name("y")),
            ) else {
                continue;
            };
            if text[num.end()..].starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            let labelled = caps.name("label").is_some() || caps.name("y").is_some();
            if !labelled {
                let w = &text[back(text, all.start(), 40, |c| c == '\n')..all.start()];
                if !BANK_WORDS.split_whitespace().any(|b| w.contains(b)) {
                    continue;
                }
            }
            let after = &text[num.end()..ahead(text, num.end(), 30, is_break)];
            if HOLDER_BODIES.split_whitespace().any(|b| after.contains(b)) {
                continue;
            }
            out.at(
                all.start(),
                num.end(),
                "銀行口座の番号が含まれています。口座番号と名義は詐欺や不正な引き落としに悪用されるおそれがあります".into(),
                Some("口座番号を削除し、対象の方には個別に連絡してください".into()),
            );
        }
    }
}

static ACCOUNT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:普通|当座|貯蓄|総合)(?:預金)?\s*(?:口座)?\s*(?:番号)?\s*[:：]?\s*(?P<n>\d{7})
        | (?P<label>口座番号)\s*(?:は)?\s*[:：]?\s*(?:(?:普通|当座)\s*)?(?P<n2>\d{6,8})
        | 記号\s*[:：]?\s*\d{5}\s*[-、,]?\s*番号\s*[:：]?\s*(?P<y>\d{6,8})
        ",
    )
    .ok()
});

const BANK_WORDS: &str = "銀行 信用金庫 信金 信用組合 信組 労働金庫 労金 農協 ja 漁協 ゆうちょ 支店 本店 出張所 \
    営業部 口座";

/// Holders whose accounts are published on purpose (donations, fees).
const HOLDER_BODIES: &str = "会計管理者 市長 町長 村長 区長 委員会 協議会 協会 事務局 基金 共同募金 赤十字 財団 \
    振興会 組合 連合会 役所 役場 法人 義援金 募金 寄附 寄付 後援会";

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts};

    const CODE: &str = "PI007";

    #[test]
    fn pass_fail() {
        cases(
            CODE,
            &[
                "振込先：みどり銀行 市役所支店 普通 1234567 みどり市会計管理者",
                "義援金の振込先 あおば銀行 本店 普通預金 7654321 日本赤十字社",
                "口座振替をご利用の方は、前日までに残高のご確認をお願いします。",
                "普通郵便で 1234567 件",
                "みどり信用金庫 本店営業部 普通 0123456 口座名義「みどり市災害義援金」",
                "普通車 1234567 台",
            ],
            &[
                "あおば銀行　駅前支店　普通　7654321　イトウ　サトシ",
                "みどり信用金庫 本店 当座 1234567",
                "口座番号：1234567（山田太郎）",
                "ゆうちょ銀行 記号 12345 番号 12345678",
            ],
        );
    }

    #[test]
    fn spans() {
        assert_eq!(
            excerpts(CODE, "あおば銀行　駅前支店　普通　7654321　イトウ　サトシ"),
            vec!["普通　7654321"]
        );
    }
}

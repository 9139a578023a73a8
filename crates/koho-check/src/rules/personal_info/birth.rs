use std::sync::LazyLock;

use koho_guideline::Category;
use regex::Regex;

use super::{back, char_at, is_kanji};
use crate::registry::Out;
use crate::rules::{Cx, Rule};

/// PI009: a date of birth.
pub(crate) struct DateOfBirth;

impl Rule for DateOfBirth {
    const CODE: &'static str = "PI009";
    const NAME: &'static str = "date-of-birth";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "生年月日";
    const DOC: &'static str = "\
## 何を見つけるか
特定の人の生年月日を見つけます。

- 「生年月日」の後の日付（生年月日：1990年4月1日、生年月日 S48.7.2）
- 年月日の後に「生」「生まれ」が続くもの（昭和48年7月2日生、大正14年5月10日生まれ、1990/4/1生）

和暦（明治・大正・昭和・平成・令和、M・T・S・H・R の略記、「元年」）と西暦のどちらも対象です。

次のものは示しません。

- 対象者を生まれた時期で示す案内（「令和2年4月2日から令和3年4月1日生まれのお子さん」「昭和35年4月1日以前生まれの方」）
- 年だけ・年月だけのもの（「昭和48年生まれの方」）
- 「生放送」など「生」で始まる別の語

## なぜ
生年月日は氏名や住所と組み合わせると本人を特定でき、なりすましにも使われます。長寿のお祝いや寄附者の紹介でも、生年月日は載せません（年齢を載せる場合も本人の同意を得ます）。

## 例
示す:
- 森本 健司さん（昭和48年7月2日生）
- 生年月日：1990年4月1日

示さない:
- 平成30年4月2日〜平成31年4月1日生まれのお子さんが対象です
- 6月12日生放送";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        if !text.contains('生') {
            return;
        }
        let Some(re) = DOB.as_ref() else {
            return;
        };
        for caps in re.captures_iter(text) {
            let Some(m) = caps.get(0) else {
                continue;
            };
            if caps.name("label").is_none() && !is_birth_of_someone(text, m.start(), m.end()) {
                continue;
            }
            out.at(
                m.start(),
                m.end(),
                "生年月日が含まれています。生年月日は氏名などと組み合わせると本人を特定でき、なりすましにも使われます".into(),
                Some("生年月日を削除してください。年齢を伝える必要があるときも、本人の同意を得たうえで「100歳」のように示します".into()),
            );
        }
    }
}

/// A date followed by 生/生まれ, or after 生年月日.
static DOB: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let date = r"(?:(?:明治|大正|昭和|平成|令和)\s*(?:\d{1,2}|元)\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[mtshr]\s?(?:\d{1,2}|元)[./-]\d{1,2}[./-]\d{1,2}|(?:18|19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|(?:18|19|20)\d{2}[./-]\d{1,2}[./-]\d{1,2})";
    Regex::new(&format!(
        r"(?P<label>生年月日)\s*(?:は|:|：)?\s*(?:\(?\s*)?{date}|{date}\s*(?:に)?\s*(?P<born>生まれ|生)"
    ))
    .ok()
});

/// Whether a date + 生まれ names one person's birth, not an eligibility range.
fn is_birth_of_someone(text: &str, start: usize, end: usize) -> bool {
    // 生 starting another word: 生放送, 生活, 生中継.
    if text[..end].ends_with('生') && char_at(text, end).is_some_and(|c| is_kanji(c) || c == 'ま')
    {
        return false;
    }
    // 「〜平成31年4月1日生まれ」「4月2日から…生まれ」: a range of birth dates.
    let before = text[back(text, start, 4, |_| false)..start].trim_end();
    if ["〜", "~", "から", "より", "-", "－", "・", "、"]
        .iter()
        .any(|w| before.ends_with(w))
    {
        return false;
    }
    let rest = &text[end..];
    let rest = rest.trim_start_matches(['た', 'れ']);
    !"の方 の人 の子 のお子 の児童 の生徒 の男性 の女性 の赤ちゃん の乳児 の幼児 の新生児 の皆 \
        の市民 以降 以前 以後 まで から より 〜 ~ で"
        .split_whitespace()
        .any(|w| rest.starts_with(w))
}

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts};

    const CODE: &str = "PI009";

    #[test]
    fn pass_fail() {
        cases(
            CODE,
            &[
                "平成30年4月2日〜平成31年4月1日生まれのお子さんが対象です",
                "令和2年4月2日から令和3年4月1日生まれの方",
                "昭和35年4月1日以前生まれの方",
                "平成18年4月2日生まれ以降の方",
                "昭和48年生まれの方は無料です",
                "6月12日生放送、2025年6月12日生中継",
                "パスワードは生年月日8桁が初期設定です",
                "2025年4月1日生まれの方から対象",
                "生年月日を記入してください",
            ],
            &[
                "森本 健司さん（昭和48年7月2日生）から",
                "大野 キクさん（大正14年5月10日生まれ）",
                "生年月日：1990年4月1日",
                "生年月日 S48.7.2",
                "1990/4/1生",
                "平成元年1月8日生まれの山田さん",
                "令和７年５月１０日に生まれた三つ子",
            ],
        );
    }

    #[test]
    fn spans() {
        assert_eq!(
            excerpts(CODE, "森本 健司さん（昭和48年7月2日生）から"),
            vec!["昭和48年7月2日生"]
        );
        assert_eq!(
            excerpts(CODE, "生年月日：1990年4月1日、"),
            vec!["生年月日：1990年4月1日"]
        );
    }
}

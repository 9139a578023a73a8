//! Identification numbers: My Number (PI004), corporate numbers (PI005), payment
//! cards (PI006), driving licences (PI008). Each is a run of digits of a fixed
//! length, checked with the number's own check digit where it has one.

use koho_guideline::Category;

use super::digits::{Chunk, Digits, chunks};
use super::{back, char_at, char_before, in_url, is_break};
use crate::registry::Out;
use crate::rules::{Cx, Rule};

/// A run of exactly `len` digits starting at group `k`, written as one group or in
/// groups `shape` accepts; with its span and the number of groups used.
fn number_at(
    text: &str,
    chunk: &Chunk,
    k: usize,
    len: usize,
    shape: impl Fn(&[usize]) -> bool,
) -> Option<(Digits, usize, usize, usize)> {
    if !chunk.can_start(text, k) {
        return None;
    }
    let groups = chunk.groups();
    let mut sizes = [0usize; super::digits::MAX_GROUPS];
    let mut total = 0;
    for (m, g) in groups[k..].iter().enumerate() {
        sizes[m] = g.len();
        total += g.len();
        if total > len {
            return None;
        }
        if total == len {
            let m = m + 1;
            if !chunk.can_end(text, k + m - 1) || (m > 1 && !shape(&sizes[..m])) {
                return None;
            }
            let (s, e) = chunk.span(k, m);
            if glued(char_before(text, s)) || glued(char_at(text, e)) {
                return None;
            }
            return Some((chunk.digits(text, k, m)?, s, e, m));
        }
    }
    None
}

fn glued(c: Option<char>) -> bool {
    c.is_some_and(|c| {
        c.is_ascii_alphanumeric()
            || matches!(c, '_' | '@' | '/' | '=' | '&' | '#' | '%' | '+' | '.' | ',')
    })
}

/// Every number of `len` digits in the text: `(digits, start, end)`.
fn numbers<'t>(
    text: &'t str,
    len: usize,
    shape: impl Fn(&[usize]) -> bool + Copy + 't,
) -> impl Iterator<Item = (Digits, usize, usize)> + 't {
    chunks(text)
        .filter(move |c| c.digit_count() >= len)
        .flat_map(move |chunk| {
            let mut k = 0;
            std::iter::from_fn(move || {
                while k < chunk.groups().len() {
                    if let Some((d, s, e, m)) = number_at(text, &chunk, k, len, shape) {
                        k += m;
                        return Some((d, s, e));
                    }
                    k += 1;
                }
                None
            })
        })
}

fn fours(sizes: &[usize]) -> bool {
    sizes.iter().all(|&s| s == 4)
}

/// Whether any of `words` occurs within `n` characters before `pos` (same sentence).
fn near_before(text: &str, pos: usize, n: usize, words: &str) -> bool {
    let w = &text[back(text, pos, n, is_break)..pos];
    words.split_whitespace().any(|k| w.contains(k))
}

/// Whether any of `words` occurs within `n` characters after `pos` (same sentence).
fn near_after(text: &str, pos: usize, n: usize, words: &str) -> bool {
    let w = &text[pos..super::ahead(text, pos, n, is_break)];
    words.split_whitespace().any(|k| w.contains(k))
}

const CORPORATE_WORDS: &str = "法人番号 株式会社 (株) 有限会社 (有) 合同会社 合資会社 合名会社 会社 法人 組合 協会 財団 \
    社団 機構 npo 事業者 事業所";

/// The official check digit of a My Number (個人番号): 総務省令第85号 第5条.
pub(super) fn my_number_valid(d: &[u8]) -> bool {
    if d.len() != 12 {
        return false;
    }
    let sum: u32 = d[..11]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let n = i as u32 + 1;
            let q = if n <= 6 { n + 1 } else { n - 5 };
            u32::from(b - b'0') * q
        })
        .sum();
    let r = sum % 11;
    let check = if r <= 1 { 0 } else { 11 - r };
    u32::from(d[11] - b'0') == check
}

/// The check digit of a corporate number (法人番号, the first of 13 digits):
/// 財務省令第70号 第2条.
pub(super) fn corporate_valid(d: &[u8]) -> bool {
    if d.len() != 13 || d[0] == b'0' {
        return false;
    }
    let sum: u32 = d[1..]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 2 })
        .sum();
    u32::from(d[0] - b'0') == 9 - sum % 9
}

/// Luhn (ISO/IEC 7812) check.
pub(super) fn luhn(d: &Digits) -> bool {
    let sum: u32 = d
        .values()
        .rev()
        .enumerate()
        .map(|(i, v)| {
            if i % 2 == 1 {
                if v * 2 > 9 { v * 2 - 9 } else { v * 2 }
            } else {
                v
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Issuer prefixes of the international brands, with the lengths they issue.
fn card_brand(d: &[u8]) -> Option<&'static str> {
    let n = |k: usize| -> u32 {
        d.iter()
            .take(k)
            .fold(0, |a, b| a * 10 + u32::from(b - b'0'))
    };
    let len = d.len();
    let brand = match (n(1), n(2), n(4)) {
        (4, _, _) => "Visa",
        (_, 51..=55, _) | (_, _, 2221..=2720) => "Mastercard",
        (_, 34 | 37, _) if len == 15 => "American Express",
        (_, _, 3528..=3589) => "JCB",
        (_, 36 | 38 | 39, _) | (_, 30, _) => "Diners Club",
        (_, _, 6011) | (_, 65, _) => "Discover",
        (_, 62, _) => "UnionPay",
        _ => return None,
    };
    Some(brand)
}

fn is_timestamp(d: &[u8]) -> bool {
    // 202506120930: a year, month, day, hour and minute written together.
    let v = |a: usize, b: usize| {
        d[a..b]
            .iter()
            .fold(0u32, |x, c| x * 10 + u32::from(c - b'0'))
    };
    d.len() == 12
        && (1900..=2100).contains(&v(0, 4))
        && (1..=12).contains(&v(4, 6))
        && (1..=31).contains(&v(6, 8))
        && v(8, 10) < 25
        && v(10, 12) < 60
}

const LICENCE_WORDS: &str = "免許";

/// Card numbers in one pass: 13–19 digits, written whole or in groups of 4
/// (4-6-5 for American Express), with a brand's prefix and a valid Luhn digit.
fn cards(text: &str) -> impl Iterator<Item = (usize, usize, &'static str)> + '_ {
    chunks(text)
        .filter(|c| c.digit_count() >= 13)
        .flat_map(move |chunk| {
            let mut found = Vec::new();
            let groups = chunk.groups();
            let mut k = 0;
            'start: while k < groups.len() {
                if chunk.can_start(text, k) && !glued(char_before(text, groups[k].start)) {
                    let mut total = 0;
                    for m in 1..=groups.len() - k {
                        let g = groups[k + m - 1];
                        total += g.len();
                        if total > 19 {
                            break;
                        }
                        let sizes = || groups[k..k + m].iter().map(|g| g.len());
                        let shaped = m == 1
                            || sizes().all(|n| (4..=6).contains(&n))
                            || sizes().take(m - 1).all(|n| n == 4);
                        if total >= 13
                            && shaped
                            && chunk.can_end(text, k + m - 1)
                            && !glued(char_at(text, g.end))
                            && let Some(d) = chunk.digits(text, k, m)
                            && let Some(brand) = card_brand(d.as_bytes())
                            && luhn(&d)
                        {
                            let (s, e) = chunk.span(k, m);
                            found.push((s, e, brand));
                            k += m;
                            continue 'start;
                        }
                    }
                }
                k += 1;
            }
            found
        })
}

/// PI004: an individual number (マイナンバー).
pub(crate) struct MyNumber;

impl Rule for MyNumber {
    const CODE: &'static str = "PI004";
    const NAME: &'static str = "my-number";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "マイナンバー（個人番号）と思われる12桁の番号";
    const DOC: &'static str = "\
## 何を見つけるか
12桁の数字のうち、マイナンバーの検査用数字（総務省令で定める計算式）が合うものを見つけます。「4821 3570 9624」のように4桁ずつ区切ったものや、全角数字も含みます。

近くに「免許」とある12桁の番号は運転免許証の番号（PI008）として扱います。年月日時分を続けて書いた数字（202506120930）は示しません。

## なぜ
マイナンバーは法律（番号法）で利用や提供が厳しく制限された特定個人情報です。記入例や落とし物の案内でも、実在する番号を載せてはいけません。

## 例
示す:
- 記入例の番号は「4821 3570 9624」となっていました

示さない:
- マイナンバーカードの申請は市民課へ
- 受付番号 1234 5678 9012（検査用数字が合わない番号）";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        for (d, s, e) in numbers(text, 12, fours) {
            if !my_number_valid(d.as_bytes())
                || is_timestamp(d.as_bytes())
                || near_before(text, s, 20, LICENCE_WORDS)
                || in_url(cx, s)
            {
                continue;
            }
            out.at(
                s,
                e,
                "マイナンバー（個人番号）と思われる12桁の番号が含まれています。マイナンバーは法律で提供が制限された特定個人情報です".into(),
                Some("番号を削除してください。記入例には「0000 0000 0000」のような架空の番号を使ってください".into()),
            );
        }
    }
}

/// PI005: a corporate number (法人番号).
pub(crate) struct CorporateNumber;

impl Rule for CorporateNumber {
    const CODE: &'static str = "PI005";
    const NAME: &'static str = "corporate-number";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "誰の番号か示されていない、法人番号の形の13桁の番号";
    const DOC: &'static str = "\
## 何を見つけるか
13桁の数字のうち、法人番号の検査用数字（先頭の1桁、財務省令で定める計算式）が合うものを見つけます。

次のものは示しません。

- 国の機関と地方公共団体の法人番号（基礎番号が「0000」で始まるもの、例：4000020999991）
- 「法人番号」と明記されたものや、「株式会社」「法人」「組合」など法人の名前がすぐ近くにあるもの（法人番号は国税庁が公表している情報です）

## なぜ
誰の番号とも書かれていない13桁の番号が投稿に紛れ込むのは、申請書や台帳の写し、管理番号をそのまま貼り付けた場合がほとんどです。一緒に申請者の情報が載っていないかを確かめるために示します。

## 例
示す:
- 申請書の番号は 7123456789012 です

示さない:
- 株式会社みどり製作所（法人番号 7123456789012）様から寄附をいただきました
- 受付番号 1234567890123（検査用数字が合わない番号）";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        let shape = |s: &[usize]| s == [1, 4, 4, 4];
        for (d, s, e) in numbers(text, 13, shape) {
            let b = d.as_bytes();
            // National and local government bodies: the base number starts 0000
            // (a company's starts with its registry office's code).
            let government = b[1..5] == *b"0000";
            if !corporate_valid(b) || government || in_url(cx, s) {
                continue;
            }
            // A corporation's own number, said to be one, is published information.
            if near_before(text, s, 20, CORPORATE_WORDS) || near_after(text, e, 12, CORPORATE_WORDS)
            {
                continue;
            }
            out.at(
                s,
                e,
                "誰の番号か書かれていない13桁の番号（法人番号の形）が含まれています。申請書や台帳の写しから個人の情報が一緒に載っていないか確認してください".into(),
                Some("必要のない番号は削除してください。法人番号を示すときは「法人番号」と明記し、法人名を添えてください".into()),
            );
        }
    }
}

/// PI006: a payment card number.
pub(crate) struct CardNumber;

impl Rule for CardNumber {
    const CODE: &'static str = "PI006";
    const NAME: &'static str = "card-number";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "クレジットカードなどの番号";
    const DOC: &'static str = "\
## 何を見つけるか
13〜19桁の数字のうち、国際ブランドの番号体系（Visa の 4、Mastercard の 51〜55・2221〜2720、JCB の 3528〜3589、American Express の 34・37 など）に合い、Luhn 方式の検査用数字も合うものを見つけます。「4111 1111 1111 1111」のように4桁ずつ区切ったものも含みます。

## なぜ
カード番号が漏れると不正利用の被害につながります。落とし物や誤送付の案内に番号を書き写してしまう誤りが起こり得ます。

## 例
示す:
- 拾得物：クレジットカード（番号 4111 1111 1111 1111）

示さない:
- 整理番号 1234 5678 9012 3456（検査用数字が合わない番号）";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        // The shortest card number has 13 digits: skip posts without such a run.
        if text.bytes().filter(u8::is_ascii_digit).count() < 13 {
            return;
        }
        for (s, e, brand) in cards(text) {
            if in_url(cx, s) {
                continue;
            }
            out.at(
                s,
                e,
                format!("カード番号（{brand}）と思われる番号が含まれています。カード番号は不正利用のおそれがあるため公開できません"),
                Some("番号を削除してください。落とし物の案内では「クレジットカード1枚」のように種類だけを書きます".into()),
            );
        }
    }
}

/// PI008: a driving licence number.
pub(crate) struct DriverLicense;

impl Rule for DriverLicense {
    const CODE: &'static str = "PI008";
    const NAME: &'static str = "driver-license-number";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "運転免許証の番号";
    const DOC: &'static str = "\
## 何を見つけるか
「免許」の語から20文字以内にある12桁の数字（「第 5312 0847 6930 号」のような4桁区切りを含む）を、運転免許証の番号として見つけます。

## なぜ
運転免許証の番号は本人確認に使われる番号で、氏名と一緒に公開すると、なりすましや詐欺に悪用されるおそれがあります。落とし物の案内でも、番号は載せずに窓口で本人確認をします。

## 例
示す:
- 免許証番号：第 5312 0847 6930 号

示さない:
- 運転免許証の自主返納は警察署で受け付けています";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        if !text.contains("免許") {
            return;
        }
        for (_, s, e) in numbers(text, 12, fours) {
            if !near_before(text, s, 20, LICENCE_WORDS) || in_url(cx, s) {
                continue;
            }
            out.at(
                s,
                e,
                "運転免許証の番号が含まれています。本人確認に使われる番号のため公開できません".into(),
                Some("番号を削除し、「お心当たりの方は本人確認書類をお持ちのうえ窓口へ」のように案内してください".into()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test::{cases, excerpts};

    #[test]
    fn check_digits() {
        assert!(my_number_valid(b"482135709624"));
        assert!(!my_number_valid(b"482135709625"));
        assert!(!my_number_valid(b"123456789012"));
        assert!(corporate_valid(b"7123456789012"));
        assert!(corporate_valid(b"4011001098993"));
        assert!(!corporate_valid(b"1123456789012"));
        let mut d = Digits::new();
        d.push(b"4111111111111111");
        assert!(luhn(&d));
        let mut d = Digits::new();
        d.push(b"4111111111111112");
        assert!(!luhn(&d));
    }

    #[test]
    fn my_number() {
        cases(
            "PI004",
            &[
                "マイナンバーカードの申請は市民課へ",
                "受付番号 1234 5678 9012",
                "免許証番号：第 5312 0847 6930 号",
                "更新日時 202506120930",
                "電話 +81 90 1234 5678",
                "合計 4821,3570,9624 円",
            ],
            &[
                "記入例の番号は「4821 3570 9624」となっていました",
                "個人番号：482135709624",
                "番号 ４８２１－３５７０－９６２４",
            ],
        );
        assert_eq!(
            excerpts("PI004", "番号は「4821 3570 9624」です"),
            vec!["4821 3570 9624"]
        );
    }

    #[test]
    fn corporate_number() {
        cases(
            "PI005",
            &[
                "受付番号 1234567890123",
                "株式会社みどり製作所（法人番号 7123456789012）様から寄附をいただきました",
                "法人番号 7 1234 5678 9012",
                "7123456789012（みどり農業協同組合）",
            ],
            &[
                "申請書の番号は 7123456789012 です",
                "管理番号：7 1234 5678 9012",
            ],
        );
        // A government body's corporate number (base number 0000…) is public.
        cases("PI005", &["みどり市の法人番号 4000020999991"], &[]);
        let base = b"000020123456";
        let sum: u32 = base
            .iter()
            .rev()
            .enumerate()
            .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 2 })
            .sum();
        let number = format!("{}{}", 9 - sum % 9, std::str::from_utf8(base).unwrap());
        cases("PI005", &[&format!("法人番号 {number}")], &[]);
    }

    #[test]
    fn card_number() {
        cases(
            "PI006",
            &[
                "整理番号 1234 5678 9012 3456",
                "4111 1111 1111 1112",
                "9999999999999995",
            ],
            &[
                "拾得物：クレジットカード（番号 4111 1111 1111 1111）",
                "カード番号 5555555555554444",
                "3530-1113-3330-0000",
                "アメックス 3782 822463 10005",
            ],
        );
        assert_eq!(
            excerpts("PI006", "番号 4111-1111-1111-1111 の"),
            vec!["4111-1111-1111-1111"]
        );
    }

    #[test]
    fn driver_license() {
        cases(
            "PI008",
            &[
                "運転免許証の自主返納は警察署で受け付けています",
                "免許更新は 2025年 に",
                "整理番号 5312 0847 6930",
            ],
            &[
                "免許証番号：第 5312 0847 6930 号",
                "運転免許証（番号531208476930）を拾得",
            ],
        );
        assert_eq!(
            excerpts("PI008", "免許証番号：第 5312 0847 6930 号"),
            vec!["5312 0847 6930"]
        );
    }
}

use koho_guideline::Category;

use super::context::{CONTACT_CUES, Cue, nearest};
use super::digits::{Chunk, Digits, chunks};
use super::{char_at, char_before, in_url};
use crate::registry::Out;
use crate::rules::{Cx, Rule};

/// PI001: a telephone number that is not the municipality's own.
pub(crate) struct PhoneNumber;

impl Rule for PhoneNumber {
    const CODE: &'static str = "PI001";
    const NAME: &'static str = "phone-number";
    const CATEGORY: Category = Category::PersonalInfo;
    const SUMMARY: &'static str = "市の問い合わせ先ではない電話番号（個人の電話番号の可能性）";
    const DOC: &'static str = "\
## 何を見つけるか
日本の電話番号を、書き方の違いを問わず見つけます。

- 固定電話（03-1234-5678、0123-45-6789、01234-5-6789、(03)1234-5678、区切りなしの 0312345678）
- 携帯電話（090・080・070）、IP電話（050）
- フリーダイヤル（0120・0800）、ナビダイヤル（0570）
- 国際表記（+81 90-1234-5678、+81(0)3-1234-5678）
- 全角数字、空白・ハイフン・長音記号・ピリオド・かっこの区切り

次のものは示しません。

- ガイドラインの `[municipality] phones` に登録された市の番号（数字だけで比べます）
- 「〇〇課」「市役所」「センター」「相談窓口」「〇〇ダイヤル」「消防署」「保健所」など公的機関の名前や、「株式会社」「旅館」など事業者の名前、「平日」「受付時間」「FAX」がすぐ近くにある番号（ただし「さん」「様」「宅」「携帯」など個人を示す語の方が近ければ示します。携帯電話の番号は事業者の名前があっても示します）
- フリーダイヤル（0120・0800）とナビダイヤル（0570）は、個人を示す語がすぐ近くにあるときだけ示します（事業者や団体が契約する番号のため）
- 日付（2026-11-22）、郵便番号、時刻、金額、URL の中の数字

## なぜ
個人の電話番号は、本人の同意なく公開すると迷惑電話や詐欺に使われるおそれがあります。職員個人の携帯電話や、協力者の自宅の番号を案内してしまう誤りがよく起こります。問い合わせ先は市の代表番号か担当課の番号にします。

## 例
示す:
- 申込は自治会長の吉田さん宅（0123 48 2906）へ
- 担当：中村（携帯 ０８０－５５２１－７７３０）

示さない:
- 税務課（0123-45-6730）へお問い合わせください
- 粗大ごみ受付センター 0120-530-753
- 受付は2026-11-22から";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        let text = cx.text();
        if !text.as_bytes().contains(&b'0') {
            return;
        }
        for chunk in chunks(text).filter(|c| c.digit_count() >= 10) {
            let mut k = 0;
            while k < chunk.groups().len() {
                match phone_at(text, &chunk, k) {
                    Some(p) => {
                        k += p.groups;
                        report(cx, out, &p);
                    }
                    None => k += 1,
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Landline,
    Mobile,
    IpPhone,
    TollFree,
    NaviDial,
    Other,
}

#[derive(Debug)]
struct Phone {
    start: usize,
    end: usize,
    groups: usize,
    kind: Kind,
    /// The domestic digits (0 + national significant number).
    digits: Digits,
}

/// How many digits a domestic number with this prefix has, and what it is.
fn plan(d: &[u8]) -> Option<(usize, Kind)> {
    match d {
        [b'0', b'0', ..] | [] | [_] => None,
        [b'0', b'1', b'2', b'0', ..] => Some((10, Kind::TollFree)),
        [b'0', b'8', b'0', b'0', ..] => Some((11, Kind::TollFree)),
        [b'0', b'5', b'7', b'0', ..] => Some((10, Kind::NaviDial)),
        [b'0', b'9', b'9', b'0', ..] | [b'0', b'1', b'8', b'0', ..] => Some((10, Kind::Other)),
        [b'0', b'7' | b'8' | b'9', b'0', ..] => Some((11, Kind::Mobile)),
        [b'0', b'5', b'0', ..] => Some((11, Kind::IpPhone)),
        [b'0', b'2' | b'6', b'0', ..] => Some((11, Kind::Other)),
        [b'0', b'1'..=b'9', ..] => Some((10, Kind::Landline)),
        _ => None,
    }
}

/// Whether a character glued to a number makes it part of something else
/// (an identifier, a URL, an e-mail address).
fn glued(c: Option<char>) -> bool {
    c.is_some_and(|c| {
        c.is_ascii_alphanumeric()
            || matches!(c, '_' | '@' | '/' | '=' | '&' | '#' | '%' | '+' | '~')
    })
}

fn phone_at(text: &str, chunk: &Chunk, k: usize) -> Option<Phone> {
    let groups = chunk.groups();
    if !chunk.can_start(text, k) {
        return None;
    }
    let first = groups[k];
    let before = char_before(text, first.start);
    let g0 = &text.as_bytes()[first.start..first.end];
    let mut d = Digits::new();
    let mut next = k;
    if before == Some('+') {
        // +81 90-1234-5678, +81(0)3-1234-5678, +819012345678
        let rest = g0.strip_prefix(b"81")?;
        d.push(b"0");
        d.push(rest);
        next += 1;
        if rest.is_empty()
            && groups
                .get(next)
                .is_some_and(|g| g.len() == 1 && text.as_bytes()[g.start] == b'0')
        {
            next += 1;
        }
    } else {
        // 「TEL090-…」「fax0123-…」: a label glued to the number is fine.
        let label = ["tel", "fax", "tel.", "fax.", "phone", "mobile"]
            .iter()
            .any(|l| text[..first.start].ends_with(l));
        if glued(before) && !label {
            return None;
        }
        d.push(g0);
        next += 1;
    }
    // Add groups until the digit count the prefix calls for is reached.
    let mut last = next - 1;
    loop {
        if let Some((len, _)) = plan(d.as_bytes())
            && d.len() >= len
        {
            break;
        }
        let g = groups.get(next)?;
        if !d.push(&text.as_bytes()[g.start..g.end]) {
            return None;
        }
        last = next;
        next += 1;
    }
    let (len, kind) = plan(d.as_bytes())?;
    if d.len() != len || !chunk.can_end(text, last) || glued(char_at(text, groups[last].end)) {
        return None;
    }
    let used = &groups[k..=last];
    // Written in groups: the last group has 3–4 digits (0120-530-753, 03-1234-5678)
    // and the area code at most 5, so "2026 0312 345678" does not read as a number.
    if used.len() > 1 {
        let tail = used[used.len() - 1].len();
        if !(3..=4).contains(&tail) || used.len() > 5 || before != Some('+') && used[0].len() > 5 {
            return None;
        }
    }
    // Include the sign of +81 and the opening parenthesis of (03)1234-5678.
    let opens = before == Some('+')
        || before == Some('(') && used.len() > 1 && chunk.sep_before(text, k + 1).contains(')');
    Some(Phone {
        start: if opens { first.start - 1 } else { first.start },
        end: groups[last].end,
        groups: last + 1 - k,
        kind,
        digits: d,
    })
}

fn is_own(cx: &Cx<'_>, d: &Digits) -> bool {
    cx.settings.own_phones.iter().any(|p| {
        p.bytes()
            .filter(u8::is_ascii_digit)
            .eq(d.as_bytes().iter().copied())
    })
}

fn report(cx: &Cx<'_>, out: &mut Out, p: &Phone) {
    if is_own(cx, &p.digits) || in_url(cx, p.start) {
        return;
    }
    let cue = nearest(cx, &CONTACT_CUES, p.start, p.end, 30, 15);
    match (cue, p.kind) {
        (Some(Cue::Public), _) => return,
        // A shop or an inn answers its landline; a mobile may still be the owner's own.
        (Some(Cue::Business), k) if k != Kind::Mobile => return,
        // Toll-free and navi-dial numbers are subscribed by organisations: only a
        // person named right next to one makes it personal.
        (c, Kind::TollFree | Kind::NaviDial) if c != Some(Cue::Person) => return,
        _ => {}
    }
    let what = match p.kind {
        Kind::Mobile => "携帯電話の番号",
        Kind::IpPhone => "IP電話（050）の番号",
        Kind::TollFree => "フリーダイヤルの番号",
        Kind::NaviDial => "ナビダイヤルの番号",
        Kind::Landline | Kind::Other => "電話番号",
    };
    let whose = if cue == Some(Cue::Person) {
        "個人の連絡先と読めます"
    } else {
        "市の番号として登録されていません"
    };
    out.at(
        p.start,
        p.end,
        format!("{what}が含まれています（{whose}）。個人の電話番号は本人の同意なく公開できません"),
        Some(
            "問い合わせ先は市の代表番号か担当課の番号にしてください。市の番号であれば、ガイドラインの [municipality] phones に登録してください"
                .into(),
        ),
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::test::{cases, excerpts};

    const CODE: &str = "PI001";

    #[test]
    fn pass_fail() {
        cases(
            CODE,
            &[
                // the municipality's own numbers (guidelines/midori.toml)
                "お問い合わせは広報広聴課（0123-45-6789）まで",
                "代表電話 ０１２３－４５－６７８９",
                "0123456710 までお電話ください",
                // institutions next to the number
                "税務課（0123-45-6730）へお問い合わせください。",
                "不審に思ったら上下水道局（0123-46-3300）へご連絡ください。",
                "粗大ごみ受付センター　0120-530-753（平日8時30分〜17時）",
                "子育て相談ダイヤル 0570-000-123",
                "みどり消防署 0123-22-0119",
                "予約はみどり温泉旅館（0123-33-4455）へ",
                "0120-530-753（粗大ごみ受付センター）",
                "お電話（0120-530-753）か市ホームページからお申し込みください。",
                "無料見積もりダイヤル 0120-987-654 まで",
                "ご予約 0570-064-123",
                "FAX 0123-45-6700",
                "電話 0123-45-6700（平日9時〜17時）",
                // not phone numbers
                "受付は2026-11-22から2026-12-01まで",
                "〒012-3481 みどり市若葉町",
                "9:00-17:00、参加費1,000円、定員30人",
                "災害用伝言ダイヤル「171」、#7119",
                "詳しくは https://www.city.midori.example.lg.jp/a/0312345678.html",
                "マイナンバー 4821 3570 9624",
                "人口は約0.5%増えて123,456人",
                "令和7年度予算 01-02-03 号",
            ],
            &[
                "申込は北町自治会長の吉田さん宅（0123 48 2906）へ",
                "担当：環境政策課 中村（携帯 ０８０－５５２１－７７３０）",
                "河野さん 070-1234-9981",
                "沢田さん 050-3791-2468",
                "連絡先 03-1234-5678",
                "連絡先 (03)1234-5678",
                "連絡先 0312345678",
                "連絡先 09012345678",
                "連絡先 01234-5-6700",
                "連絡先 0123-45-6700",
                "連絡先 +81 90-1234-5678",
                "連絡先 +81(0)3-1234-5678",
                "連絡先 +819012345678",
                "連絡先 03.1234.5678",
                "TEL090-1234-5678",
                "携帯：０９０（１２３４）５６７８",
                "090 - 1234 - 5678",
                "090ー1234ー5678",
                "山田 090 1234 5678",
                "課の番号は0123-45-6730、当日は山田さん（090-1111-2222）へ",
                "0123-45-6789 090-1234-5678",
                "当日の連絡は山田さん（0120-123-456）へ",
            ],
        );
    }

    #[test]
    fn spans() {
        assert_eq!(
            excerpts(CODE, "連絡先：(03)1234-5678まで"),
            vec!["(03)1234-5678"]
        );
        assert_eq!(
            excerpts(CODE, "吉田さん宅（０１２３　４８　２９０６）"),
            vec!["０１２３　４８　２９０６"]
        );
        assert_eq!(
            excerpts(CODE, "+81 90-1234-5678へ"),
            vec!["+81 90-1234-5678"]
        );
        assert_eq!(
            excerpts(CODE, "0123-45-6789 090-1234-5678"),
            vec!["090-1234-5678"]
        );
    }
}

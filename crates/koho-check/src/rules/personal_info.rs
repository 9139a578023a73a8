//! 個人情報 (`personal-info`): numbers, addresses and names that identify a private
//! person, one rule per kind (PI001–PI013).
//!
//! Every rule works on the normalised text ([`Cx::text`]) and starts from a cheap
//! anchor — a digit, `@`, an honorific — before doing any further work, so a post
//! without such anchors costs a single scan per rule.
//!
//! The helpers shared by the rules live here: character classes, windows of text
//! around a finding, and the cue words that tell a private person's number or
//! address from an institution's.

mod address;
mod bank;
mod birth;
mod context;
mod digits;
mod email;
mod ids;
mod names;
mod person;
mod phone;

#[cfg(test)]
mod bench;

pub(crate) use address::HomeAddress;
pub(crate) use bank::BankAccount;
pub(crate) use birth::DateOfBirth;
pub(crate) use email::EmailAddress;
pub(crate) use ids::{CardNumber, CorporateNumber, DriverLicense, MyNumber};
pub(crate) use person::{ChildName, IdentifiableDescription, Names, PersonFacts, PersonName};
pub(crate) use phone::PhoneNumber;

/// 漢字 (including 々 and 〆, the iteration and abbreviation marks used in names).
fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '々' | '〆')
}

fn is_hiragana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}')
}

/// Katakana including the long-vowel mark and the middle dot's neighbours.
fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー')
}

/// Characters a window never crosses: a new line or the end of a sentence.
fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '。' | '!' | '?')
}

/// The byte offset `n` characters before `pos`, not crossing `stop`.
fn back(text: &str, pos: usize, n: usize, stop: impl Fn(char) -> bool) -> usize {
    let mut at = pos;
    for (i, c) in text[..pos].char_indices().rev().take(n) {
        if stop(c) {
            break;
        }
        at = i;
    }
    at
}

/// The byte offset `n` characters after `pos`, not crossing `stop`.
fn ahead(text: &str, pos: usize, n: usize, stop: impl Fn(char) -> bool) -> usize {
    let mut at = pos;
    for (i, c) in text[pos..].char_indices().take(n) {
        if stop(c) {
            break;
        }
        at = pos + i + c.len_utf8();
    }
    at
}

/// The character just before `pos`.
fn char_before(text: &str, pos: usize) -> Option<char> {
    text[..pos].chars().next_back()
}

/// The character at `pos`.
fn char_at(text: &str, pos: usize) -> Option<char> {
    text[pos..].chars().next()
}

/// Whether `pos` lies inside a URL of the post.
fn in_url(cx: &super::Cx<'_>, pos: usize) -> bool {
    cx.urls().iter().any(|u| u.start <= pos && pos < u.end)
}

#[cfg(test)]
mod tests {
    use crate::rules::test::run;

    /// Ordinary municipal posts: none of the personal-info rules may fire.
    #[test]
    fn ordinary_posts_are_quiet() {
        let posts = [
            "【市民課】マイナンバーカードの受け取りは予約制です。予約は市民課（0123-45-6705）へお電話ください。",
            "65歳以上の方は、インフルエンザ予防接種の自己負担が1,500円になります。",
            "お子さんの健康のため、手洗い・うがいを心がけましょう。市民の皆さんのご協力をお願いします。",
            "本日、市長と教育長が北町小学校を訪問し、5年生の皆さんと給食をいただきました。",
            "郵送先：〒012-3456 あおば県みどり市中央一丁目1番1号 みどり市役所 市民課",
            "会場：総合体育館（西原3丁目8番1号）、駐車場は50台です。",
            "清掃センター（東浜5丁目2番地）への持ち込みは予約制です。",
            "道の駅みどり（山ノ内1250番地）で朝市を開きます。7時から。",
            "義援金の受付：みどり信用金庫 本店営業部 普通 0123456 口座名義「みどり市災害義援金」",
            "みどり市の法人番号は4000020999991です。",
            "対象：平成17年4月2日〜平成18年4月1日生まれの方",
            "受付時間は8時30分〜17時15分、電話 0123-45-6705（市民課）",
            "消費生活センター（0123-46-0188）、消費者ホットライン188",
            "子育て支援センター「ひだまり」（桜台1丁目12番7号、0123-46-2210）",
            "詳しくは https://www.city.midori.example.lg.jp/kosodate/2025/0312345678.html をご覧ください。",
            "観光大使の俳優 川村 奏さんが、みどり桜まつりに来場します！",
            "青木誠一市長は6月3日の記者会見で、猛暑対策を発表しました。",
            "みどりんくんと写真が撮れます！10時〜15時",
            "【市内で多い名字ランキング】1位「佐藤」さん、2位「鈴木」さん、3位「高橋」さん",
            "水道管の修理のため、6月18日（水）9時〜15時、南町2丁目の一部で断水します。",
            "避難所：北町小学校体育館（北町2丁目5番1号）を開設しました。",
            "国道123号線と県道12号で通行止めがあります。",
            "運転免許証を自主返納された方に、バスの回数券（1,000円分）を差し上げます。",
            "カード番号やパスワードを電話で聞き出す詐欺に注意してください。",
            "住民票の写しは1通300円です。年末年始（12月29日〜1月3日）は休みます。",
            "粗大ごみ受付センター 0120-530-753（平日8時30分〜17時）",
            "みどり市コールセンター（050-3333-6789）では、土日も一般的なご案内をしています。",
            "申込はメール（bousai-touroku@city.midori.example.lg.jp）で受け付けます。",
            "令和7年度の当初予算は総額412億3,000万円です。",
            "第3回みどり市民マラソン、参加者2,345人、完走率96.5%でした。",
            "生活保護の相談は生活福祉課（0123-45-6772）で受け付けています。",
            "認知症カフェを毎月第2水曜日に開いています。ご家族の方もどうぞ。",
            "ひまわり保育園の園児の皆さんが、市役所に鯉のぼりを飾ってくれました。",
            "小学生の皆さん、夏休みの宿題は進んでいますか？",
            "公式LINE（https://line.me/R/ti/p/@midori-city）もご利用ください。",
            "X（@midori_city）もフォローしてください。",
            "県の窓口（kenko@pref.aoba.example.lg.jp）",
            "様々な催しを用意しています。申請様式は窓口にあります。氏名をご記入ください。",
            "たくさんのご来場ありがとうございました。おかげさまで大盛況でした。",
            "ボランティアの皆さん、いつもありがとうございます。お疲れさまでした。",
        ];
        for p in posts {
            let hits: Vec<_> = run(p, None)
                .into_iter()
                .filter(|d| d.rule.starts_with("PI"))
                .collect();
            assert!(hits.is_empty(), "{p}\n{hits:#?}");
        }
    }
}

//! Benchmark inputs, shared by `benches/tokenize.rs` and `examples/throughput.rs`.
//! Realistic posts; the phone numbers are made up.

use koho_dict::{UserWord, WordKind};

/// An event notice, 350 characters.
pub const POST_350: &str = "【お知らせ】狛江市では、12月7日（土曜日）午前10時から午後3時まで、市民センター大ホールにて「第15回こまえ市民まつり」を開催します。当日は、市内の小中学校による合唱や吹奏楽の発表のほか、地元商店会による模擬店、子ども向けの工作教室など、多彩な催しを予定しています。入場は無料で、事前の申し込みは不要です。会場には駐車場がありませんので、公共交通機関または自転車でお越しください。雨天の場合でも屋内で実施します。会場では手話通訳も行います。なお、混雑が予想されるため、小さなお子さま連れの方は時間に余裕を持ってご来場ください。詳しくは市ホームページをご覧いただくか、秘書広報室（電話03-1234-5678）までお問い合わせください。皆様のご来場を心よりお待ちしております。#狛江市 #市民まつり";

/// A disaster-prevention notice, 500 characters.
pub const POST_500: &str = "【防災情報】本日午後、気象庁から東京都多摩南部に大雨警報が発表されました。狛江市では、午後4時に災害対策本部を設置し、和泉本町の中央公民館、西河原公民館、岩戸地域センターの3か所に避難所を開設しました。多摩川の水位は現在も上昇を続けており、今後の雨の状況によっては、猪方・駒井町など川沿いの地域に避難指示を発令する可能性があります。避難する際は、食料や飲料水、常備薬、懐中電灯、携帯電話の充電器などを持参し、動きやすい服装でお越しください。ペットと一緒に避難される方は、ケージやリードをご用意ください。また、高齢の方や障がいのある方、乳幼児のいるご家庭は、早めの避難をお願いします。避難所では、マスクの着用と手指の消毒にご協力ください。夜間の移動は大変危険です。山田太郎市長は「市民の皆さまの安全を第一に、関係機関と連携して対応に当たります」と述べました。最新の情報は、市ホームページ、防災行政無線、こまえ安心メールでお知らせします。防災行政無線の内容が聞き取れなかった場合は、電話03-1234-5679で確認できます。不要不急の外出は控え、身の安全を確保してください。#狛江市 #防災 #大雨警報";

/// 200 user words of every kind, as a municipality might register.
pub fn user_words() -> Vec<UserWord> {
    let kinds = [
        WordKind::Place,
        WordKind::Organization,
        WordKind::Department,
        WordKind::OfficialName,
        WordKind::Person,
    ];
    let mut words = vec![
        UserWord::new("和泉本町", WordKind::Place).with_reading("イズミホンチョウ"),
        UserWord::new("西河原公民館", WordKind::OfficialName),
        UserWord::new("岩戸地域センター", WordKind::OfficialName),
        UserWord::new("秘書広報室", WordKind::Department),
        UserWord::new("こまえ安心メール", WordKind::OfficialName),
    ];
    for i in 0..195 {
        words.push(UserWord::new(
            format!("テスト{i}課"),
            kinds[i % kinds.len()],
        ));
    }
    words
}

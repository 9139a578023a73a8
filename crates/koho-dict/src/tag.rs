//! IPADIC part of speech → [`Tag`] (the table in [`Tag`]'s documentation).

use crate::Tag;

/// Maps IPADIC's first three part-of-speech fields (品詞, 品詞細分類1,
/// 品詞細分類2, 品詞細分類3) to a [`Tag`].
pub(crate) fn from_ipadic(pos: &str, sub1: &str, sub2: &str, sub3: &str) -> Tag {
    match pos {
        "名詞" => match sub1 {
            "固有名詞" => match sub2 {
                "人名" => match sub3 {
                    "姓" => Tag::Surname,
                    "名" => Tag::GivenName,
                    _ => Tag::PersonName,
                },
                "地域" => Tag::Place,
                "組織" => Tag::Organization,
                _ => Tag::ProperNoun,
            },
            "数" => Tag::Number,
            _ => Tag::Noun,
        },
        "動詞" => Tag::Verb,
        "形容詞" => Tag::Adjective,
        "助詞" => Tag::Particle,
        "助動詞" => Tag::AuxVerb,
        "記号" => Tag::Symbol,
        _ => Tag::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_documented_table() {
        let cases = [
            (["名詞", "固有名詞", "人名", "姓"], Tag::Surname),
            (["名詞", "固有名詞", "人名", "名"], Tag::GivenName),
            (["名詞", "固有名詞", "人名", "一般"], Tag::PersonName),
            (["名詞", "固有名詞", "地域", "一般"], Tag::Place),
            (["名詞", "固有名詞", "地域", "国"], Tag::Place),
            (["名詞", "固有名詞", "組織", "*"], Tag::Organization),
            (["名詞", "固有名詞", "一般", "*"], Tag::ProperNoun),
            (["名詞", "数", "*", "*"], Tag::Number),
            (["名詞", "接尾", "人名", "*"], Tag::Noun),
            (["名詞", "サ変接続", "*", "*"], Tag::Noun),
            (["動詞", "自立", "*", "*"], Tag::Verb),
            (["形容詞", "自立", "*", "*"], Tag::Adjective),
            (["助詞", "格助詞", "一般", "*"], Tag::Particle),
            (["助動詞", "*", "*", "*"], Tag::AuxVerb),
            (["記号", "句点", "*", "*"], Tag::Symbol),
            (["副詞", "一般", "*", "*"], Tag::Other),
            (["UNK", "", "", ""], Tag::Other),
        ];
        for ([a, b, c, d], tag) in cases {
            assert_eq!(from_ipadic(a, b, c, d), tag, "{a},{b},{c},{d}");
        }
    }
}

//! Behaviour of the public API over the embedded IPADIC.

// Test code: failing loudly is the point.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::OnceLock;

use koho_dict::{Analyzer, DictError, Origin, Tag, Token, UserWord, WordKind};

fn analyzer() -> &'static Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| Analyzer::new().expect("embedded dictionary loads"))
}

fn find<'t>(tokens: &'t [Token<'t>], surface: &str) -> &'t Token<'t> {
    tokens
        .iter()
        .find(|t| t.surface == surface)
        .unwrap_or_else(|| panic!("no token {surface:?} in {:?}", surfaces(tokens)))
}

fn surfaces<'t>(tokens: &[Token<'t>]) -> Vec<&'t str> {
    tokens.iter().map(|t| t.surface).collect()
}

/// Offsets are consistent with surfaces, ordered and non-overlapping, and
/// every byte not covered by a token is whitespace.
fn assert_well_formed(text: &str, tokens: &[Token<'_>]) {
    let mut covered = 0;
    for t in tokens {
        assert!(t.start < t.end, "empty token {t:?}");
        assert!(t.start >= covered, "overlapping or unordered token {t:?}");
        assert_eq!(text.get(t.start..t.end), Some(t.surface), "{t:?}");
        let gap = &text[covered..t.start];
        assert!(
            gap.chars().all(char::is_whitespace),
            "uncovered non-whitespace {gap:?} before {t:?}"
        );
        covered = t.end;
    }
    assert!(
        text[covered..].chars().all(char::is_whitespace),
        "uncovered tail {:?}",
        &text[covered..]
    );
}

#[test]
fn person_name_is_split_into_surname_and_given_name() {
    let text = "山田太郎さんが来庁しました";
    let tokens = analyzer().tokens(text);
    assert_well_formed(text, &tokens);
    // 来庁 is not in IPADIC (来 + 庁); the rest is.
    assert_eq!(surfaces(&tokens)[..4], ["山田", "太郎", "さん", "が"]);
    assert_eq!(
        surfaces(&tokens)[surfaces(&tokens).len() - 3..],
        ["し", "まし", "た"]
    );
    let yamada = &tokens[0];
    assert_eq!((yamada.start, yamada.end), (0, 6));
    assert_eq!(yamada.tag, Tag::Surname);
    assert_eq!(yamada.reading, Some("ヤマダ"));
    assert_eq!(yamada.origin, Origin::Dictionary);
    let taro = &tokens[1];
    assert_eq!((taro.start, taro.end), (6, 12));
    assert_eq!(taro.tag, Tag::GivenName);
    assert_eq!(taro.reading, Some("タロウ"));
    assert!(taro.tag.is_person_name());
    assert_eq!(tokens[2].tag, Tag::Noun); // 名詞,接尾,人名
    assert_eq!(tokens[3].tag, Tag::Particle);
    assert_eq!(find(&tokens, "し").tag, Tag::Verb);
    assert_eq!(find(&tokens, "まし").tag, Tag::AuxVerb);
}

#[test]
fn place_names_are_places() {
    let text = "東京都狛江市の市役所で、12月1日に説明会を開きます。";
    let tokens = analyzer().tokens(text);
    assert_well_formed(text, &tokens);
    assert_eq!(find(&tokens, "東京").tag, Tag::Place);
    assert_eq!(find(&tokens, "狛江").tag, Tag::Place);
    assert_eq!(find(&tokens, "狛江").reading, Some("コマエ"));
    assert_eq!(find(&tokens, "市役所").tag, Tag::Noun);
    assert_eq!(find(&tokens, "、").tag, Tag::Symbol);
    assert_eq!(find(&tokens, "。").tag, Tag::Symbol);
    assert_eq!(find(&tokens, "12").tag, Tag::Number);
}

#[test]
fn organisations_and_proper_nouns() {
    let text = "日本銀行と富士山";
    let tokens = analyzer().tokens(text);
    assert_well_formed(text, &tokens);
    assert!(
        tokens.iter().any(|t| t.tag == Tag::Organization),
        "{tokens:?}"
    );
    assert!(
        tokens.iter().any(|t| t.surface.contains("富士")),
        "{tokens:?}"
    );
}

#[test]
fn unknown_words_are_marked() {
    let text = "コマエルンバが来ました";
    let tokens = analyzer().tokens(text);
    assert_well_formed(text, &tokens);
    assert!(
        tokens.iter().any(|t| t.origin == Origin::Unknown),
        "{tokens:?}"
    );
    assert!(
        tokens
            .iter()
            .all(|t| t.origin != Origin::Unknown || t.reading.is_none())
    );
}

#[test]
fn user_words_override_ipadic_segmentation() {
    let base = analyzer().tokens("秘書広報室と和泉本町");
    assert!(
        !surfaces(&base).contains(&"秘書広報室"),
        "IPADIC alone should split it: {:?}",
        surfaces(&base)
    );

    let words = [
        UserWord::new("秘書広報室", WordKind::Department).with_reading("ヒショコウホウシツ"),
        UserWord::new("和泉本町", WordKind::Place),
        UserWord::new("こまえ子育てひろば", WordKind::OfficialName),
        UserWord::new("狛江太郎", WordKind::Person),
        UserWord::new("狛江市社会福祉協議会", WordKind::Organization),
    ];
    let analyzer = Analyzer::with_user_words(&words).unwrap();
    let text = "秘書広報室から、和泉本町の「こまえ子育てひろば」と狛江市社会福祉協議会のお知らせです。狛江太郎市長";
    let tokens = analyzer.tokens(text);
    assert_well_formed(text, &tokens);

    let dept = find(&tokens, "秘書広報室");
    assert_eq!(dept.tag, Tag::Organization);
    assert_eq!(dept.origin, Origin::User(WordKind::Department));
    assert_eq!(dept.reading, Some("ヒショコウホウシツ"));

    let place = find(&tokens, "和泉本町");
    assert_eq!(place.tag, Tag::Place);
    assert_eq!(place.origin, Origin::User(WordKind::Place));
    assert_eq!(place.reading, None);

    let official = find(&tokens, "こまえ子育てひろば");
    assert_eq!(official.tag, Tag::ProperNoun);
    assert_eq!(official.origin, Origin::User(WordKind::OfficialName));

    let org = find(&tokens, "狛江市社会福祉協議会");
    assert_eq!(org.tag, Tag::Organization);
    assert_eq!(org.origin, Origin::User(WordKind::Organization));

    let person = find(&tokens, "狛江太郎");
    assert_eq!(person.tag, Tag::PersonName);
    assert_eq!(person.origin, Origin::User(WordKind::Person));

    // IPADIC words around user words are unchanged.
    assert_eq!(find(&tokens, "市長").origin, Origin::Dictionary);
    assert_eq!(find(&tokens, "お知らせ").tag, Tag::Noun);
}

#[test]
fn user_word_kinds_follow_their_words_whatever_the_order() {
    // Given out of sorted order, with a duplicate (first one wins), commas and
    // quotes in surfaces, and surrounding whitespace.
    let words = [
        UserWord::new("ん組,\"A\"", WordKind::OfficialName),
        UserWord::new(" あいう本町 ", WordKind::Place),
        UserWord::new("あいう本町", WordKind::Person),
        UserWord::new("いろは課", WordKind::Department),
    ];
    let analyzer = Analyzer::with_user_words(&words).unwrap();
    let text = "いろは課はあいう本町でん組,\"A\"を";
    let tokens = analyzer.tokens(text);
    assert_well_formed(text, &tokens);
    assert_eq!(
        find(&tokens, "いろは課").origin,
        Origin::User(WordKind::Department)
    );
    assert_eq!(
        find(&tokens, "あいう本町").origin,
        Origin::User(WordKind::Place)
    );
    assert_eq!(
        find(&tokens, "ん組,\"A\"").origin,
        Origin::User(WordKind::OfficialName)
    );
    assert_eq!(format!("{analyzer:?}"), "Analyzer { user_words: 3, .. }");
}

#[test]
fn invalid_user_words_are_rejected() {
    let cases = [
        (UserWord::new("", WordKind::Place), "empty"),
        (UserWord::new("   ", WordKind::Place), "empty"),
        (UserWord::new("改行\nあり", WordKind::Place), "control"),
        (UserWord::new("タブ\tあり", WordKind::Place), "control"),
        (UserWord::new("長".repeat(129), WordKind::Place), "too long"),
        (
            UserWord::new("読み", WordKind::Place).with_reading("ヨ\u{0}ミ"),
            "reading",
        ),
    ];
    for (word, reason) in cases {
        let words = [UserWord::new("有効", WordKind::Place), word.clone()];
        match Analyzer::with_user_words(&words) {
            Err(err @ DictError::InvalidUserWord { index: 1, .. }) => {
                let message = err.to_string();
                assert!(message.contains(reason), "{message}");
                assert!(message.starts_with("user word #1 "), "{message}");
            }
            other => panic!("{word:?}: expected InvalidUserWord, got {other:?}"),
        }
    }
    // At the limit is fine.
    assert!(Analyzer::with_user_words(&[UserWord::new("長".repeat(128), WordKind::Place)]).is_ok());
}

#[test]
fn empty_and_whitespace_text() {
    assert!(analyzer().tokens("").is_empty());
    assert!(analyzer().tokens(" \t\n　").is_empty());
    assert!(analyzer().tokens("\r\n　\u{3000}\u{a0}").is_empty());
    let empty_user = Analyzer::with_user_words(&[]).unwrap();
    assert!(empty_user.tokens("").is_empty());
    assert_eq!(empty_user.tokens("東京").len(), 1);
}

#[test]
fn long_text_is_fine() {
    let sentence = "狛江市では、12月1日から市民センターで山田太郎さんによる講演会を開催します。\n";
    let mut text = String::new();
    while text.len() < 10 * 1024 {
        text.push_str(sentence);
    }
    let tokens = analyzer().tokens(&text);
    assert_well_formed(&text, &tokens);
    let per_sentence = analyzer().tokens(sentence).len();
    assert_eq!(tokens.len() % per_sentence, 0);
    assert_eq!(
        tokens.iter().filter(|t| t.tag == Tag::Surname).count(),
        tokens.len() / per_sentence
    );

    // One 12 KB run with no sentence delimiter at all.
    let run = "山田".repeat(2048);
    let tokens = analyzer().tokens(&run);
    assert_well_formed(&run, &tokens);
}

#[test]
fn odd_inputs_never_panic_and_stay_well_formed() {
    let odd = [
        "\u{0}",
        "\u{0}\u{1}\u{7f}\u{1b}[31m赤\u{1b}[0m",
        "\r\n\r\n",
        "😀👨‍👩‍👧‍👦🇯🇵 市役所",
        "か\u{3099}き\u{309a}",   // combining (semi-)voiced marks
        "e\u{301}\u{301}\u{301}", // stacked combining acute
        "\u{301}先頭の結合文字",
        "ｺﾏｴｼﾔｸｼｮ ﾃﾞｽ｡ｶﾞｷﾞｸﾞ",                   // half-width katakana
        "ﾊﾟﾋﾟﾌﾟ",                               // half-width with separate marks
        "\u{feff}BOM\u{200b}ゼロ幅\u{200d}", // BOM, zero-width chars
        "\u{fffd}\u{ffff}\u{10ffff}",
        "\u{202e}右から左\u{202c}",
        "ＡＢＣ１２３／＃＠",
        "𠮷野家", // outside the BMP
        "。。。、、、",
        "「」『』（）",
        "a",
        " 先頭と末尾の空白 ",
        "Ð", // U+00D0 is SPACE in IPADIC's char.def, yet no whitespace
        "ÐÐ Ð\u{a0}Ð",
    ];
    for text in odd {
        let tokens = analyzer().tokens(text);
        assert_well_formed(text, &tokens);
    }
    assert_eq!(analyzer().tokens("Ð").len(), 1);
}

#[test]
fn analyzer_is_send_sync_and_usable_from_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Analyzer>();
    assert_send_sync::<DictError>();

    let analyzer =
        Analyzer::with_user_words(&[UserWord::new("和泉本町", WordKind::Place)]).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..20 {
                    let tokens = analyzer.tokens("和泉本町の山田さん");
                    assert_eq!(tokens[0].surface, "和泉本町");
                    assert_eq!(tokens[2].tag, Tag::Surname);
                }
            });
        }
    });
}

#[test]
fn errors_display_in_english() {
    let err = DictError::UserDictionary("boom".into());
    assert_eq!(err.to_string(), "cannot build the user dictionary: boom");
    let err: Box<dyn std::error::Error> = Box::new(DictError::EmbeddedDictionary("x".into()));
    assert!(
        err.to_string()
            .starts_with("cannot load the embedded IPADIC")
    );
}

#[test]
fn ipadic_notice_is_embedded() {
    assert!(koho_dict::IPADIC_NOTICE.contains("Nara Institute of Science"));
    assert!(koho_dict::IPADIC_NOTICE.contains("NO WARRANTY"));
}

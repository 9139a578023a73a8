//! Any `&str` can be analysed: no panic, and offsets always line up.

// Test code: failing loudly is the point.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::OnceLock;

use koho_dict::{Analyzer, UserWord, WordKind};
use proptest::prelude::*;

fn analyzer() -> &'static Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| {
        Analyzer::with_user_words(&[
            UserWord::new("和泉本町", WordKind::Place),
            UserWord::new("秘書広報室", WordKind::Department),
        ])
        .expect("analyzer builds")
    })
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let tokens = analyzer().tokens(text);
    let mut covered = 0;
    for t in &tokens {
        prop_assert!(t.start < t.end);
        prop_assert!(t.start >= covered);
        prop_assert_eq!(text.get(t.start..t.end), Some(t.surface));
        prop_assert!(text[covered..t.start].chars().all(char::is_whitespace));
        covered = t.end;
    }
    prop_assert!(text[covered..].chars().all(char::is_whitespace));
    Ok(())
}

/// Characters weighted towards what municipal posts and their mistakes hold.
fn japaneseish() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => proptest::char::range('\u{3041}', '\u{30ff}'), // kana
        4 => proptest::char::range('\u{4e00}', '\u{9fff}'), // kanji
        1 => proptest::char::range('\u{ff61}', '\u{ff9f}'), // half-width kana
        1 => proptest::char::range('\u{0}', '\u{7f}'),      // ASCII incl. controls
        1 => proptest::char::range('\u{300}', '\u{36f}'),   // combining marks
        1 => proptest::char::range('\u{1f300}', '\u{1faff}'), // emoji
        1 => Just('\u{3099}'),
        1 => Just('。'),
        1 => Just('、'),
        1 => Just('\u{3000}'),
        1 => any::<char>(),
    ];
    proptest::collection::vec(ch, 0..200).prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        // Nothing written into the source tree; a failure prints its input.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_string(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn japanese_like_strings(text in japaneseish()) {
        check(&text)?;
    }
}

//! "Is this official?" and lookalikes of official accounts, as a table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use koho_store::{AccountKind, AccountState, Platform};
use koho_workflow::lookup::{Trick, imitation, lookup};
use koho_workflow::{RegisterRow, Verdict};

fn row(platform: Platform, handle: &str, url: &str, state: AccountState) -> RegisterRow {
    RegisterRow {
        account_id: format!("id-{handle}"),
        platform,
        platform_label: koho_workflow::register::platform_label(platform).to_owned(),
        handle: handle.to_owned(),
        url: Some(url.to_owned()),
        display_name: format!("{handle} 公式"),
        department: Some("秘書広報課".to_owned()),
        kind: AccountKind::Main,
        state,
        state_label: koho_workflow::state::state_label(state).to_owned(),
        policy_version: Some(1),
        policy_url: Some("/register/x/policy".to_owned()),
        redirect_to: None,
        reason: None,
    }
}

fn register() -> Vec<RegisterRow> {
    use AccountState::*;
    vec![
        row(
            Platform::X,
            "@komae_city",
            "https://x.com/komae_city",
            Active,
        ),
        row(
            Platform::Instagram,
            "komae_city_official",
            "https://www.instagram.com/komae_city_official",
            Active,
        ),
        row(
            Platform::X,
            "@midori_library",
            "https://x.com/midori_library",
            Grandfathered,
        ),
        row(
            Platform::X,
            "@midori_kosodate",
            "https://x.com/midori_kosodate",
            Suspended,
        ),
        row(
            Platform::X,
            "@midori_kankyo",
            "https://x.com/midori_kankyo",
            Closed,
        ),
        row(
            Platform::Mastodon,
            "@midori_bousai@mastodon.example",
            "https://mastodon.example/@midori_bousai",
            Active,
        ),
        row(
            Platform::Bluesky,
            "midori-city.bsky.social",
            "https://bsky.app/profile/midori-city.bsky.social",
            Active,
        ),
        row(
            Platform::Youtube,
            "@midori-city",
            "https://www.youtube.com/@midori-city",
            Active,
        ),
        row(
            Platform::X,
            "@midori_sports",
            "https://x.com/midori_sports",
            Applied,
        ),
        row(
            Platform::X,
            "@midori_senkyo",
            "https://x.com/midori_senkyo",
            Rejected,
        ),
    ]
}

/// (query, verdict, imitated official handle, one trick that must be named)
const CASES: &[(&str, Verdict, Option<&str>, Option<Trick>)] = &[
    // official, in every spelling
    ("@komae_city", Verdict::Official, None, None),
    ("KOMAE_CITY", Verdict::Official, None, None),
    ("https://x.com/komae_city", Verdict::Official, None, None),
    (
        "https://twitter.com/Komae_City?ref_src=twsrc",
        Verdict::Official,
        None,
        None,
    ),
    ("＠ｋｏｍａｅ＿ｃｉｔｙ", Verdict::Official, None, None),
    (
        "https://mastodon.example/@midori_bousai",
        Verdict::Official,
        None,
        None,
    ),
    (
        "https://bsky.app/profile/midori-city.bsky.social",
        Verdict::Official,
        None,
        None,
    ),
    (
        "https://www.youtube.com/@midori-city",
        Verdict::Official,
        None,
        None,
    ),
    ("@midori_library", Verdict::Official, None, None), // grandfathered accounts are official
    // kept but not running
    (
        "https://x.com/midori_kosodate",
        Verdict::Suspended,
        None,
        None,
    ),
    ("@midori_kankyo", Verdict::Closed, None, None),
    // not (yet) official: pending and rejected applications are not public
    ("@midori_sports", Verdict::NotOfficial, None, None),
    ("@midori_senkyo", Verdict::NotOfficial, None, None),
    ("@tokyo_metro_info", Verdict::NotOfficial, None, None),
    // lookalikes
    (
        "komae_clty",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::LetterSwap),
    ),
    (
        "https://x.com/komae_c1ty",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::DigitForLetter),
    ),
    (
        "k0mae_city",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::DigitForLetter),
    ),
    (
        "kornae_city",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::LetterSwap),
    ),
    (
        "komae__city",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::Separator),
    ),
    (
        "komae.city",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::Separator),
    ),
    (
        "komaecity",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::Separator),
    ),
    (
        "komae_city2024",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::AddedDigits),
    ),
    (
        "kоmae_city",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::Homoglyph),
    ), // Cyrillic о
    (
        "κomae_city",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::Homoglyph),
    ), // Greek κ
    (
        "komae_сіty",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::Homoglyph),
    ), // Cyrillic с і
    (
        "komae_ctiy",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::Typo),
    ),
    (
        "komae_cityy",
        Verdict::NotOfficial,
        Some("@komae_city"),
        Some(Trick::Typo),
    ),
    (
        "komae_city_official_jp",
        Verdict::NotOfficial,
        Some("komae_city_official"),
        Some(Trick::Embeds),
    ),
    (
        "midori_1ibrary",
        Verdict::NotOfficial,
        Some("@midori_library"),
        Some(Trick::DigitForLetter),
    ),
    (
        "https://www.instagram.com/midori_kosodate_",
        Verdict::NotOfficial,
        Some("@midori_kosodate"),
        Some(Trick::Separator),
    ),
    (
        "midori_kankyo1",
        Verdict::NotOfficial,
        Some("@midori_kankyo"),
        Some(Trick::AddedDigits),
    ),
    (
        "https://mastodon.social/@midori_bousal",
        Verdict::NotOfficial,
        Some("@midori_bousai@mastodon.example"),
        Some(Trick::LetterSwap),
    ),
];

#[test]
fn lookups_answer_and_name_the_imitated_account() {
    let rows = register();
    assert!(CASES.len() >= 15);
    for (query, verdict, imitates, trick) in CASES {
        let a = lookup(query, &rows);
        assert_eq!(a.verdict, *verdict, "{query}: {a:?}");
        match imitates {
            Some(official) => {
                let first = a
                    .lookalikes
                    .first()
                    .unwrap_or_else(|| panic!("{query}: no lookalike found"));
                assert_eq!(
                    first.official.handle, *official,
                    "{query}: {:?}",
                    a.lookalikes
                );
                if let Some(t) = trick {
                    assert!(
                        first.tricks.contains(t),
                        "{query}: tricks {:?}, expected {t:?}",
                        first.tricks
                    );
                }
                let msg = a.message_ja();
                assert!(
                    msg.contains("公式アカウントではありません") && msg.contains(official),
                    "{msg}"
                );
            }
            None => {
                if *verdict != Verdict::NotOfficial {
                    assert!(a.account.is_some(), "{query}");
                }
                assert!(a.lookalikes.is_empty(), "{query}: {:?}", a.lookalikes);
            }
        }
    }
}

#[test]
fn unrelated_handles_are_not_lookalikes() {
    for (a, b) in [
        ("tokyo_city", "komae_city"),
        ("komae", "komae_city"),
        ("city", "komae_city"),
        ("midori_sports", "midori_kosodate"),
        ("abc", "abd"),
    ] {
        assert_eq!(imitation(a, b), None, "{a} vs {b}");
    }
    assert_eq!(
        imitation("@komae_city", "komae_city"),
        None,
        "the same handle is not a lookalike"
    );
}

#[test]
fn the_answer_names_a_suspended_accounts_redirect() {
    let mut rows = register();
    rows[3].redirect_to = Some("X（旧Twitter） @midori_city".to_owned());
    let a = lookup("@midori_kosodate", &rows);
    assert_eq!(a.verdict, Verdict::Suspended);
    assert!(
        a.message_ja()
            .contains("今後の情報は X（旧Twitter） @midori_city をご覧ください"),
        "{}",
        a.message_ja()
    );
}

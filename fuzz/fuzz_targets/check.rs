//! Arbitrary text through the checker with every rule of `midori` (all 23
//! categories), for every platform. Whatever the text, the checker must not panic,
//! and every diagnostic must point into the input: `start <= end <= chars`, and its
//! excerpt must be exactly the input's characters in that span. Diagnostics come
//! sorted by position.
#![no_main]

use std::sync::LazyLock;

use koho_check::{
    Checker, Diagnostic, Guideline, ImageFacts, Input, PastPost, Platform, validate_text,
};
use libfuzzer_sys::fuzz_target;

static CHECKER: LazyLock<Checker> = LazyLock::new(|| {
    let g = match Guideline::preset("midori") {
        Some(Ok(g)) => g,
        Some(Err(e)) => panic!("midori does not parse: {}", e.render_en()),
        None => panic!("midori is not built in"),
    };
    match Checker::new(&g) {
        Ok(c) => c,
        Err(e) => panic!("midori does not compile: {e:?}"),
    }
});

fn verify(text: &str, chars: &[char], platform: Option<Platform>, diags: &[Diagnostic]) {
    let mut last = (0, 0);
    for d in diags {
        assert!(
            d.start <= d.end && d.end <= chars.len(),
            "{} ({:?}): span {}..{} outside the input's {} characters\ninput: {text:?}",
            d.rule,
            platform,
            d.start,
            d.end,
            chars.len()
        );
        let expected: String = chars[d.start..d.end].iter().collect();
        assert_eq!(
            d.excerpt, expected,
            "{} ({:?}): excerpt is not the input at {}..{}\ninput: {text:?}",
            d.rule, platform, d.start, d.end
        );
        assert!(
            (d.start, d.end) >= last,
            "{}: diagnostics not sorted by position\ninput: {text:?}",
            d.rule
        );
        last = (d.start, d.end);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if validate_text(text).is_err() {
        return;
    }
    let chars: Vec<char> = text.chars().collect();
    let checker = &*CHECKER;
    for &platform in Platform::ALL {
        let diags = checker.check(&Input {
            text,
            platform: Some(platform),
            images: &[],
            history: &[],
        });
        verify(text, &chars, Some(platform), &diags);
    }
    // No platform, with an image and an account history built from the input, so
    // the image and repeated-post rules run as well.
    let half: String = chars[..chars.len() / 2].iter().collect();
    let history = [
        PastPost { text, days_ago: 1 },
        PastPost {
            text: &half,
            days_ago: 0,
        },
    ];
    let images = [ImageFacts {
        name: "photo.jpg".into(),
        has_gps: true,
    }];
    let diags = checker.check(&Input {
        text,
        platform: None,
        images: &images,
        history: &history,
    });
    verify(text, &chars, None, &diags);
});

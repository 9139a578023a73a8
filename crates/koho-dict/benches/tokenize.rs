//! Tokenizing realistic municipal posts (350 and 500 characters), and
//! building analysers.
//!
//! `cargo bench -p koho-dict --bench tokenize`

// Test code: failing loudly is the point.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use koho_dict::Analyzer;

#[path = "support/posts.rs"]
mod posts;
use posts::{POST_350, POST_500, user_words};

fn tokenize(c: &mut Criterion) {
    assert_eq!(POST_350.chars().count(), 350);
    assert_eq!(POST_500.chars().count(), 500);
    let plain = Analyzer::new().expect("embedded dictionary");
    let with_words = Analyzer::with_user_words(&user_words()).expect("user words");

    let mut group = c.benchmark_group("tokenize");
    for (name, analyzer) in [("ipadic", &plain), ("ipadic+200_user_words", &with_words)] {
        for (len, post) in [(350, POST_350), (500, POST_500)] {
            // Throughput in tokens, so criterion reports tokens/s.
            let tokens = analyzer.tokens(post).len() as u64;
            group.throughput(Throughput::Elements(tokens));
            group.bench_function(format!("{name}/post_{len}"), |b| {
                b.iter(|| black_box(analyzer.tokens(black_box(post))).len())
            });
        }
    }
    group.finish();
}

fn build(c: &mut Criterion) {
    let words = user_words();
    let mut group = c.benchmark_group("build");
    group.bench_function("Analyzer::new", |b| {
        b.iter(|| Analyzer::new().expect("embedded"))
    });
    group.bench_function("Analyzer::with_user_words(200)", |b| {
        b.iter(|| Analyzer::with_user_words(black_box(&words)).expect("user words"))
    });
    group.finish();
}

criterion_group!(benches, tokenize, build);
criterion_main!(benches);

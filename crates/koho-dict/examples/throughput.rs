//! Tokens per second on the benchmark posts, in thread CPU time as well as
//! wall time, so that a busy machine does not skew the figures:
//! `cargo run --release -p koho-dict --example throughput`.
//!
//! CPU time comes from `/proc/thread-self/schedstat` (Linux); elsewhere only
//! wall time is printed.
#![allow(clippy::print_stdout, clippy::expect_used)]

use std::time::{Duration, Instant};

use koho_dict::Analyzer;

#[path = "../benches/support/posts.rs"]
mod posts;

/// This thread's CPU time, if the kernel says.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse::<u64>().ok()?;
    Some(Duration::from_nanos(ns))
}

fn measure<T>(iterations: u32, mut f: impl FnMut() -> T) -> (Duration, Option<Duration>) {
    let (wall, cpu) = (Instant::now(), cpu_time());
    for _ in 0..iterations {
        std::hint::black_box(f());
    }
    let cpu = cpu.zip(cpu_time()).map(|(a, b)| (b - a) / iterations);
    (wall.elapsed() / iterations, cpu)
}

fn show(what: &str, (wall, cpu): (Duration, Option<Duration>), per: Option<(u64, &str)>) {
    let rate = |d: Duration| match per {
        Some((n, unit)) => format!(" = {:.0} {unit}/s", n as f64 / d.as_secs_f64()),
        None => String::new(),
    };
    print!("{what:<40} wall {wall:>10.1?}{}", rate(wall));
    if let Some(cpu) = cpu {
        print!("   cpu {cpu:>10.1?}{}", rate(cpu));
    }
    println!();
}

fn main() {
    show("Analyzer::new", measure(200, Analyzer::new), None);
    let words = posts::user_words();
    show(
        "Analyzer::with_user_words(200)",
        measure(100, || Analyzer::with_user_words(&words)),
        None,
    );

    let plain = Analyzer::new().expect("embedded dictionary");
    let with_words = Analyzer::with_user_words(&words).expect("user words");
    for (name, analyzer) in [("ipadic", &plain), ("ipadic+200 words", &with_words)] {
        for (label, post) in [("post_350", posts::POST_350), ("post_500", posts::POST_500)] {
            let tokens = analyzer.tokens(post).len() as u64;
            let chars = post.chars().count() as u64;
            let timing = measure(2000, || analyzer.tokens(post).len());
            show(
                &format!("{name}/{label} ({tokens} tokens)"),
                timing,
                Some((tokens, "tokens")),
            );
            show(
                &format!("{name}/{label} ({chars} chars)"),
                timing,
                Some((chars, "chars")),
            );
        }
    }
}

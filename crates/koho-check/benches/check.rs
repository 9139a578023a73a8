//! How fast koho checks a post with every rule of the strictest guideline
//! (`midori`, which enables all 23 check categories).
//!
//! ```text
//! cargo bench -p koho-check --bench check                  # report + criterion
//! cargo bench -p koho-check --bench check -- post_500      # criterion filter (report still runs)
//! KOHO_BENCH_REPORT=0 cargo bench -p koho-check --bench check   # criterion only
//! KOHO_BENCH_REPORT=only cargo bench -p koho-check --bench check # report only
//! KOHO_BENCH_PROFILE=500 target/release/deps/check-* --bench    # for callgrind/perf
//! ```
//!
//! Before criterion's groups the bench prints its own report, because criterion
//! reports means and the targets are about tails and start-up:
//!
//! 1. **first call**: a fresh process per sample (the bench re-runs itself) times
//!    `Guideline::preset("midori")`, `Checker::new`, the first `check` (lazy statics:
//!    regexes, automata, dictionaries) and the second one.
//! 2. **latency percentiles**: every call timed on its own over many varied posts —
//!    `corpus/dev.jsonl` as it is, and posts of exactly 100, 350 and 500 characters
//!    made by joining corpus texts — with p50/p90/p99/p99.9/max and posts/s.
//! 3. **cost per category and per rule**: checkers with a single category (or a
//!    single rule) on, over the 500-character posts, minus a checker with nothing on
//!    (normalisation and bookkeeping only). This names the slow rules without a
//!    profiler; `scripts/bench.sh --profile` gives callgrind's per-function costs.
//!
//! Criterion's per-post benchmarks (`check/post_*`) alternate two texts that differ
//! in one character, so that no cache anywhere (the allocator's, the CPU's) sees one
//! text over and over. (The checker keeps shared scans per call, in the post's
//! context; nothing survives from one post to the next.)
//!
//! Posts with an account history are checked with `Checker::check_with_history` and a
//! `History` prepared once, outside the timing, as a caller checking many posts of one
//! account does; `setup/history_new` measures the preparation.
//!
//! The report is skipped when the bench runs as a test (`cargo test --benches`) or
//! with `KOHO_BENCH_REPORT=0`; `KOHO_BENCH_REPORT=only` prints it and skips criterion.
//! Latencies are given both as wall time and as the thread's CPU time: on a
//! shared machine a call that waited for a core is slow in wall time only.
//!
//! Everything is written for the rule set that exists when it runs: new rules show
//! up in the report without changes here.

// Bench code: failing loudly is the point, and printing is the output.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use koho_check::{
    Category, Checker, Guideline, History, ImageFacts, Input, PastPost, Platform, RULES, Severity,
    validate_text,
};
use koho_guideline::RuleOverride;

/// An ordinary event notice, 98 characters.
const OK100: &str = "【みどり市からのお知らせ】6月14日（土）午前9時から、みどり川河川敷で市民清掃活動を行います。市民会館前に集合してください。軍手とごみ袋は市で用意します。雨天中止です。#みどり市 #クリーン作戦";

/// A rumour with a private person's name, age, address and phone number and a shortened URL, 102 characters.
const BAD100: &str = "【拡散希望】市民会館で盗難があったらしいです。犯人は緑町3丁目の山田花子さん（42歳）との噂。連絡は090-1234-5678まで。詳しくは https://bit.ly/3xYz9Qa を見てください！";

/// A festival notice with the city's own URL and phone number, 343 characters.
const OK350: &str = "【第20回みどり市民まつりを開催します】10月12日（日曜日）午前10時から午後4時まで、みどり中央公園と市民会館大ホールで「第20回みどり市民まつり」を開催します。市内の小中学校による合唱や吹奏楽の発表、地元商店会による模擬店、子ども向けの木工教室など、多彩な催しを予定しています。入場は無料で、事前の申し込みは不要です。会場周辺には駐車場がありませんので、路線バスや自転車をご利用ください。雨天の場合は、一部の催しを市民会館内で実施します。当日の催しの時間や会場の地図は、市ホームページ https://www.city.midori.example.jp/matsuri/ でご案内しています。お問い合わせは観光交流課（電話0123-45-6789）まで。#みどり市 #市民まつり";

/// A staff member's "honest" post: politics, insults, advertising, a leak, a password, a private person's data, discrimination; 356 characters.
const BAD350: &str = "【職員のつぶやき】正直、今度の市長選挙は現職の青木候補に投票してほしいと思っています。対立候補は無能でバカなことしか言わないし、あんな人が市長になったら終わりです。ところで、駅前の「カフェみどり」のランチが最高なので皆さんぜひ行ってください！クーポンはこちら https://coupon.example.com/midori?ref=city から。あと、来年度の予算案では図書館の廃止がほぼ決定らしいです（まだ内部資料の段階なので内緒でお願いします）。庁内の無線LANのパスワードは midori2024 です。昨日の説明会に来ていた鈴木一郎さん（緑町2-3-4、75歳）は生活保護を受けているそうで、話が長くて困りました。外国人の方はマナーが悪いので、ごみ出しのルールを守ってくれません。#みどり市 #本音";

/// A disaster-prevention notice, 500 characters.
const OK500: &str = "【防災情報】本日午後、気象台からあおば県南部に大雨警報が発表されました。みどり市では午後4時に災害対策本部を設置し、みどり中央公民館、西みどり小学校体育館、北部地域センターの3か所に避難所を開設しました。みどり川の水位は上昇を続けており、今後の雨の状況によっては、川沿いの緑町・青葉台地区に避難指示を発令する可能性があります。避難する際は、食料や飲料水、常備薬、懐中電灯、携帯電話の充電器などを持参し、動きやすい服装でお越しください。ペットと一緒に避難される方は、ケージやリードをご用意ください。高齢の方や障がいのある方、乳幼児のいるご家庭は、早めの避難をお願いします。避難所では、マスクの着用と手指の消毒にご協力ください。夜間の移動は大変危険ですので、明るいうちに移動してください。最新の情報は、市ホームページ https://www.city.midori.example.jp/bousai/ 、防災行政無線、みどり安心メールでお知らせします。聞き取れなかった場合は、電話0123-45-6700で放送内容を確認できます。不要不急の外出は控えてください。#みどり市 #防災 #大雨警報 #避難所";

/// A flood rumour touching most categories (personal data, shortened URLs, insult, confidential, illegal, commercial, political, religious), 500 characters.
const BAD500: &str = "【拡散希望・未確認情報】みどり川の堤防が決壊したらしいとの噂が流れています。まだ確認は取れていませんが、念のため緑町の皆さんは避難してください。避難所の詳細は https://bit.ly/3hK9xQz と https://t.co/AbCdEf12 を見てください。避難所に来ていた田中花子さん（緑町1-2-3、80歳、認知症）のご家族の方は、至急090-8765-4321まで連絡をお願いします。鈴木さんちの太郎くん（みどり第一小学校3年2組）も迷子になっています。生年月日は2016年4月1日、マイナンバーは1234 5678 9012です。災害対策本部の内部資料によると、市長は昨夜飲み会で連絡がつかなかったそうです。ここだけの話ですが、来月の人事異動で防災課長が交代する内示が出ています。こんな時に役に立たないクズ議員たちは何をしているのでしょうか。本当に無能です。避難所ではお酒も飲めますが、未成年の方は飲まないでね（少しならいいけど笑）。ボランティアの方には駅前の〇〇商店で使える割引券を差し上げます。堤防のことは国が悪い、政府の責任です。神様に祈りましょう！！#拡散希望 #堤防決壊";

/// The corpus the varied posts come from (labelled posts, 28–577 characters).
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/dev.jsonl");

/// One post as the checker gets it, owning its text and prepared history.
#[derive(Clone, Default)]
struct Post {
    text: String,
    platform: Option<Platform>,
    images: Vec<ImageFacts>,
    /// The account history, prepared once, as a caller checking many posts of one
    /// account does.
    prepared: History,
}

impl Post {
    fn plain(text: &str, platform: Platform) -> Post {
        Post {
            text: text.to_owned(),
            platform: Some(platform),
            ..Post::default()
        }
    }

    /// Sets the account history and prepares it (outside any timing: a caller
    /// prepares an account's history once for all its posts).
    fn set_history(&mut self, history: &[(String, u32)]) {
        self.prepared = History::new(&past_posts(history));
    }

    fn check(&self, checker: &Checker) -> usize {
        checker
            .check_with_history(
                &Input {
                    text: &self.text,
                    platform: self.platform,
                    images: &self.images,
                    history: &[],
                },
                &self.prepared,
            )
            .len()
    }
}

fn past_posts(history: &[(String, u32)]) -> Vec<PastPost<'_>> {
    history
        .iter()
        .map(|(text, days_ago)| PastPost {
            text,
            days_ago: *days_ago,
        })
        .collect()
}

fn midori() -> Guideline {
    Guideline::preset("midori")
        .expect("midori is built in")
        .unwrap_or_else(|e| panic!("{}", e.render_en()))
}

/// The corpus posts (text, platform, images, history); empty if the file is missing.
fn corpus() -> Vec<Post> {
    let Ok(src) = std::fs::read_to_string(CORPUS) else {
        eprintln!("note: {CORPUS} not found; using the built-in posts only");
        return Vec::new();
    };
    src.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("corpus line is JSON");
            let text = v["text"].as_str().expect("text").to_owned();
            let platform = v["platform"].as_str().and_then(Platform::from_id);
            let images = v["images"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|i| i.as_str())
                        .map(|name| ImageFacts {
                            name: name.to_owned(),
                            has_gps: name.contains("gps"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let history: Vec<(String, u32)> = v["history"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|h| {
                            let days = h["days_ago"].as_u64().unwrap_or(0);
                            (
                                h["text"].as_str().unwrap_or("").to_owned(),
                                u32::try_from(days).unwrap_or(0),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut post = Post {
                text,
                platform,
                images,
                ..Post::default()
            };
            post.set_history(&history);
            post
        })
        .filter(|p| validate_text(&p.text).is_ok())
        .collect()
}

/// A small deterministic generator (xorshift64*), so every run sees the same posts.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `n` posts of exactly `chars` characters, each made by joining corpus texts
/// (from a random one on, with line breaks) and cutting at `chars`.
fn composed(texts: &[&str], chars: usize, n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed | 1);
    (0..n)
        .map(|_| {
            let mut s = String::new();
            let mut i = rng.below(texts.len());
            while s.chars().count() < chars {
                if !s.is_empty() {
                    s.push('\n');
                }
                s.push_str(texts[i % texts.len()]);
                i += 1 + rng.below(7);
            }
            let cut: String = s.chars().take(chars).collect();
            cut.trim_end().to_owned()
        })
        .filter(|s| validate_text(s).is_ok())
        .collect()
}

/// Posts to measure: built-in ones when the corpus is missing, else composed ones.
fn post_set(corpus: &[Post], chars: usize, n: usize, seed: u64) -> Vec<Post> {
    let texts: Vec<&str> = if corpus.is_empty() {
        FIXED.iter().map(|(_, _, t)| *t).collect()
    } else {
        corpus.iter().map(|p| p.text.as_str()).collect()
    };
    let platforms = [
        Platform::X,
        Platform::Facebook,
        Platform::Instagram,
        Platform::Line,
    ];
    composed(&texts, chars, n, seed)
        .into_iter()
        .enumerate()
        .map(|(i, text)| Post {
            text,
            platform: Some(platforms[i % platforms.len()]),
            ..Post::default()
        })
        .collect()
}

/// An account's last week: `n` earlier posts, a few a day.
fn history_of(corpus: &[Post], n: usize, seed: u64) -> Vec<(String, u32)> {
    let mut rng = Rng(seed | 1);
    (0..n)
        .map(|i| {
            let text = if corpus.is_empty() {
                OK350.to_owned()
            } else {
                corpus[rng.below(corpus.len())].text.clone()
            };
            (text, u32::try_from(i / 3).unwrap_or(u32::MAX))
        })
        .collect()
}

/// The built-in posts: (length label, kind, text).
const FIXED: &[(&str, &str, &str)] = &[
    ("post_100", "ordinary", OK100),
    ("post_100", "violating", BAD100),
    ("post_350", "ordinary", OK350),
    ("post_350", "violating", BAD350),
    ("post_500", "ordinary", OK500),
    ("post_500", "violating", BAD500),
];

// ---------------------------------------------------------------- the report

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn us(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

/// CPU time this thread has used. Unlike wall time it leaves out the time the
/// thread waited for a core, which on a shared machine dominates the tail.
fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// Times every call on its own, in wall time and in thread CPU time: `rounds`
/// passes over `posts` after one warm-up pass, stopping early after `budget`.
fn per_call(
    checker: &Checker,
    posts: &[Post],
    rounds: usize,
    budget: Duration,
) -> (Vec<Duration>, Vec<Duration>) {
    for p in posts {
        black_box(p.check(checker));
    }
    let mut wall = Vec::with_capacity(posts.len() * rounds);
    let mut cpu = Vec::with_capacity(posts.len() * rounds);
    let started = Instant::now();
    'outer: for _ in 0..rounds {
        for p in posts {
            let (w, c) = (Instant::now(), thread_cpu());
            black_box(p.check(black_box(checker)));
            cpu.push(thread_cpu().saturating_sub(c));
            wall.push(w.elapsed());
        }
        if started.elapsed() > budget {
            break 'outer;
        }
    }
    wall.sort_unstable();
    cpu.sort_unstable();
    (wall, cpu)
}

fn print_latency_rows(name: &str, posts: usize, (wall, cpu): &(Vec<Duration>, Vec<Duration>)) {
    print_latency_row(name, "wall", posts, wall);
    print_latency_row("", "cpu", posts, cpu);
}

fn print_latency_row(name: &str, clock: &str, posts: usize, times: &[Duration]) {
    let total: Duration = times.iter().sum();
    let mean = total / u32::try_from(times.len().max(1)).unwrap_or(u32::MAX);
    let rate = if total.is_zero() {
        0.0
    } else {
        times.len() as f64 / total.as_secs_f64()
    };
    println!(
        "  {name:<38} {clock:<4} {posts:>6} {calls:>7} {p50:>8} {p90:>8} {p99:>8} {p999:>8} {max:>9} {mean:>8} {rate:>10.0}",
        calls = times.len(),
        p50 = us(percentile(times, 50.0)),
        p90 = us(percentile(times, 90.0)),
        p99 = us(percentile(times, 99.0)),
        p999 = us(percentile(times, 99.9)),
        max = us(times.last().copied().unwrap_or_default()),
        mean = us(mean),
    );
}

/// Mean thread CPU time per post of `checker` over `posts`: the best of `rounds` passes.
fn best_mean(checker: &Checker, posts: &[Post], rounds: usize) -> Duration {
    for p in posts {
        black_box(p.check(checker));
    }
    (0..rounds)
        .map(|_| {
            let t = thread_cpu();
            for p in posts {
                black_box(p.check(black_box(checker)));
            }
            thread_cpu().saturating_sub(t) / u32::try_from(posts.len().max(1)).unwrap_or(u32::MAX)
        })
        .min()
        .unwrap_or_default()
}

/// `g` with only the checks `keep` says yes to.
fn only(g: &Guideline, keep: impl Fn(Category) -> bool) -> Guideline {
    let mut g = g.clone();
    g.checks.retain(|c| keep(c.category));
    g
}

/// `g` with a single rule on: its category only, every other rule of it off.
fn single_rule(g: &Guideline, code: &str, category: Category) -> Guideline {
    let mut g = only(g, |c| c == category);
    for check in &mut g.checks {
        for r in RULES
            .iter()
            .filter(|r| r.category == category && r.code != code)
        {
            check.rules.push(RuleOverride {
                code: r.code.to_owned(),
                severity: None,
                span: 0..0,
            });
        }
    }
    g
}

/// Runs in a fresh process (see [`first_call_report`]): prints the start-up phases in ns.
fn first_call_child() {
    let t = Instant::now();
    let g = midori();
    let parse = t.elapsed();
    let t = Instant::now();
    let checker = Checker::new(&g).expect("midori compiles");
    let new = t.elapsed();
    let post = Post::plain(OK500, Platform::X);
    let t = Instant::now();
    black_box(post.check(&checker));
    let first = t.elapsed();
    // Another text, as every other measurement here uses.
    let post = Post::plain(&variant(OK500), Platform::X);
    let t = Instant::now();
    black_box(post.check(&checker));
    let second = t.elapsed();
    println!(
        "first-call {} {} {} {}",
        parse.as_nanos(),
        new.as_nanos(),
        first.as_nanos(),
        second.as_nanos()
    );
}

fn first_call_report(samples: usize) {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut rows: Vec<[u128; 4]> = Vec::new();
    for _ in 0..samples {
        let Ok(out) = std::process::Command::new(&exe)
            .env("KOHO_BENCH_CHILD", "first-call")
            .output()
        else {
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let Some(line) = text.lines().find(|l| l.starts_with("first-call ")) else {
            eprintln!(
                "first-call child printed nothing: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return;
        };
        let v: Vec<u128> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|n| n.parse().ok())
            .collect();
        if let [a, b, c, d] = v[..] {
            rows.push([a, b, c, d]);
        }
    }
    println!(
        "\n== start-up in a fresh process ({} processes; µs: median / max)",
        rows.len()
    );
    let names = [
        "Guideline::preset(\"midori\") (parse)",
        "Checker::new (compile)",
        "first check, 500 chars (lazy init)",
        "second check (another 500-char post)",
    ];
    for (i, name) in names.iter().enumerate() {
        let mut col: Vec<u128> = rows.iter().map(|r| r[i]).collect();
        col.sort_unstable();
        let med = col.get(col.len() / 2).copied().unwrap_or(0);
        let max = col.last().copied().unwrap_or(0);
        println!(
            "  {name:<40} {:>10.1} {:>10.1}",
            med as f64 / 1e3,
            max as f64 / 1e3
        );
    }
}

fn latency_report(g: &Guideline, checker: &Checker, corpus: &[Post]) {
    let enabled = RULES
        .iter()
        .filter(|r| checker.is_enabled(r.category))
        .count();
    println!(
        "\n== per-call latency, one thread (guideline {}: {} categories, {} rules on; µs; \
         wall = elapsed, cpu = this thread's CPU time, which leaves out waiting for a core)",
        g.id,
        g.checks.len(),
        enabled
    );
    println!(
        "  {:<38} {:<4} {:>6} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>10}",
        "post set",
        "time",
        "posts",
        "calls",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "max",
        "mean",
        "posts/s"
    );
    let budget = Duration::from_secs(4);
    if !corpus.is_empty() {
        let t = per_call(checker, corpus, 20, budget);
        print_latency_rows("corpus/dev.jsonl as is", corpus.len(), &t);
    }
    let mut summary = Vec::new();
    for (chars, seed) in [(100, 11), (350, 13), (500, 17)] {
        let posts = post_set(corpus, chars, 2000, seed);
        let t = per_call(checker, &posts, 10, budget);
        print_latency_rows(&format!("composed, {chars} chars"), posts.len(), &t);
        summary.push(format!(
            "p50_{chars}_cpu_us={} p99_{chars}_wall_us={} p99_{chars}_cpu_us={}",
            us(percentile(&t.1, 50.0)),
            us(percentile(&t.0, 99.0)),
            us(percentile(&t.1, 99.0))
        ));
    }
    let mut posts = post_set(corpus, 500, 1000, 19);
    for (i, p) in posts.iter_mut().enumerate() {
        p.set_history(&history_of(corpus, 20, i as u64 + 1));
        p.images = vec![ImageFacts {
            name: "photo.jpg".into(),
            has_gps: i % 2 == 0,
        }];
    }
    let t = per_call(checker, &posts, 10, budget);
    print_latency_rows("composed, 500 chars + 20-post history", posts.len(), &t);
    summary.push(format!(
        "p50_500h_cpu_us={} p99_500h_wall_us={} p99_500h_cpu_us={}",
        us(percentile(&t.1, 50.0)),
        us(percentile(&t.0, 99.0)),
        us(percentile(&t.1, 99.0))
    ));
    // One line for scripts (scripts/bench.sh reads it).
    println!("  summary: {}", summary.join(" "));
}

fn cost_report(g: &Guideline, corpus: &[Post]) {
    let posts = post_set(corpus, 500, 300, 23);
    let mut with_history = posts.clone();
    for (i, p) in with_history.iter_mut().enumerate() {
        p.set_history(&history_of(corpus, 20, i as u64 + 1));
    }
    let rounds = 5;
    let none = Checker::new(&only(g, |_| false)).expect("empty guideline compiles");
    let base = best_mean(&none, &posts, rounds);
    let base_history = best_mean(&none, &with_history, rounds);
    let all = Checker::new(g).expect("midori compiles");
    let total = best_mean(&all, &posts, rounds);
    println!(
        "\n== cost per 500-character post: thread CPU time, best mean of {rounds} passes over {} posts (µs)",
        posts.len()
    );
    println!("  every category on                      {:>8}", us(total));
    println!("  nothing on (normalisation, bookkeeping) {:>8}", us(base));
    println!("  marginal cost of each category alone (repeated-post with a 20-post history):");
    let mut rows: Vec<(String, Duration)> = g
        .checks
        .iter()
        .map(|c| {
            let checker = Checker::new(&only(g, |x| x == c.category)).expect("compiles");
            let set = if c.category == Category::RepeatedPost {
                &with_history
            } else {
                &posts
            };
            let base = if c.category == Category::RepeatedPost {
                base_history
            } else {
                base
            };
            (
                c.category.id().to_owned(),
                best_mean(&checker, set, rounds).saturating_sub(base),
            )
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    for (name, d) in &rows {
        println!("    {name:<36} {:>8}", us(*d));
    }
    println!(
        "  marginal cost of each rule alone (a rule alone pays for any scan it shares with others):"
    );
    let mut rows: Vec<(String, Duration)> = RULES
        .iter()
        .filter(|r| g.check(r.category).is_some())
        .filter_map(|r| {
            let checker = Checker::new(&single_rule(g, r.code, r.category)).ok()?;
            let (set, base) = if r.category == Category::RepeatedPost {
                (&with_history, base_history)
            } else {
                (&posts, base)
            };
            Some((
                format!("{} {}", r.code, r.name),
                best_mean(&checker, set, rounds).saturating_sub(base),
            ))
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    for (name, d) in &rows {
        println!("    {name:<36} {:>8}", us(*d));
    }
}

/// `KOHO_BENCH_PROFILE=N`: check N 500-character posts with every rule and exit,
/// for `valgrind --tool=callgrind` or `perf`. N=0 measures set-up alone, so the
/// difference between two runs is the cost of N checks.
fn profile(n: usize) {
    let g = midori();
    let checker = Checker::new(&g).expect("midori compiles");
    let corpus = corpus();
    let posts = post_set(&corpus, 500, 500, 29);
    let mut found = 0;
    for i in 0..n {
        found += posts[i % posts.len()].check(&checker);
    }
    println!("profiled {n} checks of 500-character posts ({found} diagnostics)");
}

// ---------------------------------------------------------------- criterion

/// The post with its last character changed: same length, different text.
fn variant(text: &str) -> String {
    let mut s: String = text
        .chars()
        .take(text.chars().count().saturating_sub(1))
        .collect();
    s.push(if text.ends_with('！') { '。' } else { '！' });
    s
}

/// Checks `post` and its [`variant`] in turn, so that one text is never checked
/// twice in a row.
fn bench_pair(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: BenchmarkId,
    post: &Post,
    checker: &Checker,
) {
    let mut other = post.clone();
    other.text = variant(&post.text);
    let pair = [post, &other];
    let mut i = 0;
    group.bench_function(id, |b| {
        b.iter(|| {
            i ^= 1;
            black_box(pair[i].check(black_box(checker)))
        })
    });
}

fn bench_posts(c: &mut Criterion, checker: &Checker, corpus: &[Post]) {
    let mut group = c.benchmark_group("check");
    for (len, kind, text) in FIXED {
        let post = Post::plain(text, Platform::X);
        bench_pair(&mut group, BenchmarkId::new(*len, *kind), &post, checker);
    }
    let mut post = Post::plain(OK500, Platform::X);
    post.set_history(&history_of(corpus, 20, 7));
    bench_pair(
        &mut group,
        BenchmarkId::new("post_500", "ordinary+20_history"),
        &post,
        checker,
    );
    if !corpus.is_empty() {
        group.throughput(Throughput::Elements(corpus.len() as u64));
        group.bench_function("corpus_dev_all", |b| {
            b.iter(|| {
                corpus
                    .iter()
                    .map(|p| p.check(black_box(checker)))
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

fn bench_setup(c: &mut Criterion, g: &Guideline) {
    let mut group = c.benchmark_group("setup");
    let src = koho_guideline::preset_source("midori").expect("midori is built in");
    group.bench_function("guideline_parse/midori", |b| {
        b.iter(|| Guideline::parse("midori", black_box(src)).is_ok())
    });
    group.bench_function("checker_new/midori", |b| {
        b.iter(|| Checker::new(black_box(g)).is_ok())
    });
    // Once per account (or batch): what check_with_history saves on every post.
    let history = history_of(&corpus(), 20, 7);
    let past = past_posts(&history);
    group.bench_function("history_new/20_posts", |b| {
        b.iter(|| History::new(black_box(&past)).len())
    });
    group.finish();
}

fn main() {
    if std::env::var("KOHO_BENCH_CHILD").as_deref() == Ok("first-call") {
        first_call_child();
        return;
    }
    if let Some(n) = std::env::var("KOHO_BENCH_PROFILE")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        profile(n);
        return;
    }
    let g = midori();
    assert_eq!(
        g.checks.len(),
        Category::ALL.len(),
        "midori enables every category"
    );
    assert!(g.checks.iter().any(|c| c.severity == Severity::Error));
    for (len, _, text) in FIXED {
        let want: usize = len
            .trim_start_matches("post_")
            .parse()
            .expect("length label");
        let got = text.chars().count();
        assert!(
            got.abs_diff(want) <= want / 10 && got <= 500,
            "{len} has {got} characters"
        );
    }
    let checker = Checker::new(&g).expect("midori compiles");
    let corpus = corpus();

    // `cargo bench` passes --bench; `cargo test --benches` does not (criterion then
    // runs each benchmark once as a smoke test, and so is the report skipped).
    let benching = std::env::args().any(|a| a == "--bench");
    let report = benching && std::env::var("KOHO_BENCH_REPORT").as_deref() != Ok("0");
    if report {
        first_call_report(15);
        latency_report(&g, &checker, &corpus);
        cost_report(&g, &corpus);
        println!();
        if std::env::var("KOHO_BENCH_REPORT").as_deref() == Ok("only") {
            return;
        }
    }

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_posts(&mut c, &checker, &corpus);
    bench_setup(&mut c, &g);
    c.final_summary();
}

//! A timing loop for the personal-info rules (run in release mode):
//! `cargo test -p koho-check --release -- --ignored personal_info_speed --nocapture`

use std::time::Instant;

use crate::normalize::Normalized;
use crate::registry::Out;
use crate::rules::test::CHECKER;
use crate::rules::{Cx, Rule};
use crate::{Input, Settings};

use super::*;

/// Posts of about 500 characters: ordinary ones and ones full of anchors.
fn posts() -> Vec<String> {
    let ordinary = "【お知らせ】令和7年度の市民講座の参加者を募集します。日時は6月21日（土）10時〜12時、会場はみどり市民会館（みどり市中央町1丁目2番3号）です。\
        対象は市内在住・在勤の18歳以上の方、定員は先着30人、参加費は500円です。申込は6月1日から、健康推進課（0123-45-6740）へお電話ください。\
        市民の皆さん、お子さんと一緒にぜひご参加ください。詳しくは https://www.city.midori.example.lg.jp/kouza/2025.html をご覧ください。";
    let heavy = "拾ってくださった桜台2丁目の山田花子さん（090-3812-4457）へ直接ご連絡ください。\
        最優秀賞　〒012-3481 みどり市若葉町3丁目14番8号　高橋 美代子 様、優秀賞 小川 正男 様。\
        森本 健司さん（昭和48年7月2日生）、岡田 勇さん（71）は一人暮らし。ぞう組のはるとくん（5さい）。\
        あおば銀行 駅前支店 普通 7654321 イトウ サトシ。記入例の番号は「4821 3570 9624」。免許証番号：第 5312 0847 6930 号。\
        連絡は kentaro.ishii.0714@mail.example.com か 0123 48 2906 へ。カード 4111 1111 1111 1111。";
    let mut out = Vec::new();
    for base in [ordinary, heavy] {
        let mut s = String::new();
        while s.chars().count() < 500 {
            s.push_str(base);
        }
        out.push(s.chars().take(500).collect());
    }
    out
}

type Check = fn(&Cx<'_>, &mut Out);

const RULES: &[Check] = &[
    PhoneNumber::check,
    EmailAddress::check,
    HomeAddress::check,
    MyNumber::check,
    CorporateNumber::check,
    CardNumber::check,
    BankAccount::check,
    DriverLicense::check,
    DateOfBirth::check,
    PersonName::check,
    PersonFacts::check,
    ChildName::check,
    IdentifiableDescription::check,
];

#[test]
#[ignore = "timing loop; run in release mode"]
fn personal_info_speed() {
    let _ = &*CHECKER;
    // The name lists load on first use (once per process).
    let t = Instant::now();
    let entries = names::warm_up();
    println!(
        "name lists: {entries} entries loaded in {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let settings = Settings {
        own_domains: vec!["city.midori.example.lg.jp".into()],
        own_phones: vec!["0123456789".into()],
        ..Settings::default()
    };
    for post in posts() {
        let input = Input {
            text: &post,
            ..Input::default()
        };
        let norm = Normalized::new(&post);
        let mut times = Vec::new();
        let mut found = 0;
        for round in 0..3000 {
            // A fresh Cx per post, as the checker makes one (its caches included).
            let t = Instant::now();
            let cx = Cx::new(&input, &norm, &settings);
            let mut out = Out::default();
            for r in RULES {
                r(&cx, &mut out);
            }
            let dt = t.elapsed();
            if round >= 200 {
                times.push(dt.as_nanos());
            }
            found = out.hits.len();
        }
        times.sort_unstable();
        let p = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
        // Each rule alone (median), after the URL cache is filled as in a real run.
        let mut each = Vec::new();
        for (n, r) in RULES.iter().enumerate() {
            let mut ts: Vec<u128> = (0..500)
                .map(|_| {
                    let cx = Cx::new(&input, &norm, &settings);
                    let _ = cx.urls();
                    let mut out = Out::default();
                    let t = Instant::now();
                    r(&cx, &mut out);
                    t.elapsed().as_nanos()
                })
                .collect();
            ts.sort_unstable();
            each.push(format!("{}:{:.1}", n, ts[0] as f64 / 1000.0));
        }
        let cx = Cx::new(&input, &norm, &settings);
        let t = Instant::now();
        for _ in 0..100 {
            let _ = crate::text::find_urls(&norm.text);
        }
        let url = t.elapsed().as_nanos() as f64 / 100_000.0;
        let mut n = 0;
        let find = (0..100)
            .map(|_| {
                let t = Instant::now();
                n = names::find_names(&norm.text, &norm.folded).len();
                t.elapsed().as_nanos()
            })
            .min()
            .unwrap_or(0) as f64
            / 1000.0;
        println!(
            "  fastest run per rule µs {}; url scan {url:.1} µs; find_names {find:.1} µs for {n} names",
            each.join(" ")
        );
        let _ = cx;
        // For scale: the whole checker (every category, normalisation included).
        let mut whole: Vec<u128> = (0..1000)
            .map(|_| {
                let t = Instant::now();
                let d = CHECKER.check(&input);
                let dt = t.elapsed().as_nanos();
                assert!(d.len() < 1000);
                dt
            })
            .collect();
        whole.sort_unstable();
        println!(
            "  whole checker: min {:.1} µs, p50 {:.1} µs, p99 {:.1} µs",
            whole[0] as f64 / 1000.0,
            whole[whole.len() / 2] as f64 / 1000.0,
            whole[whole.len() * 99 / 100] as f64 / 1000.0
        );
        println!(
            "personal-info on {} chars ({found} findings): min {:.1} µs, p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            post.chars().count(),
            p(0.0),
            p(0.5),
            p(0.99),
            p(1.0)
        );
    }
}

/// Recall and false positives of the personal-info rules on the development corpus
/// (`corpus/dev.jsonl`; the held-out test split is never read here):
/// `cargo test -p koho-check -- --ignored personal_info_dev_corpus --nocapture`
#[test]
#[ignore = "reads corpus/dev.jsonl"]
fn personal_info_dev_corpus() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/dev.jsonl");
    let Ok(src) = std::fs::read_to_string(path) else {
        println!("no {path}");
        return;
    };
    let (mut pos, mut hit, mut neg, mut fp) = (0, 0, 0, 0);
    for line in src.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap();
        let labelled = v["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "personal-info");
        let found: Vec<_> = crate::rules::test::run(text, None)
            .into_iter()
            .filter(|d| d.rule.starts_with("PI"))
            .map(|d| format!("{} {}", d.rule, d.excerpt))
            .collect();
        if labelled {
            pos += 1;
            if found.is_empty() {
                println!("MISSED {}: {text}", v["id"]);
            } else {
                hit += 1;
                println!("ok     {}: {found:?}", v["id"]);
            }
        } else {
            neg += 1;
            if !found.is_empty() {
                fp += 1;
                println!("FALSE  {}: {found:?} in {text}", v["id"]);
            }
        }
    }
    println!("personal-info on dev: recall {hit}/{pos}, false positives {fp}/{neg} posts");
}

//! `koho publisher run --once` publishes a post made with `koho post` — with a geotagged
//! photo and its alt text — to a fake X API on 127.0.0.1 (`KOHO_API_URL_X`), through the
//! real connector: once, stripped of location data, and the post's target records the
//! platform's id. On every engine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::*;

const DOMAIN: &str = "city.midori.example.lg.jp";
const WITH_GPS_JPG: &[u8] = include_bytes!("../../koho-media/tests/fixtures/with-gps.jpg");

/// What the fake X received.
#[derive(Default)]
struct Seen {
    tweets: Vec<serde_json::Value>,
    uploads: Vec<Vec<u8>>,
    alt_texts: Vec<String>,
    bearer: Vec<String>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The bytes of the `media` part of a multipart body.
fn media_part(body: &[u8], content_type: &str) -> Vec<u8> {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap()
        .trim_matches('"');
    let start = find(body, b"name=\"media\"").unwrap();
    let data = start + find(&body[start..], b"\r\n\r\n").unwrap() + 4;
    let end = data + find(&body[data..], format!("\r\n--{boundary}").as_bytes()).unwrap();
    body[data..end].to_vec()
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = find(raw, b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..line_end]).unwrap().trim(), 16)
            .unwrap();
        raw = &raw[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// A minimal X API v2: media upload, media metadata, create tweet.
fn fake_x() -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s = seen.clone();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { continue };
            let s = s.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 16384];
                let head_end = loop {
                    let n = sock.read(&mut chunk).unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = find(&buf, b"\r\n\r\n") {
                        break i;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let mut lines = head.split("\r\n");
                let first: Vec<String> = lines
                    .next()
                    .unwrap()
                    .split(' ')
                    .map(str::to_owned)
                    .collect();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                    .collect();
                let header = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
                let mut body = buf[head_end + 4..].to_vec();
                let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
                if chunked {
                    while find(&body, b"0\r\n\r\n").is_none() {
                        let n = sock.read(&mut chunk).unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        body.extend_from_slice(&chunk[..n]);
                    }
                    body = dechunk(&body);
                } else {
                    let len: usize = header("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while body.len() < len {
                        let n = sock.read(&mut chunk).unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        body.extend_from_slice(&chunk[..n]);
                    }
                }
                let (method, path) = (first[0].as_str(), first[1].as_str());
                let answer = {
                    let mut seen = s.lock().unwrap();
                    if let Some(b) = header("authorization") {
                        seen.bearer.push(b);
                    }
                    match (method, path) {
                        ("POST", "/2/media/upload") => {
                            let part = media_part(&body, &header("content-type").unwrap());
                            seen.uploads.push(part);
                            format!(r#"{{"data":{{"id":"77{}"}}}}"#, seen.uploads.len())
                        }
                        ("POST", "/2/media/metadata") => {
                            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                            seen.alt_texts.push(
                                v["metadata"]["alt_text"]["text"]
                                    .as_str()
                                    .unwrap()
                                    .to_owned(),
                            );
                            "{}".to_owned()
                        }
                        ("POST", "/2/tweets") => {
                            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                            seen.tweets.push(v.clone());
                            format!(
                                r#"{{"data":{{"id":"18000000000000000{:02}","text":{}}}}}"#,
                                seen.tweets.len(),
                                v["text"]
                            )
                        }
                        _ => String::new(),
                    }
                };
                let status = if answer.is_empty() {
                    "404 Not Found"
                } else {
                    "200 OK"
                };
                let out = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = sock.write_all(out.as_bytes());
            });
        }
    });
    (url, seen)
}

#[test]
fn publisher_run_once_publishes_a_post_made_with_koho_post() {
    each_engine(|env| {
        let url = env.fresh_url();
        let dir = env.dir.path().to_path_buf();
        let (api, seen) = fake_x();
        let key = koho_workflow::credentials::CredentialKey::generate().unwrap();
        let key_file = dir.join("credential.key");
        std::fs::write(&key_file, key.to_hex()).unwrap();
        let key_path = key_file.display().to_string();
        let envs: [(&str, &str); 3] = [
            ("KOHO_CREDENTIAL_KEY_FILE", key_path.as_str()),
            ("KOHO_API_URL_X", api.as_str()),
            ("TZ", "America/Los_Angeles"),
        ];
        let run = |args: &[&str]| koho_in(&dir, Some(&url), &envs, args);
        ok(&run(&["demo"]));
        let staff = format!("kimura.hanako@{DOMAIN}");
        let chief = format!("mori.kazuya@{DOMAIN}");
        let photo = dir.join("hanabi.jpg");
        std::fs::write(&photo, WITH_GPS_JPG).unwrap();
        let photo = photo.display().to_string();

        // X reads alt text aloud: a photo without it is refused, nothing saved.
        let o = run(&[
            "post",
            "draft",
            "--as",
            &staff,
            "--account",
            "@midori_city",
            "--text",
            "市民花火大会は今夜19時からです。",
            "--image",
            &photo,
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("POST_ALT_TEXT_REQUIRED"),
            "{}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("代替テキスト"), "{}", stderr(&o));

        let v = json(&run(&[
            "post",
            "draft",
            "--as",
            &staff,
            "--account",
            "@midori_city",
            "--text",
            "市民花火大会は今夜19時からです。",
            "--image",
            &photo,
            "--alt",
            "夜空に上がる花火",
            "--format",
            "json",
        ]));
        let id = v["post"]["id"].as_str().unwrap().to_owned();
        assert_eq!(v["images"][0]["alt_text"], "夜空に上がる花火");
        assert_eq!(v["images"][0]["has_gps"], true);
        // みどり市 第7条(6): a photo that carried its location blocks submission, as
        // `koho check --image` says; the author strips it and saves a new version.
        let o = run(&["post", "submit", &id, "--as", &staff]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("位置情報"), "{}", stderr(&o));
        assert!(stderr(&o).contains("第7条(6)"), "{}", stderr(&o));
        let clean = dir.join("hanabi-clean.jpg").display().to_string();
        ok(&run(&["media", "strip", &photo, &clean]));
        ok(&run(&[
            "post",
            "edit",
            &id,
            "--as",
            &staff,
            "--text",
            "市民花火大会は今夜19時からです。",
            "--image",
            &clean,
            "--alt",
            "夜空に上がる花火",
        ]));
        let v = json(&run(&["post", "show", &id, "--format", "json"]));
        assert_eq!(
            (
                v["version"]["version"].as_i64(),
                v["version"]["error_count"].as_i64()
            ),
            (Some(2), Some(0))
        );
        assert_eq!(v["images"][0]["has_gps"], false);
        ok(&run(&["post", "submit", &id, "--as", &staff]));

        // Not approved yet: the round sends nothing.
        let account_ref = "1600000000000000000";
        let token = "x-access-token-midori";
        // The account's token goes in through stdin, never the command line; a bad one
        // is refused without echoing it, and nothing is stored.
        let set = |input: &str| {
            koho_in_with_stdin(
                &dir,
                Some(&url),
                &envs,
                &[
                    "publisher",
                    "credential",
                    "set",
                    "@midori_city",
                    "--account-ref",
                    account_ref,
                ],
                input,
            )
        };
        let o = set(&format!("{{\"access_token\": \"{token}\", \"oops\": 1}}"));
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("CLI_BAD_SECRETS"), "{}", stderr(&o));
        assert!(!stderr(&o).contains(token) && !stdout(&o).contains(token));
        let o = set(&format!("{{\"access_token\": \"{token}\"}}"));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stdout(&o).contains("@midori_city"), "{}", stdout(&o));
        assert!(!stderr(&o).contains(token) && !stdout(&o).contains(token));
        let out = ok(&run(&["publisher", "run", "--once"]));
        assert!(out.contains("キュー投入 0 件"), "{out}");
        assert!(seen.lock().unwrap().tweets.is_empty());

        // Approved: no time set, so it is due at once and the next round publishes it.
        ok(&run(&["post", "approve", &id, "--as", &chief]));
        let out = ok(&run(&["publisher", "run", "--once"]));
        assert!(out.contains("キュー投入 1 件"), "{out}");
        assert!(out.contains("公開 1"), "{out}");
        {
            let seen = seen.lock().unwrap();
            assert_eq!(seen.tweets.len(), 1);
            assert_eq!(seen.tweets[0]["text"], "市民花火大会は今夜19時からです。");
            assert_eq!(seen.tweets[0]["media"]["media_ids"][0], "771");
            assert_eq!(seen.uploads.len(), 1);
            let meta = koho_media::inspect(&seen.uploads[0]).unwrap();
            assert!(
                meta.is_clean(),
                "the photo reached X with metadata: {meta:?}"
            );
            assert_eq!(seen.alt_texts, ["夜空に上がる花火"]);
            assert!(seen.bearer.iter().all(|b| b == &format!("Bearer {token}")));
        }

        let show = json(&run(&["post", "show", &id, "--format", "json"]));
        let t = &show["targets"][0];
        assert_eq!(t["state"], "published", "{show:#}");
        assert_eq!(t["remote_id"], "1800000000000000001");
        // The demo has published posts of its own; ours is the newest.
        let archive = json(&run(&["post", "archive", "--format", "json"]));
        assert_eq!(archive[0]["post_id"], id.as_str(), "{archive:#}");

        // Nothing twice: another round sends nothing.
        let out = ok(&run(&["publisher", "run", "--once"]));
        assert!(out.contains("キュー投入 0 件"), "{out}");
        assert_eq!(seen.lock().unwrap().tweets.len(), 1);
        let status = json(&run(&["publisher", "status", "--format", "json"]));
        assert_eq!(status["jobs"]["published"], 1, "{status:#}");
    });
}

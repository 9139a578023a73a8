//! `koho serve`: binds, prints the real URL (port 0 picks a free one), answers.

// Helpers outside #[test] functions may unwrap too: a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_on_port_zero_prints_the_actual_url_and_answers() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_koho"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("KOHO_LOG", "warn")
        .env("DATABASE_URL", "sqlite::memory:")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    assert!(!addr.ends_with(":0"), "the real port is printed: {addr}");
    let health = get(addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"status\":\"ok\""));
    assert!(health.contains("\"midori\""));
    let page = get(addr, "/check");
    assert!(page.starts_with("HTTP/1.1 200"));
    assert!(page.contains("content-security-policy:"));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn serve_refuses_an_unreadable_address() {
    let out = Command::new(env!("CARGO_BIN_EXE_koho"))
        .args(["serve", "--addr", "somewhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CLI_BAD_ADDR"));
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Faults the reference PDS cannot be made to produce on demand: a PDS that stores the
//! record and then fails or stalls, and a failing blob upload. Shaped after the XRPC
//! error format (`{"error", "message"}`).

mod common;

use std::time::Duration;

use common::{auth, png, request};
use koho_connect::bluesky::BlueskyConnector;
use koho_connect::http::HttpConfig;
use koho_connect::{ConnectError, Connector};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DID: &str = "did:plc:abcdefghijklmnopqrstuvwx";

fn connector(base: &str) -> BlueskyConnector {
    BlueskyConnector::new(&HttpConfig::new(base).with_timeout(Duration::from_millis(500))).unwrap()
}

fn written() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "uri": format!("at://{DID}/app.bsky.feed.post/3jzfcijpj2z2a"),
        "cid": "bafyreiduysbnciipyoyfipzqwnzvvpywkhzum4ozfrwlcksa6ufg7fdam4"
    }))
}

#[tokio::test]
async fn a_stalled_or_failing_put_record_is_uncertain() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.putRecord"))
        .respond_with(written().set_delay(Duration::from_secs(2)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.putRecord"))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_json(json!({"error": "UpstreamFailure", "message": "bad gateway"})),
        )
        .mount(&server)
        .await;
    let c = connector(&server.uri());
    let a = auth(DID, "access");
    let err = c
        .publish(&a, &request("お知らせ", "job-1", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Uncertain { .. }), "{err:?}");
    let err = c
        .publish(&a, &request("お知らせ", "job-1", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Uncertain { .. }), "{err:?}");
}

#[tokio::test]
async fn a_failing_blob_upload_is_retryable_and_nothing_is_posted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.uploadBlob"))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"error": "InternalServerError", "message": "Internal Server Error"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.putRecord"))
        .respond_with(written())
        .expect(0)
        .mount(&server)
        .await;
    let c = connector(&server.uri());
    let err = c
        .publish(
            &auth(DID, "access"),
            &request("写真付き", "job-2", vec![png("写真")]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Retryable { .. }), "{err:?}");
}

#[tokio::test]
async fn rate_limit_headers_are_epoch_seconds() {
    let server = MockServer::start().await;
    let reset = common::now_ms() / 1000 + 120;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.putRecord"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("ratelimit-limit", "5000")
                .insert_header("ratelimit-remaining", "0")
                .insert_header("ratelimit-reset", reset.to_string().as_str())
                .insert_header("ratelimit-policy", "5000;w=3600")
                .set_body_json(
                    json!({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}),
                ),
        )
        .mount(&server)
        .await;
    let err = connector(&server.uri())
        .publish(&auth(DID, "access"), &request("a", "job-3", vec![]))
        .await
        .unwrap_err();
    match err {
        ConnectError::RateLimited { retry_after, .. } => {
            assert!(
                retry_after > Duration::from_secs(110) && retry_after <= Duration::from_secs(120),
                "{retry_after:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

//! The committed fixture files (regenerate with
//! `cargo run -p koho-media --example make_fixtures`).

use std::path::Path;

use koho_media::{ImageFormat, MetaKind, fuzzing, inspect, strip};

const WITH_GPS_JPG: &[u8] = include_bytes!("fixtures/with-gps.jpg");
const PLAIN_JPG: &[u8] = include_bytes!("fixtures/plain.jpg");
const WITH_GPS_PNG: &[u8] = include_bytes!("fixtures/with-gps.png");
const WITH_GPS_WEBP: &[u8] = include_bytes!("fixtures/with-gps.webp");

/// Roughly 神栖市 (Kamisu, Ibaraki).
fn in_kamisu(lat: f64, lon: f64) -> bool {
    (35.8..36.0).contains(&lat) && (140.6..140.8).contains(&lon)
}

#[test]
fn fixtures_are_tiny() {
    for bytes in [WITH_GPS_JPG, PLAIN_JPG, WITH_GPS_PNG, WITH_GPS_WEBP] {
        assert!(bytes.len() < 5 * 1024, "{} bytes", bytes.len());
    }
}

#[test]
fn with_gps_fixtures_point_to_kamisu() {
    for (bytes, format) in [
        (WITH_GPS_JPG, ImageFormat::Jpeg),
        (WITH_GPS_PNG, ImageFormat::Png),
        (WITH_GPS_WEBP, ImageFormat::WebP),
    ] {
        let meta = inspect(bytes).unwrap();
        assert_eq!(meta.format, format);
        assert_eq!((meta.width, meta.height), (16, 16));
        assert!(meta.has_gps);
        let gps = meta.gps.unwrap();
        assert!(in_kamisu(gps.latitude, gps.longitude), "{gps:?}");
        let clean = strip(bytes).unwrap();
        let after = inspect(&clean).unwrap();
        assert!(
            after.is_clean() && !after.has_gps && after.gps.is_none(),
            "{after:?}"
        );
        assert_eq!(after.orientation, meta.orientation.filter(|&o| o != 1));
        assert!(fuzzing::check(bytes).is_ok());
    }
    let jpg = inspect(WITH_GPS_JPG).unwrap();
    assert_eq!(jpg.orientation, Some(6));
    assert!(jpg.contains(MetaKind::Comment) && jpg.contains(MetaKind::CameraSerial));
}

#[test]
fn plain_fixture_is_clean() {
    let meta = inspect(PLAIN_JPG).unwrap();
    assert!(meta.is_clean(), "{meta:?}");
    assert_eq!(strip(PLAIN_JPG).unwrap(), PLAIN_JPG);
}

#[test]
fn corpus_copies_match_test_fixtures() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus/images");
    for (name, bytes) in [
        ("with-gps.jpg", WITH_GPS_JPG),
        ("plain.jpg", PLAIN_JPG),
        ("with-gps.png", WITH_GPS_PNG),
        ("with-gps.webp", WITH_GPS_WEBP),
    ] {
        let path = corpus.join(name);
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            on_disk, bytes,
            "{name} differs between corpus/images and tests/fixtures"
        );
    }
}

//! Metadata written by an independent tool (ExifTool 12.57), so the parser is
//! not only checked against this crate's own test builders. The files were
//! made from the generated fixtures with the command in the crate README.

mod support;

use koho_media::{MetaKind, fuzzing, inspect, strip};
use support::decode;

const FILES: [(&str, &[u8]); 3] = [
    ("jpg", include_bytes!("fixtures/exiftool-gps.jpg")),
    ("png", include_bytes!("fixtures/exiftool-gps.png")),
    ("webp", include_bytes!("fixtures/exiftool-gps.webp")),
];

#[test]
fn exiftool_metadata_is_found() {
    for (name, bytes) in FILES {
        let meta = inspect(bytes).unwrap();
        assert!(meta.has_gps, "{name}");
        let gps = meta.gps.unwrap();
        // EXIF GPS (Sapporo) wins over the XMP one (Osaka).
        assert!((gps.latitude - 43.06).abs() < 1e-9, "{name}: {gps:?}");
        assert!((gps.longitude - 141.35).abs() < 1e-9, "{name}: {gps:?}");
        assert_eq!(meta.orientation, Some(3), "{name}");
        for kind in [
            MetaKind::Exif,
            MetaKind::Xmp,
            MetaKind::Location,
            MetaKind::CameraSerial,
        ] {
            assert!(meta.contains(kind), "{name}: {kind:?} missing: {meta:?}");
        }
        if name != "webp" {
            assert!(meta.contains(MetaKind::Iptc), "{name}: {meta:?}");
            assert!(meta.contains(MetaKind::Comment), "{name}: {meta:?}");
        }
        assert!(!meta.contains(MetaKind::Malformed), "{name}: {meta:?}");
    }
}

#[test]
fn exiftool_metadata_is_stripped() {
    for (name, bytes) in FILES {
        let out = strip(bytes).unwrap();
        let after = inspect(&out).unwrap();
        assert!(after.is_clean(), "{name}: {after:?}");
        assert_eq!(after.identifying, vec![MetaKind::Orientation], "{name}");
        assert_eq!(after.orientation, Some(3), "{name}");
        assert_eq!(decode(&out), decode(bytes), "{name}: pixels unchanged");
        assert!(fuzzing::check(bytes).is_ok(), "{name}");
    }
}

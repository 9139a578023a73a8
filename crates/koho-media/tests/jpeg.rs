//! JPEG inspection and stripping on fixtures built in the test.

mod support;

use koho_media::{ImageFormat, MetaKind, inspect, strip};
use support::*;

fn assert_near(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-6, "{a} != {b}");
}

#[test]
fn inspect_finds_gps_in_both_byte_orders() {
    for le in [true, false] {
        let img = jpeg_with(
            &jpeg(16, 16),
            &[exif_app1(&camera_exif(le, Some(6)).to_tiff())],
        );
        let meta = inspect(&img).unwrap();
        assert_eq!(meta.format, ImageFormat::Jpeg);
        assert_eq!((meta.width, meta.height), (16, 16));
        assert!(meta.has_gps);
        let gps = meta.gps.expect("decodable position");
        assert_near(gps.latitude, KAMISU_LAT);
        assert_near(gps.longitude, KAMISU_LON);
        assert_eq!(gps.altitude, Some(5.0));
        assert_eq!(meta.orientation, Some(6));
        for kind in [
            MetaKind::Exif,
            MetaKind::Gps,
            MetaKind::MakerNote,
            MetaKind::CameraSerial,
            MetaKind::OwnerName,
            MetaKind::ImageUniqueId,
            MetaKind::CameraModel,
            MetaKind::DateTimeOriginal,
            MetaKind::Thumbnail,
            MetaKind::Orientation,
        ] {
            assert!(meta.contains(kind), "{kind:?} missing (le={le}): {meta:?}");
        }
        assert!(!meta.contains(MetaKind::Malformed), "{meta:?}");
        assert!(!meta.is_clean());
    }
}

#[test]
fn southern_and_western_positions_are_negative() {
    let exif = Exif {
        gps: gps_entries(-33.8568, -70.6693, None),
        ..Exif::default()
    };
    let img = jpeg_with(&jpeg(8, 8), &[exif_app1(&exif.to_tiff())]);
    let gps = inspect(&img).unwrap().gps.unwrap();
    assert!((gps.latitude + 33.8568).abs() < 1e-4, "{gps:?}");
    assert!((gps.longitude + 70.6693).abs() < 1e-4, "{gps:?}");
    assert_eq!(gps.altitude, None);
}

#[test]
fn plain_jpeg_is_clean_and_strip_keeps_it_identical() {
    let img = jpeg(16, 16);
    let meta = inspect(&img).unwrap();
    assert!(meta.is_clean(), "{meta:?}");
    assert!(!meta.has_gps);
    assert_eq!(meta.orientation, None);
    assert_eq!(strip(&img).unwrap(), img);
}

#[test]
fn strip_removes_gps_xmp_comment_iptc_and_more() {
    let base = jpeg(16, 16);
    let img = jpeg_with(
        &base,
        &[
            exif_app1(&camera_exif(true, None).to_tiff()),
            xmp_app1(&xmp_packet(true)),
            extended_xmp_app1("<x exif:GPSLongitude='1,2E'/>", 0, 30),
            segment(
                0xED,
                b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x05\x1c\x02\x5a\x00\x06Kamisu",
            ),
            segment(0xE2, b"MPF\0II*\0"),
            segment(0xEB, b"JP\0\0jumbf c2pa"),
            segment(0xE0, b"JFXX\0\x10thumbnail"),
            segment(0xFE, b"taken at the city hall"),
        ],
    );
    let mut with_trailer = img;
    with_trailer.extend_from_slice(b"\xFF\xD8 secondary image with its own EXIF \xFF\xD9");

    let meta = inspect(&with_trailer).unwrap();
    for kind in [
        MetaKind::Xmp,
        MetaKind::Location,
        MetaKind::Iptc,
        MetaKind::MultiPicture,
        MetaKind::OtherMetadata,
        MetaKind::Comment,
        MetaKind::Thumbnail,
        MetaKind::TrailingData,
    ] {
        assert!(meta.contains(kind), "{kind:?} missing: {meta:?}");
    }

    let out = strip(&with_trailer).unwrap();
    assert_eq!(out, base, "only the original JFIF image remains");
    let after = inspect(&out).unwrap();
    assert!(after.is_clean(), "{after:?}");
    assert!(!after.has_gps);
    assert_eq!(after.gps, None);
    assert_eq!(after.identifying, vec![]);
}

#[test]
fn gps_only_in_xmp_is_found() {
    let img = jpeg_with(&jpeg(8, 8), &[xmp_app1(&xmp_packet(true))]);
    let meta = inspect(&img).unwrap();
    assert!(meta.has_gps);
    let gps = meta.gps.unwrap();
    assert_near(gps.latitude, 35.8898);
    assert_near(gps.longitude, 140.6645);
    assert!(
        !inspect(&jpeg_with(&jpeg(8, 8), &[xmp_app1(&xmp_packet(false))]))
            .unwrap()
            .has_gps
    );
}

#[test]
fn gps_only_in_extended_xmp_is_found() {
    let img = jpeg_with(
        &jpeg(8, 8),
        &[
            xmp_app1("<x xmpNote:HasExtendedXMP='0123'/>"),
            extended_xmp_app1("<x exif:GPSLat", 0, 40),
            extended_xmp_app1("itude='35,1N'/>", 14, 40),
        ],
    );
    let meta = inspect(&img).unwrap();
    assert!(meta.has_gps, "split property name is still found: {meta:?}");
    assert!(
        strip(&img)
            .map(|s| inspect(&s).unwrap().is_clean())
            .unwrap()
    );
}

#[test]
fn entropy_coded_data_and_tables_are_byte_identical() {
    let base = jpeg(24, 16);
    let img = jpeg_with(
        &base,
        &[
            exif_app1(&camera_exif(false, Some(6)).to_tiff()),
            icc_app2(b"not really an ICC profile"),
            segment(0xEE, b"Adobe\0\x64\0\0\0\0\x01"),
        ],
    );
    let out = strip(&img).unwrap();
    let (segs_in, scan_in) = jpeg_split(&img);
    let (segs_out, scan_out) = jpeg_split(&out);
    assert_eq!(scan_in, scan_out, "scan header, entropy-coded data and EOI");
    let kept = |segs: &[(u8, Vec<u8>)]| -> Vec<Vec<u8>> {
        segs.iter()
            .filter(|(m, _)| *m != 0xE1)
            .map(|(_, s)| s.clone())
            .collect()
    };
    assert_eq!(
        kept(&segs_in),
        kept(&segs_out),
        "JFIF, ICC, Adobe, DQT, SOF, DHT kept in order"
    );
    assert_eq!(decode(&img), decode(&out), "decoded pixels unchanged");
    let meta = inspect(&out).unwrap();
    assert!(meta.contains(MetaKind::IccProfile));
    assert!(meta.is_clean());
}

#[test]
fn orientation_is_kept_as_minimal_exif() {
    for orientation in 2..=8u16 {
        let img = jpeg_with(
            &jpeg(16, 8),
            &[exif_app1(&camera_exif(true, Some(orientation)).to_tiff())],
        );
        let out = strip(&img).unwrap();
        let meta = inspect(&out).unwrap();
        assert_eq!(meta.orientation, Some(orientation));
        assert_eq!(meta.identifying, vec![MetaKind::Orientation]);
        assert!(meta.is_clean());
        let (segs, _) = jpeg_split(&out);
        assert_eq!(segs[0].0, 0xE0, "JFIF APP0 stays first");
        assert_eq!(segs[1].0, 0xE1, "minimal EXIF right after it");
        assert!(
            segs[1].1.len() < 40,
            "minimal EXIF is tiny: {}",
            segs[1].1.len()
        );
    }
}

#[test]
fn orientation_one_is_not_re_emitted() {
    let img = jpeg_with(
        &jpeg(8, 8),
        &[exif_app1(&orientation_exif(false, 1).to_tiff())],
    );
    let meta = inspect(&img).unwrap();
    assert_eq!(meta.orientation, Some(1));
    assert!(meta.is_clean(), "orientation-only EXIF is not identifying");
    let out = strip(&img).unwrap();
    assert_eq!(out, jpeg(8, 8));
    assert_eq!(inspect(&out).unwrap().orientation, None);
}

#[test]
fn minimal_exif_goes_after_soi_without_jfif() {
    // Drop the JFIF APP0 that the encoder wrote.
    let base = jpeg(8, 8);
    let (segs, _) = jpeg_split(&base);
    assert_eq!(segs[0].0, 0xE0);
    let mut no_jfif = base[..2].to_vec();
    no_jfif.extend_from_slice(&base[2 + segs[0].1.len()..]);
    let img = jpeg_with(&no_jfif, &[exif_app1(&orientation_exif(true, 6).to_tiff())]);
    let out = strip(&img).unwrap();
    let (segs, _) = jpeg_split(&out);
    assert_eq!(segs[0].0, 0xE1);
    assert_eq!(inspect(&out).unwrap().orientation, Some(6));
    assert_eq!(strip(&out).unwrap(), out);
}

#[test]
fn jfif_thumbnail_is_removed_but_jfif_kept() {
    let base = jpeg(8, 8);
    let (segs, rest) = jpeg_split(&base);
    let mut jfif_payload = segs[0].1[4..18].to_vec();
    jfif_payload[12] = 2; // 2×2 thumbnail
    jfif_payload[13] = 2;
    jfif_payload.extend_from_slice(&[7u8; 12]);
    let mut img = vec![0xFF, 0xD8];
    img.extend_from_slice(&segment(0xE0, &jfif_payload));
    for (_, s) in &segs[1..] {
        img.extend_from_slice(s);
    }
    img.extend_from_slice(&rest);
    assert!(inspect(&img).unwrap().contains(MetaKind::Thumbnail));
    let out = strip(&img).unwrap();
    assert_eq!(out, base, "JFIF rewritten without thumbnail");
    assert_eq!(decode(&out), decode(&img));
}

#[test]
fn strip_is_idempotent() {
    let cases = [
        jpeg(8, 8),
        jpeg_with(
            &jpeg(8, 8),
            &[exif_app1(&camera_exif(true, Some(3)).to_tiff())],
        ),
        jpeg_with(
            &jpeg(8, 8),
            &[
                exif_app1(&camera_exif(false, None).to_tiff()),
                xmp_app1(&xmp_packet(true)),
            ],
        ),
        jpeg_with(
            &jpeg(8, 8),
            &[
                icc_app2(b"icc"),
                exif_app1(&orientation_exif(true, 5).to_tiff()),
            ],
        ),
    ];
    for img in cases {
        let once = strip(&img).unwrap();
        assert_eq!(strip(&once).unwrap(), once);
        assert!(koho_media::fuzzing::check(&img).is_ok());
    }
}

#[test]
fn fill_bytes_and_restart_markers_are_handled() {
    // Fill bytes before a marker are legal; they are not copied.
    let base = jpeg(8, 8);
    let mut img = base[..2].to_vec();
    img.extend_from_slice(&[0xFF, 0xFF]);
    img.extend_from_slice(&segment(0xFE, b"comment"));
    img.extend_from_slice(&base[2..]);
    assert_eq!(strip(&img).unwrap(), base);
}

#[test]
fn errors_have_codes() {
    let e = inspect(&[]).unwrap_err();
    assert_eq!(e.code(), "media.empty");
    let e = inspect(b"GIF89a....").unwrap_err();
    assert_eq!(e.code(), "media.unknown_format");
    assert_eq!(e.to_string(), "not a JPEG, PNG or WebP image");
    let img = jpeg(8, 8);
    let e = strip(&img[..img.len() - 1]).unwrap_err();
    assert_eq!(e.code(), "media.truncated");
    assert_eq!(e.format(), Some(ImageFormat::Jpeg));
    assert!(e.to_string().starts_with("JPEG image is truncated"), "{e}");
    let e = inspect(&[0xFF, 0xD8, 0x00]).unwrap_err();
    assert_eq!(e.code(), "media.malformed");
    // A frame-less JPEG: SOI, SOS with data, EOI.
    let e = inspect(&[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x00, 0xFF, 0xD9]).unwrap_err();
    assert_eq!(e.code(), "media.missing_image_header");
}

#[test]
fn multi_scan_with_restarts_and_dnl_is_copied_verbatim() {
    // A structurally valid progressive-style file (not decodable): SOF2 with
    // height 0, two scans with stuffed bytes and restart markers, a DHT and
    // metadata between them, and a DNL giving the height.
    let sof2 = segment(0xC2, &[8, 0, 0, 0, 40, 1, 1, 0x11, 0]);
    let sos = segment(0xDA, &[1, 1, 0, 0, 63, 0]);
    let scan1 = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD1, 0x78];
    let scan2 = [0x9A, 0xBC, 0xFF, 0x00];
    let mut img = vec![0xFF, 0xD8];
    img.extend_from_slice(&sof2);
    img.extend_from_slice(&sos);
    img.extend_from_slice(&scan1);
    img.extend_from_slice(&segment(0xDC, &[0, 30]));
    img.extend_from_slice(&segment(0xFE, b"between scans"));
    img.extend_from_slice(&exif_app1(&gps_only_exif(true, Some(2)).to_tiff()));
    img.extend_from_slice(&segment(0xC4, &[0x10, 0, 1]));
    img.extend_from_slice(&sos);
    img.extend_from_slice(&scan2);
    img.extend_from_slice(&[0xFF, 0xD9]);

    let meta = inspect(&img).unwrap();
    assert_eq!((meta.width, meta.height), (40, 30));
    assert!(meta.has_gps);
    let out = strip(&img).unwrap();
    let mut expected = vec![0xFF, 0xD8];
    expected.extend_from_slice(&exif_app1(&orientation_exif(false, 2).to_tiff()));
    expected.extend_from_slice(&sof2);
    expected.extend_from_slice(&sos);
    expected.extend_from_slice(&scan1);
    expected.extend_from_slice(&segment(0xDC, &[0, 30]));
    expected.extend_from_slice(&segment(0xC4, &[0x10, 0, 1]));
    expected.extend_from_slice(&sos);
    expected.extend_from_slice(&scan2);
    expected.extend_from_slice(&[0xFF, 0xD9]);
    assert_eq!(out, expected);
    assert!(koho_media::fuzzing::check(&img).is_ok());
}

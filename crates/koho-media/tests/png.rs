//! PNG inspection and stripping on fixtures built in the test.

mod support;

use koho_media::{ImageFormat, MediaError, MetaKind, inspect, strip};
use support::*;

fn idat(bytes: &[u8]) -> Vec<Vec<u8>> {
    png_chunks(bytes)
        .into_iter()
        .filter(|(k, _)| k == b"IDAT")
        .map(|(_, d)| d)
        .collect()
}

fn kinds(bytes: &[u8]) -> Vec<[u8; 4]> {
    png_chunks(bytes).into_iter().map(|(k, _)| k).collect()
}

#[test]
fn exif_gps_is_found_in_both_byte_orders() {
    for le in [true, false] {
        let img = png_with(
            &png(16, 12),
            &[(*b"eXIf", camera_exif(le, Some(1)).to_tiff())],
        );
        let meta = inspect(&img).unwrap();
        assert_eq!(meta.format, ImageFormat::Png);
        assert_eq!((meta.width, meta.height), (16, 12));
        assert!(meta.has_gps);
        let gps = meta.gps.unwrap();
        assert!((gps.latitude - KAMISU_LAT).abs() < 1e-6);
        assert!((gps.longitude - KAMISU_LON).abs() < 1e-6);
        assert!(meta.contains(MetaKind::Exif));
        assert!(meta.contains(MetaKind::MakerNote));
    }
}

#[test]
fn exif_with_prefix_is_tolerated() {
    let mut data = b"Exif\0\0".to_vec();
    data.extend_from_slice(&gps_only_exif(true, None).to_tiff());
    let img = png_with(&png(4, 4), &[(*b"eXIf", data)]);
    assert!(inspect(&img).unwrap().gps.is_some());
}

#[test]
fn xmp_gps_is_found_plain_and_compressed() {
    for compressed in [false, true] {
        let img = png_with(
            &png(4, 4),
            &[itxt_chunk(
                "XML:com.adobe.xmp",
                &xmp_packet(true),
                compressed,
            )],
        );
        let meta = inspect(&img).unwrap();
        assert!(meta.has_gps, "compressed={compressed}");
        assert!(meta.gps.is_some(), "compressed={compressed}");
        assert!(meta.contains(MetaKind::Xmp));
        assert!(meta.contains(MetaKind::Location));
        assert!(meta.contains(MetaKind::TextChunk));
        assert!(!meta.contains(MetaKind::Malformed), "{meta:?}");
    }
}

#[test]
fn imagemagick_raw_exif_profile_is_decoded() {
    let profile = raw_profile_exif(&camera_exif(false, Some(6)).to_tiff());
    for chunk in [
        ztxt_chunk("Raw profile type exif", &profile),
        (*b"tEXt", {
            let mut d = b"Raw profile type exif\0".to_vec();
            d.extend_from_slice(&profile);
            d
        }),
    ] {
        let img = png_with(&png(4, 4), &[chunk]);
        let meta = inspect(&img).unwrap();
        assert!(meta.has_gps, "{meta:?}");
        assert!(meta.gps.is_some());
        assert_eq!(meta.orientation, Some(6));
        let out = strip(&img).unwrap();
        let after = inspect(&out).unwrap();
        assert!(after.is_clean(), "{after:?}");
        assert_eq!(after.orientation, Some(6), "kept as eXIf");
    }
}

#[test]
fn strip_removes_text_time_and_exif_and_keeps_colour_chunks() {
    let base = png(16, 16);
    let img = png_with(
        &base,
        &[
            (*b"iCCP", b"icc\0\0fake".to_vec()),
            (*b"gAMA", 45455u32.to_be_bytes().to_vec()),
            (*b"pHYs", [0, 0, 11, 19, 0, 0, 11, 19, 1].to_vec()),
            (*b"eXIf", camera_exif(true, None).to_tiff()),
            text_chunk("Comment", "撮影: 神栖市役所前"),
            text_chunk("Author", "Taro"),
            ztxt_chunk("Description", b"city hall"),
            itxt_chunk("XML:com.adobe.xmp", &xmp_packet(true), false),
            (*b"tIME", [7, 232, 5, 1, 10, 0, 0].to_vec()),
            (*b"caBX", b"c2pa manifest".to_vec()),
        ],
    );
    let mut with_trailer = img.clone();
    with_trailer.extend_from_slice(b"trailing bytes");
    let meta = inspect(&with_trailer).unwrap();
    for kind in [
        MetaKind::Exif,
        MetaKind::Gps,
        MetaKind::Comment,
        MetaKind::OwnerName,
        MetaKind::TextChunk,
        MetaKind::Xmp,
        MetaKind::Timestamp,
        MetaKind::OtherMetadata,
        MetaKind::TrailingData,
        MetaKind::IccProfile,
    ] {
        assert!(meta.contains(kind), "{kind:?} missing: {meta:?}");
    }
    let out = strip(&with_trailer).unwrap();
    assert_eq!(
        kinds(&out),
        vec![*b"IHDR", *b"iCCP", *b"gAMA", *b"pHYs", *b"IDAT", *b"IEND"]
    );
    assert_eq!(idat(&out), idat(&img), "IDAT byte-identical");
    assert_eq!(decode(&out), decode(&img));
    let after = inspect(&out).unwrap();
    assert!(after.is_clean(), "{after:?}");
    assert_eq!(after.identifying, vec![MetaKind::IccProfile]);
}

#[test]
fn orientation_is_kept_as_minimal_exif_chunk() {
    let img = png_with(
        &png(8, 8),
        &[(*b"eXIf", camera_exif(false, Some(8)).to_tiff())],
    );
    let out = strip(&img).unwrap();
    assert_eq!(kinds(&out), vec![*b"IHDR", *b"eXIf", *b"IDAT", *b"IEND"]);
    let meta = inspect(&out).unwrap();
    assert_eq!(meta.orientation, Some(8));
    assert_eq!(meta.identifying, vec![MetaKind::Orientation]);
    assert_eq!(strip(&out).unwrap(), out, "idempotent");
    assert_eq!(decode(&out), decode(&img));
}

#[test]
fn plain_png_is_unchanged() {
    let img = png(8, 8);
    assert!(inspect(&img).unwrap().is_clean());
    assert_eq!(strip(&img).unwrap(), img);
}

#[test]
fn bad_crc_is_rejected() {
    let mut img = png_with(&png(4, 4), &[text_chunk("Comment", "x")]);
    // Flip a byte inside the tEXt data (IHDR is 8+25 bytes; tEXt data starts 8 later).
    let at = 8 + 25 + 8;
    img[at] ^= 0x20;
    let err = inspect(&img).unwrap_err();
    assert!(
        matches!(err, MediaError::BadChecksum { chunk, .. } if &chunk == b"tEXt"),
        "{err:?}"
    );
    assert_eq!(err.code(), "media.bad_checksum");
    assert_eq!(strip(&img).unwrap_err(), err);
}

#[test]
fn structural_errors() {
    let img = png(4, 4);
    // Missing IEND.
    let chunks = png_chunks(&img);
    let no_iend = png_from_chunks(&chunks[..chunks.len() - 1]);
    assert_eq!(inspect(&no_iend).unwrap_err().code(), "media.truncated");
    // IHDR not first.
    let mut swapped = chunks.clone();
    swapped.swap(0, 1);
    assert_eq!(
        inspect(&png_from_chunks(&swapped)).unwrap_err().code(),
        "media.missing_image_header"
    );
    // No IDAT.
    let no_idat: Vec<_> = chunks
        .iter()
        .filter(|(k, _)| k != b"IDAT")
        .cloned()
        .collect();
    assert_eq!(
        inspect(&png_from_chunks(&no_idat)).unwrap_err().code(),
        "media.malformed"
    );
    // Hostile length: claims 2 GiB.
    let mut huge = img[..8].to_vec();
    huge.extend_from_slice(&0x7FFF_FFF0u32.to_be_bytes());
    huge.extend_from_slice(b"IHDR");
    assert_eq!(inspect(&huge).unwrap_err().code(), "media.truncated");
}

#[test]
fn compressed_text_bomb_is_bounded() {
    // 6 MiB of zeros compresses to ~6 KiB; the decoder gives up at its 4 MiB cap
    // and reports the chunk as malformed rather than allocating it all.
    let zeros = vec![0u8; 6 << 20];
    let img = png_with(&png(4, 4), &[ztxt_chunk("Raw profile type exif", &zeros)]);
    let meta = inspect(&img).unwrap();
    assert!(meta.contains(MetaKind::Malformed));
    assert!(meta.contains(MetaKind::TextChunk));
    assert!(inspect(&strip(&img).unwrap()).unwrap().is_clean());
}

#[test]
fn many_compressed_chunks_share_one_budget() {
    let bomb = ztxt_chunk("Raw profile type exif", &vec![0u8; 6 << 20]);
    let chunks: Vec<_> = (0..40).map(|_| bomb.clone()).collect();
    let img = png_with(&png(4, 4), &chunks);
    let meta = inspect(&img).unwrap();
    assert!(meta.contains(MetaKind::Malformed));
    assert!(koho_media::fuzzing::check(&img).is_ok());
}

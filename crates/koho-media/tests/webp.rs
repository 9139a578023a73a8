//! WebP inspection and stripping on fixtures built in the test.

mod support;

use koho_media::{ImageFormat, MetaKind, inspect, strip};
use support::*;

fn fourccs(bytes: &[u8]) -> Vec<[u8; 4]> {
    riff_chunks(bytes).into_iter().map(|(k, _)| k).collect()
}

fn vp8x_flags(bytes: &[u8]) -> u8 {
    let chunks = riff_chunks(bytes);
    assert_eq!(&chunks[0].0, b"VP8X");
    chunks[0].1[0]
}

fn riff_size_is_consistent(bytes: &[u8]) -> bool {
    u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize + 8 == bytes.len()
}

#[test]
fn simple_lossless_is_clean_and_unchanged() {
    let img = webp_lossless(16, 16);
    let meta = inspect(&img).unwrap();
    assert_eq!(meta.format, ImageFormat::WebP);
    assert_eq!((meta.width, meta.height), (16, 16));
    assert!(meta.is_clean());
    assert_eq!(strip(&img).unwrap(), img);
}

#[test]
fn exif_and_xmp_gps_are_found_and_stripped() {
    let simple = webp_lossless(16, 8);
    let img = webp_extended(
        &simple,
        16,
        8,
        true,
        Some(&camera_exif(true, None).to_tiff()),
        Some(&xmp_packet(true)),
    );
    let meta = inspect(&img).unwrap();
    assert_eq!((meta.width, meta.height), (16, 8));
    assert!(meta.has_gps);
    let gps = meta.gps.unwrap();
    assert!((gps.latitude - KAMISU_LAT).abs() < 1e-6);
    for kind in [
        MetaKind::Exif,
        MetaKind::Xmp,
        MetaKind::Gps,
        MetaKind::IccProfile,
    ] {
        assert!(meta.contains(kind), "{kind:?}");
    }

    let out = strip(&img).unwrap();
    assert!(riff_size_is_consistent(&out));
    assert_eq!(fourccs(&out), vec![*b"VP8X", *b"ICCP", *b"VP8L"]);
    assert_eq!(
        vp8x_flags(&out),
        0x30,
        "ICC and alpha kept, EXIF and XMP cleared"
    );
    assert_eq!(
        riff_chunks(&out)[2],
        riff_chunks(&simple)[0],
        "bitstream identical"
    );
    assert_eq!(decode(&out), decode(&simple));
    let after = inspect(&out).unwrap();
    assert!(after.is_clean(), "{after:?}");
    assert_eq!(strip(&out).unwrap(), out);
}

#[test]
fn orientation_is_kept_in_extended_format() {
    let simple = webp_lossless(8, 8);
    let img = webp_extended(
        &simple,
        8,
        8,
        false,
        Some(&camera_exif(false, Some(6)).to_tiff()),
        None,
    );
    let out = strip(&img).unwrap();
    assert!(riff_size_is_consistent(&out));
    assert_eq!(fourccs(&out), vec![*b"VP8X", *b"VP8L", *b"EXIF"]);
    assert_eq!(vp8x_flags(&out), 0x18);
    let meta = inspect(&out).unwrap();
    assert_eq!(meta.orientation, Some(6));
    assert_eq!(meta.identifying, vec![MetaKind::Orientation]);
    assert_eq!(strip(&out).unwrap(), out);
    assert_eq!(decode(&out), decode(&simple));
}

#[test]
fn orientation_in_simple_format_upgrades_to_vp8x() {
    // An EXIF chunk without VP8X is not allowed by the spec, but exists in the wild.
    let simple = webp_lossless(8, 4);
    let mut chunks = riff_chunks(&simple);
    chunks.push((*b"EXIF", orientation_exif(true, 3).to_tiff()));
    let img = riff_from_chunks(&chunks);
    let out = strip(&img).unwrap();
    assert!(riff_size_is_consistent(&out));
    assert_eq!(fourccs(&out), vec![*b"VP8X", *b"VP8L", *b"EXIF"]);
    assert_eq!(vp8x_flags(&out), 0x18, "alpha hint taken from VP8L");
    let meta = inspect(&out).unwrap();
    assert_eq!((meta.width, meta.height, meta.orientation), (8, 4, Some(3)));
    assert_eq!(strip(&out).unwrap(), out);
    assert_eq!(decode(&out), decode(&simple));
}

#[test]
fn unknown_chunks_and_trailing_data_are_dropped() {
    let simple = webp_lossless(4, 4);
    let mut chunks = riff_chunks(&simple);
    chunks.insert(0, vp8x(0x10, 4, 4));
    chunks.push((*b"C2PA", b"odd".to_vec()));
    let mut img = riff_from_chunks(&chunks);
    img.extend_from_slice(b"junk after RIFF");
    let meta = inspect(&img).unwrap();
    assert!(meta.contains(MetaKind::OtherMetadata));
    assert!(meta.contains(MetaKind::TrailingData));
    let out = strip(&img).unwrap();
    assert_eq!(fourccs(&out), vec![*b"VP8X", *b"VP8L"]);
    assert!(riff_size_is_consistent(&out));
    assert!(inspect(&out).unwrap().is_clean());
}

#[test]
fn structural_errors() {
    let img = webp_lossless(4, 4);
    // RIFF size larger than the data.
    let mut long = img.clone();
    let size = u32::from_le_bytes(long[4..8].try_into().unwrap()) + 100;
    long[4..8].copy_from_slice(&size.to_le_bytes());
    assert_eq!(inspect(&long).unwrap_err().code(), "media.truncated");
    // Chunk claiming more than the RIFF holds.
    let mut bad = img;
    bad[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(inspect(&bad).unwrap_err().code(), "media.malformed");
    // VP8X without any image data.
    let only_vp8x = riff_from_chunks(&[vp8x(0, 4, 4)]);
    assert_eq!(inspect(&only_vp8x).unwrap_err().code(), "media.malformed");
    // Unknown first chunk.
    let unknown = riff_from_chunks(&[(*b"JUNK", vec![0; 4])]);
    assert_eq!(
        inspect(&unknown).unwrap_err().code(),
        "media.missing_image_header"
    );
    // Empty RIFF.
    assert_eq!(
        inspect(b"RIFF\x04\0\0\0WEBP").unwrap_err().code(),
        "media.missing_image_header"
    );
}

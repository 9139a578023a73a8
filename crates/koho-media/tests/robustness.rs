//! Hostile input: truncation at every length, random bytes, structure-aware
//! mutations. `inspect`/`strip` must return (never panic or hang), and every
//! successful strip must satisfy `fuzzing::check`.

mod support;

use koho_media::{fuzzing, inspect, strip};
use support::*;

fn samples() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = fixtures()
        .into_iter()
        .map(|(name, bytes)| (name.to_owned(), bytes))
        .collect();
    out.push((
        "jpeg-everything".into(),
        jpeg_with(
            &jpeg(8, 8),
            &[
                exif_app1(&camera_exif(true, Some(6)).to_tiff()),
                xmp_app1(&xmp_packet(true)),
                icc_app2(b"icc"),
                segment(0xFE, b"comment"),
            ],
        ),
    ));
    out.push((
        "png-everything".into(),
        png_with(
            &png(8, 8),
            &[
                (*b"iCCP", b"icc\0\0fake".to_vec()),
                itxt_chunk("XML:com.adobe.xmp", &xmp_packet(true), true),
                ztxt_chunk(
                    "Raw profile type exif",
                    &raw_profile_exif(&camera_exif(false, Some(3)).to_tiff()),
                ),
            ],
        ),
    ));
    out.push(("webp-simple".into(), webp_lossless(8, 8)));
    out
}

#[test]
fn every_proper_prefix_is_an_error() {
    for (name, bytes) in samples() {
        assert!(
            fuzzing::check(&bytes).is_ok(),
            "{name}: {:?}",
            fuzzing::check(&bytes)
        );
        for len in 0..bytes.len() {
            let prefix = &bytes[..len];
            let inspected = inspect(prefix);
            let stripped = strip(prefix);
            assert!(
                inspected.is_err(),
                "{name}: prefix of {len} bytes inspected"
            );
            assert!(stripped.is_err(), "{name}: prefix of {len} bytes stripped");
            let code = inspected.unwrap_err().code();
            assert!(
                matches!(code, "media.truncated" | "media.empty"),
                "{name}: prefix of {len} bytes gave {code}"
            );
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(0x6b6f_686f);
    let heads: [&[u8]; 5] = [
        b"",
        b"\xFF\xD8",
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\x40\0\0\0WEBP",
        b"\xFF\xD8\xFF\xE1\x00\x40Exif\0\0II*\0\x08\0\0\0",
    ];
    for round in 0..20_000 {
        let mut data = heads[round % heads.len()].to_vec();
        let len = rng.below(300);
        data.extend(rng.bytes(len));
        assert!(
            fuzzing::check(&data).is_ok(),
            "{data:02x?}: {:?}",
            fuzzing::check(&data)
        );
    }
}

#[test]
fn byte_mutations_of_valid_images_keep_the_contract() {
    let mut rng = Rng::new(42);
    for (name, bytes) in samples() {
        for _ in 0..1500 {
            let mut data = bytes.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(data.len());
                match rng.below(4) {
                    0 => data[at] = rng.byte(),
                    1 => data[at] ^= 1 << rng.below(8),
                    2 => data[at] = [0x00, 0xFF, 0x7F, 0x80][rng.below(4)],
                    _ => {
                        data.remove(at);
                    }
                }
            }
            if let Err(violation) = fuzzing::check(&data) {
                panic!("{name}: {violation}: {data:02x?}");
            }
        }
    }
}

#[test]
fn mutated_exif_inside_valid_containers_keeps_the_contract() {
    // Mutate only the TIFF structure, then wrap it in valid containers so the
    // EXIF parser (not the container walker) sees the damage. PNG gets fresh CRCs.
    let mut rng = Rng::new(7);
    let tiffs = [
        camera_exif(true, Some(6)).to_tiff(),
        camera_exif(false, Some(8)).to_tiff(),
        gps_only_exif(true, None).to_tiff(),
    ];
    let jpeg_base = jpeg(8, 8);
    let png_base = png(8, 8);
    let webp_base = webp_lossless(8, 8);
    for round in 0..3000 {
        let mut tiff = tiffs[round % tiffs.len()].clone();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(tiff.len());
            tiff[at] = match rng.below(3) {
                0 => rng.byte(),
                1 => 0xFF,
                _ => 0,
            };
        }
        let containers = [
            jpeg_with(&jpeg_base, &[exif_app1(&tiff)]),
            png_with(&png_base, &[(*b"eXIf", tiff.clone())]),
            webp_extended(&webp_base, 8, 8, false, Some(&tiff), None),
        ];
        for img in containers {
            let meta = inspect(&img).expect("container is valid");
            if let Err(violation) = fuzzing::check(&img) {
                panic!("{violation}: {tiff:02x?}");
            }
            let _ = meta;
        }
    }
}

#[test]
fn png_chunk_mutations_with_valid_crcs_keep_the_contract() {
    // Byte mutations almost always break a PNG CRC; recompute CRCs so the
    // chunk walker and chunk parsers see the damage.
    let mut rng = Rng::new(99);
    for (name, bytes) in samples().into_iter().filter(|(n, _)| n.contains("png")) {
        let chunks = png_chunks(&bytes);
        let mut accepted = 0;
        for _ in 0..2000 {
            let mut chunks = chunks.clone();
            for _ in 0..1 + rng.below(4) {
                let c = rng.below(chunks.len());
                let (kind, data) = &mut chunks[c];
                match rng.below(5) {
                    0 if !data.is_empty() => {
                        let at = rng.below(data.len());
                        data[at] = rng.byte();
                    }
                    1 if !data.is_empty() => {
                        let at = rng.below(data.len());
                        data.truncate(at);
                    }
                    2 => kind[rng.below(4)] ^= 0x20,
                    3 => {
                        let dup = chunks[c].clone();
                        chunks.insert(rng.below(chunks.len()), dup);
                    }
                    _ => {
                        chunks.remove(c);
                        if chunks.is_empty() {
                            break;
                        }
                    }
                }
            }
            let img = png_from_chunks(&chunks);
            accepted += usize::from(inspect(&img).is_ok());
            if let Err(violation) = fuzzing::check(&img) {
                panic!("{name}: {violation}: {img:02x?}");
            }
        }
        assert!(
            accepted > 200,
            "{name}: mutations mostly rejected ({accepted})"
        );
    }
}

#[test]
fn hostile_lengths_do_not_allocate() {
    // A JPEG APP1 that claims 65535 bytes, a PNG chunk that claims 2 GiB,
    // a RIFF that claims 4 GiB: all are truncation errors, immediately.
    let jpeg = b"\xFF\xD8\xFF\xE1\xFF\xFFExif";
    assert_eq!(inspect(jpeg).unwrap_err().code(), "media.truncated");
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
    png.extend_from_slice(b"IHDR");
    assert_eq!(inspect(&png).unwrap_err().code(), "media.truncated");
    let webp = b"RIFF\xFF\xFF\xFF\xFFWEBPVP8L";
    assert_eq!(inspect(webp).unwrap_err().code(), "media.truncated");
}

#[test]
fn deep_or_cyclic_ifd_chains_terminate() {
    // IFD0 -> Exif IFD -> GPS IFD pointing back to IFD0, and IFD0's next to itself.
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    // IFD0 at 8: two entries (ExifIFD -> 38, GPS -> 8), next -> 8.
    t.extend_from_slice(&[2, 0]);
    t.extend_from_slice(&[0x69, 0x87, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
    t.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 8, 0, 0, 0]);
    t.extend_from_slice(&[8, 0, 0, 0]);
    // Exif IFD at 38: one pointer back to 38 (interop), next 0.
    t.extend_from_slice(&[1, 0]);
    t.extend_from_slice(&[0x05, 0xA0, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
    t.extend_from_slice(&[0, 0, 0, 0]);
    let img = jpeg_with(&jpeg(8, 8), &[exif_app1(&t)]);
    let meta = inspect(&img).unwrap();
    assert!(meta.has_gps, "unreadable GPS IFD is treated as GPS");
    assert!(fuzzing::check(&img).is_ok());
}

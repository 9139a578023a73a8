//! PNG: chunk walking with CRC validation, metadata classification and stripping.
//!
//! Kept chunks are copied verbatim (length, type, data and CRC), so `IDAT`
//! and APNG `fdAT` image data are unchanged.

use crate::crc::crc32;
use crate::error::{malformed, truncated};
use crate::meta::Found;
use crate::{ImageFormat, ImageMeta, MediaError, MetaKind, bytes, inflate, tiff, xmp};

const FORMAT: ImageFormat = ImageFormat::Png;

/// The eight-byte PNG signature.
pub(crate) const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Largest decompressed text chunk examined for metadata.
const TEXT_LIMIT: usize = 4 << 20;
/// Total decompressed text examined per image; beyond it, compressed text
/// chunks are reported as [`MetaKind::Malformed`] without being decompressed.
const TEXT_BUDGET: usize = 16 << 20;

/// Ancillary chunks that describe colour, layout or animation, not the photo's origin.
const KEPT_ANCILLARY: [&[u8; 4]; 16] = [
    b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"cICP", b"mDCV", b"mDCv", b"cLLI", b"cLLi", b"sBIT",
    b"bKGD", b"hIST", b"tRNS", b"sPLT", b"pHYs", b"acTL",
];
/// APNG frame chunks (ancillary by their names, but they carry image data).
const KEPT_FRAMES: [&[u8; 4]; 2] = [b"fcTL", b"fdAT"];

struct Chunk {
    /// Offset of the length field.
    start: usize,
    kind: [u8; 4],
    data: (usize, usize),
    /// Offset just past the CRC.
    end: usize,
}

struct Parsed {
    chunks: Vec<Chunk>,
    width: u32,
    height: u32,
    /// Offset just past IEND's CRC.
    end: usize,
}

fn parse(b: &[u8]) -> Result<Parsed, MediaError> {
    if !b.starts_with(&SIGNATURE) {
        return Err(MediaError::UnknownFormat);
    }
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut dims: Option<(u32, u32)> = None;
    let mut seen_idat = false;
    let mut pos = SIGNATURE.len();
    loop {
        let len = bytes::be32(b, pos).ok_or_else(|| truncated(FORMAT, pos))?;
        if len > 0x7FFF_FFFF {
            return Err(malformed(FORMAT, pos, "chunk length above 2^31-1"));
        }
        let kind: [u8; 4] = b
            .get(pos + 4..pos + 8)
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| truncated(FORMAT, pos + 4))?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(malformed(FORMAT, pos + 4, "invalid chunk type"));
        }
        let data_start = pos + 8;
        let data_end = data_start
            .checked_add(usize::try_from(len).map_err(|_| truncated(FORMAT, pos))?)
            .ok_or_else(|| truncated(FORMAT, pos))?;
        let end = data_end
            .checked_add(4)
            .filter(|&e| e <= b.len())
            .ok_or_else(|| truncated(FORMAT, b.len()))?;
        let data = b.get(data_start..data_end).unwrap_or_default();
        let stored = bytes::be32(b, data_end).ok_or_else(|| truncated(FORMAT, data_end))?;
        if crc32(&[&kind, data]) != stored {
            return Err(MediaError::BadChecksum {
                chunk: kind,
                offset: pos,
            });
        }
        if chunks.is_empty() {
            if &kind != b"IHDR" {
                return Err(MediaError::MissingImageHeader { format: FORMAT });
            }
            let width = bytes::be32(data, 0).unwrap_or(0);
            let height = bytes::be32(data, 4).unwrap_or(0);
            if data.len() != 13
                || width == 0
                || height == 0
                || width > 0x7FFF_FFFF
                || height > 0x7FFF_FFFF
            {
                return Err(malformed(FORMAT, pos, "invalid IHDR"));
            }
            dims = Some((width, height));
        } else if &kind == b"IHDR" {
            return Err(malformed(FORMAT, pos, "second IHDR"));
        }
        seen_idat |= &kind == b"IDAT";
        chunks.push(Chunk {
            start: pos,
            kind,
            data: (data_start, data_end),
            end,
        });
        if &kind == b"IEND" {
            if !seen_idat {
                return Err(malformed(FORMAT, pos, "no IDAT chunk"));
            }
            let (width, height) = dims.ok_or(MediaError::MissingImageHeader { format: FORMAT })?;
            return Ok(Parsed {
                chunks,
                width,
                height,
                end,
            });
        }
        pos = end;
    }
}

/// Whether a chunk survives stripping, recording what it holds.
fn classify(kind: &[u8; 4], data: &[u8], found: &mut Found, budget: &mut usize) -> bool {
    if kind[0].is_ascii_uppercase() {
        // Critical chunks (IHDR, PLTE, IDAT, IEND, or unknown ones that a
        // decoder must understand) are image data.
        return true;
    }
    if kind == b"iCCP" {
        found.add(MetaKind::IccProfile);
    }
    if KEPT_ANCILLARY.contains(&kind) || KEPT_FRAMES.contains(&kind) {
        return true;
    }
    match kind {
        b"eXIf" => tiff::parse_exif(tiff::without_exif_prefix(data), found),
        b"tIME" => found.add(MetaKind::Timestamp),
        b"tEXt" | b"zTXt" | b"iTXt" => {
            found.add(MetaKind::TextChunk);
            match text_chunk(kind, data, budget) {
                Some((keyword, text)) => classify_text(keyword, &text, found),
                None => found.add(MetaKind::Malformed),
            }
        }
        _ => found.add(MetaKind::OtherMetadata),
    }
    false
}

/// Keyword and (decompressed) text of a `tEXt`, `zTXt` or `iTXt` chunk.
/// Decompression draws on `budget`, which bounds the work per image.
fn text_chunk<'a>(
    kind: &[u8; 4],
    data: &'a [u8],
    budget: &mut usize,
) -> Option<(&'a [u8], Vec<u8>)> {
    let nul = data.iter().position(|&c| c == 0)?;
    let keyword = data.get(..nul)?;
    let rest = data.get(nul + 1..)?;
    let text = match kind {
        b"tEXt" => rest.to_vec(),
        b"zTXt" => {
            // compression method byte (0 = zlib), then the stream
            if *rest.first()? != 0 {
                return None;
            }
            decompress(rest.get(1..)?, budget)?
        }
        _ => {
            // iTXt: compression flag, method, language\0, translated keyword\0, text
            let flag = *rest.first()?;
            let method = *rest.get(1)?;
            let after = rest.get(2..)?;
            let lang_end = after.iter().position(|&c| c == 0)?;
            let after = after.get(lang_end + 1..)?;
            let trans_end = after.iter().position(|&c| c == 0)?;
            let text = after.get(trans_end + 1..)?;
            match (flag, method) {
                (0, _) => text.to_vec(),
                (1, 0) => decompress(text, budget)?,
                _ => return None,
            }
        }
    };
    Some((keyword, text))
}

fn decompress(stream: &[u8], budget: &mut usize) -> Option<Vec<u8>> {
    let limit = TEXT_LIMIT.min(*budget);
    let out = inflate::zlib_decompress(stream, limit);
    let produced = match &out {
        Ok(text) => text.len(),
        Err(produced) => *produced,
    };
    *budget = budget.saturating_sub(produced);
    out.ok()
}

fn classify_text(keyword: &[u8], text: &[u8], found: &mut Found) {
    match keyword {
        b"XML:com.adobe.xmp" => xmp::scan(text, found),
        b"Raw profile type xmp" => match raw_profile(text) {
            Some(packet) => xmp::scan(&packet, found),
            None => malformed_block(found, MetaKind::Xmp),
        },
        b"Raw profile type exif" | b"Raw profile type APP1" => match raw_profile(text) {
            Some(exif) => tiff::parse_exif(tiff::without_exif_prefix(&exif), found),
            None => malformed_block(found, MetaKind::Exif),
        },
        b"Raw profile type iptc" | b"Raw profile type 8bim" => found.add(MetaKind::Iptc),
        b"Comment" | b"Description" => found.add(MetaKind::Comment),
        b"Author" => found.add(MetaKind::OwnerName),
        _ => {
            // Any other text may still hold a location; report XMP-style GPS properties.
            if bytes::contains(text, b":GPS") {
                xmp::scan(text, found);
            }
        }
    }
}

fn malformed_block(found: &mut Found, kind: MetaKind) {
    found.add(kind);
    found.add(MetaKind::Malformed);
}

/// Decode an ImageMagick "Raw profile" text: `\n<name>\n<length>\n<hex…>`.
fn raw_profile(text: &[u8]) -> Option<Vec<u8>> {
    let mut lines = text
        .split(|&c| c == b'\n')
        .skip_while(|line| line.iter().all(u8::is_ascii_whitespace));
    let _name = lines.next()?;
    let length_line = lines.next()?;
    let length: usize = std::str::from_utf8(length_line).ok()?.trim().parse().ok()?;
    // Bound by what the text can hold: two hex digits per byte.
    let mut out = Vec::with_capacity(length.min(text.len() / 2));
    let mut high: Option<u8> = None;
    for line in lines {
        for &c in line {
            let Some(nibble) = (c as char).to_digit(16) else {
                if c.is_ascii_whitespace() {
                    continue;
                }
                return None;
            };
            let nibble = u8::try_from(nibble).ok()?;
            match high.take() {
                None => high = Some(nibble),
                Some(h) => {
                    if out.len() == length {
                        return Some(out);
                    }
                    out.push(h << 4 | nibble);
                }
            }
        }
    }
    Some(out)
}

struct Walk {
    parsed: Parsed,
    found: Found,
    keep: Vec<bool>,
}

fn walk(b: &[u8]) -> Result<Walk, MediaError> {
    let parsed = parse(b)?;
    let mut found = Found::default();
    let mut budget = TEXT_BUDGET;
    let keep = parsed
        .chunks
        .iter()
        .map(|c| {
            let data = b.get(c.data.0..c.data.1).unwrap_or_default();
            classify(&c.kind, data, &mut found, &mut budget)
        })
        .collect();
    if parsed.end < b.len() {
        found.add(MetaKind::TrailingData);
    }
    Ok(Walk {
        parsed,
        found,
        keep,
    })
}

pub(crate) fn inspect(b: &[u8]) -> Result<ImageMeta, MediaError> {
    let walk = walk(b)?;
    Ok(walk
        .found
        .into_meta(FORMAT, walk.parsed.width, walk.parsed.height))
}

pub(crate) fn strip(b: &[u8]) -> Result<Vec<u8>, MediaError> {
    let walk = walk(b)?;
    let mut out = Vec::with_capacity(b.len().min(walk.parsed.end) + 64);
    out.extend_from_slice(&SIGNATURE);
    for (i, (chunk, &keep)) in walk.parsed.chunks.iter().zip(&walk.keep).enumerate() {
        if keep {
            out.extend_from_slice(b.get(chunk.start..chunk.end).unwrap_or_default());
        }
        // The minimal eXIf goes right after IHDR.
        if i == 0
            && let Some(orientation) = walk.found.orientation_to_keep()
        {
            write_chunk(
                &mut out,
                b"eXIf",
                &tiff::minimal_orientation_tiff(orientation),
            );
        }
    }
    Ok(out)
}

fn write_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_profile_decoding() {
        let text = b"\nexif\n       8\n45786966000049492a00\n";
        assert_eq!(raw_profile(text).unwrap(), b"Exif\0\0II".to_vec());
        assert_eq!(raw_profile(b"\nexif\nxx\n00").as_deref(), None);
        assert_eq!(raw_profile(b"\nexif\n2\n0g").as_deref(), None);
        assert_eq!(raw_profile(b"\nexif\n99999999999\n00").unwrap(), vec![0]);
    }

    #[test]
    fn text_chunk_forms() {
        let mut budget = TEXT_BUDGET;
        let budget = &mut budget;
        let (k, t) = text_chunk(b"tEXt", b"Comment\0hello", budget).unwrap();
        assert_eq!((k, t.as_slice()), (&b"Comment"[..], &b"hello"[..]));
        let (k, t) = text_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0ja\0\0<x/>", budget).unwrap();
        assert_eq!((k, t.as_slice()), (&b"XML:com.adobe.xmp"[..], &b"<x/>"[..]));
        assert!(text_chunk(b"tEXt", b"no separator", budget).is_none());
        assert!(text_chunk(b"zTXt", b"k\0\x01", budget).is_none());
        assert!(text_chunk(b"iTXt", b"k\0\x01\x00\0\0garbage", budget).is_none());
    }
}

//! WebP (RIFF): chunk walking, metadata classification and stripping.
//!
//! Stripping drops `EXIF`, `XMP ` and unknown chunks, copies the bitstream
//! chunks (`VP8 `, `VP8L`, `ALPH`, `ANMF`) and `ICCP`/`ANIM` verbatim, fixes
//! the VP8X flags and recomputes the RIFF size.

use crate::error::{malformed, truncated};
use crate::meta::Found;
use crate::{ImageFormat, ImageMeta, MediaError, MetaKind, bytes, tiff, xmp};

const FORMAT: ImageFormat = ImageFormat::WebP;

// VP8X flag bits.
const FLAG_ALPHA: u8 = 0x10;
const FLAG_EXIF: u8 = 0x08;
const FLAG_XMP: u8 = 0x04;

const KEPT: [&[u8; 4]; 6] = [b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"];

struct Chunk {
    fourcc: [u8; 4],
    data: (usize, usize),
}

struct Parsed {
    chunks: Vec<Chunk>,
    width: u32,
    height: u32,
    /// Offset just past the RIFF payload.
    end: usize,
}

impl Parsed {
    fn extended(&self) -> bool {
        self.chunks.first().is_some_and(|c| &c.fourcc == b"VP8X")
    }
}

fn parse(b: &[u8]) -> Result<Parsed, MediaError> {
    if !b.starts_with(b"RIFF") || b.get(8..12) != Some(b"WEBP") {
        return Err(MediaError::UnknownFormat);
    }
    let riff_size = bytes::le32(b, 4).ok_or_else(|| truncated(FORMAT, 4))?;
    let end = usize::try_from(riff_size)
        .ok()
        .and_then(|s| s.checked_add(8))
        .ok_or_else(|| truncated(FORMAT, b.len()))?;
    if end > b.len() {
        return Err(truncated(FORMAT, b.len()));
    }
    let mut chunks = Vec::new();
    let mut pos = 12;
    while pos < end {
        if pos + 8 > end {
            return Err(malformed(FORMAT, pos, "chunk header past the RIFF end"));
        }
        let fourcc: [u8; 4] = b
            .get(pos..pos + 4)
            .and_then(|f| f.try_into().ok())
            .ok_or_else(|| truncated(FORMAT, pos))?;
        let size = bytes::le32(b, pos + 4).ok_or_else(|| truncated(FORMAT, pos + 4))?;
        let data_start = pos + 8;
        let data_end = usize::try_from(size)
            .ok()
            .and_then(|s| data_start.checked_add(s))
            .filter(|&e| e <= end)
            .ok_or_else(|| malformed(FORMAT, pos, "chunk past the RIFF end"))?;
        if &fourcc == b"VP8X" && !chunks.is_empty() {
            return Err(malformed(FORMAT, pos, "VP8X chunk not first"));
        }
        chunks.push(Chunk {
            fourcc,
            data: (data_start, data_end),
        });
        // Chunks are padded to even sizes; tolerate a missing final pad byte.
        pos = (data_end + (data_end & 1)).min(end);
    }
    let first = chunks
        .first()
        .ok_or(MediaError::MissingImageHeader { format: FORMAT })?;
    let data = b.get(first.data.0..first.data.1).unwrap_or_default();
    let (width, height) = match &first.fourcc {
        b"VP8X" => {
            let w = bytes::le24(data, 4).ok_or_else(|| malformed(FORMAT, 12, "short VP8X"))?;
            let h = bytes::le24(data, 7).ok_or_else(|| malformed(FORMAT, 12, "short VP8X"))?;
            if !chunks
                .iter()
                .any(|c| matches!(&c.fourcc, b"VP8 " | b"VP8L" | b"ANMF"))
            {
                return Err(malformed(FORMAT, 12, "no image data"));
            }
            (w + 1, h + 1)
        }
        b"VP8 " => vp8_size(data).ok_or_else(|| malformed(FORMAT, 20, "invalid VP8 header"))?,
        b"VP8L" => {
            vp8l_header(data)
                .ok_or_else(|| malformed(FORMAT, 20, "invalid VP8L header"))?
                .0
        }
        _ => return Err(MediaError::MissingImageHeader { format: FORMAT }),
    };
    Ok(Parsed {
        chunks,
        width,
        height,
        end,
    })
}

/// Size from a lossy key frame header.
fn vp8_size(data: &[u8]) -> Option<(u32, u32)> {
    let tag = *data.first()?;
    if tag & 1 != 0 || data.get(3..6)? != [0x9D, 0x01, 0x2A] {
        return None;
    }
    let w = u32::from(bytes::le16(data, 6)? & 0x3FFF);
    let h = u32::from(bytes::le16(data, 8)? & 0x3FFF);
    (w != 0 && h != 0).then_some((w, h))
}

/// Size and alpha hint from a lossless header.
fn vp8l_header(data: &[u8]) -> Option<((u32, u32), bool)> {
    if *data.first()? != 0x2F {
        return None;
    }
    let bits = bytes::le32(data, 1)?;
    let w = (bits & 0x3FFF) + 1;
    let h = ((bits >> 14) & 0x3FFF) + 1;
    Some(((w, h), (bits >> 28) & 1 == 1))
}

fn classify(fourcc: &[u8; 4], data: &[u8], found: &mut Found) -> bool {
    match fourcc {
        b"VP8X" => true,
        b"ICCP" => {
            found.add(MetaKind::IccProfile);
            true
        }
        f if KEPT.contains(&f) => true,
        b"EXIF" => {
            tiff::parse_exif(tiff::without_exif_prefix(data), found);
            false
        }
        b"XMP " => {
            xmp::scan(data, found);
            false
        }
        _ => {
            found.add(MetaKind::OtherMetadata);
            false
        }
    }
}

struct Walk {
    parsed: Parsed,
    found: Found,
    keep: Vec<bool>,
}

fn walk(b: &[u8]) -> Result<Walk, MediaError> {
    let parsed = parse(b)?;
    let mut found = Found::default();
    let keep = parsed
        .chunks
        .iter()
        .map(|c| {
            let data = b.get(c.data.0..c.data.1).unwrap_or_default();
            classify(&c.fourcc, data, &mut found)
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
    let parsed = &walk.parsed;
    let orientation = walk.found.orientation_to_keep();
    let exif_flag = if orientation.is_some() { FLAG_EXIF } else { 0 };
    let mut out = Vec::with_capacity(b.len().min(parsed.end) + 64);
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    if !parsed.extended() && orientation.is_some() {
        // EXIF needs the extended format: add a VP8X describing the bitstream.
        let alpha = parsed
            .chunks
            .first()
            .filter(|c| &c.fourcc == b"VP8L")
            .and_then(|c| vp8l_header(b.get(c.data.0..c.data.1)?))
            .is_some_and(|(_, alpha)| alpha);
        let mut vp8x = [0u8; 10];
        vp8x[0] = exif_flag | if alpha { FLAG_ALPHA } else { 0 };
        vp8x[4..7].copy_from_slice(&parsed.width.saturating_sub(1).to_le_bytes()[..3]);
        vp8x[7..10].copy_from_slice(&parsed.height.saturating_sub(1).to_le_bytes()[..3]);
        write_chunk(&mut out, b"VP8X", &vp8x);
    }
    for (chunk, &keep) in parsed.chunks.iter().zip(&walk.keep) {
        if !keep {
            continue;
        }
        let data = b.get(chunk.data.0..chunk.data.1).unwrap_or_default();
        if &chunk.fourcc == b"VP8X" {
            let mut vp8x = data.to_vec();
            if let Some(flags) = vp8x.first_mut() {
                *flags = (*flags & !(FLAG_EXIF | FLAG_XMP)) | exif_flag;
            }
            write_chunk(&mut out, b"VP8X", &vp8x);
        } else {
            write_chunk(&mut out, &chunk.fourcc, data);
        }
    }
    if let Some(orientation) = orientation {
        write_chunk(
            &mut out,
            b"EXIF",
            &tiff::minimal_orientation_tiff(orientation),
        );
    }
    let riff_size = u32::try_from(out.len() - 8).unwrap_or(u32::MAX);
    if let Some(size) = out.get_mut(4..8) {
        size.copy_from_slice(&riff_size.to_le_bytes());
    }
    Ok(out)
}

fn write_chunk(out: &mut Vec<u8>, fourcc: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitstream_headers() {
        let vp8 = [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x10, 0x00, 0x20, 0x40];
        assert_eq!(vp8_size(&vp8), Some((16, 32)));
        assert_eq!(vp8_size(&vp8[..9]), None);
        let mut not_key = vp8;
        not_key[0] |= 1;
        assert_eq!(vp8_size(&not_key), None);

        let bits: u32 = 15 | (31 << 14) | (1 << 28);
        let mut vp8l = vec![0x2F];
        vp8l.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(vp8l_header(&vp8l), Some(((16, 32), true)));
        assert_eq!(vp8l_header(&[0x2E, 0, 0, 0, 0]), None);
    }
}

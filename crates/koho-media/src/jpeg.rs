//! JPEG: marker walking, metadata classification and stripping.
//!
//! The file is split into marker segments; a scan (SOS) segment extends over
//! its entropy-coded data, including restart markers, up to the next real
//! marker. Stripping re-emits the kept segments verbatim, so entropy-coded
//! data is copied byte for byte.

use crate::error::{malformed, truncated};
use crate::meta::Found;
use crate::{ImageFormat, ImageMeta, MediaError, MetaKind, bytes, tiff, xmp};

const FORMAT: ImageFormat = ImageFormat::Jpeg;

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const DNL: u8 = 0xDC;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP13: u8 = 0xED;
const APP14: u8 = 0xEE;
const APP15: u8 = 0xEF;
const COM: u8 = 0xFE;

const XMP_NS: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXT_NS: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
/// Extended XMP: namespace, 32-byte GUID, 4-byte full length, 4-byte offset.
const XMP_EXT_HEADER: usize = XMP_EXT_NS.len() + 32 + 4 + 4;

/// Length of a JFIF APP0 payload without thumbnail.
const JFIF_LEN: usize = 14;

struct Segment {
    marker: u8,
    /// Offset of the marker code byte (the byte after 0xFF).
    code_at: usize,
    /// Payload after the length field (empty for standalone markers; for SOS
    /// only the scan header, the entropy-coded data follows up to `end`).
    payload: (usize, usize),
    /// End of the segment, including entropy-coded data after SOS.
    end: usize,
}

/// What to do with a segment when stripping.
enum Action {
    Keep,
    /// Keep a JFIF APP0 but drop its thumbnail.
    KeepJfifWithoutThumbnail,
    Drop,
}

struct Parsed {
    segments: Vec<Segment>,
    width: u32,
    height: u32,
    /// Offset just past EOI.
    end: usize,
}

fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

fn is_standalone(marker: u8) -> bool {
    marker == 0x01 || (0xD0..=0xD7).contains(&marker)
}

fn parse(b: &[u8]) -> Result<Parsed, MediaError> {
    if !b.starts_with(&[0xFF, SOI]) {
        return Err(MediaError::UnknownFormat);
    }
    let mut segments = Vec::new();
    let mut frame: Option<(u32, u32)> = None;
    let mut dnl_height: Option<u32> = None;
    let mut seen_scan = false;
    let mut pos = 2;
    loop {
        match b.get(pos) {
            None => return Err(truncated(FORMAT, pos)),
            Some(0xFF) => {}
            Some(_) => return Err(malformed(FORMAT, pos, "expected a marker")),
        }
        // Skip fill bytes.
        let code_at = pos
            + b.get(pos..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&x| x == 0xFF)
                .count();
        let marker = *b.get(code_at).ok_or_else(|| truncated(FORMAT, code_at))?;
        let after = code_at + 1;
        match marker {
            0x00 => return Err(malformed(FORMAT, code_at, "stuffed byte outside a scan")),
            SOI => {
                return Err(malformed(
                    FORMAT,
                    code_at,
                    "start of image inside the image",
                ));
            }
            EOI => {
                segments.push(Segment {
                    marker,
                    code_at,
                    payload: (after, after),
                    end: after,
                });
                if !seen_scan {
                    return Err(malformed(FORMAT, code_at, "end of image before any scan"));
                }
                let (width, mut height) =
                    frame.ok_or(MediaError::MissingImageHeader { format: FORMAT })?;
                if height == 0 {
                    height = dnl_height
                        .filter(|&h| h != 0)
                        .ok_or_else(|| malformed(FORMAT, code_at, "no image height"))?;
                }
                return Ok(Parsed {
                    segments,
                    width,
                    height,
                    end: after,
                });
            }
            m if is_standalone(m) => {
                segments.push(Segment {
                    marker,
                    code_at,
                    payload: (after, after),
                    end: after,
                });
                pos = after;
                continue;
            }
            _ => {}
        }
        let len = usize::from(bytes::be16(b, after).ok_or_else(|| truncated(FORMAT, after))?);
        if len < 2 {
            return Err(malformed(FORMAT, after, "segment length below 2"));
        }
        let seg_end = after + len;
        if seg_end > b.len() {
            return Err(truncated(FORMAT, b.len()));
        }
        let payload = (after + 2, seg_end);
        let body = b.get(payload.0..payload.1).unwrap_or_default();
        let mut end = seg_end;
        if is_sof(marker) && frame.is_none() {
            let height = bytes::be16(body, 1);
            let width = bytes::be16(body, 3);
            match (width, height) {
                (Some(w), Some(h)) if w != 0 => frame = Some((u32::from(w), u32::from(h))),
                _ => return Err(malformed(FORMAT, code_at, "invalid frame header")),
            }
        } else if marker == DNL {
            dnl_height = bytes::be16(body, 0).map(u32::from);
        } else if marker == SOS {
            if frame.is_none() {
                return Err(MediaError::MissingImageHeader { format: FORMAT });
            }
            seen_scan = true;
            end = scan_end(b, seg_end)?;
        }
        segments.push(Segment {
            marker,
            code_at,
            payload,
            end,
        });
        pos = end;
    }
}

/// End of the entropy-coded data starting at `from`: the first 0xFF that is
/// neither a stuffed zero nor a restart marker.
fn scan_end(b: &[u8], from: usize) -> Result<usize, MediaError> {
    let mut at = from;
    loop {
        let rest = b.get(at..).unwrap_or_default();
        let Some(ff) = rest.iter().position(|&x| x == 0xFF) else {
            return Err(truncated(FORMAT, b.len()));
        };
        let ff = at + ff;
        match b.get(ff + 1) {
            None => return Err(truncated(FORMAT, b.len())),
            Some(0x00 | 0xD0..=0xD7) => at = ff + 2,
            Some(_) => return Ok(ff),
        }
    }
}

/// Classify a segment, recording what it holds, and decide its fate.
fn classify(b: &[u8], seg: &Segment, found: &mut Found, extended_xmp: &mut Vec<u8>) -> Action {
    let body = b.get(seg.payload.0..seg.payload.1).unwrap_or_default();
    match seg.marker {
        APP0 if body.starts_with(b"JFIF\0") => {
            if body.len() < JFIF_LEN {
                found.add(MetaKind::Malformed);
                return Action::Drop;
            }
            let has_thumbnail = body.get(12) != Some(&0) && body.get(13) != Some(&0);
            if has_thumbnail {
                found.add(MetaKind::Thumbnail);
            }
            if body.len() == JFIF_LEN && !has_thumbnail {
                Action::Keep
            } else {
                Action::KeepJfifWithoutThumbnail
            }
        }
        APP0 if body.starts_with(b"JFXX\0") => {
            found.add(MetaKind::Thumbnail);
            Action::Drop
        }
        APP1 if body.starts_with(b"Exif\0") => {
            tiff::parse_exif(tiff::without_exif_prefix(body), found);
            Action::Drop
        }
        APP1 if body.starts_with(XMP_NS) => {
            xmp::scan(body.get(XMP_NS.len()..).unwrap_or_default(), found);
            Action::Drop
        }
        APP1 if body.starts_with(XMP_EXT_NS) => {
            found.add(MetaKind::Xmp);
            extended_xmp.extend_from_slice(body.get(XMP_EXT_HEADER..).unwrap_or_default());
            Action::Drop
        }
        APP2 if body.starts_with(b"ICC_PROFILE\0") => {
            found.add(MetaKind::IccProfile);
            Action::Keep
        }
        APP2 if body.starts_with(b"MPF\0") => {
            found.add(MetaKind::MultiPicture);
            Action::Drop
        }
        APP13 => {
            found.add(MetaKind::Iptc);
            Action::Drop
        }
        APP14 if body.starts_with(b"Adobe") => Action::Keep,
        APP0..=APP15 => {
            found.add(MetaKind::OtherMetadata);
            Action::Drop
        }
        COM => {
            found.add(MetaKind::Comment);
            Action::Drop
        }
        _ => Action::Keep,
    }
}

struct Walk {
    parsed: Parsed,
    found: Found,
    actions: Vec<Action>,
}

fn walk(b: &[u8]) -> Result<Walk, MediaError> {
    let parsed = parse(b)?;
    let mut found = Found::default();
    let mut extended_xmp = Vec::new();
    let actions = parsed
        .segments
        .iter()
        .map(|seg| classify(b, seg, &mut found, &mut extended_xmp))
        .collect();
    if !extended_xmp.is_empty() {
        xmp::scan(&extended_xmp, &mut found);
    }
    if parsed.end < b.len() {
        found.add(MetaKind::TrailingData);
    }
    Ok(Walk {
        parsed,
        found,
        actions,
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
    out.extend_from_slice(&[0xFF, SOI]);
    // The minimal EXIF goes right after SOI, or after a leading JFIF APP0
    // (JFIF requires APP0 to come first).
    let mut pending_exif = walk.found.orientation_to_keep();
    for (seg, action) in walk.parsed.segments.iter().zip(&walk.actions) {
        let is_jfif = seg.marker == APP0 && !matches!(action, Action::Drop);
        if !is_jfif && let Some(orientation) = pending_exif.take() {
            out.extend_from_slice(&minimal_exif_segment(orientation));
        }
        match action {
            Action::Drop => {}
            Action::Keep => {
                out.push(0xFF);
                out.extend_from_slice(b.get(seg.code_at..seg.end).unwrap_or_default());
            }
            Action::KeepJfifWithoutThumbnail => {
                let body = b.get(seg.payload.0..seg.payload.1).unwrap_or_default();
                out.extend_from_slice(&[0xFF, APP0, 0, 2 + JFIF_LEN as u8]);
                out.extend_from_slice(body.get(..12).unwrap_or_default());
                out.extend_from_slice(&[0, 0]);
            }
        }
    }
    Ok(out)
}

/// APP1 segment holding `Exif\0\0` and a TIFF structure with only the Orientation tag.
fn minimal_exif_segment(orientation: u16) -> Vec<u8> {
    let tiff = tiff::minimal_orientation_tiff(orientation);
    let len = 2 + 6 + tiff.len();
    let mut seg = vec![0xFF, APP1];
    seg.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&tiff);
    seg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_markers_and_stuffing_stay_in_the_scan() {
        let b = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xD9];
        assert_eq!(scan_end(&b, 0), Ok(7));
        assert!(scan_end(&b[..6], 0).is_err());
        assert!(scan_end(&[0x12, 0xFF], 0).is_err());
    }

    #[test]
    fn minimal_exif_is_well_formed() {
        let seg = minimal_exif_segment(8);
        assert_eq!(
            usize::from(u16::from_be_bytes([seg[2], seg[3]])) + 2,
            seg.len()
        );
        let mut found = Found::default();
        tiff::parse_exif(tiff::without_exif_prefix(&seg[4..]), &mut found);
        assert_eq!(found.orientation, Some(8));
        assert_eq!(found.kinds, vec![MetaKind::Orientation]);
    }
}

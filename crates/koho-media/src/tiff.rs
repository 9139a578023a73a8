//! EXIF (TIFF structure) parsing and the minimal orientation-only EXIF writer.
//!
//! The parser never fails: whatever it cannot read is reported as
//! [`MetaKind::Malformed`]. It follows at most [`MAX_IFDS`] IFDs, never visits
//! one twice, and only slices the input, so hostile offsets and counts cost
//! neither memory nor time.

use crate::bytes;
use crate::meta::Found;
use crate::{GpsPosition, MetaKind};

const MAX_IFDS: usize = 16;

// IFD0 / IFD1
const TAG_IMAGE_DESCRIPTION: u16 = 0x010E;
const TAG_MAKE: u16 = 0x010F;
const TAG_MODEL: u16 = 0x0110;
const TAG_STRIP_OFFSETS: u16 = 0x0111;
const TAG_ORIENTATION: u16 = 0x0112;
const TAG_ARTIST: u16 = 0x013B;
const TAG_JPEG_IF: u16 = 0x0201;
const TAG_XMP: u16 = 0x02BC;
const TAG_IPTC: u16 = 0x83BB;
const TAG_EXIF_IFD: u16 = 0x8769;
const TAG_GPS_IFD: u16 = 0x8825;
const TAG_XP_COMMENT: u16 = 0x9C9C;
const TAG_XP_AUTHOR: u16 = 0x9C9D;
const TAG_DNG_CAMERA_SERIAL: u16 = 0xC62F;
// Exif IFD
const TAG_DATE_TIME_ORIGINAL: u16 = 0x9003;
const TAG_MAKER_NOTE: u16 = 0x927C;
const TAG_USER_COMMENT: u16 = 0x9286;
const TAG_INTEROP_IFD: u16 = 0xA005;
const TAG_IMAGE_UNIQUE_ID: u16 = 0xA420;
const TAG_CAMERA_OWNER: u16 = 0xA430;
const TAG_BODY_SERIAL: u16 = 0xA431;
const TAG_LENS_SERIAL: u16 = 0xA435;
// GPS IFD
const GPS_VERSION: u16 = 0x0000;
const GPS_LAT_REF: u16 = 0x0001;
const GPS_LAT: u16 = 0x0002;
const GPS_LON_REF: u16 = 0x0003;
const GPS_LON: u16 = 0x0004;
const GPS_ALT_REF: u16 = 0x0005;
const GPS_ALT: u16 = 0x0006;

/// Strip the `Exif\0\0` identifier some containers put before the TIFF header.
pub(crate) fn without_exif_prefix(data: &[u8]) -> &[u8] {
    if data.starts_with(b"Exif\0") {
        data.get(6..).unwrap_or_default()
    } else {
        data
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    Little,
    Big,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum IfdKind {
    Ifd0,
    Ifd1,
    Exif,
    Gps,
    Interop,
}

struct Tiff<'a> {
    data: &'a [u8],
    order: Order,
}

/// One IFD entry with its value bytes located (when they are in bounds).
struct Entry<'a> {
    tag: u16,
    typ: u16,
    count: u32,
    value: Option<&'a [u8]>,
}

impl<'a> Tiff<'a> {
    fn u16_at(&self, off: usize) -> Option<u16> {
        match self.order {
            Order::Little => bytes::le16(self.data, off),
            Order::Big => bytes::be16(self.data, off),
        }
    }

    fn u32_at(&self, off: usize) -> Option<u32> {
        match self.order {
            Order::Little => bytes::le32(self.data, off),
            Order::Big => bytes::be32(self.data, off),
        }
    }

    fn u16_in(&self, b: &[u8], off: usize) -> Option<u16> {
        match self.order {
            Order::Little => bytes::le16(b, off),
            Order::Big => bytes::be16(b, off),
        }
    }

    fn u32_in(&self, b: &[u8], off: usize) -> Option<u32> {
        match self.order {
            Order::Little => bytes::le32(b, off),
            Order::Big => bytes::be32(b, off),
        }
    }

    /// Entries of the IFD at `off` and the offset of the next IFD (0 = none).
    /// `None` when the IFD itself is out of bounds.
    fn ifd(&self, off: usize) -> Option<(Vec<Entry<'a>>, u32)> {
        let count = usize::from(self.u16_at(off)?);
        let entries_end = off.checked_add(2 + count * 12)?;
        if entries_end > self.data.len() {
            return None;
        }
        let mut entries = Vec::with_capacity(count);
        for i in 0..count {
            let at = off + 2 + i * 12;
            let tag = self.u16_at(at)?;
            let typ = self.u16_at(at + 2)?;
            let count = self.u32_at(at + 4)?;
            let value = type_size(typ)
                .and_then(|size| usize::try_from(count).ok()?.checked_mul(size))
                .and_then(|len| {
                    if len <= 4 {
                        self.data.get(at + 8..at + 8 + len)
                    } else {
                        let start = usize::try_from(self.u32_at(at + 8)?).ok()?;
                        self.data.get(start..start.checked_add(len)?)
                    }
                });
            entries.push(Entry {
                tag,
                typ,
                count,
                value,
            });
        }
        // A missing next-IFD pointer is tolerated as "no next IFD".
        let next = self.u32_at(entries_end).unwrap_or(0);
        Some((entries, next))
    }

    /// First value of a SHORT or LONG entry.
    fn integer(&self, entry: &Entry<'_>) -> Option<u32> {
        let value = entry.value?;
        match entry.typ {
            3 => self.u16_in(value, 0).map(u32::from),
            4 | 13 => self.u32_in(value, 0),
            _ => None,
        }
    }

    /// RATIONAL values of an entry as `f64`; `None` on a zero denominator.
    fn rationals(&self, entry: &Entry<'_>) -> Option<Vec<f64>> {
        if entry.typ != 5 {
            return None;
        }
        let value = entry.value?;
        let mut out = Vec::new();
        for i in 0..usize::try_from(entry.count).ok()?.min(3) {
            let num = self.u32_in(value, i * 8)?;
            let den = self.u32_in(value, i * 8 + 4)?;
            if den == 0 {
                return None;
            }
            out.push(f64::from(num) / f64::from(den));
        }
        Some(out)
    }
}

fn type_size(typ: u16) -> Option<usize> {
    match typ {
        1 | 2 | 6 | 7 => Some(1),
        3 | 8 => Some(2),
        4 | 9 | 11 | 13 => Some(4),
        5 | 10 | 12 => Some(8),
        _ => None,
    }
}

/// Degrees from degrees/minutes/seconds rationals (1 to 3 of them).
fn dms(parts: &[f64]) -> Option<f64> {
    let deg = parts.first()?
        + parts.get(1).unwrap_or(&0.0) / 60.0
        + parts.get(2).unwrap_or(&0.0) / 3600.0;
    deg.is_finite().then_some(deg)
}

#[derive(Default)]
struct GpsTags {
    lat_ref: Option<u8>,
    lat: Option<f64>,
    lon_ref: Option<u8>,
    lon: Option<f64>,
    alt_below: bool,
    alt: Option<f64>,
}

impl GpsTags {
    fn position(&self) -> Option<GpsPosition> {
        let sign = |r: Option<u8>, neg: u8| if r == Some(neg) { -1.0 } else { 1.0 };
        let latitude = sign(self.lat_ref, b'S') * self.lat?;
        let longitude = sign(self.lon_ref, b'W') * self.lon?;
        if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
            return None;
        }
        let altitude = self
            .alt
            .filter(|a| a.is_finite())
            .map(|a| if self.alt_below { -a } else { a });
        Some(GpsPosition {
            latitude,
            longitude,
            altitude,
        })
    }
}

/// Parse a TIFF-structured EXIF block (without the `Exif\0\0` prefix) and
/// record what it holds in `found`.
pub(crate) fn parse_exif(data: &[u8], found: &mut Found) {
    let order = match data.get(..4) {
        Some(b"II*\0") => Order::Little,
        Some(b"MM\0*") => Order::Big,
        _ => {
            found.add(MetaKind::Exif);
            found.add(MetaKind::Malformed);
            return;
        }
    };
    let tiff = Tiff { data, order };
    let mut queue: Vec<(u32, IfdKind)> = Vec::new();
    if let Some(first) = tiff.u32_at(4) {
        queue.push((first, IfdKind::Ifd0));
    }
    let mut visited: Vec<u32> = Vec::new();
    let mut gps = GpsTags::default();
    let mut beyond_orientation = false;
    let mut malformed = false;
    let mut xmp_scanned = false;

    while let Some((offset, kind)) = queue.pop() {
        if visited.contains(&offset) || visited.len() >= MAX_IFDS {
            malformed = true;
            found.has_gps |= kind == IfdKind::Gps;
            continue;
        }
        visited.push(offset);
        let Some((entries, next)) = usize::try_from(offset).ok().and_then(|o| tiff.ifd(o)) else {
            malformed = true;
            // Conservative: an unreadable GPS IFD counts as GPS.
            found.has_gps |= kind == IfdKind::Gps;
            continue;
        };
        if kind != IfdKind::Ifd0 {
            beyond_orientation = true;
        }
        if kind == IfdKind::Ifd0 && next != 0 {
            queue.push((next, IfdKind::Ifd1));
        }
        if kind == IfdKind::Ifd1 && !entries.is_empty() {
            found.add(MetaKind::Thumbnail);
        }
        for entry in &entries {
            if entry.tag != TAG_ORIENTATION || kind != IfdKind::Ifd0 {
                beyond_orientation = true;
            }
            // Sub-IFD pointers may appear in any IFD.
            let pointer = match entry.tag {
                TAG_EXIF_IFD => Some(IfdKind::Exif),
                TAG_GPS_IFD => Some(IfdKind::Gps),
                TAG_INTEROP_IFD => Some(IfdKind::Interop),
                _ => None,
            };
            if let Some(sub) = pointer {
                match tiff.integer(entry) {
                    Some(target) => queue.push((target, sub)),
                    None => {
                        malformed = true;
                        // Conservative: an unreadable GPS IFD counts as GPS.
                        found.has_gps |= sub == IfdKind::Gps;
                    }
                }
                continue;
            }
            if kind == IfdKind::Gps {
                // Any GPS tag but the version (position, time, area name, …) is location data.
                found.has_gps |= entry.tag != GPS_VERSION;
                record_gps(&tiff, entry, &mut gps);
                continue;
            }
            match entry.tag {
                TAG_ORIENTATION if kind == IfdKind::Ifd0 => match tiff.integer(entry) {
                    Some(v @ 1..=8) => {
                        if found.orientation.is_none() {
                            found.orientation = u16::try_from(v).ok();
                        }
                        found.add(MetaKind::Orientation);
                    }
                    _ => malformed = true,
                },
                TAG_MAKE | TAG_MODEL => found.add(MetaKind::CameraModel),
                TAG_ARTIST | TAG_XP_AUTHOR | TAG_CAMERA_OWNER => found.add(MetaKind::OwnerName),
                TAG_IMAGE_DESCRIPTION | TAG_XP_COMMENT | TAG_USER_COMMENT => {
                    found.add(MetaKind::Comment);
                }
                TAG_DNG_CAMERA_SERIAL | TAG_BODY_SERIAL | TAG_LENS_SERIAL => {
                    found.add(MetaKind::CameraSerial);
                }
                TAG_DATE_TIME_ORIGINAL => found.add(MetaKind::DateTimeOriginal),
                TAG_MAKER_NOTE => found.add(MetaKind::MakerNote),
                TAG_IMAGE_UNIQUE_ID => found.add(MetaKind::ImageUniqueId),
                TAG_IPTC => found.add(MetaKind::Iptc),
                TAG_XMP => match entry.value {
                    // Scan one packet per EXIF block: entries can alias the
                    // same bytes, and rescanning them would cost quadratic time.
                    Some(packet) if !xmp_scanned => {
                        xmp_scanned = true;
                        crate::xmp::scan(packet, found);
                    }
                    Some(_) => found.add(MetaKind::Xmp),
                    None => {
                        found.add(MetaKind::Xmp);
                        malformed = true;
                    }
                },
                TAG_JPEG_IF | TAG_STRIP_OFFSETS if kind == IfdKind::Ifd1 => {
                    found.add(MetaKind::Thumbnail);
                }
                _ => {}
            }
        }
    }

    if found.gps.is_none() {
        found.gps = gps.position();
    }
    if found.has_gps {
        found.add(MetaKind::Gps);
    }
    if beyond_orientation || malformed || visited.is_empty() {
        found.add(MetaKind::Exif);
    }
    if malformed || visited.is_empty() {
        found.add(MetaKind::Malformed);
    }
}

fn record_gps(tiff: &Tiff<'_>, entry: &Entry<'_>, gps: &mut GpsTags) {
    let first_byte = || entry.value.and_then(|v| v.first().copied());
    match entry.tag {
        GPS_VERSION => {}
        GPS_LAT_REF => gps.lat_ref = first_byte(),
        GPS_LON_REF => gps.lon_ref = first_byte(),
        GPS_ALT_REF => gps.alt_below = first_byte() == Some(1),
        // A position tag counts even when its value is unreadable.
        GPS_LAT => {
            gps.lat = Some(
                tiff.rationals(entry)
                    .and_then(|p| dms(&p))
                    .unwrap_or(f64::NAN),
            )
        }
        GPS_LON => {
            gps.lon = Some(
                tiff.rationals(entry)
                    .and_then(|p| dms(&p))
                    .unwrap_or(f64::NAN),
            )
        }
        GPS_ALT => gps.alt = tiff.rationals(entry).and_then(|p| p.first().copied()),
        _ => {}
    }
}

/// A minimal big-endian TIFF structure holding only the Orientation tag:
/// header, one IFD with one SHORT entry, no next IFD (26 bytes).
pub(crate) fn minimal_orientation_tiff(orientation: u16) -> [u8; 26] {
    let o = orientation.to_be_bytes();
    [
        b'M', b'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, // header, IFD0 at 8
        0x00, 0x01, // one entry
        0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, o[0], o[1], 0x00, 0x00, // Orientation
        0x00, 0x00, 0x00, 0x00, // no next IFD
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found_for(data: &[u8]) -> Found {
        let mut found = Found::default();
        parse_exif(data, &mut found);
        found
    }

    #[test]
    fn minimal_tiff_is_orientation_only() {
        let found = found_for(&minimal_orientation_tiff(6));
        assert_eq!(found.orientation, Some(6));
        assert_eq!(found.kinds, vec![MetaKind::Orientation]);
        assert!(!found.has_gps);
    }

    #[test]
    fn bad_header_is_malformed_exif() {
        let found = found_for(b"XX\0*\0\0\0\x08");
        assert!(found.kinds.contains(&MetaKind::Exif));
        assert!(found.kinds.contains(&MetaKind::Malformed));
        let found = found_for(b"");
        assert!(found.kinds.contains(&MetaKind::Malformed));
    }

    #[test]
    fn self_referencing_ifd_chain_terminates() {
        // IFD0 at 8 with zero entries whose next pointer is 8 again.
        let data = b"II*\0\x08\0\0\0\0\0\x08\0\0\0";
        let found = found_for(data);
        assert!(found.kinds.contains(&MetaKind::Malformed));
    }

    #[test]
    fn huge_counts_do_not_allocate() {
        // One entry: MakerNote UNDEFINED with count u32::MAX at offset 0.
        let mut data = b"MM\0*\0\0\0\x08\0\x01".to_vec();
        data.extend_from_slice(&[0x92, 0x7C, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]);
        data.extend_from_slice(&[0, 0, 0, 0]);
        let found = found_for(&data);
        assert!(found.kinds.contains(&MetaKind::MakerNote));
    }

    #[test]
    fn gps_pointer_to_nowhere_still_counts_as_gps() {
        let mut data = b"II*\0\x08\0\0\0\x01\0".to_vec();
        data.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0, 0]);
        data.extend_from_slice(&[0, 0, 0, 0]);
        let found = found_for(&data);
        assert!(found.has_gps);
        assert!(found.gps.is_none());
        assert!(found.kinds.contains(&MetaKind::Gps));
        assert!(found.kinds.contains(&MetaKind::Malformed));
    }

    #[test]
    fn dms_conversion() {
        assert_eq!(dms(&[35.0, 30.0, 0.0]), Some(35.5));
        assert_eq!(dms(&[35.25]), Some(35.25));
        assert_eq!(dms(&[]), None);
    }
}

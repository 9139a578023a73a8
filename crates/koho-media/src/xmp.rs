//! XMP packet scanning: GPS coordinates (`exif:GPSLatitude`/`exif:GPSLongitude`)
//! and textual location properties.
//!
//! XMP is removed wholesale by stripping, so this is only used to report what
//! is present. The scan is a byte search, not an XML parse: it cannot be
//! fooled into missing a property by namespace tricks it does not understand
//! (it errs on the side of reporting).

use crate::bytes;
use crate::meta::Found;
use crate::{GpsPosition, MetaKind};

const LOCATION_PROPERTIES: [&[u8]; 6] = [
    b"photoshop:City",
    b"photoshop:State",
    b"Iptc4xmpCore:Location",
    b"Iptc4xmpExt:Location",
    b"Iptc4xmpExt:City",
    b"Iptc4xmpExt:Sublocation",
];

/// Record an XMP packet (any encoding that keeps ASCII as ASCII) in `found`.
pub(crate) fn scan(packet: &[u8], found: &mut Found) {
    found.add(MetaKind::Xmp);
    if has_gps_property(packet) {
        found.has_gps = true;
        found.add(MetaKind::Gps);
    }
    if LOCATION_PROPERTIES
        .iter()
        .any(|p| bytes::contains(packet, p))
    {
        found.add(MetaKind::Location);
    }
    if found.gps.is_none() {
        let lat = property_value(packet, b"GPSLatitude").and_then(|v| coordinate(v, b'N', b'S'));
        let lon = property_value(packet, b"GPSLongitude").and_then(|v| coordinate(v, b'E', b'W'));
        if let (Some(latitude), Some(longitude)) = (lat, lon)
            && (-90.0..=90.0).contains(&latitude)
            && (-180.0..=180.0).contains(&longitude)
        {
            found.gps = Some(GpsPosition {
                latitude,
                longitude,
                altitude: None,
            });
        }
    }
}

/// Any namespaced `…:GPS…` property other than `GPSVersionID`.
fn has_gps_property(packet: &[u8]) -> bool {
    let mut rest = packet;
    while let Some(at) = bytes::find(rest, b":GPS") {
        let after = rest.get(at + 4..).unwrap_or_default();
        if !after.starts_with(b"VersionID") {
            return true;
        }
        rest = after;
    }
    false
}

/// The value of a simple property written either as an attribute
/// (`name="v"` / `name='v'`) or as an element (`<ns:name>v</ns:name>`).
///
/// Linear time: an unterminated value ends the search instead of being
/// retried at every later occurrence.
fn property_value<'a>(packet: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut rest = packet;
    while let Some(at) = bytes::find(rest, name) {
        let after = rest.get(at + name.len()..)?;
        let trimmed = trim_start(after);
        if let Some(value) = trimmed.strip_prefix(b"=") {
            let value = trim_start(value);
            let quote = *value.first()?;
            if quote == b'"' || quote == b'\'' {
                let body = value.get(1..)?;
                let end = body.iter().position(|&c| c == quote)?;
                return body.get(..end);
            }
        } else if let Some(body) = after.strip_prefix(b">") {
            let end = body.iter().position(|&c| c == b'<')?;
            return body.get(..end);
        }
        rest = after;
    }
    None
}

fn trim_start(b: &[u8]) -> &[u8] {
    let skip = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    b.get(skip..).unwrap_or_default()
}

/// XMP GPSCoordinate: `"DDD,MM,SSk"` or `"DDD,MM.mmk"` (k is the direction),
/// also tolerating plain signed decimal degrees.
fn coordinate(value: &[u8], positive: u8, negative: u8) -> Option<f64> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let (body, sign) = match text.as_bytes().last()?.to_ascii_uppercase() {
        c if c == positive => (text.get(..text.len() - 1)?, 1.0),
        c if c == negative => (text.get(..text.len() - 1)?, -1.0),
        _ => (text, 1.0),
    };
    let mut parts = body.split(',').map(|p| p.trim().parse::<f64>());
    let deg = parts.next()?.ok()?;
    let min = parts.next().transpose().ok()?.unwrap_or(0.0);
    let sec = parts.next().transpose().ok()?.unwrap_or(0.0);
    if parts.next().is_some() {
        return None;
    }
    let value = sign * (deg + min / 60.0 + sec / 3600.0);
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates() {
        assert_eq!(coordinate(b"35,30N", b'N', b'S'), Some(35.5));
        assert_eq!(coordinate(b"35,30,36S", b'N', b'S'), Some(-35.51));
        assert_eq!(
            coordinate(b" 140,39.87E ", b'E', b'W'),
            Some(140.0 + 39.87 / 60.0)
        );
        assert_eq!(coordinate(b"-12.5", b'E', b'W'), Some(-12.5));
        assert_eq!(coordinate(b"", b'E', b'W'), None);
        assert_eq!(coordinate(b"N", b'N', b'S'), None);
        assert_eq!(coordinate(b"1,2,3,4N", b'N', b'S'), None);
        assert_eq!(coordinate(b"\xFF", b'N', b'S'), None);
    }

    #[test]
    fn attribute_and_element_forms() {
        let mut found = Found::default();
        scan(
            br#"<rdf:Description exif:GPSLatitude = "35,53.388N" exif:GPSLongitude='140,39.87E'/>"#,
            &mut found,
        );
        let gps = found.gps.unwrap();
        assert!((gps.latitude - 35.8898).abs() < 1e-9);
        assert!((gps.longitude - 140.6645).abs() < 1e-9);
        assert!(found.has_gps);

        let mut found = Found::default();
        scan(
            b"<exif:GPSLatitude>10,0S</exif:GPSLatitude><exif:GPSLongitude>20,30W</exif:GPSLongitude>",
            &mut found,
        );
        let gps = found.gps.unwrap();
        assert_eq!((gps.latitude, gps.longitude), (-10.0, -20.5));
    }

    #[test]
    fn version_only_is_not_gps_but_city_is_location() {
        let mut found = Found::default();
        scan(
            b"<x exif:GPSVersionID='2.3.0.0' photoshop:City='Kamisu'/>",
            &mut found,
        );
        assert!(!found.has_gps);
        assert!(found.kinds.contains(&MetaKind::Location));
        assert!(found.kinds.contains(&MetaKind::Xmp));
    }

    #[test]
    fn unterminated_values_are_ignored() {
        let mut found = Found::default();
        scan(b"exif:GPSLatitude=\"35,1N", &mut found);
        assert!(found.has_gps);
        assert!(found.gps.is_none());
    }
}

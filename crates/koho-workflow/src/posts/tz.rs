//! Scheduling in the municipality's time zone, whatever the server's `TZ`.
//!
//! `jiff` is used rather than `chrono-tz`: its time-zone database is compiled in (the
//! `tzdb-bundle-always` feature), so a container without `/usr/share/zoneinfo` or with
//! `TZ=UTC` still reads 「6月1日 9時30分」 as 09:30 in Asia/Tokyo, and its civil-time parser
//! rejects impossible dates instead of rolling them over.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use crate::posts::error::PostError;

/// The guideline's time zone (`municipality.timezone`, e.g. `Asia/Tokyo`).
pub fn zone(name: &str) -> Result<TimeZone, PostError> {
    TimeZone::get(name).map_err(|_| PostError::TimeZone(name.to_owned()))
}

/// Unix ms of a local time written `YYYY-MM-DD HH:MM` (or with `T`, or with seconds) in
/// the zone `tz_name`.
pub fn parse_local(input: &str, tz_name: &str) -> Result<i64, PostError> {
    let tz = zone(tz_name)?;
    let text = input.trim().replacen(' ', "T", 1);
    let invalid = |detail: String| PostError::InvalidTime {
        input: input.to_owned(),
        detail,
    };
    let dt: DateTime = text
        .parse()
        .map_err(|e: jiff::Error| invalid(e.to_string()))?;
    let zoned = dt.to_zoned(tz).map_err(|e| invalid(e.to_string()))?;
    Ok(zoned.timestamp().as_millisecond())
}

/// RFC 3339 with the zone's offset, e.g. `2026-06-01T09:30:00+09:00` (Atom dates).
pub fn rfc3339(ms: i64, tz_name: &str) -> Result<String, PostError> {
    let tz = zone(tz_name)?;
    let ts = Timestamp::from_millisecond(ms).map_err(|e| PostError::InvalidTime {
        input: ms.to_string(),
        detail: e.to_string(),
    })?;
    Ok(ts.to_zoned(tz).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
}

/// `2026-06-01 09:30` in the zone, for people.
pub fn local_minute(ms: i64, tz_name: &str) -> Result<String, PostError> {
    let tz = zone(tz_name)?;
    let ts = Timestamp::from_millisecond(ms).map_err(|e| PostError::InvalidTime {
        input: ms.to_string(),
        detail: e.to_string(),
    })?;
    Ok(ts.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokyo_local_time_whatever_the_server_zone() {
        // 2026-06-01 09:30 JST is 00:30 UTC.
        let ms = parse_local("2026-06-01 09:30", "Asia/Tokyo").unwrap();
        assert_eq!(ms, 1_780_273_800_000);
        assert_eq!(
            rfc3339(ms, "Asia/Tokyo").unwrap(),
            "2026-06-01T09:30:00+09:00"
        );
        assert_eq!(local_minute(ms, "Asia/Tokyo").unwrap(), "2026-06-01 09:30");
        assert_eq!(
            parse_local("2026-06-01T09:30:00", "Asia/Tokyo").unwrap(),
            ms
        );
    }

    #[test]
    fn bad_times_are_refused() {
        for bad in ["2026-02-30 09:00", "tomorrow", "2026-06-01 25:00", ""] {
            let e = parse_local(bad, "Asia/Tokyo").unwrap_err();
            assert_eq!(e.code(), "POST_INVALID_TIME", "{bad}");
        }
        assert_eq!(
            parse_local("2026-06-01 09:00", "Mars/Olympus")
                .unwrap_err()
                .code(),
            "POST_TIME_ZONE"
        );
    }
}

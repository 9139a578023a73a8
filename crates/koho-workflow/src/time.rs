//! Dates without a clock: every workflow takes `now` (Unix milliseconds) from its caller.
//! Dates are shown in Japan Standard Time (UTC+9, no daylight saving).

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
const JST_OFFSET_MS: i64 = 9 * 3_600_000;

/// `ms` plus `days` days.
pub fn add_days(ms: i64, days: u32) -> i64 {
    ms.saturating_add(i64::from(days).saturating_mul(DAY_MS))
}

/// Civil date (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day count since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The JST calendar date of `ms`.
pub fn jst_date(ms: i64) -> (i64, u32, u32) {
    civil_from_days((ms + JST_OFFSET_MS).div_euclid(DAY_MS))
}

/// Unix ms of 00:00 JST on a date.
pub fn jst_midnight(y: i64, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d) * DAY_MS - JST_OFFSET_MS
}

/// `2025-06-01` (JST).
pub fn iso_date(ms: i64) -> String {
    let (y, m, d) = jst_date(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2025-06-01 09:30` (JST).
pub fn iso_minute(ms: i64) -> String {
    let local = ms + JST_OFFSET_MS;
    let minutes = local.rem_euclid(DAY_MS) / 60_000;
    format!("{} {:02}:{:02}", iso_date(ms), minutes / 60, minutes % 60)
}

/// `令和7年6月1日` (JST; 令和 from 2019-05-01, 平成 before).
pub fn wareki_date(ms: i64) -> String {
    let (y, m, d) = jst_date(ms);
    if (y, m) >= (2019, 5) {
        let n = y - 2018;
        let year = if n == 1 {
            "元".to_owned()
        } else {
            n.to_string()
        };
        format!("令和{year}年{m}月{d}日")
    } else if y >= 1989 {
        let n = y - 1988;
        let year = if n == 1 {
            "元".to_owned()
        } else {
            n.to_string()
        };
        format!("平成{year}年{m}月{d}日")
    } else {
        format!("{y}年{m}月{d}日")
    }
}

/// Parses `YYYY-MM-DD` as 00:00 JST.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(jst_midnight(y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let ms = jst_midnight(2025, 6, 1);
        assert_eq!(iso_date(ms), "2025-06-01");
        assert_eq!(wareki_date(ms), "令和7年6月1日");
        assert_eq!(wareki_date(jst_midnight(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(wareki_date(jst_midnight(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(iso_date(add_days(ms, 30)), "2025-07-01");
        assert_eq!(parse_date("2024-02-29"), Some(jst_midnight(2024, 2, 29)));
        assert_eq!(iso_minute(ms + 9 * 60_000 + 3_600_000), "2025-06-01 01:09");
        assert_eq!(parse_date("2024-13-01"), None);
    }
}

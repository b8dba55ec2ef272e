//! The clock. Every date onus writes or compares is UTC. `--now` (or `ONUS_NOW`) fixes the clock for tests and
//! reproducible reports; `ONUS_TODAY=YYYY-MM-DD` is the older, date-only form.

use std::sync::OnceLock;

static FIXED: OnceLock<String> = OnceLock::new();

/// Fix the clock for this run (`--now`). Accepts `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ`; false when it is
/// neither.
pub fn fix(now: &str) -> bool {
    match normalize(now) {
        Some(n) => {
            let _ = FIXED.set(n);
            true
        }
        None => false,
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[Z|+00:00]` as `YYYY-MM-DDTHH:MM:SSZ`.
fn normalize(s: &str) -> Option<String> {
    let s = s.trim();
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, t.trim_end_matches('Z').trim_end_matches("+00:00")),
        None => (s, "00:00:00"),
    };
    if !onus_core::catalog::valid_date(date) {
        return None;
    }
    let parts: Vec<&str> = time.split(':').collect();
    let ok = parts.len() == 3
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[0] < "24"
        && parts[1] < "60"
        && parts[2] < "60";
    ok.then(|| format!("{date}T{time}Z"))
}

/// Now, as RFC 3339 in UTC (`2026-11-29T10:00:00Z`).
pub fn now() -> String {
    if let Some(n) = FIXED.get() {
        return n.clone();
    }
    for var in ["ONUS_NOW", "ONUS_TODAY"] {
        if let Some(n) = std::env::var(var).ok().as_deref().and_then(normalize) {
            return n;
        }
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let t = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// Today's date, YYYY-MM-DD (UTC).
pub fn today() -> String {
    now()[..10].to_string()
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (the date part of a timestamp is enough).
pub fn days(date: &str) -> Option<i64> {
    let date = date.get(..10)?;
    if !onus_core::catalog::valid_date(date) {
        return None;
    }
    let y: i64 = date[..4].parse().ok()?;
    let m: i64 = date[5..7].parse().ok()?;
    let d: i64 = date[8..10].parse().ok()?;
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The date `n` days after `date`.
pub fn add_days(date: &str, n: i64) -> Option<String> {
    let (y, m, d) = civil_from_days(days(date)? + n);
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_day_numbers() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_785), (2026, 11, 28));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(days("2026-11-28"), Some(20_785));
        assert_eq!(days("2000-02-29T10:00:00Z"), Some(11_016));
        for n in [-1000, 0, 59, 60, 11_016, 20_785, 50_000] {
            let (y, m, d) = civil_from_days(n);
            assert_eq!(days(&format!("{y:04}-{m:02}-{d:02}")), Some(n));
        }
        assert_eq!(add_days("2026-11-28", 90).as_deref(), Some("2027-02-26"));
        assert_eq!(days("2026-02-30"), None);
    }

    #[test]
    fn fixed_times_are_normalized_to_utc() {
        assert_eq!(
            normalize("2026-11-29").as_deref(),
            Some("2026-11-29T00:00:00Z")
        );
        assert_eq!(
            normalize("2026-11-29T08:30:00+00:00").as_deref(),
            Some("2026-11-29T08:30:00Z")
        );
        assert_eq!(normalize("2026-11-29T25:00:00Z"), None);
        assert_eq!(normalize("yesterday"), None);
    }
}

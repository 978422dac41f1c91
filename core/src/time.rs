//! Timestamps as the system stores and sends them (RFC 3339, UTC), read into seconds
//! since the Unix epoch for durations, timelines and "12 s ago". Hand-written so the
//! browser's WASM carries no date library.

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; the fraction is dropped.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let (month, day) = (digits(&b[5..7])?, digits(&b[8..10])?);
        let (hour, minute, second) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let mut rest = &b[19..];
        if rest.first() == Some(&b'.') {
            let fraction = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if fraction == 0 {
                return None;
            }
            rest = &rest[1 + fraction..];
        }
        let offset = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let minutes = digits(&[*h1, *h2])? * 60 + digits(&[*m1, *m2])?;
                if *sign == b'+' {
                    minutes * 60
                } else {
                    -minutes * 60
                }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        Some(Self(days * 86_400 + hour * 3_600 + minute * 60 + second - offset))
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, as the server writes timestamps.
    pub fn to_rfc3339(self) -> String {
        let (days, secs) = (self.0.div_euclid(86_400), self.0.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3_600, secs % 3_600 / 60, secs % 60)
    }

    /// The day it falls on (UTC), as days since the epoch.
    pub fn day(self) -> i64 {
        self.0.div_euclid(86_400)
    }

    /// `YYYY-MM-DD` of a day since the epoch.
    pub fn date_of_day(day: i64) -> String {
        let (year, month, day) = civil_from_days(day);
        format!("{year:04}-{month:02}-{day:02}")
    }
}

fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0i64, |n, c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
}

// Howard Hinnant's days-from-civil: exact for the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// A duration in the fewest words: `12 s`, `5 min`, `3 h`, `2 d`.
pub fn short_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3_599 => format!("{} min", s / 60),
        3_600..=86_399 => format!("{} h", s / 3_600),
        _ => format!("{} d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn reads_what_the_server_and_docker_write() {
        assert_eq!(UnixTime::parse("1970-01-01T00:00:00Z"), Some(UnixTime(0)));
        assert_eq!(UnixTime::parse("2026-12-02T10:31:02Z").unwrap().0, 1_796_207_462);
        assert_eq!(UnixTime::parse("2026-12-02T10:31:02.123456789Z").unwrap().0, 1_796_207_462);
        assert_eq!(UnixTime::parse("2026-12-02T11:31:02+01:00").unwrap().0, 1_796_207_462);
        assert_eq!(UnixTime::parse("0001-01-01T00:00:00Z").map(|t| t.0 < 0), Some(true));
        for bad in ["", "2026-12-02", "2026-13-02T10:31:02Z", "2026-12-02T10:31:02", "2026-12-02T10:31:02.Z"] {
            assert_eq!(UnixTime::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_read_short() {
        assert_eq!(short_duration(12), "12 s");
        assert_eq!(short_duration(125), "2 min");
        assert_eq!(short_duration(7_300), "2 h");
        assert_eq!(short_duration(200_000), "2 d");
        assert_eq!(short_duration(-5), "0 s");
    }

    proptest! {
        #[test]
        fn formatting_round_trips(secs in -62_135_596_800i64..253_402_300_799) {
            let time = UnixTime(secs);
            prop_assert_eq!(UnixTime::parse(&time.to_rfc3339()), Some(time));
            prop_assert_eq!(UnixTime::date_of_day(time.day()), time.to_rfc3339()[..10].to_owned());
        }
    }
}

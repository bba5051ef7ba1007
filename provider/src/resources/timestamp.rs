//! Timestamps as people write them in `valid_until` and as PostgreSQL prints them, compared by
//! the instant they name: `2030-01-01T00:00:00Z` (RFC 3339, what users write) and
//! `2030-01-01 00:00:00+00` (what the server prints in UTC) are the same value, so neither a
//! plan nor a refresh shows a diff between them.
//!
//! Deliberately narrow: a date, optionally a time of day, optionally a UTC offset, or
//! `infinity`. PostgreSQL accepts much more (`tomorrow`, `epoch`, month names), but those either
//! drift (`tomorrow` moves) or are ambiguous to a reader; rejecting them at plan time beats
//! surprising values in the catalog.

/// A point in time, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instant {
    /// Microseconds since 1970-01-01 00:00:00 UTC (PostgreSQL's resolution).
    At(i64),
    /// `infinity`: the same as no expiry at all.
    Never,
}

/// The value's meaning, or `None` when it is not in one of the accepted forms. A value without
/// an offset is taken as UTC (the provider's sessions run with `TimeZone = 'UTC'`).
pub fn parse(text: &str) -> Option<Instant> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("infinity") {
        return Some(Instant::Never);
    }
    let mut s = Scanner(text.as_bytes());
    let year = s.digits(4, 4)?;
    s.expect(b'-')?;
    let month = s.digits(2, 2)?;
    s.expect(b'-')?;
    let day = s.digits(2, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let (mut hour, mut minute, mut second, mut micros) = (0, 0, 0, 0);
    if matches!(s.peek(), Some(b'T' | b't' | b' ')) {
        s.skip();
        hour = s.digits(2, 2)?;
        s.expect(b':')?;
        minute = s.digits(2, 2)?;
        if s.peek() == Some(b':') {
            s.skip();
            second = s.digits(2, 2)?;
            if s.peek() == Some(b'.') {
                s.skip();
                micros = s.fraction_micros()?;
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
    }
    let offset_secs = s.offset()?;
    if !s.0.is_empty() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(Instant::At(secs * 1_000_000 + micros))
}

/// True when both texts parse and name the same instant.
pub fn same_instant(a: &str, b: &str) -> bool {
    matches!((parse(a), parse(b)), (Some(x), Some(y)) if x == y)
}

/// What a `valid_until` validator says about a value it rejects.
pub const EXPECTED_FORM: &str =
    "a timestamp like \"2030-01-01T00:00:00Z\" (RFC 3339; a date, or a \
     date and time with an optional UTC offset) or \"infinity\"";

struct Scanner<'a>(&'a [u8]);

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    fn skip(&mut self) {
        self.0 = &self.0[1..];
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.skip())
    }

    /// A run of `min..=max` ASCII digits as a number.
    fn digits(&mut self, min: usize, max: usize) -> Option<i64> {
        let n = self
            .0
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n < min {
            return None;
        }
        let value = self.0[..n]
            .iter()
            .fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
        self.0 = &self.0[n..];
        Some(value)
    }

    /// Digits after the decimal point, as microseconds (extra digits are truncated, as
    /// PostgreSQL rounds to microseconds; a difference below that is not a difference).
    fn fraction_micros(&mut self) -> Option<i64> {
        let n = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let mut micros = 0;
        for i in 0..6 {
            let digit = self
                .0
                .get(i)
                .filter(|_| i < n)
                .map_or(0, |b| i64::from(b - b'0'));
            micros = micros * 10 + digit;
        }
        self.0 = &self.0[n..];
        Some(micros)
    }

    /// `Z`, `+HH`, `+HHMM`, `+HH:MM` (or `-`), optionally after a space; nothing means UTC.
    fn offset(&mut self) -> Option<i64> {
        if self.peek() == Some(b' ') {
            self.skip();
        }
        let sign = match self.peek() {
            None => return Some(0),
            Some(b'Z' | b'z') => {
                self.skip();
                return Some(0);
            }
            Some(b'+') => 1,
            Some(b'-') => -1,
            Some(_) => return None,
        };
        self.skip();
        let hours = self.digits(2, 2)?;
        if self.peek() == Some(b':') {
            self.skip();
        }
        let minutes = if self.peek().is_some() {
            self.digits(2, 2)?
        } else {
            0
        };
        if hours > 15 || minutes > 59 {
            return None;
        }
        Some(sign * (hours * 3600 + minutes * 60))
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (counting whole 400-year eras, in which
/// the calendar repeats, then the days within the era from a March-based year so that the leap
/// day falls last).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let march_month = (month + 9) % 12;
    let day_of_year = (153 * march_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_server_forms_are_the_same_instant() {
        assert!(same_instant(
            "2030-01-01T00:00:00Z",
            "2030-01-01 00:00:00+00"
        ));
        assert!(same_instant("2030-01-01", "2030-01-01 00:00:00+00"));
        assert!(same_instant(
            "2030-01-01T02:30:00+02:30",
            "2030-01-01 00:00:00+00"
        ));
        assert!(same_instant(
            "2031-06-01 12:00:00+00",
            "2031-06-01T12:00:00.000Z"
        ));
        assert!(same_instant(
            "2030-01-01T00:00:00.5Z",
            "2030-01-01 00:00:00.5+00"
        ));
        assert!(same_instant("infinity", "Infinity"));
        assert!(!same_instant(
            "2030-01-01T00:00:01Z",
            "2030-01-01 00:00:00+00"
        ));
        assert!(!same_instant("infinity", "2030-01-01"));
    }

    #[test]
    fn epoch_arithmetic_is_right() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(Instant::At(0)));
        assert_eq!(
            parse("2000-03-01T00:00:00Z"),
            Some(Instant::At(951_868_800 * 1_000_000))
        );
        assert_eq!(
            parse("2024-02-29T12:00:00-01:00"),
            Some(Instant::At(1_709_211_600 * 1_000_000))
        );
    }

    #[test]
    fn rejects_what_would_drift_or_confuse() {
        for bad in [
            "next tuesday",
            "tomorrow",
            "2030-13-01",
            "2030-02-30",
            "2030-01-01T25:00:00Z",
            "2030-01-01T00:00:00Q",
            "2030-1-1",
            "",
            "2030-01-01T00:00:00Zjunk",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}

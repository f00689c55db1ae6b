//! `Retry-After`: either delay-seconds (`120`) or an HTTP-date (IMF-fixdate,
//! `Sun, 06 Nov 1994 08:49:37 GMT`), turned into milliseconds to wait from `now`.
//! Parsed by hand to keep date libraries out of the wasm.

/// The wait a `Retry-After` value asks for, in ms from `now` (epoch ms). `None` when the
/// value is neither form. A date in the past gives 0. Capped at one day so a bad header
/// cannot stall a client beyond its own deadline handling.
pub fn retry_after_ms(value: &str, now: u64) -> Option<u64> {
    const CAP: u64 = 24 * 3600 * 1000;
    let v = crate::text::trim(value);
    if crate::text::all_digits(v) {
        let secs = crate::text::digits(v).unwrap_or(u64::MAX);
        // `min` before the product: `saturating_mul` links 128-bit multiplication.
        return Some(secs.min(CAP / 1000) * 1000);
    }
    let at = http_date_ms(v)?;
    Some(at.saturating_sub(now).min(CAP))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into epoch ms.
pub fn http_date_ms(s: &str) -> Option<u64> {
    // After the weekday's comma every field has a fixed width, so each sits at a fixed
    // place: read by index rather than split (issue 7: the splitting cost the wasm ≈ 0.4 KB).
    let rest = crate::text::cut(crate::text::trim(s), b',')?.1.as_bytes();
    const SHAPE: &[u8; 25] = b" 00 *** 0000 00:00:00 GMT";
    if rest.len() != SHAPE.len() {
        return None;
    }
    for i in 0..SHAPE.len() {
        let (b, want) = (rest[i], SHAPE[i]);
        let ok = match want {
            b'0' => b.is_ascii_digit(),
            b'*' => true, // the month's name, looked up below
            _ => b == want,
        };
        if !ok {
            return None;
        }
    }
    let num = |from: usize, to: usize| {
        let mut n = 0;
        for &d in &rest[from..to] {
            n = n * 10 + u64::from(d - b'0');
        }
        n
    };
    const MONTHS: &[u8; 36] = b"JanFebMarAprMayJunJulAugSepOctNovDec";
    // Plain loops here (the shape, the numbers, the month): `zip`, `fold` and
    // `chunks().position` cost the wasm ≈ 0.3 KB more (issue 7).
    let (mut month, mut at) = (1, 0);
    while MONTHS.get(at..at + 3)? != &rest[4..7] {
        (month, at) = (month + 1, at + 3);
    }
    let (day, year, h, m, sec) = (num(1, 3), num(8, 12), num(13, 15), num(16, 18), num(19, 21));
    if !(1..=31).contains(&day) || year < 1970 || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + h) * 60 + m) * 60 * 1000 + sec * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (year ≥ 1970), after Howard Hinnant's
/// `days_from_civil`.
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split-based parser the fixed-place one replaced.
    fn old_http_date_ms(s: &str) -> Option<u64> {
        let rest = crate::text::cut(s.trim(), b',')?.1.strip_prefix(" ")?;
        let mut it = crate::text::split(rest, b' ');
        let day: u64 = old_num(it.next()?, 2)?;
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let name = it.next()?;
        let month = MONTHS.iter().position(|m| *m == name)? as u64 + 1;
        let year: u64 = old_num(it.next()?, 4)?;
        let mut hms = crate::text::split(it.next()?, b':');
        let h: u64 = old_num(hms.next()?, 2)?;
        let m: u64 = old_num(hms.next()?, 2)?;
        let sec: u64 = old_num(hms.next()?, 2)?;
        if it.next()? != "GMT" || it.next().is_some() || hms.next().is_some() {
            return None;
        }
        if !(1..=31).contains(&day) || year < 1970 || h > 23 || m > 59 || sec > 60 {
            return None;
        }
        let days = days_from_civil(year, month, day);
        Some(((days * 24 + h) * 60 + m) * 60 * 1000 + sec * 1000)
    }

    fn old_num(s: &str, width: usize) -> Option<u64> {
        if s.len() != width {
            return None;
        }
        crate::text::digits(s)
    }

    #[test]
    fn seconds() {
        assert_eq!(retry_after_ms("3", 0), Some(3000));
        assert_eq!(retry_after_ms(" 0 ", 0), Some(0));
        assert_eq!(
            retry_after_ms("99999999999999999999999", 0),
            Some(24 * 3600 * 1000)
        );
        assert_eq!(retry_after_ms("-1", 0), None);
        assert_eq!(retry_after_ms("1.5", 0), None);
        assert_eq!(retry_after_ms("", 0), None);
    }

    #[test]
    fn dates() {
        assert_eq!(
            http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000)
        );
        assert_eq!(http_date_ms("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            http_date_ms("Wed, 25 Nov 2026 19:00:00 GMT"),
            Some(1_795_633_200_000)
        );
        assert_eq!(
            http_date_ms("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400_000)
        );
        let now = 784_111_777_000 - 2500;
        assert_eq!(
            retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(2500)
        );
        assert_eq!(
            retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", now + 10_000),
            Some(0)
        );
        for bad in [
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
        ] {
            assert_eq!(http_date_ms(bad), None, "{bad}");
        }
    }

    /// The fixed-place parser accepts exactly what the split-based one did, with the
    /// same result, on dates with every byte (or two) changed, cut or repeated.
    #[test]
    fn same_as_split_parser() {
        let good = "Tue, 29 Feb 2028 12:34:56 GMT";
        let bytes: Vec<u8> = " ,:0123456789aAGMTJanDecü-".bytes().collect();
        let mut r = crate::rng::SplitMix64::new(5);
        let mut samples = vec![
            good.to_owned(),
            format!(" {good} "),
            good.replace("Tue, ", ","),
        ];
        for i in 0..good.len() {
            let mut cut = good.as_bytes().to_vec();
            cut.remove(i);
            samples.push(String::from_utf8_lossy(&cut).into_owned());
            let mut twice = good.as_bytes().to_vec();
            twice.insert(i, good.as_bytes()[i]);
            samples.push(String::from_utf8_lossy(&twice).into_owned());
        }
        for _ in 0..50_000 {
            let mut t = good.as_bytes().to_vec();
            for _ in 0..=(r.next_u64() % 2) {
                let at = (r.next_u64() % t.len() as u64) as usize;
                t[at] = bytes[(r.next_u64() % bytes.len() as u64) as usize];
            }
            samples.push(String::from_utf8_lossy(&t).into_owned());
        }
        let mut accepted = 0;
        for s in &samples {
            let want = old_http_date_ms(s);
            accepted += usize::from(want.is_some());
            assert_eq!(http_date_ms(s), want, "{s:?}");
        }
        assert!(accepted > 1000, "{accepted}");
    }
}

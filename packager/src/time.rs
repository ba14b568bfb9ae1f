//! Timestamps as packages write them.

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, checked by shape and field ranges.
pub(crate) fn is_rfc3339(value: &str) -> bool {
    let bytes = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = value.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let shape = bytes.len() >= 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b'T' | b't')
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !shape {
        return false;
    }
    let fields = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    );
    let (Some(_), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = fields else {
        return false;
    };
    let in_range = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60;
    let mut rest = &value[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return false;
        }
        rest = &fraction[len..];
    }
    let zone_ok = matches!(rest, "Z" | "z")
        || (rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':'
            && rest[1..3].bytes().all(|b| b.is_ascii_digit())
            && rest[4..6].bytes().all(|b| b.is_ascii_digit()));
    in_range && zone_ok
}

#[cfg(test)]
mod tests {
    use super::is_rfc3339;

    #[test]
    fn timestamps() {
        for good in ["2026-05-01T12:00:00Z", "2026-05-01T12:00:00.123+02:00"] {
            assert!(is_rfc3339(good), "{good}");
        }
        for bad in [
            "2026-05-01",
            "2026-13-01T12:00:00Z",
            "2026-05-01T12:00:00",
            "2026-05-01 12:00:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn field_ranges_are_inclusive_where_the_standard_says() {
        for good in [
            "2026-01-01T00:00:00Z",
            "2026-12-31T23:59:59z",
            "2026-06-30T23:59:60Z",
            "2026-05-01t12:00:00Z",
            "2026-05-01T12:00:00.5Z",
            "2026-05-01T12:00:00-09:30",
            "0000-05-01T12:00:00+00:00",
        ] {
            assert!(is_rfc3339(good), "{good}");
        }
        for bad in [
            "2026-00-01T12:00:00Z",
            "2026-13-01T12:00:00Z",
            "2026-05-00T12:00:00Z",
            "2026-05-32T12:00:00Z",
            "2026-05-01T24:00:00Z",
            "2026-05-01T12:60:00Z",
            "2026-05-01T12:00:61Z",
            "2026-05-01T12:00:00.Z",
            "2026-05-01T12:00:00.5",
            "2026-05-01T12:00:00+0200",
            "2026-05-01T12:00:00+02-00",
            "2026-05-01T12:00:00*02:00",
            "2026-05-01T12:00:00+a2:00",
            "2026-05-01T12:00:00+02:0a",
            "2026-05-01T12:00:00ZZ",
            "2026/05-01T12:00:00Z",
            "2026-05/01T12:00:00Z",
            "2026-05-01T12-00:00Z",
            "2026-05-01T12:00-00Z",
            "20a6-05-01T12:00:00Z",
            "2026-0a-01T12:00:00Z",
            "2026-05-0aT12:00:00Z",
            "2026-05-01T1a:00:00Z",
            "2026-05-01T12:0a:00Z",
            "2026-05-01T12:00:0aZ",
            "+026-05-01T12:00:00Z",
            "2026-05-01T12:00:0Z",
            "",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}

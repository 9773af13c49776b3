//! The values of every reader: the missing tokens ([`MISSING_TOKENS`]), the number grammar
//! ([`parse_number`], and [`parse_decimal_comma`] for a decimal comma), and the numbers read
//! straight from a field's bytes, the fast paths of every CSV reader: exact (the same `f64` as
//! the full parser) or `None`, which sends the field down the general path.

/// A field that is a number written plainly (no spaces, not NaN or infinity), read straight
/// from its bytes: plain decimals exactly by [`plain_decimal`], anything else (exponents, long
/// digit strings) by `fast-float2`; `None` sends the field down the general path.
#[inline(always)]
pub fn fast_number(b: &[u8]) -> Option<f64> {
    if let Some(x) = plain_decimal(b) {
        return Some(x);
    }
    match b.first() {
        Some(c) if c.is_ascii_digit() || *c == b'-' || *c == b'.' => {
            fast_float2::parse::<f64, _>(b)
                .ok()
                .filter(|x| x.is_finite())
        }
        _ => None,
    }
}

/// A plain decimal written with a decimal comma (`-`? digits, at most one `,`), read as
/// [`plain_decimal`] reads its point form; `None` sends the field down the general path.
#[inline(always)]
pub fn plain_decimal_comma(b: &[u8]) -> Option<f64> {
    if b.len() > 17 || b.contains(&b'.') {
        return None;
    }
    let mut point = [0u8; 17];
    for (o, &c) in point.iter_mut().zip(b) {
        *o = if c == b',' { b'.' } else { c };
    }
    plain_decimal(&point[..b.len()])
}

/// Powers of ten exactly representable as `f64`.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A plain decimal (`-`? digits, at most one `.`, at most 15 digits in all): its value,
/// correctly rounded. The digits and the power of ten are both exact in `f64`, so the one
/// division rounds correctly (Clinger's fast path), giving the same `f64` as a full parser.
/// Anything else is `None`.
#[inline(always)]
pub fn plain_decimal(b: &[u8]) -> Option<f64> {
    let (negative, digits) = match b.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut mantissa = 0u64;
    let mut count = 0usize;
    let mut dot = None;
    for (i, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                count += 1;
            }
            b'.' if dot.is_none() => dot = Some(i),
            _ => return None,
        }
    }
    if count == 0 || count > 15 {
        return None;
    }
    let decimals = dot.map_or(0, |d| digits.len() - d - 1);
    let x = mantissa as f64 / POW10[decimals];
    Some(if negative { -x } else { x })
}

/// Whether `b` is the text [`crate::format::number_text`] writes for its value: a plain
/// decimal without a sign `+`, leading zeros, trailing zeros after the point or a bare point,
/// of at most 15 digits and a magnitude from 1e-5 (or zero) to below 1e15, where that text is
/// the shortest round trip written without an exponent. Conservative: `false` may still be
/// canonical. A column read as numbers keeps the text of its values that are not, in case it
/// turns out to be categorical.
#[inline(always)]
pub fn is_canonical_number(b: &[u8]) -> bool {
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    let (int, frac) = match memchr::memchr(b'.', digits) {
        Some(p) => (&digits[..p], Some(&digits[p + 1..])),
        None => (digits, None),
    };
    let int_ok =
        !int.is_empty() && int.iter().all(u8::is_ascii_digit) && (int.len() == 1 || int[0] != b'0');
    let frac_ok = match frac {
        None => true,
        Some(f) => !f.is_empty() && f.iter().all(u8::is_ascii_digit) && f.last() != Some(&b'0'),
    };
    if !(int_ok && frac_ok) || int.len() + frac.map_or(0, <[u8]>::len) > 15 {
        return false;
    }
    let zero = int == b"0" && frac.is_none();
    if zero {
        // "0" is canonical; "-0" is not (it is written as 0).
        return digits.len() == b.len();
    }
    if int == b"0" {
        // 0.000012 and above are written plainly; smaller ones with an exponent.
        let f = frac.unwrap_or_default();
        let leading = f.iter().take_while(|&&c| c == b'0').count();
        return leading < 5;
    }
    true
}

/// The text that means "missing" (after trimming, in any ASCII case), besides empty text.
pub const MISSING_TOKENS: [&str; 4] = ["na", "n/a", "null", "nan"];

/// Whether a text cell means "missing".
pub fn is_missing_token(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || MISSING_TOKENS.iter().any(|m| t.eq_ignore_ascii_case(m))
}

/// Parse a number the way a spreadsheet user means it: decimal or scientific notation,
/// surrounding spaces allowed; `inf`/`infinity` are numbers (rejected later where they do not
/// belong), other words are not. Every reader shares it.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let first = *t.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.' | b'i' | b'I')) {
        return None;
    }
    t.parse::<f64>().ok().filter(|x| !x.is_nan())
}

/// A number written with a decimal comma: an optional sign, digits with optional `.`
/// separators between groups of exactly three, and an optional `,` and fraction digits
/// (`-1.234.567,89`, `1234,5`, `0,5`). `None` for anything else (a `.` decimal point included:
/// `1.5` is not read as fifteen).
pub fn parse_decimal_comma(s: &str) -> Option<f64> {
    let t = s.trim();
    let (sign, body) = match t.as_bytes().first()? {
        b'-' => ("-", &t[1..]),
        b'+' => ("", &t[1..]),
        _ => ("", t),
    };
    let (int, frac) = match body.split_once(',') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let groups: Vec<&str> = int.split('.').collect();
    let digits_ok = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_some() {
        // ",5"
    } else if groups.len() == 1 {
        if !digits_ok(groups[0]) {
            return None;
        }
    } else if !(digits_ok(groups[0])
        && groups[0].len() <= 3
        && groups[1..].iter().all(|g| g.len() == 3 && digits_ok(g)))
    {
        return None;
    }
    let mut plain = String::with_capacity(t.len());
    plain.push_str(sign);
    plain.extend(groups.iter().copied());
    if plain.len() == sign.len() {
        plain.push('0');
    }
    if let Some(f) = frac {
        plain.push('.');
        plain.push_str(f);
    }
    plain.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Why a field of a numeric column is not a number in the input's dialect ([`Dialect`](super::Dialect)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotANumber {
    /// A number written with a decimal comma, read without `--decimal-comma`.
    #[error("text in a numeric column (it looks like a number with a decimal comma: read the file with a decimal comma, --decimal-comma or decimal_comma=True in Python)")]
    DecimalComma,
    /// A `.` that does not group thousands in threes, read with `--decimal-comma`.
    #[error(
        "text in a numeric column (read with a decimal comma, '.' only groups thousands in threes)"
    )]
    DotGroups,
    /// Text that is no number.
    #[error("text in a numeric column")]
    Text,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Plain decimals parse to the same `f64` as the standard library's parser.
        #[test]
        fn plain_decimal_is_exact(s in "-?[0-9]{0,9}(\\.[0-9]{0,9})?") {
            match (plain_decimal(s.as_bytes()), s.parse::<f64>()) {
                (Some(x), Ok(y)) => prop_assert_eq!(x.to_bits(), y.to_bits()),
                (Some(x), Err(_)) => prop_assert!(false, "{s} read as {x}"),
                (None, Ok(_)) => prop_assert!(s.len() > 16 || s.trim_start_matches('-') == "."),
                (None, Err(_)) => {}
            }
        }

        /// A number the canonical test accepts is written back as the same text.
        #[test]
        fn canonical_numbers_write_back_as_written(s in "-?(0|[1-9][0-9]{0,14})(\\.[0-9]{0,12})?") {
            if is_canonical_number(s.as_bytes()) {
                let x: f64 = s.parse().unwrap();
                prop_assert_eq!(crate::format::number_text(x), s);
            }
        }
    }

    #[test]
    fn plain_decimals_parse_exactly() {
        for s in [
            "0",
            "-0",
            "12030",
            "0.102",
            "4.7",
            ".5",
            "-.5",
            "1.",
            "123456789012345",
            "0.00000000000001",
            "-98.6",
            "999999999999999",
            "2.675",
        ] {
            let x = plain_decimal(s.as_bytes()).unwrap();
            assert_eq!(x.to_bits(), s.parse::<f64>().unwrap().to_bits(), "{s}");
        }
        for s in [
            "",
            "-",
            ".",
            "1e5",
            "1.2.3",
            "+1",
            " 1",
            "1 ",
            "1234567890123456",
            "NaN",
            "0x10",
            "1,5",
        ] {
            assert_eq!(plain_decimal(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn canonical_texts() {
        for s in [
            "0",
            "12",
            "-3",
            "0.5",
            "0.00001",
            "123456789012345",
            "-98.6",
            "12030",
        ] {
            assert!(is_canonical_number(s.as_bytes()), "{s}");
        }
        for s in [
            "-0",
            "007",
            "1.50",
            "5.",
            ".5",
            "+1",
            "1e3",
            "0.000001",
            "1234567890123456",
            " 1",
            "1,5",
        ] {
            assert!(!is_canonical_number(s.as_bytes()), "{s}");
        }
    }
}

//! CSV input: blocks of lines split into fields and converted into the scorer's inputs.
//!
//! A block is scanned once for its structural bytes (`,`, `"` and line breaks), eight bytes at a
//! time, and each line's fields are cut at the commas found. A line with a quote in it is split
//! again by the RFC 4180 splitter ([`split_line_into`]); every other line borrows its fields
//! from the block. Numbers are read by an exact fast path for plain decimals (the common case)
//! with a full parser behind it, and categories are matched as bytes, so the usual row costs
//! one pass over its bytes plus the conversions of the columns the model uses.

use std::borrow::Cow;

use super::{
    amount_reject, input_value, known_category, text_of, Parsed, Plan, RowError, RowMeta, TextBlock,
};
use crate::scoring::Scorer;
use crate::table::is_missing_token;

/// Parse the CSV lines of a block.
pub(super) fn parse_block<'a>(scorer: &Scorer, plan: &Plan, text: &'a TextBlock) -> Parsed<'a> {
    let block: &'a [u8] = &text.bytes;
    let m = scorer.input_columns().len();
    let mut parsed = Parsed::with_capacity(m, text.lines);
    let mut values = vec![0.0f64; m];
    let mut fields: Vec<Cow<'a, [u8]>> = Vec::with_capacity(plan.header.len());
    let mut line_no = text.first_line;
    let mut line_start = 0;
    let mut field_start = 0;
    let mut quoted = false;
    // One line: `block[start..end]`, its last field starting at `last`.
    let mut finish_line =
        |line_no: u64, start: usize, end: usize, last: usize, quoted: bool, fields: &mut Vec<_>| {
            let line = &block[start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if fields.is_empty() && !quoted && line.iter().all(u8::is_ascii_whitespace) {
                return;
            }
            let row = if quoted {
                split_line_into(line, fields)
                    .map_err(|why| (String::new(), String::new(), why.to_string()))
                    .and_then(|()| convert_row(scorer, plan, fields, &mut values))
            } else {
                fields.push(Cow::Borrowed(&block[last..start + line.len()]));
                convert_row(scorer, plan, fields, &mut values)
            };
            parsed.add(line_no, row, &values, line);
        };
    for pos in Structural::new(block) {
        match block[pos] {
            b',' => {
                fields.push(Cow::Borrowed(&block[field_start..pos]));
                field_start = pos + 1;
            }
            b'"' => quoted = true,
            _ => {
                finish_line(line_no, line_start, pos, field_start, quoted, &mut fields);
                fields.clear();
                quoted = false;
                line_no += 1;
                line_start = pos + 1;
                field_start = pos + 1;
            }
        }
    }
    if line_start < block.len() {
        finish_line(
            line_no,
            line_start,
            block.len(),
            field_start,
            quoted,
            &mut fields,
        );
    }
    parsed
}

/// The positions of `,`, `"` and `\n` in a block, in order.
struct Structural<'a> {
    block: &'a [u8],
    /// Offset of the current 64-byte window.
    base: usize,
    /// Structural bytes of the window not yet returned (bit i = byte `base + i`).
    mask: u64,
}

impl<'a> Structural<'a> {
    fn new(block: &'a [u8]) -> Self {
        Structural {
            block,
            base: 0,
            mask: window_mask(block, 0),
        }
    }
}

impl Iterator for Structural<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 64;
            if self.base >= self.block.len() {
                return None;
            }
            self.mask = window_mask(self.block, self.base);
        }
        let i = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.base + i)
    }
}

/// Bit i set where byte `base + i` of `block` is `,`, `"` or `\n` (bytes past the end are not).
#[inline]
fn window_mask(block: &[u8], base: usize) -> u64 {
    let rest = block.get(base..).unwrap_or_default();
    match rest.get(..64) {
        Some(full) => (0..8).fold(0, |m, k| m | byte_mask(&full[8 * k..8 * k + 8]) << (8 * k)),
        None => {
            let mut padded = [0u8; 64];
            padded[..rest.len()].copy_from_slice(rest);
            (0..8).fold(0, |m, k| {
                m | byte_mask(&padded[8 * k..8 * k + 8]) << (8 * k)
            })
        }
    }
}

/// Bit i set where byte i of the 8 is structural (exact SWAR byte comparison, no false hits).
#[inline]
fn byte_mask(eight: &[u8]) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut word = [0u8; 8];
    word.copy_from_slice(eight);
    let w = u64::from_le_bytes(word);
    let equal = |c: u8| {
        let x = w ^ (0x0101_0101_0101_0101 * u64::from(c));
        // The high bit of each byte is set exactly where that byte of x is zero.
        !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
    };
    let high = equal(b',') | equal(b'\n') | equal(b'"');
    // Gather the eight high bits into one byte, byte 0 in bit 0.
    ((high >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Split one CSV line into fields (RFC 4180 quoting); `None` on broken quoting.
pub(super) fn split_line(line: &[u8]) -> Option<Vec<Cow<'_, [u8]>>> {
    let mut fields = Vec::new();
    split_line_into(line, &mut fields).ok().map(|()| fields)
}

/// Split one CSV line into `fields` (cleared first); on broken quoting, what is wrong. Unquoted
/// fields borrow from the line: no allocation for a line without quotes.
pub(super) fn split_line_into<'a>(
    line: &'a [u8],
    fields: &mut Vec<Cow<'a, [u8]>>,
) -> Result<(), &'static str> {
    fields.clear();
    if !line.contains(&b'"') {
        fields.extend(line.split(|&b| b == b',').map(Cow::Borrowed));
        return Ok(());
    }
    let mut i = 0;
    loop {
        if line.get(i) == Some(&b'"') {
            let mut value = Vec::new();
            i += 1;
            loop {
                match line.get(i) {
                    None => {
                        return Err("broken quoting: a quote is not closed on its line \
                                    (a quoted field cannot span lines; multi-line records are not supported)")
                    }
                    Some(b'"') if line.get(i + 1) == Some(&b'"') => {
                        value.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&b) => {
                        value.push(b);
                        i += 1;
                    }
                }
            }
            match line.get(i) {
                None => {
                    fields.push(Cow::Owned(value));
                    return Ok(());
                }
                Some(b',') => {
                    fields.push(Cow::Owned(value));
                    i += 1;
                }
                Some(_) => return Err("broken quoting: text after a closing quote"),
            }
        } else {
            let end = line[i..]
                .iter()
                .position(|&b| b == b',')
                .map_or(line.len(), |p| i + p);
            if line[i..end].contains(&b'"') {
                return Err("broken quoting: a quote inside an unquoted field");
            }
            fields.push(Cow::Borrowed(&line[i..end]));
            if end == line.len() {
                return Ok(());
            }
            i = end + 1;
        }
    }
}

/// Convert the fields of one CSV line into the scorer's inputs (`values`) and the row's id and
/// kept columns.
fn convert_row<'a>(
    scorer: &Scorer,
    plan: &Plan,
    fields: &[Cow<'a, [u8]>],
    values: &mut [f64],
) -> Result<RowMeta<'a>, RowError> {
    if fields.len() != plan.header.len() {
        return Err((
            String::new(),
            String::new(),
            format!(
                "{} fields where the header has {}",
                fields.len(),
                plan.header.len()
            ),
        ));
    }
    let name = |i: usize| plan.header[i].clone();
    let bad_utf8 = |i: usize, b: &[u8]| {
        (
            name(i),
            String::from_utf8_lossy(b).into_owned(),
            "invalid UTF-8".to_string(),
        )
    };
    for (j, col) in plan.inputs.iter().enumerate() {
        values[j] = match col {
            None => f64::NAN,
            Some(i) => {
                let b: &[u8] = &fields[*i];
                let fast = if plan.categorical[j] {
                    known_category(scorer, j, b)
                } else {
                    fast_number(b)
                };
                match fast {
                    Some(x) => x,
                    None => {
                        let t = text_of(b).ok_or_else(|| bad_utf8(*i, b))?;
                        input_value(scorer, plan, j, t)
                            .map_err(|reason| (name(*i), t.to_string(), reason))?
                    }
                }
            }
        };
    }
    for &col in plan.required.iter().flatten() {
        let b: &[u8] = &fields[col];
        if is_missing_token(text_of(b).ok_or_else(|| bad_utf8(col, b))?) {
            return Err((
                name(col),
                String::new(),
                "required by the decision policy, but empty".into(),
            ));
        }
    }
    let owned = |i: usize| -> Result<Cow<'a, str>, RowError> {
        match &fields[i] {
            Cow::Borrowed(b) => {
                let b: &'a [u8] = b;
                text_of(b).map(Cow::Borrowed).ok_or_else(|| bad_utf8(i, b))
            }
            Cow::Owned(v) => String::from_utf8(v.clone())
                .map(Cow::Owned)
                .map_err(|_| bad_utf8(i, v)),
        }
    };
    let id = plan.id.map(owned).transpose()?;
    let keep = plan
        .keep
        .iter()
        .map(|&i| owned(i).map(Some))
        .collect::<Result<_, _>>()?;
    if let Some(e) = amount_reject(scorer, values) {
        return Err(e);
    }
    Ok(RowMeta { id, keep, flags: 0 })
}

/// A field that is a number written plainly (no spaces, not NaN or infinity), read straight
/// from its bytes: plain decimals exactly by [`plain_decimal`], anything else (exponents, long
/// digit strings) by `fast-float2`; `None` sends the field down the general path.
#[inline]
fn fast_number(b: &[u8]) -> Option<f64> {
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

/// Powers of ten exactly representable as `f64`.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A plain decimal (`-`? digits, at most one `.`, at most 15 digits in all): its value,
/// correctly rounded. The digits and the power of ten are both exact in `f64`, so the one
/// division rounds correctly (Clinger's fast path), giving the same `f64` as a full parser.
/// Anything else is `None`.
#[inline]
fn plain_decimal(b: &[u8]) -> Option<f64> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{make_plan, BatchOptions};
    use crate::format::FileFormat;
    use proptest::prelude::*;

    /// What a parse gave: inputs (as bits), ids, the rejects file's lines, rows read.
    type Rows = (Vec<u64>, Vec<Option<String>>, Vec<u8>, u64);

    fn rows(parsed: Parsed<'_>) -> Rows {
        (
            parsed.x.iter().map(|v| v.to_bits()).collect(),
            parsed
                .metas
                .iter()
                .map(|m| m.id.clone().map(Cow::into_owned))
                .collect(),
            parsed.rejects,
            parsed.read,
        )
    }

    /// The block parsed one line at a time with the RFC 4180 splitter alone.
    fn line_by_line<'a>(scorer: &Scorer, plan: &Plan, block: &'a [u8]) -> Parsed<'a> {
        let mut parsed = Parsed::with_capacity(0, 0);
        let mut values = vec![0.0; scorer.input_columns().len()];
        let mut fields = Vec::new();
        for (offset, raw) in block.split(|&b| b == b'\n').enumerate() {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let row = split_line_into(line, &mut fields)
                .map_err(|why| (String::new(), String::new(), why.to_string()))
                .and_then(|()| convert_row(scorer, plan, &fields, &mut values));
            parsed.add(offset as u64 + 1, row, &values, line);
        }
        parsed
    }

    /// Pieces of CSV lines for the default model: good and bad values, quotes, line ends.
    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "A1",
            "\"A,2\"",
            "Hunan",
            " Hunan ",
            "Atlantis",
            "NA",
            "",
            "3",
            "-1.5",
            "1e3",
            "0.102",
            "12030",
            "x",
            "\"",
            "\"\"",
            "village_retail",
            "college",
            "male",
            ",",
            ",,",
            "\n",
            "\r\n",
            " ",
            "\u{e9}",
            "\u{1F600}",
            "24",
            "0.2",
            "inf",
            "99999999999999999",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The block parser gives exactly what parsing line by line gives, for lines built
        /// from good, bad and quoted pieces, valid rows among them.
        #[test]
        fn block_parse_matches_line_by_line(
            pieces in prop::collection::vec(piece(), 0..400),
            good in prop::collection::vec(0usize..400, 0..20),
        ) {
            let scorer = Scorer::new(crate::default_model::default_model().unwrap());
            let header = HEADER.split(',').map(str::to_string).collect::<Vec<_>>();
            let plan = make_plan(
                &scorer, FileFormat::Csv, header, std::path::Path::new("t.csv"),
                &BatchOptions::default(),
            ).unwrap();
            let mut block = String::new();
            for (i, p) in pieces.iter().enumerate() {
                if good.contains(&i) {
                    block.push_str(GOOD_ROW);
                    block.push('\n');
                }
                block.push_str(p);
            }
            let text = TextBlock { first_line: 1, lines: 0, bytes: block.into_bytes() };
            prop_assert_eq!(
                rows(parse_block(&scorer, &plan, &text)),
                rows(line_by_line(&scorer, &plan, &text.bytes))
            );
        }

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
    }

    const HEADER: &str = "application_id,province,county_remoteness,business_type,\
        applicant_age,gender,education,household_size,business_age_months,monthly_revenue,\
        revenue_volatility,mobile_payment_txn_monthly,online_store_rating,land_area_mu,\
        existing_loans,has_credit_history,worst_dpd_12m,credit_history_months,\
        requested_amount,tenor_months,has_guarantor,has_health_insurance,\
        distance_to_logistics_km,debt_to_income";
    const GOOD_ROW: &str = "A000000001,Hunan,3,village_retail,48,male,college,3,98,12030,\
        0.102,268,,0,0,0,,0,20500,12,0,1,12.4,0.168";

    #[test]
    fn splits_csv_lines() {
        let f = |s: &str| {
            split_line(s.as_bytes()).map(|v| {
                v.iter()
                    .map(|c| String::from_utf8(c.to_vec()).unwrap())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(f("a,b,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(
            f("\"x,y\",\"say \"\"hi\"\"\",z").unwrap(),
            ["x,y", "say \"hi\"", "z"]
        );
        assert_eq!(f("\"\",a").unwrap(), ["", "a"]);
        assert_eq!(f("a,\"\"").unwrap(), ["a", ""]);
        assert!(f("\"open,b").is_none());
        assert!(f("\"a\"b,c").is_none());
        assert!(f("a\"b,c").is_none());
    }

    #[test]
    fn structural_bytes_found_in_order() {
        for len in [0, 1, 7, 8, 63, 64, 65, 130, 200] {
            let block: Vec<u8> = (0..len)
                .map(|i| match (i * 7 + len) % 11 {
                    0 => b',',
                    1 => b'\n',
                    2 => b'"',
                    3 => 0x80 | b',',
                    4 => b'\r',
                    _ => b'a' + (i % 26) as u8,
                })
                .collect();
            let expected: Vec<usize> = (0..len)
                .filter(|&i| matches!(block[i], b',' | b'\n' | b'"'))
                .collect();
            assert_eq!(
                Structural::new(&block).collect::<Vec<_>>(),
                expected,
                "{len}"
            );
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
}

//! CSV input: blocks of records split into fields and converted into the scorer's inputs.
//!
//! A block is scanned once for its structural bytes (the delimiter, `"` and line breaks), eight
//! bytes at a time, and each record's fields are cut at the delimiters found; a quoted field is
//! skipped to its closing quote with `memchr`, line breaks inside it included. A record with a
//! quote in it is split again by the RFC 4180 splitter
//! ([`crate::input::csv::split_record_into`]); every other record borrows its fields from the
//! block. Numbers are read by an exact fast path for plain decimals (the common case)
//! with a full parser behind it, and categories are matched as bytes, so the usual row costs
//! one pass over its bytes plus the conversions of the columns the model uses.

use std::borrow::Cow;

use super::plan::Plan;
use super::rows::{
    amount_reject, input_value, known_category, text_of, Parsed, RowError, RowMeta, TextBlock,
};
use crate::input::csv::{closing_quote, split_record_into};
use crate::input::is_missing_token;
use crate::input::number::{fast_number, plain_decimal_comma};
use crate::output::Carried;
use crate::scoring::Scorer;

/// Parse the CSV records of a block (whole records: the reader cuts blocks at record ends).
/// A record's line is the line where it starts; a line break inside a quoted field belongs
/// to its record.
pub(super) fn parse_block<'a>(scorer: &Scorer, plan: &Plan, text: &'a TextBlock) -> Parsed<'a> {
    let block: &'a [u8] = &text.bytes;
    let d = plan.dialect.delimiter;
    let m = scorer.input_columns().len();
    let mut parsed = Parsed::with_capacity(m, text.lines);
    parsed.listed = plan.list_rejects.then(Vec::new);
    let mut values = vec![0.0f64; m];
    let mut fields: Vec<Cow<'a, [u8]>> = Vec::with_capacity(plan.header.len());
    // The record being read: its first line, start, and the line the scan is on.
    let mut record_line = text.first_line;
    let mut line_no = text.first_line;
    let mut record_start = 0;
    let mut field_start = 0;
    let mut quoted = false;
    // One record: `block[start..end]`, its last field starting at `last`.
    let mut finish =
        |line_no: u64, start: usize, end: usize, last: usize, quoted: bool, fields: &mut Vec<_>| {
            let record = &block[start..end];
            // (Only a record left open by a quote at the end of the input keeps its break.)
            let record = record.strip_suffix(b"\n").unwrap_or(record);
            let record = record.strip_suffix(b"\r").unwrap_or(record);
            if fields.is_empty() && !quoted && record.iter().all(u8::is_ascii_whitespace) {
                return;
            }
            let row = if quoted {
                split_record_into(record, d, fields)
                    .map_err(|why| (String::new(), String::new(), why.to_string()))
                    .and_then(|()| convert_row(scorer, plan, fields, &mut values))
            } else {
                fields.push(Cow::Borrowed(&block[last..start + record.len()]));
                convert_row(scorer, plan, fields, &mut values)
            };
            parsed.add(line_no, row, &values, record);
        };
    let cutter = plan.cutter();
    let mut scan = Structural::new(block, d);
    while let Some(pos) = scan.next() {
        match block[pos] {
            b'"' => {
                quoted = true;
                if pos != field_start {
                    continue;
                }
                // A quoted field closed on its line: on to its closing quote.
                let close = closing_quote(block, pos);
                if let Some(close) =
                    close.filter(|&c| memchr::memchr(b'\n', &block[pos..c]).is_none())
                {
                    scan.seek(close + 1);
                    continue;
                }
                // One that holds a line break, or is not closed: where the record ends is the
                // cutter's to say (a well-formed record over lines, or its first line alone).
                let end = record_start
                    + cutter
                        .record_end(&block[record_start..], true)
                        .unwrap_or(block.len() - record_start);
                let content_end = if block[end - 1] == b'\n' {
                    end - 1
                } else {
                    end
                };
                finish(
                    record_line,
                    record_start,
                    content_end,
                    field_start,
                    true,
                    &mut fields,
                );
                fields.clear();
                quoted = false;
                line_no = record_line
                    + memchr::memchr_iter(b'\n', &block[record_start..end]).count() as u64;
                record_line = line_no;
                record_start = end;
                field_start = end;
                scan.seek(end);
            }
            b'\n' => {
                finish(
                    record_line,
                    record_start,
                    pos,
                    field_start,
                    quoted,
                    &mut fields,
                );
                fields.clear();
                quoted = false;
                line_no += 1;
                record_line = line_no;
                record_start = pos + 1;
                field_start = pos + 1;
            }
            _ => {
                fields.push(Cow::Borrowed(&block[field_start..pos]));
                field_start = pos + 1;
            }
        }
    }
    if record_start < block.len() {
        finish(
            record_line,
            record_start,
            block.len(),
            field_start,
            quoted,
            &mut fields,
        );
    }
    parsed
}

/// The positions of the delimiter, `"` and `\n` in a block, in order.
struct Structural<'a> {
    block: &'a [u8],
    /// The delimiter, in every byte of a word.
    delimiter: u64,
    /// Offset of the current 64-byte window.
    base: usize,
    /// Structural bytes of the window not yet returned (bit i = byte `base + i`).
    mask: u64,
}

impl<'a> Structural<'a> {
    fn new(block: &'a [u8], delimiter: u8) -> Self {
        let delimiter = 0x0101_0101_0101_0101 * u64::from(delimiter);
        Structural {
            block,
            delimiter,
            base: 0,
            mask: window_mask(block, 0, delimiter),
        }
    }

    /// Go on from position `pos` (the structural bytes before it are skipped).
    fn seek(&mut self, pos: usize) {
        self.base = pos & !63;
        self.mask = window_mask(self.block, self.base, self.delimiter);
        let skip = pos - self.base;
        self.mask &= u64::MAX.checked_shl(skip as u32).unwrap_or(0);
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
            self.mask = window_mask(self.block, self.base, self.delimiter);
        }
        let i = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.base + i)
    }
}

/// Bit i set where byte `base + i` of `block` is the delimiter (broadcast in `delimiter`),
/// `"` or `\n` (bytes past the end are not).
#[inline]
fn window_mask(block: &[u8], base: usize, delimiter: u64) -> u64 {
    let rest = block.get(base..).unwrap_or_default();
    match rest.get(..64) {
        Some(full) => (0..8).fold(0, |m, k| {
            m | byte_mask(&full[8 * k..8 * k + 8], delimiter) << (8 * k)
        }),
        None => {
            let mut padded = [0u8; 64];
            padded[..rest.len()].copy_from_slice(rest);
            (0..8).fold(0, |m, k| {
                m | byte_mask(&padded[8 * k..8 * k + 8], delimiter) << (8 * k)
            })
        }
    }
}

/// Bit i set where byte i of the 8 is structural (exact SWAR byte comparison, no false hits).
#[inline]
fn byte_mask(eight: &[u8], delimiter: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut word = [0u8; 8];
    word.copy_from_slice(eight);
    let w = u64::from_le_bytes(word);
    let equal = |c: u64| {
        let x = w ^ c;
        // The high bit of each byte is set exactly where that byte of x is zero.
        !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
    };
    let high = equal(delimiter)
        | equal(0x0101_0101_0101_0101 * u64::from(b'\n'))
        | equal(0x0101_0101_0101_0101 * u64::from(b'"'));
    // Gather the eight high bits into one byte, byte 0 in bit 0.
    ((high >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
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
                } else if plan.dialect.decimal_comma {
                    plain_decimal_comma(b)
                } else {
                    fast_number(b)
                };
                match fast {
                    Some(x) => x,
                    None => {
                        let t = text_of(b).ok_or_else(|| bad_utf8(*i, b))?;
                        input_value(scorer, plan, j, t)
                            .map_err(|reason| (name(*i), t.to_string(), reason.to_string()))?
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
    Ok(RowMeta {
        carried: Carried { id, keep },
        flags: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::options::BatchOptions;
    use crate::batch::plan::make_plan;
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
                .map(|m| m.carried.id.clone().map(Cow::into_owned))
                .collect(),
            parsed.rejects,
            parsed.read,
        )
    }

    /// The block cut into records and split by the reference RFC 4180 functions alone.
    fn record_by_record<'a>(scorer: &Scorer, plan: &Plan, block: &'a [u8]) -> Parsed<'a> {
        let mut parsed = Parsed::with_capacity(0, 0);
        let mut values = vec![0.0; scorer.input_columns().len()];
        let mut fields = Vec::new();
        let d = plan.dialect.delimiter;
        for (line, record) in plan.cutter().records(block, 1) {
            let row = split_record_into(record, d, &mut fields)
                .map_err(|why| (String::new(), String::new(), why.to_string()))
                .and_then(|()| convert_row(scorer, plan, &fields, &mut values));
            parsed.add(line, row, &values, record);
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

        /// The block parser gives exactly what the reference record cutter and splitter give,
        /// for records built from good, bad and quoted pieces (quoted line breaks, doubled and
        /// stray quotes, CR/LF), valid rows among them, with every delimiter.
        #[test]
        fn block_parse_matches_the_reference(
            pieces in prop::collection::vec(piece(), 0..400),
            good in prop::collection::vec(0usize..400, 0..20),
            d in prop::sample::select(crate::input::DELIMITERS.to_vec()),
            decimal_comma in any::<bool>(),
        ) {
            let scorer = Scorer::new(crate::model::builtin::default_model().unwrap());
            let header = HEADER.split(',').map(str::to_string).collect::<Vec<_>>();
            let mut plan = make_plan(
                &scorer, FileFormat::Csv, header, std::path::Path::new("t.csv"),
                &BatchOptions::default(), &[], true,
            ).unwrap();
            plan.dialect = crate::input::Dialect { delimiter: d, decimal_comma };
            let sep = (d as char).to_string();
            let mut block = String::new();
            for (i, p) in pieces.iter().enumerate() {
                if good.contains(&i) {
                    let row = GOOD_ROW.replace(',', &sep);
                    block.push_str(&if decimal_comma { row.replace('.', ",") } else { row });
                    block.push('\n');
                }
                block.push_str(&p.replace(',', &sep));
            }
            let text = TextBlock { first_line: 1, lines: 0, bytes: block.into_bytes() };
            prop_assert_eq!(
                rows(parse_block(&scorer, &plan, &text)),
                rows(record_by_record(&scorer, &plan, &text.bytes))
            );
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
            crate::input::csv::split_record(s.as_bytes(), b',')
                .ok()
                .map(|v| {
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
                Structural::new(&block, b',').collect::<Vec<_>>(),
                expected,
                "{len}"
            );
        }
    }
}

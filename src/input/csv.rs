//! CSV by RFC 4180: records, fields and quoting, for any of the [`DELIMITERS`].
//!
//! A record ends at a line break outside quotes; a field is quoted when it starts with `"`,
//! and then runs to the next `"` not doubled (`""` is one quote), across delimiters and line
//! breaks. These functions are the reference the block parser of `score` follows (a proptest
//! compares the two, and both with the `csv` crate).

use std::borrow::Cow;

/// Why a record's quoting is broken.
pub const UNCLOSED_QUOTE: &str =
    "broken quoting: a quoted field is not closed before the end of the file";
/// Text after a closing quote.
pub const TEXT_AFTER_QUOTE: &str = "broken quoting: text after a closing quote";
/// A quote in a field that does not start with one.
pub const STRAY_QUOTE: &str = "broken quoting: a quote inside an unquoted field";

/// The delimiter of a header line: the one of [`DELIMITERS`] found most often outside quotes
/// (the earlier in that list on a tie), or a comma when there is none.
pub fn detect_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &b in header {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                counts[i] += 1;
            }
        }
    }
    let best = (0..DELIMITERS.len())
        .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        DELIMITERS[best]
    }
}

/// The index of the quote that closes a quoted field whose opening quote is at `open`, or
/// `None` when the bytes end first (or end just after a quote, which may be half of `""`).
#[inline]
pub fn closing_quote(bytes: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    loop {
        let q = i + memchr::memchr(b'"', bytes.get(i..)?)?;
        match bytes.get(q + 1) {
            Some(b'"') => i = q + 2,
            Some(_) => return Some(q),
            None => return None,
        }
    }
}

/// Split one record (its line break removed; it may hold line breaks inside quoted fields)
/// into `fields` (cleared first); on broken quoting, what is wrong. Unquoted fields borrow
/// from the record: no allocation for a record without quotes.
pub fn split_record_into<'a>(
    record: &'a [u8],
    delimiter: u8,
    fields: &mut Vec<Cow<'a, [u8]>>,
) -> Result<(), &'static str> {
    fields.clear();
    if !record.contains(&b'"') {
        fields.extend(record.split(|&b| b == delimiter).map(Cow::Borrowed));
        return Ok(());
    }
    let mut i = 0;
    loop {
        if record.get(i) == Some(&b'"') {
            let mut value = Vec::new();
            i += 1;
            loop {
                match record.get(i) {
                    None => return Err(UNCLOSED_QUOTE),
                    Some(b'"') if record.get(i + 1) == Some(&b'"') => {
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
            match record.get(i) {
                None => {
                    fields.push(Cow::Owned(value));
                    return Ok(());
                }
                Some(&b) if b == delimiter => {
                    fields.push(Cow::Owned(value));
                    i += 1;
                }
                Some(_) => return Err(TEXT_AFTER_QUOTE),
            }
        } else {
            let end = record[i..]
                .iter()
                .position(|&b| b == delimiter)
                .map_or(record.len(), |p| i + p);
            if record[i..end].contains(&b'"') {
                return Err(STRAY_QUOTE);
            }
            fields.push(Cow::Borrowed(&record[i..end]));
            if end == record.len() {
                return Ok(());
            }
            i = end + 1;
        }
    }
}

/// Split one record into fields; `Err` on broken quoting.
pub fn split_record(record: &[u8], delimiter: u8) -> Result<Vec<Cow<'_, [u8]>>, &'static str> {
    let mut fields = Vec::new();
    split_record_into(record, delimiter, &mut fields).map(|()| fields)
}

/// A blank line, skipped by every reader: white space only (the delimiter is not white space,
/// even a tab: a line of tabs is a record of empty fields).
pub fn is_blank(record: &[u8], delimiter: u8) -> bool {
    record
        .iter()
        .all(|&b| b.is_ascii_whitespace() && b != delimiter)
}

/// The longest record that spans lines: a quoted field still open past it is taken to be a
/// stray quote, and its line a record of its own.
pub const MAX_MULTILINE_RECORD: usize = 1 << 20;

/// Where records end: RFC 4180, with recovery from a stray quote.
///
/// A record ends at the first line break outside quotes. When a quoted field holds line breaks,
/// the record spans lines only if it is well formed: its quotes close, nothing follows a
/// closing quote, it has the header's number of fields (`width`, when known), and it is at
/// most [`MAX_MULTILINE_RECORD`] long. Otherwise the quote was a stray one (`"Henan` typed into
/// a cell): the record is its first line alone (the splitter then rejects it, saying why) and
/// reading goes on at the next line, so that one broken cell never swallows the rest of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutter {
    /// The field delimiter.
    pub delimiter: u8,
    /// Fields a record has (the header's count), if known.
    pub width: Option<usize>,
}

impl Cutter {
    /// The end (one past its line break, or the end of `bytes` for a last record without
    /// one) of the record that starts `bytes`; `None` when more bytes are needed to tell
    /// (never when `at_end`: the bytes are the rest of the input).
    pub fn record_end(&self, bytes: &[u8], at_end: bool) -> Option<usize> {
        let first_break = memchr::memchr(b'\n', bytes);
        let line_end = first_break.map_or(bytes.len(), |p| p + 1);
        let line = &bytes[..first_break.unwrap_or(bytes.len())];
        if memchr::memchr(b'"', line).is_none() {
            return (first_break.is_some() || at_end).then_some(line_end);
        }
        let d = self.delimiter;
        let mut fields = 1usize;
        let mut broken = false;
        let mut i = 0;
        loop {
            let Some(p) = memchr::memchr3(d, b'"', b'\n', &bytes[i..]).map(|p| p + i) else {
                // The bytes end inside the record (after its first line: a quoted field
                // closed on a later line).
                return if at_end {
                    Some(if broken || self.width.is_some_and(|w| w != fields) {
                        line_end
                    } else {
                        bytes.len()
                    })
                } else if bytes.len() > MAX_MULTILINE_RECORD {
                    Some(line_end)
                } else {
                    None
                };
            };
            match bytes[p] {
                b'\n' => {
                    if first_break.is_some_and(|f| p == f) {
                        return Some(p + 1);
                    }
                    // A record over several lines: kept only if well formed.
                    let ok = !broken && self.width.is_none_or(|w| w == fields);
                    return Some(if ok { p + 1 } else { line_end });
                }
                b'"' => {
                    let field_start = p == 0 || bytes[p - 1] == d || bytes[p - 1] == b'\n';
                    if !field_start {
                        broken = true;
                        i = p + 1;
                        continue;
                    }
                    match closing_quote(bytes, p) {
                        Some(q) => {
                            let spans = first_break.is_some_and(|f| q > f);
                            match bytes.get(q + 1) {
                                None | Some(b'\n') | Some(b'\r') => {}
                                Some(&c) if c == d => {}
                                Some(_) => {
                                    broken = true;
                                    if spans {
                                        return Some(line_end);
                                    }
                                }
                            }
                            if spans && q + 1 > MAX_MULTILINE_RECORD {
                                return Some(line_end);
                            }
                            i = q + 1;
                        }
                        None if at_end || bytes.len() > MAX_MULTILINE_RECORD => {
                            return Some(line_end)
                        }
                        None => return None,
                    }
                }
                _ => {
                    fields += 1;
                    if first_break.is_some_and(|f| p > f) && self.width.is_some_and(|w| fields > w)
                    {
                        return Some(line_end);
                    }
                    i = p + 1;
                }
            }
        }
    }

    /// The end of the last whole record in `bytes` (which start at a record's start), if one
    /// ends in them: where a block of whole records can be cut.
    pub fn last_record_end(&self, bytes: &[u8]) -> Option<usize> {
        if memchr::memchr(b'"', bytes).is_none() {
            return memchr::memrchr(b'\n', bytes).map(|i| i + 1);
        }
        let mut last = None;
        let mut start = 0;
        while start < bytes.len() {
            match self.record_end(&bytes[start..], false) {
                // A record that ends with the bytes but without a line break may go on.
                Some(e) if bytes[start + e - 1] == b'\n' => {
                    start += e;
                    last = Some(start);
                }
                _ => break,
            }
        }
        last
    }

    /// Cut `bytes` (whole records: the rest of the input, or a block cut by
    /// [`Cutter::last_record_end`]) into records: (line where the record starts, counted from
    /// `first_line`; the record without its line break). Blank lines are skipped.
    pub fn records<'a>(&self, bytes: &'a [u8], first_line: u64) -> Vec<(u64, &'a [u8])> {
        let mut out = Vec::new();
        let mut line = first_line;
        let mut start = 0;
        while start < bytes.len() {
            let end = start
                + self
                    .record_end(&bytes[start..], true)
                    .unwrap_or(bytes.len() - start);
            let raw = &bytes[start..end];
            let lines = memchr::memchr_iter(b'\n', raw).count() as u64;
            let record = raw.strip_suffix(b"\n").unwrap_or(raw);
            let record = record.strip_suffix(b"\r").unwrap_or(record);
            if !is_blank(record, self.delimiter) {
                out.push((line, record));
            }
            line += lines.max(1);
            start = end;
        }
        out
    }
}

/// The delimiters microscore reads (and detects), in order of preference on a tie.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// A delimiter's name, for messages and summaries.
pub fn delimiter_name(d: u8) -> &'static str {
    match d {
        b',' => "comma",
        b';' => "semicolon",
        b'\t' => "tab",
        b'|' => "pipe",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn delimiters_are_detected_from_the_header() {
        assert_eq!(detect_delimiter(b"id,amount,sector"), b',');
        assert_eq!(detect_delimiter(b"id;amount;sector"), b';');
        assert_eq!(detect_delimiter(b"id\tamount\tsector"), b'\t');
        assert_eq!(detect_delimiter(b"id|amount|sector"), b'|');
        assert_eq!(detect_delimiter(b"\"a,b\";c;d"), b';');
        assert_eq!(detect_delimiter(b"single"), b',');
        assert_eq!(detect_delimiter(b"a,b;c"), b',');
    }

    #[test]
    fn quoted_line_breaks_stay_in_their_record() {
        let text = b"1,\"a note\non two lines\",3\n4,5,6\n7,\"x\"\"y\",8";
        let cut = Cutter {
            delimiter: b',',
            width: Some(3),
        };
        let recs = cut.records(text, 2);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].0, 2);
        assert_eq!(recs[1].0, 4);
        assert_eq!(recs[2].0, 5);
        let f = split_record(recs[0].1, b',').unwrap();
        assert_eq!(&*f[1], b"a note\non two lines");
        let f = split_record(recs[2].1, b',').unwrap();
        assert_eq!(&*f[1], b"x\"y");
        let two = Cutter {
            delimiter: b',',
            width: Some(2),
        };
        assert_eq!(two.last_record_end(b"1,\"open\n2,3\n"), None);
        assert_eq!(two.last_record_end(b"1,2\n3,\"open\n"), Some(4));
        assert_eq!(split_record(b"1,\"open", b','), Err(UNCLOSED_QUOTE));
        assert_eq!(split_record(b"1,\"a\"b", b','), Err(TEXT_AFTER_QUOTE));
        assert_eq!(split_record(b"1,a\"b", b','), Err(STRAY_QUOTE));
        // A stray quote inside an unquoted field does not open a quoted region.
        assert_eq!(two.last_record_end(b"1,5\" pipe\n2,3\n"), Some(14));
        // A stray quote at the start of a cell: its line alone is the record (too many fields
        // for a record over lines), and the next lines are records again.
        let recs = two.records(b"\"Henan,1\n2,3\n4,5\n", 2);
        assert_eq!(recs, vec![(2, &b"\"Henan,1"[..]), (3, b"2,3"), (4, b"4,5")]);
        // Never closed: the same, at the end of the input or past the limit.
        let recs = two.records(b"1,2\n\"Henan,1\n", 2);
        assert_eq!(recs, vec![(2, &b"1,2"[..]), (3, b"\"Henan,1")]);
        let mut long = b"\"open,1\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_MULTILINE_RECORD + 1));
        assert_eq!(two.record_end(&long, false), Some(8));
        assert_eq!(two.record_end(b"\"open,1\nmore", false), None);
        // A record over lines with the header's width stays one record.
        assert_eq!(
            two.records(b"\"a\nb\",1\n", 1),
            vec![(1, &b"\"a\nb\",1"[..])]
        );
    }

    /// A field: plain text, or quoted text holding delimiters, quotes and line breaks.
    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9 .]{0,6}",
            "[a-z,;|\t\"\n\r]{0,6}".prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
        ]
    }

    proptest! {
        /// Records and fields as the `csv` crate (an independent RFC 4180 reader) finds them,
        /// for every delimiter and CR/LF or LF line ends.
        #[test]
        fn records_agree_with_the_csv_crate(
            rows in prop::collection::vec(prop::collection::vec(field(), 3), 1..8),
            d in prop::sample::select(DELIMITERS.to_vec()),
            crlf in any::<bool>(),
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let text: String = rows
                .iter()
                .map(|r| r.join(&(d as char).to_string()) + end)
                .collect();
            let cut = Cutter { delimiter: d, width: Some(3) };
            let ours: Vec<Vec<Vec<u8>>> = cut.records(text.as_bytes(), 1)
                .into_iter()
                .map(|(_, r)| split_record(r, d).unwrap().into_iter().map(|f| f.into_owned()).collect())
                .collect();
            let theirs: Vec<Vec<Vec<u8>>> = csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(d)
                .flexible(true)
                .from_reader(text.as_bytes())
                .byte_records()
                .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect())
                .collect();
            // The csv crate skips a record that is one empty field; so do we (a blank line).
            prop_assert_eq!(ours, theirs);
            // Cut anywhere, the whole records before the cut are the first records of the text.
            let all = cut.records(text.as_bytes(), 1);
            for at in 0..text.len() {
                if let Some(e) = cut.last_record_end(&text.as_bytes()[..at]) {
                    let head = cut.records(&text.as_bytes()[..e], 1);
                    prop_assert!(head.len() <= all.len());
                    prop_assert_eq!(&head[..], &all[..head.len()]);
                }
            }
        }
    }
}

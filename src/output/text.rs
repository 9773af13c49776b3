//! CSV and JSON Lines output: the header, one line per scored row, and the lines of a rejects
//! file. Numbers are written in shortest round-trip form ([`write_number`]); a number without a
//! value is an empty CSV field and a JSON `null`.

use super::{Carried, Layout, OutputColumn, ResultColumn, Scored};
use crate::format::write_number;
use crate::input::Reject;
use crate::model::policy::Decision;
use crate::model::Model;
use crate::scoring::flags;

/// Append a CSV field, quoted when needed.
pub fn csv_field(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Append a JSON number (`null` when it is not finite).
pub fn json_f64(out: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        write_number(out, x);
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Append a JSON string.
pub fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        // Nothing to escape: what serde_json writes, without its machinery.
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // serde_json escapes exactly as JSON requires (writing to a Vec cannot fail).
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Append one line of a rejects file: `line,column,value,reason,raw`.
pub fn write_reject(out: &mut Vec<u8>, r: &Reject, raw: &[u8]) {
    out.extend_from_slice(itoa::Buffer::new().format(r.line).as_bytes());
    out.push(b',');
    csv_field(out, &r.column);
    out.push(b',');
    csv_field(out, &r.value);
    out.push(b',');
    csv_field(out, &r.reason);
    out.push(b',');
    csv_field(out, &String::from_utf8_lossy(raw));
    out.push(b'\n');
}

/// The CSV header line of a layout.
pub fn csv_header(layout: &Layout<'_>) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, c) in layout.columns_iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        csv_field(&mut line, &c.name());
    }
    line.push(b'\n');
    line
}

#[inline]
fn flag_names(out: &mut Vec<u8>, bits: u32, quoted: bool) {
    for (i, name) in flags::names(bits).enumerate() {
        if i > 0 {
            out.push(if quoted { b',' } else { b';' });
        }
        if quoted {
            out.push(b'"');
        }
        out.extend_from_slice(name.as_bytes());
        if quoted {
            out.push(b'"');
        }
    }
}

/// Scored rows as CSV lines or JSON Lines records, every text that repeats (grade names and
/// rates, decision names, reason codes and statements, JSON keys) formatted once.
#[derive(Debug, Clone)]
pub struct TextRows<'a> {
    json: bool,
    layout: &'a Layout<'a>,
    /// The layout's columns, the results (which stand together) as one entry.
    fields: Vec<Field>,
    /// Per grade: its name and its annual rate, as output text.
    grades: Vec<(Vec<u8>, Vec<u8>)>,
    /// Per decision code: its name, as output text.
    decisions: Vec<Vec<u8>>,
    /// Per feature: its reason code, as output text.
    codes: Vec<Vec<u8>>,
    /// Per feature: its reason statement, as output text (when the layout has them).
    texts: Vec<Vec<u8>>,
    /// JSON Lines: `"name":` of each result.
    keys: Vec<Vec<u8>>,
}

impl<'a> TextRows<'a> {
    /// CSV lines (`json` false) or JSON Lines records (`json` true) of `model`'s scores.
    pub fn new(layout: &'a Layout<'a>, model: &Model, json: bool) -> TextRows<'a> {
        let text = |s: &str| {
            let mut out = Vec::with_capacity(s.len() + 2);
            if json {
                json_str(&mut out, s);
            } else {
                csv_field(&mut out, s);
            }
            out
        };
        let grades = model
            .grades()
            .iter()
            .map(|g| {
                let mut rate = Vec::new();
                match model.policy().annual_rate.get(&g.grade).copied() {
                    Some(r) if json => json_f64(&mut rate, r),
                    Some(r) => write_number(&mut rate, r),
                    None if json => rate.extend_from_slice(b"null"),
                    None => {}
                }
                (text(&g.grade), rate)
            })
            .collect();
        TextRows {
            json,
            layout,
            fields: fields(layout),
            grades,
            decisions: Decision::ALL.iter().map(|d| text(d.as_str())).collect(),
            codes: model
                .features()
                .iter()
                .map(|f| text(&f.reason_code))
                .collect(),
            texts: layout
                .texts
                .unwrap_or_default()
                .iter()
                .map(|t| text(t))
                .collect(),
            keys: ResultColumn::ALL
                .iter()
                .map(|c| {
                    let mut key = text(c.name());
                    key.push(b':');
                    key
                })
                .collect(),
        }
    }

    /// Append row `i` of `scored`, with what it carries through.
    pub fn write(&self, out: &mut Vec<u8>, scored: &Scored, i: usize, carried: &Carried<'_>) {
        if self.json {
            self.write_jsonl(out, scored, i, carried);
        } else {
            self.write_csv(out, scored, i, carried);
        }
    }

    #[inline]
    fn result<const JSON: bool>(&self, out: &mut Vec<u8>, c: ResultColumn, s: &Scored, i: usize) {
        let number = |out: &mut Vec<u8>, x: f64| {
            if JSON {
                json_f64(out, x);
            } else {
                write_number(out, x);
            }
        };
        match c {
            ResultColumn::Score => number(out, s.score[i]),
            ResultColumn::Pd => number(out, s.pd[i]),
            ResultColumn::Grade => out.extend_from_slice(&self.grades[s.grade[i] as usize].0),
            ResultColumn::Decision => match self.decisions.get(s.decision[i] as usize) {
                Some(name) => out.extend_from_slice(name),
                None => out.extend_from_slice(if JSON { b"null" } else { b"" }),
            },
            ResultColumn::Limit => number(out, s.limit[i]),
            ResultColumn::AnnualRate => out.extend_from_slice(&self.grades[s.grade[i] as usize].1),
            ResultColumn::ExpectedLoss => number(out, s.expected_loss[i]),
        }
    }

    fn write_csv(&self, out: &mut Vec<u8>, s: &Scored, i: usize, carried: &Carried<'_>) {
        let reasons = &s.reasons[i * s.k..(i + 1) * s.k];
        for (n, field) in self.fields.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            match *field {
                Field::Id => {
                    if let Some(id) = &carried.id {
                        csv_field(out, id);
                    }
                }
                Field::Kept(j) => {
                    if let Some(Some(v)) = carried.keep.get(j) {
                        csv_field(out, v);
                    }
                }
                Field::Results => {
                    for (k, c) in ResultColumn::ALL.into_iter().enumerate() {
                        if k > 0 {
                            out.push(b',');
                        }
                        self.result::<false>(out, c, s, i);
                    }
                }
                Field::Reasons => column_per_reason(out, reasons, &self.codes),
                Field::ReasonTexts => column_per_reason(out, reasons, &self.texts),
                Field::Flags => flag_names(out, s.flags[i], false),
            }
        }
        out.push(b'\n');
    }

    /// The id (omitted when the record has none) and kept values, the results, then `reasons`,
    /// `reason_texts` (when the layout has statements) and `flags` as arrays.
    fn write_jsonl(&self, out: &mut Vec<u8>, s: &Scored, i: usize, carried: &Carried<'_>) {
        out.push(b'{');
        if let (Some(name), Some(id)) = (self.layout.id, &carried.id) {
            json_str(out, name);
            out.push(b':');
            json_str(out, id);
            out.push(b',');
        }
        for (j, name) in self.layout.kept.iter().enumerate() {
            json_str(out, name);
            out.push(b':');
            match carried.keep.get(j) {
                Some(Some(v)) => json_str(out, v),
                _ => out.extend_from_slice(b"null"),
            }
            out.push(b',');
        }
        for (n, (c, key)) in ResultColumn::ALL.iter().zip(&self.keys).enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            self.result::<true>(out, *c, s, i);
        }
        let reasons = &s.reasons[i * s.k..(i + 1) * s.k];
        let array = |out: &mut Vec<u8>, key: &[u8], items: &[Vec<u8>]| {
            out.extend_from_slice(key);
            let mut first = true;
            for f in reasons.iter().filter_map(|&f| usize::try_from(f).ok()) {
                if let Some(item) = items.get(f) {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend_from_slice(item);
                }
            }
            out.push(b']');
        };
        array(out, b",\"reasons\":[", &self.codes);
        if self.layout.texts.is_some() {
            array(out, b",\"reason_texts\":[", &self.texts);
        }
        out.extend_from_slice(b",\"flags\":[");
        flag_names(out, s.flags[i], true);
        out.extend_from_slice(b"]}\n");
    }
}

/// A field of a CSV line: a column of the layout, the results standing together as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Kept(usize),
    Results,
    Reasons,
    ReasonTexts,
    Flags,
}

/// The fields of a layout's lines, in [`Layout::columns`] order.
fn fields(layout: &Layout<'_>) -> Vec<Field> {
    let mut fields: Vec<Field> = Vec::new();
    for column in layout.columns_iter() {
        let field = match column {
            OutputColumn::Id(_) => Field::Id,
            OutputColumn::Kept(j, _) => Field::Kept(j),
            OutputColumn::Result(_) => Field::Results,
            OutputColumn::Reason(_) => Field::Reasons,
            OutputColumn::ReasonText(_) => Field::ReasonTexts,
            OutputColumn::Flags => Field::Flags,
        };
        // Columns of one kind stand together: each kind is one field.
        if fields.last() != Some(&field) {
            fields.push(field);
        }
    }
    fields
}

/// One CSV column per reason (`reasons`: the row's features, -1 = none): the feature's item,
/// or an empty field.
#[inline]
fn column_per_reason(out: &mut Vec<u8>, reasons: &[i32], items: &[Vec<u8>]) {
    for (r, &f) in reasons.iter().enumerate() {
        if r > 0 {
            out.push(b',');
        }
        if let Some(item) = usize::try_from(f).ok().and_then(|f| items.get(f)) {
            out.extend_from_slice(item);
        }
    }
}

//! CSV and JSON Lines output: the header, one line per scored row, and the lines of a rejects
//! file. Numbers are written in shortest round-trip form ([`write_number`]); a number without a
//! value is an empty CSV field and a JSON `null`.

use super::{Carried, Layout, OutputColumn, ResultColumn, Results, Value};
use crate::format::write_number;
use crate::input::Reject;
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
    for (i, c) in layout.columns().iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        csv_field(&mut line, &c.name());
    }
    line.push(b'\n');
    line
}

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

/// Append row `i` of `results` as a CSV line, with what it carries through.
pub fn write_csv_row(
    out: &mut Vec<u8>,
    layout: &Layout<'_>,
    results: &Results<'_>,
    i: usize,
    carried: &Carried<'_>,
) {
    for (n, column) in layout.columns_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        match column {
            OutputColumn::Id(_) => {
                if let Some(id) = &carried.id {
                    csv_field(out, id);
                }
            }
            OutputColumn::Kept(j, _) => {
                if let Some(Some(v)) = carried.keep.get(j) {
                    csv_field(out, v);
                }
            }
            OutputColumn::Result(c) => match results.value(c, i) {
                Value::Number(Some(x)) => write_number(out, x),
                Value::Number(None) => {}
                Value::Text(t) => csv_field(out, t),
            },
            OutputColumn::Reason(r) => {
                if let Some(code) = results.reason_code(i, r) {
                    csv_field(out, code);
                }
            }
            OutputColumn::ReasonText(r) => {
                if let (Some(f), Some(texts)) = (results.reason(i, r), layout.texts) {
                    csv_field(out, &texts[f]);
                }
            }
            OutputColumn::Flags => flag_names(out, results.scored.flags[i], false),
        }
    }
    out.push(b'\n');
}

/// Append row `i` of `results` as a JSON Lines record, with what it carries through: the id
/// (omitted when the record has none) and kept values, the results, then `reasons`,
/// `reason_texts` (when the layout has statements) and `flags` as arrays.
pub fn write_jsonl_row(
    out: &mut Vec<u8>,
    layout: &Layout<'_>,
    results: &Results<'_>,
    i: usize,
    carried: &Carried<'_>,
) {
    out.push(b'{');
    if let (Some(name), Some(id)) = (layout.id, &carried.id) {
        json_str(out, name);
        out.push(b':');
        json_str(out, id);
        out.push(b',');
    }
    for (j, name) in layout.kept.iter().enumerate() {
        json_str(out, name);
        out.push(b':');
        match carried.keep.get(j) {
            Some(Some(v)) => json_str(out, v),
            _ => out.extend_from_slice(b"null"),
        }
        out.push(b',');
    }
    for (n, c) in ResultColumn::ALL.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        json_str(out, c.name());
        out.push(b':');
        match results.value(c, i) {
            Value::Number(Some(x)) => json_f64(out, x),
            Value::Number(None) => out.extend_from_slice(b"null"),
            Value::Text(t) => json_str(out, t),
        }
    }
    let array = |out: &mut Vec<u8>, key: &str, items: &mut dyn Iterator<Item = &str>| {
        out.push(b',');
        json_str(out, key);
        out.extend_from_slice(b":[");
        for (n, item) in items.enumerate() {
            if n > 0 {
                out.push(b',');
            }
            json_str(out, item);
        }
        out.push(b']');
    };
    let model = results.model();
    array(
        out,
        "reasons",
        &mut results
            .reasons(i)
            .map(|f| model.features()[f].reason_code.as_str()),
    );
    if let Some(texts) = layout.texts {
        array(
            out,
            "reason_texts",
            &mut results.reasons(i).map(|f| texts[f].as_str()),
        );
    }
    out.extend_from_slice(b",\"flags\":[");
    flag_names(out, results.scored.flags[i], true);
    out.extend_from_slice(b"]}\n");
}

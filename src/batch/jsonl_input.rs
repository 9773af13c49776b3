//! JSON Lines input: each record parsed straight into the plan's slots.
//!
//! A record is read by a streaming `serde_json` visitor: the keys the plan needs go to their
//! slot (strings borrowed from the line when they have no escapes, numbers as `f64`), every
//! other value is skipped without being built. No map, no `Value`, no allocation per field in
//! the common case. The rules are those of a parse into a map: invalid JSON, a record that is
//! not an object and a key given twice reject the record; a needed key holding an array or an
//! object rejects it, naming the key; a number's text (for a category, an id or a kept column)
//! is the text `serde_json` writes for it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::plan::Plan;
use super::rows::{
    amount_reject, input_value, known_category, Parsed, RowError, RowMeta, TextBlock,
};
use crate::input::is_missing_token;
use crate::output::Carried;
use crate::scoring::{flags, Scorer};

/// One needed key's value in a record.
#[derive(Debug, Clone, Default)]
enum Cell<'a> {
    /// The key is not in the record.
    #[default]
    Absent,
    Null,
    Bool(bool),
    /// A number, and how `serde_json` writes it.
    Number(f64, NumberKind),
    Text(Cow<'a, str>),
    /// An array or an object, as JSON text.
    Nested(String),
}

#[derive(Debug, Clone, Copy)]
enum NumberKind {
    Unsigned(u64),
    Signed(i64),
    Float,
}

impl Cell<'_> {
    /// The value as text (`None`: absent or null), as a parse into a map gives it.
    fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Cell::Absent | Cell::Null => None,
            Cell::Bool(b) => Some(Cow::Borrowed(if *b { "1" } else { "0" })),
            Cell::Number(x, kind) => Some(Cow::Owned(match kind {
                NumberKind::Unsigned(u) => serde_json::Number::from(*u).to_string(),
                NumberKind::Signed(i) => serde_json::Number::from(*i).to_string(),
                NumberKind::Float => {
                    serde_json::Number::from_f64(*x).map_or_else(String::new, |n| n.to_string())
                }
            })),
            Cell::Text(t) => Some(Cow::Borrowed(t)),
            Cell::Nested(_) => None,
        }
    }
}

/// The parse state of one record: the plan's slots and the record's other keys.
struct Record<'p, 'a> {
    index: &'p rustc_hash::FxHashMap<String, usize>,
    cells: &'p mut [Cell<'a>],
    /// Keys not in the plan seen in this record (to find one given twice).
    others: &'p mut Vec<Cow<'a, str>>,
    /// All keys, in order, when wanted (the unit's first record).
    keys: Option<&'p mut Vec<String>>,
    /// The first key given twice.
    duplicate: Option<String>,
    /// The keys of the last record, in order, with their slots: records usually list their
    /// keys in the same order, so a key is matched by one comparison instead of a hash.
    order: &'p mut Vec<(String, Option<usize>)>,
}

/// A key, borrowed from the line when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A needed key's value.
struct CellSeed;

impl<'de> DeserializeSeed<'de> for CellSeed {
    type Value = Cell<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(CellVisitor)
    }
}

struct CellVisitor;

impl<'de> Visitor<'de> for CellVisitor {
    type Value = Cell<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Cell::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Cell::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Cell::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Cell::Number(v as f64, NumberKind::Unsigned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Cell::Number(v as f64, NumberKind::Signed(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Cell::Number(v, NumberKind::Float))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cell::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cell::Text(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cell::Text(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let v: serde_json::Value =
            serde::Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Cell::Nested(v.to_string()))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let v: serde_json::Value =
            serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Cell::Nested(v.to_string()))
    }
}

impl<'de> Visitor<'de> for &mut Record<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut position = 0;
        while let Some(key) = map.next_key_seed(Key)? {
            if let Some(keys) = self.keys.as_deref_mut() {
                keys.push(key.to_string());
            }
            let slot = match self.order.get(position) {
                Some((k, slot)) if k.as_str() == key.as_ref() => *slot,
                _ => {
                    let slot = self.index.get(key.as_ref()).copied();
                    self.order.truncate(position);
                    self.order.push((key.to_string(), slot));
                    slot
                }
            };
            position += 1;
            match slot {
                Some(slot) => {
                    let cell = map.next_value_seed(CellSeed)?;
                    if !matches!(self.cells[slot], Cell::Absent) && self.duplicate.is_none() {
                        self.duplicate = Some(key.to_string());
                    }
                    self.cells[slot] = cell;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                    if self.others.contains(&key) {
                        if self.duplicate.is_none() {
                            self.duplicate = Some(key.to_string());
                        }
                    } else {
                        self.others.push(key);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Parse the JSON Lines of `block`, one object per line.
pub(super) fn parse_block<'a>(scorer: &Scorer, plan: &Plan, block: &'a TextBlock) -> Parsed<'a> {
    let m = scorer.input_columns().len();
    let mut parsed = Parsed::with_capacity(m, block.lines);
    parsed.listed = plan.list_rejects.then(Vec::new);
    let mut values = vec![0.0f64; m];
    let mut seen = vec![false; plan.header.len()];
    let mut first_keys: Option<Vec<String>> = None;
    let mut cells: Vec<Cell<'a>> = vec![Cell::Absent; plan.header.len()];
    let mut others: Vec<Cow<'a, str>> = Vec::new();
    let mut order = Vec::new();
    for (offset, raw_line) in block.bytes.split(|&b| b == b'\n').enumerate() {
        let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        cells.iter_mut().for_each(|c| *c = Cell::Absent);
        others.clear();
        let mut keys = first_keys.is_none().then(Vec::new);
        let read = read_record(
            plan,
            line,
            &mut cells,
            &mut others,
            &mut order,
            keys.as_mut(),
        );
        if let (Some(k), Ok(())) = (keys, &read) {
            first_keys = Some(k);
        }
        let row = read.and_then(|()| {
            for (s, c) in seen.iter_mut().zip(&cells) {
                *s |= !matches!(c, Cell::Absent);
            }
            convert(scorer, plan, &cells, &mut values)
        });
        parsed.add(block.first_line + offset as u64, row, &values, line);
    }
    parsed.keys = Some((seen, first_keys.unwrap_or_default()));
    parsed
}

/// Read one record into `cells`: an error (the reject's reason) for invalid JSON, a value that
/// is not an object, or a key given twice.
fn read_record<'a>(
    plan: &Plan,
    line: &'a [u8],
    cells: &mut [Cell<'a>],
    others: &mut Vec<Cow<'a, str>>,
    order: &mut Vec<(String, Option<usize>)>,
    keys: Option<&mut Vec<String>>,
) -> Result<(), RowError> {
    let fail = |reason: String| (String::new(), String::new(), reason);
    let mut record = Record {
        index: &plan.json_index,
        cells,
        others,
        keys,
        duplicate: None,
        order,
    };
    // A line checked as UTF-8 once (fast) is parsed without checking each string again;
    // one that is not gets the byte parser's own error.
    let parsed = match std::str::from_utf8(line) {
        Ok(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            de.deserialize_map(&mut record).and_then(|()| de.end())
        }
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(line);
            de.deserialize_map(&mut record).and_then(|()| de.end())
        }
    };
    match parsed {
        Ok(()) => {}
        Err(e) if e.is_data() => return Err(fail("not a JSON object".into())),
        Err(e) => return Err(fail(format!("invalid JSON: {e}"))),
    }
    match record.duplicate {
        Some(k) => Err(fail(format!("key '{k}' appears twice in the record"))),
        None => Ok(()),
    }
}

/// The scorer's inputs, and the row's id and kept columns, from a record's cells.
fn convert<'a>(
    scorer: &Scorer,
    plan: &Plan,
    cells: &[Cell<'a>],
    values: &mut [f64],
) -> Result<RowMeta<'a>, RowError> {
    let name = |slot: usize| plan.header[slot].clone();
    let nested = |slot: usize| -> Option<RowError> {
        match &cells[slot] {
            Cell::Nested(v) => Some((
                name(slot),
                v.clone(),
                "nested arrays and objects are not supported".into(),
            )),
            _ => None,
        }
    };
    // A record without a key the model reads: missing, flagged under the opt-in (a writer may
    // leave out null fields; a key no record has is an error at the end of the file).
    let absent = (0..scorer.input_columns().len()).any(|j| matches!(cells[j], Cell::Absent));
    let row_flags = if absent && plan.absent_opt_in {
        flags::ABSENT_COLUMN
    } else {
        0
    };
    for (j, value) in values.iter_mut().enumerate() {
        if let Some(e) = nested(j) {
            return Err(e);
        }
        *value = match &cells[j] {
            Cell::Absent | Cell::Null | Cell::Nested(_) => f64::NAN,
            // A number in a numeric column is its value (its text would parse back to it).
            Cell::Number(x, _) if !plan.categorical[j] => *x,
            // A category written exactly as the model has it.
            Cell::Text(t) if plan.categorical[j] => match known_category(scorer, j, t.as_bytes()) {
                Some(x) => x,
                None => input_value(scorer, plan, j, t)
                    .map_err(|reason| (name(j), t.to_string(), reason.to_string()))?,
            },
            cell => {
                let t = cell.text().unwrap_or_default();
                input_value(scorer, plan, j, &t)
                    .map_err(|reason| (name(j), t.to_string(), reason.to_string()))?
            }
        };
    }
    for slot in plan.required.iter().flatten() {
        if let Some(e) = nested(*slot) {
            return Err(e);
        }
        if cells[*slot].text().is_none_or(|t| is_missing_token(&t)) {
            return Err((
                name(*slot),
                String::new(),
                "required by the decision policy, but empty".into(),
            ));
        }
    }
    let owned = |slot: usize| -> Result<Option<Cow<'a, str>>, RowError> {
        if let Some(e) = nested(slot) {
            return Err(e);
        }
        Ok(match &cells[slot] {
            Cell::Text(t) => Some(t.clone()),
            other => other.text().map(|t| Cow::Owned(t.into_owned())),
        })
    };
    let id = plan.id.map(owned).transpose()?.flatten();
    let keep = plan
        .keep
        .iter()
        .map(|&slot| owned(slot))
        .collect::<Result<_, _>>()?;
    if let Some(e) = amount_reject(scorer, values) {
        return Err(e);
    }
    Ok(RowMeta {
        carried: Carried { id, keep },
        flags: row_flags,
    })
}

//! CSV into typed columns in one pass: what `train`, `explain` and Python `read_table` read.
//!
//! The file is cut into blocks of whole records (as `score` cuts it), a few at a time; the
//! blocks of a wave are split and converted in parallel, each column of a block into numbers
//! (straight from the bytes, by the exact fast paths of [`super::number`]) or, once a text
//! appears in it, into the block's categories; the waves are merged in file order. A column is
//! numeric when every value in the file is a number or missing, and categorical otherwise, as
//! if the file had been read twice; its categories are numbered in order of first appearance
//! and keep the text as written (trimmed). The numbers of a column that turns categorical
//! late keep their text: the text [`crate::format::number_text`] writes when that is how they
//! were written ([`super::number::is_canonical_number`]), else the text itself; past
//! [`MAX_KEPT_TEXTS`] such texts in a column, that column alone is read again at the end.
//! Memory: the columns, plus a wave of blocks. Results do not depend on the thread count.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;

use rayon::prelude::*;

use super::csv::{split_record_into, Cutter};
use super::number::is_missing_token;
use super::number::{fast_number, is_canonical_number, plain_decimal_comma};
use super::open::{next_block, Dialect};

/// Bytes per block.
const BLOCK_BYTES: usize = 1 << 20;
/// Blocks read and parsed at a time.
const WAVE_BLOCKS: usize = 8;
/// Texts of non-canonical numbers kept per column (see the module documentation).
pub const MAX_KEPT_TEXTS: usize = 200_000;

/// How a column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Not read.
    Skip,
    /// Numbers by inference: categorical if any value is not a number.
    Infer,
    /// Numbers; a value that is not one is an error.
    Numeric,
    /// Categories, numbers included (as text).
    Categorical,
}

/// A column read from a file.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Numbers, NaN for missing.
    Numeric(Vec<f64>),
    /// Category codes ([`MISSING_CODE`] for missing) and the categories.
    Categorical {
        /// One code per row.
        codes: Vec<u32>,
        /// The categories in order of first appearance.
        levels: Vec<String>,
    },
}

impl ColumnValues {
    /// Numbers as categories: each distinct number's shortest text (as a file would write it,
    /// `3` for 3.0) is a level, in order of first appearance; NaN is missing.
    pub fn categories_of_numbers(values: &[f64]) -> ColumnValues {
        let mut index: HashMap<u64, u32> = HashMap::new();
        let mut levels = Vec::new();
        let codes = values
            .iter()
            .map(|&x| {
                if x.is_nan() {
                    return MISSING_CODE;
                }
                // -0.0 and 0.0 are one category, as their text is.
                let key = if x == 0.0 { 0.0f64 } else { x }.to_bits();
                *index.entry(key).or_insert_with(|| {
                    levels.push(crate::format::number_text(x));
                    (levels.len() - 1) as u32
                })
            })
            .collect();
        ColumnValues::Categorical { codes, levels }
    }
}

/// Why a file could not be read into columns: (line, message) or a value at fault.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnsError {
    /// An I/O error.
    Io(String),
    /// A record that cannot be read.
    Malformed {
        /// Line where the record starts.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A value that does not fit its column.
    BadValue {
        /// Line where the record starts.
        line: u64,
        /// Column index.
        column: usize,
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },
}

/// One column of one block.
enum BlockColumn {
    Skip,
    Numbers {
        values: Vec<f64>,
        /// (row in the block, text) of numbers not written canonically.
        texts: Vec<(u32, Box<str>)>,
    },
    Texts {
        codes: Vec<u32>,
        levels: Levels,
    },
}

/// One parsed block: its columns, rows and first error (by line, then column).
struct Block {
    rows: usize,
    columns: Vec<BlockColumn>,
    error: Option<(u64, usize, ColumnsError)>,
}

/// A column being filled from the blocks, in order.
enum Merged {
    Skip,
    Numbers {
        values: Vec<f64>,
        /// (row, text) of the numbers not written canonically; `None` once past
        /// [`MAX_KEPT_TEXTS`].
        texts: Option<Vec<(usize, Box<str>)>>,
    },
    Texts {
        codes: Vec<u32>,
        levels: Levels,
    },
    /// Turned categorical after its number texts were dropped: read again at the end.
    Again,
}

/// The text of a field (UTF-8 checked by the record).
fn field_text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

/// A field as a number: `Ok(NaN)` for missing, `Err(())` for text.
#[inline]
fn number(b: &[u8], dialect: &Dialect) -> Result<f64, ()> {
    if b.is_empty() {
        return Ok(f64::NAN);
    }
    let fast = if dialect.decimal_comma {
        plain_decimal_comma(b)
    } else {
        fast_number(b)
    };
    if let Some(x) = fast {
        return Ok(x);
    }
    let t = field_text(b);
    if is_missing_token(t) {
        return Ok(f64::NAN);
    }
    dialect.number(t).ok_or(())
}

/// Intern `t` (trimmed) into a block's categories.
/// The levels of a categorical column in order of first appearance, each text once, and the
/// code of each: how every reader (CSV and JSON Lines blocks, Arrow and Parquet columns, the
/// training tables) turns texts into category codes.
#[derive(Debug, Default)]
pub struct Levels {
    /// FxHash: the codes follow first appearance, so the hasher only changes the speed.
    index: rustc_hash::FxHashMap<Box<str>, u32>,
    levels: Vec<Box<str>>,
}

impl Levels {
    /// No levels yet.
    pub fn new() -> Levels {
        Levels::default()
    }

    /// The code of `text`, taken as given (the caller trims or not), added as the next level
    /// the first time it is seen.
    pub fn code(&mut self, text: &str) -> u32 {
        if let Some(&c) = self.index.get(text) {
            return c;
        }
        let c = self.levels.len() as u32;
        self.index.insert(text.into(), c);
        self.levels.push(text.into());
        c
    }

    /// The levels, in code order.
    pub fn into_levels(self) -> Vec<String> {
        self.levels.into_iter().map(String::from).collect()
    }
}

fn intern(t: &str, levels: &mut Levels) -> u32 {
    levels.code(t.trim())
}

/// Read one column of a block's rows (`fields[r * width + c]`).
fn block_column(
    kind: ColumnKind,
    c: usize,
    fields: &[Cow<'_, [u8]>],
    lines: &[u64],
    dialect: &Dialect,
    error: &mut Option<(u64, usize, ColumnsError)>,
) -> BlockColumn {
    let n = lines.len();
    let cell = |r: usize| -> &[u8] { &fields[r] };
    let texts_column = || {
        let mut levels = Levels::new();
        let codes = (0..n)
            .map(|r| {
                let t = field_text(cell(r));
                if is_missing_token(t) {
                    MISSING_CODE
                } else {
                    intern(t, &mut levels)
                }
            })
            .collect();
        BlockColumn::Texts { codes, levels }
    };
    match kind {
        ColumnKind::Skip => BlockColumn::Skip,
        ColumnKind::Categorical => texts_column(),
        ColumnKind::Numeric | ColumnKind::Infer => {
            let mut values = Vec::with_capacity(n);
            let mut texts = Vec::new();
            for (r, &line) in lines.iter().enumerate() {
                let b = cell(r);
                match number(b, dialect) {
                    Ok(x) => {
                        values.push(x);
                        if !x.is_nan() && kind == ColumnKind::Infer && !is_canonical_number(b) {
                            let t = field_text(b).trim();
                            if !is_canonical_number(t.as_bytes()) {
                                texts.push((r as u32, t.into()));
                            }
                        }
                    }
                    Err(()) if kind == ColumnKind::Infer => return texts_column(),
                    Err(()) => {
                        let e = ColumnsError::BadValue {
                            line,
                            column: c,
                            value: field_text(b).to_string(),
                            reason: dialect.not_a_number(field_text(b)).to_string(),
                        };
                        if error
                            .as_ref()
                            .is_none_or(|(l, col, _)| (line, c) < (*l, *col))
                        {
                            *error = Some((line, c, e));
                        }
                        return BlockColumn::Skip;
                    }
                }
            }
            BlockColumn::Numbers { values, texts }
        }
    }
}

/// Split and convert one block of whole records.
///
/// `records` is the block's number of lines, as its reader counted them (the capacity of its
/// columns).
fn parse_block(
    bytes: &[u8],
    first_line: u64,
    records: usize,
    kinds: &[ColumnKind],
    dialect: &Dialect,
) -> Block {
    let width = kinds.len();
    // The fields column by column (each column's cells contiguous for its conversion), sized
    // for the block's lines at once.
    let mut fields: Vec<Vec<Cow<'_, [u8]>>> =
        (0..width).map(|_| Vec::with_capacity(records)).collect();
    let mut lines = Vec::with_capacity(records);
    let mut row = Vec::with_capacity(width);
    let mut error = None;
    let cut = Cutter {
        delimiter: dialect.delimiter,
        width: Some(width),
    };
    for (line, record) in cut.records(bytes, first_line) {
        let fail = |message: String| Some((line, 0, ColumnsError::Malformed { line, message }));
        if let Err(e) = std::str::from_utf8(record) {
            let field = record[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == dialect.delimiter)
                .count();
            error = fail(format!("invalid UTF-8 in field {}", field + 1));
            break;
        }
        if let Err(why) = split_record_into(record, dialect.delimiter, &mut row) {
            error = fail(why.to_string());
            break;
        }
        if row.len() != width {
            error = fail(format!("{} fields where the header has {width}", row.len()));
            break;
        }
        for (column, field) in fields.iter_mut().zip(row.drain(..)) {
            column.push(field);
        }
        lines.push(line);
    }
    let columns = (0..width)
        .map(|c| block_column(kinds[c], c, &fields[c], &lines, dialect, &mut error))
        .collect();
    Block {
        rows: lines.len(),
        columns,
        error,
    }
}

/// The text a number of a numeric column stands for: kept, or the canonical one.
fn number_as_text(x: f64, kept: Option<&str>) -> Cow<'_, str> {
    match kept {
        Some(t) => Cow::Borrowed(t),
        None => Cow::Owned(crate::format::number_text(x)),
    }
}

impl Merged {
    fn new(kind: ColumnKind) -> Merged {
        match kind {
            ColumnKind::Skip => Merged::Skip,
            ColumnKind::Categorical => Merged::Texts {
                codes: Vec::new(),
                levels: Levels::new(),
            },
            _ => Merged::Numbers {
                values: Vec::new(),
                texts: Some(Vec::new()),
            },
        }
    }

    /// The numbers so far as categories (their texts).
    fn into_texts(self) -> Merged {
        let Merged::Numbers {
            values,
            texts: Some(texts),
        } = self
        else {
            return match self {
                Merged::Numbers { texts: None, .. } => Merged::Again,
                other => other,
            };
        };
        let kept: HashMap<usize, Box<str>> = texts.into_iter().collect();
        let mut levels = Levels::new();
        let codes = values
            .iter()
            .enumerate()
            .map(|(r, &x)| {
                if x.is_nan() {
                    MISSING_CODE
                } else {
                    intern(&number_as_text(x, kept.get(&r).map(|t| &**t)), &mut levels)
                }
            })
            .collect();
        Merged::Texts { codes, levels }
    }

    /// Append a block's column.
    fn append(self, block: BlockColumn) -> Merged {
        match (self, block) {
            (Merged::Skip, _) => Merged::Skip,
            (Merged::Again, _) => Merged::Again,
            (
                Merged::Numbers {
                    mut values,
                    mut texts,
                },
                BlockColumn::Numbers {
                    values: v,
                    texts: t,
                },
            ) => {
                let base = values.len();
                values.extend_from_slice(&v);
                if let Some(kept) = &mut texts {
                    kept.extend(t.into_iter().map(|(r, s)| (base + r as usize, s)));
                    if kept.len() > MAX_KEPT_TEXTS {
                        texts = None;
                    }
                }
                Merged::Numbers { values, texts }
            }
            (merged @ Merged::Numbers { .. }, block @ BlockColumn::Texts { .. }) => {
                merged.into_texts().append(block)
            }
            (
                Merged::Texts {
                    mut codes,
                    mut levels,
                },
                block,
            ) => {
                match block {
                    BlockColumn::Texts {
                        codes: c,
                        levels: l,
                    } => {
                        let map: Vec<u32> =
                            l.levels.iter().map(|t| intern(t, &mut levels)).collect();
                        codes.extend(c.iter().map(|&k| {
                            if k == MISSING_CODE {
                                MISSING_CODE
                            } else {
                                map[k as usize]
                            }
                        }));
                    }
                    BlockColumn::Numbers { values, texts } => {
                        let kept: HashMap<u32, Box<str>> = texts.into_iter().collect();
                        for (r, &x) in values.iter().enumerate() {
                            codes.push(if x.is_nan() {
                                MISSING_CODE
                            } else {
                                intern(
                                    &number_as_text(x, kept.get(&(r as u32)).map(|t| &**t)),
                                    &mut levels,
                                )
                            });
                        }
                    }
                    BlockColumn::Skip => {}
                }
                Merged::Texts { codes, levels }
            }
            (merged @ Merged::Numbers { .. }, BlockColumn::Skip) => merged,
        }
    }

    fn finish(self) -> Option<ColumnValues> {
        match self {
            Merged::Skip | Merged::Again => None,
            Merged::Numbers { values, .. } => Some(ColumnValues::Numeric(values)),
            Merged::Texts { codes, levels } => Some(ColumnValues::Categorical {
                codes,
                levels: levels.into_levels(),
            }),
        }
    }
}

/// Read the records of `reader` (after the header; its first line is `first_line`) into one
/// column per entry of `kinds` (`None` for skipped ones), and the number of rows. Errors name
/// the first bad record or value in file order. `reopen` gives the same records again, for a
/// column that must be read a second time (see the module documentation).
pub fn read_columns(
    reader: &mut dyn Read,
    first_line: u64,
    kinds: &[ColumnKind],
    dialect: &Dialect,
    reopen: &dyn Fn() -> std::io::Result<Box<dyn Read>>,
) -> Result<(Vec<Option<ColumnValues>>, usize), ColumnsError> {
    let (merged, rows) = read_merged(reader, first_line, kinds, dialect)?;
    let again: Vec<usize> = merged
        .iter()
        .enumerate()
        .filter(|(_, m)| matches!(m, Merged::Again))
        .map(|(c, _)| c)
        .collect();
    let mut out: Vec<Option<ColumnValues>> = merged.into_iter().map(Merged::finish).collect();
    if !again.is_empty() {
        let second: Vec<ColumnKind> = (0..kinds.len())
            .map(|c| {
                if again.contains(&c) {
                    ColumnKind::Categorical
                } else {
                    ColumnKind::Skip
                }
            })
            .collect();
        let mut r = reopen().map_err(|e| ColumnsError::Io(e.to_string()))?;
        let (merged, _) = read_merged(&mut *r, first_line, &second, dialect)?;
        for (c, m) in merged.into_iter().enumerate() {
            if again.contains(&c) {
                out[c] = m.finish();
            }
        }
    }
    Ok((out, rows))
}

fn read_merged(
    reader: &mut dyn Read,
    first_line: u64,
    kinds: &[ColumnKind],
    dialect: &Dialect,
) -> Result<(Vec<Merged>, usize), ColumnsError> {
    let mut merged: Vec<Merged> = kinds.iter().map(|&k| Merged::new(k)).collect();
    let mut rows = 0usize;
    let mut line = first_line;
    let mut carry = Vec::new();
    let mut done = false;
    // The parsed wave not merged yet: a wave is merged while the next one is parsed.
    let mut pending: Vec<Block> = Vec::new();
    let merge = |mut merged: Vec<Merged>, blocks: Vec<Block>| {
        let mut rows = 0;
        for block in blocks {
            if let Some((_, _, e)) = block.error {
                return Err(e);
            }
            rows += block.rows;
            merged = merged
                .into_iter()
                .zip(block.columns)
                .map(|(m, b)| m.append(b))
                .collect();
        }
        Ok((merged, rows))
    };
    while !done {
        // An error in the wave parsed last comes before anything further in the file.
        if let Some(e) = pending.iter_mut().find_map(|b| b.error.take()) {
            return Err(e.2);
        }
        // A wave: read blocks of whole records, then parse them in parallel.
        let mut wave: Vec<(u64, u64, Vec<u8>)> = Vec::with_capacity(WAVE_BLOCKS);
        while wave.len() < WAVE_BLOCKS {
            let mut block = Vec::new();
            let cut = Cutter {
                delimiter: dialect.delimiter,
                width: Some(kinds.len()),
            };
            match next_block(reader, &mut carry, &mut block, BLOCK_BYTES, Some(cut)) {
                Ok(true) => {
                    let lines = memchr::memchr_iter(b'\n', &block).count() as u64
                        + u64::from(!block.ends_with(b"\n"));
                    wave.push((line, lines, block));
                    line += lines;
                }
                Ok(false) => {
                    done = true;
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    return Err(ColumnsError::Malformed {
                        line,
                        message: e.to_string(),
                    })
                }
                Err(e) => return Err(ColumnsError::Io(e.to_string())),
            }
        }
        let previous = std::mem::take(&mut pending);
        let (blocks, merged_before) = rayon::join(
            || {
                wave.par_iter()
                    .map(|(first, lines, bytes)| {
                        parse_block(bytes, *first, *lines as usize, kinds, dialect)
                    })
                    .collect::<Vec<Block>>()
            },
            move || merge(merged, previous),
        );
        let (m, r) = merged_before?;
        merged = m;
        rows += r;
        pending = blocks;
    }
    let (merged, r) = merge(merged, pending)?;
    Ok((merged, rows + r))
}

/// Code of a missing categorical cell.
pub const MISSING_CODE: u32 = u32::MAX;

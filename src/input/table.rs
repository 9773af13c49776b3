//! Column tables read from CSV or JSON Lines files: numeric columns as `f64` (NaN = missing),
//! categorical columns as interned strings.
//!
//! Types are inferred: a column is numeric when every non-missing cell parses as a number, and
//! categorical otherwise; [`ReadOptions`] overrides the inference per column. Missing cells are
//! the empty cell, `NA`, `N/A`, `null` and `NaN` (case-insensitive), and JSON `null`; `none` is
//! not missing (it is a real category, such as an education level).
//! Files are read twice (once to infer the types, once to parse), so that inference sees every
//! row without holding the raw text in memory.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::format::FileFormat;
use crate::input::columns::{ColumnKind, ColumnValues, ColumnsError, Levels};

/// Errors raised while reading a table. Each names the file and, where it applies, the line,
/// the column and the offending value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not well-formed CSV or JSON Lines.
    #[error("{path}, line {line}: {message}")]
    Malformed {
        /// File.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A cell's value is not acceptable for its column.
    #[error("{path}, line {line}, column '{column}': value {value:?}: {reason}")]
    BadValue {
        /// File.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        column: String,
        /// The raw value.
        value: String,
        /// Why it is rejected.
        reason: String,
    },
    /// Columns named in the options are not in the file.
    #[error("{path}: column(s) not found: {}", missing_list(.columns, .suggestions))]
    MissingColumns {
        /// File.
        path: PathBuf,
        /// The missing names.
        columns: Vec<String>,
        /// For each, the header's name it is probably meant to be ("did you mean").
        suggestions: Vec<Option<String>>,
    },
    /// The file has no rows.
    #[error("{path}: no data rows")]
    Empty {
        /// File.
        path: PathBuf,
    },
    /// The file cannot be opened as a table (format, encoding, header).
    #[error(transparent)]
    Input(#[from] crate::input::open::InputError),
}

/// `a, b (did you mean 'B'?)`.
fn missing_list(columns: &[String], suggestions: &[Option<String>]) -> String {
    columns
        .iter()
        .zip(suggestions.iter().chain(std::iter::repeat(&None)))
        .map(|(c, s)| match s {
            Some(s) => format!("{c} (did you mean '{s}'?)"),
            None => c.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Numbers, NaN for missing.
    Numeric(Vec<f64>),
    /// Categories as indices into `levels` ([`MISSING_CODE`] for missing).
    Categorical {
        /// One code per row.
        codes: Vec<u32>,
        /// Distinct values, in order of first appearance.
        levels: Vec<String>,
    },
}

pub use crate::input::columns::MISSING_CODE;
pub use crate::input::number::{is_missing_token, parse_number, MISSING_TOKENS};

/// One named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header name.
    pub name: String,
    /// Values.
    pub data: ColumnData,
}

/// A table of equally long columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    columns: Vec<Column>,
    rows: usize,
}

impl Table {
    /// A table from columns, which must all have the same length.
    ///
    /// # Panics
    /// When the lengths differ (a programming error, not an input error).
    pub fn new(columns: Vec<Column>) -> Table {
        let rows = columns.first().map_or(0, Column::len);
        assert!(
            columns.iter().all(|c| c.len() == rows),
            "all columns of a table must have the same length"
        );
        Table { columns, rows }
    }

    /// The columns, by value.
    pub fn into_columns(self) -> Vec<Column> {
        self.columns
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.rows
    }

    /// The columns, in file order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Remove and return the column called `name`.
    pub fn take_column(&mut self, name: &str) -> Option<Column> {
        let i = self.columns.iter().position(|c| c.name == name)?;
        Some(self.columns.remove(i))
    }

    /// The rows at `indices`, in that order (used for cross-validation folds).
    pub fn select_rows(&self, indices: &[usize]) -> Table {
        let columns = self
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                data: match &c.data {
                    ColumnData::Numeric(v) => {
                        ColumnData::Numeric(indices.iter().map(|&i| v[i]).collect())
                    }
                    ColumnData::Categorical { codes, levels } => ColumnData::Categorical {
                        codes: indices.iter().map(|&i| codes[i]).collect(),
                        levels: levels.clone(),
                    },
                },
            })
            .collect();
        Table {
            columns,
            rows: indices.len(),
        }
    }
}

impl ColumnData {
    /// Numbers as categories: each distinct number's shortest text (as a file would write it,
    /// `3` for 3.0) is a level, in order of first appearance; NaN is missing.
    pub fn categorical_from_numbers(values: &[f64]) -> ColumnData {
        ColumnValues::categories_of_numbers(values).into()
    }
}

impl From<ColumnValues> for ColumnData {
    fn from(v: ColumnValues) -> ColumnData {
        match v {
            ColumnValues::Numeric(x) => ColumnData::Numeric(x),
            ColumnValues::Categorical { codes, levels } => {
                ColumnData::Categorical { codes, levels }
            }
        }
    }
}

impl Column {
    /// Number of values.
    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical { codes, .. } => codes.len(),
        }
    }

    /// Whether the column is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How to read a file into a [`Table`].
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Format, CSV delimiter and decimal comma (default: from the name and the content).
    pub input: crate::input::open::InputOptions,
    /// Columns forced categorical.
    pub categorical: Vec<String>,
    /// Columns forced numeric (a text cell is then an error).
    pub numeric: Vec<String>,
    /// Columns not read at all (ids, excluded columns).
    pub skip: Vec<String>,
    /// Columns that must be present.
    pub required: Vec<String>,
}

/// One cell as found in the file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell<'a> {
    Missing,
    /// A number, with its text as written.
    Number(f64, &'a str),
    Text(&'a str),
}

fn classify(s: &str) -> Cell<'_> {
    if is_missing_token(s) {
        return Cell::Missing;
    }
    match parse_number(s) {
        Some(x) => Cell::Number(x, s.trim()),
        None => Cell::Text(s),
    }
}

/// Open a text file for reading (through gzip when compressed, a UTF-8 byte-order mark
/// skipped).
fn open_input(
    path: &Path,
    detected: &crate::input::open::Detected,
) -> Result<Box<dyn Read>, TableError> {
    Ok(Box::new(crate::input::open::open_text(path, detected)?))
}

/// The column names of a CSV, JSON Lines or Parquet file (the keys of its first record for
/// JSON Lines).
pub fn read_header(
    path: &Path,
    input: &crate::input::open::InputOptions,
) -> Result<Vec<String>, TableError> {
    let detected = crate::input::open::detect(path, input)?;
    match detected.format {
        FileFormat::Jsonl => jsonl_keys(open_input(path, &detected)?, path),
        FileFormat::Parquet => Ok(parquet_names(path)?),
        _ => {
            let mut reader = crate::input::open::open_text(path, &detected)?;
            Ok(crate::input::open::read_csv_header(&mut reader, path, input, &detected)?.0)
        }
    }
}

/// Read a CSV, JSON Lines or Parquet file into a table.
pub fn read_table(path: &Path, options: &ReadOptions) -> Result<Table, TableError> {
    let detected = crate::input::open::detect(path, &options.input)?;
    let format = detected.format;
    let open = || open_input(path, &detected);
    let names = match format {
        FileFormat::Jsonl => jsonl_keys(open()?, path)?,
        FileFormat::Parquet => parquet_names(path)?,
        _ => {
            let mut reader = crate::input::open::open_text(path, &detected)?;
            crate::input::open::read_csv_header(&mut reader, path, &options.input, &detected)?.0
        }
    };
    let missing: Vec<String> = options
        .required
        .iter()
        .chain(&options.categorical)
        .chain(&options.numeric)
        .filter(|c| !names.contains(c))
        .cloned()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if !missing.is_empty() {
        let mut columns = missing;
        columns.sort();
        let available: Vec<&str> = names.iter().map(String::as_str).collect();
        let suggestions = columns
            .iter()
            .map(|c| crate::input::schema::suggest(c, &available).map(str::to_string))
            .collect();
        return Err(TableError::MissingColumns {
            path: path.to_path_buf(),
            columns,
            suggestions,
        });
    }
    let keep: Vec<bool> = names.iter().map(|n| !options.skip.contains(n)).collect();
    if format != FileFormat::Jsonl {
        let kinds: Vec<ColumnKind> = names
            .iter()
            .zip(&keep)
            .map(|(n, &k)| {
                if !k {
                    ColumnKind::Skip
                } else if options.categorical.contains(n) {
                    ColumnKind::Categorical
                } else if options.numeric.contains(n) {
                    ColumnKind::Numeric
                } else {
                    ColumnKind::Infer
                }
            })
            .collect();
        let (columns, rows) = if format == FileFormat::Parquet {
            read_parquet_columns(path, &names, &kinds)?
        } else {
            read_csv_columns(path, options, &detected, &kinds)?
        };
        if rows == 0 {
            return Err(TableError::Empty {
                path: path.to_path_buf(),
            });
        }
        let columns = names
            .into_iter()
            .zip(columns)
            .filter_map(|(name, c)| {
                c.map(|c| Column {
                    name,
                    data: match c {
                        ColumnValues::Numeric(v) => ColumnData::Numeric(v),
                        ColumnValues::Categorical { codes, levels } => {
                            ColumnData::Categorical { codes, levels }
                        }
                    },
                })
            })
            .collect();
        return Ok(Table { columns, rows });
    }

    // JSON Lines, pass 1: infer the types.
    let mut all_numeric = vec![true; names.len()];
    for_each_row(format, open()?, path, &names, |_, cells| {
        for (c, cell) in cells.iter().enumerate() {
            if keep[c] && matches!(cell, Cell::Text(_)) {
                all_numeric[c] = false;
            }
        }
        Ok(())
    })?;
    let numeric: Vec<bool> = names
        .iter()
        .zip(&all_numeric)
        .map(|(n, &inferred)| {
            if options.categorical.contains(n) {
                false
            } else {
                options.numeric.contains(n) || inferred
            }
        })
        .collect();

    // Pass 2: parse.
    enum Builder {
        Skip,
        Numeric(Vec<f64>),
        Categorical(Vec<u32>, Levels),
    }
    let mut builders: Vec<Builder> = (0..names.len())
        .map(|c| match (keep[c], numeric[c]) {
            (false, _) => Builder::Skip,
            (true, true) => Builder::Numeric(Vec::new()),
            (true, false) => Builder::Categorical(Vec::new(), Levels::new()),
        })
        .collect();
    let mut rows = 0usize;
    for_each_row(format, open()?, path, &names, |line, cells| {
        rows += 1;
        for (c, cell) in cells.iter().enumerate() {
            match &mut builders[c] {
                Builder::Skip => {}
                Builder::Numeric(values) => values.push(match cell {
                    Cell::Missing => f64::NAN,
                    Cell::Number(x, _) => *x,
                    Cell::Text(t) => {
                        return Err(TableError::BadValue {
                            path: path.to_path_buf(),
                            line,
                            column: names[c].clone(),
                            value: (*t).to_string(),
                            reason: "text in a numeric column".into(),
                        })
                    }
                }),
                Builder::Categorical(codes, levels) => {
                    let value: &str = match cell {
                        Cell::Missing => {
                            codes.push(MISSING_CODE);
                            continue;
                        }
                        Cell::Number(_, t) | Cell::Text(t) => t.trim(),
                    };
                    codes.push(levels.code(value));
                }
            }
        }
        Ok(())
    })?;
    if rows == 0 {
        return Err(TableError::Empty {
            path: path.to_path_buf(),
        });
    }
    let columns = names
        .into_iter()
        .zip(builders)
        .filter_map(|(name, b)| match b {
            Builder::Skip => None,
            Builder::Numeric(v) => Some(Column {
                name,
                data: ColumnData::Numeric(v),
            }),
            Builder::Categorical(codes, levels) => Some(Column {
                name,
                data: ColumnData::Categorical {
                    codes,
                    levels: levels.into_levels(),
                },
            }),
        })
        .collect();
    Ok(Table { columns, rows })
}

fn jsonl_keys(file: impl Read, path: &Path) -> Result<Vec<String>, TableError> {
    let mut line = String::new();
    let mut reader = BufReader::new(file);
    let mut number = 0u64;
    loop {
        line.clear();
        number += 1;
        let n = reader
            .read_line(&mut line)
            .map_err(|source| TableError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            return Err(TableError::Empty {
                path: path.to_path_buf(),
            });
        }
        if line.trim().is_empty() {
            continue;
        }
        let object = parse_json_object(&line, path, number)?;
        return Ok(object.keys().cloned().collect());
    }
}

fn parse_json_object(
    line: &str,
    path: &Path,
    number: u64,
) -> Result<serde_json::Map<String, serde_json::Value>, TableError> {
    crate::format::json_record(line.trim_end().as_bytes()).map_err(|message| {
        TableError::Malformed {
            path: path.to_path_buf(),
            line: number,
            message,
        }
    })
}

/// Call `f(line, cells)` for every data row, cells in header order.
fn for_each_row<R: Read>(
    format: FileFormat,
    input: R,
    path: &Path,
    names: &[String],
    mut f: impl FnMut(u64, &[Cell<'_>]) -> Result<(), TableError>,
) -> Result<(), TableError> {
    match format {
        FileFormat::Jsonl => {
            let reader = BufReader::new(input);
            for (i, line) in reader.lines().enumerate() {
                let number = i as u64 + 1;
                let line = line.map_err(|source| TableError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
                if line.trim().is_empty() {
                    continue;
                }
                let object = parse_json_object(&line, path, number)?;
                if let Some(extra) = object.keys().find(|k| !names.contains(k)) {
                    return Err(TableError::Malformed {
                        path: path.to_path_buf(),
                        line: number,
                        message: format!("key '{extra}' is not in the first record"),
                    });
                }
                let mut texts: Vec<Option<String>> = Vec::with_capacity(names.len());
                for n in names {
                    texts.push(match object.get(n) {
                        None | Some(serde_json::Value::Null) => None,
                        Some(serde_json::Value::String(s)) => Some(s.clone()),
                        Some(serde_json::Value::Number(x)) => Some(x.to_string()),
                        Some(serde_json::Value::Bool(b)) => Some(u8::from(*b).to_string()),
                        Some(other) => {
                            return Err(TableError::BadValue {
                                path: path.to_path_buf(),
                                line: number,
                                column: n.clone(),
                                value: other.to_string(),
                                reason: "nested arrays and objects are not supported".into(),
                            })
                        }
                    });
                }
                let cells: Vec<Cell<'_>> = texts
                    .iter()
                    .map(|t| t.as_deref().map_or(Cell::Missing, classify))
                    .collect();
                f(number, &cells)?;
            }
        }
        _ => unreachable!("only JSON Lines is read row by row"),
    }
    Ok(())
}

/// The CSV columns of `path` by `kinds`, in one pass ([`crate::input::columns`]).
fn read_csv_columns(
    path: &Path,
    options: &ReadOptions,
    detected: &crate::input::open::Detected,
    kinds: &[ColumnKind],
) -> Result<(Vec<Option<ColumnValues>>, usize), TableError> {
    let mut reader = crate::input::open::open_text(path, detected)?;
    let (names, lines, dialect) =
        crate::input::open::read_csv_header(&mut reader, path, &options.input, detected)?;
    let reopen = || -> std::io::Result<Box<dyn Read>> {
        let mut r = crate::input::open::open_text(path, detected).map_err(std::io::Error::other)?;
        crate::input::open::read_csv_header(&mut r, path, &options.input, detected)
            .map_err(std::io::Error::other)?;
        Ok(Box::new(r))
    };
    crate::input::columns::read_columns(&mut reader, 1 + lines, kinds, &dialect, &reopen).map_err(
        |e| match e {
            ColumnsError::Io(message) => TableError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(message),
            },
            ColumnsError::Malformed { line, message } => TableError::Malformed {
                path: path.to_path_buf(),
                line,
                message,
            },
            ColumnsError::BadValue {
                line,
                column,
                value,
                reason,
            } => TableError::BadValue {
                path: path.to_path_buf(),
                line,
                column: names[column].clone(),
                value,
                reason,
            },
        },
    )
}

/// The column names of a Parquet file.
fn parquet_names(path: &Path) -> Result<Vec<String>, TableError> {
    let builder = parquet_builder(path)?;
    Ok(builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect())
}

fn parquet_builder(
    path: &Path,
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder<File>, TableError> {
    let bad = |message: String| TableError::Malformed {
        path: path.to_path_buf(),
        line: 0,
        message,
    };
    let file = File::open(path).map_err(|source| TableError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    crate::guard::catch(|| {
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
    })
    .map_err(|panic| {
        bad(format!(
            "not a readable Parquet file (the decoder failed: {panic})"
        ))
    })?
    .map_err(|e| bad(format!("not a readable Parquet file: {e}")))
}

/// The Parquet columns of `path` by `kinds`, reading only the columns kept. Number types
/// (integers, floats, decimals, booleans as 0/1) are numeric unless forced categorical (then
/// their text); text columns follow the CSV rules (missing tokens, numbers inferred). Rows
/// are counted from 1 in errors.
fn read_parquet_columns(
    path: &Path,
    names: &[String],
    kinds: &[ColumnKind],
) -> Result<(Vec<Option<ColumnValues>>, usize), TableError> {
    use arrow_array::cast::AsArray;
    use arrow_array::Array;
    use arrow_schema::DataType;
    let bad = |message: String| TableError::Malformed {
        path: path.to_path_buf(),
        line: 0,
        message,
    };
    let builder = parquet_builder(path)?;
    let schema = builder.schema().clone();
    let used: Vec<usize> = (0..names.len())
        .filter(|&c| kinds[c] != ColumnKind::Skip)
        .collect();
    let numeric_type = |t: &DataType| t.is_numeric() || *t == DataType::Boolean;
    for &c in &used {
        let t = schema.field(c).data_type();
        let text = matches!(
            t,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..)
        );
        if !(numeric_type(t) || text) {
            return Err(bad(format!(
                "column '{}' has Parquet type {t}, which microscore does not read (store it as a number or text, or leave it out)",
                names[c]
            )));
        }
    }
    let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), used.clone());
    let reader = crate::guard::catch(|| {
        builder
            .with_projection(mask)
            .with_batch_size(65_536)
            .build()
    })
    .map_err(|panic| {
        bad(format!(
            "not a readable Parquet file (the decoder failed: {panic})"
        ))
    })?
    .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    // Text columns are gathered as text, then read by the CSV rules at the end.
    enum Acc {
        Skip,
        Numbers(Vec<f64>),
        Texts(Vec<Option<String>>),
    }
    let mut acc: Vec<Acc> = (0..names.len())
        .map(|c| {
            if kinds[c] == ColumnKind::Skip {
                Acc::Skip
            } else if numeric_type(schema.field(c).data_type()) {
                Acc::Numbers(Vec::new())
            } else {
                Acc::Texts(Vec::new())
            }
        })
        .collect();
    let mut rows = 0usize;
    let mut batches = reader;
    loop {
        let next = crate::guard::catch(|| batches.next()).map_err(|panic| {
            bad(format!(
                "not a readable Parquet file (the decoder failed: {panic})"
            ))
        })?;
        let Some(batch) = next else { break };
        let batch = batch.map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
        for (k, &c) in used.iter().enumerate() {
            let col = batch.column(k);
            match &mut acc[c] {
                Acc::Skip => {}
                Acc::Numbers(v) => {
                    let f = arrow_cast::cast(col, &DataType::Float64)
                        .map_err(|e| bad(format!("column '{}': {e}", names[c])))?;
                    let f = f.as_primitive::<arrow_array::types::Float64Type>();
                    v.extend(
                        (0..f.len()).map(|i| if f.is_null(i) { f64::NAN } else { f.value(i) }),
                    );
                }
                Acc::Texts(v) => {
                    let t = arrow_cast::cast(col, &DataType::Utf8)
                        .map_err(|e| bad(format!("column '{}': {e}", names[c])))?;
                    let t = t.as_string::<i32>();
                    v.extend((0..t.len()).map(|i| (!t.is_null(i)).then(|| t.value(i).to_string())));
                }
            }
        }
        rows += batch.num_rows();
    }
    let dialect = crate::input::open::Dialect::default();
    let mut out = Vec::with_capacity(names.len());
    for (c, a) in acc.into_iter().enumerate() {
        out.push(match a {
            Acc::Skip => None,
            Acc::Numbers(v) if kinds[c] == ColumnKind::Categorical => {
                let data = ColumnData::categorical_from_numbers(&v);
                match data {
                    ColumnData::Categorical { codes, levels } => {
                        Some(ColumnValues::Categorical { codes, levels })
                    }
                    ColumnData::Numeric(v) => Some(ColumnValues::Numeric(v)),
                }
            }
            Acc::Numbers(v) => Some(ColumnValues::Numeric(v)),
            Acc::Texts(v) => {
                let numbers: Option<Vec<f64>> = if kinds[c] == ColumnKind::Categorical {
                    None
                } else {
                    v.iter()
                        .map(|t| match t.as_deref() {
                            None => Some(f64::NAN),
                            Some(t) if is_missing_token(t) => Some(f64::NAN),
                            Some(t) => dialect.number(t),
                        })
                        .collect()
                };
                match numbers {
                    Some(x) => Some(ColumnValues::Numeric(x)),
                    None if kinds[c] == ColumnKind::Numeric => {
                        let (row, t) = v
                            .iter()
                            .enumerate()
                            .find_map(|(i, t)| {
                                t.as_deref()
                                    .filter(|t| !is_missing_token(t) && dialect.number(t).is_none())
                                    .map(|t| (i, t))
                            })
                            .unwrap_or((0, ""));
                        return Err(TableError::BadValue {
                            path: path.to_path_buf(),
                            line: row as u64 + 1,
                            column: names[c].clone(),
                            value: t.to_string(),
                            reason: dialect.not_a_number(t).to_string(),
                        });
                    }
                    None => {
                        let mut levels = Levels::new();
                        let codes = v
                            .iter()
                            .map(|t| match t.as_deref() {
                                None => MISSING_CODE,
                                Some(t) if is_missing_token(t) => MISSING_CODE,
                                Some(t) => levels.code(t.trim()),
                            })
                            .collect();
                        Some(ColumnValues::Categorical {
                            codes,
                            levels: levels.into_levels(),
                        })
                    }
                }
            }
        });
    }
    Ok((out, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_temp(name: &str, content: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("microscore-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content.as_bytes())
            .unwrap();
        path
    }

    #[test]
    fn infers_types_and_missing_tokens() {
        let path = write_temp(
            "infer.csv",
            "id,age,kind,code,flag\nA1,30,farm,007,1\nA2,NA,shop,12,0\nA3, 41 ,,x,1\n",
        );
        let options = ReadOptions {
            skip: vec!["id".into()],
            ..ReadOptions::default()
        };
        let table = read_table(&path, &options).unwrap();
        assert_eq!(table.n_rows(), 3);
        assert!(table.column("id").is_none());
        match &table.column("age").unwrap().data {
            ColumnData::Numeric(v) => {
                assert_eq!(v[0], 30.0);
                assert!(v[1].is_nan());
                assert_eq!(v[2], 41.0);
            }
            other => panic!("{other:?}"),
        }
        match &table.column("kind").unwrap().data {
            ColumnData::Categorical { codes, levels } => {
                assert_eq!(levels, &["farm", "shop"]);
                assert_eq!(codes, &[0, 1, MISSING_CODE]);
            }
            other => panic!("{other:?}"),
        }
        // A column with any text is categorical; numbers keep their text.
        match &table.column("code").unwrap().data {
            ColumnData::Categorical { levels, .. } => assert_eq!(levels, &["007", "12", "x"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn overrides_and_errors_name_the_place() {
        let path = write_temp("override.csv", "a,b\n1,2\n3,x\n");
        let options = ReadOptions {
            categorical: vec!["a".into()],
            ..ReadOptions::default()
        };
        let t = read_table(&path, &options).unwrap();
        assert!(matches!(
            t.column("a").unwrap().data,
            ColumnData::Categorical { .. }
        ));
        let options = ReadOptions {
            numeric: vec!["b".into()],
            ..ReadOptions::default()
        };
        let err = read_table(&path, &options).unwrap_err().to_string();
        assert!(
            err.contains("line 3") && err.contains("'b'") && err.contains("\"x\""),
            "{err}"
        );
        let options = ReadOptions {
            required: vec!["target".into()],
            ..ReadOptions::default()
        };
        let err = read_table(&path, &options).unwrap_err().to_string();
        assert!(err.contains("not found: target"), "{err}");
    }

    #[test]
    fn ragged_csv_is_an_error_with_a_line() {
        let path = write_temp("ragged.csv", "a,b\n1,2\n3\n");
        let err = read_table(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 3") && err.contains("1 fields where the header has 2"),
            "{err}"
        );
    }

    #[test]
    fn jsonl_reads_like_csv() {
        let csv = write_temp("same.csv", "x,k,y\n1.5,a,1\n,b,0\n");
        let jsonl = write_temp(
            "same.jsonl",
            "{\"x\":1.5,\"k\":\"a\",\"y\":true}\n\n{\"x\":null,\"k\":\"b\",\"y\":false}\n",
        );
        let a = read_table(&csv, &ReadOptions::default()).unwrap();
        let b = read_table(&jsonl, &ReadOptions::default()).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
}

//! Streaming batch scoring of files: CSV and JSON Lines (optionally gzip-compressed) in, CSV or
//! JSON Lines out, with a rejects file, and nothing lost.
//!
//! The input is read in blocks of about [`BatchOptions::chunk_bytes`] that end at a line break;
//! a wave of blocks is parsed and scored in parallel, and the results are written in input
//! order, so memory stays bounded whatever the file size and the output does not depend on the
//! number of threads (blocks are cut at fixed byte sizes, never by thread).
//!
//! Every non-blank data line is one application and ends up either in the output or in the
//! rejects file (with its line number, column, raw value and reason): rows read = rows scored +
//! rows rejected, reported in the [`Summary`]. A record is one line: a quoted field containing a
//! line break is not supported (each of its lines is rejected, the reason saying so). Output and rejects
//! are written to temporary files renamed at the end ([`crate::format::AtomicFile`]).

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::format::{write_number, AtomicFile, FileFormat};
use crate::scoring::{flags, BatchOutput, ScoreError, Scorer};
use crate::table::{is_missing_token, parse_number};

mod frame;
mod parquet_input;
mod parquet_output;

pub use frame::{score_record_batch, FrameOptions};

/// Errors that stop a batch (bad rows do not: they go to the rejects file).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The header lacks columns the model or the options need.
    #[error("{path}: column(s) missing from the header: {}", .columns.join(", "))]
    MissingColumns {
        /// Input file.
        path: PathBuf,
        /// The missing columns.
        columns: Vec<String>,
    },
    /// The header is unusable.
    #[error("{path}: {message}")]
    BadHeader {
        /// Input file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `--strict`: the first bad row stops the batch.
    #[error("{path}, line {}: {}", .reject.line, .reject.describe())]
    Strict {
        /// Input file.
        path: PathBuf,
        /// The bad row.
        reject: Reject,
    },
    /// The file format cannot be handled.
    #[error("{0}")]
    Format(String),
    /// Scoring failed (a bug if it happens: inputs are validated first).
    #[error(transparent)]
    Score(#[from] ScoreError),
}

/// A row that could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// 1-based line number in the input.
    pub line: u64,
    /// The column at fault (empty when the whole row is).
    pub column: String,
    /// The raw value at fault.
    pub value: String,
    /// Why the row was rejected.
    pub reason: String,
}

impl Reject {
    fn describe(&self) -> String {
        if self.column.is_empty() {
            self.reason.clone()
        } else {
            format!(
                "column '{}', value {:?}: {}",
                self.column, self.value, self.reason
            )
        }
    }
}

/// Settings of a batch run.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Reason codes per row.
    pub reasons: usize,
    /// Input columns copied to the output after the id.
    pub keep: Vec<String>,
    /// Stop at the first bad row instead of rejecting it.
    pub strict: bool,
    /// Input format (default: from the extension, `.gz` stripped).
    pub input_format: Option<FileFormat>,
    /// Output format (default: from the extension).
    pub output_format: Option<FileFormat>,
    /// Approximate bytes per block (default 4 MiB).
    pub chunk_bytes: usize,
    /// Replace existing output and rejects files.
    pub force: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            reasons: 4,
            keep: Vec::new(),
            strict: false,
            input_format: None,
            output_format: None,
            chunk_bytes: 1 << 20,
            force: false,
        }
    }
}

/// What a batch run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Input file.
    pub input: String,
    /// Output file.
    pub output: String,
    /// Rejects file, if any.
    pub rejects: Option<String>,
    /// Data rows read (non-blank lines after the header).
    pub rows_read: u64,
    /// Rows scored.
    pub rows_scored: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// Rows approved, referred and declined.
    pub decisions: [u64; 3],
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The format of a path, looking through a `.gz` suffix; and whether it is gzip-compressed.
pub fn detect_format(path: &Path) -> (Option<FileFormat>, bool) {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let lower = name.to_ascii_lowercase();
    match lower.strip_suffix(".gz") {
        Some(stem) => (FileFormat::from_path(Path::new(stem)), true),
        None => (FileFormat::from_path(path), false),
    }
}

/// Where each needed value comes from.
struct Plan {
    format: FileFormat,
    /// Header names (CSV) or keys looked up (JSON Lines).
    header: Vec<String>,
    /// For each scorer input column: its position in the header (CSV) / its name (JSONL).
    inputs: Vec<Option<usize>>,
    categorical: Vec<bool>,
    required: Vec<Option<usize>>,
    id: Option<usize>,
    keep: Vec<usize>,
}

/// Rows parsed from one block or record batch, ready to score.
struct Parsed<'a> {
    /// Row-major scorer inputs of the accepted rows.
    x: Vec<f64>,
    metas: Vec<RowMeta<'a>>,
    /// Rejects, already formatted as lines of the rejects file.
    rejects: Vec<u8>,
    first_reject: Option<Reject>,
    /// Every reject, when the caller wants them as values (record batches out).
    listed: Option<Vec<Reject>>,
    read: u64,
    rejected: u64,
}

impl<'a> Parsed<'a> {
    fn with_capacity(values: usize) -> Parsed<'a> {
        Parsed {
            x: Vec::with_capacity(values),
            metas: Vec::new(),
            rejects: Vec::new(),
            first_reject: None,
            listed: None,
            read: 0,
            rejected: 0,
        }
    }

    fn reject(&mut self, line: u64, (column, value, reason): RowError, raw: &[u8]) {
        self.rejected += 1;
        let reject = Reject {
            line,
            column,
            value,
            reason,
        };
        write_reject(&mut self.rejects, &reject, raw);
        if let Some(list) = &mut self.listed {
            list.push(reject.clone());
        }
        if self.first_reject.is_none() {
            self.first_reject = Some(reject);
        }
    }
}

/// Scored output of one chunk.
enum ChunkOut {
    Bytes(Vec<u8>),
    Batch(arrow_array::RecordBatch),
}

/// One parsed and scored chunk.
struct ChunkResult {
    out: ChunkOut,
    rejects: Vec<u8>,
    first_reject: Option<Reject>,
    read: u64,
    scored: u64,
    rejected: u64,
    decisions: [u64; 3],
}

/// A unit of work: a block of text lines, or a Parquet record batch.
enum Work {
    Block {
        first_line: u64,
        bytes: Vec<u8>,
    },
    Batch {
        first_row: u64,
        batch: arrow_array::RecordBatch,
    },
}

/// The output sink and the rejects file (with its path).
type Sinks<'p> = (Sink, Option<(AtomicFile, &'p Path)>);

/// Where scored rows go.
enum Sink {
    Bytes(AtomicFile),
    Parquet(Box<parquet::arrow::ArrowWriter<AtomicFile>>),
}

/// Score `input` into `output` (and `rejects`), streaming. `progress(bytes_read, rows_read)`
/// is called after every wave of blocks (bytes are 0 for Parquet input).
pub fn score_file(
    scorer: &Scorer,
    input: &Path,
    output: &Path,
    rejects: Option<&Path>,
    options: &BatchOptions,
    mut progress: impl FnMut(u64, u64),
) -> Result<Summary, BatchError> {
    let started = std::time::Instant::now();
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BatchError::Io {
            path: path.clone(),
            source,
        }
    };
    let (detected, gz) = detect_format(input);
    let format = options.input_format.or(detected).ok_or_else(|| {
        BatchError::Format(format!(
            "{}: unknown input format (use .csv, .jsonl or .parquet, optionally .gz for text, or --format)",
            input.display()
        ))
    })?;
    if gz && format == FileFormat::Parquet {
        return Err(BatchError::Format(format!(
            "{}: Parquet files compress internally; gzip around Parquet is not supported",
            input.display()
        )));
    }
    let out_format = options
        .output_format
        .or_else(|| detect_format(output).0)
        .unwrap_or(FileFormat::Csv);
    if options.reasons > crate::scoring::MAX_REASONS {
        return Err(ScoreError::TooManyReasons(options.reasons).into());
    }
    for path in std::iter::once(output).chain(rejects) {
        if path.exists() && !options.force {
            return Err(BatchError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "already exists; pass --force to replace it",
                ),
            });
        }
    }
    let file = std::fs::File::open(input).map_err(io_err(input))?;

    // The input: text lines (with the header read here) or Parquet record batches.
    let mut text_reader = None;
    let mut parquet_builder = None;
    let mut line_no = 1u64;
    let header: Vec<String> = match format {
        FileFormat::Parquet => {
            let (builder, names) = parquet_input::open(file, input)?;
            parquet_builder = Some(builder);
            names
        }
        _ => {
            let raw: Box<dyn Read + Send> = if gz {
                Box::new(flate2::read::MultiGzDecoder::new(file))
            } else {
                Box::new(file)
            };
            let mut reader = BufReader::with_capacity(
                1 << 20,
                CountingReader {
                    inner: raw,
                    bytes: 0,
                },
            );
            let names = if format == FileFormat::Csv {
                let mut line = Vec::new();
                reader.read_until(b'\n', &mut line).map_err(io_err(input))?;
                line_no = 2;
                if line.iter().all(u8::is_ascii_whitespace) {
                    return Err(BatchError::BadHeader {
                        path: input.to_path_buf(),
                        message: if line.is_empty() {
                            "the file is empty: a CSV file needs a header line naming its columns"
                                .into()
                        } else {
                            "the first line is blank: a CSV file needs a header line naming its columns"
                                .into()
                        },
                    });
                }
                let text = std::str::from_utf8(&line).map_err(|_| BatchError::BadHeader {
                    path: input.to_path_buf(),
                    message: "the header line is not valid UTF-8".into(),
                })?;
                split_line(text.trim_end_matches(['\n', '\r']).as_bytes())
                    .ok_or_else(|| BatchError::BadHeader {
                        path: input.to_path_buf(),
                        message: "the header line has broken quoting".into(),
                    })?
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).trim().to_string())
                    .collect()
            } else {
                Vec::new()
            };
            text_reader = Some(reader);
            names
        }
    };
    let plan = make_plan(scorer, format, header, input, options)?;
    let mut parquet_reader = match parquet_builder {
        Some(b) => Some(parquet_input::reader(b, &plan, input)?),
        None => None,
    };

    let out_file = AtomicFile::create(output).map_err(io_err(output))?;
    let mut sink = match out_format {
        FileFormat::Parquet => Sink::Parquet(Box::new(
            parquet_output::writer(out_file, scorer, &plan, options.reasons)
                .map_err(|e| BatchError::Format(format!("{}: {e}", output.display())))?,
        )),
        _ => {
            let mut f = out_file;
            write_output_header(&mut f, out_format, scorer, &plan, options.reasons)
                .map_err(io_err(output))?;
            Sink::Bytes(f)
        }
    };
    let mut rej = match rejects {
        Some(p) => {
            let mut f = AtomicFile::create(p).map_err(io_err(p))?;
            f.write_all(b"line,column,value,reason,raw\n")
                .map_err(io_err(p))?;
            Some((f, p))
        }
        None => None,
    };

    let threads = rayon::current_num_threads().max(1);
    let wave = threads * 2;
    let mut summary = Summary {
        input: input.display().to_string(),
        output: output.display().to_string(),
        rejects: rejects.map(|p| p.display().to_string()),
        rows_read: 0,
        rows_scored: 0,
        rows_rejected: 0,
        decisions: [0; 3],
        seconds: 0.0,
    };
    // Writing runs on its own thread, overlapping the next wave's reading and scoring; a
    // bounded channel keeps at most two waves of output in memory.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(ChunkOut, Vec<u8>)>(wave);
    let written = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<Sinks<'_>, BatchError> {
            for (out, rejects_bytes) in rx {
                match (&mut sink, out) {
                    (Sink::Bytes(f), ChunkOut::Bytes(b)) => {
                        f.write_all(&b).map_err(io_err(output))?
                    }
                    (Sink::Parquet(w), ChunkOut::Batch(b)) => w
                        .write(&b)
                        .map_err(|e| BatchError::Format(format!("{}: {e}", output.display())))?,
                    _ => unreachable!("chunk output matches the sink"),
                }
                if let Some((f, p)) = rej.as_mut() {
                    f.write_all(&rejects_bytes).map_err(io_err(p))?;
                }
            }
            Ok((sink, rej))
        });
        let read = (|| -> Result<(), BatchError> {
            let mut carry: Vec<u8> = Vec::new();
            let mut eof = false;
            while !eof {
                // Read a wave of work units.
                let mut works: Vec<Work> = Vec::with_capacity(wave);
                while works.len() < wave && !eof {
                    if let Some(reader) = parquet_reader.as_mut() {
                        match reader.next() {
                            None => eof = true,
                            Some(batch) => {
                                let batch = batch.map_err(|e| {
                                    BatchError::Format(format!("{}: {e}", input.display()))
                                })?;
                                let rows = batch.num_rows() as u64;
                                works.push(Work::Batch {
                                    first_row: line_no,
                                    batch,
                                });
                                line_no += rows;
                            }
                        }
                        continue;
                    }
                    let Some(reader) = text_reader.as_mut() else {
                        break;
                    };
                    let mut block = std::mem::take(&mut carry);
                    let target = options.chunk_bytes.max(1);
                    while block.len() < target {
                        let buf = reader.fill_buf().map_err(io_err(input))?;
                        if buf.is_empty() {
                            eof = true;
                            break;
                        }
                        let take = buf.len().min(target - block.len());
                        block.extend_from_slice(&buf[..take]);
                        reader.consume(take);
                    }
                    if !eof {
                        // Finish the current line.
                        reader
                            .read_until(b'\n', &mut block)
                            .map_err(io_err(input))?;
                        if !block.ends_with(b"\n") {
                            eof = true;
                        }
                    }
                    if block.is_empty() {
                        break;
                    }
                    let lines = memchr_count(&block) + u64::from(!block.ends_with(b"\n"));
                    works.push(Work::Block {
                        first_line: line_no,
                        bytes: block,
                    });
                    line_no += lines;
                }
                let results: Vec<ChunkResult> = works
                    .par_iter()
                    .map(|work| {
                        let parsed = match work {
                            Work::Block { first_line, bytes } => {
                                parse_block(scorer, &plan, *first_line, bytes)
                            }
                            Work::Batch { first_row, batch } => {
                                parquet_input::parse_batch(scorer, &plan, *first_row, batch)
                            }
                        };
                        finish_chunk(scorer, &plan, options, out_format, parsed)
                    })
                    .collect::<Result<_, _>>()?;
                for r in results {
                    if options.strict {
                        if let Some(reject) = r.first_reject {
                            return Err(BatchError::Strict {
                                path: input.to_path_buf(),
                                reject,
                            });
                        }
                    }
                    if tx.send((r.out, r.rejects)).is_err() {
                        // The writer stopped on an error: it is reported below.
                        return Ok(());
                    }
                    summary.rows_read += r.read;
                    summary.rows_scored += r.scored;
                    summary.rows_rejected += r.rejected;
                    for d in 0..3 {
                        summary.decisions[d] += r.decisions[d];
                    }
                }
                let bytes = text_reader.as_ref().map_or(0, |r| r.get_ref().bytes);
                progress(bytes, summary.rows_read);
            }
            Ok(())
        })();
        drop(tx);
        let written = writer
            .join()
            .map_err(|_| BatchError::Format("the output writer thread panicked".into()))?;
        read?;
        written
    });
    let (sink, rej) = written?;
    match sink {
        Sink::Bytes(f) => f.commit().map_err(io_err(output))?,
        Sink::Parquet(w) => w
            .into_inner()
            .map_err(|e| BatchError::Format(format!("{}: {e}", output.display())))?
            .commit()
            .map_err(io_err(output))?,
    }
    if let Some((f, p)) = rej {
        f.commit().map_err(io_err(p))?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    debug_assert_eq!(
        summary.rows_read,
        summary.rows_scored + summary.rows_rejected
    );
    Ok(summary)
}

struct CountingReader {
    inner: Box<dyn Read + Send>,
    bytes: u64,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

fn memchr_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

fn make_plan(
    scorer: &Scorer,
    format: FileFormat,
    header: Vec<String>,
    input: &Path,
    options: &BatchOptions,
) -> Result<Plan, BatchError> {
    let model = scorer.model();
    let position = |name: &str| header.iter().position(|h| h == name);
    let mut missing = Vec::new();
    let (inputs, required, id, keep, header) = match format {
        FileFormat::Csv | FileFormat::Parquet => {
            let mut seen = std::collections::HashSet::new();
            if let Some(dup) = header.iter().find(|h| !seen.insert(h.as_str())) {
                return Err(BatchError::BadHeader {
                    path: input.to_path_buf(),
                    message: format!("column '{dup}' appears twice in the header"),
                });
            }
            for f in model.features() {
                if position(&f.name).is_none() {
                    missing.push(f.name.clone());
                }
            }
            for k in &options.keep {
                if position(k).is_none() {
                    missing.push(k.clone());
                }
            }
            for r in &model.policy().required {
                if position(r).is_none() {
                    missing.push(r.clone());
                }
            }
            let inputs = scorer
                .input_columns()
                .iter()
                .map(|c| position(&c.name))
                .collect();
            let required = model
                .policy()
                .required
                .iter()
                .map(|r| position(r))
                .collect();
            let id = model.id_column().and_then(position);
            let keep = options.keep.iter().filter_map(|k| position(k)).collect();
            (inputs, required, id, keep, header)
        }
        FileFormat::Jsonl => {
            // Keys are looked up per record: the "header" is the list of names we need.
            let mut names: Vec<String> = scorer
                .input_columns()
                .iter()
                .map(|c| c.name.clone())
                .collect();
            let id_name = model.id_column().map(str::to_string);
            let add = |n: &str, names: &mut Vec<String>| match names.iter().position(|x| x == n) {
                Some(i) => i,
                None => {
                    names.push(n.to_string());
                    names.len() - 1
                }
            };
            let inputs = (0..scorer.input_columns().len()).map(Some).collect();
            let required = model
                .policy()
                .required
                .iter()
                .map(|r| Some(add(r, &mut names)))
                .collect();
            let id = id_name.as_deref().map(|n| add(n, &mut names));
            let keep = options.keep.iter().map(|k| add(k, &mut names)).collect();
            (inputs, required, id, keep, names)
        }
    };
    if !missing.is_empty() {
        missing.sort();
        missing.dedup();
        return Err(BatchError::MissingColumns {
            path: input.to_path_buf(),
            columns: missing,
        });
    }
    Ok(Plan {
        format,
        header,
        inputs,
        categorical: scorer
            .input_columns()
            .iter()
            .map(|c| c.categorical)
            .collect(),
        required,
        id,
        keep,
    })
}

/// Split one CSV line into fields (RFC 4180 quoting); `None` on broken quoting.
fn split_line(line: &[u8]) -> Option<Vec<Cow<'_, [u8]>>> {
    let mut fields = Vec::new();
    split_line_into(line, &mut fields).ok().map(|()| fields)
}

/// Split one CSV line into `fields` (cleared first); on broken quoting, what is wrong. Unquoted
/// fields borrow from the line: no allocation for a line without quotes.
fn split_line_into<'a>(
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

/// Per-row data kept for output.
struct RowMeta<'a> {
    id: Option<Cow<'a, str>>,
    keep: Vec<Option<Cow<'a, str>>>,
}

fn parse_block<'a>(scorer: &Scorer, plan: &Plan, first_line: u64, block: &'a [u8]) -> Parsed<'a> {
    let m = scorer.input_columns().len();
    let mut parsed = Parsed::with_capacity(block.len() / 8);
    let mut row_values = vec![0.0f64; m];
    let mut fields: Vec<Cow<'_, [u8]>> = Vec::with_capacity(plan.header.len());
    for (offset, raw_line) in block.split(|&b| b == b'\n').enumerate() {
        let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        parsed.read += 1;
        let row = match plan.format {
            FileFormat::Jsonl => parse_json_row(scorer, plan, line, &mut row_values),
            _ => parse_csv_row(scorer, plan, line, &mut fields, &mut row_values),
        };
        match row {
            Ok(meta) => {
                parsed.x.extend_from_slice(&row_values);
                parsed.metas.push(meta);
            }
            Err(e) => parsed.reject(first_line + offset as u64, e, line),
        }
    }
    parsed
}

/// Score parsed rows and format them for the output.
fn finish_chunk(
    scorer: &Scorer,
    plan: &Plan,
    options: &BatchOptions,
    out_format: FileFormat,
    parsed: Parsed<'_>,
) -> Result<ChunkResult, BatchError> {
    let Parsed {
        x,
        metas,
        rejects,
        first_reject,
        read,
        rejected,
        ..
    } = parsed;
    let n = metas.len();
    let k = options.reasons.min(scorer.model().features().len());
    let scored = score_rows(scorer, &x, n, k)?;
    let mut decisions = [0u64; 3];
    for &d in &scored.decision {
        decisions[d as usize] += 1;
    }
    let out = match out_format {
        FileFormat::Parquet => ChunkOut::Batch(
            parquet_output::batch(scorer, plan, &metas, &scored)
                .map_err(|e| BatchError::Format(format!("building the output batch: {e}")))?,
        ),
        _ => {
            let model = scorer.model();
            let mut out = Vec::with_capacity(n * 160);
            for i in 0..n {
                let g = &model.grades()[scored.grade[i] as usize].grade;
                let row = OutRow {
                    meta: &metas[i],
                    score: scored.score[i],
                    pd: scored.pd[i],
                    grade: g,
                    decision: DECISIONS[scored.decision[i] as usize],
                    limit: scored.limit[i],
                    rate: model
                        .policy()
                        .annual_rate
                        .get(g)
                        .copied()
                        .unwrap_or(f64::NAN),
                    el: scored.el[i],
                    reasons: &scored.reasons[i * k..(i + 1) * k],
                    flags: scored.flags[i],
                };
                if out_format == FileFormat::Jsonl {
                    row.write_jsonl(&mut out, scorer, plan);
                } else {
                    row.write_csv(&mut out, scorer);
                }
            }
            ChunkOut::Bytes(out)
        }
    };
    Ok(ChunkResult {
        out,
        rejects,
        first_reject,
        read,
        scored: n as u64,
        rejected,
        decisions,
    })
}

/// Score `n` rows of row-major inputs with `k` reason codes each.
fn score_rows(scorer: &Scorer, x: &[f64], n: usize, k: usize) -> Result<Scored, BatchError> {
    let mut scored = Scored {
        score: vec![0.0; n],
        pd: vec![0.0; n],
        grade: vec![0u8; n],
        decision: vec![0u8; n],
        limit: vec![0.0; n],
        el: vec![0.0; n],
        flags: vec![0u32; n],
        reasons: vec![-1i32; n * k],
        k,
    };
    if n > 0 {
        scorer.score_matrix(
            x,
            k,
            BatchOutput {
                score: Some(&mut scored.score),
                pd: Some(&mut scored.pd),
                grade: Some(&mut scored.grade),
                decision: Some(&mut scored.decision),
                limit: Some(&mut scored.limit),
                expected_loss: Some(&mut scored.el),
                flags: Some(&mut scored.flags),
                reasons: Some(&mut scored.reasons),
                ..BatchOutput::default()
            },
        )?;
    }
    Ok(scored)
}

/// Decision names by code.
const DECISIONS: [&str; 3] = ["approve", "refer", "decline"];

/// The scores of one chunk, column by column.
struct Scored {
    score: Vec<f64>,
    pd: Vec<f64>,
    grade: Vec<u8>,
    decision: Vec<u8>,
    limit: Vec<f64>,
    el: Vec<f64>,
    flags: Vec<u32>,
    reasons: Vec<i32>,
    k: usize,
}

type RowError = (String, String, String);

fn text_of(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

/// Convert the needed fields of one CSV line into the scorer's inputs.
fn parse_csv_row<'a>(
    scorer: &Scorer,
    plan: &Plan,
    line: &'a [u8],
    fields: &mut Vec<Cow<'a, [u8]>>,
    values: &mut [f64],
) -> Result<RowMeta<'a>, RowError> {
    if let Err(why) = split_line_into(line, fields) {
        return Err((String::new(), String::new(), why.to_string()));
    }
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
                // Fast path: a plain number, parsed straight from the bytes.
                match (plan.categorical[j], fast_number(b)) {
                    (false, Some(x)) => x,
                    _ => {
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
    Ok(RowMeta { id, keep })
}

/// A field that is a plain decimal number (no spaces, not NaN or infinity), parsed from bytes.
#[inline]
fn fast_number(b: &[u8]) -> Option<f64> {
    match b.first() {
        Some(c) if c.is_ascii_digit() || *c == b'-' || *c == b'.' => {
            fast_float2::parse::<f64, _>(b)
                .ok()
                .filter(|x| x.is_finite())
        }
        _ => None,
    }
}

/// One input value as the scorer's f64 (category index for categorical columns, -1 unseen).
fn input_value(scorer: &Scorer, plan: &Plan, j: usize, t: &str) -> Result<f64, String> {
    if is_missing_token(t) {
        return Ok(f64::NAN);
    }
    if plan.categorical[j] {
        Ok(scorer.category_index(j, t.trim()).map_or(-1.0, f64::from))
    } else {
        parse_number(t).ok_or_else(|| "text in a numeric column".to_string())
    }
}

fn parse_json_row<'a>(
    scorer: &Scorer,
    plan: &Plan,
    line: &'a [u8],
    values: &mut [f64],
) -> Result<RowMeta<'a>, RowError> {
    let object: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(line) {
        Ok(serde_json::Value::Object(o)) => o,
        Ok(_) => return Err((String::new(), String::new(), "not a JSON object".into())),
        Err(e) => return Err((String::new(), String::new(), format!("invalid JSON: {e}"))),
    };
    let as_text = |name: &str| -> Result<Option<String>, RowError> {
        match object.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(serde_json::Value::Number(x)) => Ok(Some(x.to_string())),
            Some(serde_json::Value::Bool(b)) => Ok(Some(u8::from(*b).to_string())),
            Some(other) => Err((
                name.to_string(),
                other.to_string(),
                "nested arrays and objects are not supported".into(),
            )),
        }
    };
    for (j, c) in scorer.input_columns().iter().enumerate() {
        values[j] = match as_text(&c.name)? {
            None => f64::NAN,
            Some(t) => input_value(scorer, plan, j, &t)
                .map_err(|reason| (c.name.clone(), t.clone(), reason))?,
        };
    }
    for col in plan.required.iter().flatten() {
        let name = &plan.header[*col];
        if as_text(name)?.is_none_or(|t| is_missing_token(&t)) {
            return Err((
                name.clone(),
                String::new(),
                "required by the decision policy, but empty".into(),
            ));
        }
    }
    let id = plan
        .id
        .map(|i| as_text(&plan.header[i]))
        .transpose()?
        .flatten()
        .map(Cow::Owned);
    let keep = plan
        .keep
        .iter()
        .map(|&i| as_text(&plan.header[i]).map(|t| t.map(Cow::Owned)))
        .collect::<Result<_, _>>()?;
    Ok(RowMeta { id, keep })
}

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

fn write_reject(out: &mut Vec<u8>, r: &Reject, raw: &[u8]) {
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

fn json_f64(out: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        write_number(out, x);
    } else {
        out.extend_from_slice(b"null");
    }
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes exactly as JSON requires.
    out.extend_from_slice(serde_json::to_string(s).unwrap_or_default().as_bytes());
}

fn write_output_header(
    out: &mut impl Write,
    format: FileFormat,
    scorer: &Scorer,
    plan: &Plan,
    k: usize,
) -> std::io::Result<()> {
    if format != FileFormat::Csv {
        return Ok(());
    }
    let k = k.min(scorer.model().features().len());
    let mut line = Vec::new();
    let id = scorer.model().id_column().filter(|_| plan.id.is_some());
    let mut names: Vec<String> = id.map(str::to_string).into_iter().collect();
    names.extend(plan.keep.iter().map(|&i| plan.header[i].clone()));
    names.extend(crate::scoring::RESULT_COLUMNS.iter().map(|s| s.to_string()));
    names.extend((1..=k).map(|r| format!("reason_{r}")));
    names.push("flags".into());
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        csv_field(&mut line, n);
    }
    line.push(b'\n');
    out.write_all(&line)
}

struct OutRow<'r, 'a> {
    meta: &'r RowMeta<'a>,
    score: f64,
    pd: f64,
    grade: &'r str,
    decision: &'static str,
    limit: f64,
    rate: f64,
    el: f64,
    reasons: &'r [i32],
    flags: u32,
}

impl OutRow<'_, '_> {
    fn write_csv(&self, out: &mut Vec<u8>, scorer: &Scorer) {
        let mut first = true;
        let mut sep = |out: &mut Vec<u8>| {
            if !first {
                out.push(b',');
            }
            first = false;
        };
        if let Some(id) = &self.meta.id {
            sep(out);
            csv_field(out, id);
        }
        for k in &self.meta.keep {
            sep(out);
            if let Some(v) = k {
                csv_field(out, v);
            }
        }
        sep(out);
        write_number(out, self.score);
        out.push(b',');
        write_number(out, self.pd);
        out.push(b',');
        out.extend_from_slice(self.grade.as_bytes());
        out.push(b',');
        out.extend_from_slice(self.decision.as_bytes());
        out.push(b',');
        write_number(out, self.limit);
        out.push(b',');
        write_number(out, self.rate);
        out.push(b',');
        write_number(out, self.el);
        for &r in self.reasons {
            out.push(b',');
            if r >= 0 {
                out.extend_from_slice(scorer.model().features()[r as usize].reason_code.as_bytes());
            }
        }
        out.push(b',');
        for (i, name) in flags::names(self.flags).enumerate() {
            if i > 0 {
                out.push(b';');
            }
            out.extend_from_slice(name.as_bytes());
        }
        out.push(b'\n');
    }

    fn write_jsonl(&self, out: &mut Vec<u8>, scorer: &Scorer, plan: &Plan) {
        out.push(b'{');
        if let (Some(id), Some(name)) = (&self.meta.id, scorer.model().id_column()) {
            json_str(out, name);
            out.push(b':');
            json_str(out, id);
            out.push(b',');
        }
        for (k, &i) in self.meta.keep.iter().zip(&plan.keep) {
            json_str(out, &plan.header[i]);
            out.push(b':');
            match k {
                Some(v) => json_str(out, v),
                None => out.extend_from_slice(b"null"),
            }
            out.push(b',');
        }
        out.extend_from_slice(b"\"score\":");
        json_f64(out, self.score);
        out.extend_from_slice(b",\"pd\":");
        json_f64(out, self.pd);
        out.extend_from_slice(b",\"grade\":");
        json_str(out, self.grade);
        out.extend_from_slice(b",\"decision\":\"");
        out.extend_from_slice(self.decision.as_bytes());
        out.extend_from_slice(b"\",\"limit\":");
        json_f64(out, self.limit);
        out.extend_from_slice(b",\"annual_rate\":");
        json_f64(out, self.rate);
        out.extend_from_slice(b",\"expected_loss\":");
        json_f64(out, self.el);
        out.extend_from_slice(b",\"reasons\":[");
        for (i, &r) in self.reasons.iter().filter(|&&r| r >= 0).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_str(out, &scorer.model().features()[r as usize].reason_code);
        }
        out.extend_from_slice(b"],\"flags\":[");
        for (i, name) in flags::names(self.flags).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(b"]}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn formats_from_paths() {
        assert_eq!(
            detect_format(Path::new("x.csv.gz")),
            (Some(FileFormat::Csv), true)
        );
        assert_eq!(
            detect_format(Path::new("x.JSONL")),
            (Some(FileFormat::Jsonl), false)
        );
        assert_eq!(detect_format(Path::new("x.txt")), (None, false));
    }
}

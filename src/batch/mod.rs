//! Streaming batch scoring of files: CSV and JSON Lines (optionally gzip-compressed) in, CSV or
//! JSON Lines out, with a rejects file, and nothing lost.
//!
//! The input is cut into work units: blocks of about [`BatchOptions::chunk_bytes`] that end at
//! a line break, or Parquet record batches. A pipeline runs them: a reader thread reads the
//! units, one worker per thread parses, scores and formats each unit, and the calling thread
//! writes the results in input order. A unit is read only when one of a fixed number of tokens
//! is free, and its token returns once it is written, so memory stays bounded whatever the file
//! size; block and output buffers are reused. Units are cut at fixed byte sizes, never by
//! thread, so the output does not depend on the number of threads.
//!
//! Every non-blank data line is one application and ends up either in the output or in the
//! rejects file (with its line number, column, raw value and reason): rows read = rows scored +
//! rows rejected, reported in the [`Summary`]. A record is one line: a quoted field containing a
//! line break is not supported (each of its lines is rejected, the reason saying so). The
//! output, the rejects and the summary are written to temporary files, all synced and then
//! renamed at the end ([`crate::format::AtomicFile`]), or streamed to standard output (`-`).

use std::io::{BufReader, Read, Write};
use std::path::Path;

use serde::Serialize;

use crate::format::{FileFormat, Output};
use crate::model::policy::Decision;
use crate::output::text::TextRows;
use crate::output::{Layout, Results};
use crate::scoring::{ScoreError, Scorer};

mod csv_input;
mod error;
mod frame;
mod jsonl_input;
mod options;
mod parquet_input;
mod plan;
mod rows;

pub use error::BatchError;
pub use frame::{score_record_batch, FrameOptions};
pub use options::{BatchOptions, CancelFlag, NoticeOutput};

use plan::{check_jsonl_keys, describe_input, make_plan, Plan};
use rows::{score_rows, Parsed, TextBlock};

pub use crate::input::Reject;

/// What a batch run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Input file.
    pub input: String,
    /// How the input was read: its format, and for CSV the delimiter (given or detected) and
    /// whether numbers have a decimal comma (`csv, semicolon, decimal comma`).
    pub read_as: String,
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
    /// The parts of the decision policy and whether each is active (cut-offs, loan sizing,
    /// thin-file rule, pricing, required columns), one line each.
    pub policy: Vec<String>,
    /// Columns the model or its policy reads that the input lacks, scored as missing (only
    /// with the opt-in to absent columns).
    pub absent_columns: Vec<String>,
    /// Adverse-action notices file, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notices: Option<String>,
    /// Notices written (declined and referred applications).
    pub notices_written: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The format of a path, looking through a `.gz` suffix; and whether it is gzip-compressed.
pub fn detect_format(path: &Path) -> (Option<FileFormat>, bool) {
    FileFormat::detect(path)
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
    /// Notices, as JSON lines.
    notices: Vec<u8>,
    notices_written: u64,
    first_reject: Option<Reject>,
    read: u64,
    scored: u64,
    rejected: u64,
    decisions: [u64; 3],
    keys: Option<(Vec<bool>, Vec<String>)>,
}

/// A unit of work: a block of text lines, or a Parquet record batch.
enum Work {
    Block(TextBlock),
    Batch {
        first_row: u64,
        batch: arrow_array::RecordBatch,
    },
}

/// The output sink, the rejects file and the notices file (with their paths).
type Sinks<'p> = (Sink, Option<(Output, &'p Path)>, Option<(Output, &'p Path)>);

/// How the workers format scored rows, built once per run from its [`Layout`].
enum Formatter<'p> {
    /// Record batches for the Parquet writer.
    Parquet(&'p Layout<'p>),
    /// CSV lines or JSON Lines records.
    Text(TextRows<'p>),
}

/// Where scored rows go.
enum Sink {
    Bytes(Output),
    Parquet(Box<parquet::arrow::ArrowWriter<Output>>),
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
    let detected = crate::input::detect(input, &options.input).map_err(BatchError::from)?;
    let out_format = match (options.output_format, detect_format(output)) {
        (Some(f), _) => f,
        (None, (_, true)) => {
            return Err(BatchError::Format(format!(
                "{}: compressed output is not written: give a .csv, .jsonl or .parquet name (Parquet compresses internally)",
                output.display()
            )))
        }
        (None, (Some(f), false)) => f,
        // Standard output, or a name without an extension: CSV.
        (None, (None, false)) if output.extension().is_none() => FileFormat::Csv,
        (None, (None, false)) => {
            return Err(BatchError::Format(format!(
                "{}: unknown output format '.{}' (use .csv, .jsonl or .parquet, or --output-format)",
                output.display(),
                output
                    .extension()
                    .map(|e| e.to_string_lossy())
                    .unwrap_or_default()
            )))
        }
    };
    if options.reasons > crate::scoring::MAX_REASONS {
        return Err(ScoreError::TooManyReasons(options.reasons).into());
    }
    let mut outputs: Vec<(&str, &Path)> = vec![("--out", output)];
    outputs.extend(rejects.map(|p| ("--rejects", p)));
    outputs.extend(
        options
            .notices
            .as_ref()
            .map(|n| ("--adverse-action", n.path.as_path())),
    );
    outputs.extend(
        options
            .summary_json
            .as_deref()
            .map(|p| ("--summary-json", p)),
    );
    crate::format::check_distinct_outputs(&outputs, &[("--data", input)])
        .map_err(|e| BatchError::Format(e.to_string()))?;
    // Every output is created (checked writable, not replacing a file without `force`) before
    // any work starts.
    let create = |p: &Path| Output::create(p, options.force).map_err(io_err(p));
    let out_file = create(output)?;
    let rejects_file = rejects.map(create).transpose()?;
    let notices_path = options.notices.as_ref().map(|n| n.path.as_path());
    let notices_file = notices_path.map(create).transpose()?;
    let summary_file = options.summary_json.as_deref().map(create).transpose()?;
    // Bytes read from the input file (compressed bytes for gzip), for progress reports.
    let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (plan, reader) = open_units(
        scorer,
        input,
        &detected,
        options,
        &bytes_read,
        true,
        &|_| Ok(options.keep.clone()),
    )?;

    let layout = plan.layout(scorer, options.reasons);
    let formatter = match out_format {
        FileFormat::Parquet => Formatter::Parquet(&layout),
        FileFormat::Csv | FileFormat::Jsonl => Formatter::Text(TextRows::new(
            &layout,
            scorer.model(),
            out_format == FileFormat::Jsonl,
        )),
    };
    let sink = match out_format {
        FileFormat::Parquet => Sink::Parquet(Box::new(
            crate::output::arrow::parquet_writer(out_file, &layout)
                .map_err(|e| BatchError::Format(format!("{}: {e}", output.display())))?,
        )),
        FileFormat::Csv => {
            let mut f = out_file;
            f.write_all(&crate::output::text::csv_header(&layout))
                .map_err(io_err(output))?;
            Sink::Bytes(f)
        }
        FileFormat::Jsonl => Sink::Bytes(out_file),
    };
    let rej = match (rejects, rejects_file) {
        (Some(p), Some(mut f)) => {
            f.write_all(b"line,column,value,reason,raw\n")
                .map_err(io_err(p))?;
            Some((f, p))
        }
        _ => None,
    };
    let notices = notices_path.zip(notices_file).map(|(p, f)| (f, p));

    let threads = rayon::current_num_threads().max(1);
    let mut summary = Summary {
        input: input.display().to_string(),
        read_as: describe_input(&plan, detected.gzip),
        output: output.display().to_string(),
        rejects: rejects.map(|p| p.display().to_string()),
        rows_read: 0,
        rows_scored: 0,
        rows_rejected: 0,
        decisions: [0; 3],
        policy: scorer.model().policy().describe(scorer.model().scaling()),
        absent_columns: plan.absent.clone(),
        notices: notices_path.map(|p| p.display().to_string()),
        notices_written: 0,
        seconds: 0.0,
    };
    // A pipeline: this thread's reader thread cuts the input into work units, `threads`
    // workers parse, score and format them, and this thread writes the results in input
    // order. A unit needs a token to be read, and its token comes back once it is written:
    // at most `in_flight` units exist at a time, so memory is bounded whatever the file size.
    // The tokens are the text blocks' buffers, reused.
    let in_flight = threads * 2 + 2;
    let (token_tx, token_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    for _ in 0..in_flight {
        let _ = token_tx.send(Vec::new());
    }
    let (work_tx, work_rx) = std::sync::mpsc::channel::<(u64, Work)>();
    let work_rx = std::sync::Mutex::new(work_rx);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Done>();
    // Output buffers, handed back by the writer for reuse.
    let (spare_tx, spare_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let spare_rx = std::sync::Mutex::new(spare_rx);
    let mut keys: Option<(Vec<bool>, Vec<String>)> = None;
    let (sink, rej, notices, read) = std::thread::scope(|scope| {
        let cancel = options.cancel.as_ref();
        let reader = scope.spawn(move || read_units(reader, token_rx, work_tx, cancel));
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let (work_rx, spare_rx, plan, formatter) = (&work_rx, &spare_rx, &plan, &formatter);
            scope.spawn(move || {
                work_units(scorer, plan, options, formatter, work_rx, spare_rx, done_tx)
            });
        }
        drop(done_tx);
        let written = write_in_order(
            done_rx,
            token_tx,
            spare_tx,
            (sink, rej, notices),
            &mut summary,
            &mut keys,
            options.cancel.as_ref(),
            options.strict.then_some(input),
            output,
            &bytes_read,
            &mut progress,
        );
        let read = reader.join().unwrap_or_else(|_| {
            Err(BatchError::Format(
                "the input reader thread panicked".into(),
            ))
        });
        written.map(|(sink, rej, notices)| (sink, rej, notices, read))
    })?;
    read?;
    if cancelled(options) {
        return Err(BatchError::Interrupted);
    }
    if let Some((seen, first_keys)) = keys.filter(|_| summary.rows_read > 0) {
        check_jsonl_keys(scorer, &plan, &seen, &first_keys, input, options)?;
    }
    // Every output is written in full and synced before any is renamed into place: a failure
    // (disk full, an I/O error) leaves none of them.
    let mut out_file = match sink {
        Sink::Bytes(f) => f,
        Sink::Parquet(w) => w
            .into_inner()
            .map_err(|e| BatchError::Format(format!("{}: {e}", output.display())))?,
    };
    out_file.sync().map_err(io_err(output))?;
    let mut rej = rej;
    if let Some((f, p)) = rej.as_mut() {
        f.sync().map_err(io_err(p))?;
    }
    let mut notices = notices;
    if let Some((f, p)) = notices.as_mut() {
        f.sync().map_err(io_err(p))?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    let mut summary_file = summary_file;
    if let (Some(f), Some(p)) = (summary_file.as_mut(), options.summary_json.as_deref()) {
        let mut json = serde_json::to_vec_pretty(&summary)
            .map_err(|e| BatchError::Format(format!("the run summary: {e}")))?;
        json.push(b'\n');
        f.write_all(&json).map_err(io_err(p))?;
        f.sync().map_err(io_err(p))?;
    }
    out_file.commit().map_err(io_err(output))?;
    if let Some((f, p)) = rej {
        f.commit().map_err(io_err(p))?;
    }
    if let Some((f, p)) = notices {
        f.commit().map_err(io_err(p))?;
    }
    if let (Some(f), Some(p)) = (summary_file, options.summary_json.as_deref()) {
        f.commit().map_err(io_err(p))?;
    }
    debug_assert_eq!(
        summary.rows_read,
        summary.rows_scored + summary.rows_rejected
    );
    Ok(summary)
}

/// Where work units come from.
enum Source {
    /// Lines of text (the header already read).
    Text(BufReader<Box<dyn Read + Send>>),
    /// Parquet record batches.
    Parquet(parquet::arrow::arrow_reader::ParquetRecordBatchReader),
}

/// Open `input` (found to be `detected`) for reading by units: read its header, make the plan
/// (with the kept columns `keep(header)` chooses; with the policy's columns when `decisions`)
/// and project Parquet onto the columns used. `bytes_read` counts the file's bytes.
fn open_units<'p>(
    scorer: &Scorer,
    input: &'p Path,
    detected: &crate::input::Detected,
    options: &BatchOptions,
    bytes_read: &std::sync::Arc<std::sync::atomic::AtomicU64>,
    decisions: bool,
    keep: &KeepColumns<'_>,
) -> Result<(Plan, UnitReader<'p>), BatchError> {
    let format = detected.format;
    let file = std::fs::File::open(input).map_err(|source| BatchError::Io {
        path: input.to_path_buf(),
        source,
    })?;
    let mut line_no = 1u64;
    /// The opened input; Parquet is projected onto the columns used once the plan is known.
    enum Opened {
        Text(BufReader<Box<dyn Read + Send>>),
        Parquet(parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder<std::fs::File>),
    }
    let mut dialect = crate::input::Dialect::default();
    let (header, opened): (Vec<String>, Opened) = match format {
        FileFormat::Parquet => {
            let (builder, names) = parquet_input::open(file, input)?;
            (names, Opened::Parquet(builder))
        }
        _ => {
            let counting = CountingReader {
                inner: Box::new(file),
                bytes: std::sync::Arc::clone(bytes_read),
            };
            let mut reader = crate::input::text_reader(counting, detected.gzip, input)?;
            let names = if format == FileFormat::Csv {
                let (names, lines, found) =
                    crate::input::read_csv_header(&mut reader, input, &options.input, detected)?;
                line_no = 1 + lines;
                dialect = found;
                names
            } else {
                Vec::new()
            };
            (names, Opened::Text(reader))
        }
    };
    let keep = keep(&header)?;
    let hint = crate::input::delimiter_hint(&header, &dialect);
    let plan = make_plan(scorer, format, header, input, options, &keep, decisions);
    let mut plan = match (plan, hint) {
        (Err(BatchError::MissingColumns { path, missing }), Some(hint)) => {
            return Err(BatchError::BadHeader {
                path,
                message: format!("{hint}; {missing}"),
            })
        }
        (plan, _) => plan?,
    };
    if format == FileFormat::Csv {
        plan.dialect = dialect;
    }
    let source = match opened {
        Opened::Text(reader) => Source::Text(reader),
        Opened::Parquet(builder) => Source::Parquet(parquet_input::reader(builder, &plan, input)?),
    };
    let reader = UnitReader {
        source,
        line_no,
        path: input,
        cutter: (format == FileFormat::Csv).then_some(plan.cutter()),
        chunk_bytes: options.chunk_bytes.max(1),
        carry: Vec::new(),
    };
    Ok((plan, reader))
}

/// Which extra columns a read carries, given the file's header (empty for JSON Lines).
pub(crate) type KeepColumns<'a> = dyn Fn(&[String]) -> Result<Vec<String>, BatchError> + 'a;

/// The JSON Lines keys a unit's records had, and its first record's keys.
type SeenKeys = Option<(Vec<bool>, Vec<String>)>;

/// One unit of rows read by [`scan_file`]: the accepted rows' inputs and kept columns, and the
/// unit's rejects.
pub(crate) struct ScanUnit<'u> {
    parsed: &'u Parsed<'u>,
    plan: &'u Plan,
    m: usize,
}

impl ScanUnit<'_> {
    /// The position among the kept columns of the one named `name` (`None`: not kept).
    pub(crate) fn kept_index(&self, name: &str) -> Option<usize> {
        self.plan
            .keep
            .iter()
            .position(|&i| self.plan.header[i] == name)
    }

    /// Accepted rows.
    pub(crate) fn rows(&self) -> usize {
        self.parsed.metas.len()
    }

    /// Row `i`'s scorer inputs ([`Scorer::input_columns`] order, as [`Scorer::score_matrix`]
    /// takes them).
    pub(crate) fn inputs(&self, i: usize) -> &[f64] {
        &self.parsed.x[i * self.m..(i + 1) * self.m]
    }

    /// Row `i`'s value of kept column `k` (`None`: missing or absent).
    pub(crate) fn kept(&self, i: usize, k: usize) -> Option<&str> {
        self.parsed.metas[i].carried.keep.get(k)?.as_deref()
    }

    /// Row `i`'s line (row number for Parquet).
    pub(crate) fn line(&self, i: usize) -> u64 {
        self.parsed.lines[i]
    }

    /// The unit's rejects.
    pub(crate) fn rejects(&self) -> &[Reject] {
        self.parsed.listed.as_deref().unwrap_or_default()
    }

    /// Rows read (accepted and rejected).
    pub(crate) fn read(&self) -> u64 {
        self.parsed.read
    }
}

/// Read `input` exactly as [`score_file`] reads it (format, dialect, header, conversions,
/// rejects) without scoring or writing: each unit of rows goes to `map` (in parallel), and
/// the results to `fold` in input order. `keep(header)` names the extra columns to carry
/// (for JSON Lines: those of `required` must appear in some record); `decisions`: the policy's
/// columns are needed and its required columns enforced. Deterministic: units have a fixed
/// size, whatever the number of threads.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_file<T: Send>(
    scorer: &Scorer,
    input: &Path,
    options: &BatchOptions,
    decisions: bool,
    keep: &KeepColumns<'_>,
    required: &[String],
    map: &(dyn Fn(ScanUnit<'_>) -> T + Sync),
    mut fold: impl FnMut(T),
) -> Result<(), BatchError> {
    use rayon::prelude::*;
    let detected = crate::input::detect(input, &options.input)?;
    let bytes = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (mut plan, mut reader) =
        open_units(scorer, input, &detected, options, &bytes, decisions, keep)?;
    plan.list_rejects = true;
    let m = scorer.input_columns().len();
    let wave = 2 * rayon::current_num_threads().max(1);
    let mut keys: Option<(Vec<bool>, Vec<String>)> = None;
    let mut read = 0u64;
    loop {
        let mut units = Vec::with_capacity(wave);
        while units.len() < wave {
            match reader.next_unit(Vec::new())? {
                Some(u) => units.push(u),
                None => break,
            }
        }
        if units.is_empty() {
            break;
        }
        let last = units.len() < wave;
        let plan = &plan;
        let results: Vec<(T, SeenKeys, u64)> = units
            .par_iter()
            .map(|work| {
                let mut parsed = match work {
                    Work::Block(block) if plan.format == FileFormat::Jsonl => {
                        jsonl_input::parse_block(scorer, plan, block)
                    }
                    Work::Block(block) => csv_input::parse_block(scorer, plan, block),
                    Work::Batch { first_row, batch } => {
                        parquet_input::parse_batch(scorer, plan, *first_row, batch)
                    }
                };
                let keys = parsed.keys.take();
                let n = parsed.read;
                (
                    map(ScanUnit {
                        parsed: &parsed,
                        plan,
                        m,
                    }),
                    keys,
                    n,
                )
            })
            .collect();
        for (t, unit_keys, n) in results {
            read += n;
            if let Some((seen, first)) = unit_keys {
                match &mut keys {
                    None => keys = Some((seen, first)),
                    Some((all, all_first)) => {
                        for (a, s) in all.iter_mut().zip(seen) {
                            *a |= s;
                        }
                        if all_first.is_empty() {
                            *all_first = first;
                        }
                    }
                }
            }
            fold(t);
        }
        if last {
            break;
        }
    }
    if let Some((seen, first_keys)) = keys.filter(|_| read > 0) {
        let check = BatchOptions {
            keep: required.to_vec(),
            absent_columns: options.absent_columns,
            ..BatchOptions::default()
        };
        check_jsonl_keys(scorer, &plan, &seen, &first_keys, input, &check)?;
    }
    Ok(())
}

/// Cuts an input into work units in order: blocks of whole records (text), or record batches
/// (Parquet).
struct UnitReader<'p> {
    source: Source,
    /// Line (or row) number of the next unit's first row.
    line_no: u64,
    path: &'p Path,
    /// CSV records cut by RFC 4180 ([`crate::input::csv::Cutter`]); `None`: lines (JSON Lines).
    cutter: Option<crate::input::csv::Cutter>,
    chunk_bytes: usize,
    carry: Vec<u8>,
}

impl UnitReader<'_> {
    /// The next unit, its text read into `buf` (reused); `None` at the end of the input.
    fn next_unit(&mut self, mut buf: Vec<u8>) -> Result<Option<Work>, BatchError> {
        let path = self.path;
        Ok(Some(match &mut self.source {
            Source::Parquet(reader) => {
                let next = crate::guard::catch(|| reader.next())
                    .map_err(|panic| parquet_input::broken(path, &panic.0))?;
                let Some(batch) = next else {
                    return Ok(None);
                };
                let batch =
                    batch.map_err(|e| BatchError::Format(format!("{}: {e}", path.display())))?;
                let first_row = self.line_no;
                self.line_no += batch.num_rows() as u64;
                Work::Batch { first_row, batch }
            }
            Source::Text(reader) => {
                let line_no = self.line_no;
                let more = crate::input::next_block(
                    reader,
                    &mut self.carry,
                    &mut buf,
                    self.chunk_bytes,
                    self.cutter,
                )
                .map_err(|source| match source.kind() {
                    std::io::ErrorKind::InvalidData => {
                        BatchError::Format(format!("{}, line {line_no}: {source}", path.display()))
                    }
                    _ => BatchError::Io {
                        path: path.to_path_buf(),
                        source,
                    },
                })?;
                if !more {
                    return Ok(None);
                }
                let lines = memchr_count(&buf) + u64::from(!buf.ends_with(b"\n"));
                self.line_no += lines;
                Work::Block(TextBlock {
                    first_line: line_no,
                    lines: lines as usize,
                    bytes: buf,
                })
            }
        }))
    }
}

/// The reader stage: cut the input into work units numbered from 0, each waiting for a token
/// (a text block is read into its token's buffer), and send them to the workers. Stops at the
/// end of the input, or early when the writer or the workers are gone (their error is reported
/// by the writer).
fn read_units(
    mut reader: UnitReader<'_>,
    tokens: std::sync::mpsc::Receiver<Vec<u8>>,
    units: std::sync::mpsc::Sender<(u64, Work)>,
    cancel: Option<&CancelFlag>,
) -> Result<(), BatchError> {
    for seq in 0u64.. {
        let Ok(buf) = tokens.recv() else {
            return Ok(());
        };
        if cancel.is_some_and(CancelFlag::is_set) {
            return Ok(());
        }
        let Some(work) = reader.next_unit(buf)? else {
            return Ok(());
        };
        if units.send((seq, work)).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// A worker: parse, score and format work units until there are none, sending each result
/// (with the unit's token) to the writer.
fn work_units(
    scorer: &Scorer,
    plan: &Plan,
    options: &BatchOptions,
    formatter: &Formatter<'_>,
    units: &std::sync::Mutex<std::sync::mpsc::Receiver<(u64, Work)>>,
    spares: &std::sync::Mutex<std::sync::mpsc::Receiver<Vec<u8>>>,
    done: std::sync::mpsc::Sender<Done>,
) {
    loop {
        let next = units.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok((seq, work)) = next else {
            return;
        };
        let out = spares
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .try_recv()
            .unwrap_or_default();
        let parsed = match &work {
            Work::Block(block) if plan.format == FileFormat::Jsonl => {
                jsonl_input::parse_block(scorer, plan, block)
            }
            Work::Block(block) => csv_input::parse_block(scorer, plan, block),
            Work::Batch { first_row, batch } => {
                parquet_input::parse_batch(scorer, plan, *first_row, batch)
            }
        };
        let result = finish_chunk(scorer, plan, options, formatter, parsed, out);
        let token = match work {
            Work::Block(block) => block.bytes,
            Work::Batch { .. } => Vec::new(),
        };
        if done.send((seq, result, token)).is_err() {
            return;
        }
    }
}

/// The input, counting the bytes read.
struct CountingReader {
    inner: Box<dyn Read + Send>,
    bytes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// A worker's result: sequence number, the scored chunk, and the token to hand back.
type Done = (u64, Result<ChunkResult, BatchError>, Vec<u8>);

/// Write the workers' results in input order as they arrive, counting each in `summary`; hand
/// each result's token back to the reader and its output buffer to the workers. With
/// `strict_input` (`--strict`), the first reject stops the run with an error naming that input.
/// Returns the sinks once every worker has finished.
#[allow(clippy::too_many_arguments)]
fn write_in_order<'p>(
    done: std::sync::mpsc::Receiver<Done>,
    tokens: std::sync::mpsc::Sender<Vec<u8>>,
    spares: std::sync::mpsc::Sender<Vec<u8>>,
    (mut sink, mut rej, mut notices): Sinks<'p>,
    summary: &mut Summary,
    keys: &mut Option<(Vec<bool>, Vec<String>)>,
    cancel: Option<&CancelFlag>,
    strict_input: Option<&Path>,
    output: &Path,
    bytes_read: &std::sync::atomic::AtomicU64,
    progress: &mut impl FnMut(u64, u64),
) -> Result<Sinks<'p>, BatchError> {
    let mut pending = std::collections::BTreeMap::new();
    let mut next = 0u64;
    for (seq, result, token) in done {
        if cancel.is_some_and(CancelFlag::is_set) {
            return Err(BatchError::Interrupted);
        }
        pending.insert(seq, (result, token));
        while let Some((result, token)) = pending.remove(&next) {
            next += 1;
            let r = result?;
            if let (Some(path), Some(reject)) = (strict_input, &r.first_reject) {
                return Err(BatchError::Strict {
                    path: path.to_path_buf(),
                    reject: reject.clone(),
                });
            }
            if let Some((seen, first)) = r.keys {
                match keys {
                    None => *keys = Some((seen, first)),
                    Some((all, all_first)) => {
                        for (a, s) in all.iter_mut().zip(seen) {
                            *a |= s;
                        }
                        if all_first.is_empty() {
                            *all_first = first;
                        }
                    }
                }
            }
            summary.rows_read += r.read;
            summary.rows_scored += r.scored;
            summary.rows_rejected += r.rejected;
            for (total, d) in summary.decisions.iter_mut().zip(r.decisions) {
                *total += d;
            }
            match (&mut sink, r.out) {
                (Sink::Bytes(f), ChunkOut::Bytes(mut b)) => {
                    f.write_all(&b).map_err(|source| BatchError::Io {
                        path: output.to_path_buf(),
                        source,
                    })?;
                    b.clear();
                    let _ = spares.send(b);
                }
                (Sink::Parquet(w), ChunkOut::Batch(b)) => w
                    .write(&b)
                    .map_err(|e| BatchError::Format(format!("{}: {e}", output.display())))?,
                _ => unreachable!("chunk output matches the sink"),
            }
            if let Some((f, p)) = rej.as_mut() {
                f.write_all(&r.rejects).map_err(|source| BatchError::Io {
                    path: p.to_path_buf(),
                    source,
                })?;
            }
            if let Some((f, p)) = notices.as_mut() {
                summary.notices_written += r.notices_written;
                f.write_all(&r.notices).map_err(|source| BatchError::Io {
                    path: p.to_path_buf(),
                    source,
                })?;
            }
            // The reader may have stopped (end of input): then the token is not needed.
            let _ = tokens.send(token);
            let bytes = bytes_read.load(std::sync::atomic::Ordering::Relaxed);
            progress(bytes, summary.rows_read);
        }
    }
    if !pending.is_empty() {
        return Err(BatchError::Format(
            "a worker thread stopped before finishing its work".into(),
        ));
    }
    Ok((sink, rej, notices))
}

/// The line breaks in `bytes`.
fn memchr_count(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

fn cancelled(options: &BatchOptions) -> bool {
    options.cancel.as_ref().is_some_and(CancelFlag::is_set)
}

/// Score parsed rows and format them for the output.
fn finish_chunk(
    scorer: &Scorer,
    plan: &Plan,
    options: &BatchOptions,
    formatter: &Formatter<'_>,
    parsed: Parsed<'_>,
    mut out: Vec<u8>,
) -> Result<ChunkResult, BatchError> {
    let Parsed {
        x,
        metas,
        lines,
        rejects,
        first_reject,
        read,
        rejected,
        keys,
        ..
    } = parsed;
    let n = metas.len();
    let nf = scorer.model().features().len();
    let k = options.reasons.min(nf);
    // Notices give up to four reasons whatever the output's count.
    let k_score = if plan.notices.is_some() {
        k.max(crate::scoring::reasons::NOTICE_REASONS.min(nf))
    } else {
        k
    };
    let mut scored = score_rows(scorer, plan, &x, &metas, k_score, plan.notices.is_some())?;
    let mut notices = Vec::new();
    let mut notices_written = 0u64;
    if let Some(maker) = &plan.notices {
        for i in 0..n {
            let reasons = &scored.reasons[i * k_score..(i + 1) * k_score];
            let points = &scored.points[i * nf..(i + 1) * nf];
            let decision =
                Decision::from_code(scored.decision[i]).map_or("unknown", Decision::as_str);
            let notice = maker.notice(
                metas[i].carried.id.as_deref(),
                lines[i],
                decision,
                scored.score[i],
                reasons,
                |_, f| maker.best_points(f) - points[f],
            );
            if let Some(notice) = notice {
                serde_json::to_writer(&mut notices, &notice)
                    .map_err(|e| BatchError::Format(format!("writing a notice: {e}")))?;
                notices.push(b'\n');
                notices_written += 1;
            }
        }
    }
    if k_score != k {
        scored.reasons = (0..n)
            .flat_map(|i| scored.reasons[i * k_score..i * k_score + k].to_vec())
            .collect();
        scored.k = k;
    }
    let mut decisions = [0u64; 3];
    for &d in &scored.decision {
        decisions[d as usize] += 1;
    }
    let out = match formatter {
        Formatter::Parquet(layout) => ChunkOut::Batch(
            crate::output::arrow::record_batch(
                layout,
                &Results::new(scorer.model(), &scored),
                &metas,
            )
            .map_err(|e| BatchError::Format(format!("building the output batch: {e}")))?,
        ),
        Formatter::Text(rows) => {
            out.clear();
            out.reserve(n * 160);
            for (i, meta) in metas.iter().enumerate() {
                rows.write(&mut out, &scored, i, &meta.carried);
            }
            ChunkOut::Bytes(out)
        }
    };
    Ok(ChunkResult {
        out,
        rejects,
        notices,
        notices_written,
        first_reject,
        read,
        scored: n as u64,
        rejected,
        decisions,
        keys,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

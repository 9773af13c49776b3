//! Opening a file: its format (given, by extension, by content), its encoding, its text
//! reader (gzip looked through), the CSV header and dialect, and blocks of whole records.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::csv::{self, delimiter_name, DELIMITERS};
use super::number::{parse_decimal_comma, parse_number, NotANumber};
use crate::format::FileFormat;

/// Errors that stop reading a file before any row is read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file cannot be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is text in an encoding microscore does not read (UTF-16, UTF-32).
    #[error("{path}: this file is {encoding} text{how}; microscore reads UTF-8: save it as UTF-8 (\"CSV UTF-8\" in spreadsheet tools)")]
    Encoding {
        /// File.
        path: PathBuf,
        /// The encoding found.
        encoding: &'static str,
        /// How it was recognised.
        how: &'static str,
    },
    /// The header cannot be used.
    #[error("{path}: {message}")]
    Header {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The format cannot be told or is not one microscore reads.
    #[error("{path}: {message}")]
    Format {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// How to read an input file. The default reads any supported file by its name and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InputOptions {
    /// The format (default: from the extension, then the content).
    pub format: Option<FileFormat>,
    /// The CSV delimiter (default: detected from the header line; tab for `.tsv`).
    pub delimiter: Option<u8>,
    /// CSV numbers are written with a decimal comma (`1.234,5`): `.` groups thousands.
    pub decimal_comma: bool,
}

impl InputOptions {
    /// The delimiter named on a command line: `,` `;` `|`, a tab, or the words `comma`,
    /// `semicolon`, `tab`, `pipe` (and `\t`).
    pub fn parse_delimiter(s: &str) -> Result<u8, UnsupportedDelimiter> {
        match s {
            "," | "comma" => Ok(b','),
            ";" | "semicolon" => Ok(b';'),
            "\t" | "\\t" | "tab" => Ok(b'\t'),
            "|" | "pipe" => Ok(b'|'),
            other => Err(UnsupportedDelimiter(other.to_string())),
        }
    }
}

/// A delimiter microscore does not read ([`InputOptions::parse_delimiter`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported delimiter {0:?} (use , ; | or tab)")]
pub struct UnsupportedDelimiter(pub String);

/// What a file was found to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    /// Its format.
    pub format: FileFormat,
    /// Whether it is gzip-compressed (by its content).
    pub gzip: bool,
    /// The delimiter its name implies (tab for `.tsv`), if any.
    pub delimiter: Option<u8>,
}

/// The format a name implies, looking through `.gz`: (format, delimiter, named `.gz`).
fn by_name(path: &Path) -> (Option<FileFormat>, Option<u8>, bool) {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (stem, gz) = match name.strip_suffix(".gz") {
        Some(stem) => (stem.to_string(), true),
        None => (name, false),
    };
    let ext = stem.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "tsv" | "tab" => (Some(FileFormat::Csv), Some(b'\t'), gz),
        _ => (FileFormat::from_path(Path::new(&stem)), None, gz),
    }
}

/// What a file is: its format, whether it is gzip-compressed and the delimiter its name
/// implies. Reads the first bytes of the file (and of its decompressed content).
pub fn detect(path: &Path, options: &InputOptions) -> Result<Detected, InputError> {
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(InputError::Format {
            path: path.to_path_buf(),
            message: "is a folder, not a data file".into(),
        });
    }
    let (named, named_delimiter, named_gz) = by_name(path);
    let mut head = [0u8; 512];
    let n = read_head(File::open(path).map_err(io)?, &mut head).map_err(io)?;
    let head = &head[..n];
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    if named_gz && !gzip && !head.is_empty() {
        return Err(InputError::Format {
            path: path.to_path_buf(),
            message: "is named .gz but is not gzip-compressed (it does not start with the gzip magic number)".into(),
        });
    }
    let parquet = head.starts_with(b"PAR1");
    let text_head: Vec<u8> = if gzip {
        let mut buf = [0u8; 512];
        let file = File::open(path).map_err(io)?;
        let n = read_head(flate2::read::MultiGzDecoder::new(file), &mut buf).map_err(|e| {
            InputError::Format {
                path: path.to_path_buf(),
                message: format!("is not a readable gzip file: {e}"),
            }
        })?;
        buf[..n].to_vec()
    } else {
        head.to_vec()
    };
    let format = if parquet {
        FileFormat::Parquet
    } else if let Some(f) = options.format.or(named) {
        f
    } else {
        match text_head.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => FileFormat::Jsonl,
            _ if text_head.starts_with(&[0xEF, 0xBB, 0xBF, b'{']) => FileFormat::Jsonl,
            _ => FileFormat::Csv,
        }
    };
    // (A file cannot start with both magic numbers: gzip named as Parquet is caught here.)
    if format == FileFormat::Parquet && !parquet {
        if gzip {
            return Err(InputError::Format {
                path: path.to_path_buf(),
                message: "Parquet files compress internally; gzip around Parquet is not supported"
                    .into(),
            });
        }
        if !head.is_empty() {
            return Err(InputError::Format {
                path: path.to_path_buf(),
                message: "is not a Parquet file (it does not start with PAR1)".into(),
            });
        }
    }
    if format != FileFormat::Parquet {
        check_encoding(&text_head, path)?;
    }
    Ok(Detected {
        format,
        gzip,
        delimiter: named_delimiter,
    })
}

/// Read up to `buf.len()` bytes from the start of `r`.
fn read_head(mut r: impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The start of a text file: UTF-16 or UTF-32 (by its byte-order mark, or by the zero bytes
/// that ASCII text in those encodings has) is an error naming the encoding.
pub fn check_encoding(head: &[u8], path: &Path) -> Result<(), InputError> {
    let bom = |encoding| InputError::Encoding {
        path: path.to_path_buf(),
        encoding,
        how: " (it starts with a byte-order mark)",
    };
    if head.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(bom("UTF-32 (big-endian)"));
    }
    if head.starts_with(&[0xFF, 0xFE, 0, 0]) {
        return Err(bom("UTF-32 (little-endian)"));
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Err(bom("UTF-16 (big-endian)"));
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return Err(bom("UTF-16 (little-endian)"));
    }
    // Without a mark: ASCII in UTF-16 has a zero byte beside every character.
    let sample = &head[..head.len().min(256) & !3];
    if sample.len() >= 8 {
        let zeros = |offset: usize, step: usize| {
            sample
                .iter()
                .skip(offset)
                .step_by(step)
                .filter(|&&b| b == 0)
                .count()
        };
        let quarter = sample.len() / 4;
        let half = sample.len() / 2;
        let guess = if zeros(1, 4) + zeros(2, 4) + zeros(3, 4) >= 3 * quarter * 9 / 10 {
            Some("UTF-32 (little-endian)")
        } else if zeros(0, 4) + zeros(1, 4) + zeros(2, 4) >= 3 * quarter * 9 / 10 {
            Some("UTF-32 (big-endian)")
        } else if zeros(1, 2) >= half * 9 / 10 {
            Some("UTF-16 (little-endian)")
        } else if zeros(0, 2) >= half * 9 / 10 {
            Some("UTF-16 (big-endian)")
        } else {
            None
        };
        if let Some(encoding) = guess {
            return Err(InputError::Encoding {
                path: path.to_path_buf(),
                encoding,
                how: " (every character has zero bytes beside it)",
            });
        }
    }
    Ok(())
}

/// Open a text input for reading: through gzip when compressed, with a UTF-8 byte-order mark
/// skipped. Encodings were checked by [`detect`].
pub fn open_text(
    path: &Path,
    detected: &Detected,
) -> Result<std::io::BufReader<Box<dyn Read + Send>>, InputError> {
    let file = File::open(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    text_reader(file, detected.gzip, path)
}

/// A text reader over `raw` (a file, or a reader counting a file's bytes): through gzip when
/// `gzip`, with a UTF-8 byte-order mark skipped.
pub fn text_reader(
    raw: impl Read + Send + 'static,
    gzip: bool,
    path: &Path,
) -> Result<std::io::BufReader<Box<dyn Read + Send>>, InputError> {
    use std::io::BufRead;
    let raw: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let mut reader = std::io::BufReader::with_capacity(1 << 16, raw);
    let start = reader.fill_buf().map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if start.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    }
    Ok(reader)
}

/// The header record of a CSV file (it may span lines inside quotes): its names (trimmed),
/// the lines it took, and the file's dialect. Errors: an empty file, a blank first line,
/// broken quoting, text that is not UTF-8, a name that appears twice.
pub fn read_csv_header(
    reader: &mut impl std::io::BufRead,
    path: &Path,
    options: &InputOptions,
    detected: &Detected,
) -> Result<(Vec<String>, u64, Dialect), InputError> {
    let bad = |message: String| InputError::Header {
        path: path.to_path_buf(),
        message,
    };
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut line = Vec::new();
    let mut lines = 0u64;
    let dialect = loop {
        let n = reader.read_until(b'\n', &mut line).map_err(io)?;
        lines += u64::from(n > 0);
        // A header with a quoted line break goes on to the next line; at most 1 MB. The
        // dialect (its delimiter) is decided on the lines read so far, by the one rule.
        let record = line.strip_suffix(b"\n").unwrap_or(&line);
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        let dialect = Dialect::for_header(record, options, detected);
        let cut = csv::Cutter {
            delimiter: dialect.delimiter,
            width: None,
        };
        let ends = n == 0 || cut.last_record_end(&line).is_some();
        if ends || line.len() > 1 << 20 {
            break dialect;
        }
    };
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(bad(if line.is_empty() {
            "the file is empty: a CSV file needs a header line naming its columns".into()
        } else {
            "the first line is blank: a CSV file needs a header line naming its columns".into()
        }));
    }
    let record = line.strip_suffix(b"\n").unwrap_or(&line);
    let record = record.strip_suffix(b"\r").unwrap_or(record);
    let text = std::str::from_utf8(record)
        .map_err(|_| bad("the header line is not valid UTF-8".into()))?;
    let names: Vec<String> = csv::split_record(text.as_bytes(), dialect.delimiter)
        .map_err(|why| {
            bad(format!(
                "the header line has {}",
                why.trim_start_matches("broken quoting: ")
            ))
        })?
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    check_names(&names, path)?;
    Ok((names, lines, dialect))
}

/// A header's names: none may appear twice.
pub fn check_names(names: &[String], path: &Path) -> Result<(), InputError> {
    let mut seen = std::collections::HashSet::new();
    match names.iter().find(|h| !seen.insert(h.as_str())) {
        Some(dup) => Err(InputError::Header {
            path: path.to_path_buf(),
            message: format!("column '{dup}' appears twice in the header"),
        }),
        None => Ok(()),
    }
}

/// A hint for a header that did not split: one name holding another delimiter.
pub fn delimiter_hint(names: &[String], dialect: &Dialect) -> Option<String> {
    let [only] = names else { return None };
    let other = DELIMITERS
        .iter()
        .find(|&&d| d != dialect.delimiter && only.as_bytes().contains(&d))?;
    Some(format!(
        "the header is one column that holds {} characters: is the delimiter {}? (the file was read with the {}; name the delimiter: --delimiter, or delimiter= in Python)",
        delimiter_name(*other),
        delimiter_name(*other),
        delimiter_name(dialect.delimiter)
    ))
}

/// The longest block: a line longer than this is an error.
pub const MAX_BLOCK_BYTES: usize = 64 << 20;

/// Fill `block` with the next whole records of `reader`: about `size` bytes (more when a record
/// is longer), starting with `carry`, the partial record left over from the previous block
/// (which becomes this block's leftover). Records are CSV records by RFC 4180 when a `cutter` is
/// given (a quoted field may hold line breaks), else lines. False when the input is
/// exhausted. The block's buffer is reused as it is: bytes are read over its old contents,
/// never zeroed first. A line longer than [`MAX_BLOCK_BYTES`] is an `InvalidData` error.
pub fn next_block(
    reader: &mut (impl Read + ?Sized),
    carry: &mut Vec<u8>,
    block: &mut Vec<u8>,
    size: usize,
    cutter: Option<csv::Cutter>,
) -> std::io::Result<bool> {
    let mut filled = carry.len();
    if block.len() < size.max(filled + 1) {
        block.resize(size.max(filled + 1), 0);
    }
    block[..filled].copy_from_slice(carry);
    carry.clear();
    loop {
        while filled < block.len() {
            match reader.read(&mut block[filled..]) {
                Ok(0) => {
                    // End of input: the last line may lack its line break.
                    block.truncate(filled);
                    return Ok(filled > 0);
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let end = match cutter {
            Some(c) => c.last_record_end(block),
            None => memchr::memrchr(b'\n', block).map(|e| e + 1),
        };
        match end {
            Some(end) => {
                carry.extend_from_slice(&block[end..]);
                block.truncate(end);
                return Ok(true);
            }
            None if block.len() > MAX_BLOCK_BYTES => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "a line longer than {} MB starts here: not a table of applications",
                        MAX_BLOCK_BYTES >> 20
                    ),
                ))
            }
            // A record longer than a block: read on.
            None => block.resize(block.len() + size, 0),
        }
    }
}

/// The dialect of a CSV file: how its records split into fields and how numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// The field delimiter.
    pub delimiter: u8,
    /// Numbers have a decimal comma and `.` thousands separators.
    pub decimal_comma: bool,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: b',',
            decimal_comma: false,
        }
    }
}

impl Dialect {
    /// The dialect of a CSV file with this header line (its bytes, line break excluded): the
    /// delimiter given, or the name's (`.tsv`), or the one of [`DELIMITERS`] found most often
    /// outside quotes in the header (a comma when there is none).
    pub fn for_header(header: &[u8], options: &InputOptions, detected: &Detected) -> Dialect {
        Dialect {
            delimiter: options
                .delimiter
                .or(detected.delimiter)
                .unwrap_or_else(|| csv::detect_delimiter(header)),
            decimal_comma: options.decimal_comma,
        }
    }

    /// One value as a number by this dialect's rules ([`parse_number`], or
    /// [`parse_decimal_comma`]); `None` when it is not a number.
    pub fn number(&self, s: &str) -> Option<f64> {
        if self.decimal_comma {
            parse_decimal_comma(s)
        } else {
            parse_number(s)
        }
    }

    /// Why a text is not a number here, with a hint when it is one in the other convention.
    pub fn not_a_number(&self, s: &str) -> NotANumber {
        if !self.decimal_comma && parse_decimal_comma(s).is_some() && s.contains(',') {
            NotANumber::DecimalComma
        } else if self.decimal_comma && parse_number(s).is_some() && s.contains('.') {
            NotANumber::DotGroups
        } else {
            NotANumber::Text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_comma_numbers() {
        assert_eq!(parse_decimal_comma("1.234,5"), Some(1234.5));
        assert_eq!(parse_decimal_comma("-1.234.567,89"), Some(-1234567.89));
        assert_eq!(parse_decimal_comma("1234,5"), Some(1234.5));
        assert_eq!(parse_decimal_comma("0,25"), Some(0.25));
        assert_eq!(parse_decimal_comma(",5"), Some(0.5));
        assert_eq!(parse_decimal_comma(" 42 "), Some(42.0));
        assert_eq!(parse_decimal_comma("1.234"), Some(1234.0));
        for bad in [
            "1.5", "1,2,3", "12.34,5", "1.2345", "abc", "", "1,", "1e5", "1..234",
        ] {
            assert_eq!(parse_decimal_comma(bad), None, "{bad}");
        }
    }

    #[test]
    fn encodings_are_named() {
        let p = Path::new("x.csv");
        let utf16: Vec<u8> = "id,amount\n1,2\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let e = check_encoding(&utf16, p).unwrap_err().to_string();
        assert!(e.contains("UTF-16 (little-endian)"), "{e}");
        let be: Vec<u8> = "id,amount\n1,2\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert!(check_encoding(&be, p)
            .unwrap_err()
            .to_string()
            .contains("UTF-16 (big-endian)"));
        let mut bom = vec![0xFF, 0xFE];
        bom.extend(&utf16);
        assert!(check_encoding(&bom, p)
            .unwrap_err()
            .to_string()
            .contains("byte-order mark"));
        let utf32: Vec<u8> = "id,amount\n1,2\n"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        assert!(check_encoding(&utf32, p)
            .unwrap_err()
            .to_string()
            .contains("UTF-32 (little-endian)"));
        assert!(check_encoding("id,名前\n1,張\n".as_bytes(), p).is_ok());
    }

    #[test]
    fn delimiters_by_name() {
        assert_eq!(InputOptions::parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(InputOptions::parse_delimiter(";"), Ok(b';'));
        assert!(InputOptions::parse_delimiter(":").is_err());
        assert_eq!(
            by_name(Path::new("a.TSV.gz")),
            (Some(FileFormat::Csv), Some(b'\t'), true)
        );
        assert_eq!(
            by_name(Path::new("a.csv")),
            (Some(FileFormat::Csv), None, false)
        );
    }
}

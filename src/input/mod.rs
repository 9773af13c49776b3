//! The input layer: how every command and binding opens a tabular file.
//!
//! One set of rules for `score`, `train`, `explain`, `evaluate`, `monitor`, `strategy`, Python
//! and Spark:
//! - **Format**: `--format` when given, else the extension (`.csv`, `.tsv`, `.jsonl`,
//!   `.ndjson`, `.parquet`, `.pq`, each text format optionally `.gz`), else the content: gzip
//!   and Parquet magic numbers, JSON's `{`, and otherwise CSV. A file whose content is gzip or
//!   Parquet is read as such whatever its name. UTF-16 and UTF-32 text (with a byte-order mark,
//!   or without one, by its zero bytes) is an error that says so; a UTF-8 byte-order mark is
//!   skipped.
//! - **CSV** ([`csv`]): RFC 4180 in full, line breaks inside quoted fields included (a record
//!   is counted as one record, and carries the line where it starts); the delimiter is `,`,
//!   `;`, tab or `|`, given or detected from the header line; numbers with a decimal comma
//!   (`1.234,5`) when asked.
//! - **Values**: the missing tokens ([`MISSING_TOKENS`]) and the number rules
//!   ([`parse_number`]) are the same for every format and command.
//! - **Rejects** ([`Reject`]): a row that cannot be used is reported with its line, column,
//!   value and reason, by every command in the same words.

pub mod arrow;
pub mod columns;
pub mod csv;
pub mod number;
pub mod open;
mod reject;
pub mod schema;
pub mod table;

pub use columns::MISSING_CODE;
pub use csv::{delimiter_name, DELIMITERS};
pub use number::{is_missing_token, parse_decimal_comma, parse_number, NotANumber, MISSING_TOKENS};
pub use open::{
    check_encoding, check_names, delimiter_hint, detect, next_block, open_text, read_csv_header,
    text_reader, Detected, Dialect, InputError, InputOptions, UnsupportedDelimiter,
    MAX_BLOCK_BYTES,
};
pub use reject::Reject;

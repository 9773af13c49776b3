//! File formats read and written by microscore, and atomic output files.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A tabular file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileFormat {
    /// Comma-separated values with a header line.
    Csv,
    /// JSON Lines: one JSON object per line, `null` for missing values.
    Jsonl,
    /// Apache Parquet (batch scoring input and output).
    Parquet,
}

impl FileFormat {
    /// The format implied by a path's extension (`.csv`, `.jsonl`, `.ndjson`), if any.
    pub fn from_path(path: &Path) -> Option<FileFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(FileFormat::Csv),
            "jsonl" | "ndjson" => Some(FileFormat::Jsonl),
            "parquet" | "pq" => Some(FileFormat::Parquet),
            _ => None,
        }
    }

    /// The format of a path, looking through a `.gz` suffix, and whether it is
    /// gzip-compressed (`x.csv.gz` is gzip-compressed CSV).
    pub fn detect(path: &Path) -> (Option<FileFormat>, bool) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let lower = name.to_ascii_lowercase();
        match lower.strip_suffix(".gz") {
            Some(stem) => (FileFormat::from_path(Path::new(stem)), true),
            None => (FileFormat::from_path(path), false),
        }
    }

    /// The canonical extension, without the dot.
    pub const fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Jsonl => "jsonl",
            FileFormat::Parquet => "parquet",
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl std::str::FromStr for FileFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(FileFormat::Csv),
            "jsonl" | "ndjson" => Ok(FileFormat::Jsonl),
            "parquet" => Ok(FileFormat::Parquet),
            other => Err(format!(
                "unknown format '{other}' (expected csv, jsonl or parquet)"
            )),
        }
    }
}

/// Append `x` in its shortest round-trip form (it reads back as the same `f64`), integral
/// values without a trailing `.0`; nothing for NaN or infinity (an empty cell).
pub fn write_number(out: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        // Integral (checked by a round trip through i64, cheaper than `fract`).
        if x.abs() < 1e15 && (x as i64) as f64 == x {
            out.extend_from_slice(itoa::Buffer::new().format(x as i64).as_bytes());
        } else {
            out.extend_from_slice(zmij::Buffer::new().format_finite(x).as_bytes());
        }
    }
}

/// The text [`write_number`] writes (`NaN`, `inf` or `-inf` for non-finite values).
pub fn number_text(x: f64) -> String {
    if !x.is_finite() {
        return zmij::Buffer::new().format(x).to_string();
    }
    let mut out = Vec::with_capacity(24);
    write_number(&mut out, x);
    String::from_utf8(out).unwrap_or_default()
}

/// Skip a UTF-8 byte-order mark at the start of a text input (spreadsheet tools write one);
/// a UTF-16 or UTF-32 one is an `InvalidData` error saying what the file is.
pub fn skip_byte_order_mark(reader: &mut impl io::BufRead) -> std::io::Result<()> {
    // The longest mark is 4 bytes; a short first read still holds it in practice.
    let start = reader.fill_buf()?;
    let encoding = if start.starts_with(&[0, 0, 0xFE, 0xFF]) {
        Some("UTF-32 (big-endian)")
    } else if start.starts_with(&[0xFF, 0xFE, 0, 0]) {
        Some("UTF-32 (little-endian)")
    } else if start.starts_with(&[0xFE, 0xFF]) {
        Some("UTF-16 (big-endian)")
    } else if start.starts_with(&[0xFF, 0xFE]) {
        Some("UTF-16 (little-endian)")
    } else {
        None
    };
    if let Some(encoding) = encoding {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "this file is {encoding} text (it starts with a byte-order mark); microscore reads UTF-8: save it as UTF-8 (\"CSV UTF-8\" in spreadsheet tools)"
            ),
        ));
    }
    if start.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    }
    Ok(())
}

/// One JSON Lines record as an object: an error (the message says why) for invalid JSON, a
/// value that is not an object, or a key that appears twice (which a plain parse would settle
/// silently by keeping the last value).
pub fn json_record(line: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    use serde::de::{Deserializer, MapAccess, Visitor};
    struct Record;
    impl<'de> Visitor<'de> for Record {
        type Value = Result<serde_json::Map<String, serde_json::Value>, String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = serde_json::Map::new();
            let mut duplicate = None;
            while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                if out.contains_key(&k) && duplicate.is_none() {
                    duplicate = Some(k.clone());
                }
                out.insert(k, v);
            }
            Ok(match duplicate {
                Some(k) => Err(format!("key '{k}' appears twice in the record")),
                None => Ok(out),
            })
        }
    }
    let mut de = serde_json::Deserializer::from_slice(line);
    let parsed = match de.deserialize_any(Record) {
        Ok(r) => r,
        Err(e) if e.is_data() => return Err("not a JSON object".into()),
        Err(e) => return Err(format!("invalid JSON: {e}")),
    };
    de.end().map_err(|e| format!("invalid JSON: {e}"))?;
    parsed
}

/// The text of a small file (a model, a policy): a regular file (a FIFO or a device could block
/// or never end) of at most `max` bytes, read without trusting its reported size, in UTF-8.
pub fn read_text_file(path: &Path, max: u64) -> io::Result<String> {
    use io::Read;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a regular file (a folder, FIFO or device)",
        ));
    }
    let too_big = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("is larger than {} MB", max >> 20),
        )
    };
    if meta.len() > max {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    File::open(path)?.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_big());
    }
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "is not UTF-8 text"))
}

/// An output file that appears under its final name only once it is complete.
///
/// Data goes to a hidden temporary file in the target's folder, created exclusively under a
/// name no other writer uses (`.NAME.PID-N.tmp`); [`AtomicFile::commit`] flushes, syncs and
/// renames it to the final name. Without `replace` the rename never replaces a file (Linux
/// `renameat2(RENAME_NOREPLACE)`, else link and unlink), so of two writers started together
/// one succeeds and the other gets `AlreadyExists`; with it, only a regular file is ever
/// replaced. A target that is a folder, a device, a FIFO or a socket is refused when the file
/// is created. Any error, a drop without a commit (an error elsewhere, a panic, an interrupted
/// run) removes the temporary file and leaves the final name untouched; temporary files that a
/// killed process left for the same target (its PID no longer runs, untouched for a minute) are
/// removed when the next one is created.
#[derive(Debug)]
pub struct AtomicFile {
    writer: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
    replace: bool,
    /// Bytes handed to the file so far, and how many of them the disk has been asked to
    /// write back (on Linux, so that the final sync has little left to wait for).
    written: u64,
    written_back: u64,
}

/// Bytes between two early write-back requests.
const WRITE_BACK_STEP: u64 = 8 << 20;

/// Why `path` cannot be an output file (a folder, a device, a FIFO, a socket), if it exists
/// and is one.
fn not_a_regular_file(path: &Path) -> Option<io::Error> {
    let meta = std::fs::metadata(path).ok()?;
    let kind = if meta.is_file() {
        return None;
    } else if meta.is_dir() {
        "a folder"
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            let t = meta.file_type();
            if t.is_char_device() {
                "a character device"
            } else if t.is_block_device() {
                "a block device"
            } else if t.is_fifo() {
                "a FIFO (named pipe)"
            } else if t.is_socket() {
                "a socket"
            } else {
                "not a regular file"
            }
        }
        #[cfg(not(unix))]
        "not a regular file"
    };
    Some(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "is {kind}, not a regular file: outputs are written to regular files (use - for standard output)"
        ),
    ))
}

/// The exclusive temporary names of this process, counted.
static TEMP_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Remove temporary files for `name` in `dir` left by processes that no longer run (a
/// `kill -9`, a power cut): `.NAME.PID-N.tmp` with a dead PID.
fn remove_stale_temporaries(dir: &Path, name: &std::ffi::OsStr) {
    #[cfg(unix)]
    {
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(name);
        prefix.push(".");
        let prefix = prefix.to_string_lossy().into_owned();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(rest) = file_name
                .to_str()
                .and_then(|n| n.strip_prefix(prefix.as_str()))
                .and_then(|r| r.strip_suffix(".tmp"))
            else {
                continue;
            };
            let Some(pid) = rest
                .split_once('-')
                .and_then(|(pid, n)| n.parse::<u64>().ok().and(pid.parse::<i32>().ok()))
            else {
                continue;
            };
            // SAFETY: kill with signal 0 only checks whether the process exists.
            let dead = pid > 0
                && unsafe { libc::kill(pid, 0) } == -1
                && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
            // Left alone for a minute after its last write: on a folder shared between
            // machines the PID may be another machine's.
            let idle = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() >= 60);
            let dead = dead && idle;
            if dead {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, name);
}

/// Rename `from` to `to` unless `to` exists (atomically where the system can).
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            std::ffi::CString::new(p.as_os_str().as_bytes())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path holds a NUL byte"))
        };
        let (a, b) = (c(from)?, c(to)?);
        // SAFETY: both are valid NUL-terminated paths; the call reads them only.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        // File systems without RENAME_NOREPLACE: fall back to link and unlink.
        if !matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
            return Err(e);
        }
    }
    std::fs::hard_link(from, to)?;
    std::fs::remove_file(from)
}

impl AtomicFile {
    /// Start writing `target`, replacing an existing regular file only with `replace`. Fails
    /// if the target exists (without `replace`), is not a regular file, or its folder does not
    /// exist or is not writable.
    pub fn create(target: &Path, replace: bool) -> io::Result<AtomicFile> {
        let named = |e: io::Error| io::Error::new(e.kind(), e.to_string());
        if let Some(e) = not_a_regular_file(target) {
            return Err(e);
        }
        if !replace && std::fs::symlink_metadata(target).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "already exists; it is replaced only when asked to (--force, force=True)",
            ));
        }
        // A symbolic link to a regular file: write the file it points at, keeping the link.
        let target = match std::fs::symlink_metadata(target) {
            Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(target).map_err(named)?,
            _ => target.to_path_buf(),
        };
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "output path has no file name")
        })?;
        remove_stale_temporaries(&dir, name);
        loop {
            let n = TEMP_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(".{}-{n}.tmp", std::process::id()));
            let temp = dir.join(temp_name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)
            {
                Ok(file) => {
                    return Ok(AtomicFile {
                        writer: Some(BufWriter::with_capacity(1 << 20, file)),
                        temp,
                        target,
                        replace,
                        written: 0,
                        written_back: 0,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Ask the kernel to start writing back what reached the file since the last request
    /// (Linux `sync_file_range`, without waiting): the writes then overlap the work and the
    /// sync in [`AtomicFile::commit`] is short. Elsewhere, nothing.
    fn write_back(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(w) = &self.writer {
            use std::os::fd::AsRawFd;
            let in_file = self.written - w.buffer().len() as u64;
            if in_file >= self.written_back + WRITE_BACK_STEP {
                let (from, len) = (self.written_back, in_file - self.written_back);
                // SAFETY: the descriptor is open (owned by the writer); the call only starts
                // write-back of a byte range of it, and its result is advisory.
                unsafe {
                    libc::sync_file_range(
                        w.get_ref().as_raw_fd(),
                        from as libc::off64_t,
                        len as libc::off64_t,
                        libc::SYNC_FILE_RANGE_WRITE,
                    );
                }
                self.written_back = in_file;
            }
        }
    }

    /// Flush and sync what was written (the part of a commit that can fail for want of space
    /// or on an I/O error), keeping the file open: [`AtomicFile::commit`] afterwards has only
    /// the rename left. Outputs committed together are all synced first.
    pub fn sync(&mut self) -> io::Result<()> {
        match &mut self.writer {
            Some(w) => {
                w.flush()?;
                w.get_ref().sync_all()
            }
            None => Err(io::Error::other("already committed")),
        }
    }

    /// Flush, sync and rename the temporary file to the target name (never over an existing
    /// file without `replace`, never over anything but a regular file). On any error the
    /// temporary file is removed and the target is untouched.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self
            .writer
            .take()
            .ok_or_else(|| io::Error::other("already committed"))?;
        let result = (|| {
            let file = writer.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            drop(file);
            if let Some(e) = not_a_regular_file(&self.target) {
                return Err(e);
            }
            if self.replace {
                std::fs::rename(&self.temp, &self.target)
            } else {
                rename_no_replace(&self.temp, &self.target).map_err(|e| {
                    if e.kind() == io::ErrorKind::AlreadyExists {
                        io::Error::new(
                            io::ErrorKind::AlreadyExists,
                            "appeared while this run was writing it (another run?); left as it is",
                        )
                    } else {
                        e
                    }
                })
            }
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&self.temp);
        }
        result
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.writer {
            Some(w) => w.write(buf)?,
            None => return Err(io::Error::other("already committed")),
        };
        self.written += n as u64;
        self.write_back();
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.writer {
            Some(w) => w.write_all(buf)?,
            None => return Err(io::Error::other("already committed")),
        }
        self.written += buf.len() as u64;
        self.write_back();
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.writer {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Where an output goes: an [`AtomicFile`], or standard output for the path `-` (a stream:
/// written as it comes, so an error midway leaves what was written).
#[derive(Debug)]
pub enum Output {
    /// A file that appears complete or not at all.
    File(AtomicFile),
    /// Standard output.
    Stdout(BufWriter<io::Stdout>),
}

impl Output {
    /// The output for `path`: standard output for `-`, else an [`AtomicFile`].
    pub fn create(path: &Path, replace: bool) -> io::Result<Output> {
        if is_stdout(path) {
            Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            )))
        } else {
            AtomicFile::create(path, replace).map(Output::File)
        }
    }

    /// Flush and sync a file ([`AtomicFile::sync`]), or flush standard output.
    pub fn sync(&mut self) -> io::Result<()> {
        match self {
            Output::File(f) => f.sync(),
            Output::Stdout(w) => w.flush(),
        }
    }

    /// Commit the file, or flush standard output.
    pub fn commit(self) -> io::Result<()> {
        match self {
            Output::File(f) => f.commit(),
            Output::Stdout(mut w) => w.flush(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::File(f) => f.write(buf),
            Output::Stdout(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::File(f) => f.write_all(buf),
            Output::Stdout(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::File(f) => f.flush(),
            Output::Stdout(w) => w.flush(),
        }
    }
}

/// Whether `path` means standard output (`-`).
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The file a path names, for comparing outputs: the canonical path of its folder joined with
/// its name (the file need not exist), or `-` for standard output.
fn identity(path: &Path) -> PathBuf {
    if is_stdout(path) {
        return PathBuf::from("-");
    }
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(d), Some(n)) => d.join(n),
        _ => path.to_path_buf(),
    }
}

/// Check that no two outputs (`(what, path)`, e.g. `("--out", "scores.csv")`) are the same
/// file, and that none is one of the `inputs`; the error names both.
pub fn check_distinct_outputs(
    outputs: &[(&str, &Path)],
    inputs: &[(&str, &Path)],
) -> io::Result<()> {
    for (i, (a, pa)) in outputs.iter().enumerate() {
        let ia = identity(pa);
        for (b, pb) in outputs[..i].iter().chain(inputs) {
            if ia == identity(pb) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{a} and {b} name the same file, {}: give each its own",
                        pa.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_shortest_form() {
        let text = |x| number_text(x);
        assert_eq!(text(1234.0), "1234");
        assert_eq!(text(0.123), "0.123");
        assert_eq!(text(-2.5), "-2.5");
        assert_eq!(text(f64::INFINITY), "inf");
        let mut out = Vec::new();
        write_number(&mut out, f64::NAN);
        assert!(out.is_empty());
    }

    #[test]
    fn json_records_are_objects_with_unique_keys() {
        assert_eq!(json_record(br#"{"a": 1, "b": "x"}"#).unwrap().len(), 2);
        assert_eq!(
            json_record(br#"{"a": 1, "a": 2}"#).unwrap_err(),
            "key 'a' appears twice in the record"
        );
        assert_eq!(json_record(b"[1, 2]").unwrap_err(), "not a JSON object");
        assert!(json_record(b"{\"a\": }")
            .unwrap_err()
            .starts_with("invalid JSON"));
        assert!(json_record(b"{} x")
            .unwrap_err()
            .starts_with("invalid JSON"));
    }

    #[test]
    fn formats_from_extensions() {
        assert_eq!(
            FileFormat::from_path(Path::new("a.CSV")),
            Some(FileFormat::Csv)
        );
        assert_eq!(
            FileFormat::from_path(Path::new("a.ndjson")),
            Some(FileFormat::Jsonl)
        );
        assert_eq!(FileFormat::from_path(Path::new("a.txt")), None);
        assert_eq!("JSONL".parse::<FileFormat>(), Ok(FileFormat::Jsonl));
        assert!("xls".parse::<FileFormat>().is_err());
    }

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = std::env::temp_dir().join(format!("microscore-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.csv");
        let _ = std::fs::remove_file(&target);
        {
            let mut f = AtomicFile::create(&target, false).unwrap();
            f.write_all(b"partial").unwrap();
            // dropped without commit
        }
        assert!(!target.exists());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "temporary file left behind"
        );
        let mut f = AtomicFile::create(&target, false).unwrap();
        f.write_all(b"complete").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"complete");
        // Without replace, an existing file stays; with it, it is replaced.
        let err = AtomicFile::create(&target, false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        let mut f = AtomicFile::create(&target, true).unwrap();
        f.write_all(b"again").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"again");
        // Two writers of one target, created before either commits: one wins, whole.
        std::fs::remove_file(&target).unwrap();
        let (mut a, mut b) = (
            AtomicFile::create(&target, false).unwrap(),
            AtomicFile::create(&target, false).unwrap(),
        );
        a.write_all(b"first").unwrap();
        b.write_all(b"second").unwrap();
        a.commit().unwrap();
        assert_eq!(b.commit().unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&target).unwrap(), b"first");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary left"
        );
        // A folder is refused.
        assert!(AtomicFile::create(&dir, true)
            .unwrap_err()
            .to_string()
            .contains("is a folder"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

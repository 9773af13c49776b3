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

/// An output file that appears under its final name only once it is complete.
///
/// Data goes to a hidden temporary file in the target folder; [`AtomicFile::commit`] flushes,
/// syncs and renames it over the final name. Dropped without a commit (an error, a panic, an
/// interrupted run), the temporary file is removed and the final name is left untouched.
#[derive(Debug)]
pub struct AtomicFile {
    writer: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
    /// Bytes handed to the file so far, and how many of them the disk has been asked to
    /// write back (on Linux, so that the final sync has little left to wait for).
    written: u64,
    written_back: u64,
}

/// Bytes between two early write-back requests.
const WRITE_BACK_STEP: u64 = 8 << 20;

impl AtomicFile {
    /// Start writing `target`. Fails if the folder does not exist or is not writable.
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "output path has no file name")
        })?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.tmp", std::process::id()));
        let temp = dir.join(temp_name);
        let file = File::create(&temp)?;
        Ok(AtomicFile {
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
            temp,
            target: target.to_path_buf(),
            written: 0,
            written_back: 0,
        })
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

    /// Flush, sync and rename the temporary file to the target name.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self
            .writer
            .take()
            .ok_or_else(|| io::Error::other("already committed"))?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.temp, &self.target)
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
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"partial").unwrap();
            // dropped without commit
        }
        assert!(!target.exists());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "temporary file left behind"
        );
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"complete").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"complete");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

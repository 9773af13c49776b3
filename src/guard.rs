//! Panic boundaries around the third-party decoders that read untrusted bytes (the Parquet and
//! Arrow readers): a panic inside one becomes an error naming the file, never a crash (exit
//! 101) or a `PanicException`.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    /// How many [`catch`] calls are running on this thread.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// A panic caught by [`catch`], with its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Panic(pub String);

/// Run `f`; a panic in it comes back as `Err` with the panic's message.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, Panic> {
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    result.map_err(|payload| {
        Panic(
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_string()),
        )
    })
}

/// Whether this thread is inside [`catch`]: a panic hook may stay quiet, since the panic is
/// reported as an error.
pub fn inside() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(super::catch(|| 7), Ok(7));
        let err = super::catch(|| -> u8 { panic!("bad bytes at {}", 12) }).unwrap_err();
        assert_eq!(err.to_string(), "bad bytes at 12");
        assert!(!super::inside());
    }
}

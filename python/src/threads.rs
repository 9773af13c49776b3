//! Threads: the rayon pool the core runs on, and what a fork after using it needs.

use super::*;

/// Set once rayon's global pool has been used in this process.
static PARALLEL_USED: AtomicBool = AtomicBool::new(false);
/// Set in a child process forked after the parent used the pool: the pool's threads did not
/// survive the fork, so work runs on a pool of the child's own.
static FORKED_AFTER_PARALLEL: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
pub(crate) extern "C" fn after_fork_in_child() {
    if PARALLEL_USED.load(Ordering::SeqCst) {
        FORKED_AFTER_PARALLEL.store(true, Ordering::SeqCst);
    }
}

/// Run `f` (which may use rayon) on `threads` threads, or on the global pool.
pub(crate) fn parallel<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    if threads.is_none() && !FORKED_AFTER_PARALLEL.load(Ordering::SeqCst) {
        PARALLEL_USED.store(true, Ordering::SeqCst);
        return Ok(f());
    }
    if threads == Some(0) {
        return Err(PyErr::new::<pyo3::exceptions::PyValueError, _>(
            "threads must be at least 1",
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start worker threads: {e}")))?;
    Ok(pool.install(f))
}

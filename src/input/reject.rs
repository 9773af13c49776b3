//! A row that could not be used, as every command reports it.

use serde::Serialize;

/// A row that could not be used, as every command reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// 1-based line number in the input where the row's record starts (row number for
    /// Parquet).
    pub line: u64,
    /// The column at fault (empty when the whole row is).
    pub column: String,
    /// The raw value at fault.
    pub value: String,
    /// Why the row was rejected.
    pub reason: String,
}

impl Reject {
    /// The reject in words: `column 'c', value "v": reason`, or the reason alone.
    pub fn describe(&self) -> String {
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

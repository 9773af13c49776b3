//! The plan of a run: where each value the model, its policy and the options need comes from
//! in the input's header (CSV, Parquet) or keys (JSON Lines), checked before any row is read,
//! and the columns of the output it makes.

use std::path::Path;

use super::error::BatchError;
use super::options::BatchOptions;
use crate::format::FileFormat;
use crate::output::Layout;
use crate::scoring::{flags, AbsentColumns, Scorer};

/// Where each needed value comes from.
pub(super) struct Plan {
    pub(super) format: FileFormat,
    /// How CSV records split and numbers are written (the default for other formats).
    pub(super) dialect: crate::input::Dialect,
    /// Header names (CSV) or keys looked up (JSON Lines).
    pub(super) header: Vec<String>,
    /// For each scorer input column: its position in the header (CSV) / its name (JSONL).
    pub(super) inputs: Vec<Option<usize>>,
    pub(super) categorical: Vec<bool>,
    pub(super) required: Vec<Option<usize>>,
    pub(super) id: Option<usize>,
    pub(super) keep: Vec<usize>,
    /// `flags::ABSENT_COLUMN` when columns the model reads are absent and scored as missing
    /// (the opt-in), else 0: set on every row.
    pub(super) absent_flag: u32,
    /// Whether absent columns may be scored as missing (`--allow-missing-columns`).
    pub(super) absent_opt_in: bool,
    /// The columns scored as missing because the input lacks them (under the opt-in).
    pub(super) absent: Vec<String>,
    /// Each feature's reason statement, when the output carries them (`reason_text`).
    pub(super) texts: Option<Vec<String>>,
    /// The notice maker, when the run writes notices.
    pub(super) notices: Option<crate::scoring::reasons::NoticeMaker>,
    /// Every reject is also listed as a value ([`Parsed::listed`]).
    pub(super) list_rejects: bool,
    /// JSON Lines: the slot (index into `header`) of each key the plan reads.
    pub(super) json_index: rustc_hash::FxHashMap<String, usize>,
}

impl Plan {
    /// The columns of this plan's output, with `reasons` reason codes (at most one per feature).
    pub(super) fn layout<'p>(&'p self, scorer: &'p Scorer, reasons: usize) -> Layout<'p> {
        let model = scorer.model();
        Layout {
            id: model.id_column().filter(|_| self.id.is_some()),
            kept: self.keep.iter().map(|&i| self.header[i].as_str()).collect(),
            reasons: reasons.min(model.features().len()),
            texts: self.texts.as_deref(),
        }
    }

    /// How this plan's CSV records are cut: its delimiter, and the header's width.
    pub(super) fn cutter(&self) -> crate::input::csv::Cutter {
        crate::input::csv::Cutter {
            delimiter: self.dialect.delimiter,
            width: Some(self.header.len()),
        }
    }
}

pub(super) fn make_plan(
    scorer: &Scorer,
    format: FileFormat,
    header: Vec<String>,
    input: &Path,
    options: &BatchOptions,
    keep: &[String],
    decisions: bool,
) -> Result<Plan, BatchError> {
    let model = scorer.model();
    // The policy's required columns, when the run decides.
    let policy_required: &[String] = if decisions {
        &model.policy().required
    } else {
        &[]
    };
    let position = |name: &str| header.iter().position(|h| h == name);
    let mut absent = Vec::new();
    let (inputs, required, id, keep, header, absent_flag) = match format {
        FileFormat::Csv | FileFormat::Parquet => {
            let mut seen = std::collections::HashSet::new();
            if let Some(dup) = header.iter().find(|h| !seen.insert(h.as_str())) {
                return Err(BatchError::BadHeader {
                    path: input.to_path_buf(),
                    message: format!("column '{dup}' appears twice in the header"),
                });
            }
            // The features and every column of the policy (the file scorer decides), and the
            // kept columns; exact names, with a "did you mean" for each absent one.
            let mut needed = scorer.needed_columns(decisions);
            needed.extend(keep.iter().map(|k| (k.as_str(), "--keep".to_string())));
            let available: Vec<&str> = header.iter().map(String::as_str).collect();
            let absent_flag = match crate::input::schema::check_columns(
                needed.iter().map(|(n, b)| (*n, b.as_str())),
                &available,
            ) {
                Ok(()) => 0,
                Err(missing) => {
                    // The opt-in scores absent features and policy inputs as missing; required
                    // and kept columns are never optional.
                    let optional = |by: &str| by != "--keep" && by != "policy.required";
                    if options.absent_columns == AbsentColumns::AsMissing
                        && missing.missing.iter().all(|m| optional(&m.needed_by))
                    {
                        absent = missing.names().iter().map(|n| n.to_string()).collect();
                        flags::ABSENT_COLUMN
                    } else {
                        return Err(BatchError::MissingColumns {
                            path: input.to_path_buf(),
                            missing,
                        });
                    }
                }
            };
            let inputs = scorer
                .input_columns()
                .iter()
                .map(|c| position(&c.name))
                .collect();
            let required = policy_required.iter().map(|r| position(r)).collect();
            let id = model.id_column().and_then(position);
            let keep = keep.iter().filter_map(|k| position(k)).collect();
            (inputs, required, id, keep, header, absent_flag)
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
            let required = policy_required
                .iter()
                .map(|r| Some(add(r, &mut names)))
                .collect();
            let id = id_name.as_deref().map(|n| add(n, &mut names));
            let keep = keep.iter().map(|k| add(k, &mut names)).collect();
            (inputs, required, id, keep, names, 0)
        }
    };
    let json_index = if format == FileFormat::Jsonl {
        header
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect()
    } else {
        Default::default()
    };
    Ok(Plan {
        format,
        dialect: crate::input::Dialect::default(),
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
        absent_flag,
        absent_opt_in: options.absent_columns == AbsentColumns::AsMissing,
        absent,
        texts: options
            .reason_text
            .as_deref()
            .map(|language| crate::scoring::reasons::statements_in(model, language))
            .transpose()?,
        notices: options
            .notices
            .as_ref()
            .map(|n| crate::scoring::reasons::NoticeMaker::new(model, n.settings.clone()))
            .transpose()?,
        list_rejects: false,
        json_index,
    })
}

/// JSON Lines: a key the model or its policy reads that no record of the file has is an error
/// (a renamed field), unless absent columns are allowed; named with a "did you mean" from the
/// first record's keys.
pub(super) fn check_jsonl_keys(
    scorer: &Scorer,
    plan: &Plan,
    seen: &[bool],
    first_keys: &[String],
    input: &Path,
    options: &BatchOptions,
) -> Result<(), BatchError> {
    if options.absent_columns == AbsentColumns::AsMissing {
        return Ok(());
    }
    let mut needed = scorer.needed_columns(true);
    needed.extend(
        options
            .keep
            .iter()
            .map(|k| (k.as_str(), "--keep".to_string())),
    );
    let present: Vec<&str> = plan
        .header
        .iter()
        .zip(seen)
        .filter(|(_, s)| **s)
        .map(|(n, _)| n.as_str())
        .chain(first_keys.iter().map(String::as_str))
        .collect();
    crate::input::schema::check_columns(needed.iter().map(|(n, b)| (*n, b.as_str())), &present)
        .map_err(|mut missing| {
            for m in &mut missing.missing {
                m.suggestion = crate::input::schema::suggest(
                    &m.name,
                    &first_keys.iter().map(String::as_str).collect::<Vec<_>>(),
                )
                .map(str::to_string);
            }
            BatchError::MissingColumns {
                path: input.to_path_buf(),
                missing,
            }
        })
}

/// How an input is read, in words: `csv (comma)`, `csv.gz (semicolon, decimal comma)`.
pub(super) fn describe_input(plan: &Plan, gzip: bool) -> String {
    let mut out = plan.format.to_string();
    if gzip {
        out.push_str(".gz");
    }
    if plan.format == FileFormat::Csv {
        out.push_str(" (");
        out.push_str(crate::input::delimiter_name(plan.dialect.delimiter));
        if plan.dialect.decimal_comma {
            out.push_str(", decimal comma");
        }
        out.push(')');
    }
    out
}

//! A scorecard as one SQL `SELECT`: bins, points, score, PD, grade, decision, limit, rate,
//! expected loss and the top-k reason codes, with the model's exact semantics.
//!
//! The query reads a table (default `applications`) whose numeric features are numbers
//! (`NULL` or NaN = missing) and whose categorical features are text, and gives one row per
//! input row, through named steps (CTEs): the columns read (`src`), categories trimmed (`t`),
//! bins (`b`), points and reason ranks (`p`), the score (`s`), its PD and grade (`g`), each
//! feature's place among the row's reasons (`o`), the policy (`d`). What it reproduces, the
//! same as [`crate::scoring`]:
//!
//! - numeric bins by the model's edges (`edges[i-1] <= x < edges[i]`, every edge written as an
//!   exact double), special values first, `NULL`, NaN and +-infinity to the missing route;
//! - categories trimmed of whitespace (the characters Rust's `str::trim` removes), the missing
//!   tokens (empty, `NA`, `N/A`, `null`, `NaN`, any case) to the missing route, an unseen
//!   category to the unseen route;
//! - the score as the sum of the points in feature order, the PD through the scaling (with the
//!   same clamp), the grade by its lowest score;
//! - reasons: each (feature, bin) that loses points has its global rank (most points lost
//!   first, ties in feature order); reason j is the feature with j-1 smaller ranks in the row
//!   (written as comparisons, not a chain of steps, so that no engine inlines it
//!   exponentially);
//! - the policy: cut-offs, the thin-file referral, limits, rates and expected loss; a row with
//!   an empty required column, or (when the policy rejects them) an invalid amount, is rejected:
//!   `reject_column` and `reject_reason` say why and its results are `NULL`.

use std::fmt::Write;

use super::WHITE_SPACE;
use crate::model::BinRule;
use crate::model::Model;
use crate::scoring::Scorer;

/// `lower(t) IN ('', 'na', ...)`: trimmed text `t` is a missing token.
fn missing_token(t: &str) -> String {
    let tokens: Vec<String> = std::iter::once("")
        .chain(crate::input::MISSING_TOKENS)
        .map(|m| format!("'{m}'"))
        .collect();
    format!("lower({t}) IN ({})", tokens.join(", "))
}

/// An SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// DuckDB.
    Duckdb,
    /// SQLite (3.35 or newer: math functions).
    Sqlite,
    /// Spark SQL.
    Spark,
}

impl std::str::FromStr for Dialect {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "duckdb" => Ok(Dialect::Duckdb),
            "sqlite" => Ok(Dialect::Sqlite),
            "spark" | "sparksql" => Ok(Dialect::Spark),
            other => Err(format!(
                "unknown SQL dialect '{other}' (postgres, duckdb, sqlite or spark)"
            )),
        }
    }
}

impl Dialect {
    /// The dialect's name.
    pub const fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Duckdb => "duckdb",
            Dialect::Sqlite => "sqlite",
            Dialect::Spark => "spark",
        }
    }

    /// A quoted identifier.
    fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A string literal.
    fn text(self, s: &str) -> String {
        match self {
            // Spark SQL reads backslash escapes in literals: escape the backslash itself.
            Dialect::Spark => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    fn double_type(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            Dialect::Sqlite => "REAL",
            Dialect::Duckdb | Dialect::Spark => "DOUBLE",
        }
    }

    /// An exact double: its shortest round-trip digits in exponent form (read as a double
    /// by every dialect, never as a decimal rounded on the way), cast to the double type.
    fn num(self, x: f64) -> String {
        let t = format!("{x:e}");
        format!("CAST({t} AS {})", self.double_type())
    }

    fn least(self) -> &'static str {
        match self {
            Dialect::Sqlite => "MIN",
            _ => "LEAST",
        }
    }

    fn greatest(self) -> &'static str {
        match self {
            Dialect::Sqlite => "MAX",
            _ => "GREATEST",
        }
    }

    /// Whether a number is missing: `NULL` or NaN.
    fn missing_number(self, x: &str) -> String {
        match self {
            Dialect::Postgres => format!("({x} IS NULL OR {x} = 'NaN'::float8)"),
            Dialect::Duckdb | Dialect::Spark => format!("({x} IS NULL OR isnan({x}))"),
            // SQLite stores NaN as NULL.
            Dialect::Sqlite => format!("({x} IS NULL)"),
        }
    }

    /// Whether a (non-missing) number is +-infinity.
    fn infinite(self, x: &str) -> String {
        match self {
            Dialect::Postgres => format!("({x} IN ('Infinity'::float8, '-Infinity'::float8))"),
            Dialect::Duckdb => format!("isinf({x})"),
            Dialect::Spark => format!("(abs({x}) = double('Infinity'))"),
            Dialect::Sqlite => format!("(abs({x}) > 1.7976931348623157e308)"),
        }
    }

    /// Text trimmed of every character Rust's `str::trim` removes (Unicode white space),
    /// the characters written by code point.
    fn trimmed(self, x: &str) -> String {
        let codes = WHITE_SPACE.chars().map(|c| c as u32);
        match self {
            Dialect::Postgres => {
                let set: String = codes.map(|c| format!("\\u{c:04X}")).collect();
                format!("btrim({x}, E'{set}')")
            }
            Dialect::Duckdb => {
                let set: Vec<String> = codes.map(|c| format!("chr({c})")).collect();
                format!("trim({x}, {})", set.join(" || "))
            }
            Dialect::Sqlite => {
                let set: Vec<String> = codes.map(|c| c.to_string()).collect();
                format!("trim({x}, char({}))", set.join(", "))
            }
            Dialect::Spark => {
                let set: String = codes.map(|c| format!("\\u{c:04X}")).collect();
                format!("trim(BOTH '{set}' FROM {x})")
            }
        }
    }

    fn floor(self) -> &'static str {
        "FLOOR"
    }
}

/// Settings of [`to_sql`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlOptions {
    /// The dialect.
    pub dialect: Dialect,
    /// The table (or view, or subquery alias) the applications are read from.
    pub table: String,
    /// Reason codes per row (capped at the number of features).
    pub reasons: usize,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions {
            dialect: Dialect::Duckdb,
            table: "applications".into(),
            reasons: 4,
        }
    }
}

/// Sentinel rank of a bin that loses no points (larger than any real rank).
const NO_REASON: u32 = 2_147_483_647;

/// The model as one SQL query (see the module documentation).
pub fn to_sql(model: &Model, options: &SqlOptions) -> Result<String, super::ExportError> {
    super::check_reasons(options.reasons)?;
    if options.table.trim().is_empty() || options.table.contains(';') {
        return Err(super::ExportError::Table(options.table.clone()));
    }
    let d = options.dialect;
    let scorer = Scorer::new(model.clone());
    let features = model.features();
    let nf = features.len();
    let k = options.reasons.min(nf);
    let inputs = scorer.input_columns();
    let input = |j: usize| format!("__ms_in_{j}");
    let policy = model.policy();
    let position = |name: &str| inputs.iter().position(|c| c.name == name);
    let mut q = String::new();
    let _ = writeln!(
        q,
        "-- microscore scorecard {} (model format {}, {}), SQL dialect {}.",
        model.checksum(),
        crate::model::FORMAT_VERSION,
        concat!("microscore ", env!("CARGO_PKG_VERSION")),
        d.name()
    );
    let _ = writeln!(
        q,
        "-- Reads {}: numeric features as numbers (NULL or NaN = missing), categorical features as text.",
        options.table
    );
    let _ = writeln!(
        q,
        "-- One row per input row: {}points of every feature, score, pd, grade, decision, limit, annual_rate, expected_loss, reason_1..{k}, reject_column, reject_reason.",
        if model.id_column().is_some() { "the id, " } else { "" }
    );

    // src: the columns read, under internal names.
    q.push_str("WITH src AS (\n  SELECT\n");
    let mut cols: Vec<String> = Vec::new();
    if let Some(id) = model.id_column() {
        cols.push(format!("    {} AS __ms_id", d.ident(id)));
    }
    for (j, c) in inputs.iter().enumerate() {
        cols.push(format!("    {} AS {}", d.ident(&c.name), input(j)));
    }
    let required: Vec<(usize, &str)> = policy
        .required
        .iter()
        .enumerate()
        .map(|(r, name)| (r, name.as_str()))
        .collect();
    for (r, name) in &required {
        cols.push(format!("    {} AS __ms_req_{r}", d.ident(name)));
    }
    q.push_str(&cols.join(",\n"));
    let _ = write!(q, "\n  FROM {}\n),\n", options.table);

    // t: categorical inputs trimmed, once.
    q.push_str("t AS (\n  SELECT *");
    for (j, c) in inputs.iter().enumerate() {
        if c.categorical {
            let _ = write!(q, ",\n    {} AS __ms_t_{j}", d.trimmed(&input(j)));
        }
    }
    q.push_str("\n  FROM src\n),\n");

    // b: the bin of every feature.
    q.push_str("b AS (\n  SELECT *");
    for (f, feature) in features.iter().enumerate() {
        let x = input(f);
        let b = &feature.binning;
        let missing = b.missing.bin;
        let _ = write!(q, ",\n    CASE");
        match &b.rule {
            BinRule::Numeric {
                edges, specials, ..
            } => {
                let _ = write!(
                    q,
                    " WHEN {} OR {} THEN {missing}",
                    d.missing_number(&x),
                    d.infinite(&x)
                );
                for s in specials {
                    let _ = write!(q, " WHEN {x} = {} THEN {}", d.num(s.value), s.route.bin);
                }
                for (i, e) in edges.iter().enumerate() {
                    let _ = write!(q, " WHEN {x} < {} THEN {i}", d.num(*e));
                }
                let _ = write!(q, " ELSE {}", edges.len());
            }
            BinRule::Categorical {
                categories,
                unseen_bin,
            } => {
                let t = format!("__ms_t_{f}");
                let _ = write!(
                    q,
                    " WHEN {x} IS NULL OR {} THEN {missing}",
                    missing_token(&t)
                );
                // Categories by bin, in bin order.
                let mut by_bin: std::collections::BTreeMap<usize, Vec<&str>> = Default::default();
                for c in categories {
                    by_bin.entry(c.bin).or_default().push(&c.category);
                }
                for (bin, cats) in by_bin {
                    let list: Vec<String> = cats.iter().map(|c| d.text(c)).collect();
                    let _ = write!(q, " WHEN {t} IN ({}) THEN {bin}", list.join(", "));
                }
                let _ = write!(q, " ELSE {unseen_bin}");
            }
        }
        let _ = write!(q, " END AS __ms_bin_{f}");
    }
    q.push_str("\n  FROM t\n),\n");

    // p: points and reason ranks.
    q.push_str("p AS (\n  SELECT *");
    for (f, feature) in features.iter().enumerate() {
        let _ = write!(q, ",\n    CASE __ms_bin_{f}");
        for (bin, &pts) in feature.points.iter().enumerate() {
            let _ = write!(q, " WHEN {bin} THEN {}", d.num(pts));
        }
        let _ = write!(q, " END AS __ms_points_{f}");
        let _ = write!(q, ",\n    CASE __ms_bin_{f}");
        for bin in 0..feature.points.len() {
            let rank = scorer.reason_rank(f, bin).unwrap_or(NO_REASON);
            let _ = write!(q, " WHEN {bin} THEN {rank}");
        }
        let _ = write!(q, " END AS __ms_rank_{f}");
    }
    q.push_str("\n  FROM b\n),\n");

    // s: the score (points added in feature order, from 0), its grade and PD.
    let sum: Vec<String> = (0..nf).map(|f| format!("__ms_points_{f}")).collect();
    let _ = write!(q, "s AS (\n  SELECT *, {} AS __ms_score", sum.join(" + "));
    q.push_str("\n  FROM p\n),\n");
    let scaling = model.scaling();
    let (lo, hi) = (f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
    let pd = format!(
        "{g}({l}(1.0 / (1.0 + exp((__ms_score - {offset}) / {factor})), {hi}), {lo})",
        g = d.greatest(),
        l = d.least(),
        offset = d.num(scaling.offset()),
        factor = d.num(scaling.factor()),
        hi = d.num(hi),
        lo = d.num(lo)
    );
    let mut grade = String::from("CASE");
    let grades = model.grades();
    for g in grades {
        match g.min_score {
            Some(m) => {
                let _ = write!(
                    grade,
                    " WHEN __ms_score >= {} THEN {}",
                    d.num(m),
                    d.text(&g.grade)
                );
            }
            None => {
                let _ = write!(grade, " ELSE {}", d.text(&g.grade));
            }
        }
    }
    grade.push_str(" END");
    let mut grade_index = String::from("CASE");
    for (i, g) in grades.iter().enumerate() {
        match g.min_score {
            Some(m) => {
                let _ = write!(grade_index, " WHEN __ms_score >= {} THEN {i}", d.num(m));
            }
            None => {
                let _ = write!(grade_index, " ELSE {i}");
            }
        }
    }
    grade_index.push_str(" END");
    // Reason positions: a feature's place among the row's reasons is the number of features
    // with a smaller rank (ranks are distinct across (feature, bin), so no two features tie).
    // Written without a chain of steps, so no engine expands it beyond nf x nf comparisons.
    let _ = write!(
        q,
        "g AS (\n  SELECT *, {pd} AS __ms_pd, {grade} AS __ms_grade, {grade_index} AS __ms_grade_index\n  FROM s\n)"
    );
    q.push_str(",\no AS (\n  SELECT *");
    for f in 0..nf {
        let terms: Vec<String> = (0..nf)
            .filter(|&g| g != f)
            .map(|g| format!("CASE WHEN __ms_rank_{g} < __ms_rank_{f} THEN 1 ELSE 0 END"))
            .collect();
        let value = if terms.is_empty() {
            "0".to_string()
        } else {
            terms.join(" + ")
        };
        let _ = write!(q, ",\n    {value} AS __ms_pos_{f}");
    }
    q.push_str("\n  FROM g\n)");
    let prev = "o".to_string();

    // d: the policy.
    // The policy's amount columns: (input alias, column name).
    let src_of = |name: Option<&str>| {
        name.and_then(position)
            .map(|j| (input(j), inputs[j].name.clone()))
    };
    let requested_src = src_of(
        policy
            .limit
            .as_ref()
            .and_then(|l| l.requested_column.as_deref()),
    );
    let revenue_src = src_of(
        policy
            .limit
            .as_ref()
            .and_then(|l| l.revenue_column.as_deref()),
    );
    let requested = requested_src.as_ref().map(|(x, _)| x.clone());
    let revenue = revenue_src.as_ref().map(|(x, _)| x.clone());
    // An amount is invalid when present and infinite, or present and negative.
    let infinite_amount = |x: &str| format!("(NOT {} AND {})", d.missing_number(x), d.infinite(x));
    let negative_amount = |x: &str| {
        format!(
            "(NOT {} AND NOT {} AND {x} < 0)",
            d.missing_number(x),
            d.infinite(x)
        )
    };
    let amount_bad = |x: &Option<String>| {
        x.as_ref()
            .map(|x| format!("({} OR {})", infinite_amount(x), negative_amount(x)))
    };
    // Reject reasons, in the file scorer's order: a required column empty, then an amount.
    let mut reject: Vec<(String, String, String)> = Vec::new();
    for (r, name) in &required {
        let c = format!("__ms_req_{r}");
        // A required column is empty when NULL, NaN, or text that is a missing token.
        let is_text = position(name).is_none_or(|j| inputs[j].categorical);
        let empty = if is_text {
            format!(
                "({c} IS NULL OR {})",
                missing_token(&d.trimmed(&format!("CAST({c} AS {})", text_type(d))))
            )
        } else {
            d.missing_number(&c)
        };
        reject.push((
            empty,
            d.text(name),
            d.text("required by the decision policy, but empty"),
        ));
    }
    if policy.invalid_amount == crate::model::policy::InvalidAmount::Reject {
        // The requested amount first, then the revenue; for each, the reason of
        // `policy::amount_issue`.
        for (x, name) in requested_src.iter().chain(&revenue_src) {
            reject.push((
                infinite_amount(x),
                d.text(name),
                d.text("an amount must be a finite number"),
            ));
            reject.push((
                negative_amount(x),
                d.text(name),
                d.text("an amount cannot be negative"),
            ));
        }
    }
    let mut reject_column = String::from("CASE");
    let mut reject_reason = String::from("CASE");
    for (cond, col, why) in &reject {
        let _ = write!(reject_column, " WHEN {cond} THEN {col}");
        let _ = write!(reject_reason, " WHEN {cond} THEN {why}");
    }
    let (reject_column, reject_reason) = if reject.is_empty() {
        ("NULL".to_string(), "NULL".to_string())
    } else {
        (
            reject_column + " ELSE NULL END",
            reject_reason + " ELSE NULL END",
        )
    };
    // Invalid amounts, under a policy that refers them.
    let invalid = [&requested, &revenue]
        .into_iter()
        .filter_map(amount_bad)
        .collect::<Vec<_>>();
    let invalid = if invalid.is_empty() {
        "FALSE".to_string()
    } else {
        format!("({})", invalid.join(" OR "))
    };
    let thin = match &policy.thin_file {
        None => "FALSE".to_string(),
        Some(t) => match position(&t.column) {
            None => "FALSE".to_string(),
            Some(j) => match t.equals {
                None => d.missing_number(&input(j)),
                Some(v) => format!("({} = {})", input(j), d.num(v)),
            },
        },
    };
    let history: Vec<String> = match &policy.thin_file {
        None => Vec::new(),
        Some(t) => features
            .iter()
            .enumerate()
            .filter(|(_, f)| t.history_features.contains(&f.name))
            .map(|(i, f)| format!("({} - __ms_points_{i})", d.num(f.max_points())))
            .collect(),
    };
    let history = if history.is_empty() {
        d.num(0.0)
    } else {
        history.join(" + ")
    };
    let approve = d.num(policy.approve_min_score);
    let decline = d.num(policy.decline_below_score);
    let decision = format!(
        "CASE WHEN {invalid} THEN 'refer' WHEN __ms_score >= {approve} THEN 'approve' WHEN __ms_score >= {decline} THEN 'refer' WHEN {thin} AND __ms_score + ({history}) >= {decline} THEN 'refer' ELSE 'decline' END"
    );
    // The limit if granted: the smallest of the request, the grade's multiple of revenue and
    // the cap; NULL when nothing bounds it.
    let granted = match &policy.limit {
        None => "NULL".to_string(),
        Some(rule) => {
            let mut terms: Vec<String> = Vec::new();
            if let Some(r) = &requested {
                terms.push(format!(
                    "CASE WHEN {} OR {} THEN NULL ELSE {r} END",
                    d.missing_number(r),
                    d.infinite(r)
                ));
            }
            if let Some(v) = &revenue {
                let mut multiple = String::from("CASE __ms_grade_index");
                for (i, g) in grades.iter().enumerate() {
                    let m = rule.revenue_multiple.get(&g.grade).copied().unwrap_or(0.0);
                    let _ = write!(multiple, " WHEN {i} THEN {}", d.num(m));
                }
                multiple.push_str(" END");
                let undeclared = rule
                    .undeclared_revenue_cap
                    .map_or_else(|| "NULL".to_string(), |c| d.num(c));
                terms.push(format!(
                    "CASE WHEN {} OR {} THEN {undeclared} ELSE ({multiple}) * {v} END",
                    d.missing_number(v),
                    d.infinite(v)
                ));
            }
            if let Some(cap) = rule.product_cap {
                terms.push(d.num(cap));
            }
            // The smallest present term (NULL terms left out); NULL when none is present.
            let raw = terms
                .iter()
                .map(|t| format!("COALESCE({t}, {})", d.num(f64::MAX)))
                .collect::<Vec<_>>();
            let raw = if raw.len() == 1 {
                raw[0].clone()
            } else {
                format!("{}({})", d.least(), raw.join(", "))
            };
            let unbounded = terms
                .iter()
                .map(|t| format!("{t} IS NULL"))
                .collect::<Vec<_>>()
                .join(" AND ");
            let clipped = format!("{}({raw}, {})", d.greatest(), d.num(0.0));
            let rounded = if rule.round_to > 0.0 {
                format!(
                    "{}({clipped} / {r}) * {r}",
                    d.floor(),
                    r = d.num(rule.round_to)
                )
            } else {
                clipped
            };
            format!("CASE WHEN {unbounded} THEN NULL ELSE {rounded} END")
        }
    };
    let requested_exposure = match (&policy.limit, &requested) {
        (Some(_), Some(r)) => format!(
            "CASE WHEN {} OR {} THEN {} ELSE {r} END",
            d.missing_number(r),
            d.infinite(r),
            d.num(0.0)
        ),
        (Some(_), None) => d.num(0.0),
        (None, _) => "NULL".to_string(),
    };
    let mut rate = String::from("CASE __ms_grade_index");
    for (i, g) in grades.iter().enumerate() {
        match policy.annual_rate.get(&g.grade) {
            Some(r) => {
                let _ = write!(rate, " WHEN {i} THEN {}", d.num(*r));
            }
            None => {
                let _ = write!(rate, " WHEN {i} THEN NULL");
            }
        }
    }
    rate.push_str(" END");
    let _ = write!(
        q,
        ",\nd AS (\n  SELECT *,\n    {decision} AS __ms_decision,\n    {granted} AS __ms_granted,\n    {requested_exposure} AS __ms_requested_exposure,\n    {reject_column} AS __ms_reject_column,\n    {reject_reason} AS __ms_reject_reason\n  FROM {prev}\n)\n"
    );

    // The result.
    let mut out: Vec<String> = Vec::new();
    if let Some(id) = model.id_column() {
        out.push(format!("__ms_id AS {}", d.ident(id)));
    }
    let ok = "__ms_reject_reason IS NULL";
    let when_ok = |e: &str| format!("CASE WHEN {ok} THEN {e} END");
    for (f, feature) in features.iter().enumerate() {
        out.push(format!(
            "{} AS {}",
            when_ok(&format!("__ms_points_{f}")),
            d.ident(&format!("points_{}", feature.name))
        ));
    }
    out.push(format!("{} AS score", when_ok("__ms_score")));
    out.push(format!("{} AS pd", when_ok("__ms_pd")));
    out.push(format!("{} AS grade", when_ok("__ms_grade")));
    out.push(format!("{} AS decision", when_ok("__ms_decision")));
    let invalid_refer = if policy.invalid_amount == crate::model::policy::InvalidAmount::Refer {
        invalid.clone()
    } else {
        "FALSE".to_string()
    };
    let limit = if policy.limit.is_some() {
        format!(
            "CASE WHEN {invalid_refer} THEN NULL WHEN __ms_decision = 'decline' THEN {} ELSE __ms_granted END",
            d.num(0.0)
        )
    } else {
        "NULL".to_string()
    };
    let exposure = if policy.limit.is_some() {
        "CASE WHEN __ms_decision = 'decline' THEN __ms_requested_exposure ELSE __ms_granted END"
            .to_string()
    } else {
        "NULL".to_string()
    };
    out.push(format!("{} AS {}", when_ok(&limit), d.ident("limit")));
    out.push(format!("{} AS annual_rate", when_ok(&rate)));
    let el = if policy.limit.is_some() {
        format!(
            "CASE WHEN {invalid_refer} THEN NULL ELSE __ms_pd * {} * ({exposure}) END",
            d.num(policy.lgd)
        )
    } else {
        "NULL".to_string()
    };
    out.push(format!("{} AS expected_loss", when_ok(&el)));
    for j in 1..=k {
        let mut code = String::from("CASE");
        for (f, feature) in features.iter().enumerate() {
            let _ = write!(
                code,
                " WHEN __ms_pos_{f} = {} AND __ms_rank_{f} < {NO_REASON} THEN {}",
                j - 1,
                d.text(&feature.reason_code)
            );
        }
        code.push_str(" ELSE NULL");
        code.push_str(" END");
        out.push(format!("{} AS reason_{j}", when_ok(&code)));
    }
    out.push("__ms_reject_column AS reject_column".into());
    out.push("__ms_reject_reason AS reject_reason".into());
    let _ = write!(q, "SELECT\n  {}\nFROM d\n", out.join(",\n  "));
    Ok(q)
}

fn text_type(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "TEXT",
        Dialect::Duckdb => "VARCHAR",
        Dialect::Sqlite => "TEXT",
        Dialect::Spark => "STRING",
    }
}

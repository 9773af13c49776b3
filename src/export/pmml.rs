//! A scorecard as a PMML 4.4 `<Scorecard>` with reason codes (`pointsBelow` against each
//! characteristic's best points), and the PD and the grade as output fields.
//!
//! Each numeric input goes through a derived field that makes +-infinity missing (the model
//! scores an impossible value by its missing route). Attributes are written in the scorer's
//! order of tests, and the first that holds wins: missing, the special values, then
//! `x < edge` for each edge, then everything else; for a categorical input: missing, each
//! bin's set of categories, then everything else (the unseen route). The missing tokens the
//! scorer knows (empty, `NA`, `N/A`, `null`, `NaN` in their usual spellings) are declared as
//! missing values of the categorical fields. A PMML evaluator does not trim text: a category
//! with surrounding spaces is unseen in PMML, where the scorer trims it.

use std::fmt::Write;

use crate::model::BinRule;
use crate::model::Model;
#[cfg(doc)]
use crate::scoring::Scorer;

/// The body of a regex class of Unicode's White_Space ([`super::WHITE_SPACE`]), each character
/// by code point (`\x{9}\x{A}...`).
fn white_space_class() -> String {
    super::WHITE_SPACE
        .chars()
        .map(|c| format!("\\x{{{:X}}}", c as u32))
        .collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A double as PMML text: its shortest round-trip digits.
fn num(x: f64) -> String {
    format!("{x:e}").replace('e', "E")
}

/// A string of a PMML `<Array type="string">`: quoted, with `\"` for a quote.
fn array_item(s: &str) -> String {
    format!("\"{}\"", esc(&s.replace('\\', "\\\\").replace('"', "\\\"")))
}

/// The model as a PMML 4.4 document (see the module documentation). `reasons` reason-code
/// output fields are written (capped at the number of features).
pub fn to_pmml(model: &Model, reasons: usize) -> Result<String, super::ExportError> {
    super::check_reasons(reasons)?;
    let features = model.features();
    let baselines = baselines(model)?;
    let k = reasons.min(features.len());
    let mut x = String::new();
    let _ = writeln!(x, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        x,
        r#"<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">"#
    );
    let _ = writeln!(
        x,
        r#"  <Header description="microscore scorecard {}, model format {}"><Application name="microscore" version="{}"/></Header>"#,
        esc(model.checksum()),
        crate::model::FORMAT_VERSION,
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        x,
        r#"  <DataDictionary numberOfFields="{}">"#,
        features.len() + 1
    );
    for f in features {
        match f.binning.rule {
            BinRule::Numeric { .. } => {
                let _ = writeln!(
                    x,
                    r#"    <DataField name="{}" optype="continuous" dataType="double"/>"#,
                    esc(&f.name)
                );
            }
            BinRule::Categorical { .. } => {
                let _ = writeln!(
                    x,
                    r#"    <DataField name="{}" optype="categorical" dataType="string"/>"#,
                    esc(&f.name)
                );
            }
        }
    }
    x.push_str(r#"    <DataField name="microscore_score" optype="continuous" dataType="double"/>"#);
    x.push_str("\n  </DataDictionary>\n");

    // Numeric inputs without NaN and infinities (both are missing to the scorer); text
    // inputs trimmed as `str::trim` trims, with the missing tokens (empty, `NA`, `N/A`, `null`,
    // `NaN`, in any ASCII case, after trimming) made missing.
    x.push_str("  <TransformationDictionary>\n");
    let ws = white_space_class();
    let tokens = crate::input::MISSING_TOKENS.join("|");
    for f in features {
        match f.binning.rule {
            BinRule::Numeric { .. } => {
                let _ = writeln!(
                    x,
                    r#"    <DerivedField name="{d}" optype="continuous" dataType="double"><Apply function="if"><Apply function="isNotMissing"><FieldRef field="{n}"/></Apply><Apply function="if"><Apply function="lessOrEqual"><Apply function="abs"><FieldRef field="{n}"/></Apply><Constant dataType="double">{max}</Constant></Apply><FieldRef field="{n}"/></Apply></Apply></DerivedField>"#,
                    d = esc(&derived_name(&f.name)),
                    n = esc(&f.name),
                    max = num(f64::MAX)
                );
            }
            BinRule::Categorical { .. } => {
                let _ = writeln!(
                    x,
                    r#"    <DerivedField name="{d}" optype="categorical" dataType="string"><Apply function="if"><Apply function="isNotMissing"><FieldRef field="{n}"/></Apply><Apply function="if"><Apply function="not"><Apply function="matches"><FieldRef field="{n}"/><Constant dataType="string">{missing}</Constant></Apply></Apply><Apply function="replace"><FieldRef field="{n}"/><Constant dataType="string">{trim}</Constant><Constant dataType="string"></Constant></Apply></Apply></Apply></DerivedField>"#,
                    d = esc(&derived_name(&f.name)),
                    n = esc(&f.name),
                    missing = esc(&format!("^[{ws}]*(?i:{tokens})?[{ws}]*$")),
                    trim = esc(&format!("^[{ws}]+|[{ws}]+$")),
                );
            }
        }
    }
    x.push_str("  </TransformationDictionary>\n");

    let _ = writeln!(
        x,
        r#"  <Scorecard modelName="microscore" functionName="regression" useReasonCodes="true" reasonCodeAlgorithm="pointsBelow" initialScore="0" baselineMethod="max">"#
    );
    x.push_str("    <MiningSchema>\n");
    for f in features {
        let _ = writeln!(
            x,
            r#"      <MiningField name="{}" usageType="active"/>"#,
            esc(&f.name)
        );
    }
    x.push_str("      <MiningField name=\"microscore_score\" usageType=\"target\"/>\n");
    x.push_str("    </MiningSchema>\n");

    // Output: score, PD (through the scaling, with the scorer's clamp), grade, reasons.
    let s = model.scaling();
    x.push_str("    <Output>\n");
    x.push_str("      <OutputField name=\"score\" optype=\"continuous\" dataType=\"double\" feature=\"predictedValue\"/>\n");
    let _ = writeln!(
        x,
        r#"      <OutputField name="pd" optype="continuous" dataType="double" feature="transformedValue"><Apply function="max"><Apply function="min"><Apply function="/"><Constant dataType="double">1</Constant><Apply function="+"><Constant dataType="double">1</Constant><Apply function="exp"><Apply function="/"><Apply function="-"><FieldRef field="score"/><Constant dataType="double">{offset}</Constant></Apply><Constant dataType="double">{factor}</Constant></Apply></Apply></Apply></Apply><Constant dataType="double">{hi}</Constant></Apply><Constant dataType="double">{lo}</Constant></Apply></OutputField>"#,
        offset = num(s.offset()),
        factor = num(s.factor()),
        hi = num(1.0 - f64::EPSILON / 2.0),
        lo = num(f64::MIN_POSITIVE)
    );
    x.push_str("      <OutputField name=\"grade\" optype=\"categorical\" dataType=\"string\" feature=\"transformedValue\"><Discretize field=\"score\">");
    let grades = model.grades();
    for (i, g) in grades.iter().enumerate() {
        let upper = i.checked_sub(1).and_then(|j| grades[j].min_score);
        let left = g
            .min_score
            .map(|m| format!(r#" leftMargin="{}""#, num(m)))
            .unwrap_or_default();
        let right = upper
            .map(|m| format!(r#" rightMargin="{}""#, num(m)))
            .unwrap_or_default();
        let _ = write!(
            x,
            r#"<DiscretizeBin binValue="{}"><Interval closure="closedOpen"{left}{right}/></DiscretizeBin>"#,
            esc(&g.grade)
        );
    }
    x.push_str("</Discretize></OutputField>\n");
    for j in 1..=k {
        let _ = writeln!(
            x,
            r#"      <OutputField name="reason_{j}" optype="categorical" dataType="string" feature="reasonCode" rank="{j}"/>"#
        );
    }
    x.push_str("    </Output>\n    <Characteristics>\n");

    for (f, baseline) in features.iter().zip(&baselines) {
        let b = &f.binning;
        let pts = |bin: usize| num(f.points[bin]);
        let _ = writeln!(
            x,
            r#"      <Characteristic name="{}" reasonCode="{}" baselineScore="{}">"#,
            esc(&f.name),
            esc(&f.reason_code),
            num(*baseline)
        );
        match &b.rule {
            BinRule::Numeric {
                edges, specials, ..
            } => {
                let field = esc(&derived_name(&f.name));
                let _ = writeln!(
                    x,
                    r#"        <Attribute partialScore="{}"><SimplePredicate field="{field}" operator="isMissing"/></Attribute>"#,
                    pts(b.missing.bin)
                );
                for sp in specials {
                    let _ = writeln!(
                        x,
                        r#"        <Attribute partialScore="{}"><SimplePredicate field="{field}" operator="equal" value="{}"/></Attribute>"#,
                        pts(sp.route.bin),
                        num(sp.value)
                    );
                }
                for (i, e) in edges.iter().enumerate() {
                    let _ = writeln!(
                        x,
                        r#"        <Attribute partialScore="{}"><SimplePredicate field="{field}" operator="lessThan" value="{}"/></Attribute>"#,
                        pts(i),
                        num(*e)
                    );
                }
                let _ = writeln!(
                    x,
                    r#"        <Attribute partialScore="{}"><True/></Attribute>"#,
                    pts(edges.len())
                );
            }
            BinRule::Categorical {
                categories,
                unseen_bin,
            } => {
                let field = esc(&derived_name(&f.name));
                let _ = writeln!(
                    x,
                    r#"        <Attribute partialScore="{}"><SimplePredicate field="{field}" operator="isMissing"/></Attribute>"#,
                    pts(b.missing.bin)
                );
                let mut by_bin: std::collections::BTreeMap<usize, Vec<&str>> = Default::default();
                for c in categories {
                    by_bin.entry(c.bin).or_default().push(&c.category);
                }
                for (bin, cats) in by_bin {
                    let items: Vec<String> = cats.iter().map(|c| array_item(c)).collect();
                    let _ = writeln!(
                        x,
                        r#"        <Attribute partialScore="{}"><SimpleSetPredicate field="{field}" booleanOperator="isIn"><Array type="string" n="{}">{}</Array></SimpleSetPredicate></Attribute>"#,
                        pts(bin),
                        items.len(),
                        items.join(" ")
                    );
                }
                let _ = writeln!(
                    x,
                    r#"        <Attribute partialScore="{}"><True/></Attribute>"#,
                    pts(*unseen_bin)
                );
            }
        }
        x.push_str("      </Characteristic>\n");
    }
    x.push_str("    </Characteristics>\n  </Scorecard>\n</PMML>\n");
    Ok(x)
}

/// Each characteristic's `baselineScore`: its best points less a small power of two `delta`,
/// the same for every characteristic. A PMML evaluator ranks reasons by `baseline - points`
/// and leaves out those below zero; the scorer ranks by `best - points` and leaves out those
/// that lose nothing. With `delta`, a bin at its feature's best gives `-delta` (left out, as the
/// scorer leaves it out) and every other bin its loss less `delta`; the ordering of all the
/// (feature, bin) pairs is then checked to be the scorer's ([`Scorer::reason_rank`]), ties in
/// feature order included,
/// for the largest `delta` that keeps it (an export that could reorder a reason is an error).
fn baselines(model: &Model) -> Result<Vec<f64>, super::ExportError> {
    let features = model.features();
    let best: Vec<f64> = features.iter().map(|f| f.max_points()).collect();
    // The scorer's own order of the (feature, bin) pairs that lose points.
    let scorer = crate::scoring::Scorer::new(model.clone());
    let mut ranked: Vec<(u32, usize, usize)> = Vec::new();
    for (i, f) in features.iter().enumerate() {
        for b in 0..f.points.len() {
            if let Some(rank) = scorer.reason_rank(i, b) {
                ranked.push((rank, i, b));
            }
        }
    }
    ranked.sort_unstable();
    let want: Vec<(f64, usize, usize)> = ranked
        .iter()
        .map(|&(_, i, b)| (best[i] - features[i].points[b], i, b))
        .collect();
    let smallest = want.iter().map(|w| w.0).fold(f64::INFINITY, f64::min);
    if !smallest.is_finite() {
        return Ok(best); // no bin loses points: no reasons to order
    }
    let mut delta = 2f64.powi(smallest.log2().floor() as i32 - 20);
    while delta >= f64::MIN_POSITIVE {
        let base: Vec<f64> = best.iter().map(|m| m - delta).collect();
        let zeros_out = features.iter().enumerate().all(|(i, f)| {
            f.points
                .iter()
                .all(|&p| (best[i] - p > 0.0) == (base[i] - p > 0.0) && base[i] - p != 0.0)
        });
        let mut got: Vec<(f64, usize, usize)> = want
            .iter()
            .map(|&(_, i, b)| (base[i] - features[i].points[b], i, b))
            .collect();
        got.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let same = got.iter().zip(&want).all(|(g, w)| (g.1, g.2) == (w.1, w.2));
        if zeros_out && same {
            return Ok(base);
        }
        delta /= 2.0;
    }
    Err(super::ExportError::ReasonOrder)
}

/// The derived field of an input as the scorer reads it (see the module documentation).
fn derived_name(name: &str) -> String {
    format!("{name}__microscore")
}

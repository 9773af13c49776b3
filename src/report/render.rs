//! Reports for people: one self-contained HTML page (inline CSS and SVG, nothing fetched) or a
//! Markdown summary.

use std::fmt::Write;

use super::evaluate::Evaluation;
use super::monitor::{Monitoring, Stability};
use super::scan::DataSummary;
use super::svg::{bar_chart, esc, hbar_chart, line_chart, Series};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px auto;max-width:1180px;color:#222;line-height:1.4}\
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}\
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}\
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:12px}\
.green{background:#d5f5e3}.amber{background:#fdebd0}.red{background:#f5b7b1}.note{color:#555;font-size:13px}\
.kpi{display:inline-block;margin:4px 18px 4px 0}.kpi b{font-size:20px;display:block}";

fn n(x: f64, digits: usize) -> String {
    if x.is_finite() {
        format!("{x:.digits$}")
    } else {
        "-".to_string()
    }
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}%", 100.0 * x)
    } else {
        "-".to_string()
    }
}

fn table(head: &[&str], rows: &[Vec<String>], classes: Option<&[String]>) -> String {
    let mut out = String::from("<table><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr>");
    for (i, r) in rows.iter().enumerate() {
        match classes.and_then(|c| c.get(i)).filter(|c| !c.is_empty()) {
            Some(c) => {
                let _ = write!(out, "<tr class=\"{c}\">");
            }
            None => out.push_str("<tr>"),
        }
        for c in r {
            let _ = write!(out, "<td>{}</td>", esc(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    out
}

fn md_table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(head.len()));
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        esc(title)
    )
}

fn data_rows(d: &DataSummary) -> Vec<String> {
    vec![
        d.file.clone(),
        d.rows_read.to_string(),
        d.rows_scored.to_string(),
        d.rows_rejected.to_string(),
        d.rows_labelled.to_string(),
    ]
}

const DATA_HEAD: [&str; 5] = ["file", "rows read", "scored", "left out", "with outcome"];

fn rejects_note(d: &DataSummary) -> String {
    if d.rejects.is_empty() {
        return String::new();
    }
    let items: Vec<String> = d
        .rejects
        .iter()
        .map(|(l, r)| format!("line {l}: {}", esc(r)))
        .collect();
    format!(
        "<p class=\"note\">Rows left out (first {}): {}</p>",
        items.len(),
        items.join("; ")
    )
}

struct Sections {
    grade_rows: Vec<Vec<String>>,
    grade_classes: Vec<String>,
    gains_rows: Vec<Vec<String>>,
    cutoff_rows: Vec<Vec<String>>,
    fairness: Vec<(String, Vec<Vec<String>>, Vec<String>)>,
}

const GRADE_HEAD: [&str; 8] = [
    "grade",
    "applicants",
    "defaults",
    "observed DR",
    "mean PD",
    "Jeffreys p",
    "95% interval of the DR",
    "light",
];
const GAINS_HEAD: [&str; 9] = [
    "decile",
    "scores",
    "applicants",
    "defaults",
    "bad rate",
    "cum. defaults",
    "cum. goods",
    "KS",
    "lift",
];
const CUTOFF_HEAD: [&str; 4] = [
    "cut-off score",
    "approval rate",
    "bad rate approved",
    "defaults declined",
];
const FAIR_HEAD: [&str; 7] = [
    "group",
    "applicants",
    "approval rate",
    "adverse impact ratio",
    "mean score",
    "mean PD",
    "observed DR",
];

fn sections(e: &Evaluation) -> Sections {
    let c = &e.calibration;
    let grade_rows = c
        .grades
        .iter()
        .map(|g| {
            vec![
                g.grade.clone(),
                n(g.n, 0),
                n(g.defaults, 0),
                pct(g.observed),
                pct(g.expected),
                g.jeffreys.map_or("-".into(), |j| n(j.p_value, 4)),
                g.jeffreys.map_or("-".into(), |j| {
                    format!("{} to {}", pct(j.lower), pct(j.upper))
                }),
                g.jeffreys
                    .map_or("-".into(), |j| j.light.as_str().to_string()),
            ]
        })
        .collect();
    let grade_classes = c
        .grades
        .iter()
        .map(|g| {
            g.jeffreys
                .map_or(String::new(), |j| j.light.as_str().to_string())
        })
        .collect();
    let gains_rows = e
        .gains
        .iter()
        .map(|g| {
            vec![
                g.decile.to_string(),
                format!("{} to {}", n(g.min_score, 1), n(g.max_score, 1)),
                n(g.n, 0),
                n(g.bads, 0),
                pct(g.bad_rate),
                pct(g.cum_bads),
                pct(g.cum_goods),
                n(g.cum_bads - g.cum_goods, 3),
                n(g.lift, 2),
            ]
        })
        .collect();
    let cutoff_rows = e
        .cutoffs
        .iter()
        .map(|c| {
            vec![
                n(c.cutoff, 1),
                pct(c.approval_rate),
                pct(c.bad_rate),
                pct(c.bads_declined),
            ]
        })
        .collect();
    let fairness = e
        .fairness
        .iter()
        .map(|f| {
            let rows = f
                .groups
                .iter()
                .map(|g| {
                    vec![
                        g.value.clone(),
                        n(g.n, 0),
                        pct(g.approval_rate),
                        format!(
                            "{}{}",
                            n(g.adverse_impact_ratio, 3),
                            if g.flagged { " (below 0.8)" } else { "" }
                        ),
                        n(g.mean_score, 1),
                        pct(g.mean_pd),
                        pct(g.bad_rate),
                    ]
                })
                .collect();
            let classes = f
                .groups
                .iter()
                .map(|g| {
                    if g.flagged {
                        "red".to_string()
                    } else {
                        String::new()
                    }
                })
                .collect();
            (f.attribute.clone(), rows, classes)
        })
        .collect();
    Sections {
        grade_rows,
        grade_classes,
        gains_rows,
        cutoff_rows,
        fairness,
    }
}

/// The evaluation as one self-contained HTML page.
pub fn evaluation_html(e: &Evaluation) -> String {
    let s = sections(e);
    let d = &e.discrimination;
    let c = &e.calibration;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Scorecard validation report</h1><p class=\"note\">Model {} ({} features, scores {} to {}); generated by microscore {} in {:.1} s.</p>",
        esc(&e.model.checksum),
        e.model.features.len(),
        n(e.model.score_range[0], 1),
        n(e.model.score_range[1], 1),
        env!("CARGO_PKG_VERSION"),
        e.seconds
    );
    b.push_str("<h2>Data</h2>");
    b.push_str(&table(&DATA_HEAD, &[data_rows(&e.data)], None));
    b.push_str(&rejects_note(&e.data));
    let _ = write!(
        b,
        "<p>Decisions: {} approve, {} refer, {} decline.</p>",
        e.decisions[0], e.decisions[1], e.decisions[2]
    );
    b.push_str("<h2>Discrimination</h2>");
    let _ = write!(
        b,
        "<div><span class=\"kpi\">AUC<b>{}</b>95% CI {} to {} (DeLong)</span><span class=\"kpi\">Gini<b>{}</b></span><span class=\"kpi\">KS<b>{}</b>at score {}</span><span class=\"kpi\">Outcomes<b>{}</b>{} defaults</span></div>",
        n(d.auc, 4),
        n(d.auc_ci95[0], 4),
        n(d.auc_ci95[1], 4),
        n(d.gini, 4),
        n(d.ks, 4),
        n(d.ks_score, 1),
        n(d.goods + d.bads, 0),
        n(d.bads, 0)
    );
    b.push_str("<div class=\"charts\">");
    b.push_str(&line_chart(
        "ROC curve",
        "false positive rate (goods declined)",
        "true positive rate (defaults declined)",
        &[
            Series {
                name: "score",
                color: "#2e86c1",
                points: d.roc.iter().map(|p| (p[0], p[1])).collect(),
                dashed: false,
            },
            Series {
                name: "chance",
                color: "#aaa",
                points: vec![(0.0, 0.0), (1.0, 1.0)],
                dashed: true,
            },
        ],
        true,
    ));
    b.push_str(&line_chart(
        "KS: cumulative share at or below each score",
        "score",
        "cumulative share",
        &[
            Series {
                name: "defaults",
                color: "#c0392b",
                points: d.ks_curve.iter().map(|p| (p[0], p[1])).collect(),
                dashed: false,
            },
            Series {
                name: "non-defaults",
                color: "#27ae60",
                points: d.ks_curve.iter().map(|p| (p[0], p[2])).collect(),
                dashed: false,
            },
        ],
        true,
    ));
    let h = &e.histogram;
    let (tg, tb): (f64, f64) = (h.goods.iter().sum(), h.bads.iter().sum());
    let mid: Vec<f64> = h.edges.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    b.push_str(&line_chart(
        "Score distribution of defaults and non-defaults",
        "score",
        "share of the group",
        &[
            Series {
                name: "defaults",
                color: "#c0392b",
                points: mid
                    .iter()
                    .zip(&h.bads)
                    .map(|(x, y)| (*x, y / tb.max(1.0)))
                    .collect(),
                dashed: false,
            },
            Series {
                name: "non-defaults",
                color: "#27ae60",
                points: mid
                    .iter()
                    .zip(&h.goods)
                    .map(|(x, y)| (*x, y / tg.max(1.0)))
                    .collect(),
                dashed: false,
            },
        ],
        true,
    ));
    b.push_str("</div>");

    b.push_str("<h2>Calibration</h2>");
    let _ = write!(
        b,
        "<p>Brier score {}, log loss {}; mean PD {} against an observed default rate of {}. {} Hosmer-Lemeshow over PD deciles: {}.</p>",
        n(c.brier, 5),
        n(c.log_loss, 5),
        pct(c.mean_pd),
        pct(c.observed_rate),
        line_text(c),
        c.hosmer_lemeshow.map_or("not computable".into(), |h| format!(
            "statistic {} with {} degrees of freedom, p = {}",
            n(h.statistic, 2),
            h.df,
            n(h.p_value, 4)
        ))
    );
    b.push_str(&table(&GRADE_HEAD, &s.grade_rows, Some(&s.grade_classes)));
    b.push_str("<p class=\"note\">Jeffreys test (ECB): p-value of Beta(D + 1/2, N - D + 1/2) at the mean PD; green p &ge; 0.05, amber 0.01 to 0.05, red below 0.01 (the PD underestimates the default rate).</p>");
    let grades: Vec<String> = c.grades.iter().map(|g| g.grade.clone()).collect();
    b.push_str("<div class=\"charts\">");
    b.push_str(&bar_chart(
        "By grade: observed DR (Jeffreys 95%) and mean PD",
        "default rate",
        &grades,
        &[
            (
                "observed",
                "#c0392b",
                c.grades.iter().map(|g| g.observed).collect(),
            ),
            (
                "mean PD",
                "#2e86c1",
                c.grades.iter().map(|g| g.expected).collect(),
            ),
        ],
        Some(
            &c.grades
                .iter()
                .map(|g| {
                    g.jeffreys
                        .map_or((f64::NAN, f64::NAN), |j| (j.lower, j.upper))
                })
                .collect::<Vec<_>>(),
        ),
        None,
    ));
    b.push_str("</div>");

    b.push_str("<h2>Gains and lift by score decile</h2>");
    b.push_str(&table(&GAINS_HEAD, &s.gains_rows, None));
    b.push_str("<h2>Cut-off trade-off</h2><p class=\"note\">Approving every applicant scoring at or above the cut-off.</p><div class=\"charts\">");
    b.push_str(&line_chart(
        "Approval rate against bad rate of the approved",
        "approval rate",
        "bad rate among the approved",
        &[Series {
            name: "cut-offs",
            color: "#8e44ad",
            points: e
                .cutoffs
                .iter()
                .map(|c| (c.approval_rate, c.bad_rate))
                .collect(),
            dashed: false,
        }],
        true,
    ));
    b.push_str("</div>");
    b.push_str(&table(&CUTOFF_HEAD, &s.cutoff_rows, None));

    b.push_str("<h2>Fairness</h2>");
    if s.fairness.is_empty() {
        b.push_str("<p class=\"note\">No protected attribute given (use --protected) and no thin-file rule in the policy.</p>");
    }
    for (i, (attr, rows, classes)) in s.fairness.iter().enumerate() {
        let f = &e.fairness[i];
        let _ = write!(b, "<h3>By {}</h3>", esc(attr));
        b.push_str(&table(&FAIR_HEAD, rows, Some(classes)));
        b.push_str("<div class=\"charts\">");
        b.push_str(&bar_chart(
            &format!("Approval rate by {attr}"),
            "approval rate",
            &f.groups.iter().map(|g| g.value.clone()).collect::<Vec<_>>(),
            &[
                (
                    "approval rate",
                    "#2e86c1",
                    f.groups.iter().map(|g| g.approval_rate).collect(),
                ),
                (
                    "observed DR",
                    "#c0392b",
                    f.groups.iter().map(|g| g.bad_rate).collect(),
                ),
            ],
            None,
            None,
        ));
        b.push_str("</div>");
    }
    b.push_str("<p class=\"note\">Adverse impact ratio: a group's approval rate over the most-favoured group's; below 0.8 is flagged (the four-fifths rule). Protected attributes never enter the model.</p>");

    b.push_str("<h2>Characteristics</h2>");
    for (name, bins) in &e.characteristics {
        let rows: Vec<Vec<String>> = bins
            .iter()
            .map(|r| vec![r.label.clone(), n(r.n, 0), pct(r.share), pct(r.bad_rate)])
            .collect();
        let _ = write!(b, "<h3>{}</h3>", esc(name));
        b.push_str(&table(
            &["bin", "applicants", "share", "bad rate"],
            &rows,
            None,
        ));
    }
    page("Scorecard validation report", &b)
}

/// The evaluation as a Markdown summary.
pub fn evaluation_markdown(e: &Evaluation) -> String {
    let s = sections(e);
    let d = &e.discrimination;
    let c = &e.calibration;
    let mut out = format!(
        "# Scorecard validation report\n\nModel `{}`; {} rows read, {} scored, {} left out, {} with an outcome.\n\n",
        e.model.checksum, e.data.rows_read, e.data.rows_scored, e.data.rows_rejected, e.data.rows_labelled
    );
    let _ = write!(
        out,
        "## Discrimination\n\nAUC {} (95% CI {} to {}), Gini {}, KS {} at score {}.\n\n",
        n(d.auc, 4),
        n(d.auc_ci95[0], 4),
        n(d.auc_ci95[1], 4),
        n(d.gini, 4),
        n(d.ks, 4),
        n(d.ks_score, 1)
    );
    let _ = write!(
        out,
        "## Calibration\n\nBrier {}, log loss {}, mean PD {}, observed {}. {} Hosmer-Lemeshow {}.\n\n",
        n(c.brier, 5),
        n(c.log_loss, 5),
        pct(c.mean_pd),
        pct(c.observed_rate),
        line_text(c),
        c.hosmer_lemeshow
            .map_or("not computable".into(), |h| format!(
                "{} (df {}, p {})",
                n(h.statistic, 2),
                h.df,
                n(h.p_value, 4)
            ))
    );
    out.push_str(&md_table(&GRADE_HEAD, &s.grade_rows));
    out.push_str("\n## Gains by score decile\n\n");
    out.push_str(&md_table(&GAINS_HEAD, &s.gains_rows));
    out.push_str("\n## Cut-offs\n\n");
    out.push_str(&md_table(&CUTOFF_HEAD, &s.cutoff_rows));
    for (attr, rows, _) in &s.fairness {
        let _ = write!(out, "\n## Fairness by {attr}\n\n");
        out.push_str(&md_table(&FAIR_HEAD, rows));
    }
    out
}

fn stability_rows(s: &[&Stability]) -> Vec<Vec<String>> {
    s.iter()
        .map(|x| vec![x.name.clone(), n(x.psi, 4), x.band.clone()])
        .collect()
}

fn bins_rows(s: &Stability) -> Vec<Vec<String>> {
    s.bins
        .iter()
        .map(|(l, b, c, rb, rc)| vec![l.clone(), pct(*b), pct(*c), pct(*rb), pct(*rc)])
        .collect()
}

const BINS_HEAD: [&str; 5] = [
    "bin",
    "baseline share",
    "current share",
    "baseline DR",
    "current DR",
];

/// The monitoring report as one self-contained HTML page.
pub fn monitoring_html(m: &Monitoring) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Scorecard monitoring report</h1><p class=\"note\">Model {}; generated by microscore {} in {:.1} s.</p><h2>Data</h2>",
        esc(&m.model.checksum),
        env!("CARGO_PKG_VERSION"),
        m.seconds
    );
    b.push_str(&table(
        &DATA_HEAD,
        &[data_rows(&m.baseline), data_rows(&m.current)],
        None,
    ));
    b.push_str(&rejects_note(&m.baseline));
    b.push_str(&rejects_note(&m.current));
    let _ = write!(
        b,
        "<p>Decisions, baseline: {} approve, {} refer, {} decline; current: {} approve, {} refer, {} decline.</p>",
        m.decisions[0][0], m.decisions[0][1], m.decisions[0][2], m.decisions[1][0], m.decisions[1][1], m.decisions[1][2]
    );
    let _ = write!(
        b,
        "<h2>Score stability</h2><p>Population stability index of the score over the baseline's deciles: <b>{}</b> ({}).</p>",
        n(m.score.psi, 4),
        m.score.band
    );
    let labels: Vec<String> = m.score.bins.iter().map(|x| x.0.clone()).collect();
    b.push_str("<div class=\"charts\">");
    b.push_str(&bar_chart(
        "Score distribution: baseline and current",
        "share",
        &labels,
        &[
            (
                "baseline",
                "#95a5a6",
                m.score.bins.iter().map(|x| x.1).collect(),
            ),
            (
                "current",
                "#2e86c1",
                m.score.bins.iter().map(|x| x.2).collect(),
            ),
        ],
        None,
        None,
    ));
    let names: Vec<String> = m.characteristics.iter().map(|s| s.name.clone()).collect();
    b.push_str(&hbar_chart(
        "Characteristic stability (PSI per feature)",
        "PSI",
        &names,
        &m.characteristics.iter().map(|s| s.psi).collect::<Vec<_>>(),
        "#8e44ad",
        &[(0.10, "0.10: moderate"), (0.25, "0.25: major")],
    ));
    b.push_str("</div>");
    b.push_str(&table(&BINS_HEAD, &bins_rows(&m.score), None));
    b.push_str("<h2>Characteristic stability</h2>");
    let all: Vec<&Stability> = m.characteristics.iter().collect();
    let classes: Vec<String> = all
        .iter()
        .map(|s| match s.band.as_str() {
            "stable" => "green".to_string(),
            "moderate shift" => "amber".to_string(),
            _ => "red".to_string(),
        })
        .collect();
    b.push_str(&table(
        &["feature", "PSI", "reading"],
        &stability_rows(&all),
        Some(&classes),
    ));
    b.push_str("<p class=\"note\">PSI = &sum; (current - baseline) ln(current / baseline) over the model's bins, each share smoothed as (count + 0.5) / (total + 0.5 bins) so empty bins count instead of being dropped. Below 0.10 stable, 0.10 to 0.25 moderate, above 0.25 major.</p>");
    for s in &m.characteristics {
        let _ = write!(b, "<h3>{} (PSI {})</h3>", esc(&s.name), n(s.psi, 4));
        b.push_str(&table(&BINS_HEAD, &bins_rows(s), None));
    }
    page("Scorecard monitoring report", &b)
}

/// The monitoring report as a Markdown summary.
pub fn monitoring_markdown(m: &Monitoring) -> String {
    let mut out = format!(
        "# Scorecard monitoring report\n\nModel `{}`. Baseline {}: {} rows; current {}: {} rows.\n\nScore PSI {} ({}).\n\n",
        m.model.checksum,
        m.baseline.file,
        m.baseline.rows_scored,
        m.current.file,
        m.current.rows_scored,
        n(m.score.psi, 4),
        m.score.band
    );
    out.push_str(&md_table(&BINS_HEAD, &bins_rows(&m.score)));
    out.push_str("\n## Characteristic stability\n\n");
    let all: Vec<&Stability> = m.characteristics.iter().collect();
    out.push_str(&md_table(
        &["feature", "PSI", "reading"],
        &stability_rows(&all),
    ));
    out
}

/// The calibration line in words.
fn line_text(c: &crate::report::Calibration) -> String {
    match c.line {
        Some(l) => format!(
            "Calibration-in-the-large {} (log-odds; 0 is exact, above 0 the PDs are too low); calibration slope {} with intercept {} (1 is exact, below 1 the PDs are too extreme).",
            n(l.in_the_large, 4),
            n(l.slope, 4),
            n(l.intercept, 4)
        ),
        None => "Calibration line: not computable.".into(),
    }
}

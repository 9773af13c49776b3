//! Small inline SVG charts for the HTML report: no scripts, no fonts, no network.

use std::fmt::Write;

/// One line of a line chart.
pub struct Series<'a> {
    /// Legend name.
    pub name: &'a str,
    /// Stroke colour.
    pub color: &'a str,
    /// Points (x, y).
    pub points: Vec<(f64, f64)>,
    /// Dashed line.
    pub dashed: bool,
}

const W: f64 = 560.0;
const H: f64 = 300.0;
const L: f64 = 56.0;
const R: f64 = 16.0;
const T: f64 = 28.0;
const B: f64 = 44.0;
/// The band under the plot that holds the legend (outside the plot area, so that it never
/// covers a curve).
const LEG: f64 = 22.0;

/// Escape text for XML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).abs().max(1e-12);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * mag);
    // Ticks as multiples of the step (no accumulated error: 0.3, not 0.30000000000000004).
    let first = (lo / step).ceil() as i64;
    (first..)
        .map(|k| k as f64 * step)
        .take_while(|t| *t <= hi + step * 1e-9)
        .take(50)
        .collect()
}

fn fmt_tick(v: f64) -> String {
    if v.abs() >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        // Enough decimals for three significant digits: 0.0004 stays 0.0004, not 0.
        let decimals = (3 - v.abs().log10().floor() as i32).clamp(3, 12) as usize;
        let t = format!("{v:.decimals$}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

struct Frame {
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        L + (x - self.x.0) / (self.x.1 - self.x.0).max(1e-12) * (W - L - R)
    }
    fn py(&self, y: f64) -> f64 {
        H - B - (y - self.y.0) / (self.y.1 - self.y.0).max(1e-12) * (H - T - B)
    }
}

/// The `<svg>` element with its accessible title, a white background and the visible title.
fn start(out: &mut String, title: &str) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h}" width="{W}" height="{h}" role="img" aria-label="{t}"><title>{t}</title><rect x="0" y="0" width="{W}" height="{h}" fill="#fff"/>"##,
        t = esc(title),
        h = H + LEG
    );
    let _ = write!(
        out,
        r##"<text x="{L}" y="18" font-size="13" font-weight="bold" fill="#222">{}</text>"##,
        esc(title)
    );
}

fn open(out: &mut String, title: &str, f: &Frame, x_label: &str, y_label: &str) {
    start(out, title);
    for t in ticks(f.x.0, f.x.1) {
        let x = f.px(t);
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#eee"/><text x="{x:.1}" y="{}" font-size="10" text-anchor="middle" fill="#555">{}</text>"##,
            T,
            H - B,
            H - B + 14.0,
            fmt_tick(t)
        );
    }
    for t in ticks(f.y.0, f.y.1) {
        let y = f.py(t);
        let _ = write!(
            out,
            r##"<line x1="{}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" font-size="10" text-anchor="end" fill="#555">{}</text>"##,
            L,
            W - R,
            L - 6.0,
            y + 3.0,
            fmt_tick(t)
        );
    }
    let _ = write!(
        out,
        r##"<rect x="{L}" y="{T}" width="{}" height="{}" fill="none" stroke="#999"/><text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#333">{}</text><text x="14" y="{}" font-size="11" text-anchor="middle" fill="#333" transform="rotate(-90 14 {})">{}</text>"##,
        W - L - R,
        H - T - B,
        (L + W - R) / 2.0,
        H - 8.0,
        esc(x_label),
        (T + H - B) / 2.0,
        (T + H - B) / 2.0,
        esc(y_label)
    );
}

/// The legend: one row under the plot, outside it.
fn legend(out: &mut String, items: &[(&str, &str)]) {
    let y = H + LEG - 8.0;
    let mut x = L;
    for (name, color) in items {
        let _ = write!(
            out,
            r##"<rect x="{x:.1}" y="{}" width="12" height="4" fill="{color}"/><text x="{:.1}" y="{}" font-size="11" fill="#333">{}</text>"##,
            y - 4.0,
            x + 18.0,
            y + 1.0,
            esc(name)
        );
        x += 18.0 + 6.5 * name.chars().count() as f64 + 18.0;
    }
}

/// A horizontal bar chart with one bar per label, labels in full on the left; the scale runs
/// from 0 to a little past the largest value (so that small values show), and each reference
/// line `(value, name)` is drawn where it falls inside the scale.
pub fn hbar_chart(
    title: &str,
    x_label: &str,
    labels: &[String],
    values: &[f64],
    color: &str,
    references: &[(f64, &str)],
) -> String {
    let row = 18.0;
    let left = 12.0
        + 6.2
            * labels
                .iter()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(4)
                .clamp(4, 48) as f64;
    let top = T;
    let plot_h = row * labels.len().max(1) as f64;
    let height = top + plot_h + 40.0;
    let max = values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let x1 = if max > 0.0 { max * 1.15 } else { 1.0 };
    let px = |v: f64| left + v / x1 * (W - left - R);
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="{W}" height="{height}" role="img" aria-label="{t}"><title>{t}</title><rect x="0" y="0" width="{W}" height="{height}" fill="#fff"/><text x="8" y="18" font-size="13" font-weight="bold" fill="#222">{t}</text>"##,
        t = esc(title)
    );
    for t in ticks(0.0, x1) {
        let x = px(t);
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}" stroke="#eee"/><text x="{x:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#555">{}</text>"##,
            top + plot_h,
            top + plot_h + 14.0,
            fmt_tick(t)
        );
    }
    for (i, (label, &v)) in labels.iter().zip(values).enumerate() {
        let y = top + row * i as f64;
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#333">{}</text>"##,
            left - 6.0,
            y + row * 0.7,
            esc(label)
        );
        if v.is_finite() {
            let _ = write!(
                out,
                r#"<rect x="{left:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"/>"#,
                y + 3.0,
                (px(v) - left).max(1.0),
                row - 6.0
            );
        }
    }
    for (r, name) in references {
        if *r <= x1 {
            let x = px(*r);
            let _ = write!(
                out,
                r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}" stroke="#c0392b" stroke-dasharray="5 4"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#c0392b">{}</text>"##,
                top + plot_h,
                x + 3.0,
                top - 4.0,
                esc(name)
            );
        }
    }
    let _ = write!(
        out,
        r##"<rect x="{left:.1}" y="{top}" width="{:.1}" height="{plot_h:.1}" fill="none" stroke="#999"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#333">{}</text></svg>"##,
        W - left - R,
        (left + W - R) / 2.0,
        height - 8.0,
        esc(x_label)
    );
    out
}

/// A line chart; the ranges cover every point (and `y_from_zero` starts y at 0).
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series<'_>],
    y_from_zero: bool,
) -> String {
    let pts = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|p| p.0.is_finite() && p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if y_from_zero {
        y0 = y0.min(0.0);
    }
    if y1 <= y0 {
        y1 = y0 + 1.0;
    }
    let f = Frame {
        x: (x0, x1),
        y: (y0, y1 * 1.05),
    };
    let mut out = String::new();
    open(&mut out, title, &f, x_label, y_label);
    for s in series {
        let d: Vec<String> = s
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", f.px(x), f.py(y)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="2"{} points="{}"/>"#,
            s.color,
            if s.dashed {
                r#" stroke-dasharray="5 4""#
            } else {
                ""
            },
            d.join(" ")
        );
    }
    legend(
        &mut out,
        &series.iter().map(|s| (s.name, s.color)).collect::<Vec<_>>(),
    );
    out.push_str("</svg>");
    out
}

/// A grouped bar chart: one group per category, one bar per series; `whiskers` optionally gives
/// a (low, high) interval for each bar of the first series.
pub fn bar_chart(
    title: &str,
    y_label: &str,
    categories: &[String],
    series: &[(&str, &str, Vec<f64>)],
    whiskers: Option<&[(f64, f64)]>,
    reference: Option<(f64, &str)>,
) -> String {
    let mut y1 = series
        .iter()
        .flat_map(|s| s.2.iter())
        .filter(|v| v.is_finite())
        .fold(0.0f64, |a, &b| a.max(b));
    if let Some(w) = whiskers {
        y1 = w
            .iter()
            .map(|p| p.1)
            .filter(|v| v.is_finite())
            .fold(y1, f64::max);
    }
    if let Some((r, _)) = reference {
        y1 = y1.max(r);
    }
    if y1 <= 0.0 {
        y1 = 1.0;
    }
    let n = categories.len().max(1) as f64;
    let f = Frame {
        x: (0.0, n),
        y: (0.0, y1 * 1.1),
    };
    let mut out = String::new();
    start(&mut out, title);
    for t in ticks(0.0, y1 * 1.1) {
        let y = f.py(t);
        let _ = write!(
            out,
            r##"<line x1="{L}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" font-size="10" text-anchor="end" fill="#555">{}</text>"##,
            W - R,
            L - 6.0,
            y + 3.0,
            fmt_tick(t)
        );
    }
    let group_w = (W - L - R) / n;
    let bar_w = group_w * 0.8 / series.len().max(1) as f64;
    for (ci, cat) in categories.iter().enumerate() {
        let gx = L + group_w * ci as f64 + group_w * 0.1;
        for (si, (_, color, values)) in series.iter().enumerate() {
            let v = values.get(ci).copied().unwrap_or(f64::NAN);
            if !v.is_finite() {
                continue;
            }
            let x = gx + bar_w * si as f64;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"/>"#,
                f.py(v),
                bar_w * 0.92,
                (f.py(0.0) - f.py(v)).max(0.0)
            );
            if si == 0 {
                if let Some(&(lo, hi)) = whiskers.and_then(|w| w.get(ci)) {
                    if lo.is_finite() && hi.is_finite() {
                        let cx = x + bar_w * 0.46;
                        let _ = write!(
                            out,
                            r##"<line x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{:.1}" stroke="#222" stroke-width="1.5"/>"##,
                            f.py(lo),
                            f.py(hi)
                        );
                    }
                }
            }
        }
        let x = gx + group_w * 0.4;
        if categories.len() > 6 {
            // Many categories: short labels, slanted so that they do not overlap.
            let label: String = cat.chars().take(12).collect();
            let y = H - B + 10.0;
            let _ = write!(
                out,
                r##"<text x="{x:.1}" y="{y}" font-size="9" text-anchor="end" fill="#333" transform="rotate(-30 {x:.1} {y})">{}</text>"##,
                esc(&label)
            );
        } else {
            let label: String = cat.chars().take(14).collect();
            let _ = write!(
                out,
                r##"<text x="{x:.1}" y="{}" font-size="10" text-anchor="middle" fill="#333">{}</text>"##,
                H - B + 14.0,
                esc(&label)
            );
        }
    }
    if let Some((r, name)) = reference {
        let y = f.py(r);
        let _ = write!(
            out,
            r##"<line x1="{L}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#c0392b" stroke-dasharray="5 4"/><text x="{}" y="{:.1}" font-size="10" text-anchor="end" fill="#c0392b">{}</text>"##,
            W - R,
            W - R - 4.0,
            y - 4.0,
            esc(name)
        );
    }
    let _ = write!(
        out,
        r##"<rect x="{L}" y="{T}" width="{}" height="{}" fill="none" stroke="#999"/><text x="14" y="{}" font-size="11" text-anchor="middle" fill="#333" transform="rotate(-90 14 {})">{}</text>"##,
        W - L - R,
        H - T - B,
        (T + H - B) / 2.0,
        (T + H - B) / 2.0,
        esc(y_label)
    );
    legend(
        &mut out,
        &series.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(),
    );
    out.push_str("</svg>");
    out
}

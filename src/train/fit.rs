//! Logistic regression of default on WoE features.
//!
//! The fit minimises `sum_i w_i * logloss_i + l2 / 2 * |beta|^2` (intercept not penalised),
//! modelling `logit P(bad)`. The default solver is Newton-Raphson (IRLS) with step halving,
//! written here: exact, warm-started when a refit follows a dropped feature, with sample
//! weights. `Solver::Lbfgs` is linfa-logistic's L-BFGS (unweighted fits only: linfa-logistic
//! has no sample weights, so weighted fits always use Newton). The tests hold the two to the
//! same optimum, and integer weights to replicated rows.
//!
//! One Newton pass computes the loss, the gradient and the Hessian together over fixed chunks
//! of rows (four rows at a time, each sum read and written once for the four), with the chunk
//! sums added in chunk order: the same bits on any thread count. The pass at a trial point
//! serves both the step-halving test and, once the step is taken, the next Newton step.

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, ArrayView2};
use rayon::prelude::*;

use crate::model::{FitParams, Solver};

/// Errors of the logistic fit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// linfa-logistic failed.
    #[error("logistic regression failed: {0}")]
    Linfa(#[from] linfa_logistic::error::Error),
    /// The Newton solve met a singular system.
    #[error("logistic regression failed: the weighted design is singular (constant or duplicated features)")]
    Singular,
    /// A pass over partitioned data failed.
    #[error("{0}")]
    Partitions(String),
    /// The fit produced a non-finite coefficient.
    #[error("logistic regression diverged (non-finite coefficients): the classes are separable; raise the L2 penalty (l2)")]
    Diverged,
}

/// A fitted logistic model of `logit P(bad) = intercept + x . coefficients`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// Intercept.
    pub intercept: f64,
    /// One coefficient per column of the design.
    pub coefficients: Vec<f64>,
}

impl LogisticFit {
    /// The coefficients, then the intercept: the parameter vector of [`NewtonSums`] (whose
    /// rows have a trailing 1).
    pub fn beta(&self) -> Vec<f64> {
        let mut beta = self.coefficients.clone();
        beta.push(self.intercept);
        beta
    }
}

/// Fit `logit P(bad)` on the columns of `x`, with optional case weights.
pub fn fit_logistic(
    x: ArrayView2<'_, f64>,
    bad: &[bool],
    weights: Option<&[f64]>,
    params: &FitParams,
) -> Result<LogisticFit, FitError> {
    fit_logistic_from(x, bad, weights, params, None)
}

/// [`fit_logistic`] started from a previous solution (warm start), e.g. when refitting after
/// dropping a feature. The optimum does not depend on the start; only the time to reach it does.
pub fn fit_logistic_from(
    x: ArrayView2<'_, f64>,
    bad: &[bool],
    weights: Option<&[f64]>,
    params: &FitParams,
    start: Option<&LogisticFit>,
) -> Result<LogisticFit, FitError> {
    let start = start.filter(|s| s.coefficients.len() == x.ncols());
    let fit = match (weights, params.solver) {
        (None, Solver::Lbfgs) => {
            let y: Array1<usize> = bad.iter().map(|&b| usize::from(b)).collect();
            let dataset = Dataset::new(x.to_owned(), y);
            // Start from the intercept-only optimum and stop on a gradient tolerance per row.
            let bads = bad.iter().filter(|&&b| b).count() as f64;
            let goods = bad.len() as f64 - bads;
            let mut init = Array1::zeros(x.ncols() + 1);
            init[x.ncols()] = (bads.max(0.5) / goods.max(0.5)).ln();
            if let Some(s) = start {
                for (i, b) in s.coefficients.iter().enumerate() {
                    init[i] = *b;
                }
                init[x.ncols()] = s.intercept;
            }
            let model = LogisticRegression::default()
                .alpha(params.l2)
                .max_iterations(params.max_iterations)
                .gradient_tolerance(params.tolerance * bad.len().max(1) as f64)
                .initial_params(init)
                .fit(&dataset)?;
            // linfa labels the larger class (1 = bad) positive: the model is logit P(bad).
            let flip = if model.labels().pos.class == 1 {
                1.0
            } else {
                -1.0
            };
            LogisticFit {
                intercept: flip * model.intercept(),
                coefficients: model.params().iter().map(|b| flip * b).collect(),
            }
        }
        (Some(w), _) => newton(x, bad, w, params, start)?,
        (None, Solver::Newton) => newton(x, bad, &vec![1.0; bad.len()], params, start)?,
    };
    if !fit.intercept.is_finite() || fit.coefficients.iter().any(|b| !b.is_finite()) {
        return Err(FitError::Diverged);
    }
    Ok(fit)
}

/// Rows per parallel work unit of the Newton solver. Fixed, so that partial sums are added in
/// the same order whatever the number of threads (determinism).
const CHUNK: usize = 4096;

/// `-log P(y | z)` for a logistic model, computed stably.
fn log_loss(z: f64, bad: bool) -> f64 {
    let s = if bad { -z } else { z };
    if s > 0.0 {
        s + (-s).exp().ln_1p()
    } else {
        s.exp().ln_1p()
    }
}

/// Sums over rows that one Newton step needs, mergeable across parts of the data: the
/// unpenalised log-loss, its gradient and the lower triangle of its Hessian at one `beta`
/// (coefficients, then the intercept).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NewtonSums {
    /// `sum w * logloss`.
    pub loss: f64,
    /// `sum w * (p - y) * x` (with a trailing 1 for the intercept).
    pub gradient: Vec<f64>,
    /// `sum w * p (1 - p) * x x'`, row-major `p x p`, lower triangle filled.
    pub hessian: Vec<f64>,
}

impl NewtonSums {
    /// Zero sums for `p` parameters.
    pub fn zeros(p: usize) -> NewtonSums {
        NewtonSums {
            loss: 0.0,
            gradient: vec![0.0; p],
            hessian: vec![0.0; p * p],
        }
    }

    /// Add one row: `row` holds the features followed by a 1 (the intercept).
    pub fn add_row(&mut self, row: &[f64], beta: &[f64], bad: bool, w: f64) {
        let (_, r, s) = row_terms(row, beta, bad, w);
        self.add_derivatives(row, r, s);
    }

    /// [`NewtonSums::add_row`] and [`NewtonSums::add_loss`] of one row at once (its linear
    /// predictor computed once: the same sums, bit for bit).
    pub fn add_row_and_loss(&mut self, row: &[f64], beta: &[f64], bad: bool, w: f64) {
        let (loss, r, s) = row_terms(row, beta, bad, w);
        self.loss += loss;
        self.add_derivatives(row, r, s);
    }

    /// One row's gradient term `r * row` and Hessian term `s * row row'`.
    fn add_derivatives(&mut self, row: &[f64], r: f64, s: f64) {
        for (g, &x) in self.gradient.iter_mut().zip(row) {
            *g += r * x;
        }
        add_outer_lower(&mut self.hessian, row, s);
    }

    /// [`NewtonSums::add_row_and_loss`] of four rows in turn, with each sum read and written
    /// once for the four (the same additions in the same order: the same bits as four calls).
    pub fn add_four_rows_and_loss(
        &mut self,
        rows: [&[f64]; 4],
        beta: &[f64],
        bad: [bool; 4],
        w: [f64; 4],
    ) {
        let mut r = [0.0; 4];
        let mut s = [0.0; 4];
        for k in 0..4 {
            let loss;
            (loss, r[k], s[k]) = row_terms(rows[k], beta, bad[k], w[k]);
            self.loss += loss;
        }
        let [x0, x1, x2, x3] = rows;
        for ((((g, &a0), &a1), &a2), &a3) in
            self.gradient.iter_mut().zip(x0).zip(x1).zip(x2).zip(x3)
        {
            *g = *g + r[0] * a0 + r[1] * a1 + r[2] * a2 + r[3] * a3;
        }
        let p = x0.len();
        for (a, line) in self.hessian.chunks_exact_mut(p).enumerate().take(p) {
            let (w0, w1, w2, w3) = (s[0] * x0[a], s[1] * x1[a], s[2] * x2[a], s[3] * x3[a]);
            let cells = line[..=a]
                .iter_mut()
                .zip(&x0[..=a])
                .zip(&x1[..=a])
                .zip(&x2[..=a])
                .zip(&x3[..=a]);
            for ((((m, &b0), &b1), &b2), &b3) in cells {
                *m = *m + w0 * b0 + w1 * b1 + w2 * b2 + w3 * b3;
            }
        }
    }

    /// Add one row's loss: `features` without the trailing 1, `beta` with the intercept last.
    pub fn add_loss(&mut self, features: &[f64], beta: &[f64], bad: bool, w: f64) {
        let m = features.len();
        let z = beta[m] + features.iter().zip(beta).map(|(x, b)| x * b).sum::<f64>();
        self.loss += w * log_loss(z, bad);
    }

    /// Add the sums of another part of the data.
    pub fn merge(&mut self, other: &NewtonSums) {
        self.loss += other.loss;
        for (a, b) in self.gradient.iter_mut().zip(&other.gradient) {
            *a += b;
        }
        for (a, b) in self.hessian.iter_mut().zip(&other.hessian) {
            *a += b;
        }
    }
}

/// One row's terms at `beta`: its weighted log-loss, its gradient weight `w (p - y)` and its
/// Hessian weight `w p (1 - p)` (`row` ends with the intercept's 1).
#[inline]
fn row_terms(row: &[f64], beta: &[f64], bad: bool, w: f64) -> (f64, f64, f64) {
    let z: f64 = row.iter().zip(beta).map(|(a, b)| a * b).sum();
    let prob = 1.0 / (1.0 + (-z).exp());
    (
        w * log_loss(z, bad),
        w * (prob - f64::from(u8::from(bad))),
        w * prob * (1.0 - prob),
    )
}

/// `matrix += w * row row'` on the lower triangle (row-major, `row.len()` square).
pub(crate) fn add_outer_lower(matrix: &mut [f64], row: &[f64], w: f64) {
    let p = row.len();
    // Row `a` of the lower triangle is `matrix[a * p ..= a * p + a]`: updated as slices, so
    // that the compiler vectorises the loop (no bounds check per entry; same sums in the same
    // order as entry by entry).
    for ((a, &ra), line) in row.iter().enumerate().zip(matrix.chunks_exact_mut(p)) {
        let wa = w * ra;
        for (m, &rb) in line[..=a].iter_mut().zip(&row[..=a]) {
            *m += wa * rb;
        }
    }
}

/// The loss, gradient and Hessian sums (lower triangle) of the unpenalised loss at `beta`:
/// chunk sums added in chunk order. `x` is row-major, so each row is read as a slice.
fn derivative_sums(x: ArrayView2<'_, f64>, bad: &[bool], w: &[f64], beta: &[f64]) -> NewtonSums {
    let m = x.ncols();
    let p = m + 1;
    let parts: Vec<NewtonSums> = (0..bad.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let (start, end) = (c * CHUNK, ((c + 1) * CHUNK).min(bad.len()));
            let mut sums = NewtonSums::zeros(p);
            // Four rows at a time (each with its trailing 1), then the rest one by one.
            let mut rows = vec![1.0; 4 * p];
            let fill = |rows: &mut [f64], k: usize, i: usize| {
                let row = &mut rows[k * p..k * p + m];
                match x.row(i).to_slice() {
                    Some(values) => row.copy_from_slice(values),
                    None => {
                        for (r, v) in row.iter_mut().zip(x.row(i)) {
                            *r = *v;
                        }
                    }
                }
            };
            let mut i = start;
            while i + 4 <= end {
                for k in 0..4 {
                    fill(&mut rows, k, i + k);
                }
                let (r0, rest) = rows.split_at(p);
                let (r1, rest) = rest.split_at(p);
                let (r2, r3) = rest.split_at(p);
                sums.add_four_rows_and_loss(
                    [r0, r1, r2, r3],
                    beta,
                    [bad[i], bad[i + 1], bad[i + 2], bad[i + 3]],
                    [w[i], w[i + 1], w[i + 2], w[i + 3]],
                );
                i += 4;
            }
            for i in i..end {
                fill(&mut rows, 0, i);
                sums.add_row_and_loss(&rows[..p], beta, bad[i], w[i]);
            }
            sums
        })
        .collect();
    let mut sums = NewtonSums::zeros(p);
    for part in &parts {
        sums.merge(part);
    }
    sums
}

/// What the Newton solver asks of the data: the unpenalised loss at `beta`, and (when
/// `derivatives` is set) the gradient and Hessian there. On one machine the rows are in memory;
/// on a cluster every call is one pass over the partitions.
pub trait NewtonData {
    /// Sums at `beta`; `gradient` and `hessian` may be left zero when `derivatives` is false.
    fn sums(&mut self, beta: &[f64], derivatives: bool) -> Result<NewtonSums, FitError>;
}

/// The rows in memory. Every pass computes the loss and the derivatives together, and the
/// last pass is kept: the solver asks for the loss at a trial point and, once it takes the
/// step, for the derivatives at the same point, which is then one pass (as on a cluster).
struct InMemory<'x, 'r> {
    x: ArrayView2<'x, f64>,
    bad: &'r [bool],
    w: &'r [f64],
    last: Option<(Vec<f64>, NewtonSums)>,
}

impl NewtonData for InMemory<'_, '_> {
    fn sums(&mut self, beta: &[f64], _derivatives: bool) -> Result<NewtonSums, FitError> {
        if let Some((b, sums)) = &self.last {
            if b.as_slice() == beta {
                return Ok(sums.clone());
            }
        }
        let sums = derivative_sums(self.x, self.bad, self.w, beta);
        self.last = Some((beta.to_vec(), sums.clone()));
        Ok(sums)
    }
}

/// Weighted Newton-Raphson (IRLS) with step halving, in memory.
fn newton(
    x: ArrayView2<'_, f64>,
    bad: &[bool],
    w: &[f64],
    params: &FitParams,
    start: Option<&LogisticFit>,
) -> Result<LogisticFit, FitError> {
    let total: f64 = w.iter().sum();
    let bads: f64 = w.iter().zip(bad).filter(|(_, &b)| b).map(|(w, _)| w).sum();
    newton_with(
        &mut InMemory {
            x,
            bad,
            w,
            last: None,
        },
        x.ncols(),
        (total, bads),
        params,
        start,
    )
}

/// Newton-Raphson (IRLS) with step halving over any [`NewtonData`]: the solver of
/// [`Solver::Newton`], shared by the in-memory fit and the fit over partitioned data. `m` is
/// the number of features and `(total, bads)` the weight of all rows and of the bads (the start
/// and the convergence test depend on them).
pub fn newton_with(
    data: &mut dyn NewtonData,
    m: usize,
    (total, bads): (f64, f64),
    params: &FitParams,
    start: Option<&LogisticFit>,
) -> Result<LogisticFit, FitError> {
    let p = m + 1;
    let penalty = |beta: &[f64]| 0.5 * params.l2 * beta[..m].iter().map(|b| b * b).sum::<f64>();
    let mut beta = vec![0.0; p];
    beta[m] = (bads.max(1e-12) / (total - bads).max(1e-12)).ln();
    if let Some(s) = start.filter(|s| s.coefficients.len() == m) {
        beta[..m].copy_from_slice(&s.coefficients);
        beta[m] = s.intercept;
    }
    let mut current = data.sums(&beta, false)?.loss + penalty(&beta);
    for _ in 0..params.max_iterations {
        let NewtonSums {
            mut gradient,
            mut hessian,
            ..
        } = data.sums(&beta, true)?;
        if gradient.len() != p || hessian.len() != p * p {
            return Err(FitError::Singular);
        }
        for a in 0..p {
            for b in 0..a {
                hessian[b * p + a] = hessian[a * p + b];
            }
        }
        for j in 0..m {
            gradient[j] += params.l2 * beta[j];
            hessian[j * p + j] += params.l2;
        }
        let norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
        if norm <= params.tolerance * total.max(1.0) {
            break;
        }
        let step = solve_spd(&hessian, &gradient, p).ok_or(FitError::Singular)?;
        let mut t = 1.0;
        loop {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b - t * s).collect();
            let value = data.sums(&trial, false)?.loss + penalty(&trial);
            if value <= current || t < 1e-10 {
                beta = trial;
                current = value;
                break;
            }
            t *= 0.5;
        }
    }
    let fit = LogisticFit {
        intercept: beta[m],
        coefficients: beta[..m].to_vec(),
    };
    if !fit.intercept.is_finite() || fit.coefficients.iter().any(|b| !b.is_finite()) {
        return Err(FitError::Diverged);
    }
    Ok(fit)
}

/// Solve `a x = b` for a symmetric positive definite `a` (row-major `p x p`) by Cholesky.
fn solve_spd(a: &[f64], b: &[f64], p: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * p + k] * l[j * p + k]).sum();
            if i == j {
                let d = a[i * p + i] - s;
                if d <= 1e-300 || !d.is_finite() {
                    return None;
                }
                l[i * p + i] = d.sqrt();
            } else {
                l[i * p + j] = (a[i * p + j] - s) / l[j * p + j];
            }
        }
    }
    let mut y = vec![0.0; p];
    for i in 0..p {
        let s: f64 = (0..i).map(|k| l[i * p + k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i * p + i];
    }
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        let s: f64 = (i + 1..p).map(|k| l[k * p + i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i * p + i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn data(n: usize) -> (Array2<f64>, Vec<bool>) {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut x = Array2::zeros((n, 2));
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            let (a, b) = (next() * 2.0 - 1.0, next() * 2.0 - 1.0);
            x[[i, 0]] = a;
            x[[i, 1]] = b;
            let z = -2.0 - 1.5 * a + 0.7 * b;
            y.push(next() < 1.0 / (1.0 + (-z).exp()));
        }
        (x, y)
    }

    #[test]
    fn linfa_and_newton_reach_the_same_optimum() {
        let (x, y) = data(5_000);
        let params = FitParams::default();
        let a = fit_logistic(x.view(), &y, None, &params).unwrap();
        let ones = vec![1.0; y.len()];
        let b = fit_logistic(x.view(), &y, Some(&ones), &params).unwrap();
        assert!((a.intercept - b.intercept).abs() < 1e-4, "{a:?} {b:?}");
        for (p, q) in a.coefficients.iter().zip(&b.coefficients) {
            assert!((p - q).abs() < 1e-4, "{a:?} {b:?}");
        }
        // Recovers the generating signs.
        assert!(a.coefficients[0] < -1.0 && a.coefficients[1] > 0.3);
    }

    #[test]
    fn integer_weights_equal_replicated_rows() {
        let (x, y) = data(600);
        let w: Vec<f64> = (0..y.len()).map(|i| (i % 3 + 1) as f64).collect();
        let weighted = fit_logistic(x.view(), &y, Some(&w), &FitParams::default()).unwrap();
        let mut rows = Vec::new();
        let mut ys = Vec::new();
        for i in 0..y.len() {
            for _ in 0..(i % 3 + 1) {
                rows.extend([x[[i, 0]], x[[i, 1]]]);
                ys.push(y[i]);
            }
        }
        let rx = Array2::from_shape_vec((ys.len(), 2), rows).unwrap();
        let ones = vec![1.0; ys.len()];
        let replicated = fit_logistic(rx.view(), &ys, Some(&ones), &FitParams::default()).unwrap();
        assert!((weighted.intercept - replicated.intercept).abs() < 1e-9);
    }

    #[test]
    fn cholesky_solves() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let x = solve_spd(&a, &[2.0, 1.0], 2).unwrap();
        assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-12);
        assert!((2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-12);
        assert!(solve_spd(&[1.0, 1.0, 1.0, 1.0], &[1.0, 1.0], 2).is_none());
    }
}

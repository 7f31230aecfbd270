//! In-house coordinate descent for the elastic net, one independent fit per target.
//!
//! Each target minimizes the objective scaled by the number of rows n,
//! P(w) = ½‖y − Xw‖² + λ₁‖w‖₁ + ½λ₂‖w‖² with λ₁ = nαρ and λ₂ = nα(1 − ρ). It has the
//! same minimizer as scikit-learn's 1/(2n) form, and scikit-learn's Cython solver minimizes
//! it in this scale too. X and y must be centered.
//!
//! The targets share the predictor columns, their squared norms and, for up to
//! [`MAX_GRAM_PREDICTORS`] predictors, the Gram matrix XᵀX. Per target the solver runs:
//!
//! 1. An outer check. The exact residual r = y − Xw and gradient z = Xᵀr give the duality
//!    gap over all predictors, and the fit stops once it is at most `tolerance`·‖y‖².
//!    While fewer coefficients than rows are nonzero, z comes from the Gram matrix as
//!    Xᵀy − XᵀXw, which costs less than Xᵀr.
//! 2. A working set: the nonzero coefficients, plus the zero ones whose |z_j| comes closest
//!    to exceeding λ₁ (the bound that keeps w_j = 0 optimal). The set contains at least
//!    twice the nonzero count and never shrinks between outer checks. Without an L1 penalty
//!    (λ₁ = 0) it contains every predictor.
//! 3. Cyclic coordinate descent on the working set W, kept in Gram form so that a sweep
//!    costs about |W|² operations, against 2·n·p for a sweep over all predictors that
//!    updates the residual.
//!    Every few sweeps a Newton step solves the smooth problem on the current support and
//!    signs, which coordinate descent approaches only slowly on collinear predictors such
//!    as spectra. A support wider than the row count is solved through an n × n system.
//!    Without a ridge penalty (λ₂ = 0) that face has no minimizer when the support's
//!    columns are linearly dependent, as they are on a support wider than the rank of X.
//!    Such a support first shrinks to independent columns along directions that keep X·w,
//!    as described in `independent_support.rs`.
//!    The inner solve stops when the working-set gap falls below [`INNER_GAP_FRACTION`] of
//!    the outer gap, and control returns to step 1.
//!
//! The duality gap and its threshold follow scikit-learn's `enet_coordinate_descent` in
//! `sklearn/linear_model/_cd_fast.pyx` (main branch as of mid-2026). For λ₁ > 0 the dual point
//! is the residual rescaled into the dual feasible set. For λ₁ = 0 (ridge) it is the
//! residual itself, in the dual that needs no rescaling. A tolerance therefore means the
//! same here as there. One iteration is one sweep over the working set.

use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;

use self::independent_support::IndependentSupport;
use super::{PathStart, TargetFit};

mod independent_support;

/// Largest predictor count for which the full p × p Gram matrix is kept: 2,048 predictors
/// take 32 MiB. Above it each working set's block is computed from the columns.
pub(super) const MAX_GRAM_PREDICTORS: usize = 2048;

/// Smallest working set, so that the first outer iteration admits several predictors.
const MIN_WORKING_SET: usize = 10;

/// Inner solves stop when the working-set gap falls below this fraction of the outer gap.
/// Solving the subproblem more precisely than the full problem's current gap wastes sweeps.
const INNER_GAP_FRACTION: f64 = 0.3;

/// Sweeps between Newton steps while steps succeed. A rejected step doubles the interval,
/// so a support on which the step fails (for example a singular system) costs few
/// factorizations.
const NEWTON_INTERVAL: u32 = 5;

/// Penalty weights of the n-scaled objective.
#[derive(Debug, Clone, Copy)]
pub(super) struct Penalty {
    /// λ₁ = nαρ, the weight of ‖w‖₁.
    pub l1: f64,
    /// λ₂ = nα(1 − ρ), the weight of ½‖w‖².
    pub l2: f64,
}

impl Penalty {
    pub fn new(n_rows: usize, alpha: f64, l1_ratio: f64) -> Self {
        let n = n_rows as f64;
        Penalty { l1: n * alpha * l1_ratio, l2: n * alpha * (1.0 - l1_ratio) }
    }
}

/// Stopping rule shared by all targets.
#[derive(Debug, Clone, Copy)]
pub(super) struct StoppingRule {
    /// The gap threshold is `tolerance`·‖y‖² per target.
    pub tolerance: f64,
    /// Maximum coordinate-descent sweeps per target.
    pub max_iterations: u32,
}

/// Fits every column of the centered targets `y` on the centered predictors `x`.
///
/// Targets run in parallel, but each is computed sequentially by the same code, so the
/// result does not depend on the number of threads.
pub(super) fn fit_targets(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    penalty: Penalty,
    rule: StoppingRule,
) -> Vec<TargetFit> {
    let design = Design::new(x, MAX_GRAM_PREDICTORS);
    fit_targets_with(&design, y, penalty, rule)
}

fn fit_targets_with(
    design: &Design,
    y: ArrayView2<f64>,
    penalty: Penalty,
    rule: StoppingRule,
) -> Vec<TargetFit> {
    (0..y.ncols())
        .into_par_iter()
        .map_init(
            || Workspace::new(design.n_rows, design.n_predictors),
            |workspace, j| {
                let newton = NewtonSchedule::new();
                let mut solver = TargetSolver { design, penalty, rule, ws: workspace, newton };
                solver.load_target(y.column(j));
                solver.solve(Start::Zero)
            },
        )
        .collect()
}

/// Fits every column of the centered targets `y` at each penalty of `path` in turn, and
/// returns the fits per target, then per penalty. The Gram matrix is computed once.
///
/// With [`PathStart::Warm`] each fit after the first starts from the coefficients of the
/// one before, which for a decreasing path is close to the new solution. The stopping
/// rule is the same as for a cold start, so the start changes the iterations, not the
/// tolerance that the result meets.
pub(super) fn fit_path(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    path: &[Penalty],
    rule: StoppingRule,
    start: PathStart,
) -> Vec<Vec<TargetFit>> {
    let design = Design::new(x, MAX_GRAM_PREDICTORS);
    let design = &design;
    (0..y.ncols())
        .into_par_iter()
        .map_init(
            || Workspace::new(design.n_rows, design.n_predictors),
            |workspace, j| {
                let mut fits: Vec<TargetFit> = Vec::with_capacity(path.len());
                for (step, &penalty) in path.iter().enumerate() {
                    // The workspace still contains the previous fit's coefficients, residual
                    // and gradient, because this thread fits the target's path in order.
                    let initial = match start {
                        PathStart::Warm if step > 0 => Start::Previous,
                        _ => Start::Zero,
                    };
                    let newton = NewtonSchedule::new();
                    let mut solver =
                        TargetSolver { design, penalty, rule, ws: &mut *workspace, newton };
                    if step == 0 {
                        solver.load_target(y.column(j));
                    }
                    fits.push(solver.solve(initial));
                }
                fits
            },
        )
        .collect()
}

/// Predictor columns and the products that all targets share.
struct Design {
    n_rows: usize,
    n_predictors: usize,
    /// Column-major n × p values, so each column is a contiguous slice.
    columns: Vec<f64>,
    /// 1/‖x_j‖ per column, or 0 for a column that is exactly zero after centering, as a
    /// constant predictor usually is. Such a column never enters a fit.
    inverse_norms: Vec<f64>,
    /// Row-major p × p Gram matrix XᵀX, when p is at most the limit given to `new`.
    gram: Option<Vec<f64>>,
}

impl Design {
    fn new(x: ArrayView2<f64>, max_gram_predictors: usize) -> Self {
        let (n_rows, n_predictors) = x.dim();
        let mut columns = Vec::with_capacity(n_rows * n_predictors);
        for column in x.columns() {
            columns.extend(column.iter());
        }
        let column = |j: usize| &columns[j * n_rows..(j + 1) * n_rows];
        let inverse_norms: Vec<f64> = (0..n_predictors)
            .map(|j| match dot(column(j), column(j)) {
                0.0 => 0.0,
                sq_norm => sq_norm.sqrt().recip(),
            })
            .collect();
        // Each entry is one dot product in a fixed order, computed once for the upper
        // triangle and mirrored, so the matrix is exactly symmetric and the same for any
        // number of threads.
        let gram = (n_predictors <= max_gram_predictors).then(|| {
            let mut gram = vec![0.0; n_predictors * n_predictors];
            gram.par_chunks_mut(n_predictors).enumerate().for_each(|(i, row)| {
                for (j, entry) in row.iter_mut().enumerate().skip(i) {
                    *entry = dot(column(i), column(j));
                }
            });
            for i in 0..n_predictors {
                for j in 0..i {
                    gram[i * n_predictors + j] = gram[j * n_predictors + i];
                }
            }
            gram
        });
        Design { n_rows, n_predictors, columns, inverse_norms, gram }
    }

    fn column(&self, j: usize) -> &[f64] {
        &self.columns[j * self.n_rows..(j + 1) * self.n_rows]
    }

    /// Writes the Gram block of the predictors in `set` to `out`, row-major |set| × |set|.
    fn gram_block(&self, set: &[usize], out: &mut Vec<f64>) {
        let k = set.len();
        out.clear();
        out.resize(k * k, 0.0);
        match &self.gram {
            Some(gram) => {
                for (a, &i) in set.iter().enumerate() {
                    let row = &gram[i * self.n_predictors..(i + 1) * self.n_predictors];
                    for (b, &j) in set.iter().enumerate() {
                        out[a * k + b] = row[j];
                    }
                }
            }
            None => {
                for (a, &i) in set.iter().enumerate() {
                    for (b, &j) in set.iter().enumerate().skip(a) {
                        let value = dot(self.column(i.min(j)), self.column(i.max(j)));
                        out[a * k + b] = value;
                        out[b * k + a] = value;
                    }
                }
            }
        }
    }
}

/// Buffers reused across the targets that one thread fits.
struct Workspace {
    y: Vec<f64>,
    /// ‖y‖².
    yy: f64,
    /// Coefficients over all predictors.
    w: Vec<f64>,
    residual: Vec<f64>,
    /// Xᵀr at the last outer check.
    gradient: Vec<f64>,
    /// Xᵀy.
    xty: Vec<f64>,
    /// (score, predictor) pairs for choosing the working set.
    scores: Vec<(f64, usize)>,
    /// Working-set predictors in increasing order.
    set: Vec<usize>,
    /// Row-major Gram block of the working set.
    gram: Vec<f64>,
    /// Xᵀy, coefficients and Gram-times-coefficients on the working set.
    set_xty: Vec<f64>,
    set_w: Vec<f64>,
    set_gw: Vec<f64>,
    /// Newton step buffers: trial coefficients and their Gram product, the support, the
    /// factorized system and its right-hand side.
    trial_w: Vec<f64>,
    trial_gw: Vec<f64>,
    support: Vec<usize>,
    system: Vec<f64>,
    /// The kind of factor in `system` and the support it was computed for, valid within
    /// one Newton step.
    factor: Option<SupportFactor>,
    factor_support: Vec<usize>,
    rhs: Vec<f64>,
    /// Right-hand side and solution of the n × n system of a wide support.
    dual: Vec<f64>,
    /// Row-major n × m values of a wide support's columns.
    support_rows: Vec<f64>,
    /// Residual and correction of the iterative refinement of a wide support's solve.
    correction: Vec<f64>,
    /// Buffers for making a lasso support's columns linearly independent.
    independent_support: IndependentSupport,
}

impl Workspace {
    fn new(n_rows: usize, n_predictors: usize) -> Self {
        Workspace {
            y: vec![0.0; n_rows],
            yy: 0.0,
            w: vec![0.0; n_predictors],
            residual: vec![0.0; n_rows],
            gradient: vec![0.0; n_predictors],
            xty: vec![0.0; n_predictors],
            scores: Vec::with_capacity(n_predictors),
            set: Vec::new(),
            gram: Vec::new(),
            set_xty: Vec::new(),
            set_w: Vec::new(),
            set_gw: Vec::new(),
            trial_w: Vec::new(),
            trial_gw: Vec::new(),
            support: Vec::new(),
            system: Vec::new(),
            factor: None,
            factor_support: Vec::new(),
            rhs: Vec::new(),
            dual: Vec::new(),
            support_rows: Vec::new(),
            correction: Vec::new(),
            independent_support: IndependentSupport::default(),
        }
    }
}

/// Duality gap of the n-scaled objective at the current coefficients.
///
/// `dual_norm` is max_j |z_j − λ₂w_j| when λ₁ > 0 and Σ_j z_j² when λ₁ = 0, with z = Xᵀr.
fn duality_gap(
    penalty: Penalty,
    residual_sq: f64,
    residual_dot_y: f64,
    coef_sq: f64,
    coef_l1: f64,
    dual_norm: f64,
) -> f64 {
    let primal = 0.5 * (residual_sq + penalty.l2 * coef_sq) + penalty.l1 * coef_l1;
    let dual = if penalty.l1 > 0.0 {
        // The residual, scaled down until ‖Xᵀθ − λ₂w‖∞ ≤ λ₁, is a dual feasible point.
        let scale = if dual_norm > penalty.l1 { penalty.l1 / dual_norm } else { 1.0 };
        -0.5 * scale * scale * (residual_sq + penalty.l2 * coef_sq) + scale * residual_dot_y
    } else {
        -0.5 * residual_sq + residual_dot_y - dual_norm / (2.0 * penalty.l2)
    };
    primal - dual
}

/// Folds (z_j, w_j) pairs into the `dual_norm` argument of [`duality_gap`].
fn dual_norm(penalty: Penalty, pairs: impl Iterator<Item = (f64, f64)>) -> f64 {
    if penalty.l1 > 0.0 {
        pairs.fold(0.0, |norm, (z, w)| norm.max((z - penalty.l2 * w).abs()))
    } else {
        pairs.map(|(z, _)| z * z).sum()
    }
}

/// One target's fit, borrowing the shared design and a thread's workspace.
struct TargetSolver<'a> {
    design: &'a Design,
    penalty: Penalty,
    rule: StoppingRule,
    ws: &'a mut Workspace,
    newton: NewtonSchedule,
}

/// When the next Newton step is due, counted in sweeps across all inner solves of a target,
/// so that inner solves shorter than the interval still get Newton steps.
struct NewtonSchedule {
    interval: u32,
    sweeps_left: u32,
}

impl NewtonSchedule {
    fn new() -> Self {
        NewtonSchedule { interval: NEWTON_INTERVAL, sweeps_left: NEWTON_INTERVAL }
    }

    /// Counts one sweep and returns whether a Newton step is due after it.
    fn is_due(&mut self) -> bool {
        self.sweeps_left -= 1;
        self.sweeps_left == 0
    }

    /// Schedules the next step: soon after a step that was taken, later after a rejected one.
    fn record(&mut self, taken: bool) {
        self.interval = if taken { NEWTON_INTERVAL } else { self.interval.saturating_mul(2) };
        self.sweeps_left = self.interval;
    }
}

/// Starting point of [`TargetSolver::solve`].
#[derive(Debug, Clone, Copy)]
enum Start {
    /// From zero coefficients.
    Zero,
    /// From the workspace's coefficients, left by the previous fit of the same target.
    Previous,
}

/// Result of an inner solve.
struct InnerOutcome {
    sweeps: u32,
    /// Whether any coefficient changed.
    changed: bool,
}

impl TargetSolver<'_> {
    /// Copies the target `y` into the workspace with its products Xᵀy and ‖y‖², which every
    /// later [`TargetSolver::solve`] on this workspace uses until the next call.
    fn load_target(&mut self, y: ArrayView1<f64>) {
        let design = self.design;
        let ws = &mut *self.ws;
        for (dst, src) in ws.y.iter_mut().zip(y.iter()) {
            *dst = *src;
        }
        ws.yy = dot(&ws.y, &ws.y);
        for j in 0..design.n_predictors {
            ws.xty[j] = dot(design.column(j), &ws.y);
        }
    }

    /// Fits the target of the last [`TargetSolver::load_target`] from `start`.
    fn solve(mut self, start: Start) -> TargetFit {
        let yy = self.ws.yy;
        let gap_tolerance = self.rule.tolerance * yy;
        // From zero the residual is y and the gradient Xᵀy, exactly as the outer check
        // would compute them. From the previous fit they are those of its last check.
        let mut gap = match start {
            Start::Zero => {
                let ws = &mut *self.ws;
                ws.w.fill(0.0);
                ws.residual.copy_from_slice(&ws.y);
                ws.gradient.copy_from_slice(&ws.xty);
                self.current_gap()
            }
            Start::Previous => self.current_gap(),
        };

        let mut sweeps = 0u32;
        let mut set_size = 0usize;
        loop {
            if gap <= gap_tolerance || sweeps >= self.rule.max_iterations {
                return self.finish(gap, gap_tolerance, sweeps);
            }
            set_size = self.select_working_set(set_size);
            let budget = self.rule.max_iterations - sweeps;
            let outcome = self.solve_working_set(yy, INNER_GAP_FRACTION * gap, budget);
            sweeps += outcome.sweeps;
            // Nothing moved, so coordinate descent is at a fixed point of the working set.
            // Every predictor that violates |z_j| ≤ λ₁ ranks ahead of those that do not, so
            // none is left outside, and the remaining gap is rounding error that more
            // iterations cannot remove.
            if !outcome.changed {
                return self.finish(gap, gap_tolerance, sweeps);
            }
            gap = self.outer_gap();
        }
    }

    fn finish(self, gap: f64, gap_tolerance: f64, sweeps: u32) -> TargetFit {
        TargetFit { coef: self.ws.w.clone(), duality_gap: gap, gap_tolerance, n_iterations: sweeps }
    }

    /// Recomputes the residual and the gradient Xᵀr from scratch and returns the gap.
    fn outer_gap(&mut self) -> f64 {
        let design = self.design;
        let ws = &mut *self.ws;
        let p = design.n_predictors;
        ws.residual.copy_from_slice(&ws.y);
        let mut n_nonzero = 0;
        for (j, &wj) in ws.w.iter().enumerate() {
            if wj != 0.0 {
                axpy(-wj, design.column(j), &mut ws.residual);
                n_nonzero += 1;
            }
        }
        match &design.gram {
            // Xᵀr = Xᵀy − Σ_k w_k·(XᵀX)_k costs p operations per nonzero coefficient, which
            // for a support narrower than the row count is less than the n·p of Xᵀr itself.
            Some(gram) if n_nonzero < design.n_rows => {
                ws.gradient.copy_from_slice(&ws.xty);
                for (k, &wk) in ws.w.iter().enumerate() {
                    if wk != 0.0 {
                        axpy(-wk, &gram[k * p..(k + 1) * p], &mut ws.gradient);
                    }
                }
            }
            _ => {
                for j in 0..p {
                    ws.gradient[j] = dot(design.column(j), &ws.residual);
                }
            }
        }
        self.current_gap()
    }

    /// Returns the exact gap at the coefficients, from the residual and gradient of the
    /// workspace, which must belong to them.
    fn current_gap(&self) -> f64 {
        let ws = &*self.ws;
        let norm = dual_norm(self.penalty, ws.gradient.iter().copied().zip(ws.w.iter().copied()));
        duality_gap(
            self.penalty,
            dot(&ws.residual, &ws.residual),
            dot(&ws.residual, &ws.y),
            dot(&ws.w, &ws.w),
            ws.w.iter().map(|v| v.abs()).sum(),
            norm,
        )
    }

    /// Chooses the working set from the last outer check's gradient and gathers its data.
    /// Returns the set's size, which the next call keeps as a minimum.
    fn select_working_set(&mut self, previous_size: usize) -> usize {
        let design = self.design;
        let ws = &mut *self.ws;
        let l1 = self.penalty.l1;

        // Lower scores are nearer to (or past) violating |z_j| ≤ λ₁, and nonzero coefficients
        // always stay. All-zero columns are left out, because their coefficient stays zero.
        ws.scores.clear();
        let mut n_nonzero = 0;
        for j in 0..design.n_predictors {
            let inverse_norm = design.inverse_norms[j];
            if inverse_norm == 0.0 {
                continue;
            }
            let score = if ws.w[j] != 0.0 {
                n_nonzero += 1;
                f64::NEG_INFINITY
            } else {
                (l1 - ws.gradient[j].abs()) * inverse_norm
            };
            ws.scores.push((score, j));
        }
        // Without an L1 penalty every predictor with z_j ≠ 0 violates the optimality
        // condition, so the working set is all of them at once.
        let size = if l1 > 0.0 {
            (2 * n_nonzero).max(MIN_WORKING_SET).max(previous_size).min(ws.scores.len())
        } else {
            ws.scores.len()
        };
        if size < ws.scores.len() {
            ws.scores.select_nth_unstable_by(size, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        ws.set.clear();
        ws.set.extend(ws.scores[..size].iter().map(|&(_, j)| j));
        ws.set.sort_unstable();

        design.gram_block(&ws.set, &mut ws.gram);
        ws.set_xty.clear();
        ws.set_xty.extend(ws.set.iter().map(|&j| ws.xty[j]));
        ws.set_w.clear();
        ws.set_w.extend(ws.set.iter().map(|&j| ws.w[j]));
        size
    }

    /// Runs coordinate descent on the working set until its gap is at most `inner_tolerance`,
    /// nothing changes, or `budget` sweeps are spent, then writes the coefficients back.
    fn solve_working_set(&mut self, yy: f64, inner_tolerance: f64, budget: u32) -> InnerOutcome {
        let k = self.ws.set.len();
        self.ws.set_gw.resize(k, 0.0);
        gram_times(&self.ws.gram, &self.ws.set_w, &mut self.ws.set_gw);

        let mut outcome = InnerOutcome { sweeps: 0, changed: false };
        while outcome.sweeps < budget {
            outcome.sweeps += 1;
            let mut changed = self.sweep();
            if self.newton.is_due() {
                let taken = self.newton_step();
                self.newton.record(taken);
                changed |= taken;
            }
            outcome.changed |= changed;
            if !changed {
                break;
            }
            if self.working_set_gap(yy) <= inner_tolerance {
                // The sweeps update G·w incrementally, so confirm on an exact product.
                gram_times(&self.ws.gram, &self.ws.set_w, &mut self.ws.set_gw);
                if self.working_set_gap(yy) <= inner_tolerance {
                    break;
                }
            }
        }

        let ws = &mut *self.ws;
        for (&j, &wj) in ws.set.iter().zip(ws.set_w.iter()) {
            ws.w[j] = wj;
        }
        outcome
    }

    /// Runs one cyclic coordinate-descent sweep over the working set and returns whether
    /// any coefficient changed.
    fn sweep(&mut self) -> bool {
        let ws = &mut *self.ws;
        let k = ws.set.len();
        let Penalty { l1, l2 } = self.penalty;
        let mut changed = false;
        for i in 0..k {
            let row = &ws.gram[i * k..(i + 1) * k];
            let sq_norm = row[i];
            let old = ws.set_w[i];
            // x_iᵀ(r + w_i·x_i): the correlation with the residual that leaves w_i out.
            let rho = ws.set_xty[i] - ws.set_gw[i] + sq_norm * old;
            let new = soft_threshold(rho, l1) / (sq_norm + l2);
            if new != old {
                axpy(new - old, row, &mut ws.set_gw);
                ws.set_w[i] = new;
                changed = true;
            }
        }
        changed
    }

    /// Duality gap of the working-set subproblem, from the Gram products.
    fn working_set_gap(&self, yy: f64) -> f64 {
        let ws = &*self.ws;
        let xty_w = dot(&ws.set_xty, &ws.set_w);
        let residual_sq = yy - 2.0 * xty_w + dot(&ws.set_w, &ws.set_gw);
        let gradient = ws.set_xty.iter().zip(ws.set_gw.iter()).map(|(c, g)| c - g);
        let norm = dual_norm(self.penalty, gradient.zip(ws.set_w.iter().copied()));
        duality_gap(
            self.penalty,
            residual_sq,
            yy - xty_w,
            dot(&ws.set_w, &ws.set_w),
            ws.set_w.iter().map(|v| v.abs()).sum(),
            norm,
        )
    }

    /// Computes the change of the objective P from the working-set coefficients w to the
    /// trial ones w′, from the Gram products of both.
    ///
    /// With Δ = w′ − w it is Δᵀ(½G(w + w′) − c + ½λ₂(w + w′)) + λ₁(‖w′‖₁ − ‖w‖₁), whose
    /// rounding error scales with Δ. Subtracting two values of P computed from ‖y‖² would
    /// instead leave an error of about ε·‖y‖², more than the gain of a step near the optimum.
    fn trial_objective_change(&self) -> f64 {
        let ws = &*self.ws;
        let Penalty { l1, l2 } = self.penalty;
        let mut change = 0.0;
        for i in 0..ws.set.len() {
            let (from, to) = (ws.set_w[i], ws.trial_w[i]);
            if from == to {
                continue;
            }
            let mean_gw = 0.5 * (ws.set_gw[i] + ws.trial_gw[i]);
            let mean_w = 0.5 * (from + to);
            change += (to - from) * (mean_gw - ws.set_xty[i] + l2 * mean_w);
            change += l1 * (to.abs() - from.abs());
        }
        change
    }

    /// Moves towards the minimizer of the objective restricted to the current support and
    /// signs, (G_SS + λ₂I)·w_S = c_S − λ₁·sign(w_S). Returns whether the step was taken.
    ///
    /// On that face the objective is a smooth quadratic, so every point of the segment
    /// towards the minimizer lowers it. When a coefficient would change sign, the step stops
    /// where it reaches zero, that coefficient leaves the support and the solve repeats.
    /// Each repeat shrinks the support, so there are at most |S| + 1 solves. Without an L1
    /// penalty the objective is smooth everywhere, and one solve over the whole working set
    /// is exact. Without a ridge penalty the support first shrinks to linearly independent
    /// columns. The step is kept only if the objective decreased, which guards against an
    /// ill-conditioned solve.
    fn newton_step(&mut self) -> bool {
        let k = self.ws.set.len();
        let l1 = self.penalty.l1;
        self.ws.trial_w.clear();
        self.ws.trial_w.extend_from_slice(&self.ws.set_w);
        self.ws.factor = None;
        if l1 > 0.0 && self.penalty.l2 == 0.0 {
            // The supports that the cut-back below leaves are subsets of this one, so their
            // columns stay independent.
            let ws = &mut *self.ws;
            ws.independent_support.reduce(&ws.gram, self.design.n_rows, &mut ws.trial_w);
        }
        loop {
            let ws = &mut *self.ws;
            ws.support.clear();
            if l1 > 0.0 {
                ws.support.extend((0..k).filter(|&i| ws.trial_w[i] != 0.0));
            } else {
                ws.support.extend(0..k);
            }
            if ws.support.is_empty() {
                break;
            }
            ws.rhs.clear();
            ws.rhs.extend(ws.support.iter().map(|&i| ws.set_xty[i] - l1 * ws.trial_w[i].signum()));
            if !self.solve_support_system() {
                break;
            }

            let ws = &mut *self.ws;
            if l1 == 0.0 {
                for (s, &i) in ws.support.iter().enumerate() {
                    ws.trial_w[i] = ws.rhs[s];
                }
                break;
            }
            // The first coefficient to reach zero on the way to the solution, if any.
            let mut step = 1.0;
            let mut blocking = None;
            for (s, &i) in ws.support.iter().enumerate() {
                let (from, to) = (ws.trial_w[i], ws.rhs[s]);
                // A sign change or a zero solution puts the crossing at t in (0, 1].
                if from * to <= 0.0 {
                    let t = from / (from - to);
                    if blocking.is_none() || t < step {
                        step = t;
                        blocking = Some(i);
                    }
                }
            }
            for (s, &i) in ws.support.iter().enumerate() {
                let from = ws.trial_w[i];
                let moved = from + step * (ws.rhs[s] - from);
                // A coefficient that rounding carries just past zero is set to zero.
                ws.trial_w[i] = if moved * from > 0.0 { moved } else { 0.0 };
            }
            match blocking {
                Some(i) => ws.trial_w[i] = 0.0,
                None => break,
            }
        }

        // Coordinate descent updates G·w incrementally, and its drift would bias the
        // comparison, so both products are exact here.
        let ws = &mut *self.ws;
        ws.trial_gw.resize(k, 0.0);
        gram_times(&ws.gram, &ws.trial_w, &mut ws.trial_gw);
        gram_times(&ws.gram, &ws.set_w, &mut ws.set_gw);
        if self.trial_objective_change() < 0.0 {
            let ws = &mut *self.ws;
            std::mem::swap(&mut ws.set_w, &mut ws.trial_w);
            std::mem::swap(&mut ws.set_gw, &mut ws.trial_gw);
            true
        } else {
            false
        }
    }

    /// Solves (G_SS + λ₂I)·u = `rhs` in place for the support S. Returns false when the
    /// system is singular or the factorization fails.
    ///
    /// When the support has at least as many predictors m as there are rows n, the identity
    /// (X_SᵀX_S + λ₂I)⁻¹ = (I − X_Sᵀ(X_SX_Sᵀ + λ₂I)⁻¹X_S)/λ₂ replaces the m × m
    /// factorization by an n × n one, O(n²m) instead of O(m³), plus O(m²) for one step of
    /// iterative refinement. It needs λ₂ > 0. Without a ridge penalty the m × m system is
    /// factorized for any m, because a lasso support reaches this solve only after
    /// [`IndependentSupport::reduce`], so m ≤ rank(X) ≤ n unless rounding leaves a dependent
    /// column in it.
    ///
    /// A factor from an earlier call in the same Newton step is reused when the support only
    /// lost predictors since, which is how the step's re-solves after a sign change shrink
    /// it. Dropping a predictor updates the factor in O(n²) or O(m²) operations, instead of
    /// the O(n²m) or O(m³) of a new factorization.
    fn solve_support_system(&mut self) -> bool {
        if !self.update_support_factor() {
            self.ws.factor = None;
            if !self.factor_support_system() {
                return false;
            }
        }
        let design = self.design;
        let ws = &mut *self.ws;
        let (m, k) = (ws.support.len(), ws.set.len());
        match ws.factor {
            Some(SupportFactor::Narrow) => {
                cholesky_substitute(&ws.system, m, &mut ws.rhs);
                return true;
            }
            Some(SupportFactor::Wide) => {}
            None => unreachable!("factor_support_system sets the factor"),
        }

        let l2 = self.penalty.l2;
        let wide =
            WideSystem { design, set: &ws.set, support: &ws.support, factor: &ws.system, l2 };
        ws.correction.clear();
        ws.correction.extend_from_slice(&ws.rhs);
        wide.solve(&mut ws.rhs, &mut ws.dual);

        // The identity divides a difference of terms of the size of rhs by λ₂, so for a
        // small λ₂ the residual of the m × m system can be large enough to stall the fit.
        // One step of iterative refinement, with the residual taken from the Gram block,
        // multiplies it by about ε·‖G‖/λ₂. That reaches the rounding level of a direct
        // solve unless λ₂ comes within a few orders of magnitude of ε·‖G‖. It also removes
        // most of the rounding error that updates of the factor add.
        for (s, &a) in ws.support.iter().enumerate() {
            let row = &ws.gram[a * k..(a + 1) * k];
            let product: f64 = ws.support.iter().zip(&ws.rhs).map(|(&b, u)| row[b] * u).sum();
            ws.correction[s] -= product + l2 * ws.rhs[s];
        }
        wide.solve(&mut ws.correction, &mut ws.dual);
        for (u, delta) in ws.rhs.iter_mut().zip(&ws.correction) {
            *u += delta;
        }
        true
    }

    /// Factorizes the system of the current support from scratch, and records it as the
    /// factor of that support.
    fn factor_support_system(&mut self) -> bool {
        let design = self.design;
        let ws = &mut *self.ws;
        let l2 = self.penalty.l2;
        let (m, n, k) = (ws.support.len(), design.n_rows, ws.set.len());
        ws.factor_support.clear();
        ws.factor_support.extend_from_slice(&ws.support);
        if m < n || l2 == 0.0 {
            ws.system.clear();
            for &a in &ws.support {
                ws.system.extend(ws.support.iter().map(|&b| ws.gram[a * k + b]));
            }
            for d in 0..m {
                ws.system[d * m + d] += l2;
            }
            if !cholesky_factor(&mut ws.system, m) {
                return false;
            }
            ws.factor = Some(SupportFactor::Narrow);
            return true;
        }
        // K = X_S·X_Sᵀ + λ₂I. The factorization reads only the lower triangle, so only it
        // is computed, each entry one dot product of two rows of X_S, gathered row-major so
        // that the products run over contiguous values.
        ws.support_rows.clear();
        ws.support_rows.resize(n * m, 0.0);
        for (s, &i) in ws.support.iter().enumerate() {
            for (a, &value) in design.column(ws.set[i]).iter().enumerate() {
                ws.support_rows[a * m + s] = value;
            }
        }
        ws.system.clear();
        ws.system.resize(n * n, 0.0);
        for a in 0..n {
            let row_a = &ws.support_rows[a * m..(a + 1) * m];
            for b in 0..=a {
                ws.system[a * n + b] = dot(row_a, &ws.support_rows[b * m..(b + 1) * m]);
            }
            ws.system[a * n + a] += l2;
        }
        if !cholesky_factor(&mut ws.system, n) {
            return false;
        }
        ws.factor = Some(SupportFactor::Wide);
        true
    }

    /// Brings the factor of an earlier support up to date with the current support, when
    /// the current one is that support with some predictors removed. Returns false when
    /// there is no such factor or an update fails, so that the caller factorizes anew.
    fn update_support_factor(&mut self) -> bool {
        let design = self.design;
        let ws = &mut *self.ws;
        let Some(kind) = ws.factor else { return false };
        if ws.support.len() >= ws.factor_support.len() {
            return ws.support == ws.factor_support;
        }
        // Both lists increase, so one merge finds the removed predictors.
        let mut kept = 0;
        let mut position = 0;
        while position < ws.factor_support.len() {
            let i = ws.factor_support[position];
            if kept < ws.support.len() && ws.support[kept] == i {
                kept += 1;
                position += 1;
                continue;
            }
            let updated = match kind {
                SupportFactor::Narrow => {
                    cholesky_delete(
                        &mut ws.system,
                        ws.factor_support.len(),
                        position,
                        &mut ws.dual,
                    );
                    true
                }
                SupportFactor::Wide => {
                    ws.dual.clear();
                    ws.dual.extend_from_slice(design.column(ws.set[i]));
                    cholesky_downdate(&mut ws.system, design.n_rows, &mut ws.dual)
                }
            };
            ws.factor_support.remove(position);
            if !updated {
                return false;
            }
        }
        kept == ws.support.len()
    }
}

/// System whose Cholesky factor the workspace's `system` buffer contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SupportFactor {
    /// The m × m matrix G_SS + λ₂I.
    Narrow,
    /// The n × n matrix X_S·X_Sᵀ + λ₂I of a wide support.
    Wide,
}

/// The m × m system (G_SS + λ₂I)·u = b of a support wider than the row count, solved
/// through the factorized n × n matrix K = X_S·X_Sᵀ + λ₂I.
struct WideSystem<'a> {
    design: &'a Design,
    set: &'a [usize],
    /// Working-set positions of the support columns.
    support: &'a [usize],
    /// Cholesky factor of K, as `cholesky_factor` leaves it.
    factor: &'a [f64],
    l2: f64,
}

impl WideSystem<'_> {
    /// Overwrites `b` with u = (b − X_Sᵀ·K⁻¹·X_S·b)/λ₂, using `buffer` for the n-vector.
    fn solve(&self, b: &mut [f64], buffer: &mut Vec<f64>) {
        let n = self.design.n_rows;
        buffer.clear();
        buffer.resize(n, 0.0);
        for (&i, &value) in self.support.iter().zip(b.iter()) {
            axpy(value, self.design.column(self.set[i]), buffer);
        }
        cholesky_substitute(self.factor, n, buffer);
        for (&i, value) in self.support.iter().zip(b.iter_mut()) {
            let column = self.design.column(self.set[i]);
            *value = (*value - dot(column, buffer)) / self.l2;
        }
    }
}

fn soft_threshold(value: f64, threshold: f64) -> f64 {
    if value > threshold {
        value - threshold
    } else if value < -threshold {
        value + threshold
    } else {
        0.0
    }
}

/// Writes `gram`·`w` to `out`, with `gram` row-major and square.
fn gram_times(gram: &[f64], w: &[f64], out: &mut [f64]) {
    let k = w.len();
    for (i, value) in out.iter_mut().enumerate() {
        *value = dot(&gram[i * k..(i + 1) * k], w);
    }
}

/// Dot product with four partial sums, which lets the compiler vectorize it.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let mut sums = [0.0; 4];
    let chunks_a = a.chunks_exact(4);
    let chunks_b = b.chunks_exact(4);
    let tail: f64 = chunks_a.remainder().iter().zip(chunks_b.remainder()).map(|(x, y)| x * y).sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for lane in 0..4 {
            sums[lane] += ca[lane] * cb[lane];
        }
    }
    (sums[0] + sums[2]) + (sums[1] + sums[3]) + tail
}

/// y += a·x.
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    debug_assert_eq!(x.len(), y.len());
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Solves `a`·x = `b` in place for a row-major m × m symmetric positive definite `a`, by
/// Cholesky factorization. `a` is overwritten by the factor and `b` by the solution.
/// Returns false, leaving `a` partly overwritten and `b` unchanged, when a pivot is not
/// positive.
#[cfg(test)]
fn cholesky_solve(a: &mut [f64], m: usize, b: &mut [f64]) -> bool {
    if !cholesky_factor(a, m) {
        return false;
    }
    cholesky_substitute(a, m, b);
    true
}

/// Overwrites the lower triangle of the row-major m × m symmetric matrix `a` with its
/// Cholesky factor L, a = L·Lᵀ. Returns false, leaving `a` partly overwritten, when a pivot
/// is not positive.
fn cholesky_factor(a: &mut [f64], m: usize) -> bool {
    for j in 0..m {
        let (done, rest) = a.split_at_mut(j * m);
        let row_j = &mut rest[..m];
        for i in 0..j {
            let row_i = &done[i * m..(i + 1) * m];
            row_j[i] = (row_j[i] - dot(&row_i[..i], &row_j[..i])) / row_i[i];
        }
        let pivot = row_j[j] - dot(&row_j[..j], &row_j[..j]);
        if !pivot.is_finite() || pivot <= 0.0 {
            return false;
        }
        row_j[j] = pivot.sqrt();
    }
    true
}

/// Overwrites `b` with the solution of L·Lᵀ·x = `b`, for a factor from `cholesky_factor`.
fn cholesky_substitute(a: &[f64], m: usize, b: &mut [f64]) {
    // L·u = b, then Lᵀ·x = u, with L stored row by row in the lower triangle.
    for i in 0..m {
        let row = &a[i * m..(i + 1) * m];
        b[i] = (b[i] - dot(&row[..i], &b[..i])) / row[i];
    }
    for i in (0..m).rev() {
        let mut value = b[i];
        for r in i + 1..m {
            value -= a[r * m + i] * b[r];
        }
        b[i] = value / a[i * m + i];
    }
}

/// Removes row and column `index` from the row-major m × m Cholesky factor in `a`, which
/// afterwards contains the (m − 1) × (m − 1) factor of the matrix without them, row-major
/// with stride m − 1. `buffer` is scratch space.
///
/// The rows below `index` lose their entry in that column, so their trailing block L₃₃
/// becomes the factor of L₃₃L₃₃ᵀ + l·lᵀ, with l the removed column below the diagonal.
/// Givens rotations fold l in, which is a stable rank-one update.
fn cholesky_delete(a: &mut [f64], m: usize, index: usize, buffer: &mut Vec<f64>) {
    buffer.clear();
    buffer.extend((index + 1..m).map(|r| a[r * m + index]));
    for (offset, j) in (index + 1..m).enumerate() {
        let diagonal = a[j * m + j];
        let radius = diagonal.hypot(buffer[offset]);
        let (c, s) = (radius / diagonal, buffer[offset] / diagonal);
        a[j * m + j] = radius;
        for (later, r) in (j + 1..m).enumerate() {
            let slot = offset + 1 + later;
            let value = (a[r * m + j] + s * buffer[slot]) / c;
            buffer[slot] = c * buffer[slot] - s * value;
            a[r * m + j] = value;
        }
    }
    // Compact the lower triangle to stride m − 1. Every entry moves to an earlier position,
    // so copying in increasing order never overwrites an entry that is still to be read.
    let stride = m - 1;
    for (row, r) in (0..m).filter(|&r| r != index).enumerate() {
        for (column, c) in (0..=r).filter(|&c| c != index).enumerate() {
            a[row * stride + column] = a[r * m + c];
        }
    }
}

/// Replaces the row-major n × n Cholesky factor L in `a` of a matrix A by the factor of
/// A − x·xᵀ, with `x` overwritten. Returns false, leaving `a` partly overwritten, when the
/// result is not numerically positive definite.
fn cholesky_downdate(a: &mut [f64], n: usize, x: &mut [f64]) -> bool {
    for j in 0..n {
        let diagonal = a[j * n + j];
        let squared = (diagonal - x[j]) * (diagonal + x[j]);
        // A pivot that loses nearly all of its size has lost its accuracy too.
        if squared.is_nan() || squared <= 1e-8 * diagonal * diagonal {
            return false;
        }
        let radius = squared.sqrt();
        let (c, s) = (radius / diagonal, x[j] / diagonal);
        a[j * n + j] = radius;
        for r in j + 1..n {
            let value = (a[r * n + j] - s * x[r]) / c;
            x[r] = c * x[r] - s * value;
            a[r * n + j] = value;
        }
    }
    true
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use ndarray::{Array1, Array2, Axis};
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Centered predictors with a few shared factors, so that columns are correlated, and
    /// centered targets that depend on them plus noise.
    pub(in crate::models::elastic_net) fn random_problem(
        seed: u64,
        n: usize,
        p: usize,
        n_targets: usize,
    ) -> (Array2<f64>, Array2<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let factors = Array2::from_shape_fn((n, 3), |_| rng.gen_range(-1.0..1.0));
        let loadings = Array2::from_shape_fn((3, p), |_| rng.gen_range(-1.0..1.0));
        let noise = Array2::from_shape_fn((n, p), |_| rng.gen_range(-0.3..0.3));
        let x = factors.dot(&loadings) + noise;
        let truth = Array2::from_shape_fn((p, n_targets), |_| {
            if rng.gen_bool(0.3) {
                rng.gen_range(-2.0..2.0)
            } else {
                0.0
            }
        });
        let y = x.dot(&truth) + Array2::from_shape_fn((n, n_targets), |_| rng.gen_range(-0.5..0.5));
        let xc = &x - &x.mean_axis(Axis(0)).unwrap();
        let yc = &y - &y.mean_axis(Axis(0)).unwrap();
        (xc, yc)
    }

    #[test]
    fn cholesky_solve_matches_known_solution() {
        let a = [4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let x_true = [1.0, -2.0, 0.5];
        let mut b: Vec<f64> = (0..3).map(|i| dot(&a[i * 3..(i + 1) * 3], &x_true)).collect();
        let mut factor = a.to_vec();
        assert!(cholesky_solve(&mut factor, 3, &mut b));
        for (got, want) in b.iter().zip(x_true.iter()) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn cholesky_solve_rejects_singular() {
        let mut a = vec![1.0, 1.0, 1.0, 1.0];
        let mut b = vec![1.0, 1.0];
        assert!(!cholesky_solve(&mut a, 2, &mut b));
    }

    /// A support with more predictors than rows goes through the n × n system, which must
    /// agree with factorizing G_SS + λ₂I directly.
    #[test]
    fn wide_support_system_matches_direct_solve() {
        let (x, y) = random_problem(17, 6, 15, 1);
        let design = Design::new(x.view(), usize::MAX);
        let penalty = Penalty::new(6, 0.2, 0.5);
        let rule = StoppingRule { tolerance: 1e-4, max_iterations: 10 };
        let mut workspace = Workspace::new(6, 15);
        let mut solver = TargetSolver {
            design: &design,
            penalty,
            rule,
            ws: &mut workspace,
            newton: NewtonSchedule::new(),
        };
        solver.ws.set = (0..15).collect();
        design.gram_block(&solver.ws.set, &mut solver.ws.gram);
        solver.ws.support = (0..15).collect();
        let rhs: Vec<f64> = y.column(0).iter().cycle().take(15).map(|v| v - 0.1).collect();
        solver.ws.rhs = rhs.clone();
        assert!(solver.solve_support_system());

        let mut system = solver.ws.gram.clone();
        for d in 0..15 {
            system[d * 15 + d] += penalty.l2;
        }
        let mut expected = rhs;
        assert!(cholesky_solve(&mut system, 15, &mut expected));
        for (got, want) in solver.ws.rhs.iter().zip(expected.iter()) {
            assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{got} vs {want}");
        }
    }

    /// For a small λ₂ the n × n route alone leaves a residual of the order of
    /// ε·‖rhs‖·‖G‖/λ₂ in the m × m system, and the refinement step must bring it to the
    /// rounding level.
    #[test]
    fn wide_support_system_small_ridge_residual() {
        let (n, p) = (16, 40);
        let (x, y) = random_problem(23, n, p, 1);
        let design = Design::new(x.view(), usize::MAX);
        let penalty = Penalty { l1: 1e-3, l2: 1e-6 };
        let rule = StoppingRule { tolerance: 1e-4, max_iterations: 10 };
        let mut workspace = Workspace::new(n, p);
        let mut solver = TargetSolver {
            design: &design,
            penalty,
            rule,
            ws: &mut workspace,
            newton: NewtonSchedule::new(),
        };
        solver.ws.set = (0..p).collect();
        design.gram_block(&solver.ws.set, &mut solver.ws.gram);
        solver.ws.support = (0..p).collect();
        let rhs: Vec<f64> = x.t().dot(&y.column(0)).iter().map(|c| c - 1e-3).collect();
        solver.ws.rhs = rhs.clone();
        assert!(solver.solve_support_system());

        let u = &solver.ws.rhs;
        let gram = &solver.ws.gram;
        let rhs_max = rhs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (s, &want) in rhs.iter().enumerate() {
            let got = dot(&gram[s * p..(s + 1) * p], u) + penalty.l2 * u[s];
            let residual = (got - want).abs();
            assert!(residual <= 1e-11 * rhs_max, "row {s}: residual {residual:e}");
        }
    }

    /// Row-major lower-triangular factor of the m × m matrix `a`, with the upper triangle
    /// zeroed so that factors compare entry by entry.
    fn lower_factor(a: &[f64], m: usize) -> Vec<f64> {
        let mut factor = a.to_vec();
        assert!(cholesky_factor(&mut factor, m));
        for i in 0..m {
            for j in i + 1..m {
                factor[i * m + j] = 0.0;
            }
        }
        factor
    }

    fn assert_close(got: &[f64], want: &[f64], relative: f64) {
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= relative * scale, "entry {i}: {g} vs {w}");
        }
    }

    #[test]
    fn cholesky_delete_matches_new_factor() {
        let (x, _) = random_problem(31, 12, 7, 1);
        let gram: Vec<f64> = x.t().dot(&x).iter().copied().collect();
        let gram = &gram;
        let mut buffer = Vec::new();
        for index in [0, 3, 6] {
            let mut factor = lower_factor(gram, 7);
            cholesky_delete(&mut factor, 7, index, &mut buffer);
            let kept: Vec<usize> = (0..7).filter(|&i| i != index).collect();
            let reduced: Vec<f64> =
                kept.iter().flat_map(|&a| kept.iter().map(move |&b| gram[a * 7 + b])).collect();
            let want = lower_factor(&reduced, 6);
            let got: Vec<f64> =
                (0..36).map(|e| if e % 6 <= e / 6 { factor[e] } else { 0.0 }).collect();
            assert_close(&got, &want, 1e-12);
        }
    }

    #[test]
    fn cholesky_downdate_matches_new_factor() {
        let (x, _) = random_problem(37, 6, 20, 1);
        let column = x.column(4).to_vec();
        let mut k = vec![0.0; 36];
        for j in 0..20 {
            for a in 0..6 {
                for b in 0..6 {
                    k[a * 6 + b] += x[[a, j]] * x[[b, j]];
                }
            }
        }
        for d in 0..6 {
            k[d * 6 + d] += 0.5;
        }
        let mut factor = lower_factor(&k, 6);
        let mut downdated = k.clone();
        for a in 0..6 {
            for b in 0..6 {
                downdated[a * 6 + b] -= column[a] * column[b];
            }
        }
        let mut removed = column.clone();
        assert!(cholesky_downdate(&mut factor, 6, &mut removed));
        assert_close(&factor, &lower_factor(&downdated, 6), 1e-10);

        // The factor of [2] downdated by x = √2 is the factor of [0], which is singular.
        let mut single = vec![2f64.sqrt()];
        assert!(!cholesky_downdate(&mut single, 1, &mut [2f64.sqrt()]));
    }

    /// Once a Newton step's support loses predictors, the solve reuses the updated factor,
    /// which must agree with a new factorization of the smaller system.
    #[test]
    fn shrunk_support_reuses_factor() {
        // 6 rows and 15 predictors give the n × n route, 5 predictors the m × m one.
        for (n, p, l2) in [(6, 15, 0.3), (12, 5, 0.3), (12, 5, 0.0)] {
            let (x, y) = random_problem(41, n, p, 1);
            let design = Design::new(x.view(), usize::MAX);
            let penalty = Penalty { l1: 0.1, l2 };
            let rule = StoppingRule { tolerance: 1e-4, max_iterations: 10 };
            let mut workspace = Workspace::new(n, p);
            let mut solver = TargetSolver {
                design: &design,
                penalty,
                rule,
                ws: &mut workspace,
                newton: NewtonSchedule::new(),
            };
            solver.ws.set = (0..p).collect();
            design.gram_block(&solver.ws.set, &mut solver.ws.gram);
            solver.ws.support = (0..p).collect();
            let rhs: Vec<f64> = x.t().dot(&y.column(0)).iter().map(|c| c - 0.1).collect();
            solver.ws.rhs = rhs.clone();
            assert!(solver.solve_support_system());

            solver.ws.support = (0..p).filter(|&i| i != 0 && i != 2 && i != p - 1).collect();
            let smaller: Vec<f64> = solver.ws.support.iter().map(|&i| rhs[i]).collect();
            solver.ws.rhs = smaller.clone();
            assert!(solver.solve_support_system());
            let reused = solver.ws.rhs.clone();
            assert_eq!(solver.ws.factor_support, solver.ws.support);

            solver.ws.factor = None;
            solver.ws.rhs = smaller;
            assert!(solver.solve_support_system());
            assert_close(&reused, &solver.ws.rhs, 1e-9);
        }
    }

    #[test]
    fn gram_blocks_from_columns_match_full_gram() {
        let (x, y) = random_problem(7, 12, 30, 3);
        let penalty = Penalty::new(12, 0.05, 0.7);
        let rule = StoppingRule { tolerance: 1e-10, max_iterations: 10_000 };
        let with_gram =
            fit_targets_with(&Design::new(x.view(), usize::MAX), y.view(), penalty, rule);
        let from_columns = fit_targets_with(&Design::new(x.view(), 0), y.view(), penalty, rule);
        for (a, b) in with_gram.iter().zip(from_columns.iter()) {
            assert_eq!(a.coef, b.coef);
            assert_eq!(a.n_iterations, b.n_iterations);
        }
    }

    #[test]
    fn alpha_above_alpha_max_stops_before_sweeping() {
        let (x, y) = random_problem(3, 15, 8, 1);
        let l1_ratio = 0.5;
        let n = x.nrows() as f64;
        let alpha_max =
            x.t().dot(&y.column(0)).iter().fold(0.0f64, |m, v| m.max(v.abs())) / (n * l1_ratio);
        let penalty = Penalty::new(x.nrows(), 1.001 * alpha_max, l1_ratio);
        let rule = StoppingRule { tolerance: 1e-4, max_iterations: 1000 };
        let fit = &fit_targets(x.view(), y.view(), penalty, rule)[0];
        assert!(fit.coef.iter().all(|&w| w == 0.0), "{:?}", fit.coef);
        assert_eq!(fit.n_iterations, 0);
        assert!(fit.duality_gap <= fit.gap_tolerance);
    }

    #[test]
    fn iteration_cap_is_respected() {
        let (x, y) = random_problem(11, 20, 60, 2);
        let penalty = Penalty::new(20, 1e-3, 0.5);
        let rule = StoppingRule { tolerance: 1e-14, max_iterations: 3 };
        for fit in fit_targets(x.view(), y.view(), penalty, rule) {
            assert!(fit.n_iterations <= 3, "{} iterations", fit.n_iterations);
            assert!(fit.duality_gap > fit.gap_tolerance);
        }
    }

    /// Checks the optimality conditions of the n-scaled objective per coordinate:
    /// g_j = x_jᵀr − λ₂w_j must equal λ₁·sign(w_j) when w_j ≠ 0 and lie in [−λ₁, λ₁]
    /// when w_j = 0. A violation δ lets one coordinate step lower the objective by at least
    /// δ²/(2(‖x_j‖² + λ₂)), which the duality gap bounds, so δ ≤ √(2(‖x_j‖² + λ₂)·gap).
    fn assert_kkt(x: &Array2<f64>, y: Array1<f64>, w: &[f64], penalty: Penalty, gap: f64) {
        let w = Array1::from(w.to_vec());
        let r = &y - &x.dot(&w);
        let scale = y.dot(&y).sqrt();
        for (j, column) in x.columns().into_iter().enumerate() {
            let curvature = column.dot(&column) + penalty.l2;
            let bound =
                (2.0 * curvature * gap.max(0.0)).sqrt() * 1.01 + 1e-9 * scale * curvature.sqrt();
            let g = column.dot(&r) - penalty.l2 * w[j];
            let violation = if w[j] != 0.0 {
                (g - penalty.l1 * w[j].signum()).abs()
            } else {
                (g.abs() - penalty.l1).max(0.0)
            };
            assert!(
                violation <= bound,
                "coordinate {j}: w = {}, violation {violation:e} > bound {bound:e}",
                w[j]
            );
        }
    }

    /// Fits along a decreasing path, warm-started, each fit meets the tolerance and the
    /// optimality conditions, like a cold fit at the same penalty, in fewer sweeps.
    #[test]
    fn warm_path_meets_tolerance_in_fewer_sweeps() {
        let (x, y) = random_problem(17, 30, 80, 3);
        let rule = StoppingRule { tolerance: 1e-8, max_iterations: 100_000 };
        for l1_ratio in [0.1, 0.5, 1.0] {
            let path: Vec<Penalty> =
                (0..12).map(|k| Penalty::new(30, 0.5 * 0.6f64.powi(k), l1_ratio)).collect();
            let warm = fit_path(x.view(), y.view(), &path, rule, PathStart::Warm);
            let mut warm_sweeps = 0;
            let mut cold_sweeps = 0;
            for (step, &penalty) in path.iter().enumerate() {
                let cold = fit_targets(x.view(), y.view(), penalty, rule);
                for (j, target_path) in warm.iter().enumerate() {
                    let fit = &target_path[step];
                    assert!(
                        fit.duality_gap <= fit.gap_tolerance,
                        "l1_ratio {l1_ratio}, step {step}, target {j}: gap {:e}",
                        fit.duality_gap
                    );
                    assert_kkt(&x, y.column(j).to_owned(), &fit.coef, penalty, fit.gap_tolerance);
                    warm_sweeps += fit.n_iterations;
                    cold_sweeps += cold[j].n_iterations;
                }
            }
            assert!(
                warm_sweeps < cold_sweeps,
                "l1_ratio {l1_ratio}: {warm_sweeps} vs {cold_sweeps}"
            );
        }
    }

    #[test]
    fn cold_path_matches_separate_fits() {
        let (x, y) = random_problem(23, 25, 40, 2);
        let rule = StoppingRule { tolerance: 1e-8, max_iterations: 100_000 };
        let path: Vec<Penalty> =
            [0.3, 0.1, 0.03].iter().map(|&a| Penalty::new(25, a, 0.5)).collect();
        let cold = fit_path(x.view(), y.view(), &path, rule, PathStart::Cold);
        for (step, &penalty) in path.iter().enumerate() {
            let separate = fit_targets(x.view(), y.view(), penalty, rule);
            for (j, fit) in separate.iter().enumerate() {
                assert_eq!(cold[j][step].coef, fit.coef, "step {step}, target {j}");
                assert_eq!(cold[j][step].n_iterations, fit.n_iterations);
            }
        }
    }

    #[test]
    fn warm_start_at_solution_stops_at_once() {
        let (x, y) = random_problem(19, 20, 25, 1);
        let penalty = Penalty::new(20, 0.05, 0.5);
        let rule = StoppingRule { tolerance: 1e-10, max_iterations: 100_000 };
        let path = fit_path(x.view(), y.view(), &[penalty, penalty], rule, PathStart::Warm);
        assert!(path[0][0].n_iterations > 0);
        assert_eq!(path[0][1].n_iterations, 0);
        assert_eq!(path[0][1].coef, path[0][0].coef);
    }

    /// Fits both targets of `random_problem(seed, n, p, 2)` to a tolerance of 1e-10 and
    /// checks that each converges within `max_iterations` sweeps and meets the optimality
    /// conditions.
    fn assert_converges(
        seed: u64,
        n: usize,
        p: usize,
        alpha: f64,
        l1_ratio: f64,
        max_iterations: u32,
    ) {
        let (x, y) = random_problem(seed, n, p, 2);
        let penalty = Penalty::new(n, alpha, l1_ratio);
        let rule = StoppingRule { tolerance: 1e-10, max_iterations };
        for (j, fit) in fit_targets(x.view(), y.view(), penalty, rule).iter().enumerate() {
            assert!(
                fit.duality_gap <= fit.gap_tolerance,
                "target {j}: gap {:e} above {:e} after {} iterations",
                fit.duality_gap,
                fit.gap_tolerance,
                fit.n_iterations
            );
            assert_kkt(&x, y.column(j).to_owned(), &fit.coef, penalty, fit.gap_tolerance);
        }
    }

    /// A lasso with more predictors than rows. Coordinate descent passes through supports
    /// wider than rank(X) = n − 1, on which G_SS is singular and the face has no minimizer.
    #[test]
    fn lasso_wider_than_rows_converges() {
        assert_converges(3842148404230491372, 10, 25, 10f64.powf(-3.9847240386250555), 1.0, 1000);
    }

    /// An elastic net with a small ridge penalty and a support as wide as the row count,
    /// which the Newton step solves through the n × n system.
    #[test]
    fn small_ridge_wide_support_converges() {
        let alpha = 10f64.powf(-3.9519427848057482);
        assert_converges(10783499810121179418, 16, 19, alpha, 0.9825484883152477, 1000);
    }

    /// Small penalties on a support wider than the row count. The last Newton step gains
    /// less than 1e-12, below the rounding error of objective values computed from
    /// ‖y‖² ≈ 956.
    #[test]
    fn tiny_penalties_wide_support_converge() {
        let alpha = 10f64.powf(-5.720759424117077);
        assert_converges(3315703928014992773, 70, 128, alpha, 0.4730625534170831, 1000);
    }

    fn l1_ratio_strategy() -> impl Strategy<Value = f64> {
        prop_oneof![Just(0.0), Just(1.0), 0.0..1.0]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn kkt_conditions_hold(
            seed in any::<u64>(),
            n in 3usize..25,
            p in 1usize..40,
            log_alpha in -4.0f64..0.0,
            l1_ratio in l1_ratio_strategy(),
        ) {
            let (x, y) = random_problem(seed, n, p, 2);
            let penalty = Penalty::new(n, 10f64.powf(log_alpha), l1_ratio);
            let rule = StoppingRule { tolerance: 1e-10, max_iterations: 100_000 };
            let fits = fit_targets(x.view(), y.view(), penalty, rule);
            for (j, fit) in fits.iter().enumerate() {
                prop_assert!(
                    fit.duality_gap <= fit.gap_tolerance,
                    "target {j}: gap {:e} above {:e} after {} iterations",
                    fit.duality_gap, fit.gap_tolerance, fit.n_iterations
                );
                prop_assert!(fit.coef.iter().all(|w| w.is_finite()));
                assert_kkt(&x, y.column(j).to_owned(), &fit.coef, penalty, fit.gap_tolerance);
            }
        }
    }
}

"""Monte-Carlo twin of :mod:`theory.linreg_workflow`: OLS retrained on its own labels, three workflows.

The experiment of docs/theory.md §5 / the "Collapse or Thrive?" code, per trial:

1. a design X ∈ R^{n×d} with rows N(0, I_d) (or the given ``design``, shared by all trials), a teacher
   w* ~ N(0, I_d), and label noise ε_k ~ N(0, σ²I_n) for generations k = 1..t;
2. generation 1 labels y⁽¹⁾ = Xw* + ε₁ (real); generation k + 1 labels y⁽ᵏ⁺¹⁾ = Xŵ_k + ε_{k+1};
3. iteration t fits ŵ_t by least squares (the minimum-norm solution, as the authors' ``pinv``, when it is
   not unique) on: generation t only (``replace``); all generations 1..t stacked (``accumulate``); n
   rows drawn **without replacement** from those t·n stacked rows (``accumulate-subsample``);
4. test error = ‖ŵ_t − w*‖² (the exact expectation over test inputs N(0, I), i.e. the noiseless-label
   test MSE; ``test_labels="noisy"`` adds σ²), or with ``n_test`` the authors' estimate: the MSE on
   ``n_test`` fixed test points (noiseless labels x_testᵀw*, or noisy ones with one fixed noise draw).

Replace and accumulate use the exact recursions ŵ_t = ŵ_{t−1} + Pε_t (replace) and ŵ_{t−1} + Pε_t/t
(accumulate), P = X⁺ (= (XᵀX)⁻¹Xᵀ when n ≥ d): all iterations of a batch of trials at once with one
matrix product, instead of refitting on the growing stack (``method="refit"`` does the literal refits on
the same random draws, for the recursion == refit test). When n < d the minimum-norm fit keeps the
bias ‖(I − X⁺X)w*‖², which the simulator includes (the closed forms do not cover n < d).

Accumulate-subsample keeps only the labels of the pool (the rows are copies of X): a subsample is a
count c_j and a label sum s_j per row of X, and its least-squares fit solves Xᵀdiag(c)X w = Xᵀs
(minimum norm via a weighted ``lstsq`` when fewer than d distinct rows are drawn). Trials run on a
thread per core (each with its own generator: identical output to a serial run).

Randomness: one generator per trial from ``SeedSequence(seed)``, drawn in the order X, w*, ε (t×n),
the subsample indices, the test set; the same seed gives identical output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from model_collapse.arrays import iterations
from model_collapse.montecarlo.trials import (
    MCEstimate,
    Progress,
    batches,
    blas_capped,
    estimate,
    map_trials,
    trial_generators,
)
from model_collapse.numerics import require_representable, times_square
from model_collapse.theory.linreg_workflow import ITERATION, LABELS
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE_INT,
    SEED,
    InvalidParameterError,
    Options,
    validate,
)

__all__ = ["WORKFLOWS", "LinregWorkflowEstimate", "trajectories", "simulate"]

WORKFLOWS = ("replace", "accumulate", "accumulate-subsample")
WORKFLOW = Options(WORKFLOWS)
METHOD = Options(("recursion", "refit"))


@dataclass(frozen=True)
class LinregWorkflowEstimate:
    """Mean ± SE over trials of the test error at the requested iterations (shape of t)."""

    test_error: MCEstimate
    n_trials: int

    def as_dict(self) -> dict:
        return {"test_error": self.test_error.as_dict()}


def _draw(rng, n, d, t, design, workflow, n_test):
    X = rng.standard_normal((n, d)) if design is None else design
    w_star = rng.standard_normal(d)
    eps = rng.standard_normal((t, n))
    sel = None
    if workflow == "accumulate-subsample":
        sel = [None] + [rng.choice(s * n, size=n, replace=False) for s in range(2, t + 1)]
    test = None
    if n_test is not None:
        test = (rng.standard_normal((n_test, d)), rng.standard_normal(n_test))
    return X, w_star, eps, sel, test


def _pinv(X: np.ndarray) -> np.ndarray:
    """X⁺ for a batch of designs: (XᵀX)⁻¹Xᵀ when n ≥ d (Cholesky), else the SVD pseudo-inverse."""
    n, d = X.shape[-2:]
    if n >= d:
        Xt = np.swapaxes(X, -1, -2)
        return np.linalg.solve(Xt @ X, Xt)
    return np.linalg.pinv(X)


def _errors(e: np.ndarray, sigma: float, test_labels: str, test) -> np.ndarray:
    """Test error for error vectors e (…, d, t) → (…, t)."""
    if test is None:
        out = np.einsum("...dt,...dt->...t", e, e)
        return out + times_square(sigma, 1.0) if test_labels == "noisy" else out
    Xte, xi = test
    resid = np.einsum("...md,...dt->...mt", Xte, e)
    if test_labels == "noisy":
        resid = resid - sigma * xi[..., :, None]
    return np.mean(resid**2, axis=-2)


def _recursion_batch(draws, t, workflow, sigma, test_labels):
    X = np.stack([x[0] for x in draws])
    w_star = np.stack([x[1] for x in draws])
    eps = np.stack([x[2] for x in draws])  # (b, t, n)
    P = _pinv(X)  # (b, d, n)
    U = sigma * (P @ np.swapaxes(eps, 1, 2))  # (b, d, t): the increments Pε_k
    k = np.arange(1, t + 1)
    weights = np.ones(t) if workflow == "replace" else 1.0 / k
    e = np.cumsum(U * weights, axis=2)
    n, d = X.shape[1:]
    if n < d:  # minimum-norm fits keep the unseen part of w*: ŵ − w* = −(I − X⁺X)w* + noise terms
        bias = -(w_star - np.einsum("bdn,bn->bd", P, np.einsum("bnd,bd->bn", X, w_star)))
        e = e + bias[:, :, None]
    test = None
    if draws[0][4] is not None:
        test = (np.stack([x[4][0] for x in draws]), np.stack([x[4][1] for x in draws]))
    return _errors(e, sigma, test_labels, test)


def _lstsq_min_norm(A: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(A, y, rcond=None)[0]


def _refit_trial(draw, t, workflow, sigma, test_labels):
    """The literal experiment: least squares on the current (replace) or stacked (accumulate) data."""
    X, w_star, eps, _, test = draw
    n, d = X.shape
    errs = np.empty((d, t))
    labels = [X @ w_star + sigma * eps[0]]
    for s in range(1, t + 1):
        if workflow == "replace":
            w = _lstsq_min_norm(X, labels[-1])
        else:
            w = _lstsq_min_norm(np.concatenate([X] * s), np.concatenate(labels))
        errs[:, s - 1] = w - w_star
        if s < t:
            labels.append(X @ w + sigma * eps[s])
    return _errors(errs, sigma, test_labels, test)


def _subsample_trial(draw, t, sigma, test_labels):
    """Accumulate-subsample: the pool is t copies of X with their labels; n rows drawn each iteration."""
    X, w_star, eps, sel, test = draw
    n, d = X.shape
    pool = np.empty((t, n))
    pool[0] = X @ w_star + sigma * eps[0]
    errs = np.empty((d, t))
    for s in range(1, t + 1):
        if s == 1:
            counts, sums = np.ones(n), pool[0]
        else:
            rows, gens = np.divmod(sel[s - 1], n)[::-1]
            counts = np.bincount(rows, minlength=n).astype(float)
            sums = np.bincount(rows, weights=pool[gens, rows], minlength=n)
        used = counts > 0
        if np.count_nonzero(used) >= d:  # full column rank almost surely: normal equations
            Xu = X[used]
            w = np.linalg.solve((Xu * counts[used, None]).T @ Xu, Xu.T @ sums[used])
        else:  # minimum-norm least squares on the duplicated rows (weights = counts)
            root = np.sqrt(counts[used])
            w = _lstsq_min_norm(X[used] * root[:, None], sums[used] / root)
        errs[:, s - 1] = w - w_star
        if s < t:
            pool[s] = X @ w + sigma * eps[s]
    return _errors(errs, sigma, test_labels, test)


def _check_design(design, n, d):
    if design is None:
        return None
    X = np.asarray(design, dtype=float)
    if X.shape != (n, d) or not np.all(np.isfinite(X)):
        raise InvalidParameterError.of(
            "design", "simulate", f"must be a finite array of shape (n, d) = ({n}, {d}). "
            f"Got shape {X.shape} instead."
        )
    return X


@validate(n=POSITIVE_INT, d=POSITIVE_INT, t=ITERATION, workflow=WORKFLOW, sigma=NONNEGATIVE,
          test_labels=LABELS, n_trials=POSITIVE_INT, seed=SEED, n_test=POSITIVE_INT)
def trajectories(n: int, d: int, t: int, *, workflow: str = "accumulate", sigma: float = 1.0,
                 test_labels: str = "noiseless", n_trials: int = 100, seed=0, n_test: int | None = None,
                 design=None, refit: bool = False, progress: Progress = None) -> np.ndarray:
    """Per-trial test error at iterations 1..t: an array (n_trials, t). See the module docstring."""
    if np.ndim(t) != 0:
        raise InvalidParameterError.of("t", "trajectories", "must be a single int (the last iteration).")
    n, d, t, sigma = int(n), int(d), int(t), float(sigma)
    X = _check_design(design, n, d)
    rngs = trial_generators(seed, n_trials)
    out = np.empty((n_trials, t))
    if workflow != "accumulate-subsample" and not refit:
        per = n * d * 3 + t * (n + 2 * d) + (0 if n_test is None else n_test * (d + t + 1))
        done = 0
        for chunk in batches(n_trials, per_trial_floats=per):
            draws = [_draw(rngs[i], n, d, t, X, workflow, n_test) for i in chunk]
            out[chunk.start : chunk.stop] = _recursion_batch(draws, t, workflow, sigma, test_labels)
            done += len(chunk)
            if progress is not None:
                progress(done, n_trials)
        return out

    def one(i):
        draw = _draw(rngs[i], n, d, t, X, workflow, n_test)
        if workflow == "accumulate-subsample":
            return _subsample_trial(draw, t, sigma, test_labels)
        return _refit_trial(draw, t, workflow, sigma, test_labels)

    for i, res in enumerate(map_trials(one, n_trials)):
        out[i] = res
        if progress is not None:
            progress(i + 1, n_trials)
    return out


@validate(n=POSITIVE_INT, d=POSITIVE_INT, t=ITERATION, workflow=WORKFLOW, sigma=NONNEGATIVE,
          test_labels=LABELS, n_trials=POSITIVE_INT, seed=SEED, n_test=POSITIVE_INT, method=METHOD)
@blas_capped
def simulate(n: int, d: int, t, *, workflow: str = "accumulate", sigma: float = 1.0,
             test_labels: str = "noiseless", n_trials: int = 100, seed=0, method: str = "recursion",
             n_test: int | None = None, design=None, progress: Progress = None) -> LinregWorkflowEstimate:
    """Mean ± SE of the test error at iteration(s) t over ``n_trials`` runs (each run simulated to max t).

    Same keywords as :func:`model_collapse.theory.linreg_workflow.predict` plus ``n_trials``, ``seed``,
    ``method`` ("recursion": the exact increment recursion of the OLS fits, default; "refit": refit OLS on
    the stacked data every iteration, the authors' literal loop; accumulate-subsample always refits),
    ``n_test`` (finite test set as the authors; default: exact expectation over test inputs), ``design``
    (a fixed X shared by all trials: the twin of :func:`model_collapse.theory.linreg_workflow.predict_given_design`)
    and ``progress``. For n ∈ {d, d + 1} every run is finite but the expectation is infinite: the mean does
    not converge.
    """
    its = iterations(t)
    tr = trajectories(n, d, int(its.max()), workflow=workflow, sigma=sigma, test_labels=test_labels,
                      n_trials=n_trials, seed=seed, n_test=n_test, design=design, refit=(method == "refit"),
                      progress=progress)
    # the error is a sum of squares of terms linear in σ (and in w*): it overflows only when σ is too large
    require_representable("simulate", "test error", tr[:, its - 1], "sigma", sigma)
    e = estimate(tr[:, its - 1], axis=0)
    if np.ndim(t) == 0:
        e = MCEstimate(float(e.mean[0]), float(e.sem[0]), e.n_trials)
    else:
        e = MCEstimate(e.mean.reshape(np.shape(t)), e.sem.reshape(np.shape(t)), e.n_trials)
    return LinregWorkflowEstimate(test_error=e, n_trials=int(n_trials))

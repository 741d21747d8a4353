"""Monte-Carlo twin of :mod:`theory.gaussian_workflow`: iterative Gaussian fitting, three workflows.

The experiment is exactly docs/theory.md §5 / the "Collapse or Thrive?" code, simulated in units of σ
(truth N(0, I_d); the mean error and W₂² are multiplied by σ² at the end, the ratios are scale free).
Iteration 1 fits the n real points; iteration t + 1 fits

- ``replace``: the n points drawn from the iteration-t fit;
- ``accumulate``: all t·n points so far (real + synthetic);
- ``accumulate-subsample``: n points drawn **without replacement** from that pool of t·n points
  (at t = 1 the pool is the real data itself).

Per iteration the simulator records ‖μ̂_t‖², tr Σ̂_t/d, det Σ̂_t (and log det Σ̂_t when n > d; for d = 1
the squared Wasserstein-2 distance (μ̂_t)² + (σ̂_t − 1)² to the truth).

Methods (same law, different cost):

- ``"sufficient"`` (default for replace and accumulate): never draws the n×d points. A new sample's
  mean and scatter are independent, N(μ̂_t, Σ̂_t/n) and Wishart_d(n − 1, Σ̂_t); the Wishart draw uses the
  Bartlett factor (lower triangular B with B_ii² ~ χ²_{n−i}, B_ij ~ N(0, 1)). Everything lives in the
  span of the real data's scatter (rank r = min(d, n − 1)) and is carried in those r coordinates:
  replace multiplies the covariance factor by B/√m (no Cholesky, no loss of precision while the
  covariance collapses by hundreds of orders of magnitude); accumulate applies the exact pooled
  updates μ̂_{t+1} = μ̂_t + (x̄_new − μ̂_t)/(t + 1) and scatter_{t+1} = scatter_t + W + (tn/(t+1))·δδᵀ.
  Cost O(r³) per iteration instead of O(n·d²), vectorised across trials.
- ``"samples"``: draws the points as the authors do (one trial at a time). Accumulate uses the same
  pooled recursion on the explicit points; ``refit=True`` instead refits the mean and covariance on
  the whole concatenated pool every iteration (the authors' literal loop; for the recursion == refit
  test). Accumulate-subsample always uses this method: it keeps the pool, but draws each synthetic
  point only if a later subsample will select it (the subsample indices are drawn first; a point that
  is never selected cannot influence anything, so the law is unchanged and about half the work is saved).

Randomness: one generator per trial from ``SeedSequence(seed)``; a trial's numbers do not depend on the
batching, and the same seed gives identical output.
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
    parallel_map,
    trial_generators,
    worker_count,
)
from model_collapse.numerics import require_representable
from model_collapse.theory.gaussian_workflow import DIM, ESTIMATOR, ITERATION, N_SAMPLES
from model_collapse.validation import (
    POSITIVE,
    POSITIVE_INT,
    SEED,
    InvalidParameterError,
    Options,
    renamed,
    validate,
)

__all__ = ["WORKFLOWS", "GaussianWorkflowEstimate", "trajectories", "simulate"]

WORKFLOWS = ("replace", "accumulate", "accumulate-subsample")
WORKFLOW = Options(WORKFLOWS)
METHOD = Options(("auto", "sufficient", "samples"))
METRICS = ("mean_sq_error", "cov_trace_ratio", "cov_det_ratio", "log_det_ratio", "w2_squared")


@dataclass(frozen=True)
class GaussianWorkflowEstimate:
    """Mean ± SE over trials of each metric at the requested iterations (shape of t).

    Same fields as :class:`model_collapse.theory.gaussian_workflow.GaussianWorkflowPrediction`.
    ``log_det_ratio`` (E log(det Σ̂_t/det Σ₀)) is None when n ≤ d (det Σ̂_t = 0); ``w2_squared`` is None
    unless d = 1.
    """

    mean_sq_error: MCEstimate
    cov_trace_ratio: MCEstimate
    cov_det_ratio: MCEstimate
    log_det_ratio: MCEstimate | None
    w2_squared: MCEstimate | None
    n_trials: int

    def as_dict(self) -> dict:
        """name -> {"mean", "se"} (lists when t is an array); metrics that are None are left out."""
        return {k: getattr(self, k).as_dict() for k in METRICS if getattr(self, k) is not None}


def _bartlett(rng: np.random.Generator, dof: int, r: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` Bartlett factors of Wishart_r(dof, I): (strict-lower normals, diagonal χ² draws)."""
    lower = rng.standard_normal((count, r * (r - 1) // 2))
    chi2 = rng.chisquare(dof - np.arange(r), size=(count, r))
    return lower, chi2


def _assemble(lower: np.ndarray, chi2: np.ndarray, r: int) -> np.ndarray:
    """Batch of lower-triangular Bartlett factors B from their parts (batch, r, r)."""
    B = np.zeros((lower.shape[0], r, r))
    il = np.tril_indices(r, -1)
    B[:, il[0], il[1]] = lower
    idx = np.arange(r)
    B[:, idx, idx] = np.sqrt(chi2)
    return B


def _draw_sufficient(rng: np.random.Generator, n: int, d: int, t: int):
    """All random inputs of one sufficient-statistics trial, in a fixed order."""
    r = min(d, n - 1)
    e1 = rng.standard_normal(d) / np.sqrt(n)  # μ̂₁ − μ₀ ~ N(0, I/n)
    if n - 1 >= d:  # real-data scatter ~ Wishart_d(n − 1, I) = L Lᵀ (Bartlett)
        lower, chi2 = _bartlett(rng, n - 1, d, 1)
        U = _assemble(lower, chi2, d)[0]
    else:  # rank n − 1: scatter = YᵀY, Y (n − 1)×d standard normal
        U = rng.standard_normal((n - 1, d)).T
    lower, chi2 = _bartlett(rng, n - 1, r, t - 1)
    g = rng.standard_normal((t - 1, r))
    return e1, U, lower, chi2, g


def _sufficient_batch(n, d, t, workflow, estimator, rngs):
    """Trajectories of a batch of trials with the sufficient-statistics recursion (module docstring)."""
    b = len(rngs)
    r = min(d, n - 1)
    draws = [_draw_sufficient(g, n, d, t) for g in rngs]
    e1 = np.stack([x[0] for x in draws])
    U = np.stack([x[1] for x in draws])
    lower = np.stack([x[2] for x in draws])
    chi2 = np.stack([x[3] for x in draws])
    gs = np.stack([x[4] for x in draws])
    M = np.swapaxes(U, 1, 2) @ U  # (b, r, r)
    v = np.einsum("bdr,bd->br", U, e1)
    e1sq = np.einsum("bd,bd->b", e1, e1)
    full_rank = r == d
    logdet_M = np.linalg.slogdet(M)[1] if full_rank else None
    m1 = n if estimator == "mle" else n - 1
    eye = np.broadcast_to(np.eye(r), (b, r, r))
    a = np.zeros((b, r))
    out = {k: np.empty((b, t)) for k in ("mean_sq_error", "cov_trace_ratio", "log_det_ratio")}
    if workflow == "replace":
        R = eye / np.sqrt(m1)
    else:
        K = np.array(eye)
        R = np.linalg.cholesky(K / m1)
    for s in range(1, t + 1):
        j = s - 1
        out["mean_sq_error"][:, j] = e1sq + 2.0 * np.einsum("br,br->b", v, a) + np.einsum("br,brq,bq->b", a, M, a)
        out["cov_trace_ratio"][:, j] = np.einsum("brq,brq->b", M @ R, R) / d
        if full_rank:
            diag = np.abs(np.diagonal(R, axis1=1, axis2=2))
            out["log_det_ratio"][:, j] = logdet_M + 2.0 * np.sum(np.log(diag), axis=1)
        if s == t:
            break
        B = _assemble(lower[:, j], chi2[:, j], r)
        Rg = np.einsum("brq,bq->br", R, gs[:, j])
        RB = R @ B
        if workflow == "replace":
            a = a + Rg / np.sqrt(n)
            R = RB / np.sqrt(m1)
        else:
            a = a + Rg / (np.sqrt(n) * (s + 1))
            K = K + RB @ np.swapaxes(RB, 1, 2) + (s / (s + 1.0)) * Rg[:, :, None] * Rg[:, None, :]
            m_next = (s + 1) * n if estimator == "mle" else (s + 1) * n - 1
            R = np.linalg.cholesky(K / m_next)
    if full_rank:
        out["cov_det_ratio"] = np.exp(out["log_det_ratio"])
    else:
        out["cov_det_ratio"] = np.zeros((b, t))
        out["log_det_ratio"] = None
    return out


def _factor(cov: np.ndarray, singular: bool) -> np.ndarray:
    """F with F Fᵀ = cov: Cholesky when positive definite, else from the eigen-decomposition."""
    if not singular:
        try:
            return np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            pass
    # Singular (n ≤ d): the symmetric square root, which (unlike an eigenvector basis, whose signs and
    # order are arbitrary) is a continuous function of cov, so rounding differences stay small.
    w, Q = np.linalg.eigh(cov)
    w = np.where(w > w[-1] * w.size * np.finfo(float).eps, w, 0.0)  # the rank is at most n − 1
    return (Q * np.sqrt(w)) @ Q.T


def _fit(x: np.ndarray, estimator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample mean, scatter (centred, Σ(x − x̄)(x − x̄)ᵀ) and fitted covariance of the rows of x."""
    mu = x.mean(axis=0)
    xc = x - mu
    scatter = xc.T @ xc
    m = x.shape[0]
    return mu, scatter, scatter / (m if estimator == "mle" else m - 1)


def _record(out, j, mu, cov, n, d):
    out["mean_sq_error"][j] = mu @ mu
    out["cov_trace_ratio"][j] = np.trace(cov) / d
    if n > d:
        sign, logdet = np.linalg.slogdet(cov)
        out["log_det_ratio"][j] = logdet if sign > 0 else -np.inf
        out["cov_det_ratio"][j] = np.exp(logdet) if sign > 0 else 0.0
    else:
        out["cov_det_ratio"][j] = 0.0


def _samples_trial(n, d, t, workflow, estimator, rng, refit):
    """One trial with explicit points (the authors' experiment)."""
    out = {k: np.zeros(t) for k in ("mean_sq_error", "cov_trace_ratio", "cov_det_ratio", "log_det_ratio")}
    singular = n <= d
    data = rng.standard_normal((n, d))
    if workflow == "accumulate-subsample":
        return _subsample_trial(n, d, t, estimator, rng, data, out)
    mu, scatter, cov = _fit(data, estimator)
    m = n
    pool = data
    for s in range(1, t + 1):
        _record(out, s - 1, mu, cov, n, d)
        if s == t:
            break
        new = mu + rng.standard_normal((n, d)) @ _factor(cov, singular).T
        if workflow == "replace":
            mu, scatter, cov = _fit(new, estimator)
        elif refit:
            pool = np.concatenate([pool, new])
            mu, scatter, cov = _fit(pool, estimator)
        else:  # pooled update of mean and scatter
            mu_new, scatter_new, _ = _fit(new, estimator)
            delta = mu_new - mu
            scatter = scatter + scatter_new + (m * n / (m + n)) * np.outer(delta, delta)
            mu = mu + delta * (n / (m + n))
            m += n
            cov = scatter / (m if estimator == "mle" else m - 1)
    return out


def _subsample_trial(n, d, t, estimator, rng, data, out):
    """Accumulate-subsample: pool of t·n points, n drawn without replacement each iteration."""
    singular = n <= d
    selections = [None] + [rng.choice(s * n, size=n, replace=False) for s in range(2, t + 1)]
    needed = np.zeros(t * n, dtype=bool)
    for sel in selections[1:]:
        needed[sel] = True
    pool = np.empty((t * n, d))
    pool[:n] = data
    for s in range(1, t + 1):
        sub = data if s == 1 else pool[selections[s - 1]]
        mu, _, cov = _fit(sub, estimator)
        _record(out, s - 1, mu, cov, n, d)
        if s == t:
            break
        rows = np.flatnonzero(needed[s * n : (s + 1) * n]) + s * n
        if rows.size:
            pool[rows] = mu + rng.standard_normal((rows.size, d)) @ _factor(cov, singular).T
    return out


@renamed(sigma2="variance")
@validate(n=N_SAMPLES, d=DIM, t=ITERATION, workflow=WORKFLOW, estimator=ESTIMATOR, variance=POSITIVE,
          n_trials=POSITIVE_INT, seed=SEED, method=METHOD)
def trajectories(n: int, d: int, t: int, *, workflow: str = "accumulate", estimator: str = "mle",
                 variance: float = 1.0, n_trials: int = 100, seed: int = 0, method: str = "auto",
                 refit: bool = False, progress: Progress = None) -> dict[str, np.ndarray | None]:
    """Per-trial metric trajectories: name -> array (n_trials, t) for iterations 1..t (see module doc).

    ``method="auto"`` is ``"sufficient"`` for replace/accumulate and ``"samples"`` for
    accumulate-subsample (which has no sufficient-statistics form). ``refit`` (samples method,
    accumulate only) refits on the concatenated pool instead of the pooled recursion.
    """
    if np.ndim(t) != 0:
        raise InvalidParameterError.of("t", "trajectories", "must be a single int (the last iteration).")
    n, d, t = int(n), int(d), int(t)
    if method == "auto":
        method = "samples" if workflow == "accumulate-subsample" else "sufficient"
    if method == "sufficient" and workflow == "accumulate-subsample":
        raise InvalidParameterError.of(
            "method", "trajectories", "must be 'samples' or 'auto' for accumulate-subsample "
            "(the subsample needs the pool of points). Got 'sufficient' instead."
        )
    refit = bool(refit)
    rngs = trial_generators(seed, n_trials)
    keys = ("mean_sq_error", "cov_trace_ratio", "cov_det_ratio", "log_det_ratio")
    out = {k: np.empty((n_trials, t)) for k in keys}
    r = min(d, n - 1)
    if method == "sufficient":
        first = next(batches(n_trials, per_trial_floats=t * (r * r // 2 + 2 * r) + 12 * r * r))
        workers = worker_count(n_trials)
        size = max(1, min(len(first), -(-n_trials // workers)))  # at least one chunk per core
        chunks = [range(i, min(i + size, n_trials)) for i in range(0, n_trials, size)]

        def run(chunk):
            return _sufficient_batch(n, d, t, workflow, estimator, [rngs[i] for i in chunk])

        done = 0
        for chunk, res in zip(chunks, parallel_map(run, chunks), strict=True):
            for k in keys:
                out[k][chunk.start : chunk.stop] = np.nan if res[k] is None else res[k]
            done += len(chunk)
            if progress is not None:
                progress(done, n_trials)
    else:
        def one(i):
            return _samples_trial(n, d, t, workflow, estimator, rngs[i], refit)

        for i, res in enumerate(map_trials(one, n_trials)):
            for k in keys:
                out[k][i] = res[k]
            if progress is not None:
                progress(i + 1, n_trials)
    if n <= d:
        out["log_det_ratio"] = None
    out["mean_sq_error"] *= variance
    out["w2_squared"] = None
    if d == 1:
        out["w2_squared"] = out["mean_sq_error"] + variance * (np.sqrt(out["cov_trace_ratio"]) - 1.0) ** 2
    return out


def _scaled_estimate(x: np.ndarray) -> MCEstimate:
    """:func:`estimate` over trials after dividing each iteration by its largest |value|: a collapsing
    determinant reaches 1e-230, whose squared deviations would underflow to a zero SE."""
    scale = np.max(np.abs(x), axis=0)
    scale = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
    e = estimate(x / scale, axis=0)
    return MCEstimate(mean=e.mean * scale, sem=e.sem * scale, n_trials=e.n_trials)


@renamed(sigma2="variance")
@validate(n=N_SAMPLES, d=DIM, t=ITERATION, workflow=WORKFLOW, estimator=ESTIMATOR, variance=POSITIVE,
          n_trials=POSITIVE_INT, seed=SEED, method=METHOD)
@blas_capped
def simulate(n: int, d: int, t, *, workflow: str = "accumulate", estimator: str = "mle",
             variance: float = 1.0, n_trials: int = 100, seed=0, method: str = "auto",
             refit: bool = False, progress: Progress = None) -> GaussianWorkflowEstimate:
    """Mean ± SE over ``n_trials`` runs of every metric at iteration(s) t (an int or an array of ints).

    Same keywords as :func:`model_collapse.theory.gaussian_workflow.predict` plus ``n_trials``, ``seed``,
    ``method``, ``refit`` (accumulate, samples method: refit on the concatenated pool, the authors' literal
    loop) and ``progress``. Each run is simulated to max(t); the fields are read at t.
    """
    its = iterations(t)
    tr = trajectories(n, d, int(its.max()), workflow=workflow, estimator=estimator, variance=variance,
                      n_trials=n_trials, seed=seed, method=method, refit=refit, progress=progress)
    for key in ("mean_sq_error", "w2_squared"):  # the only fields scaled by σ²
        if tr[key] is not None:
            require_representable("simulate", key.replace("_", " "), tr[key][:, its - 1], "variance", variance,
                                  power=1.0)

    def est(key):
        if tr[key] is None:
            return None
        e = _scaled_estimate(tr[key][:, its - 1])
        if np.ndim(t) == 0:
            return MCEstimate(float(e.mean[0]), float(e.sem[0]), e.n_trials)
        shape = np.shape(t)
        return MCEstimate(e.mean.reshape(shape), e.sem.reshape(shape), e.n_trials)

    return GaussianWorkflowEstimate(n_trials=int(n_trials), **{k: est(k) for k in METRICS})

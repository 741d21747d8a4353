"""Monte-Carlo twin of :mod:`theory.kde_workflow`: Gaussian-kernel KDE refitted on its own samples.

The experiment is the "Collapse or Thrive?" KDE loop (docs/theory.md §5), in numpy/scipy only (no
scikit-learn): iteration 1 fits the KDE on the n real points; each iteration records the mean negative
log-likelihood of ``n_test`` held-out real points (nats per point, scikit-learn's normalised Gaussian
kernel: log p̂(x) = log Σ_i exp(−|x − y_i|²/(2h²)) − log m − (D/2)·log(2πh²)), then draws n points from
the fitted KDE (a uniform training point plus N(0, h²I)). Workflows: ``replace`` (fit the n newest points),
``accumulate`` (all t·n points so far), ``accumulate-subsample`` (n drawn without replacement from them).

Per iteration and trial the simulator records

- ``nll``: the held-out NLL (its expectation is ≥ the theory's annealed NLL at every n, → it as n → ∞);
- ``variance_growth``: v_t = (1/(mD))·Σ_{y∈F_t}|y|² + h_t² − (1/(nD))·Σ_{y∈D₀}|y|², whose expectation is
  exactly E A_t (the expected model's added variance per coordinate) for every dataset and every n: a point
  of F_t is its real ancestor (uniform over D₀, whatever D₀ is) plus independent zero-mean kernel noise;
- ``kernel_count``: the frequency, among the n points drawn from M_t at the last iteration, of K kernel
  draws on their ancestral line (k = 0..t), carried as an integer label per point; its expectation is
  exactly P(K_t = k) (Stirling numbers of the first kind under accumulate).

Cost. The kernel sums over the training set are additive: with a fixed h under accumulate the log-sum for
each test point is carried from one iteration to the next and only the n new points are scored against
the test set (O(n·n_test·D) per iteration instead of O(t·n·n_test·D)). When the bandwidth changes with t
(``scott``/``silverman`` under accumulate) every kernel changes, so the whole pool is rescored each
iteration (O(t·n·n_test) per iteration, O(t²·n·n_test) per run). ``method="direct"`` always rescores
the whole training set (the reference for the equality test). Vectorised over the trials of a batch;
batches run on a thread per core.

Datasets (numpy re-implementations of scikit-learn's generators, same laws, own random streams):
``gaussian`` N(0, I_D); ``blobs`` make_blobs (3 centres uniform in [−10, 10]², cluster_std 1, counts
n//3 (+1 for the first n mod 3)), centres drawn per trial unless ``centers`` is given; ``circles``
make_circles(noise 0.05, factor 0.8, angles on a grid); ``moons`` make_moons(noise 0.05, angles on a grid);
``swiss-roll`` make_swiss_roll(noise 0.05), 3-D. ``blobs_quirk=True`` reproduces the authors' test set:
a second make_blobs call with **different random centres** (default off: the test set uses the training
centres, or ``test_centers``).

Randomness: one generator per trial from ``SeedSequence(seed)``; trial i uses only generator i, so the
results do not depend on the batching.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from model_collapse.arrays import iterations
from model_collapse.montecarlo.trials import MCEstimate, Progress, blas_capped, estimate, parallel_map, trial_generators
from model_collapse.theory.kde_workflow import (
    BLOB_STD,
    CIRCLES_FACTOR,
    DATASET,
    DATASET_DIM,
    DIM,
    FINITE_POSITIVE,
    ITERATION,
    N_POINTS,
    NOISE,
    RULE,
    WORKFLOW,
    WORKFLOWS,
)
from model_collapse.validation import (
    POSITIVE_INT,
    SEED,
    Interval,
    InvalidParameterError,
    Options,
    check_param,
    validate,
)

__all__ = ["WORKFLOWS", "KdeEstimate", "make_dataset", "trajectories", "simulate"]

METHOD = Options(("auto", "fast", "direct"))
N_TEST = Interval(Integral, 1, None, closed="left")


@dataclass(frozen=True)
class KdeEstimate:
    """Mean ± SE over trials at the requested iteration(s) t (the shape of t); ``kernel_count`` (length
    max(t) + 1, a diagnostic without a field in the prediction: see theory.kde_workflow.kernel_count_pmf) is the
    frequency of K = 0..max(t) kernel draws among the points sampled at the last iteration."""

    variance_growth: MCEstimate
    nll: MCEstimate
    kernel_count: MCEstimate
    n_trials: int

    def as_dict(self) -> dict:
        """name -> {"mean", "se"} (lists when t is an array)."""
        return {key: getattr(self, key).as_dict() for key in ("variance_growth", "nll")}


# --------------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------------


def _split(m: int) -> tuple[int, int]:
    return m // 2, m - m // 2


def make_dataset(dataset: str, m: int, rng: np.random.Generator, dim: int = 2, centers=None) -> np.ndarray:
    """m points of ``dataset`` (an (m, D) array), the law of scikit-learn's generator (module docstring)."""
    if dataset == "gaussian":
        return rng.standard_normal((m, dim))
    if dataset == "blobs":
        c = np.asarray(centers, dtype=float)
        k = c.shape[0]
        counts = np.full(k, m // k)
        counts[: m % k] += 1
        labels = np.repeat(np.arange(k), counts)
        return c[labels] + BLOB_STD * rng.standard_normal((m, 2))
    if dataset in ("circles", "moons"):
        n_out, n_in = _split(m)
        if dataset == "circles":
            a_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
            a_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
            X = np.concatenate([np.stack([np.cos(a_out), np.sin(a_out)], 1),
                                CIRCLES_FACTOR * np.stack([np.cos(a_in), np.sin(a_in)], 1)])
        else:
            a_out, a_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
            X = np.concatenate([np.stack([np.cos(a_out), np.sin(a_out)], 1),
                                np.stack([1 - np.cos(a_in), 1 - np.sin(a_in) - 0.5], 1)])
        return X + NOISE * rng.standard_normal((m, 2))
    tau = 1.5 * np.pi * (1 + 2 * rng.random(m))
    y = 21.0 * rng.random(m)
    X = np.stack([tau * np.cos(tau), y, tau * np.sin(tau)], axis=1)
    return X + NOISE * rng.standard_normal((m, 3))


def _random_centers(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-10.0, 10.0, size=(3, 2))  # make_blobs: centers=3, center_box=(-10, 10)


# --------------------------------------------------------------------------------------------------
# Kernel sums
# --------------------------------------------------------------------------------------------------

_CHUNK = 4096  # training points scored at once (memory: batch · n_test · chunk doubles)


_WORK = threading.local()  # per-thread reusable exponent buffer (fresh 10-MB arrays cost page faults)


def _buffer(shape: tuple[int, int, int]) -> np.ndarray:
    size = shape[0] * shape[1] * shape[2]
    buf = getattr(_WORK, "buf", None)
    if buf is None or buf.size < size:
        buf = _WORK.buf = np.empty(size)
    return buf[:size].reshape(shape)


def _log_kernel_sum(X: np.ndarray, Y: np.ndarray, h: float) -> np.ndarray:
    """log Σ_j exp(−|x_i − y_j|²/(2h²)) for a batch: X (b, T, D), Y (b, m, D) -> (b, T).

    One matrix product of augmented coordinates gives the exponents −|x − y|²/(2h²) ≤ 0 directly
    ([x/h², −|x|²/(2h²), 1]·[y, 1, −|y|²/(2h²)]), so exp cannot overflow. Exponents are clipped to
    [−700, 0] (exp stays a normal double: subnormal results are slow); a clipped term changes a sum
    ≥ 1e-280 by < 1e-21 relative. A test point whose sum is below 1e-280 (farther than ~36h from every
    training point) is recomputed exactly, shifted by its nearest point. Chunks combine by logaddexp."""
    inv = 1.0 / (h * h)
    centre = X.mean(axis=1, keepdims=True)  # translate: smaller |x|², |y|², less cancellation
    X, Y = X - centre, Y - centre
    xx = np.einsum("btd,btd->bt", X, X)
    Xa = np.concatenate([X * inv, (-0.5 * inv * xx)[:, :, None], np.ones(X.shape[:2] + (1,))], axis=2)
    out = None
    for start in range(0, Y.shape[1], _CHUNK):
        Yc = Y[:, start : start + _CHUNK]
        yy = np.einsum("bmd,bmd->bm", Yc, Yc)
        Ya = np.concatenate([Yc, np.ones(Yc.shape[:2] + (1,)), (-0.5 * inv * yy)[:, :, None]], axis=2)
        YaT = np.ascontiguousarray(np.swapaxes(Ya, 1, 2))
        E = _buffer((X.shape[0], X.shape[1], Yc.shape[1]))
        np.matmul(Xa, YaT, out=E)  # −|x − y|²/(2h²) up to rounding
        np.clip(E, -700.0, 0.0, out=E)
        np.exp(E, out=E)
        total = E.sum(axis=2)
        part = np.log(total)
        low = total < 1e-280
        if np.any(low):  # exact recomputation of the far test points
            bi, ti = np.nonzero(low)
            d2 = np.sum((X[bi, ti][:, None, :] - Yc[bi]) ** 2, axis=2)  # (k, c)
            dmin = d2.min(axis=1)
            part[bi, ti] = -0.5 * inv * dmin + np.log(np.exp(-0.5 * inv * (d2 - dmin[:, None])).sum(axis=1))
        out = part if out is None else np.logaddexp(out, part)
    return out


def _nll(log_sum: np.ndarray, m: int, h: float, D: int) -> np.ndarray:
    """Mean NLL over test points from log Σ_j exp(−|x − y_j|²/(2h²)) (b, T)."""
    return -(log_sum.mean(axis=1) - np.log(m) - 0.5 * D * np.log(2 * np.pi * h * h))


# --------------------------------------------------------------------------------------------------
# One batch of trials
# --------------------------------------------------------------------------------------------------


def _bandwidths(t: int, workflow: str, D: int, h, bandwidth, n: int) -> np.ndarray:
    """h_1..h_t (the simulator's own copy of scikit-learn's rules)."""
    if h is not None:
        return np.full(t, float(h))
    m = np.arange(1, t + 1) * n if workflow == "accumulate" else np.full(t, n)
    m = m.astype(float)
    if bandwidth == "scott":
        return m ** (-1.0 / (D + 4))
    return (m * (D + 2) / 4.0) ** (-1.0 / (D + 4))


def _batch(rngs, t, workflow, dataset, D, hs, n, n_test, centers, test_centers, quirk, method):
    b = len(rngs)
    fixed = bool(np.all(hs == hs[0]))
    real, test = [], []
    for g in rngs:  # each trial's own generator, in a fixed order: centres, training set, test set
        c = _random_centers(g) if (dataset == "blobs" and centers is None) else centers
        tc = test_centers
        if dataset == "blobs" and tc is None:
            tc = _random_centers(g) if quirk else c
        real.append(make_dataset(dataset, n, g, D, c))
        test.append(make_dataset(dataset, n_test, g, D, tc))
    X = np.stack(test)  # (b, T, D)
    pool = np.empty((b, t * n if workflow != "replace" else n, D))
    pool[:, :n] = np.stack(real)
    labels = np.zeros((b, pool.shape[1]), dtype=np.int64)  # kernel draws on each point's ancestral line
    base = np.einsum("bmd,bmd->b", pool[:, :n], pool[:, :n]) / (n * D)  # (1/(nD))·Σ_{D₀}|y|²
    sq_sum = base * n * D  # Σ_{y ∈ pool}|y|² (accumulate)
    nll = np.empty((b, t))
    vg = np.empty((b, t))
    counts = np.zeros((b, t + 1))
    log_sum = None
    ar = np.arange(b)[:, None]
    for s in range(1, t + 1):
        h = float(hs[s - 1])
        m_pool = s * n
        if workflow == "replace":
            F, Fl = pool, labels
            log_sum = _log_kernel_sum(X, F, h)
            vg[:, s - 1] = np.einsum("bmd,bmd->b", F, F) / (n * D) + h * h - base
        elif workflow == "accumulate":
            F, Fl = pool[:, :m_pool], labels[:, :m_pool]
            if method == "direct" or not fixed:
                log_sum = _log_kernel_sum(X, F, h)
            else:  # additive: only the newest block (the real data at s = 1) is scored
                new = _log_kernel_sum(X, pool[:, m_pool - n : m_pool], h)
                log_sum = new if log_sum is None else np.logaddexp(log_sum, new)
            vg[:, s - 1] = sq_sum / (m_pool * D) + h * h - base
        else:
            sel = np.stack([g.choice(m_pool, size=n, replace=False) for g in rngs])
            F, Fl = pool[ar, sel], labels[ar, sel]
            log_sum = _log_kernel_sum(X, F, h)
            vg[:, s - 1] = np.einsum("bmd,bmd->b", F, F) / (n * D) + h * h - base
        m_fit = F.shape[1]
        nll[:, s - 1] = _nll(log_sum, m_fit, h, D)
        # draw S_s from M_s: a uniform training point plus N(0, h²I)
        idx = np.stack([g.integers(m_fit, size=n) for g in rngs])
        noise = np.stack([g.standard_normal((n, D)) for g in rngs])
        new_pts = F[ar, idx] + h * noise
        new_lab = Fl[ar, idx] + 1
        if s == t:
            for i in range(b):
                counts[i] = np.bincount(new_lab[i], minlength=t + 1)[: t + 1] / n
            break
        if workflow == "replace":
            pool = new_pts
            labels = new_lab
        else:
            pool[:, m_pool : m_pool + n] = new_pts
            labels[:, m_pool : m_pool + n] = new_lab
            sq_sum = sq_sum + np.einsum("bmd,bmd->b", new_pts, new_pts)
    return {"nll": nll, "variance_growth": vg, "kernel_count": counts}


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def _check(dataset, dim, h, bandwidth, n, centers, test_centers, where) -> int:
    natural = DATASET_DIM[dataset]
    if natural is not None and dim is not None and int(dim) != natural:
        raise InvalidParameterError.of(
            "dim", where, f"must be {natural} (or None) for dataset {dataset!r}. Got {dim} instead."
        )
    if (h is None) == (bandwidth is None):
        raise InvalidParameterError(
            f"{where}: give exactly one of the 'h' parameter (a fixed bandwidth) and the 'bandwidth' parameter "
            "(a rule, 'scott' or 'silverman')."
        )
    if n is None:
        raise InvalidParameterError.of("n", where, "is required (points drawn per iteration).")
    if dataset != "blobs" and (centers is not None or test_centers is not None):
        given = "centers" if centers is not None else "test_centers"
        raise InvalidParameterError.of(given, where, "applies to dataset 'blobs' only.")
    for name, c in (("centers", centers), ("test_centers", test_centers)):
        if c is not None:
            c = np.asarray(c, dtype=float)
            if c.ndim != 2 or c.shape[1] != 2 or not np.all(np.isfinite(c)):
                raise InvalidParameterError.of(name, where, "must be a finite (k, 2) array.")
    return natural if natural is not None else (2 if dim is None else int(dim))


_SIM = dict(t=ITERATION, workflow=WORKFLOW, dataset=DATASET, dim=DIM, h=FINITE_POSITIVE, bandwidth=RULE,
            n=N_POINTS, centers=None, test_centers=None, n_trials=POSITIVE_INT, seed=None, n_test=N_TEST,
            method=METHOD)


@validate(**_SIM)
def trajectories(t: int, *, workflow: str = "accumulate", dataset: str = "gaussian", dim: int | None = None,
                 h: float | None = None, bandwidth: str | None = None, n: int | None = None, centers=None,
                 test_centers=None, n_trials: int = 100, seed=0, n_test: int = 500, blobs_quirk: bool = False,
                 method: str = "auto", progress: Progress = None) -> dict[str, np.ndarray]:
    """Per-trial records: ``nll`` and ``variance_growth`` (n_trials, t) for iterations 1..t, and
    ``kernel_count`` (n_trials, t + 1) at the last iteration (module docstring). ``method``: ``"fast"``
    (= ``"auto"``: carry the kernel sums when h is fixed) or ``"direct"`` (rescore every training point)."""
    if np.ndim(t) != 0:
        raise InvalidParameterError.of("t", "trajectories", "must be a single int (the last iteration).")
    check_param("seed", seed, SEED, "trajectories")
    D = _check(dataset, dim, h, bandwidth, n, centers, test_centers, "trajectories")
    t, n = int(t), int(n)
    hs = _bandwidths(t, workflow, D, h, bandwidth, n)
    centers = None if centers is None else np.asarray(centers, dtype=float)
    test_centers = None if test_centers is None else np.asarray(test_centers, dtype=float)
    rngs = trial_generators(seed, n_trials)
    pool_floats = (t * n if workflow != "replace" else n) * (D + 1)
    per_trial = pool_floats + 2 * n_test * min(_CHUNK, t * n) + n_test * D
    size = max(1, min(int(2.0e7 // per_trial), 16))
    workers = os.cpu_count() or 1
    size = max(1, min(size, -(-n_trials // workers)))
    chunks = [range(i, min(i + size, n_trials)) for i in range(0, n_trials, size)]

    def run(chunk):
        return _batch([rngs[i] for i in chunk], t, workflow, dataset, D, hs, n, int(n_test), centers, test_centers,
                      bool(blobs_quirk), method)

    out = {"nll": np.empty((n_trials, t)), "variance_growth": np.empty((n_trials, t)),
           "kernel_count": np.empty((n_trials, t + 1))}
    done = 0
    for chunk, res in zip(chunks, parallel_map(run, chunks), strict=True):
        for k in out:
            out[k][chunk.start : chunk.stop] = res[k]
        done += len(chunk)
        if progress is not None:
            progress(done, n_trials)
    return out


@validate(**_SIM)
@blas_capped
def simulate(t, *, workflow: str = "accumulate", dataset: str = "gaussian", dim: int | None = None,
             h: float | None = None, bandwidth: str | None = None, n: int | None = None, centers=None,
             test_centers=None, n_trials: int = 100, seed=0, n_test: int = 500, blobs_quirk: bool = False,
             method: str = "auto", progress: Progress = None) -> KdeEstimate:
    """Mean ± SE over ``n_trials`` runs at iteration(s) t (an int or an array of ints; each run goes to max t).

    Same setting keywords as :func:`theory.kde_workflow.predict` (``n`` is required here) plus
    ``n_trials``, ``seed``, ``n_test`` (held-out real points, default 500 as the authors), ``blobs_quirk``,
    ``method`` and ``progress``.
    """
    its = iterations(t)
    tr = trajectories(int(its.max()), workflow=workflow, dataset=dataset, dim=dim, h=h, bandwidth=bandwidth, n=n,
                      centers=centers, test_centers=test_centers, n_trials=n_trials, seed=seed, n_test=n_test,
                      blobs_quirk=blobs_quirk, method=method, progress=progress)

    def at_t(x):
        e = estimate(x[:, its - 1], axis=0)
        if np.ndim(t) == 0:
            return MCEstimate(float(e.mean[0]), float(e.sem[0]), e.n_trials)
        return MCEstimate(e.mean.reshape(np.shape(t)), e.sem.reshape(np.shape(t)), e.n_trials)

    return KdeEstimate(
        variance_growth=at_t(tr["variance_growth"]),
        nll=at_t(tr["nll"]),
        kernel_count=estimate(tr["kernel_count"], axis=0),
        n_trials=int(n_trials),
    )

"""Experiments on real data: the measured side of docs/real_data.md (no closed forms here).

The population is a data spectrum's n rows (:func:`model_collapse.data_spectra.empirical_spectrum`: the
centred features in Σ̂'s eigenbasis, e.g. the 1,797 digits) with a real regression target
(:func:`model_collapse.data_spectra.teacher`: parity ±1 by default). Each trial is one resampled split of
those rows (drawn without replacement): a held-out test set of real rows (the mixture: every pool row not
used for training; the retraining chain: ``n_test`` rows) and disjoint training rows; the reported error is
the mean squared error on the held-out rows against the REAL labels (the full test MSE, label noise
included). Ridge fits use the project's convention (1/n)‖Zw − y‖² + λ‖w‖², no
intercept (features and labels are centred by the population means).

- :func:`mixture_problem` + :func:`simulate_mixture` (Strong Model Collapse on data, docs/theory.md §2): a
  generator w₂ = ridge(λ₀) on n₀ real rows (fixed, drawn once from ``seed``; those rows are never used
  again); synthetic rows are real images labelled by the generator (y = zᵀw₂, noise-free); the model is
  ridge on n₁ = n − n₂ real and n₂ = round(p₂n) synthetic rows.
- :func:`retrain_problem` + :func:`simulate_retraining` (Model Collapse Demystified on data, §4): generation
  1 is OLS on T₀ real rows with real labels; generation k = 2..n is OLS on T₀ fresh rows labelled by
  generation k − 1 plus N(0, σ₀²) noise (σ₀² = the data's residual variance); the downstream model is ridge
  on T fresh rows labelled by generation n plus N(0, σ²) (real labels when n = 0). Rows of one trial are
  drawn from the training pool without replacement within a fit, independently across fits.

Randomness: one generator per trial (:func:`model_collapse.montecarlo.trials.trial_generators`); the fixed
generator of :func:`mixture_problem` from ``SeedSequence(seed)``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np
from model_collapse import data_spectra
from model_collapse.montecarlo.language_model import default_text
from model_collapse.montecarlo.trials import MCEstimate, Progress, estimate, trial_generators
from model_collapse.validation import (
    NONNEGATIVE,
    NONNEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    PROBABILITY,
    InvalidParameterError,
    renamed,
    validate,
)
from threadpoolctl import threadpool_limits

__all__ = [
    "MixtureProblem",
    "MixtureMeasurement",
    "RetrainProblem",
    "RetrainMeasurement",
    "mixture_problem",
    "simulate_mixture",
    "retrain_problem",
    "simulate_retraining",
    "simulate_gaussian_mixture",
    "gaussian_surrogate",
    "word_tokens",
    "TextChainEstimate",
    "simulate_text_chain",
]


def _ridge(z: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """argmin (1/n)‖zw − y‖² + λ‖w‖² (λ = 0: least squares / minimum norm)."""
    n = z.shape[0]
    if lam == 0:
        if n >= z.shape[1]:  # OLS through the normal equations (full column rank for real rows; 5x faster)
            try:
                return np.linalg.solve(z.T @ z, z.T @ y)
            except np.linalg.LinAlgError:
                pass
        return np.linalg.lstsq(z, y, rcond=None)[0]
    g = z.T @ z / n
    g[np.diag_indices_from(g)] += lam
    return np.linalg.solve(g, z.T @ y / n)


def _mse(z: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    r = z @ w - y
    return float(np.sum(r * r) / z.shape[0])


@dataclass(frozen=True)
class MixtureProblem:
    """A data spectrum, its real target and a generator fit on n₀ real rows.

    eigenvalues ω (d,); teacher a = the population least-squares teacher's coordinates; shift b = w₂ − a
    (the generator minus the teacher); sigma2 = the population residual variance RSS/N; c2 = Σ ω b² (the
    generator's excess risk on the population); c2_heldout = the generator's excess MSE over the teacher on
    the rows not used to fit it (measured). coordinates, labels: the population rows; pool: rows available to
    the experiments (all but the generator's n₀).
    """

    spectrum: str
    target: str
    n0: int
    lam0: float
    eigenvalues: np.ndarray
    teacher: np.ndarray
    shift: np.ndarray
    sigma2: float
    c2: float
    c2_heldout: float
    coordinates: np.ndarray
    labels: np.ndarray
    pool: np.ndarray


@validate(n0=POSITIVE_INT, lam0=NONNEGATIVE)
def mixture_problem(spectrum: str = "data:digits", target: str = "parity", *, n0: int = 100, lam0: float = 1e-3,
                    seed=0) -> MixtureProblem:
    """Build the Strong-Model-Collapse experiment on data: teacher from all rows, generator from n₀ of them."""
    emp = data_spectra.empirical_spectrum(spectrum)
    t = data_spectra.teacher(spectrum, target)
    if not n0 < emp.n:
        raise InvalidParameterError.of("n0", "mixture_problem", f"must be < {emp.n} (the population). "
                                    f"Got {n0} instead.")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng = np.random.default_rng(ss)
    perm = rng.permutation(emp.n)
    gen_rows, pool = perm[:n0], np.sort(perm[n0:])
    z, y = emp.coordinates, t.labels
    w2 = _ridge(z[gen_rows], y[gen_rows], lam0)
    b = w2 - t.coefficients
    bb = b * b if b.ndim == 1 else np.sum(b * b, axis=1)
    diff = z[pool] @ b
    return MixtureProblem(spectrum=str(spectrum), target=target, n0=int(n0), lam0=float(lam0),
                          eigenvalues=np.array(emp.eigenvalues), teacher=np.array(t.coefficients), shift=b,
                          sigma2=t.sigma2, c2=float(np.sum(emp.eigenvalues * bb)),
                          c2_heldout=float(np.sum(diff * diff) / pool.size), coordinates=z, labels=y, pool=pool)


@dataclass(frozen=True)
class MixtureMeasurement:
    """Held-out test MSE (real labels) of ridge on the mix, mean ± SE over resampled splits."""

    test_error: MCEstimate
    n_trials: int

    def as_dict(self) -> dict:
        return {"test_error": self.test_error.as_dict()}


@validate(n=POSITIVE_INT, p2=PROBABILITY, lam=POSITIVE, n_trials=POSITIVE_INT)
def simulate_mixture(problem: MixtureProblem, n: int, p2: float, lam: float, *, n_test: int | None = None,
                     n_trials: int = 40, seed=0, progress: Progress = None) -> MixtureMeasurement:
    """Ridge on n₁ = n − round(p₂n) real + round(p₂n) generator-labelled rows; held-out test MSE per split.

    ``n_test``: held-out rows per split (default: every pool row not used for training)."""
    n2 = int(round(p2 * n))
    n1 = int(n) - n2
    pool = problem.pool
    if n_test is None:
        n_test = pool.size - int(n)
    if not (isinstance(n_test, int | np.integer) and n_test >= 1):
        raise InvalidParameterError.of("n_test", "simulate_mixture", "must be a positive integer. Got "
                                    f"{n_test!r} instead.")
    if n + n_test > pool.size:
        raise InvalidParameterError.of("n", "simulate_mixture", f"must be <= {pool.size - n_test} (pool "
                                    f"{pool.size} minus n_test {n_test}). Got {n} instead.")
    z, y = problem.coordinates, problem.labels
    w2 = problem.teacher + problem.shift
    out = np.empty(n_trials)
    with threadpool_limits(limits=1):
        for i, rng in enumerate(trial_generators(seed, n_trials)):
            rows = pool[rng.permutation(pool.size)[: n_test + n]]
            test, real, syn = rows[:n_test], rows[n_test:n_test + n1], rows[n_test + n1:]
            zt = np.concatenate([z[real], z[syn]])
            yt = np.concatenate([y[real], z[syn] @ w2])
            out[i] = _mse(z[test], y[test], _ridge(zt, yt, float(lam)))
            if progress is not None:
                progress(i + 1, n_trials)
    return MixtureMeasurement(estimate(out), n_trials)


@dataclass(frozen=True)
class RetrainProblem:
    """A data spectrum with its real target, for the retraining chain: eigenvalues, teacher a, sigma2."""

    spectrum: str
    target: str
    eigenvalues: np.ndarray
    teacher: np.ndarray
    sigma2: float
    coordinates: np.ndarray
    labels: np.ndarray


def retrain_problem(spectrum: str = "data:digits+rbf:top=100", target: str = "parity") -> RetrainProblem:
    """The population of a data spectrum with a single-output target (parity or digit)."""
    if target not in ("parity", "digit"):
        raise InvalidParameterError.of("target", "retrain_problem", "must be parity or digit (one output). "
                                    f"Got {target!r} instead.")
    emp = data_spectra.empirical_spectrum(spectrum)
    t = data_spectra.teacher(spectrum, target)
    return RetrainProblem(str(spectrum), target, np.array(emp.eigenvalues), np.array(t.coefficients), t.sigma2,
                          emp.coordinates, t.labels)


@dataclass(frozen=True)
class RetrainMeasurement:
    """Held-out test MSE (real labels) of the downstream model after n generations, mean ± SE over trials."""

    test_error: MCEstimate
    n_trials: int

    def as_dict(self) -> dict:
        return {"test_error": self.test_error.as_dict()}


@validate(generations=NONNEGATIVE_INT, samples=POSITIVE_INT, generator_samples=POSITIVE_INT, lam=NONNEGATIVE,
          sigma=NONNEGATIVE, sigma0=NONNEGATIVE, n_test=POSITIVE_INT, n_trials=POSITIVE_INT)
def simulate_retraining(problem: RetrainProblem, generations: int, samples: int, generator_samples: int,
                        lam: float, *, sigma: float | None = None, sigma0: float | None = None, n_test: int = 500,
                        n_trials: int = 40, seed=0, progress: Progress = None) -> RetrainMeasurement:
    """The retraining chain on real rows (module docstring); sigma, sigma0 default to √sigma2 of the data."""
    z, y = problem.coordinates, problem.labels
    n_rows = z.shape[0]
    pool_size = n_rows - n_test
    for name, value in (("samples", samples), ("generator_samples", generator_samples)):
        if value > pool_size:
            raise InvalidParameterError.of(name, "simulate_retraining", f"must be <= {pool_size} (rows "
                                        f"minus n_test). Got {value} instead.")
    s = float(np.sqrt(problem.sigma2)) if sigma is None else float(sigma)
    s0 = float(np.sqrt(problem.sigma2)) if sigma0 is None else float(sigma0)
    out = np.empty(n_trials)
    with threadpool_limits(limits=1):
        for i, rng in enumerate(trial_generators(seed, n_trials)):
            perm = rng.permutation(n_rows)
            test, pool = perm[:n_test], perm[n_test:]
            w = None  # None = the real labels (nature)
            for _ in range(int(generations)):
                rows = pool[rng.permutation(pool_size)[:generator_samples]]
                lab = y[rows] if w is None else z[rows] @ w + s0 * rng.standard_normal(rows.size)
                w = _ridge(z[rows], lab, 0.0)
            rows = pool[rng.permutation(pool_size)[:samples]]
            lab = y[rows] if w is None else z[rows] @ w + s * rng.standard_normal(rows.size)
            out[i] = _mse(z[test], y[test], _ridge(z[rows], lab, float(lam)))
            if progress is not None:
                progress(i + 1, n_trials)
    return RetrainMeasurement(estimate(out), n_trials)


@dataclass(frozen=True)
class GaussianMixtureEstimate:
    """E‖ŵ − w₁‖²_Σ (excess risk, no label noise) over Gaussian designs, mean ± SE; field as the theory's."""

    total: MCEstimate
    n_trials: int

    def as_dict(self) -> dict:
        return {"total": self.total.as_dict()}


@validate(n=POSITIVE_INT, p2=PROBABILITY, lam=POSITIVE, sigma=NONNEGATIVE, sigma2=NONNEGATIVE, n_trials=POSITIVE_INT)
def simulate_gaussian_mixture(n: int, p2: float, lam: float, eigenvalues, teacher, shift, *, sigma=1.0, sigma2=None,
                              n_trials: int = 100, seed=0, progress: Progress = None) -> GaussianMixtureEstimate:
    """The Gaussian-design twin of :func:`theory.real_data.mixture_test_error` (same keywords, no include_noise):
    rows N(0, diag ω), a fixed teacher a and shift b, n₁ = n − round(p₂n) real rows y = xᵀa + σ₁ε and n₂
    synthetic rows y = xᵀ(a + b) + σ₂ε; ridge (1/n)‖Xw − y‖² + λ‖w‖². Per trial the label noise is integrated
    exactly given X: ‖R(Ga + G₂b) − a‖²_Σ + (σ₁²tr ΣRG₁R + σ₂²tr ΣRG₂R)/n, G_k = X_kᵀX_k/n, R = (G + λ)⁻¹.
    What it isolates: the deterministic equivalent's finite-d error, without the data's non-Gaussianity."""
    w = np.asarray(eigenvalues, dtype=float)
    a = np.asarray(teacher, dtype=float)
    b = np.asarray(shift, dtype=float)
    a, b = (x[:, None] if x.ndim == 1 else x for x in (a, b))
    d = w.size
    n2 = int(round(p2 * n))
    n1 = int(n) - n2
    s1 = float(sigma) ** 2
    s2 = s1 if sigma2 is None else float(sigma2) ** 2
    sq = np.sqrt(w)
    out = np.empty(n_trials)
    with threadpool_limits(limits=1):
        for i, rng in enumerate(trial_generators(seed, n_trials)):
            x = rng.standard_normal((int(n), d)) * sq
            g1 = x[:n1].T @ x[:n1] / n
            g2 = x[n1:].T @ x[n1:] / n
            r = np.linalg.inv(g1 + g2 + lam * np.eye(d))
            e = r @ ((g1 + g2) @ a + g2 @ b) - a
            rs = r * w[None, :] @ r  # R Σ R (R symmetric)
            noise = (s1 * np.sum(rs * g1) + s2 * np.sum(rs * g2)) / n
            out[i] = float(np.sum(w[:, None] * e * e)) + noise
            if progress is not None:
                progress(i + 1, n_trials)
    return GaussianMixtureEstimate(estimate(out), n_trials)


def gaussian_surrogate(problem, seed=0):
    """The same experiment on a Gaussian population of the same size: a copy of ``problem`` (a
    :class:`MixtureProblem` or :class:`RetrainProblem`) whose rows are N Gaussian vectors with EXACTLY the
    empirical covariance diag(ω) (centred and whitened), and whose labels are zᵀa + e with Gaussian residuals e
    orthogonal to the features, centred, of mean square exactly σ². Teacher, shift, spectrum and σ² are then
    the same, only the rows are Gaussian: the held-out protocol's finite-population effects stay, the data's
    non-Gaussianity goes (docs/real_data.md)."""
    rng = np.random.default_rng(seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed))
    z, y = problem.coordinates, problem.labels
    n, d = z.shape
    g = rng.standard_normal((n, d))
    g -= g.mean(axis=0)
    chol = np.linalg.cholesky(g.T @ g / n)
    g = np.linalg.solve(chol, g.T).T * np.sqrt(problem.eigenvalues)[None, :]
    e = rng.standard_normal(y.shape)
    e -= e.mean(axis=0)
    e -= g @ np.linalg.lstsq(g, e, rcond=None)[0]
    e *= np.sqrt(problem.sigma2 / (np.sum(e * e) / n))
    return dataclasses.replace(problem, coordinates=g, labels=g @ problem.teacher + e)


# ------------------------------------------------------------------------------------------------------------
# The statistical language model on real text (docs/theory.md §6, docs/real_data.md §4)
# ------------------------------------------------------------------------------------------------------------

TEXT_WORKFLOWS = ("fully-synthetic", "partially-synthetic")
SAMPLING = ("contiguous", "iid")


def word_tokens(text: str | None = None) -> np.ndarray:
    """The words of ``text`` (default: the Python Language Reference shipped with CPython,
    :func:`montecarlo.language_model.default_text`) as integer codes: lower case, maximal runs of the letters
    a-z (64,285 words, 3,118 types in CPython 3.11), in text order."""
    words = re.findall(r"[a-z]+", (default_text() if text is None else text).lower())
    if len(words) < 2:
        raise InvalidParameterError.of("text", "word_tokens", "must contain at least 2 words.")
    _, codes = np.unique(np.array(words), return_inverse=True)
    return codes.astype(np.int64)


@dataclass(frozen=True)
class TextChainEstimate:
    """Mean ± SE over trials of σ_m = ‖p⁽ᵐ⁾‖² at generations 1..m (``sq_norm``, arrays), of the first
    generation's σ₁ (``first_sq_norm``) and the corpus's S₀ = ‖p‖² (the law of all its tokens)."""

    sq_norm: MCEstimate
    first_sq_norm: MCEstimate
    s0: float
    n_trials: int

    def as_dict(self) -> dict:
        return {"sq_norm": self.sq_norm.as_dict(), "first_sq_norm": self.first_sq_norm.as_dict(), "s0": self.s0}


@renamed(generations="t")
@validate(real=POSITIVE_INT, synthetic=POSITIVE_INT, t=POSITIVE_INT, n_trials=POSITIVE_INT)
def simulate_text_chain(tokens, real: int, synthetic: int, t: int, *, workflow: str = "fully-synthetic",
                        sampling: str = "contiguous", n_trials: int = 40, seed=0,
                        progress: Progress = None) -> TextChainEstimate:
    """The language model of docs/theory.md §6 retrained on its own samples, started from REAL text, for
    generations 1..m, m = ``t`` (SED's m; t = 1 is the fit on the real tokens).

    Generation 1 is the empirical law of N = ``real`` tokens of the corpus: a contiguous block at a uniformly
    random offset (``sampling="contiguous"``: real text, with its burstiness) or N iid draws from the corpus
    law (``"iid"``: the theory's assumption). Generation m ≥ 2: ``fully-synthetic`` = the law of n =
    ``synthetic`` tokens drawn from generation m − 1; ``partially-synthetic`` = the same N real tokens plus n
    drawn from generation m − 1. σ_m = ‖p⁽ᵐ⁾‖² is exact per trial (no further sampling)."""
    if workflow not in TEXT_WORKFLOWS:
        raise InvalidParameterError.of("workflow", "simulate_text_chain", "must be one of "
                                    f"{', '.join(TEXT_WORKFLOWS)}. Got {workflow!r} instead.")
    if sampling not in SAMPLING:
        raise InvalidParameterError.of("sampling", "simulate_text_chain", "must be one of "
                                    f"{', '.join(SAMPLING)}. Got {sampling!r} instead.")
    tok = np.asarray(tokens, dtype=np.int64)
    if tok.ndim != 1 or real > tok.size:
        raise InvalidParameterError.of("real", "simulate_text_chain", "must be at most the number of "
                                    f"tokens {tok.size}. Got {real} instead.")
    vocab = int(tok.max()) + 1
    law = np.bincount(tok, minlength=vocab) / tok.size
    out = np.empty((n_trials, int(t)))
    for i, rng in enumerate(trial_generators(seed, n_trials)):
        if sampling == "contiguous":
            start = int(rng.integers(0, tok.size - real + 1))
            counts = np.bincount(tok[start:start + real], minlength=vocab)
        else:
            counts = rng.multinomial(real, law)
        first = counts / real
        p = first
        out[i, 0] = float(first @ first)
        for m in range(1, int(t)):
            support = np.flatnonzero(p)
            q = np.zeros(vocab)
            q[support] = rng.multinomial(synthetic, p[support] / p[support].sum()) / synthetic
            p = q if workflow == "fully-synthetic" else (real * first + synthetic * q) / (real + synthetic)
            out[i, m] = float(p @ p)
        if progress is not None:
            progress(i + 1, n_trials)
    return TextChainEstimate(estimate(out), estimate(out[:, 0]), float(law @ law), n_trials)

"""Monte-Carlo twin of :mod:`theory.random_projections`: random features f(x) = vᵀSx on real + synthetic data.

The data model is exactly docs/theory.md §3 (module docstring of :mod:`theory.random_projections`), simulated in
Σ's eigenbasis (Σ = diag(ω); S has a rotation-invariant law, so this loses nothing). Per trial:

1. S ∈ R^{m×d}, iid N(0, 1/d) (a fresh S per trial; ``form="quenched"`` keeps the one S that the quenched
   theory draws from ``seed``, so only the data vary).
2. X ∈ R^{n×d}, rows N(0, Σ): n₁ = n − n₂ real, n₂ = round(p₂n) synthetic. Teacher w₁ ~ N(0, Γ), shift
   δ ~ N(0, Δ); real labels Xw₁ + σ₁ε, synthetic labels X(w₁ + δ) + σ₂ε.
3. v = (ZᵀZ + nλI)⁻¹Zᵀy on the features Z = XSᵀ (λ = 0: the minimum-norm least-squares solution).
4. Test error E_x(vᵀSx − w₁ᵀx)² = ‖Sᵀv − w₁‖²_Σ, the excess risk on the real distribution
   (``include_noise`` adds σ₁²).

``method="sample"`` is that literal experiment; it uses no part of the theory. Its parts are the theory's,
computed from explicit objects of the trial: a₁ = C⁺SΣw₁ (the min-norm solution of Σ^{1/2}Sᵀa = Σ^{1/2}w₁),
rho = w₁ᵀΣw₁ − a₁ᵀCa₁, and by linearity of v in y: bias = ‖v(Za₁) − a₁‖²_C, zeta = ‖v(shift on synthetic rows
Z₂(a₂ − a₁))‖²_C, variance = ‖v(rest: residuals + noise)‖²_C. Per trial, total = rho + the three parts + cross
terms whose mean is zero, so the parts and the total are each unbiased, but the total is not their sum.

``method="conditional"`` (default) integrates the teacher, shift, residuals and noise out exactly given S and
the features. Given S, z = Sx ~ N(0, C) and each label is zᵀa_k plus a residual independent of z with
variance ρ_k(w), so the trial is the ridge mixture in dimension r = rank C (in C's eigenbasis, Gram matrices
Z_kᵀZ_k ~ Wishart_r(n_k, diag μ), drawn as factors by :func:`montecarlo.ridge_mixture.wishart_factor`) with noise
σ_k² + ρ_k, and :func:`montecarlo.ridge_mixture.unit_error_parts` gives the exact conditional expectations
(stable at every λ ≥ 0; the noise σ_k² + ρ_k enters as a standard deviation and is squared after scaling). Only the
diagonals of the projected priors in C's eigenbasis are used: the law of the features is invariant under sign
flips of those coordinates, so the off-diagonal terms have mean zero (exact for isotropic Σ, where the
projected priors are diagonal). This estimator relies on the reduction given S, which the literal
experiment checks (tests/test_random_projections.py: they agree within combined SEs, no allowance).

Randomness: one generator per trial from ``SeedSequence(seed)``
(:func:`model_collapse.montecarlo.trials.trial_generators`).
Cost per trial (conditional): an SVD of the m×d matrix S·Σ^{1/2} (singular values only for isotropic Σ) plus
~6r³ for the r×r ridge algebra, r = min(m, d).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from model_collapse.arrays import require_scalars
from model_collapse.montecarlo.ridge_mixture import (
    _ridge_weights,
    _sq,
    unit_error_parts,
    wishart_factor,
)
from model_collapse.montecarlo.trials import (
    MCEstimate,
    Progress,
    blas_capped,
    estimate,
    single_threaded_blas,
    trial_generators,
)
from model_collapse.numerics import noise_and_prior_scales, refuse_unrepresentable, times_square, unit_total
from model_collapse.projections import sample_projection
from model_collapse.theory import ridge_mixture as rm
from model_collapse.theory.random_projections import FORM, PENALTY, project
from model_collapse.theory.ridge import spectrum_arrays
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE_INT,
    PROBABILITY,
    SEED,
    Options,
    validate,
)

__all__ = ["RPEstimate", "simulate"]

METHOD = Options(("conditional", "sample"))
_PARTS = ("rho", "bias", "variance", "zeta", "total")


@dataclass(frozen=True)
class RPEstimate:
    """Mean and standard error over trials of rho, bias, variance, zeta and the total test error.

    ``n2`` synthetic rows were simulated, round(p₂·n): compare with theory at ``p2_realised`` = n2/n.
    """

    rho: MCEstimate
    bias: MCEstimate
    variance: MCEstimate
    zeta: MCEstimate
    total: MCEstimate
    n_trials: int
    n2: int
    n: int

    @property
    def p2_realised(self) -> float:
        return self.n2 / self.n

    def as_dict(self) -> dict:
        return {k: getattr(self, k).as_dict() for k in _PARTS}


def _conditional_trial(rng, S, w, gam, dlt, n1, n2, lam_n):
    """(ρ₁, bias, v₁, v₂, zeta, ρ₂) of one trial given S; variance = (σ₁² + ρ₁)v₁ + (σ₂² + ρ₂)v₂."""
    spec = project(S, w, gam, dlt)
    mu = spec.eigenvalues
    r = mu.size
    if r == 0:  # no features: v = 0, the error is w₁ᵀΣw₁ = ρ₁
        return spec.rho1, 0.0, 0.0, 0.0, 0.0, spec.rho2
    F1 = wishart_factor(rng, n1, r)[None]
    F2 = wishart_factor(rng, n2, r)[None]
    # the energies t_j = Γ_C,jμ_j, e_j = Δ_C,jμ_j directly: Γ_C = t/μ overflows when μ ≈ 1e-273
    bias, v1, v2, zeta = unit_error_parts(F1, F2, lam_n, mu, spec.teacher, spec.shift)
    return spec.rho1, float(bias[0]), float(v1[0]), float(v2[0]), float(zeta[0]), spec.rho2


def _ridge_fit(Z: np.ndarray, Y: np.ndarray, lam_n: float, rank: int) -> np.ndarray:
    """v = (ZᵀZ + nλI)⁻¹ZᵀY for several right-hand sides (columns of Y); λ = 0: minimum-norm lstsq.

    Through the thin SVD Z = UsVᵀ truncated at the known rank (min(n, m, rank C)): v = V·diag(s/(s² + nλ))·UᵀY,
    stable at every λ ≥ 0 (the numerically-null singular values never enter) and continuous as λ → 0.
    """
    U, s, Vt = np.linalg.svd(Z, full_matrices=False)
    keep = (np.arange(s.size) < rank) & (s > 0)
    f, _q, _h = _ridge_weights(np.where(keep, s, 1.0), lam_n)
    f = np.where(keep, f, 0.0)
    return Vt.T @ (f[:, None] * (U.T @ Y))


def _sample_trial(rng, S, w, gam, dlt, n1, n2, lam_n, s1, s2):
    d = w.size
    sw = np.sqrt(w)
    X = rng.standard_normal((n1 + n2, d)) * sw
    w1 = rng.standard_normal(d) * np.sqrt(gam)
    dl = rng.standard_normal(d) * np.sqrt(dlt)
    eps = rng.standard_normal(n1 + n2)
    noise = np.concatenate([s1 * eps[:n1], s2 * eps[n1:]])
    Z = X @ S.T
    # Best linear predictors of xᵀw from z = Sx: a = C⁺SΣw = min-norm solution of (SΣ^{1/2})ᵀa = Σ^{1/2}w.
    # The teacher and the shift are projected separately (a₂ − a₁ = a_δ by linearity): their scales may
    # differ by 1e90 (r² = 1e100, c² = 1e10), and a difference of two projections would lose the shift.
    Bt = (S * sw).T
    A, _res, rank, _sv = np.linalg.lstsq(Bt, np.stack([sw * w1, sw * dl], axis=1), rcond=None)
    a1, ad = A[:, 0], A[:, 1]
    y_teacher = Z @ a1
    y_shift = np.concatenate([np.zeros(n1), Z[n1:] @ ad])
    # The rest, formed from its own pieces (not y − y_teacher − y_shift, which cancels): residuals of the
    # teacher and the shift outside the features, plus noise.
    resid = (X @ w1 - y_teacher) + np.concatenate([np.zeros(n1), X[n1:] @ dl - Z[n1:] @ ad]) + noise
    y = y_teacher + y_shift + resid
    V = _ridge_fit(Z, np.stack([y, y_teacher, y_shift, resid], axis=1), lam_n, min(n1 + n2, int(rank)))
    C = (S * w) @ S.T
    cnorm = lambda v: _sq(np.sqrt(w) * (S.T @ v))  # noqa: E731  vᵀCv as a sum of squares
    e = S.T @ V[:, 0] - w1
    total = _sq(sw * e)
    rho = _sq(sw * w1 - Bt @ a1)  # ‖Σ^{1/2}w₁ − (SΣ^{1/2})ᵀa₁‖² = w₁ᵀΣw₁ − a₁ᵀCa₁, without the cancellation
    del C
    return rho, cnorm(V[:, 1] - a1), cnorm(V[:, 3]), cnorm(V[:, 2]), total


@validate(n=POSITIVE_INT, m=POSITIVE_INT, p2=PROBABILITY, lam=NONNEGATIVE, sigma=NONNEGATIVE, sigma2=NONNEGATIVE,
          penalty=PENALTY, form=FORM, projection_seed=SEED, n_trials=POSITIVE_INT, seed=SEED, method=METHOD)
@blas_capped
def simulate(
    n: int,
    m: int,
    p2: float,
    lam: float,
    eigenvalues,
    *,
    c2: float = 1.0,
    r2: float = 1.0,
    sigma: float = 1.0,
    sigma2: float | None = None,
    gamma=None,
    delta=None,
    penalty: str = "mean",
    include_noise: bool = False,
    form: str = "deterministic",
    projection_seed=0,
    n_trials: int = 100,
    seed=0,
    method: str = "conditional",
    progress: Progress = None,
) -> RPEstimate:
    """Simulate the random-projections test error.

    Same keywords as :func:`model_collapse.theory.random_projections.predict` (except its quadrature option
    ``nodes_per_panel``) plus ``n_trials``, ``seed``, ``method``, ``progress``.

    Scalar settings (n, m positive integers). ``form="deterministic"`` (default): a fresh S per trial, the
    average the deterministic theory predicts. ``form="quenched"``: the fixed S of
    :func:`model_collapse.projections.sample_projection` (m, d, ``projection_seed``), the quenched theory's
    S; the data (and only the data) are resampled from ``seed``.
    Returns mean ± SE over ``n_trials`` of rho, bias, variance, zeta and total (``method``: module docstring).
    """
    require_scalars("simulate", n=n, m=m, p2=p2, lam=lam, sigma=sigma, sigma2=sigma2)
    w, _ = spectrum_arrays(eigenvalues, None, "simulate")
    gam, dlt = rm.resolve_priors(w, np.ones_like(w), r2, c2, gamma, delta, "simulate")
    n, m, d = int(n), int(m), w.size
    n2 = int(round(p2 * n))
    n1 = n - n2
    lam_n = float(rm.effective_lambda(lam, n, penalty)) * n
    s1 = float(sigma)
    s2 = s1 if sigma2 is None else float(sigma2)
    fixed = sample_projection(m, d, projection_seed) if form == "quenched" else None
    rngs = trial_generators(seed, n_trials)
    out = np.empty((5, n_trials))
    with single_threaded_blas(), np.errstate(over="ignore"):
        for i, rng in enumerate(rngs):
            S = fixed if fixed is not None else rng.standard_normal((m, d)) / np.sqrt(d)
            if method == "conditional":
                rho, bias, v1, v2, zeta, rho2 = _conditional_trial(rng, S, w, gam, dlt, n1, n2, lam_n)
                # noise σ_k² + ρ_k as a standard deviation, squared only after scaling
                var = float(times_square(np.hypot(s1, np.sqrt(rho)), v1)
                            + times_square(np.hypot(s2, np.sqrt(rho2)), v2))
                out[:, i] = (rho, bias, var, zeta, rho + bias + var + zeta)
            else:
                out[:, i] = _sample_trial(rng, S, w, gam, dlt, n1, n2, lam_n, s1, s2)
            if progress is not None:
                progress(i + 1, n_trials)
    if include_noise:
        with np.errstate(over="ignore"):
            out[4] = out[4] + times_square(s1, 1.0)
    if not np.all(np.isfinite(out)):  # finite in exact arithmetic, beyond float64: name the scale, its range
        setting = dict(n=n, m=m, p2=p2, lam=lam, eigenvalues=eigenvalues, gamma=gamma, delta=delta, r2=r2, c2=c2,
                       penalty=penalty, include_noise=include_noise, form=form, projection_seed=projection_seed,
                       n_trials=n_trials, seed=seed, method=method)
        refuse_unrepresentable("simulate", lambda name: unit_total(simulate, setting, name, sigma2 is not None),
                               noise_and_prior_scales(sigma, sigma2, r2, c2, gamma, delta),
                               fallback="sigma" if gamma is None else "gamma")
    parts = {k: estimate(row) for k, row in zip(_PARTS, out, strict=True)}
    return RPEstimate(**parts, n_trials=n_trials, n2=n2, n=n)

"""What every ridge-mixture closed form shares: the result record, the priors Γ, Δ and the penalty convention.

Used by :mod:`theory.ridge_mixture` (one covariance), :mod:`theory.covariate_shift` (synthetic rows with
their own covariance), :mod:`theory.mixing` and :mod:`theory.random_projections`, and by their simulators,
so that none of them imports another for these pieces (docs/theory.md §2).

- :class:`RidgeMixtureRisk`: E_test ≃ bias + variance + zeta, with κ and u.
- :func:`resolve_priors`: the diagonals Γ_ii, Δ_ii of the teacher and shift priors in Σ's eigenbasis, given
  as arrays or, from numbers only, the isotropic defaults Γ = (r²/tr Σ)·I and Δ = (c²/tr Σ)·I (so that
  r² = tr ΓΣ is the signal and c² = tr ΔΣ the synthetic-data quality).
- :func:`effective_lambda` and ``PENALTY``: ``penalty="mean"`` (default) is the objective
  (1/n)‖Xw − y‖² + λ‖w‖²; ``penalty="sum"`` is ‖Xw − y‖² + λ‖w‖², i.e. λ/n in the default convention.

Also importable from :mod:`theory.ridge_mixture`, where they were first defined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from model_collapse.arrays import plain
from model_collapse.numerics import FLOAT_MAX
from model_collapse.theory.spectrum import isotropic_prior
from model_collapse.validation import NONNEGATIVE, InvalidParameterError, Options, check_param

__all__ = ["PENALTY", "RidgeMixtureRisk", "resolve_priors", "effective_lambda"]

PENALTY = Options(("mean", "sum"))


@dataclass(frozen=True)
class RidgeMixtureRisk:
    """E_test ≃ bias + variance + zeta (= total; + σ₁² when include_noise), with κ and u.

    Arrays of the broadcast shape of the inputs (0-d arrays for scalar inputs).
    """

    bias: np.ndarray
    variance: np.ndarray
    zeta: np.ndarray
    total: np.ndarray
    kappa: np.ndarray
    u: np.ndarray

    def as_dict(self) -> dict[str, float]:
        keys = ("bias", "variance", "zeta", "total", "kappa", "u")
        return {k: plain(getattr(self, k)) for k in keys}


def resolve_priors(w, m, r2, c2, gamma, delta, where):
    """Γ and Δ diagonals: the given arrays, or the isotropic defaults (r²/tr Σ)·I and (c²/tr Σ)·I."""
    if gamma is None:
        check_param("r2", r2, NONNEGATIVE, where)
        gam = isotropic_prior(w, r2, m)
    else:
        gam = np.broadcast_to(np.asarray(gamma, dtype=float), w.shape).copy()
        check_param("gamma", gam, NONNEGATIVE, where)
    if delta is None:
        check_param("c2", c2, NONNEGATIVE, where)
        dlt = isotropic_prior(w, c2, m)
    else:
        dlt = np.broadcast_to(np.asarray(delta, dtype=float), w.shape).copy()
        check_param("delta", dlt, NONNEGATIVE, where)
    trace = float(np.sum(m * w))
    for name, value, prior in (("r2", r2, gam), ("c2", c2, dlt)):
        if not np.all(np.isfinite(prior)):  # r²/tr Σ overflows when tr Σ is tiny
            raise InvalidParameterError.of(
                name, where, f"must be in the range [0, {FLOAT_MAX * trace:.4g}] for this "
                f"spectrum (the prior {name}/tr Σ, tr Σ = {trace:.4g}, would exceed the float64 range). "
                f"Got {value!r} instead.")
    return gam, dlt


def effective_lambda(lam, n, penalty: str):
    """λ in the default (1/n)‖Xw − y‖² + λ‖w‖² convention."""
    lam = np.asarray(lam, dtype=float)
    return lam / np.asarray(n, dtype=float) if penalty == "sum" else lam

"""Monte-Carlo twin of :func:`model_collapse.theory.ridge.ridge_risk`: clean ridge (no synthetic data).

The clean problem is the ridge mixture with p₂ = 0, so this delegates to
:func:`model_collapse.montecarlo.ridge_mixture.simulate` (same data model, same conditional-expectation
estimator, same validation). docs/theory.md §1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from model_collapse.montecarlo.ridge_mixture import simulate as simulate_mixture
from model_collapse.montecarlo.trials import MCEstimate
from model_collapse.validation import NONNEGATIVE, POSITIVE_INT, check_param

__all__ = ["RidgeEstimate", "simulate"]


@dataclass(frozen=True)
class RidgeEstimate:
    """Mean ± SE over trials of the clean-ridge bias, variance and total (fields of ``RidgeRisk``)."""

    bias: MCEstimate
    variance: MCEstimate
    total: MCEstimate
    n_trials: int

    def as_dict(self) -> dict:
        return {k: getattr(self, k).as_dict() for k in ("bias", "variance", "total")}


def simulate(lam, eigenvalues, n, teacher, sigma, multiplicities=None, *, n_trials: int = 100, seed=0,
             method: str = "conditional") -> RidgeEstimate:
    """Simulate E‖ŵ − w‖²_Σ for ridge on n clean samples; keywords as :func:`model_collapse.theory.ridge.ridge_risk`.

    ``teacher`` = Γ_ii ≥ 0 (prior variances in Σ's eigenbasis). Every other argument is validated by the
    ridge-mixture simulator, which names it.
    """
    w = np.asarray(eigenvalues, dtype=float)
    gam = np.broadcast_to(np.asarray(teacher, dtype=float), w.shape)
    check_param("teacher", gam, NONNEGATIVE, "simulate")
    check_param("n", n, POSITIVE_INT, "simulate")
    est = simulate_mixture(n, 0.0, lam, w, sigma=sigma, gamma=gam, delta=np.zeros_like(w),
                           multiplicities=multiplicities, n_trials=n_trials, seed=seed, method=method)
    return RidgeEstimate(bias=est.bias, variance=est.variance, total=est.total, n_trials=n_trials)

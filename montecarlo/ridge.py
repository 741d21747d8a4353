"""Monte-Carlo twin of :func:`theory.ridge.ridge_risk`: clean ridge (no synthetic data).

The clean problem is the ridge mixture with p₂ = 0, so this delegates to
:func:`montecarlo.ridge_mixture.simulate` (same data model, same conditional-expectation estimator).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model_collapse.montecarlo.trials import MCEstimate
from model_collapse.montecarlo.ridge_mixture import simulate as simulate_mixture

__all__ = ["RidgeEstimate", "simulate"]


@dataclass(frozen=True)
class RidgeEstimate:
    bias: MCEstimate
    variance: MCEstimate
    total: MCEstimate
    n_trials: int


def simulate(lam, eigenvalues, n, teacher, sigma, multiplicities=None, *, n_trials: int = 100, seed: int = 0,
             method: str = "conditional") -> RidgeEstimate:
    """Simulate E‖ŵ − w‖²_Σ for ridge on n clean samples; keywords as :func:`theory.ridge.ridge_risk`."""
    w = np.asarray(eigenvalues, dtype=float)
    est = simulate_mixture(n, 0.0, lam, w, sigma=sigma, gamma=teacher, delta=np.zeros_like(w),
                           multiplicities=multiplicities, n_trials=n_trials, seed=seed, method=method)
    return RidgeEstimate(bias=est.bias, variance=est.variance, total=est.total, n_trials=n_trials)

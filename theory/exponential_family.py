"""π²/6 beyond Gaussians: the risk of an exponential family's mean refitted on its own samples (docs/theory.md §5.4).

The mean parameter θ of a Bernoulli (the two-token language model), Poisson or exponential family is fitted by
its MLE, the sample mean, on n real points (fit 1) and then, per fit t ≥ 2, on n more points drawn from the
previous fit, under ``accumulate`` or ``replace``. :func:`family_risk_ratio` is the exact ratio
E(θ̂_t − θ)²/E(θ̂_1 − θ)² at every finite n and :func:`family_risk_ratio_limit` its t → ∞ limit (Euler's
products); all three tend to π²/6 as n → ∞ under accumulate (Dey & Donoho's universality), as the Gaussian
mean does. Also importable from :mod:`theory.language_model`.
Simulator twin: :func:`montecarlo.language_model.simulate_family`.
"""

from __future__ import annotations

import math

import numpy as np
from model_collapse.theory.lm_chain import COUNT, GENERATION, _gens, _out
from model_collapse.validation import Options, validate

__all__ = ["FAMILIES", "family_risk_ratio", "family_risk_ratio_limit"]

FAMILIES = ("bernoulli", "poisson", "exponential")
FAMILY_WORKFLOWS = ("accumulate", "replace")


def _family_factor(family: str, n: int, t: np.ndarray, workflow: str) -> np.ndarray:
    """The exact product/sum behind :func:`family_risk_ratio` (see there), as the ratio v_t/v_1."""
    t = np.asarray(t, dtype=float)
    if workflow == "replace":
        if family == "bernoulli":
            return n * (1.0 - (1.0 - 1.0 / n) ** t)
        if family == "poisson":
            return t
        return n * ((1.0 + 1.0 / n) ** t - 1.0)
    if family == "poisson":
        return np.array([float(np.sum(1.0 / np.arange(1, int(k) + 1, dtype=float) ** 2)) for k in t.ravel()]
                        ).reshape(t.shape)
    sign = -1.0 if family == "bernoulli" else 1.0
    out = np.empty(t.shape).ravel()
    for i, k in enumerate(t.ravel()):
        j = np.arange(1, int(k) + 1, dtype=float)
        with np.errstate(divide="ignore"):  # bernoulli, n = 1: the first factor is 0 (the fit is a Dirac)
            out[i] = sign * n * (math.exp(float(np.sum(np.log1p(sign / (n * j * j))))) - 1.0)
    return out.reshape(t.shape)


@validate(family=Options(FAMILIES), workflow=Options(FAMILY_WORKFLOWS), n=COUNT, t=GENERATION)
def family_risk_ratio(family: str, n: int, t: int | np.ndarray, *, workflow: str = "accumulate"):
    """π²/6 beyond Gaussians: E(θ̂_t − θ)² / E(θ̂_1 − θ)² for the mean parameter θ of an exponential family,
    fitted by its MLE (the sample mean) on n real points (fit 1) and then, per fit t ≥ 2, on n more points
    drawn from the previous fit: ``accumulate`` (fit all points so far, θ̂_t = mean of the t block means) or
    ``replace`` (fit only the newest n). Exact at every finite n, independent of θ:

    - bernoulli (θ = p; the s = 2 language model): accumulate n·[1 − ∏_{k≤t}(1 − 1/(nk²))] → n(1 − sin x/x),
      x = π/√n, **below** π²/6 (the fitted variance p̂(1 − p̂) shrinks); replace n(1 − (1 − 1/n)^t) → n;
    - poisson (θ = λ): accumulate Σ_{k≤t} 1/k² → π²/6 exactly (the variance λ̂ is a martingale); replace t;
    - exponential (θ = the mean μ): accumulate n·[∏_{k≤t}(1 + 1/(nk²)) − 1] → n(sinh x/x − 1), **above** π²/6;
      replace n((1 + 1/n)^t − 1).

    Derivation: v_{t+1} = v_t + E Var(x̄ | θ̂_t)/(t + 1)² (accumulate; replace: without the (t + 1)²) with
    Var(x̄ | θ̂) = θ̂(1 − θ̂)/n, θ̂/n, θ̂²/n and E θ̂_t = θ. All three → π²/6 as n → ∞ (Dey & Donoho's
    universality: Σ_j W_j/j for asymptotically linear estimators; for the exponential *rate* 1/μ̂, which is
    not a mean, only this asymptotic statement holds). docs/theory.md §5.4.
    """
    return _out(_family_factor(family, int(n), _gens(t), workflow), t)


@validate(family=Options(FAMILIES), n=COUNT, workflow=Options(FAMILY_WORKFLOWS))
def family_risk_ratio_limit(family: str, n: int, *, workflow: str = "accumulate") -> float:
    """lim_{t→∞} of :func:`family_risk_ratio`: accumulate n(1 − sin x/x) (bernoulli), π²/6 (poisson),
    n(sinh x/x − 1) (exponential), x = π/√n (Euler's products); replace n (bernoulli: the fit collapses
    to 0 or 1) or inf (poisson, exponential: the error grows without bound)."""
    if workflow == "replace":
        return float(n) if family == "bernoulli" else math.inf
    x = math.pi / math.sqrt(n)
    if family == "poisson":
        return math.pi**2 / 6.0
    if family == "bernoulli":
        return float(n * (1.0 - math.sin(x) / x))
    return float(n * (math.sinh(x) / x - 1.0))

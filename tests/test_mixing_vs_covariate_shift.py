"""Two independent derivations agree: weighted mixing (theory.mixing, a commuting one-covariance resolvent) is
the two-population covariate-shift engine (theory.covariate_shift) with each population's rows scaled by the
square root of its loss weight.

Weighted ridge with row weights α₁ = (1 − a)/p₁, α₂ = a/p₂ on the (1/n)-scaled loss equals pooled ridge on rows
√α_k·x and labels √α_k·y: population k then has covariance α_kΣ, the same teacher, and noise std √α_k·σ_k.
The shift engine measures the error on its Σ₁ = α₁Σ, so its numbers are α₁ times the weighted-mixing error on
Σ; Γ and Δ are passed explicitly (the engine normalises default priors by tr Σ₁, mixing by tr Σ). No tolerance
beyond round-off: the two codes solve different fixed points (2-D vs 1-D) for the same resolvent.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model_collapse.theory import covariate_shift, mixing


@st.composite
def weighted_settings(draw):
    d = draw(st.integers(20, 200))
    n = draw(st.floats(0.3, 5.0)) * d
    beta = draw(st.sampled_from([0.0, 0.5, 1.0, 1.5]))
    w = np.arange(1, d + 1, dtype=float) ** (-beta)
    p2 = draw(st.floats(0.05, 0.95))
    a = draw(st.floats(0.02, 0.98))
    lam = draw(st.floats(1e-3, 1.0))
    return dict(n=n, p2=p2, lam=lam, w=w, a=a, c2=draw(st.floats(0.0, 3.0)), sigma=draw(st.floats(0.1, 2.0)),
                sigma2=draw(st.floats(0.0, 2.0)))


@settings(max_examples=40, deadline=None)
@given(weighted_settings())
def test_weighted_mixing_is_the_two_population_engine_with_weighted_covariances(s):
    w, p1, p2, a = s["w"], 1 - s["p2"], s["p2"], s["a"]
    alpha1, alpha2 = (1 - a) / p1, a / p2
    gamma = np.full_like(w, 1.0 / w.sum())
    delta = np.full_like(w, s["c2"] / w.sum())
    mix = mixing.predict(s["n"], p2, s["lam"], w, weight=a, gamma=gamma, delta=delta, sigma=s["sigma"],
                         sigma2=s["sigma2"])
    shift = covariate_shift.predict(s["n"], p2, s["lam"], alpha1 * w, eigenvalues2=alpha2 * w, gamma=gamma,
                                    delta=delta, sigma=np.sqrt(alpha1) * s["sigma"],
                                    sigma2=np.sqrt(alpha2) * s["sigma2"])
    for field in ("bias", "variance", "zeta", "total"):
        assert float(np.ravel(getattr(mix, field))[0]) == pytest.approx(float(getattr(shift, field)) / alpha1,
                                                                         rel=1e-9, abs=1e-14), field


def test_twin_unscaled_noise_breaks_the_identity():
    """Twin: forgetting that the labels are scaled too (noise σ_k instead of √α_k·σ_k) changes the variance."""
    w = np.arange(1, 101, dtype=float) ** -1.0
    p2, a = 0.3, 0.6
    alpha1, alpha2 = (1 - a) / (1 - p2), a / p2
    gamma = np.full_like(w, 1.0 / w.sum())
    mix = mixing.predict(150.0, p2, 0.01, w, weight=a, gamma=gamma, delta=gamma, sigma=1.0)
    wrong = covariate_shift.predict(150.0, p2, 0.01, alpha1 * w, eigenvalues2=alpha2 * w, gamma=gamma, delta=gamma,
                                    sigma=1.0)
    assert float(np.ravel(mix.variance)[0]) != pytest.approx(float(wrong.variance) / alpha1, rel=1e-3)

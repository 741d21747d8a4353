"""Domain-named hypothesis strategies for the ridge problems."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Spectra for the certification of the float numerics: wide dynamic range, 1-64 eigenvalues.
spectra = hnp.arrays(np.float64, st.integers(1, 64), elements=st.floats(1e-8, 1e4))
lambdas = st.one_of(st.just(0.0), st.floats(1e-12, 1e3))


@st.composite
def kappa_cases(draw):
    """(lam, eigenvalues, n) with λ ∈ {0} ∪ [1e-12, 1e3] and d/n ∈ [1e-3, 1e3] (n real)."""
    w = draw(spectra)
    lam = draw(lambdas)
    log_ratio = draw(st.floats(-3, 3))
    n = w.size / 10**log_ratio
    return lam, w, n


@st.composite
def named_spectrum(draw, d):
    beta = draw(st.one_of(st.just(0.0), st.floats(0.5, 1.5)))
    return np.arange(1, d + 1, dtype=float) ** (-beta)


@st.composite
def mixture_settings(draw, d_range=(100, 160)):
    """A simulation-sized ridge-mixture setting, away from the interpolation threshold.

    Contract: |n/d − 1| ≥ 0.3 (the finite-size allowance 1/|n − d| would otherwise dominate);
    both n < d and n > d are drawn.
    """
    d = draw(st.integers(*d_range))
    ratio = draw(st.one_of(st.floats(0.3, 0.7), st.floats(1.5, 4.0)))
    n = int(round(ratio * d))
    return dict(
        n=n,
        p2=draw(st.floats(0.0, 1.0)),
        lam=draw(st.one_of(st.just(0.0), st.floats(1e-3, 1.0))),
        eigenvalues=draw(named_spectrum(d)),
        c2=draw(st.floats(0.0, 4.0)),
        r2=draw(st.floats(0.5, 2.0)),
        sigma=draw(st.floats(0.1, 1.0)),
        sigma2=draw(st.floats(0.1, 1.0)),
    )

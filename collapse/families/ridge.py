"""`ridge`: ridge regression on n samples, a fraction p2 synthetic (Strong Model Collapse, docs/theory.md §2).

Theory :func:`model_collapse.theory.ridge_mixture.predict`, simulator
:func:`model_collapse.montecarlo.ridge_mixture.simulate`; with ``spectrum2`` the synthetic rows have their own
covariance (covariate shift, docs/covariate_shift.md).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
from model_collapse.families import common
from model_collapse.params import Family, Hooks


def ridge_allowance(n: int, d: int) -> float:
    """The stated finite-size allowance of a ridge deterministic equivalent at (n, d): 2(1/|n − d| + 1/d).

    Deterministic equivalents are exact only as n, d → ∞; their correction has this shape (e.g. OLS
    E tr(X'X)⁻¹ = d/(n − d − 1), not d/(n − d)). Measured worst case 0.84× (bias 1.24×) of the bracket."""
    return 2.0 * (1.0 / abs(n - d) + 1.0 / d)


def keywords(values) -> dict:
    s = common.mixture_keywords(values)
    if "eigenvalues2" in s:
        from model_collapse.theory.covariate_shift import second_spectrum

        second_spectrum(s["eigenvalues2"], s["eigenvalues"], "predict")
    return s


def notes(values) -> None:
    common.note_realised_p2(values.n, values.p2)


def cost(values, command: str) -> tuple[list[tuple[str, float]], float]:
    """Largest allocations (bytes, with the parameter that drives each) and floating-point work."""
    common.resolve_dimension(values)
    d, n = float(values.d), float(values.n)
    items = [("d", 8.0 * 24 * d)]  # the spectrum and the spectral sums
    if command == "predict":
        return items, 200.0 * d
    sample = values.method == "sample"
    items.append(("d", 8.0 * 12 * d * d))  # one trial's Gram matrices and ridge algebra
    if sample:
        items.append(("n", 8.0 * 6 * n * d))
    items.append(("trials", 8.0 * 4 * values.trials))
    per = 6 * d**3 + (2 * n * d * d if sample else min(n, d) * d * d)
    return items, values.trials * per


FAMILY = Family(
    name="ridge_mixture",
    cli="ridge",
    help="ridge regression on n samples, a fraction p2 synthetic (Strong Model Collapse)",
    predict="model_collapse.theory.ridge_mixture:predict",
    simulate="model_collapse.montecarlo.ridge_mixture:simulate",
    params=(*common.MIXTURE, common.SPECTRUM2, common.PENALTY, common.MSE),
    hooks=Hooks(keywords=keywords, cost=cost, notes=notes),
    fields=("bias", "variance", "zeta", "total"),
    reference=MappingProxyType(dict(n=300, p2=0.3, lam=0.01, eigenvalues=np.ones(60), c2=1.0, sigma=0.5)),
    n_trials=200,
    allowance=ridge_allowance(300, 60),
    perturbed=lambda s: {**s, "c2": 0.0},
    perturbed_note="the collapse term ζ left out (synthetic labels treated as clean)",
    figures=("strong_collapse", "smc_covariate_shift", "real_digits_mixture"),
    methods=("conditional", "sample"),
    note="Strong Model Collapse: ridge on n samples, a fraction p2 synthetic (docs/theory.md §2).",
    broadcast=frozenset({"n", "p2", "lam", "sigma", "sigma2"}),
    cli_reference=("--n", "300", "--d", "60", "--p2", "0.3", "--c2", "1", "--lam", "0.01", "--sigma", "0.5"),
)

"""`ridge`: ridge regression on n samples, a fraction p2 synthetic (Strong Model Collapse, docs/theory.md §2).

Theory :func:`model_collapse.theory.ridge_mixture.predict`, simulator
:func:`model_collapse.montecarlo.ridge_mixture.simulate`; with ``spectrum2`` the synthetic rows have their own
covariance (covariate shift, docs/covariate_shift.md).

``finite_size`` (default ``exact``): one convention per answer, printed as ``convention``. ``exact`` where a
finite-sample law is known for every field (λ = 0 Gaussian design, integer n, n ≥ d any Σ or Σ = sI, and ζ exact:
c² = 0 or p₂ ∈ {0, 1}; e.g. variance σ̄²d/(n − d − 1)); otherwise the deterministic equivalent (``asymptotic``).
An asymptotic answer at λ = 0 whose variance alone has an exact law adds it as ``variance_exact``.
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
    if getattr(values, "finite_size", None) is not None:  # predict only
        s["finite_size"] = values.finite_size
    if "eigenvalues2" in s:
        from model_collapse.theory.covariate_shift import second_spectrum

        second_spectrum(s["eigenvalues2"], s["eigenvalues"], "predict")
    return s


def extras(values, s: dict, out: dict) -> None:
    """``convention`` (exact or asymptotic: every field of the answer follows it) and, in an asymptotic answer at
    λ = 0 whose variance has an exact finite-sample law, that law as ``variance_exact``."""
    from model_collapse.theory import ridge_mixture as th

    w = np.asarray(s["eigenvalues"], dtype=float)
    second = "eigenvalues2" in s and not np.array_equal(np.asarray(s["eigenvalues2"], dtype=float), w)
    c2_eff = float(np.sum(th.resolve_priors(w, np.ones_like(w), s["r2"], s["c2"], s.get("gamma"), None,
                                            "predict")[1] * w))
    exact = s.get("finite_size") == "exact" and th.exact_law_applies(values.n, values.p2, values.lam, w,
                                                                     np.ones_like(w), c2_eff, second)
    out["convention"] = "exact" if exact else "asymptotic"
    iso = bool(np.all(w == w[0]))
    if (not exact and values.lam == 0 and not second and np.all(w > 0) and (iso or values.n >= w.size)
            and float(values.n).is_integer()):
        sig2 = values.sigma if values.sigma2 is None else values.sigma2
        sbar2 = (1 - values.p2) * values.sigma**2 + values.p2 * sig2**2
        out["variance_exact"] = float(sbar2 * th.exact_variance_factor(values.n, w.size))


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
    predict_params=(common.FINITE_SIZE,),
    hooks=Hooks(keywords=keywords, cost=cost, notes=notes, extras=extras),
    extra_keys=("convention", "variance_exact"),
    theory_options=frozenset({"finite_size"}),  # the simulator is the experiment itself: no convention to choose
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

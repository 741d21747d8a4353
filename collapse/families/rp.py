"""`rp`: random projections f(x) = vᵀSx of width m on n samples, a fraction p2 synthetic (SMC, §3).

Σ in dimension d (isotropic by default), S ∈ R^{m×d} with iid N(0, 1/d) entries, v fit by ridge on n samples
of which a fraction p2 is synthetic. ``form = deterministic`` (default) is the deterministic equivalent (any
spectrum and prior: the MP law's free multiplicative convolution with Σ, two coupled fixed points, docs/theory.md
§3.3), ``quenched`` the exact reduction on one S drawn from ``projection_seed`` (any spectrum);
``simulate`` takes the same parameters (quenched: the same S, data resampled from ``seed``).
``best_m`` also answers the paper's question: the width that minimises the test error
(:func:`model_collapse.theory.model_size.best_model_size`) and whether adding parameters helps or hurts at the
given m (sign of :func:`model_collapse.theory.model_size.width_sensitivity`).
Defaults for the calculator's question "the test error for (n, m, p2, c2)": d = 1000, λ = 1e-3, σ = 0.5
(the settings of this project's SMC figures), isotropic Σ, r² = 1.
"""

from __future__ import annotations

import sys
import warnings
from types import MappingProxyType

import numpy as np
from model_collapse.families import common
from model_collapse.params import Family, Hooks, Param, Switch
from model_collapse.validation import SEED, InvalidParameterError, Options

D_NAMED_DEFAULT = 1000

PARAMS = (
    Param("m", common.COUNT, "model width (number of random features)"),
    common.N, common.replace(common.D, help="input dimension (default: 1000 with a named spectrum; a data:/file: "
                                        "spectrum gives its own)"), common.P2, common.C2,
    common.replace(common.LAM, default=1e-3, help="ridge penalty λ ≥ 0 for the (1/n)-scaled loss on the features "
                   "z = Sx"),
    common.replace(common.SIGMA, default=0.5),
    common.SIGMA2, common.R2,
    common.SPECTRUM,
    common.TEACHER, common.PENALTY, common.MSE,
    Param("form", Options(("deterministic", "quenched")), "deterministic: the deterministic equivalent (Marchenko-"
          "Pastur law convolved with Σ's spectrum, no sampling); quenched: the exact reduction on one sampled S",
          default="deterministic"),
    Param("projection_seed", SEED, "seed of the sampled S for form quenched", default=0),
)
BEST_M = Param("best_m", Switch(), "also print the width minimising the test error (best_m, best_total, "
               "limit_total = m → ∞, threshold_m) and m·dE/dm at m with 'helps'/'hurts'", default=False)


def keywords(values) -> dict:
    common.resolve_dimension(values, default=D_NAMED_DEFAULT)
    return {"m": values.m, **common.mixture_keywords(values, second_spectrum=False), "form": values.form,
            "projection_seed": values.projection_seed}


def check(values, command: str) -> None:
    if getattr(values, "best_m", False) and values.form == "quenched":
        raise InvalidParameterError.of("best_m", None, "needs {form} deterministic.", refs=("form",))


def notes(values) -> None:
    common.note_realised_p2(values.n, values.p2)


def extras(values, s: dict, out: dict) -> None:
    if not values.best_m:
        return
    from model_collapse.theory import model_size as ms

    kw = {k: s[k] for k in ("c2", "r2", "sigma", "sigma2", "penalty", "include_noise")}
    size = ms.best_model_size(s["n"], s["p2"], s["lam"], s["eigenvalues"], **kw)
    out.update(size.as_dict())
    if size.best_m == np.inf:
        warnings.warn("best_m: the test error keeps falling with the width towards its m → ∞ limit "
                      "(limit_total)", RuntimeWarning, stacklevel=2)
    slope = float(ms.width_sensitivity(s["n"], s["m"], s["p2"], s["lam"], s["eigenvalues"], **kw))
    out["width_sensitivity"] = slope
    if not (np.isfinite(slope) and np.isfinite(out["total"]) and np.isfinite(size.best_total)):
        out["adding_parameters"] = "undefined (an infinite test error: ridgeless at the interpolation threshold)"
        if not np.isfinite(slope):
            sys.stderr.write("collapse: warning: width_sensitivity is infinite at the interpolation threshold\n")
    else:
        out["adding_parameters"] = "helps" if slope < 0 else "hurts" if slope > 0 else "neutral"


def cost(values, command: str) -> tuple[list[tuple[str, float]], float]:
    common.resolve_dimension(values, default=D_NAMED_DEFAULT)
    d, m, n = float(values.d), float(values.m), float(values.n)
    r = min(m, d)
    simulate = command == "simulate"
    sample = simulate and values.method == "sample"
    items = [("d", 8.0 * 24 * d)]
    if values.form == "quenched" or simulate:
        items.append(("m" if m >= d else "d", 8.0 * 4 * m * d))  # S and S·Σ^(1/2)
        items.append(("m" if m <= d else "d", 8.0 * 12 * r * r))
    if sample:
        items.append(("n", 8.0 * 4 * n * (m + d)))
    if simulate:
        items.append(("trials", 8.0 * 5 * values.trials))
    per = m * d * r + 8 * r**3 + (2 * n * (m + d) * r if sample else 0.0)
    if not simulate:
        return items, per if values.form == "quenched" else 1e5
    return items, values.trials * per


FAMILY = Family(
    name="random_projections",
    cli="rp",
    help="random projections vᵀSx of width m on n samples, a fraction p2 synthetic (model size, double descent)",
    predict="model_collapse.theory.random_projections:predict",
    simulate="model_collapse.montecarlo.random_projections:simulate",
    params=PARAMS,
    predict_params=(BEST_M,),
    hooks=Hooks(keywords=keywords, check=check, extras=extras, cost=cost, notes=notes),
    extra_keys=("best_m", "best_total", "limit_total", "threshold_m", "width_sensitivity", "adding_parameters"),
    fields=("rho", "bias", "variance", "zeta", "total"),
    reference=MappingProxyType(dict(n=150, m=60, p2=0.3, lam=0.01, eigenvalues=np.ones(120), c2=1.0, sigma=0.5)),
    n_trials=150,
    # ridge corrections in dimension r = min(m, d) at sample size n, plus the finite-d MP correction;
    # the bias gets c = 4 (inverse second Wishart moments), see tests/test_random_projections.py.
    allowance=4.0 * (1.0 / abs(150 - 60) + 1.0 / 60 + 1.0 / abs(120 - 60)),
    perturbed=lambda s: {**s, "m": 2 * s["m"]},
    perturbed_note="the Marchenko-Pastur law of ratio m/n instead of m/d (the model read at twice its width)",
    figures=("smc_model_size", "smc_decomposition", "smc_pareto"),
    methods=("conditional", "sample"),
    theory_options=frozenset({"nodes_per_panel"}),
    signed_keys=frozenset({"width_sensitivity"}),
    note="Strong Model Collapse, random projections v'Sx of width m (docs/theory.md §3).",
    cli_reference=("--n", "150", "--m", "60", "--d", "120", "--p2", "0.3", "--c2", "1", "--lam", "0.01", "--sigma",
                   "0.5"),
)

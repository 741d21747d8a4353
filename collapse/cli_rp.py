"""`collapse predict rp` / `collapse simulate rp`: random projections f(x) = vᵀSx of width m (SMC, docs/theory.md §3).

Σ in dimension d (isotropic by default), S ∈ R^{m×d} with iid N(0, 1/d) entries, v fit by ridge on n samples
of which a fraction p2 is synthetic. ``--form deterministic`` (default) is the Marchenko–Pastur form
(isotropic Σ only), ``--form quenched`` the exact reduction on one S drawn from ``--projection-seed`` (any
spectrum); ``simulate`` takes the same flags (quenched: the same S, data resampled from ``--seed``).
``predict --best-m`` also answers the paper's question: the width that minimises the test error
(:func:`model_collapse.theory.model_size.best_model_size`) and whether adding parameters helps or
hurts at the given m (sign of :func:`model_collapse.theory.model_size.width_sensitivity`).

Defaults for the calculator's question "the test error for (n, m, p2, c2)": d = 1000, λ = 1e-3, σ = 0.5
(the settings of this project's SMC figures), isotropic Σ, r² = 1.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np
from model_collapse import _args
from model_collapse.theory import model_size as ms
from model_collapse.validation import InvalidParameterError

NAME = "rp"
FAMILY = "random_projections"
HELP = "random projections vᵀSx of width m on n samples, a fraction p2 synthetic (model size, double descent)"
EXTRA_KEYS = ("best_m", "best_total", "limit_total", "threshold_m", "width_sensitivity", "adding_parameters")


def add_setting_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--m", type=_args.positive_int, required=True, help="model width (number of random features)")
    _args.add_mixture_setting(
        p, lam_help="ridge penalty λ ≥ 0 for the (1/n)-scaled loss on the features z = Sx",
        spectrum_help=_args.SPECTRUM_FORMS + " (default: %(default)s; all but isotropic need --form quenched)",
        defaults={"d": 1000, "lam": 1e-3, "sigma": 0.5})
    _args.add_penalty_and_mse(p)
    p.add_argument("--form", choices=("deterministic", "quenched"), default="deterministic",
                   help="deterministic: Marchenko-Pastur, isotropic Σ; quenched: the exact reduction on one "
                        "sampled S, any spectrum (default: %(default)s)")
    p.add_argument("--projection-seed", type=_args.seed, default=0,
                   help="seed of the sampled S for --form quenched (default: %(default)s)")


def add_predict_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--best-m", action="store_true",
                   help="also print the width minimising the test error (best_m, best_total, limit_total = "
                        "m → ∞, threshold_m) and m·dE/dm at --m with 'helps'/'hurts'")


def setting(args) -> dict:
    return {"m": args.m, **_args.mixture_setting(args), "form": args.form, "projection_seed": args.projection_seed}


def notes(args) -> None:
    _args.note_realised_p2(args.n, args.p2)


def check_predict(args) -> None:
    if args.form == "deterministic" and args.spectrum.kind != "isotropic":
        raise InvalidParameterError("The '--spectrum' parameter must be 'isotropic' with --form deterministic "
                                    "(use --form quenched for other spectra).")


def predict_extras(args, s: dict, out: dict) -> None:
    if not getattr(args, "best_m", False):
        return
    if args.form == "quenched":
        raise InvalidParameterError("The '--best-m' parameter needs --form deterministic.")
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


def resources(args, simulate: bool) -> list[tuple[str, float]]:
    """Largest allocations in bytes, each with the flag that drives it."""
    _args.resolve_dimension(args)
    d, m, n = float(args.d), float(args.m), float(args.n)
    r = min(m, d)
    items = [("--d", 8.0 * 24 * d)]
    if args.form == "quenched" or simulate:
        items.append(("--m" if m >= d else "--d", 8.0 * 4 * m * d))  # S and S·Σ^(1/2)
        items.append(("--m" if m <= d else "--d", 8.0 * 12 * r * r))
    if simulate:
        if getattr(args, "method", "") == "sample":
            items.append(("--n", 8.0 * 4 * n * (m + d)))
        items.append(("--trials", 8.0 * 5 * args.trials))
    return items


def work(args, simulate: bool) -> float:
    _args.resolve_dimension(args)
    d, m, n = float(args.d), float(args.m), float(args.n)
    r = min(m, d)
    per = m * d * r + 8 * r**3 + (2 * n * (m + d) * r if getattr(args, "method", "") == "sample" else 0.0)
    if not simulate:
        return per if args.form == "quenched" else 1e5
    return args.trials * per

"""`collapse predict rp` / `collapse simulate rp`: random projections f(x) = vᵀSx of width m (SMC, docs/theory.md §3).

Isotropic Σ = I in dimension d, S ∈ R^{m×d} with iid N(0, 1/d) entries, v fit by ridge on n samples of which a
fraction p2 is synthetic. ``predict`` uses the deterministic (Marchenko–Pastur) form of
:func:`theory.random_projections.test_error`; ``--best-m`` also answers the paper's question: the width that
minimises the test error (:func:`theory.random_projections.best_model_size`) and whether adding parameters
helps or hurts at the given m (sign of :func:`theory.random_projections.width_sensitivity`).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from model_collapse import _args
from model_collapse.cli_ridge import _spectrum
from model_collapse.montecarlo import random_projections as mc
from model_collapse.theory import random_projections as th
from model_collapse.validation import InvalidParameterError

NAME = "rp"
HELP = "random projections vᵀSx of width m on n samples, a fraction p2 synthetic (model size, double descent)"


def _setting_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--m", type=_args.positive_int, required=True, help="model width (number of random features)")
    _args.add_mixture_setting(
        p, lam_help="ridge penalty λ ≥ 0 for the (1/n)-scaled loss on the features z = Sx",
        spectrum_help="isotropic (default) or powerlaw:BETA (eigenvalues j^-BETA); non-isotropic needs "
                      "--form quenched in predict")


def add_predict_arguments(p: argparse.ArgumentParser) -> None:
    _setting_arguments(p)
    p.add_argument("--form", choices=("deterministic", "quenched"), default="deterministic",
                   help="deterministic: Marchenko-Pastur, isotropic Σ (default); quenched: the exact reduction "
                        "on one sampled S (any spectrum)")
    p.add_argument("--projection-seed", type=_args.nonnegative_int, default=0,
                   help="seed of the sampled S for --form quenched (default 0)")
    p.add_argument("--best-m", action="store_true",
                   help="also print the width minimising the test error (best_m, best_total, limit_total = "
                        "m → ∞, threshold_m) and m·dE/dm at --m with 'helps'/'hurts'")


def add_simulate_arguments(p: argparse.ArgumentParser) -> None:
    _setting_arguments(p)
    p.add_argument("--trials", type=_args.positive_int, default=100, help="number of simulated (S, X) draws")
    p.add_argument("--seed", type=_args.nonnegative_int, default=0, help="seed of numpy's SeedSequence")
    p.add_argument("--method", choices=("conditional", "sample"), default="conditional",
                   help="conditional: exact expectation over teacher, shift and noise given S and X (default); "
                        "sample: draw them and fit")


def _kw(args) -> dict:
    return dict(c2=args.c2, r2=args.r2, sigma=args.sigma, sigma2=args.sigma2)


def predict(args) -> dict:
    w = _spectrum(args)
    if args.form == "deterministic" and args.spectrum[0] != "isotropic":
        raise InvalidParameterError("The '--spectrum' parameter must be 'isotropic' with --form deterministic "
                                    "(use --form quenched for other spectra).")
    if args.form == "quenched" and getattr(args, "best_m", False):
        raise InvalidParameterError("The '--best-m' parameter needs --form deterministic.")
    out = th.test_error(args.n, args.m, args.p2, args.lam, w, form=args.form, seed=args.projection_seed,
                        **_kw(args)).as_dict()
    if not np.isfinite(out["total"]):
        sys.stderr.write("collapse: warning: ridgeless fit at the interpolation threshold (min(m, d) = n): "
                         "the test error is infinite\n")
    if getattr(args, "best_m", False):
        size = th.best_model_size(args.n, args.p2, args.lam, w, **_kw(args))
        out.update(size.as_dict())
        slope = float(th.width_sensitivity(args.n, args.m, args.p2, args.lam, w, **_kw(args)))
        out["width_sensitivity"] = slope
        out["adding_parameters"] = ("helps" if slope < 0 else "hurts" if slope > 0 else "neutral") \
            if np.isfinite(slope) else "undefined (at the interpolation threshold)"
    return out


def simulate(args, progress) -> dict:
    _args.note_realised_p2(args.n, args.p2)
    est = mc.simulate(args.n, args.m, args.p2, args.lam, _spectrum(args), **_kw(args),
                      n_trials=args.trials, seed=args.seed, method=args.method, progress=progress)
    return est.as_dict()

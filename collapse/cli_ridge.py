"""`collapse predict ridge` / `collapse simulate ridge`: ridge on a real + synthetic mix (SMC, docs/theory.md §2)."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from model_collapse import _args
from model_collapse.montecarlo import ridge_mixture as mc
from model_collapse.theory import ridge_mixture as th
from model_collapse.theory.spectrum import eigenvalues

NAME = "ridge"
HELP = "ridge regression on n samples, a fraction p2 synthetic (Strong Model Collapse)"


def add_predict_arguments(p: argparse.ArgumentParser) -> None:
    _args.add_mixture_setting(
        p, lam_help="ridge penalty λ ≥ 0 for the (1/n)-scaled loss (use --penalty sum for ‖Xw−y‖² + λ‖w‖²)",
        spectrum_help="isotropic (default) or powerlaw:BETA (eigenvalues j^-BETA)")
    p.add_argument("--penalty", choices=("mean", "sum"), default="mean",
                   help="λ convention: mean = (1/n)‖Xw−y‖² + λ‖w‖² (default), sum = ‖Xw−y‖² + λ‖w‖²")
    p.add_argument("--mse", action="store_true", help="report the full test MSE (excess risk + σ²) as total")


def add_simulate_arguments(p: argparse.ArgumentParser) -> None:
    add_predict_arguments(p)
    p.add_argument("--trials", type=_args.positive_int, default=100, help="number of simulated designs")
    p.add_argument("--seed", type=_args.nonnegative_int, default=0, help="seed of numpy's SeedSequence")
    p.add_argument("--method", choices=("conditional", "sample"), default="conditional",
                   help="conditional: exact expectation over teacher, shift and noise given X (default); "
                        "sample: draw them and fit")


def _spectrum(args) -> np.ndarray:
    kind, beta = args.spectrum
    return eigenvalues("isotropic" if kind == "isotropic" else f"powerlaw:{beta}", args.d)


def _common(args) -> dict:
    return dict(c2=args.c2, r2=args.r2, sigma=args.sigma, sigma2=args.sigma2, penalty=args.penalty,
                include_noise=args.mse)


def predict(args) -> dict:
    risk = th.test_error(args.n, args.p2, args.lam, _spectrum(args), **_common(args))
    out = risk.as_dict()
    if not np.isfinite(out["total"]):
        sys.stderr.write("collapse: warning: ridgeless fit at the interpolation threshold (n = d): "
                         "the test error is infinite\n")
    return out


def simulate(args, progress) -> dict:
    _args.note_realised_p2(args.n, args.p2)
    est = mc.simulate(args.n, args.p2, args.lam, _spectrum(args), **_common(args), n_trials=args.trials,
                      seed=args.seed, method=args.method, progress=progress)
    return est.as_dict()

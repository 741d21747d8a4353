"""`collapse predict retrain` / `collapse simulate retrain`: iterative retraining on a model's own labels (MCD).

n = ``--generations`` synthetic generations of T₀ = ``--generator-samples`` rows each (OLS, or minimum norm
when T₀ < d), then ridge with penalty λ on T = ``--samples`` rows labelled by the n-th generation
(docs/theory.md §4). Printed: ``bias`` and ``variance`` of the clean downstream fit, ``collapse`` (the excess
due to the n generations: the literature's "injections only" E_test = σ²d·n/(T − d − 1) at T₀ = T, σ₀ = σ)
and ``total`` = E‖ŵ − w₀‖²_Σ. With λ = 0 and T, T₀ ≥ d + 2 the extra key ``ols_exact`` is the exact
finite-sample law σ²d/(T−d−1) + nσ₀²d/(T₀−d−1) (``total`` is the deterministic equivalent, whose
downstream variance is σ²d/(T − d)). ``--best-lambda`` adds ``best_lam`` and ``best_total``.
Singular settings (T₀ ∈ {d−1, d, d+1} with nσ₀² > 0; λ = 0 at T = d) print inf and a warning on stderr.
"""

from __future__ import annotations

import argparse

from model_collapse import _args
from model_collapse.theory import iterative_retraining as th
from model_collapse.validation import InvalidParameterError

NAME = "retrain"
FAMILY = "iterative_retraining"
EXTRA_KEYS = ("ols_exact", "best_lam", "best_total")
HELP = "iterative retraining on a model's own labels, ridge downstream (Model Collapse Demystified)"


def _spectrum_value(args):
    """The theory's ``spectrum``: the named text, or the data spectrum's eigenvalues (d from the data)."""
    _args.resolve_dimension(args)
    if args.spectrum.named:
        return args.spectrum.theory_text()
    return _args.spectrum_values(args)


def add_setting_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--generations", type=_args.nonnegative_int, required=True,
                   help="number n of synthetic generations (0 = real labels); required, no default")
    p.add_argument("--samples", type=_args.positive_int, required=True,
                   help="downstream sample size T; required, no default")
    p.add_argument("--generator-samples", type=_args.positive_int, required=True,
                   help="rows T0 per generation (OLS if T0 >= d, minimum norm if T0 < d); required, no default")
    p.add_argument("--d", type=_args.positive_int, default=None,
                   help="dimension d (required with a named spectrum; default: the data's dimension with a data:/file: "
                        "spectrum)")
    p.add_argument("--sigma", type=_args.nonnegative, default=1.0, help="downstream label-noise std σ (default 1)")
    p.add_argument("--sigma0", type=_args.nonnegative, default=1.0,
                   help="label-noise std σ0 of every generation (default 1)")
    p.add_argument("--lam", type=_args.nonnegative, default=0.0,
                   help="ridge λ for the (1/T)-scaled loss; 0 = minimum-norm least squares (default 0)")
    p.add_argument("--spectrum", type=_args.spectrum, default=_args.DEFAULT_SPECTRUM,
                   help=_args.SPECTRUM_FORMS + " (default: %(default)s)")
    _args.add_teacher_argument(p)
    p.add_argument("--r2", type=_args.nonnegative, default=1.0, help="teacher energy ‖w0‖²_Σ (default 1)")
    p.add_argument("--source-r", type=_args.positive, default=None,
                   help="source exponent r: teacher with ω_j (v_jᵀw0)² ∝ j^-(1+2βr) (default: isotropic teacher)")


def add_predict_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--best-lambda", action="store_true",
                   help="also print best_lam and best_total, the λ minimising the predicted total (default: off)")
    p.add_argument("--exact", action="store_true",
                   help="require the exact OLS law (ols_exact): refuse unless --lam 0 and T, T0 >= d + 2 "
                        "(default: off; ols_exact is printed anyway whenever it applies)")


def setting(args) -> dict:
    spectrum = _spectrum_value(args)
    out = dict(generations=args.generations, samples=args.samples, generator_samples=args.generator_samples,
               d=args.d, sigma=args.sigma, sigma0=args.sigma0, lam=args.lam, spectrum=spectrum, r2=args.r2,
               source_r=args.source_r)
    gamma = _args.teacher_gamma(args)
    if gamma is not None:
        if args.source_r is not None:
            raise InvalidParameterError("The '--source-r' parameter must be omitted with a data --teacher.")
        out["teacher"] = gamma
    return out


def _require_exact(args) -> None:
    _args.resolve_dimension(args)
    if args.lam != 0:
        raise InvalidParameterError(f"The '--lam' parameter must be 0 for --exact (the exact OLS law). Got {args.lam} "
                                    "instead.")
    for flag, value in (("--samples", args.samples), ("--generator-samples", args.generator_samples)):
        if value < args.d + 2:
            raise InvalidParameterError(f"The '{flag}' parameter must be >= d + 2 = {args.d + 2} for --exact (the "
                                        f"exact OLS law needs it). Got {value} instead.")


def check_predict(args) -> None:
    if getattr(args, "exact", False):
        _require_exact(args)


def predict_extras(args, s: dict, out: dict) -> None:
    _args.resolve_dimension(args)
    if args.lam == 0 and args.samples >= args.d + 2 and args.generator_samples >= args.d + 2:
        out["ols_exact"] = float(th.ols_exact(args.generations, args.samples, args.generator_samples, args.d,
                                              sigma=args.sigma, sigma0=args.sigma0))
    if getattr(args, "best_lambda", False):
        kw = {k: v for k, v in s.items() if k != "lam"}
        best = th.best_lambda(**kw)
        out["best_lam"], out["best_total"] = best.lam, best.total


def resources(args, simulate: bool) -> list[tuple[str, float]]:
    _args.resolve_dimension(args)
    d = float(args.d)
    items = [("--d", 8.0 * 24 * d)]
    if simulate:
        items.append(("--d", 8.0 * 10 * d * d))
        items.append(("--samples" if args.samples >= args.generator_samples else "--generator-samples",
                      8.0 * 2 * max(args.samples, args.generator_samples) * d))
        items.append(("--trials", 8.0 * 4 * args.trials))
    return items


def work(args, simulate: bool) -> float:
    _args.resolve_dimension(args)
    d = float(args.d)
    if not simulate:
        return 300.0 * d
    # + 1e6 per generation: the chain is a Python loop over generations (~50 µs each at small d)
    per = (args.generations + 1) * (6 * d**3 + 2 * max(args.samples, args.generator_samples) * d * d + 1e6)
    return args.trials * per

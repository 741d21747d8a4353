"""`collapse predict synthetic-budget`: how many synthetic samples to add to n₁ real ones (SMC closed form).

Theory-only command built on the ridge mixture (docs/theory.md §2.8, :mod:`model_collapse.theory.synthetic_budget`).
``predict`` prints ``real_only_total`` (E(0)), ``best_n_synthetic`` (the best integer k ≥ 0; inf when the
error keeps falling as k → ∞), ``best_total``, ``helps`` (true/false), ``break_even_n_synthetic`` (the
largest k with E(k) ≤ E(0); inf when no amount hurts) and ``limit_total`` (E(∞), all synthetic).
``simulate`` checks the two errors that matter by simulation (:func:`montecarlo.ridge_mixture.simulate` at
n = n₁ and at n = n₁ + k*, p₂ = k*/n): ``real_only_total`` and ``best_total`` as mean ± SE, with the
theory's ``best_n_synthetic``.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from model_collapse import _args, resources
from model_collapse.montecarlo import ridge_mixture as mc
from model_collapse.theory import synthetic_budget as th
from model_collapse.validation import InvalidParameterError

NAME = "synthetic-budget"
HELP = "given n1 real samples, the best number of synthetic samples to add and what it buys (SMC)"

_MAX_SIM_N = 10**7  # simulating E(k*) at a larger pooled n costs little (sufficient statistics), but say so


def _count_or_inf(text: str) -> float:
    if text.strip().lower() in ("inf", "infinity", "none"):
        return math.inf
    try:
        return float(_args.nonnegative_int(text))
    except argparse.ArgumentTypeError:
        allowed = "a non-negative integer (at most 2^53) or inf"
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}") from None


def add_predict_arguments(p: argparse.ArgumentParser) -> None:
    dflt = " (default: %(default)s)"
    p.add_argument("--n-real", type=_args.positive_int, required=True, help="number of real samples n1")
    p.add_argument("--d", type=_args.positive_int, default=None,
                   help="input dimension (required with a named spectrum; default: the data's dimension with a "
                        "data:/file: spectrum)")
    p.add_argument("--c2", type=_args.nonnegative, required=True,
                   help="synthetic quality c² = tr ΔΣ (label-shift energy; 0 = perfect)")
    p.add_argument("--lam", type=_args.nonnegative, required=True,
                   help="ridge penalty λ ≥ 0 for the (1/n)-scaled loss (--penalty sum: next to the summed loss)")
    p.add_argument("--sigma", type=_args.nonnegative, required=True, help="label-noise std of real data")
    p.add_argument("--sigma2", type=_args.nonnegative, default=None,
                   help="label-noise std of synthetic data (default: --sigma)")
    p.add_argument("--r2", type=_args.nonnegative, default=1.0, help="signal strength r² = tr ΓΣ" + dflt)
    p.add_argument("--spectrum", type=_args.spectrum, default=_args.DEFAULT_SPECTRUM,
                   help=_args.SPECTRUM_FORMS + "; default isotropic")
    _args.add_spectrum2(p, "covariate shift: the synthetic rows' spectrum, same kinds as --spectrum, in the same "
                           "eigenbasis (docs/covariate_shift.md)")
    _args.add_teacher_argument(p)
    _args.add_penalty_and_mse(p)
    p.add_argument("--max-synthetic", type=_count_or_inf, default=math.inf,
                   help="search k in [0, MAX] (an integer, or inf)" + dflt)


def add_simulate_arguments(p: argparse.ArgumentParser) -> None:
    add_predict_arguments(p)
    p.add_argument("--trials", type=_args.positive_int, default=100, help="number of independent trials" +
                   " (default: %(default)s)")
    p.add_argument("--seed", type=_args.seed, default=0, help="seed of numpy's SeedSequence (default: %(default)s)")
    p.add_argument("--method", choices=("conditional", "sample"), default="conditional",
                   help="simulation method of montecarlo.ridge_mixture (default: %(default)s)")


def _setting(args) -> dict:
    _args.resolve_dimension(args)
    resources.check([("--d", 8.0 * 24 * args.d)])
    out = dict(lam=args.lam, eigenvalues=_args.spectrum_values(args), c2=args.c2, r2=args.r2, sigma=args.sigma,
               sigma2=args.sigma2, penalty=args.penalty, include_noise=args.mse)
    gamma = _args.teacher_gamma(args)
    if gamma is not None:
        out["gamma"] = gamma
    w2 = _args.spectrum2_values(args)
    if w2 is not None:
        out["eigenvalues2"] = w2
    return out


def predict(args) -> dict:
    s = _setting(args)
    res = th.synthetic_budget(args.n_real, **s, max_synthetic=args.max_synthetic)
    _warn_infinite(res)
    return res.as_dict()


def _warn_infinite(res: th.SyntheticBudget) -> None:
    import warnings

    if math.isinf(res.best_n_synthetic):
        warnings.warn("best_n_synthetic: the error keeps falling as synthetic samples are added (its infimum is "
                      "the all-synthetic limit limit_total); cap the search with --max-synthetic", RuntimeWarning,
                      stacklevel=3)
    if math.isinf(res.break_even_n_synthetic):
        warnings.warn("break_even_n_synthetic: no amount of synthetic data makes the error worse than real-only "
                      "(limit_total <= real_only_total)", RuntimeWarning, stacklevel=3)


def simulate(args, progress) -> dict:
    from model_collapse.montecarlo.trials import point_seed

    s = _setting(args)
    res = th.synthetic_budget(args.n_real, **s, max_synthetic=args.max_synthetic)
    k = res.best_n_synthetic
    if not math.isfinite(k):
        raise InvalidParameterError(
            "The '--max-synthetic' parameter must be finite to simulate this setting: the best number of synthetic "
            "samples is unbounded here (the error keeps falling); give --max-synthetic K.")
    n_best = int(args.n_real + k)
    if n_best > _MAX_SIM_N and args.method == "sample":
        raise InvalidParameterError(f"The '--method' parameter must be 'conditional' at n1 + k* = {n_best} "
                                    f"(the 'sample' method draws every row; at most {_MAX_SIM_N}).")
    d = float(args.d)
    resources.check([("--d", 8.0 * 12 * d * d), ("--trials", 8.0 * 4 * args.trials)])
    resources.note_time(2 * args.trials * 6 * d**3)
    kw = dict(n_trials=args.trials, method=args.method)
    sim = {k_: s[k_] for k_ in ("eigenvalues", "c2", "r2", "sigma", "sigma2", "penalty", "include_noise", "gamma",
                                "eigenvalues2") if k_ in s}
    real = mc.simulate(args.n_real, 0.0, args.lam, **sim, seed=point_seed(args.seed, 0), **kw)
    best = mc.simulate(n_best, k / n_best if n_best else 0.0, args.lam, **sim, seed=point_seed(args.seed, 1), **kw)
    gain = real.total.mean - best.total.mean
    gain_se = float(np.hypot(real.total.sem, best.total.sem))
    return {"best_n_synthetic": k, "real_only_total": real.total.as_dict(), "best_total": best.total.as_dict(),
            "gain": {"mean": gain, "se": gain_se}}

"""`collapse predict mixing` / `collapse simulate mixing`: weighted and iterative mixing (SMC §5, docs/mixing.md).

The ridge-mixture setting flags (--n --d --p2 --c2 --lam --sigma [--sigma2 --r2 --spectrum --penalty]) plus

- ``--weight A``: the weight a ∈ [0, 1] of the synthetic loss, (1 − a)·(real mean loss) + a·(synthetic mean
  loss) + λ‖w‖²; omitted = pooling (a = p2, the ridge family's fit);
- ``--rounds R``: iterative mixing, round R (1 = single-step mixing; round t's synthetic labels come from
  round t − 1's model, round 1's from the generator w₂ of quality c²); ``--per-round`` prints rounds 1..R.

``predict --best-weight`` adds ``best_weight`` (a* minimising the error at round R), ``best_total`` (the error
there) and ``pooled_total`` (at a = p2); ``predict --limits`` adds ``floor`` (the n → ∞ error of one round at
the weight, λ²tr ΓΣ(Σ+λ)⁻² + a²tr ΔΣ³(Σ+λ)⁻²) and ``fixed_point`` (lim E_t over rounds; null/inf with a
warning when iterative mixing diverges). Registry entry ``mixing``.
"""

from __future__ import annotations

import argparse

import numpy as np
from model_collapse import _args
from model_collapse.theory import mixing as th

NAME = "mixing"
FAMILY = "mixing"
HELP = "weighted and iterative mixing of real and synthetic data (Strong Model Collapse §5)"
EXTRA_KEYS = ("best_weight", "best_total", "pooled_total", "floor", "fixed_point")
MAX_ROUNDS = 100_000


def _rounds(text: str) -> int:
    allowed = f"an integer in [1, {MAX_ROUNDS}]"
    try:
        x = int(text.strip().replace("_", ""), 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}") from None
    if not 1 <= x <= MAX_ROUNDS:
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}")
    return x


def add_setting_arguments(p: argparse.ArgumentParser) -> None:
    _args.add_mixture_setting(
        p, lam_help="ridge penalty λ ≥ 0 for the (1/n)-scaled loss (use --penalty sum for λ/n)",
        spectrum_help=_args.SPECTRUM_FORMS + "; default isotropic")
    p.add_argument("--penalty", choices=("mean", "sum"), default="mean",
                   help="λ convention: mean = λ with the (1/n)-scaled loss, sum = λ/n (default: %(default)s)")
    p.add_argument("--weight", type=_args.probability, default=None,
                   help="weight a in [0, 1] of the synthetic loss: (1-a)·real + a·synthetic mean losses "
                        "(default: pooling, a = --p2)")
    p.add_argument("--rounds", type=_rounds, default=1,
                   help="round of iterative mixing: 1 = single-step; round t's synthetic labels come from round "
                        "t-1's model (default: %(default)s)")
    p.add_argument("--per-round", action="store_true", help="print every round 1..R")


def add_predict_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--best-weight", action="store_true",
                   help="also print best_weight (a* minimising the error at round R), best_total, pooled_total")
    p.add_argument("--limits", action="store_true",
                   help="also print floor (n → ∞ error of one round at the weight) and fixed_point (rounds → ∞)")


def setting(args) -> dict:
    rounds = np.arange(1, args.rounds + 1) if args.per_round else args.rounds
    out = dict(n=args.n, p2=args.p2, lam=args.lam, eigenvalues=_args.spectrum_values(args), weight=args.weight,
               rounds=rounds, c2=args.c2, r2=args.r2, sigma=args.sigma, sigma2=args.sigma2, penalty=args.penalty)
    gamma = _args.teacher_gamma(args)
    if gamma is not None:
        out["gamma"] = gamma
    return out


def notes(args) -> None:
    _args.note_realised_p2(args.n, args.p2)


def predict_extras(args, s: dict, out: dict) -> None:
    kw = {k: s[k] for k in ("c2", "r2", "sigma", "sigma2", "penalty")}
    if getattr(args, "best_weight", False):
        best = th.best_weight(s["n"], s["p2"], s["lam"], s["eigenvalues"], rounds=args.rounds, **kw)
        out.update(best_weight=best.weight, best_total=best.total, pooled_total=best.pooled_total)
    if getattr(args, "limits", False):
        a = s["p2"] if s["weight"] is None else s["weight"]
        lam = s["lam"] / s["n"] if s["penalty"] == "sum" else s["lam"]
        out["floor"] = float(th.weight_floor(lam, a, s["eigenvalues"], c2=s["c2"], r2=s["r2"]))
        out["fixed_point"] = float(th.fixed_point(s["n"], s["p2"], s["lam"], s["eigenvalues"], weight=s["weight"],
                                                  **kw))


def resources(args, simulate: bool) -> list[tuple[str, float]]:
    """Largest allocations in bytes, each with the flag that drives it."""
    _args.resolve_dimension(args)
    d, n, r = float(args.d), float(args.n), float(args.rounds)
    items = [("--d", 8.0 * 40 * d), ("--rounds", 8.0 * 8 * r)]
    if getattr(args, "best_weight", False):
        items.append(("--d", 8.0 * 40 * 257 * d))
    if simulate:
        items.append(("--d", 8.0 * 16 * d * d))
        if getattr(args, "method", "") == "sample":
            items.append(("--n", 8.0 * 8 * n * d))
        items.append(("--trials", 8.0 * 4 * r * args.trials))
    return items


def work(args, simulate: bool) -> float:
    _args.resolve_dimension(args)
    d, n, r = float(args.d), float(args.n), float(args.rounds)
    if not simulate:
        return 400.0 * d * (1 + r) * (257 if getattr(args, "best_weight", False) else 1)
    per = 12 * d**3 + (2 * n * d * d if getattr(args, "method", "") == "sample" else min(n, d) * d * d)
    return args.trials * r * per

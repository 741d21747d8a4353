"""`collapse predict gaussian` / `collapse simulate gaussian`: iterative Gaussian fitting (CoT, docs/theory.md §5.1).

Iteration t = 1 is the fit on the n real points; the truth is N(0, σ²I_d). ``predict`` prints the exact
expectations at iteration t (``--per-iteration``: at every iteration 1..t), ``simulate`` the mean and
standard error over ``--trials`` runs, with the same keys (``log_det_ratio`` only where it is defined:
replace with n > d in theory, n > d in simulation; ``w2_squared`` for d = 1, replace in theory).
"""

from __future__ import annotations

import argparse

import numpy as np
from model_collapse import _args
from model_collapse.montecarlo import gaussian_workflow as mc
from model_collapse.theory import gaussian_workflow as th

NAME = "gaussian"
FAMILY = "gaussian_workflow"
HELP = "iterative multivariate Gaussian fitting: replace, accumulate, accumulate-subsample (Collapse or Thrive?)"
EXTRA_KEYS = ("mean_sq_error_limit", "cov_trace_ratio_limit", "cov_det_ratio_limit", "mean_sq_error_bound",
              "log_det_decay_rate")


def add_setting_arguments(p: argparse.ArgumentParser, simulate: bool = False) -> None:
    workflows = mc.WORKFLOWS
    p.add_argument("--workflow", choices=workflows, required=True,
                   help="replace: fit only the latest n samples; accumulate: fit everything so far"
                   + ("; accumulate-subsample: fit n points drawn without replacement from everything so far"
                      if "accumulate-subsample" in workflows else ""))
    p.add_argument("--n", type=_args.int_at_least(2), required=True, help="samples drawn per iteration (≥ 2)")
    p.add_argument("--d", type=_args.positive_int, required=True, help="dimension")
    p.add_argument("--t", type=_args.positive_int, required=True,
                   help="iteration (1 = the fit on the real data)")
    p.add_argument("--estimator", choices=th.ESTIMATORS, default="mle",
                   help="covariance: mle (divide by m, the authors' choice) or unbiased (m − 1) "
                        "(default: %(default)s)")
    p.add_argument("--sigma2", type=_args.positive, default=1.0,
                   help="true variance σ² per coordinate (default: %(default)s)")
    p.add_argument("--per-iteration", action="store_true", help="print every iteration 1..t")


def add_predict_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limits", action="store_true",
                   help="also print the t → ∞ limits, the π²/6 bound and the almost-sure log-det decay rate")


def setting(args) -> dict:
    t = np.arange(1, args.t + 1) if args.per_iteration else args.t
    return dict(n=args.n, d=args.d, t=t, workflow=args.workflow, estimator=args.estimator, sigma2=args.sigma2)


def predict_extras(args, s: dict, out: dict) -> None:
    if args.limits:
        kw = dict(workflow=args.workflow, estimator=args.estimator)
        out.update(th.limits(args.n, args.d, sigma2=args.sigma2, **kw).as_dict())
        if args.workflow != "accumulate-subsample":  # replace: ρ < 0; accumulate: Σ̂_t converges (rate 0)
            rate = th.log_det_decay_rate(args.n, args.d, estimator=args.estimator)
            out["log_det_decay_rate"] = rate if args.workflow == "replace" else 0.0


def resources(args, simulate: bool) -> list[tuple[str, float]]:
    """Largest allocations in bytes, each with the flag that drives it."""
    t, d, n = float(args.t), float(args.d), float(args.n)
    items = [("--t", 8.0 * 8 * t)]  # exact cumulative sums over iterations (accumulate) / per-iteration output
    if simulate:
        items.append(("--t" if t >= args.trials else "--trials", 8.0 * 6 * t * args.trials))
        if args.workflow == "accumulate-subsample":
            items.append(("--t", 8.0 * t * n * d))  # the pool of t·n points
        items.append(("--d", 8.0 * 16 * min(d, n) ** 2))
    return items


def work(args, simulate: bool) -> float:
    t, d, n = float(args.t), float(args.d), float(args.n)
    if not simulate:
        return 40.0 * t * (d + 1) if args.workflow == "accumulate" else 10.0 * t
    r = min(d, n - 1)
    per_iter = 2 * n * d * d if args.workflow == "accumulate-subsample" or args.method == "samples" else 4 * r**3
    return args.trials * t * (per_iter + 50)

"""`collapse predict gaussian` / `collapse simulate gaussian`: iterative Gaussian fitting (CoT, docs/theory.md §5).

Iteration t = 1 is the fit on the n real points; the truth is N(0, σ²I_d). ``predict`` prints the exact
expectations at iteration t (``--per-iteration``: at every iteration 1..t), ``simulate`` the mean and
standard error over ``--trials`` runs.
"""

from __future__ import annotations

import argparse

import numpy as np

from model_collapse import _args
from model_collapse.montecarlo import gaussian_workflow as mc
from model_collapse.theory import gaussian_workflow as th

NAME = "gaussian"
HELP = "iterative multivariate Gaussian fitting: replace, accumulate, accumulate-subsample (Collapse or Thrive?)"
KEYS = ("mean_sq_error", "cov_trace_ratio", "cov_det_ratio")


def _common(p: argparse.ArgumentParser, workflows) -> None:
    p.add_argument("--workflow", choices=workflows, required=True,
                   help="replace: fit only the latest n samples; accumulate: fit everything so far"
                   + ("; accumulate-subsample: fit n points drawn without replacement from everything so far"
                      if "accumulate-subsample" in workflows else ""))
    p.add_argument("--n", type=_args.positive_int, required=True, help="samples drawn per iteration (≥ 2)")
    p.add_argument("--d", type=_args.positive_int, required=True, help="dimension")
    p.add_argument("--t", type=_args.positive_int, required=True,
                   help="iteration (1 = the fit on the real data)")
    p.add_argument("--estimator", choices=th.ESTIMATORS, default="mle",
                   help="covariance: mle (divide by m, the authors' choice; default) or unbiased (m − 1)")
    p.add_argument("--sigma2", type=_args.positive, default=1.0, help="true variance σ² per coordinate (default 1)")
    p.add_argument("--per-iteration", action="store_true", help="print every iteration 1..t")


def add_predict_arguments(p: argparse.ArgumentParser) -> None:
    _common(p, th.WORKFLOWS)
    p.add_argument("--limits", action="store_true",
                   help="also print the t → ∞ limits, the π²/6 bound and the almost-sure log-det decay rate")


def add_simulate_arguments(p: argparse.ArgumentParser) -> None:
    _common(p, mc.WORKFLOWS)
    p.add_argument("--trials", type=_args.positive_int, default=100, help="number of independent runs")
    p.add_argument("--seed", type=_args.nonnegative_int, default=0, help="seed of numpy's SeedSequence")
    p.add_argument("--method", choices=("auto", "sufficient", "samples"), default="auto",
                   help="sufficient: Wishart/Bartlett sufficient statistics (fast); samples: explicit points "
                        "(as the authors); auto: sufficient unless accumulate-subsample")


def predict(args) -> dict:
    t = np.arange(1, args.t + 1) if args.per_iteration else args.t
    kw = dict(workflow=args.workflow, estimator=args.estimator)
    out = th.predict(args.n, args.d, t, sigma2=args.sigma2, **kw).as_dict()
    if args.limits:
        out.update(th.limits(args.n, args.d, sigma2=args.sigma2, **kw).as_dict())
        rate = th.log_det_decay_rate(args.n, args.d, estimator=args.estimator)
        out["log_det_decay_rate"] = rate if args.workflow == "replace" else 0.0
    return out


def simulate(args, progress) -> dict:
    est = mc.simulate(args.n, args.d, args.t, workflow=args.workflow, estimator=args.estimator,
                      sigma2=args.sigma2, n_trials=args.trials, seed=args.seed, method=args.method,
                      progress=progress)
    full = est.as_dict(per_iteration=args.per_iteration)
    return {k: full[k] for k in KEYS}

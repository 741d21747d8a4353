"""`collapse predict linreg` / `collapse simulate linreg`: OLS retrained on its own labels (docs/theory.md §5.2).

A fixed design of n rows (samples per iteration) and d features is relabelled by the latest fit every
iteration; iteration t = 1 is the fit on the real labels. ``test_error`` is the excess risk E‖ŵ_t − w*‖²
(the test MSE on noiseless test labels, the authors' convention; ``--test-labels noisy`` adds σ²).
"""

from __future__ import annotations

import argparse

import numpy as np
from model_collapse import _args
from model_collapse.montecarlo import linreg_workflow as mc
from model_collapse.theory import linreg_workflow as th

NAME = "linreg"
FAMILY = "linreg_workflow"
HELP = "linear regression retrained on its own labels: replace, accumulate, accumulate-subsample"
EXTRA_KEYS = ("test_error_limit", "test_error_bound")


def add_setting_arguments(p: argparse.ArgumentParser, simulate: bool = False) -> None:
    workflows = mc.WORKFLOWS if simulate else th.WORKFLOWS
    p.add_argument("--workflow", choices=workflows, required=True,
                   help="replace: fit the latest labels; accumulate: fit all labelled copies so far"
                   + ("; accumulate-subsample: fit n rows drawn without replacement from them"
                      if "accumulate-subsample" in workflows else ""))
    p.add_argument("--n", type=_args.positive_int, required=True, help="samples per iteration (rows of the design)")
    p.add_argument("--d", type=_args.positive_int, required=True, help="number of features")
    p.add_argument("--t", type=_args.positive_int, required=True, help="iteration (1 = the fit on the real data)")
    p.add_argument("--sigma", type=_args.nonnegative, required=True, help="label-noise standard deviation σ")
    p.add_argument("--test-labels", choices=th.TEST_LABELS, default="noiseless",
                   help="noiseless (excess risk, the authors' convention) or noisy (adds σ²) (default: %(default)s)")
    p.add_argument("--per-iteration", action="store_true", help="print every iteration 1..t")


def add_predict_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limits", action="store_true", help="also print the t → ∞ limit and the π²/6 bound")


def add_simulate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n-test", type=_args.positive_int, default=None,
                   help="score on this many fixed test points, as the authors (default: exact expectation "
                        "over test inputs)")


def setting(args) -> dict:
    t = np.arange(1, args.t + 1) if args.per_iteration else args.t
    return dict(n=args.n, d=args.d, t=t, workflow=args.workflow, sigma=args.sigma, test_labels=args.test_labels)


def simulate_options(args) -> dict:
    return {"n_test": args.n_test}


def predict_extras(args, s: dict, out: dict) -> None:
    if args.limits:
        out["test_error_limit"] = th.limit(args.n, args.d, workflow=args.workflow, sigma=args.sigma,
                                           test_labels=args.test_labels)
        out["test_error_bound"] = th.pi2_6_bound(args.n, args.d, sigma=args.sigma)


def resources(args, simulate: bool) -> list[tuple[str, float]]:
    """Largest allocations in bytes, each with the flag that drives it."""
    t, d, n = float(args.t), float(args.d), float(args.n)
    items = [("--t", 8.0 * 4 * t)]
    if simulate:
        items.append(("--t" if t >= args.trials else "--trials", 8.0 * 2 * t * args.trials))
        items.append(("--n" if n >= d else "--d", 8.0 * 4 * n * d + 8.0 * t * n))
        if args.n_test is not None:
            items.append(("--n-test", 8.0 * 2 * args.n_test * (d + t + 1)))
        if args.workflow == "accumulate-subsample" or args.method == "refit":
            items.append(("--t", 8.0 * 2 * t * n * d))
    return items


def work(args, simulate: bool) -> float:
    t, d, n = float(args.t), float(args.d), float(args.n)
    if not simulate:
        return 10.0 * t
    per = 2 * n * d * d + t * n * d + (args.n_test or 0) * d * t
    if args.workflow == "accumulate-subsample" or args.method == "refit":
        per += t * t * n * d * d
    return args.trials * per

"""`collapse predict kde` / `collapse simulate kde`: Gaussian-kernel KDE refitted on its own samples (CoT, §5).

Iteration t = 1 is the KDE of the n real points. ``predict`` prints, at iteration T (``--per-iteration``:
at every iteration 1..T), ``variance_growth`` (E A_t, the variance per coordinate that the expected model
adds to the data law; exact) and ``nll`` (the annealed NLL, the n → ∞ limit of E NLL_t for a fixed h and a
lower bound at every n), plus the documented extras ``nll_limit`` (the same number under the name pinned
by issue 9), ``variance_growth_limit`` (t → ∞; inf unless the bandwidth shrinks fast enough) and, under
accumulate, ``nll_bound`` (NLL₁ + ln t). ``simulate`` prints ``nll`` and ``variance_growth`` as mean ± se.
"""

from __future__ import annotations

import argparse

import numpy as np
from model_collapse import _args
from model_collapse.theory import kde_workflow as th

NAME = "kde"
FAMILY = "kde_workflow"
EXTRA_KEYS = ("nll_limit", "variance_growth_limit", "nll_bound")
HELP = "Gaussian-kernel density estimation: replace, accumulate, accumulate-subsample (Collapse or Thrive?)"


def _centers(text: str) -> np.ndarray:
    """'x1,y1;x2,y2;...' -> (k, 2) array."""
    try:
        rows = [[float(v) for v in part.split(",")] for part in text.split(";") if part.strip()]
        c = np.array(rows, dtype=float)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be 'x1,y1;x2,y2;...' (blob centres); got {text!r}") from None
    if c.ndim != 2 or c.shape[1] != 2 or c.shape[0] < 1 or not np.all(np.isfinite(c)):
        raise argparse.ArgumentTypeError(f"must be 'x1,y1;x2,y2;...' (finite blob centres); got {text!r}")
    return c


def add_setting_arguments(p: argparse.ArgumentParser, simulate: bool = False) -> None:
    n_required = simulate
    p.add_argument("--workflow", choices=th.WORKFLOWS, required=True,
                   help="replace: fit the n newest points; accumulate: fit all t·n points so far; "
                        "accumulate-subsample: fit n points drawn without replacement from them (required)")
    p.add_argument("--t", type=_args.positive_int, required=True,
                   help="iteration T (1 = the KDE of the real data) (required)")
    p.add_argument("--dataset", choices=th.DATASETS, default="gaussian",
                   help="data law (scikit-learn generators, noise 0.05; gaussian = N(0, I_dim)) (default: gaussian)")
    p.add_argument("--dim", type=_args.positive_int, default=None,
                   help="dimension D (gaussian only; blobs, circles, moons 2, swiss-roll 3) (default: 2 for gaussian)")
    bw = p.add_mutually_exclusive_group(required=True)
    bw.add_argument("--h", type=_args.positive, default=None, help="a fixed bandwidth h > 0 (default: none; "
                    "give --h or --bandwidth)")
    bw.add_argument("--bandwidth", choices=th.BANDWIDTH_RULES, default=None,
                    help="scikit-learn's rule on the m fitted points: scott m^(-1/(D+4)), silverman "
                         "(m(D+2)/4)^(-1/(D+4)); needs --n (default: none)")
    p.add_argument("--n", type=_args.positive_int, required=n_required, default=None,
                   help="points drawn per iteration" + (" (required)" if n_required else
                                                         " (needed with --bandwidth; default: none, n → ∞)"))
    p.add_argument("--centers", type=_centers, default=None,
                   help="blob centres 'x1,y1;x2,y2;...' (blobs; required for predict; simulate draws 3 at random "
                        "per run when omitted) (default: none)")
    p.add_argument("--test-centers", type=_centers, default=None,
                   help="blob centres of the test law (default: the training centres)")
    p.add_argument("--per-iteration", action="store_true", help="print every iteration 1..T (default: off)")


def add_simulate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n-test", type=_args.positive_int, default=500,
                   help="held-out real points scored each iteration (default: 500, as the authors)")
    p.add_argument("--blobs-quirk", action="store_true",
                   help="the authors' blobs test set: a second make_blobs call with different random centres "
                        "(default: off)")


def simulate_options(args) -> dict:
    return {"n_test": args.n_test, "blobs_quirk": args.blobs_quirk}


def setting(args) -> dict:
    t = np.arange(1, args.t + 1) if args.per_iteration else args.t
    return dict(t=t, workflow=args.workflow, dataset=args.dataset, dim=args.dim, h=args.h, bandwidth=args.bandwidth,
                n=args.n, centers=args.centers, test_centers=args.test_centers)


def predict_extras(args, s: dict, out: dict) -> None:
    kw = {k: s[k] for k in ("workflow", "dataset", "dim", "h", "bandwidth", "n")}
    blobs = {k: s[k] for k in ("centers", "test_centers")}
    out["nll_limit"] = out["nll"]
    out["variance_growth_limit"] = th.variance_growth_limit(**kw)
    if args.workflow != "replace":
        bound = th.nll_bound(s["t"], **kw, **blobs)
        out["nll_bound"] = bound.tolist() if np.ndim(bound) else float(bound)


def resources(args, simulate: bool) -> list[tuple[str, float]]:
    t, n = float(args.t), float(args.n or 1)
    items = [("--t", 8.0 * 16 * t)]
    if simulate:
        items.append(("--t" if t >= args.trials else "--trials", 8.0 * 4 * t * args.trials))
        items.append(("--t", 8.0 * 3 * t * n * 3))  # the pool of t·n points (accumulate), D <= 3
        items.append(("--n-test", 8.0 * 2 * args.n_test * t * n))
    return items


def work(args, simulate: bool) -> float:
    t, n = float(args.t), float(args.n or 1)
    if not simulate:
        return 1e6 * t
    return args.trials * t * (args.n_test + n) * t * n * 4

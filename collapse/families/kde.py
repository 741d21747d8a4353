"""`kde`: Gaussian-kernel KDE refitted on its own samples: replace, accumulate, accumulate-subsample (CoT, §5.3).

Iteration t = 1 is the KDE of the n real points. ``predict`` gives, at iteration T (``per_iteration``: at every
iteration 1..T), ``variance_growth`` (E A_t, the variance per coordinate that the expected model adds to the
data law; exact) and ``nll``: with ``--n`` the finite-n prediction of E NLL_t (the pair-genealogy expansion,
or where it cannot hold a proven lower bound; ``nll_regime`` says which, ``nll_allowance`` the measured
next-order allowance), without ``--n`` the annealed n → ∞ law; ``nll_limit`` is always the annealed law,
``nll_lower`` the best lower bound, ``nll_term`` the 1/n term (inf where not derived); extras
``variance_growth_limit`` (t → ∞; inf unless the bandwidth shrinks fast enough) and, under accumulate,
``nll_bound`` (NLL₁ + ln t). ``simulate`` gives ``nll`` and ``variance_growth`` as mean ± se (it needs ``n``).
"""

from __future__ import annotations

import warnings
from types import MappingProxyType

import numpy as np
from model_collapse.families.common import PER_ITERATION
from model_collapse.params import Family, Hooks, Param, Parsed, Switch
from model_collapse.validation import InvalidParameterError


def parse_centers(text: str) -> np.ndarray:
    """'x1,y1;x2,y2;...' -> a (k, 2) array of finite blob centres."""
    rows = [[float(v) for v in part.split(",")] for part in text.split(";") if part.strip()]
    c = np.array(rows, dtype=float)
    if c.ndim != 2 or c.shape[1] != 2 or c.shape[0] < 1 or not np.all(np.isfinite(c)):
        raise ValueError(text)
    return c


def _is_centers(v) -> bool:
    try:
        c = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        return False
    return c.ndim == 2 and c.shape[1] == 2 and c.shape[0] >= 1 and bool(np.all(np.isfinite(c)))


CENTERS = Parsed(parse_centers, "'x1,y1;x2,y2;...' (finite blob centres)", accepts=_is_centers)

PARAMS = (
    Param("workflow", None, "replace: fit the n newest points; accumulate: fit all t·n points so far; "
          "accumulate-subsample: fit n points drawn without replacement from them"),
    Param("t", None, "iteration T (1 = the KDE of the real data)"),
    Param("dataset", None, "data law (scikit-learn generators, noise 0.05; gaussian = N(0, I_dim))",
          default="gaussian"),
    Param("dim", None, "dimension D (gaussian only; blobs, circles, moons 2, swiss-roll 3) (default: 2 for gaussian)",
          default=None),
    Param("h", None, "a fixed bandwidth h > 0 (give h or bandwidth)", group="bandwidth"),
    Param("bandwidth", None, "scikit-learn's rule on the m fitted points: scott m^(-1/(D+4)), silverman "
          "(m(D+2)/4)^(-1/(D+4)); needs n", group="bandwidth"),
    Param("n", None, "points drawn per iteration (needed with bandwidth and to simulate; default: n → ∞ in "
          "predict)", default=None),
    Param("centers", CENTERS, "blob centres 'x1,y1;x2,y2;...' (blobs; required for predict; simulate draws 3 at "
          "random per run when omitted)", default=None),
    Param("test_centers", CENTERS, "blob centres of the test law (default: the training centres)", default=None),
    PER_ITERATION,
)
SIMULATE_PARAMS = (
    Param("n_test", None, "held-out real points scored each iteration (as the authors)", default=500),
    Param("blobs_quirk", Switch(), "the authors' blobs test set: a second make_blobs call with different random "
          "centres", default=False),
)


def keywords(values) -> dict:
    t = np.arange(1, values.t + 1) if values.per_iteration else values.t
    return dict(t=t, workflow=values.workflow, dataset=values.dataset, dim=values.dim, h=values.h,
                bandwidth=values.bandwidth, n=values.n, centers=values.centers, test_centers=values.test_centers)


def check(values, command: str) -> None:
    if command == "simulate" and values.n is None:
        raise InvalidParameterError.of("n", None, "is required to simulate (points drawn per iteration; a positive "
                                       "int).")


def _regime(out: dict, values):
    """limit (no n), expansion (nll_term in [0, 0.1], nll_tail_share ≤ 0.5) or lower_bound (printed numbers)."""
    from model_collapse.theory.kde_likelihood import TAIL_MAX, TERM_MAX

    if values.n is None:
        return "limit" if np.ndim(out["nll"]) == 0 else ["limit"] * len(out["nll"])
    term = np.asarray(out["nll_term"], dtype=float)
    tail = np.asarray(out["nll_tail_share"], dtype=float)
    reg = np.where((term >= 0) & (term <= TERM_MAX) & (tail <= TAIL_MAX), "expansion", "lower_bound")
    return str(reg) if reg.ndim == 0 else reg.tolist()


def extras(values, s: dict, out: dict) -> None:
    from model_collapse.theory import kde_workflow as th

    kw = {k: s[k] for k in ("workflow", "dataset", "dim", "h", "bandwidth", "n")}
    out["nll_regime"] = _regime(out, values)
    if values.n is not None and not np.all(np.isfinite(np.asarray(out["nll_term"], dtype=float))):
        warnings.warn("nll_term: the pair genealogy of the fitted points is not derived for this workflow and "
                      "bandwidth rule past t = 1 (docs/kde.md), so there is no 1/n term; nll is the lower bound "
                      "nll_lower", stacklevel=2)
    out["variance_growth_limit"] = th.variance_growth_limit(**kw)
    if values.workflow != "replace":
        bound = th.nll_bound(s["t"], **kw, centers=s["centers"], test_centers=s["test_centers"])
        out["nll_bound"] = bound.tolist() if np.ndim(bound) else float(bound)


def cost(values, command: str) -> tuple[list[tuple[str, float]], float]:
    t, n = float(values.t), float(values.n or 1)
    items = [("t", 8.0 * 16 * t)]
    if command == "predict":
        return items, 1e6 * t
    items.append(("t" if t >= values.trials else "trials", 8.0 * 4 * t * values.trials))
    items.append(("t", 8.0 * 3 * t * n * 3))  # the pool of t·n points (accumulate), D <= 3
    items.append(("n_test", 8.0 * 2 * values.n_test * t * n))
    return items, values.trials * t * (values.n_test + n) * t * n * 4


FAMILY = Family(
    name="kde_workflow",
    cli="kde",
    help="Gaussian-kernel density estimation: replace, accumulate, accumulate-subsample (Collapse or Thrive?)",
    predict="model_collapse.theory.kde_workflow:predict",
    simulate="model_collapse.montecarlo.kde_workflow:simulate",
    params=PARAMS,
    simulate_params=SIMULATE_PARAMS,
    hooks=Hooks(keywords=keywords, check=check, extras=extras, cost=cost),
    extra_keys=("nll_regime", "variance_growth_limit", "nll_bound"),
    fields=("variance_growth", "nll"),
    reference=MappingProxyType(dict(t=np.array([1, 3, 5]), workflow="accumulate", dataset="gaussian", h=0.5, n=1000)),
    n_trials=100,
    # variance_growth is exact; the NLL at n = 1000 is the finite-n expansion, whose next-order allowance
    # 2.5·term² is < 1e-4 nats here (term ≤ 0.005): stated relative allowance 1e-4
    allowance=1e-4,
    perturbed=lambda s: {**s, "workflow": "replace"},
    perturbed_note="the replace law (variance t·h²) used for accumulate",
    figures=("cot_kde",),
    methods=("auto", "fast", "direct"),
    simulator_options=frozenset({"n_test", "blobs_quirk"}),
    diagnostics=frozenset({"kernel_count"}),
    # a density above 1 has a negative log-loss; the simulated variance growth is a difference of second
    # moments (unbiased for E A_t >= 0, but a single noisy estimate can fall below 0)
    signed_keys=frozenset({"nll", "nll_limit", "nll_bound", "variance_growth"}),
    note="Kernel density estimation refitted on its own samples (docs/theory.md §5.3).",
    cli_reference=("--workflow", "accumulate", "--t", "5", "--dataset", "gaussian", "--h", "0.5", "--n", "1000"),
)

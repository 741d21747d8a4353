"""`synthetic-budget`: how many synthetic samples to add to n₁ real ones (SMC closed form, docs/theory.md §2.8).

Theory-only in its answer, built on the ridge mixture (:func:`model_collapse.theory.synthetic_budget.
synthetic_budget`): ``real_only_total`` (E(0)), ``best_n_synthetic`` (the best integer k ≥ 0; inf when the
error keeps falling as k → ∞), ``best_total``, ``helps``, ``break_even_n_synthetic`` (the largest k with
E(k) ≤ E(0); inf when no amount hurts) and ``limit_total`` (E(∞), all synthetic).

``simulate`` (:func:`simulate`) checks the two errors that matter by simulation: the ridge-mixture simulator at
n = n₁ (``real_only_total``) and at n = n₁ + k*, p₂ = k*/n (``best_total``), each as mean ± SE, with the theory's
``best_n_synthetic`` and the simulated ``gain`` = E(0) − E(k*). The two points have their own seeds,
``SeedSequence(seed, spawn_key=(0,))`` and ``(1,)``.
"""

from __future__ import annotations

import math
import warnings
from types import MappingProxyType

import numpy as np
from model_collapse.families import common
from model_collapse.params import Family, Hooks, Param
from model_collapse.validation import InvalidParameterError

MAX_SIM_N = 10**7  # the 'sample' method draws every row: at most this many

PARAMS = (
    Param("n_real", common.COUNT, "number of real samples n1"),
    common.D, common.C2, common.LAM, common.SIGMA, common.SIGMA2, common.R2, common.SPECTRUM, common.SPECTRUM2,
    common.TEACHER, common.PENALTY, common.MSE,
    Param("max_synthetic", common.COUNT_OR_INF, "search k in [0, MAX] (an integer, or inf)", default=math.inf),
)


def keywords(values) -> dict:
    s = common.mixture_keywords(values)
    return {"n_real": values.n_real, **s, "max_synthetic": values.max_synthetic}


def check(values, command: str) -> None:
    common.resolve_dimension(values)


def extras(values, s: dict, out: dict) -> None:
    if math.isinf(out["best_n_synthetic"]):
        warnings.warn("best_n_synthetic: the error keeps falling as synthetic samples are added (its infimum is "
                      "the all-synthetic limit limit_total); cap the search with --max-synthetic", RuntimeWarning,
                      stacklevel=2)
    if math.isinf(out["break_even_n_synthetic"]):
        warnings.warn("break_even_n_synthetic: no amount of synthetic data makes the error worse than real-only "
                      "(limit_total <= real_only_total)", RuntimeWarning, stacklevel=2)


def cost(values, command: str) -> tuple[list[tuple[str, float]], float]:
    common.resolve_dimension(values)
    d = float(values.d)
    items = [("d", 8.0 * 24 * d)]
    if command == "predict":
        return items, 2000.0 * d
    return [*items, ("d", 8.0 * 12 * d * d), ("trials", 8.0 * 4 * values.trials)], 2 * values.trials * 6 * d**3


def simulate(n_real, lam, eigenvalues, *, max_synthetic=math.inf, n_trials: int = 100, seed=0,
             method: str = "conditional", progress=None, **ridge) -> dict:
    """E(0) and E(k*) by simulation (:func:`model_collapse.montecarlo.ridge_mixture.simulate`), k* from theory.

    Keywords as :func:`model_collapse.theory.synthetic_budget.synthetic_budget`, plus the simulator's. Returns
    ``best_n_synthetic`` (theory), ``real_only_total`` and ``best_total`` (``{"mean", "se"}``) and ``gain``."""
    from model_collapse.montecarlo import ridge_mixture as mc
    from model_collapse.montecarlo.trials import point_seed
    from model_collapse.theory import synthetic_budget as th

    res = th.synthetic_budget(n_real, lam, eigenvalues, max_synthetic=max_synthetic, **ridge)
    k = res.best_n_synthetic
    if not math.isfinite(k):
        raise InvalidParameterError.of("max_synthetic", None, "must be finite to simulate this setting: the best "
                                       "number of synthetic samples is unbounded here (the error keeps falling); "
                                       "give a finite maximum.")
    n_best = int(n_real + k)
    if n_best > MAX_SIM_N and method == "sample":
        raise InvalidParameterError.of("method", None, f"must be 'conditional' at n1 + k* = {n_best} (the 'sample' "
                                       f"method draws every row; at most {MAX_SIM_N}).")
    seed_real, seed_best = point_seed(seed, 0), point_seed(seed, 1)
    kw = dict(n_trials=n_trials, method=method, progress=progress, **ridge)
    real = mc.simulate(int(n_real), 0.0, lam, eigenvalues, seed=seed_real, **kw)
    best = mc.simulate(n_best, k / n_best if n_best else 0.0, lam, eigenvalues, seed=seed_best, **kw)
    gain = real.total.mean - best.total.mean
    return {"best_n_synthetic": k, "real_only_total": real.total.as_dict(), "best_total": best.total.as_dict(),
            "gain": {"mean": gain, "se": float(np.hypot(real.total.sem, best.total.sem))}}


FAMILY = Family(
    name="synthetic_budget",
    cli="synthetic-budget",
    help="given n1 real samples, the best number of synthetic samples to add and what it buys (SMC)",
    predict="model_collapse.theory.synthetic_budget:synthetic_budget",
    simulate=simulate,
    params=PARAMS,
    hooks=Hooks(keywords=keywords, check=check, extras=extras, cost=cost),
    methods=("conditional", "sample"),
    fields=("real_only_total", "best_total"),
    reference=MappingProxyType(dict(n_real=100, lam=0.01, eigenvalues=np.ones(60), c2=1.0, sigma=1.0,
                                    max_synthetic=1000)),
    figures=("smc_synthetic_budget",),
    contract=False,
    note="The synthetic-data budget (docs/theory.md §2.8); simulate checks E(0) and E(k*) with the ridge simulator.",
    cli_reference=("--n-real", "100", "--d", "60", "--c2", "1", "--lam", "0.01", "--sigma", "1",
                   "--max-synthetic", "1000"),
)

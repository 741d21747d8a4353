"""`gaussian`: iterative multivariate Gaussian fitting, replace / accumulate / accumulate-subsample (CoT §5.1).

Iteration t = 1 is the fit on the n real points; the truth is N(0, σ²I_d). ``predict`` gives the exact
expectations at iteration t (``per_iteration``: at every iteration 1..t), ``simulate`` the mean and standard
error over the trials, with the same keys (``log_det_ratio`` only where it is defined: replace with n > d in
theory, n > d in simulation; ``w2_squared`` for d = 1, replace in theory). ``limits`` adds the t → ∞ limits,
the π²/6 bound and the almost-sure log-det decay rate.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
from model_collapse.families.common import PER_ITERATION
from model_collapse.params import Family, Hooks, Param, Switch

WORKFLOW = Param("workflow", None, "replace: fit only the latest n samples; accumulate: fit everything so far; "
                 "accumulate-subsample: fit n points drawn without replacement from everything so far")
PARAMS = (
    WORKFLOW,
    Param("n", None, "samples drawn per iteration (≥ 2)"),
    Param("d", None, "dimension"),
    Param("t", None, "iteration (1 = the fit on the real data)"),
    Param("estimator", None, "covariance: mle (divide by m, the authors' choice) or unbiased (m − 1)", default="mle"),
    Param("variance", None, "the data variance σ² per coordinate of the true law N(0, σ²I_d)", default=1.0,
          aliases=("sigma2",)),
    PER_ITERATION,
)
LIMITS = Param("limits", Switch(), "also print the t → ∞ limits, the π²/6 bound and the almost-sure log-det decay "
               "rate", default=False)


def keywords(values) -> dict:
    t = np.arange(1, values.t + 1) if values.per_iteration else values.t
    return dict(n=values.n, d=values.d, t=t, workflow=values.workflow, estimator=values.estimator,
                variance=values.variance)


def extras(values, s: dict, out: dict) -> None:
    from model_collapse.theory import gaussian_workflow as th

    if not values.limits:
        return
    kw = dict(workflow=values.workflow, estimator=values.estimator)
    out.update(th.limits(values.n, values.d, variance=values.variance, **kw).as_dict())
    if values.workflow != "accumulate-subsample":  # replace: ρ < 0; accumulate: Σ̂_t converges (rate 0)
        rate = th.log_det_decay_rate(values.n, values.d, estimator=values.estimator)
        out["log_det_decay_rate"] = rate if values.workflow == "replace" else 0.0


def cost(values, command: str) -> tuple[list[tuple[str, float]], float]:
    t, d, n = float(values.t), float(values.d), float(values.n)
    items = [("t", 8.0 * 8 * t)]  # exact cumulative sums over iterations (accumulate) / per-iteration output
    if command == "predict":
        return items, (40.0 * t * (d + 1) if values.workflow == "accumulate" else 10.0 * t)
    items.append(("t" if t >= values.trials else "trials", 8.0 * 6 * t * values.trials))
    if values.workflow == "accumulate-subsample":
        items.append(("t", 8.0 * t * n * d))  # the pool of t·n points
    items.append(("d", 8.0 * 16 * min(d, n) ** 2))
    r = min(d, n - 1)
    samples = values.workflow == "accumulate-subsample" or values.method == "samples"
    per_iter = 2 * n * d * d if samples else 4 * r**3
    return items, values.trials * t * (per_iter + 50)


FAMILY = Family(
    name="gaussian_workflow",
    cli="gaussian",
    help="iterative multivariate Gaussian fitting: replace, accumulate, accumulate-subsample (Collapse or Thrive?)",
    predict="model_collapse.theory.gaussian_workflow:predict",
    simulate="model_collapse.montecarlo.gaussian_workflow:simulate",
    params=PARAMS,
    predict_params=(LIMITS,),
    hooks=Hooks(keywords=keywords, extras=extras, cost=cost),
    extra_keys=("mean_sq_error_limit", "cov_trace_ratio_limit", "cov_det_ratio_limit", "mean_sq_error_bound",
                "log_det_decay_rate"),
    fields=("mean_sq_error", "cov_trace_ratio", "cov_det_ratio"),
    reference=MappingProxyType(dict(n=12, d=3, t=np.array([1, 4, 12]), workflow="accumulate")),
    n_trials=4000,
    allowance=0.0,
    perturbed=lambda s: {**s, "workflow": "replace"},
    perturbed_note="the replace law used for accumulate",
    figures=("cot_gaussian", "cot_gaussian_d10"),
    methods=("auto", "sufficient", "samples"),
    simulator_options=frozenset({"refit"}),
    signed_keys=frozenset({"log_det_ratio", "log_det_decay_rate"}),
    note="Iterative Gaussian fitting, replace / accumulate (docs/theory.md §5.1). Exact laws.",
    cli_reference=("--workflow", "replace", "--n", "12", "--d", "3", "--t", "4"),
)

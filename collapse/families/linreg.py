"""`linreg`: OLS retrained on its own labels, replace / accumulate / accumulate-subsample (CoT, §5.2).

A fixed design of n rows (samples per iteration) and d features is relabelled by the latest fit every
iteration; iteration t = 1 is the fit on the real labels. ``test_error`` is the excess risk E‖ŵ_t − w*‖²
(the test MSE on noiseless test labels, the authors' convention; ``test_labels = noisy`` adds σ²).
Accumulate-subsample is simulated only (the theory refuses it, naming the workflow).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
from model_collapse.families.common import PER_ITERATION
from model_collapse.params import Family, Hooks, Param, Switch

PARAMS = (
    Param("workflow", None, "replace: fit the latest labels; accumulate: fit all labelled copies so far; "
          "accumulate-subsample (simulate only): fit n rows drawn without replacement from them"),
    Param("n", None, "samples per iteration (rows of the design)"),
    Param("d", None, "number of features"),
    Param("t", None, "iteration (1 = the fit on the real data)"),
    Param("sigma", None, "label-noise standard deviation σ", default=1.0),
    Param("test_labels", None, "noiseless (excess risk, the authors' convention) or noisy (adds σ²)",
          default="noiseless"),
    PER_ITERATION,
)
LIMITS = Param("limits", Switch(), "also print the t → ∞ limit and the π²/6 bound", default=False)
N_TEST = Param("n_test", None, "score on this many fixed test points, as the authors (default: the exact "
               "expectation over test inputs)", default=None)


def keywords(values) -> dict:
    t = np.arange(1, values.t + 1) if values.per_iteration else values.t
    return dict(n=values.n, d=values.d, t=t, workflow=values.workflow, sigma=values.sigma,
                test_labels=values.test_labels)


def extras(values, s: dict, out: dict) -> None:
    from model_collapse.theory import linreg_workflow as th

    if values.limits:
        out["test_error_limit"] = th.limit(values.n, values.d, workflow=values.workflow, sigma=values.sigma,
                                           test_labels=values.test_labels)
        out["test_error_bound"] = th.pi2_6_bound(values.n, values.d, sigma=values.sigma)


def cost(values, command: str) -> tuple[list[tuple[str, float]], float]:
    t, d, n = float(values.t), float(values.d), float(values.n)
    items = [("t", 8.0 * 4 * t)]
    if command == "predict":
        return items, 10.0 * t
    items.append(("t" if t >= values.trials else "trials", 8.0 * 2 * t * values.trials))
    items.append(("n" if n >= d else "d", 8.0 * 4 * n * d + 8.0 * t * n))
    if values.n_test is not None:
        items.append(("n_test", 8.0 * 2 * values.n_test * (d + t + 1)))
    refit = values.workflow == "accumulate-subsample" or values.method == "refit"
    if refit:
        items.append(("t", 8.0 * 2 * t * n * d))
    per = 2 * n * d * d + t * n * d + (values.n_test or 0) * d * t + (t * t * n * d * d if refit else 0.0)
    return items, values.trials * per


FAMILY = Family(
    name="linreg_workflow",
    cli="linreg",
    help="linear regression retrained on its own labels: replace, accumulate, accumulate-subsample",
    predict="model_collapse.theory.linreg_workflow:predict",
    simulate="model_collapse.montecarlo.linreg_workflow:simulate",
    params=PARAMS,
    predict_params=(LIMITS,),
    simulate_params=(N_TEST,),
    hooks=Hooks(keywords=keywords, extras=extras, cost=cost),
    extra_keys=("test_error_limit", "test_error_bound"),
    fields=("test_error",),
    reference=MappingProxyType(dict(n=20, d=4, t=np.array([1, 3, 8]), workflow="accumulate", sigma=1.0)),
    n_trials=4000,
    allowance=0.0,
    perturbed=lambda s: {**s, "workflow": "replace"},
    perturbed_note="the replace law (linear growth) used for accumulate",
    figures=("cot_linreg",),
    methods=("recursion", "refit"),
    simulator_options=frozenset({"n_test", "design"}),
    note="Linear regression retrained on its own labels, replace / accumulate (docs/theory.md §5.2). Exact.",
    cli_reference=("--workflow", "accumulate", "--n", "20", "--d", "4", "--t", "8", "--sigma", "1"),
)

"""`mixing`: weighted and iterative mixing of real and synthetic data (Strong Model Collapse §5, docs/mixing.md).

The ridge-mixture setting plus
- ``weight`` a ∈ [0, 1]: the weight of the synthetic loss, (1 − a)·(real mean loss) + a·(synthetic mean loss) +
  λ‖w‖²; omitted = pooling (a = p2, the ridge family's fit);
- ``rounds`` R: iterative mixing, round R (1 = single-step mixing; round t's synthetic labels come from round
  t − 1's model, round 1's from the generator w₂ of quality c²); ``per_round`` gives rounds 1..R.
``best_weight`` adds ``best_weight`` (a* minimising the error at round R), ``best_total`` (the error there) and
``pooled_total`` (at a = p2); ``limits`` adds ``floor`` (the n → ∞ error of one round at the weight,
λ²tr ΓΣ(Σ+λ)⁻² + a²tr ΔΣ³(Σ+λ)⁻²) and ``fixed_point`` (lim E_t over rounds; inf with a warning when iterative
mixing diverges).
"""

from __future__ import annotations

from numbers import Integral
from types import MappingProxyType

import numpy as np
from model_collapse.families import common
from model_collapse.families.ridge import ridge_allowance
from model_collapse.params import Family, Hooks, Param, Switch
from model_collapse.validation import Interval

MAX_ROUNDS = 100_000

PARAMS = (
    *common.MIXTURE,
    common.replace(common.PENALTY, help="λ convention: mean = λ with the (1/n)-scaled loss, sum = λ/n"),
    Param("weight", None, "weight a in [0, 1] of the synthetic loss: (1-a)·real + a·synthetic mean losses "
          "(default: pooling, a = --p2)", default=None),
    Param("rounds", Interval(Integral, 1, MAX_ROUNDS), "round of iterative mixing: 1 = single-step; round t's "
          "synthetic labels come from round t-1's model", default=1),
    Param("per_round", Switch(), "print every round 1..R", default=False),
)
PREDICT_PARAMS = (
    Param("best_weight", Switch(), "also print best_weight (a* minimising the error at round R), best_total, "
          "pooled_total", default=False),
    Param("limits", Switch(), "also print floor (n → ∞ error of one round at the weight) and fixed_point "
          "(rounds → ∞)", default=False),
)


def keywords(values) -> dict:
    s = common.mixture_keywords(values, penalty=False, second_spectrum=False)
    rounds = np.arange(1, values.rounds + 1) if values.per_round else values.rounds
    return {**s, "penalty": values.penalty, "weight": values.weight, "rounds": rounds}


def notes(values) -> None:
    common.note_realised_p2(values.n, values.p2)


def extras(values, s: dict, out: dict) -> None:
    from model_collapse.theory import mixing as th

    kw = {k: s[k] for k in ("c2", "r2", "sigma", "sigma2", "penalty")}
    if values.best_weight:
        best = th.best_weight(s["n"], s["p2"], s["lam"], s["eigenvalues"], rounds=values.rounds, **kw)
        out.update(best_weight=best.weight, best_total=best.total, pooled_total=best.pooled_total)
    if values.limits:
        a = s["p2"] if s["weight"] is None else s["weight"]
        lam = s["lam"] / s["n"] if s["penalty"] == "sum" else s["lam"]
        out["floor"] = float(th.weight_floor(lam, a, s["eigenvalues"], c2=s["c2"], r2=s["r2"]))
        out["fixed_point"] = float(th.fixed_point(s["n"], s["p2"], s["lam"], s["eigenvalues"], weight=s["weight"],
                                                  **kw))


def cost(values, command: str) -> tuple[list[tuple[str, float]], float]:
    common.resolve_dimension(values)
    d, n, r = float(values.d), float(values.n), float(values.rounds)
    best = bool(getattr(values, "best_weight", False))
    items = [("d", 8.0 * 40 * d), ("rounds", 8.0 * 8 * r)]
    if best:
        items.append(("d", 8.0 * 40 * 257 * d))
    if command == "predict":
        return items, 400.0 * d * (1 + r) * (257 if best else 1)
    sample = values.method == "sample"
    items.append(("d", 8.0 * 16 * d * d))
    if sample:
        items.append(("n", 8.0 * 8 * n * d))
    items.append(("trials", 8.0 * 4 * r * values.trials))
    per = 12 * d**3 + (2 * n * d * d if sample else min(n, d) * d * d)
    return items, values.trials * r * per


FAMILY = Family(
    name="mixing",
    cli="mixing",
    help="weighted and iterative mixing of real and synthetic data (Strong Model Collapse §5)",
    predict="model_collapse.theory.mixing:predict",
    simulate="model_collapse.montecarlo.mixing:simulate",
    params=PARAMS,
    predict_params=PREDICT_PARAMS,
    hooks=Hooks(keywords=keywords, extras=extras, cost=cost, notes=notes),
    extra_keys=("best_weight", "best_total", "pooled_total", "floor", "fixed_point"),
    fields=("bias", "variance", "zeta", "total"),
    reference=MappingProxyType(dict(n=300, p2=0.3, lam=0.01, eigenvalues=np.ones(60), weight=0.1,
                                    rounds=np.array([1, 2, 4]), c2=1.0, sigma=0.5)),
    n_trials=200,
    # the ridge deterministic-equivalent correction 2(1/|n − d| + 1/d) = 0.042 at the reference; measured
    # there: |mean − theory| ≤ 0.55 of it, beyond 4 SE ≤ 0.16 of it (docs/mixing.md)
    allowance=ridge_allowance(300, 60),
    perturbed=lambda s: {**s, "weight": None},
    perturbed_note="the pooling weight a = p2 used for the weight a (= 0.1 at the reference)",
    figures=("smc_mixing",),
    methods=("conditional", "sample"),
    # from round 2 on zeta contains the cross term with the teacher; the literal method estimates zeta as
    # a difference of two errors, so one trial (or a noisy mean) can be < 0
    signed_keys=frozenset({"zeta"}),
    note="Strong Model Collapse §5: weighted and iterative mixing of real and synthetic data (docs/mixing.md).",
    cli_reference=("--n", "300", "--d", "60", "--p2", "0.3", "--c2", "1", "--lam", "0.01", "--sigma", "0.5",
                   "--weight", "0.1", "--rounds", "4", "--per-round"),
)

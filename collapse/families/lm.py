"""`lm`: the statistical language model retrained on its own samples (Seddik et al., docs/theory.md §6).

One context, true next-token law p with S₀ = ‖p‖²; generation 1 (iteration ``t`` = 1, SED's m = 1) is fitted on
N real tokens (``real``), every later generation on n tokens from the previous model (``synthetic``; fully
synthetic), on the N real tokens plus n fresh synthetic ones (partially synthetic), on everything so far
(accumulate) or on n tokens drawn without replacement from everything so far (accumulate-subsample); the paper's
§4.2 variants: n fresh tokens from each of the last K models (recent-window, ``window`` K) or from the mixture of
all past models (random-past).

``predict`` gives, at iteration t = m (``per_iteration``: at every iteration 1..t), ``sq_norm`` = S_m and, fully
synthetic, the Theorem 1 bounds ``collapse_prob_lower``, ``collapse_prob_upper`` (on P(collapsed by generation m))
and ``collapse_time_lower``, ``collapse_time_upper`` (on E[T]). The lower probability bound 1 − n(1 − S_m) is
negative for early generations: it is given clipped at 0, with a note. ``simulate`` gives the mean and standard
error over the trials of the canonical law with that S₀ (geometric weights on ``support`` tokens of a
``vocab``-token vocabulary): ``sq_norm``, ``deviation`` = ‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ and, fully synthetic, ``collapse_prob`` and
``collapse_time`` (each run followed until it collapses or ``max_generations``).
"""

from __future__ import annotations

import warnings
from types import MappingProxyType

import numpy as np
from model_collapse.families import common
from model_collapse.params import Family, Hooks, Param
from model_collapse.resources import Note
from model_collapse.validation import InvalidParameterError

PARAMS = (
    Param("workflow", None, "fully-synthetic: n tokens from the previous model; partially-synthetic: the N real "
          "tokens plus n from the previous model; accumulate: the N real tokens and all synthetic tokens so far; "
          "accumulate-subsample: n tokens drawn without replacement from that pool; recent-window: n fresh tokens "
          "from each of the last --window models (model 0 = the true law); random-past: n fresh tokens from the "
          "mixture of all past models"),
    Param("real", None, "N, real tokens of the context (generation 1 is fitted on them)"),
    Param("synthetic", None, "n, synthetic tokens per generation"),
    Param("t", None, "iteration t to report (SED's generation m; 1 = the fit on the real tokens)",
          aliases=("generations",)),
    Param("s0", None, "S0 = ‖p‖², sum of squared true next-token probabilities, in [1/support, 1]"),
    Param("support", None, "s~, number of tokens with p_i > 0 (default: unknown, bounded by --vocab, else "
          "unbounded)", default=None),
    Param("window", None, "K, number of most recent models (recent-window only, where it is required)",
          default=None),
    common.replace(common.PER_ITERATION, aliases=("per_generation",)),
    Param("vocab", None, "s, vocabulary size: bounds the support when --support is not given; the simulated law's "
          "size (simulate needs vocab or support)", default=None),
)
MAX_GENERATIONS = Param("max_generations", None, "stopping rule of the fully synthetic collapse-time run: a run "
                        "still alive there is censored", default=100_000)


def keywords(values) -> dict:
    t = np.arange(1, values.t + 1) if values.per_iteration else values.t
    return dict(workflow=values.workflow, real=values.real, synthetic=values.synthetic, t=t, s0=values.s0,
                support=values.support, vocab=values.vocab, window=values.window)


def check(values, command: str) -> None:
    from model_collapse.theory import language_model as th

    if values.workflow == "recent-window" and values.window is None:
        raise InvalidParameterError.of("window", None, "is required for {workflow} recent-window (an int >= 1).",
                                       refs=("workflow",))
    th.check_setting(values.s0, values.support, values.vocab, "lm")
    if command == "simulate" and values.support is None and values.vocab is None:
        raise InvalidParameterError.of("vocab", None, "(or {support}) is required to simulate: the law needs a "
                                       "number of tokens.", refs=("support",))


#: the most operations the exact ℓ₁-drift chain may take inside ``predict`` (about 0.1 s): beyond it only the
#: bound is printed, with a note (theory.lm_drift.drift itself allows up to MAX_CHAIN_WORK, for the figures)
PREDICT_CHAIN_WORK = 1e8


def _drift(values, s: dict, out: dict) -> None:
    """deviation (E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁, exact: fully/partially synthetic) and deviation_upper (a bound, the four
    workflows) for the canonical law that ``simulate`` samples (theory.lm_law.law; needs support or vocab)."""
    from model_collapse.theory import lm_drift
    from model_collapse.theory.lm_law import law

    if values.workflow not in lm_drift.DRIFT_WORKFLOWS or (values.support is None and values.vocab is None):
        return
    m = np.atleast_1d(s["t"])
    work = (values.real + 1.0) * (values.synthetic + 1.0) ** 2 * float(m.max())
    exact = values.workflow in lm_drift.EXACT_L1_WORKFLOWS and work <= PREDICT_CHAIN_WORK
    dr = lm_drift.drift(law(values.s0, values.support, values.vocab), values.real, values.synthetic, s["t"],
                        workflow=values.workflow, exact=exact)
    if dr.deviation is not None:
        out["deviation"] = dr.deviation.tolist() if np.ndim(dr.deviation) else float(dr.deviation)
    elif values.workflow in lm_drift.EXACT_L1_WORKFLOWS:
        warnings.warn(f"deviation: the exact chain would take about {work:.2g} operations (more than "
                      f"{PREDICT_CHAIN_WORK:.0e}); only its bound deviation_upper is printed (theory.lm_drift.drift "
                      "computes it)", Note, stacklevel=2)
    out["deviation_upper"] = dr.deviation_upper.tolist() if np.ndim(dr.deviation_upper) else float(dr.deviation_upper)


def extras(values, s: dict, out: dict) -> None:
    _drift(values, s, out)
    if values.workflow != "fully-synthetic":
        return
    m = np.atleast_1d(s["t"])
    raw = 1.0 - np.where(m == 1, values.real, values.synthetic) * (1.0 - np.atleast_1d(out["sq_norm"]))
    if np.any(raw < 0):
        warnings.warn("collapse_prob_lower is the bound 1 - L(1 - S_m) clipped at 0 (negative before about "
                      "generation 1 + n ln(n(1 - S0)); L = N at generation 1, else n)", Note, stacklevel=2)


def cost(values, command: str) -> tuple[list[tuple[str, float]], float]:
    items = [("t", 8.0 * 8 * values.t)]
    if command == "predict":
        return items, 100.0 * values.t
    size = float(values.vocab or values.support or 1)
    items.append(("t" if values.t >= values.trials else "trials",
                  8.0 * 4 * values.t * values.trials))
    items.append(("vocab" if values.vocab else "support", 8.0 * 4 * size * values.trials))
    # fully synthetic runs continue to collapse, after ~2n·H generations (Wright–Fisher), at most max_generations
    gens = values.t + (min(values.max_generations, 4 * values.synthetic)
                                 if values.workflow == "fully-synthetic" else 0)
    return items, values.trials * gens * (size + values.real + values.synthetic) * 20


FAMILY = Family(
    name="language_model",
    cli="lm",
    help="statistical language model on its own samples: fully/partially synthetic, accumulate (Seddik et al.)",
    predict="model_collapse.theory.language_model:predict",
    simulate="model_collapse.montecarlo.language_model:simulate",
    params=PARAMS,
    simulate_params=(MAX_GENERATIONS,),
    hooks=Hooks(keywords=keywords, check=check, extras=extras, cost=cost),
    fields=("sq_norm",),
    extra_keys=("deviation", "deviation_upper"),  # the drift of the simulated law (theory.lm_drift), via extras
    reference=MappingProxyType(dict(workflow="partially-synthetic", real=10, synthetic=40,
                                    t=np.array([1, 3, 6]), s0=0.1, support=20, vocab=50)),
    n_trials=2000,
    allowance=0.0,  # S_m is exact (Theorem 2 with the corrected sign, docs/theory.md §6)
    perturbed=lambda s: {**s, "real": s["synthetic"], "synthetic": s["real"]},
    perturbed_note="α = N/(N + n) for n/(N + n) (real and synthetic counts swapped)",
    figures=("sed_collapse", "sed_partial", "sed_variants", "sed_ngram", "real_text_lm"),
    simulator_options=frozenset({"max_generations"}),
    diagnostics=frozenset({"collapse_prob", "collapse_time", "deviation", "absorption", "censored"}),
    note="The statistical language model: next-token frequencies refitted on their own samples (§6).",
    cli_reference=("--workflow", "partially-synthetic", "--real", "10", "--synthetic", "40", "--t", "6",
                   "--s0", "0.1", "--support", "20", "--vocab", "50"),
)

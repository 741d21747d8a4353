"""The statistical language model retrained on its own samples (Seddik et al.): closed forms and exact chains.

Model (docs/theory.md §6; Seddik, Chen, Hayou, Youssef, Debbah, "How Bad is Training on Synthetic Data? A
Statistical Analysis of Language Model Collapse", arXiv:2404.05090, §2–3 and App. B). Fix one context;
its true next-token law is p on a vocabulary of s tokens, S₀ = ‖p‖₂² = Σ p_i², s̃ = |supp p|. Every model
is the empirical frequency of its training tokens; generation 1 is fitted on N real tokens, later ones on
n synthetic tokens per generation under the workflows of :mod:`theory.lm_chain`.

This module gathers the closed forms (:func:`predict`) and re-exports the public names of the modules that
compute them, one concept each:

- :mod:`theory.lm_chain`: the workflows and S_m = E‖p⁽ᵐ⁾‖₂² (Theorems 1 eq. 6 and 2, the accumulate product,
  the exact recursions of accumulate-subsample, recent-window and random-past);
- :mod:`theory.lm_collapse`: the collapse of the fully synthetic chain (Theorem 1 eqs. 7–8, Proposition 1,
  the exact lattice chain, the Wright–Fisher approximation) and Theorem 3 / eq. 11 (``max_synthetic``: the amount
  Theorem 3 gives, 4π/e² in the logarithmic branch, by default; ``form="printed"``: eq. 11 as printed, 2π/e²);
- :mod:`theory.exponential_family`: π²/6 beyond Gaussians (the two-token model as a Bernoulli family).

Simulator twin: :func:`montecarlo.language_model.simulate`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from model_collapse.theory.exponential_family import FAMILIES, family_risk_ratio, family_risk_ratio_limit
from model_collapse.theory.exponential_family import FAMILY_WORKFLOWS as FAMILY_WORKFLOWS
from model_collapse.theory.lm_chain import (
    COUNT,
    GENERATION,
    SIZE,
    SQ_NORM,
    WINDOW,
    WORKFLOW,
    WORKFLOWS,
    _check_window,
    check_setting,
    gram_recursion,
    partial_recursion,
    pool_recursion,
    sq_norm,
    sq_norm_given_first,
    sq_norm_limit,
)
from model_collapse.theory.lm_chain import MAX_POOL_GENERATIONS as MAX_POOL_GENERATIONS
from model_collapse.theory.lm_collapse import C0 as C0
from model_collapse.theory.lm_collapse import C1 as C1
from model_collapse.theory.lm_collapse import (
    MAX_STATES,
    ExactChain,
    absorption_probabilities,
    collapse_prob_bounds,
    collapse_time_bounds,
    collapse_time_wright_fisher,
    deviation_bound,
    exact_chain,
    max_synthetic,
)
from model_collapse.validation import renamed, validate

__all__ = [
    "WORKFLOWS",
    "MAX_STATES",
    "LMPrediction",
    "ExactChain",
    "sq_norm",
    "sq_norm_limit",
    "sq_norm_given_first",
    "partial_recursion",
    "pool_recursion",
    "gram_recursion",
    "FAMILIES",
    "family_risk_ratio",
    "family_risk_ratio_limit",
    "deviation_bound",
    "max_synthetic",
    "collapse_prob_bounds",
    "collapse_time_bounds",
    "absorption_probabilities",
    "exact_chain",
    "collapse_time_wright_fisher",
    "predict",
    "check_setting",
]


@dataclass(frozen=True)
class LMPrediction:
    """Predicted quantities at the requested generation(s) (arrays of the shape of ``t``).

    ``sq_norm`` = S_m (exact). Fully synthetic only (None otherwise, and left out of :meth:`as_dict`):
    ``collapse_prob_lower``/``collapse_prob_upper`` bound ρ_m (the lower one clipped at 0) and
    ``collapse_time_lower``/``collapse_time_upper`` bound E[T] (floats, independent of m).
    """

    sq_norm: np.ndarray | float
    collapse_prob_lower: np.ndarray | float | None
    collapse_prob_upper: np.ndarray | float | None
    collapse_time_lower: float | None
    collapse_time_upper: float | None

    def as_dict(self) -> dict:
        out = {}
        for key in ("sq_norm", "collapse_prob_lower", "collapse_prob_upper", "collapse_time_lower",
                    "collapse_time_upper"):
            value = getattr(self, key)
            if value is not None:
                arr = np.asarray(value, dtype=float)
                out[key] = arr.item() if arr.ndim == 0 else arr.tolist()
        return out


@renamed(generations="t")
@validate(workflow=WORKFLOW, real=COUNT, synthetic=COUNT, t=GENERATION, s0=SQ_NORM, support=SIZE,
          vocab=SIZE, window=WINDOW)
def predict(workflow: str, real: int, synthetic: int, t: int | np.ndarray, s0: float,
            support: int | None = None, vocab: int | None = None, window: int | None = None) -> LMPrediction:
    """All closed forms at generation(s) m = ``t`` (SED's m; t = 1 is the fit on the real tokens): S_m
    (:func:`sq_norm`) and, fully synthetic, the Theorem 1 bounds (:func:`collapse_prob_bounds`,
    :func:`collapse_time_bounds`).

    ``support`` (s̃) and ``vocab`` (s) enter only the bounds and the check 1/s̃ ≤ S₀ ≤ 1; S_m depends on the
    law only through S₀. ``window`` (K) is required by, and used only by, the recent-window workflow. A Dirac
    law (S₀ = 1) is collapsed from generation 1 (ρ = 1, T = 1), with a warning.
    Simulator twin: :func:`montecarlo.language_model.simulate` (the same keywords).
    """
    check_setting(s0, support, vocab, "predict")
    _check_window(workflow, window, "predict")
    if s0 == 1.0:
        warnings.warn("s0 = 1: the law is a Dirac mass, collapsed from generation 1.", stacklevel=2)
    s_m = sq_norm(workflow, real, synthetic, t, s0, window)
    if workflow != "fully-synthetic":
        return LMPrediction(s_m, None, None, None, None)
    lo, hi = collapse_prob_bounds(real, synthetic, t, s0, support, vocab)
    tlo, thi = collapse_time_bounds(real, synthetic, s0, support, vocab)
    return LMPrediction(s_m, lo, hi, tlo, thi)

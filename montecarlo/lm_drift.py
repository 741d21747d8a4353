"""Monte-Carlo twin of :mod:`theory.lm_drift`: the simulated drift of the retrained language model from its first fit.

:func:`drift` runs :func:`montecarlo.language_model.trajectories` (the same runs, seeds and workflows; every
generation's law kept) and reports E‖p⁽ᵐ⁾ − p⁽¹⁾‖₂² (``deviation_sq``) and E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ (``deviation``).
:func:`ngram_drift` repeats :func:`montecarlo.language_model.ngram_experiment` draw for draw (the same
generator per run and the same multinomial call per generation, so the same ``seed`` gives the same
``deviation`` and ``heldout_loss``) and adds the context-weighted ℓ₂² drift. Source and laws: docs/lm.md,
"Drift from the first model".
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
from model_collapse.montecarlo.language_model import NgramTable, trajectories
from model_collapse.montecarlo.trials import MCEstimate, estimate, trial_generators
from model_collapse.theory.lm_chain import COUNT, GENERATION
from model_collapse.theory.lm_drift import GIVEN_FIRST_WORKFLOW
from model_collapse.validation import POSITIVE_INT, Interval, InvalidParameterError, Options, validate

__all__ = ["LMDriftEstimate", "NgramDriftEstimate", "drift", "ngram_drift"]


@dataclass(frozen=True)
class LMDriftEstimate:
    """Mean ± SE over runs at the generations ``t``: ``deviation_sq`` (E‖p⁽ᵐ⁾ − p⁽¹⁾‖₂², twin of the exact law)
    and ``deviation`` (E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁, twin of the exact chain and of the bound ``deviation_upper``)."""

    deviation_sq: MCEstimate
    deviation: MCEstimate
    n_trials: int


@validate(real=COUNT, synthetic=COUNT, t=GENERATION,
          workflow=Options(("fully-synthetic", "partially-synthetic", "accumulate")), n_trials=POSITIVE_INT,
          seed=None)
def drift(p, real: int, synthetic: int, t, *, workflow: str = "partially-synthetic", n_trials: int = 100,
          seed=0) -> LMDriftEstimate:
    """Simulated drift at generation(s) m = ``t`` (an int or an array) for the law ``p``; same keywords as
    :func:`theory.lm_drift.drift` plus ``n_trials`` and ``seed`` (an int or a ``SeedSequence``)."""
    m = np.asarray(t, dtype=np.int64)
    tr = trajectories(p, real, synthetic, int(m.max(initial=1)), workflow=workflow, n_trials=n_trials, seed=seed,
                      keep_models=True)
    models = tr["models"]  # (runs, generations, vocabulary)
    diff = models - models[:, :1, :]
    sq = np.sum(diff**2, axis=2)
    l1 = np.sum(np.abs(diff), axis=2)

    def at(x):
        e = estimate(x[:, m.reshape(-1) - 1], axis=0)
        if m.ndim == 0:
            return MCEstimate(float(e.mean[0]), float(e.sem[0]), e.n_trials)
        return MCEstimate(e.mean.reshape(m.shape), e.sem.reshape(m.shape), e.n_trials)

    return LMDriftEstimate(deviation_sq=at(sq), deviation=at(l1), n_trials=int(n_trials))


@dataclass(frozen=True)
class NgramDriftEstimate:
    """Mean ± SE over runs at generations 1..m: ``deviation_sq`` = Σ_j w_j‖p_j⁽ᵐ⁾ − p_j⁽¹⁾‖₂², ``deviation`` =
    Σ_j w_j‖p_j⁽ᵐ⁾ − p_j⁽¹⁾‖₁ and ``heldout_loss`` (nats per character), as in
    :func:`montecarlo.language_model.ngram_experiment`."""

    t: np.ndarray
    deviation_sq: MCEstimate
    deviation: MCEstimate
    heldout_loss: MCEstimate
    n_trials: int


@validate(t=GENERATION, workflow=GIVEN_FIRST_WORKFLOW, synthetic_ratio=Interval(Real, 0, None, closed="neither"),
          smoothing=Interval(Real, 0, None, closed="neither"), n_trials=POSITIVE_INT, seed=None)
def ngram_drift(table: NgramTable, *, t: int = 10, workflow: str = "fully-synthetic", synthetic_ratio: float = 1.0,
                smoothing: float = 0.01, n_trials: int = 5, seed=0) -> NgramDriftEstimate:
    """The n-gram experiment's drift and held-out loss (draw for draw the runs of ``ngram_experiment`` with the
    same keywords), with the ℓ₂² drift the exact law :func:`theory.lm_drift.ngram_drift` predicts."""
    if not isinstance(seed, np.random.SeedSequence) and not (isinstance(seed, int | np.integer) and seed >= 0):
        raise InvalidParameterError.of("seed", "ngram_drift", f"must be a non-negative int or a SeedSequence. "
                                       f"Got {seed!r} instead.")
    C1 = table.counts
    N = C1.sum(axis=1)
    n = np.maximum(1, np.round(synthetic_ratio * N)).astype(np.int64)
    w = N / N.sum()
    p1 = C1 / N[:, None]
    m = int(t)
    s = C1.shape[1]
    out = {k: np.empty((n_trials, m)) for k in ("deviation_sq", "deviation", "heldout_loss")}
    for i, rng in enumerate(trial_generators(seed, n_trials)):
        C = C1.copy()
        for g in range(1, m + 1):
            if g > 1:
                total = C.sum(axis=1)
                X = rng.multinomial(n, C / total[:, None])
                C = X if workflow == "fully-synthetic" else (C1 + X if workflow == "partially-synthetic" else C + X)
            total = C.sum(axis=1)
            d = C / total[:, None] - p1
            out["deviation_sq"][i, g - 1] = w @ np.sum(d**2, axis=1)
            out["deviation"][i, g - 1] = w @ np.sum(np.abs(d), axis=1)
            smooth = (C[table.held_context, table.held_token] + smoothing) / (total[table.held_context] + smoothing * s)
            out["heldout_loss"][i, g - 1] = -np.mean(np.log(smooth))
    return NgramDriftEstimate(t=np.arange(1, m + 1), n_trials=int(n_trials),
                              **{k: estimate(v, axis=0) for k, v in out.items()})

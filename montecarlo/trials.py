"""Monte-Carlo estimates and explicit, reproducible randomness.

Every simulator returns :class:`MCEstimate` values (mean, standard error of the mean, number of
trials). Randomness enters only through :func:`trial_generators`: one ``numpy.random.Generator`` per
trial, spawned from ``numpy.random.SeedSequence(seed)``, so a trial's numbers do not depend on how
trials are batched and the same seed always gives bit-identical output. No global RNG state is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["MCEstimate", "estimate", "trial_generators", "batches", "Progress"]

#: Optional progress callback: called as ``progress(done, total)`` after each batch of trials.
Progress = Callable[[int, int], None] | None


@dataclass(frozen=True)
class MCEstimate:
    """Mean over trials, its standard error (sample std with ddof=1 over sqrt(n_trials)), trial count."""

    mean: float | np.ndarray
    sem: float | np.ndarray
    n_trials: int

    def as_dict(self) -> dict:
        return {"mean": _plain(self.mean), "se": _plain(self.sem)}


def _plain(x):
    x = np.asarray(x)
    return x.item() if x.ndim == 0 else x.tolist()


def estimate(samples: np.ndarray, axis: int = 0) -> MCEstimate:
    """:class:`MCEstimate` of per-trial ``samples`` along ``axis`` (SE is 0 for a single trial)."""
    samples = np.asarray(samples, dtype=float)
    k = samples.shape[axis]
    # Scale before squaring deviations: values near 1e-200 (a collapsed determinant) would underflow
    # to a zero standard error otherwise.
    scale = np.max(np.abs(samples), axis=axis, keepdims=True)
    scale = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
    scaled = samples / scale
    mean = scaled.mean(axis=axis) * np.squeeze(scale, axis=axis)
    sem = (scaled.std(axis=axis, ddof=1) * np.squeeze(scale, axis=axis) / np.sqrt(k)) if k > 1 else np.zeros_like(mean)
    if np.ndim(mean) == 0:
        mean, sem = float(mean), float(sem)
    return MCEstimate(mean=mean, sem=sem, n_trials=int(k))


def trial_generators(seed: int | np.random.SeedSequence, n_trials: int) -> list[np.random.Generator]:
    """One independent generator per trial, spawned from ``SeedSequence(seed)``."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    return [np.random.default_rng(child) for child in ss.spawn(n_trials)]


def batches(n_trials: int, per_trial_floats: float, budget_floats: float = 2.0e7) -> list[range]:
    """Split ``range(n_trials)`` into consecutive batches that keep ~``budget_floats`` doubles alive."""
    size = max(1, int(budget_floats // max(per_trial_floats, 1.0)))
    return [range(i, min(i + size, n_trials)) for i in range(0, n_trials, size)]

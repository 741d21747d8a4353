"""The random projection S of the random-projections model, as a deterministic function of a seed.

Shared by the quenched closed form (:func:`model_collapse.theory.random_projections.predict` with
``form="quenched"``, exact given S) and its simulator (which keeps the same S and resamples the data), so
that both see the same matrix. docs/theory.md §3.
"""

from __future__ import annotations

import numpy as np
from model_collapse.validation import POSITIVE_INT, SEED, validate

__all__ = ["sample_projection"]


@validate(m=POSITIVE_INT, d=POSITIVE_INT, seed=SEED)
def sample_projection(m: int, d: int, seed=0) -> np.ndarray:
    """S ∈ R^{m×d} with iid N(0, 1/d) entries, a deterministic function of ``seed``.

    Drawn row by row from ``default_rng(SeedSequence(seed))``: ``sample_projection(m, d, s)`` is the first m
    rows of ``sample_projection(m', d, s)`` for every m' ≥ m (a curve over m is a growing network, and a
    width's value does not depend on the other widths in a call).
    """
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    rng = np.random.default_rng(ss)
    return rng.standard_normal((int(m), int(d))) / np.sqrt(d)

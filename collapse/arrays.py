"""Small array helpers shared by theory/, montecarlo/ and the command line (one copy of each)."""

from __future__ import annotations

from typing import Any

import numpy as np
from model_collapse.validation import InvalidParameterError

__all__ = ["plain", "like", "require_scalars", "iterations"]


def plain(x: Any) -> float | list:
    """A number or array as plain Python (float or nested list), for JSON and ``as_dict``."""
    x = np.asarray(x, dtype=float)
    return x.item() if x.ndim == 0 else x.tolist()


def like(x: Any, template: Any) -> float | np.ndarray:
    """``x`` as a float when ``template`` is a scalar, else as a float array (scalar in, scalar out)."""
    x = np.asarray(x, dtype=float)
    return float(x) if np.ndim(template) == 0 else x


def require_scalars(where: str, **values: Any) -> None:
    """Raise :class:`InvalidParameterError` naming the first argument that is not a scalar."""
    for name, value in values.items():
        if value is not None and np.ndim(value) != 0:
            raise InvalidParameterError.of(
                name, where, f"must be a scalar. Got an array of shape {np.shape(value)} instead."
            )


def iterations(t: Any) -> np.ndarray:
    """The requested iterations as a 1-D int array (t may be an int or an array of ints ≥ 1)."""
    return np.atleast_1d(np.asarray(t)).astype(np.int64).ravel()

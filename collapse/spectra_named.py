"""The named covariance spectra: ``isotropic`` and ``powerlaw:BETA`` (docs/theory.md §1).

Everything in the ridge theory depends on the feature covariance Σ only through its eigenvalues.

- ``isotropic``: all d eigenvalues equal 1.
- ``powerlaw:BETA``: eigenvalues j^(-BETA), j = 1..d (not normalised).

Part of the core layer (it imports only :mod:`model_collapse.validation`): :mod:`model_collapse.data_spectra`
parses every ``--spectrum`` text and delegates the named forms here, and :mod:`model_collapse.theory.spectrum`
re-exports :func:`parse_spectrum` and :func:`eigenvalues` for the theory modules and their users.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator

import numpy as np
from model_collapse.validation import POSITIVE_INT, InvalidParameterError, seal, validate

__all__ = ["parse_spectrum", "eigenvalues", "shared"]

#: while :func:`shared` is active (in this thread/context only): (kind, beta, d) -> the sealed eigenvalues
_SHARED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("shared_spectra", default=None)

_SPECTRUM_HELP = "'isotropic' or 'powerlaw:BETA' with BETA a finite number >= 0"


def parse_spectrum(text: str) -> tuple[str, float]:
    """Parse ``'isotropic'`` or ``'powerlaw:BETA'`` into ``(kind, beta)`` (beta = 0 for isotropic)."""
    if not isinstance(text, str):
        raise InvalidParameterError.of("spectrum", None, f"must be {_SPECTRUM_HELP}. Got {text!r} instead.")
    s = text.strip().lower()
    if s == "isotropic":
        return ("isotropic", 0.0)
    if s.startswith("powerlaw:"):
        try:
            beta = float(s.split(":", 1)[1])
        except ValueError:
            beta = math.nan
        if math.isfinite(beta) and beta >= 0:
            return ("powerlaw", beta)
    raise InvalidParameterError.of("spectrum", None, f"must be {_SPECTRUM_HELP}. Got {text!r} instead.")


@validate(d=POSITIVE_INT)
def eigenvalues(spectrum: str, d: int) -> np.ndarray:
    """Eigenvalues of the named spectrum in dimension ``d``, in decreasing order."""
    kind, beta = parse_spectrum(spectrum)
    cache = _SHARED.get()
    if cache is not None:
        key = (kind, beta, int(d))
        if key not in cache:
            cache[key] = seal(_build(kind, beta, int(d)))
        return cache[key]
    return _build(kind, beta, int(d))


def _build(kind: str, beta: float, d: int) -> np.ndarray:
    if kind == "isotropic":
        return np.ones(d)
    return np.arange(1, d + 1, dtype=float) ** (-beta)


@contextlib.contextmanager
def shared() -> Iterator[None]:
    """Within: :func:`eigenvalues` builds each (spectrum, d) once and returns that one read-only, sealed array
    (:func:`model_collapse.validation.seal`) every time, so that a sweep over 10⁴ points at one spectrum builds
    and checks it once. Outside (the default), and in other threads, every call returns a new array."""
    token = _SHARED.set({} if _SHARED.get() is None else _SHARED.get())
    try:
        yield
    finally:
        _SHARED.reset(token)

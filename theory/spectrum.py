"""Named covariance spectra and the default isotropic priors (docs/theory.md §1-§2).

Everything in the ridge theory depends on the feature covariance Σ only through its eigenvalues, and on
the teacher and shift priors only through their diagonals in Σ's eigenbasis.

- ``isotropic``: all d eigenvalues equal 1.
- ``powerlaw:BETA``: eigenvalues j^(-BETA), j = 1..d (not normalised).
- Default priors from numbers: Γ = (r²/tr Σ)·I and Δ = (c²/tr Σ)·I, so that tr ΓΣ = r² and
  tr ΔΣ = c² (the signal strength and the synthetic-data quality, docs/theory.md §2).

Spectrum text from users (the CLI's --spectrum, named and data spectra alike) is parsed by
:func:`model_collapse.data_spectra.parse_spectrum`, which delegates the named forms to :func:`parse_spectrum`
here; empirical spectra (data:digits, file:PATH) reach the theory as eigenvalue arrays (docs/real_data.md).
"""

from __future__ import annotations

import math

import numpy as np
from model_collapse.validation import NONNEGATIVE, POSITIVE_INT, InvalidParameterError, validate

__all__ = ["parse_spectrum", "eigenvalues", "isotropic_prior"]

_SPECTRUM_HELP = "'isotropic' or 'powerlaw:BETA' with BETA a finite number >= 0"


def parse_spectrum(text: str) -> tuple[str, float]:
    """Parse ``'isotropic'`` or ``'powerlaw:BETA'`` into ``(kind, beta)`` (beta = 0 for isotropic)."""
    if not isinstance(text, str):
        raise InvalidParameterError(f"The 'spectrum' parameter must be {_SPECTRUM_HELP}. Got {text!r} instead.")
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
    raise InvalidParameterError(f"The 'spectrum' parameter must be {_SPECTRUM_HELP}. Got {text!r} instead.")


@validate(d=POSITIVE_INT)
def eigenvalues(spectrum: str, d: int) -> np.ndarray:
    """Eigenvalues of the named spectrum in dimension ``d``, in decreasing order."""
    kind, beta = parse_spectrum(spectrum)
    if kind == "isotropic":
        return np.ones(int(d))
    return np.arange(1, int(d) + 1, dtype=float) ** (-beta)


@validate(total=NONNEGATIVE)
def isotropic_prior(eigs: np.ndarray, total: float, multiplicities: np.ndarray | None = None) -> np.ndarray:
    """Diagonal of the prior (total/tr Σ)·I, so that tr(prior·Σ) = total.

    Used for Γ (total = r²) and Δ (total = c²) when the user gives only numbers.
    """
    w = np.asarray(eigs, dtype=float)
    m = np.ones_like(w) if multiplicities is None else np.asarray(multiplicities, dtype=float)
    return np.full_like(w, total / float(np.sum(m * w)))

"""Named covariance spectra and the default isotropic priors (docs/theory.md §1-§2).

Everything in the ridge theory depends on the feature covariance Σ only through its eigenvalues, and on
the teacher and shift priors only through their diagonals in Σ's eigenbasis.

- ``isotropic``: all d eigenvalues equal 1.
- ``powerlaw:BETA``: eigenvalues j^(-BETA), j = 1..d (not normalised).
- Default priors from numbers: Γ = (r²/tr Σ)·I and Δ = (c²/tr Σ)·I, so that tr ΓΣ = r² and
  tr ΔΣ = c² (the signal strength and the synthetic-data quality, docs/theory.md §2).

The named spectra (:func:`parse_spectrum`, :func:`eigenvalues`) are defined in the core module
:mod:`model_collapse.spectra_named` and re-exported here. Spectrum text from users (the CLI's --spectrum,
named and data spectra alike) is parsed by :func:`model_collapse.data_spectra.parse_spectrum`, which delegates
the named forms to :func:`parse_spectrum`; empirical spectra (data:digits, file:PATH) reach the theory as
eigenvalue arrays (docs/real_data.md).
"""

from __future__ import annotations

import numpy as np
from model_collapse.spectra_named import eigenvalues, parse_spectrum
from model_collapse.validation import NONNEGATIVE, validate

__all__ = ["parse_spectrum", "eigenvalues", "isotropic_prior"]


@validate(total=NONNEGATIVE)
def isotropic_prior(eigs: np.ndarray, total: float, multiplicities: np.ndarray | None = None) -> np.ndarray:
    """Diagonal of the prior (total/tr Σ)·I, so that tr(prior·Σ) = total.

    Used for Γ (total = r²) and Δ (total = c²) when the user gives only numbers.
    """
    w = np.asarray(eigs, dtype=float)
    m = np.ones_like(w) if multiplicities is None else np.asarray(multiplicities, dtype=float)
    return np.full_like(w, total / float(np.sum(m * w)))

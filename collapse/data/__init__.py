"""Published runs shipped inside the package (see ``README.md`` in this folder for their provenance).

:func:`cot_gaussian_runs` reads the "Collapse or Thrive?" authors' Gaussian-fitting runs (d = 1): their
Weights & Biases sweep summarised per workflow (replace, accumulate), n ∈ {10, 32, 100, 316} and iteration
1..100 (iteration 1 = the real-data fit): the number of seeds and the mean and standard error over seeds of
‖μ̂ − μ₀‖² and of tr Σ̂/tr Σ₀ (MLE covariance, σ² = 1). The file is package data, so it is there in every
installation (wheel or editable); no path outside the package is consulted.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

import numpy as np

__all__ = ["COT_GAUSSIAN_FILE", "cot_gaussian_runs"]

COT_GAUSSIAN_FILE = "cot_gaussian_d1_runs_summary.csv"

_FLOAT = ("sq_err_mean_mean", "sq_err_mean_se", "trace_ratio_mean", "trace_ratio_se")
_INT = ("n", "iteration", "runs")


def cot_gaussian_runs() -> dict[str, np.ndarray]:
    """Columns of the summary as arrays (``workflow`` lower-cased: "replace" / "accumulate")."""
    text = resources.files(__name__).joinpath(COT_GAUSSIAN_FILE).read_text(encoding="utf-8")
    records = list(csv.DictReader(io.StringIO(text)))
    out: dict[str, np.ndarray] = {"workflow": np.array([r["workflow"].strip().lower() for r in records])}
    for key in _INT:
        out[key] = np.array([int(r[key]) for r in records])
    for key in _FLOAT:
        out[key] = np.array([float(r[key]) for r in records])
    return out

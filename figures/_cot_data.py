"""The "Collapse or Thrive?" authors' published Gaussian-fitting runs (d = 1), read from the shared data folder.

``../shared/data/cot_gaussian_d1_runs_summary.csv`` (relative to the repository root; see its README):
their Weights & Biases sweep summarised per workflow (Replace, Accumulate), n ∈ {10, 32, 100, 316} and
iteration 1..100 (iteration 1 = the real-data fit): the number of seeds and the mean and standard error
over seeds of ‖μ̂ − μ₀‖² and of tr Σ̂/tr Σ₀ (MLE covariance, σ² = 1). :func:`load` returns None when the
folder is absent, so that figures and tests can skip the overlay with a clear reason.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

__all__ = ["DEFAULT_PATH", "load"]

DEFAULT_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cot_gaussian_d1_runs_summary.csv"

_FLOAT = ("sq_err_mean_mean", "sq_err_mean_se", "trace_ratio_mean", "trace_ratio_se")
_INT = ("n", "iteration", "runs")


def load(path: str | Path | None = None) -> dict[str, np.ndarray] | None:
    """Columns of the summary as arrays (``workflow`` lower-cased: "replace"/"accumulate"), or None if absent."""
    path = DEFAULT_PATH if path is None else Path(path)
    if not path.is_file():
        return None
    with open(path, newline="") as fh:
        records = list(csv.DictReader(fh))
    out: dict[str, np.ndarray] = {"workflow": np.array([r["workflow"].strip().lower() for r in records])}
    for key in _INT:
        out[key] = np.array([int(r[key]) for r in records])
    for key in _FLOAT:
        out[key] = np.array([float(r[key]) for r in records])
    return out

"""Timing helper shared by the benchmark scripts (run as `python benchmarks/<script>.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def best_and_median(fn: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    """Run ``fn`` ``repeat`` times; return (best, median) wall time in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))

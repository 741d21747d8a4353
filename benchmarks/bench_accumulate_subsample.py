"""Benchmark (prints numbers; not a test): the accumulate-subsample closed forms of
theory.accumulate_subsample against the simulator they replace.

Targets (issue 12): all iterations t = 1..100 in < 10 ms, t = 1..10⁴ in < 5 s. The closed forms cost O(max t)
(one cumulative sum); the simulator costs O(t·n·d²) per run.
Run: python benchmarks/bench_accumulate_subsample.py [repeats]   (best and median of ``repeats``, default 5)
"""

from __future__ import annotations

import os
import sys

import numpy as np
from _timing import best_and_median as timed
from model_collapse.montecarlo import gaussian_workflow as gmc
from model_collapse.theory import accumulate_subsample as th

TARGETS = {100: 0.010, 10_000: 5.0}


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}; best / median of {repeat}")
    for estimator in th.ESTIMATORS:
        for T, target in TARGETS.items():
            it = np.arange(1, T + 1)
            best, med = timed(lambda it=it, e=estimator: th.gaussian_moments(10, 10, it, estimator=e), repeat)
            flag = "ok" if best < target else "OVER TARGET"
            print(f"gaussian_moments n=10 d=10 t=1..{T:<6} {estimator:<8} {1e3 * best:8.3f} ms / {1e3 * med:8.3f} ms"
                  f"  ({flag}; target < {1e3 * target:g} ms)")
        for T in (10**6, 10**8):
            best, med = timed(lambda T=T, e=estimator: th.gaussian_moments(10, 10, T, estimator=e), repeat)
            print(f"gaussian_moments n=10 d=10 t={T:<10} {estimator:<8} {1e3 * best:8.3f} ms / {1e3 * med:8.3f} ms"
                  "  (single t; exact sums to 2^17, Gamma form and asymptotic tail beyond)")
        best, med = timed(lambda e=estimator: th.limits(10, 10, estimator=e), repeat)
        print(f"limits n=10 d=10 {estimator:<8} {1e3 * best:8.3f} ms / {1e3 * med:8.3f} ms")
    trials = 100
    best, med = timed(lambda: gmc.simulate(10, 10, 100, workflow="accumulate-subsample", n_trials=trials, seed=0),
                      max(1, repeat // 2))
    print(f"simulate accumulate-subsample n=10 d=10 t=100, {trials} runs: {best:6.2f} s / {med:6.2f} s "
          f"(SE of the trace ratio at t = 100 with {trials} runs is about 1.6e-2; the closed form is exact)")


if __name__ == "__main__":
    main()

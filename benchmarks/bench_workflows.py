"""Benchmark (prints numbers; not a test): the authors' workload for the replace / accumulate /
accumulate-subsample workflows, 100 seeds × 100 iterations at d = 100, n = 1000, for Gaussian fitting (MLE)
and linear regression (σ² = 1, 1000-point test set as the authors), plus the closed forms.

Target (issue 4): under 10 s for all 100 seeds of each workflow. The authors' code takes about 33 s
(Gaussian accumulate) and 164 s (linear regression accumulate) per seed on this kind of machine.
Run: python benchmarks/bench_workflows.py [repeats]   (best and median of ``repeats`` runs, default 3)
"""

from __future__ import annotations

import os
import sys

import numpy as np
from _timing import best_and_median as timed
from model_collapse.montecarlo import gaussian_workflow as gmc
from model_collapse.montecarlo import linreg_workflow as lmc
from model_collapse.theory import gaussian_workflow as gth
from model_collapse.theory import linreg_workflow as lth

N, D, T, SEEDS = 1000, 100, 100, 100
TARGET = 10.0


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}; {SEEDS} seeds x {T} iterations, d = {D}, "
          f"n = {N}; best / median of {repeat}")
    for wf in gmc.WORKFLOWS:
        best, med = timed(lambda wf=wf: gmc.simulate(N, D, T, workflow=wf, n_trials=SEEDS, seed=0), repeat)
        flag = "ok" if best < TARGET else "OVER TARGET"
        print(f"gaussian simulate {wf:<22} {best:6.2f} s / {med:6.2f} s  ({flag}; target < {TARGET:g} s)")
    for wf in lmc.WORKFLOWS:
        best, med = timed(lambda wf=wf: lmc.simulate(N, D, T, workflow=wf, n_test=1000, n_trials=SEEDS, seed=0),
                          repeat)
        flag = "ok" if best < TARGET else "OVER TARGET"
        print(f"linreg   simulate {wf:<22} {best:6.2f} s / {med:6.2f} s  ({flag}; target < {TARGET:g} s)")
    it = np.arange(1, T + 1)
    best, _ = timed(lambda: [gth.predict(N, D, it, workflow=wf) for wf in gth.WORKFLOWS], repeat)
    print(f"gaussian theory, both workflows, iterations 1..{T}: {best * 1e3:.1f} ms")
    best, _ = timed(lambda: gth.limits(N, D), repeat)
    print(f"gaussian limits (accumulate, incl. the determinant product): {best * 1e3:.1f} ms")
    best, _ = timed(lambda: [lth.predict(N, D, it, workflow=wf).test_error for wf in lth.WORKFLOWS], repeat)
    print(f"linreg theory, both workflows, iterations 1..{T}: {best * 1e3:.3f} ms")


if __name__ == "__main__":
    main()

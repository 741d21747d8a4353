"""Benchmark (prints numbers; not a test): iterative-retraining theory curves and chain-simulation throughput.

Targets (issue 10): theory for the power-law figure's curves (d = 1000, 50 values of T, 5 values of n) in under
1 s; report ms per trial of the simulation at d = 500, T = T0 = 1000, n = 10.
Run: python benchmarks/bench_iterative_retraining.py
"""

from __future__ import annotations

import os

import numpy as np
from _timing import best_and_median as best_of
from model_collapse.montecarlo import iterative_retraining as mc
from model_collapse.theory import iterative_retraining as th


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}")
    t = np.logspace(1, np.log10(500), 50)
    law = th.scaling_law(2.0, 0.5)
    n = np.arange(5)[:, None]

    def curves():
        return th.predict(n, t, 2000, 1000, sigma=0.0, sigma0=0.1, lam=t**-law.ell_crit, spectrum="powerlaw:2",
                          source_r=0.5)

    best, med = best_of(curves)
    print(f"theory, d = 1000, 50 T x 5 n, powerlaw:2, lam = T^-ell_crit: best {best * 1e3:.1f} ms, "
          f"median {med * 1e3:.1f} ms (target < 1000 ms)")
    best, med = best_of(lambda: th.best_lambda(4, 300, 300, 100, sigma=0.5, sigma0=0.5), repeat=3)
    print(f"best_lambda, isotropic d = 100: best {best * 1e3:.0f} ms")
    for spec in ("isotropic", "powerlaw:1.5"):
        kw = dict(generations=10, samples=1000, generator_samples=1000, d=500, sigma=0.5, sigma0=0.5, lam=1e-2,
                  spectrum=spec)
        mc.simulate(**kw, n_trials=1, seed=0)  # warm-up
        trials = 10
        best, med = best_of(lambda kw=kw, trials=trials: mc.simulate(**kw, n_trials=trials, seed=1), repeat=3)
        print(f"simulation, d = 500, T = T0 = 1000, n = 10, {spec}, conditional: {best / trials * 1e3:.0f} ms/trial "
              f"(median {med / trials * 1e3:.0f})")
    kw = dict(generations=10, samples=1000, generator_samples=1000, d=500, sigma=0.5, sigma0=0.5, lam=1e-2)
    best, _ = best_of(lambda: mc.simulate(**kw, n_trials=3, seed=1, method="sample"), repeat=1)
    print(f"literal chain (method='sample'), same setting: {best / 3 * 1e3:.0f} ms/trial")


if __name__ == "__main__":
    main()

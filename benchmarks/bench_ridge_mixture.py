"""Benchmark (prints numbers; not a test): ridge-mixture theory grid and simulation throughput.

Targets (issue 2): theory on a 100 x 100 (n, p2) grid, powerlaw:1.5 spectrum, d = 1000, in under 1 s;
simulation at d = 500, n = 1000 in under 20 ms per trial.
Run: python benchmarks/bench_ridge_mixture.py
"""

from __future__ import annotations

import os
import time

import numpy as np
from _timing import best_and_median as best_of
from model_collapse.montecarlo import ridge_mixture as mc
from model_collapse.theory import ridge
from model_collapse.theory import ridge_mixture as th
from model_collapse.theory.spectrum import eigenvalues


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}")
    w = eigenvalues("powerlaw:1.5", 1000)
    n = np.logspace(2, 6, 100)[:, None]
    p2 = np.linspace(0, 1, 100)[None, :]
    best, med = best_of(lambda: th.predict(n, p2, 1e-3, w, c2=1.0, sigma=0.5))
    print(f"theory, 100 x 100 (n, p2) grid, d = 1000, powerlaw:1.5: best {best * 1e3:.1f} ms, "
          f"median {med * 1e3:.1f} ms (target < 1000 ms)")
    iso = eigenvalues("isotropic", 1000)
    best, med = best_of(lambda: th.predict(n, p2, 1e-3, w, eigenvalues2=iso, c2=1.0, sigma=0.5), repeat=2)
    print(f"theory with covariate shift (eigenvalues2: Σ₁ powerlaw:1.5, Σ₂ isotropic), 100 x 100 (n, p2) grid, "
          f"d = 1000 (10^4 two-population fixed points): best {best:.2f} s, median {med:.2f} s")
    best, med = best_of(lambda: th.predict(n, p2, 0.0, w, eigenvalues2=iso, c2=1.0, sigma=0.5), repeat=2)
    print(f"  the same, ridgeless (lam = 0, both sides of n = d): best {best:.2f} s, median {med:.2f} s")
    lam = np.logspace(-6, 1, 100)[:, None]
    nn = np.logspace(2, 6, 100)[None, :]
    best, med = best_of(lambda: ridge.kappa(lam, w, nn), repeat=3)
    print(f"kappa alone on a 100 x 100 (lam, n) grid (10^4 distinct solves), d = 1000: best {best * 1e3:.0f} ms, "
          f"median {med * 1e3:.0f} ms")
    w500 = eigenvalues("powerlaw:1.5", 500)
    for lam_, label in ((1e-2, "ridge lam = 0.01"), (0.0, "ridgeless")):
        trials = 50
        mc.simulate(1000, 0.2, lam_, w500, n_trials=2, seed=0)  # warm-up
        def run(lam_=lam_, trials=trials):
            return mc.simulate(1000, 0.2, lam_, w500, n_trials=trials, seed=1)

        best, med = best_of(run, repeat=3)
        print(f"simulation, d = 500, n = 1000, p2 = 0.2, {label}, conditional: {best / trials * 1e3:.1f} ms/trial "
              f"(median {med / trials * 1e3:.1f}; target < 20 ms)")
    t0 = time.perf_counter()
    cond = mc.simulate(1000, 0.2, 1e-2, w500, n_trials=50, seed=2)
    t_cond = (time.perf_counter() - t0) / 50
    t0 = time.perf_counter()
    samp = mc.simulate(1000, 0.2, 1e-2, w500, n_trials=50, seed=2, method="sample")
    t_samp = (time.perf_counter() - t0) / 50
    sd_c, sd_s = cond.total.sem * np.sqrt(50), samp.total.sem * np.sqrt(50)
    print(f"literal experiment (method='sample'): {t_samp * 1e3:.1f} ms/trial; per-trial SD of the total "
          f"{sd_s:.3g} vs {sd_c:.3g} conditional: the conditional estimator needs {(sd_s / sd_c) ** 2:.0f}x fewer "
          f"trials, {(sd_s / sd_c) ** 2 * t_samp / t_cond:.0f}x less time for the same standard error")
    w2000 = eigenvalues("powerlaw:1.0", 2000)
    t0 = time.perf_counter()
    mc.simulate(20000, 0.1, 1e-3, w2000, n_trials=2, seed=0)
    print(f"simulation, d = 2000, n = 20000 (the largest supported size): {(time.perf_counter() - t0) / 2:.2f} s/trial")


if __name__ == "__main__":
    main()

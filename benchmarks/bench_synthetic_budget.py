"""Benchmark (prints numbers; not a test): the synthetic budget (theory.synthetic_budget).

Target (issue 13): a 100 x 100 (n1, k) budget heat map at d = 1000 in < 1 s. Also: one best-k search
(synthetic_budget) at d = 1000, and the same against a dense integer search of the closed form.
Run: python benchmarks/bench_synthetic_budget.py
"""

from __future__ import annotations

import os

import numpy as np
from _timing import best_and_median as best_of
from model_collapse.theory import synthetic_budget as sb
from model_collapse.theory.spectrum import eigenvalues


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}")
    for spec in ("isotropic", "powerlaw:1.0"):
        w = eigenvalues(spec, 1000)
        n1 = np.geomspace(100, 1e5, 100)[:, None]
        k = np.concatenate([[0.0], np.geomspace(1, 1e6, 99)])[None, :]
        best, med = best_of(lambda w=w, n1=n1, k=k: sb.error_curve(n1, k, 1e-3, w, c2=0.5, sigma=0.5), repeat=3)
        print(f"heat map 100 x 100 (n1, k), d = 1000, {spec}: best {best * 1e3:.0f} ms, median {med * 1e3:.0f} ms "
              "(target < 1000 ms)")
        best, med = best_of(lambda w=w: sb.synthetic_budget(2000, 1e-3, w, c2=0.5, sigma=0.5))
        res = sb.synthetic_budget(2000, 1e-3, w, c2=0.5, sigma=0.5)
        print(f"synthetic_budget(n1 = 2000), d = 1000, {spec}: best {best * 1e3:.1f} ms, median {med * 1e3:.1f} ms "
              f"(best k = {res.best_n_synthetic:g}, break-even = {res.break_even_n_synthetic:g})")


if __name__ == "__main__":
    main()

"""Data checks for the random-projections figures (quick configurations): columns and theory-vs-simulation."""

import numpy as np

from figures import registry
from theory import random_projections as th
from theory.spectrum import eigenvalues


def test_smc_model_size_columns_and_agreement():
    from figures import smc_model_size as f

    tab = registry()["smc_model_size"].compute(True, 0)
    assert set(tab) == {"kind", "c2", "p2", "m", "value", "se"}
    assert len({len(v) for v in tab.values()}) == 1
    sim = tab["kind"] == "simulation"
    assert sim.any() and (tab["kind"] == "theory").any()
    w = eigenvalues("isotropic", f.D)
    for c2, p2, m, value, se in zip(tab["c2"][sim], tab["p2"][sim], tab["m"][sim], tab["value"][sim],
                                    tab["se"][sim], strict=True):
        ref = float(th.test_error(f.N, m, p2, f.LAM, w, c2=c2, sigma=f.SIGMA).total)
        k = min(m, f.D)
        # stated allowance: 4 SE + 2(1/|n − min(m, d)| + 1/min(m, d)) relative (finite-size error)
        assert abs(value - ref) <= 4 * se + 2 * (1 / abs(f.N - k) + 1 / k) * ref
    assert np.all(np.isfinite(tab["value"]))


def test_smc_decomposition_columns_and_agreement():
    from figures import smc_decomposition as f

    tab = registry()["smc_decomposition"].compute(True, 0)
    assert set(tab) == {"kind", "c2", "part", "psi", "value", "se"}
    assert len({len(v) for v in tab.values()}) == 1
    sim = (tab["kind"] == "simulation") & (tab["part"] == "total")
    assert sim.any()
    w = eigenvalues("isotropic", f.D)
    for c2, psi, value, se in zip(tab["c2"][sim], tab["psi"][sim], tab["value"][sim], tab["se"][sim], strict=True):
        m = round(psi * f.N)
        ref = float(th.test_error(f.N, m, f.P2, f.LAM, w, c2=c2, sigma=f.SIGMA).total)
        k = min(m, f.D)
        assert abs(value - ref) <= 4 * se + 2 * (1 / abs(f.N - k) + 1 / k) * ref


def test_smc_pareto_columns_and_claims():
    tab = registry()["smc_pareto"].compute(True, 0)
    assert set(tab) == {"c2", "psi", "p2", "x", "y", "frontier"}
    assert len({len(v) for v in tab.values()}) == 1
    assert np.all(tab["y"] >= tab["x"])  # synthetic data never beats the same amount of real data
    for c2 in set(tab["c2"].tolist()):
        assert tab["frontier"][tab["c2"] == c2].any()

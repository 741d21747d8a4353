"""Data checks for the random-projections figures (quick configurations): columns and theory-vs-simulation."""

import numpy as np
from _check import assert_agrees
from model_collapse.figures import registry
from model_collapse.figures._base import rows
from model_collapse.theory import random_projections as th
from model_collapse.theory.spectrum import eigenvalues


def test_smc_model_size_columns_and_agreement():
    from model_collapse.figures import smc_model_size as f

    tab = registry()["smc_model_size"].compute(True, 0)
    assert set(tab) == {"kind", "c2", "p2", "m", "value", "se"}
    assert len({len(v) for v in tab.values()}) == 1
    sim = tab["kind"] == "simulation"
    assert sim.any() and (tab["kind"] == "theory").any()
    w = eigenvalues("isotropic", f.D)
    for c2, p2, m, value, se in zip(tab["c2"][sim], tab["p2"][sim], tab["m"][sim], tab["value"][sim],
                                    tab["se"][sim], strict=True):
        ref = float(th.predict(f.N, m, p2, f.LAM, w, c2=c2, sigma=f.SIGMA).total)
        k = min(m, f.D)
        # stated allowance: 4 SE + 2(1/|n − min(m, d)| + 1/min(m, d)) relative (finite-size error)
        assert abs(value - ref) <= 4 * se + 2 * (1 / abs(f.N - k) + 1 / k) * ref
    assert np.all(np.isfinite(tab["value"]))


def test_smc_decomposition_columns_and_agreement():
    from model_collapse.figures import smc_decomposition as f

    tab = registry()["smc_decomposition"].compute(True, 0)
    assert set(tab) == {"kind", "c2", "part", "psi", "value", "se"}
    assert len({len(v) for v in tab.values()}) == 1
    sim = (tab["kind"] == "simulation") & (tab["part"] == "total")
    assert sim.any()
    w = eigenvalues("isotropic", f.D)
    for c2, psi, value, se in zip(tab["c2"][sim], tab["psi"][sim], tab["value"][sim], tab["se"][sim], strict=True):
        m = round(psi * f.N)
        ref = float(th.predict(f.N, m, f.P2, f.LAM, w, c2=c2, sigma=f.SIGMA).total)
        k = min(m, f.D)
        assert abs(value - ref) <= 4 * se + 2 * (1 / abs(f.N - k) + 1 / k) * ref


def test_smc_pareto_columns_and_claims():
    tab = registry()["smc_pareto"].compute(True, 0)
    assert set(tab) == {"kind", "c2", "psi", "p2", "x", "y", "x_se", "y_se", "frontier"}
    assert len({len(v) for v in tab.values()}) == 1
    th_rows = rows(tab, kind="theory")
    assert np.all(th_rows["y"] >= th_rows["x"])  # synthetic data never beats the same amount of real data
    for c2 in set(th_rows["c2"].tolist()):
        assert th_rows["frontier"][th_rows["c2"] == c2].any()
    # simulated points agree with the theory within 4 SE + 2(1/|n − min(m,d)| + 1/min(m,d)) (the allowance above)
    sim = rows(tab, kind="simulation")
    assert len(sim["x"]) >= 1
    w = eigenvalues("isotropic", 1000)
    for psi, p2, c2, x, y, xs, ys in zip(sim["psi"], sim["p2"], sim["c2"], sim["x"], sim["y"], sim["x_se"],
                                         sim["y_se"], strict=True):
        m = int(round(psi * 500))
        r = min(m, 1000)
        fr = 2 * (1 / abs(500 - r) + 1 / r)
        for p, val, se in ((0.0, x, xs), (p2, y, ys)):
            ref = float(th.predict(500, m, p, 1e-3, w, c2=c2, sigma=0.5).total)
            assert_agrees(ref, val, se, finite_rtol=fr, label=f"pareto m={m} p2={p}")

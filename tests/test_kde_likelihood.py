"""The finite-n KDE NLL (theory.kde_likelihood via theory.kde_workflow.predict) against exact enumeration and
simulation, with perturbed twins.

Tolerances: the pair laws are exact (enumeration, 1e-12). Against simulation the expansion is checked with
|mc − nll| ≤ 3·SE + nll_allowance (the measured next-order allowance 2.5·term², stated in predict); the
lower bounds one-sidedly, mc ≥ nll_lower − 3·SE. Every check has a twin (a wrong formula) that fails it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest
from model_collapse.montecarlo import kde_workflow as mc
from model_collapse.theory import InvalidParameterError
from model_collapse.theory import kde_likelihood as kl
from model_collapse.theory import kde_quadrature as quad
from model_collapse.theory import kde_workflow as th

CENTERS = np.array([[-5.2, 8.6], [7.3, -1.9], [-2.6, -6.0]])


# ---------------------------------------------------------------- the pair genealogy, by enumeration


def _enumerate(workflow: str, t: int, n: int):
    """Exact law of the first meeting of two independent uniform points of F_t over every genealogy."""
    meet, never = defaultdict(float), defaultdict(float)
    if workflow == "replace":
        gens = [list(itertools.product(range(n), repeat=n)) for _ in range(t - 1)]
        cases = list(itertools.product(*gens))
        for parents in cases:  # parents[g][i]: parent (in generation g) of point i of generation g + 1
            for J, K in itertools.product(range(n), repeat=2):
                lines = []
                for start in (J, K):
                    line, cur = [(t - 1, start)], start
                    for g in range(t - 2, -1, -1):
                        cur = parents[g][cur]
                        line.append((g, cur))
                    lines.append(line)
                _record(lines, 1.0 / (len(cases) * n * n), meet, never, real=lambda p: p[0] == 0)
        return meet, never
    pool = [(b, i) for b in range(t) for i in range(n)]
    choices = [list(itertools.product(range(b * n), repeat=n)) for b in range(1, t)]
    cases = list(itertools.product(*choices))
    for ch in cases:  # ch[b - 1][i]: parent (an index into the pool of b·n points) of point i of block b
        def parent(p, ch=ch):
            b, i = p
            j = ch[b - 1][i]
            return (j // n, j % n)

        for J, K in itertools.product(pool, repeat=2):
            lines = []
            for start in (J, K):
                line, cur = [start], start
                while cur[0] > 0:
                    cur = parent(cur)
                    line.append(cur)
                lines.append(line)
            _record(lines, 1.0 / (len(cases) * len(pool) ** 2), meet, never, real=lambda p: p[0] == 0)
    return meet, never


def _record(lines, w, meet, never, real):
    l1, l2 = lines
    common = [p for p in l1 if p in l2]
    if common:
        z = common[0]
        a, b = l1.index(z), l2.index(z)  # displacements between the point and Z
        kz = sum(1 for p in l1[a:] if not real(p))  # displacements on Z's own line (Z included)
        meet[(a + 1, b + 1, kz)] += w
    else:
        never[(sum(not real(p) for p in l1) + 1, sum(not real(p) for p in l2) + 1)] += w


def _as_tables(pairs):
    (pm, a, b, c), (pn, an, bn), _ = pairs
    meet, never = defaultdict(float), defaultdict(float)
    for p, x, y, z in zip(pm, a, b, c, strict=True):
        meet[(int(x), int(y), int(z))] += p
    for p, x, y in zip(pn, an, bn, strict=True):
        never[(int(x), int(y))] += p
    return meet, never


@pytest.mark.parametrize("workflow,t,n", [("replace", 3, 2), ("replace", 2, 3), ("accumulate", 3, 2),
                                          ("accumulate", 2, 3), ("accumulate", 4, 1)])
def test_pair_law_equals_exhaustive_enumeration(workflow, t, n):
    """The first-meeting law (meeting block, displacements a, b, Z's kernel count) over all genealogies."""
    want_meet, want_never = _enumerate(workflow, t, n)
    pairs = kl._replace_pairs(t, n) if workflow == "replace" else kl._accumulate_pairs(t, n)
    got_meet, got_never = _as_tables(pairs)
    for want, got in ((want_meet, got_meet), (want_never, got_never)):
        keys = {k for k, v in {**want, **got}.items() if v > 1e-15}
        for k in keys:
            assert got.get(k, 0.0) == pytest.approx(want.get(k, 0.0), abs=1e-12), (k, got.get(k), want.get(k))
    # twin: the replace law used for accumulate (or the reverse) does not equal the enumeration
    other = kl._accumulate_pairs(t, n) if workflow == "replace" else kl._replace_pairs(t, n)
    om, _ = _as_tables(other)
    assert any(abs(om.get(k, 0.0) - want_meet.get(k, 0.0)) > 1e-6 for k in set(om) | set(want_meet))


def test_pair_law_total_mass():
    for t, n in [(1, 50), (10, 100), (100, 100), (100, 20)]:
        for pairs in (kl._replace_pairs(t, n), kl._accumulate_pairs(t, n)):
            (pm, *_), (pn, *_), dropped = pairs
            assert pm.sum() + pn.sum() + dropped == pytest.approx(1.0, abs=1e-12)
            assert dropped < 1e-10


# ---------------------------------------------------------------- numerics


def test_binned_mixture_against_exact():
    """The geometric-grid binning of the meeting terms (used for moons and the swiss roll) against exact
    evaluation on the Gaussian law: the 1/n term agrees to 3e-5 relative (measured 1.4e-5, i.e. 7e-7 nats;
    accumulate, t = 40)."""
    law = quad._Gaussian(2)
    pairs = kl._accumulate_pairs(40, 100)
    al = th.annealed_variance_law(40, workflow="accumulate", h=0.3)
    args = (law, 2, 0.3, 100, pairs, (al.values, al.probs), "gaussian")
    r_exact, _ = kl._ratio(*args, True)
    old = kl._EXACT_ATOMS
    try:
        kl._EXACT_ATOMS = 0
        r_bin, _ = kl._ratio(*args, False)
    finally:
        kl._EXACT_ATOMS = old
    e, b = np.sum(law.weights * r_exact), np.sum(law.weights * r_bin)
    assert b == pytest.approx(e, rel=3e-5)
    assert b != e  # the binned path was taken


def test_moons_design_law():
    """Grid angles with weight 1/n: the NLL moves from the continuous arcs like 1/n (the grid's endpoints)."""
    cont = quad._fixed_law("moons", 2).cross_entropy(np.array([0.25]), np.array([1.0]))
    d = [quad._MoonsDesign(n).cross_entropy(np.array([0.25]), np.array([1.0])) - cont for n in (100, 400)]
    assert d[0] > 1e-3 and 2.5 < d[0] / d[1] < 6.5, d  # 1/n: 4


@pytest.mark.parametrize("dataset", ["gaussian", pytest.param("blobs", marks=pytest.mark.slow)])
def test_full_term_is_at_least_most_of_its_self_part(dataset):
    """The skip rule's premise: full 1/n term ≥ 0.92 × its J = K part (measured minimum 0.928, blobs t = 1)."""
    kw = dict(centers=CENTERS) if dataset == "blobs" else {}
    old = kl.SKIP_FACTOR
    try:
        hs = (0.1, 0.5) if dataset == "gaussian" else (0.5,)
        for wf, h, t in itertools.product(("replace", "accumulate"), hs, (1, 5, 30)):
            kl.SKIP_FACTOR = 1e300
            full = kl.finite_n(t, workflow=wf, dataset=dataset, D=2, h=h, bandwidth=None, n=100, bound=False,
                               **kw).term
            kl.SKIP_FACTOR = 0.0
            own = kl.finite_n(t, workflow=wf, dataset=dataset, D=2, h=h, bandwidth=None, n=100, bound=False,
                              **kw).term
            assert full >= 0.92 * own, (wf, h, t, full, own)
    finally:
        kl.SKIP_FACTOR = old


# ---------------------------------------------------------------- against simulation


def _agrees(p, est, z=3.0):
    return bool(np.all(np.abs(est.mean - p) <= z * est.sem + 0.0))


@pytest.fixture(scope="module")
def circles_runs():
    t = np.arange(1, 9)
    return t, {wf: mc.simulate(t, workflow=wf, dataset="circles", h=0.1, n=100, n_trials=60, seed=21).nll
               for wf in ("replace", "accumulate")}


def test_accumulate_expansion_matches_simulation_and_the_limit_fails(circles_runs):
    """Circles, h = 0.1, n = 100 (the authors' setting): the 1/n term (~0.04 nats) is 10 SE; the expansion
    agrees within 3 SE + allowance, the n → ∞ law and the replace genealogy fail the same check."""
    t, runs = circles_runs
    est = runs["accumulate"]
    p = th.predict(t, workflow="accumulate", dataset="circles", h=0.1, n=100)
    assert set(p.nll_regime) == {"expansion"}
    assert np.all(np.abs(est.mean - p.nll) <= 3 * est.sem + p.nll_allowance), (est.mean - p.nll, est.sem)
    assert not _agrees(p.nll_limit, est)
    wrong = p.nll_limit + np.array([kl.finite_n(int(s), workflow="replace", dataset="circles", D=2, h=0.1,
                                                bandwidth=None, n=100).term for s in t])
    assert not np.all(np.abs(est.mean - wrong) <= 3 * est.sem + p.nll_allowance)


def test_replace_expansion_at_t_1_and_regime_switch(circles_runs):
    """Replace, circles, h = 0.1: t = 1 agrees (term 0.02); by t = 3 the term exceeds 0.1 and predict
    switches to the lower bound, which the simulation respects; the expansion there is 3+ SE low."""
    t, runs = circles_runs
    est = runs["replace"]
    p = th.predict(t, workflow="replace", dataset="circles", h=0.1, n=100)
    ok = p.nll_regime == "expansion"
    assert ok[0] and not ok[-1]
    assert np.all(np.abs(est.mean - p.nll)[ok] <= 3 * est.sem[ok] + p.nll_allowance[ok])
    assert np.all(est.mean[~ok] >= p.nll_lower[~ok] - 3 * est.sem[~ok])
    expansion = p.nll_limit + p.nll_term
    assert np.any(est.mean[~ok] - expansion[~ok] > 3 * est.sem[~ok])  # why it is not used there


@pytest.mark.parametrize("dataset,kw", [("circles", {}), ("blobs", dict(centers=CENTERS))])
def test_design_correction_is_needed(dataset, kw):
    """t = 1, h = 1 (blobs) / 0.5 (circles), n = 100: the real points are a design (fixed counts per centre; an
    angle grid), not i.i.d.; the covariance of two distinct real points lowers E NLL by ~0.01 nats, and the
    i.i.d. pair law (twin) fails the check (circles: by 16 SE)."""
    h = 0.5 if dataset == "circles" else 1.0
    trials = 60 if dataset == "circles" else 400
    est = mc.simulate(1, workflow="accumulate", dataset=dataset, h=h, n=100, n_trials=trials, seed=22, **kw).nll
    p = th.predict(1, workflow="accumulate", dataset=dataset, h=h, n=100, **kw)
    assert p.nll_regime == "expansion"
    assert abs(est.mean - p.nll) <= 3 * est.sem + p.nll_allowance, (est.mean, p.nll, est.sem)
    old = dict(kl._DESIGNED)
    try:
        kl._DESIGNED.pop(dataset)
        iid = kl.finite_n(1, workflow="accumulate", dataset=dataset, D=2, h=h, bandwidth=None, n=100,
                          **kw).expansion
    finally:
        kl._DESIGNED.update(old)
    assert abs(est.mean - iid) > 3 * est.sem + p.nll_allowance, (est.mean, iid, est.sem)


@pytest.mark.parametrize("dataset,h", [("blobs", 0.1), ("gaussian", 0.05)])
def test_nearest_neighbour_bound_holds_and_its_twin_fails(dataset, h):
    """h small against the spacing: the expansion is refused; mc ≥ nll_lower − 3 SE. The bound is loose by a
    factor ≲ 2 in its distance term (measured: blobs h = 0.1, t = 1: 6.5 against 13.1; gaussian h = 0.05:
    10.5 against 18.5), so its twin is the bound at bandwidth h/2 in the exponent (|x − y|²/(h²/2)), which
    exceeds the simulation."""
    kw = dict(centers=CENTERS) if dataset == "blobs" else {}
    t = np.array([1, 2, 4])
    est = mc.simulate(t, workflow="replace", dataset=dataset, h=h, n=100, n_trials=30, seed=23, **kw).nll
    p = th.predict(t, workflow="replace", dataset=dataset, h=h, n=100, **kw)
    assert set(p.nll_regime) == {"lower_bound"}
    assert np.all(est.mean >= p.nll_lower - 3 * est.sem)
    assert np.all(p.nll_lower > p.nll_limit + 1.0)  # the nearest-neighbour term is the binding one
    law = kl._bound_law(quad._data_law(dataset, 2, kw.get("centers"), None), kw.get("centers"), None)
    c = np.log(2 * np.pi * h * h)
    wrong = []
    for s in t:
        a = np.array([s * h * h])
        nn = kl._nn_lower(law, 2, h, 100, a - h * h, np.array([1.0]), np.full(law.weights.size, 1e300))
        wrong.append(float(np.sum(law.weights * (4 * (nn - c) + c))))
    assert np.any(est.mean < np.array(wrong) - 3 * est.sem), (est.mean, wrong)


def test_predict_regimes_and_json():
    import json

    p = th.predict(np.array([1, 3]), workflow="accumulate-subsample", h=0.5, n=100)
    assert list(p.nll_regime) == ["expansion", "lower_bound"]  # subsample at t ≥ 2: not derived
    assert p.nll_term[1] == np.inf and p.as_dict()["nll_term"][1] == np.inf  # not derived: no sentinel value
    assert p.nll[1] == p.nll_lower[1] >= p.nll_limit[1]
    q = th.predict(3, workflow="accumulate", h=0.5)
    assert q.nll_regime == "limit" and q.nll == q.nll_limit
    json.dumps(q.as_dict(), allow_nan=False)
    from model_collapse import cli

    out = cli.run(["predict", "kde", "--workflow", "accumulate-subsample", "--h", "0.5", "--n", "100", "--t", "3",
                   "--json"])
    got = json.loads(out.stdout)  # strict JSON: the underived term is null, with the reason in "warnings"
    assert out.exit_code == 0 and got["nll_term"] is None and got["nll_regime"] == "lower_bound"
    assert any(w.startswith("nll_term is inf: the pair genealogy") for w in got["warnings"]), got["warnings"]
    r = th.predict(5, workflow="replace", bandwidth="scott", n=200, dataset="moons")
    assert r.nll_regime == "expansion" and r.nll > r.nll_limit


def test_nll_finite_n_domain():
    with pytest.warns(RuntimeWarning, match="too small against the spacing"):
        assert th.nll_finite_n(1, n=100, h=0.05, dim=2) > 10
    with pytest.raises(InvalidParameterError, match="'t'"):
        th.nll_finite_n(3, n=100, h=0.5, workflow="accumulate-subsample")
    with pytest.raises(InvalidParameterError, match="'t'"):
        th.nll_finite_n(3, n=100, bandwidth="scott", workflow="accumulate")
    with pytest.raises(InvalidParameterError, match="'centers'"):
        th.nll_finite_n(1, n=100, h=0.5, dataset="blobs")
    a = th.nll_finite_n(1, n=100, h=0.5, workflow="accumulate-subsample")
    assert a == th.nll_finite_n(1, n=100, h=0.5, workflow="replace")


# ---------------------------------------------------------------- the authors' setting (slow)


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["circles", "moons", "blobs", "swiss-roll"])
def test_slow_cot_kde_setting(dataset):
    """n = 100, 500 test points, h ∈ {0.1, 0.5, 1}, every workflow, t ∈ {1, 2, 5, 10, 30}: the expansion within
    z·SE + allowance where predict uses it, the lower bound respected elsewhere (mc ≥ bound − z·SE). z = 4
    here, not 3: 45 correlated comparisons per dataset from one 30-run set (at 3 SE one of them fails by
    chance in ~1 of 10 sets; circles h = 1, t = 1 reached 3.5 SE with 20 runs, seed 24); the 3-SE check of
    every point, 40 runs each, is the measurement in docs/kde.md."""
    kw = dict(centers=CENTERS) if dataset == "blobs" else {}
    t = np.array([1, 2, 5, 10, 30])
    for h in (0.1, 0.5, 1.0):
        for wf in th.WORKFLOWS:
            est = mc.simulate(t, workflow=wf, dataset=dataset, h=h, n=100, n_trials=30, seed=24, **kw).nll
            p = th.predict(t, workflow=wf, dataset=dataset, h=h, n=100, **kw)
            ok = p.nll_regime == "expansion"
            dev = np.abs(est.mean - p.nll)
            assert np.all(dev[ok] <= 4 * est.sem[ok] + p.nll_allowance[ok]), (h, wf, dev, est.sem)
            assert np.all(est.mean[~ok] >= p.nll_lower[~ok] - 4 * est.sem[~ok]), (h, wf)


def test_nearest_neighbour_bound_quadrature():
    """The bound's 16² nodes per blob against 48²: within 0.5 % (measured 0.3 %, h = 0.1, t = 1 and 10)."""
    vals = {}
    for nodes in (16, 48):
        law = quad._Blobs(CENTERS, None, nodes=nodes)
        for t in (1, 10):
            a = np.array([t * 0.01])
            nn = kl._nn_lower(law, 2, 0.1, 100, a - 0.01, np.array([1.0]), law.log_density(a)[0])
            vals[nodes, t] = float(np.sum(law.weights * nn))
    for t in (1, 10):
        assert vals[16, t] == pytest.approx(vals[48, t], rel=5e-3)


def test_tail_criterion():
    """Gaussian data, n = 2000, h = 0.2, t = 1: term 0.058 ≤ 0.1, but 75 % of it comes from test points with
    Var S/μ² > 1 and the expansion is 5 SE above the simulation (measured 2.896 against 2.865 ± 0.006); predict
    refuses it there (lower bound), and keeps it at h = 0.5 (tail share 0.25 at n = 100)."""
    est = mc.simulate(1, workflow="replace", h=0.2, n=2000, n_trials=48, seed=99).nll
    p = th.predict(1, workflow="replace", h=0.2, n=2000)
    f = kl.finite_n(1, workflow="replace", dataset="gaussian", D=2, h=0.2, bandwidth=None, n=2000)
    assert f.term <= kl.TERM_MAX and f.tail_share > kl.TAIL_MAX and p.nll_regime == "lower_bound"
    assert est.mean < f.expansion - 3 * est.sem - kl.ALLOWANCE_COEF * f.term**2  # why the tail rule exists
    assert est.mean >= p.nll_lower - 3 * est.sem
    assert th.predict(1, workflow="replace", h=0.5, n=100).nll_regime == "expansion"


def test_nll_beyond_the_float_range_of_the_quadrature_is_refused_naming_dim():
    # Issue 24: --dim 10⁶ printed "internal error: NaN in nll" (the densities underflow from D ≈ 380 on).
    from model_collapse import cli

    assert np.isfinite(th.predict(3, workflow="replace", h=0.5, dim=th.MAX_NLL_DIM).nll)
    for dim in (th.MAX_NLL_DIM + 1, 10**6):
        out = cli.run(["predict", "kde", "--workflow", "replace", "--t", "3", "--h", "0.5", "--dim", str(dim)])
        assert out.exit_code == 2 and "The '--dim' parameter must be at most 300" in out.stderr, out.stderr

"""`collapse predict mixing` / `collapse simulate mixing` through collapse.cli.run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_collapse import cli
from model_collapse.theory import mixing as th
from model_collapse.theory import ridge_mixture as rm
from model_collapse.theory.spectrum import eigenvalues

BASE = ["--n", "300", "--d", "60", "--p2", "0.3", "--c2", "1", "--lam", "0.01", "--sigma", "0.5"]


def run_json(argv):
    out = cli.run(argv)
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout), out.stderr


def test_predict_keys_and_values_match_the_theory():
    out, _ = run_json(["predict", "mixing", *BASE, "--weight", "0.1", "--rounds", "3", "--spectrum", "powerlaw:1.5",
                       "--sigma2", "0.2", "--json"])
    assert list(out) == ["bias", "variance", "zeta", "total", "kappa", "u", "setting"]
    assert {k: out["setting"][k] for k in ("weight", "rounds", "spectrum", "sigma2", "r2")} == {
        "weight": 0.1, "rounds": 3, "spectrum": "powerlaw:1.5", "sigma2": 0.2, "r2": 1.0}
    ref = th.predict(300, 0.3, 0.01, eigenvalues("powerlaw:1.5", 60), weight=0.1, rounds=3, c2=1.0, sigma=0.5,
                     sigma2=0.2)
    for key in ["bias", "variance", "zeta", "total", "kappa", "u"]:
        assert out[key] == pytest.approx(float(getattr(ref, key)), rel=1e-13)


def test_default_weight_is_pooling_and_equals_the_ridge_family():
    mix, _ = run_json(["predict", "mixing", *BASE, "--json"])
    ridge, _ = run_json(["predict", "ridge", *BASE, "--json"])
    assert "weight" not in mix["setting"] and mix["setting"]["rounds"] == 1  # no weight: pooling, one round
    ridge.pop("setting")
    assert ridge.pop("convention") == "asymptotic"  # λ > 0 (the ridge answer names its convention)
    for key in ridge:
        assert mix[key] == pytest.approx(ridge[key], rel=1e-10)


def test_lam_and_sigma_default_to_0_and_1_and_are_echoed():
    argv = ["--n", "300", "--d", "60", "--p2", "0.3", "--c2", "1", "--weight", "0.1", "--json"]
    out, _ = run_json(["predict", "mixing", *argv])
    assert out["setting"]["lam"] == 0.0 and out["setting"]["sigma"] == 1.0
    ref = th.predict(300, 0.3, 0.0, np.ones(60), weight=0.1, c2=1.0, sigma=1.0)
    assert out["total"] == pytest.approx(float(ref.total), rel=1e-13)


def test_per_round_prints_lists_and_the_extras():
    out, _ = run_json(["predict", "mixing", *BASE, "--weight", "0.1", "--rounds", "4", "--per-round", "--best-weight",
                       "--limits", "--json"])
    assert len(out["total"]) == 4 and len(out["bias"]) == 4
    best = th.best_weight(300, 0.3, 0.01, np.ones(60), rounds=4, c2=1.0, sigma=0.5)
    assert out["best_weight"] == pytest.approx(best.weight, rel=1e-12)
    assert out["best_total"] <= min(out["total"][-1], out["pooled_total"])
    assert out["floor"] == pytest.approx(float(th.weight_floor(0.01, 0.1, np.ones(60), c2=1.0)), rel=1e-12)
    assert out["fixed_point"] == pytest.approx(float(th.fixed_point(300, 0.3, 0.01, np.ones(60), weight=0.1,
                                                                    c2=1.0, sigma=0.5)), rel=1e-12)
    assert out["fixed_point"] <= out["total"][-1] * (1 + 1e-9)


def test_divergent_iterative_mixing_is_explained():
    out, err = run_json(["predict", "mixing", "--n", "100", "--d", "80", "--p2", "0.9", "--c2", "1", "--lam", "0",
                         "--sigma", "1", "--limits", "--json"])
    assert out["fixed_point"] is None
    assert any(w.startswith("fixed_point is inf") and "diverges" in w for w in out["warnings"])
    assert "diverges" in err


def test_simulate_keys_and_agreement_with_predict():
    argv = [*BASE, "--weight", "0.1", "--rounds", "2", "--per-round"]
    sim, _ = run_json(["simulate", "mixing", *argv, "--trials", "60", "--seed", "2", "--json"])
    pred, _ = run_json(["predict", "mixing", *argv, "--json"])
    assert list(sim) == ["bias", "variance", "zeta", "total", "setting"]
    assert (sim["setting"]["trials"], sim["setting"]["seed"], sim["setting"]["method"]) == (60, 2, "conditional")
    allowance = 2 * (1 / 240 + 1 / 60)
    for t, m, s in zip(pred["total"], sim["total"]["mean"], sim["total"]["se"], strict=True):
        assert abs(m - t) <= 4 * s + allowance * t
    again, _ = run_json(["simulate", "mixing", *argv, "--trials", "60", "--seed", "2", "--json"])
    assert again == sim
    lit, _ = run_json(["simulate", "mixing", *argv, "--trials", "20", "--method", "sample", "--json"])
    assert set(lit) == set(sim)


ROUNDS = "an int in the range [1, 100000]"


@pytest.mark.parametrize("extra,needle", [
    (["--weight", "1.5"], "'--weight' parameter must be a float in the range [0, 1]. Got 1.5"),
    (["--weight", "nan"], "'--weight' parameter must be a float in the range [0, 1]. Got nan"),
    (["--rounds", "0"], f"'--rounds' parameter must be {ROUNDS}"),
    (["--rounds", "2.5"], f"'--rounds' parameter must be {ROUNDS}"),
    (["--rounds", "1000000"], f"'--rounds' parameter must be {ROUNDS}"),
    (["--sigma", "1e200"], "'--sigma' parameter must be a float in the range [0, 1e+150]. Got 1e+200"),
    (["--p2", "-0.1"], "'--p2' parameter must be a float in the range [0, 1]. Got -0.1"),
])
def test_bad_input_is_one_line_naming_the_flag(extra, needle):
    for cmd in ("predict", "simulate"):
        out = cli.run([cmd, "mixing", *BASE, *extra, *(["--trials", "2"] if cmd == "simulate" else [])])
        assert out.exit_code == 2
        lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("collapse: error: ") and needle in lines[0], out.stderr


def test_text_output_and_the_ridge_identity_at_weight_p2():
    out = cli.run(["predict", "mixing", *BASE, "--weight", "0.3"])
    assert out.exit_code == 0
    assert [ln.split()[0] for ln in out.stdout.splitlines()] == ["bias", "variance", "zeta", "total", "kappa", "u"]
    total = float(out.stdout.splitlines()[3].split()[1])
    assert total == pytest.approx(float(rm.predict(300, 0.3, 0.01, np.ones(60), c2=1.0, sigma=0.5).total), rel=1e-5)

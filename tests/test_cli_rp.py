"""`collapse predict rp` / `collapse simulate rp` (random projections, docs/theory.md §3), through collapse.cli.main."""

import json

import numpy as np
import pytest
from model_collapse.cli import main
from model_collapse.theory import model_size as ms
from model_collapse.theory import random_projections as th
from model_collapse.theory.spectrum import eigenvalues

N, D, P2, C2, LAM, SIGMA = 200, 400, 0.25, 1.0, 1e-3, 0.5  # p2·n = 50 synthetic samples exactly
W = eigenvalues("isotropic", D)


def base(m):
    return ["--n", str(N), "--m", str(m), "--d", str(D), "--p2", str(P2), "--c2", str(C2), "--lam", str(LAM),
            "--sigma", str(SIGMA)]


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_predict_json_keys_and_values_equal_theory(capsys):
    out = run_json(capsys, ["predict", "rp", *base(100), "--json"])
    assert list(out) == ["rho", "bias", "variance", "zeta", "total", "kappa", "u", "setting"]
    ref = th.predict(N, 100, P2, LAM, W, c2=C2, sigma=SIGMA)
    for key in ["rho", "bias", "variance", "zeta", "total", "kappa", "u"]:
        assert out[key] == pytest.approx(float(getattr(ref, key)), rel=1e-12)
    assert out["setting"] == {"m": 100, "n": N, "d": D, "p2": P2, "c2": C2, "lam": LAM, "sigma": SIGMA, "r2": 1.0,
                              "spectrum": "isotropic", "teacher": "isotropic", "penalty": "mean", "mse": False,
                              "form": "deterministic", "projection_seed": 0, "best_m": False}


def test_predict_defaults_d_lam_sigma_are_used_and_echoed(capsys):
    out = run_json(capsys, ["predict", "rp", "--n", "200", "--m", "100", "--p2", "0.25", "--c2", "1", "--json"])
    setting = out["setting"]
    assert (setting["d"], setting["lam"], setting["sigma"]) == (1000, 1e-3, 0.5)
    ref = th.predict(200, 100, 0.25, 1e-3, eigenvalues("isotropic", 1000), c2=1.0, sigma=0.5)
    assert out["total"] == pytest.approx(float(ref.total), rel=1e-12)


def test_predict_sigma2_r2_passed_through(capsys):
    out = run_json(capsys, ["predict", "rp", *base(300), "--sigma2", "0.9", "--r2", "2", "--json"])
    ref = th.predict(N, 300, P2, LAM, W, c2=C2, r2=2.0, sigma=SIGMA, sigma2=0.9)
    assert out["total"] == pytest.approx(float(ref.total), rel=1e-12)


def test_predict_text_output(capsys):
    assert main(["predict", "rp", *base(100)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == ["rho", "bias", "variance", "zeta", "total", "kappa", "u"]


def test_ridgeless_threshold_is_infinite_with_warning(capsys):
    argv = ["predict", "rp", "--n", "100", "--m", "100", "--d", "200", "--p2", "0.5", "--c2", "1", "--lam", "0",
            "--sigma", "1", "--json"]
    assert main(argv) == 0
    cap = capsys.readouterr()
    printed = json.loads(cap.out)  # strict JSON: an infinite value is null, named in "warnings"
    assert printed["total"] is None and any(w.startswith("total is inf") for w in printed["warnings"])
    assert "infinite" in cap.err


SIM = ["--n", "100", "--d", "200", "--p2", "0.25", "--c2", "1", "--lam", "0.001", "--sigma", "0.5"]


@pytest.mark.parametrize("m", [50, 200])  # both sides of the threshold m = n = 100 (d = 200 > n)
def test_simulate_json_shape_agreement_and_reproducible(capsys, m):
    argv = ["simulate", "rp", *SIM, "--m", str(m), "--trials", "16", "--seed", "5", "--json"]
    out = run_json(capsys, argv)
    assert list(out) == ["rho", "bias", "variance", "zeta", "total", "setting"]
    assert all(set(v) == {"mean", "se"} for k, v in out.items() if k != "setting")
    assert (out["setting"]["m"], out["setting"]["trials"], out["setting"]["seed"]) == (m, 16, 5)
    assert out["setting"]["method"] == "conditional"
    ref = float(th.predict(100, m, 0.25, 1e-3, eigenvalues("isotropic", 200), c2=1.0, sigma=0.5).total)
    # 4 SE + the finite-size allowance 2(1/|n − min(m, d)| + 1/min(m, d)) of the deterministic equivalent
    k = min(m, 200)
    tol = 4 * out["total"]["se"] + 2 * (1 / abs(100 - k) + 1 / k) * ref
    assert abs(out["total"]["mean"] - ref) <= tol
    assert run_json(capsys, argv) == out


def test_best_m_flag(capsys):
    below = run_json(capsys, ["predict", "rp", *base(100), "--best-m", "--json"])
    above = run_json(capsys, ["predict", "rp", *base(800), "--best-m", "--json"])
    keys = ["rho", "bias", "variance", "zeta", "total", "kappa", "u", "best_m", "best_total", "limit_total",
            "threshold_m", "width_sensitivity", "adding_parameters"]
    # best_m = inf (the error keeps falling towards its m → ∞ limit) is printed as null, named in "warnings"
    assert list(below) == keys + ["setting", "warnings"]
    assert below["setting"]["best_m"] is True
    assert below["best_m"] is None and below["warnings"] == [
        "best_m is inf: the test error keeps falling with the width towards its m → ∞ limit (limit_total)"]
    size = ms.best_model_size(N, P2, LAM, W, c2=C2, sigma=SIGMA)
    assert size.best_m == float("inf")
    assert below["best_total"] == pytest.approx(size.best_total, rel=1e-12)
    assert below["threshold_m"] == N
    # below the threshold (d > n) a wider model hurts, above it helps
    assert below["width_sensitivity"] > 0 and below["adding_parameters"] == "hurts"
    assert above["width_sensitivity"] < 0 and above["adding_parameters"] == "helps"
    slope = float(ms.width_sensitivity(N, 100, P2, LAM, W, c2=C2, sigma=SIGMA))
    assert below["width_sensitivity"] == pytest.approx(slope, rel=1e-12)
    assert below["best_total"] <= below["total"] and below["best_total"] <= above["total"]


INT = "an int in the range [1, inf) (at most 2^53)"
SCALE = "a float in the range [0, 1e+150]"
BOTH = ["predict", "simulate"]
BAD = [
    # counts typed by a user are whole numbers in both commands (the library's closed forms also take real n, m)
    (BOTH, "--m", "0", [f"'--m' parameter must be {INT}", "Got 0 instead"]),
    (BOTH, "--m", "2.5", [f"'--m' parameter must be {INT}", "Got '2.5' instead"]),
    (BOTH, "--m", "-3", [f"'--m' parameter must be {INT}", "Got -3 instead"]),
    (BOTH, "--n", "0", [f"'--n' parameter must be {INT}", "Got 0 instead"]),
    (BOTH, "--n", "2.5", [f"'--n' parameter must be {INT}"]),
    (BOTH, "--d", "x", [f"'--d' parameter must be {INT}", "Got 'x' instead"]),
    (BOTH, "--p2", "1.5", ["'--p2' parameter must be a float in the range [0, 1]", "Got 1.5 instead"]),
    (BOTH, "--p2", "-0.1", ["'--p2' parameter must be a float in the range [0, 1]", "Got -0.1 instead"]),
    (BOTH, "--c2", "-1", [f"'--c2' parameter must be {SCALE}"]),
    (BOTH, "--lam", "-1", ["'--lam' parameter must be a float in the range [0, inf)"]),
    (BOTH, "--lam", "nan", ["'--lam' parameter must be a float in the range [0, inf)", "Got nan instead"]),
    (BOTH, "--sigma", "-0.5", [f"'--sigma' parameter must be {SCALE}"]),
    (BOTH, "--sigma2", "inf", [f"'--sigma2' parameter must be {SCALE}", "Got inf instead"]),
    (BOTH, "--r2", "-2", [f"'--r2' parameter must be {SCALE}"]),
    (BOTH, "--form", "exact", ["'--form' parameter must be one of 'deterministic', 'quenched'", "exact"]),
    (BOTH, "--projection-seed", "-1", ["'--projection-seed' parameter must be a non-negative int", "-1"]),
]


@pytest.mark.parametrize("command,flag,value,needles",
                         [(command, *case) for commands, *case in BAD for command in commands])
def test_bad_input_one_line_exit_2(capsys, command, flag, value, needles):
    argv = [command, "rp", *base(100)]
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("collapse: error: ")
    for needle in needles:
        assert needle in err


def test_simulate_rejects_bad_trials(capsys):
    assert main(["simulate", "rp", *base(100), "--trials", "0"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and f"The '--trials' parameter must be {INT}" in err


def test_best_m_with_quenched_names_both_flags(capsys):
    assert main(["predict", "rp", *base(100), "--form", "quenched", "--best-m"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "The '--best-m' parameter needs --form deterministic" in err


def test_predict_quenched_form_and_spectrum_match_theory(capsys):
    from model_collapse.theory import random_projections as rp
    from model_collapse.theory.spectrum import eigenvalues as eigs

    argv = ["predict", "rp", "--n", "100", "--m", "50", "--d", "300", "--p2", "0.2", "--c2", "1", "--lam", "0.001",
            "--sigma", "0.5", "--spectrum", "powerlaw:1", "--form", "quenched", "--projection-seed", "3", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    ref = rp.predict(100, 50, 0.2, 0.001, eigs("powerlaw:1", 300), c2=1.0, sigma=0.5, form="quenched",
                     projection_seed=3)
    assert out["total"] == pytest.approx(float(ref.total), rel=1e-12)


def test_non_isotropic_deterministic_prints_the_general_form(capsys):
    """--spectrum powerlaw:1 with the default form: the general-Σ deterministic equivalent (docs/theory.md §3.3),
    the numbers of theory.random_projections.predict; --best-m works with it."""
    argv = ["predict", "rp", "--n", "100", "--m", "50", "--d", "300", "--p2", "0.2", "--c2", "1", "--lam", "0.001",
            "--sigma", "0.5", "--spectrum", "powerlaw:1", "--json"]
    assert main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    want = th.predict(100, 50, 0.2, 0.001, eigenvalues("powerlaw:1", 300), c2=1.0, sigma=0.5)
    assert got["total"] == pytest.approx(float(want.total), rel=1e-12)
    assert main([*argv, "--best-m"]) == 0
    assert np.isfinite(json.loads(capsys.readouterr().out)["limit_total"])


def test_simulate_uses_the_requested_spectrum(capsys):
    """--spectrum reaches the simulator: same seed, power law vs isotropic must give the simulator's own numbers."""
    from model_collapse.montecarlo import random_projections as mc_rp
    from model_collapse.theory.spectrum import eigenvalues as eigs

    base = ["simulate", "rp", "--n", "60", "--m", "30", "--d", "120", "--p2", "0.25", "--c2", "1", "--lam", "0.01",
            "--sigma", "0.5", "--trials", "3", "--seed", "2", "--json"]
    assert main([*base, "--spectrum", "powerlaw:1"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = mc_rp.simulate(60, 30, 0.25, 0.01, eigs("powerlaw:1", 120), c2=1.0, sigma=0.5, n_trials=3, seed=2)
    assert out["total"]["mean"] == ref.total.mean
    iso = mc_rp.simulate(60, 30, 0.25, 0.01, eigs("isotropic", 120), c2=1.0, sigma=0.5, n_trials=3, seed=2)
    assert out["total"]["mean"] != iso.total.mean

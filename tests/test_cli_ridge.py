"""`collapse predict ridge` / `collapse simulate ridge` / `collapse figures`, through collapse.cli.main."""

import json
import subprocess
import sys

import pytest
from model_collapse.cli import main
from model_collapse.theory import ridge_mixture as th
from model_collapse.theory.spectrum import eigenvalues

BASE = ["--n", "1000", "--d", "100", "--p2", "0.1", "--c2", "1", "--lam", "0.01", "--sigma", "0.5"]


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_predict_json_keys_and_isotropic_closed_form(capsys):
    out = run_json(capsys, ["predict", "ridge", *BASE, "--json"])
    assert list(out) == ["bias", "variance", "zeta", "total", "kappa", "u", "setting"]
    iso = th.isotropic_test_error(0.1, 0.1, 0.01, c2=1.0, r2=1.0, sigma=0.5)
    for key in ["bias", "variance", "zeta", "total", "kappa", "u"]:
        assert out[key] == pytest.approx(float(getattr(iso, key)), rel=1e-12)
    assert out["setting"] == {"n": 1000, "d": 100, "p2": 0.1, "c2": 1, "lam": 0.01, "sigma": 0.5, "r2": 1.0,
                              "spectrum": "isotropic", "teacher": "isotropic", "penalty": "mean", "mse": False}


def test_lam_and_sigma_default_to_0_and_1_and_are_echoed(capsys):
    out = run_json(capsys, ["predict", "ridge", "--n", "1000", "--d", "100", "--p2", "0.1", "--c2", "1", "--json"])
    assert out["setting"]["lam"] == 0.0 and out["setting"]["sigma"] == 1.0 and "sigma2" not in out["setting"]
    iso = th.isotropic_test_error(0.1, 0.1, 0.0, c2=1.0, r2=1.0, sigma=1.0)
    assert out["total"] == pytest.approx(float(iso.total), rel=1e-12)


def test_predict_powerlaw_sigma2_r2_match_general_formula(capsys):
    argv = ["predict", "ridge", *BASE, "--spectrum", "powerlaw:1.5", "--sigma2", "0.9", "--r2", "2", "--json"]
    out = run_json(capsys, argv)
    ref = th.predict(1000, 0.1, 0.01, eigenvalues("powerlaw:1.5", 100), c2=1.0, r2=2.0, sigma=0.5, sigma2=0.9)
    assert out["total"] == pytest.approx(float(ref.total), rel=1e-14)


def test_predict_text_output(capsys):
    assert main(["predict", "ridge", *BASE]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == ["bias", "variance", "zeta", "total", "kappa", "u"]


def test_simulate_json_shape_and_agreement(capsys):
    out = run_json(capsys, ["simulate", "ridge", *BASE, "--trials", "40", "--seed", "3", "--json"])
    assert list(out) == ["bias", "variance", "zeta", "total", "setting"]
    assert all(set(v) == {"mean", "se"} for k, v in out.items() if k != "setting")
    assert out["setting"]["trials"] == 40 and out["setting"]["seed"] == 3
    assert out["setting"]["method"] == "conditional"  # the simulator's default method, echoed
    iso = th.isotropic_test_error(0.1, 0.1, 0.01, c2=1.0, sigma=0.5)
    # 4 SE + the finite-size allowance 2(1/|n−d| + 1/d) of tests/test_ridge_mixture_mc.py
    tol = 4 * out["total"]["se"] + 2 * (1 / 900 + 1 / 100) * float(iso.total)
    assert abs(out["total"]["mean"] - float(iso.total)) <= tol
    again = run_json(capsys, ["simulate", "ridge", *BASE, "--trials", "40", "--seed", "3", "--json"])
    assert again == out


def test_interpolation_threshold_prints_infinity(capsys):
    argv = ["predict", "ridge", "--n", "100", "--d", "100", "--p2", "0.5", "--c2", "1", "--lam", "0",
            "--sigma", "1", "--json"]
    assert main(argv) == 0
    cap = capsys.readouterr()
    printed = json.loads(cap.out)  # strict JSON: an infinite value is null, named in "warnings"
    assert printed["total"] is None and any(w.startswith("total is inf") for w in printed["warnings"])
    assert "infinite" in cap.err


SPECTRUM_FORMS = "isotropic, powerlaw:BETA, data:digits[+MAP] or file:PATH.npy[+MAP]"
INT = "an int in the range [1, inf) (at most 2^53)"
SCALE = "a float in the range [0, 1e+150]"


@pytest.mark.parametrize("command,flag,value,needles", [
    ("predict", "--p2", "1.5", ["'--p2' parameter must be a float in the range [0, 1]", "Got 1.5 instead"]),
    ("predict", "--p2", "-0.1", ["'--p2' parameter must be a float in the range [0, 1]", "Got -0.1 instead"]),
    ("predict", "--n", "0", [f"'--n' parameter must be {INT}", "Got 0 instead"]),
    ("simulate", "--n", "0", [f"'--n' parameter must be {INT}"]),
    # a sample count typed by a user is whole in both commands (the library's closed form also takes real n)
    ("predict", "--n", "2.5", [f"'--n' parameter must be {INT}", "2.5"]),
    ("simulate", "--n", "2.5", [f"'--n' parameter must be {INT}", "2.5"]),
    ("predict", "--d", "-4", [f"'--d' parameter must be {INT}"]),
    ("predict", "--c2", "-1", [f"'--c2' parameter must be {SCALE}"]),
    ("predict", "--sigma", "-0.5", [f"'--sigma' parameter must be {SCALE}"]),
    ("predict", "--lam", "-1", ["'--lam' parameter must be a float in the range [0, inf)"]),
    ("predict", "--lam", "nan", ["'--lam' parameter must be a float in the range [0, inf)", "Got nan instead"]),
    ("predict", "--spectrum", "powerlaw:x", [f"'--spectrum' parameter must be {SPECTRUM_FORMS}",
                                             "BETA must be a finite number >= 0", "'powerlaw:x'"]),
    ("predict", "--spectrum", "banana", [f"'--spectrum' parameter must be {SPECTRUM_FORMS}", "Got 'banana'"]),
    ("predict", "--spectrum2", "banana", [f"'--spectrum2' parameter must be {SPECTRUM_FORMS}", "Got 'banana'"]),
    ("predict", "--penalty", "max", ["'--penalty' parameter must be one of 'mean', 'sum'", "max"]),
    ("simulate", "--method", "exact", ["'--method' parameter must be one of 'conditional', 'sample'"]),
])
def test_bad_input_one_line_exit_2(capsys, command, flag, value, needles):
    argv = [command, "ridge", *BASE] + (["--trials", "2"] if command == "simulate" else [])
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("collapse: error: ") and err.count("\n") == 1 and "Traceback" not in err
    for needle in needles:
        assert needle in err


def test_unknown_flag_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["predict", "ridge", *BASE, "--banana", "1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--banana" in err and err.count("\n") == 1


def test_missing_required_flag_is_named(capsys):
    assert main(["predict", "ridge", "--d", "100", "--p2", "0.1", "--c2", "1"]) == 2
    err = capsys.readouterr().err
    assert "The '--n' parameter is required" in err and err.count("\n") == 1


def test_bad_input_in_a_subprocess_has_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "collapse", "simulate", "ridge", *BASE, "--trials", "0"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--trials" in proc.stderr and "Traceback" not in proc.stderr


def test_figures_only_unknown_name(capsys, tmp_path):
    assert main(["figures", "--only", "nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "'--only'" in err and "strong_collapse" in err and err.count("\n") == 1


def test_figures_only_writes_files(capsys, tmp_path):
    assert main(["figures", "--only", "strong_collapse", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "figures written to" in out
    assert {p.name for p in tmp_path.iterdir()} == {"strong_collapse.pdf", "strong_collapse.png",
                                                    "strong_collapse.csv", "strong_collapse.json"}

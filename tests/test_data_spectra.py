"""The --spectrum parser and the data spectra (collapse/data_spectra.py): conventions, round trips, seeds,
refusals, and the CLI wiring (ridge, rp, retrain take data spectra; --d from the data)."""

import json

import numpy as np
import pytest
from model_collapse import cli
from model_collapse import data_spectra as ds
from model_collapse.theory import iterative_retraining as it
from model_collapse.theory import ridge_mixture as rm
from model_collapse.validation import InvalidParameterError
from sklearn.datasets import load_digits
from sklearn.metrics.pairwise import rbf_kernel


@pytest.fixture(scope="module")
def pixels():
    return load_digits().data / 16.0


def _cov_eigs(f):
    fc = f - f.mean(axis=0)
    return np.sort(np.linalg.eigvalsh(fc.T @ fc / f.shape[0]))[::-1]


def test_digits_eigenvalues_are_eigvalsh_of_the_centred_covariance(pixels):
    """Convention: pixels / 16, centred, divided by n; the 3 numerically-zero eigenvalues (constant pixels) dropped."""
    w = ds.spectrum_eigenvalues("data:digits")
    ref = _cov_eigs(pixels)
    assert w.size == 61 == int(np.sum(pixels.std(axis=0) > 0))
    np.testing.assert_allclose(w, ref[:61], rtol=0, atol=1e-12)
    assert np.all(ref[61:] < 1e-14) and np.all(np.diff(w) <= 0)
    np.testing.assert_allclose(w.sum(), pixels.var(axis=0).sum(), rtol=1e-12)
    emp = ds.empirical_spectrum("data:digits")
    z = emp.coordinates  # the centred rows in the eigenbasis: ZᵀZ/n = diag(ω)
    np.testing.assert_allclose(z.T @ z / emp.n, np.diag(w), atol=1e-12)


def test_file_round_trips(tmp_path, pixels):
    path = tmp_path / "x.npy"
    np.save(path, pixels)
    np.testing.assert_allclose(ds.spectrum_eigenvalues(f"file:{path}"), ds.spectrum_eigenvalues("data:digits"),
                               rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ds.spectrum_eigenvalues(f"file:{path}+relu:32:seed=4"),
                                  ds.spectrum_eigenvalues("data:digits+relu:32:seed=4"))
    eig_path = tmp_path / "eigs.npy"
    given = np.array([0.5, 2.0, 0.0, 1.0])
    np.save(eig_path, given)
    np.testing.assert_array_equal(ds.spectrum_eigenvalues(f"file:{eig_path}"), [2.0, 1.0, 0.5])  # sorted, 0 dropped


def test_feature_maps_reproducible_by_seed(pixels):
    for m in ("relu:64", "fourier:64:gamma=0.05"):
        a = ds.feature_matrix(ds.parse_spectrum(f"data:digits+{m}:seed=3"))
        b = ds.feature_matrix(ds.parse_spectrum(f"data:digits+{m}:seed=3"))
        c = ds.feature_matrix(ds.parse_spectrum(f"data:digits+{m}:seed=4"))
        np.testing.assert_array_equal(a, b)
        assert not np.allclose(a, c)
        np.testing.assert_allclose(ds.spectrum_eigenvalues(f"data:digits+{m}:seed=3"), _cov_eigs(a)[: 64], atol=1e-12,
                                   rtol=0)
    # default seed is 0
    np.testing.assert_array_equal(ds.feature_matrix(ds.parse_spectrum("data:digits+relu:16")),
                                  ds.feature_matrix(ds.parse_spectrum("data:digits+relu:16:seed=0")))


def test_fourier_features_approximate_the_gaussian_kernel(pixels):
    """E φ(x)ᵀφ(x') = exp(−γ‖x − x'‖²): width 4096 on 40 digits, |error| ≲ 3/√width."""
    g = 0.05
    f = ds.feature_matrix(ds.parse_spectrum(f"data:digits+fourier:4096:gamma={g}"))[:40]
    k = rbf_kernel(pixels[:40], gamma=g)
    assert np.max(np.abs(f @ f.T - k)) < 3 / np.sqrt(4096) * 2


def test_rbf_spectrum_is_the_centred_kernel_matrix_over_n(tmp_path, pixels):
    """Kernel spectrum from an independent kernel (scikit-learn's rbf_kernel), 300 rows, γ given and 'scale'."""
    x = pixels[:300]
    path = tmp_path / "x300.npy"
    np.save(path, x)
    for gamma, text in ((0.07, ":0.07"), (1.0 / (64 * x.var()), "")):
        k = rbf_kernel(x, gamma=gamma)
        h = np.eye(300) - 1.0 / 300
        ref = np.sort(np.linalg.eigvalsh(h @ k @ h))[::-1] / 300
        w = ds.spectrum_eigenvalues(f"file:{path}+rbf{text}")
        np.testing.assert_allclose(w, ref[: w.size], rtol=0, atol=1e-12)
        assert ref[w.size:].max() <= 300 * np.finfo(float).eps * ref[0] * 300  # only numerical zeros dropped
        top = ds.spectrum_eigenvalues(f"file:{path}+rbf{text}:top=20")
        np.testing.assert_array_equal(top, w[:20])


def test_teacher_is_least_squares_on_the_population():
    emp = ds.empirical_spectrum("data:digits")
    for target in ds.TARGETS:
        t = ds.teacher("data:digits", target)
        y = ds.digits_targets(target)
        yc = y - y.mean(axis=0)
        ref = np.linalg.lstsq(emp.coordinates, yc, rcond=None)[0]
        np.testing.assert_allclose(t.coefficients, ref, atol=1e-9)
        total = float(np.sum(yc * yc) / emp.n)
        np.testing.assert_allclose(t.r2 + t.sigma2, total, rtol=1e-12)  # explained + residual = variance
        gam = ref * ref if ref.ndim == 1 else np.sum(ref * ref, axis=1)
        np.testing.assert_allclose(t.gamma, gam, atol=1e-9)
    parity = ds.digits_targets("parity")
    assert set(np.unique(parity)) == {-1.0, 1.0}


BAD = ["", "banana", "powerlaw:x", "powerlaw:-1", "data:mnist", "data:digits+relu", "data:digits+relu:0",
       "data:digits+relu:9999999", "data:digits+relu:64:gamma=1", "data:digits+fourier:64:seed=-1",
       "data:digits+rbf:-2", "data:digits+rbf:1:2", "data:digits+rbf:top=0", "file:", "data:digits+relu:12.5"]


@pytest.mark.parametrize("text", BAD)
def test_bad_spectrum_text_is_refused_in_one_line(text):
    with pytest.raises(InvalidParameterError) as err:
        ds.parse_spectrum(text)
    msg = str(err.value)
    assert "'spectrum' parameter" in msg and "\n" not in msg and "data:digits[+MAP]" in msg


def test_bad_files_are_refused_in_one_line(tmp_path):
    cases = {"nan.npy": np.array([1.0, np.nan]), "neg.npy": np.array([-1.0, 2.0]), "cube.npy": np.ones((2, 2, 2)),
             "row.npy": np.ones((1, 5)), "zeros.npy": np.zeros(3)}
    for name, arr in cases.items():
        np.save(tmp_path / name, arr)
    (tmp_path / "text.npy").write_text("not numpy")
    for name in [*cases, "text.npy", "missing.npy"]:
        with pytest.raises(InvalidParameterError) as err:
            ds.spectrum_eigenvalues(f"file:{tmp_path / name}")
        assert "'spectrum' parameter" in str(err.value) and "\n" not in str(err.value), name
    with pytest.raises(InvalidParameterError):  # a feature map needs features
        ds.spectrum_eigenvalues(f"file:{tmp_path / 'neg.npy'}+relu:4")
    np.save(tmp_path / "x.txt.npy", np.ones(2))
    with pytest.raises(InvalidParameterError, match="'spectrum'"):
        ds.parse_spectrum("file:x.csv") and ds.spectrum_eigenvalues("file:x.csv")


RIDGE = ["predict", "ridge", "--n", "300", "--p2", "0.2", "--c2", "0.1", "--lam", "0.01", "--sigma", "0.5"]


def test_cli_ridge_on_digits_uses_the_data_spectrum_and_teacher():
    out = cli.run([*RIDGE, "--spectrum", "data:digits", "--teacher", "parity", "--json"])
    assert out.exit_code == 0, out.stderr
    got = json.loads(out.stdout)
    w = ds.spectrum_eigenvalues("data:digits")
    t = ds.teacher("data:digits", "parity")
    ref = rm.predict(300, 0.2, 0.01, w, c2=0.1, sigma=0.5, gamma=t.gamma).as_dict()
    setting = got.pop("setting")
    assert got.pop("convention") == "asymptotic"  # λ > 0: the deterministic equivalent in every field
    assert got == pytest.approx(ref, rel=1e-12)
    # the echoed setting: the data's own dimension, the spectrum and teacher as typed
    assert (setting["d"], setting["spectrum"], setting["teacher"]) == (61, "data:digits", "parity")
    assert "r2 = 0.7077" in out.stderr  # the data's explained variance is noted


@pytest.mark.parametrize("argv, needle", [
    ([*RIDGE, "--spectrum", "data:digits", "--d", "64"],
     "The '--d' parameter must be omitted or equal 61 with --spectrum data:digits"),
    ([*RIDGE], "The '--d' parameter is required with --spectrum isotropic"),
    ([*RIDGE, "--d", "10", "--teacher", "digit"], "The '--teacher' parameter needs labelled data"),
    ([*RIDGE, "--spectrum", "data:digits+fourier:0"], "The '--spectrum' parameter must be isotropic, powerlaw:BETA"),
    ([*RIDGE, "--spectrum", "file:/no/such/file.npy"], "The '--spectrum' parameter names a file that cannot be read"),
    (["predict", "retrain", "--generations", "2", "--samples", "100", "--generator-samples", "80",
      "--spectrum", "data:digits", "--d", "5"], "The '--d' parameter must be omitted or equal 61"),
    (["predict", "rp", "--n", "300", "--m", "20", "--p2", "0.2", "--c2", "0.1", "--spectrum", "data:digits",
      "--form", "quenched", "--best-m"], "The '--best-m' parameter needs --form deterministic"),
])
def test_cli_refusals_name_the_flag(argv, needle):
    out = cli.run(argv)
    assert out.exit_code == 2 and len(out.stderr.strip().splitlines()) == 1 and needle in out.stderr, out.stderr


def test_cli_d_matches_the_data_and_named_spectra_still_work():
    ok = cli.run([*RIDGE, "--spectrum", "data:digits", "--d", "61", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["setting"]["d"] == 61
    named = cli.run([*RIDGE, "--d", "50", "--spectrum", "powerlaw:1", "--json"])
    ref = rm.predict(300, 0.2, 0.01, np.arange(1, 51.0) ** -1.0, c2=0.1, sigma=0.5).as_dict()
    got = json.loads(named.stdout)
    assert got.pop("setting")["spectrum"] == "powerlaw:1"
    assert got.pop("convention") == "asymptotic"
    assert got == pytest.approx(ref, rel=1e-12)
    rp = cli.run(["predict", "rp", "--n", "300", "--m", "20", "--p2", "0.2", "--c2", "0.1", "--spectrum",
                  "data:digits", "--form", "quenched", "--teacher", "parity", "--json"])
    assert rp.exit_code == 0, rp.stderr


def test_cli_retrain_on_digits_matches_theory_with_data_teacher():
    argv = ["predict", "retrain", "--generations", "2", "--samples", "100", "--generator-samples", "80",
            "--spectrum", "data:digits", "--teacher", "digit", "--lam", "0.01", "--json"]
    out = cli.run(argv)
    assert out.exit_code == 0, out.stderr
    w = ds.spectrum_eigenvalues("data:digits")
    t = ds.teacher("data:digits", "digit")
    ref = it.predict(2, 100, 80, 61, lam=0.01, spectrum=w, gamma=t.gamma).as_dict()
    got = json.loads(out.stdout)
    assert got.pop("setting")["d"] == 61  # the data's dimension, echoed
    assert got.pop("convention") == "asymptotic"
    assert got == pytest.approx(ref, rel=1e-12)


def test_retrain_theory_refuses_bad_eigenvalue_arrays():
    with pytest.raises(InvalidParameterError, match="'spectrum'"):
        it.predict(1, 100, 80, 3, spectrum=np.array([1.0, 0.0, 1.0]))
    with pytest.raises(InvalidParameterError, match="'spectrum'"):
        it.predict(1, 100, 80, 4, spectrum=np.ones(3))
    with pytest.raises(InvalidParameterError, match="'gamma'"):  # (the keyword was called teacher before)
        it.predict(1, 100, 80, 3, spectrum=np.ones(3), gamma=np.ones(2))
    with pytest.raises(InvalidParameterError, match="'source_r'"):
        it.predict(1, 100, 80, 3, spectrum=np.ones(3), source_r=0.5)


@pytest.mark.parametrize("flag", ["--spectrum", "--spectrum2"])
def test_every_bad_file_is_refused_naming_the_flag_typed(tmp_path, flag):
    # Issue 24: a zero-byte .npy ended in EOFError (exit 1), huge values in "Eigenvalues did not converge",
    # and file refusals under --spectrum2 named --spectrum.
    (tmp_path / "empty.npy").write_bytes(b"")
    np.save(tmp_path / "huge.npy", np.arange(1.0, 16.0).reshape(5, 3) * 1e300)
    np.save(tmp_path / "neg.npy", -np.ones(4))
    np.save(tmp_path / "row.npy", np.ones((1, 3)))
    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan]))
    np.save(tmp_path / "cube.npy", np.ones((2, 2, 2)))
    for name in ("empty", "huge", "neg", "row", "nan", "cube"):
        out = cli.run(["predict", "ridge", "--n", "100", "--d", "3", "--p2", "0.1", "--c2", "1", flag,
                       f"file:{tmp_path / name}.npy"])
        lines = out.stderr.strip().splitlines()
        assert out.exit_code == 2 and len(lines) == 1, (name, out.stderr)
        assert f"The '{flag}' parameter" in lines[0], (name, lines[0])

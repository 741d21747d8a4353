"""Parameters and setting helpers shared by several registry entries, each declared once.

The ridge-type families (ridge, rp, mixing, synthetic-budget, retrain) share the mixture setting: the sample
counts, the synthetic fraction and quality, the penalty, the two noise levels, the signal energy and the
spectra. They are declared here once; an entry lists the ones it takes (and may override a default with
:func:`dataclasses.replace`, e.g. ``replace(LAM, default=1e-3)``).

Spectra are text (``isotropic``, ``powerlaw:BETA``, ``data:digits[+MAP]``, ``file:PATH[+MAP]``; docs/real_data.md)
parsed by :func:`model_collapse.data_spectra.parse_spectrum`; the eigenvalues are built only when the setting
is, after the memory check.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from numbers import Integral, Real

from model_collapse import data_spectra
from model_collapse.params import Param, Parsed, Switch
from model_collapse.resources import Note
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE_INT,
    SCALE,
    Interval,
    InvalidParameterError,
    Options,
)

__all__ = ["SPECTRUM", "SPECTRUM2", "TEACHER", "D", "N", "P2", "C2", "LAM", "SIGMA", "SIGMA2", "R2",
           "PENALTY", "MSE", "PER_ITERATION", "FINITE_SIZE", "MIXTURE", "resolve_dimension", "spectrum_values",
           "teacher_gamma", "mixture_keywords", "note_realised_p2", "replace"]

SPECTRUM_FORMS = ("isotropic, powerlaw:BETA (eigenvalues j^-BETA), data:digits[+MAP] or file:PATH.npy[+MAP] "
                  "(see docs/real_data.md)")
_SPECTRUM = Parsed(data_spectra.parse_spectrum, data_spectra.ALLOWED,
                   accepts=lambda v: isinstance(v, data_spectra.SpectrumSpec))
DEFAULT_SPECTRUM = data_spectra.parse_spectrum("isotropic")

SPECTRUM = Param("spectrum", _SPECTRUM, "the covariance spectrum: " + SPECTRUM_FORMS, default=DEFAULT_SPECTRUM,
                 keywords=("eigenvalues",), metavar="SPECTRUM")
SPECTRUM2 = Param("spectrum2", _SPECTRUM, "covariate shift: the synthetic rows' spectrum, same kinds as --spectrum, "
                  "in the same eigenbasis (docs/covariate_shift.md; default: --spectrum)", default=None,
                  keywords=("eigenvalues2",), metavar="SPECTRUM")
TEACHER = Param("teacher", Options(("isotropic", *data_spectra.TARGETS)),
                "isotropic: the prior (r2/tr Σ)·I; parity, digit, onehot: the least-squares teacher of that digits "
                "target projected on the data eigenbasis (needs --spectrum data:digits[+MAP]; replaces --r2)",
                default="isotropic", keywords=("gamma",))
D = Param("d", POSITIVE_INT, "input dimension (required with a named spectrum; a data:/file: spectrum gives its own)",
          default=None)
#: a count typed by a user (the library's closed forms also take real n, e.g. for continuous curves)
COUNT = Interval(Integral, 1, None, closed="left")
N = Param("n", COUNT, "total number of training samples")
P2 = Param("p2", None, "fraction of synthetic samples, in [0, 1]")
C2 = Param("c2", SCALE, "synthetic quality c² = tr ΔΣ (label-shift energy; 0 = perfect)")
LAM = Param("lam", NONNEGATIVE, "ridge penalty λ ≥ 0 for the (1/n)-scaled loss (--penalty sum: ‖Xw−y‖² + λ‖w‖²)",
            default=0.0)
SIGMA = Param("sigma", SCALE, "label-noise standard deviation of the real data", default=1.0)
SIGMA2 = Param("sigma2", SCALE, "label-noise standard deviation of the synthetic data (default: --sigma)",
               default=None)
R2 = Param("r2", SCALE, "signal strength r² = tr ΓΣ", default=1.0)
PENALTY = Param("penalty", Options(("mean", "sum")), "λ convention: mean = (1/n)‖Xw−y‖² + λ‖w‖², sum = ‖Xw−y‖² + λ‖w‖²",
                default="mean")
MSE = Param("mse", Switch(), "report the full test MSE (excess risk + σ²) as total", default=False,
            keywords=("include_noise",))
PER_ITERATION = Param("per_iteration", Switch(), "print every iteration 1..t", default=False)
#: One convention per answer (docs/theory.md §0): ``exact`` = the exact finite-sample law in every field where one
#: is known for the setting (else the deterministic equivalent, and the answer's ``convention`` says so);
#: ``asymptotic`` = the deterministic equivalent everywhere. Shared by retrain and ridge.
FINITE_SIZE = Param("finite_size", Options(("exact", "asymptotic")),
                    "exact: the exact finite-sample law in every printed field where one is known (ridgeless "
                    "Gaussian designs), else the deterministic equivalent; asymptotic: the deterministic equivalent "
                    "everywhere (the printed convention says which)", default="exact")

#: The mixture setting of the ridge-type entries, in --help order.
MIXTURE = (N, D, P2, C2, LAM, SIGMA, SIGMA2, R2, SPECTRUM, TEACHER)

#: A count that may be unbounded: an integer >= 0 or inf.
COUNT_OR_INF = Parsed(lambda text: math.inf if text.lower() in ("inf", "infinity") else float(int(text, 10)),
                      "a non-negative integer (at most 2^53) or inf",
                      accepts=lambda v: isinstance(v, Real) and not isinstance(v, bool)
                      and (v == math.inf or (float(v).is_integer() and 0 <= v <= 2**53)))


def resolve_dimension(values, default: int | None = None) -> int:
    """Set ``values.d`` from the spectrum: a data spectrum gives its own dimension (a different d is refused);
    a named spectrum needs d (or ``default``)."""
    spec = values.spectrum
    if spec.named:
        if values.d is None:
            if default is None:
                raise InvalidParameterError.of("d", None, f"is required with {{spectrum}} {spec.text} (a data "
                                               "spectrum takes its dimension from the data).", refs=("spectrum",))
            values.d = default
        return values.d
    d = data_spectra.data_dimension(spec)
    if values.d is not None and values.d != d:
        raise InvalidParameterError.of("d", None, f"must be omitted or equal {d} with {{spectrum}} {spec.text} (the "
                                       f"rank of its centred features). Got {values.d} instead.", refs=("spectrum",))
    values.d = d
    return d


def spectrum_values(values, which: str = "spectrum"):
    """The eigenvalues of the spectrum parameter ``which`` in dimension ``values.d`` (resolved first)."""
    resolve_dimension(values)
    spec = getattr(values, which)
    try:
        return data_spectra.spectrum_eigenvalues(spec, values.d if spec.named else None)
    except InvalidParameterError as exc:
        if exc.parameter == "spectrum" and which != "spectrum":
            raise InvalidParameterError.of(which, None, exc.requirement, refs=exc.refs) from None
        raise


def teacher_gamma(values):
    """Γ's diagonal from ``teacher`` (None = the isotropic prior from r2); notes the data's r² and noise level."""
    name = getattr(values, "teacher", "isotropic")
    if name == "isotropic":
        return None
    t = data_spectra.teacher(values.spectrum, name)
    warnings.warn(f"teacher {name} on {values.spectrum.text}: r2 = {t.r2:.4g} (explained variance), residual variance "
                  f"{t.sigma2:.4g} (the data's label noise: --sigma {math.sqrt(t.sigma2):.4g})", Note, stacklevel=2)
    return t.gamma


def mixture_keywords(values, *, penalty: bool = True, second_spectrum: bool = True) -> dict:
    """The keywords of the ridge-mixture twins from the mixture setting (gamma only with a data teacher;
    eigenvalues2 only with spectrum2)."""
    out = {k: getattr(values, k) for k in ("n", "p2") if hasattr(values, k)}  # (synthetic-budget has n_real)
    out.update(lam=values.lam, eigenvalues=spectrum_values(values), c2=values.c2, r2=values.r2, sigma=values.sigma,
               sigma2=values.sigma2)
    if penalty:
        out.update(penalty=values.penalty, include_noise=values.mse)
    gamma = teacher_gamma(values)
    if gamma is not None:
        out["gamma"] = gamma
    if second_spectrum and getattr(values, "spectrum2", None) is not None:
        out["eigenvalues2"] = spectrum_values(values, "spectrum2")
    return out


def note_realised_p2(n: int, p2: float) -> None:
    """Simulators draw n₂ = round(p₂n) synthetic rows; say so on stderr when p₂n is not an integer."""
    n2 = round(p2 * n)
    if n2 != p2 * n:
        warnings.warn(f"simulating n2 = round(p2*n) = {n2} synthetic samples (realised p2 = {n2 / n:.6g})", Note,
                      stacklevel=2)

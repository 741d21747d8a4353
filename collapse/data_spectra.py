"""Spectra from data: the ``--spectrum`` text, parsed once, and the empirical covariance spectra it names.

The theory modules take eigenvalues (and teacher diagonals) as arrays; this module is where data is loaded,
feature maps are sampled and covariances diagonalised (docs/real_data.md).

Syntax (:func:`parse_spectrum`, the one parsing entry point of every ``--spectrum``-like flag)::

    isotropic                      all d eigenvalues 1 (needs --d)
    powerlaw:BETA                  eigenvalues j^-BETA, j = 1..d (needs --d)
    data:digits[+MAP]              scikit-learn's 1,797 handwritten 8x8 digits, pixels / 16 (in [0, 1])
    file:PATH[+MAP]                a .npy file: a 2-D n x d feature matrix (rows = samples), or a 1-D
                                   list of eigenvalues (no MAP then)
    MAP := relu:WIDTH[:seed=S]                 phi(x) = sqrt(2/WIDTH) max(0, W x), W_ij ~ N(0, 1/p)
         | fourier:WIDTH[:gamma=G][:seed=S]    phi(x) = sqrt(2/WIDTH) cos(W x + b), W_ij ~ N(0, 2G),
                                               b ~ U[0, 2 pi): E phi(x)^T phi(x') = exp(-G |x - x'|^2)
         | rbf[:GAMMA][:top=M]                 the Gaussian kernel exp(-GAMMA |x - x'|^2) itself: the
                                               spectrum of its centred empirical kernel matrix (below)

p is the input dimension (64 for digits). G and GAMMA default to scikit-learn's ``gamma="scale"``,
1/(p·Var X) (the variance over all entries of the input matrix). S defaults to 0; random weights come from
``numpy.random.default_rng(SeedSequence(S))`` (no seed arithmetic). WIDTH is an integer in [1, 8192].

Conventions (stated in every docstring below, measured in tests/test_real_data.py):

- Covariance: the features F (n x p) are centred by their column means and Σ̂ = F_cᵀF_c/n (divided by n,
  the MLE: the n rows are the population). Its eigenvalues in decreasing order, numerically zero ones
  (≤ p·ε·ω_max, ε the float64 machine epsilon) dropped: d = the rank of F_c (61 for the raw digits: three
  pixels are constant 0). A 1-D file is used as given (sorted, zeros dropped).
- rbf: K_ij = exp(−γ‖x_i − x_j‖²), K_c = HKH (H = I − 11ᵀ/n), eigenpairs (μ_k, u_k). The kernel's
  covariance operator on the n-point population has the eigenvalues μ_k/n (the same nonzero spectrum as
  Σ̂ of any feature map with φ(x_i)ᵀφ(x_j) = K_ij); its centred features are the kernel-PCA coordinates
  z_ik = √μ_k·u_ik. ``top=M`` keeps the M largest (a rank-M truncation of the kernel).
- Teacher (:func:`teacher`): the least-squares fit β of the centred target on the centred features
  (the population's best linear predictor); its eigen-coordinates a_k = v_kᵀβ give Γ_kk = a_k²
  (r² = Σ ω_k a_k² = the explained variance), the residual mean square (RSS/n) is the label noise σ².
  Targets of the digits: ``parity`` (+1 even, −1 odd; the default), ``digit`` (the value 0..9) and
  ``onehot`` (10 indicator outputs; errors and Γ summed over the outputs).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from model_collapse.spectra_named import eigenvalues as named_eigenvalues
from model_collapse.spectra_named import parse_spectrum as parse_named
from model_collapse.validation import InvalidParameterError

__all__ = [
    "SpectrumSpec",
    "EmpiricalSpectrum",
    "Teacher",
    "TARGETS",
    "ALLOWED",
    "parse_spectrum",
    "is_named",
    "empirical_spectrum",
    "spectrum_eigenvalues",
    "data_dimension",
    "digits_targets",
    "teacher",
]

ALLOWED = ("isotropic, powerlaw:BETA, data:digits[+MAP] or file:PATH.npy[+MAP], with MAP one of relu:WIDTH[:seed=S], "
           "fourier:WIDTH[:gamma=G][:seed=S], rbf[:GAMMA][:top=M]")
TARGETS = ("parity", "digit", "onehot")
DATASETS = ("digits",)
MAX_WIDTH = 8192
_MAP_RE = re.compile(r"\+(relu|fourier|rbf)(:[^+]*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class SpectrumSpec:
    """A parsed ``--spectrum`` text. ``kind`` is ``isotropic``, ``powerlaw``, ``data`` or ``file``."""

    text: str
    kind: str
    beta: float = 0.0
    source: str | None = None  # the dataset name (data:) or the path (file:)
    feature_map: str | None = None  # relu, fourier, rbf or None
    width: int | None = None
    gamma: float | None = None  # None = scikit-learn's "scale"
    seed: int = 0
    top: int | None = None

    @property
    def named(self) -> bool:
        """True for the closed-form spectra (isotropic, powerlaw), which need a dimension d."""
        return self.kind in ("isotropic", "powerlaw")

    def theory_text(self) -> str:
        """``isotropic`` / ``powerlaw:BETA``, the string the theory modules take (named spectra only)."""
        if not self.named:
            raise InvalidParameterError.of("spectrum", None, f"{self.text!r} is a data spectrum, not a named one.")
        return "isotropic" if self.kind == "isotropic" else f"powerlaw:{self.beta!r}"

    def __str__(self) -> str:
        return self.text


def _refuse(text, why: str = "") -> InvalidParameterError:
    extra = f" ({why})" if why else ""
    return InvalidParameterError.of("spectrum", None, f"must be {ALLOWED}{extra}. Got {text!r} instead.")


def _number(text, value: str, name: str, positive: bool) -> float:
    try:
        x = float(value)
    except ValueError:
        raise _refuse(text, f"{name} must be a finite number {'> 0' if positive else '>= 0'}") from None
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        raise _refuse(text, f"{name} must be a finite number {'> 0' if positive else '>= 0'}")
    return x


def _integer(text, value: str, name: str, lo: int, hi: int | None) -> int:
    try:
        x = int(value.strip(), 10)
    except ValueError:
        x = None
    if x is None or x < lo or (hi is not None and x > hi):
        bound = f"an integer in [{lo}, {hi}]" if hi is not None else f"an integer >= {lo}"
        raise _refuse(text, f"{name} must be {bound}")
    return x


def _parse_map(text: str, name: str, rest: str) -> dict:
    parts = [p for p in rest.split(":")] if rest else []
    out: dict = {"feature_map": name}
    positional = [p for p in parts if "=" not in p]
    options = dict(p.split("=", 1) for p in parts if "=" in p)
    allowed = {"relu": {"seed"}, "fourier": {"gamma", "seed"}, "rbf": {"top", "gamma"}}[name]
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise _refuse(text, f"{name} takes {', '.join(sorted(allowed))}=..., not {unknown[0]}=")
    if name in ("relu", "fourier"):
        if len(positional) != 1:
            raise _refuse(text, f"{name} needs one WIDTH")
        out["width"] = _integer(text, positional[0], "WIDTH", 1, MAX_WIDTH)
    else:
        if len(positional) > 1:
            raise _refuse(text, "rbf takes at most one GAMMA")
        if positional:
            out["gamma"] = _number(text, positional[0], "GAMMA", positive=True)
        if "top" in options:
            out["top"] = _integer(text, options["top"], "top", 1, None)
    if "gamma" in options:
        if "gamma" in out:
            raise _refuse(text, "GAMMA given twice")
        out["gamma"] = _number(text, options["gamma"], "gamma", positive=True)
    if "seed" in options:
        out["seed"] = _integer(text, options["seed"], "seed", 0, None)
    return out


def parse_spectrum(text) -> SpectrumSpec:
    """Parse a ``--spectrum`` text (module docstring) into a :class:`SpectrumSpec`; nothing is loaded yet.

    Bad text raises :class:`InvalidParameterError` with one line naming the parameter and the allowed forms.
    A path is taken verbatim (case kept); everything else is case-insensitive.
    """
    if not isinstance(text, str) or not text.strip():
        raise _refuse(text)
    raw = text.strip()
    low = raw.lower()
    if low == "isotropic" or low.startswith("powerlaw:"):  # the named grammar lives in spectra_named
        try:
            kind, beta = parse_named(raw)
        except InvalidParameterError:
            raise _refuse(raw, "BETA must be a finite number >= 0") from None
        return SpectrumSpec(raw, kind, beta=beta)
    if low.startswith(("data:", "file:")):
        kind = low[:4]
        body = raw[5:]
        fmap: dict = {}
        m = _MAP_RE.search(body)
        if m:
            fmap = _parse_map(raw, m.group(1).lower(), (m.group(2) or "")[1:])
            body = body[: m.start()]
        if kind == "data":
            if body.lower() not in DATASETS:
                raise _refuse(raw, f"the shipped data sets are {', '.join(DATASETS)}")
            return SpectrumSpec(raw, "data", source=body.lower(), **fmap)
        if not body:
            raise _refuse(raw, "file: needs a path")
        return SpectrumSpec(raw, "file", source=body, **fmap)
    raise _refuse(raw)


def is_named(spec: SpectrumSpec) -> bool:
    return spec.named


@dataclass(frozen=True)
class EmpiricalSpectrum:
    """The population of a data spectrum in Σ̂'s eigenbasis.

    eigenvalues : ω_1 ≥ … ≥ ω_d > 0 of Σ̂ (d = rank). coordinates : the centred features in the eigenbasis
    (n x d, Z = F_cV, so ZᵀZ/n = diag(ω) exactly); None for a 1-D eigenvalue file. n : population size.
    """

    spec: SpectrumSpec
    eigenvalues: np.ndarray
    coordinates: np.ndarray | None
    n: int

    @property
    def d(self) -> int:
        return int(self.eigenvalues.size)


def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return np.asarray(bunch.data, dtype=float) / 16.0, np.asarray(bunch.target, dtype=int)


@functools.lru_cache(maxsize=4)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    x, y = _load_digits()
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def _load_file(spec: SpectrumSpec) -> np.ndarray:
    path = Path(spec.source)
    if path.suffix.lower() != ".npy":
        raise _refuse(spec.text, "file: reads a .npy file")
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:  # EOFError: a zero-byte or truncated file
        raise InvalidParameterError.of("spectrum", None, "names a file that cannot be read as .npy: "
                                    f"{spec.source!r} ({type(exc).__name__}).") from None
    if arr.ndim not in (1, 2) or arr.size == 0 or arr.dtype.kind not in "fiu":
        raise InvalidParameterError.of("spectrum", None, "names a file that must hold a non-empty numeric 1-D "
                                       f"eigenvalue list or 2-D n x d feature matrix. Got shape {arr.shape}, dtype "
                                       f"{arr.dtype} in {spec.source!r} instead.")
    arr = np.asarray(arr, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError.of("spectrum", None, f"names a file ({spec.source!r}) that must hold finite "
                                       "numbers.")
    if arr.ndim == 1:
        if spec.feature_map is not None:
            raise _refuse(spec.text, "a feature map needs a 2-D feature matrix, not an eigenvalue list")
        if np.any(arr < 0) or not np.any(arr > 0):
            raise InvalidParameterError.of("spectrum", None, f"names an eigenvalue file ({spec.source!r}) that "
                                           "must hold eigenvalues >= 0, at least one > 0.")
    elif arr.shape[0] < 2:
        raise InvalidParameterError.of("spectrum", None, f"names a feature matrix ({spec.source!r}) that needs at "
                                       f"least 2 rows (samples). Got shape {arr.shape} instead.")
    return arr


def source_matrix(spec: SpectrumSpec) -> np.ndarray:
    """The input matrix of a data/file spectrum before any feature map (digits: pixels / 16)."""
    if spec.kind == "data":
        return _digits()[0]
    if spec.kind == "file":
        return _load_file(spec)
    raise InvalidParameterError.of("spectrum", None, f"{spec.text!r} names no data.")


def _scale_gamma(x: np.ndarray, gamma: float | None) -> float:
    return float(gamma) if gamma is not None else 1.0 / (x.shape[1] * float(x.var()))


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed))


def feature_matrix(spec: SpectrumSpec) -> np.ndarray:
    """The features F (n x p) of a data/file spectrum with a relu/fourier map or none (rbf: use
    :func:`empirical_spectrum`, whose coordinates are the kernel-PCA features). Not centred."""
    x = source_matrix(spec)
    if x.ndim == 1:
        raise InvalidParameterError.of("spectrum", None, f"{spec.text!r} is an eigenvalue list, not features.")
    if spec.feature_map is None:
        return x
    p, m = x.shape[1], int(spec.width)
    rng = _rng(spec.seed)
    if spec.feature_map == "relu":
        w = rng.standard_normal((p, m)) / math.sqrt(p)
        return math.sqrt(2.0 / m) * np.maximum(x @ w, 0.0)
    if spec.feature_map == "fourier":
        g = _scale_gamma(x, spec.gamma)
        w = rng.standard_normal((p, m)) * math.sqrt(2.0 * g)
        b = rng.uniform(0.0, 2.0 * math.pi, m)
        return math.sqrt(2.0 / m) * np.cos(x @ w + b)
    raise InvalidParameterError.of("spectrum", None, f"{spec.text!r}: rbf has no explicit features.")


def _kept(w: np.ndarray, size: int) -> np.ndarray:
    """Indices of the eigenvalues above the numerical-zero threshold size·ε·ω_max (w decreasing)."""
    tol = size * np.finfo(float).eps * max(float(w[0]), 0.0)
    return np.flatnonzero(w > tol)


def _eigh(a: np.ndarray, spec: SpectrumSpec) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of a symmetric covariance or kernel matrix; refused naming the spectrum when LAPACK
    cannot converge or the entries are not finite (values near the float limit, an extreme feature-map gamma)."""
    if not np.all(np.isfinite(a)):
        raise InvalidParameterError.of("spectrum", None, f"{spec.text!r} gives a covariance with entries that "
                                       "overflow float64: rescale the data or choose a milder feature-map parameter.")
    try:
        return np.linalg.eigh(a)
    except np.linalg.LinAlgError:
        raise InvalidParameterError.of("spectrum", None, f"{spec.text!r} gives a covariance whose eigenvalues did "
                                       "not converge (values near the float limit): rescale the data or choose a "
                                       "milder feature-map parameter.") from None


@functools.lru_cache(maxsize=16)
def _empirical(spec: SpectrumSpec) -> EmpiricalSpectrum:
    if spec.kind == "file":
        arr = _load_file(spec)
        if arr.ndim == 1:
            w = np.sort(arr)[::-1]
            w = w[w > 0]
            w.setflags(write=False)
            return EmpiricalSpectrum(spec, w, None, 0)
    if spec.feature_map == "rbf":
        x = source_matrix(spec)
        n = x.shape[0]
        g = _scale_gamma(x, spec.gamma)
        sq = np.sum(x * x, axis=1)
        k = np.exp(-g * np.maximum(sq[:, None] + sq[None, :] - 2.0 * (x @ x.T), 0.0))
        kc = k - k.mean(axis=0, keepdims=True)
        kc = kc - kc.mean(axis=1, keepdims=True)
        mu, u = _eigh((kc + kc.T) / 2.0, spec)
        mu, u = mu[::-1], u[:, ::-1]
        keep = _kept(mu, n)
        if spec.top is not None:
            keep = keep[: spec.top]
        mu, u = mu[keep], u[:, keep]
        z = u * np.sqrt(mu)[None, :]
        w = mu / n
    else:
        f = feature_matrix(spec)
        n = f.shape[0]
        fc = f - f.mean(axis=0, keepdims=True)
        cov = fc.T @ fc / n
        w, v = _eigh(cov, spec)
        w, v = w[::-1], v[:, ::-1]
        keep = _kept(w, max(f.shape[1], 1))
        w, v = w[keep], v[:, keep]
        z = fc @ v
    w = np.ascontiguousarray(w)
    z = np.ascontiguousarray(z)
    w.setflags(write=False)
    z.setflags(write=False)
    return EmpiricalSpectrum(spec, w, z, int(n))


def empirical_spectrum(spec: SpectrumSpec | str) -> EmpiricalSpectrum:
    """Eigenvalues and eigen-coordinates of a data/file spectrum (cached per text; module docstring)."""
    spec = parse_spectrum(spec) if isinstance(spec, str) else spec
    if spec.named:
        raise InvalidParameterError.of("spectrum", None, f"{spec.text!r} is a named spectrum, not data.")
    return _empirical(spec)


def data_dimension(spec: SpectrumSpec | str) -> int | None:
    """d of a data spectrum (the rank of its centred features), None for a named spectrum."""
    spec = parse_spectrum(spec) if isinstance(spec, str) else spec
    return None if spec.named else empirical_spectrum(spec).d


def spectrum_eigenvalues(spec: SpectrumSpec | str, d: int | None = None) -> np.ndarray:
    """The eigenvalues a spectrum text names: a named spectrum in dimension ``d`` (required), a data
    spectrum in its own dimension (``d`` None or equal to it; a different ``d`` is refused, naming ``d``)."""
    spec = parse_spectrum(spec) if isinstance(spec, str) else spec
    if spec.named:
        if d is None:
            raise InvalidParameterError.of("d", None, f"is required with the named spectrum {spec.text!r} "
                                           "(data spectra take their dimension from the data).")
        return named_eigenvalues(spec.theory_text(), d)
    emp = empirical_spectrum(spec)
    if d is not None and int(d) != emp.d:
        raise InvalidParameterError.of("d", None, f"must be omitted or equal {emp.d} with {{spectrum}} "
                                       f"{spec.text} (the rank of its centred features). Got {d} instead.",
                                       refs=("spectrum",))
    return np.array(emp.eigenvalues)


def digits_targets(target: str) -> np.ndarray:
    """The regression target of the digits (n,) or (n, 10): parity +1 even / −1 odd, digit 0..9, onehot."""
    if target not in TARGETS:
        raise InvalidParameterError.of("target", None, f"must be one of {', '.join(TARGETS)}. Got {target!r} "
                                    "instead.")
    y = _digits()[1]
    if target == "parity":
        return np.where(y % 2 == 0, 1.0, -1.0)
    if target == "digit":
        return y.astype(float)
    return (y[:, None] == np.arange(10)[None, :]).astype(float)


@dataclass(frozen=True)
class Teacher:
    """The population's least-squares teacher in Σ̂'s eigenbasis.

    coefficients : a_k = v_kᵀβ, shape (d,) or (d, outputs). gamma : Γ_kk = Σ_outputs a_k². r2 = Σ ω_k Γ_kk
    (explained variance). sigma2 : residual mean square RSS/n (summed over outputs). labels : the centred
    target (n,) or (n, outputs). target : its name.
    """

    target: str
    coefficients: np.ndarray
    gamma: np.ndarray
    r2: float
    sigma2: float
    labels: np.ndarray


def teacher(spec: SpectrumSpec | str, target: str = "parity") -> Teacher:
    """Project the real labels on Σ̂'s eigenbasis: a = diag(ω)⁻¹ZᵀY_c/n (least squares on the population)."""
    spec = parse_spectrum(spec) if isinstance(spec, str) else spec
    if spec.kind != "data":
        raise InvalidParameterError.of("teacher", None, "needs labelled data (--spectrum data:digits[+MAP]); "
                                    f"{spec.text!r} has no labels.")
    emp = empirical_spectrum(spec)
    y = digits_targets(target)
    yc = y - y.mean(axis=0)
    z, w = emp.coordinates, emp.eigenvalues
    a = (z.T @ yc) / emp.n / (w if yc.ndim == 1 else w[:, None])
    resid = yc - z @ a
    gam = a * a if a.ndim == 1 else np.sum(a * a, axis=1)
    return Teacher(target=target, coefficients=a, gamma=gam, r2=float(np.sum(w * gam)),
                   sigma2=float(np.sum(resid * resid) / emp.n), labels=yc)

"""Argument types for the command line: each rejects bad input with one line naming what is allowed.

argparse prefixes the flag ("argument --p2: ..."); :class:`model_collapse.cli.Parser` prints that single
line and exits with code 2. Integers are limited to 2⁵³ (exactly representable; larger settings cannot be
computed on any machine anyway); a seed may be any non-negative integer.
"""

from __future__ import annotations

import argparse
import math
import warnings

from model_collapse import data_spectra
from model_collapse.validation import InvalidParameterError

MAX_INT = 2**53


def _number(text: str, allowed: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}") from None
    if math.isnan(x):
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}")
    return x


def _integer(text: str, minimum: int, allowed: str, maximum: int | None = MAX_INT) -> int:
    try:
        x = int(text.strip().replace("_", ""), 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}") from None
    if x < minimum or (maximum is not None and x > maximum):
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}")
    return x


_NAMES = {0: "a non-negative integer", 1: "a positive integer"}


def int_at_least(minimum: int):
    """An integer type in [minimum, 2⁵³]."""
    allowed = _NAMES.get(minimum, f"an integer >= {minimum}") + " (at most 2^53)"

    def parse(text: str) -> int:
        return _integer(text, minimum, allowed)

    parse.__name__ = f"int_at_least_{minimum}"
    return parse


positive_int = int_at_least(1)
nonnegative_int = int_at_least(0)


def seed(text: str) -> int:
    return _integer(text, 0, "a non-negative integer", maximum=None)


def probability(text: str) -> float:
    allowed = "a number in [0, 1]"
    x = _number(text, allowed)
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}")
    return x


def nonnegative(text: str) -> float:
    allowed = "a finite number >= 0"
    x = _number(text, allowed)
    if not (0.0 <= x < math.inf):
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}")
    return x


def positive(text: str) -> float:
    allowed = "a finite number > 0"
    x = _number(text, allowed)
    if not (0.0 < x < math.inf):
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}")
    return x


def spectrum(text: str) -> data_spectra.SpectrumSpec:
    """The argparse type of every spectrum flag: :func:`model_collapse.data_spectra.parse_spectrum` (one parser for
    isotropic, powerlaw:BETA, data:digits[+MAP], file:PATH[+MAP]); nothing is loaded until the setting is built."""
    try:
        return data_spectra.parse_spectrum(text)
    except InvalidParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


DEFAULT_SPECTRUM = data_spectra.parse_spectrum("isotropic")
SPECTRUM_FORMS = ("isotropic, powerlaw:BETA (eigenvalues j^-BETA), data:digits[+MAP] or file:PATH.npy[+MAP] "
                  "(see docs/real_data.md)")
TEACHER_HELP = ("isotropic: the prior (r2/tr Σ)·I; parity, digit, onehot: the least-squares teacher of that digits "
                "target projected on the data eigenbasis (needs --spectrum data:digits[+MAP]; replaces --r2)")


def add_teacher_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--teacher", choices=("isotropic", *data_spectra.TARGETS), default="isotropic",
                   help=TEACHER_HELP + " (default: %(default)s)")


def resolve_dimension(args, flag: str = "--d") -> int:
    """Set ``args.d`` from the spectrum: a data spectrum gives its own dimension (a different --d is refused,
    naming the flag); a named spectrum needs --d (or the command's default ``args.d_named_default``)."""
    spec = args.spectrum
    if spec.named:
        if args.d is None:
            default = getattr(args, "d_named_default", None)
            if default is None:
                raise InvalidParameterError(f"The '{flag}' parameter is required with --spectrum {spec.text} (a data "
                                            "spectrum takes its dimension from the data).")
            args.d = default
        return args.d
    d = data_spectra.data_dimension(spec)
    if args.d is not None and args.d != d:
        raise InvalidParameterError(f"The '{flag}' parameter must be omitted or equal {d} with --spectrum {spec.text} "
                                    f"(the rank of its centred features). Got {args.d} instead.")
    args.d = d
    return d


def teacher_gamma(args):
    """Γ's diagonal from --teacher (None = the isotropic prior from --r2); notes the data's r² and noise level."""
    name = getattr(args, "teacher", "isotropic")
    if name == "isotropic":
        return None
    from model_collapse.resources import Note

    t = data_spectra.teacher(args.spectrum, name)
    warnings.warn(f"teacher {name} on {args.spectrum.text}: r2 = {t.r2:.4g} (explained variance), residual variance "
                  f"{t.sigma2:.4g} (the data's label noise: --sigma {math.sqrt(t.sigma2):.4g})", Note, stacklevel=2)
    return t.gamma


def add_mixture_setting(p: argparse.ArgumentParser, *, lam_help: str, spectrum_help: str,
                        defaults: dict | None = None) -> None:
    """The flags shared by every real + synthetic mixture command (ridge, rp): --n --d --p2 --c2 --lam
    --sigma [--sigma2] [--r2] [--spectrum]. ``defaults`` makes --d, --lam, --sigma optional."""
    defaults = defaults or {}

    def opt(name):
        if name in defaults:
            return {"default": defaults[name], "required": False}
        return {"required": True}

    dflt = " (default: %(default)s)"
    p.add_argument("--n", type=positive_int, required=True, help="total number of training samples")
    if "d" in defaults:
        p.add_argument("--d", type=positive_int, default=None, help=f"input dimension (default: {defaults['d']} with a "
                       "named spectrum; data spectra take the data's dimension)")
        p.set_defaults(d_named_default=defaults["d"])
    else:
        p.add_argument("--d", type=positive_int, default=None,
                       help="input dimension (required with a named spectrum; default: the data's dimension with a "
                            "data:/file: spectrum)")
    p.add_argument("--p2", type=probability, required=True, help="fraction of synthetic samples, in [0, 1]")
    p.add_argument("--c2", type=nonnegative, required=True,
                   help="synthetic quality c² = tr ΔΣ (label-shift energy; 0 = perfect)")
    p.add_argument("--lam", type=nonnegative, help=lam_help + (dflt if "lam" in defaults else ""), **opt("lam"))
    p.add_argument("--sigma", type=nonnegative, help="label-noise std of real data"
                   + (dflt if "sigma" in defaults else ""), **opt("sigma"))
    p.add_argument("--sigma2", type=nonnegative, default=None,
                   help="label-noise std of synthetic data (default: --sigma)")
    p.add_argument("--r2", type=nonnegative, default=1.0, help="signal strength r² = tr ΓΣ (default: %(default)s)")
    p.add_argument("--spectrum", type=spectrum, default=DEFAULT_SPECTRUM, help=spectrum_help)
    add_teacher_argument(p)


def add_penalty_and_mse(p: argparse.ArgumentParser) -> None:
    p.add_argument("--penalty", choices=("mean", "sum"), default="mean",
                   help="λ convention: mean = (1/n)‖Xw−y‖² + λ‖w‖², sum = ‖Xw−y‖² + λ‖w‖² (default: %(default)s)")
    p.add_argument("--mse", action="store_true", help="report the full test MSE (excess risk + σ²) as total")


def spectrum_values(args):
    """The eigenvalues of --spectrum (its dimension resolved against --d by :func:`resolve_dimension`)."""
    resolve_dimension(args)
    return data_spectra.spectrum_eigenvalues(args.spectrum, args.d)


def add_spectrum2(p: argparse.ArgumentParser, help_text: str) -> None:
    """--spectrum2: the synthetic rows' spectrum (covariate shift), any kind --spectrum accepts."""
    p.add_argument("--spectrum2", type=spectrum, default=None, help=help_text + " (default: --spectrum)")


def spectrum2_values(args):
    """Eigenvalues of --spectrum2, built exactly as --spectrum's (the same parser and kinds); None if not given."""
    if getattr(args, "spectrum2", None) is None:
        return None
    return spectrum_values(argparse.Namespace(**{**vars(args), "spectrum": args.spectrum2}))


def mixture_setting(args) -> dict:
    """The keywords of the ridge-mixture twins from the shared mixture flags (gamma only with a data --teacher;
    eigenvalues2 only with --spectrum2)."""
    out = dict(n=args.n, p2=args.p2, lam=args.lam, eigenvalues=spectrum_values(args), c2=args.c2, r2=args.r2,
               sigma=args.sigma, sigma2=args.sigma2, penalty=args.penalty, include_noise=args.mse)
    gamma = teacher_gamma(args)
    if gamma is not None:
        out["gamma"] = gamma
    w2 = spectrum2_values(args)
    if w2 is not None:
        out["eigenvalues2"] = w2
    return out


def note_realised_p2(n: int, p2: float) -> None:
    """Simulators draw n₂ = round(p₂n) synthetic rows; say so on stderr when p₂n is not an integer."""
    from model_collapse.resources import Note

    n2 = round(p2 * n)
    if n2 != p2 * n:
        warnings.warn(f"simulating n2 = round(p2*n) = {n2} synthetic samples (realised p2 = {n2 / n:.6g})", Note,
                      stacklevel=2)

"""Argument types for the command line: each rejects bad input with one line naming what is allowed.

argparse prefixes the flag ("argument --p2: ..."); :class:`model_collapse.cli.Parser` prints that single
line and exits with code 2. Integers are limited to 2⁵³ (exactly representable; larger settings cannot be
computed on any machine anyway); a seed may be any non-negative integer.
"""

from __future__ import annotations

import argparse
import math
import warnings

from model_collapse.theory.spectrum import eigenvalues, parse_spectrum
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


def spectrum(text: str) -> tuple[str, float]:
    try:
        return parse_spectrum(text)
    except InvalidParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    p.add_argument("--d", type=positive_int, help="input dimension" + (dflt if "d" in defaults else ""), **opt("d"))
    p.add_argument("--p2", type=probability, required=True, help="fraction of synthetic samples, in [0, 1]")
    p.add_argument("--c2", type=nonnegative, required=True,
                   help="synthetic quality c² = tr ΔΣ (label-shift energy; 0 = perfect)")
    p.add_argument("--lam", type=nonnegative, help=lam_help + (dflt if "lam" in defaults else ""), **opt("lam"))
    p.add_argument("--sigma", type=nonnegative, help="label-noise std of real data"
                   + (dflt if "sigma" in defaults else ""), **opt("sigma"))
    p.add_argument("--sigma2", type=nonnegative, default=None,
                   help="label-noise std of synthetic data (default: --sigma)")
    p.add_argument("--r2", type=nonnegative, default=1.0, help="signal strength r² = tr ΓΣ (default: %(default)s)")
    p.add_argument("--spectrum", type=spectrum, default=("isotropic", 0.0), help=spectrum_help)


def add_penalty_and_mse(p: argparse.ArgumentParser) -> None:
    p.add_argument("--penalty", choices=("mean", "sum"), default="mean",
                   help="λ convention: mean = (1/n)‖Xw−y‖² + λ‖w‖², sum = ‖Xw−y‖² + λ‖w‖² (default: %(default)s)")
    p.add_argument("--mse", action="store_true", help="report the full test MSE (excess risk + σ²) as total")


def spectrum_values(args):
    kind, beta = args.spectrum
    return eigenvalues("isotropic" if kind == "isotropic" else f"powerlaw:{beta}", args.d)


def add_spectrum2(p: argparse.ArgumentParser, help_text: str) -> None:
    """--spectrum2: the synthetic rows' spectrum (covariate shift), any kind --spectrum accepts."""
    p.add_argument("--spectrum2", type=spectrum, default=None, help=help_text + " (default: --spectrum)")


def spectrum2_values(args):
    """Eigenvalues of --spectrum2, built exactly as --spectrum's (the same parser and kinds); None if not given."""
    if getattr(args, "spectrum2", None) is None:
        return None
    return spectrum_values(argparse.Namespace(**{**vars(args), "spectrum": args.spectrum2}))


def mixture_setting(args) -> dict:
    """The keywords of the ridge-mixture twins from the shared mixture flags (+ eigenvalues2 from --spectrum2)."""
    out = dict(n=args.n, p2=args.p2, lam=args.lam, eigenvalues=spectrum_values(args), c2=args.c2, r2=args.r2,
               sigma=args.sigma, sigma2=args.sigma2, penalty=args.penalty, include_noise=args.mse)
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

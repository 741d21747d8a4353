"""Argument types for the command line: each rejects bad input with one line naming what is allowed.

argparse prefixes the parameter ("argument --p2: ..."); :class:`collapse.cli.Parser` prints that single
line and exits with code 2.
"""

from __future__ import annotations

import argparse
import math
import sys

from model_collapse.validation import InvalidParameterError
from model_collapse.theory.spectrum import parse_spectrum


def _number(text: str, allowed: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}") from None
    if math.isnan(x):
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}")
    return x


def _integer(text: str, minimum: int, allowed: str) -> int:
    try:
        x = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}") from None
    if x < minimum:
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}")
    return x


def positive_int(text: str) -> int:
    return _integer(text, 1, "a positive integer")


def nonnegative_int(text: str) -> int:
    return _integer(text, 0, "a non-negative integer")


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


def add_mixture_setting(p: argparse.ArgumentParser, *, lam_help: str, spectrum_help: str) -> None:
    """The flags shared by every real + synthetic mixture command (ridge, rp): --n --d --p2 --c2 --lam
    --sigma [--sigma2] [--r2] [--spectrum]."""
    p.add_argument("--n", type=positive_int, required=True, help="total number of training samples")
    p.add_argument("--d", type=positive_int, required=True, help="input dimension")
    p.add_argument("--p2", type=probability, required=True, help="fraction of synthetic samples, in [0, 1]")
    p.add_argument("--c2", type=nonnegative, required=True,
                   help="synthetic quality c² = tr ΔΣ (label-shift energy; 0 = perfect)")
    p.add_argument("--lam", type=nonnegative, required=True, help=lam_help)
    p.add_argument("--sigma", type=nonnegative, required=True, help="label-noise std of real data")
    p.add_argument("--sigma2", type=nonnegative, default=None,
                   help="label-noise std of synthetic data (default: --sigma)")
    p.add_argument("--r2", type=nonnegative, default=1.0, help="signal strength r² = tr ΓΣ (default 1)")
    p.add_argument("--spectrum", type=spectrum, default=("isotropic", 0.0), help=spectrum_help)


def note_realised_p2(n: int, p2: float) -> None:
    """Simulators draw n₂ = round(p₂n) synthetic rows; say so on stderr when p₂n is not an integer."""
    n2 = round(p2 * n)
    if n2 != p2 * n:
        sys.stderr.write(f"collapse: note: simulating n2 = round(p2*n) = {n2} synthetic samples "
                         f"(realised p2 = {n2 / n:.6g})\n")

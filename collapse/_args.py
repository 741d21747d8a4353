"""Argument types for the command line: each rejects bad input with one line naming what is allowed.

argparse prefixes the parameter ("argument --p2: ..."); :class:`collapse.cli.Parser` prints that single
line and exits with code 2.
"""

from __future__ import annotations

import argparse
import math

from theory._validation import InvalidParameterError
from theory.spectrum import parse_spectrum


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

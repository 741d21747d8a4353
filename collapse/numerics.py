"""Scale-safe arithmetic shared by theory/ and montecarlo/: square only after scaling, refuse what float64
cannot hold.

Every quantity of the ridge families is a noise variance σ², a signal r² or a quality c² times a
dimensionless factor (u, κ²/(ω + κ)², ...). Forming σ² first overflows at σ ≈ 1.3e154 although σ²·u may be
representable; :func:`times_square` forms (σ·√x)² instead. When the true value exceeds the float64 range
(≈ 1.8e308) it cannot be returned: :func:`require_representable` raises :class:`InvalidParameterError`
naming the parameter and the largest value it may take at this setting.
"""

from __future__ import annotations

import numpy as np
from model_collapse.validation import InvalidParameterError

__all__ = ["FLOAT_MAX", "times_square", "require_representable"]

FLOAT_MAX = float(np.finfo(float).max)


def times_square(sd, x):
    """σ²·x computed as (σ·√x)² (σ ≥ 0, x ≥ 0; broadcast); exactly 0 where σ = 0 or x = 0, even if the
    other factor is inf. Overflows (to inf) only when σ²·x itself exceeds the float64 range."""
    sd = np.asarray(sd, dtype=float)
    x = np.asarray(x, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        out = (sd * np.sqrt(x)) ** 2
    return np.where((sd == 0) | (x == 0), 0.0, out)


def require_representable(where: str, quantity: str, value, param: str, given, unit_factor=None,
                          power: float = 2.0) -> None:
    """Raise InvalidParameterError if ``value`` (a quantity that is finite in exact arithmetic) overflowed.

    ``quantity`` names the result ("variance"), ``param`` the input that scales it and ``given`` its value.
    With ``unit_factor`` (the quantity per unit of param**power), the message states the largest allowed value
    of the parameter at this setting, (FLOAT_MAX/unit_factor)**(1/power); else that it must be smaller.
    """
    v = np.asarray(value, dtype=float)
    if np.all(np.isfinite(v)):
        return
    if unit_factor is not None:
        uf = float(np.max(np.asarray(unit_factor, dtype=float)))
        if np.isfinite(uf) and uf > 0:
            bound = FLOAT_MAX ** (1.0 / power) / uf ** (1.0 / power) / (1.0 + 1e-12)
            raise InvalidParameterError(
                f"The '{param}' parameter of {where} must be in the range [0, {bound:.4g}] at this setting "
                f"(the {quantity} would exceed the float64 range, 1.8e308). Got {given!r} instead.")
    raise InvalidParameterError(
        f"The '{param}' parameter of {where} is too large at this setting: the {quantity} would exceed the "
        f"float64 range (1.8e308). Got {given!r} instead.")

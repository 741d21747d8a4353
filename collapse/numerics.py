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

__all__ = ["FLOAT_MAX", "UnrepresentableError", "times_square", "require_representable", "refuse_unrepresentable",
           "unit_total", "noise_and_prior_scales"]

FLOAT_MAX = float(np.finfo(float).max)


class UnrepresentableError(InvalidParameterError):
    """The result of an accepted-looking input exceeds the float64 range (raised with the allowed range)."""


def times_square(sd, x):
    """σ²·x computed as (σ·√x)² (σ ≥ 0, x ≥ 0; broadcast); exactly 0 where σ = 0 or x = 0, even if the
    other factor is inf. Overflows (to inf) only when σ²·x itself exceeds the float64 range."""
    sd = np.asarray(sd, dtype=float)
    x = np.asarray(x, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        sq = sd * sd
        direct = sq * x  # the usual (σ·σ)·x where σ² is a normal float: 1.5 ulp
        scaled = (sd * np.sqrt(x)) ** 2  # σ² beyond the float range: ~3 ulp, no spurious overflow/underflow
        out = np.where((sq > 1e-290) & (sq < 1e290), direct, scaled)
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
            raise UnrepresentableError.of(
                param, where, f"must be in the range [0, {bound:.4g}] at this setting "
                f"(the {quantity} would exceed the float64 range, 1.8e308). Got {given!r} instead.")
    raise UnrepresentableError.of(
        param, where, f"is too large at this setting: the {quantity} would exceed the "
        f"float64 range (1.8e308). Got {given!r} instead.")


def refuse_unrepresentable(where: str, unit_total, scales, margin: float = 4.0, fallback: str = "sigma",
                           quantity: str = "test error"):
    """Raise UnrepresentableError for a result that overflowed, naming the scale responsible and its range.

    The ridge families' errors are linear in the squared scales: total = Σ_p p^power·U_p (power 2 for the noise
    levels σ, 1 for r², c²; exact for the closed forms and, per seed, for the conditional simulators).
    ``scales`` lists (name, given value, power) and ``unit_total(name)`` returns U_p, the total with that
    scale at 1 and the others at 0. The scale with the largest p^power·U_p is named, with the range that keeps
    its contribution below FLOAT_MAX/``margin`` (margin ≥ the number of terms, so the sum stays finite too).
    """
    best = None
    for name, given, power in scales:
        if given is None:
            continue
        g = float(np.max(np.asarray(given, dtype=float)))
        try:
            unit = float(unit_total(name))
        except InvalidParameterError:
            unit = float("nan")
        if not (np.isfinite(unit) and unit > 0):
            continue
        log_contrib = np.log(unit) + power * np.log(g) if g > 0 else -np.inf
        if best is None or log_contrib > best[0]:
            best = (log_contrib, name, given, unit, power)
    if best is None:
        raise UnrepresentableError.of(
            fallback, where, f"is too large at this setting: the {quantity} would exceed the "
            "float64 range (1.8e308).")
    _, name, given, unit, power = best
    bound = float(np.exp((np.log(FLOAT_MAX) - np.log(margin * unit)) / power))
    shown = float(np.max(np.asarray(given, dtype=float)))
    raise UnrepresentableError.of(
        name, where, f"must be in the range [0, {bound:.4g}] at this setting (the "
        f"{quantity} would exceed the float64 range, 1.8e308). Got {shown!r} instead.")



def unit_total(fn, setting: dict, name: str, separate_sigma2: bool, value=None) -> float:
    """U_p for :func:`refuse_unrepresentable`: the largest finite total of ``fn(**setting)`` with the scale
    ``name`` at 1 and the other scales (sigma, sigma2 when given separately, r2 and c2 unless gamma / delta
    arrays are given) at 0. ``value(result)`` extracts the total (default: ``result.total``, or its ``.mean``
    for a simulator estimate)."""
    import warnings

    kw = dict(setting, sigma=0.0, sigma2=0.0 if separate_sigma2 else None)
    if setting.get("gamma") is None:
        kw["r2"] = 0.0
    if setting.get("delta") is None:
        kw["c2"] = 0.0
    kw[name] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fn(**kw)
    t = res.total if value is None else value(res)
    if hasattr(t, "sem"):  # a simulator's MCEstimate
        t = t.mean
    t = np.asarray(t, dtype=float)
    t = t[np.isfinite(t)]
    return float(t.max()) if t.size else float("nan")


def noise_and_prior_scales(sigma, sigma2, r2, c2, gamma, delta) -> list:
    """The (name, value, power) scales of the ridge families for :func:`refuse_unrepresentable`."""
    return [("sigma", sigma, 2), ("sigma2", sigma2, 2), ("r2", r2 if gamma is None else None, 1),
            ("c2", c2 if delta is None else None, 1)]

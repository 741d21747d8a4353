"""`scaling`: the power-law scaling laws of iterative retraining (Model Collapse Demystified, docs/theory.md §4).

Spectrum ω_j = j^−β (β > 1), source ω_j(v_jᵀw₀)² ∝ j^−(1+2βr), regime T ≪ d < T₀ = d/φ₀. Printed: ``ell_crit`` =
β/(1 + 2βr̃) (λ = T^−ell_crit is the adaptive regularisation), ``exponent`` (the slow rate −2βr̃/(2βr̃+1): E_test ∝
T^exponent at λ = T^−ell_crit), ``fast_exponent`` (−2βr̃, ridgeless on noiseless clean data), ``floor`` (the
ridgeless plateau (β − 1)(σ² + nσ₀²φ₀/(1−φ₀))) and ``crossover`` (the T where the ridgeless clean error meets
the collapse floor; inf if it never does). With ``d`` the extra key ``crossover_finite_d`` is the same crossover
from the finite-d formula (T₀ = d/φ₀ rounded up). One convention per name: every printed field is the d = ∞ law
(docs/theory.md §4); ``crossover_finite_d`` is the finite-d root, the one to compare with a simulation at that d
(the d = ∞ value is 1–50 % above it when T* is not ≪ d, e.g. 638 against 417 at β = 1.5, r = 0.3, d = 4000).

A theory-only entry: there is no simulator of exponents (``collapse simulate scaling`` does not exist); simulate
points with ``collapse simulate retrain`` at chosen ``--samples``.
"""

from __future__ import annotations

import math
from numbers import Integral
from types import MappingProxyType

from model_collapse.params import Family, Hooks, Param
from model_collapse.validation import Interval, InvalidParameterError

MAX_D = 10**7  # the finite-d crossover sums over d eigenvalues

PARAMS = (
    Param("beta", None, "spectral exponent β > 1"),
    Param("source_r", None, "source exponent r > 0 (r != 1)"),
    Param("generations", None, "synthetic generations n", default=1),
    Param("sigma", None, "downstream label-noise standard deviation σ", default=0.0),
    Param("sigma0", None, "generator label-noise standard deviation σ0", default=1.0),
    Param("phi0", None, "φ0 = d/T0 in (0, 1)", default=0.5),
    Param("d", Interval(Integral, 1, MAX_D), "if given, also compute the crossover from the finite-d formula",
          default=None),
)


def keywords(values) -> dict:
    return dict(beta=values.beta, source_r=values.source_r, generations=values.generations, sigma=values.sigma,
                sigma0=values.sigma0, phi0=values.phi0)


def check(values, command: str) -> None:
    if values.source_r == 1:
        raise InvalidParameterError.of("source_r", None, "must differ from 1 (log-corrected crossover). Got 1 "
                                       "instead.")


def extras(values, s: dict, out: dict) -> None:
    if values.d is None:
        return
    from model_collapse.theory import iterative_retraining as th

    t0 = int(math.ceil(values.d / values.phi0))
    if values.generations == 0 or values.sigma0 == 0:
        out["crossover_finite_d"] = math.inf
    else:
        out["crossover_finite_d"] = th.crossover_samples(
            values.generations, max(t0, values.d + 2), values.d, sigma=values.sigma, sigma0=values.sigma0,
            spectrum=f"powerlaw:{values.beta}", source_r=values.source_r)


FAMILY = Family(
    name="scaling",
    cli="scaling",
    help="scaling laws of iterative retraining under power-law spectra: rates, ell_crit, crossover (MCD)",
    predict="model_collapse.theory.iterative_retraining:scaling_law",
    simulate=None,
    params=PARAMS,
    hooks=Hooks(keywords=keywords, check=check, extras=extras),
    extra_keys=("crossover_finite_d",),
    fields=("ell_crit", "exponent", "fast_exponent", "floor", "crossover"),
    reference=MappingProxyType(dict(beta=2.0, source_r=0.5, generations=1, sigma=0.0, sigma0=1.0, phi0=0.5)),
    figures=("mcd_scaling",),
    contract=False,
    note="A theory-only entry (exponents have no simulator); docs/theory.md §4.",
    cli_reference=("--beta", "2", "--source-r", "0.5", "--sigma0", "0.1"),
)

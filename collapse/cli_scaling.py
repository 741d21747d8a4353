"""`collapse predict scaling`: the power-law scaling laws of iterative retraining (MCD, docs/theory.md §4).

Spectrum ω_j = j^−β (β > 1), source ω_j(v_jᵀw₀)² ∝ j^−(1+2βr), regime T ≪ d < T₀ = d/φ₀. Printed:
``ell_crit`` = β/(1 + 2βr̃) (λ = T^−ell_crit is the adaptive regularisation), ``exponent`` (the slow rate
−2βr̃/(2βr̃+1): E_test ∝ T^exponent at λ = T^−ell_crit), ``fast_exponent`` (−2βr̃, ridgeless on noiseless
clean data), ``floor`` (the ridgeless plateau (β − 1)(σ² + nσ₀²φ₀/(1−φ₀))) and ``crossover`` (the T where
the ridgeless clean error meets the collapse floor; inf if it never does). With ``--d`` the extra key
``crossover_finite_d`` is the same crossover from the finite-d formula (T₀ = d/φ₀ rounded).
There is no simulator for the exponents themselves: ``collapse simulate scaling`` refuses (exit 2) and points to
``collapse simulate retrain`` at chosen T.
"""

from __future__ import annotations

import argparse
import math

from model_collapse import _args
from model_collapse.theory import iterative_retraining as th
from model_collapse.validation import InvalidParameterError

NAME = "scaling"
HELP = "scaling laws of iterative retraining under power-law spectra: rates, ell_crit, crossover (MCD)"


def add_predict_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--beta", type=_args.positive, required=True, help="spectral exponent β > 1; required")
    p.add_argument("--source-r", type=_args.positive, required=True, help="source exponent r > 0 (r != 1); required")
    p.add_argument("--generations", type=_args.nonnegative_int, default=1, help="synthetic generations n (default 1)")
    p.add_argument("--sigma", type=_args.nonnegative, default=0.0, help="downstream label-noise std σ (default 0)")
    p.add_argument("--sigma0", type=_args.nonnegative, default=1.0, help="generator label-noise std σ0 (default 1)")
    p.add_argument("--phi0", type=_args.positive, default=0.5, help="φ0 = d/T0 in (0, 1) (default 0.5)")
    p.add_argument("--d", type=_args.positive_int, default=None,
                   help="if given, also compute the crossover from the finite-d formula (default: not computed)")


def add_simulate_arguments(p: argparse.ArgumentParser) -> None:
    add_predict_arguments(p)


def predict(args) -> dict:
    if args.beta <= 1:
        raise InvalidParameterError(f"The '--beta' parameter must be > 1. Got {args.beta} instead.")
    if not args.phi0 < 1:
        raise InvalidParameterError(f"The '--phi0' parameter must be in (0, 1). Got {args.phi0} instead.")
    if args.d is not None and args.d > 10**7:
        raise InvalidParameterError(f"The '--d' parameter must be at most 10^7 (the finite-d crossover sums over d "
                                    f"eigenvalues). Got {args.d} instead.")
    if args.source_r == 1:
        raise InvalidParameterError("The '--source-r' parameter must differ from 1 (log-corrected crossover). "
                                    "Got 1 instead.")
    law = th.scaling_law(args.beta, args.source_r, generations=args.generations, sigma=args.sigma,
                         sigma0=args.sigma0, phi0=args.phi0)
    out = law.as_dict()
    if args.d is not None:
        t0 = int(math.ceil(args.d / args.phi0))
        if args.generations == 0 or args.sigma0 == 0:
            out["crossover_finite_d"] = math.inf
        else:
            out["crossover_finite_d"] = th.crossover_samples(
                args.generations, max(t0, args.d + 2), args.d, sigma=args.sigma, sigma0=args.sigma0,
                spectrum=f"powerlaw:{args.beta}", source_r=args.source_r)
    return out


def simulate(args, progress) -> dict:
    raise InvalidParameterError("The 'scaling' model has no simulator (its outputs are exponents); simulate points "
                                "with 'collapse simulate retrain' at chosen --samples.")

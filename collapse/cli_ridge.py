"""`collapse predict ridge` / `collapse simulate ridge`: ridge on a real + synthetic mix (SMC, docs/theory.md §2).

Registry entry ``ridge_mixture``; the setting flags are shared by predict and simulate, and map one to one
onto the keywords of :func:`model_collapse.theory.ridge_mixture.predict` and its simulator twin.
"""

from __future__ import annotations

import argparse

from model_collapse import _args

NAME = "ridge"
FAMILY = "ridge_mixture"
HELP = "ridge regression on n samples, a fraction p2 synthetic (Strong Model Collapse)"


def add_setting_arguments(p: argparse.ArgumentParser) -> None:
    _args.add_mixture_setting(
        p, lam_help="ridge penalty λ ≥ 0 for the (1/n)-scaled loss (use --penalty sum for ‖Xw−y‖² + λ‖w‖²)",
        spectrum_help=_args.SPECTRUM_FORMS + " (default: %(default)s)")
    _args.add_spectrum2(p, "covariate shift: the synthetic rows' spectrum, same kinds as --spectrum, in the same "
                           "eigenbasis (docs/covariate_shift.md)")
    _args.add_penalty_and_mse(p)


def setting(args) -> dict:
    s = _args.mixture_setting(args)
    if "eigenvalues2" in s:
        from model_collapse.theory.covariate_shift import second_spectrum
        from model_collapse.validation import InvalidParameterError

        try:
            second_spectrum(s["eigenvalues2"], s["eigenvalues"], "predict")
        except InvalidParameterError as exc:  # name the flag, not the keyword
            raise InvalidParameterError(str(exc).replace("The 'eigenvalues2' parameter of predict",
                                                         "The '--spectrum2' parameter", 1)
                                        .replace("'eigenvalues'", "--spectrum")) from None
    return s


def notes(args) -> None:
    _args.note_realised_p2(args.n, args.p2)


def resources(args, simulate: bool) -> list[tuple[str, float]]:
    """Largest allocations in bytes, each with the flag that drives it."""
    _args.resolve_dimension(args)
    d, n = float(args.d), float(args.n)
    items = [("--d", 8.0 * 24 * d)]  # the spectrum and the spectral sums
    if simulate:
        items.append(("--d", 8.0 * 12 * d * d))  # one trial's Gram matrices and ridge algebra
        if getattr(args, "method", "") == "sample":
            items.append(("--n", 8.0 * 6 * n * d))
        items.append(("--trials", 8.0 * 4 * args.trials))
    return items


def work(args, simulate: bool) -> float:
    _args.resolve_dimension(args)
    d, n = float(args.d), float(args.n)
    if not simulate:
        return 200.0 * d
    per = 6 * d**3 + (2 * n * d * d if getattr(args, "method", "") == "sample" else min(n, d) * d * d)
    return args.trials * per

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
        spectrum_help="isotropic (default) or powerlaw:BETA (eigenvalues j^-BETA)")
    _args.add_penalty_and_mse(p)


def setting(args) -> dict:
    return _args.mixture_setting(args)


def notes(args) -> None:
    _args.note_realised_p2(args.n, args.p2)

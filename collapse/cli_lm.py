"""`collapse predict lm` / `collapse simulate lm`: the statistical language model retrained on its own samples.

Seddik et al., "How Bad is Training on Synthetic Data?" (docs/theory.md §6). One context, true next-token
law p with S₀ = ‖p‖²; generation 1 is fitted on N real tokens (``--real``), every later generation on n
tokens from the previous model (``--synthetic``; fully synthetic), on the N real tokens plus n fresh
synthetic ones (partially synthetic), on everything so far (accumulate) or on n tokens drawn without
replacement from everything so far (accumulate-subsample); the paper's §4.2 variants: n fresh tokens
from each of the last K models (recent-window, ``--window K``) or from the mixture of all past models
(random-past).

``predict`` prints ``sq_norm`` = S_m and, fully synthetic, the Theorem 1 bounds ``collapse_prob_lower``,
``collapse_prob_upper`` (on P(collapsed by generation m)) and ``collapse_time_lower``,
``collapse_time_upper`` (on E[T]). The lower probability bound 1 − n(1 − S_m) is negative for early
generations: it is printed clipped at 0, and a note on stderr says so. ``simulate`` prints the mean and
standard error over ``--trials`` runs of the canonical law with that S₀ (geometric weights on ``--support``
tokens of a ``--vocab``-token vocabulary): ``sq_norm``, ``deviation`` = ‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ and, fully synthetic,
``collapse_prob`` and ``collapse_time`` (each run followed until it collapses or ``--max-generations``).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from model_collapse import _args
from model_collapse.montecarlo import language_model as mc
from model_collapse.resources import Note
from model_collapse.theory import language_model as th
from model_collapse.validation import InvalidParameterError

NAME = "lm"
FAMILY = "language_model"
HELP = "statistical language model on its own samples: fully/partially synthetic, accumulate (Seddik et al.)"


def _s0(text: str) -> float:
    x = _args._number(text, "a number in (0, 1]")
    if not 0.0 < x <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1]; got {text!r}")
    return x


def add_setting_arguments(p: argparse.ArgumentParser, simulate: bool = False) -> None:
    p.add_argument("--workflow", choices=th.WORKFLOWS, required=True,
                   help="fully-synthetic: n tokens from the previous model; partially-synthetic: the N real tokens "
                        "plus n from the previous model; accumulate: the N real tokens and all synthetic tokens so "
                        "far; accumulate-subsample: n tokens drawn without replacement from that pool; "
                        "recent-window: n fresh tokens from each of the last --window models (model 0 = the true "
                        "law); random-past: n fresh tokens from the mixture of all past models (required, no "
                        "default)")
    p.add_argument("--real", type=_args.positive_int, required=True,
                   help="N, real tokens of the context (generation 1 is fitted on them; required)")
    p.add_argument("--synthetic", type=_args.positive_int, required=True,
                   help="n, synthetic tokens per generation (required)")
    p.add_argument("--generations", type=_args.positive_int, required=True,
                   help="generation m to report (1 = the fit on the real tokens; required)")
    p.add_argument("--s0", type=_s0, required=True,
                   help="S0 = ‖p‖², sum of squared true next-token probabilities, in [1/support, 1] (required)")
    p.add_argument("--support", type=_args.positive_int, default=None,
                   help="s~, number of tokens with p_i > 0 (default: unknown, bounded by --vocab, else unbounded)")
    p.add_argument("--window", type=_args.positive_int, default=None,
                   help="K, number of most recent models (recent-window only, where it is required; default: none)")
    p.add_argument("--per-generation", action="store_true",
                   help="print every generation 1..m (default: only generation m)")
    p.add_argument("--vocab", type=_args.positive_int, default=None,
                   help="s, vocabulary size: bounds the support when --support is not given; the simulated law's "
                        "size (simulate needs --vocab or --support) (default: none)")


def add_simulate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-generations", type=_args.positive_int, default=mc.MAX_GENERATIONS,
                   help="stopping rule of the fully synthetic collapse-time run: a run still alive there is "
                        f"censored (default {mc.MAX_GENERATIONS})")


def simulate_options(args) -> dict:
    if args.support is None and args.vocab is None:
        raise InvalidParameterError("The '--vocab' flag (or '--support') is required to simulate: the law needs a "
                                    "number of tokens.")
    return {"max_generations": args.max_generations}


def _check(args) -> None:
    """The joint checks of (--s0, --support, --vocab) and --window, as one line naming the flag."""
    if args.workflow == "recent-window" and args.window is None:
        raise InvalidParameterError("The '--window' flag is required for --workflow recent-window (an int >= 1).")
    try:
        th.check_setting(args.s0, args.support, args.vocab, "collapse lm")
    except InvalidParameterError as exc:
        msg = str(exc)
        for name in ("s0", "support", "vocab"):
            msg = msg.replace(f"The '{name}' parameter of collapse lm", f"The '--{name}' flag")
        raise InvalidParameterError(msg) from None


def setting(args) -> dict:
    _check(args)
    m = np.arange(1, args.generations + 1) if args.per_generation else args.generations
    return dict(workflow=args.workflow, real=args.real, synthetic=args.synthetic, generations=m, s0=args.s0,
                support=args.support, vocab=args.vocab, window=args.window)


def predict_extras(args, s: dict, out: dict) -> None:
    if args.workflow == "fully-synthetic":
        m = s["generations"]
        raw = 1.0 - np.where(np.atleast_1d(m) == 1, args.real, args.synthetic) * (1.0 - np.atleast_1d(out["sq_norm"]))
        if np.any(raw < 0):
            warnings.warn("collapse_prob_lower is the bound 1 - L(1 - S_m) clipped at 0 (negative before about "
                          "generation 1 + n ln(n(1 - S0)); L = N at generation 1, else n)", Note, stacklevel=2)


def resources(args, simulate: bool) -> list[tuple[str, float]]:
    items = [("--generations", 8.0 * 8 * args.generations)]
    if simulate:
        size = float(args.vocab or args.support or 1)
        items.append(("--generations" if args.generations >= args.trials else "--trials",
                      8.0 * 4 * args.generations * args.trials))
        items.append(("--vocab" if args.vocab else "--support", 8.0 * 4 * size * args.trials))
    return items


def work(args, simulate: bool) -> float:
    if not simulate:
        return 100.0 * args.generations
    size = float(args.vocab or args.support or 1)
    # fully synthetic runs continue to collapse, after ~2n·H generations (Wright–Fisher), at most max_generations
    gens = args.generations + (min(args.max_generations, 4 * args.synthetic) if args.workflow == "fully-synthetic"
                               else 0)
    return args.trials * gens * (size + args.real + args.synthetic) * 20

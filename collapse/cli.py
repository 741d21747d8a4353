"""`collapse`: predict (closed forms), simulate (Monte Carlo), figures (regenerate paper figures).

Each model family registers through a module listed in :data:`MODELS` that defines

- ``NAME`` (the subcommand word, e.g. ``ridge``) and ``HELP``;
- ``add_predict_arguments(parser)`` / ``predict(args) -> dict``;
- ``add_simulate_arguments(parser)`` / ``simulate(args, progress) -> dict``.

Results are dicts of name -> number, or name -> {"mean", "se"} for simulations; ``--json`` prints them
as JSON (infinite values as ``Infinity``, as Python's json module reads and writes them).
Bad input prints one line on stderr naming the parameter and what is allowed, and exits with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Sequence

import numpy as np

from model_collapse.validation import InvalidParameterError

MODELS = [
    "model_collapse.cli_ridge",
    "model_collapse.cli_gaussian",
    "model_collapse.cli_linreg",
    "model_collapse.cli_rp",
]

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse, but every error is one line on stderr and exit code 2 (no usage block)."""

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


class ProgressBar:
    """A progress bar on stderr that appears only once a run has taken more than ``delay`` seconds."""

    def __init__(self, label: str, delay: float = 1.0, stream=None):
        self.label, self.delay = label, delay
        self.stream = sys.stderr if stream is None else stream
        self.t0 = time.perf_counter()
        self.shown = False
        self.last_draw = -1.0

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.t0
        if elapsed < self.delay and done < total:
            return
        if not self.shown and done >= total and elapsed < self.delay:
            return
        if done < total and elapsed - self.last_draw < 0.25:  # redraw at most 4 times a second
            return
        self.last_draw = elapsed
        self.shown = True
        width = 30
        filled = int(width * done / max(total, 1))
        eta = elapsed / max(done, 1) * (total - done)
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
            f"{elapsed:5.1f}s elapsed, ~{eta:5.1f}s left"
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _models():
    return [importlib.import_module(name) for name in MODELS]


def build_parser() -> Parser:
    parser = Parser(prog="collapse", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    predict = sub.add_parser("predict", help="closed-form prediction (milliseconds)")
    psub = predict.add_subparsers(dest="model", required=True, parser_class=Parser)
    simulate = sub.add_parser("simulate", help="Monte-Carlo simulation of the same setting")
    ssub = simulate.add_subparsers(dest="model", required=True, parser_class=Parser)
    for mod in _models():
        p = psub.add_parser(mod.NAME, help=mod.HELP)
        mod.add_predict_arguments(p)
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(run=lambda args, m=mod: m.predict(args))
        s = ssub.add_parser(mod.NAME, help=mod.HELP)
        mod.add_simulate_arguments(s)
        s.add_argument("--json", action="store_true", help="print JSON")
        s.set_defaults(run=lambda args, m=mod: m.simulate(args, ProgressBar(f"simulate {m.NAME}")))

    figs = sub.add_parser("figures", help="regenerate the paper figures (PNG + CSV + JSON)")
    figs.add_argument("--out", default="collapse-figures", help="output folder (default: %(default)s)")
    figs.add_argument("--only", metavar="NAME", help="regenerate only this figure id")
    figs.add_argument("--quick", action="store_true", help="small configuration (seconds, for smoke tests)")
    figs.add_argument("--seed", type=int, default=0, help="simulation seed (default: %(default)s)")
    figs.set_defaults(run=run_figures)
    return parser


def run_figures(args: argparse.Namespace) -> None:
    from model_collapse.figures import registry, render

    reg = registry()
    if args.only is not None and args.only not in reg:
        raise InvalidParameterError(
            f"The '--only' parameter must be one of {', '.join(sorted(reg))}. Got {args.only!r} instead."
        )
    chosen = [reg[args.only]] if args.only else list(reg.values())
    for fig in chosen:
        t0 = time.perf_counter()
        paths = render(fig, args.out, quick=args.quick, seed=args.seed)
        took = time.perf_counter() - t0
        print(f"{fig.id}: wrote {', '.join(str(p) for p in paths)} ({took:.1f} s)")
    print(f"figures written to {args.out}")
    return None


def _format_value(v) -> str:
    if isinstance(v, dict) and set(v) == {"mean", "se"}:
        if isinstance(v["mean"], list):
            return "\n" + "\n".join(
                f"    [{i}] {m:.6g} ± {s:.2g}" for i, (m, s) in enumerate(zip(v["mean"], v["se"], strict=True))
            )
        return f"{v['mean']:.6g} ± {v['se']:.2g}"
    if isinstance(v, list):
        return "[" + ", ".join(_format_value(x) for x in v) + "]"
    if isinstance(v, float | np.floating):
        return f"{float(v):.6g}"
    return str(v)


def print_result(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=2))
        return
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {_format_value(value)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.run(args)
    except InvalidParameterError as exc:
        sys.stderr.write(f"collapse: error: {exc}\n")
        return EXIT_BAD_INPUT
    if result is not None:
        print_result(result, getattr(args, "json", False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

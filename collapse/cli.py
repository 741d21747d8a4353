"""`collapse`: predict (closed forms), simulate (Monte Carlo), figures (regenerate paper figures), sweep (grids).

Every command word comes from the registry (:mod:`model_collapse.families`): each entry's declared parameters
(:class:`model_collapse.params.Param`) become its flags (``generator_samples`` -> ``--generator-samples``), with
their defaults in ``--help``; the values are parsed and checked by the same declarations that sweeps and Python
callers use (:func:`model_collapse.families.resolve`). There is no per-family CLI code.

``predict`` prints the theory result's fields, ``simulate`` the same fields as ``{"mean", "se"}``. ``--json``
prints strict JSON (RFC 8259): an infinite value is written as ``null`` and named, with its reason, in a
``warnings`` list; the text output prints ``inf`` and the reason once on stderr. Bad input prints one line on
stderr naming the flag and what is allowed, and exits with code 2. ``--json`` also echoes the ``setting`` the run
used, defaults included.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


class Parser(argparse.ArgumentParser):
    """argparse, but every error is one line on stderr and exit code 2 (no usage block).

    A negative number in exponent form (``--sigma -1e-3``) is read as the flag's value, so the flag's own type
    refuses it with the allowed range, instead of argparse's "expected one argument" (argparse's own pattern
    for negative numbers, a private attribute that newer Pythons widen themselves, lacks exponents)."""

    _NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = self._NEGATIVE_NUMBER

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def _integer(text: str, minimum: int, allowed: str) -> int:
    try:
        x = int(text.strip().replace("_", ""), 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}") from None
    if x < minimum:
        raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}")
    return x


def _seed(text: str) -> int:
    return _integer(text, 0, "a non-negative integer")


def _positive_int(text: str) -> int:
    return _integer(text, 1, "a positive integer")


class _Formatter(argparse.HelpFormatter):
    """Show every default in --help."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "%(default)" not in text and action.default not in (None, False, argparse.SUPPRESS) \
                and action.option_strings and not action.required:
            text += " (default: %(default)s)"
        return text


class ProgressBar:
    """A tqdm progress bar on stderr: shown after ``delay`` seconds when stderr is a terminal, or always
    when ``force`` (``--progress``); quiet otherwise."""

    def __init__(self, label: str, delay: float = 1.0, force: bool = False):
        self.label, self.delay, self.force = label, delay, force
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            disable = not (self.force or sys.stderr.isatty())
            self.bar = tqdm(total=total, desc=self.label, delay=0 if self.force else self.delay, disable=disable,
                            file=sys.stderr, mininterval=0.25, leave=False)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.bar.close()


def _help(text: str) -> str:
    return text.replace("%", "%%")


def add_params(parser: argparse.ArgumentParser, params) -> None:
    """One flag per declared parameter (:class:`model_collapse.params.Param`): the flag, the help with its
    default and the metavar come from the declaration; the value is kept as typed (``None`` = not given) and
    parsed and checked by :func:`model_collapse.families.resolve`, which names the flag in any refusal."""
    from model_collapse.params import Switch
    from model_collapse.validation import Options

    for p in params:
        switch = isinstance(p.constraint, Switch)
        kind = {"action": "store_true"} if switch else {"metavar": p.metavar or (
            "{" + ",".join(p.constraint.values) + "}" if isinstance(p.constraint, Options) else p.name.upper())}
        parser.add_argument(p.flag, dest=p.name, default=None, help=_help(p.help_text()), **kind)
        for alias in p.aliases:  # deprecated spellings: accepted, not shown, noted on stderr
            parser.add_argument("--" + alias.replace("_", "-"), dest=alias, default=None, help=argparse.SUPPRESS,
                                **kind)


class _Version(argparse.Action):
    """``--version``: the installed version (read only when asked: the package metadata costs ~30 ms)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from model_collapse import __version__

        parser.exit(message=f"collapse {__version__}\n")


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The command line, from the registry (:mod:`model_collapse.families`).

    With ``argv`` only what parsing it needs is built: the registry is read only for ``predict``/``simulate``,
    and only the named entry gets its flags (the others are listed with their help). ``None``: everything."""
    parser = Parser(prog="collapse", description=__doc__.split("\n")[0], formatter_class=_Formatter)
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    predict = sub.add_parser("predict", help="closed-form prediction (milliseconds)")
    psub = predict.add_subparsers(dest="model", required=True, parser_class=Parser)
    simulate = sub.add_parser("simulate", help="Monte-Carlo simulation of the same setting")
    ssub = simulate.add_subparsers(dest="model", required=True, parser_class=Parser)
    words = [a for a in (argv or []) if not a.startswith("-")]
    if argv is None or (words and words[0] in ("predict", "simulate")):
        from model_collapse import families

        chosen = words[1] if argv is not None and len(words) > 1 else None
        for fam in families.entries():
            for command, group in (("predict", psub), ("simulate", ssub)):
                if command == "simulate" and fam.simulate is None:
                    continue
                p = group.add_parser(fam.cli, help=fam.help, description=fam.help, formatter_class=_Formatter)
                if argv is not None and fam.cli != chosen:
                    continue
                add_params(p, families.command_params(fam, command))
                if command == "simulate":
                    p.add_argument("--progress", action="store_true",
                                   help="show a progress bar even when stderr is not a terminal")
                p.add_argument("--json", action="store_true", help="print strict JSON (with the setting used)")
                p.set_defaults(run=lambda args, f=fam: run_family(f, args))

    figs = sub.add_parser("figures", help="regenerate the paper figures (PDF/SVG/PNG + CSV + JSON)",
                          description="Regenerate the paper figures at their printed size in the shared style: "
                          "<id>.pdf|svg|png, <id>.csv (every plotted number) and <id>.json (caption, setting, "
                          "versions and the legibility check's findings, which are also reported on stderr).",
                          formatter_class=_Formatter)
    figs.add_argument("--out", default="collapse-figures", help="output folder")
    figs.add_argument("--only", metavar="NAME", help="regenerate only this figure id (comma-separated: several)")
    figs.add_argument("--format", default="pdf,png", metavar="LIST",
                      help="comma-separated output formats out of pdf, svg, png (PNG at 300 dpi)")
    figs.add_argument("--width", default="page", metavar="WIDTH",
                      help="printed width: column (3.4 in), page (7 in) or inches in [2.5, 12]")
    figs.add_argument("--quick", action="store_true", help="small configuration (seconds, for smoke tests)")
    figs.add_argument("--seed", type=_seed, default=0, help="simulation seed")
    figs.set_defaults(run=run_figures)

    sw = sub.add_parser("sweep", help="one family over a grid of settings (TOML spec) into a Parquet table",
                        formatter_class=_Formatter)
    sw.add_argument("spec", help="TOML spec: family, mode, trials, seed, [fixed], [grid], [zip] (docs/sweep.md)")
    sw.add_argument("--out", required=True, help="output folder: a Parquet dataset and _manifest.json")
    sw.add_argument("--workers", type=_positive_int, default=None, metavar="K",
                    help="run on a local Dask cluster of K processes (default: in-process, serially)")
    sw.add_argument("--scheduler", metavar="ADDRESS", default=None,
                    help="run on an existing Dask cluster, e.g. tcp://host:8786 (default: none)")
    sw.add_argument("--resume", action="store_true", help="finish the sweep already in --out (skips finished points)")
    sw.add_argument("--progress", action="store_true", help="show a progress bar even when stderr is not a terminal")
    sw.set_defaults(run=run_sweep)
    return parser


def values_from_args(fam, args: argparse.Namespace):
    """The checked values of ``collapse predict|simulate WORD ...`` (see :func:`model_collapse.families.resolve`)."""
    from model_collapse import families

    params = families.command_params(fam, args.command)
    given = {name: getattr(args, name, None) for p in params for name in (p.name, *p.aliases)}
    return families.resolve(fam, args.command, given)


def run_family(fam, args: argparse.Namespace) -> dict:
    from model_collapse import families

    values = values_from_args(fam, args)
    progress = ProgressBar(f"simulate {fam.cli}", force=args.progress) if args.command == "simulate" else None
    out = families.run(fam, values, progress=progress)
    if getattr(args, "json", False):
        from model_collapse.report import echo

        out["setting"] = echo(values)
    return out


def setting_from_args(fam, argv: Sequence[str]) -> dict:
    """The keyword setting that ``collapse predict|simulate WORD ARGS`` passes to the family's functions."""
    from model_collapse import families

    args = build_parser().parse_args(list(argv))
    return families.prepare(fam, values_from_args(fam, args))[0]


def run_figures(args: argparse.Namespace) -> None:
    import json

    from model_collapse.figures import registry, render
    from model_collapse.figures._base import FORMATS
    from model_collapse.figures.style import parse_width
    from model_collapse.validation import InvalidParameterError

    formats = [f.strip().lower() for f in str(args.format).split(",") if f.strip()]
    if not formats or any(f not in FORMATS for f in formats):
        raise InvalidParameterError(
            f"The '--format' parameter must be a comma-separated list of {', '.join(FORMATS)}. "
            f"Got {args.format!r} instead."
        )
    try:
        width = parse_width(args.width)
    except ValueError as exc:
        raise InvalidParameterError(str(exc)) from None
    reg = registry()
    only = [o.strip() for o in args.only.split(",") if o.strip()] if args.only is not None else None
    if only is not None and (not only or any(o not in reg for o in only)):
        raise InvalidParameterError(
            f"The '--only' parameter must be one of {', '.join(sorted(reg))}. Got {args.only!r} instead."
        )
    from model_collapse.paths import check_out_dir

    out_dir = check_out_dir(args.out)
    chosen = [reg[o] for o in dict.fromkeys(only)] if only else list(reg.values())
    for k, fig in enumerate(chosen, 1):
        sys.stderr.write(f"collapse: [{k}/{len(chosen)}] {fig.id}: computing ...\n")
        sys.stderr.flush()
        t0 = time.perf_counter()
        paths = render(fig, out_dir, quick=args.quick, seed=args.seed, formats=tuple(formats), width=width)
        took = time.perf_counter() - t0
        problems = json.loads(paths[-1].read_text())["legibility_problems"]
        for p in problems:
            sys.stderr.write(f"collapse: {fig.id}: legibility: {p}\n")
        print(f"{fig.id}: wrote {', '.join(str(p) for p in paths)} ({took:.1f} s)", flush=True)
    print(f"figures written to {out_dir}")
    return None


def run_sweep(args: argparse.Namespace) -> None:
    from model_collapse import sweep

    return sweep.run_cli(args)


def _flag_message(exc, args: argparse.Namespace) -> str:
    """The refusal with every parameter named by the flag the user typed (from the error's data: the parameter
    it is about, and the declared parameter that keyword comes from)."""
    from model_collapse import families

    fam = None
    if getattr(args, "model", None) is not None:
        try:
            fam = families.by_cli(args.model)
        except KeyError:
            fam = None

    params = families.command_params(fam, args.command) if fam is not None else ()

    def owner_of(name: str):
        return next((p for p in params if name in (*p.all_keywords(), *p.aliases)), None)

    def spell(name: str) -> str:
        if name.startswith("-"):
            return name
        owner = owner_of(name)
        if owner is None:
            return name
        # named as typed, also when typed under a deprecated spelling
        typed = [a for a in owner.aliases if a == name or (
            getattr(args, a, None) is not None and getattr(args, owner.name, None) is None)]
        return "--" + typed[0].replace("_", "-") if typed else owner.flag

    if exc.parameter is None or exc.requirement is None:
        return str(exc).splitlines()[0] if str(exc) else "invalid input"
    known = exc.parameter.startswith("-") or owner_of(exc.parameter) is not None
    return (exc.render(spell) if known else str(exc)).splitlines()[0]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 internal error, 2 bad input, 130 interrupted).

    Only what the command needs is imported: ``collapse --help`` imports no numerics, ``collapse predict
    WORD`` the registry, that entry's theory module and what it imports."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    import numpy as np
    from model_collapse import resources
    from model_collapse.validation import InvalidParameterError

    messages: list[str] = []
    notes: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
            warnings.simplefilter("always")
            result = args.run(args)
        for w in caught:
            if issubclass(w.category, resources.Note):
                notes.append(str(w.message))
            elif not issubclass(w.category, DeprecationWarning):
                messages.append(str(w.message))
    except InvalidParameterError as exc:
        sys.stderr.write(f"collapse: error: {_flag_message(exc, args)}\n")
        return EXIT_BAD_INPUT
    except MemoryError:
        sys.stderr.write("collapse: error: not enough memory for this setting (reduce --d, --n, --t or --trials)\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("collapse: interrupted\n")
        return 130
    except Exception as exc:  # never a traceback: one line, and a non-zero code that tests treat as a bug
        text = str(exc).splitlines()[0] if str(exc) else ""
        sys.stderr.write(f"collapse: internal error: {type(exc).__name__}: {text} (please report this command line)\n")
        return EXIT_INTERNAL
    for line in dict.fromkeys(notes):
        sys.stderr.write(f"collapse: note: {line}\n")
    if result is not None:
        from model_collapse.report import print_result

        try:
            print_result(result, getattr(args, "json", False), messages)
        except RuntimeError as exc:
            sys.stderr.write(f"collapse: {exc} (please report this command line)\n")
            return EXIT_INTERNAL
    elif messages:
        for line in dict.fromkeys(messages):
            sys.stderr.write(f"collapse: warning: {line}\n")
    return 0


@dataclass(frozen=True)
class Run:
    """The outcome of an in-process :func:`run`: exit code and the captured streams."""

    exit_code: int
    stdout: str
    stderr: str


def run(argv: Sequence[str]) -> Run:
    """Run the command line in-process and capture its output (for tests and notebooks)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code) if isinstance(exc.code, int) else 1
    return Run(code, out.getvalue(), err.getvalue())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


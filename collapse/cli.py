"""`collapse`: predict (closed forms), simulate (Monte Carlo), figures (regenerate paper figures), sweep (grids).

Every model family of :mod:`model_collapse.families` has a CLI module listed in :data:`MODELS` that defines

- ``NAME`` (the subcommand word, e.g. ``ridge``), ``FAMILY`` (its registry name) and ``HELP``;
- ``add_setting_arguments(parser)`` and ``setting(args) -> dict``: the flags of the setting, shared by
  ``predict`` and ``simulate``, and the keywords they map to (the theory function's keywords);
- optionally ``add_predict_options``/``predict_extras(args, setting, out)`` (extra outputs of predict),
  ``add_simulate_options``/``simulate_options(args)`` (simulator-only options), ``notes(args)`` (stderr
  notes) and ``EXTRA_KEYS`` (the extra output keys).

``predict`` prints the theory result's fields, ``simulate`` the same fields as ``{"mean", "se"}``. ``--json``
prints strict JSON (RFC 8259): an infinite value is written as ``null`` and named, with its reason, in a
``warnings`` list; the text output prints ``inf`` and the reason once on stderr. Bad input prints one line on
stderr naming the flag and what is allowed, and exits with code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import math
import re
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from model_collapse import _args, resources
from model_collapse.validation import InvalidParameterError

MODELS = [
    "model_collapse.cli_ridge",
    "model_collapse.cli_gaussian",
    "model_collapse.cli_linreg",
    "model_collapse.cli_rp",
    "model_collapse.cli_retrain",
    "model_collapse.cli_scaling",
    "model_collapse.cli_kde",
    "model_collapse.cli_lm",
    "model_collapse.cli_synthetic_budget",
    "model_collapse.cli_mixing",
]

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


def _models():
    return [importlib.import_module(name) for name in MODELS]


def _family(mod):
    from model_collapse.families import family

    return family(mod.FAMILY)


def _add_setting(mod, p, simulate: bool) -> None:
    """The module's setting flags; modules whose simulate setting differs take ``simulate=``."""
    import inspect

    if "simulate" in inspect.signature(mod.add_setting_arguments).parameters:
        mod.add_setting_arguments(p, simulate=simulate)
    else:
        mod.add_setting_arguments(p)


def build_parser() -> Parser:
    parser = Parser(prog="collapse", description=__doc__.split("\n")[0], formatter_class=_Formatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    predict = sub.add_parser("predict", help="closed-form prediction (milliseconds)")
    psub = predict.add_subparsers(dest="model", required=True, parser_class=Parser)
    simulate = sub.add_parser("simulate", help="Monte-Carlo simulation of the same setting")
    ssub = simulate.add_subparsers(dest="model", required=True, parser_class=Parser)
    for mod in _models():
        if not hasattr(mod, "FAMILY"):  # a theory-only command (no registry entry): its own predict/simulate
            p = psub.add_parser(mod.NAME, help=mod.HELP, formatter_class=_Formatter)
            mod.add_predict_arguments(p)
            p.add_argument("--json", action="store_true", help="print strict JSON")
            p.set_defaults(run=lambda args, m=mod: m.predict(args))
            s = ssub.add_parser(mod.NAME, help=mod.HELP, formatter_class=_Formatter)
            mod.add_simulate_arguments(s)
            s.add_argument("--json", action="store_true", help="print strict JSON")
            s.set_defaults(run=lambda args, m=mod: m.simulate(args, None))
            continue
        fam = _family(mod)
        p = psub.add_parser(mod.NAME, help=mod.HELP, formatter_class=_Formatter)
        _add_setting(mod, p, simulate=False)
        if hasattr(mod, "add_predict_options"):
            mod.add_predict_options(p)
        p.add_argument("--json", action="store_true", help="print strict JSON")
        p.set_defaults(run=lambda args, m=mod: run_predict(m, args))
        s = ssub.add_parser(mod.NAME, help=mod.HELP, formatter_class=_Formatter)
        _add_setting(mod, s, simulate=True)
        s.add_argument("--trials", type=_args.positive_int, default=100, help="number of independent trials")
        s.add_argument("--seed", type=_args.seed, default=0, help="seed of numpy's SeedSequence")
        if fam.methods:
            import inspect

            default = inspect.signature(fam.simulate).parameters["method"].default
            s.add_argument("--method", choices=fam.methods, default=default,
                           help=f"simulation method (see {fam.simulate.__module__})")
        if hasattr(mod, "add_simulate_options"):
            mod.add_simulate_options(s)
        s.add_argument("--progress", action="store_true", help="show a progress bar even when stderr is not a terminal")
        s.add_argument("--json", action="store_true", help="print strict JSON")
        s.set_defaults(run=lambda args, m=mod: run_simulate(m, args))

    figs = sub.add_parser("figures", help="regenerate the paper figures (PNG + CSV + JSON)", formatter_class=_Formatter)
    figs.add_argument("--out", default="collapse-figures", help="output folder")
    figs.add_argument("--only", metavar="NAME", help="regenerate only this figure id")
    figs.add_argument("--quick", action="store_true", help="small configuration (seconds, for smoke tests)")
    figs.add_argument("--seed", type=_args.seed, default=0, help="simulation seed")
    figs.set_defaults(run=run_figures)

    sw = sub.add_parser("sweep", help="one family over a grid of settings (TOML spec) into a Parquet table",
                        formatter_class=_Formatter)
    sw.add_argument("spec", help="TOML spec: family, mode, trials, seed, [fixed], [grid], [zip] (docs/sweep.md)")
    sw.add_argument("--out", required=True, help="output folder: a Parquet dataset and _manifest.json")
    sw.add_argument("--workers", type=_args.positive_int, default=None, metavar="K",
                    help="run on a local Dask cluster of K processes (default: in-process, serially)")
    sw.add_argument("--scheduler", metavar="ADDRESS", default=None,
                    help="run on an existing Dask cluster, e.g. tcp://host:8786 (default: none)")
    sw.add_argument("--resume", action="store_true", help="finish the sweep already in --out (skips finished points)")
    sw.add_argument("--progress", action="store_true", help="show a progress bar even when stderr is not a terminal")
    sw.set_defaults(run=run_sweep)
    return parser


def _setting(mod, args, simulate: bool = False) -> dict:
    """The keyword setting, after checking that the run fits in memory (and noting a long run time)."""
    if hasattr(mod, "resources"):
        resources.check(mod.resources(args, simulate))
    s = mod.setting(args)
    if hasattr(mod, "work"):
        resources.note_time(mod.work(args, simulate))
    return s


def run_predict(mod, args) -> dict:
    fam = _family(mod)
    if hasattr(mod, "check_predict"):
        mod.check_predict(args)
    s = _setting(mod, args)
    out = fam.predict(**s).as_dict()
    if hasattr(mod, "predict_extras"):
        mod.predict_extras(args, s, out)
    return out


def run_simulate(mod, args) -> dict:
    fam = _family(mod)
    s = _setting(mod, args, simulate=True)
    if hasattr(mod, "notes"):
        mod.notes(args)
    kw = dict(n_trials=args.trials, seed=args.seed, progress=ProgressBar(f"simulate {mod.NAME}", force=args.progress))
    if fam.methods:
        kw["method"] = args.method
    if hasattr(mod, "simulate_options"):
        kw.update(mod.simulate_options(args))
    return fam.simulate(**s, **kw).as_dict()


def setting_from_args(fam, argv: Sequence[str]) -> dict:
    """The keyword setting that ``collapse predict|simulate WORD ARGS`` passes to the family's functions."""
    args = build_parser().parse_args(list(argv))
    mod = next(m for m in _models() if getattr(m, "FAMILY", None) == fam.name)
    return _setting(mod, args)


def _check_out_dir(text: str):
    from pathlib import Path

    if not text.strip():
        raise InvalidParameterError("The '--out' parameter must be a folder name. Got '' instead.")
    path = Path(text)
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            raise InvalidParameterError(
                f"The '--out' parameter must be a folder (or a new path) not under a file. Got {text!r} "
                f"instead ({str(parent)!r} is a file).")
    return path


def run_figures(args: argparse.Namespace) -> None:
    from model_collapse.figures import registry, render

    reg = registry()
    if args.only is not None and args.only not in reg:
        raise InvalidParameterError(
            f"The '--only' parameter must be one of {', '.join(sorted(reg))}. Got {args.only!r} instead."
        )
    out_dir = _check_out_dir(args.out)
    chosen = [reg[args.only]] if args.only else list(reg.values())
    for k, fig in enumerate(chosen, 1):
        sys.stderr.write(f"collapse: [{k}/{len(chosen)}] {fig.id}: computing ...\n")
        sys.stderr.flush()
        t0 = time.perf_counter()
        paths = render(fig, out_dir, quick=args.quick, seed=args.seed)
        took = time.perf_counter() - t0
        print(f"{fig.id}: wrote {', '.join(str(p) for p in paths)} ({took:.1f} s)", flush=True)
    print(f"figures written to {out_dir}")
    return None


def run_sweep(args: argparse.Namespace) -> None:
    from model_collapse import sweep

    return sweep.run_cli(args)


def _walk(value, path: str, found: list[tuple[str, float]]):
    """Replace non-finite floats by None (strict JSON), recording (path, value)."""
    if isinstance(value, dict):
        return {k: _walk(v, f"{path}.{k}" if path else k, found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        found.append((path, float(value)))
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _non_finite(result: dict) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    _walk(result, "", found)
    return found


def _top(found: list[tuple[str, float]]) -> list[str]:
    return list(dict.fromkeys(p.split(".")[0].split("[")[0] for p, _ in found))


def _reason(name: str, messages: list[str]) -> str:
    """The reason for field ``name``: warnings starting "name:" are its own; other warnings are general."""
    own = [m[len(name) + 1:].strip() for m in messages if m.startswith(f"{name}:")]
    general = [m for m in messages if ":" not in m.split(" ")[0]]
    chosen = own or general
    if chosen:
        return "; ".join(dict.fromkeys(chosen))
    if name.endswith(("_limit", "_bound")):  # an infinite limit or bound is an answer, not a singularity
        return "the quantity grows without bound as the iterations go on (no finite value; see docs/theory.md)"
    return "no finite value at this setting (see docs/theory.md)"


def _reasons(found: list[tuple[str, float]], messages: list[str]) -> list[str]:
    """One warning per non-finite field: the field, its value and the reason the computation gave."""
    return [f"{name} is {'inf' if any(v > 0 for p, v in found if p.startswith(name)) else '-inf'}: "
            f"{_reason(name, messages)}" for name in _top(found)]


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


def print_result(result: dict, as_json: bool, messages: list[str]) -> None:
    found = _non_finite(result)
    nan = [p for p, v in found if math.isnan(v)]
    if nan:  # never print a NaN: it is a bug, say so
        raise RuntimeError(f"internal error: NaN in {', '.join(nan)}")
    reasons = _reasons(found, messages) if found else []
    if as_json:
        clean = _walk(result, "", [])
        if reasons:
            clean["warnings"] = reasons
        print(json.dumps(clean, indent=2, allow_nan=False))
    if found:  # each reason once, naming the infinite fields it explains
        by_reason: dict[str, list[str]] = {}
        for name in _top(found):
            by_reason.setdefault(_reason(name, messages), []).append(name)
        for reason, names in by_reason.items():
            sys.stderr.write(f"collapse: warning: infinite {', '.join(names)}: {reason}\n")
    if as_json:
        return
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {_format_value(value)}")


#: Library keywords whose CLI flag is not simply "--" + the name with dashes.
_FLAG_OF = {"eigenvalues": "--spectrum", "eigenvalues2": "--spectrum2", "include_noise": "--mse",
            "n_trials": "--trials"}


def _flag_message(exc: InvalidParameterError, args: argparse.Namespace) -> str:
    """Name the CLI flag: "The 'lam' parameter of predict must be ..." -> "The '--lam' parameter must be ..."."""
    msg = str(exc).splitlines()[0] if str(exc) else "invalid input"
    m = re.match(r"The '([A-Za-z0-9_\-]+)' parameter( of [A-Za-z_]+)?", msg)
    if not m:
        return msg
    name = m.group(1)
    if name.startswith("--"):
        return msg
    flag = _FLAG_OF.get(name, "--" + name.replace("_", "-"))
    if hasattr(args, flag[2:].replace("-", "_")):
        return msg.replace(m.group(0), f"The '{flag}' parameter", 1)
    return msg


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
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


"""A fuzz campaign over the command line: N random command lines, each run in-process, counted by outcome.

    python benchmarks/fuzz_cli.py [N] [SEED] [HOSTILE]

HOSTILE is the probability that a flag gets a hostile value (default 0.08).

Command lines are built from the parser itself (every subcommand's flags, types and choices) for every
registered family, with hostile, boundary and ordinary values (the pools of tests/test_cli_fuzz.py). Prints
the counts the hardening issue asks for: tracebacks (exit code 1, or any "Traceback" on stderr), NaN in the
output, a negative value for a non-negative quantity, JSON that strict parsers reject, memory errors, runs
that exceed the time limit (15 s, SIGALRM), and how many lines were answered (exit 0) or refused (exit 2).
Every bad line is printed, so it can be pinned in tests/test_cli_fuzz.py.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import time
from collections import Counter

import numpy as np
from model_collapse import cli
from model_collapse.families import FAMILIES

SMALL_INTS = ["1", "2", "3", "4", "5", "8", "12", "30"]
HOSTILE_INTS = ["0", "-1", "-7", "9007199254740993", "1234567890123456789012345", "10000000000", "1e3", "2.5",
                "abc", "", " ", "nan", "inf", "0x10", "1_0", "99999999"]
FLOATS = ["0", "1", "0.5", "0.25", "2", "1e-12", "1e-300", "5e-324", "1e300", "1e308", "1.7976931348623157e308",
          "1e-9", "1e60", "1e100", "1e160", "1e200"]
HOSTILE_FLOATS = ["-1", "-0.0", "-1e-300", "nan", "inf", "-inf", "abc", "", "1e400", "0x1p3", "1,5"]
SPECTRA = ["isotropic", "powerlaw:1", "powerlaw:0.5", "powerlaw:3", "powerlaw:0", "powerlaw:-1", "powerlaw:",
           "powerlaw:abc", "bogus", "powerlaw:500", "powerlaw:50"]
TRIALS = ["1", "2", "8", "64", "0", "-3", "abc", "10000000000"]
TIME_LIMIT = 15
HOSTILE = 0.08


class Timeout(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - signal handler
    raise Timeout


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(sub):
    return {a.option_strings[0]: a for a in sub._actions if a.option_strings and a.option_strings[0] != "-h"}


def _value(rng, flag, action) -> str:
    if action.choices:
        choices = list(action.choices)
        return choices[rng.integers(len(choices))] if rng.random() < 0.9 else "not-a-choice"
    name = getattr(action.type, "__name__", "")
    if flag == "--trials":
        return TRIALS[rng.integers(len(TRIALS))]
    if flag == "--spectrum":
        return SPECTRA[rng.integers(len(SPECTRA))]
    if "int" in name or name == "seed":
        pool = SMALL_INTS if rng.random() >= HOSTILE else HOSTILE_INTS
    else:
        pool = FLOATS if rng.random() >= HOSTILE else HOSTILE_FLOATS
    return pool[rng.integers(len(pool))]


def command_line(rng, command: str, word: str) -> list[str]:
    sub = _subparsers(_subparsers(cli.build_parser())[command])[word]
    argv = [command, word]
    for flag, action in sorted(_options(sub).items()):
        if flag in ("--json", "--progress"):
            continue
        if action.nargs == 0:
            if rng.random() < 0.3:
                argv.append(flag)
            continue
        if (action.required and rng.random() < 0.97) or rng.random() < 0.4:
            argv += [flag, _value(rng, flag, action)]
    if command == "simulate" and "--trials" not in argv:
        argv += ["--trials", "8"]
    return argv + ["--json"]


def _strict(text: str):
    def refuse(token):
        raise ValueError(token)

    return json.loads(text, parse_constant=refuse)


def classify(argv, signed) -> list[str]:
    signal.alarm(TIME_LIMIT)
    t0 = time.perf_counter()
    try:
        out = cli.run(argv)
    except Timeout:  # fired outside the CLI's own error handling
        return ["hang"]
    finally:
        signal.alarm(0)
    took = time.perf_counter() - t0
    tags = []
    if out.exit_code == 1 and "Timeout" in out.stderr:  # the alarm fired inside the run
        return ["long (announced)" if "note: this run will take" in out.stderr else "hang"]
    if out.exit_code == 1 or "Traceback" in out.stderr:
        tags.append("traceback" if "MemoryError" not in out.stderr else "memory")
    if out.exit_code == 2:
        lines = [ln for ln in out.stderr.splitlines() if ln.strip() and not ln.startswith("collapse: note:")]
        tags.append("refused" if len(lines) == 1 and "--" in lines[0] else "refused-unclear")
    if out.exit_code == 0:
        tags.append("answered")
        try:
            data = _strict(out.stdout)
        except ValueError:
            return [*tags, "non-strict-json"]
        stack = [("", data)]
        while stack:
            path, v = stack.pop()
            if isinstance(v, dict):
                stack += [(f"{path}.{k}" if path else k, x) for k, x in v.items()]
            elif isinstance(v, list):
                stack += [(path, x) for x in v]
            elif isinstance(v, float):
                top = path.split(".")[0]
                if math.isnan(v):
                    tags.append("nan")
                elif v < 0 and top not in signed and not path.endswith(".se"):
                    tags.append("negative")
    if took > 10:
        tags.append("slow>10s")
    return tags


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    global HOSTILE
    HOSTILE = float(sys.argv[3]) if len(sys.argv) > 3 else HOSTILE
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    signal.signal(signal.SIGALRM, _alarm)
    words = {fam.cli: fam for fam in FAMILIES}
    all_words = list(_subparsers(_subparsers(cli.build_parser())["predict"]))
    counts: Counter = Counter()
    bad: list[tuple[list[str], list[str]]] = []
    t0 = time.perf_counter()
    for _ in range(n):
        word = all_words[rng.integers(len(all_words))]
        command = "predict" if rng.random() < 0.5 else "simulate"
        argv = command_line(rng, command, word)
        signed = (words[word].signed_keys if word in words else frozenset()) | {"warnings"}
        if word == "scaling":
            signed = signed | {"exponent", "fast_exponent"}
        tags = classify(argv, signed)
        counts.update(set(tags))
        if set(tags) & {"traceback", "memory", "hang", "nan", "negative", "non-strict-json", "refused-unclear"}:
            bad.append((argv, tags))
    took = time.perf_counter() - t0
    print(f"{n} command lines in {took:.0f} s (seed {seed})")
    for key in ("answered", "refused", "traceback", "nan", "negative", "non-strict-json", "memory", "hang",
                "refused-unclear", "slow>10s", "long (announced)"):
        print(f"  {key:<16} {counts.get(key, 0)}")
    for argv, tags in bad[:50]:
        print("BAD", tags, " ".join(repr(a) if (not a or " " in a) else a for a in argv))


if __name__ == "__main__":
    main()

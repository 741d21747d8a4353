"""Fuzz the command line: hostile, boundary and ordinary values on every flag of every registered family.

Command lines are built from the registry's declarations (every command's parameters, their constraints and
choices: :func:`model_collapse.families.command_params`), so a new family is fuzzed without new code. Each line
runs in-process (``model_collapse.cli.run``) and must end in exit code 0 or 2 (1 is an internal error: a bug);
no traceback; on exit 2 exactly one stderr line that names, as ``'--FLAG'``, a flag the user typed (or a required
flag the user left out); on exit 0 with ``--json``, strict JSON (no NaN/Infinity tokens), no NaN and no negative
value for a non-negative quantity; and where predict and simulate both answer a small setting with finite values,
the simulation lies within a loose band of the prediction (6 SE + 50 %: a sanity band, not the proof; the
proofs are the family checks).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import re
import signal
from numbers import Integral

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from model_collapse import cli, families
from model_collapse.families import by_cli
from model_collapse.params import Parsed, parse_text
from model_collapse.validation import Interval, InvalidParameterError, Options, SeedLike

# Value pools. Valid sizes are kept small so a run takes milliseconds; the hostile values are refused early.
SMALL_INTS = ["1", "2", "3", "4", "5", "8", "12"]
HOSTILE_INTS = ["0", "-1", "-7", "9007199254740993", "1234567890123456789012345", "10000000000", "1e3", "2.5",
                "abc", "", " ", "nan", "inf", "0x10", "1_0"]
FLOATS = ["0", "1", "0.5", "0.25", "2", "1e-12", "1e-300", "5e-324", "1e300", "1e308", "1.7976931348623157e308"]
HOSTILE_FLOATS = ["-1", "-0.0", "-1e-300", "nan", "inf", "-inf", "abc", "", "1e400", "0x1p3", "1,5"]
SPECTRA = ["isotropic", "powerlaw:1", "powerlaw:0.5", "powerlaw:3", "powerlaw:0", "powerlaw:-1", "powerlaw:",
           "powerlaw:abc", "bogus", "powerlaw:500"]
CENTERS = ["0,0;3,3", "1,2", "0,0;1,1;2,0", "abc", "", "0,0;nan,1", "1e400,0", "1,2,3", "0,0;"]
TRIALS = ["1", "2", "8", "64"]

#: Every family with both commands (model families and theory-only entries that have a simulator).
WORDS = [f.cli for f in families.entries() if f.simulate is not None]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


PARSER = cli.build_parser()
COMMANDS = _subparsers(PARSER)


def _options(sub: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.option_strings[0]: a for a in sub._actions if a.option_strings and a.option_strings[0] != "-h"}


def _declared(word: str, command: str) -> dict:
    """flag -> (Param, its constraint) for ``collapse COMMAND WORD`` (deprecated spellings included)."""
    fam = by_cli(word)
    out = {}
    for p in families.command_params(fam, command):
        for flag in (p.flag, *("--" + a.replace("_", "-") for a in getattr(p, "aliases", ()))):
            out[flag] = (p, families.constraint_of(fam, p, command))
    return out


def _mostly(valid: list[str], hostile: list[str]):
    """A valid value five times in six, a hostile one otherwise (so that many lines get past the checks)."""
    valid = valid or hostile  # (k == 3: Hypothesis favours the bounds of a range, not its middle)
    return st.integers(0, 5).flatmap(lambda k: st.sampled_from(hostile if k == 3 else valid))


def _accepts(constraint, text: str) -> bool:
    """Whether ``text`` is a valid value of ``constraint`` on its own (the registry's own parse and check)."""
    if constraint is None:
        return True
    try:
        return not constraint.bad_element(parse_text(constraint, text))[0]
    except (ValueError, OverflowError, InvalidParameterError):
        return False


def _split(pool: list[str], hostile: list[str], constraints: list):
    """``pool`` split by the declared constraints: its valid values, and the rest joined to ``hostile``."""
    valid = [v for v in pool if all(_accepts(c, v) for c in constraints)]
    return _mostly(valid, [v for v in pool if v not in valid] + hostile)


def _value_strategy(flag: str, constraints: list):
    """Values for ``flag`` from its declared constraints (those of predict and simulate, which may differ: an
    integer for one is fuzzed with integers; a range splits the pools into in-range and hostile values)."""
    if flag == "--trials":
        return _mostly(TRIALS, ["0", "-3", "abc", "10000000000"])
    if flag in ("--spectrum", "--spectrum2"):
        return st.sampled_from(SPECTRA)
    options = [c for c in constraints if isinstance(c, Options)]
    if options:
        values = list(dict.fromkeys(v for c in options for v in c.values))
        return _mostly(values, ["not-a-choice"]) if len(values) > 1 else st.sampled_from(values)
    if any(isinstance(c, Parsed) for c in constraints):
        return st.sampled_from(CENTERS)
    if any(isinstance(c, SeedLike) or (isinstance(c, Interval) and c.kind is Integral) for c in constraints):
        return _split(SMALL_INTS, HOSTILE_INTS, constraints)
    return _split(FLOATS, HOSTILE_FLOATS, constraints)


@st.composite
def command_lines(draw, family_word: str):
    """(predict argv, simulate argv) for one family: shared setting flags, then each command's own flags."""
    pred = _options(_subparsers(COMMANDS["predict"])[family_word])
    sim = _options(_subparsers(COMMANDS["simulate"])[family_word])
    dp, ds = _declared(family_word, "predict"), _declared(family_word, "simulate")
    assert set(dp) == set(pred) - {"--json"} and set(ds) == set(sim) - {"--json", "--progress"}

    def values(flag):
        return _value_strategy(flag, [d[flag][1] for d in (dp, ds) if flag in d])

    tail: list[str] = []
    for flag in sorted(set(pred) & set(sim)):
        action = pred[flag]
        if flag == "--json":
            continue
        if action.nargs == 0:
            if draw(st.booleans()):
                tail.append(flag)
            continue
        param = dp[flag][0]
        if param.required and param.group is None:
            if draw(st.integers(0, 30)) == 17:  # occasionally leave a required flag out
                continue
        elif not draw(st.booleans()):
            continue
        tail += [flag, draw(values(flag))]
    extra_p: list[str] = []
    for flag in sorted(set(pred) - set(sim)):
        if flag == "--json":
            continue
        if pred[flag].nargs == 0:
            if draw(st.booleans()):
                extra_p.append(flag)
        elif draw(st.booleans()):
            extra_p += [flag, draw(values(flag))]
    extra_s: list[str] = ["--trials", draw(values("--trials"))]
    for flag in sorted(set(sim) - set(pred) - {"--trials", "--progress"}):
        action = sim[flag]
        if action.nargs == 0:
            if draw(st.booleans()):
                extra_s.append(flag)
        elif draw(st.booleans()):
            extra_s += [flag, draw(values(flag))]
    return (["predict", family_word, *tail, *extra_p, "--json"], ["simulate", family_word, *tail, *extra_s, "--json"])


_NAMED = re.compile(r"The '(--[a-z0-9][a-z0-9-]*)' parameter")


def check_refusal(argv: list[str], line: str) -> None:
    """A refusal names, as ``'--FLAG'``, a flag present in ``argv`` (the one the user typed), or a required
    flag (or one of a group of alternatives) that ``argv`` lacks."""
    assert line.startswith("collapse: error: "), f"{argv}: not an error line: {line}"
    match = _NAMED.search(line)
    assert match, f"{argv}: refusal names no flag as '--FLAG': {line}"
    flag = match.group(1)
    declared = _declared(argv[1], argv[0]) if argv[0] in ("predict", "simulate") else {}
    # nor does it speak of the library keywords a flag becomes (--spectrum is 'eigenvalues' to the theory)
    keywords = {k for p, _ in declared.values() for k in p.keywords if k != p.name}
    leaked = sorted(k for k in keywords if f"'{k}'" in line)
    assert not leaked, f"{argv}: refusal names the library keyword(s) {leaked}, not a flag: {line}"
    typed = {a.split("=", 1)[0] for a in argv[2:] if a.startswith("--")}
    if flag in typed:
        return
    assert flag in declared and ("is required" in line or "must be given" in line), \
        f"{argv}: refusal names {flag!r}, a flag the user did not type: {line}"


def _strict_json(text: str):
    def refuse(token):
        raise AssertionError(f"non-strict JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def _numbers(obj, path=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numbers(v, f"{path}.{k}" if path else k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _numbers(v, f"{path}[{i}]")
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        yield path, float(obj)


class _Stop(BaseException):
    """Ends an in-process run early (a BaseException, so that the command line's own handlers let it through)."""


class _Stderr(io.StringIO):
    """stderr that stops the run once it announces a long run (the note is said before any work starts)."""

    def write(self, text: str) -> int:
        n = super().write(text)
        if "this run will take about" in text:
            raise _Stop("announced")
        return n


#: A line that runs longer than this without having announced a long run is a bug (a silent hang).
SILENT_LIMIT_S = 120


def run_line(argv: list[str]) -> cli.Run | None:
    """``cli.run(argv)``, but a run that announces it will be long is stopped at once (None: not worth the
    fuzzer's time; the announcement is the property), and a silent run past SILENT_LIMIT_S fails."""
    out, err = io.StringIO(), _Stderr()

    def expire(*_):
        raise _Stop(f"ran past {SILENT_LIMIT_S} s without announcing a long run")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(SILENT_LIMIT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(argv))
            except SystemExit as exc:
                code = int(exc.code) if isinstance(exc.code, int) else 1
    except _Stop as stop:
        assert str(stop) == "announced", f"{argv}: {stop}\n{err.getvalue()}"
        return None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return cli.Run(code, out.getvalue(), err.getvalue())


def check_outcome(argv: list[str], signed: frozenset) -> dict | None:
    out = run_line(argv)
    if out is None:  # a long run, announced before it started: stopped there
        return None
    assert out.exit_code in (0, 2), f"{argv}: exit {out.exit_code}\n{out.stderr}"
    assert "Traceback" not in out.stderr, f"{argv}: traceback\n{out.stderr}"
    if out.exit_code == 2:  # one error line (a time estimate, said before the run, may precede it)
        lines = [ln for ln in out.stderr.splitlines() if ln.strip() and not ln.startswith("collapse: note:")]
        assert len(lines) == 1, f"{argv}: expected one stderr line, got {lines}"
        check_refusal(argv, lines[0])
        return None
    assert all(ln.startswith("collapse: ") for ln in out.stderr.splitlines() if ln.strip()), out.stderr
    data = _strict_json(out.stdout)
    for path, value in _numbers(data):
        top = path.split(".")[0].split("[")[0]
        assert not math.isnan(value), f"{argv}: NaN at {path}"
        if top not in signed and not path.endswith(".se"):
            assert value >= 0, f"{argv}: negative {path} = {value}"
    for key, value in data.items():
        if value is None:
            assert any(w.startswith(f"{key} is ") for w in data.get("warnings", [])), f"{argv}: null {key} unexplained"
    # the echoed setting is the input (an infinite default such as --max-synthetic inf is null there), not a result
    assert not any(w.startswith("setting ") for w in data.get("warnings", [])), f"{argv}: {data['warnings']}"
    if argv[0] in ("predict", "simulate"):
        assert list(data)[-1] in ("setting", "warnings") and isinstance(data.get("setting"), dict), f"{argv}: {data}"
    return data


def _band(theory: dict, simulated: dict, argv) -> None:
    for key, est in simulated.items():
        if key not in theory or not isinstance(est, dict) or set(est) != {"mean", "se"} or theory[key] is None \
                or est["mean"] is None:  # (the echoed setting is a dict too)
            continue
        t, m, s = theory[key], est["mean"], est["se"]
        if isinstance(t, list) or isinstance(m, list) or s is None:
            continue
        assert abs(m - t) <= 6 * s + 0.5 * abs(t) + 1e-9, f"{argv}: {key}: simulated {m} ± {s} vs theory {t}"


def _fuzz(family_word: str, lines) -> None:
    fam = by_cli(family_word)
    pred_argv, sim_argv = lines
    signed = fam.signed_keys | {"warnings"}
    theory = check_outcome(pred_argv, signed)
    simulated = check_outcome(sim_argv, signed)
    text = sim_argv[sim_argv.index("--trials") + 1] if "--trials" in sim_argv else "0"
    trials = int(text) if text.isdigit() else 0
    plain = not any(f in pred_argv for f in ("--best-m", "--limits")) and "--n-test" not in sim_argv
    if theory is not None and simulated is not None and trials >= 64 and plain and "warnings" not in theory:
        _band(theory, simulated, sim_argv)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.filter_too_much])


@pytest.mark.parametrize("word", WORDS)
def test_fuzz_command_lines(word):
    @FUZZ
    @given(lines=command_lines(word))
    def run(lines):
        _fuzz(word, lines)

    run()


# Counterexamples found by this suite and by the external fuzzer (issue 8), pinned.
PINNED = [
    ["predict", "ridge", "--n", "10", "--d", "2", "--p2", "0", "--c2", "0", "--lam", "1e200", "--sigma", "1", "--json"],
    ["predict", "ridge", "--n", "10", "--d", "2", "--p2", "0", "--c2", "0", "--lam", "1", "--sigma", "1e160", "--json"],
    ["predict", "ridge", "--n", "6", "--d", "5", "--p2", "0", "--c2", "0", "--lam", "0", "--sigma", "1",
     "--spectrum", "powerlaw:500", "--json"],
    ["simulate", "ridge", "--n", "100", "--d", "200", "--p2", "0", "--c2", "0", "--lam", "1e-9", "--sigma", "1",
     "--trials", "5", "--json"],
    ["simulate", "ridge", "--n", "2", "--d", "4", "--p2", "0", "--c2", "0", "--lam", "1e-30", "--sigma", "1",
     "--trials", "5", "--json"],
    ["simulate", "ridge", "--n", "7", "--d", "5", "--p2", "0", "--c2", "0", "--lam", "1e60", "--sigma", "1e60",
     "--trials", "5", "--json"],
    ["simulate", "rp", "--n", "20", "--m", "10", "--d", "40", "--p2", "0", "--c2", "0", "--lam", "5e-324",
     "--sigma", "1", "--trials", "3", "--json"],
    ["predict", "gaussian", "--workflow", "replace", "--n", "10", "--d", "2", "--t", "5", "--sigma2", "1e308",
     "--json"],
    ["predict", "linreg", "--workflow", "replace", "--n", "10", "--d", "2", "--t", "5", "--sigma", "1e200", "--json"],
    ["predict", "gaussian", "--workflow", "accumulate", "--n", "10", "--d", "2", "--t", "10000000000", "--json"],
    ["simulate", "linreg", "--workflow", "replace", "--n", "10", "--d", "2", "--t", "3", "--sigma", "1",
     "--n-test", "10000000000", "--json"],
    ["simulate", "ridge", "--n", "10", "--d", "2", "--p2", "0", "--c2", "0", "--lam", "1", "--sigma", "1",
     "--trials", "10000000000", "--json"],
    ["predict", "ridge", "--n", "1234567890123456789012345", "--d", "2", "--p2", "0", "--c2", "0", "--lam", "1",
     "--sigma", "1", "--json"],
    ["predict", "rp", "--n", "1000", "--m", "500", "--p2", "0.1", "--c2", "1", "--best-m", "--json"],
    ["predict", "rp", "--n", "200", "--m", "100", "--d", "200", "--p2", "0.25", "--c2", "1", "--lam", "0",
     "--sigma", "0.5", "--best-m", "--json"],
    # found by benchmarks/fuzz_cli.py (this project's campaign)
    ["simulate", "linreg", "--d", "2", "--n", "30", "--sigma", "1e160", "--t", "8", "--workflow", "accumulate",
     "--trials", "8", "--json"],
    ["simulate", "gaussian", "--workflow", "replace", "--n", "10", "--d", "3", "--t", "5", "--variance", "1.7e308",
     "--trials", "5", "--json"],
    ["simulate", "kde", "--h", "1.7976931348623157e308", "--n", "8", "--t", "1", "--workflow",
     "accumulate-subsample", "--trials", "8", "--json"],
    ["simulate", "retrain", "--d", "8", "--generations", "4", "--generator-samples", "8", "--samples", "4",
     "--spectrum", "powerlaw:500", "--trials", "8", "--json"],
    ["simulate", "retrain", "--d", "8", "--generations", "5", "--generator-samples", "4", "--lam", "1e100",
     "--samples", "8", "--trials", "8", "--json"],
    ["simulate", "retrain", "--d", "5", "--generations", "3", "--generator-samples", "2", "--lam", "1e-12", "--r2",
     "1", "--samples", "3", "--sigma0", "5e-324", "--spectrum", "powerlaw:50", "--trials", "8", "--json"],
    ["simulate", "linreg", "--d", "1", "--n", "5", "--per-iteration", "--sigma", "1e308", "--t", "2",
     "--test-labels", "noisy", "--workflow", "accumulate-subsample", "--trials", "8", "--json"],
    ["predict", "scaling", "--beta", "1e60", "--d", "2", "--sigma", "5e-324", "--source-r", "1e-12", "--json"],
    ["simulate", "kde", "--dataset", "swiss-roll", "--dim", "3", "--h", "0.5", "--n", "8", "--per-iteration", "--t",
     "5", "--trials", "64", "--workflow", "accumulate", "--json"],
    # found by the registry-driven fuzzer (the declared ranges): an internal error and a library keyword named
    ["predict", "synthetic-budget", "--n-real", "1e300", "--d", "10", "--c2", "1", "--json"],
    ["predict", "synthetic-budget", "--n-real", "100", "--d", "10", "--c2", "1", "--max-synthetic", "1e20", "--json"],
    ["predict", "synthetic-budget", "--n-real", "1", "--d", "1", "--c2", "0", "--max-synthetic",
     "1.7976931348623157e308", "--json"],
    ["predict", "synthetic-budget", "--n-real", "100", "--d", "10", "--c2", "1", "--json"],  # --max-synthetic inf
]


@pytest.mark.parametrize("argv", PINNED, ids=lambda a: " ".join(a[:2] + a[2:6]))
def test_pinned_counterexamples(argv):
    signed = by_cli(argv[1]).signed_keys if argv[1] != "scaling" else frozenset({"exponent", "fast_exponent"})
    check_outcome(argv, signed | {"warnings"})


RIDGE = ["--n", "300", "--d", "10", "--p2", "0.3", "--c2", "1"]
KDE = ["--workflow", "replace", "--t", "3", "--h", "0.5", "--n", "10"]
# Refusals that must name the flag the user typed (issue: a refusal named the library keyword or another flag).
PINNED_REFUSALS = [
    (["predict", "ridge", *RIDGE, "--spectrum2", "banana"], "--spectrum2", "must be isotropic, powerlaw:BETA"),
    (["simulate", "ridge", *RIDGE, "--spectrum2", "powerlaw:x", "--trials", "2"], "--spectrum2", "Got 'powerlaw:x'"),
    (["predict", "synthetic-budget", "--n-real", "300", "--d", "10", "--c2", "1", "--spectrum2", "banana"],
     "--spectrum2", "must be isotropic, powerlaw:BETA"),
    # the second spectrum from the data (61 eigenvalues) does not match d = 10 of the first
    (["predict", "ridge", *RIDGE, "--spectrum", "powerlaw:1", "--spectrum2", "data:digits"], "--spectrum2",
     "(10,)"),
    (["simulate", "ridge", *RIDGE, "--spectrum", "powerlaw:1", "--spectrum2", "data:digits", "--trials", "2"],
     "--spectrum2", "(10,)"),
    (["predict", "synthetic-budget", "--n-real", "300", "--d", "10", "--c2", "1", "--spectrum", "powerlaw:1",
      "--spectrum2", "data:digits"], "--spectrum2", "(10,)"),
    # test centres are for the blobs data set only
    (["predict", "kde", *KDE, "--test-centers", "0,0;1,1"], "--test-centers", "blobs"),
    (["simulate", "kde", *KDE, "--test-centers", "0,0;1,1", "--trials", "2"], "--test-centers", "blobs"),
    (["predict", "kde", *KDE, "--dataset", "blobs", "--centers", "0,0;3,3", "--test-centers", "1,2,3"],
     "--test-centers", "blob centres"),
    # memory refusals name the flag that drives the allocation
    (["simulate", "ridge", *RIDGE, "--trials", "10000000000000"], "--trials", "too large for this machine"),
    (["simulate", "gaussian", "--workflow", "replace", "--n", "10", "--d", "2", "--t", "5", "--trials",
      "100000000000"], "--trials", "too large for this machine"),
    (["simulate", "kde", *KDE, "--trials", "100000000000"], "--trials", "too large for this machine"),
    (["simulate", "gaussian", "--workflow", "replace", "--n", "10", "--d", "2", "--t", "10000000000", "--trials",
      "2"], "--t", "too large for this machine"),
    (["predict", "ridge", "--n", "300", "--d", "1000000000000", "--p2", "0.3", "--c2", "1"], "--d",
     "too large for this machine"),
    (["simulate", "rp", "--n", "300", "--m", "100000000", "--p2", "0.3", "--c2", "1", "--trials", "2"], "--m",
     "too large for this machine"),
    (["simulate", "linreg", "--workflow", "replace", "--n", "10", "--d", "2", "--t", "3", "--n-test",
      "10000000000", "--trials", "2"], "--n-test", "too large for this machine"),
    # the simulator's own keyword (n = n_real + k of the ridge twin) must not leak: the flag typed is --n-real
    (["simulate", "synthetic-budget", "--n-real", "0.5", "--d", "2", "--c2", "0.5", "--max-synthetic", "10",
      "--trials", "8"], "--n-real",
     "must be"),
    # a deprecated spelling (Param.aliases) is still the flag the user typed
    (["simulate", "gaussian", "--workflow", "replace", "--n", "10", "--d", "3", "--t", "5", "--sigma2", "1.7e308",
      "--trials", "5"], "--sigma2", "too large"),
    (["predict", "gaussian", "--workflow", "replace", "--n", "10", "--d", "3", "--t", "5", "--sigma2", "-1"],
     "--sigma2", "(0, inf)"),
]


@pytest.mark.parametrize("argv,flag,needle", PINNED_REFUSALS,
                         ids=[f"{a[0]} {a[1]} {f} {a[a.index(f) + 1]}" for a, f, _ in PINNED_REFUSALS])
def test_pinned_refusals_name_the_typed_flag(argv, flag, needle):
    out = cli.run(argv)
    lines = out.stderr.strip().splitlines()
    assert out.exit_code == 2 and len(lines) == 1, out.stderr
    check_refusal(argv, lines[0])
    assert lines[0].startswith(f"collapse: error: The '{flag}' parameter ") and needle in lines[0], lines[0]


@pytest.mark.parametrize("argv", [["figures", "--out", ""], ["figures", "--seed", "-1"],
                                  ["figures", "--only", "nope"], ["figures", "--seed", "99999999999999999999999x"]])
def test_figures_refusals(argv):
    out = cli.run(argv)
    assert out.exit_code == 2 and len(out.stderr.strip().splitlines()) == 1 and "--" in out.stderr


def test_figures_out_under_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    for target in (f, f / "sub"):
        out = cli.run(["figures", "--out", str(target), "--only", "strong_collapse", "--quick"])
        assert out.exit_code == 2 and "'--out'" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_help_shows_every_default():
    """Every declared parameter with a default (other than absent or off) says it in --help, once."""
    for cmd in ("predict", "simulate"):
        for word, sub in _subparsers(COMMANDS[cmd]).items():
            actions = _options(sub)
            sub.format_help()  # renders without error (a stray % in a help text would raise here)
            for flag, (param, _) in _declared(word, cmd).items():
                if flag != param.flag:  # a deprecated spelling: hidden from --help
                    continue
                help_text = actions[flag].help or ""
                if param.required or param.switch:
                    assert "(default:" not in help_text, (cmd, word, flag)
                elif param.default is not None:  # (None: absent, or a default that depends on others)
                    assert help_text.count("(default:") == 1, (cmd, word, flag, help_text)


@example(lines=(["predict", "ridge", "--n", "3", "--d", "3", "--p2", "0", "--c2", "0", "--lam", "0", "--sigma", "1",
                 "--json"], ["simulate", "ridge", "--n", "3", "--d", "3", "--p2", "0", "--c2", "0", "--lam", "0",
                             "--sigma", "1", "--trials", "8", "--json"]))
@FUZZ
@given(lines=command_lines("ridge"))
def test_fuzz_ridge_with_pinned_examples(lines):
    _fuzz("ridge", lines)


# ---- collapse sweep: a spec value is checked exactly like the flag it names (one line, exit 2, nothing written)
SWEEP_BASE = 'family = "ridge"\nmode = "predict"\n[fixed]\nd = 4\nc2 = 1\nlam = 0.1\nsigma = 1\n'
PINNED_SWEEP = [
    (SWEEP_BASE + "[grid]\nn = [3]\np2 = [1e400]\n", "p2"),        # TOML reads 1e400 as inf
    (SWEEP_BASE + "[grid]\nn = [9007199254740993]\np2 = [0]\n", "n"),
    (SWEEP_BASE + "[grid]\nn = [-1]\np2 = [0]\n", "n"),
    (SWEEP_BASE + "[grid]\nn = [3]\np2 = [nan]\n", "p2"),
    (SWEEP_BASE + "[grid]\nn = [3]\np2 = [true]\n", "p2"),
    (SWEEP_BASE + "[grid]\nn = [3]\np2 = [[0.1]]\n", "p2"),
    (SWEEP_BASE + "[grid]\nn = [3]\np2 = [0]\n[grid.sub]\nx = 1\n", "sub"),
    (SWEEP_BASE.replace('"ridge"', '"no-such-family"') + "[grid]\nn = [3]\n", "family"),
    # scaling is registered (theory-only): a key it does not declare is refused naming the key
    (SWEEP_BASE.replace('"ridge"', '"scaling"') + "[grid]\nn = [3]\n", "c2"),
    (SWEEP_BASE + "[grid]\nn = [3]\np2 = [0]\nspectrum = [\"powerlaw:\"]\n", "spectrum"),
    ("\x00", "TOML"),
]


@pytest.mark.parametrize("text,key", PINNED_SWEEP, ids=[k for _, k in PINNED_SWEEP])
def test_pinned_sweep_refusals(text, key, tmp_path):
    pytest.importorskip("pyarrow")
    spec = tmp_path / "s.toml"
    spec.write_text(text)
    out = cli.run(["sweep", str(spec), "--out", str(tmp_path / "out")])
    lines = out.stderr.strip().splitlines()
    assert out.exit_code == 2 and len(lines) == 1 and key in lines[0], out.stderr
    assert not (tmp_path / "out").exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.sampled_from(FLOATS + HOSTILE_FLOATS), st.integers(-3, 10**20),
                                 st.booleans()), min_size=1, max_size=3),
       key=st.sampled_from(["n", "p2", "lam", "sigma", "d"]))
def test_fuzz_sweep_grid_values(values, key, tmp_path_factory):
    pytest.importorskip("pyarrow")
    tmp = tmp_path_factory.mktemp("sweep")
    fixed = {"d": "4", "c2": "1", "lam": "0.1", "sigma": "1", "n": "3", "p2": "0.5"}
    fixed.pop(key)

    def toml(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return json.dumps(v)  # a string value: parsed by the flag's type, like the CLI
    text = ('family = "ridge"\n[fixed]\n' + "".join(f"{k} = {v}\n" for k, v in fixed.items())
            + f"[grid]\n{key} = [{', '.join(toml(v) for v in values)}]\n")
    spec = tmp / "s.toml"
    spec.write_text(text)
    out = cli.run(["sweep", str(spec), "--out", str(tmp / "out")])
    assert out.exit_code in (0, 2), out.stderr
    assert "Traceback" not in out.stderr
    if out.exit_code == 2:
        assert len(out.stderr.strip().splitlines()) == 1 and key in out.stderr or "same setting" in out.stderr, \
            out.stderr
        assert not (tmp / "out").exists() or "stopped at point" in out.stderr

"""The fidelity table (issue 20): every quantity `collapse predict` prints has a declared status, and the
committed table docs/fidelity.md is the one `python benchmarks/fidelity.py` writes from its declaration.

- Completeness: the keys that ``predict`` prints for every registry entry (at its CLI reference setting, with
  the extra keys it can add, and at every declared setting) are each declared in benchmarks/fidelity.toml as a
  measured row or, with a reason, as derived / a limit / a bound; keys printed by ``simulate`` only are declared
  with the reason there is no theory.
- The committed table is regenerated from the declaration and the committed measurements (docs/fidelity.csv)
  and must equal docs/fidelity.md; every measured row has a measurement for each of its settings.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import warnings
from pathlib import Path

import pytest
from model_collapse import cli, families

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fidelity", ROOT / "benchmarks" / "fidelity.py")
fidelity = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fidelity)
SPEC = fidelity.load()


def _declared(command: str) -> tuple[set[str], set[str]]:
    theory = {f for r in SPEC["row"] + SPEC["derived"] if r["command"] == command for f in r["fields"]}
    sim_only = {f for r in SPEC["simulation_only"] if r["command"] == command for f in r["fields"]}
    return theory, sim_only


def _keys(argv: list[str]) -> set[str]:
    out = cli.run([*argv, "--json"])
    assert out.exit_code == 0, (argv, out.stderr)
    got = json.loads(out.stdout)
    got.pop("setting", None)
    got.pop("warnings", None)
    return set(got)


@pytest.mark.parametrize("fam", families.entries(), ids=lambda f: f.cli)
def test_every_printed_key_has_a_declared_status(fam):
    theory, sim_only = _declared(fam.cli)
    printed = _keys(["predict", fam.cli, *fam.cli_reference]) | set(getattr(fam, "extra_keys", ()) or ())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in SPEC["row"]:
            if row["command"] == fam.cli:
                for setting in row["settings"]:
                    printed |= set(families.predict(fam.cli, **setting))
    missing = printed - theory
    assert not missing, f"{fam.cli}: printed but not declared in benchmarks/fidelity.toml: {sorted(missing)}"
    if fam.simulate is not None:
        simulated = _keys(["simulate", fam.cli, *fam.cli_reference, "--trials", "2"])
        assert not (simulated - printed - sim_only), f"{fam.cli}: simulate-only keys without a declared reason"


def test_declarations_are_well_formed():
    assert SPEC["row"], "no measured rows"
    for row in SPEC["row"]:
        assert row["status"] in fidelity.STATUS_WORDS and row["settings"] and row["allowance"] and row["figure"]
        assert row["status"] in ("exact", "asymptotic", "bound"), row  # a measured row compares a formula
    for d in SPEC["derived"] + SPEC["simulation_only"]:
        assert len(d["reason"]) > 20, d  # no row without a reason


def test_committed_table_is_the_generated_one():
    with open(ROOT / "docs" / "fidelity.csv", newline="") as fh:
        records = [{**r, **{k: float(r[k]) for k in ("theory", "mean", "se", "rel_error", "z", "seconds")},
                    "trials": int(r["trials"])} for r in csv.DictReader(fh)]
    for row in SPEC["row"]:
        for setting in row["settings"]:
            for field in row["fields"]:
                assert any(r["command"] == row["command"] and r["field"] == field
                           and r["setting"] == fidelity._text(setting) for r in records), (row["command"], field,
                                                                                           setting)
    assert (ROOT / "docs" / "fidelity.md").read_text() == fidelity.table(SPEC, records), \
        "docs/fidelity.md is stale: run python benchmarks/fidelity.py"

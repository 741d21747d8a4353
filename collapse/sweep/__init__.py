"""`collapse sweep`: one registry entry over a grid of settings, theory and/or simulation, into a tidy Parquet table.

A sweep is a TOML spec (docs/sweep.md)::

    family = "ridge"            # a registry name (ridge_mixture) or the CLI word (ridge)
    mode = "both"               # predict | simulate | both (default predict)
    trials = 100                # simulation trials per point (default 100)
    seed = 0                    # the spec's seed (default 0)

    [fixed]                     # one value each: the family's declared parameters
    d = 1000
    spectrum = "powerlaw:1.5"

    [grid]                      # lists: the cross product is swept (the last key varies fastest)
    n = [1000, 10000]
    p2 = [0.0, 0.1, 0.5]

    [zip]                       # lists of one length, swept together as one axis ([[zip]]: several axes)
    lam = [1e-3, 1e-2]
    sigma = [0.5, 1.0]

Spec keys are the entry's declared parameter names (:class:`model_collapse.params.Param`: ``generator_samples``,
``-`` accepted for ``_``; a switch is ``true``/``false``), the same declarations that make the command line's
flags, so every registered entry sweeps without sweep code, and every value is checked exactly as
``collapse predict|simulate WORD`` checks it (:func:`model_collapse.families.resolve`, then
:func:`model_collapse.families.prepare`). The whole grid is validated before any work: a bad spec is one line
naming the key and what is allowed (the CLI prints it and exits with code 2).

Output at ``--out DIR``: ``part-NNNNNN.parquet`` files (one per chunk of points, each written to a temporary
name and renamed, so a killed sweep leaves only whole files) and ``_manifest.json`` (spec, versions, seed,
counts, timing, warnings); ``pandas.read_parquet(DIR)`` reads the table: one row per point (per iteration when
the family returns per-iteration arrays), with ``point``, the spec's parameters, the theory fields and, for
simulation, ``FIELD_mean``, ``FIELD_se`` and (mode both) ``FIELD_z = (mean − theory)/se``. The table holds no
timings, hosts or worker ids. Each point's simulation seed is
``SeedSequence(seed, spawn_key=digest(point's parameters))``: the same point gives the same numbers in any
grid, on any number of workers, in any order, resumed or not.

Modules (each imports only those before it; :mod:`.storage` only :mod:`.canonical`):
:mod:`.canonical` (how values are written: messages, JSON, a point's identity and spawn key),
:mod:`.spec` (loading and validating a spec into points), :mod:`.storage` (part files, manifest, resuming),
:mod:`.compute` (a chunk's theory, simulation and rows), :mod:`.execute` (in-process or Dask; :func:`run_sweep`).
"""

from __future__ import annotations

from model_collapse.sweep.canonical import spawn_key
from model_collapse.sweep.compute import OWN_COLUMNS, predict_points, run_chunk, simulate_point
from model_collapse.sweep.execute import SweepResult, run_cli, run_sweep
from model_collapse.sweep.spec import (
    MAX_CHUNK,
    MAX_POINTS,
    MODES,
    SpecError,
    SweepPoint,
    SweepSpec,
    load_spec,
    parse_spec,
    spec_key,
    spec_params,
)
from model_collapse.sweep.storage import EXTRA_HINT, FORMAT, MANIFEST, read_sweep

__all__ = ["SweepSpec", "SweepPoint", "SweepResult", "SpecError", "load_spec", "parse_spec", "run_sweep", "run_cli",
           "read_sweep", "predict_points", "simulate_point", "run_chunk", "spec_params", "spec_key", "spawn_key",
           "MODES", "MANIFEST", "FORMAT", "EXTRA_HINT", "MAX_POINTS", "MAX_CHUNK", "OWN_COLUMNS"]

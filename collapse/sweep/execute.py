"""Running a validated sweep: chunks in-process or on a Dask cluster, part files, the manifest, resuming.

Dask is imported only with ``workers`` or ``scheduler``; a worker receives each chunk's points without their
cached keyword settings (:meth:`model_collapse.sweep.spec.SweepPoint.bare`) and recomputes them.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import model_collapse
from model_collapse import __version__, resources
from model_collapse.paths import check_out_dir
from model_collapse.sweep import storage
from model_collapse.sweep.compute import ChunkResult, Task, run_chunk
from model_collapse.sweep.spec import SweepSpec, load_spec
from model_collapse.validation import InvalidParameterError
from tqdm import tqdm

__all__ = ["SweepResult", "run_sweep", "run_cli"]


@dataclass(frozen=True)
class SweepResult:
    """What :func:`run_sweep` did: the folder, point counts (this run / already done), rows and wall time."""

    out: Path
    points: int
    computed: int
    skipped: int
    rows: int
    seconds: float
    warnings: dict

    def table(self):
        """The sweep's table as a pandas DataFrame (see :func:`model_collapse.sweep.read_sweep`)."""
        return storage.read_sweep(self.out)


def _seconds_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _serial(tasks: list[Task]) -> Iterator[ChunkResult]:
    for t in tasks:
        yield run_chunk(t)


def _worker_version() -> str:
    """The package version where this runs (a Dask worker imports this module itself)."""
    return model_collapse.__version__


def _dask(tasks: list[Task], workers: int | None, scheduler: str | None, info: dict) -> Iterator[ChunkResult]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    try:
        if scheduler is not None:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise InvalidParameterError(f"The '--scheduler' parameter: cannot connect to {scheduler!r} "
                                            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})."
                                            ) from None
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
        try:
            client.wait_for_workers(1, timeout=60)
            theirs = client.submit(_worker_version, pure=False).result()
            if theirs != __version__:
                raise InvalidParameterError(f"The '--scheduler' parameter: the cluster's workers run model_collapse "
                                            f"{theirs} (this is {__version__}); install the same version there.")
            info["dask_workers"] = len(client.scheduler_info().get("workers", {}))
            info["_compute_start"] = time.perf_counter()
            # the largest chunks first (longest-processing-time order): no worker is left with a big one at the end
            ordered = sorted(tasks, key=lambda t: -sum(p.work for p in t.points))
            futures = [client.submit(run_chunk, replace(t, points=tuple(p.bare() for p in t.points)), pure=False)
                       for t in ordered]
            try:
                for _fut, result in as_completed(futures, with_results=True):
                    yield result
            finally:
                client.cancel(futures)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def run_sweep(spec: SweepSpec | str | os.PathLike | Mapping, out: str | os.PathLike, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, progress: bool | None = None) -> SweepResult:
    """Run a sweep into the folder ``out`` and return what was done.

    ``workers``: a local Dask cluster of that many processes (one thread each); ``scheduler``: the address of
    an existing Dask cluster; neither: in-process, serially. ``resume``: finish the sweep already in ``out``
    (its finished chunks are skipped). ``progress``: a tqdm bar over points on stderr (None: when stderr is a
    terminal). The table is the same for any of these choices.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    if workers is not None and scheduler is not None:
        raise InvalidParameterError("The '--workers' and '--scheduler' parameters exclude each other: give one.")
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise InvalidParameterError(f"The '--workers' parameter must be a positive integer. Got {workers!r} instead.")
    use_dask = workers is not None or scheduler is not None
    storage.require_extra(dask=use_dask)
    out = check_out_dir(os.fspath(out))  # '' is refused here (Path('') would be the current folder)
    old = storage.existing_state(out, spec.digest, resume)
    t0 = time.perf_counter()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    chunk = int(old["chunk_size"]) if old else spec.chunk
    if chunk != spec.chunk:
        spec = replace(spec, chunk=chunk)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".*.tmp"):  # a killed run's temporary file
        stale.unlink()
    done = {k for k in range(spec.n_chunks) if storage.part_path(out, k).exists()}
    todo = [k for k in range(spec.n_chunks) if k not in done]
    skipped = sum(len(spec.chunk_points(k)) for k in done)
    remaining = len(spec.points) - skipped
    manifest = dict(old) if old else {
        "format": storage.FORMAT, "spec": spec.raw, "spec_digest": spec.digest, "source": spec.source,
        "family": spec.family, "mode": spec.mode, "seed": spec.seed, "trials": spec.trials,
        "package_version": __version__, "points": len(spec.points), "chunks": spec.n_chunks, "chunk_size": chunk,
        "columns": {"point": "int", **spec.columns}, "created": started, "runs": [], "warnings": {},
    }
    parallel = workers or 1
    estimate = spec.work * (remaining / max(len(spec.points), 1)) / resources.FLOPS_PER_SECOND / parallel
    manifest.update(status="running", estimated_seconds=round(estimate, 3))
    storage.write_json(out / storage.MANIFEST, manifest)
    force = bool(progress)
    if remaining and (estimate > 10 or force):
        where = f"{workers} workers" if workers else ("the cluster at " + scheduler if scheduler else "1 process")
        sys.stderr.write(f"collapse: note: sweep of {remaining} points ({skipped} already done) will take about "
                         f"{_seconds_text(estimate)} on {where} (estimate)\n")
        sys.stderr.flush()
    bar = tqdm(total=len(spec.points), initial=skipped, desc=f"sweep {spec.cli}", unit="point", file=sys.stderr,
               disable=not (force or (progress is None and sys.stderr.isatty())), mininterval=0.25, leave=False)
    info: dict = {}
    tasks = [Task(spec.family, spec.mode, k, spec.chunk_points(k), 1 if use_dask else None) for k in todo]
    counts: dict[str, int] = dict(manifest.get("warnings", {}))
    computed = 0
    run_record = {"started": started, "workers": workers, "scheduler": scheduler}
    loop_start = time.perf_counter()
    refused = False
    try:
        results = _dask(tasks, workers, scheduler, info) if use_dask and tasks else _serial(tasks)
        for res in results:
            storage.write_table(storage.part_path(out, res.index), storage.arrow_table(spec.columns, res.rows))
            n = len(spec.chunk_points(res.index))
            computed += n
            for msg, c in res.warnings.items():
                counts[msg] = counts.get(msg, 0) + c
            bar.update(n)
    except InvalidParameterError:
        # A point was refused: the sweep as given cannot finish, so a new run leaves nothing behind (an
        # interrupted run, by contrast, keeps its parts and manifest for --resume).
        refused = old is None
        if refused:
            _remove_run(out, spec.n_chunks, created)
        raise
    finally:
        bar.close()
        now = time.perf_counter()
        compute_start = info.pop("_compute_start", loop_start)
        run_record.update(seconds=round(now - t0, 3), compute_seconds=round(now - compute_start, 3),
                          points_computed=computed, **info)
        manifest["runs"] = [*manifest.get("runs", []), run_record]
        manifest["warnings"] = dict(sorted(counts.items()))
        if computed + skipped < len(spec.points) and not refused:
            storage.write_json(out / storage.MANIFEST, manifest)
    rows = storage.finalise(out, spec.n_chunks, list(spec.columns))
    seconds = time.perf_counter() - t0
    manifest.update(status="complete", rows=rows, finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    seconds_total=round(sum(r.get("seconds", 0.0) for r in manifest["runs"]), 3))
    manifest["runs"][-1]["seconds"] = round(seconds, 3)
    storage.write_json(out / storage.MANIFEST, manifest)
    return SweepResult(out, len(spec.points), computed, skipped, rows, seconds, dict(sorted(counts.items())))


def _remove_run(out: Path, n_chunks: int, created: bool) -> None:
    """Delete what a refused new run wrote into ``out``: its parts, manifest and temporaries (and the folder
    when the run created it and nothing else is in it)."""
    for k in range(n_chunks):
        storage.part_path(out, k).unlink(missing_ok=True)
    (out / storage.MANIFEST).unlink(missing_ok=True)
    for stale in out.glob(".*.tmp"):
        stale.unlink(missing_ok=True)
    if created:
        with contextlib.suppress(OSError):  # not empty: something else was written there meanwhile
            out.rmdir()


def run_cli(args: argparse.Namespace) -> None:
    """``collapse sweep SPEC --out DIR [--workers K | --scheduler ADDRESS] [--resume] [--progress]``."""
    storage.require_extra(dask=args.workers is not None or args.scheduler is not None)
    spec = load_spec(args.spec)
    res = run_sweep(spec, args.out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                    progress=True if args.progress else None)
    what = f"{res.computed} points computed" + (f", {res.skipped} already done" if res.skipped else "")
    print(f"sweep {spec.cli} ({spec.mode}): {res.points} points, {res.rows} rows in {res.out} ({what}; "
          f"{res.seconds:.1f} s)")
    if res.warnings:
        total = sum(res.warnings.values())
        first = next(iter(res.warnings))
        sys.stderr.write(f"collapse: warning: {total} warning(s) during the sweep, e.g. {first!r} (all in "
                         f"{Path(res.out) / storage.MANIFEST})\n")
    return None

"""Where a sweep's results live: Parquet part files, the manifest, resuming, atomic writes.

``DIR/part-NNNNNN.parquet`` (one per chunk of points) and ``DIR/_manifest.json``. Every file is written to a
hidden temporary name in the same folder and renamed, so a killed sweep leaves only whole files. pyarrow and
pandas are imported only when a table is written or read. This module knows nothing of specs or families: it
takes the spec's digest and column types as plain values.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from model_collapse import __version__
from model_collapse.paths import check_out_dir
from model_collapse.sweep.canonical import is_number, json_default, show
from model_collapse.validation import InvalidParameterError

__all__ = ["MANIFEST", "FORMAT", "EXTRA_HINT", "part_path", "arrow_table", "write_table", "write_json", "finalise",
           "existing_state", "read_sweep", "require_extra", "check_out_dir"]

MANIFEST = "_manifest.json"
FORMAT = "model_collapse.sweep/1"
EXTRA_HINT = 'pip install "model-collapse[sweep]"'
#: columns the sweep adds itself besides the spec's parameters
OWN = ("point", "iteration", "element")


def require_extra(dask: bool) -> None:
    """Refuse (one line saying what to install) when the 'sweep' extra is missing."""
    need = ["pyarrow"] + (["dask", "distributed"] if dask else [])
    missing = [m for m in need if importlib.util.find_spec(m) is None]
    if missing:
        raise InvalidParameterError(f"collapse sweep needs the 'sweep' extra ({', '.join(missing)} missing): "
                                    f"{EXTRA_HINT}")


def part_path(out: Path, k: int) -> Path:
    return out / f"part-{k:06d}.parquet"


def arrow_table(columns: dict[str, str], rows: list[dict]):
    """The rows of one chunk as an Arrow table: ``point``, the spec's parameters (typed by ``columns``), then
    ``iteration``/``element`` and the result columns in order of appearance (numbers as float64)."""
    import pyarrow as pa

    names = ["point", *columns]
    rest: dict[str, None] = {}
    for r in rows:
        for k in r:
            if k not in rest and k not in names:
                rest[k] = None
    order = [k for k in ("iteration", "element") if k in rest] + [k for k in rest if k not in ("iteration",
                                                                                                 "element")]
    types = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "string": pa.string()}
    arrays, fields = [], []
    for name in names + order:
        col: list[Any] = [r.get(name) for r in rows]
        if name in OWN:
            typ = pa.int64()
        elif name in columns:
            typ = types[columns[name]]
            if columns[name] == "float":
                col = [None if v is None else float(v) for v in col]
            elif columns[name] == "string":
                col = [None if v is None else (v if isinstance(v, str) else show(v)) for v in col]
        else:
            present = [v for v in col if v is not None]
            if not present:
                typ = pa.null()
            elif all(isinstance(v, bool) for v in present):
                typ = pa.bool_()
            elif all(is_number(v) for v in present):
                typ, col = pa.float64(), [None if v is None else float(v) for v in col]
            else:
                typ, col = pa.string(), [None if v is None else (v if isinstance(v, str) else json.dumps(v))
                                         for v in col]
        arrays.append(_array(pa, col, typ))
        fields.append(pa.field(name, typ))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _array(pa, values: list, typ):
    """``pa.array(values, type=typ)`` built from numpy buffers (``pa.array`` imports pandas: 0.7 s or more)."""
    import numpy as np

    n = len(values)
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=n)
    nulls = n - int(valid.sum())
    if typ == pa.null():
        return pa.Array.from_buffers(pa.null(), n, [None], null_count=n)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    if typ == pa.string():
        encoded = [v.encode("utf-8") if v is not None else b"" for v in values]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.fromiter((len(b) for b in encoded), dtype=np.int64, count=n), out=offsets[1:])
        if offsets[-1] >= 2**31:
            return pa.array(values, type=typ)  # more than 2 GiB of text: let pyarrow chunk it
        offsets = offsets.astype(np.int32)
        return pa.Array.from_buffers(typ, n, [bitmap, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
                                     null_count=nulls)
    if typ == pa.bool_():
        data = np.fromiter((bool(v) if v is not None else False for v in values), dtype=bool, count=n)
        return pa.Array.from_buffers(typ, n, [bitmap, pa.py_buffer(np.packbits(data, bitorder="little"))],
                                     null_count=nulls)
    dtype = np.int64 if typ == pa.int64() else np.float64
    data = np.fromiter((v if v is not None else 0 for v in values), dtype=dtype, count=n)
    return pa.Array.from_buffers(typ, n, [bitmap, pa.py_buffer(data)], null_count=nulls)


def _atomic(path: Path, write) -> None:
    """Write to a hidden temporary name in the same folder, then rename: never a partial file at ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_table(path: Path, table) -> None:
    import pyarrow.parquet as pq

    _atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_json(path: Path, obj: dict) -> None:
    _atomic(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=2, default=json_default) + "\n", encoding="utf-8"))


def finalise(out: Path, n_chunks: int, params: list[str]) -> int:
    """Give every part file one schema (columns a chunk never produced are added as nulls, in one order), so the
    folder reads as one table. Returns the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = [part_path(out, k) for k in range(n_chunks)]
    schemas = [pq.read_schema(p) for p in parts]
    merged = pa.unify_schemas(schemas, promote_options="permissive")
    first = [n for n in ("point", *params, "iteration", "element") if n in merged.names]
    unified = pa.schema([merged.field(n) for n in first] + [f for f in merged if f.name not in first])
    rows = 0
    for p, schema in zip(parts, schemas, strict=True):
        meta = pq.read_metadata(p)
        rows += meta.num_rows
        if schema.equals(unified):
            continue
        table = pq.read_table(p)
        cols = [table.column(f.name).cast(f.type) if f.name in table.column_names else
                pa.nulls(table.num_rows, f.type) for f in unified]
        write_table(p, pa.Table.from_arrays(cols, schema=unified))
    return rows


def existing_state(out: Path, digest: str, resume: bool) -> dict | None:
    """The existing manifest when resuming the sweep of this ``digest``; None for a new or empty folder.
    Refuses anything else (another sweep, other files, another package version, a finished or stopped run of
    this sweep without ``resume``)."""
    check_out_dir(str(out))
    if not out.exists():
        return None
    entries = [e for e in out.iterdir() if not (e.name.startswith(".") and e.name.endswith(".tmp"))]
    if not entries:
        return None
    manifest = out / MANIFEST
    if not manifest.exists():
        raise InvalidParameterError(f"The '--out' folder {str(out)!r} is not empty and holds no sweep "
                                    f"({MANIFEST} is missing): choose a new or empty folder.")
    try:
        old = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InvalidParameterError(f"The '--out' folder {str(out)!r} has an unreadable {MANIFEST}: choose a new "
                                    "folder.") from None
    if old.get("spec_digest") != digest:
        raise InvalidParameterError(
            f"The '--out' folder {str(out)!r} holds a different sweep (family {old.get('spec', {}).get('family')}, "
            f"{old.get('points')} points, another spec): choose a new folder, or delete that one.")
    if old.get("package_version") != __version__:
        raise InvalidParameterError(
            f"The '--out' folder {str(out)!r} was written by model_collapse {old.get('package_version')} (this is "
            f"{__version__}): resume with that version, or start a new folder.")
    if not resume:
        done = sum(1 for k in range(old.get("chunks", 0)) if part_path(out, k).exists())
        raise InvalidParameterError(
            f"The '--out' folder {str(out)!r} already holds this sweep ({done} of {old.get('chunks')} chunks done, "
            f"status {old.get('status')}): pass --resume to finish it, or choose a new folder.")
    return old


def read_sweep(out: str | os.PathLike):
    """The table at ``out`` (``pandas.read_parquet(out)``) sorted by point (and iteration), index 0..rows−1."""
    import pandas as pd

    df = pd.read_parquet(out)
    keys = [k for k in OWN if k in df.columns]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)

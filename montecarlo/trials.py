"""Monte-Carlo estimates, explicit reproducible randomness, and how trials are executed.

- :class:`MCEstimate`: mean, standard error of the mean (sample std, ddof = 1, over √n_trials) and trial
  count; every simulator's result fields are MCEstimates.
- :func:`trial_generators`: one ``numpy.random.Generator`` per trial, the i-th built from the i-th child
  of ``numpy.random.SeedSequence(seed)`` (exactly what ``SeedSequence.spawn`` returns, created lazily so a
  huge trial count costs nothing up front). A trial uses only its own generator, so its numbers do not
  depend on how trials are batched or spread over workers; the same seed gives bit-identical output.
  ``seed`` is a non-negative int or a ``SeedSequence`` (figures and sweeps pass
  ``SeedSequence(seed, spawn_key=(panel, point))``); no global RNG state, no arithmetic on seeds.
- :func:`batches`, :func:`parallel_map`: how trials are grouped and spread over threads. Both read the
  :func:`execution` settings, so a test (or a user) can force one trial per batch, or one or many
  workers, and check that the numbers do not change. BLAS is capped at one thread inside every simulator
  (:func:`single_threaded_blas`): many small BLAS calls that each spawn threads are ~100× slower when the
  cores are busy.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from model_collapse.arrays import plain
from threadpoolctl import threadpool_limits

__all__ = [
    "MCEstimate",
    "Progress",
    "estimate",
    "trial_generators",
    "batches",
    "trial_chunks",
    "parallel_map",
    "map_trials",
    "execution",
    "point_seed",
    "single_threaded_blas",
    "blas_capped",
]

#: Optional progress callback: called as ``progress(done, total)`` after each batch of trials.
Progress = Callable[[int, int], None] | None

_BATCH_FLOATS = contextvars.ContextVar("batch_floats", default=2.0e7)
_WORKERS = contextvars.ContextVar("workers", default=None)


@dataclass(frozen=True)
class MCEstimate:
    """Mean over trials, its standard error (sample std with ddof=1 over sqrt(n_trials)), trial count."""

    mean: float | np.ndarray
    sem: float | np.ndarray
    n_trials: int

    @property
    def se(self) -> float | np.ndarray:
        """The standard error of the mean (same as ``sem``)."""
        return self.sem

    def as_dict(self) -> dict:
        return {"mean": plain(self.mean), "se": plain(self.sem)}


def estimate(samples: np.ndarray, axis: int = 0) -> MCEstimate:
    """:class:`MCEstimate` of per-trial ``samples`` along ``axis`` (SE is 0 for a single trial)."""
    samples = np.asarray(samples, dtype=float)
    k = samples.shape[axis]
    # Scale before squaring deviations: values near 1e-200 (a collapsed determinant) would underflow
    # to a zero standard error otherwise.
    scale = np.max(np.abs(samples), axis=axis, keepdims=True)
    scale = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
    scaled = samples / scale
    mean = scaled.mean(axis=axis) * np.squeeze(scale, axis=axis)
    sem = (scaled.std(axis=axis, ddof=1) * np.squeeze(scale, axis=axis) / np.sqrt(k)) if k > 1 else np.zeros_like(mean)
    if np.ndim(mean) == 0:
        mean, sem = float(mean), float(sem)
    return MCEstimate(mean=mean, sem=sem, n_trials=int(k))


def as_seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    """``seed`` as a SeedSequence (an int ≥ 0 of any size, or a SeedSequence passed through)."""
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))


def point_seed(seed: int | np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """An independent stream for one panel / grid point: ``SeedSequence(seed, spawn_key=key)``.

    ``key`` is the point's identity (non-negative integers, e.g. its indices in the figure or sweep grid), so
    streams never collide across points or seeds, unlike arithmetic such as ``seed * 1000 + i``.
    """
    ss = as_seed_sequence(seed)
    return np.random.SeedSequence(ss.entropy, spawn_key=ss.spawn_key + tuple(int(k) for k in key),
                                  pool_size=ss.pool_size)


class TrialGenerators:
    """Lazy sequence of per-trial generators: item i is ``default_rng(SeedSequence(seed).spawn(...)[i])``.

    Built on demand, identical to spawning them all at once, and handed out **once**: trial i draws all its
    numbers from the one generator it receives (a simulator takes a batch's generators at the start of the
    batch, ``rngs[start:stop]``, and keeps them for the batch). Asking for the same trial twice raises
    ``RuntimeError`` instead of silently restarting its stream. Nothing is cached, so memory stays bounded at
    any trial count, and the object is safe to share between the threads of :func:`parallel_map` (the
    hand-out record is guarded by a lock; building a generator is a pure function of (seed, i)).
    """

    def __init__(self, seed: int | np.random.SeedSequence, n_trials: int):
        self._ss = as_seed_sequence(seed)
        self._n = int(n_trials)
        self._first = self._ss.n_children_spawned
        self._given = bytearray((self._n + 7) // 8)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        i = int(i)
        if not 0 <= i < self._n:
            raise IndexError(i)
        byte, bit = divmod(i, 8)
        with self._lock:
            if self._given[byte] >> bit & 1:
                raise RuntimeError(f"the generator of trial {i} was already handed out: take it once and keep it "
                                   "for the whole trial")
            self._given[byte] |= 1 << bit
        child = np.random.SeedSequence(self._ss.entropy, spawn_key=self._ss.spawn_key + (self._first + i,),
                                       pool_size=self._ss.pool_size)
        return np.random.default_rng(child)

    def __iter__(self) -> Iterator[np.random.Generator]:
        return (self[i] for i in range(self._n))


def trial_generators(seed: int | np.random.SeedSequence, n_trials: int) -> TrialGenerators:
    """One independent generator per trial, the children of ``SeedSequence(seed)`` in order."""
    return TrialGenerators(seed, n_trials)


@contextlib.contextmanager
def execution(*, workers: int | None = None, batch_floats: float | None = None):
    """Set how trials are executed inside the block: ``workers`` threads (None = one per core) and the
    batch budget in doubles (``batch_floats=1`` puts one trial in each batch). Results do not change."""
    tokens = []
    if workers is not None:
        tokens.append((_WORKERS, _WORKERS.set(int(workers))))
    if batch_floats is not None:
        tokens.append((_BATCH_FLOATS, _BATCH_FLOATS.set(float(batch_floats))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def worker_count(items: int) -> int:
    """Threads to use for ``items`` independent tasks under the current :func:`execution` settings."""
    chosen = _WORKERS.get()
    return max(1, min(chosen if chosen is not None else (os.cpu_count() or 1), items))


def batches(n_trials: int, per_trial_floats: float, budget_floats: float | None = None) -> Iterator[range]:
    """Consecutive batches of ``range(n_trials)`` that keep ~``budget_floats`` doubles alive (streamed)."""
    budget = _BATCH_FLOATS.get() if budget_floats is None else budget_floats
    size = max(1, int(budget // max(per_trial_floats, 1.0)))
    return (range(i, min(i + size, n_trials)) for i in range(0, n_trials, size))


def trial_chunks(n_trials: int, per_trial_floats: float) -> list[range]:
    """Consecutive chunks of ``range(n_trials)`` to spread over :func:`parallel_map`: at least one per worker
    (so a few heavy trials still use every core), each within its share of the batch budget (the workers'
    chunks together keep ~``batch_floats`` doubles alive). The numbers do not depend on the chunking."""
    workers = worker_count(n_trials)
    budget = _BATCH_FLOATS.get() / workers
    size = max(1, min(int(budget // max(per_trial_floats, 1.0)), -(-n_trials // workers)))
    return [range(i, min(i + size, n_trials)) for i in range(0, n_trials, size)]


def single_threaded_blas():
    """Context manager: BLAS/OpenMP pools limited to one thread (threadpoolctl)."""
    return threadpool_limits(limits=1)


def blas_capped(fn: Callable) -> Callable:
    """Decorator: run ``fn`` under :func:`single_threaded_blas` (every simulator's entry point uses it)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with single_threaded_blas():
            return fn(*args, **kwargs)

    return wrapper


def parallel_map(fn: Callable, items: Iterable) -> Iterator:
    """fn(item) for each item, in order, on :func:`worker_count` threads with single-threaded BLAS.

    Each trial uses only its own generator, so the output is identical to a serial run. numpy's random
    fills and BLAS calls release the GIL: this roughly halves the wall time on two cores, and avoids
    multi-threaded BLAS on small matrices (which degrades badly when other processes share the cores).
    """
    items = list(items)
    workers = worker_count(len(items))
    with single_threaded_blas():
        if workers <= 1:
            yield from (fn(x) for x in items)
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            yield from pool.map(fn, items)


def map_trials(fn: Callable[[int], object], n_trials: int) -> Iterator:
    """fn(0), fn(1), …, fn(n_trials − 1) through :func:`parallel_map`, in chunks (streamed)."""
    chunk = 4096
    for start in range(0, n_trials, chunk):
        yield from parallel_map(fn, range(start, min(start + chunk, n_trials)))

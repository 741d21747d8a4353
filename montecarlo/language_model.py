"""Monte-Carlo twin of :mod:`theory.language_model`: one context's next-token law refitted on its own samples.

The experiment is the paper's (Seddik et al., §2.2 and §4.2; docs/theory.md §6), simulated on token counts.
Generation 1 counts N real tokens drawn from the law p; generation m ≥ 2 counts

- ``fully-synthetic``: n tokens drawn from p⁽ᵐ⁻¹⁾;
- ``partially-synthetic``: the same N real tokens plus n fresh tokens drawn from p⁽ᵐ⁻¹⁾;
- ``accumulate``: the N real tokens and every synthetic token so far (n drawn from each generation);
- ``accumulate-subsample``: n tokens drawn without replacement from that pool (one run at a time: a
  multivariate hypergeometric draw per generation; a Dirac subsample is not absorbing here);
- ``recent-window`` (``window`` = K): n fresh tokens from each of the models max(0, m − K)..m − 1, model 0
  being the true law p; ``random-past``: n fresh tokens from the mixture of the models 0..m − 1 (each token
  from a uniformly drawn past model). One run at a time; a Dirac model is not absorbing in either.

Per generation the simulator records σ_m = ‖p⁽ᵐ⁾‖₂², the deviation ‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ and whether p⁽ᵐ⁾ is a
Dirac mass. Under ``fully-synthetic`` it also runs every chain on, past the last requested generation,
until it is absorbed (collapse time T and the token it is absorbed at), **stopping at ``max_generations``**
in any case: a run still alive there is counted as censored (T is then a lower bound, and a warning says
so). A collapsed chain is frozen (it can never leave its Dirac mass under any of the three workflows), so
it costs nothing afterwards; the other workflows never collapse for good unless p⁽¹⁾ does, and they run
exactly the requested number of generations: the loop always ends.

Sampling (exact, vectorised over runs): a model is a vector of integer counts C with total c (the same c
for every run at a given generation), and n tokens from C/c are n uniform integers in [0, c) located in
the cumulative counts, for all runs at once with one ``searchsorted`` on the runs' concatenated, offset
cumulative counts, then one ``bincount``. Only the support of p is carried (zero-probability tokens are
never drawn). Generation 1 uses ``Generator.multinomial`` (the law p is real-valued).

Randomness: one generator per run from ``SeedSequence(seed)``. A run's generator first draws its N real
tokens, then blocks of ``_chunk(n)`` generations of n integers each, always full blocks, so a run's numbers
depend neither on the batching of runs nor on the number of generations requested (a longer simulation
extends a shorter one).

The law: :func:`law` builds the canonical law for (S₀, s̃, s) used by :func:`simulate` (geometric
weights on the first s̃ tokens, ratio solved so that ‖p‖² = S₀); :func:`trajectories` takes any law.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Real

import numpy as np
from model_collapse.arrays import iterations
from model_collapse.montecarlo.trials import MCEstimate, Progress, blas_capped, estimate, trial_generators
from model_collapse.theory.language_model import (
    COUNT,
    GENERATION,
    SIZE,
    SQ_NORM,
    WINDOW,
    WORKFLOW,
    WORKFLOWS,
    check_setting,
)
from model_collapse.theory.lm_law import law  # the canonical law (a deterministic construction; re-exported)
from model_collapse.validation import (
    POSITIVE_INT,
    SEED,
    Interval,
    InvalidParameterError,
    Options,
    check_param,
    renamed,
    validate,
)

__all__ = ["WORKFLOWS", "MAX_GENERATIONS", "LMEstimate", "law", "trajectories", "simulate", "default_text",
           "NgramTable", "ngram_table", "NgramEstimate", "ngram_experiment", "COUNT_BINS", "simulate_family"]

MAX_GENERATIONS = 100_000  # default stopping rule of the collapse-time run (fully synthetic)
_CHUNK_TOKENS = 2**12  # integers drawn per run per block of generations
_BATCH_TOKENS = 2**22  # integers alive per batch of runs


def _check_seed(seed, where: str) -> None:
    """``seed``: a non-negative int or a ``numpy.random.SeedSequence`` (figures pass one per panel/point)."""
    check_param("seed", seed, SEED, where)


def _chunk(n: int) -> int:
    """Generations per block of random integers: a function of n only (see the module docstring)."""
    return max(1, _CHUNK_TOKENS // n)


def _sample(C: np.ndarray, total: int, u: np.ndarray) -> np.ndarray:
    """Counts of the tokens C/total picked by the uniform integers u ∈ [0, total) (rows: runs)."""
    rows, k = C.shape
    offset = (np.arange(rows, dtype=np.int64) * total)[:, None]
    cum = (np.cumsum(C, axis=1) + offset).ravel()
    idx = np.searchsorted(cum, (u + offset).ravel(), side="right")
    return np.bincount(idx, minlength=rows * k).reshape(rows, k)


def _totals(workflow: str, real: int, synthetic: int, gens: np.ndarray) -> np.ndarray:
    """Total token count of generation g's model: N at g = 1; then n, N + n or N + (g − 1)n."""
    gens = np.asarray(gens, dtype=np.int64)
    if workflow == "fully-synthetic":
        later = np.full(gens.shape, synthetic, dtype=np.int64)
    elif workflow == "partially-synthetic":
        later = np.full(gens.shape, real + synthetic, dtype=np.int64)
    else:
        later = real + (gens - 1) * synthetic
    return np.where(gens == 1, real, later).astype(np.int64)


def _subsample_run(q, real, synthetic, generations, rng):
    """One accumulate-subsample run (no vectorisation: each generation needs a draw without replacement).

    The pool is kept as token counts (block membership does not matter for the model): the new block of n
    tokens from model g − 1 is added, then model g fits n tokens drawn without replacement from the pool
    (multivariate hypergeometric on the pool counts). A Dirac subsample is not absorbing here.
    """
    C1 = rng.multinomial(real, q)
    p1 = C1 / real
    pool = C1.astype(np.int64)
    probs = p1
    sq, dev, dirac = np.empty(generations), np.empty(generations), np.empty(generations, dtype=bool)
    sq[0], dev[0], dirac[0] = p1 @ p1, 0.0, C1.max() == real
    for g in range(2, generations + 1):
        pool = pool + rng.multinomial(synthetic, probs)
        sub = rng.multivariate_hypergeometric(pool, synthetic)
        probs = sub / synthetic
        sq[g - 1], dev[g - 1], dirac[g - 1] = probs @ probs, np.abs(probs - p1).sum(), sub.max() == synthetic
    return sq, dev, dirac


def _variant_run(q, real, synthetic, generations, rng, workflow, window):
    """One recent-window or random-past run: fresh tokens from past models (model 0 = the true law q)."""
    C1 = rng.multinomial(real, q)
    p1 = C1 / real
    sq, dev, dirac = np.empty(generations), np.empty(generations), np.empty(generations, dtype=bool)
    sq[0], dev[0], dirac[0] = p1 @ p1, 0.0, C1.max() == real
    models = {0: q, 1: p1}  # recent-window: the models a window can still use
    mix = q + p1  # random-past: Σ_{t<g} p⁽ᵗ⁾
    for g in range(2, generations + 1):
        if workflow == "recent-window":
            W = [t for t in sorted(models) if t >= g - window]
            counts = sum(rng.multinomial(synthetic, models[t]) for t in W)
            pg = counts / (len(W) * synthetic)
            models = {t: v for t, v in models.items() if t >= g + 1 - window}
            models[g] = pg
        else:
            counts = rng.multinomial(synthetic, np.minimum(mix / g, 1.0))
            pg = counts / synthetic
            mix = mix + pg
        sq[g - 1], dev[g - 1], dirac[g - 1] = pg @ pg, np.abs(pg - p1).sum(), counts.max() == counts.sum()
    return sq, dev, dirac


def _run_batch(q, real, synthetic, generations, workflow, rngs, follow, max_generations, models=None):
    """One batch of runs: metric arrays (runs, generations) and, if ``follow``, collapse times and tokens.
    ``models`` (optional array (runs, generations, support)) receives every generation's law."""
    b = len(rngs)
    C1 = np.stack([g.multinomial(real, q) for g in rngs]).astype(np.int64)
    C = C1.copy()
    p1 = C1 / real
    sq = np.empty((b, generations))
    dev = np.empty((b, generations))
    dirac = np.empty((b, generations), dtype=bool)
    sq[:, 0] = np.sum(p1**2, axis=1)
    dev[:, 0] = 0.0
    if models is not None:
        models[:, 0] = p1
    collapsed = C1.max(axis=1) == real
    dirac[:, 0] = collapsed
    T = np.where(collapsed, 1, 0).astype(np.int64)
    last = max_generations if follow else generations
    ch = _chunk(synthetic)
    gen = 2
    while gen <= last and not (gen > generations and collapsed.all()):
        block = np.arange(gen, gen + ch)  # always a full block (reproducibility)
        highs = _totals(workflow, real, synthetic, block - 1)  # the model each generation samples from
        totals = _totals(workflow, real, synthetic, block)
        alive = np.flatnonzero(~collapsed)
        draws = np.zeros((b, ch, synthetic), dtype=np.int64)
        for i in alive:
            draws[i] = rngs[i].integers(0, highs[:, None], size=(ch, synthetic), dtype=np.int64)
        for j, g in enumerate(block):
            if g > last or (g > generations and collapsed.all()):
                break
            act = np.flatnonzero(~collapsed)
            if act.size:
                X = _sample(C[act], int(highs[j]), draws[act, j])
                if workflow == "fully-synthetic":
                    C[act] = X
                elif workflow == "partially-synthetic":
                    C[act] = C1[act] + X
                else:
                    C[act] += X
                total = int(totals[j])
                now = C[act].max(axis=1) == total
                T[act[now]] = g
                collapsed[act[now]] = True
                if g <= generations:
                    pm = C[act] / total
                    sq[act, g - 1] = np.sum(pm**2, axis=1)
                    dev[act, g - 1] = np.sum(np.abs(pm - p1[act]), axis=1)
                    if models is not None:
                        models[act, g - 1] = pm
            if g <= generations:  # frozen (collapsed earlier) runs keep their values
                frozen = np.setdiff1d(np.arange(b), act, assume_unique=True)
                sq[frozen, g - 1] = sq[frozen, g - 2]
                dev[frozen, g - 1] = dev[frozen, g - 2]
                if models is not None:
                    models[frozen, g - 1] = models[frozen, g - 2]
                dirac[:, g - 1] = collapsed
        gen += ch
    token = np.where(collapsed, np.argmax(C, axis=1), -1)
    return sq, dev, dirac, T, token, collapsed


@renamed(generations="t")
@validate(real=COUNT, synthetic=COUNT, t=GENERATION, workflow=WORKFLOW, n_trials=POSITIVE_INT,
          seed=None, max_generations=POSITIVE_INT, window=WINDOW)
def trajectories(p, real: int, synthetic: int, t: int, *, workflow: str = "fully-synthetic",
                 window: int | None = None, n_trials: int = 100, seed=0, max_generations: int = MAX_GENERATIONS,
                 keep_models: bool = False, progress: Progress = None) -> dict[str, np.ndarray | None]:
    """Per-run trajectories for an explicit law ``p`` (weights over the vocabulary; normalised here).

    Returns ``sq_norm``, ``deviation`` (‖p⁽ᵐ⁾ − p⁽¹⁾‖₁) and ``collapsed`` as arrays (n_trials, t) for generations 1..m,
    m = ``t`` (SED's m; t = 1 is the fit on the real tokens); under ``fully-synthetic`` also ``collapse_time`` (T
    per run, run until absorption or ``max_generations``), ``token`` (the vocabulary index it is absorbed at, −1 if
    censored) and ``censored`` (bool per run); these three are None for the other workflows (partially synthetic and
    accumulate never collapse unless p⁽¹⁾ does; in accumulate-subsample, random-past and recent-window a Dirac model
    is not absorbing, so T is not followed there). ``window`` (K) is required by recent-window. ``keep_models=True``
    (fully synthetic, partially synthetic, accumulate) adds ``models``: every generation's law, an array (n_trials,
    t, vocabulary size) (e.g. for simplex plots). Same ``seed`` gives identical output.
    """
    _check_seed(seed, "trajectories")
    if workflow == "recent-window" and window is None:
        raise InvalidParameterError.of("window", "trajectories", "is required for workflow "
                                    "'recent-window' (an int >= 1). Got None instead.")
    w = np.asarray(p, dtype=float)
    if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InvalidParameterError.of("p", "trajectories", "must be a 1-D array of non-negative finite "
                                    "weights with a positive sum.")
    if np.ndim(t) != 0:
        raise InvalidParameterError.of("t", "trajectories", "must be a single int (the last generation m).")
    t = int(t)
    follow = workflow == "fully-synthetic"
    if follow and max_generations < t:
        raise InvalidParameterError.of("max_generations", "trajectories", f"must be at least t = {t}. Got "
                                    f"{max_generations} instead.")
    keep = np.flatnonzero(w > 0)
    q = w[keep] / w[keep].sum()
    rngs = trial_generators(seed, n_trials)
    per_run = _chunk(synthetic) * synthetic + t * 3
    size = max(1, _BATCH_TOKENS // per_run)
    out = {k: [] for k in ("sq_norm", "deviation", "collapsed", "collapse_time", "token", "censored")}
    done = 0
    if keep_models and workflow in ("accumulate-subsample", "recent-window", "random-past"):
        raise InvalidParameterError.of("keep_models", "trajectories", "is offered for fully-synthetic, "
                                    f"partially-synthetic and accumulate only. Got True with {workflow!r}.")
    if workflow in ("accumulate-subsample", "recent-window", "random-past"):
        runs = []
        for i, rng in enumerate(rngs):
            if workflow == "accumulate-subsample":
                runs.append(_subsample_run(q, real, synthetic, t, rng))
            else:
                runs.append(_variant_run(q, real, synthetic, t, rng, workflow, window))
            if progress is not None and ((i + 1) % 64 == 0 or i + 1 == n_trials):
                progress(i + 1, n_trials)
        return {"sq_norm": np.stack([r[0] for r in runs]), "deviation": np.stack([r[1] for r in runs]),
                "collapsed": np.stack([r[2] for r in runs]), "collapse_time": None, "token": None, "censored": None}
    for start in range(0, n_trials, size):
        batch = rngs[start : start + size]
        kept = np.zeros((len(batch), t, q.size)) if keep_models else None
        sq, dev, dirac, T, token, collapsed = _run_batch(q, real, synthetic, t, workflow, batch, follow,
                                                         max_generations, kept)
        if keep_models:
            full = np.zeros((len(batch), t, w.size))
            full[:, :, keep] = kept
            out.setdefault("models", []).append(full)
        out["sq_norm"].append(sq)
        out["deviation"].append(dev)
        out["collapsed"].append(dirac)
        out["collapse_time"].append(np.where(collapsed, T, max_generations))
        out["token"].append(np.where(collapsed, keep[np.maximum(token, 0)], -1))
        out["censored"].append(~collapsed)
        done += len(batch)
        if progress is not None:
            progress(done, n_trials)
    res = {k: np.concatenate(v) for k, v in out.items()}
    if not follow:
        res["collapse_time"] = res["token"] = res["censored"] = None
    return res


@dataclass(frozen=True)
class LMEstimate:
    """Mean ± SE over runs at the requested generation(s) (the shape of ``t``).

    ``sq_norm`` is the twin of the prediction's S_m. The rest are simulation diagnostics without a closed-form
    field of the same name: ``collapse_prob`` (fraction of runs collapsed by generation m; the theory gives
    the Theorem 1 bounds ``collapse_prob_lower``/``_upper``) and ``collapse_time`` (E[T], fully synthetic only;
    bounds ``collapse_time_lower``/``_upper``), ``deviation`` (E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁), ``absorption`` (fraction of
    runs absorbed at each vocabulary token; Proposition 1 says p), ``censored`` (runs still alive at
    ``max_generations``; their T counts as max_generations).
    """

    sq_norm: MCEstimate
    collapse_prob: MCEstimate | None
    collapse_time: MCEstimate | None
    deviation: MCEstimate
    absorption: MCEstimate | None
    censored: int
    n_trials: int

    def as_dict(self) -> dict:
        """name -> {"mean", "se"} (lists when ``t`` is an array); None fields are left out."""
        return {k: getattr(self, k).as_dict() for k in ("sq_norm", "collapse_prob", "collapse_time", "deviation")
                if getattr(self, k) is not None}


@renamed(generations="t")
@validate(workflow=WORKFLOW, real=COUNT, synthetic=COUNT, t=GENERATION, s0=SQ_NORM, support=SIZE,
          vocab=SIZE, window=WINDOW, n_trials=POSITIVE_INT, seed=None, max_generations=POSITIVE_INT)
@blas_capped
def simulate(workflow: str, real: int, synthetic: int, t, s0: float, support: int | None = None,
             vocab: int | None = None, window: int | None = None, *, n_trials: int = 100, seed=0,
             max_generations: int = MAX_GENERATIONS, progress: Progress = None) -> LMEstimate:
    """Mean ± SE over ``n_trials`` runs at generation(s) m = ``t`` (SED's m; t = 1 is the fit on the real tokens;
    an int or an array; each run goes to max m) for the canonical law :func:`law` (s0, support, vocab). Same
    keywords as :func:`theory.language_model.predict` plus ``n_trials``, ``seed``, ``max_generations`` (the
    stopping rule of the collapse-time run) and ``progress``. Needs ``support`` or ``vocab``.
    """
    check_setting(s0, support, vocab, "simulate")
    _check_seed(seed, "simulate")
    if support is None and vocab is None:
        raise InvalidParameterError("simulate needs 'support' or 'vocab' to build the law; got neither.")
    p = law(s0, support, vocab)
    its = iterations(t)
    tr = trajectories(p, real, synthetic, int(its.max()), workflow=workflow, window=window, n_trials=n_trials,
                      seed=seed, max_generations=max_generations, progress=progress)

    def at(x):
        e = estimate(np.asarray(x, dtype=float)[:, its - 1], axis=0)
        if np.ndim(t) == 0:
            return MCEstimate(float(e.mean[0]), float(e.sem[0]), e.n_trials)
        return MCEstimate(e.mean.reshape(np.shape(t)), e.sem.reshape(np.shape(t)), e.n_trials)

    sq = at(tr["sq_norm"])
    dev = at(tr["deviation"])
    rho = time = absorption = None
    censored = 0
    if workflow == "fully-synthetic":
        rho = at(tr["collapsed"])
        censored = int(tr["censored"].sum())
        if censored:
            warnings.warn(f"{censored} of {n_trials} runs had not collapsed by max_generations = {max_generations}; "
                          "their collapse time counts as max_generations (the estimate is a lower bound).",
                          stacklevel=2)
        time = estimate(tr["collapse_time"].astype(float), axis=0)
        hits = np.zeros((n_trials, p.size))
        ok = tr["token"] >= 0
        hits[np.flatnonzero(ok), tr["token"][ok]] = 1.0
        absorption = estimate(hits, axis=0)
    return LMEstimate(
        sq_norm=sq,
        collapse_prob=rho,
        collapse_time=time,
        deviation=dev,
        absorption=absorption,
        censored=censored,
        n_trials=int(n_trials),
    )


# --------------------------------------------------------------------------------------------------
# Real text: a character n-gram model (one next-token law per context, the paper's statistical model)
# --------------------------------------------------------------------------------------------------

COUNT_BINS = ((1, 1), (2, 3), (4, 9), (10, 99), (100, None))  # real counts of a (context, token) type


def default_text() -> str:
    """The default corpus: the Python Language Reference topics that ship with every CPython
    (``pydoc_data.topics``, PSF licence; about 465,000 characters of English technical prose in 3.11),
    joined in sorted topic order. No download; pass your own text to :func:`ngram_table` instead."""
    import pydoc_data.topics as topics

    return "\n".join(topics.topics[k] for k in sorted(topics.topics))


@dataclass(frozen=True)
class NgramTable:
    """Counts of a character n-gram model: ``counts[j, i]`` = times token i followed context j in the
    training part; ``held_context``/``held_token`` index the held-out positions whose context was seen in
    training; ``alphabet`` lists the tokens (characters)."""

    counts: np.ndarray
    held_context: np.ndarray
    held_token: np.ndarray
    alphabet: str
    order: int


@validate(order=POSITIVE_INT, held_out=Interval(Real, 0, 1, closed="neither"))
def ngram_table(text: str | None = None, *, order: int = 2, held_out: float = 0.1) -> NgramTable:
    """Fit the character n-gram model (context = the previous ``order`` characters) on the first
    1 − ``held_out`` of ``text`` (default :func:`default_text`); the rest is the held-out text. Contexts
    never seen in training are dropped (from the held-out positions too)."""
    text = default_text() if text is None else text
    if not isinstance(text, str) or len(text) < 10 * (order + 1):
        raise InvalidParameterError.of("text", "ngram_table", "must be a string of at least "
                                    f"{10 * (order + 1)} characters.")
    alphabet = "".join(sorted(set(text)))
    lookup = {c: i for i, c in enumerate(alphabet)}
    a = np.fromiter((lookup[c] for c in text), dtype=np.int64, count=len(text))
    s = len(alphabet)
    cut = int(round((1.0 - held_out) * a.size))

    def contexts(x):
        ctx = np.zeros(x.size - order, dtype=np.int64)
        for k in range(order):
            ctx = ctx * s + x[k : x.size - order + k]
        return ctx, x[order:]

    ctx, nxt = contexts(a[:cut])
    keys, inverse = np.unique(ctx, return_inverse=True)
    counts = np.zeros((keys.size, s), dtype=np.int64)
    np.add.at(counts, (inverse, nxt), 1)
    hctx, hnxt = contexts(a[cut:])
    pos = np.searchsorted(keys, hctx)
    seen = (pos < keys.size) & (keys[np.minimum(pos, keys.size - 1)] == hctx)
    return NgramTable(counts, pos[seen], hnxt[seen], alphabet, int(order))


@dataclass(frozen=True)
class NgramEstimate:
    """Mean ± SE over runs at generations 1..m of the n-gram experiment (:func:`ngram_experiment`); ``t`` = 1..m
    (SED's m; t = 1 is the fit on the real tokens).

    ``sq_norm`` and ``deviation``: Σ_j w_j σ_j and Σ_j w_j ‖p_j⁽ᵐ⁾ − p_j⁽¹⁾‖₁ with w_j the context's share of
    the training tokens; ``heldout_loss``: cross-entropy of the held-out text (nats per character) under
    the add-δ smoothed model; ``types_lost``: fraction of the real model's (context, token) pairs whose
    count is 0; ``lost_by_count``: the same per real-count bin :data:`COUNT_BINS` (arrays (bins, m)).
    """

    t: np.ndarray
    sq_norm: MCEstimate
    deviation: MCEstimate
    heldout_loss: MCEstimate
    types_lost: MCEstimate
    lost_by_count: MCEstimate
    first_sq_norms: np.ndarray
    real_counts: np.ndarray
    synthetic_counts: np.ndarray
    n_trials: int


@renamed(generations="t")
@validate(t=GENERATION, workflow=Options(("fully-synthetic", "partially-synthetic", "accumulate")),
          synthetic_ratio=Interval(Real, 0, None, closed="neither"),
          smoothing=Interval(Real, 0, None, closed="neither"), n_trials=POSITIVE_INT, seed=None)
def ngram_experiment(table: NgramTable, *, t: int = 10, workflow: str = "fully-synthetic",
                     synthetic_ratio: float = 1.0, smoothing: float = 0.01, n_trials: int = 5, seed=0,
                     progress: Progress = None) -> NgramEstimate:
    """Retrain a real-text n-gram model on its own samples, one next-token law per context (the paper's
    statistical model applied context by context, each context keeping its own counts), for generations 1..m,
    m = ``t`` (SED's m; t = 1 is the fit on the real tokens).

    Generation 1 is the model fitted on the real text (deterministic: p_j⁽¹⁾ = counts_j/N_j). Generation
    m ≥ 2 per context j: ``fully-synthetic``: n_j tokens from p_j⁽ᵐ⁻¹⁾; ``partially-synthetic``: the N_j real
    tokens plus n_j fresh ones; ``accumulate``: the real tokens plus all synthetic ones so far; with
    n_j = max(1, round(``synthetic_ratio``·N_j)). All contexts are drawn at once (one multinomial call per
    generation). Exact theory for the weighted σ: Σ_j w_j·:func:`theory.language_model.sq_norm_given_first`.
    """
    _check_seed(seed, "ngram_experiment")
    C1 = table.counts
    N = C1.sum(axis=1)
    n = np.maximum(1, np.round(synthetic_ratio * N)).astype(np.int64)
    w = N / N.sum()
    p1 = C1 / N[:, None]
    real_types = C1 > 0
    bins = [(C1 >= lo) & (C1 <= (hi if hi is not None else np.inf)) for lo, hi in COUNT_BINS]
    m = int(t)
    out = {k: np.empty((n_trials, m)) for k in ("sq_norm", "deviation", "heldout_loss", "types_lost")}
    lost = np.empty((n_trials, len(COUNT_BINS), m))
    s = C1.shape[1]
    for i, rng in enumerate(trial_generators(seed, n_trials)):
        C = C1.copy()
        for g in range(1, m + 1):
            if g > 1:
                total = C.sum(axis=1)
                X = rng.multinomial(n, C / total[:, None])
                C = X if workflow == "fully-synthetic" else (C1 + X if workflow == "partially-synthetic" else C + X)
            total = C.sum(axis=1)
            pm = C / total[:, None]
            out["sq_norm"][i, g - 1] = w @ np.sum(pm**2, axis=1)
            out["deviation"][i, g - 1] = w @ np.sum(np.abs(pm - p1), axis=1)
            smooth = (C[table.held_context, table.held_token] + smoothing) / (total[table.held_context] + smoothing * s)
            out["heldout_loss"][i, g - 1] = -np.mean(np.log(smooth))
            gone = real_types & (C == 0)
            out["types_lost"][i, g - 1] = gone.sum() / real_types.sum()
            for b, mask in enumerate(bins):
                lost[i, b, g - 1] = (gone & mask).sum() / max(mask.sum(), 1)
        if progress is not None:
            progress(i + 1, n_trials)
    firsts = np.sum(p1**2, axis=1)
    return NgramEstimate(
        t=np.arange(1, m + 1),
        sq_norm=estimate(out["sq_norm"], axis=0),
        deviation=estimate(out["deviation"], axis=0),
        heldout_loss=estimate(out["heldout_loss"], axis=0),
        types_lost=estimate(out["types_lost"], axis=0),
        lost_by_count=estimate(lost, axis=0),
        first_sq_norms=firsts,
        real_counts=N,
        synthetic_counts=n,
        n_trials=int(n_trials),
    )


# --------------------------------------------------------------------------------------------------
# π²/6 beyond Gaussians: exponential families refitted on their own samples
# --------------------------------------------------------------------------------------------------

_DEFAULT_THETA = {"bernoulli": 0.3, "poisson": 2.0, "exponential": 1.5}


@validate(family=Options(("bernoulli", "poisson", "exponential")), n=COUNT, t=GENERATION,
          workflow=Options(("accumulate", "replace")), theta=Interval(Real, 0, None, closed="neither"),
          n_trials=POSITIVE_INT, seed=None)
def simulate_family(family: str, n: int, t: int, *, workflow: str = "accumulate", theta: float | None = None,
                    n_trials: int = 1000, seed=0, progress: Progress = None) -> MCEstimate:
    """Mean ± SE over runs of (θ̂_k − θ)²/v₁ at fits k = 1..t (v₁ = θ(1 − θ)/n, θ/n, θ²/n: the real fit's
    risk), the twin of :func:`theory.language_model.family_risk_ratio` (same keywords plus ``theta`` (the
    true mean parameter: p, λ or μ; defaults 0.3, 2.0, 1.5), ``n_trials``, ``seed``).

    Fit 1 = the mean of n real points; fit k ≥ 2 adds n points drawn from fit k − 1 and refits on all of
    them (accumulate: θ̂_k = θ̂_{k−1} + (x̄_k − θ̂_{k−1})/k) or on the newest n (replace: θ̂_k = x̄_k). Only the
    block means are drawn, exactly: Binomial(n, θ̂)/n and Poisson(nθ̂)/n by inverse CDF of one uniform per
    block, θ̂·Gamma(n, 1)/n for the exponential. One generator per run draws its t variates at once; the
    recursion is vectorised over runs.
    """
    from scipy.stats import binom, poisson

    _check_seed(seed, "simulate_family")
    theta = float(_DEFAULT_THETA[family] if theta is None else theta)
    if family == "bernoulli" and not theta < 1.0:
        raise InvalidParameterError.of("theta", "simulate_family", "must be in (0, 1) for bernoulli. "
                                    f"Got {theta!r} instead.")
    t, n = int(t), int(n)
    rngs = trial_generators(seed, n_trials)
    if family == "exponential":
        V = np.stack([g.standard_gamma(n, size=t) for g in rngs]) / n
    else:
        V = np.maximum(np.stack([g.random(t) for g in rngs]), np.finfo(float).tiny)
    est = np.full(n_trials, theta)
    out = np.empty((n_trials, t))
    for k in range(1, t + 1):
        if family == "bernoulli":
            xbar = binom.ppf(V[:, k - 1], n, np.clip(est, 0.0, 1.0)) / n
        elif family == "poisson":
            xbar = np.where(est > 0, poisson.ppf(V[:, k - 1], np.maximum(n * est, 1e-300)), 0.0) / n
        else:
            xbar = est * V[:, k - 1]
        est = xbar if (k == 1 or workflow == "replace") else est + (xbar - est) / k
        out[:, k - 1] = (est - theta) ** 2
    v1 = {"bernoulli": theta * (1 - theta), "poisson": theta, "exponential": theta**2}[family] / n
    if progress is not None:
        progress(n_trials, n_trials)
    return estimate(out / v1, axis=0)

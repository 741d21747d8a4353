"""The family registry: one entry per model family, and the contract every entry obeys.

A family is a theory function (closed forms, ``model_collapse.theory.<module>.predict``) and its simulator
twin (``model_collapse.montecarlo.<module>.simulate``) with

- **the same keywords**: the simulator takes exactly the theory function's keywords, plus ``n_trials``,
  ``seed`` (an int ≥ 0 or a ``numpy.random.SeedSequence``), ``method`` where there is more than one, and
  ``progress``; any other difference is declared here (``theory_options``: numerical options of the closed
  form with no simulation meaning; ``simulator_options``: experiment options with no closed-form meaning);
- **the same field names**: both return frozen result objects; the theory's fields are numbers or arrays,
  the simulator's are :class:`model_collapse.montecarlo.trials.MCEstimate` (``mean``, ``sem``/``se``);
  ``as_dict()`` gives plain JSON-able values (simulation: ``{"mean", "se"}`` per field);
- **declarative validation**: bad parameters raise :class:`model_collapse.InvalidParameterError` naming the
  parameter and the allowed range (the constraints are attached to both functions).

Each entry also names its CLI word, its figures, a small reference setting at which the simulation runs in
about a second, the stated tolerance there (``|mean − theory| ≤ z·se + allowance·|theory|``; allowance 0
for exact laws) and a *perturbed* setting: the theory evaluated there expresses a plausible formula mistake
and must fail the same check. ``tests/test_family_contract.py`` runs one check suite over every entry, so a
new family is: its two modules, its CLI module, its figure, and one entry below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from model_collapse.montecarlo import gaussian_workflow as mc_gaussian
from model_collapse.montecarlo import iterative_retraining as mc_retrain
from model_collapse.montecarlo import kde_workflow as mc_kde
from model_collapse.montecarlo import language_model as mc_lm
from model_collapse.montecarlo import linreg_workflow as mc_linreg
from model_collapse.montecarlo import mixing as mc_mixing
from model_collapse.montecarlo import random_projections as mc_rp
from model_collapse.montecarlo import ridge_mixture as mc_ridge
from model_collapse.theory import gaussian_workflow as th_gaussian
from model_collapse.theory import iterative_retraining as th_retrain
from model_collapse.theory import kde_workflow as th_kde
from model_collapse.theory import language_model as th_lm
from model_collapse.theory import linreg_workflow as th_linreg
from model_collapse.theory import mixing as th_mixing
from model_collapse.theory import random_projections as th_rp
from model_collapse.theory import ridge_mixture as th_ridge

__all__ = ["Family", "FAMILIES", "family", "by_cli"]

#: Simulator keywords every family may add to its theory function's keywords.
STANDARD_SIMULATOR_KEYWORDS = frozenset({"n_trials", "seed", "method", "progress"})


@dataclass(frozen=True)
class Family:
    """One model family: its theory function and simulator, and what the generic checks need."""

    name: str
    cli: str
    predict: Callable
    simulate: Callable
    fields: tuple[str, ...]
    reference: Mapping
    n_trials: int
    allowance: float
    perturbed: Callable[[dict], dict]
    perturbed_note: str
    figures: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    theory_options: frozenset = frozenset()
    simulator_options: frozenset = frozenset()
    z: float = 4.0
    signed_keys: frozenset = frozenset()  # output keys that may be negative (all others are >= 0)
    diagnostics: frozenset = frozenset()  # result fields of one twin with no counterpart in the other
    note: str = ""
    # keywords over which ``predict`` broadcasts elementwise, giving each element exactly the number of a scalar
    # call (collapse sweep evaluates points that differ only in these in one call; tests/test_sweep.py checks it)
    broadcast: frozenset = frozenset()
    extra: Mapping = field(default_factory=dict)  # cli_reference: CLI flags of a small setting

    def reference_setting(self) -> dict:
        """A fresh copy of the reference setting (arrays copied)."""
        return {k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in self.reference.items()}


def _ridge_allowance(n: int, d: int) -> float:
    # Deterministic equivalents are exact only as n, d -> inf; their correction has this shape (e.g. OLS
    # E tr(X'X)^-1 = d/(n - d - 1), not d/(n - d)). Measured worst case 0.84x (bias 1.24x) of the bracket.
    return 2.0 * (1.0 / abs(n - d) + 1.0 / d)


_RIDGE_REF = MappingProxyType(dict(n=300, p2=0.3, lam=0.01, eigenvalues=np.ones(60), c2=1.0, sigma=0.5))
_MIXING_REF = MappingProxyType(dict(n=300, p2=0.3, lam=0.01, eigenvalues=np.ones(60), weight=0.1,
                                   rounds=np.array([1, 2, 4]), c2=1.0, sigma=0.5))
_RP_REF = MappingProxyType(dict(n=150, m=60, p2=0.3, lam=0.01, eigenvalues=np.ones(120), c2=1.0, sigma=0.5))

FAMILIES: tuple[Family, ...] = (
    Family(
        name="ridge_mixture",
        cli="ridge",
        predict=th_ridge.predict,
        simulate=mc_ridge.simulate,
        fields=("bias", "variance", "zeta", "total"),
        reference=_RIDGE_REF,
        n_trials=200,
        allowance=_ridge_allowance(300, 60),
        perturbed=lambda s: {**s, "c2": 0.0},
        perturbed_note="the collapse term ζ left out (synthetic labels treated as clean)",
        figures=("strong_collapse",),
        methods=("conditional", "sample"),
        note="Strong Model Collapse: ridge on n samples, a fraction p2 synthetic (docs/theory.md §2).",
        broadcast=frozenset({"n", "p2", "lam", "sigma", "sigma2"}),
        extra=MappingProxyType({"cli_reference": ("--n", "300", "--d", "60", "--p2", "0.3", "--c2", "1", "--lam",
                                                  "0.01", "--sigma", "0.5")}),
    ),
    Family(
        name="random_projections",
        cli="rp",
        predict=th_rp.predict,
        simulate=mc_rp.simulate,
        fields=("rho", "bias", "variance", "zeta", "total"),
        reference=_RP_REF,
        n_trials=150,
        # ridge corrections in dimension r = min(m, d) at sample size n, plus the finite-d MP correction;
        # the bias gets c = 4 (inverse second Wishart moments), see tests/test_random_projections.py.
        allowance=4.0 * (1.0 / abs(150 - 60) + 1.0 / 60 + 1.0 / abs(120 - 60)),
        perturbed=lambda s: {**s, "m": 2 * s["m"]},
        perturbed_note="the Marchenko-Pastur law of ratio m/n instead of m/d (the model read at twice its width)",
        figures=("smc_model_size", "smc_decomposition", "smc_pareto"),
        methods=("conditional", "sample"),
        theory_options=frozenset({"nodes_per_panel"}),
        signed_keys=frozenset({"width_sensitivity"}),
        note="Strong Model Collapse, random projections v'Sx of width m (docs/theory.md §3).",
        extra=MappingProxyType({"cli_reference": ("--n", "150", "--m", "60", "--d", "120", "--p2", "0.3", "--c2",
                                                  "1", "--lam", "0.01", "--sigma", "0.5")}),
    ),
    Family(
        name="gaussian_workflow",
        cli="gaussian",
        predict=th_gaussian.predict,
        simulate=mc_gaussian.simulate,
        fields=("mean_sq_error", "cov_trace_ratio", "cov_det_ratio"),
        reference=MappingProxyType(dict(n=12, d=3, t=np.array([1, 4, 12]), workflow="accumulate")),
        n_trials=4000,
        allowance=0.0,
        perturbed=lambda s: {**s, "workflow": "replace"},
        perturbed_note="the replace law used for accumulate",
        figures=("cot_gaussian",),
        methods=("auto", "sufficient", "samples"),
        simulator_options=frozenset({"refit"}),
        signed_keys=frozenset({"log_det_ratio", "log_det_decay_rate"}),
        note="Iterative Gaussian fitting, replace / accumulate (docs/theory.md §5.1). Exact laws.",
        extra=MappingProxyType({"cli_reference": ("--workflow", "replace", "--n", "12", "--d", "3", "--t", "4")}),
    ),
    Family(
        name="linreg_workflow",
        cli="linreg",
        predict=th_linreg.predict,
        simulate=mc_linreg.simulate,
        fields=("test_error",),
        reference=MappingProxyType(dict(n=20, d=4, t=np.array([1, 3, 8]), workflow="accumulate", sigma=1.0)),
        n_trials=4000,
        allowance=0.0,
        perturbed=lambda s: {**s, "workflow": "replace"},
        perturbed_note="the replace law (linear growth) used for accumulate",
        figures=("cot_linreg",),
        methods=("recursion", "refit"),
        simulator_options=frozenset({"n_test", "design"}),
        note="Linear regression retrained on its own labels, replace / accumulate (docs/theory.md §5.2). Exact.",
        extra=MappingProxyType({"cli_reference": ("--workflow", "accumulate", "--n", "20", "--d", "4", "--t", "8",
                                                  "--sigma", "1")}),
    ),
    Family(
        name="iterative_retraining",
        cli="retrain",
        predict=th_retrain.predict,
        simulate=mc_retrain.simulate,
        fields=("bias", "variance", "collapse", "total"),
        reference=MappingProxyType(dict(generations=3, samples=200, generator_samples=120, d=60, sigma=0.5,
                                        sigma0=1.0, lam=0.05, spectrum="powerlaw:1.0")),
        n_trials=100,
        allowance=2.0 * (1.0 / 140 + 1.0 / 60),  # ridge downstream: 2(1/|T − d| + 1/d); measured 0.1 %
        perturbed=lambda s: {**s, "generations": s["generations"] ** 2},
        perturbed_note="n² generations for n (collapse growing quadratically instead of linearly)",
        # the literal method estimates `collapse` as a difference of two errors: its mean can be < 0 by noise
        signed_keys=frozenset({"collapse"}),
        figures=("mcd_scaling",),
        methods=("conditional", "sample"),
        note="Model Collapse Demystified: n generations of self-labelling, ridge downstream (docs/theory.md §4).",
        extra=MappingProxyType({"cli_reference": ("--generations", "3", "--samples", "200", "--generator-samples",
                                                  "120", "--d", "60", "--sigma", "0.5", "--lam", "0.05",
                                                  "--spectrum", "powerlaw:1.0")}),
    ),
    Family(
        name="kde_workflow",
        cli="kde",
        predict=th_kde.predict,
        simulate=mc_kde.simulate,
        fields=("variance_growth", "nll"),
        reference=MappingProxyType(dict(t=np.array([1, 3, 5]), workflow="accumulate", dataset="gaussian", h=0.5,
                                        n=1000)),
        n_trials=100,
        # variance_growth is exact; the NLL is the n → ∞ limit, a lower bound at finite n whose excess at the
        # reference is ~δ₁/NLL = 0.0015 (closed-form excess of the real-data KDE): stated allowance 0.002
        allowance=0.002,
        perturbed=lambda s: {**s, "workflow": "replace"},
        perturbed_note="the replace law (variance t·h²) used for accumulate",
        figures=("cot_kde",),
        methods=("auto", "fast", "direct"),
        simulator_options=frozenset({"n_test", "blobs_quirk"}),
        diagnostics=frozenset({"kernel_count"}),
        # a density above 1 has a negative log-loss; the simulated variance growth is a difference of second
        # moments (unbiased for E A_t >= 0, but a single noisy estimate can fall below 0)
        signed_keys=frozenset({"nll", "nll_limit", "nll_bound", "variance_growth"}),
        note="Kernel density estimation refitted on its own samples (docs/theory.md §5.3).",
        extra=MappingProxyType({"cli_reference": ("--workflow", "accumulate", "--t", "5", "--dataset", "gaussian",
                                                  "--h", "0.5", "--n", "1000"),
                                "cli_extra_keys": ("nll_limit", "variance_growth_limit", "nll_bound")}),
    ),
    Family(
        name="language_model",
        cli="lm",
        predict=th_lm.predict,
        simulate=mc_lm.simulate,
        fields=("sq_norm",),
        reference=MappingProxyType(dict(workflow="partially-synthetic", real=10, synthetic=40,
                                        generations=np.array([1, 3, 6]), s0=0.1, support=20, vocab=50)),
        n_trials=2000,
        allowance=0.0,  # S_m is exact (Theorem 2 with the corrected sign, docs/theory.md §6)
        perturbed=lambda s: {**s, "real": s["synthetic"], "synthetic": s["real"]},
        perturbed_note="α = N/(N + n) for n/(N + n) (real and synthetic counts swapped)",
        figures=("sed_collapse", "sed_ngram"),
        simulator_options=frozenset({"max_generations"}),
        diagnostics=frozenset({"collapse_prob", "collapse_time", "deviation", "absorption", "censored"}),
        note="The statistical language model: next-token frequencies refitted on their own samples (§6).",
        extra=MappingProxyType({"cli_reference": ("--workflow", "partially-synthetic", "--real", "10", "--synthetic",
                                                  "40", "--generations", "6", "--s0", "0.1", "--support", "20",
                                                  "--vocab", "50")}),
    ),
    Family(
        name="mixing",
        cli="mixing",
        predict=th_mixing.predict,
        simulate=mc_mixing.simulate,
        fields=("bias", "variance", "zeta", "total"),
        reference=_MIXING_REF,
        n_trials=200,
        # the ridge deterministic-equivalent correction 2(1/|n − d| + 1/d) = 0.042 at the reference; measured
        # there: |mean − theory| ≤ 0.55 of it, beyond 4 SE ≤ 0.16 of it (docs/mixing.md)
        allowance=_ridge_allowance(300, 60),
        perturbed=lambda s: {**s, "weight": None},
        perturbed_note="the pooling weight a = p2 used for the weight a (= 0.1 at the reference)",
        figures=("smc_mixing",),
        methods=("conditional", "sample"),
        # from round 2 on zeta contains the cross term with the teacher; the literal method estimates zeta as
        # a difference of two errors, so one trial (or a noisy mean) can be < 0
        signed_keys=frozenset({"zeta"}),
        note="Strong Model Collapse §5: weighted and iterative mixing of real and synthetic data (docs/mixing.md).",
        extra=MappingProxyType({"cli_reference": ("--n", "300", "--d", "60", "--p2", "0.3", "--c2", "1", "--lam",
                                                  "0.01", "--sigma", "0.5", "--weight", "0.1", "--rounds", "4",
                                                  "--per-round"),
                                "cli_extra_keys": ("best_weight", "best_total", "pooled_total", "floor",
                                                   "fixed_point")}),
    ),
)


def family(name: str) -> Family:
    """The registry entry called ``name`` (module name, e.g. ``"ridge_mixture"``)."""
    for fam in FAMILIES:
        if fam.name == name:
            return fam
    raise KeyError(f"no family {name!r}; registered: {', '.join(f.name for f in FAMILIES)}")


def by_cli(word: str) -> Family:
    """The registry entry whose CLI word is ``word`` (e.g. ``"ridge"``)."""
    for fam in FAMILIES:
        if fam.cli == word:
            return fam
    raise KeyError(f"no family with CLI word {word!r}")

"""`retrain`: iterative retraining on a model's own labels, ridge downstream (Model Collapse Demystified, §4).

n = ``generations`` synthetic generations of T₀ = ``generator_samples`` rows each (OLS, or minimum norm when
T₀ < d), then ridge with penalty λ on T = ``samples`` rows labelled by the n-th generation. Printed: ``bias``
and ``variance`` of the clean downstream fit, ``collapse`` (the excess due to the n generations: the
literature's "injections only" E_test = σ²d·n/(T − d − 1) at T₀ = T, σ₀ = σ) and ``total`` = E‖ŵ − w₀‖²_Σ. With
λ = 0 and T, T₀ ≥ d + 2 the extra key ``ols_exact`` is the exact finite-sample law σ²d/(T−d−1) +
nσ₀²d/(T₀−d−1). ``finite_size`` (default ``exact``): every printed field follows one convention, printed as
``convention``: ``exact`` wherever an exact finite-sample law is known (λ = 0 with T ≥ d or Σ = sI, and T₀ ≥ d or
Σ = sI; then ``total`` = ``ols_exact`` in the OLS case), else ``asymptotic`` (the deterministic equivalent,
whose ridgeless downstream variance is σ²d/(T − d)); an asymptotic answer at λ = 0, T ≥ d + 2 adds the exact
``variance_exact`` = σ²d/(T − d − 1) under its own name.
``best_lambda`` adds ``best_lam`` and ``best_total``. Singular settings (T₀ ∈ {d−1, d, d+1} with nσ₀² > 0;
λ = 0 at T = d) give inf and a warning.
"""

from __future__ import annotations

from types import MappingProxyType

from model_collapse.families import common
from model_collapse.params import Family, Hooks, Param, Switch
from model_collapse.validation import InvalidParameterError

PARAMS = (
    Param("generations", None, "number n of synthetic generations (0 = real labels)"),
    Param("samples", None, "downstream sample size T"),
    Param("generator_samples", None, "rows T0 per generation (OLS if T0 >= d, minimum norm if T0 < d)"),
    common.D,
    Param("sigma", None, "downstream label-noise standard deviation σ", default=1.0),
    Param("sigma0", None, "label-noise standard deviation σ0 of every generation", default=1.0),
    Param("lam", None, "ridge λ for the (1/T)-scaled loss; 0 = minimum-norm least squares", default=0.0),
    common.replace(common.SPECTRUM, keywords=()),
    common.TEACHER,
    Param("r2", None, "teacher energy ‖w0‖²_Σ", default=1.0),
    Param("source_r", None, "source exponent r: teacher with ω_j (v_jᵀw0)² ∝ j^-(1+2βr) (default: isotropic "
          "teacher)", default=None),
)
BEST_LAMBDA = Param("best_lambda", Switch(), "also print best_lam and best_total, the λ minimising the predicted "
                    "total", default=False)
EXACT = Param("exact", Switch(), "require the exact OLS law (ols_exact): refuse unless lam = 0 and T, T0 >= d + 2 "
              "(ols_exact is printed anyway whenever it applies)", default=False)


def keywords(values) -> dict:
    common.resolve_dimension(values)
    spectrum = values.spectrum.theory_text() if values.spectrum.named else common.spectrum_values(values)
    out = dict(generations=values.generations, samples=values.samples, generator_samples=values.generator_samples,
               d=values.d, sigma=values.sigma, sigma0=values.sigma0, lam=values.lam, spectrum=spectrum, r2=values.r2,
               source_r=values.source_r)
    if getattr(values, "finite_size", None) is not None:  # predict only
        out["finite_size"] = values.finite_size
    gamma = common.teacher_gamma(values)
    if gamma is not None:
        if values.source_r is not None:
            raise InvalidParameterError.of("source_r", None, "must be omitted with a data {teacher}.",
                                           refs=("teacher",))
        out["gamma"] = gamma
    return out


def check(values, command: str) -> None:
    if not getattr(values, "exact", False):
        return
    common.resolve_dimension(values)
    if values.lam != 0:
        raise InvalidParameterError.of("lam", None, f"must be 0 for {{exact}} (the exact OLS law). Got {values.lam} "
                                       "instead.", refs=("exact",))
    for name in ("samples", "generator_samples"):
        value = getattr(values, name)
        if value < values.d + 2:
            raise InvalidParameterError.of(name, None, f"must be >= d + 2 = {values.d + 2} for {{exact}} (the exact "
                                           f"OLS law needs it). Got {value} instead.", refs=("exact",))


def extras(values, s: dict, out: dict) -> None:
    from model_collapse.theory import iterative_retraining as th

    exact = values.finite_size == "exact" and th.exact_law_applies(
        values.samples, values.generator_samples, values.d, values.lam,
        th.spectrum_values(s["spectrum"], values.d))
    out["convention"] = "exact" if exact else "asymptotic"
    if values.lam == 0 and values.samples >= values.d + 2 and values.generator_samples >= values.d + 2:
        out["ols_exact"] = float(th.ols_exact(values.generations, values.samples, values.generator_samples, values.d,
                                              sigma=values.sigma, sigma0=values.sigma0))
    if not exact and values.lam == 0 and values.samples >= values.d + 2 and float(values.samples).is_integer():
        out["variance_exact"] = values.sigma**2 * values.d / (values.samples - values.d - 1)
    if values.best_lambda:
        best = th.best_lambda(**{k: v for k, v in s.items() if k not in ("lam", "finite_size")})
        out["best_lam"], out["best_total"] = best.lam, best.total


def cost(values, command: str) -> tuple[list[tuple[str, float]], float]:
    common.resolve_dimension(values)
    d = float(values.d)
    items = [("d", 8.0 * 24 * d)]
    if command == "predict":
        return items, 300.0 * d
    big = max(values.samples, values.generator_samples)
    items.append(("d", 8.0 * 10 * d * d))
    items.append(("samples" if values.samples >= values.generator_samples else "generator_samples",
                  8.0 * 2 * big * d))
    items.append(("trials", 8.0 * 4 * values.trials))
    # + 1e6 per generation: the chain is a Python loop over generations (~50 µs each at small d)
    return items, values.trials * (values.generations + 1) * (6 * d**3 + 2 * big * d * d + 1e6)


FAMILY = Family(
    name="iterative_retraining",
    cli="retrain",
    help="iterative retraining on a model's own labels, ridge downstream (Model Collapse Demystified)",
    predict="model_collapse.theory.iterative_retraining:predict",
    simulate="model_collapse.montecarlo.iterative_retraining:simulate",
    params=PARAMS,
    predict_params=(BEST_LAMBDA, EXACT, common.FINITE_SIZE),
    hooks=Hooks(keywords=keywords, check=check, extras=extras, cost=cost),
    extra_keys=("convention", "ols_exact", "variance_exact", "best_lam", "best_total"),
    fields=("bias", "variance", "collapse", "total"),
    reference=MappingProxyType(dict(generations=3, samples=200, generator_samples=120, d=60, sigma=0.5, sigma0=1.0,
                                    lam=0.05, spectrum="powerlaw:1.0")),
    n_trials=100,
    allowance=2.0 * (1.0 / 140 + 1.0 / 60),  # ridge downstream: 2(1/|T − d| + 1/d); measured 0.1 %
    perturbed=lambda s: {**s, "generations": s["generations"] ** 2},
    perturbed_note="n² generations for n (collapse growing quadratically instead of linearly)",
    # the literal method estimates `collapse` as a difference of two errors: its mean can be < 0 by noise
    signed_keys=frozenset({"collapse"}),
    figures=("mcd_scaling", "real_digits_retraining"),
    methods=("conditional", "sample"),
    theory_options=frozenset({"finite_size"}),  # the simulator is the chain itself: no convention to choose
    note="Model Collapse Demystified: n generations of self-labelling, ridge downstream (docs/theory.md §4).",
    cli_reference=("--generations", "3", "--samples", "200", "--generator-samples", "120", "--d", "60", "--sigma",
                   "0.5", "--lam", "0.05", "--spectrum", "powerlaw:1.0"),
)

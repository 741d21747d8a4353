"""One check suite over every registered family (model_collapse.families), and proof that it has teeth.

Every check of tests/family_checks.py runs on every registry entry, so a new family is covered by adding
its entry. The second half builds deliberately broken entries (a simulator with a renamed keyword, a
result field missing, a theory that ignores a parameter, a simulator that ignores its seed, ...) and shows
that the matching check fails on each.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from family_checks import (
    CHECKS,
    check_batching_invariant,
    check_cli_prints_theory_fields,
    check_invalid_parameters_refused,
    check_perturbed_formula_fails,
    check_reproducible,
    check_same_fields,
    check_same_keywords,
    check_theory_matches_simulation,
)
from model_collapse import families
from model_collapse.families import FAMILIES
from model_collapse.validation import POSITIVE_INT, validate


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("fam", FAMILIES, ids=lambda f: f.name)
def test_family_obeys_the_contract(fam, check):
    check(fam)


def test_every_family_is_on_the_command_line_and_has_figures():
    from model_collapse import cli
    from model_collapse.figures import registry

    figs = registry()
    for fam in families.entries():
        out = cli.run(["predict", fam.cli, "--help"])
        assert out.exit_code == 0 and all(p.flag in out.stdout for p in fam.params), fam.name
        assert fam.figures and all(f in figs for f in fam.figures)
    assert set(figs) == set(families.figure_ids())


@pytest.mark.parametrize("fam", [f for f in families.entries() if not f.contract], ids=lambda f: f.name)
def test_theory_only_entries_obey_the_checks_that_apply(fam):
    """Entries without a simulator twin (scaling) or whose simulator is a composite experiment
    (synthetic-budget) still print exactly their theory's fields and refuse invalid parameters."""
    check_cli_prints_theory_fields(fam)
    check_invalid_parameters_refused(fam)


# --- deliberately broken entries: each check must fail on the breach it guards ---------------------------

GAUSS = families.family("gaussian_workflow")


def _broken(**changes):
    return dataclasses.replace(GAUSS, **changes)


def test_renamed_simulator_keyword_is_caught():
    def simulate(n, d, t, *, workflow="accumulate", estimator="mle", sigma_squared=1.0, n_trials=100, seed=0,
                 method="auto", progress=None):
        return GAUSS.simulate(n, d, t, workflow=workflow, estimator=estimator, variance=sigma_squared,
                              n_trials=n_trials, seed=seed, method=method)

    with pytest.raises(AssertionError, match="lacks the theory keywords"):
        check_same_keywords(_broken(simulate=simulate))


def test_missing_result_field_is_caught():
    @dataclasses.dataclass(frozen=True)
    class Partial:
        mean_sq_error: float

        def as_dict(self):
            return {"mean_sq_error": self.mean_sq_error}

    def predict(n, d, t, *, workflow="accumulate", estimator="mle", variance=1.0):
        return Partial(GAUSS.predict(n, d, t, workflow=workflow, estimator=estimator, variance=variance).mean_sq_error)

    with pytest.raises(AssertionError, match="has no field 'cov_trace_ratio'"):
        check_same_fields(_broken(predict=predict))


def test_unvalidated_parameter_is_caught():
    @validate(n=POSITIVE_INT)
    def predict(n, d, t, *, workflow="accumulate", estimator="mle", variance=1.0):
        return GAUSS.predict(max(int(n), 2), 3, t, workflow="accumulate" if workflow not in ("replace",) else workflow,
                             estimator=estimator if estimator in ("mle", "unbiased") else "mle", variance=1.0)

    predict.parameter_constraints = {**GAUSS.predict.parameter_constraints}
    with pytest.raises(AssertionError, match="accepted"):
        check_invalid_parameters_refused(_broken(predict=predict))


def test_simulator_ignoring_its_seed_is_caught():
    def simulate(n, d, t, *, workflow="accumulate", estimator="mle", variance=1.0, n_trials=100, seed=0,
                 method="auto", progress=None):
        return GAUSS.simulate(n, d, t, workflow=workflow, estimator=estimator, variance=variance, n_trials=n_trials,
                              seed=0, method=method)

    with pytest.raises(AssertionError, match="give the same numbers"):
        check_reproducible(_broken(simulate=simulate))


def test_simulator_whose_numbers_depend_on_batching_is_caught():
    from model_collapse.montecarlo import trials

    def simulate(n, d, t, *, workflow="accumulate", estimator="mle", variance=1.0, n_trials=100, seed=0,
                 method="auto", progress=None):
        # a stream per *batch* instead of per trial: batching changes the numbers
        size = max(1, int(trials._BATCH_FLOATS.get()) // 1000)
        return GAUSS.simulate(n, d, t, workflow=workflow, estimator=estimator, variance=variance, n_trials=n_trials,
                              seed=trials.point_seed(seed, size), method=method)

    with pytest.raises(AssertionError, match="batching changes the numbers"):
        check_batching_invariant(_broken(simulate=simulate))


def test_wrong_formula_is_caught_and_a_powerless_perturbation_too():
    with pytest.raises(AssertionError, match="disagree"):
        check_theory_matches_simulation(_broken(predict=lambda **s: GAUSS.predict(**{**s, "workflow": "replace"})))
    with pytest.raises(AssertionError, match="no power"):
        check_perturbed_formula_fails(_broken(perturbed=lambda s: dict(s)))


def test_cli_printing_other_keys_is_caught():
    with pytest.raises(AssertionError, match="no CLI reference"):
        check_cli_prints_theory_fields(_broken(cli_reference=()))
    broken = _broken(predict=lambda **s: dataclasses.replace(GAUSS.predict(**s),
                                                             mean_sq_error=np.asarray(1.0) + 0.5))
    with pytest.raises(AssertionError, match="differs from theory"):
        check_cli_prints_theory_fields(broken)

"""The statistical agreement check shared by every theory-vs-simulation test and its perturbed twin.

A prediction ``theory`` agrees with a Monte-Carlo estimate (``mean`` ± ``sem``) when

    |mean − theory| ≤ z·sem + finite_rtol·|theory| + atol

- ``z`` (default 4) covers the simulation's sampling error: a correct formula fails by chance with
  probability ~6e-5 per comparison.
- ``finite_rtol`` is the *stated* finite-size allowance: the deterministic-equivalent formulas are exact
  only as d, n → ∞; each test names its value and why.
- ``atol`` is for quantities that are exactly zero in theory (default 0).

The twin test of each cross-check calls :func:`agrees` on a deliberately perturbed formula with the
same tolerance and asserts that it returns False, proving the check has the power to catch that error.
"""

from __future__ import annotations

import numpy as np

Z = 4.0


def agrees(theory, mean, sem, *, finite_rtol: float, z: float = Z, atol: float = 0.0) -> bool:
    theory, mean, sem = (np.asarray(x, dtype=float) for x in (theory, mean, sem))
    tol = z * sem + finite_rtol * np.abs(theory) + atol
    return bool(np.all(np.abs(mean - theory) <= tol))


def has_power(theory, sem, *, finite_rtol: float, z: float = Z, atol: float = 0.0) -> bool:
    """True when the check can fail: at every point the tolerance is narrower than |theory| (so a simulator
    answering 0, or twice the theory, is rejected), or the theory is exactly 0 and the band is atol."""
    theory, sem = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (theory, sem)))
    tol = z * sem + finite_rtol * np.abs(theory) + atol
    zero = np.abs(theory) <= atol
    return bool(np.all((tol < np.abs(theory)) | (zero & (z * sem <= max(atol, 1e-12)))))


def assert_agrees(theory, mean, sem, *, finite_rtol: float, z: float = Z, atol: float = 0.0, label: str = "",
                  require_power: bool = False):
    """Assert :func:`agrees`; on failure print inputs, expected, actual, z-score and tolerance per point.

    ``require_power``: also assert :func:`has_power` (for property-based tests: a strategy must draw only
    cases that its check can fail)."""
    if require_power:
        assert has_power(theory, sem, finite_rtol=finite_rtol, z=z, atol=atol), (
            f"no power {label}: tolerance ≥ |theory| (theory={np.asarray(theory)}, se={np.asarray(sem)}, "
            f"finite_rtol={finite_rtol}): the strategy drew a case this check cannot fail")
    if agrees(theory, mean, sem, finite_rtol=finite_rtol, z=z, atol=atol):
        return
    theory, mean, sem = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (theory, mean, sem)))
    lines = [f"theory vs simulation disagree {label} (z={z}, finite_rtol={finite_rtol}, atol={atol}):"]
    for t, m, s in zip(theory.ravel(), mean.ravel(), sem.ravel(), strict=True):
        tol = z * s + finite_rtol * abs(t) + atol
        flag = "FAIL" if abs(m - t) > tol else "ok"
        zscore = (m - t) / s if s > 0 else np.inf
        lines.append(
            f"  {flag}: theory={t:.6g} mc={m:.6g}±{s:.2g} rel={abs(m - t) / max(abs(t), 1e-300):.3g} "
            f"z={zscore:.2f} tol={tol:.3g}"
        )
    raise AssertionError("\n".join(lines))


def assert_disagrees(theory, mean, sem, *, finite_rtol: float, z: float = Z, atol: float = 0.0, label: str = ""):
    """The twin: a perturbed formula must FAIL the same check."""
    assert not agrees(theory, mean, sem, finite_rtol=finite_rtol, z=z, atol=atol), (
        f"perturbed formula {label} passed the check: theory={np.asarray(theory)} "
        f"mc={np.asarray(mean)}±{np.asarray(sem)} finite_rtol={finite_rtol}: the check has no power here"
    )

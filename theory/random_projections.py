"""Random projections (a network of tunable width m) trained on real + synthetic data: E_test ≃ ρ + B + V + ζ.

Model (docs/theory.md §3; Dohmatob, Feng, Subramonian, Kempe, "Strong Model Collapse", random-projections
model): data as in the ridge mixture (docs/theory.md §2): x ~ N(0, Σ) in R^d, real labels y = xᵀw₁ + N(0, σ₁²),
synthetic labels y = xᵀw₂ + N(0, σ₂²), w₂ = w₁ + δ, priors w₁ ~ N(0, Γ), δ ~ N(0, Δ); n₁ = (1 − p₂)n real
and n₂ = p₂n synthetic samples. The model is f(x) = vᵀSx with S ∈ R^{m×d} fixed, iid N(0, 1/d) entries,
and v ∈ R^m fit by ridge on the features z = Sx:

    v = argmin (1/n)‖Zv − y‖² + λ‖v‖² = (ZᵀZ + nλI)⁻¹Zᵀy,   Z = XSᵀ   (penalty scaled by n).

Test error = excess risk on the real distribution, E_x (vᵀSx − w₁ᵀx)² (``include_noise`` adds σ₁²).
ψ = m/n; the interpolation threshold is rank(SΣSᵀ) = min(m, d) = n, i.e. m = n when d > n.

**Exact reduction given S** [docs/theory.md §3]. z ~ N(0, C), C = SΣSᵀ. Teacher k projects to
a_k = C⁺SΣw_k (the best linear predictor of xᵀw_k from z) with residual xᵀw_k − zᵀa_k independent of z,
of variance ρ_k = w_kᵀΣw_k − a_kᵀCa_k: it acts as extra label noise. So the problem is the ridge mixture in
dimension m with Σ → C, teacher a₁, shift a₂ − a₁ and noise σ_k² → σ_k² + ρ_k, plus the approximation error:

    E_test = ρ₁ + B_C + V_C + ζ_C        (B, V, ζ of :func:`model_collapse.theory.ridge_mixture.predict`)

With B = S·Σ^{1/2} = Σ_j s_j u_j v_jᵀ (thin SVD), C has eigenvalues μ_j = s_j² and only the diagonals of the
projected priors in C's eigenbasis enter: Γ_C,j·μ_j = Σ_i (v_j)_i²·ω_iΓ_i ("teacher energy" of direction j),
likewise Δ_C,j, and ρ₁ = Σ_i ω_iΓ_i·(1 − Σ_j (v_j)_i²), ρ₂ the same with Γ + Δ (w₂ = w₁ + δ). κ and u come from
the spectrum of C at sample size n (:func:`theory.ridge.kappa`, :func:`theory.ridge.u`).

**Deterministic form** (``form="deterministic"``, the default; any Σ and diagonal priors). A = Σ^{1/2}SᵀSΣ^{1/2}
has C's nonzero eigenvalues and is (1/d)·YᵀY for m rows y ~ N(0, Σ): its spectrum is the free multiplicative
convolution of Σ's with the MP law of ratio m/d, and z(A + z)⁻¹ ≍ θ(Σ + θ)⁻¹ with θ − zd/m = θD(θ)/m,
D(θ) = tr Σ(Σ + θ)⁻¹. Every trace of the reduction is such a resolvent (or its z-derivative) weighted by ΓΣ or
ΔΣ, and the outer ridge κ closes two coupled fixed points (derived in docs/theory.md §3.3 from the standard
sample-covariance equivalent and its z-derivative; the ridgeless random-projections case by the same tools:
Bach, "High-dimensional analysis of double descent for linear regression with random projections", arXiv:2303.01372):

    κ = θ(m − D)/d,  κ − λ = κD/n   ⇔   θ(m − D(θ))(n − D(θ)) = λdn  (θ > θ*, D(θ*) = min(m, n))
    θ₀: D(θ₀) = m (0 when m ≥ rank Σ);  ν = (m − D)/(m − D₂),  D₂ = tr Σ²(Σ + θ)⁻²
    df₁(C) = D,  df₂(C) = D − ν(D − D₂),  u = df₂/(n − df₂)
    ρ₁ = tr ΓΣ·θ₀(Σ + θ₀)⁻¹,  ρ₂ = tr (Γ + Δ)Σ·θ₀(Σ + θ₀)⁻¹,  c²_C = tr ΔΣ·Σ(Σ + θ₀)⁻¹
    κ²·tr Γ_C C(C + κ)⁻² = tr ΓΣ·Σ(Σ + θ)⁻¹[(θ − θ₀)(Σ + θ₀)⁻¹ − νθ(Σ + θ)⁻¹]   (κ²D₁: the same with ΔΣ)
    D₃ = tr ΔΣ·Σ(Σ + θ)⁻¹(Σ + (1 − ν)θ)(Σ + θ)⁻¹

and B = (1 + u)·κ²tr Γ_C C(C + κ)⁻², V = [p₁(σ₁² + ρ₁) + p₂(σ₂² + ρ₂)]u, ζ = p₂²(D₃ + uκ²D₁) + p₁p₂u·c²_C.
For Σ = s·I this is the Marchenko–Pastur form (equal to the MP quadrature :func:`isotropic_spectrum` to 1e-11 and
to a closed-form Stieltjes mpmath reference to 1e-10, ``tests/test_random_projections.py``); the solver
(:func:`model_collapse.theory.marchenko_pastur.sketched_fixed_point`) is certified against an independent mpmath
solution of the fixed points in ``tests/test_rp_general.py``. All widths of a call are solved in one vectorised
pass (Σ's eigenvalues grouped by distinct (ω, Γ, Δ): isotropic Σ costs O(1) per width). m may be any real > 0
(a continuous width).

**Quenched form** (``form="quenched"``): the same reduction evaluated exactly on one sampled S; this is how a
finite-width sample is served. S is a deterministic function of ``seed``: the first m
rows of a matrix of iid N(0, 1/d) entries drawn row by row from ``numpy.random.default_rng(
numpy.random.SeedSequence(seed))``, so widths m < m' share their first m features (a growing network) and
the value at one m does not depend on the other widths in the call.

Limits: as m → ∞ at fixed d, SᵀS ≈ (m/d)I and the model is ridge on x with penalty λd/m, so at fixed λ the
error tends to the *ridgeless* ridge mixture in dimension d (:func:`large_width_limit`), and with
λ = λ₀m/d to the ridge mixture at λ₀. Ridgeless (λ = 0) with d > n, u = ∞ at m = n: the double-descent
peak. Accuracy: deterministic equivalents, exact as n, m, d → ∞ at fixed ratios; the finite-size error of
the expectation is O(1/|n − min(m, d)| + 1/min(m, d)) relative (see the tests for measured values).
Simulator twin: :func:`montecarlo.random_projections.simulate` (same keywords plus n_trials, seed).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from model_collapse.arrays import plain
from model_collapse.numerics import (
    UnrepresentableError,
    noise_and_prior_scales,
    refuse_unrepresentable,
    times_square,
    unit_total,
)
from model_collapse.projections import sample_projection
from model_collapse.theory import ridge_mixture as rm
from model_collapse.theory.marchenko_pastur import quadrature, sketched_fixed_point
from model_collapse.theory.ridge import spectrum_arrays
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    PROBABILITY,
    SEED,
    InvalidParameterError,
    Options,
    check_param,
    validate,
)

__all__ = [
    "RPRisk",
    "ProjectedSpectrum",
    "predict",
    "project",
    "isotropic_spectrum",
    "large_width_limit",
]

FORM = Options(("deterministic", "quenched"))
PENALTY = rm.PENALTY
_KEYS = ("rho", "bias", "variance", "zeta", "total", "kappa", "u")


@dataclass(frozen=True)
class RPRisk:
    """E_test ≃ rho + bias + variance + zeta (= total; + σ₁² when include_noise), with κ and u.

    rho is the approximation error ρ₁ (what no v can fit with m random features). Arrays of the broadcast
    shape of the inputs (0-d arrays for scalar inputs).
    """

    rho: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    zeta: np.ndarray
    total: np.ndarray
    kappa: np.ndarray
    u: np.ndarray

    def as_dict(self) -> dict[str, float]:
        return {k: plain(getattr(self, k)) for k in _KEYS}


@dataclass(frozen=True)
class ProjectedSpectrum:
    """The reduction given S (or its Marchenko–Pastur equivalent), ready for the ridge-mixture formulas.

    eigenvalues μ_j of C = SΣSᵀ (positive ones; the MP form also carries the atom at 0), multiplicities
    (None for a sampled S: each eigenvalue once), teacher/shift energies t_j = Γ_C,jμ_j and e_j = Δ_C,jμ_j
    (so Σt_j = tr Γ_C C is the part of r² that the features can express), and the residual variances ρ₁, ρ₂.
    """

    eigenvalues: np.ndarray
    multiplicities: np.ndarray | None
    teacher: np.ndarray
    shift: np.ndarray
    rho1: float
    rho2: float

    def priors(self) -> tuple[np.ndarray, np.ndarray]:
        """Γ_C,j = t_j/μ_j and Δ_C,j = e_j/μ_j (0 where μ_j = 0)."""
        mu = self.eigenvalues
        pos = mu > 0
        safe = np.where(pos, mu, 1.0)
        with np.errstate(over="ignore"):  # t/μ beyond float64 (r² ≈ 1e308, μ < 1): inf, refused by predict
            return np.where(pos, self.teacher / safe, 0.0), np.where(pos, self.shift / safe, 0.0)


def _is_isotropic(w: np.ndarray, gam: np.ndarray, dlt: np.ndarray) -> bool:
    return bool(np.all(w == w[0]) and np.all(gam == gam[0]) and np.all(dlt == dlt[0]))


def project(S: np.ndarray, eigenvalues, gamma, delta) -> ProjectedSpectrum:
    """The exact reduction given S (module docstring): C = SΣSᵀ's positive eigenvalues and the projected priors.

    ``eigenvalues`` are Σ's (Σ diagonal: S is rotation invariant, so this loses nothing); ``gamma``, ``delta``
    the prior diagonals Γ_ii, Δ_ii. Uses the thin SVD of S·Σ^{1/2} (singular values below
    max(m, d)·eps·s_max count as 0). For isotropic Σ and constant priors the singular vectors are not needed
    (every direction carries t_j = Γω) and only singular values are computed.
    """
    S = np.asarray(S, dtype=float)
    w, _ = spectrum_arrays(eigenvalues, None, "project")
    gam = np.broadcast_to(np.asarray(gamma, dtype=float), w.shape)
    dlt = np.broadcast_to(np.asarray(delta, dtype=float), w.shape)
    if S.ndim != 2 or S.shape[1] != w.size:
        raise InvalidParameterError.of(
            "S", "project", f"must be a 2-D array with {w.size} columns. Got shape {S.shape} instead."
        )
    B = S * np.sqrt(w)[None, :]
    iso = _is_isotropic(w, gam, dlt)
    if iso:
        s = np.linalg.svd(B, compute_uv=False)
    else:
        _, s, vt = np.linalg.svd(B, full_matrices=False)
    tol = (s[0] if s.size else 0.0) * max(B.shape) * np.finfo(float).eps
    keep = s > tol
    r = int(keep.sum())
    mu = s[keep] ** 2
    g1, g2 = w * gam, w * (gam + dlt)  # ω_iΓ_i and ω_i(Γ_i + Δ_i)
    if iso:
        t = np.full(r, g1[0])
        e = np.full(r, w[0] * dlt[0])
        rho1 = float(g1[0] * (w.size - r)) if w[0] > 0 else 0.0
        rho2 = float(g2[0] * (w.size - r)) if w[0] > 0 else 0.0
    else:
        v2 = vt[keep] ** 2  # (r, d): squared right singular vectors
        t = v2 @ g1
        e = v2 @ (w * dlt)
        lev = v2.sum(axis=0)  # leverage of each input direction, 1 when S·Σ^{1/2} has full column rank
        if r == w.size:
            rho1 = rho2 = 0.0
        else:
            rho1 = float(max(0.0, np.sum(g1 * (1.0 - lev))))
            rho2 = float(max(0.0, np.sum(g2 * (1.0 - lev))))
    return ProjectedSpectrum(eigenvalues=mu, multiplicities=None, teacher=t, shift=e, rho1=rho1, rho2=rho2)


def isotropic_spectrum(m: float, d: int, scale: float, gamma: float, delta: float,
                       nodes_per_panel: int = 16) -> ProjectedSpectrum:
    """The Marchenko–Pastur equivalent of :func:`project` for Σ = scale·I, Γ = gamma·I, Δ = delta·I.

    Eigenvalues scale·x_k with multiplicities m·w_k (quadrature of μ_γ, γ = m/d), plus 0 with multiplicity
    m·(1 − 1/γ) when m > d; t_k = gamma·scale, e_k = delta·scale; ρ₁ = gamma·scale·(d − min(m, d)),
    ρ₂ = (gamma + delta)·scale·(d − min(m, d)).
    """
    q = quadrature(float(m) / float(d), nodes_per_panel)
    mu, mult = q.spectrum(float(m), float(scale))
    pos = mu > 0
    mult = np.where(pos, _exact_mass(mult * pos, min(float(m), float(d))), mult)
    t = np.where(pos, gamma * scale, 0.0)
    e = np.where(pos, delta * scale, 0.0)
    missing = float(d) - min(float(m), float(d))
    return ProjectedSpectrum(eigenvalues=mu, multiplicities=mult, teacher=t, shift=e,
                             rho1=float(gamma * scale * missing), rho2=float((gamma + delta) * scale * missing))


def _exact_mass(mult: np.ndarray, target: float) -> np.ndarray:
    """Round multiplicities to a dyadic grid (2⁻⁴⁵ relative, 3e-14) so that they sum *exactly* to ``target``.

    All values are then integer multiples of one power of two and every partial sum is exact, so the κ
    solver sees d_eff = min(m, d) exactly and detects the ridgeless threshold min(m, d) = n (u = ∞) instead
    of a quadrature mass of n·(1 + 1e-16). The adjustment goes to the largest weight.
    """
    if target <= 0 or not np.any(mult > 0):
        return mult
    q = 2.0 ** (np.ceil(np.log2(max(target, 1e-300))) - 45)
    counts = np.round(mult / q)
    counts[np.argmax(counts)] += np.round(target / q) - counts.sum()
    return counts * q


def _evaluate(spec: ProjectedSpectrum, n, p2, lam, s1, s2, penalty):
    """ρ₁ + (B, V, ζ) of the ridge mixture on the projected problem (noise σ_k² + ρ_k).

    Scaled units: B, V, ζ are jointly linear in (Γ_C, Δ_C, σ₁², σ₂²), so the mixture is evaluated with all
    four divided by a = max(1, max energy) and the parts multiplied by a afterwards: Γ_C = t/μ itself would
    overflow for r² ≈ 1e308 although the error is representable.
    """
    mu = spec.eigenvalues
    mult = spec.multiplicities
    if mu.size == 0:  # S·Σ^{1/2} = 0: no features at all, v = 0
        mu, gam_c, dlt_c, mult, a = np.zeros(1), np.zeros(1), np.zeros(1), None, 1.0
    else:
        a = float(max(1.0, np.max(spec.teacher, initial=0.0), np.max(spec.shift, initial=0.0)))
        pos = mu > 0
        safe = np.where(pos, mu, 1.0)
        with np.errstate(over="ignore"):
            gam_c = np.where(pos, (spec.teacher / a) / safe, 0.0)
            dlt_c = np.where(pos, (spec.shift / a) / safe, 0.0)
        if not (np.all(np.isfinite(gam_c)) and np.all(np.isfinite(dlt_c))):
            raise UnrepresentableError("the projected prior Γ_C = t/μ exceeds the float64 range")
    ra = np.sqrt(a)
    # σ² + ρ as a standard deviation (σ² alone overflows at σ ≈ 1.3e154), in units of √a. An overflow raises
    # UnrepresentableError, which predict turns into a refusal naming the user's parameter.
    res = rm.predict(n, p2, lam, mu, gamma=gam_c, delta=dlt_c, multiplicities=mult, penalty=penalty,
                     sigma=np.hypot(s1 / ra, np.sqrt(spec.rho1 / a)), sigma2=np.hypot(s2 / ra, np.sqrt(spec.rho2 / a)))
    if a == 1.0:
        return res
    with np.errstate(over="ignore"):
        return rm.RidgeMixtureRisk(bias=res.bias * a, variance=res.variance * a, zeta=res.zeta * a,
                                   total=res.total * a, kappa=res.kappa, u=res.u)


def _groups(w: np.ndarray, gam: np.ndarray, dlt: np.ndarray):
    """Σ's positive eigenvalues grouped by distinct (ω, Γ, Δ): sorted ω, counts, and the per-group energies
    g = count·ωΓ, e = count·ωΔ (zero eigenvalues carry no signal and drop out; they still count in d)."""
    pos = w > 0
    keys, counts = np.unique(np.stack([w[pos], gam[pos], dlt[pos]], axis=1), axis=0, return_counts=True)
    om = keys[:, 0]
    counts = counts.astype(float)
    return om, counts, counts * om * keys[:, 1], counts * om * keys[:, 2]


def _deterministic(nf, mf, pf, lam_eff, s1f, s2f, w, gam, dlt) -> dict[str, np.ndarray]:
    """The general-Σ deterministic equivalent (docs/theory.md §3.3) on flat point arrays: one vectorised fixed
    point per distinct (λ, n, m), then the parts. With r = θ/(ω + θ), r₀ = θ₀/(ω + θ₀), per group of energy
    g = ωΓ (teacher) and e = ωΔ (shift):

        ρ₁ = Σ g r₀,  ρ₂ = ρ₁ + Σ e r₀,  c²_C = Σ e(1 − r₀)
        κ²·tr Γ_C C(C + κ)⁻² = Σ g(1 − r)[(θ − θ₀)/(ω + θ₀) − νr]     (likewise κ²D₁ with e)
        D₃ = Σ e(1 − r)(1 − νr),  df₂(C) = D − ν(D − D₂),  u = df₂/(n − df₂)

    then B, V, ζ of the ridge mixture with noise σ_k² + ρ_k (module docstring). Scaled units as in
    :func:`_evaluate`: energies divided by a = max(1, largest group energy), parts multiplied back.
    """
    om, cnt, g, e = _groups(w, gam, dlt)
    d = float(w.size)
    res = {k: np.zeros(nf.size) for k in _KEYS}
    if om.size == 0:  # Σ = 0: no signal, no features; κ = λ, u = 0
        res["kappa"] = lam_eff.astype(float).copy()
        return res
    a = float(max(1.0, np.max(g), np.max(e)))
    g, e = g / a, e / a
    keys, inverse = np.unique(np.stack([lam_eff, nf, mf], axis=1), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    fp = sketched_fixed_point(keys[:, 0], keys[:, 1], keys[:, 2], om, cnt, d)
    th, th0, nu = fp["theta"], fp["theta0"], fp["nu"]
    P = th.size
    tgk, k2d1, d3, rho1, rhod, c2c = (np.empty(P) for _ in range(6))
    ge = np.stack([g, e], axis=1)
    step = max(1, (1 << 16) // om.size)
    for s in range(0, P, step):
        t, t0, v = th[s:s + step, None], th0[s:s + step, None], nu[s:s + step, None]
        inv, inv0 = 1.0 / (om[None, :] + t), 1.0 / (om[None, :] + t0)
        r, q = t * inv, om[None, :] * inv  # θ/(ω + θ) and ω/(ω + θ), each without cancellation
        r0, q0 = t0 * inv0, om[None, :] * inv0
        # (1 − r)(θ − θ₀)/(ω + θ₀) = q₀·(θ − θ₀)/(ω + θ): bounded factors (θ ≫ ω: → q₀, the projected prior)
        core = q0 * ((t - t0) * inv) - v * q * r
        tgk[s:s + step], k2d1[s:s + step] = (core @ ge).T
        rho1[s:s + step], rhod[s:s + step] = (r0 @ ge).T
        c2c[s:s + step] = q0 @ e
        q *= 1.0 - v * r
        d3[s:s + step] = q @ e
    tgk, k2d1 = np.maximum(tgk, 0.0), np.maximum(k2d1, 0.0)
    df2 = fp["D"] - nu * fp["dd"]
    slack = fp["n_minus"] + nu * fp["dd"]
    with np.errstate(divide="ignore", invalid="ignore"):
        uu = np.where(slack > 0, df2 / np.where(slack > 0, slack, 1.0), np.inf)
    uu, tgk, k2d1, d3, rho1, rhod, c2c, kap = (x[inverse] for x in (uu, tgk, k2d1, d3, rho1, rhod, c2c, fp["kappa"]))
    rho2 = rho1 + rhod
    p1 = 1.0 - pf
    ra = np.sqrt(a)
    with np.errstate(invalid="ignore", over="ignore"):
        bias = np.where(tgk > 0, (1.0 + uu) * tgk, 0.0)
        v1 = np.where(p1 > 0, p1 * uu, 0.0)
        v2 = np.where(pf > 0, pf * uu, 0.0)
        variance = (times_square(np.hypot(s1f / ra, np.sqrt(rho1)), v1)
                    + times_square(np.hypot(s2f / ra, np.sqrt(rho2)), v2))
        zeta = rm._zeta_scaled(pf, uu, k2d1, d3, c2c)
        res.update(rho=rho1 * a, bias=bias * a, variance=variance * a, zeta=zeta * a, kappa=kap, u=uu)
    return res


def _spectra(m_values, w, gam, dlt, seed, where):
    """One ProjectedSpectrum per distinct width (quenched form, in the order of ``m_values``)."""
    check_param("m", m_values, POSITIVE_INT, where)
    S = sample_projection(int(np.max(m_values)), w.size, seed)
    return [project(S[: int(mv)], w, gam, dlt) for mv in m_values]


@validate(n=POSITIVE, m=POSITIVE, p2=PROBABILITY, lam=NONNEGATIVE, sigma=NONNEGATIVE, sigma2=NONNEGATIVE,
          penalty=PENALTY, form=FORM, projection_seed=SEED, nodes_per_panel=POSITIVE_INT)
def predict(
    n,
    m,
    p2,
    lam,
    eigenvalues,
    *,
    c2: float = 1.0,
    r2: float = 1.0,
    sigma=1.0,
    sigma2=None,
    gamma=None,
    delta=None,
    penalty: str = "mean",
    include_noise: bool = False,
    form: str = "deterministic",
    projection_seed=0,
    nodes_per_panel: int = 16,
) -> RPRisk:
    """Test error ρ₁ + B + V + ζ of the random-projections model f(x) = vᵀSx (module docstring).

    Parameters
    ----------
    n, m, p2, lam : total sample size (> 0), width m (> 0; an integer for ``form="quenched"``), synthetic
        fraction in [0, 1], ridge λ ≥ 0; arrays broadcast against each other and against sigma, sigma2.
        Deterministic form: all widths in one vectorised pass (benchmarks/bench_random_projections.py: ~10× the
        cost of one O(d) sum per width at d = 1000 for a power-law Σ); quenched: one SVD per distinct m.
    eigenvalues : Σ's eigenvalues ω_i ≥ 0 (d = their number), e.g. :func:`theory.spectrum.eigenvalues`.
    c2, r2 : quality tr ΔΣ and signal tr ΓΣ, used when ``delta`` / ``gamma`` are not given.
    sigma, sigma2 : label-noise std of real and synthetic data (sigma2 defaults to sigma).
    gamma, delta : prior diagonals Γ_ii, Δ_ii in Σ's eigenbasis.
    penalty : "mean" (λ next to the (1/n)-scaled loss, default) or "sum" (λ next to the summed loss).
    include_noise : add σ₁² to the total (full test MSE instead of excess risk).
    form : "deterministic" (default: the deterministic equivalent for any Σ and diagonal priors, no sampling;
        for isotropic Σ the Marchenko–Pastur form, unchanged) or "quenched" (exact reduction on one S sampled
        from ``projection_seed``).
    projection_seed : the seed of S for ``form="quenched"`` (see :func:`model_collapse.projections.sample_projection`).
    nodes_per_panel : kept for compatibility (validated, unused): the deterministic form no longer integrates
        the MP law by quadrature (:func:`isotropic_spectrum` still does).

    Returns :class:`RPRisk` (rho, bias, variance, zeta, total, kappa, u). Ridgeless at the interpolation
    threshold (λ = 0, min(m, d) = n) u = inf and variance, total are inf. Source: SMC random-projections
    model, docs/theory.md §3. Simulator twin: :func:`montecarlo.random_projections.simulate`.
    """
    w, _ = spectrum_arrays(eigenvalues, None, "predict")
    gam, dlt = rm.resolve_priors(w, np.ones_like(w), r2, c2, gamma, delta, "predict")
    s1 = np.asarray(sigma, dtype=float)
    s2 = s1 if sigma2 is None else np.asarray(sigma2, dtype=float)
    arrs = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (n, m, p2, lam, s1, s2)))
    shape = arrs[0].shape
    nf, mf, pf, lf, s1f, s2f = (a.ravel() for a in arrs)
    out = {k: np.empty(nf.size) for k in _KEYS}
    try:
        if form == "deterministic":
            out.update(_deterministic(nf, mf, pf, rm.effective_lambda(lf, nf, penalty), s1f, s2f, w, gam, dlt))
        else:
            m_values, inverse = np.unique(mf, return_inverse=True)
            specs = _spectra(m_values, w, gam, dlt, projection_seed, "predict")
            for j, spec in enumerate(specs):
                idx = np.flatnonzero(inverse == j)
                res = _evaluate(spec, nf[idx], pf[idx], lf[idx], s1f[idx], s2f[idx], penalty)
                out["rho"][idx] = spec.rho1
                for k in ("bias", "variance", "zeta", "kappa", "u"):
                    out[k][idx] = getattr(res, k)
        with np.errstate(over="ignore"):
            out["total"] = out["rho"] + out["bias"] + out["variance"] + out["zeta"]
            if include_noise:
                out["total"] = out["total"] + times_square(s1f, 1.0)
        overflow = np.any(~np.isfinite(out["total"]) & np.isfinite(out["u"]))
    except UnrepresentableError:
        overflow = True
    if overflow:  # finite in exact arithmetic, beyond float64: name the user's scale and its range
        setting = dict(n=n, m=m, p2=p2, lam=lam, eigenvalues=eigenvalues, gamma=gamma, delta=delta, r2=r2, c2=c2,
                       penalty=penalty, include_noise=include_noise, form=form, projection_seed=projection_seed,
                       nodes_per_panel=nodes_per_panel)
        refuse_unrepresentable("predict", lambda name: unit_total(predict, setting, name, sigma2 is not None),
                               noise_and_prior_scales(sigma, sigma2, r2, c2, gamma, delta),
                               fallback="sigma" if gamma is None else "gamma")
    if np.any(np.isinf(out["u"])):
        warnings.warn("ridgeless fit at the interpolation threshold (lam = 0, min(m, d) = n): u, the variance and "
                      "the total are infinite", RuntimeWarning, stacklevel=2)
    return RPRisk(**{k: v.reshape(shape) for k, v in out.items()})


@validate(n=POSITIVE, p2=PROBABILITY, sigma=NONNEGATIVE, sigma2=NONNEGATIVE)
def large_width_limit(n, p2, eigenvalues, *, c2=1.0, r2=1.0, sigma=1.0, sigma2=None, gamma=None, delta=None,
                      include_noise: bool = False) -> rm.RidgeMixtureRisk:
    """The m → ∞ limit at fixed λ > 0 or λ = 0 (d fixed): the *ridgeless* ridge mixture in dimension d.

    Push-through: Sᵀv = (SᵀS·XᵀX + nλI)⁻¹SᵀS·Xᵀy and SᵀS → (m/d)·I, so the width-m model is ridge on x with
    penalty λd/m → 0. (With λ = λ₀m/d instead, the limit is the ridge mixture at λ₀.) Returns
    :func:`model_collapse.theory.ridge_mixture.predict` at λ = 0 (its ρ is 0: the features span R^d). The approach is
    O(d/m) relative (tested).
    """
    return rm.predict(n, p2, 0.0, eigenvalues, c2=c2, r2=r2, sigma=sigma, sigma2=sigma2, gamma=gamma,
                         delta=delta, include_noise=include_noise)

"""Symbolic checks (sympy) of the ridge-mixture derivations used by theory/ridge.py and theory/ridge_mixture.py."""

import sympy as sp

lam, phi, k, u, p2, c2, r2, s1, s2, w = sp.symbols("lambda phi kappa u p2 c2 r2 sigma1 sigma2 omega", positive=True)
p1 = 1 - p2


def isotropic_kappa():
    b = lam + phi - 1
    return (b + sp.sqrt(b**2 + 4 * lam)) / 2


def test_isotropic_kappa_solves_the_fixed_point():
    """κ − λ = κ·df₁(κ)/n with df₁ = d/(1+κ), i.e. κ − λ = κφ/(1+κ)."""
    kk = isotropic_kappa()
    assert sp.simplify(sp.expand((kk - lam) * (1 + kk) - kk * phi)) == 0


def test_isotropic_u_from_df2():
    """u = df₂/(n − df₂) with df₂ = d/(1+κ)² equals φ/((1+κ)² − φ); 1 + u = 1/(1 − df₂/n)."""
    df2_over_n = phi / (1 + k) ** 2
    uu = df2_over_n / (1 - df2_over_n)
    assert sp.simplify(uu - phi / ((1 + k) ** 2 - phi)) == 0
    assert sp.simplify(1 + uu - 1 / (1 - df2_over_n)) == 0


def test_zeta_two_forms_agree_per_eigenvalue():
    """p₂²(1+p₁u)ω³ + p₂uω(p₁ω+κ)² = p₂²(ω³ + uκ²ω) + p₁p₂u·ω(ω+κ)², per eigen-direction (over (ω+κ)²).

    Summed with weights Δ_i/(ω_i+κ)² this is ζ = p₂²(D₃ + uκ²D₁) + p₁p₂u·c², because
    Σ Δ_i ω_i(ω_i+κ)²/(ω_i+κ)² = tr ΔΣ = c².
    """
    first = p2**2 * (1 + p1 * u) * w**3 + p2 * u * w * (p1 * w + k) ** 2
    second = p2**2 * (w**3 + u * k**2 * w) + p1 * p2 * u * w * (w + k) ** 2
    assert sp.expand(first - second) == 0


def test_isotropic_reductions_of_bias_variance_zeta():
    uu = phi / ((1 + k) ** 2 - phi)
    bias = (1 + uu) * k**2 * r2 / (1 + k) ** 2  # Γ = r²/d·I, Σ = I: tr ΓΣ(Σ+κ)⁻² = r²/(1+κ)²
    assert sp.simplify(bias - r2 * k**2 / ((1 + k) ** 2 - phi)) == 0
    zeta_general = p2**2 * (1 + p1 * uu) * c2 / (1 + k) ** 2 + p2 * uu * c2 * (p1 + k) ** 2 / (1 + k) ** 2
    zeta_closed = c2 * (p2**2 * (1 + p1 * uu) + p2 * uu * (p1 + k) ** 2) / (1 + k) ** 2
    assert sp.simplify(zeta_general - zeta_closed) == 0


def total_isotropic(kk):
    uu = phi / ((1 + kk) ** 2 - phi)
    sbar2 = p1 * s1**2 + p2 * s2**2
    return (r2 * kk**2 / ((1 + kk) ** 2 - phi) + sbar2 * uu
            + c2 * (p2**2 * (1 + p1 * uu) + p2 * uu * (p1 + kk) ** 2) / (1 + kk) ** 2)


def test_ridgeless_limits():
    """λ → 0: κ = 0 (φ < 1) gives (σ̄² + p₁p₂c²)φ/(1−φ) + p₂²c²; κ = φ − 1 (φ > 1) gives
    r²(1 − 1/φ) + σ̄²/(φ−1) + c²p₂(φ − p₂)/(φ(φ−1))."""
    sbar2 = p1 * s1**2 + p2 * s2**2
    under = (sbar2 + p1 * p2 * c2) * phi / (1 - phi) + p2**2 * c2
    assert sp.simplify(total_isotropic(sp.Integer(0)) - under) == 0
    over = r2 * (1 - 1 / phi) + sbar2 / (phi - 1) + c2 * p2 * (phi - p2) / (phi * (phi - 1))
    assert sp.simplify(total_isotropic(phi - 1) - over) == 0
    # and the closed-form κ tends to those values
    assert sp.limit(isotropic_kappa().subs(phi, sp.Rational(1, 2)), lam, 0) == 0
    assert sp.limit(isotropic_kappa().subs(phi, 3), lam, 0) == 2


def test_strong_collapse_floor_and_best_lambda():
    """n → ∞ (φ → 0): κ → λ, u → 0, E → (λ²r² + p₂²c²)/(1+λ)²; minimised at λ* = p₂²c²/r² with value
    p₂²c²r²/(r² + p₂²c²) > 0."""
    kk = isotropic_kappa()
    assert sp.simplify(sp.factor(sp.limit(kk, phi, 0) - lam, deep=True)) == 0  # √((λ+1)²) = λ+1
    floor = (lam**2 * r2 + p2**2 * c2) / (1 + lam) ** 2
    lim = sp.limit(total_isotropic(lam), phi, 0)
    assert sp.simplify(lim - floor) == 0
    lam_star = p2**2 * c2 / r2
    assert sp.simplify(sp.diff(floor, lam).subs(lam, lam_star)) == 0
    assert sp.simplify(floor.subs(lam, lam_star) - p2**2 * c2 * r2 / (r2 + p2**2 * c2)) == 0

"""High-precision (mpmath) references, derived independently of the float code in theory/.

- :func:`kappa_mp` solves the *textbook* fixed point k − λ − (k/n)·Σ m w/(w + k) = 0 at 60+ digits
  with a bracketing solver (no cancellation tricks: the working precision absorbs them). For λ = 0
  and d_eff > n it solves n − Σ m w/(w + k) = 0 instead.
- :func:`mixture_mp` evaluates B, V, ζ from the *first* printed form of ζ,
  p₂²(1 + p₁u)·tr ΔΣ³(Σ+κ)⁻² + p₂u·tr ΔΣ(p₁Σ + κ)²(Σ+κ)⁻², and u = df₂/(n − df₂) directly.
"""

from __future__ import annotations

import mpmath

DPS = 60


def kappa_mp(lam, eigenvalues, n, multiplicities=None, dps: int = DPS) -> float:
    with mpmath.workdps(dps):
        w = [mpmath.mpf(float(x)) for x in eigenvalues]
        m = [mpmath.mpf(1)] * len(w) if multiplicities is None else [mpmath.mpf(float(x)) for x in multiplicities]
        lam, n = mpmath.mpf(float(lam)), mpmath.mpf(float(n))
        d_eff = mpmath.fsum(mi for mi, wi in zip(m, w, strict=True) if wi > 0)
        tr = mpmath.fsum(mi * wi for mi, wi in zip(m, w, strict=True))

        def df1(k):
            return mpmath.fsum(mi * wi / (wi + k) for mi, wi in zip(m, w, strict=True) if wi > 0)

        if lam == 0:
            if d_eff <= n:
                return 0.0
            f = lambda k: n - df1(k)  # noqa: E731
            hi = tr / n
            lo = hi
            while f(lo) >= 0:
                lo /= 4
        else:
            f = lambda k: k - lam - (k / n) * df1(k)  # noqa: E731
            lo, hi = lam, lam + tr / n
            if f(lo) == 0:
                return float(lo)
        root = mpmath.findroot(f, (lo, hi), solver="anderson", tol=mpmath.mpf(10) ** (-dps + 10), maxsteps=500)
        return float(root)


def mixture_mp(n, p2, lam, eigenvalues, gamma, delta, sigma1, sigma2, dps: int = DPS) -> dict:
    with mpmath.workdps(dps):
        k = mpmath.mpf(kappa_mp(lam, eigenvalues, n, dps=dps + 20))
        w = [mpmath.mpf(float(x)) for x in eigenvalues]
        g = [mpmath.mpf(float(x)) for x in gamma]
        dl = [mpmath.mpf(float(x)) for x in delta]
        n, p2 = mpmath.mpf(float(n)), mpmath.mpf(float(p2))
        p1 = 1 - p2
        df2 = mpmath.fsum(wi**2 / (wi + k) ** 2 for wi in w if wi > 0)
        if n - df2 <= 0:  # the interpolation threshold (λ = 0, n = d_eff): every risk term is infinite
            inf = float("inf")
            return {"bias": 0.0, "variance": inf, "zeta": inf, "total": inf, "kappa": float(k), "u": inf}
        u = df2 / (n - df2)
        tg = mpmath.fsum(gi * wi / (wi + k) ** 2 for gi, wi in zip(g, w, strict=True) if wi > 0)
        d3 = mpmath.fsum(di * wi**3 / (wi + k) ** 2 for di, wi in zip(dl, w, strict=True) if wi > 0)
        dmix = mpmath.fsum(di * wi * (p1 * wi + k) ** 2 / (wi + k) ** 2 for di, wi in zip(dl, w, strict=True) if wi > 0)
        bias = (1 + u) * k**2 * tg
        var = (p1 * mpmath.mpf(float(sigma1)) ** 2 + p2 * mpmath.mpf(float(sigma2)) ** 2) * u
        zeta = p2**2 * (1 + p1 * u) * d3 + p2 * u * dmix
        return {"bias": float(bias), "variance": float(var), "zeta": float(zeta), "total": float(bias + var + zeta),
                "kappa": float(k), "u": float(u)}

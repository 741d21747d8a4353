"""The canonical next-token law with a given ‖p‖² = S₀ (SED, docs/theory.md §6.1).

Every quantity of the fully/partially synthetic chains that depends on S₀ only (S_m, Theorem 1's bounds) is the
same for any law with that S₀; the collapse time and the drift ‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ depend on the whole law. The
project fixes one law per (S₀, support, vocab) so that ``collapse predict lm`` and ``collapse simulate lm`` speak
of the same distribution: geometric weights p_i ∝ r^(i−1) on the first s̃ tokens. A deterministic construction
(a root of one equation in r), no sampling: the simulators import it from here.
"""

from __future__ import annotations

import numpy as np
from model_collapse.theory.lm_chain import SIZE, SQ_NORM, check_setting
from model_collapse.validation import InvalidParameterError, validate
from scipy.optimize import brentq

__all__ = ["law"]


def _geometric_sq_norm(r: float, k: int) -> float:
    w = r ** np.arange(k, dtype=float)
    w /= w.sum()
    return float(w @ w)


@validate(s0=SQ_NORM, support=SIZE, vocab=SIZE)
def law(s0: float, support: int | None = None, vocab: int | None = None) -> np.ndarray:
    """The canonical law with ‖p‖² = S₀: p_i ∝ r^(i−1) on tokens 1..s̃ (0 on the other s − s̃ tokens).

    s̃ = ``support`` (default ``vocab``), s = ``vocab`` (default ``support``); r ∈ (0, 1] solves
    ‖p‖² = S₀ (r = 1 is uniform, S₀ = 1/s̃; r → 0 tends to a Dirac mass). Any law with the same S₀ gives
    the same S_m; the collapse time and the deviation depend on the whole law.
    """
    check_setting(s0, support, vocab, "law")
    if support is None and vocab is None:
        raise InvalidParameterError("law needs 'support' or 'vocab' (the number of tokens of the law); got neither.")
    k = int(support if support is not None else vocab)
    s = int(vocab if vocab is not None else k)
    p = np.zeros(s)
    if k == 1:
        p[0] = 1.0
        return p
    if s0 <= 1.0 / k * (1 + 1e-12):
        p[:k] = 1.0 / k
        return p
    r = brentq(lambda x: _geometric_sq_norm(x, k) - s0, 1e-300, 1.0, xtol=1e-300, rtol=4 * np.finfo(float).eps)
    w = r ** np.arange(k, dtype=float)
    p[:k] = w / w.sum()
    return p

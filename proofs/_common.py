"""Shared helpers of the claim modules: seeded draws, independent 50-digit references, formatting.

The references here are written out from docs/model.md directly (plain mpmath), *not* through the
generated kernels, so that a claim comparing the two can detect a bug in either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mpmath
import numpy as np

__all__ = [
    "NU_FIG2",
    "draw_means",
    "draw_discriminators",
    "mp_phi",
    "mp_gap",
    "gap_function",
    "mp_gradients_model_md",
    "fmt",
]

#: The true means of the paper's Figure 2 setting (docs/model.md section 6).
NU_FIG2 = (-0.5, 0.5)


def draw_means(rng: np.random.Generator, n: int, low: float = -3.0, high: float = 3.0) -> np.ndarray:
    """``n`` pairs of means, i.i.d. uniform on ``[low, high]``; shape ``(n, 2)``."""
    return rng.uniform(low, high, size=(n, 2))


def draw_discriminators(
    rng: np.random.Generator,
    n: int,
    *,
    low: float = -6.0,
    high: float = 6.0,
    p_inf: float = 0.15,
    p_collapse: float = 0.15,
) -> np.ndarray:
    """``n`` ordered discriminators ``(l1, r1, l2, r2)``; shape ``(n, 4)``.

    Endpoints are uniform on ``[low, high]``; each is replaced by ``-inf``/``+inf`` with
    probability ``p_inf`` (sorting puts it in place), and each interval is collapsed
    (``r_j = l_j``) with probability ``p_collapse``.
    """
    e = rng.uniform(low, high, size=(n, 4))
    inf = rng.random((n, 4)) < p_inf
    e[inf] = np.where(rng.random(int(inf.sum())) < 0.5, -np.inf, np.inf)
    e.sort(axis=1)
    for j in (0, 2):
        col = rng.random(n) < p_collapse
        e[col, j + 1] = e[col, j]
    e.sort(axis=1)  # collapsing keeps the order; sorting again is a no-op kept for safety
    return e


def mp_phi(t: mpmath.mpf) -> mpmath.mpf:
    """``phi(t) = exp(-t^2/2)/sqrt(2 pi)``; ``phi(+-inf) = 0``."""
    if mpmath.isinf(t):
        return mpmath.mpf(0)
    return mpmath.exp(-(t**2) / 2) / mpmath.sqrt(2 * mpmath.pi)


def mp_gap(x, mu: Sequence, nu: Sequence) -> mpmath.mpf:
    """``p*(x) - p_mu(x) = 1/2 sum_i [phi(x - nu_i) - phi(x - mu_i)]`` (docs/model.md section 1)."""
    return gap_function(mu, nu)(x)


def gap_function(mu: Sequence, nu: Sequence):
    """``x -> p*(x) - p_mu(x)`` at the current mpmath precision, constants converted once.

    ``1/2 sum_i [phi(x - nu_i) - phi(x - mu_i)]`` with ``phi(t) = exp(-t^2/2)/sqrt(2 pi)``
    written out (docs/model.md section 1), ``0`` at ``x = +-inf``.
    """
    n1, n2 = (mpmath.mpf(v) for v in nu)
    m1, m2 = (mpmath.mpf(v) for v in mu)
    c = 1 / (2 * mpmath.sqrt(2 * mpmath.pi))
    exp = mpmath.exp

    def gap(x):
        x = mpmath.mpf(x)
        if mpmath.isinf(x):
            return mpmath.mpf(0)
        return c * (
            exp(-((x - n1) ** 2) / 2)
            + exp(-((x - n2) ** 2) / 2)
            - exp(-((x - m1) ** 2) / 2)
            - exp(-((x - m2) ** 2) / 2)
        )

    return gap


def mp_gradients_model_md(mu: Sequence, ell: Sequence, nu: Sequence) -> list[mpmath.mpf]:
    """``(dL/dmu1, dL/dmu2, dL/dl1, dL/dr1, dL/dl2, dL/dr2)`` written from docs/model.md section 2.

    ``dL/dmu_i = 1/2 sum_j [phi(r_j - mu_i) - phi(l_j - mu_i)]``,
    ``dL/dr_j = p*(r_j) - p_mu(r_j)``, ``dL/dl_j = -(p*(l_j) - p_mu(l_j))``, with
    ``p(+-inf) = 0``.  Uses the current mpmath precision.
    """
    m = [mpmath.mpf(v) for v in mu]
    e = [mpmath.mpf(v) for v in ell]
    out = []
    for mi in m:
        out.append(sum(mp_phi(e[2 * j + 1] - mi) - mp_phi(e[2 * j] - mi) for j in range(2)) / 2)
    for k, x in enumerate(e):
        gap = mpmath.mpf(0) if mpmath.isinf(x) else mp_gap(x, m, nu)
        out.append(gap if k % 2 else -gap)
    return out


def fmt(x: float, digits: int = 2) -> str:
    """Short scientific formatting for key figures (``3.1e-48``); ``0`` for exact zeros."""
    x = float(x)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.{max(digits - 1, 0)}e}"

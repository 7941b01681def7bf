"""Shared helpers of the claim modules: seeded draws, independent 50-digit references, formatting.

The references here are written out from docs/model.md directly (plain mpmath), *not* through the
generated kernels, so that a claim comparing the two can detect a bug in either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mpmath
import numpy as np

from gmmsym.model.spec import PAPER

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


def draw_means(
    rng: np.random.Generator, n: int, low: float = -3.0, high: float = 3.0, *, K: int = 2
) -> np.ndarray:
    """``n`` rows of ``K`` means, i.i.d. uniform on ``[low, high]``; shape ``(n, K)``."""
    return rng.uniform(low, high, size=(n, K))


def draw_discriminators(
    rng: np.random.Generator,
    n: int,
    *,
    low: float = -6.0,
    high: float = 6.0,
    p_inf: float = 0.15,
    p_collapse: float = 0.15,
    M: int = 2,
) -> np.ndarray:
    """``n`` ordered discriminators ``(l1, r1, ..., lM, rM)``; shape ``(n, 2M)``.

    Endpoints are uniform on ``[low, high]``; each is replaced by ``-inf``/``+inf`` with
    probability ``p_inf`` (sorting puts it in place), and each interval is collapsed
    (``r_j = l_j``) with probability ``p_collapse``.
    """
    e = rng.uniform(low, high, size=(n, 2 * M))
    inf = rng.random((n, 2 * M)) < p_inf
    e[inf] = np.where(rng.random(int(inf.sum())) < 0.5, -np.inf, np.inf)
    e.sort(axis=1)
    for j in range(0, 2 * M, 2):
        col = rng.random(n) < p_collapse
        e[col, j + 1] = e[col, j]
    e.sort(axis=1)  # collapsing keeps the order; sorting again is a no-op kept for safety
    return e


def mp_phi(t: mpmath.mpf) -> mpmath.mpf:
    """``phi(t) = exp(-t^2/2)/sqrt(2 pi)``; ``phi(+-inf) = 0``."""
    if mpmath.isinf(t):
        return mpmath.mpf(0)
    return mpmath.exp(-(t**2) / 2) / mpmath.sqrt(2 * mpmath.pi)


def mp_gap(x, mu: Sequence, nu: Sequence, model=None) -> mpmath.mpf:
    """``p*(x) - p_mu(x) = sum_i w_i [phi_s(x - nu_i) - phi_s(x - mu_i)]`` (docs/model.md section 1)."""
    return gap_function(mu, nu, model)(x)


def _weights_sigma(model, K: int) -> tuple[list, mpmath.mpf]:
    """``(w_i, sigma)`` as mpf at the working precision (``model`` None: the paper's, ``1/2``, 1)."""
    if model is None or model == PAPER:
        return [mpmath.mpf(1) / 2] * K, mpmath.mpf(1)
    w = [mpmath.mpf(f.numerator) / f.denominator for f in model.weights]
    return w, mpmath.mpf(model.sigma.numerator) / model.sigma.denominator


def gap_function(mu: Sequence, nu: Sequence, model=None):
    """``x -> p*(x) - p_mu(x)`` at the current mpmath precision, constants converted once.

    ``sum_i w_i [phi_s(x - nu_i) - phi_s(x - mu_i)]`` with ``phi_s(t) = exp(-t^2/(2 s^2))/(s sqrt(2 pi))``
    written out (docs/model.md section 1), ``0`` at ``x = +-inf``.  ``model`` (a ``ModelSpec``,
    read for its weights and sigma only) defaults to the paper's (``w = 1/2``, ``s = 1``).
    """
    if model is None or model == PAPER:
        return _paper_gap(mu, nu)
    w, s = _weights_sigma(model, len(mu))
    terms = [(wi / (s * mpmath.sqrt(2 * mpmath.pi)), mpmath.mpf(v)) for wi, v in zip(w, nu)]
    terms += [(-wi / (s * mpmath.sqrt(2 * mpmath.pi)), mpmath.mpf(v)) for wi, v in zip(w, mu)]
    exp = mpmath.exp

    def gap(x):
        x = mpmath.mpf(x)
        if mpmath.isinf(x):
            return mpmath.mpf(0)
        return mpmath.fsum(c * exp(-(((x - m) / s) ** 2) / 2) for c, m in terms)

    return gap


def _paper_gap(mu: Sequence, nu: Sequence):
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


def mp_gradients_model_md(mu: Sequence, ell: Sequence, nu: Sequence, model=None) -> list[mpmath.mpf]:
    """``(dL/dmu_1..K, dL/dl1, dL/dr1, ..., dL/dlM, dL/drM)`` written from docs/model.md section 2.

    ``dL/dmu_i = w_i sum_j [phi_s(r_j - mu_i) - phi_s(l_j - mu_i)]``,
    ``dL/dr_j = p*(r_j) - p_mu(r_j)``, ``dL/dl_j = -(p*(l_j) - p_mu(l_j))``, with
    ``p(+-inf) = 0``; ``model`` as in :func:`gap_function` (default: the paper's, where
    ``w_i phi_s = phi/2``).  Uses the current mpmath precision.
    """
    m = [mpmath.mpf(v) for v in mu]
    e = [mpmath.mpf(v) for v in ell]
    w, s = _weights_sigma(model, len(m))
    out = []
    for wi, mi in zip(w, m):
        dens = [mp_phi((x - mi) / s) / s for x in e]
        out.append(wi * sum(dens[2 * j + 1] - dens[2 * j] for j in range(len(e) // 2)))
    gap = gap_function(m, nu, model)
    for k, x in enumerate(e):
        g = mpmath.mpf(0) if mpmath.isinf(x) else gap(x)
        out.append(g if k % 2 else -g)
    return out


def fmt(x: float, digits: int = 2) -> str:
    """Short scientific formatting for key figures (``3.1e-48``); ``0`` for exact zeros."""
    x = float(x)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.{max(digits - 1, 0)}e}"

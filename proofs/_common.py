"""Shared helpers of the claim modules: seeded draws, independent 50-digit references, formatting.

The references here are written out from MODEL.md directly (plain mpmath), *not* through the
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
    "mp_crossings",
    "mp_tv_quadrature",
    "fmt",
]

#: The true means of the paper's Figure 2 setting (MODEL.md section 6).
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
    """``p*(x) - p_mu(x) = 1/2 sum_i [phi(x - nu_i) - phi(x - mu_i)]`` (MODEL.md section 1)."""
    return gap_function(mu, nu)(x)


def gap_function(mu: Sequence, nu: Sequence):
    """``x -> p*(x) - p_mu(x)`` at the current mpmath precision, constants converted once.

    ``1/2 sum_i [phi(x - nu_i) - phi(x - mu_i)]`` with ``phi(t) = exp(-t^2/2)/sqrt(2 pi)``
    written out (MODEL.md section 1), ``0`` at ``x = +-inf``.
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
    """``(dL/dmu1, dL/dmu2, dL/dl1, dL/dr1, dL/dl2, dL/dr2)`` written from MODEL.md section 2.

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


def mp_crossings(mu: Sequence, nu: Sequence, *, span: float = 40.0, step: float = 0.01) -> list:
    """Sign changes of ``p* - p_mu``: a float64 scan, refined at the current mpmath precision.

    A plain numerical root finder for references, independent of :mod:`gmmsym.optimal` (not a
    certificate): scans ``exp(x^2/2) (p* - p_mu)`` (same sign, no underflow) on a grid of
    spacing ``step`` over ``[c - span, c + span]`` around the means' centre ``c`` and refines
    each bracket with :func:`mpmath.findroot` (``anderson``) on ``p* - p_mu`` itself.
    """
    center = float(sum(float(v) for v in (*mu, *nu)) / 4)
    xs = np.arange(center - span, center + span + step / 2, step)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = sum(np.exp(xs * float(n) - float(n) ** 2 / 2) for n in nu) - sum(
            np.exp(xs * float(m) - float(m) ** 2 / 2) for m in mu
        )
    sign = np.sign(scaled)
    gap = gap_function(mu, nu)
    roots = []
    for k in np.nonzero(sign[:-1] * sign[1:] < 0)[0]:
        roots.append(mpmath.findroot(gap, (mpmath.mpf(xs[k]), mpmath.mpf(xs[k + 1])), solver="anderson"))
    return roots


def mp_tv_quadrature(mu: Sequence, nu: Sequence, crossings: Sequence | None = None) -> tuple:
    """``TV = 1/2 int |p* - p_mu| dx`` by mpmath quadrature split at the crossings.

    Returns ``(tv, error_estimate)`` (mpmath's own estimate).  Uses the current precision.
    """
    gap = gap_function(mu, nu)
    pts = list(mp_crossings(mu, nu) if crossings is None else crossings)
    means = sorted(mpmath.mpf(v) for v in (*mu, *nu))
    nodes = sorted({*pts, *means})
    total = mpmath.mpf(0)
    err = mpmath.mpf(0)
    edges = [mpmath.ninf, *nodes, mpmath.inf]
    for a, b in zip(edges[:-1], edges[1:]):
        if a == b:
            continue
        val, e = mpmath.quad(lambda x: abs(gap(x)), [a, b], error=True)
        total += val
        err += e
    return total / 2, err / 2


def fmt(x: float, digits: int = 2) -> str:
    """Short scientific formatting for key figures (``3.1e-48``); ``0`` for exact zeros."""
    x = float(x)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.{max(digits - 1, 0)}e}"

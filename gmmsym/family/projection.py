"""Euclidean projection onto ``l1 <= r1 <= ... <= lM <= rM`` for any ``M`` (``docs/model.md`` section 4).

Isotonic regression of each row of a batch ``(N, 2M)`` by the max-min formula (Barlow,
Bartholomew, Bremner, Brunk 1972, Thm. 1.4)

.. math:: x_k = \\max_{i \\le k} \\min_{j \\ge k} \\bar y_{i..j},

vectorized over rows *and* over the block table: the ``n (n + 1) / 2`` block means (``n = 2M``)
are built one block length at a time as whole ``(n - L + 1, N)`` slabs, the inner minimum is
running ``fmin`` over ``j`` (suffix minima) and the outer maximum a running ``fmax`` over ``i``
(prefix maxima), each step on a whole slab; no Python loop runs over rows.

The block means use exactly the arithmetic of :func:`gmmsym.discriminator.projection.project4`
(``(y_i + y_{i+1}) * 0.5`` for pairs, ``m + (y_j - m) / L`` for longer blocks, the
extended-real mean ``sum / L`` where that is NaN because the block holds an infinity), and
``fmin`` / ``fmax`` only select, so for ``M = 2`` the result is bitwise that of ``project4``
(including ties and ``+-inf`` endpoints; the one exception is the sign of a zero,
``-0.0`` against ``0.0``, which depends on the argument order of ``fmin`` / ``fmax``),
ordered rows come back bitwise unchanged, and rows in which a ``+inf`` precedes a ``-inf``
(no projection exists) are NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["project_rows", "block_means"]


def block_means(y: np.ndarray) -> np.ndarray:
    """Table ``T[i, j] = mean(y_i..y_j)`` of shape ``(n, n, N)`` (NaN for ``i > j``).

    Parameters
    ----------
    y : ndarray, shape (n, N)
        Component-major rows (column ``k`` of the state is ``y[k]``).
    """
    n = y.shape[0]
    t = np.full((n, n) + y.shape[1:], np.nan)
    idx = np.arange(n)
    t[idx, idx] = y
    prev = y
    for length in range(2, n + 1):
        i = idx[: n - length + 1]
        last = y[length - 1 :]
        if length == 2:
            cur = (prev[:-1] + last) * 0.5
        else:
            cur = prev[:-1] + (last - prev[:-1]) / length
        bad = np.isnan(cur)
        if length > 2 and bad.any():  # an infinity in the block: extended-real mean sum / L
            # sum of y_i..y_{i+L-1} by an explicit left-to-right sum (cumsum gives inf - inf)
            total = np.zeros_like(cur)
            for k in range(length):
                total = total + y[k : k + n - length + 1]
            cur = np.where(bad, total / length, cur)
        t[i, i + length - 1] = cur
        prev = cur
    return t


def _plus_before_minus(y: np.ndarray) -> np.ndarray:
    """Rows (columns of ``y (n, N)``) in which some ``+inf`` precedes some ``-inf``."""
    seen_plus = np.logical_or.accumulate(y == np.inf, axis=0)
    return (seen_plus[:-1] & (y[1:] == -np.inf)).any(axis=0)


def _min_max(t: np.ndarray) -> np.ndarray:
    """``prefix[i, k] = max_{i' <= i} min_{j >= k} T[i', j]`` of the table ``t (n, n, N)``.

    The values of ``fmax.accumulate(fmin.accumulate(t[:, ::-1], axis=1)[:, ::-1], axis=0)``
    (the sign of a zero may differ: numpy's ``fmin`` / ``fmax`` of ``-0.0`` and ``0.0`` depend
    on the inner loop it picks), one whole ``(n, N)`` slab per step: ``ufunc.accumulate`` along
    a short middle axis runs one tiny inner loop per row and is about three times slower.
    """
    n = t.shape[0]
    suffix = np.empty_like(t)
    suffix[:, n - 1] = t[:, n - 1]
    for k in range(n - 2, -1, -1):  # min_{j >= k} T[i, j]
        np.fmin(suffix[:, k + 1], t[:, k], out=suffix[:, k])
    for i in range(1, n):  # max_{i' <= i}
        np.fmax(suffix[i - 1], suffix[i], out=suffix[i])
    return suffix


def project_rows(ell: ArrayLike) -> np.ndarray:
    """Projection of every row of ``ell (N, 2M)`` onto the ordered set (hot path, not validated).

    Parameters
    ----------
    ell : array_like of float64, shape (N, n)
        Endpoints ``(l1, r1, ..., lM, rM)``; need not be ordered; ``+-inf`` allowed.

    Returns
    -------
    ndarray, shape (N, n)
        ``x_k = max_{i<=k} min_{j>=k} mean(y_i..y_j)``; NaN rows where a ``+inf`` precedes a
        ``-inf``.
    """
    y = np.asarray(ell, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] < 1:
        raise ValueError(f"ell must have shape (N, n) with n >= 1, got shape {y.shape}")
    yt = np.ascontiguousarray(y.T)
    with np.errstate(invalid="ignore"):
        t = block_means(yt)
        prefix = _min_max(t)
    n = yt.shape[0]
    out = prefix[np.arange(n), np.arange(n)]  # x_k = prefix[k, k]
    bad = _plus_before_minus(yt)
    if bad.any():
        out[:, bad] = np.nan
    return np.ascontiguousarray(out.T)

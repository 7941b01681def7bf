"""Euclidean projection onto ``l1 <= r1 <= ... <= lM <= rM`` for any ``M`` (``docs/model.md`` section 4).

Isotonic regression of each row by the max-min formula (Barlow, Bartholomew, Bremner, Brunk 1972,
Thm. 1.4)

.. math:: x_k = \\max_{i \\le k} \\min_{j \\ge k} \\bar y_{i..j},

over the table of the ``n (n + 1) / 2`` block means (``n = 2M``), vectorized over rows; no Python
loop runs over rows.

The block means use exactly the arithmetic of :func:`gmmsym.discriminator.projection.project4`
(``(y_i + y_{i+1}) * 0.5`` for pairs, ``m + (y_j - m) / L`` for longer blocks, the
extended-real mean ``sum / L`` where that is NaN because the block holds an infinity), and
``fmin`` / ``fmax`` only select, so for ``M = 2`` the result is bitwise that of ``project4``
(including ties and ``+-inf`` endpoints; the one exception is the sign of a zero,
``-0.0`` against ``0.0``, which depends on the argument order of ``fmin`` / ``fmax``),
ordered rows come back bitwise unchanged, and rows in which a ``+inf`` precedes a ``-inf``
(no projection exists) are NaN.

Fast path (:func:`project_components`, component-major like ``project4``).  Every row gets
bitwise the result of :func:`project_rows_reference` (the plain evaluation of the formula);
three kinds of rows take three routes, chosen per row, so a row's result never depends on its
batch:

* ordered rows with no zero entry and finite ends ``-BIG < y_1``, ``y_n < BIG`` are copied: the
  formula returns ``y_k`` in value there (every computed mean of an ordered block lies in
  ``[y_i, y_j]``), and a nonzero value has one bit pattern;
* rows with every ``TINY <= |y_k| < BIG`` (``TINY = 2**-1000``, ``BIG = 1e307``: no infinity, no
  NaN, no overflow, so no mean needs the extended-real fix, and no ``-0.0`` anywhere in the table,
  so no ``fmin`` / ``fmax`` meets a tie of signed zeros) run the table stored by block length,
  one contiguous slab per length: one ufunc call per length for the means, then per length for
  the suffix minima ``min_{j >= k}`` and the prefix maxima ``max_{i <= k}``, the operands in the
  reference's order;
* the remaining rows (zero or subnormal entries, ``+-inf``, NaN, huge) run
  :func:`project_rows_reference` (slow: about 40x the table).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["project_rows", "project_components", "project_rows_reference", "block_means"]

# Finite rows below this magnitude cannot overflow in a pair sum or in ``y - m`` (2 * BIG < 1.79e308).
BIG = 1e307
# Rows with every |y_k| >= TINY hold no -0.0 anywhere in their table (a difference of such entries is
# 0 or >= 2**-1053 in magnitude, so no product or quotient underflows to -0.0): ties of zeros cannot occur.
TINY = 2.0**-1000


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


def _maxmin_reference(yt: np.ndarray) -> np.ndarray:
    """The max-min formula over :func:`block_means` for component-major ``yt (n, N)``; ``(n, N)``."""
    with np.errstate(invalid="ignore", over="ignore"):
        t = block_means(yt)
        suffix = np.fmin.accumulate(t[:, ::-1], axis=1)[:, ::-1]  # min_{j >= k} T[i, j]
        prefix = np.fmax.accumulate(suffix, axis=0)  # max_{i <= k}
    n = yt.shape[0]
    out = prefix[np.arange(n), np.arange(n)]  # x_k = prefix[k, k]
    bad = _plus_before_minus(yt)
    if bad.any():
        out[:, bad] = np.nan
    return out


def _check_rows(ell: ArrayLike) -> np.ndarray:
    y = np.asarray(ell, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] < 1:
        raise ValueError(f"ell must have shape (N, n) with n >= 1, got shape {y.shape}")
    return y


def project_rows_reference(ell: ArrayLike) -> np.ndarray:
    """The plain evaluation of the max-min formula (reference of :func:`project_rows`; slow).

    Builds the whole ``(n, n, N)`` table with :func:`block_means` and takes the suffix minima and
    prefix maxima with ``fmin.accumulate`` / ``fmax.accumulate``.  Same parameters and result as
    :func:`project_rows`, which returns bitwise the same rows.
    """
    y = _check_rows(ell)
    return np.ascontiguousarray(_maxmin_reference(np.ascontiguousarray(y.T)).T)


def _mean_step(prev: np.ndarray, last: np.ndarray, length: int, out: np.ndarray) -> None:
    """Block means of one length into ``out``: ``(y_i + y_{i+1}) * 0.5`` or ``m + (y_j - m) / length``.

    ``/ 4`` is taken as ``* 0.25`` (the same correctly rounded quotient, a cheaper operation).
    """
    if length == 2:
        np.add(prev, last, out=out)
        out *= 0.5
        return
    np.subtract(last, prev, out=out)
    if length == 4:
        out *= 0.25
    else:
        out /= length
    out += prev


def _maxmin_fast(y: np.ndarray) -> np.ndarray:
    """The max-min formula for component-major ``y (n, m)`` with ``TINY <= |y| < BIG``, in place in ``y``.

    The table is stored by block length: ``d[L][i]`` is the mean of ``y_i..y_{i+L-1}``, each length
    one contiguous slab of a single buffer (so no ufunc call sees overlapping operands and copies
    them).  In place, ``d[L]`` then becomes the suffix minima ``S[i, i+L-1] = fmin(S[i, i+L],
    T[i, i+L-1])`` (``L`` descending) and then the prefix maxima ``P[i, i+L-1] = fmax(P[i-1,
    i+L-1], S[i, i+L-1])`` (``L`` descending); ``x_k = P[k, k] = d[1][k]``.  The operand order is
    that of :func:`_maxmin_reference`.
    """
    n, m = y.shape
    buf = np.empty((n * (n - 1) // 2, m))
    d, start = [None, y], 0  # d[1] is y itself (overwritten by the prefix maxima)
    for length in range(2, n + 1):
        d.append(buf[start : start + n - length + 1])
        start += n - length + 1
    for length in range(2, n + 1):
        _mean_step(d[length - 1][:-1], d[1][length - 1 :], length, d[length])
    for length in range(n - 1, 0, -1):
        np.fmin(d[length + 1], d[length][:-1], out=d[length][:-1])
    for length in range(n - 1, 0, -1):
        np.fmax(d[length + 1], d[length][1:], out=d[length][1:])
    return d[1]


def _maxmin(y: np.ndarray) -> np.ndarray:
    """The max-min formula for component-major ``y (n, m)``, bitwise :func:`_maxmin_reference`.

    Overwrites ``y`` (returns it, or a new array when some rows need the reference).
    """
    with np.errstate(invalid="ignore"):
        a = np.abs(y)
        if a.size and a.min() >= TINY and a.max() < BIG:
            return _maxmin_fast(y)
        fast = ((a >= TINY) & (a < BIG)).all(axis=0)
    x = np.empty_like(y)
    x[:, fast] = _maxmin_fast(np.ascontiguousarray(y[:, fast]))
    x[:, ~fast] = _maxmin_reference(y[:, ~fast])
    return x


def _copied(y: np.ndarray) -> np.ndarray:
    """Rows (columns of ``y (n, N)``) that come back bitwise unchanged: ordered, finite below ``BIG``,
    no zero entry.

    The formula gives ``y_k`` in value on such a row (every computed mean of an ordered block lies
    in ``[y_i, y_j]``), and a nonzero value has one bit pattern.
    """
    keep = np.logical_and.reduce(y[1:] >= y[:-1], axis=0)
    keep &= np.logical_and.reduce(y != 0, axis=0)
    keep &= y[0] > -BIG
    keep &= y[-1] < BIG
    return keep


def project_components(
    cols: tuple[np.ndarray, ...], out: tuple[np.ndarray, ...] | None = None
) -> tuple[np.ndarray, ...]:
    """Projection onto ``y_1 <= ... <= y_n`` on component-major state (hot path, not validated).

    Parameters
    ----------
    cols : tuple of n ndarray of float64, shape (N,)
        The endpoint arrays ``(l1, r1, ..., lM, rM)``, one entry per row; need not be ordered;
        ``+-inf`` allowed.
    out : tuple of n ndarray, optional
        Arrays to write the result into; they may be ``cols`` themselves (in place), otherwise
        they must not overlap the inputs.

    Returns
    -------
    tuple of n ndarray, shape (N,)
        ``x_k = max_{i<=k} min_{j>=k} mean(y_i..y_j)``, bitwise the rows of
        :func:`project_rows_reference` (for ``n = 4`` equal to
        :func:`gmmsym.discriminator.projection.project4`); NaN rows where a ``+inf`` precedes a
        ``-inf``.  See the module docstring for the three routes a row takes.
    """
    shape = np.shape(cols[0])
    x = _project_slab(np.stack([np.ravel(c) for c in cols]))
    if out is None:
        return tuple(r.reshape(shape) for r in x)
    for o, r in zip(out, x):
        np.copyto(o, r.reshape(shape))
    return out


def _project_slab(y: np.ndarray) -> np.ndarray:
    """Projection of every column of ``y (n, N)`` (overwritten); returns ``y`` or a new array."""
    with np.errstate(invalid="ignore"):
        keep = _copied(y)
    work = y.shape[1] - int(np.count_nonzero(keep))
    if 4 * work >= y.shape[1] and work:  # most rows need the table: no gather / scatter
        return _maxmin(y)
    if work:
        rows = np.flatnonzero(~keep)
        y[:, rows] = _maxmin(y[:, rows])
    return y


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
        ``-inf``.  The core of :func:`project_components` on the columns; bitwise
        :func:`project_rows_reference`.
    """
    y = _check_rows(ell)
    yt = np.array(y.T, order="C")  # always a copy: projected in place below
    return np.ascontiguousarray(_project_slab(yt).T)

"""Euclidean projection of discriminator endpoints onto the ordered set (docs/model.md section 4).

The first-order dynamics keep ``ell = (l1, r1, l2, r2, ...)`` ordered,
``l1 <= r1 <= l2 <= r2 <= ...``, by projecting after every ascent step **[choice]**:

.. math::

    \\mathrm{Proj}(y) = \\arg\\min_{x_1 \\le x_2 \\le \\dots \\le x_n} \\sum_k (x_k - y_k)^2 ,

i.e. isotonic regression of each row.  Pool adjacent violators (PAV) solves it by merging
violating neighbours into blocks that take their mean; crossing endpoints therefore merge at
their mean, and a collapsed interval stays put until the gradient pulls it open.

Method: the max-min formula (Barlow, Bartholomew, Bremner, Brunk 1972, Thm. 1.4)

.. math::

    x_k = \\max_{i \\le k} \\; \\min_{j \\ge k} \\; \\bar y_{i..j},
    \\qquad \\bar y_{i..j} = \\frac{y_i + \\dots + y_j}{j - i + 1},

evaluated branch-free and vectorized over rows (for ``n = 4``: 6 block means and 12
``fmin``/``fmax``, about 30 elementwise operations and no per-row Python work).  Every row
is computed by the same elementwise operations, so results are bitwise independent of the
batch a row is computed in.

Floating-point guarantees (not only "up to rounding"):

* The output is exactly ordered: ``x_k <= x_{k+1}`` holds in float64, because both sides
  are max-min expressions over the *same* table of computed means and the index sets nest.
* An ordered input row is returned bitwise unchanged (so the projection is exactly
  idempotent).  This needs every computed block mean of an ordered block to lie in
  ``[y_i, y_j]``; the means are therefore computed as
  ``m_{i..j} = m_{i..j-1} + (y_j - m_{i..j-1}) / len`` (for blocks of 3 or more) and
  ``m_{i,i+1} = (y_i + y_{i+1}) / 2``.  For an ordered block ``y_j - m_{i..j-1} >= 0`` so the
  mean cannot drop below ``m_{i..j-1} >= y_i``, and the correction is rounded to at most
  ``(y_j - m) (1 + u)^2 / 3 < y_j - m`` so it cannot pass ``y_j``.  (The plain
  ``(y_i + y_{i+1} + y_{i+2}) / 3`` can leave the block by one ulp on ties.)
* Finite inputs must stay below about ``1e307`` in magnitude (the sums must not overflow).

Infinite endpoints (``ell`` may contain ``-inf``/``+inf``): a block mean is taken in the
extended reals, i.e. as the limit with the finite entries held fixed: a block containing
``-inf`` (but no ``+inf``) has mean ``-inf``, one containing ``+inf`` (but no ``-inf``) has
mean ``+inf``.  A block containing both has no limit; such means are skipped (``fmin`` /
``fmax`` ignore NaN), which is exact as long as no ``+inf`` precedes a ``-inf`` in the row
(then those blocks never attain the max-min).  So an ordered row with infinite endpoints is
unchanged, ``(+inf, 0, 1, 2)`` projects to ``(+inf,) * 4`` and ``(-3, -inf, 1, 2)`` to
``(-inf, -inf, 1, 2)``.  A row in which some ``+inf`` precedes some ``-inf`` has no
projection (the limit depends on how the infinities are approached): :func:`project_ell`
raises ``ValueError``, :func:`project4` returns NaN for that row.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from gmmsym.discriminator.projection_any import project_rows
from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import as_points, as_real_array

__all__ = ["project_ell", "project4", "project_scalars"]


def _mean_next(m: np.ndarray, y: np.ndarray, length: int, out: np.ndarray | None = None) -> np.ndarray:
    """``m_{i..j} = m_{i..j-1} + (y_j - m_{i..j-1}) / length`` (stays inside an ordered block)."""
    res = np.subtract(y, m, out=out)
    res /= length
    res += m
    return res


def _fix_infinite_means(means: dict, cols: tuple[np.ndarray, ...]) -> None:
    """Replace NaN block means by extended-real means (sum / length), in place.

    The recursive mean ``m + (y - m)/n`` is NaN whenever ``m`` is infinite; the plain sum gives
    the extended-real mean (``+-inf``) there, and NaN only for blocks containing both
    ``-inf`` and ``+inf``.  Finite blocks never produce NaN, so they are left untouched.
    """
    for (i, j), m in means.items():
        if j - i < 2:
            continue  # y_i itself or (y_i + y_j) / 2: already extended-real correct
        bad = np.isnan(m)
        if bad.any():
            total = cols[i][bad]
            for k in range(i + 1, j + 1):
                total = total + cols[k][bad]
            m[bad] = total / (j - i + 1)


def _plus_before_minus(cols: tuple[np.ndarray, ...]) -> np.ndarray:
    """Rows in which some ``+inf`` precedes some ``-inf`` (no projection exists)."""
    seen_plus = np.zeros(np.shape(cols[0]), dtype=bool)
    bad = np.zeros_like(seen_plus)
    for c in cols:
        bad |= seen_plus & (c == -np.inf)
        seen_plus |= c == np.inf
    return bad


def project4(
    l1: np.ndarray,
    r1: np.ndarray,
    l2: np.ndarray,
    r2: np.ndarray,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Projection onto ``l1 <= r1 <= l2 <= r2`` on component-major state (hot path).

    Parameters
    ----------
    l1, r1, l2, r2 : ndarray of float64
        Endpoint arrays of one common shape (typically contiguous 1-D, one entry per row).
        Not validated.
    out : tuple of 4 ndarray, optional
        Arrays to write ``(x1, x2, x3, x4)`` into.  They may be the input arrays themselves,
        in the same order (in-place projection of the state); otherwise they must not
        overlap the inputs.

    Returns
    -------
    tuple of 4 ndarray
        The projected endpoints ``(x1, x2, x3, x4)`` with

        .. math:: x_k = \\max_{i \\le k} \\min_{j \\ge k} \\bar y_{i..j}

        (see the module docstring).  Ordered rows come back bitwise unchanged.  Rows where
        a ``+inf`` precedes a ``-inf`` are NaN.

    Notes
    -----
    About 30 elementwise operations into one preallocated workspace (fresh temporaries per
    operation cost more than the arithmetic at batch sizes of 1e4-1e5).
    """
    with np.errstate(invalid="ignore"):  # inf - inf in means of blocks holding +-inf
        return _project4(l1, r1, l2, r2, out)


def _project4(l1, r1, l2, r2, out):
    a, b, c, d = l1, r1, l2, r2
    shape = np.broadcast_shapes(np.shape(a), np.shape(b), np.shape(c), np.shape(d))
    work = np.empty((8,) + shape)
    m12, m23, m34, m123, m234, m1234, t, u = work
    np.add(a, b, out=m12)
    m12 *= 0.5
    np.add(b, c, out=m23)
    m23 *= 0.5
    np.add(c, d, out=m34)
    m34 *= 0.5
    _mean_next(m12, c, 3, m123)
    _mean_next(m23, d, 3, m234)
    _mean_next(m123, d, 4, m1234)
    # One cheap test decides whether any row holds an infinity (a NaN mean): only the NaN
    # entries are touched by the fix-up, so a row's result does not depend on the batch.
    np.add(m123, m234, out=t)
    t += m1234
    bad = None
    if np.isnan(t).any():
        means = {(0, 2): m123, (1, 3): m234, (0, 3): m1234}
        _fix_infinite_means(means, (a, b, c, d))
        bad = _plus_before_minus(tuple(np.broadcast_to(x, shape) for x in (a, b, c, d)))
    if out is None:
        out = tuple(np.empty(shape) for _ in range(4))
    x1, x2, x3, x4 = out
    np.fmin(m123, m1234, out=t)  # t = min_{j>=3} m_{1..j}
    np.fmin(m12, t, out=u)  # u = min_{j>=2} m_{1..j}
    v = np.fmin(m23, m234, out=m23)  # v = min_{j>=3} m_{2..j}
    np.fmin(a, u, out=x1)
    np.fmin(b, v, out=x2)
    np.fmax(u, x2, out=x2)
    np.fmax(t, v, out=t)
    np.fmin(c, m34, out=x3)
    np.fmax(t, x3, out=x3)
    np.fmax(m34, d, out=x4)
    np.fmax(x4, m1234, out=x4)
    np.fmax(x4, m234, out=x4)
    if bad is not None and bad.any():
        for x in (x1, x2, x3, x4):
            x[bad] = np.nan
    return x1, x2, x3, x4


def project_ell(ell: ArrayLike, model: ModelSpec = PAPER) -> np.ndarray:
    """Euclidean projection of each row of ``ell`` onto ``l1 <= r1 <= l2 <= r2 <= ...``.

    .. math::

        \\mathrm{Proj}(y) = \\arg\\min_{x_1 \\le \\dots \\le x_{2M}} \\lVert x - y \\rVert_2^2,
        \\qquad x_k = \\max_{i \\le k} \\min_{j \\ge k} \\frac{y_i + \\dots + y_j}{j - i + 1}.

    Parameters
    ----------
    ell : array_like, shape (..., 2M)
        Endpoints ``(l1, r1, l2, r2, ...)``; need not be ordered; ``+-inf`` allowed.
    model : ModelSpec
        Only its ``M`` matters (default: the paper's, ``M = 2``).  ``M = 2`` runs
        :func:`project4`; any other ``M`` the vectorized max-min PAV of
        :func:`gmmsym.discriminator.projection_any.project_rows` (bitwise equal to :func:`project4` for
        ``M = 2``, up to the sign of a zero).

    Returns
    -------
    ndarray, shape (..., 2M)
        The projection (isotonic regression) of every row; exactly ordered in float64;
        ordered rows are returned bitwise unchanged.

    Raises
    ------
    TypeError
        If ``ell`` is not a real numeric array.
    ValueError
        If ``model`` is not a ModelSpec, the last axis is not ``2M`` long, ``ell`` contains
        NaN, or a row has a ``+inf`` before a ``-inf`` (no projection exists, see the module docstring).
    """
    width = 2 * check_model(model).M
    y = as_points("ell", as_real_array("ell", ell), width, allow_inf=True)
    lead = y.shape[:-1]
    flat = y.reshape(-1, width)
    if width == 4:
        # Strided column views: cheaper than transposing to component-major and back.
        result = np.empty(flat.shape)
        project4(*(flat[:, k] for k in range(4)), out=tuple(result[:, k] for k in range(4)))
    else:
        result = project_rows(flat)
    if np.isnan(result).any():
        row = int(np.argwhere(np.isnan(result).any(axis=-1))[0, 0])
        where = f" at row {np.unravel_index(row, lead)}" if lead else ""
        raise InputError(f"ell has +inf before -inf{where}: the projection onto the ordered set is undefined")
    return result.reshape(lead + (width,))


def project_scalars(y: tuple) -> tuple:
    """Isotonic regression (pool adjacent violators) of a short tuple of scalars.

    Blocks are merged while a block mean exceeds the next one; each output is its block's
    mean ``(y_i + ... + y_j) / (j - i + 1)``.  The comparisons act on the computed means, so the
    output is exactly ordered at the working precision, and an ordered input (no merges) is
    returned unchanged.  Same projection as :func:`gmmsym.discriminator.projection.project_ell` (that one is
    vectorized float64); for ``mpmath`` numbers (the mpmath dynamics, claim C11).
    """
    sums: list = []
    counts: list[int] = []
    means: list = []
    for v in y:
        sums.append(v)
        counts.append(1)
        means.append(v)
        while len(means) > 1 and means[-2] > means[-1]:
            s, c = sums.pop(), counts.pop()
            means.pop()
            sums[-1] += s
            counts[-1] += c
            means[-1] = sums[-1] / counts[-1]
    out: list = []
    for m, c in zip(means, counts):
        out.extend([m] * c)
    return tuple(out)

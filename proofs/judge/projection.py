"""Euclidean projection onto ``l1 <= r1 <= l2 <= r2`` (``docs/model.md`` section 4).

Isotonic regression by the max-min formula (Barlow, Bartholomew, Bremner, Brunk 1972):
``x_k = max_{i <= k} min_{j >= k} mean(y_i, ..., y_j)``, over every row at once.  Block means are
taken in the extended reals (a block holding ``+inf`` and no ``-inf`` has mean ``+inf``);
blocks holding both are skipped (``fmin`` / ``fmax`` ignore NaN).
"""

from __future__ import annotations

import numpy as np

__all__ = ["project", "block_means"]


def block_means(y: np.ndarray) -> np.ndarray:
    """``M[:, i, j] = mean(y_i..y_j)`` for ``i <= j`` (plain sums over lengths), NaN for ``i > j``."""
    n_rows, n = y.shape
    out = np.full((n_rows, n, n), np.nan)
    with np.errstate(invalid="ignore"):
        for i in range(n):
            out[:, i, i:] = np.cumsum(y[:, i:], axis=1) / np.arange(1, n - i + 1)
    return out


def project(y: np.ndarray) -> np.ndarray:
    """Projection of each row of ``y`` (shape ``(N, n)``) onto ``x_1 <= ... <= x_n``."""
    y = np.asarray(y, dtype=float)
    n = y.shape[1]
    means = block_means(y)
    cols = {(i, j): means[:, i, j].copy() for i in range(n) for j in range(i, n)}
    out = np.empty_like(y)
    for k in range(n):
        best = None
        for i in range(k + 1):
            low = cols[(i, k)]
            for j in range(k + 1, n):
                low = np.fmin(low, cols[(i, j)])
            best = low if best is None else np.fmax(best, low)
        out[:, k] = best
    return out

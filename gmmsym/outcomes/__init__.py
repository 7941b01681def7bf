"""Outcome flags and primary labels of finished runs (docs/model.md section 5).

The distance to the truth is invariant under relabelling the generator's components: the
minimum over all ``K!`` permutations ``pi`` (for the paper's ``K = 2``: the identity and the swap),

.. math::

    \\mathrm{dist}(\\mu, \\nu) = \\min_\\pi \\max_i |\\mu_{\\pi(i)} - \\nu_i|.

Every function takes ``model=`` (a :class:`~gmmsym.model.spec.ModelSpec`, default the
paper's): ``mu``, ``nu`` have ``K`` columns, ``ell`` ``2M``.  The general-``K`` rules are those
of :mod:`gmmsym.outcomes.distance` (one implementation; for ``K = 2`` they reduce bitwise to the
paper's rules below).

Every row gets six boolean flags and one primary label, the first flag that holds in the
order of :data:`LABELS`:

1. ``diverged``: a non-finite mean, ``|mu_i| > 1e3`` (:data:`DIVERGENCE_BOUND`), or a NaN
   endpoint.  Infinite *endpoints* are legitimate (the optimal discriminator may be
   unbounded) and do not count, nor does a NaN ``ell`` at ``mu = nu`` up to relabelling (how
   :mod:`gmmsym.discriminator.optimal` reports that every discriminator is optimal there).
2. ``converged``: ``dist(mu, nu) <= tol``.
3. ``discriminator_collapse``: every interval collapsed, ``r_j - l_j <= 1e-9``
   (:data:`COLLAPSE_WIDTH`) for ``j = 1, ..., M``; an interval ``(+inf, +inf)`` or
   ``(-inf, -inf)`` (``l_j == r_j``) is collapsed too.
4. ``mode_collapse``: fewer distinct generator modes than true modes, the means of each
   grouped when sorted neighbours are within ``tol`` (generator) or ``2 tol`` (truth); for
   ``K = 2``: ``|mu_1 - mu_2| <= tol`` while ``|nu_1 - nu_2| > 2 tol``.
5. ``vanishing_gradient``: ``||dL/dmu (mu, ell)||_2 <= 1e-8`` (:data:`VANISHING_GRADIENT`),
   with the generated float64 kernels.
6. ``not_converged``: none of the above (still moving or oscillating).

Flags 2-5 are the raw conditions (several may hold at once; e.g. a collapsed discriminator
also has a vanishing gradient), evaluated on rows that did not diverge and ``False`` on
diverged rows, whose values are meaningless.  ``not_converged`` is ``True`` exactly where no
other flag holds, so it coincides with the label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from gmmsym.errors import InputError
from gmmsym.kernels.float64 import model_kernels
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import as_points, as_rows, check_positive
from gmmsym.outcomes import distance as _family

__all__ = [
    "LABELS",
    "DIVERGENCE_BOUND",
    "COLLAPSE_WIDTH",
    "VANISHING_GRADIENT",
    "Outcomes",
    "classify",
    "dist",
]

LABELS: tuple[str, ...] = (
    "diverged",
    "converged",
    "discriminator_collapse",
    "mode_collapse",
    "vanishing_gradient",
    "not_converged",
)
#: A mean with ``|mu_i|`` above this (or non-finite) has diverged (docs/model.md section 5).
DIVERGENCE_BOUND = 1e3
#: An interval with ``r_j - l_j`` at most this is collapsed.
COLLAPSE_WIDTH = 1e-9
#: ``||grad_mu L||_2`` at most this is a vanishing gradient.
VANISHING_GRADIENT = 1e-8


def require_pandas(what: str) -> Any:
    """The ``pandas`` module, or an ImportError saying that ``what`` needs it (optional dependency)."""
    try:
        import pandas
    except ImportError:
        raise ImportError(f"{what} needs pandas, an optional dependency: pip install pandas") from None
    return pandas


@dataclass(frozen=True)
class Outcomes:
    """Flags and primary labels of ``N`` finished runs.

    Attributes
    ----------
    label : ndarray of str, shape (N,)
        The primary label of each row, one of :data:`LABELS`.
    flags : dict[str, ndarray of bool, shape (N,)]
        One boolean array per name in :data:`LABELS` (see the module docstring).
    """

    label: np.ndarray
    flags: dict[str, np.ndarray]

    def counts(self) -> dict[str, int]:
        """Number of rows per primary label, every label of :data:`LABELS` present (in that order)."""
        return {name: int(np.count_nonzero(self.label == name)) for name in LABELS}

    def __len__(self) -> int:
        return int(self.label.shape[0])

    def _repr_html_(self) -> str:
        """Notebook view: the number of rows per label (every label), then the flags' counts."""
        import html

        counts = self.counts()
        flags = {name: int(np.count_nonzero(f)) for name, f in self.flags.items()}
        head = "<tr><th>label</th><th>rows (primary label)</th><th>rows flagged</th></tr>"
        body = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{counts.get(name, 0)}</td>"
            f"<td>{flags.get(name, '')}</td></tr>"
            for name in LABELS
        )
        return f"<p>Outcomes of {len(self)} rows</p><table>{head}{body}</table>"

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame``: one row per run, column ``label`` and one bool column per flag.

        Raises
        ------
        ImportError
            pandas (an optional dependency) is not installed.
        """
        pd = require_pandas("Outcomes.to_pandas()")
        return pd.DataFrame({"label": self.label, **{name: np.asarray(f) for name, f in self.flags.items()}})


def dist(mu: ArrayLike, nu: ArrayLike, model: ModelSpec = PAPER) -> np.ndarray:
    """Label-invariant distance to the truth, minimised over the relabellings of ``mu`` that keep the weights.

    .. math:: \\mathrm{dist}(\\mu, \\nu) = \\min_\\pi \\max_i |\\mu_{\\pi(i)} - \\nu_i|

    (``K = 2``: ``min(max(|mu1 - nu1|, |mu2 - nu2|), max(|mu2 - nu1|, |mu1 - nu2|))``).

    Parameters
    ----------
    mu, nu : array_like, shape (..., K)
        Generator and true means (broadcast together).  Non-finite values give NaN or inf.
    model : ModelSpec
        Its ``K`` and weights: only relabellings ``pi`` with ``w_pi(i) = w_i`` count (all ``K!``
        for equal weights; default: the paper's, ``K = 2``).

    Returns
    -------
    ndarray, shape (...)
    """
    K = check_model(model).K
    m = as_points("mu", mu, K, allow_inf=True, allow_nan=True)
    n = as_points("nu", nu, K, allow_inf=True, allow_nan=True)
    return _family.dist(m, n, model.weights)


def classify(
    mu: ArrayLike, ell: ArrayLike, nu: ArrayLike, *, tol: float = 0.1, model: ModelSpec = PAPER
) -> Outcomes:
    """Flags and primary labels of final states (docs/model.md section 5).

    Parameters
    ----------
    mu : array_like, shape (N, K) or (K,)
        Final generator means; may be non-finite (such rows are ``diverged``).
    ell : array_like, shape (N, 2M) or (2M,)
        Final discriminators ``(l1, r1, ..., lM, rM)``; ``+-inf`` allowed, NaN marks
        divergence.  Rows that did not diverge must be ordered ``l1 <= r1 <= ... <= rM``.  A
        single row is broadcast.
    nu : array_like, shape (N, K) or (K,)
        True means, finite; a single row is broadcast.
    tol : float, default 0.1
        Tolerance of ``converged`` and ``mode_collapse``; finite and ``> 0``.
    model : ModelSpec
        ``K``, ``M`` and the gradient kernel (default: the paper's, ``K = M = 2``).

    Returns
    -------
    Outcomes
        ``label`` (N,) and one boolean flag array per name in :data:`LABELS`.

    Raises
    ------
    TypeError
        Non-numeric arrays or a non-real ``tol``.
    ValueError
        Wrong shapes, non-finite ``nu``, ``tol <= 0``, or an unordered ``ell`` in a row that
        did not diverge.
    """
    model = check_model(model)
    tol = check_positive("tol", tol)
    mu_a = as_rows("mu", mu, model.K, allow_inf=True, allow_nan=True)
    ell_a = as_rows("ell", ell, 2 * model.M, allow_inf=True, allow_nan=True)
    nu_a = as_rows("nu", nu, model.K)
    n = mu_a.shape[0]
    for name, arr in (("ell", ell_a), ("nu", nu_a)):
        if arr.shape[0] not in (1, n):
            raise InputError(f"{name} has {arr.shape[0]} rows, mu has {n} (a single row is broadcast)")
    mu_a, ell_a, nu_a = (np.broadcast_to(a, (n, a.shape[1])) for a in (mu_a, ell_a, nu_a))

    with np.errstate(invalid="ignore"):
        bad_mu = ~(np.abs(mu_a) <= DIVERGENCE_BOUND).all(axis=1)
        # NaN endpoints: divergence, except at mu = nu up to swapping, where the optimal
        # discriminator is reported as NaN because it is not unique (gmmsym.discriminator.optimal).
        diverged = bad_mu | (np.isnan(ell_a).any(axis=1) & ~(_family.dist(mu_a, nu_a, model.weights) == 0))
    ok = ~diverged
    m, e, v = mu_a[ok], ell_a[ok], nu_a[ok]
    if (e[:, 1:] < e[:, :-1]).any():
        row = int(np.flatnonzero(ok)[np.argwhere(e[:, 1:] < e[:, :-1])[0, 0]])
        raise InputError(f"ell must be ordered {_order_text(model.M)} (row {row}: {ell_a[row].tolist()})")

    def scatter(values: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[ok] = values
        return out

    lo, hi = e[:, 0::2], e[:, 1::2]
    with np.errstate(invalid="ignore"):  # inf - inf: an interval (+inf, +inf) is empty, l == r
        collapsed = ((hi == lo) | (hi - lo <= COLLAPSE_WIDTH)).all(axis=1)
    with np.errstate(over="ignore"):  # (r - mu)**2 -> inf for huge endpoints: phi = exp(-inf) = 0
        g = model_kernels(model).raw.gradients(*m.T, *e.T, *v.T)[: model.K]
    # hypot over the K components from 0 (K = 2: exactly np.hypot(g1, g2); K = 1: |g1|)
    gnorm = np.hypot.reduce([np.zeros(m.shape[:1])] + [np.broadcast_to(x, m.shape[:1]) for x in g], axis=0)
    flags = {
        "diverged": diverged,
        "converged": scatter(_family.dist(m, v, model.weights) <= tol),
        "discriminator_collapse": scatter(collapsed),
        "mode_collapse": scatter(_family.mode_collapse(m, v, tol)),
        "vanishing_gradient": scatter(gnorm <= VANISHING_GRADIENT),
    }
    label = np.full(n, LABELS[-1], dtype=f"<U{max(map(len, LABELS))}")
    unset = np.ones(n, dtype=bool)
    for name in LABELS[:-1]:
        hit = flags[name] & unset
        label[hit] = name
        unset &= ~hit
    flags["not_converged"] = unset
    return Outcomes(label=label, flags=flags)


def _order_text(M: int) -> str:
    """``l1 <= r1 <= l2 <= r2`` for ``M = 2``; ``l1 <= r1 <= ... <= lM <= rM`` in general."""
    if M <= 2:
        return " <= ".join(n for j in range(1, M + 1) for n in (f"l{j}", f"r{j}"))
    return f"l1 <= r1 <= ... <= l{M} <= r{M}"

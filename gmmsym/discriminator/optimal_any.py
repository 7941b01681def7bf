"""Optimal discriminator, TV distance and its Danskin gradient for any model (``docs/model.md`` section 3).

Two different objects, on purpose:

* :func:`tv_distance` is ``TV(P*, G_mu) = sum_k [P*(I_k) - G_mu(I_k)]^+`` over the intervals
  ``I_k`` between consecutive crossings, i.e. the advantage of ``A* = {p* > p_mu}`` itself,
  which has up to ``K`` pieces.
* :func:`optimal_discriminator` returns the best discriminator *of the class* (``M``
  intervals).  When ``A*`` has at most ``M`` pieces that is ``A*`` and
  ``L(mu, ell*) = 1 + TV``; otherwise it is the best union of ``M`` intervals with endpoints
  at crossings (a dynamic programme: at most ``M`` disjoint runs of consecutive intervals
  ``I_k`` maximising the summed advantage), and ``L(mu, ell*) < 1 + TV`` (TV is then not
  attained by the class).  :func:`tv_gradient` is the Danskin gradient ``dL/dmu (mu, ell*)``
  of the class value ``max_ell L``, which equals ``grad TV`` when ``A*`` has at most ``M``
  pieces.

Encoding **[choice]** (``docs/model.md`` section 3): sorted endpoints in the extended reals;
the used intervals first, each unused interval collapsed onto the endpoint before it.  Rows
where ``p* == p_mu`` (``mu = nu`` as weighted sets) get ``ell = NaN``, ``n_crossings = -1``,
``TV = 0`` and gradient 0.

Masses are tail safe: ``Phi(z) = H(z) - T(z)`` with ``H`` the exact step and ``|T(z)| =
Phi(-|z|)`` (``scipy.special.ndtr``, through :mod:`gmmsym.kernels.special`), so the exact step parts
cancel exactly and only tail probabilities are added.  The gradient is the generated kernel's
(``gmmsym.codegen.kernels_for(spec, "numpy").gradients``), not a hand-written formula.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike

from gmmsym.discriminator.crossings import crossings, exponential_sum  # noqa: F401  (re-used by tests)
from gmmsym.kernels.special import signed_tail, unit_step
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import as_points, broadcast_leading, check_max_abs

__all__ = [
    "optimal_discriminator",
    "tv_distance",
    "tv_gradient",
    "interval_advantages",
    "best_runs",
    "encode",
    "danskin_gradient",
    "ell_from_crossings",
]

MAX_ABS_MEAN = 1e6
"""Largest accepted ``|mu_i|``, ``|nu_i|``: the bound of :data:`gmmsym.discriminator.optimal.MAX_ABS_MEAN`
(the exponents ``a y - a^2/2`` carry an absolute rounding error of about ``eps a^2`` for any model)."""


def _cdf_gap(x: np.ndarray, mu: np.ndarray, nu: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """``F(x) = P*(-inf, x] - G_mu(-inf, x]`` per row (steps and tails summed apart).

    ``x`` is ``(L, N)``, ``mu``/``nu`` are ``(K, N)``; ``F(+-inf) = 0`` exactly.
    """
    s = float(spec.sigma)
    steps = np.zeros(x.shape)
    tails = np.zeros(x.shape)
    for w, m, n in zip(spec.weights, mu, nu):
        w = float(w)
        zn = (x - n) / s
        zm = (x - m) / s
        steps += w * (unit_step(zn) - unit_step(zm))
        tails += w * (signed_tail(zm) - signed_tail(zn))
    return steps + tails


def interval_advantages(x: np.ndarray, mu: np.ndarray, nu: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """``D_k = P*(I_k) - G_mu(I_k)`` for the intervals between the crossings ``x (n-1, N)``.

    Absent crossings (NaN) are treated as ``+inf`` (empty intervals, ``D = 0``).  Returns
    ``(n, N)``.
    """
    xs = np.where(np.isnan(x), np.inf, x)
    with np.errstate(invalid="ignore"):
        f = _cdf_gap(xs, mu, nu, spec)
    f = np.where(np.isinf(xs), 0.0, f)
    zero = np.zeros((1, x.shape[1]))
    return np.diff(np.concatenate([zero, f, zero]), axis=0)


def best_runs(d: np.ndarray, m_max: int) -> np.ndarray:
    """At most ``m_max`` disjoint runs of consecutive entries of ``d (L, N)`` of maximal sum.

    Dynamic programme over the entries with states ``F[m]`` (``m`` runs, none open) and
    ``H[m]`` (``m`` runs, the last one open), then a backtrack, vectorized over rows.  Ties
    prefer closing and not starting (fewer, shorter runs).  Returns the boolean mask
    ``(L, N)`` of the chosen entries.
    """
    L, n = d.shape
    neg = np.full((m_max + 1, n), -np.inf)
    F, H = neg.copy(), neg.copy()
    F[0] = 0.0
    ext = np.zeros((L, m_max + 1, n), dtype=bool)
    from_h = np.zeros_like(ext)  # F'[m] took H[m]
    start_h = np.zeros_like(ext)  # a new run m started after an open run m-1
    for t in range(L):
        prev = np.fmax(F, H)
        start = np.concatenate([neg[:1], prev[:-1]]) + d[t]
        extend = H + d[t]
        ext[t] = extend > start
        start_h[t, 1:] = H[:-1] > F[:-1]
        from_h[t] = H > F
        F, H = prev, np.where(ext[t], extend, start)
    total = np.fmax(F, H)
    m = np.argmax(total, axis=0)  # first maximum: fewest runs
    open_ = H[m, np.arange(n)] > F[m, np.arange(n)]
    chosen = np.zeros((L, n), dtype=bool)
    cols = np.arange(n)
    for t in range(L - 1, -1, -1):
        chosen[t] = open_
        e = ext[t, m, cols]
        sh = start_h[t, m, cols]
        fh = from_h[t, m, cols]
        new_open = np.where(open_, np.where(e, True, sh), fh)
        m = np.where(open_ & ~e, m - 1, m)
        open_ = new_open
    return chosen


def encode(x: np.ndarray, chosen: np.ndarray, M: int) -> np.ndarray:
    """Chosen intervals ``(L, N)`` between crossings ``x (L-1, N)`` -> ``ell (N, 2M)``.

    Maximal runs of chosen intervals become ``[l, r]`` (``l`` the crossing before the run or
    ``-inf``, ``r`` the crossing after it or ``+inf``); unused intervals collapse onto the last
    used endpoint.  Rows without a run are NaN.
    """
    L, n = chosen.shape
    xs = np.where(np.isnan(x), np.inf, x)
    left = np.concatenate([np.full((1, n), -np.inf), xs])
    right = np.concatenate([xs, np.full((1, n), np.inf)])
    before = np.concatenate([np.zeros((1, n), dtype=bool), chosen[:-1]])
    after = np.concatenate([chosen[1:], np.zeros((1, n), dtype=bool)])
    starts, ends = chosen & ~before, chosen & ~after
    ell = np.full((2 * M, n), np.nan)
    for mask, col, off in ((starts, left, 0), (ends, right, 1)):
        rank = np.cumsum(mask, axis=0) - 1
        t, c = np.nonzero(mask & (rank < M))
        ell[2 * rank[t, c] + off, c] = col[t, c]
    nseg = np.minimum(starts.sum(axis=0), M)
    last = ell[np.clip(2 * nseg - 1, 0, 2 * M - 1), np.arange(n)]
    unused = np.arange(2 * M)[:, None] >= 2 * nseg
    ell = np.where(unused, last, ell)
    return np.ascontiguousarray(ell.T)


def ell_from_crossings(x, count, s_minus, mu: np.ndarray, nu: np.ndarray, spec: ModelSpec):
    """``(ell (N, 2M), tv (N,))`` from the crossings ``x (n-1, N)`` of :func:`crossings`.

    ``A*`` directly where it has at most ``M`` pieces, the dynamic programme elsewhere.
    """
    d = interval_advantages(x, mu.T, nu.T, spec)
    k = np.arange(d.shape[0])[:, None]
    real = k <= np.maximum(count, 0)
    positive = real & (np.where(k % 2 == 0, s_minus, -s_minus) > 0)
    tv = np.where(count < 0, 0.0, np.where(positive, d, 0.0).sum(axis=0))
    chosen = positive.copy()
    many = np.flatnonzero(positive.sum(axis=0) > spec.M)
    if many.size:
        chosen[:, many] = best_runs(np.where(real[:, many], d[:, many], 0.0), spec.M)
    ell = encode(x, chosen, spec.M)
    ell[count < 0] = np.nan
    return ell, tv


def _solve_rows(mu: np.ndarray, nu: np.ndarray, spec: ModelSpec, guesses=None):
    """Hot path on ``(N, K)`` arrays: ``(ell (N, 2M), count, tv, levels)``."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x, count, s_minus, levels, _ = crossings(exponential_sum(mu, nu, spec), guesses)
    ell, tv = ell_from_crossings(x, count, s_minus, mu, nu, spec)
    return ell, count, tv, levels


@functools.cache
def _kernel(spec: ModelSpec):
    """The generated NumPy kernel module of ``spec``, loaded (or generated in memory) once."""
    from gmmsym.kernels.loader import kernels_for

    return kernels_for(spec, "numpy")


def danskin_gradient(mu: np.ndarray, ell: np.ndarray, nu: np.ndarray, count: np.ndarray, spec: ModelSpec):
    """``dL/dmu (mu, ell*)`` from the generated gradient kernel; 0 where ``count < 0``. ``(N, K)``."""
    raw = _kernel(spec)
    e = np.where(np.isnan(ell), 0.0, ell)
    with np.errstate(over="ignore"):
        out = raw.gradients(*mu.T, *e.T, *nu.T)
    g = np.stack(
        [np.broadcast_to(np.asarray(v, dtype=np.float64), mu.shape[:1]) for v in out[: spec.K]], axis=1
    )
    return np.where((count < 0)[:, None], 0.0, g)


_WHY_BOUND = "float64 loses the exponents a x - a^2/2 beyond; use gmmsym.mp with dps >= 2 log10|mean|"


def _inputs(mu: ArrayLike, nu: ArrayLike, model: ModelSpec):
    """Validated ``(lead, mu (N, K), nu (N, K))``; one-line InputError naming the argument."""
    model = check_model(model)
    mu_a = as_points("mu", mu, model.K)
    nu_a = as_points("nu", nu, model.K)
    for name, arr in (("mu", mu_a), ("nu", nu_a)):
        check_max_abs(name, arr, MAX_ABS_MEAN, _WHY_BOUND)
    b = broadcast_leading(mu=mu_a, nu=nu_a)
    lead = b["mu"].shape[:-1]
    return lead, b["mu"].reshape(-1, model.K), b["nu"].reshape(-1, model.K)


def optimal_discriminator(
    mu: ArrayLike, nu: ArrayLike, model: ModelSpec = PAPER
) -> tuple[np.ndarray, np.ndarray]:
    """The best ``M``-interval discriminator ``ell*`` and the number of crossings of ``p* - p_mu``.

    Parameters
    ----------
    mu, nu : array_like, shape (..., K)
        Generator and true means (finite, ``|.| <= MAX_ABS_MEAN = 1e6``); broadcast together.
    model : ModelSpec
        ``K``, ``M``, weights and sigma (default: the paper's).

    Returns
    -------
    ell_star : ndarray, shape (..., 2M)
        ``A*`` itself when it has at most ``M`` pieces, else the best union of ``M`` intervals
        with endpoints at crossings (see the module docstring); NaN where ``p* == p_mu``.
    n_crossings : ndarray of int64, shape (...)
        Sign changes of ``p* - p_mu`` (at most ``2K - 1``); ``-1`` where ``p* == p_mu``.
    """
    lead, mu_r, nu_r = _inputs(mu, nu, model)
    ell, count, _, _ = _solve_rows(mu_r, nu_r, model)
    return ell.reshape(lead + (2 * model.M,)), count.reshape(lead)


def tv_distance(mu: ArrayLike, nu: ArrayLike, model: ModelSpec = PAPER) -> np.ndarray:
    """``TV(P*, G_mu)``: the summed advantage of the pieces of ``A*`` (all of them, also beyond ``M``)."""
    lead, mu_r, nu_r = _inputs(mu, nu, model)
    _, _, tv, _ = _solve_rows(mu_r, nu_r, model)
    return tv.reshape(lead)


def tv_gradient(mu: ArrayLike, nu: ArrayLike, model: ModelSpec = PAPER) -> np.ndarray:
    """Danskin gradient ``dL/dmu (mu, ell*(mu))`` of ``max_ell L``, shape ``(..., K)``.

    Equal to ``grad_mu TV`` where ``A*`` has at most ``M`` pieces and simple crossings; 0 where
    ``p* == p_mu``.
    """
    lead, mu_r, nu_r = _inputs(mu, nu, model)
    ell, count, _, _ = _solve_rows(mu_r, nu_r, model)
    return danskin_gradient(mu_r, ell, nu_r, count, model).reshape(lead + (model.K,))

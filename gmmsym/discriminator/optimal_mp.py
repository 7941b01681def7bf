"""Optimal discriminator, TV distance and its gradient at arbitrary precision (mpmath), one point, any model.

Exposed as ``gmmsym.mp.optimal_discriminator``, ``gmmsym.mp.tv_distance`` and
``gmmsym.mp.tv_gradient``; every function takes ``model=`` (a ``ModelSpec``, default the
paper's).  Same mathematics and encoding as :mod:`gmmsym.discriminator.optimal` (the paper's
model) and :mod:`gmmsym.discriminator.optimal_any` (any model; read its docstring for
``optimal_discriminator`` against ``tv_distance``), implemented independently:

* ``g(x) = sum_k c_k exp(a_k x)`` with the exponents merged *exactly* (inputs are converted
  exactly), ``a_k = m_k / sigma^2``, ``c_k = (W_nu(m_k) - W_mu(m_k)) exp(-m_k^2 / (2 sigma^2))``
  (``W`` the summed weights of the means equal to ``m_k``; with equal weights the counts);
  ``g == 0`` iff ``mu = nu`` as weighted sets (for the paper's model: up to swap).  At most
  ``2K`` terms, so at most ``2K - 1`` real zeros.
* Generic recursive Rolle isolation (any number of terms): the zeros of
  ``S' = (d/dx - a_1) S = sum_{k>1} c_k (a_k - a_1) e^{a_k x}`` split the line into pieces on which
  ``e^{-a_1 x} S`` is monotone; a piece holds a crossing iff ``S`` has strictly opposite signs at
  its ends (signs at ``+-inf`` from the extreme terms; two terms: closed form
  ``x = log(-c_1/c_2)/(a_2 - a_1)``).
* Unbounded pieces are closed with the dominance bound
  ``X_+ = max_k (log(n-1) + log|c_k| - log|c_n|)/(a_n - a_k)`` (and ``X_-``).
* A sign at a separator within rounding of 0, or a point of the root iteration where
  ``P - N`` is within rounding of 0 but the zero is not yet located to the tolerance, makes the
  whole computation restart with three times as many guard digits (up to ``20 * 3^5``); beyond
  that the separator's sign is taken as 0 (a touching zero) and the point as the zero.
* Each piece: safeguarded Newton on ``phi = log P - log N`` (the positive and negative parts)
  with bisection fallback, at ``dps + guard`` digits, stopped when the bracket or the Newton
  step is below ``10^-(dps + guard/2)`` relative; then rounded to ``dps`` digits.

Tangencies (a zero without sign change) are not crossings.  At ``mu = nu`` (as weighted sets):
``n_crossings = -1``, ``ell* = (nan,) * 2M``, ``TV = 0``, gradient ``(0,) * K``.

When ``A* = {p* > p_mu}`` has more than ``M`` pieces (possible for ``K > M``),
``optimal_discriminator`` returns the best union of ``M`` intervals with endpoints at crossings
(the dynamic programme of :func:`gmmsym.discriminator.optimal_any.best_runs`, same tie rules, here
on ``mpf`` advantages) and ``tv_distance`` is still TV, the summed advantage of *all* pieces;
``tv_gradient`` is the Danskin gradient at ``ell*`` (the class value ``max_ell L``).  The
root isolation is in :mod:`gmmsym.discriminator.optimal_mp_roots`.
"""

from __future__ import annotations

import mpmath

from gmmsym.discriminator.optimal_mp_roots import _GUARD, _MAX_GUARD, _roots, _sign, _terms, _Unresolved
from gmmsym.discriminator.optimal_mp_roots import _value as _value  # re-exported (used by the tests)
from gmmsym.errors import InputError
from gmmsym.kernels.mp import _check_dps, to_mpf_vector
from gmmsym.kernels.mp import advantage as mp_advantage
from gmmsym.kernels.mp import gradients as mp_gradients
from gmmsym.model.spec import PAPER, ModelSpec, check_model

__all__ = [
    "optimal_discriminator",
    "tv_distance",
    "tv_gradient",
    "tv_gradient_and_discriminator",
    "crossings",
    "max_abs_mean",
]


def _inputs(mu, nu, dps: object, model: ModelSpec = PAPER) -> tuple:
    """``(dps, mu, nu)`` checked once: means as ``mpf`` tuples at ``dps`` digits, in range."""
    model = check_model(model)
    dps = _check_dps(dps)
    with mpmath.workdps(dps):
        mu_m = to_mpf_vector("mu", mu, model.K)
        nu_m = to_mpf_vector("nu", nu, model.K)
        bound = max_abs_mean(dps)
        sigma = 1 if model.sigma == 1 else mpmath.mpf(model.sigma.numerator) / model.sigma.denominator
        for name, v in (("mu", mu_m), ("nu", nu_m)):
            if max(abs(x) for x in v) > bound * sigma:
                big = mpmath.nstr(max(v, key=abs), 5)
                raise InputError(
                    f"{name}: |{name}_i| / sigma must be <= 10^(dps/2) = {mpmath.nstr(bound, 3)} "
                    f"at dps={dps} "
                    f"(the exponents a x - a^2/2 need 2 log10|a| digits; raise dps), got {big}"
                )
    return dps, mu_m, nu_m


def max_abs_mean(dps: int) -> mpmath.mpf:
    """Largest supported ``|mu_i| / sigma``, ``|nu_i| / sigma`` at ``dps`` digits: ``10^(dps/2)``.

    See docs/reliability.md.

    The exponents ``a x - a^2/2`` of ``g`` (in units of sigma) have magnitude up to ``a^2``; at
    ``dps + 20`` working digits their absolute error is about ``a^2 10^-(dps+20)``.  Measured
    (random configurations of the paper's model against ``dps = 2 log10|a| + 60``): wrong
    crossing counts first appear at ``|a| = 1e12`` for ``dps = 15`` and ``1e21`` for
    ``dps = 30``; ``10^(dps/2)`` (3e7 and 1e15) keeps a factor ``>= 3e4`` below them.
    """
    return mpmath.mpf(10) ** (mpmath.mpf(dps) / 2)


def crossings(mu, nu, dps: int = 50, model: ModelSpec = PAPER) -> tuple[tuple, int]:
    """Sorted crossings of ``p* - p_mu`` and the sign of ``p* - p_mu`` at ``-inf``.

    Returns
    -------
    (x, s_minus) : (tuple of mpf, int)
        At most ``2K - 1`` crossings.  ``s_minus = 1`` if ``p* > p_mu`` far left, ``-1`` if
        below, ``0`` if ``p* == p_mu`` (``mu = nu`` as weighted sets; then ``x = ()``).
    """
    dps, mu_m, nu_m = _inputs(mu, nu, dps, model)
    guard = _GUARD
    while True:
        with mpmath.workdps(dps + guard):
            terms = _terms(mu_m, nu_m, model)
            if not terms:
                return (), 0
            s_minus = _sign(terms[0][1])
            try:
                xs = _roots(terms, dps + guard // 2)
                break
            except _Unresolved:
                if guard >= _MAX_GUARD:
                    # Still within rounding of 0 at the separator: a tangency, not a crossing.
                    xs = _roots(terms, dps + guard // 2, strict=False)
                    break
                guard *= 3
    with mpmath.workdps(dps):
        return tuple(+x for x in xs), s_minus


def _pieces(xs: tuple, s_minus: int) -> list[tuple]:
    """The intervals ``(l, r)`` of ``A* = {g > 0}`` between the crossings, in order."""
    pts = (-mpmath.inf, *xs, mpmath.inf)
    return [(pts[k], pts[k + 1]) for k in range(len(pts) - 1) if (s_minus if k % 2 == 0 else -s_minus) > 0]


def _flat(intervals: list[tuple], M: int) -> tuple:
    """``l1, r1, ..., lM, rM`` from at most ``M`` intervals; unused ones collapse onto the last endpoint."""
    ell = [e for iv in intervals for e in iv]
    fill = ell[-1] if ell else mpmath.mpf(0)  # no piece: not reachable for g != 0 (both signs occur)
    return tuple(ell + [fill] * (2 * M - len(ell)))


def _encode(xs: tuple, s_minus: int, M: int = 2) -> tuple:
    """``ell*`` of ``A*`` itself (at most ``M`` pieces); ``(nan,) * 2M`` where ``g == 0``."""
    if s_minus == 0:
        return (mpmath.nan,) * (2 * M)
    return _flat(_pieces(xs, s_minus), M)


_FAR = mpmath.mpf(10) ** 30


def _far(ell: tuple) -> tuple:
    """Endpoints beyond ``1e30`` as ``+-inf`` (see :func:`tv_distance`)."""
    return tuple(x if abs(x) <= _FAR else mpmath.inf * mpmath.sign(x) for x in ell)


def _interval_advantages(xs: tuple, mu, nu, dps: int, model: ModelSpec) -> list:
    """``D_k = P*(I_k) - G_mu(I_k)`` for the ``len(xs) + 1`` intervals between the crossings.

    Each one is the model's generated (tail-safe) advantage at ``ell = (l, r, r, ..., r)``.
    """
    pts = (-mpmath.inf, *xs, mpmath.inf)
    return [
        mp_advantage(mu, _far(_flat([(pts[k], pts[k + 1])], model.M)), nu, dps=dps, model=model)
        for k in range(len(pts) - 1)
    ]


def _best_runs(d: list, m_max: int) -> list[bool]:
    """At most ``m_max`` disjoint runs of consecutive entries of ``d`` of maximal sum (mask).

    The dynamic programme of :func:`gmmsym.discriminator.optimal_any.best_runs` for one row, same
    states (``F[m]``: ``m`` runs, none open; ``H[m]``: the last one open) and tie rules.
    """
    ninf = mpmath.ninf
    F = [mpmath.mpf(0)] + [ninf] * m_max
    H = [ninf] * (m_max + 1)
    trace = []  # per entry: (extend won, start came from an open run, F took H), per m
    for v in d:
        prev = [max(f, h) for f, h in zip(F, H)]
        start = [ninf] + [p + v for p in prev[:-1]]
        extend = [h + v for h in H]
        ext = [e > s for e, s in zip(extend, start)]
        trace.append((ext, [False] + [H[m] > F[m] for m in range(m_max)], [h > f for f, h in zip(F, H)]))
        F, H = prev, [e if x else s for e, s, x in zip(extend, start, ext)]
    total = [max(f, h) for f, h in zip(F, H)]
    m = total.index(max(total))  # first maximum: fewest runs
    open_ = H[m] > F[m]
    chosen = [False] * len(d)
    for t in range(len(d) - 1, -1, -1):
        chosen[t] = open_
        ext, start_h, from_h = (row[m] for row in trace[t])
        new_open = (ext or start_h) if open_ else from_h
        m = m - 1 if open_ and not ext else m
        open_ = new_open
    return chosen


def _best_union(xs: tuple, d: list, M: int) -> tuple:
    """``ell`` of the best union of at most ``M`` runs of intervals between the crossings."""
    pts = (-mpmath.inf, *xs, mpmath.inf)
    chosen = _best_runs(d, M)
    runs, k = [], 0
    while k < len(chosen):
        if chosen[k]:
            j = k
            while j + 1 < len(chosen) and chosen[j + 1]:
                j += 1
            runs.append((pts[k], pts[j + 1]))
            k = j
        k += 1
    return _flat(runs, M)


def _solve(mu, nu, dps: int, model: ModelSpec) -> tuple:
    """``(ell*, n_crossings, xs, s_minus)`` for checked inputs."""
    xs, s_minus = crossings(mu, nu, dps, model=model)
    with mpmath.workdps(dps):
        if s_minus != 0 and len(_pieces(xs, s_minus)) > model.M:
            ell = _best_union(xs, _interval_advantages(xs, mu, nu, dps, model), model.M)
        elif model.M == 2:
            ell = _encode(xs, s_minus)  # the two-argument call that proofs/mutants.py patches
        else:
            ell = _encode(xs, s_minus, model.M)
    return ell, (-1 if s_minus == 0 else len(xs)), xs, s_minus


def optimal_discriminator(mu, nu, dps: int = 50, model: ModelSpec = PAPER) -> tuple[tuple, int]:
    """``ell*`` and the number of crossings at ``dps`` digits (encoding of ``optimal``).

    Parameters
    ----------
    mu, nu : sequence of K numbers
        Generator and true means (floats are converted exactly; strings at ``dps`` digits).
    dps : int
        Decimal digits (``>= 15``), default 50.
    model : ModelSpec
        ``K``, ``M``, weights and sigma (default: the paper's).

    Returns
    -------
    (ell_star, n_crossings) : (tuple of 2M mpf, int)
        ``A*`` itself when it has at most ``M`` pieces, else the best union of ``M`` intervals
        (module docstring).  ``n_crossings = -1`` and ``ell_star = (nan,) * 2M`` where
        ``p* == p_mu``.
    """
    dps, mu_m, nu_m = _inputs(mu, nu, dps, model)
    ell, n, _, _ = _solve(mu_m, nu_m, dps, model)
    return ell, n


def tv_distance(mu, nu, dps: int = 50, model: ModelSpec = PAPER) -> mpmath.mpf:
    """``TV(P*, G_mu)`` at ``dps`` digits: ``L(mu, ell*) - 1`` when ``A*`` has at most ``M`` pieces.

    With more pieces, the summed advantage of all of them (TV, not the class value).  0 where
    ``p* == p_mu``.  Crossings beyond ``|x| = 1e30`` (possible when two means differ by ~1e-30
    or less) enter as ``+-inf``: the normal mass beyond them is below ``exp(-4e59)``, i.e. 0 at
    any usable precision, and ``mpmath.ncdf`` fails for arguments beyond about ``1e154``.
    """
    dps, mu, nu = _inputs(mu, nu, dps, model)  # read once: mu, nu may be one-shot iterables
    ell, n, xs, s_minus = _solve(mu, nu, dps, model)
    with mpmath.workdps(dps):
        if n < 0:
            return mpmath.mpf(0)
        if len(_pieces(xs, s_minus)) > model.M:
            d = _interval_advantages(xs, mu, nu, dps, model)
            return +mpmath.fsum(v for k, v in enumerate(d) if (s_minus if k % 2 == 0 else -s_minus) > 0)
        return mp_advantage(mu, _far(ell), nu, dps=dps, model=model)


def tv_gradient_and_discriminator(mu, nu, dps: int = 50, model: ModelSpec = PAPER) -> tuple[tuple, tuple]:
    """``(grad_mu, ell*)``: ``dL/dmu`` at ``(mu, ell*(mu))`` (Danskin), ``K`` mpf, and ``ell*``, ``2M`` mpf.

    .. math:: \\frac{\\partial L}{\\partial \\mu_i}
       = w_i \\sum_j \\big[\\varphi_\\sigma(r_j^* - \\mu_i) - \\varphi_\\sigma(l_j^* - \\mu_i)\\big]

    from the model's generated gradient kernel; equal to ``grad TV`` where ``A*`` has at most
    ``M`` pieces.  ``((0,) * K, (nan,) * 2M)`` where ``p* == p_mu``.
    """
    dps, mu, nu = _inputs(mu, nu, dps, model)  # read once: mu, nu may be one-shot iterables
    ell, n, _, _ = _solve(mu, nu, dps, model)
    with mpmath.workdps(dps):
        if n < 0:
            return (mpmath.mpf(0),) * model.K, ell
        grad, _ = mp_gradients(mu, ell, nu, dps=dps, model=model)
        return tuple(grad), ell


def tv_gradient(mu, nu, dps: int = 50, model: ModelSpec = PAPER) -> tuple:
    """``dL/dmu (mu, ell*(mu))`` as a tuple of ``K`` ``mpf`` (see :func:`tv_gradient_and_discriminator`)."""
    return tv_gradient_and_discriminator(mu, nu, dps, model=model)[0]

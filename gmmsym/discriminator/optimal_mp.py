"""Optimal discriminator, TV distance and its gradient at arbitrary precision (mpmath), one point.

Exposed as ``gmmsym.mp.optimal_discriminator``, ``gmmsym.mp.tv_distance`` and
``gmmsym.mp.tv_gradient``.  Same mathematics and encoding as
:mod:`gmmsym.discriminator.optimal` (read its docstring), implemented independently:

* ``g(x) = sum_k c_k exp(a_k x)`` with the exponents merged *exactly* (inputs are converted
  exactly), ``c_k = (n_nu(a_k) - n_mu(a_k)) exp(-a_k^2/2)``; ``g == 0`` iff ``mu = nu`` up to swap.
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

Tangencies (a zero without sign change) are not crossings.  At ``mu = nu`` up to swap:
``n_crossings = -1``, ``ell* = (nan,) * 4``, ``TV = 0``, gradient ``(0, 0)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath

from gmmsym.errors import InputError
from gmmsym.kernels.mp import _check_dps, to_mpf_vector
from gmmsym.kernels.mp import advantage as mp_advantage
from gmmsym.kernels.mp import gradients as mp_gradients

__all__ = [
    "optimal_discriminator",
    "tv_distance",
    "tv_gradient",
    "tv_gradient_and_discriminator",
    "crossings",
    "max_abs_mean",
]

_GUARD = 20  # extra decimal digits used internally (tripled while a sign is unresolved)
_MAX_GUARD = 20 * 3**5
_MAXIT = 2000


def _terms(mu: Sequence, nu: Sequence) -> list[tuple]:
    """Merged terms ``(a, c)`` of ``g`` sorted by exponent, zero coefficients dropped."""
    net: dict = {}
    for a in nu:
        net[a] = net.get(a, 0) + 1
    for a in mu:
        net[a] = net.get(a, 0) - 1
    return [(a, n * mpmath.exp(-a * a / 2)) for a, n in sorted(net.items()) if n != 0]


def _value(terms: list[tuple], x) -> mpmath.mpf:
    return mpmath.fsum(c * mpmath.exp(a * x) for a, c in terms)


def _sign(v) -> int:
    return 1 if v > 0 else (-1 if v < 0 else 0)


class _Unresolved(ArithmeticError):
    """A sign at a separator is below the working precision (retry with more digits)."""


def _resolved_sign(terms: list[tuple], x, strict: bool) -> int:
    """Sign of the sum at ``x``.

    Within rounding of 0 (``|sum| <= 2^(10 - prec) sum |terms|``): raises :class:`_Unresolved`
    if ``strict``, else returns 0.
    """
    vals = [c * mpmath.exp(a * x) for a, c in terms]
    total = mpmath.fsum(vals)
    if abs(total) <= mpmath.ldexp(mpmath.fsum(abs(v) for v in vals), 10 - mpmath.mp.prec):
        if strict:
            raise _Unresolved
        return 0
    return _sign(total)


def _bounds(terms: list[tuple]) -> tuple:
    """``(X_-, X_+)``: every zero of the sum lies strictly inside (dominance of the end terms)."""
    n = len(terms)
    logn = mpmath.log(n - 1)
    (a1, c1), (an, cn) = terms[0], terms[-1]
    up = max((logn + mpmath.log(abs(c)) - mpmath.log(abs(cn))) / (an - a) for a, c in terms[:-1])
    dn = min((mpmath.log(abs(c1)) - mpmath.log(abs(c)) - logn) / (a - a1) for a, c in terms[1:])
    return dn - 1 - abs(dn) / 1000, up + 1 + abs(up) / 1000


def _solve(terms: list[tuple], lo, hi, slo: int, tol_digits: int, strict: bool = True) -> mpmath.mpf:
    """The zero of the sum in ``(lo, hi)`` (one sign change, sign ``slo`` just above ``lo``).

    Where ``P - N`` is within rounding of 0 the sign carries no information; that point is
    accepted only if the rounding moves the zero by less than the tolerance (``2^(10-prec) /
    |phi'|``), else :class:`_Unresolved` is raised (``strict``) so that the caller retries with
    more digits -- e.g. on a plateau where ``phi`` is tiny over a huge range.
    """
    pos = [(a, c) for a, c in terms if c > 0]
    neg = [(a, -c) for a, c in terms if c < 0]
    floor = mpmath.ldexp(1, 10 - mpmath.mp.prec)

    def phi(x):
        p = [c * mpmath.exp(a * x) for a, c in pos]
        q = [c * mpmath.exp(a * x) for a, c in neg]
        sp, sq = mpmath.fsum(p), mpmath.fsum(q)
        dp = mpmath.fsum(a * v for (a, _), v in zip(pos, p)) / sp
        dq = mpmath.fsum(a * v for (a, _), v in zip(neg, q)) / sq
        return mpmath.log(sp) - mpmath.log(sq), dp - dq, abs(sp - sq) <= floor * (sp + sq)

    rel = mpmath.mpf(10) ** (-tol_digits)
    x = (lo + hi) / 2
    step_prev2 = step_prev = hi - lo
    for _ in range(_MAXIT):
        f, df, unresolved = phi(x)
        if unresolved:
            if not strict or (df != 0 and floor / abs(df) <= rel * (abs(x) + 1)):
                return x
            raise _Unresolved
        if _sign(f) == slo:
            lo = x
        else:
            hi = x
        step = f / df if df != 0 else mpmath.inf
        xn = x - step
        if lo < xn < hi and abs(2 * step) <= abs(step_prev2):
            newton = True
        else:
            xn, newton = (lo + hi) / 2, False
        tol = rel * (abs(xn) + 1)
        dx = xn - x
        x = xn
        if (newton and abs(dx) <= tol) or hi - lo <= tol:
            return x
        step_prev2, step_prev = step_prev, dx
    raise RuntimeError("optimal_mp: root iteration did not converge")  # pragma: no cover


def _roots(terms: list[tuple], tol_digits: int, strict: bool = True) -> list:
    """Sorted crossings (sign changes) of ``sum c_k e^{a_k x}`` (recursive Rolle isolation).

    ``strict``: raise :class:`_Unresolved` when a separator's sign is within rounding of 0.
    """
    if len(terms) < 2:
        return []
    if len(terms) == 2:
        (a1, c1), (a2, c2) = terms
        return [mpmath.log(-c1 / c2) / (a2 - a1)] if c1 * c2 < 0 else []
    a1 = terms[0][0]
    deriv = [(a, c * (a - a1)) for a, c in terms[1:]]
    seps = _roots(deriv, tol_digits, strict)
    lo_b, hi_b = _bounds(terms)
    pts = [lo_b, *seps, hi_b]
    signs = [_sign(terms[0][1])] + [_resolved_sign(terms, z, strict) for z in seps] + [_sign(terms[-1][1])]
    out = []
    for k in range(len(pts) - 1):
        if signs[k] * signs[k + 1] < 0:
            out.append(_solve(terms, pts[k], pts[k + 1], signs[k], tol_digits, strict))
        if 0 < k + 1 < len(pts) - 1 and signs[k + 1] == 0 and signs[k] * signs[k + 2] < 0:
            out.append(pts[k + 1])  # a zero exactly at a separator, with a sign change: a crossing
    return out


def _inputs(mu, nu, dps: object) -> tuple:
    """``(dps, mu, nu)`` checked once: means as ``mpf`` tuples at ``dps`` digits, in range."""
    dps = _check_dps(dps)
    with mpmath.workdps(dps):
        mu_m = to_mpf_vector("mu", mu, 2)
        nu_m = to_mpf_vector("nu", nu, 2)
        bound = max_abs_mean(dps)
        for name, v in (("mu", mu_m), ("nu", nu_m)):
            if max(abs(x) for x in v) > bound:
                big = mpmath.nstr(max(v, key=abs), 5)
                raise InputError(
                    f"{name}: |{name}_i| must be <= 10^(dps/2) = {mpmath.nstr(bound, 3)} at dps={dps} "
                    f"(the exponents a x - a^2/2 need 2 log10|a| digits; raise dps), got {big}"
                )
    return dps, mu_m, nu_m


def max_abs_mean(dps: int) -> mpmath.mpf:
    """Largest supported ``|mu_i|``, ``|nu_i|`` at ``dps`` digits: ``10^(dps/2)`` (docs/reliability.md).

    The exponents ``a x - a^2/2`` of ``g`` have magnitude up to ``a^2``; at ``dps + 20`` working
    digits their absolute error is about ``a^2 10^-(dps+20)``.  Measured (random configurations
    against ``dps = 2 log10|a| + 60``): wrong crossing counts first appear at ``|a| = 1e12`` for
    ``dps = 15`` and ``1e21`` for ``dps = 30``; ``10^(dps/2)`` (3e7 and 1e15) keeps a factor
    ``>= 3e4`` below them.
    """
    return mpmath.mpf(10) ** (mpmath.mpf(dps) / 2)


def crossings(mu, nu, dps: int = 50) -> tuple[tuple, int]:
    """Sorted crossings of ``p* - p_mu`` and the sign of ``p* - p_mu`` at ``-inf``.

    Returns
    -------
    (x, s_minus) : (tuple of mpf, int)
        ``s_minus = 1`` if ``p* > p_mu`` far left, ``-1`` if below, ``0`` if ``mu = nu`` up to swap
        (then ``x = ()``).
    """
    dps, mu_m, nu_m = _inputs(mu, nu, dps)
    guard = _GUARD
    while True:
        with mpmath.workdps(dps + guard):
            terms = _terms(mu_m, nu_m)
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


def _encode(xs: tuple, s_minus: int) -> tuple:
    inf = mpmath.inf
    if s_minus == 0:
        return (mpmath.nan,) * 4
    if len(xs) == 0:  # not reachable for g != 0 (both signs occur); kept total
        return (-inf, inf, inf, inf) if s_minus > 0 else (mpmath.mpf(0),) * 4
    if len(xs) == 1:
        (x1,) = xs
        return (-inf, x1, x1, x1) if s_minus > 0 else (x1, inf, inf, inf)
    if len(xs) == 2:
        x1, x2 = xs
        return (-inf, x1, x2, inf) if s_minus > 0 else (x1, x2, x2, x2)
    x1, x2, x3 = xs
    return (-inf, x1, x2, x3) if s_minus > 0 else (x1, x2, x3, inf)


def optimal_discriminator(mu, nu, dps: int = 50) -> tuple[tuple, int]:
    """``ell*`` and the number of crossings at ``dps`` digits (encoding of ``optimal``).

    Parameters
    ----------
    mu, nu : sequence of 2 numbers
        Generator and true means (floats are converted exactly; strings at ``dps`` digits).
    dps : int
        Decimal digits (``>= 15``), default 50.

    Returns
    -------
    (ell_star, n_crossings) : (tuple of 4 mpf, int)
        ``n_crossings = -1`` and ``ell_star = (nan,) * 4`` where ``mu = nu`` up to swapping.
    """
    xs, s_minus = crossings(mu, nu, dps)
    with mpmath.workdps(_check_dps(dps)):
        return _encode(xs, s_minus), (-1 if s_minus == 0 else len(xs))


_FAR = mpmath.mpf(10) ** 30


def tv_distance(mu, nu, dps: int = 50) -> mpmath.mpf:
    """``TV(P*, G_mu) = L(mu, ell*) - 1`` at ``dps`` digits (0 where ``mu = nu`` up to swap).

    Crossings beyond ``|x| = 1e30`` (possible when two means differ by ~1e-30 or less) enter as
    ``+-inf``: the normal mass beyond them is below ``exp(-4e59)``, i.e. 0 at any usable precision,
    and ``mpmath.ncdf`` fails for arguments beyond about ``1e154``.
    """
    dps, mu, nu = _inputs(mu, nu, dps)  # read once: mu, nu may be one-shot iterables
    ell, n = optimal_discriminator(mu, nu, dps)
    with mpmath.workdps(dps):
        if n < 0:
            return mpmath.mpf(0)
        ell = tuple(x if abs(x) <= _FAR else mpmath.inf * mpmath.sign(x) for x in ell)
        return mp_advantage(mu, ell, nu, dps=dps)


def tv_gradient_and_discriminator(mu, nu, dps: int = 50) -> tuple[tuple, tuple]:
    """``(grad_mu TV, ell*)``: ``dL/dmu`` at ``(mu, ell*(mu))`` (Danskin) and ``ell*``.

    .. math:: \\frac{\\partial \\mathrm{TV}}{\\partial \\mu_i}
       = \\frac12 \\sum_j \\big[\\varphi(r_j^* - \\mu_i) - \\varphi(l_j^* - \\mu_i)\\big]

    ``((0, 0), (nan,) * 4)`` where ``mu = nu`` up to swapping.
    """
    dps, mu, nu = _inputs(mu, nu, dps)  # read once: mu, nu may be one-shot iterables
    ell, n = optimal_discriminator(mu, nu, dps)
    with mpmath.workdps(dps):
        if n < 0:
            return (mpmath.mpf(0), mpmath.mpf(0)), ell
        grad, _ = mp_gradients(mu, ell, nu, dps=dps)
        return tuple(grad), ell


def tv_gradient(mu, nu, dps: int = 50) -> tuple:
    """``grad_mu TV(mu)`` as a tuple of 2 ``mpf`` (see :func:`tv_gradient_and_discriminator`)."""
    return tv_gradient_and_discriminator(mu, nu, dps)[0]

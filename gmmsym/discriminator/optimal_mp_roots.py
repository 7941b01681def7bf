"""Root isolation of :mod:`gmmsym.discriminator.optimal_mp`: the real zeros of ``p* - p_mu`` at any precision.

``p*(x) - p_mu(x)`` is ``e^{-x^2/(2 sigma^2)} / (sigma sqrt(2 pi))`` times the exponential sum
``g(x) = sum_k c_k e^{a_k x}`` of :func:`_terms` (at most ``2K`` terms after the exact merge of equal
means, so at most ``2K - 1`` real zeros).  Generic recursive Rolle isolation (read the docstring of
:mod:`gmmsym.discriminator.optimal_mp`): no grid, every crossing of every derivative level is
bracketed; an unresolved sign raises :class:`_Unresolved` (the caller retries with more digits).
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath

from gmmsym.model.spec import PAPER, ModelSpec

__all__: list[str] = []  # private to gmmsym.discriminator.optimal_mp

_GUARD = 20  # extra decimal digits used internally (tripled while a sign is unresolved)
_MAX_GUARD = 20 * 3**5
_MAXIT = 2000


def _terms(mu: Sequence, nu: Sequence, model: ModelSpec = PAPER) -> list[tuple]:
    """Merged terms ``(a, c)`` of ``g`` sorted by exponent, zero coefficients dropped.

    ``g(x) = sum_i w_i [e^{(nu_i x - nu_i^2/2)/s^2} - e^{(mu_i x - mu_i^2/2)/s^2}]`` (``s = sigma``):
    ``a = m / s^2``, ``c = W(m) e^{-m^2/(2 s^2)}`` with ``W(m)`` the exact (rational) net weight of
    the means equal to ``m``.  With equal weights the common factor is dropped (``W`` counts the
    means), so the paper's model computes exactly as before the model family.
    """
    equal = len(set(model.weights)) == 1
    net: dict = {}
    for means, sgn in ((nu, 1), (mu, -1)):
        for m, w in zip(means, model.weights, strict=True):
            net[m] = net.get(m, 0) + sgn * (1 if equal else w)
    s2 = model.sigma**2
    if s2 == 1:
        return [(a, _mpq(n) * mpmath.exp(-a * a / 2)) for a, n in sorted(net.items()) if n != 0]
    s2m = _mpq(s2)
    return [(m / s2m, _mpq(n) * mpmath.exp(-m * m / (2 * s2m))) for m, n in sorted(net.items()) if n != 0]


def _mpq(q):
    """An int as it is, a ``Fraction`` as an ``mpf`` at the working precision."""
    return q if isinstance(q, int) else mpmath.mpf(q.numerator) / q.denominator


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

"""Certified Rolle chain for :mod:`gmmsym.references.certified_roots` (any number of terms), and ball helpers.

For ``g = sum_{k=1}^n c_k e^{a_k x}`` (exponents ascending) the levels are ``S_0 = g`` and
``S_{j+1} = sum_{k > j+1} c_k^{(j)} (a_k - a_{j+1}) e^{a_k x}``, i.e. ``e^{a_{j+1} x} (d/dx)
(e^{-a_{j+1} x} S_j)``.  Between two consecutive sign changes of ``S_{j+1}`` the function
``e^{-a_{j+1} x} S_j`` is strictly monotone, so ``S_j`` has exactly one crossing there iff its
signs at the two ends are certainly opposite, and none iff they are certainly equal.  The top
level has two terms and at most one zero, in closed form.  Going down the chain, every level's
crossings are certified balls (each holds exactly one sign change, and there are no others in
the range), so the count of ``g``'s crossings is certified without subdividing the range:
crossings far out (``1e9``) or nearly coincident means cost no more than any other input.

A separator ball on which the level below has no certain sign (a zero of ``S_j`` within a
separator's width: a near tangency), or one that straddles an end of the range, makes the chain
*undecided* (``None``); the caller then falls back to its subdivision cover.
"""

from __future__ import annotations

from collections.abc import Callable

from flint import arb, ctx

__all__: list[str] = []  # private to gmmsym.references.certified_roots


def _monotone(f, x: arb) -> arb:
    """``f(x)`` for an increasing ``f`` from the two ends of ``x``.

    Keeps e.g. ``exp`` of a wide ball positive: arb's own ``exp(m +- r)`` is
    ``exp(m)(1 +- (e^r - 1))``, which contains 0 once ``r > log 2``.
    """
    if x.rad() == 0:
        return f(x)
    return f(x.lower()).union(f(x.upper()))


def _meet(x: arb, y: arb) -> arb:
    """Intersection of two enclosures of the same number."""
    try:
        return x.intersection(y)
    except ValueError:  # pragma: no cover - both contain the true value
        return x


def _sign(ball: arb) -> int:
    """+1 / -1 when the sign is certain, 0 otherwise."""
    if ball > 0:
        return 1
    if ball < 0:
        return -1
    return 0


def _levels(a: list, c: list) -> list[list[tuple]]:
    """Terms ``(a_k, c_k)`` of ``S_0, ..., S_{n-2}`` (the last one has two terms)."""
    out = [list(zip(a, c))]
    while len(out[-1]) > 2:
        (a0, _), *rest = out[-1]
        out.append([(ak, ck * (ak - a0)) for ak, ck in rest])
    return out


def _sum(terms: list[tuple], x: arb) -> arb:
    return sum((ck * _monotone(arb.exp, ak * x) for ak, ck in terms), arb(0))


def _bisect(value: Callable[[arb], arb], lo: arb, hi: arb, s_lo: int) -> arb:
    """A ball around the one crossing in ``[lo, hi]`` (certain opposite end signs, monotone)."""
    tiny = arb(2) ** (-(ctx.prec // 2))
    while (hi - lo) > tiny * (abs(lo) + 1):
        mid = arb(((lo + hi) / 2).mid())
        if not lo < mid < hi:
            break
        s_mid = _sign(value(mid))
        if s_mid == 0:
            break
        lo, hi = (mid, hi) if s_mid == s_lo else (lo, mid)
    return lo.union(hi)


def _level_crossings(value, seps: list, lo: arb, hi: arb, isolate) -> list | None:
    """Crossings of one level in ``(lo, hi)`` given the certified crossings ``seps`` of the next."""
    inner = []
    for z in seps:
        if z > lo and z < hi:
            inner.append(z)
        elif not (z < lo or z > hi):
            return None  # a separator straddles an end of the range
    ends = [lo, *inner, hi]
    signs = [_sign(value(p)) for p in ends]
    if 0 in signs:
        return None  # a near tangency at a separator, or an undecided end
    found = []
    for k in range(len(ends) - 1):
        if signs[k] != signs[k + 1]:
            left = ends[k] if k == 0 else arb(ends[k].upper())
            right = ends[k + 1] if k + 1 == len(ends) - 1 else arb(ends[k + 1].lower())
            if not left < right:
                return None  # pragma: no cover - separators are disjoint balls
            found.append(isolate(value, left, right, signs[k]))
    return found


def rolle_crossings(a: list, c: list, value0, isolate0, lo: arb, hi: arb) -> list | None:
    """Certified crossing balls of ``g`` in ``(lo, hi)`` by the Rolle chain, or ``None`` if undecided.

    Parameters
    ----------
    a, c : list of arb
        Exponents (ascending) and coefficients of ``g`` (at least three terms).
    value0 : callable
        The best enclosure of ``g`` at a ball (e.g. met with a pair form).
    isolate0 : callable ``(lo, hi) -> arb``
        The caller's isolation of a crossing of ``g`` on a monotone bracket.
    lo, hi : arb
        A range holding every zero of ``g``.
    """
    levels = _levels(a, c)
    (a1, c1), (a2, c2) = levels[-1]
    seps: list | None = []
    if _sign(c1) * _sign(c2) < 0:
        seps = [(-c1 / c2).log() / (a2 - a1)]
    elif _sign(c1) * _sign(c2) == 0:
        return None  # pragma: no cover - merged coefficients are nonzero
    for j in range(len(levels) - 2, -1, -1):
        if j == 0:
            seps = _level_crossings(value0, seps, lo, hi, lambda _v, x, y, _s: isolate0(x, y))
        else:
            terms = levels[j]
            seps = _level_crossings(lambda x, t=terms: _sum(t, x), seps, lo, hi, _bisect)
        if seps is None:
            return None
    return seps

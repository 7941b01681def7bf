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

The isolation of one crossing on a monotone bracket (:func:`_isolate`, bisection then interval
Newton, :func:`_newton_contract`) and the one-step chain of three terms (:func:`_three_terms`)
are here too; ``s`` is the sum object of :mod:`gmmsym.references.certified_roots` (``value``,
``enclosure``, ``a``, ``c``).

A separator ball on which the level below has no certain sign (a zero of ``S_j`` within a
separator's width: a near tangency), or one that straddles an end of the range, makes the chain
*undecided* (``None``); the caller then falls back to its subdivision cover.
"""

from __future__ import annotations

from collections.abc import Callable

from flint import arb, ctx

__all__: list[str] = []  # private to gmmsym.references.certified_roots

_SPLIT = 0.5 - 1.0 / 1031.0  # off-centre bisection point (avoids zeros on split points by symmetry)


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


def _newton_contract(s, lo: arb, hi: arb, steps: int = 60) -> arb:
    """Contract an isolating interval with the interval Newton operator; returns a ball."""
    box = lo.union(hi)
    for _ in range(steps):
        mid = arb(box.mid())
        d = s.enclosure(arb(box.lower()), arb(box.upper()))[1]
        if _sign(d) == 0:  # pragma: no cover - monotone on the isolating interval
            break
        newton = mid - s.value(mid) / d
        try:
            new = box.intersection(newton)
        except ValueError:  # pragma: no cover - both contain the zero
            break
        if not new.rad() < box.rad():
            break
        box = new
    return box


def _isolate(s, lo: arb, hi: arb, steps: int = 400) -> arb:
    """The one crossing in ``[lo, hi]`` where ``g e^{-a_1 x}`` is monotone with opposite end signs.

    Monotonicity is known (the Rolle step of :func:`_three_terms`, the Rolle chain, or ``g'``
    excluding 0 on the bracket in the cover), so the bracket, whose
    end signs are certain and opposite, holds exactly one zero, a crossing, at every stage.  It
    is bisected with point values (tight balls) until ``g'`` certainly excludes 0 on it, then
    contracted with interval Newton; if a point's sign cannot be decided at the working
    precision (a crossing ill-conditioned far out), the bracket itself is returned.
    """
    s_lo = _sign(s.value(lo))
    tiny = arb(2) ** (-(ctx.prec // 2))
    for _ in range(steps):
        monotone = _sign(s.enclosure(lo, hi)[1]) != 0
        if monotone and (hi - lo) < tiny * (abs(lo) + 1):
            return _newton_contract(s, lo, hi)
        for frac in (0.5, _SPLIT, 1 - _SPLIT):  # off-centre points when the midpoint is undecided
            mid = arb((lo + (hi - lo) * arb(frac)).mid())
            s_mid = _sign(s.value(mid))
            if s_mid != 0:
                break
        if s_mid == 0 or not lo < mid < hi:
            return _newton_contract(s, lo, hi) if monotone else lo.union(hi)
        if s_mid == s_lo:
            lo = mid
        else:
            hi = mid
    return lo.union(hi)


def _three_terms(s, lo: arb, hi: arb) -> list[arb] | None:
    """Crossings of a 3-term sum by one Rolle step (module docstring), or ``None`` if undecided.

    ``G(x) = e^{-a_1 x} g(x) = c_1 + c_2 e^{d_2 x} + c_3 e^{d_3 x}`` (``d_k = a_k - a_1 > 0``) has
    ``G' = c_2 d_2 e^{d_2 x} + c_3 d_3 e^{d_3 x}``, a 2-term sum with at most one zero
    ``x* = log(-c_2 d_2 / (c_3 d_3)) / (a_3 - a_2)`` (only when ``c_2 c_3 < 0``).  ``G`` is monotone
    on either side of ``x*``, so each side holds a crossing exactly when ``G`` (hence ``g``) has
    opposite signs at its ends.  No subdivision: nearly coincident means (``g`` cancelling to
    ``O(h^2)``) cost no more than any other input.
    """
    a1, a2, a3 = s.a
    _, c2, c3 = s.c
    pieces = [(lo, hi, _sign(s.value(lo)), _sign(s.value(hi)))]
    if _sign(c2) * _sign(c3) < 0:
        x_star = (-(c2 * (a2 - a1)) / (c3 * (a3 - a1))).log() / (a3 - a2)
        if x_star > lo and x_star < hi:
            xl, xu = arb(x_star.lower()), arb(x_star.upper())
            s_c = _sign(s.enclosure(xl, xu)[0])
            if s_c == 0:
                return None  # g at the critical point undecided: a (near) tangency
            pieces = [(lo, xl, pieces[0][2], s_c), (xu, hi, s_c, pieces[0][3])]
        elif not (x_star < lo or x_star > hi):
            return None
    found = []
    for a, b, sa, sb in pieces:
        if sa == 0 or sb == 0:
            return None
        if sa != sb:
            found.append(_isolate(s, a, b))
    return found

"""Certified crossings of ``p* - p_mu`` (python-flint ``arb`` ball arithmetic), one point.

``p*(x) - p_mu(x) = e^{-x^2/2} / (2 sqrt(2 pi)) * g(x)`` with the exponential sum

.. math:: g(x) = \\sum_k c_k e^{a_k x}, \\qquad c_k = (n_\\nu(a_k) - n_\\mu(a_k))\\, e^{-a_k^2/2},

whose exponents are merged *exactly* (the float inputs are exact dyadic numbers; ``n_nu(a)`` counts
the true means equal to ``a``).  :func:`certified_crossings` returns balls that each contain
exactly one crossing (sign change) of ``g``, with a proof, and a certified count:

* **Range.**  With ``n`` terms and ``a_n`` the largest exponent, for ``x > X_+``,

  .. math:: X_+ = \\max_{k < n} \\frac{\\log(n - 1) + \\log|c_k| - \\log|c_n|}{a_n - a_k},

  every other term is below ``|c_n| e^{a_n x} / (n - 1)``, so their sum is below the top term and
  ``g(x) != 0``; symmetrically below ``X_-``.  ``X_-`` and ``X_+`` are evaluated in ball
  arithmetic and the search interval ``[L, R]`` is checked to contain ``[X_-, X_+]``.
* **Cover.**  ``[L, R]`` is bisected (at a point slightly off the midpoint, so that symmetric
  inputs do not put a zero on a split point).  A subinterval ``I`` is discarded when the ball
  ``g(I)`` (intersection of the direct and the mean-value enclosure) excludes 0.  When ``g'(I)``
  excludes 0, ``g`` is strictly monotone on ``I``; if ``g`` has certainly opposite signs at the
  two (exact) ends, ``I`` holds exactly one zero, a simple one, hence a crossing; if the signs
  are certainly equal, none.  Otherwise ``I`` is bisected.
* **Refinement.**  Each isolating interval is contracted with the interval Newton operator
  ``N(I) = m - g(m)/g'(I)`` intersected with ``I`` (every zero in ``I`` stays in it), then
  returned as a ball.
* **Count.**  When every subinterval was decided, ``count`` is the number of crossings and
  ``certified`` is True.  A subinterval that stays undecided down to the working precision
  (a double zero -- a tangency, which has no sign change and is therefore *not* a crossing --
  or zeros closer than the precision resolves), or an exhausted interval budget, gives
  ``certified = False``; ``count`` then counts only the proven crossings.  Means of wildly
  different magnitudes (e.g. ``1e-271`` next to ``0.25``) stretch the range to ``1e270`` and may
  exhaust the budget.

Two terms (after exact cancellation) are solved in closed form, ``x = log(-c_1/c_2)/(a_2-a_1)``
(an exponential sum with two terms has at most one zero).  ``g == 0`` (``mu = nu`` up to swap) is
decided exactly: ``count = -1``, ``certified = True``.

Numeric module: no SymPy.  Precision is set with ``flint.ctx.workprec`` (never globally).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flint import arb, ctx

from gmmsym.errors import InputError
from gmmsym.model.validate import as_points, check_int

__all__ = ["CertifiedCrossings", "certified_crossings", "DEFAULT_PREC"]

DEFAULT_PREC = 128
_SPLIT = 0.5 - 1.0 / 1031.0  # off-centre bisection point (avoids zeros on split points by symmetry)


@dataclass(frozen=True)
class CertifiedCrossings:
    """Result of :func:`certified_crossings`.

    Attributes
    ----------
    intervals : tuple of flint.arb
        Sorted balls, each containing exactly one crossing of ``p* - p_mu`` (proven).
    count : int
        Number of crossings: certified when ``certified`` is True; ``-1`` when ``p* == p_mu``
        (``mu = nu`` up to swapping).
    certified : bool
        True when the whole range was covered by decided subintervals (so there is no other
        crossing); False if some subinterval could not be decided (see the module docstring).
    sign_minus_inf : int
        Sign of ``p* - p_mu`` far left (``+1``, ``-1``; 0 when identically 0).
    prec : int
        Working precision in bits.
    """

    intervals: tuple
    count: int
    certified: bool
    sign_minus_inf: int
    prec: int

    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        """``(lo, hi)`` float enclosures of the balls (rounded outward by one ulp)."""
        out = []
        for ball in self.intervals:
            lo = math.nextafter(float(ball.lower()), -math.inf)
            hi = math.nextafter(float(ball.upper()), math.inf)
            out.append((lo, hi))
        return tuple(out)


def _terms(mu: tuple[float, float], nu: tuple[float, float]) -> list[tuple[float, int]]:
    """Exactly merged ``(exponent, net count)``, zero counts dropped, sorted by exponent."""
    net: dict[float, int] = {}
    for a in nu:
        net[a] = net.get(a, 0) + 1
    for a in mu:
        net[a] = net.get(a, 0) - 1
    return sorted((a, k) for a, k in net.items() if k != 0)


class _Sum:
    """``g(x) = sum_k c_k e^{a_k x}`` and ``g'`` in ball arithmetic (at the ambient precision).

    Two enclosures of the same function are intersected: the merged terms, and the *pair form*
    ``sum_i e^{t_mu_i}(x) expm1(Delta_i(x))`` with ``t_a(x) = a x - a^2/2`` and
    ``Delta_i = (nu_i - mu_i)(x - (nu_i + mu_i)/2)``,
    which has no cancellation of nearly equal terms (``mu`` close to ``nu``; each true mean is
    paired with its nearest generator mean).
    """

    def __init__(self, terms: list[tuple[float, int]], mu: tuple, nu: tuple) -> None:
        self.a = [arb(a) for a, _ in terms]
        self.c = [arb(k) * (-(arb(a) ** 2) / 2).exp() for a, k in terms]
        self.pairs = []
        nus, mus = sorted(nu), sorted(mu)
        if min(abs(nus[0] - mus[1]), abs(nus[1] - mus[0])) < min(abs(nus[0] - mus[0]), abs(nus[1] - mus[1])):
            mus = mus[::-1]  # pair each true mean with its nearest generator mean
        for n_i, m_i in zip(nus, mus):
            n_b, m_b = arb(n_i), arb(m_i)
            self.pairs.append((n_b, m_b, n_b - m_b, (n_b + m_b) / 2, m_b * m_b / 2))

    def _terms_value(self, x: arb) -> arb:
        return sum((c * _monotone(arb.exp, a * x) for a, c in zip(self.a, self.c)), arb(0))

    def _terms_deriv(self, x: arb) -> arb:
        return sum((c * a * _monotone(arb.exp, a * x) for a, c in zip(self.a, self.c)), arb(0))

    def _pairs(self, x: arb) -> tuple[arb, arb, arb]:
        val, der, der2 = arb(0), arb(0), arb(0)
        for nu, mu, dl, c, hm in self.pairs:
            base = _monotone(arb.exp, mu * x - hm)
            em = _monotone(arb.expm1, dl * (x - c))
            val += base * em
            der += base * (nu * em + dl)
            der2 += base * (nu * nu * em + dl * (nu + mu))
        return val, der, der2

    def value(self, x: arb) -> arb:
        return _meet(self._terms_value(x), self._pairs(x)[0])

    def deriv(self, x: arb) -> arb:
        return _meet(self._terms_deriv(x), self._pairs(x)[1])

    def enclosure(self, lo: arb, hi: arb) -> tuple[arb, arb]:
        """``(g(I), g'(I))`` for ``I = [lo, hi]``: direct, mean-value and second-order forms met.

        The second-order (Taylor) forms ``g(m) + g'(m) (I - m) + g''(I) (I - m)^2 / 2`` and
        ``g'(m) + g''(I) (I - m)`` matter when means nearly coincide (e.g. ``mu = (1 - h, 1 + h)``,
        ``nu = (1, 1)``): the pairs then cancel to ``O(h^2)`` while each pair's enclosure over
        ``I`` is ``O(h |I|)`` wide, so first-order forms need ``|I| ~ h`` over the whole range.
        """
        box = lo.union(hi)
        mid = (lo + hi) / 2
        _, d_mid, _ = self._pairs(mid)
        d_mid = _meet(self._terms_deriv(mid), d_mid)
        d2 = self._pairs(box)[2]
        dx = box - mid
        d = _meet(self.deriv(box), d_mid + d2 * dx)
        g_mid = self.value(mid)
        g = _meet(self.value(box), g_mid + d * dx)
        return _meet(g, g_mid + d_mid * dx + d2 * dx * dx / 2), d

    def box_sign(self, lo: arb, hi: arb) -> int:
        """Certain sign of ``g`` on ``[lo, hi]`` from magnitude bounds of the pairs, else 0.

        On a box not containing ``c_i``, the pair ``P_i = e^{t_mu_i} expm1(Delta_i)`` has the
        fixed sign of ``(nu_i - mu_i)(x - c_i)``, and both ``e^{t_mu_i}`` and ``|expm1(Delta_i)|``
        are monotone in ``x``, so ``|P_i|`` lies between the products of their smaller and of
        their larger end values (tight point balls: no loss however many orders of magnitude
        the box spans).  ``g`` has the sign of the pairs when they agree, or of a pair whose
        lower bound exceeds the other's upper bound.
        """
        info = []
        for _, mu, dl, c, hm in self.pairs:
            if dl == 0:
                continue
            t_ends = ((mu * lo - hm).exp(), (mu * hi - hm).exp())
            e_ends = (abs((dl * (lo - c)).expm1()), abs((dl * (hi - c)).expm1()))
            big = t_ends[0].max(t_ends[1]) * e_ends[0].max(e_ends[1])
            if not (lo > c or hi < c):
                info.append((0, arb(0), big))  # the pair changes sign in the box
                continue
            side = 1 if lo > c else -1
            small = t_ends[0].min(t_ends[1]) * e_ends[0].min(e_ends[1])
            info.append((_sign(dl) * side, small, big))
        if not info:  # pragma: no cover - g == 0 is handled before
            return 0
        if len(info) == 1:
            return info[0][0]
        (sa, la, ua), (sb, lb, ub) = info
        if sa != 0 and sa == sb:
            return sa
        if sa != 0 and la > ub:
            return sa
        if sb != 0 and lb > ua:
            return sb
        return 0


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


def _range(s: _Sum, terms: list[tuple[float, int]]) -> tuple[arb, arb]:
    """Exact dyadic ``L < X_-`` and ``R > X_+`` (checked in ball arithmetic)."""
    n = len(terms)
    logn = arb(n - 1).log()
    abs_c = [abs(c) for c in s.c]
    a = s.a
    up = None
    for k in range(n - 1):
        v = (logn + abs_c[k].log() - abs_c[-1].log()) / (a[-1] - a[k])
        up = v if up is None else up.max(v)
    dn = None
    for k in range(1, n):
        v = (abs_c[0].log() - abs_c[k].log() - logn) / (a[k] - a[0])
        dn = v if dn is None else dn.min(v)
    hi = float(up.upper())
    lo = float(dn.lower())
    hi = arb(math.ceil(hi + 1.0 + 1e-9 * abs(hi)))
    lo = arb(math.floor(lo - 1.0 - 1e-9 * abs(lo)))
    if not (hi > up and lo < dn):  # pragma: no cover - the margins make this certain
        raise ArithmeticError("certified_roots: could not certify the root range")
    return lo, hi


def _newton_contract(s: _Sum, lo: arb, hi: arb, steps: int = 60) -> arb:
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


def _isolate(s: _Sum, lo: arb, hi: arb, steps: int = 400) -> arb:
    """The one crossing in ``[lo, hi]`` where ``g e^{-a_1 x}`` is monotone with opposite end signs.

    Monotonicity is known (from the Rolle step of :func:`_three_terms`), so the bracket, whose
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


def _three_terms(s: _Sum, lo: arb, hi: arb) -> list[arb] | None:
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


def certified_crossings(
    mu: object, nu: object, *, prec: int = DEFAULT_PREC, max_intervals: int = 20_000
) -> CertifiedCrossings:
    """Certified isolating balls and count of the crossings of ``p* - p_mu`` for one ``(mu, nu)``.

    Parameters
    ----------
    mu, nu : sequence of 2 floats
        Generator and true means (finite; converted exactly).
    prec : int
        Working precision in bits (``>= 53``), default 128.
    max_intervals : int
        Budget of subintervals examined before giving up (``certified = False``).

    Returns
    -------
    CertifiedCrossings
        See the class and the module docstring.
    """
    mu_a = as_points("mu", mu, 2)
    nu_a = as_points("nu", nu, 2)
    if mu_a.shape != (2,) or nu_a.shape != (2,):
        raise InputError(f"mu and nu must be single points of shape (2,), got {mu_a.shape}, {nu_a.shape}")
    prec = check_int("prec", prec, minimum=53)
    max_intervals = check_int("max_intervals", max_intervals, minimum=1)
    terms = _terms(tuple(float(v) for v in mu_a), tuple(float(v) for v in nu_a))
    if not terms:
        return CertifiedCrossings((), -1, True, 0, prec)
    s_minus = 1 if terms[0][1] > 0 else -1
    with ctx.workprec(prec):
        s = _Sum(terms, tuple(float(v) for v in mu_a), tuple(float(v) for v in nu_a))
        if len(terms) == 2:
            (a1, _), (a2, _) = terms
            c1, c2 = s.c
            if _sign(c1) * _sign(c2) >= 0:  # pragma: no cover - equal masses force opposite signs
                return CertifiedCrossings((), 0, True, s_minus, prec)
            root = (-c1 / c2).log() / (arb(a2) - arb(a1))
            return CertifiedCrossings((root,), 1, True, s_minus, prec)
        lo, hi = _range(s, terms)
        if len(terms) == 3:
            quick = _three_terms(s, lo, hi)
            if quick is not None:
                return CertifiedCrossings(tuple(quick), len(quick), True, s_minus, prec)
        found: list[arb] = []
        certified = True
        stack = [(lo, hi)]
        examined = 0
        # Laguerre's rule: g has at most V zeros (with multiplicity), V the sign changes of the
        # merged coefficients; once V simple zeros are isolated there is no other zero anywhere.
        bound = sum(1 for (_, p), (_, q) in zip(terms, terms[1:]) if p * q < 0)
        while stack and len(found) < bound:
            a, b = stack.pop()
            examined += 1
            if examined > max_intervals:
                certified = False
                break
            if s.box_sign(a, b) != 0:
                continue
            g, d = s.enclosure(a, b)
            if _sign(g) != 0:
                continue
            if _sign(d) != 0:
                sa, sb = _sign(s.value(a)), _sign(s.value(b))
                if sa * sb < 0:
                    found.append(_newton_contract(s, a, b))
                    continue
                if sa != 0 and sa == sb:
                    continue
            split = a + (b - a) * arb(_SPLIT)
            split = arb(split.mid())
            if not (a < split < b) or (b - a).upper() < abs(split).upper() * arb(2) ** (8 - prec):
                certified = False  # undecidable at this precision (a tangency or unresolved zeros)
                continue
            stack.append((split, b))
            stack.append((a, split))
    found.sort(key=lambda ball: float(ball.mid()))
    return CertifiedCrossings(tuple(found), len(found), certified, s_minus, prec)

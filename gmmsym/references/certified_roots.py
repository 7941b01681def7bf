"""Certified crossings of ``p* - p_mu`` (python-flint ``arb`` ball arithmetic), one point, any model.

``p*(x) - p_mu(x) = e^{-x^2/(2 s^2)} / (s sqrt(2 pi)) * g(x)`` (``s = sigma``) with the exponential sum

.. math:: g(x) = \\sum_k c_k e^{a_k x}, \\qquad a_k = m_k / s^2, \\quad
   c_k = (W_\\nu(m_k) - W_\\mu(m_k))\\, e^{-m_k^2/(2 s^2)},

whose exponents are merged *exactly* (the float inputs are exact dyadic numbers; ``W_nu(m)`` sums
the weights of the true means equal to ``m``, exact rationals; with equal weights the counts).
For the paper's model (``s = 1``, equal weights) ``a_k = m_k`` and
``c_k = (n_nu - n_mu) e^{-a_k^2/2}``.  :func:`certified_crossings` returns balls that each contain
exactly one crossing (sign change) of ``g``, with a proof, and a certified count (at most
``2K - 1`` crossings):

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

**Rolle chain** (models other than the paper's, four or more terms): the certified chain of
derivative levels of :mod:`gmmsym.references.certified_rolle` is tried before the cover (no
subdivision of the range: crossings far out, e.g. ``1.6e9`` for a weight-1/3 mean within
``1e-9`` of a weight-2/3 one, are found at once); undecided, the cover runs.  Three terms: one
Rolle step (:func:`_three_terms`), any model.  The pair form pairs means of equal weight
(``w_i e^{t_mu_i} expm1(Delta_i)``, in units of ``sigma^2``).

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
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import as_points, check_int
from gmmsym.references.certified_rolle import (
    _SPLIT,
    _isolate,
    _meet,
    _monotone,
    _sign,
    _three_terms,
    rolle_crossings,
)

__all__ = ["CertifiedCrossings", "certified_crossings", "DEFAULT_PREC", "MAX_CROSSINGS_PREC"]

#: the highest working precision :func:`certified_crossings` retries with (bits)
MAX_CROSSINGS_PREC = 1024
DEFAULT_PREC = 128


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


def _terms(mu: tuple, nu: tuple, model: ModelSpec = PAPER) -> list[tuple]:
    """Exactly merged ``(mean, net weight)``, zero weights dropped, sorted by mean.

    The net weight is a count with equal weights (the common factor dropped), else an exact
    ``Fraction``.
    """
    equal = len(set(model.weights)) == 1
    net: dict = {}
    for means, sgn in ((nu, 1), (mu, -1)):
        for a, w in zip(means, model.weights, strict=True):
            net[a] = net.get(a, 0) + sgn * (1 if equal else w)
    return sorted((a, k) for a, k in net.items() if k != 0)


def _q(v) -> arb:
    """An int or ``Fraction`` as an ``arb`` (exact for ints, a tight ball for fractions)."""
    return arb(v) if isinstance(v, int) else arb(v.numerator) / v.denominator


def _pairing(mu: tuple, nu: tuple, model: ModelSpec) -> list[tuple]:
    """``(nu_i, mu_i, weight)`` pairs of equal weight (any such bijection is an identity of ``g``).

    Paper's model: each true mean with its nearest generator mean.  Otherwise, within every
    class of equal weights, the sorted true means with the sorted generator means.
    """
    if model.K == 2 and len(set(model.weights)) == 1:
        nus, mus = sorted(nu), sorted(mu)
        swap = min(abs(nus[0] - mus[1]), abs(nus[1] - mus[0])) < min(
            abs(nus[0] - mus[0]), abs(nus[1] - mus[1])
        )
        return [(n, m, 1) for n, m in zip(nus, mus[::-1] if swap else mus)]
    equal = len(set(model.weights)) == 1
    out = []
    for w in sorted(set(model.weights)):
        idx = [i for i, v in enumerate(model.weights) if v == w]
        ns, ms = sorted(nu[i] for i in idx), sorted(mu[i] for i in idx)
        out += [(n, m, 1 if equal else w) for n, m in zip(ns, ms)]
    return out


class _Sum:
    """``g(x) = sum_k c_k e^{a_k x}`` and ``g'`` in ball arithmetic (at the ambient precision).

    Two enclosures of the same function are intersected: the merged terms, and the *pair form*
    ``sum_i e^{t_mu_i}(x) expm1(Delta_i(x))`` with ``t_a(x) = a x - a^2/2`` and
    ``Delta_i = (nu_i - mu_i)(x - (nu_i + mu_i)/2)``,
    which has no cancellation of nearly equal terms (``mu`` close to ``nu``; each true mean is
    paired with its nearest generator mean).
    """

    def __init__(self, terms: list[tuple], mu: tuple, nu: tuple, model: ModelSpec = PAPER) -> None:
        s2 = model.sigma**2
        if s2 == 1:
            self.a = [arb(a) for a, _ in terms]
            self.c = [_q(k) * (-(arb(a) ** 2) / 2).exp() for a, k in terms]
        else:
            q = _q(s2)
            self.a = [arb(a) / q for a, _ in terms]
            self.c = [_q(k) * (-(arb(a) ** 2) / (2 * q)).exp() for a, k in terms]
        # pairs in units of sigma^2: (n / s2, m / s2, (n - m) / s2, (n + m) / 2, m^2 / (2 s2), w)
        self.pairs = []
        for n_i, m_i, w in _pairing(mu, nu, model):
            n_b, m_b = arb(n_i), arb(m_i)
            c_b = (n_b + m_b) / 2
            if s2 != 1:
                n_b, m_b = n_b / _q(s2), m_b / _q(s2)
            self.pairs.append((n_b, m_b, n_b - m_b, c_b, m_b * arb(m_i) / 2, _q(w)))

    def _terms_value(self, x: arb) -> arb:
        return sum((c * _monotone(arb.exp, a * x) for a, c in zip(self.a, self.c)), arb(0))

    def _terms_deriv(self, x: arb) -> arb:
        return sum((c * a * _monotone(arb.exp, a * x) for a, c in zip(self.a, self.c)), arb(0))

    def _pairs(self, x: arb) -> tuple[arb, arb, arb]:
        val, der, der2 = arb(0), arb(0), arb(0)
        for nu, mu, dl, c, hm, w in self.pairs:
            base = w * _monotone(arb.exp, mu * x - hm)
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
        for _, mu, dl, c, hm, w in self.pairs:
            if dl == 0:
                continue
            t_ends = (w * (mu * lo - hm).exp(), w * (mu * hi - hm).exp())
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
        signs = {sg for sg, _, _ in info}
        if len(signs) == 1 and 0 not in signs:
            return info[0][0]
        for i, (sg, low, _) in enumerate(info):  # one pair outweighs all the others together
            rest = arb(0)
            for j, (_, _, up) in enumerate(info):
                if j != i:
                    rest += up
            if sg != 0 and low > rest:
                return sg
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


def certified_crossings(
    mu: object, nu: object, *, prec: int = DEFAULT_PREC, max_intervals: int = 20_000, model: ModelSpec = PAPER
) -> CertifiedCrossings:
    """Certified isolating balls and count of the crossings of ``p* - p_mu`` for one ``(mu, nu)``.

    Parameters
    ----------
    mu, nu : sequence of K floats
        Generator and true means (finite; converted exactly).
    prec : int
        Working precision in bits (``>= 53``), default 128.  When the cover cannot decide
        every subinterval at ``prec`` bits, it is retried at twice the precision, up to
        :data:`MAX_CROSSINGS_PREC` bits (the result's ``prec`` says which one decided it).  Example: a
        K = 3 row with a mean gap of 1.4e-19 and a crossing at 5e18 is undecided at 128 and 256
        bits and certified at 512.
    max_intervals : int
        Budget of subintervals examined, per precision, before giving up (``certified = False``).
    model : ModelSpec
        ``K``, weights and sigma (default the paper's); at most ``2K - 1`` crossings.

    Returns
    -------
    CertifiedCrossings
        See the class and the module docstring.
    """
    K = check_model(model).K
    mu_a = as_points("mu", mu, K)
    nu_a = as_points("nu", nu, K)
    if mu_a.shape != (K,) or nu_a.shape != (K,):
        raise InputError(f"mu and nu must be single points of shape ({K},), got {mu_a.shape}, {nu_a.shape}")
    prec = check_int("prec", prec, minimum=53)
    max_intervals = check_int("max_intervals", max_intervals, minimum=1)
    while True:
        result = _certified_at(mu_a, nu_a, prec, max_intervals, model)
        if result.certified or prec >= MAX_CROSSINGS_PREC:
            return result
        prec = min(2 * prec, MAX_CROSSINGS_PREC)


def _certified_at(mu_a, nu_a, prec: int, max_intervals: int, model: ModelSpec) -> CertifiedCrossings:
    """:func:`certified_crossings` at one working precision."""
    terms = _terms(tuple(float(v) for v in mu_a), tuple(float(v) for v in nu_a), model)
    if not terms:
        return CertifiedCrossings((), -1, True, 0, prec)
    s_minus = 1 if terms[0][1] > 0 else -1
    with ctx.workprec(prec):
        s = _Sum(terms, tuple(float(v) for v in mu_a), tuple(float(v) for v in nu_a), model)
        if len(terms) == 2:
            c1, c2 = s.c
            if _sign(c1) * _sign(c2) >= 0:  # pragma: no cover - equal masses force opposite signs
                return CertifiedCrossings((), 0, True, s_minus, prec)
            root = (-c1 / c2).log() / (s.a[1] - s.a[0])
            return CertifiedCrossings((root,), 1, True, s_minus, prec)
        lo, hi = _range(s, terms)
        if len(terms) == 3:
            quick = _three_terms(s, lo, hi)
            if quick is not None:
                return CertifiedCrossings(tuple(quick), len(quick), True, s_minus, prec)
        elif model != PAPER:
            chain = rolle_crossings(s.a, s.c, s.value, lambda x, y: _isolate(s, x, y), lo, hi)
            if chain is not None:
                return CertifiedCrossings(tuple(chain), len(chain), True, s_minus, prec)
        found, certified = _cover(s, terms, lo, hi, prec, max_intervals)
    found.sort(key=lambda ball: float(ball.mid()))
    return CertifiedCrossings(tuple(found), len(found), certified, s_minus, prec)


def _cover(s: _Sum, terms: list, lo: arb, hi: arb, prec: int, max_intervals: int) -> tuple[list, bool]:
    """``(crossing balls, certified)`` by subdividing ``[lo, hi]`` (module docstring, *Cover*)."""
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
                found.append(_isolate(s, a, b))  # monotone, opposite end signs: bisect, then contract
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
    return found, certified

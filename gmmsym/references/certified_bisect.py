"""Certified crossings of ``p* - p_mu`` for any model, with python-flint balls (``arb``).

For one row, ``f(y) = sum_k c_k exp(a_k y)`` (``y = x / sigma``, ``c_k = +-w_k exp(-a_k^2/2)``)
is evaluated in ball arithmetic on intervals.  Isolation by interval bisection of the root
interval ``[Y_-, Y_+]`` (the root bound of :mod:`gmmsym.discriminator.crossings`, evaluated in ball
arithmetic and rounded outward, so no zero lies outside):

* ``0`` not in ``f(I)``: no zero in ``I``;
* ``0`` not in ``f'(I)``: ``f`` is monotone on ``I``, so it has a zero in ``I`` iff its signs at
  the two ends (evaluated as balls) are certainly opposite -- a certified crossing, then
  enclosed by bisection to ``rtol``;
* otherwise bisect (at 0, at the geometric mean of wide one-signed intervals, else at the
  midpoint); an interval narrower than ``min_width`` that is still undecided (a double
  zero, a tangency, or a pair closer than that) makes the result *incomplete*.

Crossings are sign changes, as in the float64 solver.  Slow (scalar, per row): a reference.
The stronger certified reference for any model (pair form, Rolle chain, interval Newton) is
:func:`gmmsym.references.certified_roots.certified_crossings` (``model=``); this one stays as a
second, independent check (plain interval bisection, sharing no code with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import flint

from gmmsym.model.spec import PAPER, ModelSpec, check_model

__all__ = ["CertifiedCrossings", "certified_crossings"]


@dataclass(frozen=True)
class CertifiedCrossings:
    """Enclosures ``(lo, hi)`` of the crossings in ``x`` units; ``complete`` if all were decided."""

    enclosures: tuple[tuple[float, float], ...]
    complete: bool

    @property
    def count(self) -> int:
        return len(self.enclosures)


def _terms(mu, nu, spec: ModelSpec):
    sig = Fraction(spec.sigma) if isinstance(spec.sigma, Fraction) else Fraction(float(spec.sigma))
    out: dict = {}
    for w, m, n in zip(spec.weights, mu, nu):
        w = Fraction(w) if isinstance(w, Fraction) else Fraction(float(w))
        for mean, sgn in ((Fraction(float(n)), 1), (Fraction(float(m)), -1)):
            a = mean / sig
            out[a] = out.get(a, Fraction(0)) + sgn * w  # exact merge of equal exponents
    return [(a, c) for a, c in sorted(out.items()) if c != 0], sig


def _arb(q: Fraction) -> flint.arb:
    return flint.arb(q.numerator) / q.denominator


def _eval(terms, y: flint.arb, deriv: bool = False) -> flint.arb:
    total = flint.arb(0)
    for a, c in terms:
        aa = _arb(a)
        t = _arb(c) * (aa * y - aa * aa / 2).exp()
        total += t * aa if deriv else t
    return total


def _bound(terms) -> float:
    """``max(|Y_-|, |Y_+|)`` rounded up (ball arithmetic), plus 1."""
    n = len(terms)
    best = flint.arb(0)
    logs = [(_arb(abs(c)).log() - _arb(a) ** 2 / 2) for a, c in terms]
    c = flint.arb(max(n - 1, 1)).log()
    for top, other in ((n - 1, range(n - 1)), (0, range(1, n))):
        for k in other:
            v = (c + logs[k] - logs[top]) / (_arb(terms[top][0]) - _arb(terms[k][0]))
            best = max(best, abs(v), key=lambda z: float(z.upper()))
    return float(best.upper()) + 1.0


def _sign(v: flint.arb) -> int:
    return 1 if v > 0 else -1 if v < 0 else 0


def certified_crossings(
    mu,
    nu,
    model: ModelSpec = PAPER,
    *,
    prec: int = 200,
    rtol: float = 1e-15,
    min_width: float = 1e-13,
    budget: int = 4000,
) -> CertifiedCrossings:
    """Certified crossings of one row (``mu``, ``nu`` sequences of ``K`` floats).

    Parameters
    ----------
    prec : int
        Working precision in bits (``flint.ctx.workprec``).
    rtol : float
        Relative width of the returned enclosures.
    min_width : float
        Relative width below which an undecided interval makes the result incomplete.
    budget : int
        Largest number of intervals examined; beyond it the result is incomplete.
    """
    terms, sig = _terms(mu, nu, check_model(model))
    if len(terms) < 2:
        return CertifiedCrossings((), True)  # one term (no zero) or f == 0 (no crossing)
    found: list = []
    complete = True
    with flint.ctx.workprec(prec):
        b = _bound(terms)
        stack = [(-b, b)]
        while stack:
            budget -= 1
            if budget < 0:
                complete = False
                break
            lo, hi = stack.pop()
            ball = flint.arb((lo + hi) / 2, (hi - lo) / 2 * (1 + 1e-15))
            if not _eval(terms, ball).contains(0):
                continue
            slo, shi = _sign(_eval(terms, flint.arb(lo))), _sign(_eval(terms, flint.arb(hi)))
            if not _eval(terms, ball, deriv=True).contains(0):
                if slo * shi < 0:
                    found.append(_enclose(terms, lo, hi, slo, rtol))
                elif slo == 0 or shi == 0:
                    complete = False  # a zero exactly at a bisection point: not decided here
                continue
            if hi - lo <= min_width * (1 + abs(lo) + abs(hi)):
                complete = False
                continue
            mid = _split(lo, hi)
            stack += [(mid, hi), (lo, mid)]
    s = float(sig)
    encl = tuple(sorted((lo * s, hi * s) for lo, hi in found))
    return CertifiedCrossings(encl, complete)


def _split(lo: float, hi: float) -> float:
    """Bisection point: 0 across the origin, the geometric mean of wide one-signed intervals."""
    if lo < 0 < hi and max(-lo, hi) > 1.0:
        return 0.0 if min(-lo, hi) > 1e-300 else (lo + hi) / 2
    if lo > 0 and hi > 4 * lo and lo > 1e-300:
        return (lo * hi) ** 0.5
    if hi < 0 and lo < 4 * hi and hi < -1e-300:
        return -((lo * hi) ** 0.5)
    return (lo + hi) / 2


def _enclose(terms, lo: float, hi: float, slo: int, rtol: float) -> tuple[float, float]:
    """Bisection of a certified monotone bracket down to relative width ``rtol``."""
    while hi - lo > rtol * (abs(lo) + abs(hi)) + 1e-300:
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        sm = _sign(_eval(terms, flint.arb(mid)))
        if sm == 0:
            return (mid, mid) if _eval(terms, flint.arb(mid)).is_zero() else (lo, hi)
        lo, hi = (mid, hi) if sm == slo else (lo, mid)
    return (lo, hi)

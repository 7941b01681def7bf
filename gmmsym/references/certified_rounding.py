"""Correct rounding of python-flint ``arb`` balls to float64 (the certified references' last step).

Correct rounding
    :func:`correctly_rounded` raises the working precision (128 bits, then doubling) until
    both ends ``mid -+ rad`` of the ball round to the same float64.  The ends are converted
    with exact integer arithmetic (:func:`dyadic_to_float`: CPython's ``int / int`` is
    correctly rounded to nearest-even, subnormals and underflow to +-0 included), not with
    ``float(arb)``: that uses ``arf_get_d`` with a rounding mode that changed across
    python-flint versions (``ARF_RND_DOWN`` in old releases, ``ARF_RND_NEAR`` in 0.9), and
    ``arb.lower()``/``upper()`` round at the ambient ``ctx.prec``.  Rounding is monotone, so
    when both ends round to the same double, every value in the ball (the true one included)
    does too.

Numeric module: no SymPy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from flint import arb

from gmmsym.model import validate as _validate

__all__ = [
    "DEFAULT_PREC",
    "MAX_PREC",
    "RoundingError",
    "dyadic_to_float",
    "ball_to_float",
    "correctly_rounded",
]

#: First working precision (bits) of :func:`correctly_rounded`; enough for almost every point
#: of the accuracy sweep (the rest need 256).
DEFAULT_PREC = 128
#: Give up beyond this precision: only a value on (or within 2**-MAX_PREC of) a rounding tie
#: between two doubles, or an exact zero the canonical form does not see, can get here.
MAX_PREC = 1 << 14

# Below 2**-1077 a value rounds to +-0 (half the smallest subnormal is 2**-1075).
_UNDERFLOW_EXP = -1077


class RoundingError(ArithmeticError):
    """The ball could not be narrowed to one float64 within ``max_prec`` bits."""


# --------------------------------------------------------------------------------------------
# exact conversions


def dyadic_to_float(man: int, exp: int) -> float:
    """Round ``man * 2**exp`` (exact integers) to the nearest float64, ties to even.

    Subnormal results are rounded once (no double rounding); values below half the smallest
    subnormal give ``+-0.0`` with the sign of ``man``; values beyond the float64 range give
    ``+-inf``.

    Parameters
    ----------
    man, exp : int
        Mantissa and binary exponent.

    Returns
    -------
    float
        ``round_nearest_even(man * 2**exp)``.
    """
    man = int(man)
    exp = int(exp)
    if man == 0:
        return 0.0
    if exp >= 0:
        if man.bit_length() + exp > 1025:
            return math.copysign(math.inf, man)
        try:
            return float(man << exp)  # int -> float is correctly rounded in CPython
        except OverflowError:
            return math.copysign(math.inf, man)
    if man.bit_length() + exp < _UNDERFLOW_EXP:
        return math.copysign(0.0, man)
    # CPython's int / int is correctly rounded (round-half-even), including gradual underflow.
    return man / (1 << -exp)


def _arb_exact_parts(x: arb) -> tuple[int, int]:
    man, exp = x.man_exp()
    return int(man), int(exp)


def ball_to_float(ball: arb) -> float | None:
    """The float64 every point of ``ball`` rounds to, or ``None`` if they do not all agree.

    Uses the exact ends ``mid - rad`` and ``mid + rad`` (integer arithmetic, no dependence on
    ``ctx.prec``) and :func:`dyadic_to_float`.  ``-0.0`` and ``+0.0`` count as equal; the
    returned zero has the sign of the midpoint.
    """
    if not ball.is_finite():
        return None
    mm, me = _arb_exact_parts(ball.mid())
    rm, re_ = _arb_exact_parts(ball.rad())
    if rm == 0:
        return dyadic_to_float(mm, me)
    e = min(me, re_)
    m_al = mm << (me - e)
    r_al = rm << (re_ - e)
    lo = dyadic_to_float(m_al - r_al, e)
    hi = dyadic_to_float(m_al + r_al, e)
    if lo != hi:
        return None
    if lo == 0.0:
        return math.copysign(0.0, mm) if mm else 0.0
    return lo


def _round_tree(value: Any) -> Any:
    """Round an arb or a (nested) tuple of arbs; ``None`` if any leaf is not yet decided."""
    if isinstance(value, arb):
        return ball_to_float(value)
    out = []
    for v in value:
        r = _round_tree(v)
        if r is None:
            return None
        out.append(r)
    return tuple(out)


def correctly_rounded(
    fn: Callable[..., Any],
    *args: Any,
    prec: int = DEFAULT_PREC,
    max_prec: int = MAX_PREC,
    **kwargs: Any,
) -> Any:
    """Correctly rounded float64 value(s) of a ball-valued function.

    Calls ``fn(*args, prec=p, **kwargs)`` for ``p = prec, 2 prec, 4 prec, ...`` until every
    returned ball rounds to a single float64 (:func:`ball_to_float`).

    Parameters
    ----------
    fn : callable
        Returns an :class:`flint.arb` or a (nested) tuple of them, e.g. :func:`objective_ball`
        or :func:`gradients_ball`; must accept the keyword ``prec``.
    *args, **kwargs
        Passed to ``fn``.
    prec : int
        First working precision in bits.
    max_prec : int
        Largest precision tried.

    Returns
    -------
    float or tuple
        Same structure as ``fn``'s result, each ball replaced by ``round_nearest_even(value)``.

    Raises
    ------
    RoundingError
        If ``max_prec`` bits do not decide the rounding (value on a tie, or not finite).
    """
    p = _validate.check_int("prec", prec, minimum=2)
    max_prec = _validate.check_int("max_prec", max_prec, minimum=p)
    while True:
        rounded = _round_tree(fn(*args, prec=p, **kwargs))
        if rounded is not None:
            return rounded
        if 2 * p > max_prec:
            raise RoundingError(f"{getattr(fn, '__name__', fn)}: not decided at {p} bits")
        p *= 2

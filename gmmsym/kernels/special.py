"""Standard normal building blocks used by the generated kernels (float64 and mpmath).

Generated code calls these by name (see :mod:`gmmsym.codegen.printers`); they only compose
``scipy.special`` / ``mpmath`` functions, they do not approximate anything themselves.

* ``normal_pdf(z) = phi(z) = exp(-z**2/2) / sqrt(2*pi)``
* ``normal_cdf(z) = Phi(z)``  (``scipy.special.ndtr``)
* ``unit_step(x) = H(x)`` and ``signed_tail(x) = T(x) = H(x) - Phi(x)``: ``Phi = H - T`` with
  ``H`` exact (0 or 1, by the sign bit so that ``+-0`` and ``+-inf`` are consistent) and
  ``|T(x)| = Phi(-|x|)`` a tail probability.  An interval mass ``Phi(b) - Phi(a)``, and any sum
  of masses that cancel (``P*(I) - G_mu(I)``), is generated as (exact sum of steps) + (sum of
  signed tails), see :func:`gmmsym.symbolic.functions.split_mass`: it never subtracts two
  numbers close to 1, so the error stays a few ulps of the term scale.
"""

from __future__ import annotations

import mpmath
import numpy as np
from scipy import special

__all__ = [
    "normal_pdf",
    "normal_cdf",
    "unit_step",
    "signed_tail",
    "mp_normal_pdf",
    "mp_normal_cdf",
    "mp_upper_tail",
    "mp_unit_step",
    "mp_signed_tail",
]

INV_SQRT_2PI = 0.3989422804014327  # 1/sqrt(2*pi), correctly rounded


def normal_pdf(z):
    """``phi(z) = exp(-z**2/2) / sqrt(2*pi)``, elementwise (``z**2`` overflowing to inf gives 0)."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.exp(-0.5 * (z * z)) * INV_SQRT_2PI


def normal_cdf(z):
    """``Phi(z)``, elementwise (``scipy.special.ndtr``; accurate in the left tail)."""
    return special.ndtr(z)


def unit_step(x):
    """``H(x)``: 1.0 where the sign bit of ``x`` is clear (``x >= +0``), else 0.0."""
    return np.where(np.signbit(x), 0.0, 1.0)


def signed_tail(x):
    """``T(x) = H(x) - Phi(x)``, i.e. ``copysign(Phi(-|x|), x)``, without cancellation."""
    x = np.asarray(x, dtype=np.float64)
    return np.copysign(special.ndtr(-np.abs(x)), x)


def mp_upper_tail(t):
    """``Phi(-t)`` for ``t >= 0`` at the current mpmath precision, also for huge ``t``.

    * ``exp(-t**2/2)`` needs the exponent ``t**2/2`` to an absolute accuracy of about one ulp
      of the result, i.e. ``2 log2(t)`` bits beyond the working precision: the evaluation runs
      with that many extra bits and the result is rounded back.
    * ``mpmath.ncdf`` (1.3) overflows beyond ``t ~ 1e155``.  There the Mills-ratio bounds
      ``phi(t) t / (1 + t**2) < Phi(-t) < phi(t) / t`` pin ``Phi(-t)`` to a relative ``1/t**2``;
      ``phi(t)/t`` is used once ``1/t**2 < 2**-(prec + 20)``, below the working precision.
    """
    t = mpmath.mpf(t)
    if mpmath.isinf(t):
        return mpmath.mpf(0)
    prec = mpmath.mp.prec
    asymptotic = t * t > mpmath.mpf(2) ** (prec + 20)
    with mpmath.workprec(prec + 2 * max(0, int(mpmath.mag(t)) if t else 0) + 10):
        val = mpmath.npdf(t) / t if asymptotic else mpmath.ncdf(-t)
    return +val


def mp_normal_pdf(z):
    """``phi(z)`` at the current mpmath precision."""
    return mpmath.npdf(z)


def mp_normal_cdf(z):
    """``Phi(z)`` at the current mpmath precision."""
    return mpmath.ncdf(z)


def mp_unit_step(x):
    """``H(x)`` for an mpmath number (``mpf`` has no negative zero: ``H(0) = 1``)."""
    return mpmath.mpf(0) if x < 0 else mpmath.mpf(1)


def mp_signed_tail(x):
    """``T(x) = H(x) - Phi(x)`` at the current mpmath precision, without cancellation."""
    x = mpmath.mpf(x)
    return -mp_upper_tail(-x) if x < 0 else mp_upper_tail(x)

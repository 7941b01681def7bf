"""Exact Gaussian expansions of the model's functions, evaluated in ``arb`` ball arithmetic.

Every quantity of ``docs/model.md`` section 2 is a finite linear combination of Gaussian terms,

.. math::

    f = c_0 + \\sum_k c_k \\, \\Phi(t_k) + \\sum_k d_k \\, \\varphi(t_k) / \\sigma,
    \\qquad t_k = (x_k - m_k) / \\sigma,

with ``x_k`` an endpoint (or the density-gap point) and ``m_k`` a mean.  This module builds
that combination *exactly* (rational coefficients, arguments as exact rationals of the float64
inputs) and evaluates it in ball arithmetic (:class:`flint.arb`, error-tracked);
:mod:`gmmsym.references.certified_rounding` rounds the ball to the nearest float64 with a proof
that the rounding is right.

Tail-safe canonical form
    Each ``Phi`` term is split into an integer part and its small tail side with
    ``Q(t) = Phi(-t) = erfc(t / sqrt2) / 2`` (``t >= 0``):
    ``Phi(t) = Q(-t)`` for ``t <= 0`` and ``Phi(t) = 1 - Q(t)`` for ``t > 0``;
    ``Phi(+inf) = 1``, ``Phi(-inf) = 0``, ``phi(+-inf) = 0`` exactly (infinity never reaches
    arb); ``phi(t) = phi(|t|)``.  Constants are summed exactly and identical atoms are merged
    before anything is evaluated.  So ``Phi(b) - Phi(a)`` with both ends in the same tail
    becomes ``Q(a) - Q(b)`` (erfc of both, no ``1 - 1``), a collapsed interval cancels to an
    exact 0, and structurally zero results (``mu = nu``) come out as exact zero balls instead
    of balls around 0 that would need ~1,100 bits to round.

Term scale
    ``S = |c_0| + |n| + sum_k |c_k| min(Phi(t_k), Phi(-t_k)) + sum_k |d_k| phi(t_k) / sigma``
    over the *individual* terms before any merging (a collapsed interval still counts twice;
    infinite endpoints contribute 0).  ``c_0`` is the function's own constant (the 1 of ``L``,
    0 otherwise) and ``n = sum_k c_k [t_k > 0] + sum_{x_k = +inf} c_k`` is the net integer
    part of the ``Phi`` terms (exact).  In the model ``n`` cancels between ``P*`` and ``G_mu``
    unless an endpoint separates a true mean from a generator mean by a wide margin; when it
    does not cancel the result is ``~n`` however small its tails are, so ``|n|`` must count
    (otherwise even the correctly rounded value plus 1 ulp would be "wrong" relative to a
    tiny ``S``).  ``a = max_k |t_k|`` over the finite arguments.  Both are float64 and only
    scale errors (:mod:`gmmsym.references.accuracy`).

Numeric module: no SymPy.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flint import arb, ctx, fmpq

from gmmsym.errors import InputError
from gmmsym.kernels import special as _special
from gmmsym.model import validate as _validate
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.references.certified_rounding import DEFAULT_PREC, MAX_PREC, correctly_rounded

__all__ = [
    "Expansion",
    "normal_cdf_expansion",
    "normal_pdf_expansion",
    "normal_mass_expansion",
    "objective_expansion",
    "advantage_expansion",
    "gradient_expansions",
    "density_gap_expansion",
]


def _arb_q(q: fmpq) -> arb:
    """``q`` as a ball at the current precision (exact when it fits)."""
    return arb(q)


@dataclass(frozen=True)
class Expansion:
    """A merged Gaussian expansion with exact rational data,

    .. math::

        f = C + \\sum_k c_k \\, Q(t_k) + \\sum_k d_k \\, \\varphi(t_k), \\qquad
        Q(t) = \\Phi(-t) = \\operatorname{erfc}(t / \\sqrt 2) / 2, \\quad t_k \\ge 0.

    Built by the ``*_expansion`` functions below, which already include the factor
    ``1/sigma`` of density terms in ``d_k``.

    Attributes
    ----------
    constant : flint.fmpq
        ``C``: the function's own constant plus the integer parts of its ``Phi`` terms.
    tails : tuple of (fmpq, fmpq)
        ``(t_k, c_k)`` with ``t_k >= 0``, sorted by ``t_k``, no zero ``c_k``.
    densities : tuple of (fmpq, fmpq)
        ``(t_k, d_k)`` with ``t_k >= 0``, sorted, no zero ``d_k``.
    scale : float
        Term scale ``S`` (module docstring), float64.
    max_arg : float
        ``a = max |t_k|`` over the finite arguments of the individual terms (0 if none).
    """

    constant: fmpq
    tails: tuple[tuple[fmpq, fmpq], ...]
    densities: tuple[tuple[fmpq, fmpq], ...]
    scale: float
    max_arg: float

    def ball(self, prec: int = DEFAULT_PREC) -> arb:
        """Evaluate in ball arithmetic at ``prec`` bits (``ctx.workprec``, scoped)."""
        prec = _validate.check_int("prec", prec, minimum=2)
        with ctx.workprec(prec):
            total = _arb_q(self.constant)
            if self.tails:
                inv_sqrt2 = arb(2).rsqrt()
                for t, c in self.tails:
                    total += _arb_q(c) * (_arb_q(t) * inv_sqrt2).erfc() / 2
            if self.densities:
                inv_sqrt_2pi = (2 * arb.pi()).rsqrt()
                for t, d in self.densities:
                    tt = _arb_q(t)
                    total += _arb_q(d) * (-(tt * tt) / 2).exp() * inv_sqrt_2pi
        return total

    def rounded(self, *, prec: int = DEFAULT_PREC, max_prec: int = MAX_PREC) -> float:
        """Correctly rounded float64 value (see :func:`correctly_rounded`)."""
        return correctly_rounded(self.ball, prec=prec, max_prec=max_prec)


# --------------------------------------------------------------------------------------------
# building an expansion term by term


_ONE = fmpq(1)


def _q(value: object) -> fmpq:
    """An exact rational: floats via ``as_integer_ratio``, ``Fraction``/int exactly."""
    if isinstance(value, float):
        return fmpq(*value.as_integer_ratio())
    f = Fraction(value)
    return fmpq(f.numerator, f.denominator)


class _Builder:
    """Accumulates individual Gaussian terms into an :class:`Expansion`."""

    def __init__(self, sigma: Fraction | float, constant: Fraction | int = 0) -> None:
        self.sigma = _q(sigma)
        self.sigma_f = float(sigma)
        self.unit = self.sigma == 1
        self.constant = _q(constant)
        # keyed by (numerator, denominator) of t: fmpq hashes through fractions.Fraction (slow)
        self.tails: dict[tuple[int, int], list[fmpq]] = {}
        self.dens: dict[tuple[int, int], list[fmpq]] = {}
        self.cdf_terms: list[tuple[float, float]] = []  # (|coef|, |t|) for S
        self.pdf_terms: list[tuple[float, float]] = []
        self.max_arg = 0.0
        self.base_constant = self.constant

    def _arg(self, x: float, m: float) -> tuple[fmpq, float]:
        t = _q(x) - _q(m)
        if not self.unit:
            t = t / self.sigma
        # |t| in float64: only a scale (a, S), the exact t is what gets evaluated.
        ta = abs(x - m) / self.sigma_f
        self.max_arg = max(self.max_arg, ta)
        return t, ta

    def cdf(self, coef: fmpq, x: float, m: float) -> None:
        """Add ``coef * Phi((x - m) / sigma)``."""
        if math.isinf(x):
            if x > 0:
                self.constant += coef
            return
        t, ta = self._arg(x, m)
        self.cdf_terms.append((abs(float(coef)), ta))
        if t > 0:
            self.constant += coef
            _accumulate(self.tails, t, -coef)
        else:
            _accumulate(self.tails, -t, coef)

    def pdf(self, coef: fmpq, x: float, m: float) -> None:
        """Add ``coef * phi((x - m) / sigma) / sigma`` (a density term)."""
        if math.isinf(x):
            return
        t, ta = self._arg(x, m)
        if t < 0:
            t = -t
        d = coef if self.unit else coef / self.sigma
        self.pdf_terms.append((abs(float(d)), ta))
        _accumulate(self.dens, t, d)

    def build(self) -> Expansion:
        # |c_0| + |net integer part n| (both exact rationals, rounded once to float64)
        scale = abs(float(self.base_constant)) + abs(float(self.constant - self.base_constant))
        if self.cdf_terms:
            c, t = np.array(self.cdf_terms).T
            scale += float(np.sum(c * _special.normal_cdf(-t)))
        if self.pdf_terms:
            c, t = np.array(self.pdf_terms).T
            scale += float(np.sum(c * _special.normal_pdf(t)))
        tails = tuple(sorted((t, c) for t, c in self.tails.values() if c != 0))
        dens = tuple(sorted((t, c) for t, c in self.dens.values() if c != 0))
        return Expansion(self.constant, tails, dens, scale, self.max_arg)


def _accumulate(table: dict[tuple[int, int], list[fmpq]], t: fmpq, coef: fmpq) -> None:
    key = (int(t.p), int(t.q))
    entry = table.get(key)
    if entry is None:
        table[key] = [t, coef]
    else:
        entry[1] += coef


# --------------------------------------------------------------------------------------------
# input checks


def _point(name: str, value: object, width: int, *, allow_inf: bool = False) -> tuple[float, ...]:
    arr = _validate.as_points(name, value, width, allow_inf=allow_inf)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one point of shape ({width},), got shape {arr.shape}")
    return tuple(float(v) for v in arr)


def _scalar(name: str, value: object, *, allow_inf: bool = True) -> float:
    real = (numbers.Real, np.floating, np.integer)
    if isinstance(value, _validate.NOT_NUMBERS) or not isinstance(value, real):
        raise InputError(f"{name} must be a real number, got {type(value).__name__}")
    return _point(name, [value], 1, allow_inf=allow_inf)[0]


def _model_inputs(mu: object, ell: object, nu: object, model: ModelSpec):
    model = check_model(model)
    mu_t = _point("mu", mu, model.K)
    nu_t = _point("nu", nu, model.K)
    ell_t = _point("ell", ell, 2 * model.M, allow_inf=True)
    with np.errstate(invalid="ignore"):  # inf - inf in the order check is NaN, i.e. not a violation
        _validate.check_ordered("ell", np.asarray(ell_t))
    w = tuple(_q(x) for x in model.weights)
    return model, mu_t, ell_t, nu_t, w


# --------------------------------------------------------------------------------------------
# the model's functions


def normal_cdf_expansion(x: float) -> Expansion:
    """``Phi(x)`` (``x`` may be +-inf)."""
    b = _Builder(1)
    b.cdf(_ONE, _scalar("x", x), 0.0)
    return b.build()


def normal_pdf_expansion(x: float) -> Expansion:
    """``phi(x)`` (``x`` may be +-inf)."""
    b = _Builder(1)
    b.pdf(_ONE, _scalar("x", x), 0.0)
    return b.build()


def normal_mass_expansion(a: float, b: float) -> Expansion:
    """``Phi(b) - Phi(a)`` (either may be +-inf)."""
    bl = _Builder(1)
    bl.cdf(_ONE, _scalar("b", b), 0.0)
    bl.cdf(-_ONE, _scalar("a", a), 0.0)
    return bl.build()


def _interval_masses(b: _Builder, mu, ell, nu, w) -> None:
    # sum_j sum_i w_i [Phi(r_j - nu_i) - Phi(l_j - nu_i) - Phi(r_j - mu_i) + Phi(l_j - mu_i)]
    for j in range(len(ell) // 2):
        lj, rj = ell[2 * j], ell[2 * j + 1]
        for i, wi in enumerate(w):
            b.cdf(wi, rj, nu[i])
            b.cdf(-wi, lj, nu[i])
            b.cdf(-wi, rj, mu[i])
            b.cdf(wi, lj, mu[i])


def objective_expansion(mu: object, ell: object, nu: object, *, model: ModelSpec = PAPER) -> Expansion:
    """``L(mu, ell) = 1 + sum_j sum_i w_i [Phi(r_j-nu_i) - Phi(l_j-nu_i) - Phi(r_j-mu_i) + Phi(l_j-mu_i)]``.

    Arguments are ``(endpoint - mean) / sigma``.  ``S`` includes the constant 1.
    """
    model, mu_t, ell_t, nu_t, w = _model_inputs(mu, ell, nu, model)
    b = _Builder(model.sigma, constant=1)
    _interval_masses(b, mu_t, ell_t, nu_t, w)
    return b.build()


def advantage_expansion(mu: object, ell: object, nu: object, *, model: ModelSpec = PAPER) -> Expansion:
    """``L - 1 = sum_j [P*([l_j, r_j]) - G_mu([l_j, r_j])]`` (no constant term in ``S``)."""
    model, mu_t, ell_t, nu_t, w = _model_inputs(mu, ell, nu, model)
    b = _Builder(model.sigma)
    _interval_masses(b, mu_t, ell_t, nu_t, w)
    return b.build()


def gradient_expansions(
    mu: object, ell: object, nu: object, *, model: ModelSpec = PAPER
) -> tuple[tuple[Expansion, ...], tuple[Expansion, ...]]:
    """``(dL/dmu_1..K, dL/dl_1, dL/dr_1, ..., dL/dr_M)``.

    .. math::

        \\partial L/\\partial \\mu_i
            = w_i \\sum_j [\\varphi(r_j - \\mu_i) - \\varphi(l_j - \\mu_i)] / \\sigma,

        \\partial L/\\partial r_j = p^*(r_j) - p_\\mu(r_j), \\qquad
        \\partial L/\\partial l_j = -(p^*(l_j) - p_\\mu(l_j)),

    with ``p(x) = sum_i w_i phi((x - m_i)/sigma)/sigma`` (arguments scaled by ``sigma``).
    """
    model, mu_t, ell_t, nu_t, w = _model_inputs(mu, ell, nu, model)
    dmu = []
    for i, wi in enumerate(w):
        b = _Builder(model.sigma)
        for j in range(model.M):
            b.pdf(wi, ell_t[2 * j + 1], mu_t[i])
            b.pdf(-wi, ell_t[2 * j], mu_t[i])
        dmu.append(b.build())
    dell = []
    for k, x in enumerate(ell_t):
        sign = 1 if k % 2 else -1  # r_j: +(p* - p_mu), l_j: -(p* - p_mu)
        b = _Builder(model.sigma)
        for i, wi in enumerate(w):
            b.pdf(sign * wi, x, nu_t[i])
            b.pdf(-sign * wi, x, mu_t[i])
        dell.append(b.build())
    return tuple(dmu), tuple(dell)


def density_gap_expansion(x: float, mu: object, nu: object, *, model: ModelSpec = PAPER) -> Expansion:
    """``p*(x) - p_mu(x) = sum_i w_i [phi((x - nu_i)/sigma) - phi((x - mu_i)/sigma)] / sigma``."""
    model = check_model(model)
    xf = _scalar("x", x)
    mu_t = _point("mu", mu, model.K)
    nu_t = _point("nu", nu, model.K)
    b = _Builder(model.sigma)
    for i, wi in enumerate(_q(v) for v in model.weights):
        b.pdf(wi, xf, nu_t[i])
        b.pdf(-wi, xf, mu_t[i])
    return b.build()

"""Certified references: python-flint ``arb`` balls and correctly rounded float64 values.

Every quantity of ``docs/model.md`` section 2 is a finite linear combination of Gaussian terms
``Phi(t_k)``, ``phi(t_k)`` with ``t_k = (x_k - m_k) / sigma``.  That combination is built
*exactly* (rational coefficients, arguments as exact rationals of the float64 inputs),
evaluated in ball arithmetic (:class:`flint.arb`, error-tracked) and rounded to the nearest
float64 with a proof that the rounding is right.

The work is split in two modules, whose names are re-exported here (``gmmsym.certified`` is this module):

* :mod:`gmmsym.references.certified_expansions`: the exact expansions
  (:class:`Expansion`, ``*_expansion``) with their tail-safe canonical form, ball evaluation
  and term scale ``S``;
* :mod:`gmmsym.references.certified_rounding`: correct rounding of a ball to float64
  (:func:`correctly_rounded`, :func:`ball_to_float`, :func:`dyadic_to_float`).

This module adds the balls (``*_ball``) and the correctly rounded float64 references
(:func:`objective`, :func:`advantage`, :func:`gradients`, :func:`density_gap`) of the model's
functions.  Numeric module: no SymPy.
"""

from __future__ import annotations

from flint import arb

from gmmsym.model.spec import PAPER, ModelSpec

# Re-exports: every name of the module before the split stays importable (and patchable) here;
# the private ones too.
from gmmsym.references.certified_expansions import (  # noqa: F401
    _ONE,
    Expansion,
    _accumulate,
    _arb_q,
    _Builder,
    _interval_masses,
    _model_inputs,
    _point,
    _q,
    _scalar,
    advantage_expansion,
    density_gap_expansion,
    gradient_expansions,
    normal_cdf_expansion,
    normal_mass_expansion,
    normal_pdf_expansion,
    objective_expansion,
)
from gmmsym.references.certified_rounding import (  # noqa: F401
    _UNDERFLOW_EXP,
    DEFAULT_PREC,
    MAX_PREC,
    RoundingError,
    _arb_exact_parts,
    _round_tree,
    ball_to_float,
    correctly_rounded,
    dyadic_to_float,
)

__all__ = [
    "DEFAULT_PREC",
    "MAX_PREC",
    "RoundingError",
    "Expansion",
    "dyadic_to_float",
    "ball_to_float",
    "correctly_rounded",
    "normal_cdf_expansion",
    "normal_pdf_expansion",
    "normal_mass_expansion",
    "objective_expansion",
    "advantage_expansion",
    "gradient_expansions",
    "density_gap_expansion",
    "normal_cdf_ball",
    "normal_pdf_ball",
    "normal_mass_ball",
    "objective_ball",
    "advantage_ball",
    "gradients_ball",
    "density_gap_ball",
    "objective",
    "advantage",
    "gradients",
    "density_gap",
]


# --------------------------------------------------------------------------------------------
# balls


def normal_cdf_ball(x: float, *, prec: int = DEFAULT_PREC) -> arb:
    """Ball containing ``Phi(x)`` (``erfc`` of the small tail side)."""
    return normal_cdf_expansion(x).ball(prec)


def normal_pdf_ball(x: float, *, prec: int = DEFAULT_PREC) -> arb:
    """Ball containing ``phi(x) = exp(-x^2/2) / sqrt(2 pi)``."""
    return normal_pdf_expansion(x).ball(prec)


def normal_mass_ball(a: float, b: float, *, prec: int = DEFAULT_PREC) -> arb:
    """Ball containing ``Phi(b) - Phi(a)`` (same-tail ends: ``Q(a) - Q(b)``, erfc of both)."""
    return normal_mass_expansion(a, b).ball(prec)


def objective_ball(
    mu: object, ell: object, nu: object, *, prec: int = DEFAULT_PREC, model: ModelSpec = PAPER
) -> arb:
    """Ball containing ``L(mu, ell)`` (see :func:`objective_expansion`)."""
    return objective_expansion(mu, ell, nu, model=model).ball(prec)


def advantage_ball(
    mu: object, ell: object, nu: object, *, prec: int = DEFAULT_PREC, model: ModelSpec = PAPER
) -> arb:
    """Ball containing ``L(mu, ell) - 1`` (see :func:`advantage_expansion`)."""
    return advantage_expansion(mu, ell, nu, model=model).ball(prec)


def gradients_ball(
    mu: object, ell: object, nu: object, *, prec: int = DEFAULT_PREC, model: ModelSpec = PAPER
) -> tuple[tuple[arb, ...], tuple[arb, ...]]:
    """Balls ``((dL/dmu_i)_i, (dL/dl_1, dL/dr_1, ...))`` (see :func:`gradient_expansions`)."""
    dmu, dell = gradient_expansions(mu, ell, nu, model=model)
    return tuple(e.ball(prec) for e in dmu), tuple(e.ball(prec) for e in dell)


def density_gap_ball(
    x: float, mu: object, nu: object, *, prec: int = DEFAULT_PREC, model: ModelSpec = PAPER
) -> arb:
    """Ball containing ``p*(x) - p_mu(x)`` (see :func:`density_gap_expansion`)."""
    return density_gap_expansion(x, mu, nu, model=model).ball(prec)


# --------------------------------------------------------------------------------------------
# correctly rounded float64 references


def objective(mu: object, ell: object, nu: object, *, model: ModelSpec = PAPER) -> float:
    """Correctly rounded float64 ``L(mu, ell)``."""
    return objective_expansion(mu, ell, nu, model=model).rounded()


def advantage(mu: object, ell: object, nu: object, *, model: ModelSpec = PAPER) -> float:
    """Correctly rounded float64 ``L(mu, ell) - 1``."""
    return advantage_expansion(mu, ell, nu, model=model).rounded()


def gradients(
    mu: object, ell: object, nu: object, *, model: ModelSpec = PAPER
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Correctly rounded float64 ``(dL/dmu, dL/dell)``, each component rounded on its own."""
    dmu, dell = gradient_expansions(mu, ell, nu, model=model)
    return tuple(e.rounded() for e in dmu), tuple(e.rounded() for e in dell)


def density_gap(x: float, mu: object, nu: object, *, model: ModelSpec = PAPER) -> float:
    """Correctly rounded float64 ``p*(x) - p_mu(x)``."""
    return density_gap_expansion(x, mu, nu, model=model).rounded()

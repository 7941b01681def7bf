"""The *dynamics* layer: ``simulate`` for every dynamics, on the float64 or the mpmath backend."""

from gmmsym.dynamics.engine import (
    DYNAMICS,
    FIXED_POINT_CHECK,
    SimulationResult,
    draw_ell0,
    gradient_evaluations,
    simulate,
)

__all__ = [
    "DYNAMICS",
    "FIXED_POINT_CHECK",
    "SimulationResult",
    "simulate",
    "draw_ell0",
    "gradient_evaluations",
]

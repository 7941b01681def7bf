"""Printers for the generated kernels: small SymPy printer subclasses with ``_print_X`` methods.

* :class:`NumPyKernelPrinter` (SciPy printer): batched float64 code.  ``UnitStep``/``SignedTail``
  (the exact and the tail part of ``Phi = H - T``) print as ``unit_step``/``signed_tail`` of
  :mod:`gmmsym._special`; a ``NormalMass(a, b)`` that reaches the printer prints as
  ``(H(b) - H(a)) + (T(a) - T(b))`` (:func:`~gmmsym.symbolic.functions.split_mass`, the one
  definition of the tail-safe form), ``NormalCDF`` as
  ``scipy.special.ndtr``, ``NormalPDF`` as ``normal_pdf``; numeric constants print as
  correctly rounded doubles.
* :class:`MpmathKernelPrinter`: arbitrary precision code on ``mpmath`` numbers; constants stay
  exact (``mpf(1)/mpf(2)``, ``mpmath.pi``) and are evaluated at the caller's working precision.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.numpy import SciPyPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import MpmathPrinter

__all__ = ["NumPyKernelPrinter", "MpmathKernelPrinter"]


def _print_split_mass(printer, expr) -> str:
    """``Phi(b) - Phi(a)`` as (exact steps) + (signed tails), see ``split_mass``."""
    from gmmsym.symbolic.functions import split_mass

    whole, tail = split_mass(expr)
    return f"(({printer._print(whole)}) + ({printer._print(tail)}))"


class _SubtractingAdd:
    """``_print_Add`` that writes ``a + b - c - d``: positive terms first, then subtractions.

    SymPy's default prints ``-mu1 + r1``, i.e. a negation and an addition: two array passes
    where ``r1 - mu1`` needs one.
    """

    def _print_Add(self, expr, order=None):
        terms = self._as_ordered_terms(expr, order=order)
        pos = [t for t in terms if not t.could_extract_minus_sign()]
        neg = [-t for t in terms if t.could_extract_minus_sign()]
        add = PRECEDENCE["Add"]
        if pos:
            text = " + ".join(self.parenthesize(t, add) for t in pos)
        else:
            text = "-" + self.parenthesize(neg.pop(0), PRECEDENCE["Mul"], strict=True)
        for t in neg:
            text += " - " + self.parenthesize(t, add, strict=True)
        return text


class NumPyKernelPrinter(_SubtractingAdd, SciPyPrinter):
    """Float64 NumPy/SciPy printer for the GMM-GAN kernels."""

    printmethod = "_numpykernelcode"

    def _print_NormalPDF(self, expr):
        return f"normal_pdf({self._print(expr.args[0])})"

    def _print_NormalCDF(self, expr):
        return f"{self._module_format('scipy.special.ndtr')}({self._print(expr.args[0])})"

    _print_NormalMass = _print_split_mass

    def _print_UnitStep(self, expr):
        return f"unit_step({self._print(expr.args[0])})"

    def _print_SignedTail(self, expr):
        return f"signed_tail({self._print(expr.args[0])})"

    def _print_Float(self, expr):
        # A Float here was evaluated at >= 40 digits by the generator: round it once, to nearest.
        return repr(float(expr))

    def _print_Symbol(self, expr):
        return expr.name if expr.name == "INV_SQRT_2PI" else super()._print_Symbol(expr)

    def _print_Pi(self, expr):
        return repr(float(sp.pi.evalf(40)))


class MpmathKernelPrinter(_SubtractingAdd, MpmathPrinter):
    """mpmath printer for the GMM-GAN kernels (exact constants, any precision)."""

    printmethod = "_mpmathkernelcode"

    def _print_NormalPDF(self, expr):
        return f"mp_normal_pdf({self._print(expr.args[0])})"

    def _print_NormalCDF(self, expr):
        return f"mp_normal_cdf({self._print(expr.args[0])})"

    _print_NormalMass = _print_split_mass

    def _print_UnitStep(self, expr):
        return f"mp_unit_step({self._print(expr.args[0])})"

    def _print_SignedTail(self, expr):
        return f"mp_signed_tail({self._print(expr.args[0])})"

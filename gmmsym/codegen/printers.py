"""Printers for the generated kernels: targets as values, the way SymPy's printers do it.

A target is a printer class whose differences are data: :attr:`KernelPrinter.kernel_functions`
maps the model's SymPy functions (``NormalPDF``, ``NormalCDF``, ``UnitStep``, ``SignedTail``) to
the names that compute them, merged by inheritance (a subclass lists only what differs), and the
``_print_<Name>`` methods are generated from the table.  A dotted name ``module.attr`` prints
fully qualified (``scipy.special.ndtr(z)``) and needs ``import module``; a bare name is a helper
of :mod:`gmmsym._special` (``unit_step(z)``).  Every printer records what it printed
(:meth:`KernelPrinter.imports`), so the module's import block lists exactly what is used.

* :class:`NumPyKernelPrinter` (SciPy printer): batched float64 code; ``UnitStep``/``SignedTail``
  (the exact and the tail part of ``Phi = H - T``) print as ``unit_step``/``signed_tail``; a
  ``NormalMass(a, b)`` that reaches the printer prints as ``(H(b) - H(a)) + (T(a) - T(b))``
  (:func:`~gmmsym.symbolic.functions.split_mass`, the one definition of the tail-safe form);
  numeric constants print as correctly rounded doubles, and a constant beyond the float64 range
  is refused (:class:`~gmmsym.errors.InputError` naming ``spec``) instead of printing a bare ``inf``.
* :class:`MpmathKernelPrinter`: arbitrary precision code on ``mpmath`` numbers; constants stay
  exact (``mpf(1)/mpf(2)``, ``mpmath.pi``) and are evaluated at the caller's working precision.
"""

from __future__ import annotations

import math
import sys

import sympy as sp
from sympy.printing.numpy import SciPyPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import MpmathPrinter

from gmmsym.errors import InputError

__all__ = ["KernelPrinter", "NumPyKernelPrinter", "MpmathKernelPrinter", "SPECIAL_MODULE"]

SPECIAL_MODULE = "gmmsym._special"
"""Module of the bare helper names of the tables (imported ``from SPECIAL_MODULE import ...``)."""


def _print_known(self, expr) -> str:
    """``name(args)`` for a function of :attr:`KernelPrinter.kernel_functions`."""
    args = ", ".join(self._print(a) for a in expr.args)
    return f"{self._kernel_name(self.kernel_functions[type(expr).__name__])}({args})"


class KernelPrinter:
    """Mixin of the kernel printers: the function table, the import record, ``a + b - c`` sums.

    Subclasses set ``kernel_functions`` (merged with their parents' tables) and, optionally,
    ``special_symbols`` (symbols printed as names of :data:`SPECIAL_MODULE`).
    """

    kernel_functions: dict[str, str] = {}
    special_symbols: frozenset[str] = frozenset()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        table: dict[str, str] = {}
        for base in reversed(cls.__mro__[1:]):
            table.update(getattr(base, "kernel_functions", {}))
        table.update(cls.__dict__.get("kernel_functions", {}))
        cls.kernel_functions = table
        for name in table:
            setattr(cls, f"_print_{name}", _print_known)

    def __init__(self, settings=None):
        super().__init__(settings)
        self.special_used: set[str] = set()

    def _kernel_name(self, name: str) -> str:
        if "." in name:
            return self._module_format(name)
        self.special_used.add(name)
        return name

    def imports(self) -> tuple[set[str], set[str]]:
        """``(modules, helpers)`` printed so far: ``import module`` lines, names of :data:`SPECIAL_MODULE`."""
        return set(self.module_imports), set(self.special_used)

    def _print_NormalMass(self, expr) -> str:
        """``Phi(b) - Phi(a)`` as (exact steps) + (signed tails), see ``split_mass``."""
        from gmmsym.symbolic.functions import split_mass

        whole, tail = split_mass(expr)
        return f"(({self._print(whole)}) + ({self._print(tail)}))"

    def _print_Symbol(self, expr):
        if expr.name in self.special_symbols:
            self.special_used.add(expr.name)
            return expr.name
        return super()._print_Symbol(expr)

    def _print_Add(self, expr, order=None):
        """``a + b - c - d``: positive terms first, then subtractions.

        SymPy's default prints ``-mu1 + r1``, i.e. a negation and an addition: two array passes
        where ``r1 - mu1`` needs one.
        """
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


class NumPyKernelPrinter(KernelPrinter, SciPyPrinter):
    """Float64 NumPy/SciPy printer for the GMM-GAN kernels."""

    printmethod = "_numpykernelcode"
    kernel_functions = {
        "NormalPDF": "normal_pdf",
        "NormalCDF": "scipy.special.ndtr",
        "UnitStep": "unit_step",
        "SignedTail": "signed_tail",
    }
    special_symbols = frozenset({"INV_SQRT_2PI"})

    def _print_Float(self, expr):
        # A Float here was evaluated at >= 40 digits by the generator: round it once, to nearest.
        value = float(expr)
        if not math.isfinite(value):
            raise InputError(
                f"spec: the float64 kernel needs the constant {sp.Float(expr, 4)}, beyond the float64 "
                "range (sigma too small or too large); use target='mpmath'"
            )
        return repr(value)

    def _print_Pi(self, expr):
        return repr(float(sp.pi.evalf(40)))

    def _print_ComplexInfinity(self, expr):
        # an exact constant that over- or underflowed while the generator simplified it
        raise InputError(
            "spec: the float64 kernel needs a constant beyond the float64 range (sigma too small or too "
            "large); use target='mpmath'"
        )

    _print_Infinity = _print_NegativeInfinity = _print_NaN = _print_ComplexInfinity

    def _print_Integer(self, expr):
        if abs(int(expr)) > sys.float_info.max:  # a Python int would overflow when it meets a float
            self._print_ComplexInfinity(expr)
        return super()._print_Integer(expr)

    def _print_Rational(self, expr):
        try:
            value = float(expr)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value) or (value == 0 and expr != 0):
            self._print_ComplexInfinity(expr)
        return super()._print_Rational(expr)


class MpmathKernelPrinter(KernelPrinter, MpmathPrinter):
    """mpmath printer for the GMM-GAN kernels (exact constants, any precision)."""

    printmethod = "_mpmathkernelcode"
    kernel_functions = {
        "NormalPDF": "mp_normal_pdf",
        "NormalCDF": "mp_normal_cdf",
        "UnitStep": "mp_unit_step",
        "SignedTail": "mp_signed_tail",
    }

"""SymPy functions for the standard normal: ``phi``, ``Phi`` and the interval mass.

Why custom classes (docs/design.md, pitfalls): SymPy rewrites ``erfc(-a)`` to ``2 - erfc(a)`` at construction,
which silently turns a tail-safe form back into a cancelling one.  These functions stay
unevaluated, carry their derivatives (``fdiff``), rewrite to ``erf``/``erfc``/``exp`` on request,
and are printed by :mod:`gmmsym.codegen.printers` to tail-safe numeric code.

* ``NormalPDF(z) = phi(z) = exp(-z**2/2) / sqrt(2*pi)``,   ``phi'(z) = -z phi(z)``
* ``NormalCDF(z) = Phi(z) = (1 + erf(z/sqrt(2))) / 2``,    ``Phi'(z) = phi(z)``
* ``NormalMass(a, b) = Phi(b) - Phi(a)``,  ``d/da = -phi(a)``, ``d/db = phi(b)``
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import ArgumentIndexError

__all__ = ["NormalPDF", "NormalCDF", "NormalMass", "UnitStep", "SignedTail", "split_mass", "to_erf", "to_exp"]


class NormalPDF(sp.Function):
    """Standard normal density ``phi(z) = exp(-z**2/2)/sqrt(2 pi)``."""

    nargs = 1

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        z = self.args[0]
        return -z * NormalPDF(z)

    @classmethod
    def eval(cls, z):
        if z is sp.S.Infinity or z is sp.S.NegativeInfinity:
            return sp.S.Zero
        return None

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi)

    _eval_rewrite_as_erf = _eval_rewrite_as_exp

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return self.args[0].is_finite and self.args[0].is_real

    def _sympystr(self, printer):
        return f"phi({printer._print(self.args[0])})"

    def _latex(self, printer):
        return rf"\phi\left({printer._print(self.args[0])}\right)"

    def _pretty(self, printer):
        return printer._print_Function(self, func_name="phi")


class NormalCDF(sp.Function):
    """Standard normal CDF ``Phi(z)``."""

    nargs = 1

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return NormalPDF(self.args[0])

    @classmethod
    def eval(cls, z):
        if z is sp.S.Infinity:
            return sp.S.One
        if z is sp.S.NegativeInfinity:
            return sp.S.Zero
        if z is sp.S.Zero:
            return sp.S.Half
        return None

    def _eval_rewrite_as_erf(self, z, **kwargs):
        return (1 + sp.erf(z / sp.sqrt(2))) / 2

    def _eval_rewrite_as_erfc(self, z, **kwargs):
        return sp.erfc(-z / sp.sqrt(2)) / 2

    def _eval_is_real(self):
        return self.args[0].is_real

    def _sympystr(self, printer):
        return f"Phi({printer._print(self.args[0])})"

    def _latex(self, printer):
        return rf"\Phi\left({printer._print(self.args[0])}\right)"

    def _pretty(self, printer):
        return printer._print_Function(self, func_name="Phi")


class NormalMass(sp.Function):
    """Normal probability of an interval, ``Phi(b) - Phi(a)``, kept as one tail-safe unit."""

    nargs = 2

    def fdiff(self, argindex=1):
        a, b = self.args
        if argindex == 1:
            return -NormalPDF(a)
        if argindex == 2:
            return NormalPDF(b)
        raise ArgumentIndexError(self, argindex)

    @classmethod
    def eval(cls, a, b):
        if a == b:
            return sp.S.Zero
        return None

    def _eval_rewrite_as_NormalCDF(self, a, b, **kwargs):
        return NormalCDF(b) - NormalCDF(a)

    def _eval_rewrite_as_erf(self, a, b, **kwargs):
        return (sp.erf(b / sp.sqrt(2)) - sp.erf(a / sp.sqrt(2))) / 2

    def _eval_rewrite_as_erfc(self, a, b, **kwargs):
        return (sp.erfc(a / sp.sqrt(2)) - sp.erfc(b / sp.sqrt(2))) / 2

    def _eval_is_real(self):
        return self.args[0].is_real and self.args[1].is_real

    def _sympystr(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return f"[Phi({b}) - Phi({a})]"

    def _latex(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return rf"\left[\Phi\left({b}\right) - \Phi\left({a}\right)\right]"

    def _pretty(self, printer):
        a, b = self.args
        Phi = sp.Function("Phi")
        diff = sp.Add(Phi(b), sp.Mul(-1, Phi(a), evaluate=False), evaluate=False)
        from sympy.printing.pretty.stringpict import prettyForm

        return prettyForm(*printer._print(diff).parens("[", "]"))


class UnitStep(sp.Function):
    """``H(x) = 1`` for ``x > 0`` or ``x = +0``, ``0`` for ``x < 0`` or ``x = -0`` (sign bit).

    Together with :class:`SignedTail`, ``Phi(x) = H(x) - T(x)`` exactly, including at ``+-0``
    and ``+-inf``.  Only used by code generation; its jump is compensated by ``T``'s.
    """

    nargs = 1

    def fdiff(self, argindex=1):
        return sp.S.Zero  # H - T is smooth; the jumps cancel

    def _eval_rewrite_as_Heaviside(self, x, **kwargs):
        return sp.Heaviside(x, 1)

    def _sympystr(self, printer):
        return f"H({printer._print(self.args[0])})"


class SignedTail(sp.Function):
    """``T(x) = H(x) - Phi(x)``: ``Phi(-x)`` for ``x >= 0`` and ``-Phi(x)`` for ``x < 0``.

    ``|T(x)| = min(Phi(x), Phi(-x))`` is a normal tail probability, computed without
    cancellation; ``T`` carries the term scale of ``Phi`` without its integer part.
    """

    nargs = 1

    def fdiff(self, argindex=1):
        return -NormalPDF(self.args[0])

    def _eval_rewrite_as_NormalCDF(self, x, **kwargs):
        return UnitStep(x) - NormalCDF(x)

    def _sympystr(self, printer):
        return f"T({printer._print(self.args[0])})"


def split_mass(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Split ``expr`` (linear in interval masses) into ``(integer part, tail part)``.

    Every ``NormalMass(a, b) = Phi(b) - Phi(a)`` becomes ``[H(b) - H(a)] + [T(a) - T(b)]``.
    The integer part (steps, constants) sums exactly for dyadic weights; the tail part is a
    sum of terms no larger than the term scale, so a sum of masses that cancels (``P*(I) -
    G_mu(I)`` with both masses near 1) keeps its accuracy relative to that scale.
    """
    sub = expr.replace(NormalMass, lambda a, b: UnitStep(b) - UnitStep(a) + SignedTail(a) - SignedTail(b))
    terms = sp.Add.make_args(sp.expand(sub))
    tail = sp.Add(*(t for t in terms if t.has(SignedTail)))
    return sp.Add(*(t for t in terms if not t.has(SignedTail))), tail


def to_erf(expr: sp.Expr) -> sp.Expr:
    """Rewrite every normal function in ``expr`` with ``erf`` and ``exp`` (closed form)."""
    return expr.rewrite(NormalCDF).rewrite(sp.erf)


def to_exp(expr: sp.Expr) -> sp.Expr:
    """Rewrite densities with ``exp``; CDFs with ``erf`` (for ``simplify``-based identities)."""
    return to_erf(expr).rewrite(sp.exp)

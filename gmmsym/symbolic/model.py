"""The GMM-GAN model of docs/model.md, symbolically: objective, derivatives, stationarity, TV.

Everything here is a SymPy object (pretty and LaTeX printing work on all of it).  Names follow
docs/model.md: true means ``nu_i``, generator means ``mu_i``, discriminator endpoints
``ell = (l1, r1, l2, r2, ...)``, weights ``w_i``, common standard deviation ``sigma``.

Objective (docs/model.md section 2), with ``z(x, m) = (x - m)/sigma``::

    L(mu, ell) = 1 + sum_j sum_i w_i [ (Phi(z(r_j, nu_i)) - Phi(z(l_j, nu_i)))
                                     - (Phi(z(r_j, mu_i)) - Phi(z(l_j, mu_i))) ]
               = 1 + sum_j int_{l_j}^{r_j} (p*(x) - p_mu(x)) dx
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec
from gmmsym.symbolic.functions import NormalMass, NormalPDF, to_exp

__all__ = ["GMMGAN", "ExponentialSum"]


@dataclass(frozen=True)
class ExponentialSum:
    """``E(x) = sqrt(2 pi) sigma exp(x**2 / (2 sigma**2)) (p*(x) - p_mu(x)) = sum_k c_k exp(a_k x)``.

    Attributes
    ----------
    expr : the sum as a SymPy expression in ``x``.
    coefficients, exponents : ``c_k`` and ``a_k``; true components first, then the generator's.
    identity : ``sqrt(2 pi) sigma exp(x**2/(2 sigma**2)) (p* - p_mu) - expr``, which simplifies to 0.
    """

    x: sp.Symbol
    expr: sp.Expr
    coefficients: tuple
    exponents: tuple
    identity: sp.Expr


def _exact(value):
    """A spec number as SymPy: Fractions and ints exactly (``nsimplify`` would go through a float and
    lose ``1/10**300``), floats as ``Float``."""
    from fractions import Fraction

    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        return sp.Float(value)
    return sp.nsimplify(value)


class GMMGAN:
    """Symbolic GMM-GAN model for a :class:`~gmmsym.model.spec.ModelSpec` (default: the paper's).

    Examples
    --------
    >>> m = GMMGAN()
    >>> m.grad_mu()[0]            # doctest: +SKIP
    phi(l1 - mu1)*(-1/2) + ...
    """

    def __init__(self, spec: ModelSpec = PAPER) -> None:
        self.spec = spec
        K, M = spec.K, spec.M
        self.mu = sp.symbols(f"mu1:{K + 1}", real=True)
        self.nu = sp.symbols(f"nu1:{K + 1}", real=True)
        self.l = sp.symbols(f"l1:{M + 1}", real=True)
        self.r = sp.symbols(f"r1:{M + 1}", real=True)
        self.ell = tuple(e for j in range(M) for e in (self.l[j], self.r[j]))
        self.x = sp.Symbol("x", real=True)
        self.w = tuple(_exact(w) for w in spec.weights)
        self.sigma = _exact(spec.sigma)
        self.params = self.mu + self.ell

    # ------------------------------------------------------------------ building blocks
    def z(self, x: sp.Expr, m: sp.Expr) -> sp.Expr:
        """Standardised argument ``(x - m) / sigma``."""
        return (x - m) / self.sigma

    def density(self, means, x: sp.Expr | None = None) -> sp.Expr:
        """Mixture density ``sum_i w_i phi((x - m_i)/sigma) / sigma``."""
        x = self.x if x is None else x
        return sp.Add(*(w * NormalPDF(self.z(x, m)) / self.sigma for w, m in zip(self.w, means)))

    def p_star(self, x: sp.Expr | None = None) -> sp.Expr:
        """True density ``p*(x)``."""
        return self.density(self.nu, x)

    def p_mu(self, x: sp.Expr | None = None) -> sp.Expr:
        """Generator density ``p_mu(x)``."""
        return self.density(self.mu, x)

    def density_gap(self, x: sp.Expr | None = None) -> sp.Expr:
        """``D(x) = p*(x) - p_mu(x)``; the optimal discriminator is ``{D > 0}``."""
        return self.p_star(x) - self.p_mu(x)

    def mass(self, means, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        """Mixture probability of ``[a, b]``: ``sum_i w_i (Phi(z(b, m_i)) - Phi(z(a, m_i)))``."""
        return sp.Add(*(w * NormalMass(self.z(a, m), self.z(b, m)) for w, m in zip(self.w, means)))

    # ------------------------------------------------------------------ objective
    def advantage(self) -> sp.Expr:
        """``L - 1 = sum_j [P*([l_j, r_j]) - G_mu([l_j, r_j])]``."""
        return sp.Add(*(self.mass(self.nu, a, b) - self.mass(self.mu, a, b) for a, b in zip(self.l, self.r)))

    def objective(self) -> sp.Expr:
        """``L(mu, ell) = E_{P*}[D] + E_{G_mu}[1 - D] = 1 + advantage``."""
        return 1 + self.advantage()

    def objective_closed_form(self) -> sp.Expr:
        """``L`` with ``Phi`` written through ``erf``: ``Phi(z) = (1 + erf(z/sqrt 2))/2``."""
        return self.objective().rewrite(sp.erf)

    def objective_integral(self) -> sp.Expr:
        """The definition ``1 + sum_j Integral(p*(x) - p_mu(x), (x, l_j, r_j))`` (unevaluated)."""
        integrand = to_exp(self.density_gap())
        return 1 + sp.Add(*(sp.Integral(integrand, (self.x, a, b)) for a, b in zip(self.l, self.r)))

    # ------------------------------------------------------------------ derivatives
    @cached_property
    def _L(self) -> sp.Expr:
        return self.objective()

    def grad_mu(self) -> sp.Matrix:
        """``dL/dmu_i = w_i/sigma * sum_j [phi(z(r_j, mu_i)) - phi(z(l_j, mu_i))]``."""
        return sp.Matrix([sp.diff(self._L, m) for m in self.mu])

    def grad_ell(self) -> sp.Matrix:
        """``dL/dr_j = p*(r_j) - p_mu(r_j)``, ``dL/dl_j = -(p*(l_j) - p_mu(l_j))``; order l1, r1, ..."""
        return sp.Matrix([sp.diff(self._L, e) for e in self.ell])

    def hessian(self) -> sp.Matrix:
        """Hessian of ``L`` in the state ``(mu, ell)``."""
        return sp.hessian(self._L, self.params)

    def simultaneous_field(self) -> sp.Matrix:
        """The simultaneous gradient field ``(-grad_mu L, +grad_ell L)`` (descent / ascent)."""
        return sp.Matrix.vstack(-self.grad_mu(), self.grad_ell())

    def jacobian(self) -> sp.Matrix:
        """Jacobian of :meth:`simultaneous_field` with respect to ``(mu, ell)``."""
        return self.simultaneous_field().jacobian(self.params)

    def model_md_gradients(self) -> tuple[sp.Matrix, sp.Matrix]:
        """The gradients exactly as docs/model.md section 2 writes them, with ``phi`` through ``exp``.

        Independent of :meth:`grad_mu` / :meth:`grad_ell` (no differentiation), so that claim C2
        can compare the two.
        """
        s = self.sigma

        def phi(t):
            return sp.exp(-(t**2) / 2) / sp.sqrt(2 * sp.pi)

        def dens(means, t):
            return sp.Add(*(w * phi((t - m) / s) / s for w, m in zip(self.w, means)))

        g_mu = sp.Matrix(
            [
                w / s * sp.Add(*(phi((r - m) / s) - phi((l - m) / s) for l, r in zip(self.l, self.r)))
                for w, m in zip(self.w, self.mu)
            ]
        )
        g_ell = []
        for l, r in zip(self.l, self.r):
            g_ell += [-(dens(self.nu, l) - dens(self.mu, l)), dens(self.nu, r) - dens(self.mu, r)]
        return g_mu, sp.Matrix(g_ell)

    # ------------------------------------------------------------------ stationarity
    def generator_stationary(self) -> list[sp.Eq]:
        """Generator stationarity: ``dL/dmu_i = 0`` for every ``i``."""
        return [sp.Eq(g, 0) for g in self.grad_mu()]

    def discriminator_stationary(self, blocks: tuple[tuple[int, ...], ...] | None = None) -> list:
        """Stationarity of projected gradient ascent ``ell = Proj(ell + eta grad_ell L)``.

        ``ell`` is a fixed point iff ``grad_ell L`` lies in the normal cone of the ordered set
        ``l1 <= r1 <= ...`` at ``ell``.  Group the tied endpoints into consecutive ``blocks`` of
        indices (default: no ties, every endpoint its own block).  Within a block with common
        value ``c``, with ``g_k`` the gradient entries, the condition is: every proper prefix sum
        ``g_s + ... + g_k >= 0`` and the block sum is 0.  Consequences:

        * an untied endpoint is stationary iff it sits on a crossing, ``p*(e) = p_mu(e)``;
        * a collapsed interval ``l_j = r_j = c`` (block ``(2j, 2j+1)``) is held by the projection
          iff ``p*(c) <= p_mu(c)`` (the prefix sum is ``-(p* - p_mu)(c) >= 0``).

        Returns a list of SymPy relations in which tied endpoints are replaced by the block's
        first endpoint.
        """
        n = len(self.ell)
        blocks = tuple((k,) for k in range(n)) if blocks is None else tuple(tuple(b) for b in blocks)
        flat = [k for b in blocks for k in b]
        if flat != list(range(n)) or any(list(b) != list(range(b[0], b[0] + len(b))) for b in blocks):
            raise InputError(f"blocks must partition 0..{n - 1} into consecutive runs, got {blocks!r}")
        g = self.grad_ell()
        out = []
        for b in blocks:
            tie = {self.ell[k]: self.ell[b[0]] for k in b[1:]}
            gb = [g[k].subs(tie) for k in b]
            if len(b) == 1:
                out.append(sp.Eq(gb[0], 0))
                continue
            prefix = sp.S.Zero
            for gk in gb[:-1]:
                prefix += gk
                out.append(sp.Ge(prefix, 0))
            out.append(sp.Eq(sp.simplify(prefix + gb[-1]), 0))
        return out

    # ------------------------------------------------------------------ crossings and TV
    def exponential_sum(self) -> ExponentialSum:
        """``sqrt(2 pi) sigma e^{x^2/(2 sigma^2)} (p* - p_mu)(x) = sum_k c_k exp(a_k x)``.

        ``c_k = +w_i exp(-nu_i^2/(2 sigma^2))``, ``a_k = nu_i/sigma^2`` for the truth and
        ``c_k = -w_i exp(-mu_i^2/(2 sigma^2))``, ``a_k = mu_i/sigma^2`` for the generator.  With
        the exponents sorted, the number of real zeros is at most the number of sign changes of
        the coefficients, hence at most ``2K - 1``.
        """
        x, s2 = self.x, self.sigma**2
        coeffs, expos = [], []
        for sign, means in ((1, self.nu), (-1, self.mu)):
            for w, m in zip(self.w, means):
                coeffs.append(sign * w * sp.exp(-(m**2) / (2 * s2)))
                expos.append(m / s2)
        expr = sp.Add(*(c * sp.exp(a * x) for c, a in zip(coeffs, expos)))
        scaled = sp.sqrt(2 * sp.pi) * self.sigma * sp.exp(x**2 / (2 * s2)) * to_exp(self.density_gap())
        identity = sp.expand(sp.powsimp(sp.expand(scaled), combine="exp")) - sp.expand(expr)
        return ExponentialSum(x, expr, tuple(coeffs), tuple(expos), identity)

    def tv_closed_form(self, crossings, first_sign: int = 1) -> sp.Expr:
        """TV given the ordered crossing points ``t_1 < ... < t_n`` of ``p* - p_mu``.

        With ``t_0 = -oo``, ``t_{n+1} = +oo`` and ``s_k = first_sign * (-1)**k`` the sign of
        ``p* - p_mu`` on ``(t_k, t_{k+1})``::

            TV = 1/2 sum_k s_k [P*((t_k, t_{k+1})) - G_mu((t_k, t_{k+1}))]
        """
        if first_sign not in (1, -1):
            raise InputError(f"first_sign must be +1 or -1, got {first_sign!r}")
        pts = (sp.S.NegativeInfinity, *crossings, sp.S.Infinity)
        terms = []
        for k in range(len(pts) - 1):
            a, b = pts[k], pts[k + 1]
            terms.append(first_sign * (-1) ** k * (self.mass(self.nu, a, b) - self.mass(self.mu, a, b)))
        return sp.Add(*terms) / 2

"""The symbolic layer: derivatives, integral definition, exponential sum, stationarity."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gmmsym.model.spec import PAPER, ModelSpec
from gmmsym.symbolic import GMMGAN, NormalCDF, NormalMass, NormalPDF
from gmmsym.symbolic.functions import to_erf, to_exp

GENERAL = ModelSpec(K=3, M=1, weights=(sp.Rational(1, 4), sp.Rational(1, 4), sp.Rational(1, 2)), sigma=2)


@pytest.fixture(scope="module", params=[PAPER, GENERAL], ids=["paper", "K3M1"])
def model(request):
    return GMMGAN(request.param)


def test_gradients_equal_model_md_formulas(model):
    g_mu, g_ell = model.model_md_gradients()
    for got, want in zip([*model.grad_mu(), *model.grad_ell()], [*g_mu, *g_ell]):
        assert sp.simplify(to_exp(got) - want) == 0


def test_wrong_formula_is_detected():
    m = GMMGAN()
    g_mu, _ = m.model_md_gradients()
    assert sp.simplify(to_exp(m.grad_mu()[0]) + g_mu[0]) != 0  # sign flipped: not equal


def test_normal_functions_derivatives_and_rewrites():
    a, b, z = sp.symbols("a b z", real=True)
    assert sp.diff(NormalCDF(z), z) == NormalPDF(z)
    assert (
        sp.simplify(to_exp(sp.diff(NormalPDF(z), z)) - sp.diff(sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi), z))
        == 0
    )
    assert sp.diff(NormalMass(a, b), a) == -NormalPDF(a)
    assert sp.diff(NormalMass(a, b), b) == NormalPDF(b)
    assert sp.simplify(sp.diff(to_erf(NormalCDF(z)), z) - to_exp(NormalPDF(z))) == 0
    assert sp.simplify((NormalMass(a, b).rewrite(sp.erfc) - to_erf(NormalMass(a, b))).rewrite(sp.erf)) == 0
    # SymPy integrates the density to the same interval mass.
    integral = sp.integrate(to_exp(NormalPDF(z)), (z, a, b))
    assert sp.simplify(integral - to_erf(NormalMass(a, b))) == 0
    assert NormalCDF(sp.oo) == 1 and NormalCDF(-sp.oo) == 0 and NormalPDF(sp.oo) == 0


@pytest.fixture(scope="module")
def paper_numeric():
    m = GMMGAN()
    args = (*m.mu, *m.ell, *m.nu)
    closed = sp.lambdify(args, m.objective_closed_form(), modules="mpmath")
    integrand = sp.lambdify((m.x, *m.mu, *m.nu), to_exp(m.density_gap()), modules="mpmath")
    return closed, integrand


finite = st.floats(-4, 4, allow_nan=False)


@settings(max_examples=15)
@given(
    mu=st.tuples(finite, finite), nu=st.tuples(finite, finite), ell=st.lists(finite, min_size=4, max_size=4)
)
def test_closed_form_equals_integral_definition(paper_numeric, mu, nu, ell):
    closed, integrand = paper_numeric
    # Exact mpf inputs: with Python floats, ``r - nu`` would be rounded in float64 first.
    mu, nu, ell = ([mpmath.mpf(v) for v in vec] for vec in (mu, nu, sorted(ell)))
    with mpmath.workdps(50):
        want = 1 + sum(
            mpmath.quad(lambda x: integrand(x, *mu, *nu), [ell[2 * j], ell[2 * j + 1]]) for j in range(2)
        )
        got = closed(*mu, *ell, *nu)
        assert abs(got - want) <= mpmath.mpf(10) ** -45


def test_exponential_sum_identity_and_sign_changes(model):
    es = model.exponential_sum()
    assert sp.simplify(es.identity) == 0
    K = model.spec.K
    assert len(es.coefficients) == 2 * K
    # K positive (truth) and K negative (generator) coefficients: at most 2K - 1 sign changes.
    signs = [sp.sign(c.subs({s: 1 for s in c.free_symbols})) for c in es.coefficients]
    assert signs.count(1) == K and signs.count(-1) == K


def test_discriminator_stationarity_conditions():
    m = GMMGAN()
    D = m.density_gap
    untied = m.discriminator_stationary()
    assert [sp.simplify(c.lhs - c.rhs) for c in untied] == [
        sp.simplify(s * D(e)) for s, e in zip((-1, 1, -1, 1), m.ell)
    ] or all(
        sp.simplify(to_exp(c.lhs - c.rhs - s * D(e))) == 0 for c, s, e in zip(untied, (-1, 1, -1, 1), m.ell)
    )
    collapsed = m.discriminator_stationary(((0, 1), (2,), (3,)))
    held = collapsed[0]
    assert isinstance(held, sp.GreaterThan)
    assert sp.simplify(to_exp(held.lhs + D(m.l[0]))) == 0  # -(p* - p_mu)(c) >= 0
    assert collapsed[1] == sp.true  # block sum of a collapsed interval vanishes identically
    with pytest.raises(ValueError, match="blocks"):
        m.discriminator_stationary(((0, 2), (1,), (3,)))


def test_jacobian_shape_and_symmetry_structure():
    m = GMMGAN()
    J = m.jacobian()
    H = m.hessian()
    assert J.shape == (6, 6) and H.shape == (6, 6)
    # The simultaneous field is (-grad_mu, +grad_ell): J = diag(-1, -1, 1, 1, 1, 1) * H.
    S = sp.diag(-1, -1, 1, 1, 1, 1)
    assert sp.simplify(J - S * H) == sp.zeros(6, 6)


def test_tv_closed_form_matches_quadrature():
    m = GMMGAN()
    mu, nu = (-1.3, 0.4), (-0.5, 0.5)
    subs = dict(zip((*m.mu, *m.nu), (*mu, *nu)))
    gap = sp.lambdify(m.x, to_exp(m.density_gap()).subs(subs), modules="mpmath")
    with mpmath.workdps(40):
        # Crossings by bracketing sign changes on a fine grid, then polishing.
        grid = [mpmath.mpf(k) / 50 for k in range(-500, 501)]
        roots = [
            mpmath.findroot(gap, (a, b), solver="anderson")
            for a, b in zip(grid, grid[1:])
            if gap(a) * gap(b) < 0
        ]
        first_sign = 1 if gap(mpmath.mpf(-30)) > 0 else -1
        t = sp.symbols(f"t1:{len(roots) + 1}", real=True)
        expr = m.tv_closed_form(t, first_sign).subs(subs).subs(dict(zip(t, roots)))
        tv = sp.lambdify((), to_erf(expr), modules="mpmath")()
        want = mpmath.quad(lambda x: abs(gap(x)), [-mpmath.inf, *roots, mpmath.inf]) / 2
        assert len(roots) >= 1
        assert abs(tv - want) < mpmath.mpf(10) ** -30

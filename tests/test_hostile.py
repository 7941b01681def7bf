"""Issue 11, items 2-4 and ModelSpec canonical form: the cases of the hostile review, pinned."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

import gmmsym
from gmmsym.discriminator import optimal, optimal_mp
from gmmsym.errors import InputError
from gmmsym.model import validate
from gmmsym.outcomes import dist as outcome_dist

NU = [-0.5, 0.5]
ELL = [-1.0, 0.0, 0.5, 2.0]

# ---------------------------------------------------------------------------------------------
# item 2: wrong answers inside the accepted range -> bounds, pinned at the boundary
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mu", [[1e6, 0.0], [-1e6, 0.3], [1e6, 1e6 - 2.5], [0.2, -1e6]])
def test_float64_just_inside_the_bound_is_right(mu):
    """At |mean| = MAX_ABS_MEAN the float64 discriminator agrees with 40-digit mpmath."""
    assert optimal.MAX_ABS_MEAN == 1e6
    _, n = gmmsym.optimal_discriminator(mu, NU)
    ref_ell, ref_n = gmmsym.mp.optimal_discriminator(mu, NU, dps=40)
    assert int(n) == ref_n
    assert abs(float(gmmsym.tv_distance(mu, NU)) - float(gmmsym.mp.tv_distance(mu, NU, dps=40))) <= 1e-12


@pytest.mark.parametrize("f", [gmmsym.optimal_discriminator, gmmsym.tv_distance, gmmsym.tv_gradient])
@pytest.mark.parametrize("mu, nu, name", [([1.000001e6, 0.0], NU, "mu"), ([0.0, 1.0], [1e17, 0.5], "nu")])
def test_float64_just_outside_the_bound_is_refused(f, mu, nu, name):
    with pytest.raises(InputError, match=rf"^{name}: .*<= 1e\+06.*gmmsym.mp"):
        f(mu, nu)


def test_float64_bound_is_needed():
    """Without the bound the issue's case is answered wrongly (0.288 instead of 0.5)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(optimal, "MAX_ABS_MEAN", 1e100)
        tv = float(gmmsym.tv_distance([1e17, 0.0], NU))
    assert abs(tv - 0.5) > 0.1
    assert abs(float(gmmsym.mp.tv_distance([1e17, 0.0], NU, dps=40)) - 0.5) < 1e-15


@pytest.mark.parametrize("dps", [15, 30, 50])
def test_mp_just_inside_the_bound_is_right(dps):
    """At |mean| = 10^(dps/2) (rounded down to a float) the count and TV match dps + 40 digits."""
    a = float(optimal_mp.max_abs_mean(dps)) * (1 - 1e-15)
    for mu in ([a, -a], [a, 0.3], [a, a - 1.0]):
        ell, n = gmmsym.mp.optimal_discriminator(mu, NU, dps=dps)
        _, n_ref = gmmsym.mp.optimal_discriminator(mu, NU, dps=dps + 60)
        assert n == n_ref
        tv = gmmsym.mp.tv_distance(mu, NU, dps=dps)
        assert abs(tv - gmmsym.mp.tv_distance(mu, NU, dps=dps + 60)) <= mpmath.mpf(10) ** (3 - dps)


@pytest.mark.parametrize("dps, a", [(30, 1e21), (50, 1e50), (15, 1e8)])
def test_mp_outside_the_bound_is_refused(dps, a):
    """The issue's [1e21, -1e21] at 30 digits and 1e50 at 50 digits are refused, stating the range."""
    for f in (gmmsym.mp.optimal_discriminator, gmmsym.mp.tv_distance, gmmsym.mp.tv_gradient):
        with pytest.raises(InputError, match=r"^mu: .*10\^\(dps/2\)"):
            f([a, -a], NU, dps=dps)


def test_mp_bound_formula():
    assert optimal_mp.max_abs_mean(30) == mpmath.mpf(10) ** 15
    with mpmath.workdps(60):
        assert abs(optimal_mp.max_abs_mean(15) - mpmath.mpf(10) ** 7.5) < 1e-40


# ---------------------------------------------------------------------------------------------
# item 3: wrong types accepted silently
# ---------------------------------------------------------------------------------------------

BAD_ARRAYS = [
    np.array([True, False]),
    np.array([1, 2], dtype="timedelta64[s]"),
    np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"),
    np.array([1 + 0j, 2]),
    np.array([b"a", b"b"]),
    np.array(["1", "2"]),
    np.array([1.0, None], dtype=object),
    [True, False],
    b"ab",
    "ab",
]


@pytest.mark.parametrize("bad", BAD_ARRAYS, ids=lambda b: f"{type(b).__name__}-{getattr(b, 'dtype', '')}")
@pytest.mark.parametrize(
    "call",
    [
        lambda b: gmmsym.objective(b, ELL, NU),
        lambda b: gmmsym.gradients([0, 1], ELL, b),
        lambda b: gmmsym.tv_distance(b, NU),
        lambda b: gmmsym.classify(b, ELL, NU),
        lambda b: gmmsym.simulate(NU, b, ELL, steps=1),
    ],
    ids=["objective", "gradients", "tv_distance", "classify", "simulate"],
)
def test_non_real_arrays_are_refused(call, bad):
    with pytest.raises(InputError, match=r"^(mu|nu|mu0)\b"):
        call(bad)


@pytest.mark.parametrize("bad", [np.array([True, False, True, True]), np.array([1, 2, 3, 4], dtype="m8[s]")])
def test_project_ell_refuses_bool_and_timedelta(bad):
    with pytest.raises(InputError, match="^ell"):
        gmmsym.project_ell(bad)


@pytest.mark.parametrize(
    "mu", [[1j, 0.0], [np.complex128(1), 0], [mpmath.mpc(1, 1), 0], [np.True_, 0.0], [True, 0.0], b"ab", "01"]
)
def test_mp_refuses_complex_bool_bytes(mu):
    for f in (lambda m: gmmsym.mp.objective(m, ELL, NU), lambda m: gmmsym.mp.tv_distance(m, NU)):
        with pytest.raises(InputError, match=r"^mu"):
            f(mu)


def test_mp_reads_a_one_shot_iterable_once():
    expected = gmmsym.mp.tv_distance([0.1, 0.2], [0.0, 1.0], dps=30)
    assert gmmsym.mp.tv_distance(iter([0.1, 0.2]), iter([0.0, 1.0]), dps=30) == expected
    grad = gmmsym.mp.tv_gradient([0.1, 0.2], [0.0, 1.0], dps=30)
    assert gmmsym.mp.tv_gradient(iter([0.1, 0.2]), iter([0.0, 1.0]), dps=30) == grad


def test_mp_keeps_exact_inputs():
    """Fractions are exact, strings parsed at dps, numpy floats exact: same values as before."""
    with mpmath.workdps(40):
        assert validate.as_mpf_vector("mu", [Fraction(1, 3), "0.1", np.float64(0.1)], 3) == (
            mpmath.mpf(1) / 3,
            mpmath.mpf("0.1"),
            mpmath.mpf(0.1),
        )


@pytest.mark.parametrize("bad", [np.timedelta64(1, "s"), np.bool_(True)])
def test_simulate_seed_refuses_timedelta_and_bool(bad):
    # found by tests/test_surface.py (seed 15): int(np.timedelta64) raised TypeError
    with pytest.raises(InputError, match="^seed must be an int"):
        gmmsym.simulate([-0.5, 0.5], [0.3, -1.2], seed=bad)


@pytest.mark.parametrize("name", ["eta", "tol", "nu", "mu0"])
# np.timedelta64 registers as a numbers.Integral: found by tests/test_surface.py (seed 13) as a
# TypeError from float() for Cell(nu=array of timedelta64)
@pytest.mark.parametrize("bad", ["0.1", True, np.True_, None, 1j, np.timedelta64(1, "s")])
def test_cell_scalars_checked_before_conversion(name, bad):
    from gmmsym.experiments.grid import Cell

    value = (bad, 0.5) if name in ("nu", "mu0") else bad
    with pytest.raises(InputError, match=rf"^{name}"):
        Cell(dynamics="simultaneous", **{name: value})


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"low": "1"}, "low"),
        ({"high": True}, "high"),
        ({"min_separation": "0.1"}, "min_separation"),
    ],
)
def test_strategy_numbers_are_numbers(kwargs, name):
    from gmmsym import strategies

    with pytest.raises(InputError, match=rf"^{name}"):
        strategies.means(**kwargs)


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda s: s.discriminators(allow_infinite="yes"), "allow_infinite"),
        (lambda s: s.discriminators(collapsed=(True, "yes")), "collapsed"),
        (lambda s: s.discriminators(collapsed="yes"), "collapsed"),
        (lambda s: s.mean_batches(min_size=True), "min_size"),
        (lambda s: s.mean_batches(min_size=3, max_size=2), "max_size"),
        (lambda s: s.generator_means(nu=(0.0,), min_distance=0.5), "nu"),
        (lambda s: s.generator_means(-1, 1, nu=(0.0, 0.0), min_distance=5.0), "min_distance"),
        (lambda s: s.states(nu_separation=7.0), "nu_separation"),
        (lambda s: s.states(box=-1.0), "box"),
        (lambda s: s.batches([1, 2]), "elements"),
    ],
)
def test_impossible_strategies_fail_at_construction(make, name):
    """Raised when the strategy is built (naming the argument), not as IndexError/Unsatisfiable at draw."""
    from gmmsym import strategies

    with pytest.raises(InputError, match=rf"^{name}"):
        make(strategies)


# ---------------------------------------------------------------------------------------------
# item 4: every error names the argument
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda db: gmmsym.sweep({"steps": 1, "runs": 1}, db=None), "db"),
        (lambda db: gmmsym.sweep({"steps": 1, "runs": 1}, db=db, engine="x"), "engine"),
        (lambda db: gmmsym.sweep({"steps": 1, "runs": 1}, db=db, executor="pool"), "executor"),
        (lambda db: gmmsym.sweep({"mu_grid": [0, 1, 0]}, db=db), "mu_grid"),
        (lambda db: gmmsym.sweep({"mu_grid": [0, 1]}, db=db), "mu_grid"),
        (lambda db: gmmsym.sweep({"steps": 1}, db=db, progress="yes"), "progress"),
        (lambda db: gmmsym.sweep({"steps": 1}, db=db, workers=10**6), "workers"),
        (lambda db: gmmsym.density_gap([[0.0], [0.0, 1.0]], [0, 1], NU), "x"),
        (lambda db: gmmsym.project_ell([[0.0, 1.0], [0.0, 1.0, 2.0, 3.0]]), "ell"),
        (lambda db: gmmsym.ModelSpec(weights=("abc", 0.5)), "weights"),
        (lambda db: gmmsym.ModelSpec(weights=("1/0", 1)), "weights"),
        (lambda db: gmmsym.ModelSpec(weights=3), "weights"),
        (lambda db: gmmsym.ModelSpec(sigma="x"), "sigma"),
        (lambda db: gmmsym.mp.objective([0, 1], ELL, NU, dps=10**9), "dps"),
        (lambda db: gmmsym.simulate(NU, [0, 1], ELL, precision=10**9), "precision"),
    ],
)
def test_errors_name_the_argument(call, name, tmp_path):
    db = tmp_path / "s.db"
    with pytest.raises(InputError, match=rf"^{name}\b") as info:
        call(db)
    assert "\n" not in str(info.value)
    assert not db.exists()  # refused before anything is written


def test_dps_upper_bound_is_stated():
    assert validate.MAX_DPS == 1000
    gmmsym.mp.objective([0, 1], ELL, NU, dps=validate.MAX_DPS)  # the bound itself is accepted
    with pytest.raises(InputError, match="dps must be <= 1000"):
        gmmsym.mp.tv_distance([0, 1], NU, dps=validate.MAX_DPS + 1)


def test_a_bool_array_check_fails_when_bool_is_allowed(monkeypatch):
    """The dtype rule is what refuses bool arrays (the test above fails without it)."""
    monkeypatch.setattr(validate, "_REAL_KINDS", "biuf")
    assert np.isfinite(gmmsym.objective([True, False], ELL, NU))


# ---------------------------------------------------------------------------------------------
# ModelSpec: canonical exact values -> equal specs generate equal text and get one tag
# ---------------------------------------------------------------------------------------------


def test_model_spec_is_canonical():
    from gmmsym.model.spec import PAPER, ModelSpec

    assert ModelSpec(weights=(0.5, 0.5)).weights == (Fraction(1, 2), Fraction(1, 2))
    assert ModelSpec(sigma=1.0).sigma == Fraction(1) and ModelSpec(sigma=1.0) == PAPER
    assert ModelSpec(weights=(0.3, 0.7)) == ModelSpec(weights=("3/10", Fraction(7, 10)))
    assert ModelSpec(sigma=0.1).sigma == Fraction(1, 10) and float(ModelSpec(sigma=0.1).sigma) == 0.1
    assert ModelSpec(weights=(0.3, 0.7)).tag != PAPER.tag


@pytest.mark.slow
def test_tag_is_unique_per_generated_text():
    """Specs with the same tag generate the same code; different code gets a different tag."""
    pytest.importorskip("sympy")
    from gmmsym.codegen.generator import doprint
    from gmmsym.model.spec import PAPER, ModelSpec

    specs = [
        PAPER,
        ModelSpec(weights=(0.5, 0.5)),
        ModelSpec(sigma=1.0),
        ModelSpec(weights=(0.25, 0.75)),
        ModelSpec(weights=("1/4", "3/4")),
        ModelSpec(sigma=2),
    ]
    texts = {}
    for s in specs:
        text = doprint(s, "numpy")
        texts.setdefault(s.tag, set()).add(text)
    assert all(len(v) == 1 for v in texts.values())
    by_text = {}
    for tag, v in texts.items():
        by_text.setdefault(next(iter(v)), set()).add(tag)
    assert all(len(v) == 1 for v in by_text.values())
    assert len(texts) == 3


def test_simulate_optimal_refuses_means_beyond_the_discriminator_range():
    with pytest.raises(InputError, match=r"^mu0: .*1e\+06"):
        gmmsym.simulate(NU, [1e17, 0.0], dynamics="optimal", steps=1)
    with pytest.raises(InputError, match=r"^nu: "):
        gmmsym.simulate([0.0, 1e16], [0.0, 1.0], dynamics="optimal", steps=1, precision=30)
    assert gmmsym.simulate(NU, [1e5, 0.0], dynamics="optimal", steps=1).label.shape == (1,)


def test_simulate_refuses_sizes_that_never_return():
    with pytest.raises(InputError, match="^steps must be <= 1000000000"):
        gmmsym.simulate(NU, [0.0, 0.1], ELL, steps=10**59, record_every=1)
    with pytest.raises(InputError, match="^record_every: "):
        gmmsym.simulate(NU, [0.0, 0.1], ELL, steps=10**8, record_every=1)


# ---------------------------------------------------------------------------------------------
# issue 9: model= on the float64 API -- hostile models and K = 3 shapes
# ---------------------------------------------------------------------------------------------

K3M3 = gmmsym.ModelSpec.parse("K=3,M=3,weights=1/4:1/4:1/2,sigma=1")
MU3, NU3, ELL6 = [0.3, -1.2, 1.0], [-0.5, 0.5, 1.5], [-1.0, 0.0, 0.5, 2.0, 2.5, 3.0]
_MODEL_CALLS = {
    "objective": lambda mu, ell, nu, m: gmmsym.objective(mu, ell, nu, model=m),
    "advantage": lambda mu, ell, nu, m: gmmsym.advantage(mu, ell, nu, model=m),
    "gradients": lambda mu, ell, nu, m: gmmsym.gradients(mu, ell, nu, model=m),
    "density_gap": lambda mu, ell, nu, m: gmmsym.density_gap(0.2, mu, nu, model=m),
    "optimal_discriminator": lambda mu, ell, nu, m: gmmsym.optimal_discriminator(mu, nu, model=m),
    "tv_distance": lambda mu, ell, nu, m: gmmsym.tv_distance(mu, nu, model=m),
    "tv_gradient": lambda mu, ell, nu, m: gmmsym.tv_gradient(mu, nu, model=m),
    "project_ell": lambda mu, ell, nu, m: gmmsym.project_ell(ell, model=m),
    "classify": lambda mu, ell, nu, m: gmmsym.classify(mu, ell, nu, model=m),
    "dist": lambda mu, ell, nu, m: outcome_dist(mu, nu, model=m),
}


@pytest.mark.parametrize("bad", ["K=3", None, K3M3.text(), 3], ids=repr)
@pytest.mark.parametrize("name", sorted(_MODEL_CALLS))
def test_model_not_a_modelspec_is_one_line_error_naming_model(name, bad):
    with pytest.raises(InputError, match=r"^model must be a gmmsym\.ModelSpec") as info:
        _MODEL_CALLS[name]([0.3, -1.2], ELL, NU, bad)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", sorted(_MODEL_CALLS))
def test_k3_model_with_k2_shapes_names_the_argument(name):
    with pytest.raises(InputError, match=r"^(mu|ell) must have shape \(\.\.\., (3|6)\)") as info:
        _MODEL_CALLS[name]([0.3, -1.2], ELL, NU, K3M3)
    assert "\n" not in str(info.value)
    _MODEL_CALLS[name](MU3, ELL6, NU3, K3M3)  # the K = 3 shapes are accepted

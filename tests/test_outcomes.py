"""Outcome flags and labels (docs/model.md section 5): constructed examples, order, thresholds, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import gmmsym
from gmmsym import strategies as gst
from gmmsym.errors import InputError
from gmmsym.outcomes import (
    COLLAPSE_WIDTH,
    DIVERGENCE_BOUND,
    LABELS,
    VANISHING_GRADIENT,
    Outcomes,
    classify,
    dist,
)

NU = (-0.5, 0.5)
OPEN = (-1.0, 0.0, 0.5, 1.5)  # a discriminator with two open intervals


def _label(mu, ell, nu=NU, tol=0.1) -> str:
    out = classify([mu], [ell], [nu], tol=tol)
    assert isinstance(out, Outcomes) and out.label.shape == (1,)
    return str(out.label[0])


# --- dist ----------------------------------------------------------------------------------------


def _dist_by_permutation(mu, nu) -> float:
    """Independent form: minimum over both assignments of the largest coordinate error."""
    return min(max(abs(mu[p[i]] - nu[i]) for i in range(2)) for p in itertools.permutations(range(2)))


@given(mu=gst.means(-5, 5), nu=gst.means(-5, 5))
def test_dist_is_label_switching_invariant(mu, nu):
    d = float(dist(mu, nu))
    assert d == _dist_by_permutation(mu, nu) == gst.label_invariant_distance(mu, nu)
    assert d == float(dist(mu[::-1], nu)) == float(dist(mu, nu[::-1]))
    assert float(dist(nu, nu)) == 0.0 and float(dist(nu[::-1], nu)) == 0.0


def test_dist_batches_and_shapes():
    mu = np.array([[0.5, -0.5], [0.0, 0.0], [1.0, 2.0]])
    assert dist(mu, NU).tolist() == [0.0, 0.5, 1.5]
    with pytest.raises(ValueError, match="^mu"):
        dist([1.0, 2.0, 3.0], NU)
    with pytest.raises(ValueError, match="^nu"):
        dist([1.0, 2.0], [1.0])


# --- one constructed example per label ------------------------------------------------------------


def test_each_label_on_constructed_examples():
    assert _label((np.nan, 0.0), OPEN) == "diverged"
    assert _label((np.inf, 0.0), OPEN) == "diverged"
    assert _label((0.0, -2e3), OPEN) == "diverged"
    assert _label((0.2, 0.9), (0.0, np.nan, 1.0, 2.0)) == "diverged"  # NaN endpoint, mu != nu
    # Swapped labels and within tol in each coordinate.
    assert _label((0.55, -0.45), OPEN) == "converged"
    # Both intervals collapsed (one of them onto +inf) with separated, wrong means.
    assert _label((1.0, 2.0), (0.3, 0.3, np.inf, np.inf)) == "discriminator_collapse"
    assert _label((1.0, 2.0), (0.0, 0.5 * COLLAPSE_WIDTH, 1.0, 1.0)) == "discriminator_collapse"
    # Both means at 1 (one mode), truth separated.
    assert _label((1.0, 1.05), OPEN) == "mode_collapse"
    # Means far from every endpoint: the densities at the endpoints underflow the threshold.
    assert _label((30.0, 35.0), OPEN) == "vanishing_gradient"
    assert _label((1.0, 2.0), OPEN) == "not_converged"


def test_order_of_labels_and_raw_flags():
    # Collapsed discriminator and mode collapse at once: the label is the earlier one, both
    # flags are set, and the collapsed discriminator also has an exactly vanishing gradient.
    out = classify([[1.0, 1.0]], [[0.3, 0.3, 0.7, 0.7]], [NU])
    assert out.label.tolist() == ["discriminator_collapse"]
    flags = {k: bool(v[0]) for k, v in out.flags.items()}
    assert flags == {
        "diverged": False,
        "converged": False,
        "discriminator_collapse": True,
        "mode_collapse": True,
        "vanishing_gradient": True,
        "not_converged": False,
    }
    # Converged beats everything but divergence; diverged rows get no other flag.
    out = classify([[-0.5, 0.5], [np.nan, 0.5]], [[0.3, 0.3, 0.7, 0.7]] * 2, NU)
    assert out.label.tolist() == ["converged", "diverged"]
    assert out.flags["discriminator_collapse"].tolist() == [True, False]


def test_thresholds_are_inclusive_as_stated():
    bound_up = np.nextafter(DIVERGENCE_BOUND, np.inf)
    assert _label((DIVERGENCE_BOUND, 2.0), OPEN) != "diverged"
    assert _label((bound_up, 2.0), OPEN) == "diverged"
    tol = 0.1
    assert _label((-0.5 + tol, 0.5), OPEN, tol=tol) == "converged"
    assert _label((-0.5 + np.nextafter(tol, 1.0) * 1.0000001, 0.5), OPEN, tol=tol) != "converged"
    # Collapse width: exactly 1e-9 collapses, twice that does not.
    w = (1.0, 2.0)
    assert _label(w, (0.0, COLLAPSE_WIDTH, 1.0, 1.0)) == "discriminator_collapse"
    assert _label(w, (0.0, 2 * COLLAPSE_WIDTH, 1.0, 1.0)) != "discriminator_collapse"
    # Mode collapse needs |nu1 - nu2| > 2 tol.
    assert _label((1.0, 1.0), OPEN, nu=(-0.1, 0.1)) == "not_converged"
    assert _label((1.0, 1.0), OPEN, nu=(-0.11, 0.11)) == "mode_collapse"


def test_nan_discriminator_at_the_truth_is_not_divergence():
    # gmmsym.discriminator.optimal reports ell* = NaN at mu = nu (every discriminator is optimal).
    assert _label((0.5, -0.5), (np.nan,) * 4) == "converged"
    assert _label((0.5, -0.4), (np.nan,) * 4) == "diverged"


@given(mu=gst.means(-4, 4), ell=gst.discriminators(-6, 6), nu=gst.true_means(-2, 2))
@example(mu=(30.0, 35.0), ell=OPEN, nu=NU)
@example(mu=(1.0, 1.0), ell=(0.0, 0.0, 1.0, 1.0), nu=NU)
def test_label_is_first_flag_in_order(mu, ell, nu):
    out = classify([mu], [ell], [nu])
    flags = {k: bool(v[0]) for k, v in out.flags.items()}
    assert list(flags) == list(LABELS)
    first = next(name for name in LABELS if flags[name])
    assert out.label[0] == first
    assert flags["not_converged"] == (not any(flags[n] for n in LABELS[:-1]))
    # Flags restate their definitions (kernel gradient for the vanishing one).
    g_mu, _ = gmmsym.gradients(mu, ell, nu)
    assert flags["vanishing_gradient"] == (float(np.hypot(*g_mu)) <= VANISHING_GRADIENT)
    assert flags["converged"] == (gst.label_invariant_distance(mu, nu) <= 0.1)
    assert not flags["diverged"]


@given(batch=gst.states(box=3.0, ell_box=4.0, max_size=12), perm_seed=st.integers(0, 2**32 - 1))
def test_classify_is_row_independent(batch, perm_seed):
    nu, mu, ell = batch
    whole = classify(mu, ell, nu)
    perm = np.random.default_rng(perm_seed).permutation(len(mu))
    permuted = classify(mu[perm], ell[perm], nu[perm])
    assert (permuted.label == whole.label[perm]).all()
    for name in LABELS:
        assert (permuted.flags[name] == whole.flags[name][perm]).all()
    counts = whole.counts()
    assert list(counts) == list(LABELS) and sum(counts.values()) == len(mu)


def test_broadcast_single_nu_and_counts():
    mu = [[0.55, -0.45], [1.0, 1.05], [np.nan, 0.0]]
    out = classify(mu, [OPEN] * 3, NU)
    assert out.label.tolist() == ["converged", "mode_collapse", "diverged"]
    assert out.counts() == {
        "diverged": 1,
        "converged": 1,
        "discriminator_collapse": 0,
        "mode_collapse": 1,
        "vanishing_gradient": 0,
        "not_converged": 0,
    }
    assert len(out) == 3


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"mu": [[0.0, 1.0, 2.0]]}, ValueError, "mu"),
        ({"mu": [["a", "b"]]}, TypeError, "mu"),
        ({"ell": [[0.0, 1.0]]}, ValueError, "ell"),
        ({"ell": [[1.0, 0.0, 2.0, 3.0]]}, ValueError, "ell"),
        ({"nu": [[np.nan, 0.5]]}, ValueError, "nu"),
        ({"nu": [[0.0, 0.5]] * 3}, ValueError, "nu"),
        ({"tol": 0.0}, ValueError, "tol"),
        ({"tol": -1.0}, ValueError, "tol"),
        ({"tol": "0.1"}, TypeError, "tol"),
    ],
)
def test_bad_inputs_name_the_argument(kwargs, exc, name):
    args = {"mu": [[0.0, 1.0], [1.0, 2.0]], "ell": [OPEN], "nu": [NU], "tol": 0.1} | kwargs
    tol = args.pop("tol")
    with pytest.raises(exc, match=f"^{name}"):
        classify(**args, tol=tol)


# --- model= (any K, M) -------------------------------------------------------------------------

K3M3 = gmmsym.ModelSpec.parse("K=3,M=3,weights=1/4:1/4:1/2,sigma=1")


def _paper_formulas(mu, ell, nu, tol):
    """The K = 2 rules written out as before (reference for the one general implementation)."""
    same = np.maximum(np.abs(mu[:, 0] - nu[:, 0]), np.abs(mu[:, 1] - nu[:, 1]))
    swap = np.maximum(np.abs(mu[:, 1] - nu[:, 0]), np.abs(mu[:, 0] - nu[:, 1]))
    mode = (np.abs(mu[:, 0] - mu[:, 1]) <= tol) & (np.abs(nu[:, 0] - nu[:, 1]) > 2 * tol)
    g1, g2 = gmmsym.gradients(mu, ell, nu)[0].T
    return np.minimum(same, swap), mode, np.hypot(g1, g2)


def test_paper_model_results_identical_to_the_k2_formulas():
    rng = np.random.default_rng(21)
    n = 4000
    nu = rng.uniform(-2, 2, (n, 2))
    mu = nu + rng.choice([0.0, 0.05, 0.5], (n, 1)) * rng.normal(size=(n, 2))
    mu[::5, 1] = mu[::5, 0] + rng.uniform(-0.2, 0.2, n // 5 + (n % 5 > 0))
    ell = np.sort(rng.normal(size=(n, 4)) * 2, axis=1)
    ell[::7, 1] = ell[::7, 0]
    d_ref, mode_ref, gnorm = _paper_formulas(mu, ell, nu, 0.1)
    assert np.array_equal(dist(mu, nu, model=gmmsym.PAPER), d_ref)
    assert np.array_equal(dist(mu, nu), d_ref)
    out = classify(mu, ell, nu)
    assert np.array_equal(out.flags["mode_collapse"], mode_ref & ~out.flags["diverged"])
    assert np.array_equal(out.flags["vanishing_gradient"], gnorm <= VANISHING_GRADIENT)
    again = classify(mu, ell, nu, model=gmmsym.PAPER)
    assert np.array_equal(again.label, out.label)
    bad = np.array([[np.nan, 1.0], [np.inf, -np.inf]])
    with np.errstate(invalid="ignore"):
        same = np.maximum(np.abs(bad[:, 0] - nu[:2, 0]), np.abs(bad[:, 1] - nu[:2, 1]))
        swap = np.maximum(np.abs(bad[:, 1] - nu[:2, 0]), np.abs(bad[:, 0] - nu[:2, 1]))
    assert np.array_equal(dist(bad, nu[:2]), np.minimum(same, swap), equal_nan=True)


def test_k3_dist_and_mode_collapse():
    nu = np.array([-2.0, 0.0, 2.0])
    assert float(dist([0.0, -2.0, 2.0], nu, model=K3M3)) == 0.0  # a relabelling of the two 1/4 components
    assert float(dist([0.0, -2.0, 2.3], nu, model=K3M3)) == pytest.approx(0.3)
    # the 1/2 component cannot be relabelled as a 1/4 one: not the truth
    assert float(dist([2.0, -2.0, 0.0], nu, model=K3M3)) == 2.0
    wide = (-10.0, -9.0, -1.0, 1.0, 9.0, 10.0)
    # two generator means on one true mode, the third mode missed: fewer distinct modes
    assert str(classify([[-2.0, -1.95, 2.0]], [wide], [nu], model=K3M3).label[0]) == "mode_collapse"
    assert str(classify([[-2.0, 0.01, 2.0]], [wide], [nu], model=K3M3).label[0]) == "converged"
    collapsed = (0.0, 0.0, 1.0, 1.0, 3.0, 3.0)
    out = classify([[-1.0, 0.5, 1.5]], [collapsed], [nu], model=K3M3)
    assert str(out.label[0]) == "discriminator_collapse"
    assert out.flags["vanishing_gradient"][0]  # a collapsed discriminator: dL/dmu = 0
    assert not classify([[-1.0, 0.5, 1.5]], [wide], [nu], model=K3M3).flags["vanishing_gradient"][0]


def test_model_errors():
    for bad in ("K=3", None):
        for call, args in ((dist, ([0.0, 1.0], [0.0, 1.0])), (classify, ([0, 1], OPEN, NU))):
            with pytest.raises(InputError, match="^model must be a gmmsym.ModelSpec") as info:
                call(*args, model=bad)
            assert "\n" not in str(info.value)
    with pytest.raises(InputError, match=r"^mu must have shape \(\.\.\., 3\)"):
        dist([0.0, 1.0], [0.0, 1.0, 2.0], model=K3M3)
    with pytest.raises(InputError, match="^mu must have"):
        classify([[0.0, 1.0]], [(0, 1, 2, 3, 4, 5)], [[0.0, 1.0, 2.0]], model=K3M3)
    with pytest.raises(InputError, match="^ell must have"):
        classify([[0.0, 1.0, 2.0]], [OPEN], [[0.0, 1.0, 2.0]], model=K3M3)
    with pytest.raises(InputError, match=r"^ell must be ordered l1 <= r1 <= \.\.\. <= l3 <= r3"):
        classify([[0.0, 1.0, 2.0]], [(0, 1, 2, 3, 5, 4)], [[0.0, 1.0, 2.0]], model=K3M3)

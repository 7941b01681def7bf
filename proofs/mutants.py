"""The mutation gate: a catalogue of deliberate bugs and the claims that must catch them.

Each :class:`Mutant` plants one bug with :mod:`unittest.mock` (never by editing a file), at the
place where the patched name is *looked up* in the current tree (``targets``, dotted paths that
:func:`pkgutil.resolve_name` resolves), and names the claims expected to fail under it
(``killers``, cheapest first).  ``gmmsym verify --mutants`` runs the quick claims under every bug
and prints the kill matrix (:func:`kill_matrix`); ``tests/test_mutants.py`` runs each bug's first
killer only.  The judge (``proofs/judge``) is never a target: it is what the claims compare with.

The Figure 2 runs are cached per budget and seed (``proofs._fig2.figure2_runs``); :func:`planted`
clears that cache on entry and on exit, so no result computed under a bug survives it.
"""

from __future__ import annotations

import contextlib
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import numpy as np

from . import _fig2
from .framework import run_claim

__all__ = ["Mutant", "MUTANTS", "planted", "kill_matrix", "mutant_names", "resolve_target"]


@dataclass(frozen=True)
class Mutant:
    """One deliberate bug.

    Attributes
    ----------
    name : str
        Short unique identifier (``kebab-case``).
    description : str
        What is wrong, in one sentence.
    targets : tuple of str
        Dotted attribute paths patched (where the name is looked up).
    killers : tuple of str
        Claim ids expected to fail under the bug, the cheapest first (the suite runs that one).
    patches : callable
        Returns the list of ``mock`` patchers that plant the bug.
    """

    name: str
    description: str
    targets: tuple[str, ...]
    killers: tuple[str, ...]
    patches: Callable[[], list[Any]]


def resolve_target(target: str) -> Any:
    """The object at a dotted ``target`` (``a.b.c`` or ``a.b.D['key']``); raises if it is gone."""
    m = re.fullmatch(r"(.+)\['(.+)'\]", target)
    if m:
        return pkgutil.resolve_name(m.group(1))[m.group(2)]
    return pkgutil.resolve_name(target)


def _patch(target: str, new: Any) -> Any:
    """``mock.patch`` of ``target``, resolved now (a stale path raises instead of creating it)."""
    owner, _, attr = target.rpartition(".")
    obj = pkgutil.resolve_name(owner)
    getattr(obj, attr)  # resolves lazy re-exports of ``gmmsym`` too
    return mock.patch.object(obj, attr, new)


# ----------------------------------------------------------------------------------------------
# the bugs


def _no_collapse_label() -> list[Any]:
    import gmmsym.outcomes as outc

    orig = outc.classify

    def classify(*a, **k):
        o = orig(*a, **k)
        lab = o.label.copy()
        for name in ("mode_collapse", "vanishing_gradient"):
            lab[(lab == "discriminator_collapse") & o.flags[name]] = name
        lab[lab == "discriminator_collapse"] = "not_converged"
        return outc.Outcomes(label=lab, flags=o.flags)

    return [_patch(t, classify) for t in _T["no-collapse-label"]]


def _frozen_discriminator() -> list[Any]:
    return [
        _patch(_T["frozen-discriminator"][0], lambda b, ell, eta_d, gell: b.proj(b.combine(ell, 0.0, gell)))
    ]


def _flip_dl() -> list[Any]:
    from gmmsym.kernels.float64 import PAPER_KERNELS

    orig = PAPER_KERNELS.raw.gradients

    def gradients(*a):
        out = list(orig(*a))
        out[2], out[4] = -np.asarray(out[2]), -np.asarray(out[4])
        return tuple(out)

    return [_patch(_T["flip-dl-sign"][0], gradients)]


def _first_crossing_only() -> list[Any]:
    import gmmsym.discriminator.optimal as opt
    import gmmsym.discriminator.optimal_mp as opt_mp

    orig, orig_mp = opt._encode, opt_mp._encode

    def encode(x1, x2, x3, count, s_minus):
        three = count == 3
        return orig(x1, np.where(three, x1, x2), np.where(three, x1, x3), count, s_minus)

    def encode_mp(xs, s_minus):
        return orig_mp((xs[0],) * 3 if len(xs) == 3 else xs, s_minus)

    t64, tmp = _T["first-crossing-only"]
    return [_patch(t64, encode), _patch(tmp, encode_mp)]


def _running_max_4(l1, r1, l2, r2, out=None):
    x1 = np.array(l1, dtype=float)
    x2 = np.maximum(x1, r1)
    x3 = np.maximum(x2, l2)
    x4 = np.maximum(x3, r2)
    if out is None:
        return x1, x2, x3, x4
    for o, v in zip(out, (x1, x2, x3, x4)):
        o[...] = v
    return out


def _running_max_scalars(y):
    out, m = [], None
    for v in y:
        m = v if m is None else max(m, v)
        out.append(m)
    return tuple(out)


def _tie_rule() -> list[Any]:
    def project_ell(ell, model=None):  # the signature of gmmsym.project_ell
        return np.maximum.accumulate(np.array(ell, dtype=float), axis=-1)

    f4, pe, pe_pkg, ps_mp, ps_c11 = _T["projection-tie-rule"]
    return [
        _patch(f4, _running_max_4),
        _patch(pe, project_ell),
        _patch(pe_pkg, project_ell),
        _patch(ps_mp, _running_max_scalars),
        _patch(ps_c11, _running_max_scalars),
    ]


def _rule(dynamics: str, step: Callable) -> Any:
    import gmmsym.dynamics.engine as eng

    init, _ = eng._RULES[dynamics]
    return mock.patch.dict(eng._RULES, {dynamics: (init, step)})


def _optimal_ascends() -> list[Any]:
    def step(b, mu, ell, aux, p):
        mu = b.combine(mu, -p.neg_eta_g, aux)
        g, ell_star = b.tv(mu)
        return mu, ell_star, g

    return [_rule("optimal", step)]


def _mp_15_digits() -> list[Any]:
    return [_patch(t, lambda dps: 15) for t in _T["mp-15-digits"]]


def _danskin_1pc() -> list[Any]:
    import gmmsym.discriminator.optimal as opt

    orig = opt.tv_gradient_components

    def comp(*a):
        g1, g2 = orig(*a)
        return g1 * 1.01, g2 * 1.01

    return [_patch(_T["danskin-1pc"][0], comp)]


def _k_ignored() -> list[Any]:
    import gmmsym.dynamics.rules as rules

    def step(b, mu, ell, aux, p):
        _, gell = b.grad(mu, ell)
        ell = rules._ascend(b, ell, p.eta_d, gell)
        gmu, _ = b.grad(mu, ell)
        return b.combine(mu, p.neg_eta_g, gmu), ell, None

    return [_rule("alternating", step)]


def _swapped_truth() -> list[Any]:
    def grad(self, mu, ell):
        m1, m2, g1, g2, g3, g4 = self._raw(self.nu1, self.nu2, *ell, *mu)
        f = self._full
        return (f(m1), f(m2)), (f(g1), f(g2), f(g3), f(g4))

    return [_patch(_T["swapped-truth"][0], grad)]


def _off_by_one() -> list[Any]:
    import gmmsym.dynamics.engine as eng

    orig = eng._integrate

    def integrate(b, dynamics, p, mu, ell, steps, times, dtype):
        return orig(b, dynamics, p, mu, ell, max(steps - 1, 0), times, dtype)

    return [_patch(_T["off-by-one-steps"][0], integrate)]


def _tv_drops_interval() -> list[Any]:
    import gmmsym.discriminator.optimal as opt
    from gmmsym.kernels.float64 import PAPER_KERNELS
    from gmmsym.model.spec import PAPER

    original = opt.tv_distance

    def tv_distance(mu, nu, model=PAPER):
        if model != PAPER:  # the bug is in the paper's K = 2 path; other models keep theirs
            return original(mu, nu, model=model)
        lead, (mu1, mu2, nu1, nu2) = opt._inputs(mu, nu)
        l1, r1, l2, r2, count = opt.optimal_endpoints(mu1, mu2, nu1, nu2)
        ok = count >= 0
        l1, r1, l2 = (np.where(ok, v, 0.0) for v in (l1, r1, l2))
        tv = PAPER_KERNELS.raw.advantage(mu1, mu2, l1, r1, l2, l2, nu1, nu2)  # [l2, r2] lost
        return np.where(ok, np.broadcast_to(tv, mu1.shape), 0.0).reshape(lead)

    return [_patch(t, tv_distance) for t in _T["tv-drops-interval"]]


def _mp_gradient_sign() -> list[Any]:
    import gmmsym.kernels.mp as kmp

    orig = kmp.gradients

    def gradients(*a, **k):
        g_mu, g_ell = orig(*a, **k)
        return g_mu, tuple(-g for g in g_ell)

    return [_patch(t, gradients) for t in _T["mp-dl-sign"]]


def _weights_ignored() -> list[Any]:
    import gmmsym.discriminator.crossings as fc
    from gmmsym.model.spec import ModelSpec

    orig = fc.exponential_sum

    def exponential_sum(mu, nu, spec=fc.PAPER):
        equal = ModelSpec(spec.K, spec.M, (1 / spec.K,) * spec.K, spec.sigma)
        return orig(mu, nu, equal)

    return [_patch(t, exponential_sum) for t in _T["weights-ignored"]]


# Targets, one tuple per bug (checked by tests/test_mutants.py to resolve in the current tree).
_T: dict[str, tuple[str, ...]] = {
    "no-collapse-label": ("gmmsym.outcomes.classify", "gmmsym.dynamics.engine.classify", "gmmsym.classify"),
    "frozen-discriminator": ("gmmsym.dynamics.rules._ascend",),
    "flip-dl-sign": ("gmmsym.kernels.float64.PAPER_KERNELS.raw.gradients",),
    "first-crossing-only": (
        "gmmsym.discriminator.optimal._encode",
        "gmmsym.discriminator.optimal_mp._encode",
    ),
    "projection-tie-rule": (
        "gmmsym.dynamics.float64.project4",
        "gmmsym.discriminator.projection.project_ell",
        "gmmsym.project_ell",
        "gmmsym.dynamics.mpmath.project_scalars",
        "gmmsym.proofs.c11_collapsed_interval.project_scalars",
    ),
    "optimal-ascends": ("gmmsym.dynamics.engine._RULES['optimal']",),
    "mp-15-digits": ("gmmsym.kernels.mp._check_dps", "gmmsym.discriminator.optimal_mp._check_dps"),
    "danskin-1pc": ("gmmsym.discriminator.optimal.tv_gradient_components",),
    "k-ignored": ("gmmsym.dynamics.engine._RULES['alternating']",),
    "swapped-truth": ("gmmsym.dynamics.float64.Float64Backend.grad",),
    "off-by-one-steps": ("gmmsym.dynamics.engine._integrate",),
    "tv-drops-interval": ("gmmsym.discriminator.optimal.tv_distance", "gmmsym.tv_distance"),
    "mp-dl-sign": ("gmmsym.kernels.mp.gradients", "gmmsym.discriminator.optimal_mp.mp_gradients"),
    "weights-ignored": (
        "gmmsym.discriminator.optimal_any.exponential_sum",
        "gmmsym.discriminator.warm_any.exponential_sum",
    ),
}

_SPECS: tuple[tuple[str, str, tuple[str, ...], Callable[[], list[Any]]], ...] = (
    (
        "no-collapse-label",
        "the classifier never returns discriminator_collapse (relabelled as the next flag)",
        ("C14", "C12"),
        _no_collapse_label,
    ),
    (
        "frozen-discriminator",
        "first-order discriminator step size 0 (ell + 0 * dL/dell)",
        ("C15", "C14", "C12"),
        _frozen_discriminator,
    ),
    (
        "flip-dl-sign",
        "sign of dL/dl_j flipped in the float64 kernel (outputs l1, l2 negated)",
        ("C15", "C2", "C4", "C11", "C12", "C14"),
        _flip_dl,
    ),
    (
        "first-crossing-only",
        "only the first of three crossings kept, count kept at 3 (float64 and mpmath)",
        ("C3", "C4", "C5"),
        _first_crossing_only,
    ),
    (
        "projection-tie-rule",
        "projection merges crossing endpoints at the left one (running maximum), not their mean",
        ("C15", "C11", "C14", "C12"),
        _tie_rule,
    ),
    (
        "optimal-ascends",
        "optimal dynamics ascend TV (mu + eta grad TV)",
        ("C8", "C7", "C12"),
        _optimal_ascends,
    ),
    (
        "mp-15-digits",
        "mpmath kernels and discriminator stuck at 15 digits whatever dps",
        ("C2", "C1", "C4", "C5", "C10", "C11"),
        _mp_15_digits,
    ),
    ("danskin-1pc", "Danskin gradient of TV off by 1 % (x 1.01)", ("C9", "C5"), _danskin_1pc),
    ("k-ignored", "k ignored in the alternating schedule (always one ascent step)", ("C15",), _k_ignored),
    (
        "swapped-truth",
        "truth and generator means swapped in the first-order float64 gradient call",
        ("C15", "C6", "C12", "C14"),
        _swapped_truth,
    ),
    ("off-by-one-steps", "the engine runs steps - 1 steps", ("C15", "C6", "C7"), _off_by_one),
    (
        "tv-drops-interval",
        "float64 TV misses the mass of the second interval [l2, r2]",
        ("C4",),
        _tv_drops_interval,
    ),
    (
        "mp-dl-sign",
        "sign of dL/dell flipped in the mpmath kernels (gmmsym.mp.gradients)",
        ("C2", "C11"),
        _mp_gradient_sign,
    ),
    (
        "weights-ignored",
        "the general optimal discriminator isolates the crossings of p* - p_mu with equal weights 1/K "
        "(invisible on the paper's model, whose weights are equal: only the K = 3 runs catch it)",
        ("C4", "C3", "C5"),
        _weights_ignored,
    ),
)

MUTANTS: dict[str, Mutant] = {
    name: Mutant(name, desc, _T[name], killers, fn) for name, desc, killers, fn in _SPECS
}


def mutant_names() -> list[str]:
    """Names of the catalogued bugs, in catalogue order."""
    return list(MUTANTS)


@contextlib.contextmanager
def planted(name: str) -> Iterator[Mutant]:
    """Plant the bug ``name`` for the duration of the block (Figure 2 cache cleared around it)."""
    if name not in MUTANTS:
        raise ValueError(f"unknown mutant {name!r}; choose from {', '.join(MUTANTS)}")
    mutant = MUTANTS[name]
    _fig2.figure2_runs.cache_clear()
    try:
        with contextlib.ExitStack() as stack:
            for p in mutant.patches():
                stack.enter_context(p)
            yield mutant
    finally:
        _fig2.figure2_runs.cache_clear()


def kill_matrix(
    names: list[str],
    ids: list[str],
    budget: str = "quick",
    *,
    seed: int = 0,
    on_result: Callable | None = None,
) -> dict[str, Any]:
    """Run the claims ``ids`` under each bug of ``names``: ``{"matrix": {bug: {claim: status}}, ...}``.

    ``on_result(bug, claim, evidence)`` is called after every run (for a progress bar).  The
    document also holds the failed checks per cell, the seconds and the surviving bugs.
    """
    matrix: dict[str, dict[str, str]] = {}
    failed: dict[str, dict[str, list[str]]] = {}
    t0 = time.perf_counter()
    for name in names:
        matrix[name], failed[name] = {}, {}
        with planted(name):
            for cid in ids:
                ev = run_claim(cid, budget, seed=seed)
                matrix[name][cid] = ev.status
                failed[name][cid] = [c["check"] for c in ev.details.get("checks", []) if not c["passed"]]
                if ev.status == "error":
                    failed[name][cid] = [ev.details.get("error", "")]
                if on_result is not None:
                    on_result(name, cid, ev)
    survivors = [n for n in names if all(s == "pass" for s in matrix[n].values())]
    return {
        "budget": budget,
        "seed": seed,
        "claims": ids,
        "mutants": [{k: v for k, v in MUTANTS[n].__dict__.items() if k != "patches"} for n in names],
        "matrix": matrix,
        "failed_checks": failed,
        "survivors": survivors,
        "seconds": round(time.perf_counter() - t0, 1),
    }

"""Plant one bug at a time (unittest.mock.patch, never on disk) and run the quick claims.

Usage: python scripts/mutants_by_hand.py [BUG ...] > matrix.json
A draft for the mutation gate (issue 8; ``gmmsym verify --mutants`` is a later task): the
patch targets below are the ones the kill matrix in docs/claims.md was measured with.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from unittest import mock

import gmmsym.optimal as opt
import gmmsym.optimal_mp as opt_mp
import gmmsym.projection as proj
import numpy as np

import gmmsym
import gmmsym.dynamics as dyn
import gmmsym.mp as gmp
import gmmsym.outcomes as outc
from gmmsym.kernels import PAPER_KERNELS
from proofs import _fig2
from proofs.framework import all_claim_ids, load_claim, run_claim


def _no_collapse_label():
    orig = outc.classify

    def classify(*a, **k):
        o = orig(*a, **k)
        lab = o.label.copy()
        for name in ("mode_collapse", "vanishing_gradient"):
            hit = (lab == "discriminator_collapse") & o.flags[name]
            lab[hit] = name
        lab[lab == "discriminator_collapse"] = "not_converged"
        return outc.Outcomes(label=lab, flags=o.flags)

    return [
        mock.patch.object(outc, "classify", classify),
        mock.patch.object(dyn, "classify", classify),
        mock.patch.object(gmmsym, "classify", classify, create=True),
    ]


def _frozen_discriminator():
    return [mock.patch.object(dyn, "_ascend", lambda b, ell, eta_d, gell: b.proj(b.combine(ell, 0.0, gell)))]


def _flip_dl():
    raw = PAPER_KERNELS.raw
    orig = raw.gradients

    def gradients(*a):
        out = list(orig(*a))
        out[2], out[4] = -np.asarray(out[2]), -np.asarray(out[4])
        return tuple(out)

    return [mock.patch.object(raw, "gradients", gradients)]


def _first_crossing_only():
    orig, orig_mp = opt._encode, opt_mp._encode

    def encode(x1, x2, x3, count, s_minus):
        three = count == 3
        return orig(x1, np.where(three, x1, x2), np.where(three, x1, x3), count, s_minus)

    def encode_mp(xs, s_minus):
        return orig_mp((xs[0],) * 3 if len(xs) == 3 else xs, s_minus)

    return [mock.patch.object(opt, "_encode", encode), mock.patch.object(opt_mp, "_encode", encode_mp)]


def _tie_rule():
    """Crossing endpoints merge at the left one (running maximum) instead of their mean."""

    def project4(l1, r1, l2, r2, out=None):
        x1 = np.array(l1, dtype=float)
        x2 = np.maximum(x1, r1)
        x3 = np.maximum(x2, l2)
        x4 = np.maximum(x3, r2)
        if out is None:
            return x1, x2, x3, x4
        for o, v in zip(out, (x1, x2, x3, x4)):
            o[...] = v
        return out

    def project_ell(ell):
        e = np.array(ell, dtype=float)
        return np.maximum.accumulate(e, axis=-1)

    def project_scalars(y):
        out, m = [], None
        for v in y:
            m = v if m is None else max(m, v)
            out.append(m)
        return tuple(out)

    c11 = load_claim("C11")
    return [
        mock.patch.object(dyn, "project4", project4),
        mock.patch.object(proj, "project_ell", project_ell),
        mock.patch.object(gmmsym, "project_ell", project_ell, create=True),
        mock.patch.object(dyn, "project_scalars", project_scalars),
        mock.patch.object(c11, "project_scalars", project_scalars),
    ]


def _optimal_ascends():
    init, _ = dyn._RULES["optimal"]

    def step(b, mu, ell, aux, p):
        mu = b.combine(mu, -p.neg_eta_g, aux)
        g, ell_star = b.tv(mu)
        return mu, ell_star, g

    return [mock.patch.dict(dyn._RULES, {"optimal": (init, step)})]


def _mp_15_digits():
    return [
        mock.patch.object(gmp, "_check_dps", lambda dps: 15),
        mock.patch.object(opt_mp, "_check_dps", lambda dps: 15),
    ]


def _danskin_1pc():
    orig = opt.tv_gradient_components

    def comp(*a):
        g1, g2 = orig(*a)
        return g1 * 1.01, g2 * 1.01

    return [mock.patch.object(opt, "tv_gradient_components", comp)]


def _k_ignored():
    init, _ = dyn._RULES["alternating"]

    def step(b, mu, ell, aux, p):
        _, gell = b.grad(mu, ell)
        ell = dyn._ascend(b, ell, p.eta_d, gell)
        gmu, _ = b.grad(mu, ell)
        return b.combine(mu, p.neg_eta_g, gmu), ell, None

    return [mock.patch.dict(dyn._RULES, {"alternating": (init, step)})]


def _swapped_truth():
    """The first-order float64 backend passes truth and generator means swapped to the kernel."""

    def grad(self, mu, ell):
        m1, m2, g1, g2, g3, g4 = self._raw(self.nu1, self.nu2, *ell, *mu)
        f = self._full
        return (f(m1), f(m2)), (f(g1), f(g2), f(g3), f(g4))

    return [mock.patch.object(dyn._Float64, "grad", grad)]


def _off_by_one():
    orig = dyn._integrate

    def integrate(b, dynamics, p, mu, ell, steps, times, dtype):
        return orig(b, dynamics, p, mu, ell, max(steps - 1, 0), times, dtype)

    return [mock.patch.object(dyn, "_integrate", integrate)]


BUGS = {
    "classifier never returns discriminator_collapse": _no_collapse_label,
    "first-order discriminator step size 0": _frozen_discriminator,
    "sign of dL/dl_j flipped": _flip_dl,
    "only the first of three crossings kept (float64 and mpmath)": _first_crossing_only,
    "wrong projection tie rule (merge at the left endpoint)": _tie_rule,
    "optimal dynamics ascending": _optimal_ascends,
    "mpmath kernels stuck at 15 digits": _mp_15_digits,
    "Danskin gradient off by 1%": _danskin_1pc,
    "k ignored in alternating": _k_ignored,
    "truth and generator means swapped in the first-order gradient call": _swapped_truth,
    "off-by-one step count": _off_by_one,
}


def run_bug(name: str, claims: list[str]) -> dict:
    _fig2.figure2_runs.cache_clear()
    out = {}
    with contextlib.ExitStack() as stack:
        for p in BUGS[name]():
            stack.enter_context(p)
        for cid in claims:
            t = time.perf_counter()
            ev = run_claim(cid, "quick")
            out[cid] = {
                "status": ev.status,
                "failed": [c["check"][:70] for c in ev.details.get("checks", []) if not c["passed"]],
                "error": ev.details.get("error", "")[:200],
                "seconds": round(time.perf_counter() - t, 1),
            }
            print(name, cid, ev.status, out[cid]["seconds"], file=sys.stderr, flush=True)
    _fig2.figure2_runs.cache_clear()
    return out


if __name__ == "__main__":
    names = sys.argv[1:] or list(BUGS)
    matrix = {n: run_bug(n, all_claim_ids()) for n in names}
    print(json.dumps(matrix, indent=1))

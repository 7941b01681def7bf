"""The issue-9 speed targets as ratios measured in one run (``python benchmarks/bench_dynamics.py --ratios``).

Every figure is ns per trajectory-step (one step of one row) at ``N`` rows (default ``1e4``),
measured as ``T(steps) - T(0)`` (set-up, drawing and classification excluded) in ``--repeat``
interleaved rounds; the median over the rounds is reported (the machine may be shared: other
processes only ever add time, and interleaving exposes every variant to the same load).

Ratios and their targets:

* paper model, optimal / simultaneous (``gmmsym.simulate``): <= 3;
* paper model, warm / cold optimal (the cold path is today's ``optimal_endpoints`` at every step,
  patched into ``Float64Backend.tv``; it is also the path of ``main``);
* paper model, simultaneous / plain NumPy baseline (``bench_dynamics.base_simultaneous``): no
  slower than before (the simultaneous path is not changed by the warm start; compare the figure
  of ``main`` recorded in ``docs/performance.md``);
* K = 3 (M = 3, weights 1/4:1/4:1/2, sigma = 1, ``nu = (-1, 0, 1)``): simultaneous step
  (``gmmsym.simulate(model=)``, the general float64 backend) / (K = 2 simultaneous step x
  (2M 2K)/(4 4)): <= 1.3; also for steps composed here from the generated kernels, the update
  and the projections (``project_rows``; ``project4`` for K = 2), and for the kernels alone;
* K = 3 optimal / K = 3 simultaneous (both ``gmmsym.simulate(model=)``; the optimal path is
  ``gmmsym.discriminator.warm_any.WarmCrossings``): <= 5.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from fractions import Fraction
from unittest import mock

import numpy as np

NU2 = (-0.5, 0.5)
NU3 = (-1.0, 0.0, 1.0)


def cpu() -> str:
    """CPU model name and SIMD flags from /proc/cpuinfo."""
    try:
        text = open("/proc/cpuinfo", encoding="utf-8").read()
    except OSError:
        return platform.processor() or platform.machine()
    name = next((ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("model name")), "?")
    flags = set(next((ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), []))
    simd = ", ".join(f"{f}: {'yes' if f in flags else 'no'}" for f in ("avx2", "avx512f"))
    return f"{name} ({simd}; {text.count('processor')} logical CPUs)"


def interleaved(runs: dict, repeat: int) -> dict:
    """Median over ``repeat`` rounds of ``T(steps) - T(0)`` per variant: ``{name: (fn, steps, n)}`` -> ns."""
    out: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeat):
        for name, (fn, steps, n) in runs.items():
            t0 = time.perf_counter()
            fn(0)
            t1 = time.perf_counter()
            fn(steps)
            t2 = time.perf_counter()
            out[name].append(((t2 - t1) - (t1 - t0)) / (steps * n) * 1e9)
    return {k: statistics.median(v) for k, v in out.items()}


def _cold(mu1, mu2, nu1, nu2, state):
    from gmmsym.discriminator.optimal import optimal_endpoints

    return (*optimal_endpoints(mu1, mu2, nu1, nu2), state)


def paper_runs(n: int, steps: int) -> dict:
    """The paper-model variants of :func:`interleaved` (optimal warm and cold, simultaneous, baseline)."""
    from bench_dynamics import base_simultaneous

    import gmmsym

    rng = np.random.default_rng(0)
    mu0 = rng.uniform(-1.0, 1.0, (n, 2))
    ell0 = np.sort(rng.uniform(-2.0, 2.0, (n, 4)), axis=1)
    nu_c = np.ascontiguousarray(np.broadcast_to(np.array(NU2)[:, None], (2, n)))
    mu_c, ell_c = np.ascontiguousarray(mu0.T), np.ascontiguousarray(ell0.T)

    def sim(dyn, cold=False):
        def run(s):
            if cold:
                with mock.patch("gmmsym.dynamics.float64.warm_endpoints", _cold):
                    return gmmsym.simulate(NU2, mu0, dynamics=dyn, steps=s)
            return gmmsym.simulate(NU2, mu0, ell0, dynamics=dyn, steps=s)

        return run

    return {
        "optimal (warm)": (sim("optimal"), steps, n),
        "optimal (cold)": (sim("optimal", cold=True), steps, n),
        "simultaneous": (sim("simultaneous"), 5 * steps, n),
        "simultaneous (plain NumPy baseline)": (
            lambda s: base_simultaneous(mu_c, ell_c, nu_c, 0.1, s),
            5 * steps,
            n,
        ),
    }


def k3_runs(n: int, steps: int) -> tuple[dict, object]:
    """K = 3 first-order (composed), K = 2 composed, kernels alone and K = 3 warm optimal."""
    from gmmsym.discriminator.projection import project4
    from gmmsym.discriminator.projection_any import project_rows
    from gmmsym.kernels.float64 import PAPER_KERNELS
    from gmmsym.kernels.loader import kernels_for
    from gmmsym.model.spec import ModelSpec

    spec = ModelSpec(3, 3, (Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)), 1)
    raw3 = kernels_for(spec, "numpy").gradients
    raw2 = PAPER_KERNELS.raw.gradients
    rng = np.random.default_rng(0)
    mu3, ell3 = rng.uniform(-1.5, 1.5, (3, n)), np.sort(rng.uniform(-2.0, 2.0, (6, n)), axis=0)
    nu3 = np.ascontiguousarray(np.broadcast_to(np.array(NU3)[:, None], (3, n)))
    mu2, ell2 = rng.uniform(-1.0, 1.0, (2, n)), np.sort(rng.uniform(-2.0, 2.0, (4, n)), axis=0)
    nu2 = np.ascontiguousarray(np.broadcast_to(np.array(NU2)[:, None], (2, n)))

    def step3(s):
        mu, ell = list(mu3), list(ell3)
        for _ in range(s):
            g = [np.broadcast_to(v, (n,)) for v in raw3(*mu, *ell, *nu3)]
            mu = [m - 0.1 * gi for m, gi in zip(mu, g[:3])]
            proj = project_rows(np.stack([e + 0.1 * gi for e, gi in zip(ell, g[3:])], axis=1))
            ell = list(proj.T)
        return mu

    def step2(s):
        mu, ell = list(mu2), [e.copy() for e in ell2]
        for _ in range(s):
            g = [np.broadcast_to(v, (n,)) for v in raw2(*mu, *ell, *nu2)]
            mu = [m - 0.1 * gi for m, gi in zip(mu, g[:2])]
            ell = list(project4(*[e + 0.1 * gi for e, gi in zip(ell, g[2:])]))
        return mu

    def kern(raw, mu, ell, nu):
        return lambda s: [raw(*mu, *ell, *nu) for _ in range(s)]

    import gmmsym

    mu3_rows, ell3_rows = np.ascontiguousarray(mu3.T), np.ascontiguousarray(ell3.T)

    def sim3(dyn):
        return lambda s: gmmsym.simulate(NU3, mu3_rows, ell3_rows, dynamics=dyn, steps=s, model=spec)

    runs = {
        "K=3 first-order step (composed)": (step3, 2 * steps, n),
        "K=2 first-order step (composed)": (step2, 2 * steps, n),
        "K=3 gradient kernel": (kern(raw3, mu3, ell3, nu3), 5 * steps, n),
        "K=2 gradient kernel": (kern(raw2, mu2, ell2, nu2), 5 * steps, n),
        "K=3 projection (project_rows, M=3)": (
            lambda s: [project_rows(ell3.T) for _ in range(s)],
            5 * steps,
            n,
        ),
        "K=2 projection (project4, M=2)": (lambda s: [project4(*ell2) for _ in range(s)], 5 * steps, n),
        "K=3 simultaneous (gmmsym.simulate, model=)": (sim3("simultaneous"), 2 * steps, n),
        "K=3 optimal (gmmsym.simulate, model=)": (sim3("optimal"), 2, n),
    }
    return runs, spec


def _timed_calls(targets: list[tuple[object, str]], fn) -> dict:
    """Seconds spent in each ``(module, name)`` while ``fn()`` runs (nested calls counted in both)."""
    spent: dict[str, float] = {}
    patches = []
    for mod, name in targets:
        orig = getattr(mod, name)

        def wrapped(*a, _orig=orig, _name=name, **k):
            t = time.perf_counter()
            try:
                return _orig(*a, **k)
            finally:
                spent[_name] = spent.get(_name, 0.0) + time.perf_counter() - t

        patches.append(mock.patch.object(mod, name, wrapped))
    for p in patches:
        p.start()
    try:
        t = time.perf_counter()
        fn()
        spent["total"] = time.perf_counter() - t
    finally:
        for p in patches:
            p.stop()
    return spent


def paper_breakdown(n: int, steps: int) -> dict:
    """ns per row-step in the pieces of the warm optimal step (paper model)."""
    import gmmsym
    import gmmsym.discriminator.optimal as opt
    import gmmsym.discriminator.warm_newton as wn
    import gmmsym.discriminator.warm_paper as wp
    import gmmsym.dynamics.float64 as f64

    mu0 = np.random.default_rng(0).uniform(-1.0, 1.0, (n, 2))
    cold_rows = []
    orig = opt._crossings

    def counting(*a):
        cold_rows.append(a[0].size)
        return orig(*a)

    targets = [(wp, "rows_of"), (wp, "_expected"), (wp, "_crossing_elements"), (wp, "_s3_pieces")]
    targets += [
        (wn, "evaluate"),
        (wp, "newton"),
        (wp, "refine"),
        (wp, "_solve"),
        (opt, "tv_gradient_components"),
    ]
    targets += [(f64, "warm_endpoints"), (opt, "_encode")]
    with mock.patch.object(opt, "_crossings", counting):
        spent = _timed_calls(
            targets + [(opt, "_crossings")],
            lambda: gmmsym.simulate(NU2, mu0, dynamics="optimal", steps=steps),
        )
    per = {k: v / ((steps + 1) * n) * 1e9 for k, v in spent.items()}
    per["cold rows per step (mean)"] = sum(cold_rows) / (steps + 1)
    return per


def k3_breakdown(n: int, steps: int, spec) -> dict:
    """ns per row-step in the pieces of the K = 3 warm optimal step (gmmsym.discriminator.warm_any)."""
    import gmmsym.discriminator.warm_any as fw

    rng = np.random.default_rng(0)
    mu0 = rng.uniform(-1.5, 1.5, (n, 3))
    nu = np.broadcast_to(np.array(NU3), (n, 3))
    targets = [
        (fw, "exponential_sum"),
        (fw, "warm_crossings"),
        (fw, "crossings"),
        (fw, "ell_from_crossings"),
        (fw, "danskin_gradient"),
    ]
    spent = _timed_calls(targets, lambda: fw.optimal_dynamics(mu0, nu, eta=0.1, steps=steps, spec=spec))
    per = {k: v / ((steps + 1) * n) * 1e9 for k, v in spent.items()}
    return per


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def report(n: int, steps: int, repeat: int) -> dict:
    """Run every measurement once (interleaved) and print the ratios next to their targets."""
    print(f"# CPU: {cpu()}")
    print(
        f"# Python {sys.version.split()[0]}, NumPy {np.__version__}, threads=1, N={n}, "
        f"median of {repeat} interleaved rounds"
    )
    paper = interleaved(paper_runs(n, steps), repeat)
    k3, spec = k3_runs(n, steps)
    k3 = interleaved(k3, repeat)
    t = {**paper, **k3}
    for k, v in t.items():
        print(f"{k:<40} {v:>9.1f} ns/trajectory-step")
    scale = (2 * spec.M * 2 * spec.K) / (4 * 4)
    k3_step, k2_step = t["K=3 first-order step (composed)"], t["K=2 first-order step (composed)"]
    k3_sim = t["K=3 simultaneous (gmmsym.simulate, model=)"]
    k3_kern, k2_kern = t["K=3 gradient kernel"], t["K=2 gradient kernel"]
    sim, warm, cold = t["simultaneous"], t["optimal (warm)"], t["optimal (cold)"]
    r = {
        "paper optimal / simultaneous": (warm / sim, 3.0),
        "paper warm / cold optimal": (warm / cold, None),
        "paper simultaneous / plain NumPy baseline": (sim / t["simultaneous (plain NumPy baseline)"], None),
        "paper cold optimal / simultaneous (main's path)": (cold / sim, None),
        "K=3 simultaneous / (K=2 simultaneous x 36/16)": (k3_sim / (sim * scale), 1.3),
        "  the same, composed steps": (k3_step / (k2_step * scale), 1.3),
        "  the same, gradient kernels alone": (k3_kern / (k2_kern * scale), 1.3),
        "K=3 optimal / K=3 simultaneous": (t["K=3 optimal (gmmsym.simulate, model=)"] / k3_sim, 5.0),
    }
    print()
    for k, (v, target) in r.items():
        mark = f"target <= {target:g}: {_verdict(v, target)}" if target else ""
        print(f"{k:<55} {v:>6.2f}  {mark}")
    out = {
        "cpu": cpu(),
        "n": n,
        "steps": steps,
        "repeat": repeat,
        "ns": t,
        "ratios": {k: v for k, (v, _) in r.items()},
    }
    if r["paper optimal / simultaneous"][0] > 3.0:
        out["paper_breakdown"] = paper_breakdown(n, max(5, steps // 2))
        print("paper optimal breakdown (ns per row-step):", _fmt(out["paper_breakdown"]))
    if r["K=3 simultaneous / (K=2 simultaneous x 36/16)"][0] > 1.3:
        k3p, k2p = t["K=3 projection (project_rows, M=3)"], t["K=2 projection (project4, M=2)"]
        rest = k3_step - k3_kern - k3p
        print(f"K=3 first-order breakdown (ns per row-step): gradient kernel {k3_kern:.0f}, projection "
              f"{k3p:.0f}, update and stacking {rest:.0f}; K=2: kernel {k2_kern:.0f}, "
              f"projection {k2p:.0f}")  # fmt: skip
    if r["K=3 optimal / K=3 simultaneous"][0] > 5.0:
        out["k3_breakdown"] = k3_breakdown(n, max(2, steps // 4), spec)
        print("K=3 optimal breakdown (ns per row-step):", _fmt(out["k3_breakdown"]))
    return out


def _fmt(d: dict) -> str:
    return ", ".join(f"{k} {v:.0f}" for k, v in d.items())

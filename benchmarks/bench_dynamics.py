"""Benchmark of :func:`gmmsym.simulate`: ns per trajectory-step against plain NumPy baselines.

Usage::

    python benchmarks/bench_dynamics.py                  # sizes 1e2 1e3 1e4 1e5, 5 repeats
    python benchmarks/bench_dynamics.py --quick          # sizes 1e2 1e3 1e4, 3 repeats
    python benchmarks/bench_dynamics.py --sizes 10000 --repeat 7 --json out.json
    python benchmarks/bench_dynamics.py --ratios         # issue-9 target ratios, one run (< 2 min)

A *trajectory-step* is one generator step of one row (``alternating`` with ``k = 5`` makes
``k + 1 = 6`` gradient evaluations per trajectory-step; the table also gives the time per
gradient evaluation).  The time of ``gmmsym.simulate`` is measured as
``(T(steps) - T(0)) / (steps * N)``, i.e. without the per-call set-up (validation, drawing,
classification); each figure is the minimum over ``--repeat`` runs (other processes only ever
add time).  Single core: the thread variables of OpenMP / OpenBLAS / MKL are set to 1 before
NumPy is imported (``OPENBLAS_CORETYPE`` is left alone).

Baselines, hand-written in plain NumPy in this file, row-major state ``mu (N, 2)``,
``ell (N, 4)``:

* first order: the gradient by broadcasting ``ell[:, None, :] - m[:, :, None]`` (16 Gaussian
  densities per row, as the generated kernel), the step, and the projection by the max-min
  formula over cumulative-sum block means;
* optimal: sign changes of ``p* - p_mu`` on a fixed grid of ``--grid`` points on ``[-8, 8]``
  followed by 60 vectorized bisection steps, then the Danskin gradient.  (It may miss a pair of
  crossings closer than the grid spacing; it is a timing reference, not a replacement.)

The baselines are checked against gmmsym (same final state up to rounding; the optimal baseline
up to its bisection accuracy) so that the ratio compares the same update.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from gmmsym.dynamics import gradient_evaluations, simulate  # noqa: E402

INV_SQRT_2PI = 0.3989422804014327
SIGN = np.array([-1.0, 1.0, -1.0, 1.0])  # d/dl_j enters with -, d/dr_j with +
NU = np.array([-0.5, 0.5])


# ----------------------------------------------------------------------------------------------
# plain NumPy baselines
# ----------------------------------------------------------------------------------------------


def base_gradients(mu: np.ndarray, ell: np.ndarray, nu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``dL/dmu (2, N)`` and ``dL/dell (4, N)``, hand-stacked: one ``(4 means, 4 endpoints, N)`` block.

    ``phi[i, j] = phi(ell_j - c_i)`` for the centres ``c = (mu1, mu2, nu1, nu2)``: 16 Gaussian
    densities per row in one ``exp`` call, then
    ``dL/dmu_i = 1/2 sum_j s_j phi[i, j]`` and ``dL/dell_j = s_j (p*(ell_j) - p_mu(ell_j))``,
    ``s = (-1, 1, -1, 1)``.
    """
    centres = np.concatenate([mu, nu])  # (4, N)
    d = ell[None, :, :] - centres[:, None, :]
    d *= d
    d *= -0.5
    phi = np.exp(d, out=d)
    phi *= 0.5 * INV_SQRT_2PI
    g_mu = (phi[:2] * SIGN[None, :, None]).sum(axis=1)
    g_ell = (phi[2:].sum(axis=0) - phi[:2].sum(axis=0)) * SIGN[:, None]
    return g_mu, g_ell


def base_project(y: np.ndarray) -> np.ndarray:
    """Isotonic regression of each column of ``y (4, N)``: ``x_k = max_{i<=k} min_{j>=k} mean(y_i..y_j)``."""
    w = y.shape[0]
    mean = {}
    for i in range(w):
        total = y[i]
        for j in range(i, w):
            if j > i:
                total = total + y[j]
            mean[(i, j)] = total / (j - i + 1)
    out = np.empty_like(y)
    for k in range(w):
        best = None
        for i in range(k + 1):
            low = mean[(i, k)]
            for j in range(k + 1, w):
                low = np.minimum(low, mean[(i, j)])
            best = low if best is None else np.maximum(best, low)
        out[k] = best
    return out


def base_simultaneous(mu, ell, nu, eta, steps):
    for _ in range(steps):
        g_mu, g_ell = base_gradients(mu, ell, nu)
        mu = mu - eta * g_mu
        ell = base_project(ell + eta * g_ell)
    return mu, ell


def base_alternating(mu, ell, nu, eta, steps, k):
    for _ in range(steps):
        for _ in range(k):
            ell = base_project(ell + eta * base_gradients(mu, ell, nu)[1])
        mu = mu - eta * base_gradients(mu, ell, nu)[0]
    return mu, ell


def base_gap(x: np.ndarray, mu: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """``(p* - p_mu)(x)`` up to the positive factor ``1/(2 sqrt(2 pi))``; ``x (G, N)``."""
    return (
        np.exp(-0.5 * (x - nu[0]) ** 2)
        + np.exp(-0.5 * (x - nu[1]) ** 2)
        - np.exp(-0.5 * (x - mu[0]) ** 2)
        - np.exp(-0.5 * (x - mu[1]) ** 2)
    )


def base_optimal_ell(mu: np.ndarray, nu: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Optimal discriminator ``(4, N)`` by grid sign changes + bisection (encoding of docs/model.md s. 3)."""
    n = mu.shape[1]
    s = np.sign(base_gap(grid[:, None], mu, nu))  # (G, N)
    change = s[:-1] * s[1:] < 0
    count = change.sum(axis=0)
    # Up to 3 crossings per row: bracket indices (rows with fewer get spare brackets, unused).
    order = np.argsort(~change, axis=0, kind="stable")[:3]  # (3, N)
    lo, hi = grid[order], grid[order + 1]
    s_lo = np.take_along_axis(s, order, axis=0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        left = np.sign(base_gap(mid, mu, nu)) == s_lo
        lo = np.where(left, mid, lo)
        hi = np.where(left, hi, mid)
    r1, r2, r3 = 0.5 * (lo + hi)
    inf = np.inf
    left_pos = s[0] > 0
    ell = np.full((4, n), np.nan)
    for c, pos, neg in (
        (1, (-inf, r1, r1, r1), (r1, inf, inf, inf)),
        (2, (-inf, r1, r2, inf), (r1, r2, r2, r2)),
        (3, (-inf, r1, r2, r3), (r1, r2, r3, inf)),
    ):
        mask = count == c
        for j in range(4):
            ell[j] = np.where(mask & left_pos, pos[j], np.where(mask & ~left_pos, neg[j], ell[j]))
    return ell


def base_optimal(mu, nu, eta, steps, grid):
    for _ in range(steps):
        ell = base_optimal_ell(mu, nu, grid)
        g = base_gradients(mu, ell, nu)[0]
        mu = mu - eta * np.where(np.isnan(g), 0.0, g)  # mu = nu: no unique ell*, gradient 0
    return mu, base_optimal_ell(mu, nu, grid)


# ----------------------------------------------------------------------------------------------
# measurement
# ----------------------------------------------------------------------------------------------


def _state(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mu = rng.uniform(-1.0, 1.0, (n, 2))
    ell = np.sort(rng.uniform(-2.0, 2.0, (n, 4)), axis=1)
    return np.broadcast_to(NU, (n, 2)).copy(), mu, ell


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


# Trajectory-steps per measurement: aim at >= ~0.2 s per timed run on this CPU.
_WORK = {"simultaneous": 2_000_000, "alternating": 400_000, "optimal": 100_000}


def _steps_for(dynamics: str, n: int, scale: float) -> int:
    return max(2, int(_WORK[dynamics] * scale / n))


def measure(dynamics: str, n: int, repeat: int, scale: float, grid_points: int, eta: float = 0.1) -> dict:
    k = 5 if dynamics == "alternating" else 1
    nu, mu, ell = _state(n)
    steps = _steps_for(dynamics, n, scale)
    kw = {"dynamics": dynamics, "eta": eta, "k": k}
    simulate(nu, mu, ell, steps=1, **kw)  # warm-up (imports, kernel load)
    t_run = _best(lambda: simulate(nu, mu, ell, steps=steps, **kw), repeat)
    t_zero = _best(lambda: simulate(nu, mu, ell, steps=0, **kw), repeat)
    ours = max(t_run - t_zero, 0.0) / (steps * n) * 1e9

    grid = np.linspace(-8.0, 8.0, grid_points)
    # Baselines work component-major: (2, N) and (4, N) contiguous arrays.
    mu_c, ell_c, nu_c = (np.ascontiguousarray(a.T) for a in (mu, ell, nu))

    def base(s: int = steps) -> np.ndarray:
        if dynamics == "simultaneous":
            return base_simultaneous(mu_c, ell_c, nu_c, eta, s)[0].T
        if dynamics == "alternating":
            return base_alternating(mu_c, ell_c, nu_c, eta, s, k)[0].T
        return base_optimal(mu_c, nu_c, eta, s, grid)[0].T

    t_base = _best(base, repeat)
    baseline = t_base / (steps * n) * 1e9

    # Same update?  Compare the states after a short horizon (long runs amplify rounding
    # differences): first order differs by rounding only; the optimal baseline by its
    # bisection accuracy and a grid that may miss close crossing pairs, so report the fraction
    # of rows that agree.
    check = min(steps, 10)
    res = simulate(nu, mu, ell, steps=check, **kw)
    err = np.abs(res.mu - base(check)).max(axis=1)
    agree = float(np.mean(err <= (1e-12 if dynamics != "optimal" else 1e-9)))
    evals = gradient_evaluations(dynamics, k)
    return {
        "dynamics": dynamics if dynamics != "alternating" else f"alternating k={k}",
        "N": n,
        "steps": steps,
        "ns_per_step": ours,
        "ns_per_gradient": ours / evals,
        "baseline_ns_per_step": baseline,
        "ratio": ours / baseline if baseline > 0 else float("nan"),
        "baseline_agreement": agree,
        "max_abs_diff_mu": float(err.max()),
    }


def measure_mp(dps: int, repeat: int) -> list[dict]:
    out = []
    nu, mu, ell = _state(1)
    for dynamics in ("simultaneous", "optimal"):
        simulate(nu, mu, ell, dynamics=dynamics, steps=1, precision=dps)
        steps = 5

        def run(d: str = dynamics, s: int = steps) -> None:
            simulate(nu, mu, ell, dynamics=d, steps=s, precision=dps)

        t_run = _best(run, repeat)
        t_zero = _best(lambda d=dynamics: run(d, 0), repeat)
        out.append({"dynamics": dynamics, "dps": dps, "ms_per_step": (t_run - t_zero) / steps * 1e3})
    return out


def measure_breakdown(n: int, repeat: int) -> dict:
    """ns per row of the pieces of one first-order step at batch ``n`` (component-major arrays)."""
    from gmmsym.discriminator.projection import project4
    from gmmsym.kernels.float64 import PAPER_KERNELS

    nu, mu, ell = (np.ascontiguousarray(a.T) for a in _state(n))
    raw = PAPER_KERNELS.raw.gradients
    reps = max(3, 2_000_000 // n)

    def per_row(fn) -> float:
        return _best(lambda: [fn() for _ in range(reps)], repeat) / (reps * n) * 1e9

    x = mu[0].copy()
    work = [e.copy() for e in ell]
    return {
        "N": n,
        "exp_floor_16": per_row(lambda: [np.exp(x) for _ in range(16)]),
        "generated_gradients": per_row(lambda: raw(*mu, *ell, *nu)),
        "stacked_gradients": per_row(lambda: base_gradients(mu, ell, nu)),
        "projection": per_row(lambda: project4(*work, out=work)),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=None, help="batch sizes (default 1e2 ... 1e5)")
    ap.add_argument("--dynamics", nargs="+", default=["simultaneous", "alternating", "optimal"],
                    choices=["simultaneous", "alternating", "optimal"])  # fmt: skip
    ap.add_argument("--repeat", type=int, default=5, help="repeats per figure; the minimum is reported")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the work per measurement")
    ap.add_argument("--grid", type=int, default=401, help="grid points of the optimal baseline")
    ap.add_argument("--mp-digits", type=int, default=50, help="digits of the mpmath step timing (0: skip)")
    ap.add_argument("--quick", action="store_true", help="sizes 1e2 1e3 1e4, 3 repeats, a third of the work")
    ap.add_argument("--breakdown", type=int, default=10_000, help="batch of the per-piece timing (0: skip)")
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    ap.add_argument("--ratios", action="store_true",
                    help="only the issue-9 target ratios (bench_ratios.py), at --sizes[0] (1e4)")  # fmt: skip
    ap.add_argument("--steps", type=int, default=10, help="optimal steps per timed run of --ratios")
    args = ap.parse_args(argv)
    if args.ratios:
        from bench_ratios import report

        n = int(args.sizes[0]) if args.sizes else 10_000
        out = report(n, args.steps, args.repeat)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(out, fh, indent=1)
        return 0
    sizes = args.sizes or ([1e2, 1e3, 1e4] if args.quick else [1e2, 1e3, 1e4, 1e5])
    repeat = 3 if args.quick and args.repeat == 5 else args.repeat
    scale = args.scale / 3 if args.quick else args.scale

    print(f"# {platform.processor() or platform.machine()}, Python {sys.version.split()[0]}, "
          f"NumPy {np.__version__}, threads=1, repeat={repeat} (minimum)")  # fmt: skip
    rows = []
    header = (f"{'dynamics':<16} {'N':>7} {'steps':>6} {'ns/step':>9} {'ns/grad':>9} "
              f"{'baseline':>9} {'ratio':>6} {'agree':>6}")  # fmt: skip
    print(header)
    for dynamics in args.dynamics:
        for n in sizes:
            r = measure(dynamics, int(n), repeat, scale, args.grid)
            rows.append(r)
            print(f"{r['dynamics']:<16} {r['N']:>7} {r['steps']:>6} {r['ns_per_step']:>9.1f} "
                  f"{r['ns_per_gradient']:>9.1f} {r['baseline_ns_per_step']:>9.1f} {r['ratio']:>6.2f} "
                  f"{r['baseline_agreement']:>6.2f}", flush=True)  # fmt: skip
    by = {(r["dynamics"], r["N"]): r["ns_per_step"] for r in rows}
    for n in sizes:
        s, o = by.get(("simultaneous", int(n))), by.get(("optimal", int(n)))
        if s and o:
            print(f"optimal / simultaneous at N={int(n)}: {o / s:.2f}")
    b = None
    if args.breakdown:
        b = measure_breakdown(args.breakdown, repeat)
        print(f"pieces at N={b['N']} (ns per row): 16 x np.exp {b['exp_floor_16']:.1f}, generated gradient "
              f"kernel {b['generated_gradients']:.1f}, hand-stacked gradient {b['stacked_gradients']:.1f}, "
              f"projection {b['projection']:.1f}")  # fmt: skip
    mp_rows = measure_mp(args.mp_digits, max(1, repeat // 2)) if args.mp_digits else []
    for r in mp_rows:
        print(f"mpmath {r['dps']} digits, {r['dynamics']}: {r['ms_per_step']:.2f} ms per step (one row)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"float64": rows, "mpmath": mp_rows, "breakdown": b}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

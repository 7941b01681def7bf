"""Warm-started optimal dynamics: ns per trajectory-step against cold isolation and first order.

Usage::

    python benchmarks/bench_warm.py                 # N = 1e4, 40 steps, 3 repeats, checks
    python benchmarks/bench_warm.py --n 10000 --steps 40 --repeat 3 --check-steps 3000

Timed, in one run, on the paper's model (``nu = (-0.5, 0.5)``, starts uniform in ``[-1, 1]^2``,
``eta = 0.1``), each as ``(min T(steps) - min T(0)) / (steps N)`` over ``--repeat`` runs:

* ``optimal (gmmsym, cold)``: ``gmmsym.simulate(dynamics="optimal")`` (today's K = 2 solver);
* ``optimal (family, cold)``: :func:`gmmsym.discriminator.warm_any.optimal_dynamics` with ``warm=False``
  (the general-K Rolle-chain solver from scratch every step);
* ``optimal (family, warm)``: the same with warm-started crossings;
* ``simultaneous``: ``gmmsym.simulate(dynamics="simultaneous")``.

Checks (Figure 2-like batch: the 10 x 10 grid of starts on ``[-1, 1]^2``, ``--check-steps``
steps): labels of warm-started family dynamics against ``gmmsym.simulate(dynamics="optimal")``
(``gmmsym.outcomes.classify``), and the largest difference between the warm-started Danskin
gradient and the cold one (family, and ``gmmsym.tv_gradient``) at the same states along the
warm trajectory.  Single core: thread variables are set to 1 before NumPy is imported.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import gmmsym  # noqa: E402
from gmmsym.discriminator.warm_any import WarmCrossings, optimal_dynamics  # noqa: E402
from gmmsym.outcomes import classify  # noqa: E402

NU = np.array([-0.5, 0.5])


def _timed(fn, steps: int, repeat: int, n: int) -> float:
    """``(min T(steps) - min T(0)) / (steps n)`` in ns (other processes only ever add time)."""
    t0 = t1 = np.inf
    for _ in range(repeat):
        a = time.perf_counter()
        fn(0)
        b = time.perf_counter()
        fn(steps)
        c = time.perf_counter()
        t0, t1 = min(t0, b - a), min(t1, c - b)
    return (t1 - t0) / (steps * n) * 1e9


def timings(n: int, steps: int, repeat: int) -> dict:
    """ns per trajectory-step of the four variants (see the module docstring)."""
    rng = np.random.default_rng(0)
    mu0 = rng.uniform(-1, 1, (n, 2))
    nu = np.broadcast_to(NU, (n, 2))
    runs = {
        "optimal (gmmsym, cold)": lambda s: gmmsym.simulate(NU, mu0, dynamics="optimal", eta=0.1, steps=s),
        "optimal (family, cold)": lambda s: optimal_dynamics(mu0, nu, eta=0.1, steps=s, warm=False),
        "optimal (family, warm)": lambda s: optimal_dynamics(mu0, nu, eta=0.1, steps=s, warm=True),
        "simultaneous": lambda s: gmmsym.simulate(NU, mu0, dynamics="simultaneous", eta=0.1, steps=s, seed=1),
    }
    return {name: _timed(fn, steps, repeat, n) for name, fn in runs.items()}


def checks(steps: int) -> dict:
    """Labels against gmmsym's optimal dynamics and warm/cold gradient differences."""
    g = np.linspace(-1, 1, 10)
    mu0 = np.array([(a, b) for a in g for b in g])
    nu = np.broadcast_to(NU, mu0.shape)
    warm = WarmCrossings(nu)
    mu = mu0.copy()
    grad, ell, count = warm(mu)
    d_family = d_gmmsym = 0.0
    for _ in range(steps):
        mu = mu - 0.1 * grad
        grad, ell, count = warm(mu)
        cold = WarmCrossings(nu)(mu)[0]
        d_family = max(d_family, float(np.max(np.abs(grad - cold))))
        d_gmmsym = max(d_gmmsym, float(np.max(np.abs(grad - gmmsym.tv_gradient(mu, nu)))))
    ref = gmmsym.simulate(NU, mu0, dynamics="optimal", eta=0.1, steps=steps)
    ours = classify(mu, ell, nu).label
    return {
        "labels_identical": bool(np.array_equal(ours, ref.outcomes.label)),
        "label_counts_warm": {k: int(v) for k, v in zip(*np.unique(ours, return_counts=True))},
        "label_counts_gmmsym": {
            k: int(v) for k, v in zip(*np.unique(ref.outcomes.label, return_counts=True))
        },
        "max_grad_diff_warm_vs_family_cold": d_family,
        "max_grad_diff_warm_vs_gmmsym": d_gmmsym,
        "max_mu_diff_vs_gmmsym": float(np.max(np.abs(mu - ref.mu))),
    }


def cpu() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    name = next(
        (line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "?"
    )
    flags = out.lower()
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{name} ({simd})"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--check-steps", type=int, default=3000)
    p.add_argument("--json", default=None)
    a = p.parse_args(argv)
    res = {
        "cpu": cpu(),
        "n": a.n,
        "steps": a.steps,
        "ns_per_trajectory_step": timings(a.n, a.steps, a.repeat),
    }
    t = res["ns_per_trajectory_step"]
    sim = t["simultaneous"]
    res["ratios_to_simultaneous"] = {k: v / sim for k, v in t.items()}
    res["warm_over_gmmsym_cold"] = t["optimal (family, warm)"] / t["optimal (gmmsym, cold)"]
    res["target"] = "optimal <= 3x simultaneous (issue 9)"
    if a.check_steps:
        res["checks"] = checks(a.check_steps)
    print(json.dumps(res, indent=2))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

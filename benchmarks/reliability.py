"""Reliability figures of the public surface (issue 11), written to docs/reliability.md.

    python benchmarks/reliability.py [--examples N] [--out docs/reliability.md]
    python benchmarks/reliability.py --bounds [--samples N]     # the mean-bound scans

The first form runs the table of ``tests/surface_cases.py`` (every argument of every public
function, hostile values drawn by Hypothesis, derandomized) and writes the figures: cases tried,
clean errors (``InputError`` naming the argument), successful calls with a checked result, and
the failures (unnamed errors, crashes, wrong results), which must all be 0.  ``--bounds`` repeats
the scans behind ``MAX_ABS_MEAN`` (float64) and ``max_abs_mean(dps)`` (mpmath): random
configurations at growing ``|mean|`` against a higher-precision mpmath reference.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def surface(examples: int) -> tuple[dict, list[str]]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from surface_cases import ROWS, Outcome, run_case

    per_row: dict[str, Counter] = {}
    failures: list[str] = []
    config = settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )

    def make_probe(row, counts: Counter):
        @config
        @given(data=st.data())
        def probe(data):
            out = run_case(row, data.draw(row.bad))
            counts[out.kind] += 1
            if out.kind not in (Outcome.OK, Outcome.CLEAN):
                failures.append(out.detail)

        return probe

    for row in ROWS:
        counts: Counter = Counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make_probe(row, counts)()
        per_row[row.id] = counts
    return per_row, failures


def _table(per_row: dict) -> str:
    kinds = ["ok", "clean error", "unnamed error", "crash", "wrong result"]
    funcs: dict[str, Counter] = {}
    for rid, c in per_row.items():
        funcs.setdefault(rid.rsplit(".", 1)[0], Counter()).update(c)
    lines = ["| function | cases | " + " | ".join(kinds) + " |", "|---|---:|" + "---:|" * len(kinds)]
    total: Counter = Counter()
    for f, c in funcs.items():
        total.update(c)
        lines.append(f"| `{f}` | {sum(c.values())} | " + " | ".join(str(c[k]) for k in kinds) + " |")
    lines.append(
        f"| **all** | **{sum(total.values())}** | " + " | ".join(f"**{total[k]}**" for k in kinds) + " |"
    )
    return "\n".join(lines), total


def write_doc(out: Path, examples: int) -> int:
    t0 = time.perf_counter()
    per_row, failures = surface(examples)
    table, total = _table(per_row)
    template = (ROOT / "benchmarks" / "reliability_template.md").read_text()
    text = template.format(
        examples=examples,
        rows=len(per_row),
        table=table,
        cases=sum(total.values()),
        clean=total["clean error"],
        ok=total["ok"],
        bad=total["unnamed error"] + total["crash"] + total["wrong result"],
        seconds=f"{time.perf_counter() - t0:.0f}",
        failures="\n".join(f"- {f}" for f in failures[:50]) or "none",
    )
    out.write_text(text)
    print(table)
    print(f"wrote {out}; failures: {len(failures)}")
    return 1 if failures else 0


def bounds(samples: int) -> None:  # pragma: no cover - a measurement, minutes
    import numpy as np

    import gmmsym

    rng = np.random.default_rng(0)

    def family(kind: str, s: float):
        v = rng.uniform(-3, 3, 4)
        if kind == "one":
            v[rng.integers(4)] = s * rng.choice([-1, 1])
        elif kind == "scaled":
            v = s * rng.uniform(-1, 1, 4)
        else:  # two nearby means far out
            v[rng.permutation(4)[:2]] = s * rng.choice([-1, 1]) + rng.uniform(-3, 3, 2)
        return [float(v[0]), float(v[1])], [float(v[2]), float(v[3])]

    print("float64 (reference: mpmath dps=40); refusal beyond MAX_ABS_MEAN disabled for the scan")
    import gmmsym.discriminator.optimal as opt

    opt.MAX_ABS_MEAN = 1e300
    for e in np.arange(6.0, 9.01, 0.25):
        for kind in ("one", "scaled", "pair"):
            bad = 0
            for _ in range(samples):
                mu, nu = family(kind, 10**e)
                n = int(gmmsym.optimal_discriminator(mu, nu)[1])
                tv = float(gmmsym.tv_distance(mu, nu))
                rn = gmmsym.mp.optimal_discriminator(mu, nu, dps=40)[1]
                bad += n != rn or abs(tv - float(gmmsym.mp.tv_distance(mu, nu, dps=40))) > 1e-12
            print(f"|mean| = 1e{e:.2f} {kind:7s} wrong {bad}/{samples}", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=60, help="hostile values per (function, argument)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability.md")
    p.add_argument("--bounds", action="store_true", help="run the mean-bound scans instead")
    p.add_argument("--samples", type=int, default=30)
    a = p.parse_args()
    if a.bounds:
        bounds(a.samples)
        return 0
    return write_doc(a.out, a.examples)


if __name__ == "__main__":
    sys.exit(main())

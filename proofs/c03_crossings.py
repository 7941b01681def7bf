"""C3: p* - p_mu has at most 2K - 1 = 3 real zeros, so A* is a union of at most K = 2 intervals.

Argument (Laguerre's rule of signs for exponential sums, the proof behind Theorem A.2)
    (a) *Reduction.*  ``E(x) = sqrt(2 pi) sigma e^{x^2/(2 sigma^2)} (p* - p_mu)(x)
        = sum_k c_k e^{a_k x}`` with ``c_k = +w_i e^{-nu_i^2/2}``, ``a_k = nu_i`` (truth) and
        ``c_k = -w_i e^{-mu_i^2/2}``, ``a_k = mu_i`` (generator); the positive factor does not
        change zeros or signs.
    (b) *Rolle step.*  For any ``b``, ``d/dx [e^{-b x} E(x)] = sum_k c_k (a_k - b) e^{(a_k - b) x}``.
        With the exponents sorted, ``a_1 < ... < a_n``, and ``b`` strictly between two
        consecutive exponents where the coefficient signs change, the new coefficients
        ``c_k (a_k - b)`` have exactly one sign change fewer (the signs left of ``b`` flip).
        Between two zeros of ``e^{-bx} E`` lies a zero of its derivative (Rolle), so
        ``Z(E) <= Z(derivative) + 1``; by induction on the number ``V`` of sign changes
        (``V = 0``: all coefficients of one sign, no zero) ``Z(E) <= V``.
    (c) *Count.*  Equal exponents merge (their coefficients add), which never adds a sign
        change.  Two positive and two negative coefficients in any order of the exponents have
        ``V <= 3 = 2K - 1`` sign changes.
    (d) *Intervals.*  With at most 3 sign changes of ``p* - p_mu`` the line splits into at most
        4 pieces of alternating sign, at most 2 of them positive: ``A* = {p* > p_mu}`` is a
        union of at most 2 intervals (possibly unbounded).

Check
    1. Symbolic: (a) the identity of :meth:`~gmmsym.symbolic.GMMGAN.exponential_sum`
       simplifies to 0 and its coefficients have the stated signs; (b) the Rolle-step
       derivative identity for a general 4-term exponential sum simplifies to 0, and, over all
       ``2^4`` sign patterns and every split point at a sign change, the derived coefficient
       signs have exactly ``V - 1`` changes; (c) over all 24 orders of the exponents of the
       model's coefficients (two ``+``, two ``-``), and all merges of equal exponents,
       ``V <= 3``; (d) over all sign sequences of ``<= 4`` alternating pieces, at most 2 are
       positive.
    2. Certified root counting (:func:`gmmsym.certified_roots.certified_crossings`, python-flint
       balls, interval Newton) on seeded instances (means uniform on ``[-3, 3]``; about 30%
       near-degenerate, ``|mu_1 - nu_1|`` between 1e-8 and 0.1, where a crossing runs far out):
       the certified number of crossings (zeros with a sign change) is at most the number of
       coefficient sign changes ``V`` (hence at most 3) and has the parity of ``V`` (the signs
       at ``+-inf`` are those of the extreme coefficients), and the float64 optimal
       discriminator (:func:`gmmsym.optimal_discriminator`) reports the same number of
       crossings.  (How far the float64 crossings lie outside the certified balls is reported,
       in ulps of ``max(|x|, 1)``, not asserted: that is C4's and the accuracy tests' business.)

Pass criterion
    All symbolic residuals 0 and every enumeration as stated; every instance certified (the
    whole search range decided) with count ``<= V <= 3`` and ``== V mod 2``, and equal to
    :func:`gmmsym.optimal_discriminator`'s count.
"""

from __future__ import annotations

import itertools

import numpy as np

from .framework import SYMBOLIC, Checks, Claim, Evidence, rng_for, sized

__all__ = ["CLAIM", "run", "sign_changes"]

CLAIM = Claim(
    id="C3",
    title="p* - p_mu has <= 3 zeros; A* = <= 2 intervals",
    statement=(
        "p*(x) - p_mu(x) has at most 2K - 1 = 3 real zeros: e^{x^2/2}(p* - p_mu) is an exponential sum "
        "sum_k c_k e^{a_k x} whose number of real zeros is at most the number of sign changes of the "
        "coefficients ordered by exponent; hence the optimal discriminator {p* > p_mu} is a union of at most "
        "K = 2 intervals."
    ),
    source=(
        "Theorem A.2 as numbered in the paper (a linear combination of k unit-variance Gaussian densities "
        "has at most 2k - 1 zero crossings)."
    ),
    method=SYMBOLIC,
    criterion=(
        "symbolic identities simplify to 0 and the sign-change enumerations hold; certified zero counts "
        "<= V <= 3 with the parity of V, equal to the float64 optimal discriminator's crossing count."
    ),
    judge="SymPy (Rolle step) and python-flint certified root counts (gmmsym.certified_roots)",
)


def sign_changes(signs: list[int]) -> int:
    """Number of sign changes of a sequence of non-zero signs."""
    return sum(1 for s, t in zip(signs, signs[1:]) if s * t < 0)


def _merge(exponents: list, coefficients: list) -> list[int]:
    """Signs of the coefficients ordered by exponent after merging equal exponents (zeros dropped)."""
    merged: dict = {}
    for a, c in zip(exponents, coefficients):
        merged[a] = merged.get(a, 0) + c
    return [int(np.sign(merged[a])) for a in sorted(merged) if merged[a] != 0]


def _symbolic(checks: Checks) -> None:
    import sympy as sp

    from gmmsym.symbolic import GMMGAN

    m = GMMGAN()
    es = m.exponential_sum()
    ident = sp.simplify(es.identity)
    signs = [sp.sign(c) for c in es.coefficients]
    checks.add(
        "symbolic (a): sqrt(2 pi) e^{x^2/2} (p* - p_mu) = sum_k c_k e^{a_k x}, c = (+, +, -, -)",
        ident == 0 and signs == [1, 1, -1, -1] and list(es.exponents) == [*m.nu, *m.mu],
        residual=str(ident),
        coefficient_signs=[str(s) for s in signs],
    )

    x, b = sp.symbols("x b", real=True)
    c = sp.symbols("c1:5", real=True)
    a = sp.symbols("a1:5", real=True)
    E = sum(ci * sp.exp(ai * x) for ci, ai in zip(c, a))
    step = sp.diff(sp.exp(-b * x) * E, x) - sum(ci * (ai - b) * sp.exp((ai - b) * x) for ci, ai in zip(c, a))
    step = sp.simplify(sp.powsimp(sp.expand(step)))
    drops_ok = True
    cases = 0
    for pattern in itertools.product((1, -1), repeat=4):
        V = sign_changes(list(pattern))
        for split in range(3):  # b between a_{split+1} and a_{split+2}
            if pattern[split] * pattern[split + 1] > 0:
                continue
            derived = [-s if k <= split else s for k, s in enumerate(pattern)]  # sign(c_k (a_k - b))
            cases += 1
            drops_ok &= sign_changes(derived) == V - 1
    checks.add(
        "symbolic (b): d/dx[e^{-bx} E] = sum c_k (a_k - b) e^{(a_k - b)x}; "
        "a split at a sign change removes it",
        step == 0 and drops_ok,
        residual=str(step),
        sign_patterns_checked=cases,
    )

    worst = 0
    orders = 0
    for perm in itertools.permutations(range(4)):
        for ties in itertools.product((False, True), repeat=3):
            # exponents in the order perm, consecutive ones optionally equal (merged)
            expo, level = [], 0
            for k in range(4):
                if k and not ties[k - 1]:
                    level += 1
                expo.append(level)
            coeffs = [0.0] * 4
            model = [1.0, 1.0, -1.0, -1.0]  # magnitudes do not matter for the bound V <= 3 ...
            for slot, term in enumerate(perm):
                coeffs[slot] = model[term]
            # ... except where terms merge: try unequal magnitudes too
            for scale in ((1.0, 1.0, 1.0, 1.0), (1.0, 2.0, 3.0, 5.0), (5.0, 3.0, 2.0, 1.0)):
                s = _merge(expo, [cv * sc for cv, sc in zip(coeffs, scale)])
                worst = max(worst, sign_changes(s))
                orders += 1
    checks.add(
        "symbolic (c): two + and two - coefficients, any order and merges: V <= 3 = 2K - 1",
        worst <= 3,
        max_sign_changes=worst,
        cases=orders,
    )

    most_positive = 0
    for n_pieces in range(1, 5):
        for first in (1, -1):
            seq = [first * (-1) ** k for k in range(n_pieces)]
            most_positive = max(most_positive, sum(1 for s in seq if s > 0))
    checks.add(
        "symbolic (d): <= 3 sign changes => at most 2 positive pieces (A* = <= 2 intervals)",
        most_positive <= 2,
        max_positive_pieces=most_positive,
    )


def _draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    mu = rng.uniform(-3, 3, (n, 2))
    nu = rng.uniform(-3, 3, (n, 2))
    close = rng.random(n) < 0.3  # near-degenerate instances: a generator mean close to a true one
    k = int(close.sum())
    mu[close, 0] = nu[close, 0] + rng.choice([-1, 1], k) * 10.0 ** rng.uniform(-8, -1, k)
    d = np.minimum(np.abs(mu - nu).max(1), np.abs(mu[:, ::-1] - nu).max(1))
    keep = d > 0
    return mu[keep], nu[keep]


def _exact_signs(mu, nu) -> list[int]:
    """Signs of the merged coefficients ordered by exponent (exact: equal floats merge)."""
    net: dict[float, int] = {}
    for a in nu:
        net[float(a)] = net.get(float(a), 0) + 1
    for a in mu:
        net[float(a)] = net.get(float(a), 0) - 1
    return [1 if net[a] > 0 else -1 for a in sorted(net) if net[a] != 0]


def _certified(checks: Checks, budget: str, seed: int) -> str:
    import gmmsym
    from gmmsym.certified_roots import certified_crossings

    rng = rng_for(CLAIM.id, seed)
    n = sized(budget, 100, 1000, 10000)
    mu, nu = _draw(rng, n)
    _, count64 = gmmsym.optimal_discriminator(mu, nu)
    histogram = {0: 0, 1: 0, 2: 0, 3: 0}
    bad, uncertified, mismatch = [], [], []
    far = 0.0
    ell64, _ = gmmsym.optimal_discriminator(mu, nu)
    for k in range(len(mu)):
        res = certified_crossings(mu[k], nu[k])
        V = sign_changes(_exact_signs(mu[k], nu[k]))
        if not res.certified:
            uncertified.append({"mu": mu[k], "nu": nu[k], "proven_crossings": res.count})
            continue
        histogram[res.count] = histogram.get(res.count, 0) + 1
        if not (res.count <= V <= 3 and (res.count - V) % 2 == 0):
            bad.append({"mu": mu[k], "nu": nu[k], "count": res.count, "V": V})
        if res.count != int(count64[k]):
            mismatch.append({"mu": mu[k], "nu": nu[k], "certified": res.count, "float64": int(count64[k])})
        finite = sorted({float(x) for x in ell64[k] if np.isfinite(x)})
        for x, (lo, hi) in zip(finite, res.bounds):
            far = max(far, max(lo - x, x - hi, 0.0) / float(np.spacing(max(abs(x), 1.0))))
    checks.add(
        f"certified (python-flint): crossings <= V <= 3 with the parity of V, {len(mu)} instances",
        not bad and not uncertified and len(mu) > 0,
        instances=len(mu),
        near_degenerate_instances="about 30% with |mu_1 - nu_1| in [1e-8, 1e-1]",
        crossings_histogram=histogram,
        uncertified=uncertified[:5],
        n_uncertified=len(uncertified),
        violations=bad[:5],
    )
    checks.add(
        "float64 optimal_discriminator reports the certified number of crossings",
        not mismatch,
        mismatches=mismatch[:5],
        n_mismatches=len(mismatch),
        max_float64_crossing_outside_ball_in_ulps=far,
    )
    return f"certified crossings {histogram} on {len(mu)} instances, all <= V <= 3"


def run(budget: str = "default", *, seed: int = 0) -> Evidence:
    """Check C3 at ``budget``; see the module docstring for the check and the criterion."""
    checks = Checks(seed=seed, budget=budget)
    _symbolic(checks)
    info = _certified(checks, budget, seed)
    return checks.evidence(f"symbolic steps hold; {info}")

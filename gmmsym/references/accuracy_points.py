"""Seeded points of the accuracy report (:mod:`gmmsym.references.accuracy`) and its regions of ``a``.

``a = max |t|`` over the finite Gaussian arguments ``t = (x - m) / sigma`` of a function's terms;
rows of the report are per region of :data:`REGIONS`, points come from :func:`sample_points`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gmmsym.model import validate as _validate
from gmmsym.model.spec import PAPER, ModelSpec, check_model

__all__ = ["REGIONS", "region_label", "Batch", "sample_points"]

#: Regions of ``a``: ``(lower, upper]`` (the first one includes 0).
REGIONS: tuple[tuple[float, float], ...] = ((0.0, 2.0), (2.0, 10.0), (10.0, 37.0), (37.0, 40.0))


def region_label(lo: float, hi: float) -> str:
    """``"a <= 2"`` for the first region, ``"2 < a <= 10"`` otherwise."""
    return f"a <= {hi:g}" if lo == 0 else f"{lo:g} < a <= {hi:g}"


@dataclass(frozen=True, eq=False)
class Batch:
    """Sampled points of a model: ``mu``, ``nu`` ``(n, K)``, ``ell`` ``(n, 2M)``, ``x`` ``(n,)``."""

    mu: np.ndarray
    ell: np.ndarray
    nu: np.ndarray
    x: np.ndarray
    family: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.x)

    def point(self, i: int) -> dict[str, Any]:
        """Inputs of point ``i`` as plain floats (``repr`` round-trips them exactly)."""
        return {
            "mu": [float(v) for v in self.mu[i]],
            "ell": [float(v) for v in self.ell[i]],
            "nu": [float(v) for v in self.nu[i]],
            "x": float(self.x[i]),
            "family": None if self.family is None else str(self.family[i]),
        }


_FAMILIES = ("spread", "same_tail", "tight", "straddle", "separated")
_SHRINK = 1.0 - 1e-9  # keep |c + d - m| <= hi after rounding


def sample_points(n: int, rng: np.random.Generator, *, model: ModelSpec = PAPER) -> Batch:
    """Points covering the bulk and both tails of every Gaussian argument.

    For each point a target region ``(lo, hi]`` of ``a`` is drawn uniformly from
    :data:`REGIONS`; the four means lie within ``h`` of a centre ``c ~ U(-3, 3)``, ``h`` one of
    ``0``, ``1e-3``, ``min(1, hi/4)``, ``min(6, hi/4)`` (so means up to 12 apart; ``mu = nu`` or
    ``mu`` = swapped ``nu`` now and then), and the endpoints are ``c + d`` with offsets
    ``|d| <= hi - h``, one of them beyond ``min(lo + h, hi - h)``, in one of five families:

    * ``spread``: offsets i.i.d. uniform of either sign;
    * ``same_tail``: all four offsets on one side and beyond ``lo + h`` (both ends of both
      intervals deep in the same tail, e.g. ``l = m + 30, r = m + 30.5``);
    * ``tight``: intervals of relative width ``10**-12 .. 10**-1`` (cancellation in the bulk);
    * ``straddle``: one wide interval across all means (``l = c - d1``, ``r = c + d2``);
    * ``separated``: generator far from the truth (``nu = c + U(-1/4, 1/4)``,
      ``mu = c +- U(0.3, 0.8) hi + U(-1/4, 1/4)``, roles swapped half the time), endpoints and
      ``x`` uniform on the range where every argument stays within ``hi`` (the gap between
      the two groups included): an endpoint between them keeps a net integer part in ``L``.

    Then, independently: ``l1 = -inf`` (p = 0.2), ``r2 = +inf`` (0.2), the second interval
    pushed to ``+inf`` (0.05), an interval collapsed ``r_j = l_j`` (0.15 each).  The density
    point is ``x = c +- U(dmin, hi - h)``.  So ``a <= 40`` always (the realised ``a`` may fall
    in a lower region than the target; rows use the realised one).

    For ``model`` (default the paper's) the same recipe with ``K`` means per side, ``2M``
    endpoints (the swapped truth is the reversed ``nu``; ``r_M = +inf``; every interval may
    collapse), drawn in units of ``sigma`` and then scaled by it (so ``a`` is unchanged).  For
    ``K = M = 2`` the stream of draws is the paper's: the same seed gives the same points.
    """
    K, M = check_model(model).K, model.M
    n = _validate.check_int("n", n, minimum=1)
    mu = np.empty((n, K))
    nu = np.empty((n, K))
    ell = np.empty((n, 2 * M))
    x = np.empty(n)
    family = np.empty(n, dtype=object)
    for k in range(n):
        lo, hi = REGIONS[rng.integers(len(REGIONS))]
        c = rng.uniform(-3.0, 3.0)
        h = float(rng.choice([0.0, 1e-3, min(1.0, hi / 4), min(6.0, hi / 4)]))
        nu_k, mu_k = _means(rng, c, h, K)
        dmax = (hi - h) * _SHRINK
        dmin = min(lo + h, dmax)
        fam = _FAMILIES[rng.integers(len(_FAMILIES))]
        sign = rng.choice([-1.0, 1.0])
        if fam == "separated":
            nu_k, mu_k, d, x_off = _separated(rng, c, hi, sign, 2 * M, K)
        else:
            d = _offsets(rng, fam, sign, dmin, dmax, 2 * M)
        mu[k], nu[k], ell[k] = mu_k, nu_k, _endpoints(rng, c + d)
        x[k] = c + x_off if fam == "separated" else c + sign * rng.uniform(dmin, dmax)
        family[k] = fam
    if model.sigma != 1:
        s = float(model.sigma)
        mu, nu, ell, x = mu * s, nu * s, ell * s, x * s
    return Batch(mu=mu, ell=ell, nu=nu, x=x, family=family)


# The draws of one point, in the order :func:`sample_points` makes them (the stream is part of
# the report: the same seed gives the same points).


def _means(rng: np.random.Generator, c: float, h: float, K: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``(nu, mu)`` within ``h`` of ``c``; ``mu = nu`` (p = 0.1) or reversed ``nu`` (0.1)."""
    nu_k = c + rng.uniform(-h, h, K)
    mu_k = c + rng.uniform(-h, h, K)
    u = rng.random()
    if u < 0.1:
        mu_k = nu_k.copy()
    elif u < 0.2:
        mu_k = nu_k[::-1].copy()
    return nu_k, mu_k


def _separated(
    rng: np.random.Generator, c: float, hi: float, sign: float, n_end: int = 4, K: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Family ``separated``: ``(nu, mu, endpoint offsets, density-point offset)`` from ``c``."""
    near = c + rng.uniform(-0.25, 0.25, K)
    far = c + sign * rng.uniform(0.3, 0.8) * hi + rng.uniform(-0.25, 0.25, K)
    nu_k, mu_k = (near, far) if rng.random() < 0.5 else (far, near)
    means = np.concatenate([nu_k, mu_k])
    centre = (means.max() + means.min()) / 2
    half = (hi - (means.max() - means.min()) / 2) * _SHRINK
    d = centre - c + rng.uniform(-half, half, n_end)
    x_off = centre - c + rng.uniform(-half, half)
    return nu_k, mu_k, d, x_off


def _offsets(
    rng: np.random.Generator, fam: str, sign: float, dmin: float, dmax: float, n_end: int = 4
) -> np.ndarray:
    """Endpoint offsets from the centre: families ``spread``, ``same_tail``, ``tight``, ``straddle``."""
    if fam == "spread":
        d = rng.uniform(-dmax, dmax, n_end)
        d[0] = sign * rng.uniform(dmin, dmax)
    elif fam == "same_tail":
        d = sign * rng.uniform(dmin, dmax, n_end)
    elif fam == "tight":
        base = rng.uniform(-dmax, dmax, n_end // 2)
        base[0] = sign * rng.uniform(dmin, dmax)
        width = 10.0 ** rng.uniform(-12, -1, n_end // 2) * np.maximum(np.abs(base), 1.0)
        d = np.concatenate([base, base + width])
        d = np.clip(d, -dmax, dmax)
    else:  # straddle
        d = np.array([-rng.uniform(dmin, dmax), rng.uniform(dmin, dmax)] + [0.0] * (n_end - 2))
        d[2:] = rng.uniform(-dmax, dmax, n_end - 2)
    return d


def _endpoints(rng: np.random.Generator, ends: np.ndarray) -> np.ndarray:
    """Sorted ``ell``; then ``l1 = -inf``, ``r_M = +inf``, ``r1, ...`` at ``+inf``, collapsed intervals."""
    e = np.sort(ends)
    if rng.random() < 0.2:
        e[0] = -np.inf
    if rng.random() < 0.2:
        e[-1] = np.inf
    if rng.random() < 0.05:
        e[1:] = np.inf
    for j in range(len(e) // 2):
        if rng.random() < 0.15:
            e[2 * j + 1] = e[2 * j]
    return e

"""Claims framework: what a claim is, what evidence looks like, budgets, and how a claim is run.

A *claim* (:class:`Claim`) is one statement of the GMM-GAN theory (docs/model.md) together with its
source in the paper (cited "as numbered in the paper", or as "stated in the paper's abstract",
docs/model.md section 7), the method used to check it, and the pass criterion.  Each module
``proofs/cNN_*.py`` exposes ``CLAIM`` and ``run(budget="default", *, seed=0) -> Evidence``.

Evidence (:class:`Evidence`) has a status (``"pass"``, ``"fail"`` or ``"error"``), one short key
figure, a JSON-serialisable ``details`` dict with the measured numbers, and optional matplotlib
figures (written by ``gmmsym verify``).  A claim passes only if every one of its checks passes;
checks are collected with :class:`Checks`, each a named comparison that can fail.

Budgets (:data:`BUDGETS`) scale sample sizes: ``"quick"`` (all claims under a minute on
two cores), ``"default"`` (a few minutes) and ``"thorough"`` (long runs).  :func:`sized` picks
the value for a budget.
"""

from __future__ import annotations

import importlib
import json
import math
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

__all__ = [
    "BUDGETS",
    "METHODS",
    "STATUSES",
    "SYMBOLIC",
    "CERTIFIED",
    "PROPERTY",
    "STATISTICAL",
    "CLAIM_MODULES",
    "KINDS",
    "PAPER_CLAIM",
    "OBSERVATION",
    "Claim",
    "Evidence",
    "Checks",
    "sized",
    "check_budget",
    "rng_for",
    "jsonable",
    "load_claim",
    "all_claim_ids",
    "run_claim",
    "property_check",
    "is_general",
    "specific_reason",
    "for_models",
]

#: Sample-size budgets, smallest first.
BUDGETS = ("quick", "default", "thorough")

SYMBOLIC = "symbolic identity"
CERTIFIED = "certified computation (python-flint)"
PROPERTY = "property-based test at high precision"
STATISTICAL = "seeded statistical experiment"
#: The four ways a claim can be checked (the ``method`` of a :class:`Claim`).
METHODS = (SYMBOLIC, CERTIFIED, PROPERTY, STATISTICAL)

PAPER_CLAIM = "paper"
OBSERVATION = "project observation"
#: What a claim is: a statement of the paper, or this project's own observation (it depends on
#: a [choice] of docs/model.md, e.g. the projection or the labels, or the paper does not state it).
KINDS = (PAPER_CLAIM, OBSERVATION)

#: Possible outcomes of a claim.
STATUSES = ("pass", "fail", "error")

#: Claim id -> module, in report order.
CLAIM_MODULES: dict[str, str] = {
    "C1": "proofs.c01_closed_form",
    "C2": "proofs.c02_gradients",
    "C3": "proofs.c03_crossings",
    "C4": "proofs.c04_tv_maximum",
    "C5": "proofs.c05_danskin",
    "C6": "proofs.c06_diagonal",
    "C7": "proofs.c07_tv_descent",
    "C8": "proofs.c08_convergence",
    "C9": "proofs.c09_gradient_bound",
    "C10": "proofs.c10_collapse_gradient",
    "C11": "proofs.c11_collapsed_interval",
    "C12": "proofs.c12_first_order",
    "C13": "proofs.c13_degenerate_equilibrium",
    "C14": "proofs.c14_collapse_trap",
    "C15": "proofs.c15_discriminator_moves",
    "C16": "proofs.c16_unequal_weights",
}

_CITATIONS = ("as numbered in the paper", "stated in the paper's abstract")

#: Why a claim does not run on other models than the paper's (claims not listed are general: their
#: module's ``run`` takes ``model=`` and, without it, checks the paper's model and the second model).
SPECIFIC: dict[str, str] = {
    "C6": "the diagonal mu1 = mu2 of two equally weighted components (C16 covers unequal weights)",
    "C7": "TV descent measured on the paper's Figure 2 setting",
    "C8": "convergence of optimal dynamics on the paper's Figure 2 setting",
    "C9": "a gradient bound derived for K = 2 (four density terms)",
    "C12": "the Figure 2 statistics of the paper (K = 2)",
    "C13": "the degenerate equilibrium of the paper's K = 2 model",
    "C14": "the collapse trap of the paper's K = 2 first-order dynamics",
    "C15": "engine steps compared with the K = 2 judge's dynamics",
    "C16": "compares the paper's equal weights with unequal ones itself (K = 2 and K = 3 models built in)",
}


@dataclass(frozen=True)
class Claim:
    """One checkable statement of the theory.

    Parameters
    ----------
    id : str
        ``"C1"`` ... ``"C13"``.
    title : str
        A few words (the table column).
    statement : str
        The claim in words and formulas (docs/model.md notation).
    source : str
        Where the paper states it: a section, lemma or theorem "as numbered in the paper", or
        "stated in the paper's abstract" (docs/model.md section 7).  Must contain one of the two
        phrases.
    method : str
        One of :data:`METHODS` (the primary method; a claim may add further checks).
    criterion : str
        The pass criterion, with every tolerance and where it comes from.
    judge : str
        What the library's result is judged by (an independent reference: ``proofs.judge``,
        python-flint, SymPy, quadrature written from the model); reported with the evidence.
    kind : str
        One of :data:`KINDS`: ``"paper"`` (a statement of the paper) or
        ``"project observation"`` (this project's own statement; its source says why).
    """

    id: str
    title: str
    statement: str
    source: str
    method: str
    criterion: str
    judge: str
    kind: str = PAPER_CLAIM

    def __post_init__(self) -> None:
        if not (self.id.startswith("C") and self.id[1:].isdigit()):
            raise ValueError(f"claim id must look like 'C7', got {self.id!r}")
        if self.method not in METHODS:
            raise ValueError(f"{self.id}: method must be one of {METHODS}, got {self.method!r}")
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        if not any(c in self.source for c in _CITATIONS):
            raise ValueError(f"{self.id}: source must cite the paper with one of {_CITATIONS}")
        if self.kind == OBSERVATION and OBSERVATION not in self.source:
            raise ValueError(f"{self.id}: the source of a project observation must say 'project observation'")
        for name in ("title", "statement", "criterion", "judge"):
            if not getattr(self, name).strip():
                raise ValueError(f"{self.id}: {name} is empty")

    def as_dict(self) -> dict[str, str]:
        """The claim's fields as a plain dict (for ``report.json``)."""
        return {
            "id": self.id,
            "title": self.title,
            "statement": self.statement,
            "source": self.source,
            "method": self.method,
            "criterion": self.criterion,
            "judge": self.judge,
            "kind": self.kind,
        }


@dataclass
class Evidence:
    """The result of running one claim.

    Attributes
    ----------
    status : str
        ``"pass"``, ``"fail"`` or ``"error"``.
    key_figure : str
        One short string summarising the measurement (the table column).
    details : dict
        JSON-serialisable measurements: every check with its numbers, sample sizes, seed.
    seconds : float
        Wall time of the run.
    figures : dict
        ``name -> matplotlib.figure.Figure`` (not serialised; ``gmmsym verify`` writes PNGs).
    judge : str
        The claim's judge (:attr:`Claim.judge`), set by :func:`run_claim`.
    """

    status: str
    key_figure: str
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    figures: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    judge: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        self.details = jsonable(self.details)

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def as_dict(self) -> dict[str, Any]:
        """``{"status", "judge", "key_figure", "details", "seconds"}`` (JSON-serialisable)."""
        return {
            "status": self.status,
            "judge": self.judge,
            "key_figure": self.key_figure,
            "details": self.details,
            "seconds": round(float(self.seconds), 3),
        }

    def _repr_markdown_(self) -> str:
        """Notebook view: status, key figure, judge and every check with its measured values."""
        lines = [
            f"**{self.status}** ({self.seconds:.1f} s, judge: {self.judge or 'n/a'}): {self.key_figure}",
            "",
        ]
        lines += [check_line(chk) for chk in self.details.get("checks", [])]
        if "error" in self.details:
            lines.append(f"- ERROR: `{self.details['error']}`")
        return "\n".join(lines)


def measured_text(chk: dict[str, Any]) -> str:
    """The measured values of one check, each in full (``key=value; ...``), never cut."""
    items = [(k, v) for k, v in chk.items() if k not in ("check", "passed")]
    return "; ".join(f"{k}={json.dumps(v, separators=(', ', ': '))}" for k, v in items)


def check_line(chk: dict[str, Any]) -> str:
    """One Markdown list item for a check: ``- PASS: name`` and its measured values in full."""
    head = f"- {'PASS' if chk['passed'] else 'FAIL'}: {chk['check']}"
    text = measured_text(chk)
    return head + (f"  \n  `{text}`" if text else "")


class Checks:
    """Collects the named checks of one claim run; the claim passes iff every check passes.

    Examples
    --------
    >>> c = Checks()
    >>> c.add("closed form equals quadrature", 3e-48 <= 1e-40, max_abs_diff=3e-48, tolerance=1e-40)
    True
    >>> c.evidence("max |diff| 3e-48").status
    'pass'
    """

    def __init__(self, **info: Any) -> None:
        self.items: list[dict[str, Any]] = []
        self.info: dict[str, Any] = dict(info)
        self.figures: dict[str, Any] = {}
        self._t0 = time.perf_counter()

    def add(self, name: str, passed: bool | np.bool_, **measured: Any) -> bool:
        """Record check ``name`` with outcome ``passed`` and its measured numbers."""
        ok = bool(passed)
        self.items.append({"check": name, "passed": ok, **measured})
        return ok

    @property
    def passed(self) -> bool:
        return bool(self.items) and all(item["passed"] for item in self.items)

    def failures(self) -> list[str]:
        return [item["check"] for item in self.items if not item["passed"]]

    def evidence(self, key_figure: str, **details: Any) -> Evidence:
        """Evidence with status ``pass`` iff at least one check ran and all passed."""
        status = "pass" if self.passed else "fail"
        if status == "fail" and self.failures():
            key_figure = f"FAILED: {', '.join(self.failures())}; {key_figure}"
        body = {**self.info, **details, "checks": self.items}
        return Evidence(
            status, key_figure, body, seconds=time.perf_counter() - self._t0, figures=self.figures
        )


def check_budget(budget: str) -> str:
    """Return ``budget`` if it is one of :data:`BUDGETS`, else raise ``ValueError``."""
    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {BUDGETS}, got {budget!r}")
    return budget


def sized(budget: str, quick: Any, default: Any, thorough: Any) -> Any:
    """The value for ``budget`` (``"quick"``, ``"default"`` or ``"thorough"``)."""
    return {"quick": quick, "default": default, "thorough": thorough}[check_budget(budget)]


def rng_for(claim_id: str, seed: int) -> np.random.Generator:
    """A generator that depends only on ``(seed, claim number)``: claims never share streams."""
    return np.random.default_rng([int(seed), int(claim_id[1:])])


def jsonable(obj: Any) -> Any:
    """Convert NumPy / mpmath / flint scalars and arrays (nested) to plain JSON types.

    Non-finite floats become the strings ``"inf"``, ``"-inf"``, ``"nan"`` (strict JSON has no
    such numbers).
    """
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, str) or obj is None:
        return obj
    if isinstance(obj, (float, np.floating)) or hasattr(obj, "__float__"):
        try:
            v = float(obj)
        except (TypeError, ValueError):
            return str(obj)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    return str(obj)


def all_claim_ids() -> list[str]:
    """``["C1", ..., "C15"]``."""
    return list(CLAIM_MODULES)


def load_claim(claim_id: str) -> ModuleType:
    """Import the module of ``claim_id`` (``"C3"`` or ``"c3"``)."""
    key = claim_id.strip().upper()
    if key not in CLAIM_MODULES:
        raise ValueError(f"unknown claim {claim_id!r}; choose from {', '.join(CLAIM_MODULES)}")
    return importlib.import_module("." + CLAIM_MODULES[key].rsplit(".", 1)[1], __package__)


def _traceback_summary(exc: BaseException, limit: int = 4) -> str:
    frames = traceback.extract_tb(exc.__traceback__)[-limit:]
    where = "; ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames)
    return f"{type(exc).__name__}: {exc} (at {where})"


def is_general(claim_id: str) -> bool:
    """Whether the claim is stated for any model (its ``run`` takes ``model=``)."""
    return claim_id.strip().upper() not in SPECIFIC


def specific_reason(claim_id: str) -> str:
    """Why ``claim_id`` runs on the paper's model only (``""`` for a general claim)."""
    return SPECIFIC.get(claim_id.strip().upper(), "")


def for_models(model: Any, default: Iterable[Any]) -> list[Any]:
    """The models a general claim checks: ``[model]`` if given, else ``default`` (paper first)."""
    return list(default) if model is None else [model]


def run_claim(claim_id: str, budget: str = "default", *, seed: int = 0, model: Any = None) -> Evidence:
    """Run one claim; any exception becomes ``Evidence(status="error")`` with a traceback summary.

    ``model`` (a ``ModelSpec``) runs a general claim (:func:`is_general`) on that model only;
    ``None`` runs it as ``gmmsym verify`` does by default (the paper's model, plus the second
    model for the general claims).  A claim specific to the paper's model given another model
    raises ``ValueError`` (the driver skips it, with :func:`specific_reason`).

    Never raises for a failing or crashing claim (``KeyboardInterrupt`` still propagates), so a
    driver can run every claim whatever happens to one of them.
    """
    check_budget(budget)
    if model is not None and not is_general(claim_id):
        from gmmsym.model.spec import PAPER

        if model != PAPER:
            raise ValueError(f"{claim_id} runs on the paper's model only: {specific_reason(claim_id)}")
        model = None
    t0 = time.perf_counter()
    try:
        module = load_claim(claim_id)
        kwargs = {} if model is None else {"model": model}
        evidence = module.run(budget, seed=seed, **kwargs)
        if not isinstance(evidence, Evidence):
            raise TypeError(f"{claim_id}: run() returned {type(evidence).__name__}, not Evidence")
    except Exception as exc:  # noqa: BLE001 - a claim's crash is reported, not propagated
        summary = _traceback_summary(exc)
        return Evidence(
            "error",
            f"error: {type(exc).__name__}",
            {"error": summary, "traceback": traceback.format_exc(limit=12)},
            seconds=time.perf_counter() - t0,
        )
    evidence.seconds = time.perf_counter() - t0
    evidence.judge = module.CLAIM.judge
    return evidence


@contextmanager
def _without_local_constants() -> Iterator[None]:
    """Hypothesis without its pool of "local constants" (reproducibility across contexts).

    Hypothesis (>= 6.131) occasionally draws numeric literals collected from the source of
    every *local* module in ``sys.modules`` (not site-packages).  Which modules are loaded,
    and whether gmmsym counts as local (editable install or not), then changes the examples
    a seeded property sees, so ``gmmsym verify --only C5`` and a full run would check
    different examples.  This swaps the collector for an empty pool while the property runs
    and restores it afterwards; with other Hypothesis versions (no such collector) it does
    nothing.  Hypothesis' global constants (0, inf, nasty floats, ...) are still drawn.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without that module
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    constants_cls = getattr(providers, "Constants", None)
    if original is None or cache is None or constants_cls is None:  # pragma: no cover
        yield
        return
    empty = constants_cls()
    providers._get_local_constants = lambda: empty
    cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


def property_check(
    strategy: Any,
    predicate: Callable[[Any], tuple[bool, dict[str, Any]]],
    *,
    max_examples: int,
    seed: int,
    explicit: Iterable[Any] = (),
) -> dict[str, Any]:
    """Run a Hypothesis property programmatically, reproducibly, without shrinking.

    Parameters
    ----------
    strategy : hypothesis strategy
        Draws one example (e.g. a tuple ``(nu, mu)``).
    predicate : callable
        ``example -> (ok, info)``; ``info`` is a dict of measured numbers for that example.
    max_examples : int
        Hypothesis ``max_examples``.
    seed : int
        Passed to :func:`hypothesis.seed`; no example database and no "local constants" pool
        (:func:`_without_local_constants`), so a run depends only on the seed and the
        Hypothesis version, not on which modules happen to be loaded.
    explicit : iterable
        Examples always run first (like ``@example``).

    Returns
    -------
    dict
        ``examples`` (number run), ``passed`` (bool), ``infos`` (the per-example dicts),
        ``counterexample`` (the first failing example and its info, or ``None``).
    """
    from hypothesis import HealthCheck, Phase, example, given, settings
    from hypothesis import seed as hyp_seed

    infos: list[dict[str, Any]] = []
    failure: dict[str, Any] = {}

    def body(x: Any) -> None:
        ok, info = predicate(x)
        infos.append(info)
        if not ok:
            failure.setdefault("example", x)
            failure.setdefault("info", info)
            raise AssertionError(f"property failed on {x!r}: {info}")

    test = given(strategy)(body)
    for ex in reversed(list(explicit)):
        test = example(ex)(test)
    test = settings(
        max_examples=int(max_examples),
        deadline=None,
        database=None,
        derandomize=False,
        phases=(Phase.explicit, Phase.generate),
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )(test)
    test = hyp_seed(int(seed))(test)
    try:
        with _without_local_constants():
            test()
        passed = True
    except AssertionError:
        passed = False
    except Exception as exc:  # Hypothesis wraps multiple failures in an ExceptionGroup
        if failure:
            passed = False
        else:
            raise exc
    return {
        "examples": len(infos),
        "passed": passed and not failure,
        "infos": infos,
        "counterexample": jsonable(failure) if failure else None,
    }

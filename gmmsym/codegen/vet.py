"""Static reading of a generated kernel module: its outputs as SymPy expressions, never executed.

:func:`gmmsym.codegen.check` must tell a benign reprint (another SymPy orders temporaries
differently) from a real change without running the file it checks (a planted module would run
its payload).  :func:`kernel_outputs` parses the text with :mod:`ast` and interprets only the
vocabulary the generator prints -- imports of the target's modules, the constants ``SPEC``,
``NUM_MEANS``, ``NUM_ENDPOINTS``, functions made of assignments and one ``return`` of
arithmetic (``+ - * / **``), numbers, names, and calls of the printers' known functions -- into
SymPy expressions (temporaries substituted).  Anything else is refused with :class:`NotKernel`.
"""

from __future__ import annotations

import ast

__all__ = ["NotKernel", "kernel_outputs"]

_MODULES = frozenset({"numpy", "scipy.special", "mpmath", "gmmsym._special"})
_CONSTANTS = frozenset({"SPEC", "NUM_MEANS", "NUM_ENDPOINTS"})
_MAX_POWER = 64  # the generator prints squares (and small powers of sigma)


class NotKernel(ValueError):
    """The text is not made of the generator's vocabulary (names the offending line)."""


def _vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    """Callable names and bare symbols the printers can print (from their tables)."""
    from gmmsym.codegen.printers import MpmathKernelPrinter, NumPyKernelPrinter

    calls = {"numpy.exp", "numpy.sqrt", "mpmath.mpf", "mpmath.exp", "mpmath.sqrt"}
    symbols = {"mpmath.pi", "mpmath.inf", "numpy.inf"}
    for cls in (NumPyKernelPrinter, MpmathKernelPrinter):
        calls |= set(cls.kernel_functions.values())
        symbols |= set(cls.special_symbols)
    return frozenset(calls), frozenset(symbols)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _refuse(node: ast.AST, what: str):
    raise NotKernel(f"line {getattr(node, 'lineno', '?')}: {what} is not generated kernel code")


def _expr(node: ast.AST, env: dict, vocab):
    """The SymPy expression of an arithmetic node (only the generator's vocabulary)."""
    import sympy as sp

    calls, symbols = vocab
    ops = {ast.Add: sp.Add, ast.Mult: sp.Mul}
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sp.Integer(node.value) if isinstance(node.value, int) else sp.Float(node.value, 17)
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, (ast.Name, ast.Attribute)) and _dotted(node) in symbols:
        return sp.Symbol(_dotted(node))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _expr(node.operand, env, vocab)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _expr(node.left, env, vocab), _expr(node.right, env, vocab)
        if type(node.op) in ops:
            return ops[type(node.op)](a, b)
        if isinstance(node.op, ast.Pow) and (a.is_Number or not (b.is_Number and abs(b) <= _MAX_POWER)):
            _refuse(node, "a power of a number or by a large one")  # 2**10**10 would hang SymPy
        arith = {ast.Sub: lambda: a - b, ast.Div: lambda: a / b, ast.Pow: lambda: a**b}
        if type(node.op) in arith:
            return arith[type(node.op)]()
    if isinstance(node, ast.Call) and _dotted(node.func) in calls and not node.keywords:
        name = _dotted(node.func)
        if name == "mpmath.mpf" and len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
            if isinstance(node.args[0].value, str):  # mpmath.mpf('1.5e-300'): a decimal string
                return sp.Function(name)(sp.Symbol(repr(node.args[0].value)))
        return sp.Function(name)(*(_expr(a, env, vocab) for a in node.args))
    if isinstance(node, ast.Tuple):
        return tuple(_expr(e, env, vocab) for e in node.elts)
    _refuse(node, type(node).__name__)


def _function(node: ast.FunctionDef, vocab) -> tuple[tuple[str, ...], object]:
    """``(argument names, outputs)`` of one kernel function."""
    import sympy as sp

    a = node.args
    if node.decorator_list or a.defaults or a.kwonlyargs or a.vararg or a.kwarg or a.posonlyargs:
        _refuse(node, "a decorated function or one with defaults")
    names = tuple(x.arg for x in a.args)
    env = {n: sp.Symbol(n) for n in names}
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # docstring
    for st in body[:-1]:
        ok = isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)
        if not ok or st.targets[0].id in names:
            _refuse(st, type(st).__name__)
        env[st.targets[0].id] = _expr(st.value, env, vocab)
    if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
        _refuse(node, "a function without a final return")
    return names, _expr(body[-1].value, env, vocab)


def _module_statement(st: ast.stmt) -> None:
    """Accept an import of the target's modules, a constant or the docstring; refuse the rest."""
    if isinstance(st, ast.Import) and all(a.name in _MODULES and a.asname is None for a in st.names):
        return
    if isinstance(st, ast.ImportFrom) and st.module in _MODULES and st.level == 0:
        if all(a.asname is None and a.name != "*" for a in st.names):
            return
    if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant) and isinstance(st.value.value, str):
        return
    if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
        if st.targets[0].id in _CONSTANTS and isinstance(st.value, ast.Constant):
            return
    _refuse(st, type(st).__name__)


def kernel_outputs(text: str) -> dict[str, tuple[tuple[str, ...], object]]:
    """``{function: (argument names, outputs as SymPy expressions)}`` of a kernel module's text.

    Raises :class:`NotKernel` for text outside the generator's vocabulary (nothing is executed).
    """
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise NotKernel(f"line {exc.lineno}: not valid Python") from None
    vocab = _vocabulary()
    out = {}
    for st in tree.body:
        if isinstance(st, ast.FunctionDef) and st.name not in out:
            try:
                out[st.name] = _function(st, vocab)
            except (TypeError, ValueError, ArithmeticError, RecursionError) as exc:
                if isinstance(exc, NotKernel):
                    raise
                raise NotKernel(f"line {st.lineno}: {type(exc).__name__} reading {st.name}") from None
        else:
            _module_statement(st)
    return out

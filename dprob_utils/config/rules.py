"""The one evaluator of rules written as data: the scorecard's claims (``claims.yaml``) and the profiles' PGD
step-size rules (``"2.5*eps/steps"``).

A rule is a Python expression over named values: comparisons, arithmetic, boolean logic, conditionals,
comprehensions and a few pure functions; nothing else (no attributes, no imports, no other calls).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

FUNCTIONS: dict[str, Callable] = {"abs": abs, "min": min, "max": max, "all": all, "any": any, "len": len,
                                  "sum": sum, "round": round, "sorted": sorted, "zip": zip, "range": range}
_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Call, ast.Name, ast.Load,
    ast.Constant, ast.List, ast.Tuple, ast.Subscript, ast.Slice, ast.And, ast.Or, ast.Not, ast.Add, ast.Sub,
    ast.Mult, ast.Div, ast.Pow, ast.USub, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq, ast.IfExp,
    ast.GeneratorExp, ast.comprehension, ast.Store, ast.In, ast.NotIn, ast.Mod, ast.Is, ast.IsNot,
    ast.ListComp, ast.keyword,
)


def safe_eval(expr: str, names: dict[str, Any], functions: dict[str, Callable] | None = None) -> Any:
    """The value of rule ``expr`` given ``names``; it may call :data:`FUNCTIONS` and ``functions``.

    Raises ``SyntaxError`` for an expression that does not parse, ``ValueError`` for a construct or a call
    that is not allowed, ``NameError`` for an unknown name."""
    funcs = {**FUNCTIONS, **(functions or {})}
    tree = ast.parse(expr, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ValueError(f"rule {expr!r}: {type(node).__name__} is not allowed")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in funcs):
            raise ValueError(f"rule {expr!r}: only {sorted(funcs)} may be called")
    # one namespace (globals) so that generator expressions see the names too
    return eval(compile(tree, "<rule>", "eval"), {"__builtins__": {}, **funcs, **names})  # noqa: S307

"""The package's layers: a module imports only from its own layer or the layers below it, so that no import
cycle can form and a newcomer reads the package bottom-up.

The layers, lowest first (``dprob_utils/__init__.py`` lists what each subpackage holds):

1. ``config``: settings, paths, errors, the key recipe, code versions, the rule evaluator, ``TrainConfig``;
   ``reference``: the papers' numbers and the claims, as data;
2. the keyed store's foundation (``store.core``, ``store.memo``), which the datasets' decoding cache and the
   trained models' keys already need;
3. ``data``, ``models`` (the architectures);
4. ``dp``, ``attacks``, ``analysis``;
5. the trained models: ``store.model_cache`` (train or load) and ``models.zoo`` (the book's models);
6. ``experiments``; 7. ``book`` and the chapter registry; 8. ``cli`` and the package index.

A function-level import is held to the same order, but for the few listed in :data:`LAZY_UPWARD` with why.
"""

from __future__ import annotations

import ast
from pathlib import Path

import dprob_utils

LAYERS: list[tuple[str, ...]] = [
    ("config", "reference"),
    ("store.core", "store.memo", "store"),
    ("data", "models"),
    ("dp", "attacks", "analysis"),
    ("store.model_cache", "models.zoo"),
    ("experiments",),
    ("book", "chapters"),
    ("cli", "__init__", "__main__"),
]

# (importing module, imported module): a function-level import against the layers, each with its reason
LAZY_UPWARD = {
    # MNIST-C's pessimal corruption is optimised against a trained reference model of the zoo
    ("data.corruptions.pessimal", "models.zoo"),
}


def _layer(module: str) -> int:
    """The layer of ``module`` (dotted, relative to ``dprob_utils``): the longest matching prefix wins."""
    best, level = -1, None
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, level = len(name), i
    assert level is not None, f"{module} is in no layer"
    return level


def _imports() -> list[tuple[str, str, bool]]:
    """``(importing module, imported module, at module level)`` for every import of ``dprob_utils``."""
    root = Path(dprob_utils.__file__).parent
    out = []
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        module = module.removesuffix(".__init__") if module != "__init__" else module
        tree = ast.parse(path.read_text())
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dprob_utils."):
                names = [node.module]
                names += [f"{node.module}.{a.name}" for a in node.names]  # `from pkg import module`
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("dprob_utils.")]
            for name in names:
                target = name.removeprefix("dprob_utils.")
                out.append((module, target, id(node) in top))
    return out


def _resolvable(target: str) -> str:
    """``target`` cut back to a module or package that exists (``from x import name`` names a function)."""
    root = Path(dprob_utils.__file__).parent
    parts = target.split(".")
    while parts:
        p = root.joinpath(*parts)
        if p.with_suffix(".py").is_file() or (p / "__init__.py").is_file():
            return ".".join(parts)
        parts.pop()
    return target


def test_every_module_imports_only_from_its_layer_or_below():
    wrong = []
    for module, target, at_top in _imports():
        target = _resolvable(target)
        if _layer(target) > _layer(module) and (at_top or (module, target) not in LAZY_UPWARD):
            wrong.append(f"{module} -> {target}" + ("" if at_top else " (in a function)"))
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(set(wrong)))


def test_the_lazy_exceptions_are_still_needed():
    used = {(m, _resolvable(t)) for m, t, top in _imports() if not top}
    assert LAZY_UPWARD <= used, LAZY_UPWARD - used


def test_no_module_is_over_about_400_lines():
    root = Path(dprob_utils.__file__).parent
    long = {str(p.relative_to(root)): n for p in root.rglob("*.py") if (n := len(p.read_text().splitlines())) > 450}
    assert not long, long

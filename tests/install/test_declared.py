"""Every third-party package that dprob_utils imports is declared in pyproject.toml (the runtime dependencies or,
for the optional ones, an extra), and every declared runtime dependency is imported or used."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions

import pytest

from dprob_utils.config.paths import project_root

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

# declared for what they provide, not imported by name: the notebook kernel, the book builder (run as a command),
# the parquet engine of pandas, and requests (a floor against torchattacks' stale pin)
USED_WITHOUT_IMPORT = {"ipykernel", "jupyter-book", "pyarrow", "requests"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((project_root() / "pyproject.toml").read_text())["project"]
    name = lambda req: _norm(re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0])  # noqa: E731
    runtime = {name(r) for r in project["dependencies"]}
    extras = {name(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    return runtime, extras


def _imported_distributions() -> set[str]:
    modules = set()
    for path in (project_root() / "dprob_utils").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    dists = packages_distributions()
    third_party = modules - set(sys.stdlib_module_names) - {"dprob_utils", "__future__"}
    return {_norm(d) for m in third_party for d in dists.get(m, [m])}


def test_every_import_is_declared():
    runtime, extras = _declared()
    assert _imported_distributions() - runtime - extras == set()


def test_every_runtime_dependency_is_used():
    runtime, _ = _declared()
    assert runtime - _imported_distributions() - USED_WITHOUT_IMPORT == set()

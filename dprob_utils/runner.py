"""Execute the chapter notebooks with papermill and build the book with jupyter-book.

Sources live in ``notebooks/*.ipynb`` without outputs. ``run_notebooks`` executes them with the profile as
papermill parameter into ``book/chapters/`` (git-ignored), which ``_toc.yml`` points at; ``build_book``
then renders the HTML without executing anything again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .errors import ConfigError, DprobError
from .paths import project_root
from .profiles import get_profile


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def chapters_dir() -> Path:
    return project_root() / "book" / "chapters"


def list_notebooks() -> list[Path]:
    """The chapter notebooks in book order (their file names start with a number)."""
    return sorted(p for p in notebooks_dir().glob("*.ipynb") if not p.name.startswith("_"))


SUMMARY_PREFIXES = ("00_", "99_")


def execution_order(paths: list[Path]) -> list[Path]:
    """Chapters first, then the summary pages (landing page ``00_*``, scorecard ``99_*``) that read their results."""
    return sorted(paths, key=lambda p: (p.name.startswith(SUMMARY_PREFIXES), p.name))


def resolve_notebooks(names: list[str] | None) -> list[Path]:
    """Paths of the named notebooks (by file name, stem or path); all of them when ``names`` is empty."""
    available = list_notebooks()
    if not names:
        return available
    out = []
    for name in names:
        p = Path(name)
        if p.is_file():
            out.append(p.resolve())
            continue
        match = [a for a in available if a.name == name or a.stem == name or a.stem.startswith(name)]
        if len(match) != 1:
            choices = ", ".join(a.stem for a in available)
            what = "no notebook" if not match else "more than one notebook"
            raise ConfigError(f"{what} matches {name!r}; available: {choices}")
        out.append(match[0])
    return out


def run_notebooks(names: list[str] | None, profile: str, out_dir: Path | None = None,
                  progress: bool = True) -> list[dict]:
    """Execute notebooks with papermill (parameter ``profile``) into ``out_dir``; returns per-notebook timings.

    Raises :class:`DprobError` naming the notebook whose execution failed.
    """
    import papermill as pm

    get_profile(profile)
    paths = execution_order(resolve_notebooks(names))
    out_dir = out_dir or chapters_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = []
    # The executed notebooks are rendered into static HTML, where progress widgets would only show as noise.
    os.environ["DPROB_PROGRESS"] = "0"
    for i, path in enumerate(paths, 1):
        if progress:
            print(f"[{i}/{len(paths)}] {path.stem} (profile {profile}) ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            pm.execute_notebook(
                str(path), str(out_dir / path.name), parameters={"profile": profile},
                cwd=str(path.parent), progress_bar=progress, kernel_name="python3",
            )
        except pm.PapermillExecutionError as exc:
            raise DprobError(f"notebook {path.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") \
                from exc
        seconds = time.perf_counter() - start
        hide_default_parameters(out_dir / path.name)
        timings.append({"notebook": path.stem, "seconds": round(seconds, 1)})
        if progress:
            print(f"      done in {seconds:.1f} s", file=sys.stderr, flush=True)
    _write_timings(profile, timings)
    return timings


def hide_default_parameters(path: Path) -> None:
    """Tag the notebook's default ``parameters`` cell ``remove-cell``: the rendered page then shows only the
    cell papermill injected, with the profile actually used, instead of two ``profile = ...`` cells."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(nb, path)


def _write_timings(profile: str, timings: list[dict]) -> None:
    from .results import results_path

    path = results_path(profile, "notebook_timings")
    old = json.loads(path.read_text()) if path.is_file() else {}
    old.update({t["notebook"]: t["seconds"] for t in timings})
    from .results import save_json

    save_json(profile, "notebook_timings", old)


def build_book(profile: str, execute: bool = True, names: list[str] | None = None) -> Path:
    """Run the notebooks (unless ``execute`` is False) and render the HTML book; returns the index page."""
    if execute:
        run_notebooks(names, profile)
    root = project_root()
    env = dict(os.environ, DPROB_BOOK_PROFILE=profile)
    cmd = [sys.executable, "-m", "jupyter_book", "build", str(root), "--warningiserror", "--keep-going"]
    jb = Path(sys.executable).with_name("jupyter-book")
    if jb.exists():
        cmd = [str(jb), "build", str(root), "--warningiserror", "--keep-going"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise DprobError(f"jupyter-book build failed:\n{tail}")
    return root / "_build" / "html" / "index.html"

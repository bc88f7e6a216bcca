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
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from dprob_utils.config.allocator import malloc_environment
from dprob_utils.config.errors import ConfigError, DprobError
from dprob_utils.config.parallel import EXECUTOR_ENV, default_jobs, executor, map_work
from dprob_utils.config.paths import project_root
from dprob_utils.config.profiles import get_profile


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def chapters_dir() -> Path:
    return project_root() / "book" / "chapters"


def list_notebooks() -> list[Path]:
    """The chapter notebooks in book order (their file names start with a number)."""
    return sorted(p for p in notebooks_dir().glob("*.ipynb") if not p.name.startswith("_"))


def role(path: Path) -> str:
    """The chapter's role in the registry (:data:`dprob_utils.chapters.CHAPTERS`); a notebook outside it is an
    ordinary chapter."""
    from dprob_utils.chapters import find

    found = find(path.stem)
    return found.role if found else "chapter"


def execution_order(paths: list[Path]) -> list[Path]:
    """Chapters first, then the summary pages (the landing page, the scorecard) that read their results."""
    return sorted(paths, key=lambda p: (role(p) == "summary", p.name))


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


def stages(paths: list[Path], models_cached: bool = False) -> list[list[Path]]:
    """Execution stages: the training chapter (it trains the model zoo every other chapter loads), then the
    other chapters (independent of one another: each may run beside the others), then the summary pages. With
    ``models_cached`` (:func:`zoo_cached`: the training chapter has nothing to train) it is one of the others."""
    ordered = execution_order(paths)
    first = [p for p in ordered if role(p) == "training"]
    last = [p for p in ordered if role(p) == "summary"]
    middle = [p for p in ordered if p not in first and p not in last]
    if models_cached:
        first, middle = [], [p for p in ordered if p not in last]
    return [stage for stage in (first, middle, last) if stage]


def zoo_cached(profile: str) -> bool:
    """Whether every model of the training chapter (:func:`~dprob_utils.experiments.training.run_training`) is in
    the model cache, so that it trains nothing and the other chapters need not wait for it."""
    from dprob_utils.models import zoo
    from dprob_utils.store.model_cache import ModelCache

    prof, cache = get_profile(profile), ModelCache()
    return all(s.config in cache for s in zoo.training_specs(prof))


def logs_dir() -> Path:
    """Where each chapter's log (``<chapter>.log``: cell outputs, kernel messages) and its progress events
    (``<chapter>.status.jsonl``, :mod:`dprob_utils.config.status`) go: ``_build/logs/``."""
    return project_root() / "_build" / "logs"


@contextmanager
def _stderr_to(f) -> Iterator[None]:
    """Point file descriptor 2 at ``f`` (the kernel inherits it: its start-up warnings land in the log)."""
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(f.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _execute(path: Path, out_dir: Path, profile: str, log_dir: Path) -> float:
    """Execute one notebook, its outputs and kernel messages into ``log_dir/<stem>.log`` and its progress events
    into ``log_dir/<stem>.status.jsonl``; returns its wall-clock seconds. Raises DprobError naming the failed
    cell and the log."""
    import papermill as pm

    from dprob_utils.config import status

    start = time.perf_counter()
    log = log_dir / f"{path.stem}.log"
    with _environ(**{status.STATUS_ENV: str(log_dir / f"{path.stem}.status.jsonl")}), \
            open(log, "w", encoding="utf-8") as f, _stderr_to(f):
        status.report("chapter", name=path.stem, state="start")
        try:
            pm.execute_notebook(
                str(path), str(out_dir / path.name), parameters={"profile": profile},
                cwd=str(path.parent), progress_bar=False, log_output=True, stdout_file=f, stderr_file=f,
                kernel_name="python3",
            )
        except pm.PapermillExecutionError as exc:
            raise DprobError(f"notebook {path.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
                             f"(log: {log})") from exc
        finally:
            status.report("chapter", name=path.stem, state="done")
    tag_cells(out_dir / path.name)
    return time.perf_counter() - start


PROGRESS_INTERVAL_S = (2.0, 20.0)  # between progress lines: on a terminal, in a log (CI)


class _Monitor:
    """Prints, every ``interval`` seconds, one line per running chapter whose progress changed (read from its
    status file): chapters done of total, the chapter's elapsed time, then :func:`status.summarise`."""

    def __init__(self, log_dir: Path, names: list[str], previous: dict[str, float], interval: float):
        import threading

        self.log_dir, self.names, self.previous, self.interval = log_dir, names, previous, interval
        self.events: dict[str, list[dict]] = {n: [] for n in names}
        self.offsets = dict.fromkeys(names, 0)
        self.printed: dict[str, str] = {}
        self.done = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> _Monitor:
        # a copy of the terminal's stderr: a chapter executed in this process points descriptor 2 at its log
        try:
            self._out = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding="utf-8")
        except (OSError, ValueError, AttributeError):  # a stderr without a descriptor (pytest's capsys)
            self._out = None
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        if self._out is not None:
            self._out.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            for line in self.lines():
                print(line, file=self._out or sys.stderr, flush=True)

    def lines(self, now: float | None = None) -> list[str]:
        """The progress lines to print now (those of running chapters that changed since last printed)."""
        from dprob_utils.config import status

        now = time.time() if now is None else now
        out = []
        for name in self.names:
            new, self.offsets[name] = status.read_events(self.log_dir / f"{name}.status.jsonl", self.offsets[name])
            self.events[name] += new
            ev = self.events[name]
            if not ev or any(e.get("kind") == "chapter" and e.get("state") == "done" for e in ev):
                continue
            text = status.summarise([e for e in ev if e.get("kind") != "chapter"], now) or "starting"
            if text == self.printed.get(name):
                continue
            self.printed[name] = text
            elapsed = status.clock(now - ev[0]["t"])
            last = f", last run {status.clock(self.previous[name])}" if name in self.previous else ""
            out.append(f"      [{self.done}/{len(self.names)} done] {name} {elapsed}{last} · {text}")
        return out


def run_notebooks(names: list[str] | None, profile: str, out_dir: Path | None = None,
                  progress: bool = True, jobs: int | None = None, log_dir: Path | None = None) -> list[dict]:
    """Execute notebooks with papermill (parameter ``profile``) into ``out_dir``; returns per-notebook timings.

    ``jobs`` (default :func:`default_jobs`) notebooks of the same :func:`stages` stage run side by side, each
    kernel with ``cpu_count // jobs`` torch threads (kernel start-up, imports and plotting are single-threaded,
    so two half-machine kernels finish sooner than one whole-machine kernel after another). With ``progress``,
    one line per chapter as it starts and finishes and, while it runs, a progress line when it changes (models
    training, experiments computing; every 2 s on a terminal, every 20 s otherwise). Each chapter's log is
    ``<log_dir>/<chapter>.log`` (default :func:`logs_dir`). Raises :class:`DprobError` naming the notebook whose execution failed.
    """
    get_profile(profile)
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ConfigError(f"jobs must be >= 1, got {jobs}")
    paths = execution_order(resolve_notebooks(names))
    out_dir = out_dir or chapters_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    log_dir = log_dir or logs_dir()
    log_dir.mkdir(parents=True, exist_ok=True)
    for p in paths:
        (log_dir / f"{p.stem}.status.jsonl").unlink(missing_ok=True)
    # The executed notebooks are rendered into static HTML, where progress bars would only show as noise and
    # widgets would be dead (no kernel): chapters leave both out (dprob_utils.book.explorer.live)
    os.environ["DPROB_PROGRESS"] = "0"
    os.environ["DPROB_STATIC"] = "1"
    seconds: dict[str, float] = {}
    monitor = _Monitor(log_dir, [p.stem for p in paths], chapter_timings(profile),
                       interval=PROGRESS_INTERVAL_S[0 if sys.stderr.isatty() else 1])
    if progress:
        print(f"      executing {len(paths)} chapters (profile {profile}); logs in {log_dir}", file=sys.stderr,
              flush=True)

    def report(path: Path, secs: float) -> None:
        seconds[path.stem] = round(secs, 1)
        monitor.done += 1
        if progress:
            print(f"[{monitor.done}/{len(paths)}] {path.stem} (profile {profile}) done in {secs:.1f} s",
                  file=sys.stderr, flush=True)

    # the training chapter trains its models `jobs` side by side (zoo.train_missing); with none to train it is one
    # of the chapters that run side by side (stages)
    # glibc's malloc setting for the kernels from their start (dprob_utils.config.allocator): applied later, after
    # torch's import, it does not keep their attack and evaluation tensors from page-faulting
    with _environ(DPROB_JOBS=str(jobs), **malloc_environment()), (monitor if progress else nullcontext()):
        training = any(role(p) == "training" for p in paths)
        for stage in stages(paths, models_cached=training and zoo_cached(profile)):
            if executor() == "ray":
                for what in _precomputes(stage):
                    _precompute(what, profile, progress)
            if jobs == 1 or len(stage) == 1:
                for path in stage:
                    report(path, _execute(path, out_dir, profile, log_dir))
                continue
            _run_side_by_side(stage, out_dir, profile, jobs, log_dir, report)
    timings = [{"notebook": p.stem, "seconds": seconds[p.stem]} for p in paths]
    _write_timings(profile, timings)
    return timings


def _precomputes(stage: list[Path]) -> dict[str, list[str]]:
    """The registry's ``precompute`` functions of the chapters of ``stage`` (on Ray: their expensive units as
    tasks of their own before the chapters, which then read them), each with the chapters that read it."""
    from dprob_utils.chapters import find

    out: dict[str, list[str]] = {}
    for p in stage:
        found = find(p.stem)
        if found and found.precompute:
            out.setdefault(found.precompute, []).append(p.stem)
    return out


def _precompute(what: str, profile: str, progress: bool) -> None:
    """Run the registry's function ``what(profile, log=...)`` (which returns how many units it ran), its lines
    and its total time on stderr."""
    from dprob_utils.chapters import resolve

    def log(line: str) -> None:
        if progress:
            print(f"      {line}", file=sys.stderr, flush=True)

    t = time.perf_counter()
    n = resolve(what)(profile, log=log)
    log(f"{n} units of {what} as Ray tasks in {time.perf_counter() - t:.1f} s")


def _run_side_by_side(stage: list[Path], out_dir: Path, profile: str, jobs: int, log_dir: Path, report) -> None:
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    # what each kernel starts with, wherever it runs (a Ray worker does not inherit this process's environment);
    # a chapter run as a Ray task trains anything it still misses in its own kernel, not as further Ray tasks
    env = {k: os.environ[k] for k in ("DPROB_PROGRESS", "DPROB_STATIC", "DPROB_JOBS") if k in os.environ}
    env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads, **{EXECUTOR_ENV: "local"})
    # the longest notebooks first, so that none is left running alone at the end: by the longest time recorded
    # for each (a warm run's times would put a chapter that is long when cold last)
    longest = _longest_timings(profile)
    order = sorted(stage, key=lambda p: -longest.get(p.stem, 0.0))
    work = [(env, p, out_dir, profile, log_dir) for p in order]
    for (_, path, *_), secs, _ in map_work(_execute_in, work, jobs, threads=int(threads)):
        report(path, secs)


def _execute_in(env: dict[str, str], path: Path, out_dir: Path, profile: str, log_dir: Path) -> float:
    """:func:`_execute` with these environment variables set (inherited by the kernel)."""
    with _environ(**env):
        return _execute(path, out_dir, profile, log_dir)


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Set these environment variables (inherited by the processes started inside), then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def tag_cells(path: Path) -> None:
    """Tag the executed notebook's cells for the rendered page: the default ``parameters`` cell
    ``remove-cell`` (the page then shows only the cell papermill injected, with the profile actually used) and
    every other code cell ``hide-input`` (its code behind a "show" toggle, its outputs shown)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.setdefault("tags", [])
        shown = cell.get("outputs") or "injected-parameters" in tags  # the parameters actually used stay
        tag = "remove-cell" if "parameters" in tags or not shown else "hide-input"
        if tag not in tags:
            tags.append(tag)
    nbformat.write(nb, path)


def chapter_timings(profile: str) -> dict[str, float]:
    """Each chapter's seconds in its last run (``results/<profile>/notebook_timings.json``, written by every
    ``dprob run`` and ``dprob book``), by stem: the file's provenance left out."""
    from dprob_utils.book.results import results_path

    path = results_path(profile, "notebook_timings")
    data = json.loads(path.read_text()) if path.is_file() else {}
    return {k: v for k, v in data.items() if k != "provenance"}


def recorded_runs(profile: str) -> list[dict]:
    """Every ``dprob book`` run logged in ``results/<profile>/book_runs.jsonl``, oldest first (a damaged line,
    from an interrupted write, is skipped). Each has ``finished``, ``models_trained`` (0: a warm run), ``jobs``,
    ``notebooks_s`` (seconds per notebook), ``notebooks_wall_s``, ``build_s`` and ``total_s``."""
    from dprob_utils.config.paths import results_dir

    path = results_dir(profile) / "book_runs.jsonl"
    runs = []
    for line in path.read_text().splitlines() if path.is_file() else []:
        try:
            runs.append(json.loads(line))
        except ValueError:
            continue
    return runs


def _longest_timings(profile: str) -> dict[str, float]:
    """Each notebook's longest time in ``notebook_timings.json`` and ``book_runs.jsonl``, else its registry
    ``cost`` (only the order matters)."""
    from dprob_utils.chapters import CHAPTERS

    out = {c.stem: float(c.cost) for c in CHAPTERS if c.cost}
    out.update(chapter_timings(profile))
    for run in recorded_runs(profile):
        for name, secs in run.get("notebooks_s", {}).items():
            out[name] = max(out.get(name, 0.0), float(secs))
    return out


def _write_timings(profile: str, timings: list[dict]) -> None:
    old = chapter_timings(profile)
    old.update({t["notebook"]: t["seconds"] for t in timings})
    from dprob_utils.book.results import save_json

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

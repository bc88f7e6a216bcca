"""The ``dprob`` command: train, train-all, epsilon, run, book, compare, explore, explain, bench.

Bad input (unknown profile or architecture, sigma < 0, C <= 0, epochs <= 0, a missing notebook, missing data)
prints one clear line on stderr and exits with status 2; it never shows a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from dprob_utils.config.errors import ConfigError, DprobError


def _jsonable(d: dict):
    from dprob_utils.store.core import to_jsonable

    return to_jsonable(d)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse's default prints usage too)
        print(f"dprob: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _family(profile, arch: str):
    if arch == "p1_mnist_cnn":
        return profile.p1_train
    if arch in ("p2_lenet", "p2_custom"):
        return profile.p2_train
    if arch == "p1_cifar_net":
        raise ConfigError("p1_cifar_net trains its dense layers on frozen features: run the CIFAR-10 chapter")
    raise ConfigError(f"unknown architecture {arch!r}; choose one of p1_mnist_cnn, p2_lenet, p2_custom")


def _profile(args: argparse.Namespace) -> str:
    """The profile the command runs: ``--profile`` with the ``--config`` file's and then the ``--set``
    overrides applied (validated; registered for the processes it starts); its name."""
    from dprob_utils.config.overrides import describe, load_config, parse_set, register

    overrides = load_config(args.config) if getattr(args, "config", None) else {}
    overrides.update(parse_set(getattr(args, "set", None) or []))
    name = register(args.profile, overrides)
    if name != args.profile:
        print(f"dprob: profile {name} = {args.profile} with {describe(overrides)}", file=sys.stderr)
    return name


def cmd_train(args: argparse.Namespace) -> int:
    from dprob_utils.config.profiles import get_profile
    from dprob_utils.store.model_cache import train_or_load

    args.profile = _profile(args)
    profile = get_profile(args.profile)
    settings = _family(profile, args.arch)
    if args.epochs is not None and args.epochs <= 0:
        raise ConfigError(f"epochs must be > 0, got {args.epochs}")
    cfg = settings.config(args.arch, args.mode, args.sigma, args.clip, seed=args.seed, epochs=args.epochs)
    _, result = train_or_load(cfg, delta=args.delta, data_dir=args.data_dir, progress=not args.quiet)
    out = result.summary(delta=args.delta)
    out.update(profile=args.profile, train_size=result.train_size, data_source=result.data_source)
    print(json.dumps(_jsonable(out)))
    return 0


def _use_executor(args: argparse.Namespace) -> None:
    """``--executor``/``--address``: for ``ray``, join the cluster (or start a local one) now, so that a wrong
    address or a missing Ray is one line before any work, and export both for the kernels started later."""
    from dprob_utils.config.parallel import EXECUTOR_ENV

    if args.address and args.executor != "ray":
        raise ConfigError("--address is for --executor ray")
    os.environ[EXECUTOR_ENV] = args.executor
    if args.executor == "ray":
        from dprob_utils.config.ray_cluster import connect, ray_module

        address = connect(args.address)
        resources = ray_module().cluster_resources()
        nodes = sum(1 for n in ray_module().nodes() if n.get("Alive"))
        print(f"dprob: Ray cluster at {address}: {nodes} node{'s' if nodes > 1 else ''}, "
              f"{resources.get('CPU', 0):g} CPUs, {resources.get('GPU', 0):g} GPUs", file=sys.stderr)


def cmd_train_all(args: argparse.Namespace) -> int:
    """Every model of the training chapter (paper 1's and paper 2's MNIST models, with their seeds), trained by
    the executor or loaded; one JSON line per model, in the chapter's order."""
    from dprob_utils.config.profiles import get_profile
    from dprob_utils.models import zoo

    args.profile = _profile(args)
    profile = get_profile(args.profile)
    _use_executor(args)
    specs = zoo.training_specs(profile)
    start = time.perf_counter()
    trained = zoo.train_missing([s.config for s in specs], profile, jobs=args.jobs, progress=not args.quiet)
    wall = time.perf_counter() - start
    for spec in specs:
        _, result = zoo.load(spec.config, profile)
        row = result.summary(delta=profile.delta)
        row.update(group=spec.group, label=spec.label, seed=spec.config.seed, trained_now=row["key"] in trained)
        row.pop("cached")
        print(json.dumps(_jsonable(row)))
    print(f"dprob: {len(trained)} trained now, {len(specs) - len(trained)} from the cache, {wall:.1f} s "
          f"({args.executor} executor)", file=sys.stderr)
    return 0


def cmd_epsilon(args: argparse.Namespace) -> int:
    from dprob_utils.dp.privacy import privacy_spent, steps_for

    if args.sigma < 0:
        raise ConfigError(f"sigma must be >= 0, got {args.sigma}")
    q, steps = steps_for(args.dataset_size, args.batch_size, args.epochs)
    spent = privacy_spent(args.sigma, q, steps, args.delta)
    print(json.dumps(_jsonable(spent.to_dict())))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from dprob_utils.book.runner import run_notebooks
    from dprob_utils.config.profiles import get_profile

    args.profile = _profile(args)
    get_profile(args.profile)
    _use_executor(args)
    start = time.perf_counter()
    timings = run_notebooks(args.notebooks, args.profile, jobs=args.jobs)
    _print_timings(timings, time.perf_counter() - start)
    _write_metrics(args.profile)
    return 0


def _write_metrics(profile: str) -> None:
    from dprob_utils.book.metrics import write_metrics

    csv, _ = write_metrics(profile)
    print(f"every number of this build: {csv} (and .parquet)")


def _print_timings(timings: list[dict], wall: float, build: float | None = None) -> None:
    """Per-notebook breakdown. Notebooks of one stage run side by side, so their times overlap: the wall-clock
    total is less than their sum."""
    for t in timings:
        print(f"{t['notebook']:<40s} {t['seconds']:8.1f} s")
    print(f"{'sum of notebook times':<40s} {sum(t['seconds'] for t in timings):8.1f} s")
    print(f"{'notebooks, wall clock':<40s} {wall:8.1f} s")
    if build is not None:
        print(f"{'jupyter-book build':<40s} {build:8.1f} s")
        print(f"{'total, wall clock':<40s} {wall + build:8.1f} s")


def cmd_book(args: argparse.Namespace) -> int:
    from dprob_utils.book.runner import build_book, run_notebooks
    from dprob_utils.config.profiles import get_profile

    args.profile = _profile(args)
    get_profile(args.profile)
    if not args.no_execute:
        _use_executor(args)
    models_before = _cached_models()
    start = time.perf_counter()
    timings = [] if args.no_execute else run_notebooks(args.notebooks, args.profile, jobs=args.jobs)
    wall = time.perf_counter() - start
    if timings:
        _write_metrics(args.profile)
    index = build_book(args.profile, execute=False)
    build = time.perf_counter() - start - wall
    _print_timings(timings, wall, build)
    if timings:
        _log_book_run(args.profile, timings, wall, build, _cached_models() - models_before, args.jobs)
    print(f"book built: {index}")
    return 0


def free_port(start: int = 8866, tries: int = 100) -> int:
    """The first port from ``start`` on that nothing listens on at 127.0.0.1."""
    import socket

    for port in range(start, start + tries):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ConfigError(f"no free port in {start}-{start + tries - 1}; pass --port")


def explore_command(profile: str, port: int) -> list[str]:
    """The Voilà command that serves the explorer app (``dprob_utils/book/app/explore.ipynb``) on localhost."""
    from importlib.resources import files

    app = files("dprob_utils.book") / "app" / "explore.ipynb"
    return [sys.executable, "-m", "voila", str(app), f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1",
            "--show_tracebacks=False", "--template=dprob",
            '--VoilaConfiguration.extension_denylist=["jupyterlab-jupytext", "jupyterlab-plotly"]']


def explore_environment(profile: str) -> dict[str, str]:
    """The app's environment: its profile, no terminal progress bars, and the ``dprob`` Voilà template (local
    style sheets only) on Jupyter's search path."""
    from importlib.resources import files

    share = str(files("dprob_utils.book") / "app" / "jupyter")
    path = os.pathsep.join(p for p in (share, os.environ.get("JUPYTER_PATH", "")) if p)
    return dict(os.environ, DPROB_EXPLORE_PROFILE=profile, DPROB_PROGRESS="0", JUPYTER_PATH=path)


def cmd_explore(args: argparse.Namespace) -> int:
    import importlib.util

    from dprob_utils.config.profiles import get_profile

    get_profile(args.profile)
    if importlib.util.find_spec("voila") is None:
        raise ConfigError("the explorer app needs Voilà: pip install -e '.[interactive]' (scripts/setup.sh does)")
    if args.port is not None and not 0 < args.port < 65536:
        raise ConfigError(f"--port must be in 1-65535, got {args.port}")
    port = args.port or free_port()
    print(f"dprob explore: the explorer (profile {args.profile}) at http://127.0.0.1:{port}/ (Ctrl-C stops it)",
          flush=True)
    return _serve(explore_command(args.profile, port), explore_environment(args.profile))


def _serve(cmd: list[str], env: dict[str, str]) -> int:
    """Run the server ``cmd`` until it ends; a SIGTERM to this process stops it too (and so its kernels), which
    ``subprocess.call`` would leave running. Ctrl-C reaches both: they share the terminal's process group."""
    import signal
    import subprocess

    proc = subprocess.Popen(cmd, env=env)
    previous = signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                proc.terminate()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _results_folder(name: str) -> Path:
    from dprob_utils.config.paths import results_dir

    path = Path(name)
    if path.is_dir():
        return path
    if "/" not in name and (Path(results_dir(name))).is_dir() and any(Path(results_dir(name)).glob("*.json")):
        return Path(results_dir(name))
    raise ConfigError(f"{name}: not a results folder (a path, or a profile name under results/)")


def cmd_compare(args: argparse.Namespace) -> int:
    from dprob_utils.book.compare import compare, differences, report

    a, b = _results_folder(args.a), _results_folder(args.b)
    rename = {}
    for item in args.rename:
        old, sep, new = item.partition("=")
        if not sep or not old or not new:
            raise ConfigError(f"--rename wants OLD=NEW (a results file's stem in A and in B), got {item!r}")
        rename[old] = new
    diff = compare(a, b, rel=args.rel, rename=rename)
    for line in report(diff, a, b):
        print(line)
    return 1 if args.strict and differences(diff) else 0


def _cached_models() -> int:
    from dprob_utils.store.model_cache import ModelCache

    return sum(1 for _ in ModelCache().root.glob("*/*.json"))


def _log_book_run(profile: str, timings: list[dict], wall: float, build: float, trained: int,
                  jobs: int | None) -> None:
    """Append this run to ``results/<profile>/book_runs.jsonl``: cold runs (models trained) and warm runs (none)
    stay side by side, where ``notebook_timings.json`` keeps only each notebook's last time."""
    import json
    import os
    from datetime import datetime, timezone

    from dprob_utils.book.runner import default_jobs
    from dprob_utils.config.paths import results_dir

    record = {"finished": datetime.now(timezone.utc).isoformat(timespec="seconds"), "models_trained": trained,
              "jobs": jobs or default_jobs(), "cpus": os.cpu_count(), "notebooks_wall_s": round(wall, 1),
              "build_s": round(build, 1), "total_s": round(wall + build, 1),
              "notebooks_s": {t["notebook"]: t["seconds"] for t in timings}}
    with open(results_dir(profile) / "book_runs.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")


def cmd_explain(args: argparse.Namespace) -> int:
    from dprob_utils.dp.fast.bk_clipping import explain
    from dprob_utils.models.architectures import build_model

    shape = (3, 32, 32) if args.arch == "p1_cifar_net" else (1, 28, 28)
    rows = explain(build_model(args.arch), shape, args.batch_size)
    print(f"{'layer':<8s} {'type':<8s} {'weights':>9s}  path")
    for r in rows:
        fused = " (clipped sum fused with the norms, chunk by chunk)" if r["fused"] else ""
        print(f"{r['layer']:<8s} {r['type']:<8s} {r['weights']:9d}  {r['path']}{fused}")
    return 0


JOBS_HELP = "notebooks run side by side after the training chapter (default $DPROB_JOBS, else 2)"


def _executable(p: argparse.ArgumentParser) -> None:
    p.add_argument("--executor", choices=["local", "ray"], default=os.environ.get("DPROB_EXECUTOR") or "local",
                   help="local: processes on this machine (default); ray: Ray tasks on a cluster (pip install "
                        "'dprob[ray]')")
    p.add_argument("--address", default=None, metavar="HOST:PORT",
                   help="the Ray cluster to join (default $DPROB_RAY_ADDRESS, else a new local cluster)")


def _overridable(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[],
                   help="override one setting of the profile, e.g. p1_grid.fig3a_sigmas=[0.5,1,2] or seeds=5 "
                        "(repeatable; results go to results/<profile>-<hash>/)")
    p.add_argument("--config", default=None, metavar="FILE.yaml",
                   help="overrides from a YAML file (nested or dotted keys), applied before --set")


def build_parser() -> argparse.ArgumentParser:
    from dprob_utils import __version__

    p = _Parser(prog="dprob", description="Replication book: DP-SGD and adversarial robustness.")
    p.add_argument("--version", action="version", version=f"dprob {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train a model (or load it from the cache) and print a JSON summary")
    t.add_argument("--arch", required=True, help="p1_mnist_cnn, p2_lenet or p2_custom")
    t.add_argument("--mode", default=None, choices=["sgd", "dpsgd", "dpsgd-fixed-noise"],
                   help="default: dpsgd when --sigma is given, else sgd")
    t.add_argument("--sigma", type=float, default=None, help="noise multiplier sigma (>= 0)")
    t.add_argument("--clip", type=float, default=1.0, help="clipping bound C (> 0)")
    t.add_argument("--profile", default="quick", help="smoke, quick or paper (default quick)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--epochs", type=int, default=None, help="override the profile's number of epochs")
    t.add_argument("--delta", type=float, default=1e-5)
    t.add_argument("--data-dir", default=None, help="directory with the datasets (default $DPROB_DATA, ../shared/data)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    _overridable(t)
    t.set_defaults(func=cmd_train)

    ta = sub.add_parser("train-all", help="train every model of the training chapter (or load it); a JSON line each")
    ta.add_argument("--profile", default="quick", help="smoke, quick or paper (default quick)")
    ta.add_argument("--jobs", type=int, default=None, help="local executor: trainings side by side (default 2)")
    ta.add_argument("--quiet", action="store_true", help="no progress bar")
    _overridable(ta)
    _executable(ta)
    ta.set_defaults(func=cmd_train_all)

    e = sub.add_parser("epsilon", help="privacy spent by DP-SGD (RDP, PRV and paper 1 eq. (1))")
    e.add_argument("--sigma", type=float, required=True)
    e.add_argument("--batch-size", type=int, required=True)
    e.add_argument("--dataset-size", type=int, required=True)
    e.add_argument("--epochs", type=int, required=True)
    e.add_argument("--delta", type=float, default=1e-5)
    e.set_defaults(func=cmd_epsilon)

    r = sub.add_parser("run", help="execute notebooks with papermill into book/chapters/")
    r.add_argument("notebooks", nargs="*", help="notebook names (default: all)")
    r.add_argument("--profile", default="quick")
    r.add_argument("--jobs", type=int, default=None, help=JOBS_HELP)
    _overridable(r)
    _executable(r)
    r.set_defaults(func=cmd_run)

    b = sub.add_parser("book", help="run every notebook, then build the HTML book")
    b.add_argument("notebooks", nargs="*", help="only these notebooks (default: all)")
    b.add_argument("--profile", default="quick")
    b.add_argument("--no-execute", action="store_true", help="render the already executed notebooks")
    b.add_argument("--jobs", type=int, default=None, help=JOBS_HELP)
    _overridable(b)
    _executable(b)
    b.set_defaults(func=cmd_book)
    cp = sub.add_parser("compare", help="the numbers, texts and verdicts that differ between two results folders")
    cp.add_argument("a", help="a results folder, or a profile name (results/<name>/)")
    cp.add_argument("b")
    cp.add_argument("--rel", type=float, default=1e-9, help="relative tolerance of a number (default 1e-9)")
    cp.add_argument("--rename", action="append", default=[], metavar="OLD=NEW",
                    help="a chapter's results file renamed between the two folders (stem in A = stem in B)")
    cp.add_argument("--strict", action="store_true", help="exit 1 when anything differs (the no-number-moves check)")
    cp.set_defaults(func=cmd_compare)
    ex = sub.add_parser("explore", help="serve the σ/C explorer app (Voilà) on localhost and print its address")
    ex.add_argument("--profile", default="quick", help="smoke, quick or paper (default quick)")
    ex.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: the first free from 8866)")
    ex.set_defaults(func=cmd_explore)
    x = sub.add_parser("explain", help="which per-example gradient path DP-SGD takes for each layer of a model")
    x.add_argument("arch", help="p1_mnist_cnn, p2_lenet, p2_custom or p1_cifar_net")
    x.add_argument("--batch-size", type=int, default=256)
    x.set_defaults(func=cmd_explain)
    bn = sub.add_parser("bench", help="training throughput: SGD vs DP-SGD (book-keeping, Opacus ghost, Opacus hooks)", add_help=False)
    bn.add_argument("rest", nargs=argparse.REMAINDER, help="see dprob bench --help")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from dprob_utils.config.allocator import tune_malloc

    tune_malloc()  # before torch's import: see dprob_utils.config.allocator
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:  # the benchmark has its own options (argparse.REMAINDER cannot take "--x" first)
        from dprob_utils.cli.bench import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    if getattr(args, "mode", "x") is None:
        args.mode = "dpsgd" if args.sigma is not None else "sgd"
    if getattr(args, "sigma", 0.0) is None:
        args.sigma = 0.0
    try:
        return args.func(args)
    except (DprobError, ValueError) as exc:
        print(f"dprob: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dprob: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

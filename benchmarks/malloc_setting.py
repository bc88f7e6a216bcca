"""Training throughput and page faults under three glibc malloc settings, side by side in one run.

    python benchmarks/malloc_setting.py [--archs p1_mnist_cnn p2_lenet p2_custom] [--images 4096] [--rounds 3]

Settings (each run in a fresh process, since a heap shaped by one setting serves the next; round-robin, so that
all see the same machine):

- ``glibc default``: blocks above 128 KiB-32 MiB (glibc adapts it) from ``mmap``, unmapped on free; heap trimmed
  when more than the threshold is free at its top;
- ``mmap off, trim 0``: what :mod:`dprob_utils.config.allocator` set until 2026-11 (its 1 << 40 reached glibc as 0);
- ``dprob``: :func:`dprob_utils.config.allocator.tune_malloc` now (mmap off, heap trimmed only above 2 GiB free).

For each architecture, SGD and DP-SGD (book-keeping clipping, sigma 1.3, C 1) at batch 256 train one epoch over
``--images`` MNIST images, alternating, :data:`EPOCHS` times each in one process (the first is a warm-up); it
prints the median images per second over processes and epochs, minor page faults per step, the peak resident
memory of the process, and DP-SGD's speed relative to SGD under the same setting.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

EPOCHS = 4  # per mode and process, alternating SGD and DP-SGD
SETTINGS = {
    "glibc default": None,
    "mmap off, trim 0": (0, 0),
    "dprob": "tune_malloc",
}


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def worker(setting: str, arch: str, images: int, batch: int) -> dict:
    """One process: apply ``setting``, warm up, time one SGD and one DP-SGD epoch."""
    from dprob_utils.config import allocator

    rule = SETTINGS[setting]
    if rule == "tune_malloc":
        os.environ["DPROB_MALLOC_TUNING"] = "1"
        allocator._applied = None
        ok = allocator.tune_malloc()
    elif rule is None:
        ok = True
    else:
        ok = allocator.mallopt(allocator.M_MMAP_MAX, rule[0]) and allocator.mallopt(allocator.M_TRIM_THRESHOLD,
                                                                                     rule[1])
    if not ok:
        raise SystemExit("mallopt failed (not glibc?): nothing to compare")
    from dprob_utils.cli.bench import time_variant
    from dprob_utils.data.datasets import load_dataset, subset

    ds = subset(load_dataset("mnist", "train"), images, "first")
    steps = max(1, images // batch)
    times: dict[str, list[float]] = {"sgd": [], "dpsgd": [], "sgd faults": [], "dpsgd faults": []}
    for _ in range(EPOCHS):
        for mode in ("sgd", "dpsgd"):
            f0 = _faults()
            times[mode].append(time_variant(arch, mode, "bk", ds.x, ds.y, batch))
            times[mode + " faults"].append((_faults() - f0) / steps)
    # the first epoch of each is a warm-up; later ones meet the heap that earlier trainings left behind, as the
    # book's kernels do
    out = {k: statistics.median(v[1:]) for k, v in times.items()}
    out["peak MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["p1_mnist_cnn", "p2_lenet", "p2_custom"])
    ap.add_argument("--images", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--worker", nargs=2, metavar=("SETTING", "ARCH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker, args.images, args.batch)))
        return 0
    print(f"{args.images} images, batch {args.batch}, median of {args.rounds} round-robin rounds, one process each")
    print(f"{'architecture':<14s} {'setting':<18s} {'SGD im/s':>9s} {'DP im/s':>8s} {'DP/SGD':>7s} "
          f"{'faults/step SGD':>16s} {'DP':>6s} {'peak MB':>8s}", flush=True)
    env = {**os.environ, "DPROB_MALLOC_TUNING": "0"}  # each worker sets its own
    for arch in args.archs:
        runs: dict[str, list[dict]] = {name: [] for name in SETTINGS}
        for _ in range(args.rounds):
            for name in SETTINGS:
                cmd = [sys.executable, __file__, "--worker", name, arch, "--images", str(args.images),
                       "--batch", str(args.batch)]
                out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
                runs[name].append(json.loads(out.strip().splitlines()[-1]))
        for name, rs in runs.items():
            med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
            print(f"{arch:<14s} {name:<18s} {med['sgd']:9.0f} {med['dpsgd']:8.0f} {med['dpsgd'] / med['sgd']:6.2f}x "
                  f"{med['sgd faults']:16.0f} {med['dpsgd faults']:6.0f} {med['peak MB']:8.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

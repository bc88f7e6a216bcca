"""DP-SGD and SGD training throughput of an earlier revision beside the working tree, in alternating processes.

    python benchmarks/compare_revisions.py --base REV [--archs p1_mnist_cnn p2_lenet p2_custom] [--threads 1]
        [--rounds 3] [--images 4096]

The machine's speed drifts (by up to 20% within an hour here), so a change is measured by alternating fresh
processes of the code before it (a temporary ``git worktree`` at ``REV``, imported first through ``PYTHONPATH``)
and after it (this checkout, uncommitted edits included). Each process trains one epoch of SGD and of DP-SGD
(book-keeping clipping, sigma 1.3, C 1, batch 256) over ``--images`` MNIST images after a warm-up, three times;
it prints the median images per second of each and DP-SGD's speed relative to SGD.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKER = """
import json, sys
from dprob_utils.cli.bench import time_variant
from dprob_utils.data.datasets import load_dataset, subset
arch, images = sys.argv[1], int(sys.argv[2])
ds = subset(load_dataset("mnist", "train"), images, "first")
for mode in ("sgd", "dpsgd"):
    time_variant(arch, mode, "bk", ds.x[:512], ds.y[:512], 256)
out = {"sgd": [], "dpsgd": []}
for _ in range(3):
    for mode in out:
        out[mode].append(time_variant(arch, mode, "bk", ds.x, ds.y, 256))
print(json.dumps(out))
"""


def _run(tree: Path, arch: str, images: int, threads: int, data: str | None) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": str(threads)}
    if data:
        env["DPROB_DATA"] = data
    out = subprocess.run([sys.executable, "-c", WORKER, arch, str(images)], cwd=tree, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="the earlier revision (commit, tag, branch)")
    ap.add_argument("--archs", nargs="+", default=["p1_mnist_cnn", "p2_lenet", "p2_custom"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--images", type=int, default=4096)
    args = ap.parse_args(argv)
    from dprob_utils.config.paths import shared_data_dir

    shared = shared_data_dir()
    data = os.environ.get("DPROB_DATA") or (str(shared) if shared else None)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), args.base],
                       check=True)
        try:
            print(f"{args.base} vs working tree, {args.threads} thread(s), {args.images} images, batch 256, "
                  f"{args.rounds} alternating rounds of 3 epochs each")
            print(f"{'architecture':<14s} {'code':<14s} {'SGD im/s':>9s} {'DP im/s':>8s} {'DP/SGD':>7s}", flush=True)
            for arch in args.archs:
                runs: dict[str, list[dict]] = {"base": [], "working tree": []}
                for _ in range(args.rounds):
                    for name, tree in (("base", base), ("working tree", ROOT)):
                        runs[name].append(_run(tree, arch, args.images, args.threads, data))
                for name, rs in runs.items():
                    sgd, dp = (statistics.median(v for r in rs for v in r[m]) for m in ("sgd", "dpsgd"))
                    label = args.base if name == "base" else name
                    print(f"{arch:<14s} {label[:14]:<14s} {sgd:9.0f} {dp:8.0f} {dp / sgd:6.2f}x", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Training throughput (images per second) of SGD and DP-SGD, measured side by side in one run.

For each architecture it times one pass of the real training loop (:func:`dprob_utils.training.fit`) over the
same MNIST images with plain SGD, DP-SGD with Opacus ghost clipping (what dprob uses), and DP-SGD with Opacus's
default per-sample hooks, round-robin over ``--repeats`` rounds (median reported), so that all three see the same
machine state. Prints a table with ratios to SGD.

    dprob bench [--archs p1_mnist_cnn p2_lenet p2_custom] [--images 4096] [--batch 256]
    python benchmarks/train_throughput.py ...   (the same)
"""

from __future__ import annotations

import argparse
import statistics

import torch

from dprob_utils.data import load_dataset, subset
from dprob_utils.models import build_model
from dprob_utils.training import TrainConfig, fit

VARIANTS = (("SGD", "sgd", "ghost"), ("DP-SGD ghost", "dpsgd", "ghost"), ("DP-SGD hooks", "dpsgd", "hooks"))


def time_variant(arch: str, mode: str, gsm: str, x: torch.Tensor, y: torch.Tensor, batch: int) -> float:
    """Images per second of one training epoch over ``x``."""
    torch.manual_seed(0)
    model = build_model(arch)
    cfg = TrainConfig(arch=arch, mode=mode, sigma=1.3, clip=1.0, lr=0.05, batch_size=batch, epochs=1)
    _, seconds, _ = fit(model, x, y, cfg, grad_sample_mode=gsm, progress=False)
    return len(y) / seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="dprob bench", description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["p1_mnist_cnn", "p2_lenet", "p2_custom"])
    ap.add_argument("--images", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    ds = subset(load_dataset("mnist", "train"), args.images, "first")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.images} images, batch {args.batch}, "
          f"median of {args.repeats} round-robin repeats")
    print(f"{'architecture':<14s} {'variant':<14s} {'images/s':>9s} {'vs SGD':>7s} {'ghost/hooks':>12s}")
    for arch in args.archs:
        # warm-up (allocator, Opacus hook registration) not timed
        for _, mode, gsm in VARIANTS:
            time_variant(arch, mode, gsm, ds.x[: args.batch * 2], ds.y[: args.batch * 2], args.batch)
        runs: dict[str, list[float]] = {name: [] for name, _, _ in VARIANTS}
        for _ in range(args.repeats):
            for name, mode, gsm in VARIANTS:
                runs[name].append(time_variant(arch, mode, gsm, ds.x, ds.y, args.batch))
        med = {k: statistics.median(v) for k, v in runs.items()}
        for name, _, _ in VARIANTS:
            extra = f"{med['DP-SGD ghost'] / med['DP-SGD hooks']:11.1f}x" if name == "DP-SGD ghost" else ""
            print(f"{arch:<14s} {name:<14s} {med[name]:9.0f} {med[name] / med['SGD']:6.2f}x {extra:>12s}")
    return 0



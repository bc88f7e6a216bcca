"""Training throughput (images per second) of SGD and DP-SGD, measured side by side in one run.

For each architecture it times one pass of the real training loop (:func:`dprob_utils.training.fit`) over the
same MNIST images with plain SGD, DP-SGD with dprob's book-keeping clipping (:mod:`dprob_utils.bk_clipping`,
what the book uses), with Opacus's ghost clipping and with Opacus's default per-sample hooks, round-robin over
``--repeats`` rounds (median reported), so that all of them see the same machine state. Prints a table with
ratios to SGD and to Opacus's hooks. All DP variants add Opacus's noise through Opacus's optimizers.

With ``--attacks`` it also times paper 2's two expensive attacks (Foolbox Boundary L2 and Carlini-Wagner L2, as
:mod:`dprob_utils.decision_attacks` runs them) on a briefly trained custom CNN, batched over all samples and one
sample at a time, and prints samples·iterations per second and the batching speed-up.

    dprob bench [--archs p1_mnist_cnn p2_lenet p2_custom] [--images 4096] [--batch 256] [--attacks]
    python benchmarks/train_throughput.py ...   (the same)
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from dprob_utils.data import load_dataset, subset
from dprob_utils.models import build_model
from dprob_utils.training import TrainConfig, fit

VARIANTS = (("SGD", "sgd", "bk"), ("DP-SGD bk", "dpsgd", "bk"), ("Opacus ghost", "dpsgd", "ghost"),
            ("Opacus hooks", "dpsgd", "hooks"))


def time_variant(arch: str, mode: str, gsm: str, x: torch.Tensor, y: torch.Tensor, batch: int) -> float:
    """Images per second of one training epoch over ``x``."""
    torch.manual_seed(0)
    model = build_model(arch)
    cfg = TrainConfig(arch=arch, mode=mode, sigma=1.3, clip=1.0, lr=0.05, batch_size=batch, epochs=1)
    _, seconds, _ = fit(model, x, y, cfg, grad_sample_mode=gsm, progress=False)
    return len(y) / seconds


def time_attacks(samples: int, ba_steps: int, cw_steps: int, single: int) -> list[tuple[str, str, float]]:
    """(attack, how, samples·iterations per second) of Boundary and CW on ``samples`` test images batched, and on
    ``single`` of them one at a time. CW runs one binary-search round without early abort, so that every sample
    really runs ``cw_steps`` iterations."""
    import foolbox as fb

    from dprob_utils.decision_attacks import _run_cw, boundary_attack

    train = subset(load_dataset("mnist", "train"), 5000, "first")
    model = build_model("p2_custom")
    cfg = TrainConfig(arch="p2_custom", lr=0.5, batch_size=64, epochs=1)
    fit(model, train.x, train.y, cfg, progress=False)
    model.eval()
    test = subset(load_dataset("mnist", "test"), samples, "first")
    cw = fb.attacks.L2CarliniWagnerAttack(binary_search_steps=1, steps=cw_steps, initial_const=1.0,
                                          abort_early=False)
    runs = {"Boundary L2": (ba_steps, lambda x, y, b: boundary_attack(model, x, y, ba_steps, batch_size=b,
                                                                           update_stats_every_k=1)),
            "CW L2": (cw_steps, lambda x, y, b: _run_cw(model, cw, x, y, b))}
    out = []
    for name, (steps, run) in runs.items():
        for how, n, b in (("batched", samples, samples), ("one at a time", single, 1)):
            t = time.perf_counter()
            run(test.x[:n], test.y[:n], b)
            out.append((name, how, n * steps / (time.perf_counter() - t)))
    return out


def print_attacks(samples: int, ba_steps: int, cw_steps: int, single: int) -> None:
    print(f"\nattacks on the custom CNN: {samples} samples batched, {single} one at a time; "
          f"Boundary {ba_steps} steps, CW {cw_steps} steps")
    print(f"{'attack':<12s} {'how':<14s} {'samples*it/s':>13s} {'speed-up':>9s}")
    rows = time_attacks(samples, ba_steps, cw_steps, single)
    base = {name: rate for name, how, rate in rows if how == "one at a time"}
    for name, how, rate in rows:
        print(f"{name:<12s} {how:<14s} {rate:13.0f} {rate / base[name]:8.1f}x")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="dprob bench", description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["p1_mnist_cnn", "p2_lenet", "p2_custom"])
    ap.add_argument("--images", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--attacks", action="store_true", help="also time the Boundary and CW attacks")
    ap.add_argument("--attack-samples", type=int, default=200)
    args = ap.parse_args(argv)
    ds = subset(load_dataset("mnist", "train"), args.images, "first")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.images} images, batch {args.batch}, "
          f"median of {args.repeats} round-robin repeats")
    print(f"{'architecture':<14s} {'variant':<14s} {'images/s':>9s} {'vs SGD':>7s} {'vs hooks':>9s}")
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
            print(f"{arch:<14s} {name:<14s} {med[name]:9.0f} {med[name] / med['SGD']:6.2f}x "
                  f"{med[name] / med['Opacus hooks']:8.1f}x")
    if args.attacks:
        print_attacks(args.attack_samples, ba_steps=200, cw_steps=100, single=10)
    return 0



"""The shifted poolings of ``dprob_utils.models.pooling`` against PyTorch's CPU kernels, round-robin: LeNet's
average pooling per layer (forward, backward) and in a whole SGD step, and every MNIST model's inference
(no gradient, where the max-poolings take the shifted path too). Both give bit-identical numbers (tests).

    python benchmarks/pooling.py [--threads 1] [--batch 256] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn
from torch.nn import functional as F

from dprob_utils.models.architectures import INPUT_SHAPES, build_model
from dprob_utils.models.pooling import _ShiftedAvgPool, with_pytorch_poolings


def best_ms(fn, rounds: int, reps: int = 20) -> float:
    fn()
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t) / reps)
    return best * 1e3


def model(arch: str, shifted: bool) -> nn.Module:
    """``arch`` as the book builds it, or (``shifted=False``) with PyTorch's own pooling layers."""
    return build_model(arch) if shifted else with_pytorch_poolings(build_model(arch))


def layer(batch: int, c: int, hw: int, rounds: int) -> None:
    """One pooling layer of LeNet on ``[batch, c, hw, hw]``: both kernels, forward and backward."""
    x = torch.rand(batch, c, hw, hw).to(memory_format=torch.channels_last)
    g = torch.rand(batch, c, hw - 1, hw - 1)  # the second pooling's gradient comes NCHW from nn.Flatten
    if c == 6:
        g = g.to(memory_format=torch.channels_last)
    ctx = type("Ctx", (), {"saved_tensors": (x,)})()
    fwd = (best_ms(lambda: F.avg_pool2d(x, 2, 1), rounds), best_ms(lambda: _ShiftedAvgPool.forward(x), rounds))
    bwd = (best_ms(lambda: torch.ops.aten.avg_pool2d_backward(g, x, [2, 2], [1, 1], [0, 0], False, True, None),
                   rounds), best_ms(lambda: _ShiftedAvgPool.backward(ctx, g), rounds))
    print(f"[{batch}, {c}, {hw}, {hw}]  forward aten {fwd[0]:.3f} shifted {fwd[1]:.3f}   "
          f"backward aten {bwd[0]:.3f} shifted {bwd[1]:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"{a.threads} thread(s), batch {a.batch}; best of {a.rounds} rounds, ms")
    for c, hw in ((6, 26), (16, 23)):
        layer(a.batch, c, hw, a.rounds)
    x, y = torch.rand(a.batch, 1, 28, 28), torch.randint(0, 10, (a.batch,))
    models = {"aten": model("p2_lenet", False), "shifted": model("p2_lenet", True)}

    def step(m: nn.Module) -> None:
        m.zero_grad(set_to_none=True)
        F.cross_entropy(m(x), y).backward()

    times = {k: [] for k in models}
    for _ in range(a.rounds):
        for k, m in models.items():
            times[k].append(best_ms(lambda m=m: step(m), 1, reps=10))
    aten, ours = min(times["aten"]), min(times["shifted"])
    print(f"LeNet SGD step (forward + backward): aten {aten:.1f} ms, shifted {ours:.1f} ms ({aten / ours:.2f}x)")
    for arch in ("p1_mnist_cnn", "p2_custom", "p2_lenet", "p1_cifar_net"):
        for batch in (30, 1000):  # the Boundary attack's batch; evaluation
            inference(arch, batch, a.rounds)


def inference(arch: str, batch: int, rounds: int) -> None:
    """Forward passes without a gradient, both poolings alternating."""
    x = torch.rand(batch, *INPUT_SHAPES[arch])
    models = {"aten": model(arch, False).eval(), "shifted": model(arch, True).eval()}
    if arch == "p1_cifar_net":  # chapter 07 builds it NCHW (CifarNet directly, not build_model)
        models = {k: m.to(memory_format=torch.contiguous_format) for k, m in models.items()}
    times = {k: [] for k in models}
    with torch.no_grad():
        for _ in range(rounds):
            for k, m in models.items():
                times[k].append(best_ms(lambda m=m: m(x), 1))
    aten, ours = min(times["aten"]), min(times["shifted"])
    print(f"{arch} inference, batch {batch}: aten {aten:.2f} ms, shifted {ours:.2f} ms ({aten / ours:.2f}x)")


if __name__ == "__main__":
    main()

"""Where the time of one DP-SGD step goes: an SGD step beside a book-keeping (bk) step, and each trainable layer's
share of the bk overhead (per-example norms, clipped sums; convolutions: per-example gradients beside the
weight gradient SGD computes). Milliseconds, median of repeated runs on random MNIST-shaped data.

    python benchmarks/dp_step_breakdown.py [--arch p1_mnist_cnn] [--batch 1024] [--repeats 10] [--optimizer]

With ``--optimizer`` it also times one optimizer step (noise, scaling, update) of Opacus's
``DPOptimizerFastGradientClipping`` beside dprob's :class:`~dprob_utils.dp.fast.dp_optimizer.BookKeepingDPOptimizer`,
interleaved, on the same clipped gradients.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from dprob_utils.dp.fast import bk_clipping as bk
from dprob_utils.models.architectures import build_model


def median_ms(f, repeats: int) -> float:
    f()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times)[len(times) // 2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="p1_mnist_cnn")
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--optimizer", action="store_true", help="also time Opacus's optimizer step beside dprob's")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    model = build_model(args.arch).train()
    x, y = torch.rand(args.batch, 1, 28, 28), torch.randint(0, 10, (args.batch,))

    def sgd_step():
        model.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), y).backward()

    def forward():
        with torch.no_grad():
            model(x)

    print(f"{args.arch}, batch {args.batch}, {torch.get_num_threads()} threads (ms, median of {args.repeats})")
    print(f"{'SGD forward + backward':<44s} {median_ms(sgd_step, args.repeats):8.1f}")
    print(f"{'forward only':<44s} {median_ms(forward, args.repeats):8.1f}")
    clipper = bk.BookKeepingClipper(model, 1.0)

    def bk_step():
        model.zero_grad(set_to_none=True)
        clipper.backward(nn.functional.cross_entropy(model(x), y, reduction="none"))

    def output_grads():
        loss = nn.functional.cross_entropy(model(x), y, reduction="none")
        records = [clipper._records[m] for m in clipper.layers]
        clipper._records.clear()
        return records, torch.autograd.grad(loss.sum(), [out for _, out in records])

    print(f"{'bk step (forward, backward, clipped sums)':<44s} {median_ms(bk_step, args.repeats):8.1f}")
    print(f"{'  forward + gradients w.r.t. layer outputs':<44s} {median_ms(output_grads, args.repeats):8.1f}")
    records, grads = output_grads()
    factor = torch.rand(args.batch)
    for layer, (a, _), g in zip(clipper.layers, records, grads, strict=True):
        parts = median_ms(lambda layer=layer, a=a, g=g: bk._layer_parts(layer, a, g), args.repeats)
        _, clipped = bk._layer_parts(layer, a, g)
        summed = median_ms(lambda clipped=clipped: clipped(factor), args.repeats)
        line = f"  {type(layer).__name__} {tuple(a.shape[1:])}: norms {parts:.1f}, clipped sum {summed:.1f}"
        if isinstance(layer, nn.Conv2d):
            sgd_way = median_ms(lambda layer=layer, a=a, g=g: torch.nn.grad.conv2d_weight(
                a, layer.weight.shape, g, layer.stride, layer.padding, layer.dilation), args.repeats)
            line += f" (SGD's weight gradient {sgd_way:.1f})"
        print(line)
    clipper.close()
    if args.optimizer:
        print_optimizer_steps(model, args.repeats)
    return 0


def print_optimizer_steps(model: nn.Module, repeats: int) -> None:
    """Median ms of one DP optimizer step, Opacus's and dprob's, interleaved over ``repeats`` rounds."""
    from opacus.optimizers import DPOptimizerFastGradientClipping

    from dprob_utils.dp.fast.dp_optimizer import BookKeepingDPOptimizer

    params = [p for p in model.parameters() if p.requires_grad]
    grads = [torch.randn_like(p) for p in params]
    kinds = {"Opacus DPOptimizerFastGradientClipping": DPOptimizerFastGradientClipping,
             "dprob BookKeepingDPOptimizer": BookKeepingDPOptimizer}
    opts = {name: cls(torch.optim.SGD(params, lr=1e-9), noise_multiplier=1.3, max_grad_norm=1.0,
                      expected_batch_size=256, generator=torch.Generator().manual_seed(0))
            for name, cls in kinds.items()}
    times: dict[str, list[float]] = {name: [] for name in opts}
    for _ in range(repeats + 1):
        for name, opt in opts.items():
            for p, g in zip(params, grads, strict=True):
                p.grad = g.clone()
            start = time.perf_counter()
            opt.step()
            times[name].append(time.perf_counter() - start)
            opt.zero_grad(set_to_none=True)
    n = sum(p.numel() for p in params)
    for name, ts in times.items():
        ms = 1000 * sorted(ts[1:])[len(ts[1:]) // 2]
        print(f"{'optimizer step, ' + name:<44s} {ms:8.2f}  ({n} weights)")


if __name__ == "__main__":
    raise SystemExit(main())

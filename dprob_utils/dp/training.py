"""SGD and DP-SGD training, one entry point for every model of the book.

Modes (``TrainConfig.mode``):

- ``sgd``: plain mini-batch SGD, shuffled fixed-size batches;
- ``dpsgd``: paper 1 Algorithm 1 through Opacus: each example's gradient is clipped to L2 norm ``clip`` (C),
  Gaussian noise N(0, sigma^2 C^2 I) is added to the sum, and the result is divided by the (expected) batch
  size. ``sigma = 0`` is paper 2's clip-only setting;
- ``dpsgd-fixed-noise``: clipping at C but noise N(0, sigma^2 I) independent of C (paper 1, Fig. 3c),
  i.e. Opacus noise multiplier sigma / C.

Private modes draw each batch by Poisson sampling (every example joins with probability b / N) because that
is what the RDP/PRV accountants assume; paper 1 writes "sample a random batch of size b". Per-example
clipping uses dprob's book-keeping clipping (``grad_sample_mode="bk"``, :mod:`dprob_utils.dp.fast.bk_clipping`: one
backward pass, no second pass and no per-example gradients of the dense layers); Opacus's optimizer adds the noise (drawn on every core,
:mod:`dprob_utils.dp.fast.dp_optimizer`) and Opacus accounts the privacy.
``"ghost"`` and ``"hooks"`` (Opacus's own modes) give the same update up to float rounding and are kept for
the benchmark, the tests, and layers book-keeping does not support.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import asdict, dataclass, field, replace

import torch
from torch import nn

from dprob_utils.config import status
from dprob_utils.config.errors import ConfigError
from dprob_utils.config.progress import progress as progress_bar
from dprob_utils.config.training import TrainConfig
from dprob_utils.dp.privacy import privacy_spent
from dprob_utils.models.architectures import build_model

# Opacus's ghost clipping runs backward hooks on modules whose inputs need no gradient (the first layer);
# PyTorch warns about it on every step although the hooks see exactly what Opacus needs.
warnings.filterwarnings("ignore", message="Full backward hook is firing", category=UserWarning)

GRAD_SAMPLE_MODES = ("bk", "ghost", "hooks")


@dataclass
class TrainResult:
    """What a training run reports. ``seconds`` is wall-clock training time (excluding evaluation)."""

    config: dict
    key: str
    accuracy: float
    seconds: float
    train_size: int
    steps: int
    privacy: dict | None
    history: list[dict] = field(default_factory=list)
    data_source: str = ""
    cached: bool = False
    # DP-SGD with book-keeping clipping on a CPU: whether dprob_utils.dp.fast.compiled_grads was on at the end of training
    # (off: no C++ compiler, or DPROB_COMPILE=0; the same model up to float rounding). None otherwise.
    compiled_kernels: bool | None = None

    def summary(self, delta: float | None = None) -> dict:
        """Flat dict for tables and the CLI: accuracy, epsilon (RDP), delta, seconds, cached, ..."""
        p = self.privacy or {}
        return {
            "arch": self.config["arch"],
            "mode": self.config["mode"],
            "sigma": self.config["sigma"],
            "clip": self.config["clip"],
            "epochs": self.config["epochs"],
            "accuracy": self.accuracy,
            "epsilon": p.get("epsilon_rdp", math.inf) if self.privacy else math.inf,
            "epsilon_prv": p.get("epsilon_prv"),
            "epsilon_eq1": p.get("epsilon_eq1"),
            "delta": p.get("delta", delta),
            "seconds": self.seconds,
            "cached": self.cached,
            "key": self.key,
        }


def make_private(model: nn.Module, optimizer: torch.optim.Optimizer, cfg: TrainConfig, gen: torch.Generator,
                  grad_sample_mode: str):
    """Wrap ``model``, ``optimizer`` and the cross-entropy loss with Opacus for ``cfg``.

    Returns (module, DP optimizer, criterion): ``criterion(module(x), y).backward(); optimizer.step()`` then
    performs one DP-SGD step that clips each example's gradient to ``cfg.clip`` and adds Gaussian noise of std
    ``cfg.noise_multiplier * cfg.clip`` to the sum before dividing by ``cfg.batch_size``.
    """
    from opacus import GradSampleModule
    from opacus.grad_sample import GradSampleModuleFastGradientClipping
    from opacus.optimizers import DPOptimizer, DPOptimizerFastGradientClipping
    from opacus.utils.fast_gradient_clipping_utils import DPLossFastGradientClipping

    criterion = nn.CrossEntropyLoss(reduction="mean")
    common = dict(noise_multiplier=cfg.noise_multiplier, max_grad_norm=cfg.clip,
                  expected_batch_size=cfg.batch_size, loss_reduction="mean", generator=gen)
    if grad_sample_mode == "bk":
        from dprob_utils.dp.fast.bk_clipping import BookKeepingClipper, BookKeepingLoss
        from dprob_utils.dp.fast.dp_optimizer import BookKeepingDPOptimizer

        return model, BookKeepingDPOptimizer(optimizer, **common), BookKeepingLoss(
            BookKeepingClipper(model, cfg.clip))
    if grad_sample_mode == "ghost":
        gsm = GradSampleModuleFastGradientClipping(model, max_grad_norm=cfg.clip, use_ghost_clipping=True,
                                                   loss_reduction="mean")
        dp_opt = DPOptimizerFastGradientClipping(optimizer, **common)
        return gsm, dp_opt, DPLossFastGradientClipping(gsm, dp_opt, criterion, "mean")
    gsm = GradSampleModule(model, loss_reduction="mean")
    return gsm, DPOptimizer(optimizer, **common), criterion


def lr_schedule(cfg: TrainConfig, total_steps: int):
    """``step -> learning rate`` of ``cfg`` for steps ``0 .. total_steps - 1``."""
    if cfg.lr_schedule == "linear":
        return lambda t: cfg.lr * (1.0 - t / total_steps)
    return lambda t: cfg.lr


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Optimizer steps of one epoch over ``n`` examples: ``round(n / batch_size)``, at least one."""
    return max(1, round(n / batch_size))


def fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: TrainConfig,
    *,
    grad_sample_mode: str = "bk",
    progress: bool | None = None,
    eval_fn=None,
    device: str | torch.device | None = "cpu",
) -> tuple[int, float, list[dict]]:
    """Train ``model`` in place on ``x`` (``[N, ...]``) and ``y`` (``[N]``) as ``cfg`` says.

    Only parameters with ``requires_grad`` are trained (frozen layers stay untouched). ``device``: where to
    train (``None``: :func:`~dprob_utils.config.devices.training_device`); the model, the whole training set and the
    batch-sampling and noise generator move there once, so a step makes no host-device copy. The model stays
    on ``device``.

    Returns:
        (number of optimizer steps, wall-clock seconds, per-epoch history of mean loss).
    """
    if grad_sample_mode not in GRAD_SAMPLE_MODES:
        raise ConfigError(f"grad_sample_mode must be one of {GRAD_SAMPLE_MODES}, got {grad_sample_mode!r}")
    from dprob_utils.config.allocator import tune_malloc
    from dprob_utils.config.devices import training_device

    tune_malloc()  # large per-example tensors would page-fault at every step otherwise (DPROB_MALLOC_TUNING=0: off)
    dev = training_device(device)
    model.to(dev)
    x, y = x.to(dev), y.to(dev)
    n = int(y.shape[0])
    # one generator on the device draws batches and (through Opacus) the noise; on the CPU the same stream as
    # before devices existed, so cached CPU models keep their keys
    gen = torch.Generator(device=dev).manual_seed(cfg.seed + 1)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=cfg.lr)
    if cfg.private:
        module, optimizer, criterion = make_private(model, optimizer, cfg, gen, grad_sample_mode)
    else:
        module, criterion = model, nn.CrossEntropyLoss()
    epoch_steps = steps_per_epoch(n, cfg.batch_size)
    q = min(1.0, cfg.batch_size / n)
    lr_at = lr_schedule(cfg, cfg.epochs * epoch_steps)
    sgd_groups = optimizer.param_groups  # Opacus's optimizer shares its wrapped optimizer's groups
    history: list[dict] = []
    steps = 0
    bar = progress_bar(range(cfg.epochs), desc=f"train {cfg.arch} {cfg.label()}", on=progress)
    module.train()
    start = time.perf_counter()
    status.report("train", arch=cfg.arch, mode=cfg.mode, sigma=cfg.sigma, clip=cfg.clip, seed=cfg.seed, epoch=0,
                  epochs=cfg.epochs)
    for epoch in bar:
        total, count = 0.0, 0
        perm = None if cfg.private else torch.randperm(n, generator=gen, device=dev)
        for s in range(epoch_steps):
            if cfg.private:
                idx = torch.nonzero(torch.rand(n, generator=gen, device=dev) < q).squeeze(1)
            else:
                idx = perm[s * cfg.batch_size : (s + 1) * cfg.batch_size]
                if s == epoch_steps - 1:
                    idx = perm[s * cfg.batch_size :]
            for group in sgd_groups:
                group["lr"] = lr_at(steps)
            steps += 1
            if idx.numel() == 0:  # Poisson sampling drew no example (probability ~exp(-b)); counted for privacy
                continue
            xb, yb = x[idx], y[idx]
            optimizer.zero_grad(set_to_none=True)
            loss = criterion(module(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.detach().double() * len(idx)  # summed on the device: no synchronisation per step
            count += len(idx)
        entry = {"epoch": epoch + 1, "loss": float(total) / max(count, 1)}
        if eval_fn is not None:
            entry["test_accuracy"] = eval_fn()
            module.train()
        history.append(entry)
        bar.set_postfix(loss=f"{entry['loss']:.3f}")
        status.report("train", arch=cfg.arch, mode=cfg.mode, sigma=cfg.sigma, clip=cfg.clip, seed=cfg.seed,
                      epoch=epoch + 1, epochs=cfg.epochs)
    seconds = time.perf_counter() - start
    status.report("trained")
    if cfg.private and hasattr(module, "_close"):
        module._close()  # remove Opacus hooks; ``model`` is a plain nn.Module again
    if cfg.private and hasattr(criterion, "close"):
        criterion.close()  # remove the book-keeping hooks
    model.zero_grad(set_to_none=True)
    return steps, seconds, history


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2000) -> float:
    """Top-1 accuracy in [0, 1] of ``model`` on ``x``, ``y`` (moved batch by batch to the model's device)."""
    from dprob_utils.attacks import model_device

    model.eval()
    dev = model_device(model)
    correct = 0
    for i in range(0, len(y), batch_size):
        pred = model(x[i : i + batch_size].to(dev)).argmax(1)
        correct += int((pred == y[i : i + batch_size].to(dev)).sum())
    return correct / max(len(y), 1)


# At or below this test accuracy (chance is 10% on MNIST and CIFAR-10) a model counts as failed (diverged, or
# too little training, as in the tests' tiny models).
DIVERGED_ACCURACY = 0.2


class DivergedWarning(UserWarning):
    """Training ended with a model no better than a constant predictor."""


def train(
    cfg: TrainConfig,
    *,
    delta: float = 1e-5,
    data_dir: str | None = None,
    grad_sample_mode: str = "bk",
    progress: bool | None = None,
    device: str | torch.device | None = None,
) -> tuple[nn.Module, TrainResult]:
    """Train one model from scratch (no cache): build it, train it, report accuracy, time and privacy.

    ``device``: where to train (``None``: ``DPROB_DEVICE``, else CUDA when available, else the CPU); the model
    is returned on the CPU, where every chapter expects it."""
    from dprob_utils.data.datasets import load_dataset, subset

    if cfg.arch == "p1_cifar_net":
        raise ConfigError("the CIFAR net is trained on frozen features: use dprob_utils.experiments.p1_cifar")
    train_ds = subset(load_dataset(cfg.dataset, "train", data_dir), cfg.train_subset, "stratified", seed=0)
    test_ds = load_dataset(cfg.dataset, "test", data_dir)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.arch)
    steps, seconds, history = fit(model, train_ds.x, train_ds.y, cfg, grad_sample_mode=grad_sample_mode,
                                  progress=progress, device=device)
    accuracy = evaluate(model, test_ds.x, test_ds.y)
    model.cpu()
    if accuracy <= DIVERGED_ACCURACY:
        # a constant predictor: every robustness number measured on it is meaningless
        warnings.warn(f"{cfg.arch} {cfg.mode} sigma={cfg.sigma:g} C={cfg.clip:g} lr={cfg.lr:g}: test accuracy "
                      f"{accuracy:.1%}, no better than a constant predictor: training diverged (lower the learning "
                      "rate) or was far too short to learn",
                      DivergedWarning, stacklevel=2)
    privacy = None
    if cfg.private:
        q = min(1.0, cfg.batch_size / len(train_ds))
        privacy = privacy_spent(cfg.noise_multiplier, q, steps, delta).to_dict()
    result = TrainResult(config=asdict(cfg), key=cfg.key(), accuracy=accuracy, seconds=seconds,
                         train_size=len(train_ds), steps=steps, privacy=privacy, history=history,
                         data_source=train_ds.source,
                         compiled_kernels=_compiled_kernels(cfg, grad_sample_mode, device))
    return model, result


def _compiled_kernels(cfg: TrainConfig, grad_sample_mode: str, device: str | torch.device | None) -> bool | None:
    from dprob_utils.config.devices import training_device
    from dprob_utils.dp.fast import compiled_grads

    if not (cfg.private and grad_sample_mode == "bk" and training_device(device).type == "cpu"):
        return None
    return compiled_grads.enabled()


def with_delta(result: TrainResult, delta: float) -> TrainResult:
    """The same result with privacy re-accounted at another ``delta`` (no retraining)."""
    if not result.privacy:
        return result
    p = result.privacy
    new = privacy_spent(p["noise_multiplier"], p["sample_rate"], p["steps"], delta).to_dict()
    return replace(result, privacy=new)

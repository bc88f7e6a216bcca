"""Opacus's DP optimizer for the book-keeping clipper, with the noise drawn on every CPU core.

:class:`BookKeepingDPOptimizer` is :class:`opacus.optimizers.DPOptimizerFastGradientClipping` (the optimizer
Opacus pairs with its ghost clipping: ``p.grad`` already holds the clipped sum) with two CPU costs removed
(measured in benchmarks/README.md):

- Opacus draws the noise with one ``torch.normal`` call per parameter on one generator. A CPU generator is a
  Mersenne twister that runs on one core. :func:`gaussian_noise` draws large noise vectors in :data:`NOISE_CHUNKS` pieces, each from its
  own generator seeded from the optimizer's generator, on parallel threads.
- ``accumulate`` deep-copies every gradient into ``p.summed_grad``; the clipper writes a fresh tensor per step,
  so it is taken as it is.

The noise is still ``N(0, σ² C² I)`` with Opacus's ``σ`` (``_adjusted_noise_multiplier`` where adaptive
clipping sets it) and ``C``, added to the clipped sum and divided by the expected batch size by Opacus's own
``scale_grad``; the accounting is Opacus's. The stream of numbers differs from Opacus's, and is the same for any
number of threads (the chunks and their seeds do not depend on it). ``secure_mode`` falls back to Opacus's draw.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import torch
from opacus.optimizers import DPOptimizerFastGradientClipping
from opacus.optimizers.optimizer import _check_processed_flag, _mark_as_processed

# Noise vectors of at least this many numbers are drawn in NOISE_CHUNKS pieces (below it, one call is as fast).
CHUNKED_NOISE_FROM = 2**16
NOISE_CHUNKS = 2

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _threads() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(NOISE_CHUNKS - 1, thread_name_prefix="dprob-noise")
        return _pool


def gaussian_noise(n: int, std: float, generator: torch.Generator | None, device: torch.device | str = "cpu",
                   dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``[n]`` independent ``N(0, std²)`` draws on ``device``, reproducible from ``generator``'s state.

    On a CPU, ``n >= CHUNKED_NOISE_FROM`` draws come in :data:`NOISE_CHUNKS` pieces, each from a fresh generator
    seeded with a 63-bit number drawn from ``generator``, side by side on threads when torch has more than one
    (``torch.normal`` releases the GIL). Elsewhere (a GPU draws in parallel anyway) one call on ``generator``.
    """
    device = torch.device(device)
    out = torch.empty(n, device=device, dtype=dtype)
    if device.type != "cpu" or n < CHUNKED_NOISE_FROM:
        return out.normal_(0.0, std, generator=generator)
    seeds = torch.randint(0, 2**63 - 1, (NOISE_CHUNKS,), generator=generator).tolist()
    bounds = [n * k // NOISE_CHUNKS for k in range(NOISE_CHUNKS + 1)]

    def draw(k: int) -> None:
        own = torch.Generator().manual_seed(seeds[k])
        out[bounds[k] : bounds[k + 1]].normal_(0.0, std, generator=own)

    if torch.get_num_threads() > 1:
        futures = [_threads().submit(draw, k) for k in range(1, NOISE_CHUNKS)]
        draw(0)
        for f in futures:
            f.result()
    else:  # one core (a training worker of dprob_utils.config.parallel): the same numbers, one after another
        for k in range(NOISE_CHUNKS):
            draw(k)
    return out


class BookKeepingDPOptimizer(DPOptimizerFastGradientClipping):
    """:class:`~opacus.optimizers.DPOptimizerFastGradientClipping` with the noise of all parameters drawn in one
    :func:`gaussian_noise` call and no deep copy of the clipped sums (see the module docstring)."""

    def accumulate(self) -> None:
        for p in self.params:
            if p.summed_grad is not None:
                p.summed_grad.add_(p.grad)
            else:
                p.summed_grad = p.grad  # a fresh tensor from BookKeepingClipper.backward, owned by nobody else

    def add_noise(self) -> None:
        std = getattr(self, "_adjusted_noise_multiplier", self.noise_multiplier) * self.max_grad_norm
        if self.secure_mode or not self.params:
            return super().add_noise()
        for p in self.params:
            _check_processed_flag(p.summed_grad)
        ref = self.params[0].summed_grad
        total = sum(p.summed_grad.numel() for p in self.params)
        noise = gaussian_noise(total, std, self.generator, ref.device, ref.dtype) if std > 0 else None
        offset = 0
        for p in self.params:
            k = p.summed_grad.numel()
            if noise is None:
                grad = p.summed_grad.clone()
            else:
                grad = p.summed_grad + noise[offset : offset + k].view_as(p.summed_grad)
            p.grad = grad.view_as(p)
            offset += k
            _mark_as_processed(p.summed_grad)

"""dprob_utils: the shared package behind the dprob replication book.

One concern per module:

- :mod:`dprob_utils.config.paths`     where data, cache and results live
- :mod:`dprob_utils.config.profiles`  every experiment setting, for the ``smoke``, ``quick`` and ``paper`` profiles
- :mod:`dprob_utils.data.datasets`      MNIST / CIFAR-10 / CIFAR-100 as float tensors in [0, 1]
- :mod:`dprob_utils.models.architectures`    the four architectures of the two papers
- :mod:`dprob_utils.dp.training`  SGD and DP-SGD (Opacus) training
- :mod:`dprob_utils.dp.fast.bk_clipping` one-backward-pass per-example clipping (book-keeping) for DP-SGD
- :mod:`dprob_utils.dp.fast.allocator` glibc malloc setting that keeps large tensors from page-faulting
- :mod:`dprob_utils.dp.privacy`   privacy accounting (RDP, PRV, paper 1 eq. (1))
- :mod:`dprob_utils.store.model_cache`     content-addressed, atomic model cache
- :mod:`dprob_utils.book.results`   JSON results under ``results/<profile>/``
- :mod:`dprob_utils.cli.main`       the ``dprob`` command
"""

from dprob_utils.dp.fast.allocator import tune_malloc

__version__ = "0.1.0"

# Large tensors (per-example gradients, attack batches) otherwise page-fault on every allocation on Linux;
# see dprob_utils.dp.fast.allocator (DPROB_MALLOC_TUNING=0 turns it off).
tune_malloc()

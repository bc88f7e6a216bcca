"""dprob_utils: the shared package behind the dprob replication book.

One concern per module:

- :mod:`dprob_utils.paths`     where data, cache and results live
- :mod:`dprob_utils.profiles`  every experiment setting, for the ``smoke``, ``quick`` and ``paper`` profiles
- :mod:`dprob_utils.data`      MNIST / CIFAR-10 / CIFAR-100 as float tensors in [0, 1]
- :mod:`dprob_utils.models`    the four architectures of the two papers
- :mod:`dprob_utils.training`  SGD and DP-SGD (Opacus) training
- :mod:`dprob_utils.bk_clipping` one-backward-pass per-example clipping (book-keeping) for DP-SGD
- :mod:`dprob_utils.allocator` glibc malloc setting that keeps large tensors from page-faulting
- :mod:`dprob_utils.privacy`   privacy accounting (RDP, PRV, paper 1 eq. (1))
- :mod:`dprob_utils.cache`     content-addressed, atomic model cache
- :mod:`dprob_utils.results`   JSON results under ``results/<profile>/``
- :mod:`dprob_utils.cli`       the ``dprob`` command
"""

from .allocator import tune_malloc

__version__ = "0.1.0"

# Large tensors (per-example gradients, attack batches) otherwise page-fault on every allocation on Linux;
# see dprob_utils.allocator (DPROB_MALLOC_TUNING=0 turns it off).
tune_malloc()

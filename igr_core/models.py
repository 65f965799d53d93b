"""Haiku models as pure functions (MLP; CIFAR ResNets with BatchNorm state). See :mod:`igr_core._src.models`."""
from igr_core._src.models import (
    ACTIVATIONS, DropoutModel, Model, StatefulModel, dropout_mlp, mlp, mlp_num_params, paper_mlp, resnet, resnet18, resnet18_num_params,
)

__all__ = ["ACTIVATIONS", "Model", "StatefulModel", "DropoutModel", "mlp", "dropout_mlp", "paper_mlp", "mlp_num_params", "resnet", "resnet18",
           "resnet18_num_params"]

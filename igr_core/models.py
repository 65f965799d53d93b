"""Haiku models as pure (init, apply) pairs. See :mod:`igr_core._src.models`."""
from igr_core._src.models import ACTIVATIONS, Model, mlp, mlp_num_params, paper_mlp

__all__ = ["ACTIVATIONS", "Model", "mlp", "paper_mlp", "mlp_num_params"]

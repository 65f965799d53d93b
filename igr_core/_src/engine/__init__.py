r"""The sweep engine: train a grid of network configurations and record IGR metrics.

Abstraction: a :class:`SweepConfig` names a grid (widths x learning rates x EGR coefficients
mu x seeds, one batch size or full batch) of one architecture (the paper's MLP or the CIFAR
ResNet-18 with BatchNorm) trained on one :class:`~igr_core.data.Dataset`. Configurations that
share parameter shapes (same width) form a *group* whose states are stacked on a leading
grid axis. Training is a pure step and a pure evaluation, with the data passed as
arguments (never closed over): a group trains segment by segment, each segment at most
``eval_every`` optimizer steps inside one ``jax.lax.scan`` (shorter segments are padded with
inactive steps, so one compilation serves all), and every configuration is evaluated on
the full training and test sets at the end of each segment. Learning rates live in the
optimizer state as traced arrays (``optax.inject_hyperparams``) and the EGR coefficient mu in
the training state, so every configuration of a group reuses one compiled step.

Explicit gradient regularization (Section 4, Eq. 8): a configuration with mu > 0 descends
:math:`E_\mu = E + \mu\|\nabla E\|^2` on each minibatch, with gradient
:math:`g + 2\mu H g` (:func:`~igr_core.regularizers.hessian_gradient_product`, exact by
forward-over-reverse differentiation or by a finite difference, ``egr_method``). With mu = 0
the added term is exactly zero, so the step equals the SGD step bit for bit. Grids with no
mu > 0 compile the plain SGD step (no Hessian-gradient product).

BatchNorm (ResNet-18): the model state (moving averages) is carried in the training state.
Training steps run in training mode (each minibatch normalized with its own statistics, the
moving averages updated). Metrics: ``E`` and ``acc`` of each split in evaluation mode (moving
averages, the network one would deploy); ``R_IG`` and ``slope`` from the gradient of the
training-mode loss that SGD follows, :math:`\frac1K\sum_k \nabla E_k`, the mean over the
K = floor(n / B) consecutive batches of the split of the training batch size B (the
remainder dropped, B = n for full batch), each normalized with its own statistics. For models
without state (the MLP) the two modes coincide and the whole split is one mean.

Evaluations happen every ``eval_every`` steps and, in addition, at the physical times
``eval_times`` (t = step * h) for every learning rate, so a comparison at fixed physical
time (Figure A.5) finds every network at the same t whatever its h.

Two execution strategies give the same results:

* ``"vmap"``: the grid axis is vectorized and sharded over all local devices
  (``jax.sharding``, mesh axis ``"grid"``): one GPU, several, or several hosts;
* ``"loop"``: configurations run one after another with the same compiled segment, which
  is faster on a CPU (see ``benchmarks/README.md``).

``"auto"`` picks ``"loop"`` on CPU backends and ``"vmap"`` otherwise.

Every configuration sees the same minibatch order (a permutation per epoch drawn from
``data_seed``), so the learning rate (and the initialization seed) is the only difference.
A run whose training loss :func:`~igr_core.bea.diverged` (non-finite or above
``divergence_threshold``) is marked ``diverged`` and stops updating. Results are cached by
:mod:`igr_core._src.cache`; stopping-time selection is :mod:`igr_core._src.selection`.

The package holds one job per module: :mod:`~igr_core._src.engine.config` (the grid and its
schedule), :mod:`~igr_core._src.engine.steps` (the pure step), :mod:`~igr_core._src.engine.metrics`
(the evaluation, written once), :mod:`~igr_core._src.engine.groups` (one class per strategy,
the compile cache) and :mod:`~igr_core._src.engine.sweep` (the resumable loop).
"""

from igr_core._src.engine import config, groups, metrics, steps, sweep
from igr_core._src.engine.config import *  # noqa: F401,F403
from igr_core._src.engine.groups import *  # noqa: F401,F403
from igr_core._src.engine.metrics import *  # noqa: F401,F403
from igr_core._src.engine.steps import *  # noqa: F401,F403
from igr_core._src.engine.sweep import *  # noqa: F401,F403

__all__ = [*config.__all__, *steps.__all__, *metrics.__all__, *groups.__all__, *sweep.__all__]

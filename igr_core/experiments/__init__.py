"""One module per chapter of the book: ``Params -> run(params) -> Results``; ``claims(Results)``.

Abstraction: each module holds a frozen dataclass of the chapter's parameters (validated
before any compute: names, types and values), a ``run`` that computes everything the chapter
shows and returns typed results (NamedTuples of tables), a ``claims`` that turns results
into ledger rows through the rules of :mod:`igr_core.verdicts`, and ``facts`` (named numbers
quoted by prose and errata). Notebooks call these and plot; they hold no logic.

Modules: :mod:`~igr_core.experiments.theorems` (chapter 01), :mod:`~igr_core.experiments.geometry`
(02), :mod:`~igr_core.experiments.ntk` (03), :mod:`~igr_core.experiments.toy_model` (04),
:mod:`~igr_core.experiments.mnist` (05), :mod:`~igr_core.experiments.resnet` (06),
:mod:`~igr_core.experiments.egr` (07), :mod:`~igr_core.experiments.estimation` (08),
:mod:`~igr_core.experiments.optimizers` (09).
"""

# the notebook each module computes (the pipeline checks parameter values through its Params)
BY_NOTEBOOK = {
    "01_theorem_checks": "igr_core.experiments.theorems",
    "02_geometry": "igr_core.experiments.geometry",
    "03_ntk": "igr_core.experiments.ntk",
    "04_toy_model": "igr_core.experiments.toy_model",
    "05_mnist": "igr_core.experiments.mnist",
    "06_resnet": "igr_core.experiments.resnet",
    "07_egr": "igr_core.experiments.egr",
    "08_estimation": "igr_core.experiments.estimation",
    "09_optimizers": "igr_core.experiments.optimizers",
}

"""One module per chapter of the book: ``Params -> run(params) -> Results``; ``claims(Results)``.

Abstraction: each module holds a frozen dataclass of the chapter's parameters (validated
before any compute: names, types and values), a ``run`` that computes everything the chapter
shows and returns typed results (NamedTuples of tables), a ``claims`` that turns results
into ledger rows through the rules of :mod:`igr_core.verdicts`, and ``facts`` (named numbers
quoted by prose and errata). What a chapter must declare is the contract
:class:`igr_core._src.contract.Chapter`; :mod:`igr_core.experiments.registry` lists the nine
chapters once. Notebooks call these and plot; they hold no logic.

Modules: :mod:`~igr_core.experiments.theorems` (chapter 01), :mod:`~igr_core.experiments.geometry`
(02), :mod:`~igr_core.experiments.ntk` (03), :mod:`~igr_core.experiments.toy_model` (04),
:mod:`~igr_core.experiments.mnist` (05), :mod:`~igr_core.experiments.resnet` (06),
:mod:`~igr_core.experiments.egr` (07), :mod:`~igr_core.experiments.estimation` (08),
:mod:`~igr_core.experiments.optimizers` (09).
"""

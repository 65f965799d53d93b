"""One package per chapter of the book: ``Params -> run(params) -> Results``; ``claims(Results)``.

Abstraction: each chapter holds a frozen dataclass of the chapter's parameters (validated
before any compute: names, types and values), a ``run`` that computes everything the chapter
shows and returns typed results (NamedTuples of tables), a ``claims`` that turns results
into ledger rows through the rules of :mod:`igr_core.verdicts`, ``facts`` (named numbers
quoted by prose and errata), and the ``captions`` and ``banner`` its page shows. What a chapter
must declare is the contract :class:`igr_core._src.contract.Chapter`;
:mod:`igr_core.experiments.registry` lists the nine chapters once. Notebooks call these and
plot; they hold no logic.

One shape for every chapter: a package whose ``params`` holds Params, Results and the chapter's
metadata, ``compute`` holds ``run`` and one function per figure or study, ``rows`` holds the
declared rows and ``facts``, ``captions`` holds ``captions`` and ``banner``; its ``__init__``
re-exports their public names and holds no logic (``tests/test_chapter_shape.py``). Larger
chapters add modules of their own beside these (08: ``networks``, ``figure_rows``; 09: ``flows``,
``recursion``, ``adam``). What several chapters share is private here: ``_params`` (the
parameters' base and profiles), ``_images`` (the ResNet chapters' data and grid), ``_rows`` (row
helpers), ``_captions`` (the captions' phrasing); no chapter imports another.

Chapters: :mod:`~igr_core.experiments.theorems` (chapter 01), :mod:`~igr_core.experiments.geometry`
(02), :mod:`~igr_core.experiments.ntk` (03), :mod:`~igr_core.experiments.toy_model` (04),
:mod:`~igr_core.experiments.mnist` (05), :mod:`~igr_core.experiments.resnet` (06),
:mod:`~igr_core.experiments.egr` (07), :mod:`~igr_core.experiments.estimation` (08),
:mod:`~igr_core.experiments.optimizers` (09).
"""

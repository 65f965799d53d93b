"""Running a chapter: parameters -> the stored results, or a computation saved and read back.

Abstraction: :func:`run` is the orchestration around the result store (:mod:`.store`, which only
stores): the float64 switch a chapter's contract asks for, the recompute mode (an explicit
argument: ``False``, ``True`` or ``"sweeps"``), the sweep-cache policy, what the chapter's ``run``
is offered (its sweeps folder, the log, resumable parts), the manifest with its provenance, and
the swap of a complete entry into the store. It sits beside the contract
(:class:`igr_core._src.contract.Chapter`), whose objects it takes.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable

from igr_core._src import store
from igr_core._src.store import Stored


def run(
    chapter,
    params,
    results_dir: Path,
    *,
    recompute: bool | str = False,
    log: Callable | None = None,
    root: Path | None = None,
) -> Stored:
    """The chapter's results for ``params``: read from the store, or computed, saved and read back.

    ``chapter`` is a :class:`~igr_core._src.contract.Chapter`. ``results_dir`` is
    ``results/<profile>``; sweeps keep their resumable checkpoints under its ``sweeps/``.
    Results that a run could not complete here (``is_complete`` false: a grid that is not
    stored and may not be trained on this machine) are returned but not stored. A recompute
    computes first and swaps the new entry in only when it is complete.

    ``recompute`` (an explicit argument; the callers read ``$IGR_RECOMPUTE`` where they offer it,
    :func:`igr_core._src.env.recompute`): False or "" (read what is stored), True or "1" (recompute
    the entry; sweep caches that verify are reused, and the log says so) or ``"sweeps"`` (retrain
    the sweep caches too)."""
    if not (type(recompute) is bool or (type(recompute) is str and recompute in ("", "1", "sweeps"))):
        # by type first: 1 and numpy's True equal True, and would silently read the store
        raise ValueError(f"`recompute` must be False, True, '', '1' or 'sweeps', got {recompute!r}.")
    results_dir = Path(results_dir)
    mode = "1" if recompute is True else (recompute or "")
    recompute = mode in ("1", "sweeps")
    if chapter.x64:  # the one switch for every caller through the store (page, command line), read or compute
        import jax

        jax.config.update("jax_enable_x64", True)
    path = store.entry_dir(results_dir, chapter, params)
    store.recover(path)
    data = chapter.data_fingerprint(params) if chapter.data_fingerprint is not None else None
    if not recompute:
        got = store.read(chapter, path, data)
        if got is not None and (chapter.can_fill is None or not chapter.can_fill(params, got.results)):
            return got
    store.check_writable(results_dir, chapter.name)
    with store.writer_lock(path, log):
        if not recompute:  # another writer may have stored it while this one waited
            got = store.read(chapter, path, data)
            if got is not None and (chapter.can_fill is None or not chapter.can_fill(params, got.results)):
                return got
            if got is not None and log:
                log(f"{chapter.name}: the stored results lack parts that this machine may compute; computing them")
        types = store.type_table(chapter)
        offers = {
            "results_dir": results_dir / "sweeps",
            "log": log,
            "parts": store.Parts(path.with_name(path.name + ".parts"), chapter.results_version, log, types),
        }
        kwargs = {k: v for k, v in offers.items() if k in chapter.run_arguments()}
        t0 = time.perf_counter()
        from igr_core._src import cache

        with cache.policy(retrain=mode == "sweeps", log=log):
            results = chapter.run(params, **kwargs)
        seconds = time.perf_counter() - t0
        manifest = {
            "chapter": chapter.name,
            "results_version": chapter.results_version,
            "key": path.name,
            "params": params.as_dict(),
            "data": data,
            "provenance": store.provenance(seconds, store.data_source_of(results), root),
        }
        if not chapter.is_complete(results):
            return store.Stored(results, {**manifest, "incomplete": True}, path, True)
        if not store.save_unless_unchanged(path, results, manifest, types, chapter) and log:
            log(f"{chapter.name}: the recomputed results equal the stored ones; the stored files are kept")
        shutil.rmtree(path.with_name(path.name + ".parts"), ignore_errors=True)
        loaded, manifest = store.load(path, chapter)
        return store.Stored(loaded, manifest, path, True)


__all__ = ["run", "Stored"]

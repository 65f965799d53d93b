"""The result store: computed once, read back identically, stale versions and other data
refused, the recompute switch, interrupted runs resumed from their saved parts."""

import dataclasses
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

from igr_core._src import runner, store
from igr_core._src.contract import Chapter
from igr_core.experiments._params import ParamsBase


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    n: int = 3
    strategy: str = "auto"


class Results(NamedTuple):
    params: Params
    table: pd.DataFrame
    array: np.ndarray
    value: float
    nested: dict
    pair: tuple


def make_module(version=1, data=None, fail_at=None):
    calls = {"run": 0, "parts": 0}

    def run(p, parts=store.no_parts):
        calls["run"] += 1
        rows = []
        for i in range(p.n):

            def part(i=i):
                calls["parts"] += 1
                if fail_at is not None and i == fail_at:
                    raise KeyboardInterrupt("cut off")
                return {"i": i, "square": float(i * i)}

            rows.append(parts(f"row {i}", part))
        return Results(
            p,
            pd.DataFrame(rows),
            np.arange(p.n, dtype=np.float64),
            float("nan"),
            {"a": (1, 2.5), 3: "three"},
            (np.float32(1.5), None),
        )

    chapter = Chapter(
        name="99_fake",
        Params=Params,
        Results=Results,
        run=run,
        claims=lambda r: [],
        facts=lambda r: {},
        results_version=version,
        data_fingerprint=(lambda p: data) if data is not None else None,
    )
    return FakeChapter(chapter, calls)


class FakeChapter(NamedTuple):
    """A registered-style chapter and its call counters."""

    chapter: Chapter
    calls: dict

    def __getattr__(self, name):
        return getattr(self.chapter, name)


def test_store_computes_once_and_reads_back_the_same(tmp_path):
    mod = make_module()
    first = runner.run(mod.chapter, Params(), tmp_path)
    second = runner.run(mod.chapter, Params(strategy="loop"), tmp_path)  # execution-only fields share the entry
    assert first.computed and not second.computed and mod.calls["run"] == 1
    a, b = first.results, second.results
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.table["i"].dtype == np.int64 and np.isnan(b.value) and b.nested == {"a": (1, 2.5), 3: "three"}
    assert b.pair == (1.5, None) and b.params == Params() and np.array_equal(b.array, np.arange(3.0))
    m = second.manifest
    assert m["chapter"] == "99_fake" and m["results_version"] == 1 and m["params"]["n"] == 3
    assert {"device", "versions", "seconds", "git_commit", "date"} <= set(m["provenance"])
    assert second.path == tmp_path / "99_fake" / store.params_key(Params())


def test_other_parameters_get_their_own_entry(tmp_path):
    mod = make_module()
    runner.run(mod.chapter, Params(n=2), tmp_path)
    runner.run(mod.chapter, Params(n=4), tmp_path)
    assert mod.calls["run"] == 2 and len([p for p in (tmp_path / "99_fake").iterdir() if p.is_dir()]) == 2


def test_a_stale_results_version_is_refused_with_how_to_recompute(tmp_path):
    runner.run(make_module(version=1).chapter, Params(), tmp_path)
    newer = make_module(version=2)
    with pytest.raises(store.StaleResultsError, match=r"99_fake.*version 1.*version 2.*FORCE=1"):
        runner.run(newer.chapter, Params(), tmp_path)
    assert newer.calls["run"] == 0
    again = runner.run(newer.chapter, Params(), tmp_path, recompute=True)
    assert again.computed and again.manifest["results_version"] == 2


def test_results_of_other_data_are_refused(tmp_path):
    runner.run(make_module(data={"sha256": "aaaa"}).chapter, Params(), tmp_path)
    with pytest.raises(store.StaleResultsError, match="other data"):
        runner.run(make_module(data={"sha256": "bbbb"}).chapter, Params(), tmp_path)


def test_recompute_is_an_explicit_argument_and_the_environment_is_read_by_the_callers(tmp_path, monkeypatch):
    from igr_core._src import env

    mod = make_module()
    runner.run(mod.chapter, Params(), tmp_path)
    monkeypatch.setenv(store.RECOMPUTE_ENV, "1")
    assert not runner.run(mod.chapter, Params(), tmp_path).computed  # the store itself reads no environment
    assert runner.run(mod.chapter, Params(), tmp_path, recompute=env.recompute()).computed
    assert mod.calls["run"] == 2
    with pytest.raises(ValueError, match="`recompute` must be"):
        runner.run(mod.chapter, Params(), tmp_path, recompute="yes")


def test_an_interrupted_run_resumes_from_its_parts(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        runner.run(make_module(fail_at=2).chapter, Params(n=4), tmp_path)
    resumed = make_module()
    out = runner.run(resumed.chapter, Params(n=4), tmp_path)
    assert resumed.calls["parts"] == 2  # rows 0 and 1 were saved before the cut
    assert list(out.results.table["i"]) == [0, 1, 2, 3]
    assert not out.path.with_name(out.path.name + ".parts").exists()


def test_values_the_store_cannot_hold_are_named(tmp_path):
    bad = Results(Params(), pd.DataFrame(), np.zeros(1), 0.0, {"f": len}, ())
    types = store.type_table(make_module().chapter)
    with pytest.raises(TypeError, match=r"results\.nested\['f'\].*cannot be stored"):
        store.save(tmp_path / "x", bad, {}, types)
    with pytest.raises(TypeError, match=r"results\.params.*not a registered type"):
        store.save(tmp_path / "x", bad._replace(nested={}), {})  # without the chapter's types


# the smallest computation of a chapter that trains networks (05_mnist: MLPs by SGD and full-batch GD, and
# the noise study), about 60 s on 2 cores; CI's verdict comparison rests on this: on one machine a
# recompute reproduces every table bit for bit, so a difference between machines is the processor's
SMALL_MNIST = dict(
    n_train=256,
    widths=(16,),
    learning_rates=(0.1, 0.05),
    epochs=2.0,
    eval_every_epochs=1.0,
    batch_sizes=(),
    full_batch_n_train=128,
    full_batch_steps=20,
    full_batch_eval_every=10,
    full_batch_learning_rates=(0.1,),
    noise_width=16,
    sigmas=(0.0, 1.0),
    n_realizations=2,
    n_slope=64,
    batch_width=16,
    full_batch_width=16,
    fixed_time=0.2,
)


@pytest.mark.slow
def test_a_network_chapter_recomputed_on_one_machine_gives_identical_tables(tmp_path):
    from igr_core.experiments import registry

    chapter = registry.get("05_mnist")
    params = chapter.resolve("smoke", SMALL_MNIST)
    a = runner.run(chapter, params, tmp_path / "a" / "smoke")
    b = runner.run(chapter, params, tmp_path / "b" / "smoke")  # its own sweep caches: everything trained again
    assert a.computed and b.computed and a.path != b.path
    assert a.manifest["content"] == b.manifest["content"]  # the hash of every table and array
    for name, ta in ledger_tables(a.results).items():
        pd.testing.assert_frame_equal(ta, ledger_tables(b.results)[name])
    assert {"processor", "threads", "xla_flags"} <= set(a.manifest["provenance"])


def ledger_tables(results) -> dict:
    from igr_core.book import ledger

    return ledger.result_tables(results)

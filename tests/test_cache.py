"""The sweep cache (``_src/cache.py``) on files written by hand, no network trained: the key (stable,
the committed keys reproduced, sensitive to each field the results depend on and to the data, blind
to execution-only fields), the folder of the same configuration on data read from elsewhere, the
completion record (written last; only it marks a width complete; a width from before records
counts when whole, and is sealed once), checkpoints, saved parameters and the rows a width holds.
(Damaged metrics and checkpoints met by a running sweep, and the retrain policy, are tested in
``test_faults.py``; a cache hit and ``force`` in ``test_engine.py``.)"""

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from igr_core._src import cache
from igr_core._src.data import Dataset
from igr_core._src.engine.config import SweepConfig

ROOT = Path(__file__).resolve().parents[1]
N_TRAIN = 24


def dataset(source="synthetic (test)", n_train=N_TRAIN, bump=0.0) -> Dataset:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N_TRAIN + 12, 4)).astype(np.float32)
    y = (np.arange(N_TRAIN + 12) % 3).astype(np.int32)
    x[0, 0] += bump
    return Dataset(x[:n_train], y[:n_train], x[N_TRAIN:], y[N_TRAIN:], source, "synthetic")


def cfg(**kw) -> SweepConfig:
    base = dict(experiment="t", widths=(8,), learning_rates=(0.1, 0.2), depth=2, batch_size=6, epochs=2, eval_every=4)
    return SweepConfig(**{**base, "eval_chunk": 64, **kw})


ROWS = 2 * 3  # two learning rates x (step 0 and marks 4, 8)


def metrics(rows=ROWS, mu=True) -> pd.DataFrame:
    df = pd.DataFrame({"width": 8, "h": np.repeat([0.1, 0.2], rows // 2)[:rows], "seed": 0, "step": 0})
    df["step"] = np.tile([0, 4, 8], rows)[:rows]
    df["train E"] = np.linspace(1.0, 0.5, rows)
    if mu:
        df.insert(2, "mu", 0.0)
    return df


def width(tmp_path, c=None, data=None) -> Path:
    """A width folder of a sweep folder with its ``config.json``, as ``sweep_dir`` makes it."""
    gdir = cache.sweep_dir(tmp_path, c or cfg(), data or dataset()) / cache.group_name(8)
    gdir.mkdir()
    return gdir


# ---------------------------------------------------------------------------- the key


def test_the_key_is_stable_and_blind_to_execution_only_fields():
    key = cache.config_hash(cfg(), dataset())
    assert len(key) == 12 and int(key, 16) >= 0
    assert cache.config_hash(cfg(), dataset()) == key  # rebuilt from scratch
    assert cache.config_hash(cfg(strategy="vmap", checkpoint_every=1), dataset()) == key
    assert cache.config_hash(cfg(mus=(0.0,), egr_method="finite_difference"), dataset()) == key  # no EGR: no route


def test_the_committed_sweep_folders_keep_their_keys(monkeypatch):
    """Fields added after results were committed leave the key unchanged at their defaults, and no
    device or library version enters it: every committed folder (trained on other machines) is named
    by the key this code computes from its ``config.json``."""
    folders = sorted(ROOT.glob("results/*/sweeps/*/*/config.json"))
    assert len(folders) >= 10
    for f in folders:
        saved = json.loads(f.read_text())
        c = SweepConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved["config"].items()})
        monkeypatch.setattr(cache, "data_fingerprint", lambda data, fp=saved["data"]: fp)
        assert cache.config_hash(c, None) == f.parent.name, f


CHANGES = {
    "experiment": "u",
    "widths": (9,),
    "learning_rates": (0.1, 0.3),
    "depth": 3,
    "batch_size": None,
    "seeds": (0, 1),
    "epochs": 3,
    "eval_every": 2,
    "eval_times": (0.4,),
    "data_seed": 1,
    "eval_chunk": 32,
    "divergence_threshold": 1e3,
    "architecture": "resnet18",
    "mus": (0.0, 0.1),
    "egr_method": "finite_difference",
}


def test_every_field_but_the_execution_only_ones_is_listed_below():
    fields = {f.name for f in dataclasses.fields(SweepConfig)}
    assert set(CHANGES) == fields - {"strategy", "checkpoint_every"}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_the_key_changes_with_each_field_the_results_depend_on(field):
    base = cfg(mus=(0.0, 0.1)) if field == "egr_method" else cfg()  # the route matters under EGR only
    changed = dataclasses.replace(base, **{field: CHANGES[field]})
    assert cache.config_hash(changed, dataset()) != cache.config_hash(base, dataset())


@pytest.mark.parametrize(
    "data",
    [dataset(source="elsewhere"), dataset(bump=1e-3), dataset(n_train=N_TRAIN - 1)],
    ids=["source", "values", "size"],
)
def test_the_key_changes_with_the_data(data):
    assert cache.config_hash(cfg(), data) != cache.config_hash(cfg(), dataset())


# ---------------------------------------------------------------------------- the folder of a configuration


def test_a_trained_folder_of_the_same_data_read_from_elsewhere_is_reused(tmp_path):
    mine = cache.sweep_dir(tmp_path, cfg(), dataset())
    assert mine == tmp_path / "t" / cache.config_hash(cfg(), dataset())
    saved = json.loads((mine / "config.json").read_text())
    assert saved["hash"] == mine.name and saved["version"] == cache.CACHE_VERSION
    moved = dataset(source="/elsewhere/fashion-mnist")
    assert cache.equivalent_dir(tmp_path, cfg(), moved) is None  # untrained: not reused
    (mine / "width_8").mkdir()
    (mine / "width_8" / "metrics.csv").write_text(metrics().to_csv(index=False))
    assert cache.equivalent_dir(tmp_path, cfg(), moved) == mine
    assert cache.sweep_dir(tmp_path, cfg(checkpoint_every=1), moved) == mine  # execution-only fields aside
    assert json.loads((mine / "config.json").read_text())["data"]["source"] == "synthetic (test)"  # kept
    assert cache.equivalent_dir(tmp_path, cfg(depth=3), moved) is None
    assert cache.equivalent_dir(tmp_path, cfg(), dataset(bump=1.0)) is None


def test_a_folder_of_another_configuration_is_never_taken_for_this_one(tmp_path):
    egr = cache.sweep_dir(tmp_path, cfg(mus=(0.1,)), dataset())
    (egr / "width_8").mkdir()
    (egr / "width_8" / "metrics.csv").write_text(metrics().to_csv(index=False))
    assert cache.equivalent_dir(tmp_path, cfg(), dataset(source="/elsewhere")) is None


def test_force_empties_the_folder(tmp_path):
    root = cache.sweep_dir(tmp_path, cfg(), dataset())
    (root / "width_8").mkdir()
    assert cache.sweep_dir(tmp_path, cfg(), dataset(), force=True) == root
    assert [p.name for p in root.iterdir()] == ["config.json"]


# ---------------------------------------------------------------------------- the completion record


def test_a_saved_width_is_written_whole_with_its_record_last(tmp_path, monkeypatch):
    gdir = width(tmp_path)
    for name in ("checkpoint.npz", "checkpoint.prev.npz", "checkpoint.json", "metrics.partial.csv"):
        (gdir / name).write_text("x")
    order = []
    atomic = cache._atomic
    monkeypatch.setattr(cache, "_atomic", lambda path, write: (order.append(path.name), atomic(path, write)))
    best = {"linear": {"w": np.ones((2, 4, 8)), "b": np.zeros((2, 8))}}
    cache.save_group(gdir, metrics(), best, 1.5, best_state_tree={"bn": {"mean": np.zeros((2, 8))}})
    assert order == ["best_params.npz", "best_state.npz", "provenance.json", "metrics.csv", cache.COMPLETE]
    record = json.loads((gdir / cache.COMPLETE).read_text())
    assert record["metrics_sha256"] == cache._sha256_file(gdir / "metrics.csv") and record["rows"] == ROWS
    assert sorted(p.name for p in gdir.iterdir()) == sorted(order)  # no checkpoint, no temporary file left
    prov = cache.provenance(gdir.parent)[gdir.name]
    assert {"device", "processor", "threads", "xla_flags", "jax", "date"} <= set(prov) and prov["seconds"] == 1.5
    assert cache.is_complete(gdir, None) and cache.is_complete(gdir, ROWS) and not cache.is_complete(gdir, ROWS + 1)
    pd.testing.assert_frame_equal(cache.load_group(gdir, ROWS), metrics())


def test_metrics_altered_behind_their_record_are_not_complete_and_only_load_discards_them(tmp_path):
    gdir = width(tmp_path)
    cache.save_group(gdir, metrics(), {"w": np.ones((2, 3))}, 1.0)
    altered = metrics()
    altered.loc[3, "train E"] = 0.0  # the same rows, one value changed
    (gdir / "metrics.csv").write_text(altered.to_csv(index=False))
    assert not cache.is_complete(gdir, ROWS)
    assert (gdir / "metrics.csv").exists() and (gdir / cache.COMPLETE).exists()  # is_complete reads only
    lines = []
    assert cache.load_group(gdir, ROWS, log=lines.append) is None
    assert not (gdir / "metrics.csv").exists() and not (gdir / cache.COMPLETE).exists()
    assert len(lines) == 1 and str(gdir / "metrics.csv") in lines[0] and "does not match the sha256" in lines[0]


def test_a_width_without_a_record_counts_only_when_whole_and_is_sealed_once(tmp_path):
    gdir = width(tmp_path)
    (gdir / "metrics.csv").write_text(metrics(mu=False).to_csv(index=False))  # as committed before records
    assert not cache.is_complete(gdir, None)  # nothing to check it against
    assert cache.is_complete(gdir, ROWS) and not cache.is_complete(gdir, ROWS - 1)
    assert list(cache.load_group(gdir, ROWS).columns[:4]) == ["width", "h", "mu", "seed"]  # mu = 0 before EGR
    assert cache.expected_rows(gdir.parent) == ROWS
    assert cache.seal(gdir, ROWS) is True and cache.is_complete(gdir, None)
    assert cache.seal(gdir, ROWS) is False
    assert cache.seal_widths([gdir]) == [f"{gdir}: already sealed ({ROWS} rows verified)"]


@pytest.mark.parametrize("damage", ["row short", "cut mid-line"])
def test_sealing_a_width_that_is_not_whole_is_refused_naming_the_file(tmp_path, damage):
    gdir = width(tmp_path)
    text = metrics().to_csv(index=False)
    (gdir / "metrics.csv").write_text(text.rsplit("\n", 2)[0] + "\n" if damage == "row short" else text[:-3])
    with pytest.raises(cache.DamagedCacheError, match=re.escape(str(gdir / "metrics.csv"))):
        cache.seal(gdir, ROWS)
    assert not (gdir / cache.COMPLETE).exists() and not cache.is_complete(gdir, ROWS)


# ---------------------------------------------------------------------------- checkpoints, parameters


def test_a_checkpoint_reads_back_and_the_one_before_it_is_kept(tmp_path):
    gdir = width(tmp_path)
    rows = metrics().to_dict("records")
    cache.save_checkpoint(gdir, [np.zeros((2, 3)), np.arange(2)], 0, rows[:2])
    cache.save_checkpoint(gdir, [np.ones((2, 3)), np.arange(2) + 1], 1, rows[:4])
    lines = []
    marks, leaves, got = cache.load_checkpoint(gdir, rows_per_mark=2, log=lines.append)
    assert marks == 1 and np.array_equal(leaves[0], np.ones((2, 3))) and got == rows[:4]
    assert lines == [f"sweep cache: {gdir.name} resumes from its checkpoint at evaluation 1 (checkpoint.npz)"]
    lines.clear()  # a checkpoint whose rows do not fit its evaluation: discarded, the one before used
    assert cache.load_checkpoint(gdir, rows_per_mark=3, log=lines.append) is None
    assert "holds 4 metric rows for evaluation 1; discarded" in lines[0] and not (gdir / "checkpoint.npz").exists()


def test_saved_parameters_read_back_per_configuration(tmp_path):
    c = cfg(seeds=(0, 1), mus=(0.0, 0.5))  # configurations ordered (h, mu, seed): 8 of them
    gdir = width(tmp_path, c)
    leaves = {"mlp/~/linear_0": {"w": np.arange(8 * 6.0).reshape(8, 2, 3)}}
    cache.save_params(gdir / "best_params.npz", leaves)
    whole = cache.load_params(gdir / "best_params.npz")
    assert np.array_equal(whole["mlp/~/linear_0"]["w"], leaves["mlp/~/linear_0"]["w"])
    one = cache.load_best_params(gdir.parent, c, 8, learning_rate=0.2, seed=1, mu=0.5)
    assert np.array_equal(one["mlp/~/linear_0"]["w"], leaves["mlp/~/linear_0"]["w"][7])
    assert cache.load_best_state(gdir.parent, c, 8, 0.1) == {}  # no BatchNorm statistics saved
    with pytest.raises(ValueError, match=r"`width` 16 is not in this sweep's widths \(8,\)"):
        cache.load_best_params(gdir.parent, c, 16, 0.1)
    with pytest.raises(ValueError, match=r"no configuration with learning rate 0.3, mu 0.0 and seed 0"):
        cache.load_best_params(gdir.parent, c, 8, 0.3)


def test_group_names_and_lines_said_without_a_log(capsys):
    assert cache.group_name(100) == "width_100" and cache.group_name(0.0625) == "width_0.0625"
    cache.say("sweep cache: a line")
    assert capsys.readouterr().err == "sweep cache: a line\n"
    lines = []
    with cache.policy(log=lines.append):
        cache.say("through the policy's log")
    assert lines == ["through the policy's log"] and capsys.readouterr().err == ""

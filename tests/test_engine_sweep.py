"""The sweep loop (``_src/engine/sweep.py``) on a tiny synthetic data set: the tidy metrics table
(one row per configuration and evaluation, its keys, schedule columns and lambda = h m / 4), the
SweepResult's fields, a read from the cache that trains nothing, one log line per width, and the
best parameters at the time of maximum test accuracy. (Resuming, forcing and the cache key are
tested in ``test_engine.py``.)"""

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from igr_core._src.data import Dataset
from igr_core._src.engine.config import SweepConfig
from igr_core._src.engine.metrics import METRICS, make_evaluate
from igr_core._src.engine.steps import build_model
from igr_core._src.engine.sweep import CacheMiss, SweepResult, run_sweep
from igr_core._src.models import mlp_num_params

N_TRAIN, D, C = 24, 6, 3


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N_TRAIN + 12, D)).astype(np.float32)
    y = (np.arange(N_TRAIN + 12) % C).astype(np.int32)
    x[np.arange(N_TRAIN + 12), y] += 2.0  # learnable
    return Dataset(x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:], "synthetic (test)", "synthetic")


def cfg(**kw):
    base = dict(
        experiment="s",
        widths=(4, 5),
        learning_rates=(0.2, 0.05),
        depth=1,
        batch_size=6,
        epochs=2,
        eval_every=4,
        eval_chunk=10,
        strategy="loop",
    )
    base.update(kw)
    return SweepConfig(**base)


@pytest.fixture(scope="module")
def swept(data, tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    lines = []
    return run_sweep(cfg(), data, root, progress=False, log=lines.append), lines, root


def test_the_metrics_table_is_tidy(swept):
    r, _, _ = swept
    df = r.metrics
    keys = ["width", "batch_size", "h", "mu", "seed"]
    assert set(keys + ["m", "lambda", "step", "epoch", "t", "data source", *METRICS]) <= set(df.columns)
    assert len(df) == 2 * 2 * 3  # widths x learning rates x (step 0 and marks 4, 8)
    assert not df.duplicated(keys + ["step"]).any()
    assert sorted(set(df["step"])) == [0, 4, 8]
    np.testing.assert_allclose(df["epoch"], df["step"] / (N_TRAIN // 6))
    np.testing.assert_allclose(df["t"], df["step"] * df["h"])
    for w in (4, 5):
        m = mlp_num_params(D, [w], C)
        sub = df[df["width"] == w]
        assert set(sub["m"]) == {m}
        np.testing.assert_allclose(sub["lambda"], sub["h"] * m / 4)  # Eq. 3
    assert set(df["data source"]) == {"synthetic (test)"} and df["diverged"].dtype == bool
    first, last = df[df["step"] == 0], df[df["step"] == 8]
    assert (last["train E"].to_numpy() < first["train E"].to_numpy()).all()  # it trained


def test_the_result_names_what_was_run(swept, data):
    r, _, root = swept
    assert isinstance(r, SweepResult) and r.config == cfg() and r.data_source == data.source
    assert not r.from_cache and r.path.exists() and str(r.path).startswith(str(root))
    assert isinstance(r.provenance, dict)


def test_a_second_run_reads_the_cache_and_trains_nothing(swept, data):
    r, _, root = swept
    again = run_sweep(cfg(), data, root, progress=False, cached_only=True)
    assert again.from_cache and again.path == r.path
    pd.testing.assert_frame_equal(again.metrics, r.metrics)
    with pytest.raises(CacheMiss):
        run_sweep(cfg(widths=(4, 7)), data, root, progress=False, cached_only=True)


def test_one_log_line_per_width(swept):
    _, lines, _ = swept
    done = [line for line in lines if "configurations x" in line]
    assert len(done) == 2 and all(line.startswith("s n_l=") and "2 configurations x 8 steps" in line for line in done)


def test_best_params_are_those_of_maximum_test_accuracy(swept, data):
    r, _, _ = swept
    df = r.metrics
    c = cfg()
    evaluate = jax.jit(make_evaluate(build_model(c, 4, C), 10))
    for h in c.learning_rates:
        rows = df[(df["width"] == 4) & (df["h"] == h)]
        params = r.best_params(4, h)
        acc = float(evaluate(params, jnp.asarray(data.x_test), jnp.asarray(data.y_test))["acc"])
        assert acc == pytest.approx(rows["test acc"].max(), abs=1e-6)
        assert r.best_model_state(4, h) == {}

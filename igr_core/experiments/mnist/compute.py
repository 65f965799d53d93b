"""Chapter 05's computation: the grid, the batch-size study, the full-batch run, the noise study."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from igr_core._src import cache, selection
from igr_core._src import columns as C
from igr_core._src import engine as _engine
from igr_core._src.data import Dataset, load_mnist
from igr_core._src.models import paper_mlp
from igr_core._src.robustness import noise_study, summarize
from igr_core.experiments._params import should_train
from igr_core.experiments.mnist.params import (
    Params,
    Results,
)


def _with_ratio(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["lambda R_IG / E"] = df["lambda"] * df[C.R_IG] / df[C.TRAIN_E]
    df["R_IG / E"] = df[C.R_IG] / df[C.TRAIN_E]
    df["test error"] = 1.0 - df[C.TEST_ACC]
    return df


def load_data(p: Params, n_train: int | None = None) -> Dataset:
    import warnings

    with warnings.catch_warnings():  # the data source is shown in the banner and recorded
        warnings.simplefilter("ignore")
        n = p.n_train if n_train is None else n_train
        return load_mnist(source=p.data_source, data_dir=p.data_dir or None, n_train=n or None)


def sweep_config(
    p: Params, n_train: int, experiment: str = "mnist_sgd", widths=None, batch_size=None, seeds=None
) -> _engine.SweepConfig:
    b = p.batch_size if batch_size is None else batch_size
    per_epoch = _engine.steps_per_epoch(n_train, b)
    return _engine.SweepConfig(
        experiment=experiment,
        widths=tuple(widths or p.widths),
        learning_rates=tuple(p.learning_rates),
        batch_size=b,
        seeds=tuple(seeds or p.seeds),
        epochs=p.epochs,
        eval_every=max(1, int(round(p.eval_every_epochs * per_epoch))),
        eval_times=(p.fixed_time,),
        strategy=p.strategy,
    )


def _noise(
    p: Params, sweep: _engine.SweepResult, data: Dataset, status: pd.DataFrame, cached_only: bool = False
) -> pd.DataFrame | None:
    """Noise study at width noise_width, first seed, every learning rate whose network did
    not diverge; cached beside the sweep (keyed by the noise parameters)."""
    key = json.dumps(
        {
            "w": p.noise_width,
            "sigmas": list(p.sigmas),
            "n": p.n_realizations,
            "n_slope": p.n_slope,
            "lrs": list(p.learning_rates),
            "v": 1,
        },
        sort_keys=True,
    )
    path = sweep.path / f"noise_{hashlib.sha256(key.encode()).hexdigest()[:10]}.csv"
    if path.exists():
        return pd.read_csv(path)
    if cached_only or not (sweep.path / f"width_{p.noise_width}" / "best_params.npz").exists():
        return None
    if p.n_slope and p.n_slope < len(data.y_train):
        idx = np.sort(np.random.default_rng(0).choice(len(data.y_train), p.n_slope, replace=False))
    else:
        idx = np.arange(len(data.y_train))
    model = paper_mlp(p.noise_width, data.num_classes, sweep.config.depth)
    seed0 = sweep.config.seeds[0]
    out = []
    for h in p.learning_rates:
        row = status[(status["width"] == p.noise_width) & (status["h"] == h) & (status["seed"] == seed0)]
        if bool(row[C.DIVERGED].any()):
            continue
        params = sweep.best_params(p.noise_width, h, seed0)
        s = summarize(
            noise_study(
                model,
                params,
                data.x_train[idx],
                data.y_train[idx],
                data.x_test,
                data.y_test,
                p.sigmas,
                n_realizations=p.n_realizations,
            )
        )
        s.insert(0, "h", h)
        out.append(s)
    df = (
        pd.concat(out, ignore_index=True)
        if out
        else pd.DataFrame(columns=["h", "sigma", "slope_mean", "slope_sd", "acc_mean", "acc_sd", "n"])
    )
    df["n_slope_examples"] = len(idx)
    df.to_csv(path, index=False)
    return df


def data_fingerprint(p: Params) -> dict:
    """What the result store checks: the digits this run uses (tfds MNIST or the offline digits)."""
    return cache.data_fingerprint(load_data(p))


def can_fill(p: Params, r: Results) -> bool:
    """Stored results that lack parts (not trained where they were computed) are completed
    where training is allowed (the engine's sweep cache makes the rest a re-read)."""
    return bool(r.missing) and should_train(p)


def run(p: Params, results_dir, log=None) -> Results:
    """Everything chapter 05 shows (cached sweeps are read, not retrained). Parts missing
    from the cache are trained unless :func:`should_train` says no; then the main grid must
    be cached and the other parts are reported in ``Results.missing``."""
    t0 = time.perf_counter()
    results_dir = Path(results_dir)
    mnist = load_data(p)
    n_tr = len(mnist.y_train)
    cached_only = not should_train(p)
    missing = []

    def sweep_or_none(cfg, data, what):
        try:
            return _engine.run_sweep(cfg, data, results_dir, progress=False, log=log, cached_only=cached_only)
        except _engine.CacheMiss:
            missing.append(what)
            return None

    sweep = _engine.run_sweep(
        sweep_config(p, n_tr), mnist, results_dir, progress=False, log=log, cached_only=cached_only
    )
    status = selection.fit_status(sweep.metrics, p.train_acc_threshold)
    selected = _with_ratio(selection.select_at_max_test_accuracy(sweep.metrics, p.train_acc_threshold))
    at_time = _with_ratio(selection.select_at_time(sweep.metrics, p.fixed_time))
    batch_frames = [selected[selected["width"] == p.batch_width]] if p.batch_width in p.widths else []
    for b in p.batch_sizes:
        if b == p.batch_size:
            continue
        cfg = sweep_config(p, n_tr, experiment="mnist_batch", widths=(p.batch_width,), batch_size=int(b))
        res = sweep_or_none(cfg, mnist, f"batch size {b}")
        if res is not None:
            batch_frames.append(_with_ratio(selection.select_at_max_test_accuracy(res.metrics, p.train_acc_threshold)))
    batch = pd.concat(batch_frames, ignore_index=True) if batch_frames else selected.iloc[:0]
    fb_data = load_data(p, p.full_batch_n_train) if p.full_batch_n_train else mnist
    fb_cfg = _engine.SweepConfig(
        experiment="mnist_full_batch",
        widths=(p.full_batch_width,),
        learning_rates=tuple(p.full_batch_learning_rates),
        batch_size=None,
        seeds=tuple(p.seeds[:1]),
        epochs=float(p.full_batch_steps),
        eval_every=p.full_batch_eval_every,
        strategy=p.strategy,
    )
    fb = sweep_or_none(fb_cfg, fb_data, "full-batch run")
    fb_sel = None if fb is None else _with_ratio(selection.select_at_max_test_accuracy(fb.metrics))
    noise_sweep, noise_networks = sweep, None
    if not (sweep.path / f"width_{p.noise_width}" / "best_params.npz").exists():
        # the stored grid has the metrics but not the parameters: that width retrained (same configuration),
        # read from the sweep cache where it was retrained before, trained here where allowed
        try:
            retrained = _engine.run_sweep(
                sweep_config(p, n_tr, widths=(p.noise_width,)),
                mnist,
                results_dir,
                progress=False,
                log=log,
                cached_only=cached_only and p.train_missing != "noise",
            )
            noise_sweep, noise_networks = retrained, retrain_comparison(sweep, retrained, p)
        except _engine.CacheMiss:
            pass  # the noise study below reports itself missing
    noise = _noise(
        p,
        noise_sweep,
        mnist,
        selection.fit_status(noise_sweep.metrics, p.train_acc_threshold),
        cached_only and p.train_missing != "noise",
    )
    if noise is None:
        missing.append("noise study")
    matched = _with_ratio(selection.select_at_train_loss(sweep.metrics, p.matched_train_loss))
    return Results(
        p,
        mnist.source,
        n_tr,
        len(mnist.y_test),
        sweep,
        status,
        selected,
        at_time,
        batch,
        fb_sel,
        len(fb_data.y_train),
        noise,
        matched,
        time.perf_counter() - t0,
        tuple(missing),
        noise_networks,
    )


def retrain_comparison(stored: _engine.SweepResult, retrained: _engine.SweepResult, p: Params) -> pd.DataFrame:
    """The noise study's width as stored (trained elsewhere) and as retrained here with the same
    configuration, at the time of maximum test accuracy: how far a change of device moves them."""
    cols = ["h", "seed", "step", C.TRAIN_ACC, C.TEST_ACC, C.R_IG, C.SLOPE]
    a = selection.select_at_max_test_accuracy(stored.metrics[stored.metrics["width"] == p.noise_width])[cols]
    b = selection.select_at_max_test_accuracy(retrained.metrics)[cols]
    out = a.merge(b, on=["h", "seed"], suffixes=(" (stored)", " (retrained)"))
    dev_a = "; ".join(sorted({v.get("device", "?") for v in stored.provenance.values()}))
    dev_b = "; ".join(sorted({v.get("device", "?") for v in retrained.provenance.values()}))
    out.insert(0, "devices", f"{dev_a} -> {dev_b}")
    return out


def curves(r: Results) -> pd.DataFrame:
    """Training curves of the widest network up to n_l = 400 (first seed), with the ratios of
    Figures A.3 to A.5 (train and test)."""
    w = max(w for w in r.params.widths if w <= 400) if min(r.params.widths) <= 400 else min(r.params.widths)
    m = r.sweep.metrics
    c = m[(m["width"] == w) & (m["seed"] == r.params.seeds[0])].copy()
    c["lambda R_IG / E"] = c["lambda"] * c[C.R_IG] / c[C.TRAIN_E]
    c["test lambda R_IG / E"] = c["lambda"] * c[C.TEST_R_IG] / c[C.TEST_E]
    return c

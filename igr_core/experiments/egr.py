"""Chapter 07: explicit gradient regularization (Section 4, Eq. 8, Figure 3c).

Abstraction: ``run(Params, results_dir)`` trains, through the one sweep engine,

* ResNet-18 at one learning rate over a grid of EGR coefficients mu (mu = 0 is SGD, bit for
  bit) and seeds, on CIFAR-10 or the offline Fashion-MNIST stand-in (Figure 3c);
* the paper's MNIST MLP with full-batch gradient descent over a ladder of learning rates that
  crosses the stability edge, and with EGR at a small learning rate over a ladder of mu: the
  EGR argument of Section 4 (explicit regularization reaches rates gradient descent cannot),
  measured against the total regularization rate :math:`\\lambda = m(h/4 + \\mu)`;

and returns :class:`Results`. ``claims`` judges the gain of EGR against the paper's "more
than 12%" and the EGR argument through :mod:`igr_core.verdicts`.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from igr_core._src import engine as _engine
from igr_core._src import selection, verdicts
from igr_core._src.data import load_mnist
from igr_core._src.models import mlp_num_params, resnet18_num_params
from igr_core._src.verdicts import Claim
from igr_core.experiments._images import (
    EMPTY_COLUMNS,
    STAND_IN,
    ImageParams,
    data_fingerprint,  # noqa: F401  (the result store's data check)
    images_or_reason,
    run_grid,
    sweep_config,
)
from igr_core.experiments._params import positive, positive_seq

NOTEBOOK = "07_egr"
RESULTS_VERSION = 2  # bump when what run() computes changes: stored results of another version are refused
DECLARED = verdicts.declarations.chapter(NOTEBOOK)  # every row's words, test and thresholds
EGR_FD_REFUSED = (
    "`egr_method` 'finite_difference' is refused in this chapter: both of its networks are float32 ReLU "
    "networks (the ResNet with BatchNorm), where the finite-difference H g crosses ReLU kinks and shifts the "
    "batch statistics; measured off by a factor of about 11 against double backpropagation "
    "(benchmarks/egr_resnet.py --width 0.125). Use 'exact' (forward-over-reverse H g)."
)


@dataclasses.dataclass(frozen=True)
class Params(ImageParams):
    n_train: int = 512
    eval_every_epochs: float = 2.5
    seeds: tuple = (0, 1, 2, 3)
    learning_rate: float = 0.05  # Fig. 3c: the paper gives no h (this companion's choice)
    mus: tuple = (0.0, 0.01, 0.05)  # EGR coefficients of the ResNet grid; 0 = the SGD baseline
    egr_mu: float = 0.01  # the mu whose gain is judged, fixed before the run (the paper gives none)
    egr_method: str = "exact"  # "exact" (forward-over-reverse H g); "finite_difference" is refused (EGR_FD_REFUSED)
    mlp_n_train: int = 1000  # offline digits for the MLP part (full-batch gradient descent)
    mlp_width: int = 100
    mlp_gd_learning_rates: tuple = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # crosses the stability edge
    mlp_egr_learning_rate: float = 0.05
    mlp_mus: tuple = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # the EGR ladder
    # not read since 2026-12-07 (the accuracy row's range is declared: GD's stable range, derived from the data);
    # kept so that results stored by earlier runs, whose parameters name it, still read
    mlp_accuracy_mu_max: float = 0.1
    mlp_steps: int = 300
    mlp_eval_every: int = 25
    mlp_seeds: tuple = (0,)  # initialization seeds of the MLP part, one sweep per seed (a seed added trains only it)

    def __post_init__(self):
        super().__post_init__()
        positive("learning_rate", self.learning_rate)
        positive_seq("mus", self.mus, allow_zero=True)
        if 0.0 not in [float(m) for m in self.mus]:
            raise ValueError(f"`mus` must contain 0 (the SGD baseline), got {list(self.mus)!r}.")
        positive("egr_mu", self.egr_mu)
        if float(self.egr_mu) not in [float(m) for m in self.mus]:
            raise ValueError(f"`egr_mu` ({self.egr_mu}) must be one of `mus` {list(self.mus)}.")
        if self.egr_method == "finite_difference":
            raise ValueError(EGR_FD_REFUSED)
        if self.egr_method not in _engine.EGR_METHODS:
            raise ValueError(f"`egr_method` must be 'exact', got {self.egr_method!r}.")
        for name in ("mlp_n_train", "mlp_width", "mlp_steps", "mlp_eval_every"):
            positive(name, getattr(self, name), integer=True)
        positive_seq("mlp_gd_learning_rates", self.mlp_gd_learning_rates)
        positive("mlp_egr_learning_rate", self.mlp_egr_learning_rate)
        positive_seq("mlp_mus", self.mlp_mus)
        positive_seq("mlp_seeds", self.mlp_seeds, integer=True, allow_zero=True)
        positive("mlp_accuracy_mu_max", self.mlp_accuracy_mu_max)  # fewer than 3 mu below it: the row says so


class Results(NamedTuple):
    params: Params
    data_source: str
    n_train: int
    n_test: int
    m: int  # ResNet parameters
    sweep: _engine.SweepResult | None  # ResNet mu grid (None: not cached, not trained here)
    selected: pd.DataFrame  # ResNet networks at their time of maximum test accuracy
    gains: pd.DataFrame  # per mu > 0: mean gain in maximum test accuracy over SGD, with its 95% interval
    mlp_source: str
    mlp_m: int
    mlp: pd.DataFrame  # MLP runs (GD ladder and EGR ladder) at max test accuracy, with lambda total
    seconds: float
    mlp_metrics: pd.DataFrame | None = None  # every evaluation of the MLP runs ("kind": GD or EGR); None: version 1


def _gains(selected: pd.DataFrame) -> pd.DataFrame:
    base = selected[selected["mu"] == 0]["test acc"].to_numpy()
    rows = []
    for mu, grp in selected[selected["mu"] > 0].groupby("mu"):
        a = grp["test acc"].to_numpy()
        diff = float(a.mean() - base.mean()) if len(a) and len(base) else float("nan")
        se = (
            float(np.sqrt(a.var(ddof=1) / len(a) + base.var(ddof=1) / len(base)))
            if len(a) > 1 and len(base) > 1
            else float("nan")
        )
        rows.append(
            {
                "mu": mu,
                "EGR max test acc": a.mean(),
                "SGD max test acc": base.mean(),
                "gain": diff,
                "gain lo": diff - 1.96 * se,
                "gain hi": diff + 1.96 * se,
                "n EGR": len(a),
                "n SGD": len(base),
            }
        )
    return pd.DataFrame(
        rows, columns=["mu", "EGR max test acc", "SGD max test acc", "gain", "gain lo", "gain hi", "n EGR", "n SGD"]
    )


def _mlp(p: Params, results_dir: Path, log=None) -> tuple[str, int, pd.DataFrame, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        digits = load_mnist(source="auto", n_train=p.mlp_n_train)
    common = dict(
        widths=(p.mlp_width,),
        batch_size=None,
        epochs=float(p.mlp_steps),
        eval_every=p.mlp_eval_every,
        strategy=p.strategy,
    )
    gd = _engine.SweepConfig(experiment="egr_mlp_gd", learning_rates=tuple(p.mlp_gd_learning_rates), **common)
    egr = _engine.SweepConfig(
        experiment="egr_mlp",
        learning_rates=(p.mlp_egr_learning_rate,),
        mus=tuple(p.mlp_mus),
        egr_method=p.egr_method,
        **common,
    )
    frames, metrics = [], []
    for kind, base in (("GD", gd), ("EGR", egr)):
        # one sweep per seed: the networks are independent, and a profile that adds seeds trains only them
        runs = [
            _engine.run_sweep(dataclasses.replace(base, seeds=(s,)), digits, results_dir, progress=False, log=log)
            for s in p.mlp_seeds
        ]
        res_metrics = pd.concat([r.metrics for r in runs], ignore_index=True)
        metrics.append(res_metrics.assign(kind=kind))
        status = selection.fit_status(res_metrics, 0.0)
        best = selection.select_at_max_test_accuracy(res_metrics)
        keys = ["width", "h", "mu", "seed"]
        df = status[keys + ["diverged"]].merge(
            best[keys + ["step", "R_IG", "slope", "test acc", "train E", "m"]], on=keys, how="left"
        )
        df["kind"] = kind
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    m = mlp_num_params(digits.x_train.shape[1], [p.mlp_width] * 5, digits.num_classes)
    df["lambda total"] = m * (df["h"] / 4 + df["mu"])
    df["diverged"] = df["diverged"].astype(bool)
    return digits.source, m, df, pd.concat(metrics, ignore_index=True)


def run(p: Params, results_dir, log=None) -> Results:
    t0 = time.perf_counter()
    results_dir = Path(results_dir)
    data, label = images_or_reason(p)
    sweep = None
    if data is not None:
        cfg = sweep_config(p, len(data.y_train), "resnet_egr", (p.learning_rate,), mus=p.mus, egr_method=p.egr_method)
        sweep = run_grid(p, cfg, data, results_dir, log)
    shape = (3, 10) if data is None else (data.x_train.shape[-1], data.num_classes)
    m = resnet18_num_params(*shape, p.width)
    selected = (
        selection.select_at_max_test_accuracy(sweep.metrics)
        if sweep is not None
        else pd.DataFrame(columns=EMPTY_COLUMNS)
    )
    mlp_source, mlp_m, mlp, mlp_metrics = _mlp(p, results_dir, log)
    n_tr, n_te = (0, 0) if data is None else (len(data.y_train), len(data.y_test))
    return Results(
        p,
        label,
        n_tr,
        n_te,
        m,
        sweep,
        selected,
        _gains(selected),
        mlp_source,
        mlp_m,
        mlp,
        time.perf_counter() - t0,
        mlp_metrics,
    )


def _gd_edge(r: Results) -> tuple[float, float]:
    """(smallest total rate at which a GD run diverged, largest total rate of a GD run that did not);
    nan where none diverged or none stayed stable."""
    gd = r.mlp[r.mlp["kind"] == "GD"]
    bad, ok = gd[gd["diverged"]], gd[~gd["diverged"]]
    return (
        float(bad["lambda total"].min()) if len(bad) else float("nan"),
        float(ok["lambda total"].max()) if len(ok) else float("nan"),
    )


def _reach(r: Results, d, g: verdicts.Gate) -> verdicts.Verdict:
    """Does EGR at small h reach a total regularization rate beyond every stable GD run? The
    claim needs GD's edge located (its ladder must diverge somewhere, else its largest stable
    rate is only a lower bound set by the profile) and an EGR run that trained to its plateau and
    fits the training set (the declared gates) above it."""
    egr = r.mlp[r.mlp["kind"] == "EGR"]
    kept = g.keep(egr[~egr["diverged"]]) if len(egr) else egr
    top_egr = float(kept["lambda total"].max()) if len(kept) else float("nan")
    edge, top_gd = _gd_edge(r)
    if not np.isfinite(edge):
        return verdicts.inconclusive(
            "at_least",
            "no GD run diverged: its ladder never reached its stability edge, so its largest stable rate is only a "
            "lower bound set by the profile",
            measured=f"largest EGR lambda that passes the gates = {top_egr:.3g}",
            expected=f">= {top_gd:.3g} (largest stable GD lambda)",
            n=len(r.mlp),
        )
    if not len(kept):
        return verdicts.inconclusive("at_least", "no EGR run passes the gates: " + "; ".join(g.reasons()))
    v = verdicts.at_least(top_egr, top_egr, top_egr, edge, what="largest EGR lambda that passes the gates", n=len(kept))
    left = len(egr) - len(kept)
    why = f"{v.why} ({left} of {len(egr)} EGR runs left out by the gates: {'; '.join(g.reasons())})" if left else v.why
    return v.replace(
        expected=f">= {edge:.3g} (the smallest GD lambda that diverged; largest stable {top_gd:.3g})", why=why
    )


def is_complete(r: Results) -> bool:
    """Whether the store keeps these results: not when the grid was neither stored nor trained here."""
    return r.sweep is not None


def adequacy(r: Results) -> verdicts.Gate:
    """The plateau gate of the ResNet networks (Figure 3c compares maximum test accuracies). No
    inclusion rule: the claim compares EGR with SGD at one h, whatever each reaches."""
    return verdicts.gate(r.sweep.metrics if r.sweep is not None else None)


def mlp_adequacy(r: Results) -> verdicts.Gate:
    """The plateau gate of the MLP runs that did not diverge (rows at max test accuracy)."""
    return verdicts.gate(r.mlp_metrics)


def shortfall(r: Results) -> str:
    """Why this scale cannot decide Figure 3c ("" when it can)."""
    if r.sweep is None:
        return "the ResNet-18 grid is not stored and was not trained here"
    g = adequacy(r)
    kept = g.keep(r.selected)
    per = kept.groupby("mu").size() if len(kept) else pd.Series(dtype=int)
    egr_mu, need = float(r.params.egr_mu), DECLARED["07.egr-raises-max-test-acc"].test["per_group"]
    enough = per.get(0.0, 0) >= need and sum(n for mu, n in per.items() if np.isclose(mu, egr_mu)) >= need
    return "" if enough else "; ".join(g.reasons()) or f"fewer than {need} networks per group"


def _compare(r: Results, g: verdicts.Gate, d, missing: str) -> verdicts.Verdict:
    """EGR (the judged mu) against SGD on the networks that pass the gates: the declared smallest
    effect, in points of accuracy."""
    p = r.params
    if not len(r.selected):
        return verdicts.inconclusive(d.test.rule, missing, expected="> 0")
    chosen = r.selected[np.isclose(r.selected["mu"].astype(float), p.egr_mu) | (r.selected["mu"] == 0)]

    def rule(kept: pd.DataFrame) -> verdicts.Verdict:
        egr = kept[np.isclose(kept["mu"].astype(float), p.egr_mu)]["test acc"]
        sgd = kept[kept["mu"] == 0]["test acc"]
        return verdicts.compare(
            egr, sgd, d.test.sign, alpha=d.test.alpha, what="gain in max test acc", meaningful=d.test.smallest_effect
        )

    return verdicts.gated(g, rule, chosen, d.test.min_n, rule_name=d.test.rule)


def _gain_row(r: Results, g: verdicts.Gate, d, gain: verdicts.Verdict, missing: str) -> verdicts.Verdict:
    """The "+12 points" row: the gain and the interval of the comparison row (one interval for one
    difference), against the declared gain, with the data set's ceiling."""
    p = r.params
    if r.sweep is None or not len(gain.interval):
        return verdicts.inconclusive(d.test.rule, gain.why or missing, expected=f">= {d.test['gain']}")
    ceiling, source = d.test["ceilings"][p.dataset]
    base = g.keep(r.selected)
    baseline = float(base[base["mu"] == 0]["test acc"].mean())
    lo, hi = gain.interval
    return verdicts.at_least(
        gain.value,
        lo,
        hi,
        d.test["gain"],
        what="gain in max test acc",
        n=gain.n,
        ceiling=ceiling,
        baseline=baseline,
        ceiling_name=source,
    )


def resnet_rows(r: Results) -> list[Claim]:
    """Figure 3c on the networks that finished learning."""
    p = r.params
    g = adequacy(r)
    missing = "the ResNet grid is not in the cached results and was not trained here"
    steps = _schedule(r)[0]
    scale = (
        f"{r.data_source}; width x{p.width:g}; h = {p.learning_rate:g}; mu = {p.egr_mu:g}; {len(p.seeds)} seeds; "
        f"{steps:,} steps; gates: {g.summary()}"
    )
    d_gain, d_12 = DECLARED["07.egr-raises-max-test-acc"], DECLARED["07.egr-boost-12-points"]
    gain = _compare(r, g, d_gain, missing)
    ceiling = d_12.test["ceilings"][p.dataset]
    return [
        d_gain.row(gain, scale),
        d_12.row(
            _gain_row(r, g, d_12, gain, missing),
            f"{scale}; the 95% interval of the row above; ceiling {ceiling[0]:g} ({ceiling[1]})",
        ),
    ]


def mlp_rows(r: Results) -> list[Claim]:
    """The EGR argument of Section 4 on the MNIST MLP: this companion's hypotheses (the paper's EGR
    experiments are the two-parameter model and ResNet-18)."""
    p = r.params
    g = mlp_adequacy(r)
    d_fit = DECLARED["07.mlp-egr-reaches-beyond-gd"]
    g_fit = verdicts.gate(r.mlp_metrics, d_fit.test["fit_threshold"])
    seeds = len(p.mlp_seeds)
    mlp_note = (
        f"{r.mlp_source}; full-batch, n_l = {p.mlp_width}, {p.mlp_steps} steps, {seeds} seed(s); gates: {g.summary()}"
    )
    egr = r.mlp[np.isclose(r.mlp["h"], p.mlp_egr_learning_rate) & ~r.mlp["diverged"] & (r.mlp["kind"] == "EGR")]
    _, top_gd = _gd_edge(r)
    stable = egr[egr["lambda total"] <= top_gd * (1 + 1e-9)] if np.isfinite(top_gd) else egr.iloc[:0]

    def rises(d, runs, note):
        test = verdicts.RankTest(alpha=d.test.alpha, meaningful=d.test.smallest_effect)
        v = verdicts.gated(
            g,
            lambda k: verdicts.trend(k["mu"], k["test acc"], d.test.sign, x_name="mu", y_name="test acc", test=test),
            runs,
            d.test.min_n,
            d.test.rule,
        )
        return d.row(v, note)

    d_rig = DECLARED["07.mlp-rig-falls-with-total-rate"]
    rig_test = verdicts.RankTest(alpha=d_rig.test.alpha, meaningful=d_rig.test.smallest_effect)
    mus = ", ".join(f"{m:g}" for m in sorted(stable["mu"].unique()))
    return [
        d_rig.row(
            verdicts.gated(
                g,
                lambda k: verdicts.trend(
                    k["lambda total"], k["R_IG"], d_rig.test.sign, x_name="lambda", y_name="R_IG", test=rig_test
                ),
                r.mlp[~r.mlp["diverged"]],
                d_rig.test.min_n,
                d_rig.test.rule,
            ),
            mlp_note,
        ),
        d_fit.row(_reach(r, d_fit, g_fit), f"{mlp_note}; fit: train accuracy {d_fit.test['fit_threshold']:g}"),
        rises(
            DECLARED["07.mlp-acc-rises-with-mu-full-ladder"],
            egr,
            f"h = {p.mlp_egr_learning_rate:g}; every mu of the ladder; {seeds} seed(s); gates: {g.summary()}",
        ),
        rises(
            DECLARED["07.mlp-acc-rises-with-mu-stable-range"],
            stable,
            f"h = {p.mlp_egr_learning_rate:g}; mu in {{{mus}}}, where m (h/4 + mu) <= GD's largest stable rate "
            f"{top_gd:.3g}; {seeds} seed(s); gates: {g.summary()}",
        ),
    ]


def _schedule(r: Results) -> tuple[int, int]:
    """(steps per network, evaluations after step 0) of the ResNet grid (0, 0 when not computed)."""
    if r.sweep is None:
        return 0, 0
    return int(r.sweep.metrics["step"].max()), int(r.sweep.metrics["step"].nunique() - 1)


def figure3c_title(r: Results) -> str:
    """Figure 3c's title: the run's steps and evaluations, and a warning where they are too few to
    show a curve."""
    steps, evals = _schedule(r)
    few = " (too few evaluations to show a curve)" if evals < verdicts.MIN_EVALUATIONS else ""
    return f"Figure 3c: ResNet-18, h = {r.params.learning_rate:g}; {steps:,} steps, {evals} evaluations{few}"


def claims(r: Results) -> list[Claim]:
    return resnet_rows(r) + mlp_rows(r)


def facts(r: Results) -> dict:
    gd = r.mlp[r.mlp["kind"] == "GD"]
    return {
        "m": int(r.m),
        "mlp_m": int(r.mlp_m),
        "data_source": r.data_source,
        "mlp_source": r.mlp_source,
        "n_gd_diverged": int(gd["diverged"].sum()),
        "stand_in": r.data_source.startswith(STAND_IN),
        "missing": "none" if r.sweep is not None else "ResNet-18 EGR grid",
        "gates": adequacy(r).summary(),
        "mlp_gates": mlp_adequacy(r).summary(),
        "shortfall": shortfall(r),
        "steps": _schedule(r)[0],
        "evaluations": _schedule(r)[1],
    }

"""Chapter 06's verdict rows behind the adequacy gates, and the page's facts.

Abstraction: ``claims(results)`` judges Predictions 2.1 to 2.3 on ResNet-18 through
:mod:`igr_core.verdicts`, pooled over seeds: one row per declaration of
``igr_core/declarations/06_resnet.yml`` (:data:`DECLARED`), the rows taken at the time of
maximum test accuracy behind the declared gates (:func:`adequacy`: each network on its plateau
and reaching the declared train accuracy :data:`FIT_THRESHOLD`); :func:`shortfall` says why a
scale cannot decide them. ``facts(results)`` is the numbers the page's prose quotes.

With BatchNorm, R_IG and the slope are those of the training-mode loss that SGD follows (each
batch of the training batch size normalized with its own statistics; see
:mod:`igr_core._src.engine`); loss and accuracies are in evaluation mode (moving averages).
"""

from __future__ import annotations

import pandas as pd

from igr_core._src import columns as C
from igr_core._src import verdicts
from igr_core._src.models import resnet18_num_params
from igr_core._src.verdicts import Claim
from igr_core.experiments.resnet.params import FIT_THRESHOLD, NOTEBOOK, Results

DECLARED = verdicts.declarations.chapter(NOTEBOOK)  # every row's words, test and thresholds
NOT_TRAINED = "the ResNet-18 grid is not stored and was not trained here"


def _trend(df: pd.DataFrame, x: str, y: str, d, missing: str) -> verdicts.Verdict:
    if df is None or df.empty:
        return verdicts.inconclusive("trend", missing)
    test = verdicts.RankTest(alpha=d.test.alpha, meaningful=d.test.smallest_effect)
    return verdicts.trend(df[x], df[y], d.test.sign, x_name=x, y_name=y, test=test)


def adequacy(r: Results) -> verdicts.Gate:
    """The gates of the rows taken at the time of maximum test accuracy: each network on its
    plateau (:func:`igr_core.verdicts.gate`) and reaching the declared train accuracy."""
    return verdicts.gate(r.sweep.metrics if r.sweep is not None else None, FIT_THRESHOLD)


def shortfall(r: Results) -> str:
    """Why this scale cannot decide the chapter's claims about trained networks ("" when it can)."""
    if r.sweep is None:
        return NOT_TRAINED
    g = adequacy(r)
    need = DECLARED["06.rig-smaller-for-larger-h"].test.min_n
    return "" if g.n_kept >= need else "; ".join(g.reasons())


def interpolation(r: Results, d) -> verdicts.Verdict:
    """Fig. A.7e-f: every network that does not diverge reaches the declared train accuracy by
    the declared step (``verdicts.reached_by``)."""
    if r.sweep is None:
        return verdicts.inconclusive("reached by", NOT_TRAINED)
    m, fit = r.sweep.metrics, d.test["fit_threshold"]
    first, trained = [], []
    for _, g in m.groupby(["h", "seed"]):
        if g[C.DIVERGED].astype(bool).any():
            continue
        hit = g[g[C.TRAIN_ACC] >= fit - 1e-9]["step"]
        first.append(float(hit.min()) if len(hit) else float("inf"))
        trained.append(int(g["step"].max()))
    return verdicts.reached_by(first, trained, d.test["deadline"], what=f"train accuracy {fit:g}")


def _missing(r: Results) -> str:
    """Why a row has no networks to judge."""
    if r.sweep is None:
        return "no networks: the grid is not in the cached results and was not trained here"
    return "no network qualifies at this stopping time"


def _rates(r: Results) -> str:
    return ", ".join(f"{h:g}" for h in r.params.learning_rates)


def _scale(r: Results, g: verdicts.Gate) -> str:
    """The note of the rows at the time of maximum test accuracy: data, grid, networks and gates."""
    p = r.params
    return (
        f"{r.data_source}; width x{p.width:g}; h in {{{_rates(r)}}}; {len(r.status)} networks, pooled over "
        f"{len(p.seeds)} seed(s); gates: {g.summary()}"
    )


def _at_best(r: Results, g: verdicts.Gate, cid: str, x: str, y: str) -> Claim:
    """Row ``cid``: the trend of ``y`` in ``x`` over the networks at their time of maximum test
    accuracy that pass the gates."""
    d = DECLARED[cid]
    missing = _missing(r)
    v = verdicts.gated(g, lambda kept: _trend(kept, x, y, d, missing), r.selected, d.test.min_n, d.test.rule)
    return d.row(v, _scale(r, g))


def _interpolation_row(r: Results) -> Claim:
    d = DECLARED["06.interpolation"]
    return d.row(interpolation(r, d), f"{r.data_source}; h in {{{_rates(r)}}}; batch {r.params.batch_size}")


def _matched_row(r: Results) -> Claim:
    """The control: R_IG against h at a matched training loss (not an end-of-training quantity)."""
    d = DECLARED["06.control-matched-loss"]
    return d.row(
        _trend(r.matched, "h", C.R_IG, d, _missing(r)),
        f"first evaluation with E < {r.params.matched_train_loss:g} (not an end-of-training quantity: no plateau gate)",
    )


def claims(r: Results) -> list[Claim]:
    """The chapter's rows, in the declarations' order."""
    g = adequacy(r)
    return [
        _at_best(r, g, "06.rig-smaller-for-larger-h", "h", C.R_IG),
        _at_best(r, g, "06.max-acc-higher-for-larger-h", "h", C.TEST_ACC),
        _at_best(r, g, "06.slope-shallower-for-larger-h", "h", C.SLOPE),
        _at_best(r, g, "06.acc-higher-where-rig-smaller", C.R_IG, C.TEST_ACC),
        _interpolation_row(r),
        _at_best(r, g, "06.control-rig-tracks-loss", C.TRAIN_E, C.R_IG),
        _matched_row(r),
    ]


def facts(r: Results) -> dict:
    return {
        "m": int(r.m),
        "m_full": resnet18_num_params(3, 10, 1.0),
        "n_networks": int(len(r.status)),
        "n_diverged": int(r.status[C.DIVERGED].sum()) if len(r.status) else 0,
        "data_source": r.data_source,
        "missing": "none" if r.sweep is not None else "ResNet-18 SGD grid",
        "lowest_train_acc_at_best": float(r.selected[C.TRAIN_ACC].min()) if len(r.selected) else float("nan"),
        "highest_train_acc_at_best": float(r.selected[C.TRAIN_ACC].max()) if len(r.selected) else float("nan"),
        "gates": adequacy(r).summary(),
        "shortfall": shortfall(r),
        "steps": int(r.sweep.metrics["step"].max()) if r.sweep is not None else 0,
        "evaluations": int(r.sweep.metrics["step"].nunique() - 1) if r.sweep is not None else 0,
    }

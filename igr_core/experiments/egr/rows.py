"""Chapter 07's verdict rows behind the adequacy gates, and the page's facts.

Abstraction: ``claims(results)`` judges the gain of EGR on ResNet-18 against the paper's "more
than 12%" (:func:`resnet_rows`) and the EGR argument of Section 4 on the MNIST MLP
(:func:`mlp_rows`) through :mod:`igr_core.verdicts`: one row per declaration of
``igr_core/declarations/07_egr.yml`` (:data:`DECLARED`), on the networks that pass the declared
gates (:func:`adequacy`, :func:`mlp_adequacy`); :func:`shortfall` says why a scale cannot decide
Figure 3c. ``facts(results)`` is the numbers the page's prose quotes, :func:`figure3c_title`
Figure 3c's title.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from igr_core._src import columns as C
from igr_core._src import verdicts
from igr_core._src.verdicts import Claim
from igr_core.experiments._images import STAND_IN
from igr_core.experiments.egr.params import NOTEBOOK, Results

DECLARED = verdicts.declarations.chapter(NOTEBOOK)  # every row's words, test and thresholds


def _gd_edge(r: Results) -> tuple[float, float]:
    """(smallest total rate at which a GD run diverged, largest total rate of a GD run that did not);
    nan where none diverged or none stayed stable."""
    gd = r.mlp[r.mlp["kind"] == "GD"]
    bad, ok = gd[gd[C.DIVERGED]], gd[~gd[C.DIVERGED]]
    return (
        float(bad[C.LAMBDA_TOTAL].min()) if len(bad) else float("nan"),
        float(ok[C.LAMBDA_TOTAL].max()) if len(ok) else float("nan"),
    )


def _reach(r: Results, d, g: verdicts.Gate) -> verdicts.Verdict:
    """Does EGR at small h reach a total regularization rate beyond every stable GD run? The
    claim needs GD's edge located (its ladder must diverge somewhere, else its largest stable
    rate is only a lower bound set by the profile) and an EGR run that trained to its plateau and
    fits the training set (the declared gates) above it."""
    egr = r.mlp[r.mlp["kind"] == "EGR"]
    kept = g.keep(egr[~egr[C.DIVERGED]]) if len(egr) else egr
    top_egr = float(kept[C.LAMBDA_TOTAL].max()) if len(kept) else float("nan")
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
        egr = kept[np.isclose(kept["mu"].astype(float), p.egr_mu)][C.TEST_ACC]
        sgd = kept[kept["mu"] == 0][C.TEST_ACC]
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
    baseline = float(base[base["mu"] == 0][C.TEST_ACC].mean())
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


def _mlp_note(r: Results, g: verdicts.Gate) -> str:
    p = r.params
    return (
        f"{r.mlp_source}; full-batch, n_l = {p.mlp_width}, {p.mlp_steps} steps, {len(p.mlp_seeds)} seed(s); "
        f"gates: {g.summary()}"
    )


def _egr_runs(r: Results) -> pd.DataFrame:
    """The MLP's EGR runs at the EGR learning rate that did not diverge."""
    mlp, h = r.mlp, r.params.mlp_egr_learning_rate
    return mlp[np.isclose(mlp["h"], h) & ~mlp[C.DIVERGED] & (mlp["kind"] == "EGR")]


def _rig_row(r: Results, g: verdicts.Gate) -> Claim:
    """R_IG falls with the total regularization rate lambda = m (h/4 + mu), GD and EGR runs together."""
    d = DECLARED["07.mlp-rig-falls-with-total-rate"]
    test = verdicts.RankTest(alpha=d.test.alpha, meaningful=d.test.smallest_effect)
    v = verdicts.gated(
        g,
        lambda k: verdicts.trend(k[C.LAMBDA_TOTAL], k[C.R_IG], d.test.sign, x_name="lambda", y_name=C.R_IG, test=test),
        r.mlp[~r.mlp[C.DIVERGED]],
        d.test.min_n,
        d.test.rule,
    )
    return d.row(v, _mlp_note(r, g))


def _reach_row(r: Results, g: verdicts.Gate) -> Claim:
    """EGR at a small h reaches total rates beyond GD's stability edge (runs that fit, declared threshold)."""
    d = DECLARED["07.mlp-egr-reaches-beyond-gd"]
    g_fit = verdicts.gate(r.mlp_metrics, d.test["fit_threshold"])
    return d.row(_reach(r, d, g_fit), f"{_mlp_note(r, g)}; fit: train accuracy {d.test['fit_threshold']:g}")


def _rises_row(g: verdicts.Gate, cid: str, runs: pd.DataFrame, note: str) -> Claim:
    """Row ``cid``: test accuracy rises with mu over ``runs`` (behind the gates)."""
    d = DECLARED[cid]
    test = verdicts.RankTest(alpha=d.test.alpha, meaningful=d.test.smallest_effect)
    v = verdicts.gated(
        g,
        lambda k: verdicts.trend(k["mu"], k[C.TEST_ACC], d.test.sign, x_name="mu", y_name=C.TEST_ACC, test=test),
        runs,
        d.test.min_n,
        d.test.rule,
    )
    return d.row(v, note)


def _full_ladder_row(r: Results, g: verdicts.Gate) -> Claim:
    p = r.params
    return _rises_row(
        g,
        "07.mlp-acc-rises-with-mu-full-ladder",
        _egr_runs(r),
        f"h = {p.mlp_egr_learning_rate:g}; every mu of the ladder; {len(p.mlp_seeds)} seed(s); gates: {g.summary()}",
    )


def _stable_range_row(r: Results, g: verdicts.Gate) -> Claim:
    """The same trend over the mu whose total rate stays within GD's stable range."""
    p = r.params
    egr = _egr_runs(r)
    _, top_gd = _gd_edge(r)
    stable = egr[egr[C.LAMBDA_TOTAL] <= top_gd * (1 + 1e-9)] if np.isfinite(top_gd) else egr.iloc[:0]
    mus = ", ".join(f"{m:g}" for m in sorted(stable["mu"].unique()))
    return _rises_row(
        g,
        "07.mlp-acc-rises-with-mu-stable-range",
        stable,
        f"h = {p.mlp_egr_learning_rate:g}; mu in {{{mus}}}, where m (h/4 + mu) <= GD's largest stable rate "
        f"{top_gd:.3g}; {len(p.mlp_seeds)} seed(s); gates: {g.summary()}",
    )


def mlp_rows(r: Results) -> list[Claim]:
    """The EGR argument of Section 4 on the MNIST MLP: this companion's hypotheses (the paper's EGR
    experiments are the two-parameter model and ResNet-18)."""
    g = mlp_adequacy(r)
    return [_rig_row(r, g), _reach_row(r, g), _full_ladder_row(r, g), _stable_range_row(r, g)]


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
    """The chapter's rows, in the declarations' order."""
    return resnet_rows(r) + mlp_rows(r)


def facts(r: Results) -> dict:
    gd = r.mlp[r.mlp["kind"] == "GD"]
    return {
        "m": int(r.m),
        "mlp_m": int(r.mlp_m),
        "data_source": r.data_source,
        "mlp_source": r.mlp_source,
        "n_gd_diverged": int(gd[C.DIVERGED].sum()),
        "stand_in": r.data_source.startswith(STAND_IN),
        "missing": "none" if r.sweep is not None else "ResNet-18 EGR grid",
        "gates": adequacy(r).summary(),
        "mlp_gates": mlp_adequacy(r).summary(),
        "shortfall": shortfall(r),
        "steps": _schedule(r)[0],
        "evaluations": _schedule(r)[1],
    }

"""Chapter 09's verdict rows: fitted orders, the recursion's errors, Adam's regimes and the map.

Abstraction: ``claims(results)`` returns one :class:`~igr_core.verdicts.Claim` per declaration
of ``igr_core/declarations/09_optimizers.yml`` (:data:`DECLARED`), in the file's order, each
built by a small function: the log-log slopes of the global errors (:func:`slopes`) and of the
one-step errors (:func:`local_slopes`) let :func:`igr_core.verdicts.order` decide each
description's order; the recursion's relative errors are identities or errata; Adam's regimes
(:func:`adam_claims`) and the learning-rate map (:func:`map_claims`) are signs and bounds.
Every threshold comes from the declared tests, looked up when the row is built.
``facts(results)`` is the numbers the page's prose quotes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from igr_core._src import bea as _bea
from igr_core._src import columns as C
from igr_core._src import optimizers as methods
from igr_core._src import verdicts
from igr_core._src.verdicts import Claim, declarations, number_or
from igr_core.experiments.optimizers.params import (
    ADAM,
    ADAM_FULL,
    ADAM_NAIVE,
    FLOW_E,
    GD,
    GD_LOSS,
    GD_MODIFIED,
    HB_NAIVE,
    HB_NO_SHIFT,
    HB_SHIFTED,
    HB_UNAMPLIFIED,
    HEAVY_BALL,
    LOCAL_ARXIV,
    LOCAL_ICLR,
    NOTEBOOK,
    PENALTY,
    QUADRATIC,
    QUARTIC,
    REGIME_ANTI,
    REGIME_CONTROL,
    ROUTE_ARXIV,
    ROUTE_CLOSED_FORM,
    ROUTE_ICLR,
    ROUTE_ICLR_TRUE,
    SGD_ALL_ORDERS,
    SGD_LOSS,
    SGD_RESHUFFLE,
    SHARPNESS,
    SLOPE,
    TANH_MLP,
    TWO_PARAM_MODEL,
    Results,
)

DECLARED = declarations.chapter(NOTEBOOK)  # the chapter's declared rows (igr_core/declarations/09_optimizers.yml)
MAP_ROWS = {"gradient descent": "09.map-gradient-descent", "heavy ball": "09.map-heavy-ball"}  # optimizer -> row
NONQUADRATIC = (TWO_PARAM_MODEL, QUARTIC)


# ---------------------------------------------------------------------------- fitted orders and errors


def local_slopes(local: pd.DataFrame) -> pd.DataFrame:
    """Fitted log-log slope (and standard error) of gradient descent's one-step errors, per description."""
    out = []
    for desc, g in local.groupby("description", sort=False):
        s, se = _bea.fit_order_stats(g["h"], g["error"])
        out.append(
            {
                "description": desc,
                "expected order": int(g["expected order"].iloc[0]),
                C.SLOPE: s,
                "stderr": se,
                "n": len(g),
            }
        )
    return pd.DataFrame(out)


def slopes(errors: pd.DataFrame) -> pd.DataFrame:
    """Fitted log-log slope (and standard error) per optimizer, problem and description."""
    out = []
    for (opt, prob, desc), g in errors.groupby(["optimizer", "problem", "description"], sort=False):
        ok = np.isfinite(g["error"]) & (g["error"] > 0)
        s, se = _bea.fit_order_stats(g.loc[ok, "h"], g.loc[ok, "error"]) if ok.sum() >= 2 else (np.nan, np.nan)
        out.append(
            {
                "optimizer": opt,
                "problem": prob,
                "description": desc,
                "expected order": int(g["expected order"].iloc[0]),
                C.SLOPE: s,
                "stderr": se,
                "n": int(ok.sum()),
            }
        )
    return pd.DataFrame(out)


def recursion_error(rec: pd.DataFrame, problem: str, route: str, l: int = 3) -> float:
    """The relative error of f_l by one reading of (A.14) on one problem (NaN where not computed)."""
    g = rec[(rec["problem"] == problem) & (rec["route"] == route) & (rec["l"] == l)]["relative error"]
    return float(g.iloc[0]) if len(g) else float("nan")


def _slope_rows(s: pd.DataFrame, optimizer: str, description: str) -> pd.DataFrame:
    """The fitted slopes of one optimizer against one description (every problem)."""
    return s[(s["optimizer"] == optimizer) & (s["description"] == description)]


def _order(s: pd.DataFrame, opt: str, desc: str, d) -> verdicts.Verdict:
    """Declaration ``d``'s order test of one description of one optimizer, over every problem."""
    g = _slope_rows(s, opt, desc)
    return verdicts.order(
        g[C.SLOPE],
        g["stderr"],
        float(g["expected order"].iloc[0]),
        int(g["n"].min()),
        tol=d.test["tol"],
        labels=list(g["problem"]),
    )


def _printed_local(local: pd.DataFrame) -> pd.Series:
    """The local slopes with each text's f_3, by description."""
    return local[local["description"].isin([LOCAL_ARXIV, LOCAL_ICLR])].set_index("description")[C.SLOPE]


# ---------------------------------------------------------------------------- higher orders (Prop. A.4)


def _local_orders_row(local: pd.DataFrame) -> Claim:
    """Gradient descent's one-step errors against every correct description, each of its order."""
    d = DECLARED["09.local-orders"]
    right = local[~local["description"].isin([LOCAL_ARXIV, LOCAL_ICLR])]
    return d.row(
        verdicts.combine(
            [
                verdicts.order([s_], [e], float(x), int(n), tol=d.test["tol"], labels=[C.SLOPE])
                for x, s_, e, n in zip(right["expected order"], right[C.SLOPE], right["stderr"], right["n"])
            ],
            list(right["description"]),
        ),
        "one-step errors on the two-parameter model, float64",
    )


def _closed_form_row(r: Results) -> Claim:
    rec = r.recursion
    return DECLARED["09.closed-form-quadratic"].row(
        verdicts.identity(rec[rec["route"] == ROUTE_CLOSED_FORM]["relative error"], what="relative error, l = 1, 2, 3"),
    )


def _f1_f2_row(r: Results) -> Claim:
    rec = r.recursion
    return DECLARED["09.recursion-f1-f2"].row(
        verdicts.identity(
            rec[(rec["l"] <= 2) & rec["route"].isin([ROUTE_ARXIV, ROUTE_ICLR])]["relative error"],
            what="relative error against the exact corrections",
        ),
        "both texts' readings; quadratic, two-parameter model, quartic",
    )


def _arxiv_f3_row(r: Results, local: pd.DataFrame) -> Claim:
    rec = r.recursion
    return DECLARED["09.arxiv-a14-f3"].row(
        verdicts.erratum(
            recursion_error(rec, QUADRATIC, ROUTE_ARXIV),
            recursion_error(rec, QUADRATIC, ROUTE_ICLR_TRUE),
            what="f_3 on a quadratic; the corrected reading is the ICLR one without Lemma A.1",
        ),
        f"fails already on a quadratic: identifying f_l with -H_l drops H_l's dependence on h (Lemma A.2's "
        f"step); local slope with this f_3 {_printed_local(local).get(LOCAL_ARXIV, float('nan')):.2f} (needs 5)",
    )


def _iclr_quadratic_row(r: Results) -> Claim:
    return DECLARED["09.iclr-a14-f3-quadratic"].row(
        verdicts.identity(
            [recursion_error(r.recursion, QUADRATIC, ROUTE_ICLR, k) for k in (1, 2, 3)],
            what="relative error, l = 1, 2, 3",
        ),
    )


def _iclr_nonquadratic_row(r: Results, local: pd.DataFrame) -> Claim:
    rec = r.recursion
    return DECLARED["09.iclr-a14-f3-nonquadratic"].row(
        verdicts.erratum(
            max(recursion_error(rec, q, ROUTE_ICLR) for q in NONQUADRATIC),
            max(recursion_error(rec, q, ROUTE_ICLR_TRUE) for q in NONQUADRATIC),
            what="f_3, worst of the two-parameter model and a quartic",
        ),
        f"Lemma A.1 assumes the modified field has a symmetric Jacobian; f_2 is not a gradient, so its "
        f"gradient form of the second derivative is wrong at h^3; local slope with this f_3 "
        f"{_printed_local(local).get(LOCAL_ICLR, float('nan')):.2f} (needs 5)",
    )


def _iclr_diagnosis_row(r: Results) -> Claim:
    rec = r.recursion
    return DECLARED["09.iclr-a14-diagnosis"].row(
        verdicts.identity(
            rec[rec["route"] == ROUTE_ICLR_TRUE]["relative error"], what="relative error, every problem and l"
        ),
    )


def _f2_not_gradient_row(r: Results) -> Claim:
    return DECLARED["09.f2-not-gradient"].row(
        verdicts.identity([r.antisymmetry_error], what="relative error"),
        "forward-mode Jacobian of f_2 against the explicit Hessian and third-derivative tensor",
    )


# ---------------------------------------------------------------------------- Adam's regimes and the map


def _adam_diff(r: Results, problem: str, regime: str, quantity: str) -> tuple[np.ndarray, float]:
    g = r.adam[
        (r.adam["problem"] == problem) & (r.adam["regime"] == regime) & (r.adam["quantity"] == quantity)
    ].sort_values("h", ascending=False)
    return g["difference"].to_numpy(), float(g["flow of -g/s"].abs().max())


def _adam_toy_verdict(r: Results, d) -> verdicts.Verdict:
    """Two-parameter model: rho > beta ends sharper than the flow, rho < beta flatter; inconclusive
    unless every run reached its minimum (the declared converged slope)."""
    converged_slope = d.test["converged_slope"]  # ||grad E|| below which a run has reached its minimum
    p = r.params
    anti, scale = _adam_diff(r, TWO_PARAM_MODEL, REGIME_ANTI, SHARPNESS)
    ctrl, _ = _adam_diff(r, TWO_PARAM_MODEL, REGIME_CONTROL, SHARPNESS)
    toy = verdicts.combine(
        [
            verdicts.sign(anti, +1, scale, what="lambda_max(Adam) - lambda_max(flow)"),
            verdicts.sign(ctrl, -1, scale, what="lambda_max(Adam) - lambda_max(flow)"),
        ],
        [f"rho = {p.anti_rho:g}", f"rho = {p.control_rho:g}"],
    )
    ends = r.adam[(r.adam["problem"] == TWO_PARAM_MODEL) & (r.adam["quantity"] == SLOPE)]
    worst = float(np.nanmax(ends[["Adam", "flow of -g/s"]].to_numpy())) if len(ends) else float("nan")
    if not worst <= converged_slope:  # a claim about the minimum reached needs runs that reached one
        toy = toy.replace(
            outcome=verdicts.Outcome.INCONCLUSIVE,
            why=f"not converged by T = {p.anti_T:g}: ||grad E|| up to {worst:.2g} > {converged_slope:g}",
        )
    return toy


def _adam_net_verdict(r: Results) -> verdicts.Verdict:
    """Tanh network: N_eps and the slope larger with rho > beta than with rho < beta, at each h."""
    p = r.params
    parts, labels = [], []
    for q in (PENALTY, SLOPE):
        da, sc = _adam_diff(r, TANH_MLP, REGIME_ANTI, q)
        dc, _ = _adam_diff(r, TANH_MLP, REGIME_CONTROL, q)
        parts.append(verdicts.sign(da - dc, +1, sc, what=f"{q}(rho = {p.anti_rho:g}) - {q}(rho = {p.control_rho:g})"))
        labels.append(q)
    return verdicts.combine(parts, labels)


def adam_claims(r: Results) -> list[Claim]:
    """Adam's anti-regularizer rows (igr_core/declarations/09_optimizers.yml): the converged-slope
    gate and every other threshold come from the declared tests."""
    d_toy, d_net = DECLARED["09.adam-anti-penalty-toy"], DECLARED["09.adam-anti-penalty-tanh"]
    p = r.params
    h = ", ".join(f"{x:g}" for x in sorted(p.anti_hs, reverse=True))
    return [
        d_toy.row(
            _adam_toy_verdict(r, d_toy),
            f"beta = {p.anti_beta:g}, rho = {p.anti_rho:g} against rho = {p.control_rho:g}; two-parameter model, "
            f"eps = {p.anti_eps:g}, h = {h}, run to T = {p.anti_T:g}",
        ),
        d_net.row(
            _adam_net_verdict(r),
            f"rho = {p.anti_rho:g} against rho = {p.control_rho:g}; T = {p.net_anti_T:g}, h = "
            + ", ".join(f"{x:g}" for x in sorted(p.net_anti_hs, reverse=True)),
        ),
    ]


def _map_row(r: Results, edges: pd.DataFrame, prefix: str, cid: str) -> Claim:
    """Below the stability edge of optimizer ``prefix``, the first-order description beats the naive one."""
    d = DECLARED[cid]
    names = [n for n in edges.index if n.startswith(prefix)]
    if not names or not np.isfinite(edges.loc[names[0], "stability edge"]):
        return d.row(verdicts.inconclusive("bound", f"no learning-rate map with a stability edge for {prefix}"))
    name, e = names[0], edges.loc[names[0]]
    g = r.rate_map[(r.rate_map["optimizer"] == name) & (r.rate_map["h"] < e["stability edge"])]
    return d.row(
        verdicts.bound(g["ratio"], d.test["upper"], what="error ratio first-order / naive"),
        f"{name}, two-parameter model, T = {r.params.map_T:g}, stability edge {e['stability edge']:.3g}; "
        "ratio reaches 1 at h = "
        + number_or(e["h_map (ratio reaches 1)"], "(not in the ladder)", 3)
        + "; the stability edge as the regime's end is this companion's reading, not the paper's",
    )


def map_claims(r: Results) -> list[Claim]:
    """One declared row per optimizer with a stability edge (gradient descent, heavy ball)."""
    edges = r.edges.set_index("optimizer")
    return [_map_row(r, edges, prefix, cid) for prefix, cid in MAP_ROWS.items()]


# ---------------------------------------------------------------------------- global orders at fixed time


def _gd_row(r: Results, s: pd.DataFrame) -> Claim:
    d = DECLARED["09.gd-orders"]
    return d.row(
        verdicts.combine([_order(s, GD, FLOW_E, d), _order(s, GD, GD_MODIFIED, d)], ["E", "modified"]),
        "global error at fixed T, float64",
    )


def _momentum_amplified_row(r: Results, s: pd.DataFrame) -> Claim:
    d, b = DECLARED["09.momentum-amplified"], r.params.momentum_beta
    return d.row(
        verdicts.combine(
            [_order(s, HEAVY_BALL, HB_NAIVE, d), _order(s, HEAVY_BALL, HB_SHIFTED, d)], ["naive", "modified"]
        ),
        f"beta = {b:g}: amplification (1+beta)/(1-beta) = {(1 + b) / (1 - b):.3g}",
    )


def _momentum_unamplified_row(r: Results, s: pd.DataFrame) -> Claim:
    d = DECLARED["09.momentum-unamplified"]
    return d.row(_order(s, HEAVY_BALL, HB_UNAMPLIFIED, d), f"beta = {r.params.momentum_beta:g}")


def _momentum_no_shift_row(r: Results, s: pd.DataFrame) -> Claim:
    d = DECLARED["09.momentum-no-shift"]
    return d.row(
        _order(s, HEAVY_BALL, HB_NO_SHIFT, d),
        f"beta = {r.params.momentum_beta:g}; the shift is O(h): whether it shows at fixed T depends on the loss",
    )


def _adam_orders_row(r: Results, s: pd.DataFrame) -> Claim:
    d, p = DECLARED["09.adam-second-order"], r.params
    return d.row(
        verdicts.combine([_order(s, ADAM, ADAM_NAIVE, d), _order(s, ADAM, ADAM_FULL, d)], ["naive", "modified"]),
        f"beta = {p.adam_beta:g}, rho = {p.adam_rho:g}, eps = {p.adam_eps:g}",
    )


def _sgd_epoch_row(r: Results, s: pd.DataFrame) -> Claim:
    d, p = DECLARED["09.sgd-epoch"], r.params
    return d.row(
        verdicts.combine(
            [_order(s, SGD_ALL_ORDERS, GD_LOSS, d), _order(s, SGD_ALL_ORDERS, SGD_LOSS, d)],
            ["GD form", "SGD form"],
        ),
        f"{p.sgd_n // p.sgd_batch} batches of {p.sgd_batch}, every order averaged",
    )


def _sgd_reshuffle_row(r: Results, s: pd.DataFrame) -> Claim:
    d, p = DECLARED["09.sgd-reshuffle"], r.params
    return d.row(
        verdicts.combine(
            [
                verdicts.identity([abs(r.variance[0] / r.variance[1] - 1)], what="formula against enumeration"),
                _order(s, SGD_RESHUFFLE, GD_LOSS, d),
                _order(s, SGD_RESHUFFLE, SGD_LOSS, d),
            ],
            ["variance term", "GD form", "SGD form"],
        ),
        f"N = {p.reshuffle_n}, B = {p.reshuffle_batch}, every one of the N! orderings averaged",
    )


def claims(r: Results) -> list[Claim]:
    """The chapter's rows, in the declarations' order."""
    s, local = slopes(r.errors), local_slopes(r.local)
    return [
        _local_orders_row(local),
        _closed_form_row(r),
        _f1_f2_row(r),
        _arxiv_f3_row(r, local),
        _iclr_quadratic_row(r),
        _iclr_nonquadratic_row(r, local),
        _iclr_diagnosis_row(r),
        _f2_not_gradient_row(r),
        *adam_claims(r),
        *map_claims(r),
        _gd_row(r, s),
        _momentum_amplified_row(r, s),
        _momentum_unamplified_row(r, s),
        _momentum_no_shift_row(r, s),
        _adam_orders_row(r, s),
        _sgd_epoch_row(r, s),
        _sgd_reshuffle_row(r, s),
    ]


def facts(r: Results) -> dict:
    s = slopes(r.errors)
    b = r.params.momentum_beta

    def pick(opt, desc):
        return float(_slope_rows(s, opt, desc)[C.SLOPE].mean())

    rec = r.recursion
    return {
        "data_source": r.source,
        "amplification": (1 + b) / (1 - b),
        "adam_anti": float(methods.adam_coefficients(np.float64(1.0), 0.9, 0.999, 1e-12)),
        "sgd_gd_slope": pick(SGD_ALL_ORDERS, GD_LOSS),
        "sgd_sgd_slope": pick(SGD_ALL_ORDERS, SGD_LOSS),
        "sgd_reshuffle_slope": pick(SGD_RESHUFFLE, SGD_LOSS),
        "reshuffle_variance_error": abs(r.variance[0] / r.variance[1] - 1),
        "mom_noshift_slope": pick(HEAVY_BALL, HB_NO_SHIFT),
        "mom_unamp_slope": pick(HEAVY_BALL, HB_UNAMPLIFIED),
        "arxiv_f3_err": recursion_error(rec, QUADRATIC, ROUTE_ARXIV),
        "iclr_f3_quadratic_err": recursion_error(rec, QUADRATIC, ROUTE_ICLR),
        "iclr_f3_toy_err": recursion_error(rec, TWO_PARAM_MODEL, ROUTE_ICLR),
        "iclr_f3_quartic_err": recursion_error(rec, QUARTIC, ROUTE_ICLR),
        "iclr_true_f3_err": float(rec[rec["route"] == ROUTE_ICLR_TRUE]["relative error"].max()),
        "antisymmetry_error": r.antisymmetry_error,
        **{
            f"toy_dsharp_{k}": float(_adam_diff(r, TWO_PARAM_MODEL, regime, SHARPNESS)[0][-1])
            for k, regime in (("rho > beta", REGIME_ANTI), ("rho < beta", REGIME_CONTROL))
        },
        **{f"h_map_{i}": float(x) for i, x in enumerate(r.edges["h_map (ratio reaches 1)"])},
        **{f"edge_{i}": float(x) for i, x in enumerate(r.edges["stability edge"])},
    }

"""Chapter 01's verdict rows: each declared test evaluated on the results, and the page's facts.

Abstraction: ``claims(results)`` returns one :class:`~igr_core.verdicts.Claim` per declaration
of ``igr_core/declarations/01_theorem_checks.yml`` (:data:`DECLARED`), in the file's order, each
judged by :mod:`igr_core.verdicts` with every threshold read from the declared test when the row
is built (a declaration changed in memory changes the verdict). ``facts(results)`` is the
numbers the page's prose quotes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from igr_core._src import columns as C
from igr_core._src import verdicts
from igr_core._src.bea import crossing
from igr_core._src.verdicts import Claim
from igr_core._src.verdicts import declarations as _declarations
from igr_core.experiments._rows import declared_erratum
from igr_core.experiments.theorems.params import NOTEBOOK, Results

DECLARED = _declarations.chapter(NOTEBOOK)  # every row's words, reference, kind and test (igr_core/declarations)


def _orders(fits: pd.DataFrame, test: _declarations.Test) -> verdicts.Verdict:
    """The declared orders (``test["orders"]``) against their expected slopes, each within
    ``test["tol"]``; with several orders the evidence is the slope farthest from its own."""
    parts, names = [], []
    for k, expected in zip(test["orders"], test["expected_slopes"], strict=True):
        grp = fits[fits["order"] == k]
        n = int(grp["n"].min()) if len(grp) else 0
        if test.min_n is not None and n < test.min_n:
            parts.append(
                verdicts.inconclusive("order", f"order {k}: {n} step sizes, fewer than the declared {test.min_n}", n=n)
            )
        else:
            parts.append(
                verdicts.order(
                    grp["measured slope"],
                    grp["stderr"],
                    float(expected),
                    n,
                    tol=float(test["tol"]),
                    labels=[name.split(" ")[0] for name in grp["problem"]],
                )
            )
        names.append(f"order {k}")
    if len(parts) == 1:
        return parts[0]
    off = [abs(v.value - float(e)) for v, e in zip(parts, test["expected_slopes"])]
    worst = int(np.nanargmax(off)) if np.isfinite(off).any() else 0
    return verdicts.combine(parts, names).replace(
        value=parts[worst].value,
        statistic=f"fitted log-log slope farthest from its expected order ({names[worst]}, "
        f"expected {test['expected_slopes'][worst]})",
        threshold=float(test["tol"]),
    )


def _h_cross(scan: pd.DataFrame, test: _declarations.Test) -> float:
    """Where the modified flow stops helping on one scan, at the declared error-ratio level."""
    return crossing(scan["h"], scan["ratio modified / original"], float(test["gain_lost_ratio"]))


def _trapped(t: pd.DataFrame, test: _declarations.Test) -> verdicts.Verdict:
    below = t[t["h / edge"] < float(test["edge_fraction"])]
    escapes = int((~below["stays in the local basin"]).sum())
    flow_escapes = int((~below["modified flow stays"]).sum())
    v = verdicts.bound(
        [escapes + flow_escapes],
        float(test["upper"]),
        dtype=test["dtype"],
        what=f"runs below the edge that leave the local basin ({len(below)} GD runs and {len(below)} flows)",
    )
    above = t[t["h / edge"] >= float(test["edge_fraction"])]
    note = f"; above the edge {int((~above['stays in the local basin']).sum())} of {len(above)} GD runs leave"
    return v.replace(measured=v.measured + note)


def _remark32(r: Results, test: _declarations.Test) -> verdicts.Verdict:
    """max/min over problems of the implied C = h_cross M / R, h_cross at the declared level."""
    t = r.remark32
    scans = {r.net.name: r.moderate, r.toy.name: r.moderate_toy}
    c = np.array(
        [
            _h_cross(scans[p], test) * m / rad if rad > 0 else float("nan")
            for p, m, rad in zip(t["problem"], t["M"], t["R"])
        ],
        float,
    )
    what = "max/min implied C"
    if len(c) < (test.min_n or 2) or not np.all(np.isfinite(c)) or np.min(c) <= 0:
        return verdicts.agreement(
            float("nan"),
            1.0,
            rel_tol=float(test["rel_tol"]),
            what=what,
            n=len(c),
            why_missing="the moderate regime does not end inside the h grid for every problem",
        )
    return verdicts.agreement(
        float(np.max(c) / np.min(c)),
        1.0,
        rel_tol=float(test["rel_tol"]),
        what=what,
        n=len(c),
        uncertainty="implied C: " + ", ".join(f"{p} {x:.3g}" for p, x in zip(t["problem"], c)),
    )


def claims(r: Results) -> list[Claim]:
    """Each declared test (igr_core/declarations/01_theorem_checks.yml) evaluated on the results."""
    d = DECLARED
    f2 = r.asymmetry[r.asymmetry["correction"] == "f_2"]["||A||_F / ||J||_F"].min()
    f1 = r.asymmetry[r.asymmetry["correction"] == "f_1"]["||A||_F / ||J||_F"].max()
    zs, ms = r.zero_set, r.minima
    t10 = d["01.a10-minima-kept"].test
    a10 = verdicts.combine(
        [
            verdicts.identity([ms["max_distance"]], t10["dtype"], what="distance of E's critical points to E~'s"),
            verdicts.bound([ms["minima_lost"]], float(t10["max_lost"]), t10["dtype"], what="minima of E lost by E~"),
            verdicts.identity(
                [zs["max |E~| on zeros"], zs["max |grad E~| on zeros"]], t10["dtype"], what="|E~|, |grad E~| on zeros"
            ),
            verdicts.bound(
                [zs["off-zero points with E > 0 but E~ <= 0"]],
                float(t10["max_sign_errors"]),
                t10["dtype"],
                what="sign errors off zeros",
            ),
        ],
        ["critical points shared", "minima kept", "zeros of E are zeros of E~", "E~ > 0 where E > 0"],
    )
    edge = d["01.moderate-regime-edge"]
    a9 = d["01.norm-bound-a9"].test
    trap = d["01.remark34-trapped-1d"]
    return [
        d["01.local-error-orders"].row(
            _orders(r.local_fits, d["01.local-error-orders"].test), "local slopes, float64; two problems"
        ),
        d["01.local-error-f2"].row(
            _orders(r.local_fits, d["01.local-error-f2"].test),
            "local slopes, float64; two problems; f_2 = f''(f, f)/12 + f'f'f/3 (Hairer et al. 2006)",
        ),
        d["01.global-error-orders"].row(
            _orders(r.global_fits, d["01.global-error-orders"].test), "global error at fixed T, float64; two problems"
        ),
        edge.row(
            verdicts.agreement(
                _h_cross(r.moderate, edge.test),
                2.0 / r.lambda_max,
                rel_tol=float(edge.test["rel_tol"]),
                what="h where the modified flow stops helping",
                n=len(r.moderate),
                why_missing="the error ratio never reaches the level in the h grid",
            ),
            f"tanh MLP, T = {r.params.moderate_T:g}; lambda_max by power iteration",
        ),
        d["01.remark32-common-c"].row(
            _remark32(r, d["01.remark32-common-c"].test),
            "R, M estimated along the real trajectory (the remark's bounds need a complex neighbourhood); "
            "tanh MLP and the two-parameter model; the paper states the bound with an unknown C on a complex "
            "neighbourhood and calls computing it beyond its scope, so a common C is this companion's reading",
        ),
        d["01.norm-bound-a9"].row(
            verdicts.bound(r.norm_ratios["ratio"], float(a9["upper"]), a9["dtype"], what="ratio"),
            f"h in {list(r.params.norm_hs)}; it holds for any step by the reverse triangle inequality, so the row "
            "checks this code, not the paper",
        ),
        trap.row(
            _trapped(r.trapping, trap.test),
            f"double well, {r.trapping['start'].nunique()} starts per h, h / edge in "
            f"{sorted(float(x) for x in r.trapping['h / edge'].unique())}; in one dimension neither GD below the "
            "edge nor a gradient flow can cross the barrier, so the row checks this code; Remark 3.4 in several "
            "dimensions is not tested here",
        ),
        d["01.a10-minima-kept"].row(a10, "double well and the two-parameter model"),
        d["01.lemma-a1-gradient-corrections"].row(
            declared_erratum(
                d["01.lemma-a1-gradient-corrections"].test,
                float(f2),
                float(f1),
                "antisymmetric part of J(f_2) vs J(f_1)",
            )
        ),
    ]


def facts(r: Results) -> dict:
    net_fits = r.local_fits[r.local_fits["problem"] == r.net.name].set_index("order")["measured slope"]
    ms = r.minima
    return {
        "loc0": float(net_fits[0]),
        "loc1": float(net_fits[1]),
        "loc2": float(net_fits[2]),
        "h_cross": r.h_cross,
        "h_edge": 2.0 / r.lambda_max,
        "h_div": float(r.moderate.loc[r.moderate[C.DIVERGED], "h"].min())
        if r.moderate[C.DIVERGED].any()
        else float("nan"),
        "f2_asymmetry": float(r.asymmetry[r.asymmetry["correction"] == "f_2"]["||A||_F / ||J||_F"].min()),
        "f1_asymmetry": float(r.asymmetry[r.asymmetry["correction"] == "f_1"]["||A||_F / ||J||_F"].max()),
        "extra_critical_points": ", ".join(f"h = {h:g}: {n}" for h, n in ms["extra"].items()),
        "new_minima": ", ".join(f"h = {h:g}: {n}" for h, n in ms["new_minima"].items()),
        "data_source": r.net.source,
    }

"""Chapter 03's verdict rows: each declared test evaluated on the results, and the page's facts.

Abstraction: ``claims(results)`` returns one :class:`~igr_core.verdicts.Claim` per declaration
of ``igr_core/declarations/03_ntk.yml`` (:data:`DECLARED`), in the file's order: Proposition
A.11 and the (A.23) erratum as identities, each step size against the baseline of the same seed
(paired) and the trend in h across seeds, every threshold read from the declared test when the
row is built. ``facts(results)`` is the numbers the page's prose quotes.
"""

from __future__ import annotations

from igr_core._src import columns as C
from igr_core._src import verdicts
from igr_core._src.verdicts import Claim
from igr_core._src.verdicts import declarations as _declarations
from igr_core.experiments._rows import declared_erratum
from igr_core.experiments.ntk.params import NOTEBOOK, Results

DECLARED = _declarations.chapter(NOTEBOOK)  # every row's words, reference, kind and test (igr_core/declarations)


def claims(r: Results) -> list[Claim]:
    """Each declared test (igr_core/declarations/03_ntk.yml) evaluated on the results."""
    d = DECLARED
    ident = r.identity
    a11 = ident[[c for c in ident.columns if c.startswith("rel. err. NTK")]].to_numpy().ravel()
    scalar = ident[ident["outputs"] == 1].iloc[0]
    corrected = max(float(scalar[c]) for c in ident.columns if "eps^T(1+hK)eps" in c)
    printed = min(float(scalar[c]) for c in ident.columns if "printed" in c)
    runs = r.summary[~r.summary["baseline"] & ~r.summary[C.DIVERGED]]
    base = r.summary[r.summary["baseline"]].set_index("seed")["cos end"]
    seeds = f"{len(r.params.seeds)} seeds, T = {r.params.ntk_T_edge:g} h_edge"
    t11, t23 = d["03.r-ig-ntk-a11"].test, d["03.a23-printed-form"].test
    push, trend = d["03.cross-terms-toward-zero"], d["03.cross-terms-more-for-larger-h"]
    few = {  # a declared test with fewer runs than its declared minimum is not judged
        t.id: verdicts.inconclusive(
            t.test.rule, f"{len(runs)} runs, fewer than the declared {t.test.min_n}", n=len(runs)
        )
        for t in (push, trend)
        if t.test.min_n is not None and len(runs) < t.test.min_n
    }
    return [
        d["03.r-ig-ntk-a11"].row(
            verdicts.identity(a11, t11["dtype"], what="relative error", route=t11["route"]),
            "scalar and 3 outputs; JVP/VJP and Jacobian routes",
        ),
        d["03.a23-printed-form"].row(declared_erratum(t23, printed, corrected, "eps^T(1+hK)eps")),
        push.row(
            few.get(push.id)
            or verdicts.compare(
                runs["cos end"],
                runs["seed"].map(base),
                push.test.sign,
                alpha=push.test.alpha,
                paired=bool(push.test["paired"]),
                what="final mean |cos|, step size minus baseline",
                # a share of the baseline: the distance to zero the flow of E leaves (the declaration says why)
                meaningful_rel=push.test.smallest_effect,
            ),
            f"{seeds}; baseline h = {r.params.baseline_fraction:g} h_edge",
        ),
        trend.row(
            few.get(trend.id)
            or verdicts.trend(
                runs[trend.test["x"]],
                runs["cos end - baseline"],
                trend.test.sign,
                x_name=trend.test["x"],
                y_name="final |cos| - baseline",
                test=verdicts.RankTest(alpha=trend.test.alpha, meaningful=trend.test.smallest_effect),
            ),
            seeds,
        ),
    ]


def facts(r: Results) -> dict:
    ident = r.identity
    scalar = ident[ident["outputs"] == 1].iloc[0]
    return {
        "a11_err": float(ident[[c for c in ident.columns if c.startswith("rel. err. NTK")]].to_numpy().max()),
        "printed_err": min(float(scalar[c]) for c in ident.columns if "printed" in c),
        "data_source": r.source,
        "cos_start": float(r.summary["cos start"].mean()),
    }

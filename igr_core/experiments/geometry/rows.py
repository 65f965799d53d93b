"""Chapter 02's verdict rows: each declared identity judged on its column, and the page's facts.

Abstraction: ``claims(results)`` returns one :class:`~igr_core.verdicts.Claim` per declaration of
``igr_core/declarations/02_geometry.yml`` (:data:`DECLARED`), in the file's order, each judged by
:func:`igr_core.verdicts.identity` at the declared dtype and route (finite-difference routes get
the finite-difference tolerance); :data:`ROUTE` is each column's declared route.
``facts(results)`` is the numbers the page's prose quotes.
"""

from __future__ import annotations

from igr_core._src import verdicts
from igr_core._src.verdicts import Claim
from igr_core._src.verdicts import declarations as _declarations
from igr_core.experiments.geometry.params import COL_33, COL_A6, COL_A8, COL_A61, H_MODIFIED, NOTEBOOK, ROWS, Results

DECLARED = _declarations.chapter(NOTEBOOK)  # every row's words, reference, kind and test (igr_core/declarations)
ROUTE = {col: DECLARED[cid].test["route"] for cid, col in ROWS.items()}  # each column's route, as declared


def claims(r: Results) -> list[Claim]:
    """Each declared identity (igr_core/declarations/02_geometry.yml) judged on its column, at the
    declared dtype and route."""
    ident = r.identities
    note = f"{len(ident)} points, m up to {int(ident['m'].max())}"
    notes = {
        COL_A6: note + "; normal from a finite-difference tangent basis",
        COL_A61: note,
        COL_A8: note + "; explicit determinant",
        COL_33: note + f"; h = {H_MODIFIED}",
    }
    h = DECLARED["02.modified-loss-slope-33"].test["h"]
    if h != H_MODIFIED:
        raise ValueError(
            f"02.modified-loss-slope-33 declares h = {h}, but run() computes Proposition 3.3 at {H_MODIFIED}"
        )
    rows = []
    for cid, col in ROWS.items():
        d = DECLARED[cid]
        rows.append(d.row(verdicts.identity(ident[col], d.test["dtype"], route=d.test["route"]), notes[col]))
    return rows


def facts(r: Results) -> dict:
    cols = list(ROUTE)
    return {
        "max_err_fd": float(r.identities[[c for c in cols if ROUTE[c] != "exact"]].to_numpy().max()),
        "max_err_det": float(r.identities[COL_A8].max()),
        "m_net": r.net.m,
        "data_source": r.net.source,
    }

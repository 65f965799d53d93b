"""Chapter 02: R_IG as the squared slope of the loss surface (Appendix A.2).

Abstraction: at random points around a starting point, each identity of Appendix A.2 is
computed by two independent routes: the geometric side from the surface itself (its unit
normal found as the null vector of a tangent basis built by central finite differences of
loss *values*, no autodiff; the metric determinant by LU factorization of the explicit m x m
metric) and the other side from R_IG by automatic differentiation. ``run`` returns the
relative errors per point; ``claims`` judges them with :func:`igr_core.verdicts.identity` as
declared in ``igr_core/declarations/02_geometry.yml`` (finite-difference routes get the
finite-difference tolerance).

One module per job: ``params`` (Params, Results, the chapter's metadata and the identities'
columns), ``compute`` (``run``, the identities and the surface the page draws), ``rows`` (the
declared rows, each column's declared route and ``facts``), ``captions`` (what each figure
shows, and the banner's data sentence); this package re-exports their public names and holds
no logic.
"""

from __future__ import annotations

from igr_core.experiments.geometry.captions import banner, captions
from igr_core.experiments.geometry.compute import NORMAL_POINTS, identities, run, surface_normals, toy_surface
from igr_core.experiments.geometry.params import (
    COL_33,
    COL_A6,
    COL_A8,
    COL_A61,
    H_MODIFIED,
    NOTEBOOK,
    RESULTS_VERSION,
    ROWS,
    X64,
    Params,
    Results,
)
from igr_core.experiments.geometry.rows import DECLARED, ROUTE, claims, facts

PART = "Theory"  # its part of the table of contents

__all__ = [
    "PART",
    "banner",
    "captions",
    "COL_33",
    "COL_A6",
    "COL_A8",
    "COL_A61",
    "DECLARED",
    "H_MODIFIED",
    "NORMAL_POINTS",
    "NOTEBOOK",
    "RESULTS_VERSION",
    "ROUTE",
    "ROWS",
    "X64",
    "Params",
    "Results",
    "claims",
    "facts",
    "identities",
    "run",
    "surface_normals",
    "toy_surface",
]

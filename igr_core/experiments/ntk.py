"""Chapter 03: the neural tangent kernel form of IGR (Appendix A.3).

Abstraction: ``run(Params)`` checks Proposition A.11 (R_IG through the empirical NTK, by
JVP/VJP products and by the explicit Jacobian) and the (A.23) erratum on least-squares MLPs on
real digits, then trains the scalar-output network by full-batch GD for the same physical
time at several step sizes (fractions of the stability edge 2/lambda_max, one small-h run as
the baseline that approximates the flow of E) over several seeds, following the NTK cross
terms. ``claims`` evaluates the tests declared in ``igr_core/declarations/03_ntk.yml``: each
step size against the baseline of the same seed (paired), and the trend in h across seeds.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from igr_core._src import bea as _bea
from igr_core._src import columns as C
from igr_core._src import ntk as _ntk
from igr_core._src import verdicts
from igr_core._src.problems import regression_mlp
from igr_core._src.regularizers import modified_loss, num_params, r_ig
from igr_core._src.verdicts import Claim
from igr_core._src.verdicts import declarations as _declarations
from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq, require_x64
from igr_core.experiments.banners import ntk_banner as banner
from igr_core.experiments.captions import ntk_captions as captions

NOTEBOOK = "03_ntk"
PART = "Theory"  # its part of the table of contents
RESULTS_VERSION = 1  # bump when what run() computes changes: stored results of another version are refused
X64 = True  # float64: run() turns it on (identities to rounding and fitted orders need it)
PLATFORM = "cpu"  # small sequential float64 steps: slower on an H200 than on 2 CPU cores (benchmarks/gpu_h200.md)
DECLARED = _declarations.chapter(NOTEBOOK)  # every row's words, reference, kind and test (igr_core/declarations)


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    n: int = 32  # digits
    hidden: tuple = (32, 32)
    identity_hs: tuple = (0.01, 0.1)
    ntk_h_fractions: tuple = (0.1, 0.2, 0.4, 0.8)  # step sizes as fractions of h_edge = 2 / lambda_max
    baseline_fraction: float = 0.02  # the small-h run that stands for the flow of E
    ntk_T_edge: float = 100.0  # physical time T in units of h_edge
    n_evals: int = 4
    seeds: tuple = (0, 1, 2)

    def __post_init__(self):
        one_of("profile", self.profile, PROFILES)
        positive("n", self.n, integer=True)
        positive_seq("hidden", self.hidden, integer=True)
        positive_seq("identity_hs", self.identity_hs)
        positive_seq("ntk_h_fractions", self.ntk_h_fractions)
        positive("baseline_fraction", self.baseline_fraction)
        positive("ntk_T_edge", self.ntk_T_edge)
        positive("n_evals", self.n_evals, integer=True)
        positive_seq("seeds", self.seeds, integer=True, allow_zero=True)
        if self.baseline_fraction >= min(self.ntk_h_fractions):
            raise ValueError(
                f"`baseline_fraction` ({self.baseline_fraction}) must be smaller than every "
                f"`ntk_h_fractions` entry {list(self.ntk_h_fractions)}."
            )


class Results(NamedTuple):
    params: Params
    source: str
    identity: pd.DataFrame  # one row per network: relative errors of A.11 and of (A.23) printed/corrected
    trajectory: pd.DataFrame  # seed, h / h_edge, step, t, E, R_IG, cross-term statistics, diverged
    summary: pd.DataFrame  # seed, h / h_edge, baseline flag, cos start/end, diverged


def identity_table(configs: Sequence[dict], hs: Sequence[float]) -> tuple[pd.DataFrame, str]:
    """Proposition A.11 and the (A.23) erratum for each config of :func:`regression_mlp`."""
    rows, source = [], ""
    for cfg in configs:
        apply_fn, params, x, y, source = regression_mlp(**cfg)
        loss = _ntk.least_squares_loss(apply_fn)
        direct = r_ig(jax.grad(loss)(params, x, y))
        row = {
            "outputs": cfg.get("outputs", 1),
            "n": int(x.shape[0]),
            "m": num_params(params),
            "R_IG (gradient)": float(direct),
            "rel. err. NTK (jvp/vjp)": float(abs(_ntk.r_ig_ntk(apply_fn, params, x, y) / direct - 1)),
            "rel. err. NTK (Jacobian)": float(
                abs(_ntk.r_ig_ntk(apply_fn, params, x, y, method="jacobian") / direct - 1)
            ),
        }
        if cfg.get("outputs", 1) == 1:
            k = _ntk.empirical_ntk(apply_fn, params, x)
            eps = apply_fn(params, x) - y
            for h in hs:
                mod = modified_loss(loss, h)(params, x, y)
                row[f"h={h}: rel. err. eps^T(1+hK)eps"] = float(
                    abs(eps @ ((jnp.eye(eps.size) + h * k) @ eps) / mod - 1)
                )
                row[f"h={h}: rel. err. printed eps^T(1+K)eps"] = float(
                    abs(eps @ ((jnp.eye(eps.size) + k) @ eps) / mod - 1)
                )
        rows.append(row)
    return pd.DataFrame(rows), source


def training_study(
    fractions: Sequence[float], T_edge: float, n_evals: int, n: int, hidden: Sequence[int], seed: int
) -> pd.DataFrame:
    """Full-batch GD on the scalar least-squares problem for each h = f * h_edge, all to the
    physical time T = T_edge * h_edge, with E, R_IG and NTK cross-term statistics at
    ``n_evals + 1`` equally spaced times. A run whose loss :func:`~igr_core.bea.diverged`
    is marked and stops. One compilation serves every h (traced)."""
    apply_fn, params0, x, y, _ = regression_mlp(n=n, hidden=hidden, outputs=1, seed=seed)
    loss = _ntk.least_squares_loss(apply_fn)
    grad_fn = jax.grad(loss)
    h_edge = 2.0 / _bea.sharpness(loss, params0, x, y)

    @jax.jit
    def advance(params, h, n_steps):  # the library's one GD loop; NaN once diverged
        return _bea.gd_final(loss, params, h, n_steps, x, y)

    @jax.jit
    def measure(params):
        stats = _ntk.ntk_cross_term_stats(_ntk.empirical_ntk(apply_fn, params, x))
        return loss(params, x, y), r_ig(grad_fn(params, x, y)), stats["mean_abs_cosine"], stats["offdiag_fraction"]

    rows = []
    for f in fractions:
        h = f * h_edge
        total = int(round(T_edge * h_edge / h))
        params, done = params0, 0
        for mark in np.linspace(0, total, n_evals + 1).round().astype(int):
            params = advance(params, jnp.asarray(h), jnp.asarray(int(mark - done)))
            done = int(mark)
            e, rig, cos, frac = (float(v) for v in measure(params))
            bad = bool(_bea.diverged(jnp.asarray(e), 1e6))
            rows.append(
                {
                    "seed": seed,
                    "h / h_edge": f,
                    "h": h,
                    "step": done,
                    "t": done * h,
                    "E": e,
                    C.R_IG: rig,
                    "mean |cos| cross terms": cos,
                    "off-diagonal fraction": frac,
                    C.DIVERGED: bad,
                }
            )
            if bad:
                break
    return pd.DataFrame(rows)


def summarize(traj: pd.DataFrame, baseline_fraction: float) -> pd.DataFrame:
    out = []
    for (seed, f), grp in traj.groupby(["seed", "h / h_edge"]):
        first, last = grp.iloc[0], grp.iloc[-1]
        div = bool(grp[C.DIVERGED].any())
        out.append(
            {
                "seed": seed,
                "h / h_edge": f,
                "baseline": bool(np.isclose(f, baseline_fraction)),
                C.DIVERGED: div,
                "cos start": first["mean |cos| cross terms"],
                "cos end": np.nan if div else last["mean |cos| cross terms"],
                "offdiag end": np.nan if div else last["off-diagonal fraction"],
                "E end": np.nan if div else last["E"],
                "R_IG end": np.nan if div else last[C.R_IG],
            }
        )
    df = pd.DataFrame(out)
    base = df[df["baseline"]].set_index("seed")["cos end"]
    df["cos end - baseline"] = df["cos end"] - df["seed"].map(base)
    return df


def run(p: Params) -> Results:
    require_x64()
    configs = [
        dict(n=p.n, hidden=p.hidden, outputs=1, seed=p.seeds[0]),
        dict(n=p.n, hidden=p.hidden, outputs=3, seed=p.seeds[0]),
    ]
    ident, source = identity_table(configs, p.identity_hs)
    fractions = (p.baseline_fraction, *p.ntk_h_fractions)
    traj = pd.concat(
        [training_study(fractions, p.ntk_T_edge, p.n_evals, p.n, p.hidden, s) for s in p.seeds], ignore_index=True
    )
    return Results(p, source, ident, traj, summarize(traj, p.baseline_fraction))


def _erratum(test: _declarations.Test, printed: float, corrected: float, what: str) -> verdicts.Verdict:
    """verdicts.erratum at the declared smallest error of the printed form (the rule's threshold is
    its module constant: a declaration that differs from it is refused rather than ignored)."""
    if test.smallest_effect != verdicts.ERRATUM_MIN_ERROR:
        raise ValueError(
            f"the declared smallest error of the printed form ({test.smallest_effect}) is not the erratum rule's "
            f"threshold verdicts.ERRATUM_MIN_ERROR = {verdicts.ERRATUM_MIN_ERROR}"
        )
    return verdicts.erratum(printed, corrected, dtype=test["dtype"], what=what)


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
        d["03.a23-printed-form"].row(_erratum(t23, printed, corrected, "eps^T(1+hK)eps")),
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


__all__ = [
    "NOTEBOOK",
    "PART",
    "banner",
    "captions",
    "Params",
    "Results",
    "run",
    "claims",
    "facts",
    "identity_table",
    "training_study",
    "summarize",
]

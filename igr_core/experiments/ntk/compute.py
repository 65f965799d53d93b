"""Chapter 03's computation: Proposition A.11, the (A.23) erratum and the NTK cross terms in training.

Abstraction: :func:`identity_table` checks Proposition A.11 (R_IG through the empirical NTK, by
JVP/VJP products and by the explicit Jacobian) and the (A.23) erratum on least-squares MLPs on
real digits; :func:`training_study` trains the scalar-output network by full-batch GD for the
same physical time at several step sizes (fractions of the stability edge 2/lambda_max, one
small-h run as the baseline that approximates the flow of E), following the NTK cross terms;
:func:`summarize` reads each run's start and end. ``run(Params)`` calls them over the seeds.
Float64 (the caller enables x64).
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from igr_core._src import bea as _bea
from igr_core._src import columns as C
from igr_core._src import ntk as _ntk
from igr_core._src.problems import regression_mlp
from igr_core._src.regularizers import modified_loss, num_params, r_ig
from igr_core.experiments._params import require_x64
from igr_core.experiments.ntk.params import Params, Results


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

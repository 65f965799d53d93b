"""Chapter 05's declared claims: the declarations parse, their quotes are the paper's, every
declaration gives one ledger row, and the curve rules of Figs. A.3d and A.4 can fail."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from igr_core._src.verdicts import declarations
from igr_core.experiments.mnist import rows

CHAPTER = "05_mnist"


def test_declarations_parse_and_use_their_thresholds():
    d = declarations.chapter(CHAPTER)
    assert len(d) == len(rows.DECLARED) >= 30
    assert rows.min_networks() == min(x.test.min_n for x in d.values() if x.test.min_n is not None)
    assert d["05.fixed-step-ratio"].test.statistic.endswith("lambda R_IG / E)")
    assert d["05.test-loss-dips"].where == "Fig. A.4a" and d["05.test-rig-dips"].where == "Fig. A.4b"
    assert d["05.test-acc-peaks"].where == "Fig. A.4d" and "A.4" not in d["05.norm-growth-slows"].where


def test_quotes_are_verbatim():
    folder = declarations.papers_folder()
    if folder is None or not folder.is_dir():
        pytest.skip(f"the paper texts are not at {folder} (set ${declarations.PAPERS_ENV})")
    assert declarations.quote_problems(declarations.chapter(CHAPTER), folder) == []


def _curve(values, col="test E", steps=None):
    steps = np.arange(len(values)) * 10 if steps is None else steps
    return pd.DataFrame({"step": steps, col: values})


def test_dip_needs_an_interior_minimum_and_a_rise():
    dip = _curve([3.0, 2.0, 1.0, 1.5, 2.0])  # step 0, then down and up again
    fall = _curve([3.0, 2.0, 1.5, 1.2, 1.0])  # monotone fall: last is the minimum
    rise = _curve([0.1, 1.0, 2.0, 3.0, 4.0])  # rises from the first evaluation after step 0
    assert rows._dip(dip, "test E", 1.1) > 0
    assert rows._dip(fall, "test E", 1.1) < 0
    assert rows._dip(rise, "test E", 1.1) < 0


def test_peak_needs_a_fall_beyond_the_smallest_effect_and_not_beyond_slight():
    n = 40
    up = np.minimum(np.linspace(0.5, 1.0, n), 0.95)
    flat = _curve(up, "test acc")
    slight = _curve(np.concatenate([up[:20], 0.95 - np.linspace(0, 0.01, 20)]), "test acc")
    steep = _curve(np.concatenate([up[:20], 0.95 - np.linspace(0, 0.2, 20)]), "test acc")
    assert rows._peak(flat, 0.1, 0.002, 0.02) < 0
    assert rows._peak(slight, 0.1, 0.002, 0.02) > 0
    assert rows._peak(steep, 0.1, 0.002, 0.02) < 0


def test_plateau_step_orders_a_settled_curve_before_a_falling_one():
    steps = np.arange(0, 101) * 10.0
    norm = _curve(1.0 + 0.1 * (1 - np.exp(-steps / 50)), "||theta||", steps)
    loss = _curve(np.exp(-steps / 200), "train E", steps)
    assert rows._plateau_step(norm, "||theta||", 0.05) < rows._plateau_step(loss, "train E", 0.05)

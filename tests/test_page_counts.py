"""Every count a page prints comes from one source: for each chapter, the facts, the banner's
gates sentence, the captions and the verdict rows built from its stored smoke results agree on
the counts they share (a test per chapter; a chapter whose smoke entry is not stored is skipped
with the reason)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from igr_core._src import store
from igr_core.book import chapter as book_chapter
from igr_core.experiments import registry
from igr_core.experiments._captions import num

ROOT = Path(__file__).resolve().parents[1]
PROFILE = "smoke"


def stored(name: str, profile: str = PROFILE):
    ch = registry.get(name)
    p = ch.resolve(profile)
    path = store.lookup(ch, p, ROOT / "results" / profile)
    if path is None:
        pytest.skip(f"no stored {profile} results for {name} at its current parameters")
    try:
        results, _ = store.load(path, ch)
    except (store.StaleResultsError, store.CorruptResultsError) as err:
        pytest.skip(f"{name}: {err}")
    return ch, results


def gate_counts(summary: str) -> dict[str, int]:
    """The numbers of a gates sentence ('80 of 118 networks on their plateau; 30 of 118 reach
    train accuracy 1; 29 compared')."""
    out = {}
    m = re.search(r"(\d+) of (\d+) networks on their plateau", summary)
    if m:
        out["plateau"], out["n"] = int(m[1]), int(m[2])
    m = re.search(r"(\d+) of (\d+) reach train accuracy", summary)
    if m:
        out["fit"], out["n_fit_of"] = int(m[1]), int(m[2])
    m = re.search(r"(\d+) compared", summary)
    if m:
        out["compared"] = int(m[1])
    return out


@pytest.mark.parametrize("name", [c.name for c in registry.CHAPTERS])
def test_captions_build_from_the_stored_results(name):
    """Each chapter's captions build from its results, and each says what to look for and names
    the paper's figure (or says the paper has none)."""
    ch, r = stored(name)
    out = ch.captions(r)
    assert out
    for key, text in out.items():
        assert "**Look for**" in text, (name, key)
        assert re.search(r"The (2025 )?paper's (Figure|Fig\.) [0-9A]|The paper has no figure", text), (name, key)


def test_05_counts_agree():
    ch, r = stored("05_mnist")
    mod = __import__(ch.module, fromlist=["_"])
    f = mod.facts(r)
    g = gate_counts(f["gates"])
    n_gated = f["n_networks"] - f["n_diverged"]
    # the gates count the networks that did not diverge, the fit gate is the selection's rule
    assert g["n"] == g["n_fit_of"] == n_gated
    assert g["fit"] == f["n_fit"] == len(r.selected)
    assert g["compared"] == f["n_compared"] <= f["n_fit"]
    # every decided verdict on the main grid is decided on the networks the page says are compared
    for c in mod.claims(r):
        if "networks left out by the adequacy gates" in c.verdict.why:
            left = re.search(r"\((\d+) of (\d+) networks left out by the adequacy gates", c.verdict.why)
            assert int(left[2]) == n_gated, c.id
            assert int(left[1]) == n_gated - f["n_compared"], c.id
    # the caption of Figure 2 counts the networks it plots
    assert f"Over the {f['n_fit']} networks" in ch.captions(r)["figure2"]


@pytest.mark.parametrize("name", ["06_resnet", "07_egr"])
def test_image_chapters_say_the_loaded_count_once(name):
    """The banner's data line reads the loaded count; the parameters table shows the requested one
    beside it where the stratified subsample rounds it, never a second bare number."""
    ch, r = stored(name)
    table = book_chapter.parameters_table(r.params, r)
    row = table[table["parameter"] == "`n_train`"]
    if not len(row):
        pytest.skip(f"{name} has no n_train parameter")
    value = row["value"].iloc[0]
    requested = int(r.params.n_train)
    if requested and requested != r.n_train:
        assert f"{r.n_train:,} loaded" in value and f"{requested:,} requested" in value
    elif requested:
        assert value.replace(",", "") == str(requested)


def test_06_counts_agree():
    ch, r = stored("06_resnet")
    mod = __import__(ch.module, fromlist=["_"])
    f = mod.facts(r)
    g = gate_counts(f["gates"])
    if r.sweep is None or not g:
        pytest.skip("06 smoke results hold no grid")
    n = r.sweep.metrics.groupby([k for k in ("width", "h", "seed") if k in r.sweep.metrics]).ngroups
    assert g["n"] <= n
    assert g["compared"] <= min(g["plateau"], g.get("fit", g["plateau"]))


def test_07_one_interval_for_one_gain():
    ch, r = stored("07_egr")
    mod = __import__(ch.module, fromlist=["_"])
    if r.sweep is None or not len(r.gains):
        pytest.skip("07 smoke results hold no ResNet grid")
    row = next(c.verdict for c in mod.claims(r) if c.id == "07.egr-raises-max-test-acc")
    text = ch.captions(r)["figure3c"]
    if not row.interval:  # the gates left too few networks: the row has no interval, the caption names none
        assert "95% interval" not in text
        return
    lo, hi = row.interval
    assert f"[{num(lo, 2)}, {num(hi, 2)}]" in text

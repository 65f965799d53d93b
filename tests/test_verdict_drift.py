"""The verdict comparison CI runs after its smoke build: every differing row reported with both machines."""

import json

import pandas as pd

from igr_core.book import verdict_drift


def frame(rows):
    return pd.DataFrame(rows, columns=["notebook", "claim", "verdict"])


def test_each_differing_row_is_reported_with_both_verdicts_and_both_machines(tmp_path, monkeypatch):
    committed = frame([("06_resnet", "a", "reproduced"), ("06_resnet", "b", "reproduced"), ("07_egr", "c", "x")])
    fresh = frame([("06_resnet", "a", "reproduced"), ("06_resnet", "b", "not reproduced")])
    roots = {tmp_path / "committed": committed, tmp_path / "fresh": fresh}
    monkeypatch.setattr(verdict_drift, "verdicts", lambda profile, root: roots[root])
    for side, cpu in (("committed", "Intel Xeon"), ("fresh", "AMD EPYC")):
        entry = tmp_path / side / "smoke" / "06_resnet" / "abc"
        entry.mkdir(parents=True)
        prov = {"device": "cpu", "processor": cpu, "threads": 2, "xla_flags": ""}
        (entry / "manifest.json").write_text(json.dumps({"provenance": prov}))
    lines = verdict_drift.report("smoke", tmp_path / "committed", tmp_path / "fresh")
    assert lines[0] == "[drift] 07_egr: no fresh entry to compare"
    assert "1 smoke verdict(s) differ" in lines[1] and "not failed" in lines[1]
    assert lines[2].startswith("  06_resnet | b: committed 'reproduced'") and "fresh 'not reproduced'" in lines[2]
    assert "Intel Xeon; 2 threads" in lines[2] and "AMD EPYC; 2 threads" in lines[2]


def test_equal_verdicts_say_so_and_exit_zero(tmp_path, monkeypatch, capsys):
    same = frame([("04_toy_model", "a", "reproduced")])
    monkeypatch.setattr(verdict_drift, "verdicts", lambda profile, root: same)
    assert verdict_drift.main(["--fresh", str(tmp_path), "--committed", str(tmp_path)]) == 0
    assert "every smoke verdict of the fresh build equals the committed one" in capsys.readouterr().out


def test_nothing_compared_is_never_reported_as_agreement(tmp_path, monkeypatch, capsys):
    """A fresh build that computed nothing (every notebook failed before storing) says so."""
    committed = frame([("04_toy_model", "a", "reproduced")])
    fresh = frame([])
    monkeypatch.setattr(verdict_drift, "verdicts", lambda profile, root: committed if root == tmp_path else fresh)
    assert verdict_drift.main(["--fresh", str(tmp_path / "fresh"), "--committed", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "no fresh entry to compare" in out and "no verdict was compared" in out and "equals" not in out

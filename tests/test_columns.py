"""Names, not strings: no module of igr_core and no notebook types a column name of the results
tables; each names it through igr_core.columns (the one place the words are written)."""

import ast
import re
from pathlib import Path

from igr_core import columns as C
from igr_core._src.engine import metrics

ROOT = Path(__file__).resolve().parents[1]
HOMES = {ROOT / "igr_core" / "_src" / "columns.py", ROOT / "igr_core" / "columns.py"}


def literals(code: str) -> list[tuple[int, str]]:
    """(line, value) of every plain string constant equal to a column name (docstrings and
    f-string text never equal one exactly)."""
    out = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.JoinedStr):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in C.COLUMNS:
            out.append((node.lineno, node.value))
    return out


def notebook_code(text: str) -> str:
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)\n```", text, flags=re.S)
    return "\n".join("\n".join(line for line in c.splitlines() if not line.startswith(":")) for c in cells)


def test_the_sweep_metrics_row_is_the_columns_module_s():
    assert metrics.METRICS == C.METRICS
    assert len(set(C.COLUMNS)) == len(C.COLUMNS)


def test_no_module_or_notebook_types_a_column_name():
    found = []
    for f in sorted((ROOT / "igr_core").rglob("*.py")):
        if f not in HOMES:
            found += [f"{f.relative_to(ROOT)}:{line}: {v!r}" for line, v in literals(f.read_text())]
    for f in sorted((ROOT / "notebooks").glob("*.md")):
        found += [f"{f.relative_to(ROOT)} (code): {v!r}" for _, v in literals(notebook_code(f.read_text()))]
    assert not found, "column names typed as literals (use igr_core.columns):\n" + "\n".join(found)


def test_the_literal_check_can_fail():
    assert literals('df["test acc"]') == [(1, "test acc")]
    assert literals('f"best test acc {x}"\n"""R_IG docstring"""') == []

"""Files that do one job: no module of igr_core grows past 600 lines (split it by job instead)."""

from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "igr_core"
LIMIT = 600


def test_no_module_of_the_library_is_over_the_limit():
    big = {f.relative_to(PKG).as_posix(): n for f in PKG.rglob("*.py") if (n := len(f.read_text().splitlines())) > LIMIT}
    assert not big, f"split these by job: {big}"

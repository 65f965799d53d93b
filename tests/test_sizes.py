"""Files that do one job: no module of igr_core grows past 600 lines (split it by job instead)."""

from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "igr_core"
LIMIT = 600


def test_no_module_of_the_library_is_over_the_limit():
    sizes = {f.relative_to(PKG).as_posix(): len(f.read_text().splitlines()) for f in PKG.rglob("*.py")}
    big = {f: n for f, n in sizes.items() if n > LIMIT}
    assert not big, f"split these by job: {big}"

"""The Jupyter Book build of a book root (the published one, or a profile's own under _build/)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from igr_core.book.toc import (
    ROOT,
    write_toc,
)
from igr_core.experiments._params import LARGEST


def assemble(profile: str, root: Path = ROOT) -> Path:
    """The book root of a build other than the published one: ``_build/<profile>/`` with the
    configuration, the table of contents, the static files and the non-executed pages copied
    beside its executed pages (which the pipeline wrote there)."""
    import shutil

    if profile == LARGEST:
        return root
    book_root = root / "_build" / profile
    (book_root / "book").mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, book_root / name)
    for f in (root / "book").glob("*"):
        if f.is_file():
            shutil.copy2(f, book_root / "book" / f.name)
    if (root / "_static").exists():
        shutil.copytree(root / "_static", book_root / "_static", dirs_exist_ok=True)
    return book_root


def _static_changed(book_root: Path) -> bool:
    """Whether a file of the book's ``_static`` differs from its copy in the last build (none yet: no)."""
    source, built = book_root / "_static", book_root / "_build" / "html" / "_static"
    if not built.exists():
        return False
    for f in source.rglob("*"):
        copy = built / f.relative_to(source)
        if f.is_file() and (not copy.exists() or copy.read_bytes() != f.read_bytes()):
            return True
    return False


def build(root: Path = ROOT, log=print, profile: str = LARGEST) -> None:
    """Jupyter Book 1 build of the executed notebooks; warnings are errors (-W -n). The published
    build lands in ``_build/html``; another profile's in ``_build/<profile>/_build/html``. The table of
    contents is written from the registry first (:func:`igr_core.book.toc.write_toc`)."""
    if write_toc(root):
        log(f"wrote {root / '_toc.yml'} from the registry of chapters")
    book_root = assemble(profile, root)
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe), "build", str(book_root), "-W", "-n", "--keep-going", "--builder", "html"]
    if _static_changed(book_root):  # Sphinx copies static files only when some page is out of date
        cmd.append("--all")
    log("$ " + " ".join(cmd))
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=root)
    if res.returncode != 0:
        raise RuntimeError(f"jupyter-book build failed (exit {res.returncode}); see the output above")
    log(f"book built in {time.perf_counter() - t0:.1f} s: {book_root / '_build' / 'html' / 'index.html'}")

"""The papermill -> Jupyter Book pipeline on a tiny throw-away book."""

import json
import textwrap

import nbformat
import pytest

from igr_core import book
from igr_core.experiments._params import PROFILES

NB_OK = textwrap.dedent("""\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
        format_version: 0.13
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---

    # Tiny

    ```{code-cell} ipython3
    :tags: [parameters]

    profile = "smoke"
    hs = [0.1, 0.2]
    n = 3
    ```

    ```{code-cell} ipython3
    print("hs-sum", sum(hs), "n", n, "profile", profile)
    ```
    """)

NB_FAIL = NB_OK.replace('print("hs-sum"', 'raise ValueError("boom"); print("hs-sum"')


@pytest.fixture
def tiny_book(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "profiles").mkdir()
    (tmp_path / "notebooks" / "tiny.md").write_text(NB_OK)
    (tmp_path / "notebooks" / "broken.md").write_text(NB_FAIL)
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n- file: book/executed/tiny\n- file: book/executed/broken\n"
    )
    (tmp_path / "profiles" / "smoke.yml").write_text("notebooks:\n  tiny:\n    n: 5\n")
    return tmp_path


def outputs(path):
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_toc_lists_executed_notebooks(tiny_book):
    assert book.toc_notebooks(tiny_book) == ["tiny", "broken"]


def test_options_anywhere_on_the_command_line(capsys):
    assert book.main(["execute", "--profile", "papr", "04_toy_model"]) == 1
    assert book.main(["execute", "04_toy_model", "--profile", "papr"]) == 1
    err = capsys.readouterr().err
    assert err.count("`profile` must be one of") == 2 and "unrecognized arguments" not in err


def test_parameters_parsed_from_tagged_cell(tiny_book):
    nb = book.read_notebook(tiny_book / "notebooks" / "tiny.md")
    assert book.notebook_parameters(nb) == {"profile": "smoke", "hs": [0.1, 0.2], "n": 3}


def test_execute_with_profile_and_override(tiny_book):
    times = book.execute(["tiny"], "smoke", {"hs": [0.25, 0.5]}, root=tiny_book, log=lambda *_: None)
    assert times[0][0] == "tiny" and times[0][2] == "ok"
    out = tiny_book / "book" / "executed" / "tiny.ipynb"
    text = outputs(out)
    assert "hs-sum 0.75" in text and "n 5" in text and "profile smoke" in text
    nb = nbformat.read(out, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "remove-cell" in injected[0].metadata["tags"]


def test_failing_notebook_fails_and_is_kept(tiny_book):
    with pytest.raises(RuntimeError, match="broken: ValueError: boom"):
        book.execute(["broken"], "smoke", root=tiny_book, log=lambda *_: None)
    out = tiny_book / "book" / "executed"
    assert (out / "broken.failed.ipynb").exists() and "boom" in (out / "broken.failed.txt").read_text()
    assert not (out / "broken.ipynb").exists()  # nothing good to keep


def test_failed_run_never_replaces_the_last_good_notebook(tiny_book):
    book.execute(["tiny"], "smoke", root=tiny_book, log=lambda *_: None)
    good = (tiny_book / "book" / "executed" / "tiny.ipynb").read_text()
    src = tiny_book / "notebooks" / "tiny.md"
    src.write_text(src.read_text().replace('print("hs-sum"', 'raise ValueError("late"); print("hs-sum"'))
    with pytest.raises(
        RuntimeError,
        match=r"tiny: ValueError: late \(failed execution: .*tiny.failed.ipynb; "
        r"last good notebook kept at .*tiny.ipynb\)",
    ):
        book.execute(["tiny"], "smoke", root=tiny_book, log=lambda *_: None)
    assert (tiny_book / "book" / "executed" / "tiny.ipynb").read_text() == good


def test_unchanged_notebooks_are_reused_and_changes_re_execute(tiny_book):
    lines = []
    first = book.execute(["tiny"], "smoke", root=tiny_book, log=lines.append)
    again = book.execute(["tiny"], "smoke", root=tiny_book, log=lines.append)
    assert first[0][2] == "ok" and again[0][2] == "reused"
    assert any("tiny" in ln and "unchanged, reused" in ln for ln in lines)
    assert book.execute(["tiny"], "smoke", {"n": 7}, root=tiny_book, log=lines.append)[0][2] == "ok"  # new parameters
    assert book.execute(["tiny"], "smoke", {"n": 7}, root=tiny_book, log=lines.append, force=True)[0][2] == "ok"
    rec = json.loads((tiny_book / "book" / "executed" / "tiny.hash.json").read_text())["record"]
    assert rec["parameters"]["n"] == 7 and rec["versions"]["jax"] and rec["devices"]


def test_values_are_checked_before_any_kernel_starts():
    with pytest.raises(book.ParameterError, match=r"notebook '05_mnist': `learning_rates` must hold positive"):
        book.plan(["05_mnist"], "smoke", {"learning_rates": [0.5, -1.0]})
    with pytest.raises(book.ParameterError, match=r"`profile` is not a parameter; name it with --profile"):
        book.plan(["02_geometry"], "smoke", {"profile": "gpu"})


@pytest.mark.parametrize(
    "override, message",
    [
        ({"nn": 3}, r"notebook 'tiny': unknown parameter 'nn'; allowed: hs, n, profile"),
        ({"n": "three"}, r"parameter 'n' must be a int"),
        ({"n": 2.5}, r"parameter 'n' must be a int"),
        ({"hs": 0.1}, r"parameter 'hs' must be a list of float"),
        ({"hs": ["a"]}, r"parameter 'hs' must be a list of float"),
    ],
)
def test_bad_parameters_fail_before_executing(tiny_book, override, message):
    with pytest.raises(book.ParameterError, match=message):
        book.execute(["tiny"], "smoke", override, root=tiny_book, log=lambda *_: None)
    assert not (tiny_book / "book" / "executed" / "tiny.ipynb").exists()


def test_unknown_profile(tiny_book):
    with pytest.raises(
        book.ParameterError, match=r"`profile` must be one of \('smoke', 'standin', 'accelerator', 'paper'\), got 'gpu'"
    ):
        book.execute(["tiny"], "gpu", root=tiny_book, log=lambda *_: None)


def test_cli_rejects_unknown_notebook(capsys):
    assert book.main(["execute", "no_such_notebook"]) == 1
    assert "unknown notebook 'no_such_notebook'" in capsys.readouterr().err


def test_real_profiles_validate_against_real_notebooks():
    """Every parameter in igr_core/profiles/*.yml is a field of its chapter's Params, with the
    right type and an allowed value."""
    for profile in PROFILES:
        jobs = book.plan(book.toc_notebooks(), profile, {})
        assert {j[0] for j in jobs} == set(book.toc_notebooks())


CHAPTERS = sorted(
    set(book.toc_notebooks()) & set(__import__("igr_core.experiments.registry").experiments.registry.NAMES)
)


@pytest.mark.parametrize("name", CHAPTERS)
def test_a_chapter_declares_only_its_profile_and_hides_it(name):
    """One home for defaults: a chapter's parameters cell names the profile only (the values are
    the Params defaults and the profile's), and it is hidden: the page shows the table of the
    values that ran instead."""
    nb = book.read_notebook(book.source_of(name))
    assert book.notebook_parameters(nb) == {"profile": "smoke"}
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "remove-cell" in cell.metadata["tags"]
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert code.count("chapter.open(") == 1 and code.count("page.verdicts()") == 1  # one call on, one call off
    assert "ledger.record(" not in code and "chapter.banner(" not in code  # the page records its one list of claims


def test_the_table_of_contents_is_generated_from_the_registry():
    """``_toc.yml``'s chapter parts are the registry's chapters, each in the part it declares
    (``PART``): the committed file is what :func:`igr_core.book.toc.generate` writes."""
    from igr_core.book import toc
    from igr_core.experiments import registry

    assert (book.ROOT / "_toc.yml").read_text() == toc.generate()
    chapters = [n for n in book.toc_notebooks() if n in registry.BY_NAME]
    assert chapters == list(registry.NAMES)
    parts = dict(toc.toc_parts())
    for c in registry.CHAPTERS:
        assert f"book/executed/{c.name}" in parts[c.part]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", CHAPTERS)
def test_the_notebook_runs_what_the_pipeline_validated(name, profile):
    """The Params a notebook builds from what papermill injects (the profile and an override)
    equal the values the pipeline validated before starting its kernel, and the page's table
    shows every overridden value as an override."""
    from igr_core.book.chapter import parameters_table

    module = book.chapter_of(name)
    override = {"seeds": [7]} if "seeds" in module.Params.names() else {}
    ((_, _, _, injected, effective, prof),) = book.plan([name], profile, override)
    namespace = {"profile": "smoke", **injected}  # the parameters cell, then papermill's cell
    p = module.Params.from_namespace(namespace)
    assert p.as_dict() == effective and prof == profile
    table = parameters_table(p).set_index("parameter")  # names as code spans
    if override:
        assert table.loc["`seeds`", "value"] == "`[7]`" and table.loc["`seeds`", "set by"] == "override"
    for k in module.Params.resolve(name, profile).changed():
        if k not in override and k != "profile":
            assert table.loc[f"`{k}`", "set by"] == f"profile `{profile}`", k


def test_no_notebook_or_config_allows_errors():
    root = book.ROOT
    for path in [root / "_config.yml", *sorted((root / "notebooks").glob("*.md"))]:
        text = path.read_text()
        assert "allow_errors" not in text and "raises-exception" not in text, path
    assert json.dumps('execute_notebooks: "off"') and 'execute_notebooks: "off"' in (root / "_config.yml").read_text()


def test_chapters_run_in_parallel_and_a_failure_still_fails_the_run(tiny_book):
    """Two chapters at once (worker processes): the good one is executed and recorded, the
    failing one fails the run by name, and the times come back in the order asked for."""
    lines = []
    with pytest.raises(RuntimeError, match="1 notebook\\(s\\) raised:\n  broken: ValueError: boom"):
        book.execute(["broken", "tiny"], "smoke", root=tiny_book, log=lines.append, jobs=2)
    out = tiny_book / "book" / "executed"
    assert "n 5" in outputs(out / "tiny.ipynb") and (out / "tiny.hash.json").exists()
    assert (out / "broken.failed.ipynb").exists()
    table = lines[-1].splitlines()
    assert [t.split()[0] for t in table[3:5]] == ["broken", "tiny"]  # the order asked for, not of finishing
    with pytest.raises(ValueError, match="`jobs` must be a positive integer"):
        book.execute(["tiny"], "smoke", root=tiny_book, log=lambda *_: None, jobs=0)


def test_a_chapter_that_runs_faster_on_the_cpu_gets_its_kernel_there(monkeypatch):
    """Chapters that declare PLATFORM = "cpu" get JAX_PLATFORMS=cpu in their kernel's
    environment; the others get nothing; an explicit JAX_PLATFORMS of the caller wins."""
    monkeypatch.delenv("JAX_PLATFORMS", raising=False)
    assert book.kernel_env("04_toy_model") == {"JAX_PLATFORMS": "cpu"}
    assert book.kernel_env("05_mnist") == {}
    assert book.kernel_env("claims") == {}
    monkeypatch.setenv("JAX_PLATFORMS", "cuda")
    assert book.kernel_env("04_toy_model") == {}


def test_a_gathering_page_depends_on_the_chapters_records_not_on_its_neighbours(tmp_path):
    """The pages of book/ run after the chapters, side by side: each one's fingerprint holds the
    chapters' stored results and execution records but not the other gathering pages' records
    (which change as they finish), so an unchanged fresh clone reuses every page."""
    (tmp_path / "book").mkdir()
    for page in ("claims", "errata"):
        (tmp_path / "book" / f"{page}.md").write_text(f"# {page}\n")
    prov = tmp_path / "book" / "executed"
    prov.mkdir(parents=True)
    (prov / "errata.hash.json").write_text('{"record": {"seconds": 1}}')
    (prov / "05_mnist.hash.json").write_text('{"record": {"seconds": 1}}')
    src = tmp_path / "book" / "claims.md"
    before = book.fingerprint("claims", src, {}, "largest", tmp_path)
    (prov / "errata.hash.json").write_text('{"record": {"seconds": 2}}')
    assert book.fingerprint("claims", src, {}, "largest", tmp_path) == before
    (prov / "05_mnist.hash.json").write_text('{"record": {"seconds": 2}}')
    assert book.fingerprint("claims", src, {}, "largest", tmp_path) != before

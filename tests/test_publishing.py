"""Publishing: the two workflows (parsed and schema-checked: no actionlint package could be
installed from the registries here), launch configuration, license and citation."""

import re

import yaml

from igr_core.book import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name):
    wf = yaml.safe_load((WORKFLOWS / name).read_text())
    wf["on"] = wf.pop(True, wf.get("on"))  # YAML 1.1 reads the key `on` as True
    return wf


def check_schema(wf):
    assert set(wf) >= {"name", "on", "jobs"}
    for job_name, job in wf["jobs"].items():
        assert "runs-on" in job and job["steps"], job_name
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), (job_name, step)
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]
        for need in [job.get("needs")] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert need in wf["jobs"], need


def runs(job):
    return "\n".join(s.get("run", "") for s in job["steps"])


def test_book_workflow_runs_what_ci_runs_and_deploys_main():
    wf = load("book.yml")
    check_schema(wf)
    assert {"push", "pull_request"} <= set(wf["on"])
    build = wf["jobs"]["build"]
    text = runs(build)
    ci = (ROOT / ".ci" / "run").read_text()
    order = ["make test", "make test-slow", "make book PROFILE=smoke", "make check-book"]
    assert [text.index(c) for c in order] == sorted(text.index(c) for c in order)
    assert all(c in ci for c in order)
    reports = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert reports and reports[0]["if"] == "failure()" and "failed" in reports[0]["with"]["path"]
    assert wf["jobs"]["deploy"]["if"] == "github.ref == 'refs/heads/main'"
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in wf["jobs"]["deploy"]["steps"])


def test_paper_workflow_runs_on_a_gpu_then_builds_on_a_cpu():
    wf = load("paper.yml")
    check_schema(wf)
    assert "workflow_dispatch" in wf["on"] and wf["on"]["push"]["tags"]
    gpu = wf["jobs"]["paper-gpu"]
    text = runs(gpu)
    assert gpu["env"]["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false" and "gpu" in gpu["runs-on"]
    assert text.index("nvidia-smi") < text.index("jax.default_backend()") < text.index("--profile paper")
    assert "constraints.txt" in text and "jax[cuda12]" in text
    assert any(s.get("uses", "").startswith("actions/cache") for s in gpu["steps"])
    assert wf["jobs"]["book-cpu"]["needs"] == "paper-gpu" and "igr_core.book build" in runs(wf["jobs"]["book-cpu"])


def test_one_repository_url_drives_buttons_citation_and_install_cells():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = cfg["repository"]["url"]
    assert cfg["html"]["use_repository_button"] and cfg["launch_buttons"]["colab_url"]
    assert cfg["launch_buttons"]["binderhub_url"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["repository-code"] == url and cff["preferred-citation"]["title"] == "Implicit Gradient Regularization"
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    pages = sorted((ROOT / "notebooks").glob("*.md")) + [
        ROOT / "book" / f"{n}.md" for n in ("claims", "errata", "provenance")
    ]
    for page in pages:
        text = page.read_text()
        assert f"git+{url}" in text and ":tags: [remove-cell]" in text, page
        assert text.index('find_spec("igr_core")') < text.index(":tags: [parameters"), page

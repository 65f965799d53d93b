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

"""Provenance: on what machine, with which libraries and code, a result was computed.

Abstraction: :func:`provenance` is the record a stored result carries (device, processor, thread
count, XLA flags, library versions, wall time, git commit, data source, date); :func:`machine`
is the part that says which processor ran it, so that two results that differ in their last
digits can be traced to the machines that computed them (floating-point reductions differ
between processors and XLA code paths; the code does not). Nothing here reads or writes results.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path


def git_commit(root: Path | None = None) -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root or Path.cwd(), capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def library_versions(packages=("jax", "jaxlib", "dm-haiku", "optax", "numpy", "pandas")) -> dict:
    from importlib import metadata

    out = {}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def processor() -> str:
    """The processor's model name (``/proc/cpuinfo``'s ``model name``, else :func:`platform.processor`)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def threads() -> int:
    """The CPU threads this process may run on (its affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def machine() -> dict:
    """Which processor computed a result, on how many threads, with which XLA flags."""
    return {
        "processor": processor(),
        "threads": threads(),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "machine": platform.machine(),
    }


def device() -> dict:
    import jax

    dev = jax.devices()[0]
    return {
        "device": getattr(dev, "device_kind", str(dev)),
        "backend": jax.default_backend(),
        "n_devices": len(jax.devices()),
        **machine(),
        "x64": bool(jax.config.jax_enable_x64),
    }


def provenance(seconds: float, data_source: str = "", root: Path | None = None) -> dict:
    return {
        **device(),
        "versions": library_versions(),
        "seconds": round(float(seconds), 2),
        "git_commit": git_commit(root),
        "data_source": data_source,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def describe(prov: dict) -> str:
    """One line naming the machine of a provenance record (older records lack the processor)."""
    cpu = prov.get("processor") or f"{prov.get('machine', '?')}, processor not recorded"
    threads_ = prov.get("threads")
    flags = prov.get("xla_flags")
    parts = [str(prov.get("device", "?")), cpu]
    if threads_:
        parts.append(f"{threads_} threads")
    if flags:
        parts.append(f"XLA_FLAGS={flags}")
    return "; ".join(parts) + (f" ({prov['date']})" if prov.get("date") else "")


__all__ = ["git_commit", "library_versions", "processor", "threads", "machine", "device", "provenance", "describe"]

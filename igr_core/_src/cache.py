"""Result caching for sweeps: a folder per (configuration, data) pair, resumable.

Abstraction: a sweep's results live under ``<results>/<experiment>/<key>/``, where the key
hashes the configuration (minus execution-only fields: strategy, checkpointing) and a
fingerprint of the data (source, sizes, SHA-256 of the arrays), never the device or the
library versions, so results trained on an accelerator are reused on a CPU. Each width has
its own sub-folder with

* ``metrics.csv`` -- the tidy table (one row per configuration and evaluation);
* ``best_params.npz`` -- parameters at the time of maximum test accuracy, per configuration;
* ``provenance.json`` -- device, backend, jax version, date and wall time of the run;
* while training: ``checkpoint.npz`` / ``checkpoint.json`` / ``metrics.partial.csv``, written
  atomically every few segments and removed when the width completes.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import platform
import shutil
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

CACHE_VERSION = 2  # bump when the meaning of cached tables changes
_EXECUTION_ONLY = ("strategy", "checkpoint_every")
# fields added after results were committed: left out of the key while at their default, so
# existing keys (an MLP trained by SGD) are unchanged
_KEY_DEFAULTS = {"architecture": "mlp", "mus": (0.0,), "egr_method": "exact"}


def data_fingerprint(data) -> dict:
    h = hashlib.sha256()
    for a in (data.x_train, data.y_train, data.x_test, data.y_test):
        h.update(np.ascontiguousarray(a).tobytes())
    return {
        "source": data.source,
        "n_train": int(len(data.y_train)),
        "n_test": int(len(data.y_test)),
        "sha256": h.hexdigest()[:16],
    }


def config_dict(cfg) -> dict:
    """The fields of a sweep configuration that its results depend on (the cache key)."""
    out = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in _EXECUTION_ONLY}
    for k, default in _KEY_DEFAULTS.items():
        if k in out and out[k] == default:
            del out[k]
    if out.get("egr_method") is not None and not any(m > 0 for m in out.get("mus", (0.0,))):
        del out["egr_method"]  # without EGR the route is irrelevant
    return out


def group_name(width) -> str:
    """Sub-folder of one width (``width_100``, ``width_0.0625``)."""
    return f"width_{width:g}" if isinstance(width, float) else f"width_{width}"


def config_hash(cfg, data) -> str:
    payload = json.dumps(
        {"config": config_dict(cfg), "data": data_fingerprint(data), "version": CACHE_VERSION}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _same_data(a: dict, b: dict) -> bool:
    """The same data, wherever it was read from (the same Fashion-MNIST files under another folder)."""
    return {k: v for k, v in a.items() if k != "source"} == {k: v for k, v in b.items() if k != "source"}


def equivalent_dir(results_dir, cfg, data) -> Path | None:
    """A cache folder of ``cfg`` computed on the same data read from another folder (its key, which
    hashes the data's source string too, differs): a GPU machine's sweep reused on a CPU."""
    want, fp = config_dict(cfg), data_fingerprint(data)
    for cand in sorted((Path(results_dir) / cfg.experiment).glob("*/config.json")):
        try:
            saved = json.loads(cand.read_text())
        except (OSError, ValueError):
            continue
        same_cfg = {k: v for k, v in saved.get("config", {}).items() if k in want} == json.loads(json.dumps(want))
        trained = any(cand.parent.glob("width_*/metrics.csv"))
        if same_cfg and trained and saved.get("version") == CACHE_VERSION and _same_data(saved.get("data", {}), fp):
            return cand.parent
    return None


def sweep_dir(results_dir, cfg, data, force: bool = False) -> Path:
    """The cache folder of ``cfg`` on ``data`` (created, with ``config.json``); ``force`` empties it.
    Where only a folder of the same configuration on the same data read from elsewhere exists,
    that one is used (its ``config.json`` kept as written)."""
    root = Path(results_dir) / cfg.experiment / config_hash(cfg, data)
    if not root.exists() and not force:
        other = equivalent_dir(results_dir, cfg, data)
        if other is not None:
            return other
    if force and root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(
        json.dumps(
            {
                "config": dataclasses.asdict(cfg),
                "data": data_fingerprint(data),
                "hash": root.name,
                "version": CACHE_VERSION,
            },
            indent=1,
        )
    )
    return root


def _flat(tree) -> dict[str, np.ndarray]:
    out = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        out["|".join(str(getattr(k, "key", getattr(k, "idx", k))) for k in path)] = np.asarray(leaf)
    return out


def save_params(path: Path, stacked_leaves_tree) -> None:
    np.savez(path, **_flat(stacked_leaves_tree))


def load_params(path: Path, index: int | None = None):
    """Nested dict of arrays saved by :func:`save_params` (``index`` picks one configuration)."""
    tree: dict = {}
    with np.load(path) as z:
        for key in z.files:
            node = tree
            *parents, leaf = key.split("|")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = jnp.asarray(z[key] if index is None else z[key][index])
    return tree


def provenance_now(seconds: float) -> dict:
    dev = jax.devices()[0]
    return {
        "device": getattr(dev, "device_kind", str(dev)),
        "backend": jax.default_backend(),
        "n_devices": len(jax.devices()),
        "jax": jax.__version__,
        "machine": platform.machine(),
        "matmul_precision": str(jax.config.jax_default_matmul_precision),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(float(seconds), 2),
    }


def save_group(gdir: Path, metrics: pd.DataFrame, best_leaves_tree, seconds: float, best_state_tree=None) -> None:
    save_params(gdir / "best_params.npz", best_leaves_tree)
    if best_state_tree is not None and jax.tree_util.tree_leaves(best_state_tree):
        save_params(gdir / "best_state.npz", best_state_tree)
    (gdir / "provenance.json").write_text(json.dumps(provenance_now(seconds), indent=1))
    metrics.to_csv(gdir / "metrics.csv", index=False)  # written last: its presence marks the width complete
    for f in ("checkpoint.npz", "checkpoint.json", "metrics.partial.csv"):
        (gdir / f).unlink(missing_ok=True)


def load_group(gdir: Path) -> pd.DataFrame | None:
    """A completed width's metrics (None while incomplete); tables written before EGR existed
    get ``mu = 0``."""
    if not (gdir / "metrics.csv").exists():
        return None
    df = pd.read_csv(gdir / "metrics.csv")
    if "mu" not in df.columns:
        df.insert(int(df.columns.get_loc("h")) + 1, "mu", 0.0)
    return df


def provenance(root: Path) -> dict:
    """Per width: where and how long the cached results were computed."""
    out = {}
    for p in sorted(Path(root).glob("width_*/provenance.json")):
        out[p.parent.name] = json.loads(p.read_text())
    return out


def save_checkpoint(gdir: Path, leaves: list[np.ndarray], marks_done: int, rows: list[dict]) -> None:
    tmp = gdir / "checkpoint.tmp.npz"
    np.savez(tmp, *leaves)
    tmp.replace(gdir / "checkpoint.npz")
    pd.DataFrame(rows).to_csv(gdir / "metrics.partial.csv", index=False)
    (gdir / "checkpoint.json").write_text(json.dumps({"marks_done": marks_done}))


def load_checkpoint(gdir: Path):
    meta = gdir / "checkpoint.json"
    if not meta.exists() or not (gdir / "checkpoint.npz").exists():
        return None
    with np.load(gdir / "checkpoint.npz") as z:
        leaves = [z[f"arr_{i}"] for i in range(len(z.files))]
    part = gdir / "metrics.partial.csv"
    rows = pd.read_csv(part).to_dict("records") if part.exists() else []
    return json.loads(meta.read_text())["marks_done"], leaves, rows


def _config_index(cfg, width, learning_rate, seed, mu) -> int:
    if width not in cfg.widths:
        raise ValueError(f"`width` {width} is not in this sweep's widths {cfg.widths}.")
    configs = [(h, m, s) for h in cfg.learning_rates for m in cfg.mus for s in cfg.seeds]
    try:
        return configs.index((float(learning_rate), float(mu), int(seed)))
    except ValueError:
        raise ValueError(
            f"no configuration with learning rate {learning_rate}, mu {mu} and seed {seed} in this "
            f"sweep; learning rates: {cfg.learning_rates}, mus: {cfg.mus}, seeds: {cfg.seeds}"
        ) from None


def load_best_params(path: Path, cfg, width, learning_rate: float, seed: int = 0, mu: float = 0.0):
    """Parameters at the time of maximum test accuracy of one configuration (from the cache)."""
    i = _config_index(cfg, width, learning_rate, seed, mu)
    return load_params(Path(path) / group_name(width) / "best_params.npz", i)


def load_best_state(path: Path, cfg, width, learning_rate: float, seed: int = 0, mu: float = 0.0):
    """Model state (BatchNorm statistics) that goes with :func:`load_best_params` ({} for none)."""
    i = _config_index(cfg, width, learning_rate, seed, mu)
    f = Path(path) / group_name(width) / "best_state.npz"
    return load_params(f, i) if f.exists() else {}


__all__ = [
    "CACHE_VERSION",
    "data_fingerprint",
    "config_dict",
    "config_hash",
    "sweep_dir",
    "save_params",
    "load_params",
    "provenance_now",
    "save_group",
    "load_group",
    "provenance",
    "save_checkpoint",
    "load_checkpoint",
    "load_best_params",
    "load_best_state",
    "group_name",
]

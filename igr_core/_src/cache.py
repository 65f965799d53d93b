"""Result caching for sweeps: a folder per (configuration, data) pair, resumable.

Abstraction: a sweep's results live under ``<results>/<experiment>/<key>/``, where the key
hashes the configuration (minus execution-only fields: strategy, checkpointing) and a
fingerprint of the data (source, sizes, SHA-256 of the arrays), never the device or the
library versions, so results trained on an accelerator are reused on a CPU. Each width has
its own sub-folder with

* ``metrics.csv`` -- the tidy table (one row per configuration and evaluation);
* ``best_params.npz`` -- parameters at the time of maximum test accuracy, per configuration;
* ``provenance.json`` -- device, processor, threads, XLA flags, jax version, date and wall time;
* ``complete.json`` -- written last, after the metrics: their sha256 and row count. Only this
  record marks a width complete; a width cached before records existed (``metrics.csv`` and
  ``provenance.json`` only, as committed) counts as complete when its metrics parse fully and
  hold the configuration's expected rows (:func:`seal` writes its record once);
* while training: ``checkpoint.npz``, one file replaced atomically every few segments, holding
  the weights, the partial metrics and the step count with a sha256 over all three; the one
  before it is kept as ``checkpoint.prev.npz``; both are removed when the width completes.

Guarantees: a damaged metrics file or checkpoint is named on the terminal, discarded and
recomputed from the last good checkpoint (never read as complete); whether a complete width is
reused or retrained is decided by :func:`policy` (the store's ``recompute="sweeps"``) and said.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime
import hashlib
import io
import json
import os
import shutil
import sys
import uuid
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from igr_core._src.codec import sha256 as _sha256_file

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


def _key_fields(fields: dict) -> dict:
    """The fields of a configuration's dict (``dataclasses.asdict``, or one saved as JSON) that its
    results depend on: execution-only fields and later fields at their defaults left out."""
    out = {k: v for k, v in fields.items() if k not in _EXECUTION_ONLY}
    for k, default in _KEY_DEFAULTS.items():
        if k in out and json.loads(json.dumps(out[k])) == json.loads(json.dumps(default)):
            del out[k]
    if out.get("egr_method") is not None and not any(m > 0 for m in out.get("mus", (0.0,))):
        del out["egr_method"]  # without EGR the route is irrelevant
    return out


def config_dict(cfg) -> dict:
    """The fields of a sweep configuration that its results depend on (the cache key)."""
    return _key_fields(dataclasses.asdict(cfg))


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
        # every field the results depend on, the defaults left out of the key included (an EGR sweep is
        # never taken for a plain one of otherwise equal settings)
        same_cfg = json.loads(json.dumps(_key_fields(saved.get("config", {})))) == json.loads(json.dumps(want))
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
    from igr_core._src.provenance import device

    return {
        **device(),
        "jax": jax.__version__,
        "matmul_precision": str(jax.config.jax_default_matmul_precision),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(float(seconds), 2),
    }


# ---------------------------------------------------------------------------- what is reused, said


_POLICY: contextvars.ContextVar = contextvars.ContextVar("sweep_cache_policy", default=None)


@contextlib.contextmanager
def policy(retrain: bool = False, log=None):
    """Within the block, complete widths are retrained (``retrain``) or reused when they verify;
    each width retrained once per block. ``log`` receives what was done (else stderr)."""
    token = _POLICY.set({"retrain": retrain, "log": log, "retrained": set()})
    try:
        yield
    finally:
        _POLICY.reset(token)


def say(line: str, log=None) -> None:
    """A line on the terminal about a sweep cache (the given log, the policy's, else stderr)."""
    pol = _POLICY.get() or {}
    out = log or pol.get("log")
    if out is not None:
        out(line)
    else:
        print(line, file=sys.stderr, flush=True)


def must_retrain(gdir: Path) -> bool:
    """Whether the policy asks to retrain this width (once: after that its fresh result is reused)."""
    pol = _POLICY.get()
    if not pol or not pol["retrain"] or gdir in pol["retrained"]:
        return False
    pol["retrained"].add(gdir)
    return True


# ---------------------------------------------------------------------------- files written whole


def _savez(path: Path, arrays: dict) -> None:
    with open(path, "wb") as f:  # a file object: np.savez would append ".npz" to a temporary name
        np.savez(f, **arrays)


def _atomic(path: Path, write) -> None:
    """``write(tmp)`` then rename over ``path`` (a reader sees the old file or the new one, never half)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class DamagedCacheError(RuntimeError):
    """A sweep cache file that is truncated, altered or half-written (named, then discarded)."""


COMPLETE = "complete.json"


def _record_for(gdir: Path) -> dict:
    metrics = gdir / "metrics.csv"
    rows = sum(1 for _ in io.StringIO(metrics.read_text())) - 1
    return {"metrics_sha256": _sha256_file(metrics), "rows": rows, "version": 1}


def save_group(gdir: Path, metrics: pd.DataFrame, best_leaves_tree, seconds: float, best_state_tree=None) -> None:
    """A completed width: parameters, provenance and metrics, each written whole, then the
    completion record (their hash), then the checkpoints removed."""
    _atomic(gdir / "best_params.npz", lambda t: _savez(t, _flat(best_leaves_tree)))
    if best_state_tree is not None and jax.tree_util.tree_leaves(best_state_tree):
        _atomic(gdir / "best_state.npz", lambda t: _savez(t, _flat(best_state_tree)))
    _atomic(gdir / "provenance.json", lambda t: t.write_text(json.dumps(provenance_now(seconds), indent=1)))
    _atomic(gdir / "metrics.csv", lambda t: metrics.to_csv(t, index=False))
    record = _record_for(gdir)
    _atomic(gdir / COMPLETE, lambda t: t.write_text(json.dumps(record, indent=1)))  # last: marks it complete
    for f in ("checkpoint.npz", "checkpoint.prev.npz", "checkpoint.json", "metrics.partial.csv"):
        (gdir / f).unlink(missing_ok=True)


def _read_metrics(path: Path, expected_rows: int | None) -> pd.DataFrame:
    """The metrics table, parsed strictly: whole lines, every row of the configuration."""
    raw = path.read_bytes()
    if not raw.endswith(b"\n"):
        raise DamagedCacheError(f"{path} ends in the middle of a line (truncated)")
    try:
        df = pd.read_csv(io.BytesIO(raw), on_bad_lines="error")
    except (ValueError, pd.errors.ParserError) as err:
        raise DamagedCacheError(f"{path} does not parse ({err})") from None
    if expected_rows is not None and len(df) != expected_rows:
        raise DamagedCacheError(f"{path} has {len(df)} rows, the configuration has {expected_rows}")
    return df


def _verified(gdir: Path, expected_rows: int | None) -> pd.DataFrame:
    """The metrics of a complete width, checked against its completion record (or, for a width
    cached before records existed, parsed strictly with the expected rows)."""
    metrics, record = gdir / "metrics.csv", gdir / COMPLETE
    if not record.exists():
        if expected_rows is None:
            raise DamagedCacheError(f"{metrics} has no completion record and no expected row count to check")
        return _read_metrics(metrics, expected_rows)
    try:
        rec = json.loads(record.read_text())
        want, rows = rec["metrics_sha256"], int(rec["rows"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DamagedCacheError(f"{record} cannot be read ({type(err).__name__})") from None
    if _sha256_file(metrics) != want:
        raise DamagedCacheError(f"{metrics} does not match the sha256 in {record.name} (truncated or altered)")
    return _read_metrics(metrics, expected_rows if expected_rows is not None else rows)


def _discard(gdir: Path, why: str, log=None) -> None:
    for f in ("metrics.csv", COMPLETE):
        (gdir / f).unlink(missing_ok=True)
    say(f"sweep cache: {why}; discarded, the width is recomputed from its last good checkpoint", log)


def load_group(gdir: Path, expected_rows: int | None = None, log=None) -> pd.DataFrame | None:
    """A completed width's metrics, verified (None while incomplete, or when damaged: then the
    damage is named on the terminal and the metrics discarded); tables written before EGR existed
    get ``mu = 0``."""
    if not (gdir / "metrics.csv").exists():
        return None
    try:
        df = _verified(gdir, expected_rows)
    except (DamagedCacheError, OSError) as err:
        _discard(gdir, str(err), log)
        return None
    if "mu" not in df.columns:
        df.insert(int(df.columns.get_loc("h")) + 1, "mu", 0.0)
    return df


def is_complete(gdir: Path, expected_rows: int | None) -> bool:
    """Whether a width is complete and verifies (reads only; discards nothing)."""
    try:
        _verified(gdir, expected_rows)
    except (DamagedCacheError, OSError):
        return False
    return True


def seal(gdir: Path, expected_rows: int) -> bool:
    """The one-time upgrade of a width cached before completion records: its metrics parsed
    strictly with the expected rows, then its record written. Returns whether it wrote one;
    raises :class:`DamagedCacheError` naming the file when the metrics do not verify."""
    if (gdir / COMPLETE).exists():
        _verified(gdir, expected_rows)
        return False
    _read_metrics(gdir / "metrics.csv", expected_rows)
    record = _record_for(gdir)
    _atomic(gdir / COMPLETE, lambda t: t.write_text(json.dumps(record, indent=1)))
    return True


def provenance(root: Path) -> dict:
    """Per width: where and how long the cached results were computed."""
    out = {}
    for p in sorted(Path(root).glob("width_*/provenance.json")):
        out[p.parent.name] = json.loads(p.read_text())
    return out


def _unit_hash(leaves: list[np.ndarray], metrics: bytes, marks_done: int) -> str:
    h = hashlib.sha256(f"{marks_done}|{len(leaves)}".encode())
    for a in leaves:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode() + a.tobytes())
    h.update(metrics)
    return h.hexdigest()


def save_checkpoint(gdir: Path, leaves: list[np.ndarray], marks_done: int, rows: list[dict]) -> None:
    """Weights, partial metrics and step count as one file with a sha256 over the three, replaced
    atomically; the checkpoint before it stays as ``checkpoint.prev.npz`` (the last good one should
    this one be damaged)."""
    metrics = pd.DataFrame(rows).to_csv(index=False).encode()
    leaves = [np.asarray(a) for a in leaves]
    meta = json.dumps({"marks_done": int(marks_done), "sha256": _unit_hash(leaves, metrics, marks_done)})
    arrays = {f"arr_{i}": a for i, a in enumerate(leaves)}
    arrays["__metrics__"] = np.frombuffer(metrics, dtype=np.uint8)
    arrays["__meta__"] = np.frombuffer(meta.encode(), dtype=np.uint8)
    current = gdir / "checkpoint.npz"
    if current.exists() and _good_unit(current):
        os.replace(current, gdir / "checkpoint.prev.npz")
    _atomic(current, lambda t: _savez(t, arrays))
    for f in ("checkpoint.json", "metrics.partial.csv"):  # a checkpoint of the earlier format, superseded
        (gdir / f).unlink(missing_ok=True)


def _read_unit(path: Path):
    """(marks_done, leaves, rows) of a checkpoint file, None for a file of the earlier format;
    raises :class:`DamagedCacheError` naming the file when it is damaged."""
    try:
        with np.load(path) as z:
            if "__meta__" not in z.files:
                return None
            meta = json.loads(z["__meta__"].tobytes().decode())
            metrics = z["__metrics__"].tobytes()
            leaves = [z[f"arr_{i}"] for i in range(len(z.files) - 2)]
        marks_done = int(meta["marks_done"])
    except Exception as err:  # zipfile, numpy and json each raise their own on a truncated file
        raise DamagedCacheError(f"{path} cannot be read ({type(err).__name__}: {err})") from None
    if _unit_hash(leaves, metrics, marks_done) != meta.get("sha256"):
        raise DamagedCacheError(f"{path} does not match its sha256 (altered)")
    return marks_done, leaves, pd.read_csv(io.BytesIO(metrics)).to_dict("records")


def _good_unit(path: Path) -> bool:
    try:
        return _read_unit(path) is not None
    except DamagedCacheError:
        return False


def _read_legacy(gdir: Path, rows_per_mark: int | None):
    """A checkpoint of the earlier format (``checkpoint.npz`` + ``checkpoint.json`` +
    ``metrics.partial.csv``), accepted only when its three files agree: the json written after the
    weights and the metrics holding a row per configuration and evaluation done."""
    meta, weights, part = gdir / "checkpoint.json", gdir / "checkpoint.npz", gdir / "metrics.partial.csv"
    if not meta.exists():
        raise DamagedCacheError(f"{weights} has no checkpoint.json (written half)")
    if weights.stat().st_mtime_ns > meta.stat().st_mtime_ns:
        raise DamagedCacheError(f"{weights} is newer than {meta.name}: a checkpoint cut between its writes")
    try:
        marks_done = int(json.loads(meta.read_text())["marks_done"])
        with np.load(weights) as z:
            leaves = [z[f"arr_{i}"] for i in range(len(z.files))]
        rows = _read_metrics(part, None).to_dict("records")
    except DamagedCacheError:
        raise
    except Exception as err:
        raise DamagedCacheError(f"a checkpoint file in {gdir} cannot be read ({type(err).__name__}: {err})") from None
    if rows_per_mark is not None and len(rows) != (marks_done + 1) * rows_per_mark:
        raise DamagedCacheError(
            f"{part} has {len(rows)} rows, its checkpoint at evaluation {marks_done} needs "
            f"{(marks_done + 1) * rows_per_mark}"
        )
    return marks_done, leaves, rows


def load_checkpoint(gdir: Path, rows_per_mark: int | None = None, log=None):
    """(marks_done, leaves, rows) of the last good checkpoint, or None. A damaged one is named on
    the terminal and discarded, and the one before it (``checkpoint.prev.npz``) is used."""
    for name in ("checkpoint.npz", "checkpoint.prev.npz"):
        path = gdir / name
        if not path.exists():
            continue
        try:
            got = _read_unit(path)
            if got is None:
                got = _read_legacy(gdir, rows_per_mark)
        except (DamagedCacheError, OSError) as err:
            path.unlink(missing_ok=True)
            say(f"sweep cache: {err}; discarded, resuming from the checkpoint before it (if any)", log)
            continue
        if rows_per_mark is not None and len(got[2]) != (got[0] + 1) * rows_per_mark:
            path.unlink(missing_ok=True)
            say(f"sweep cache: {path} holds {len(got[2])} metric rows for evaluation {got[0]}; discarded", log)
            continue
        say(f"sweep cache: {gdir.name} resumes from its checkpoint at evaluation {got[0]} ({path.name})", log)
        return got
    return None


def expected_rows(sweep_root: Path) -> int:
    """Rows of one complete width of the sweep folder ``sweep_root`` (read from its ``config.json``):
    a row per configuration at step 0 and at every evaluation mark."""
    from igr_core._src.engine.config import SweepConfig, evaluation_steps

    saved = json.loads((Path(sweep_root) / "config.json").read_text())
    cfg = SweepConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved["config"].items()})
    n_configs = len(cfg.learning_rates) * len(cfg.mus) * len(cfg.seeds)
    return n_configs * (len(evaluation_steps(cfg, int(saved["data"]["n_train"]))) + 1)


def seal_widths(gdirs) -> list[str]:
    """:func:`seal` each width folder (the one-time upgrade of committed caches); one line per width."""
    out = []
    for gdir in map(Path, gdirs):
        wrote = seal(gdir, expected_rows(gdir.parent))
        out.append(f"{gdir}: {'sealed' if wrote else 'already sealed'} ({expected_rows(gdir.parent)} rows verified)")
    return out


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
    "policy",
    "say",
    "must_retrain",
    "DamagedCacheError",
    "COMPLETE",
    "save_group",
    "load_group",
    "is_complete",
    "seal",
    "seal_widths",
    "expected_rows",
    "provenance",
    "save_checkpoint",
    "load_checkpoint",
    "load_best_params",
    "load_best_state",
    "group_name",
]


if __name__ == "__main__":  # python -m igr_core._src.cache seal <width folder>...
    if sys.argv[1:2] != ["seal"] or len(sys.argv) < 3:
        raise SystemExit("usage: python -m igr_core._src.cache seal <results>/<profile>/sweeps/<exp>/<hash>/width_*")
    try:
        print("\n".join(seal_widths(sys.argv[2:])))
    except DamagedCacheError as err:
        raise SystemExit(f"error: {err}") from None

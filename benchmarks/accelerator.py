"""Chapters 06 and 07 at the ``accelerator`` profile inside one fixed device budget.

    python benchmarks/accelerator.py --deadline UNIX_SECONDS --out DIR [-p NAME VALUE ...]

The deep-network half of the paper (ResNet-18, SGD over the five learning rates of Appendix A.5;
EGR against SGD, Figure 3c) on one GPU, at the paper's network (width 1), batch (512) and
learning rates, on the offline Fashion-MNIST stand-in. The device is lent for minutes, so the
run sizes itself:

1. the device's float32 matmul rate (8192^2 on a GPU), and the FLOPs of one ResNet-18 SGD step
   (XLA's cost analysis of the lowered step);
2. calibration: one network of chapter 06 (SGD) and one of chapter 07 (the EGR step) timed for a
   few steps and one evaluation, compile excluded; the compiled functions are the ones the runs
   then use (same step specification, same process: :func:`igr_core.engine.compiled`);
3. sizing: the largest common ``epochs`` (a multiple of ``eval_every_epochs``) with which both
   chapters' predicted seconds fit what is left before ``--deadline``, with a margin;
4. chapter 06, then chapter 07 (re-sized if 06 ran long), each through the result store
   (``results/accelerator/``) and saved as soon as it finishes.

Writes ``sizing.json`` (rates, the fraction of the matmul rate, the chosen values, what was cut)
to ``--out`` and a log to stdout. ``-p`` overrides apply to both chapters (a CPU dry run at
tiny size: ``-p width 0.0625 -p n_train 512 -p n_test 256 -p batch_size 64``). After the run,
the chosen values are written into ``igr_core/profiles/accelerator.yml`` so that the profile
names what ran (the store's key is the parameters' hash).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import yaml
from _rates import matmul_flops  # noqa: E402  (benchmarks/ is on the path of a script)

import igr_core
from igr_core import engine, runner, store
from igr_core.experiments import _images, egr, registry, resnet

PROFILE = "accelerator"
MARGIN = 0.8  # plan for this fraction of the time left (checkpoints, saving, the MLP part of 07)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def calibrate(p, module_name: str, mus, steps: int) -> dict:
    """Seconds per training step and per evaluation of one network of this chapter's grid (one
    seed of it, per network), compile excluded (its compile seconds reported apart)."""
    data = _images.load_images(p)
    n = len(data.y_train)
    lr = p.learning_rates[-1] if hasattr(p, "learning_rates") else p.learning_rate
    cfg = _images.sweep_config(p, n, f"calibrate_{module_name}", (lr,), mus=mus, seeds=p.seeds[:1])
    strategy = engine.resolve_strategy(p.strategy)
    t0 = time.perf_counter()
    group = engine.make_group(cfg, p.width, data, strategy)
    idx = engine.batch_indices(n, p.batch_size, 0, 0, steps)
    group.train(idx)
    jax.block_until_ready(group.states)
    group.evaluate()
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    group.train(idx)
    jax.block_until_ready(group.states)
    k = len(group.configs)  # one seed: one network (06), or one per mu (07)
    step_s = (time.perf_counter() - t0) / steps / k
    t0 = time.perf_counter()
    group.evaluate()
    eval_s = (time.perf_counter() - t0) / k
    return {
        "strategy": strategy,
        "configurations of the calibration": len(group.configs),
        "compile_s": compile_s,
        "step_s": step_s,
        "eval_s": eval_s,
        "steps_per_epoch": engine.steps_per_epoch(n, p.batch_size),
        "n_train": n,
        "n_test": len(data.y_test),
    }


def step_flops(p) -> float:
    """FLOPs of one SGD step of the chapter's ResNet (XLA's cost analysis of the lowered step)."""
    model = engine.build_model_for("resnet18", p.width, 10, 0)
    data = _images.load_images(p)
    x, y = jnp.asarray(data.x_train[: 2 * p.batch_size]), jnp.asarray(data.y_train[: 2 * p.batch_size])
    state = engine.init_state(model, x[:1], 0, 0.05, 0.0)
    step = jax.jit(engine.make_train_step(model, False, 1e4, False, "exact"))
    lowered = step.lower(state, jnp.arange(p.batch_size), x, y)

    def flops(cost) -> float:
        cost = (cost[0] if cost else {}) if isinstance(cost, list) else (cost or {})
        return float(cost.get("flops", float("nan")))

    out = flops(lowered.cost_analysis())
    # on the H200 (jax 0.11.2) the lowered step had no cost analysis: the compiled one's (a compile more)
    return out if np.isfinite(out) else flops(lowered.compile().cost_analysis())


def predicted(c: dict, configs: int, epochs: float, every: float) -> float:
    evals = int(round(epochs / every)) + 1
    return configs * (epochs * c["steps_per_epoch"] * c["step_s"] + evals * c["eval_s"])


def size(c6: dict, c7: dict, n6: int, n7: int, seconds: float, every: float, most: float) -> float:
    """The largest common epochs (a multiple of ``every``, at most ``most``) whose predicted
    seconds for both chapters fit ``seconds``; at least one evaluation period."""
    epochs = every
    while (
        epochs + every <= most
        and predicted(c6, n6, epochs + every, every) + predicted(c7, n7, epochs + every, every) <= seconds
    ):
        epochs += every
    return epochs


def write_profile(chosen: dict[str, dict]) -> None:
    path = Path(igr_core.__file__).parent / "profiles" / f"{PROFILE}.yml"  # the checkout's, not the working directory's
    out, current = [], None
    for line in path.read_text().splitlines():  # keep the comments: rewrite only the chosen values
        stripped = line.strip()
        if line.startswith("  ") and not line.startswith("    ") and stripped.endswith(":"):
            current = stripped[:-1]
        key = stripped.split(":")[0]
        if current in chosen and key in chosen[current] and line.startswith("    "):
            line = f"    {key}: {float(chosen[current][key])!r}"
        out.append(line)
    path.write_text("\n".join(out) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deadline", type=float, required=True, help="unix time by which both chapters must be done")
    ap.add_argument("--out", default=".")
    ap.add_argument("--most-epochs", type=float, default=60.0)
    ap.add_argument("--calibration-steps", type=int, default=10)
    ap.add_argument("--reserve", type=float, default=60.0, help="seconds kept for chapter 07's MLP part and saving")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[])
    ap.add_argument("--no-write-profile", action="store_true")
    ap.add_argument("--only-06", action="store_true", help="chapter 06 alone (all the time left to it)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    over = {k: yaml.safe_load(v) for k, v in args.parameter}
    execution = {**over, "train_missing": "yes", "strategy": "loop"}  # trains here; one network at a time
    p6 = resnet.Params.resolve("06_resnet", PROFILE, execution)
    p7 = egr.Params.resolve("07_egr", PROFILE, execution)
    report: dict = {
        "device": store.device(),
        "jax": jax.__version__,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "seconds_to_deadline_at_start": args.deadline - time.time(),
    }

    def save():
        (out / "sizing.json").write_text(json.dumps(report, indent=1, default=str))

    report["matmul_tflops_f32"] = matmul_flops() / 1e12
    log(f"device {report['device']}; float32 matmul {report['matmul_tflops_f32']:.1f} TFLOP/s")
    report["sgd_step_flops"] = step_flops(p6)
    save()
    c6 = calibrate(p6, "06", (0.0,), args.calibration_steps)
    c6["achieved_tflops"] = report["sgd_step_flops"] / c6["step_s"] / 1e12
    c6["fraction_of_matmul_rate"] = c6["achieved_tflops"] / report["matmul_tflops_f32"]
    report["calibration_06"] = c6
    log(f"06: {json.dumps(c6)}")
    save()
    n6 = len(p6.learning_rates) * len(p6.seeds)
    if args.only_06:
        c7, n7 = c6, 0
    else:
        c7 = calibrate(p7, "07", tuple(p7.mus), args.calibration_steps)
        report["calibration_07"] = c7
        log(f"07: {json.dumps(c7)}")
        n7 = len(p7.mus) * len(p7.seeds)
    left = (args.deadline - time.time() - args.reserve) * MARGIN
    e6 = size(c6, c7, n6, n7, left, p6.eval_every_epochs, args.most_epochs)
    report["planned"] = {
        "seconds_left": left / MARGIN + args.reserve,
        "planned_for": left,
        "epochs": e6,
        "predicted_06_s": predicted(c6, n6, e6, p6.eval_every_epochs),
        "predicted_07_s": predicted(c7, n7, e6, p7.eval_every_epochs),
    }
    log(f"planned: {report['planned']}")
    save()
    chosen: dict = {}

    def run(chapter: str, epochs: float) -> None:
        """One chapter through the result store at ``epochs``; its seconds, folder and chosen values reported."""
        p = registry.get(chapter).resolve(PROFILE, {**execution, "epochs": epochs})
        t0 = time.perf_counter()
        st = runner.run(registry.get(chapter), p, store.results_dir(PROFILE), log=log)
        key = chapter[:2]
        report[f"run_{key}_s"] = time.perf_counter() - t0
        report[f"stored_{key}"] = str(st.path)
        chosen[chapter] = {"epochs": epochs, "eval_every_epochs": p.eval_every_epochs}
        report["chosen"] = chosen
        log(f"{key} stored in {report[f'run_{key}_s']:.0f} s at {st.path}")
        save()

    run("06_resnet", e6)
    if not args.only_06:
        left = (args.deadline - time.time() - args.reserve) * MARGIN
        e7 = size(c7, c7, n7, 0, left, p7.eval_every_epochs, e6)  # 07 alone, at most 06's epochs
        if e7 != e6:
            report["cut"] = f"07 epochs cut from {e6:g} to {e7:g} (06 ran {report['run_06_s']:.0f} s)"
            log(report["cut"])
        run("07_egr", e7)
    if not args.no_write_profile:
        write_profile(chosen)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

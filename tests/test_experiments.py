"""Every chapter's experiment at a tiny size, its claims through the verdict rules, parameter
validation before compute, and the committed paper-profile results."""

import json

import pytest

from igr_core import engine, problems
from igr_core._src import store
from igr_core.book import ROOT, ledger, toc_notebooks
from igr_core.experiments import (
    estimation,
    geometry,
    mnist,
    ntk,
    optimizers,
    registry,
    theorems,
    toy_model,
)
from igr_core.experiments._params import PROFILES
from igr_core.verdicts import OUTCOMES, Verdict

MODULES = {c.name: __import__(c.module, fromlist=["_"]) for c in registry.CHAPTERS}  # the registry's list


def roundtrip(module, results, tmp_path):
    """Results saved to the store and read back give the same claims and facts."""
    folder = tmp_path / "store_entry"
    chapter = registry.get(module.NOTEBOOK)
    store.save(folder, results, {"results_version": module.RESULTS_VERSION}, store.type_table(chapter))
    back, _ = store.load(folder, chapter)
    # compared as JSON: a row's missing interval is NaN, which equals nothing, itself included
    rows = [json.dumps(ledger.rows("x", module.claims(r), "smoke"), default=str) for r in (back, results)]
    assert rows[0] == rows[1]
    assert json.dumps(module.facts(back), default=str) == json.dumps(module.facts(results), default=str)
    return back


def check_claims(module, results, tmp_path=None):
    if tmp_path is not None:
        results = roundtrip(module, results, tmp_path)
    claims = module.claims(results)
    assert claims, "a chapter without claims"
    for c in claims:
        assert isinstance(c.verdict, Verdict) and c.verdict.outcome in OUTCOMES, c
        assert c.verdict.measured and c.verdict.rule
    rows = ledger.rows(module.NOTEBOOK, claims, "smoke")
    assert all(set(ledger.COLUMNS) <= set(r) for r in rows)
    json.dumps(module.facts(results), default=str)
    return {c.claim: c.verdict for c in claims}


def test_theorems_tiny(tmp_path):
    p = theorems.Params(
        local_hs=(0.04, 0.02, 0.01),
        toy_hs=(0.002, 0.001, 0.0005),
        n_digits=16,
        hidden=(4,),
        moderate_hs=(0.05, 0.2, 0.4, 1.0),
        moderate_T=1.0,
        norm_hs=(0.1,),
        norm_steps=20,
        minima_hs=(0.1, 0.7),
    )
    v = check_claims(theorems, theorems.run(p), tmp_path)
    assert v["Global error at fixed T = nh is one order lower (1, 2, 3)"].outcome == "reproduced"


def test_geometry_tiny(tmp_path):
    v = check_claims(geometry, geometry.run(geometry.Params(n_points=2, n_digits=8, hidden=(2,))), tmp_path)
    assert all(x.outcome == "reproduced" for x in v.values())


def test_ntk_tiny(tmp_path):
    r = ntk.run(
        ntk.Params(
            n=8,
            hidden=(8,),
            ntk_h_fractions=(0.2, 0.8),
            baseline_fraction=0.05,
            ntk_T_edge=10.0,
            n_evals=2,
            seeds=(0, 1),
        )
    )
    v = check_claims(ntk, r, tmp_path)
    assert v["Scalar outputs: E~ = eps^T (1 + K) eps"].outcome == "erratum confirmed"


def test_toy_model_tiny(tmp_path):
    p = toy_model.Params(
        t_end=(1.0, 0.01),
        distance_steps=(40, 100),
        fig1b_hs=(0.01, 0.05, 0.1),
        fig1b_steps=2000,
        scan_h_range=(0.05, 0.3, 6),
        ricochet_steps=50,
        mus=(0.0, 0.5),
        egr_t_end=1.0,
        egr_h_euler=0.001,
        map_grid=3,
        map_hs=(0.05,),
        map_t_end=5.0,
    )
    check_claims(toy_model, toy_model.run(p), tmp_path)


def test_mnist_tiny(tmp_path):
    p = mnist.Params(
        widths=(8,),
        learning_rates=(0.2, 0.05),
        epochs=1.0,
        eval_every_epochs=1.0,
        n_train=128,
        train_acc_threshold=0.0,
        batch_sizes=(64,),
        batch_width=8,
        full_batch_width=8,
        full_batch_n_train=64,
        full_batch_steps=4,
        full_batch_eval_every=2,
        noise_width=8,
        sigmas=(0.0, 0.5),
        n_realizations=2,
        n_slope=50,
        fixed_time=0.4,
        strategy="loop",
    )
    r = mnist.run(p, tmp_path)
    check_claims(mnist, r, tmp_path)
    assert r.missing == () and r.noise is not None and set(r.batch["batch_size"]) == {32, 64}
    assert len(mnist.curves(r))


def test_estimation_tiny(tmp_path):
    p = estimation.Params(
        penalty_strengths=(0.01, 0.03, 0.1),
        penalty_n=24,
        penalty_inputs=3,
        penalty_width=4,
        penalty_steps=3000,
        penalty_seeds=(0, 1),
        ols_n=20,
        ols_d=3,
        ols_max_endpoints=4,
        ols_checkpoints=(1, 5, 20),
        igr_n=16,
        igr_hidden=(4,),
        igr_pretrain_steps=5,
        igr_h_fractions=(0.01, 0.02, 0.04, 1.0),
        igr_fit_fractions=3,
        igr_probes=2,
        dropout_rates=(0.0, 0.3),
        dropout_n=32,
        dropout_hidden=(8,),
        dropout_steps=40,
        dropout_seeds=(0, 1),
    )
    r = estimation.run(p)
    v = check_claims(estimation, r, tmp_path)
    # exact answers hold at any size: Q_k from d stacked endpoints, the retrained diagonal penalty,
    # the IGR coefficient's order; the stacked system is rank-deficient below d endpoints
    assert (
        v["Early stopping in least squares is the quadratic penalty Q_k: exact recovery from stacked endpoints"].outcome
        == "reproduced"
    )
    assert (
        v["A diagonal penalty from one endpoint retrains (no early stopping) to the same weights"].outcome
        == "reproduced"
    )
    assert v["The trajectory estimate of the IGR coefficient is h/4, with error O(h)"].outcome == "reproduced"
    assert r.ols_stack.set_index("endpoints")["status"].to_dict() == {
        1: "underdetermined",
        2: "collinear",
        3: "solved",
        4: "solved",
    }


def test_optimizers_adam_and_rate_map_tiny():
    """Chapter 09's Adam study and learning-rate map at a tiny size, through their verdict rules."""
    p = optimizers.Params(
        n_digits=8,
        hidden=(2,),
        net_anti_T=0.05,
        net_anti_hs=(4e-4, 2e-4, 1e-4),
        map_T=0.5,
        map_h_range=(1e-3, 0.1),
        map_n=4,
    )
    net = problems.mnist_mlp_problem(p.n_digits, p.hidden, "tanh", seed=0)
    adam, paths = optimizers.adam_study(p, net)
    rate, edges = optimizers.rate_map(p)
    r = optimizers.Results(
        params=p,
        source=net.source,
        errors=None,
        local=None,
        recursion=None,
        antisymmetry_error=float("nan"),
        adam=adam,
        paths=paths,
        rate_map=rate,
        edges=edges,
    )
    claims = optimizers.adam_claims(r) + optimizers.map_claims(r)
    assert [c.verdict.outcome in OUTCOMES for c in claims] == [True] * 4
    assert claims[0].verdict.outcome == "reproduced"  # rho > beta sharper, rho < beta flatter, at every h
    assert set(paths["h"]) == {0.0, max(p.anti_hs)} and len(rate) == 4 * p.map_n
    assert (edges["stability edge"].iloc[1] / edges["stability edge"].iloc[0]) == pytest.approx(1 + p.momentum_beta)
    # a run that stopped short of the valley of minima cannot say which minimum it reached
    short = adam.copy()
    short.loc[(short["problem"] == "2-parameter model") & (short["quantity"] == "slope ||grad E||"), "Adam"] = 1e-3
    v = optimizers.adam_claims(r._replace(adam=short))[0].verdict
    assert v.outcome == "inconclusive" and "not converged" in v.why


@pytest.mark.parametrize(
    "module, bad, match",
    [
        (mnist, {"learning_rates": (0.5, -1.0)}, "`learning_rates` must hold positive"),
        (mnist, {"data_source": "cifar"}, "`data_source` must be one of"),
        (mnist, {"noise_width": 7}, "`noise_width`"),
        (mnist, {"train_acc_threshold": 1.5}, "`train_acc_threshold`"),
        (theorems, {"local_hs": (0.1, 0.05)}, "at least 3 step sizes"),
        (ntk, {"baseline_fraction": 0.5}, "`baseline_fraction`"),
        (toy_model, {"scan_h_range": (0.4, 0.1, 10)}, "`scan_h_range`"),
        (geometry, {"n_points": 0}, "`n_points` must be a positive integer"),
        (estimation, {"dropout_rates": (0.0, 1.0)}, "`dropout_rates` must lie in"),
        (optimizers, {"sgd_batch": 3}, "`sgd_batch`"),
        (optimizers, {"adam_rho": 1.0}, "`adam_rho` must be a decay rate"),
        (optimizers, {"control_rho": 0.95}, "`control_rho` < `anti_beta` < `anti_rho`"),
        (optimizers, {"map_h_range": (0.1, 0.01)}, "`map_h_range`"),
        (optimizers, {"reshuffle_n": 9}, "`reshuffle_batch`"),
        (optimizers, {"net_hs": (0.1, 0.05)}, "at least 3 step sizes"),
        (estimation, {"ols_max_endpoints": 3}, "`ols_max_endpoints`"),
        (estimation, {"igr_fit_fractions": 20}, "`igr_fit_fractions`"),
        (estimation, {"penalty_strengths": (0.1, -0.1)}, "`penalty_strengths` must hold positive"),
    ],
)
def test_bad_parameters_fail_before_compute(module, bad, match):
    with pytest.raises(ValueError, match=match):
        module.Params(**bad)


@pytest.mark.parametrize("profile", PROFILES)
def test_profiles_build_valid_params(profile):
    for name in toc_notebooks():
        if name in MODULES:
            p = MODULES[name].Params.resolve(name, profile)
            assert p.profile == profile


# what the published book is built from: these chapters' results are committed at these profiles
COMMITTED = {
    "paper": [
        "01_theorem_checks",
        "02_geometry",
        "03_ntk",
        "04_toy_model",
        "05_mnist",
        "08_estimation",
        "09_optimizers",
    ],
    "standin": ["06_resnet", "07_egr"],
    "accelerator": ["06_resnet", "07_egr"],  # from an H200 (benchmarks/device.sh); 07's MLP part on a CPU
}


def test_every_committed_entry_loads_through_the_registry():
    """Every committed store entry (each profile, each chapter, whatever its key) decodes by
    registered type names, its files match their content hashes, and its chapter's claims compute."""
    entries = sorted(ROOT.glob("results/*/*/*/manifest.json"))
    assert entries
    for manifest in entries:
        folder = manifest.parent
        chapter = registry.get(folder.parent.name)
        results, m = store.load(folder, chapter)
        assert m["format"] == store.STORE_FORMAT and m["files"], folder
        assert isinstance(results, chapter.Results) and chapter.claims(results), folder


@pytest.mark.parametrize("profile, chapter", [(p, c) for p, cs in COMMITTED.items() for c in cs])
def test_committed_results_load_and_match_their_profile(profile, chapter):
    """The store entry of the profile's Params is committed, at the chapter's results version,
    its recorded parameters are the profile's (one source of parameters), and its claims
    compute from it."""
    module = MODULES[chapter]
    params = module.Params.resolve(chapter, profile)
    got = ledger.stored(profile, chapter, root=ROOT)
    assert got is not None, (
        f"no committed results for {chapter} at {profile} (results version {module.RESULTS_VERSION})"
    )
    results, manifest = got

    def keyed(d):  # how a result is computed (strategy, train_missing) is not what it is
        return {k: v for k, v in d.items() if k not in store.EXECUTION_ONLY}

    assert keyed(manifest["params"]) == keyed(params.as_dict())
    assert manifest["results_version"] == module.RESULTS_VERSION
    assert {"device", "versions", "seconds", "git_commit", "date", "data_source"} <= set(manifest["provenance"])
    rows = ledger.rows(chapter, module.claims(results), profile)
    assert rows and {r["verdict"] for r in rows} <= set(OUTCOMES)


def test_committed_mnist_grid_is_the_paper_profile_from_an_accelerator():
    """results/paper/sweeps holds the MNIST grid computed on an accelerator: its configurations
    are the paper profile's and the engine's cache accepts them on this machine (same key)."""
    p = mnist.Params.resolve("05_mnist", "paper", {"train_missing": "no"})
    data = mnist.load_data(p)
    cfg = mnist.sweep_config(p, len(data.y_train))
    root = ROOT / "results" / "paper" / "sweeps" / cfg.experiment / engine.config_hash(cfg, data)
    saved = json.loads((root / "config.json").read_text())["config"]
    assert tuple(saved["widths"]) == p.widths and tuple(saved["learning_rates"]) == p.learning_rates
    assert tuple(saved["seeds"]) == p.seeds and saved["batch_size"] == p.batch_size
    res = engine.run_sweep(cfg, data, ROOT / "results" / "paper" / "sweeps", progress=False, cached_only=True)
    assert len(res.metrics.groupby(["width", "h", "seed"])) == len(p.widths) * len(p.learning_rates) * len(p.seeds)
    assert all(v["backend"] == "gpu" for v in res.provenance.values())


def test_geometry_identities_are_judged_at_float64_and_a_perturbed_value_fails():
    """Chapter 02 runs in float64: its identity rows use float64 tolerances whatever the jax
    config of the process that reads them (the ledger's is float32), and a 10% error fails."""
    results, _ = ledger.stored("paper", "02_geometry", root=ROOT)
    rows = {c.claim: c.verdict for c in geometry.claims(results)}
    assert all(v.outcome == "reproduced" and "float64" in v.uncertainty for v in rows.values())
    cols = list(geometry.ROUTE)
    bad = results._replace(identities=results.identities.assign(**{c: 0.1 for c in cols}))
    assert all(c.verdict.outcome == "not reproduced" for c in geometry.claims(bad))

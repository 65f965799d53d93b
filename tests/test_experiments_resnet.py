"""Chapters 06 and 07 at tiny size (the dry runs compile ResNet-18 and are marked slow: `make
test-slow` and CI run them; the smoke book runs both chapters end to end on every build): the
paper profile's configuration run end to end on a CPU
(a dry run: CIFAR-10's code path on tfds mock images, tiny width and data, one epoch), their
claims through the verdict rules, and the new parameters validated before compute."""

import jax
import pytest
from test_experiments import check_claims

from igr_core.experiments import _images, egr, resnet

TINY = {
    "data_source": "mock",
    "n_train": 48,
    "n_test": 16,
    "width": 0.0625,
    "batch_size": 16,
    "epochs": 1.0,
    "eval_every_epochs": 1.0,
    "train_missing": "yes",
}


@pytest.fixture(autouse=True)
def _haiku_promotion():
    jax.config.update("jax_numpy_dtype_promotion", "standard")
    yield
    jax.config.update("jax_numpy_dtype_promotion", "strict")


def paper(module, name, **kw):
    return module.Params.resolve(name, "paper", {**TINY, **kw})


@pytest.mark.slow
def test_resnet_chapter_paper_profile_dry_run(tmp_path):
    p = paper(resnet, "06_resnet", learning_rates=(0.1, 0.05), seeds=(0,))
    assert p.dataset == "cifar10" and p.batch_size == 16
    r = resnet.run(p, tmp_path)
    assert r.data_source.startswith("MOCK") and len(r.status) == 2
    check_claims(resnet, r, tmp_path)


@pytest.mark.slow
def test_egr_chapter_paper_profile_dry_run(tmp_path):
    p = paper(
        egr,
        "07_egr",
        seeds=(0,),
        mus=(0.0, 0.01),
        egr_mu=0.01,
        mlp_n_train=64,
        mlp_width=8,
        mlp_gd_learning_rates=(0.1, 50.0),
        mlp_mus=(0.01,),
        mlp_steps=4,
        mlp_eval_every=2,
    )
    r = egr.run(p, tmp_path)
    assert set(r.selected["mu"]) == {0.0, 0.01} and set(r.mlp["kind"]) == {"GD", "EGR"} and len(r.mlp) == 3
    check_claims(egr, r, tmp_path)


@pytest.mark.parametrize(
    "module, kw, match",
    [
        (resnet, {"dataset": "cifar100"}, "`dataset` must be one of"),
        (resnet, {"dataset": "fashion_mnist", "data_source": "mock"}, "`data_source` must be one of"),
        (resnet, {"width": 0}, "`width` must be a positive number"),
        (resnet, {"n_train": 100, "batch_size": 512}, "`batch_size` .* must not exceed `n_train`"),
        (resnet, {"learning_rates": (0.1, -0.1)}, "`learning_rates` must hold positive"),
        (egr, {"mus": (0.01, 0.1)}, "`mus` must contain 0"),
        (egr, {"mus": (0.0, -0.1)}, "`mus` must hold non-negative"),
        (egr, {"egr_mu": 0.5}, "`egr_mu` .* must be one of `mus`"),
        (egr, {"egr_method": "hutchinson"}, "`egr_method` must be .exact."),
    ],
)
def test_bad_parameters_fail_before_compute(module, kw, match):
    with pytest.raises(ValueError, match=match):
        module.Params(**kw)


def test_cifar10_never_falls_back_to_mock_silently(tmp_path, monkeypatch):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    from igr_core.data import DataUnavailableError

    with pytest.raises(DataUnavailableError, match="fashion_mnist"):
        _images.load_images(resnet.Params(dataset="cifar10", data_source="auto"))


def test_paper_profile_on_a_cpu_without_cifar_reports_instead_of_failing(tmp_path, monkeypatch):
    """`make book PROFILE=paper` on a CPU with no CIFAR-10 and no cached grid: the ResNet pages
    say what is missing and every ResNet verdict is inconclusive; nothing is trained."""
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    p = resnet.Params.resolve("06_resnet", "paper", {"train_missing": "no"})
    r = resnet.run(p, tmp_path)
    assert r.sweep is None and "not available" in r.data_source
    assert {c.verdict.outcome for c in resnet.claims(r)} == {"inconclusive"}


@pytest.mark.slow
def test_a_network_does_not_depend_on_the_other_rates_of_its_sweep(tmp_path):
    """Chapter 06 trains one sweep per learning rate (``_images.run_grid_by_rate``) and the stand-in's
    first three rates were trained as one sweep: on a CPU (the "loop" strategy) every network is
    trained on its own, so the h = 0.1 network of a two-rate sweep equals the one-rate sweep's."""
    from igr_core._src.data import load_cifar10

    p = paper(resnet, "06_resnet", learning_rates=(0.1, 0.05), seeds=(0,), strategy="loop")
    data = load_cifar10("mock", None, n_train=48, n_test=16)
    both = _images.run_grid(p, _images.sweep_config(p, 48, "resnet_sgd", (0.05, 0.1)), data, tmp_path / "a")
    alone = _images.run_grid(p, _images.sweep_config(p, 48, "resnet_sgd", (0.1,)), data, tmp_path / "b")
    cols = ["step", "test acc", "train acc", "train E", "R_IG", "slope", "||theta||"]
    a = both.metrics[both.metrics["h"] == 0.1][cols].reset_index(drop=True)
    b = alone.metrics[cols].reset_index(drop=True)
    assert len(a) == len(b) > 1
    assert (a.to_numpy() == b.to_numpy()).all()
    joined = _images.run_grid_by_rate(p, data, tmp_path / "b", "resnet_sgd", (0.1,))
    assert joined.config.learning_rates == (0.1,) and len(joined.metrics) == len(b)

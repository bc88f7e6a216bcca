"""Every setting of every experiment, for the three profiles, in one place.

- ``paper``: the papers' exact settings (meant for a GPU);
- ``quick``: the same experiments scaled down so that the whole book runs on a 2-core CPU in minutes and still
  shows the papers' effects;
- ``smoke``: seconds, for the tests.

Each chapter has its own settings class; a profile is one instance of each. ``Profile.differences()`` lists,
in words, every way a profile departs from ``paper`` (the book prints it at the top of every chapter).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from dprob_utils.config.errors import ConfigError
from dprob_utils.config.training import TrainConfig

SGD = ("sgd", 0.0, 0.0)


@dataclass(frozen=True)
class TrainSettings:
    """Optimiser settings of one model family, the same for every mode: the models a claim compares differ
    only in mode, σ and C, as in both papers. ``train_subset=None`` means the whole training set;
    ``lr_schedule``: ``constant`` (both papers) or ``linear`` (decay to 0 over the training). (DP-SGD draws its
    batches by Poisson sampling, part of its mechanism; SGD shuffles.)"""

    lr: float
    batch_size: int
    epochs: int
    train_subset: int | None = None
    lr_schedule: str = "constant"

    def config(self, arch: str, mode: str = "sgd", sigma: float = 0.0, clip: float = 1.0, seed: int = 0,
               epochs: int | None = None) -> TrainConfig:
        """The :class:`TrainConfig` of one model of this family (``epochs``: paper 2's masked models only)."""
        if mode == "sgd":
            sigma, clip = 0.0, 1.0
        return TrainConfig(arch=arch, mode=mode, sigma=sigma, clip=clip, lr=self.lr, batch_size=self.batch_size,
                           epochs=epochs or self.epochs, seed=seed, train_subset=self.train_subset,
                           lr_schedule=self.lr_schedule)


@dataclass(frozen=True)
class Paper1Grid:
    """Paper 1 (MNIST CNN) models. Each DP setting is ``(sigma, C)``; all use mode ``dpsgd`` unless named.

    ``main`` is the setting of sections 3.2-3.5; ``table2`` the other DP columns of Table 2; ``fig3a_sigmas``
    (C = 1), ``fig3b_clips`` (sigma = 1.3, noise sigma*C), ``fig3c_clips`` (fixed noise sigma = 1.3, i.e.
    N(0, sigma^2 I)) and ``fig7_clips`` (large C, sigma = 1.3) are not listed in the paper: our choice.
    """

    main: tuple[float, float] = (1.3, 1.0)
    table2: tuple[tuple[float, float], ...] = ((1.3, 0.8), (1.3, 1.2), (0.7, 1.0), (1.5, 1.0))
    fig3a_sigmas: tuple[float, ...] = (0.7, 1.0, 1.3, 1.5, 2.0)
    fig3b_clips: tuple[float, ...] = (0.5, 0.8, 1.0, 1.2, 2.0, 3.0)
    fig3c_clips: tuple[float, ...] = (0.5, 0.8, 1.0, 1.2, 2.0, 3.0)
    fig7_clips: tuple[float, ...] = (3.0, 5.0, 10.0, 20.0)

    def dpsgd_settings(self) -> list[tuple[float, float]]:
        """Every (sigma, C) trained with mode ``dpsgd``, without repeats, in a stable order."""
        out: list[tuple[float, float]] = [self.main, *self.table2]
        out += [(s, 1.0) for s in self.fig3a_sigmas] + [(1.3, c) for c in self.fig3b_clips]
        out += [(1.3, c) for c in self.fig7_clips]
        return list(dict.fromkeys(out))

    def fixed_noise_settings(self) -> list[tuple[float, float]]:
        return [(1.3, c) for c in self.fig3c_clips]


@dataclass(frozen=True)
class Paper2Grid:
    """Paper 2 models: SGD and the sigma/C grid of its Tables II and III on LeNet and the custom CNN, and the
    masked models of its Table IV (custom CNN, sigma = 2, (C, epochs))."""

    archs: tuple[str, ...] = ("p2_lenet", "p2_custom")
    settings: tuple[tuple[float, float], ...] = (
        (1.3, 1.0), (1.3, 3.0), (1.3, 5.0), (1.3, 10.0),
        (0.0, 1.0), (2.0, 1.0), (3.0, 1.0),
        (0.0, 10.0), (2.0, 10.0), (3.0, 10.0),
    )
    masked: tuple[tuple[float, float, int], ...] = ((2.0, 5.0, 50), (2.0, 6.0, 40), (2.0, 7.0, 20))


@dataclass(frozen=True)
class Paper1Attacks:
    """Paper 1 sections 3.1-3.4 on MNIST."""

    test_samples: int | None = None  # MNIST test images used (None: all 10,000)
    fgsm_eps: tuple[float, ...] = tuple(round(0.02 * i, 2) for i in range(16))  # 0 .. 0.3
    pgd_eps: tuple[float, ...] = (0.1, 0.2, 0.3)
    pgd_steps: tuple[int, ...] = (30, 40)
    pgd_samples: int | None = None  # Table 1: the first n of the attacked test images (None: all of them)
    pgd_alpha_rule: str = "2.5*eps/steps"  # Madry et al.'s rule; the paper does not state its step size
    pgd_random_start: bool = False  # eq. (4) of paper 1 starts at x
    fig4_alphas: tuple[float, ...] = (0.005, 0.01, 0.02)
    fig4_max_iters: int = 100
    fig4_samples: int = 1000
    distance_samples: int | None = None  # correctly classified test samples for eqs. (5), (6)
    deepfool_samples: int = 1000
    deepfool_steps: int = 50
    hessian_samples: int = 100
    hessian_top: int = 15
    hessian_method: str = "exact"  # "exact" (torch.func) or "gauss-newton" (identical for ReLU nets, faster)
    cross_section_samples: tuple[int, ...] = (0, 1, 2, 3)
    cross_section_resolution: int = 201
    cross_section_span: float = 4.0  # L2 length of each half-axis of the plane (paper 1: mean distance ~2)
    cross_section_distance_samples: int = 1000  # images per seed for Fig. 1's distance along the normal


@dataclass(frozen=True)
class MnistC:
    """Paper 1 section 3.5 (Table 2): the 31 MNIST-C corruptions generated by :mod:`dprob_utils.data.corruptions`.

    The pessimal-noise matrix is learned as MNIST-C learned it (SGD, lr 1000, batches of 100, 135 epochs of
    60,000 images) against a reference CNN that is not among the evaluated models: the SGD model of
    ``pessimal_reference_arch`` from paper 2's chapters (``zoo.p2_model``).
    """

    test_samples: int | None = None  # MNIST test images corrupted (None: all 10,000, as in MNIST-C)
    corruption_seed: int = 0  # seed of the random corruptions
    pessimal_reference_arch: str = "p2_custom"
    pessimal_steps: int = 81000  # MNIST-C: 135 epochs x 600 steps
    pessimal_batch_size: int = 100
    pessimal_lr: float = 1000.0
    gallery_index: int = 0  # test image shown under every corruption


@dataclass(frozen=True)
class Cifar:
    """Paper 1 section 3.6: public pre-training of the two convolutions, private dense layers."""

    channels: tuple[int, int] = (64, 64)  # not stated in paper 1; Abadi et al.'s CIFAR net uses 64, 64
    padding: int = 1  # not stated in paper 1
    pretrain_source: str = "auto"  # "cifar100", "cifar10-public" or "auto" (CIFAR-100 when available)
    public_size: int = 10000  # size of the public CIFAR-10 part when CIFAR-100 is unavailable
    split_seed: int = 0  # seed of the fixed public / private split of the CIFAR-10 training set
    # Pre-training (the whole net with a 100- or 10-class head, non-private) is not described in paper 1: Adam
    # with random horizontal flips is our choice (plain SGD barely leaves the initial plateau in a few epochs).
    pretrain_optimizer: str = "adam"  # "adam" or "sgd" (momentum 0.9)
    pretrain_epochs: int = 30
    pretrain_lr: float = 0.001
    pretrain_batch_size: int = 128
    pretrain_flip: bool = True
    pretrain_subset: int | None = None
    head: TrainSettings = TrainSettings(lr=0.01, batch_size=200, epochs=200)
    dp: tuple[float, float] = (1.0, 3.0)
    distance_samples: int | None = None
    hessian_samples: int = 100
    hessian_top: int = 10
    # "exact" (torch.func Hessian, 3072 Hessian-vector products per image), "gauss-newton" (J^T A J as a
    # 3072 x 3072 matrix) or "gauss-newton-gram" (its eigenvalues from a 10 x 10 matrix); all equal for this
    # ReLU / max-pool net. The exact one is checked on ``hessian_exact_check`` of the images.
    hessian_method: str = "exact"
    hessian_exact_check: int = 0


@dataclass(frozen=True)
class Paper2Attacks:
    """Paper 2 sections IV-VI (attacks, transfer, gradients) and the gradient-masking check.

    Attack points: a fixed random permutation of the MNIST test set (seed = the profile's seed); each model is
    attacked on the first ``samples`` points of it that it classifies correctly (the slower attacks on the first
    ``cw_samples`` / ``boundary_samples`` / ``masking_samples`` of those; ``None`` = all of them).
    PGD, CW and the Boundary attack use Foolbox 3's defaults where paper 2 names no value (it used Foolbox).
    """

    samples: int = 1000  # correctly classified random test points per model
    pgd_eps: tuple[float, ...] = tuple(round(0.025 * i, 3) for i in range(21))  # 0 .. 0.5
    pgd_steps: int = 40
    pgd_iter_grid: tuple[int, ...] = (1, 2, 5, 10, 20, 40, 60, 80, 100)
    pgd_iter_eps: float = 0.3
    pgd_rel_stepsize: float = 0.01 / 0.3  # Foolbox LinfPGD default: step α = ε / 30
    pgd_random_start: bool = True  # Foolbox LinfPGD default
    boundary_steps: int = 25000
    boundary_eps: tuple[float, ...] = (1.0, 2.0)
    boundary_samples: int | None = None
    boundary_step: float = 1e-2  # Foolbox default initial spherical and source step
    boundary_stats_every: int = 10  # Foolbox default: step sizes adapt after 100 statistics, one every k steps
    # Sec. IV-C, "for more iterations, no increase in success rates": these models (seed 0) walk on to
    # boundary_more_steps on the same points with the same seed, their ordinary run a checkpoint (None: no check)
    boundary_more_steps: int | None = 50000
    boundary_saturation_models: tuple[str, ...] = ("p2_lenet:sgd", "p2_lenet:s1.3_c1", "p2_lenet:s3_c10",
                                                   "p2_custom:sgd", "p2_custom:s1.3_c1", "p2_custom:s3_c10")
    cw_steps: int = 10000  # Adam steps per value of the constant c (Foolbox's meaning of "steps")
    cw_binary_search_steps: int = 9  # Foolbox default
    cw_initial_const: float = 1e-3  # Foolbox default
    cw_stepsize: float = 1e-2  # Foolbox default
    cw_masked_steps: int = 20000
    cw_samples: int | None = None
    transfer_eps: float = 0.3
    gradient_batch: int = 250  # test images of the gradient statistics (the first of the permutation)
    masking_eps: float = 0.3  # L∞ bound of the check's criteria 1, 2, 5, 7 and of AutoAttack
    masking_samples: int | None = None  # points for FGSM, Square and AutoAttack
    square_queries: int = 5000
    autoattack_steps: int = 100  # APGD / FAB iterations of AutoAttack (its original setting)
    autoattack_square_queries: int = 5000
    masking_tolerance: float = 0.03  # slack of every "A beats B" comparison of the check
    masking_full_success: float = 0.99  # success counted as "100%"
    substitute_seed_offset: int = 1  # criterion 7: SGD model of the same architecture, seed + this


@dataclass(frozen=True)
class Privacy:
    """Chapter 12, what the privacy buys (beyond both papers): the one-run audit (Steinke, Nasr, Jagielski 2023)
    of the main settings, each trained once more with canaries, and membership inference on every model."""

    canaries: int = 1000  # m mislabelled test images, each in the training set with probability 1/2
    guesses: int = 100  # the audit guesses "in" for this many highest scores and "out" for as many lowest
    confidence: float = 0.95
    p2_settings: tuple[tuple[float, float], ...] = ((1.3, 1.0), (1.3, 10.0))  # custom CNN: a small and a large C
    mia_points: int = 2000  # training images (members) and as many test images per model
    fgsm_eps: float = 0.1  # robustness beside the leakage: FGSM accuracy on the same test images
    seed: int = 0  # of the canaries, their membership and the MIA points
    # LiRA offline: reference models per setting, each trained like the target on its training set without the
    # membership candidates (Carlini et al. 2022 use 64+; their fixed-variance offline attack works with few)
    references: int = 4


@dataclass(frozen=True)
class Profile:
    """One complete set of settings. Notebooks take ``profile`` (a name) as their papermill parameter."""

    name: str
    description: str
    seed: int = 0
    delta: float = 1e-5
    # training seeds (seed, seed + 1, ...) of the models a headline claim rests on: paper 1's SGD and DP-SGD
    # σ = 1.3, C = 1 models (MNIST, and the CIFAR-10 heads), paper 2's SGD baselines and every DP setting of its
    # grid; paper 1's sweeps (Figs. 3, 7, Table 2's other columns) and paper 2's masked models train one
    headline_seeds: int = 3
    p1_train: TrainSettings = TrainSettings(lr=0.05, batch_size=256, epochs=50)
    p2_train: TrainSettings = TrainSettings(lr=0.05, batch_size=250, epochs=50)
    p1_grid: Paper1Grid = Paper1Grid()
    p2_grid: Paper2Grid = Paper2Grid()
    p1_attacks: Paper1Attacks = Paper1Attacks()
    mnistc: MnistC = MnistC()
    cifar: Cifar = Cifar()
    p2_attacks: Paper2Attacks = Paper2Attacks()
    privacy: Privacy = Privacy()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def differences(self) -> list[str]:
        """Every setting in which this profile differs from ``paper``, as 'where: paper -> this' lines."""
        if self.name == "paper":
            return []
        return [*self.notes, *_diff(PAPER, self, "")]


def _diff(a, b, prefix: str) -> list[str]:
    out: list[str] = []
    for f in fields(a):
        if f.name in ("name", "description", "notes"):
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if hasattr(va, "__dataclass_fields__"):
            out += _diff(va, vb, f"{prefix}{f.name}.")
        elif va != vb:
            out.append(f"{prefix}{f.name}: paper {va!r} → {vb!r}")
    return out


PAPER = Profile(
    name="paper",
    description="The papers' exact settings (full MNIST, 50 epochs, full grids, 25,000-step Boundary attack, "
    "10,000-step CW); meant for a GPU.",
)

QUICK = Profile(
    name="quick",
    description="The same experiments scaled down for a 2-core CPU: a few epochs at a larger learning rate (the "
    "same for SGD and DP-SGD), restricted grids and fewer attacked samples.",
    p1_train=TrainSettings(lr=0.5, batch_size=128, epochs=2, lr_schedule="linear"),
    p2_train=TrainSettings(lr=0.2, batch_size=250, epochs=2, lr_schedule="linear"),
    p1_grid=Paper1Grid(
        fig3a_sigmas=(0.7, 1.3, 2.0),
        fig3b_clips=(0.8, 1.0, 3.0),
        fig3c_clips=(0.8, 1.0, 3.0),
        fig7_clips=(3.0, 4.0),  # C = 5 diverges at lr 0.5, batch 128 (see the notes)
    ),
    p2_grid=Paper2Grid(
        settings=((1.3, 1.0), (1.3, 10.0), (0.0, 1.0), (3.0, 1.0), (3.0, 10.0)),
        masked=((2.0, 5.0, 3), (2.0, 7.0, 2)),
    ),
    p1_attacks=Paper1Attacks(
        test_samples=2000, pgd_samples=1000, fgsm_eps=tuple(round(0.03 * i, 2) for i in range(11)), fig4_samples=200,
        fig4_max_iters=60, deepfool_samples=200, hessian_samples=20, cross_section_resolution=81,
        cross_section_distance_samples=500,
    ),
    mnistc=MnistC(test_samples=2000, pessimal_steps=600),
    cifar=Cifar(channels=(32, 32), public_size=10000, pretrain_epochs=3, pretrain_batch_size=64,
                head=TrainSettings(lr=0.2, batch_size=200, epochs=12, train_subset=20000),
                distance_samples=1000, hessian_method="gauss-newton-gram", hessian_exact_check=1),
    p2_attacks=Paper2Attacks(
        samples=100, pgd_eps=(0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5),
        pgd_iter_grid=(1, 2, 5, 10, 20, 40), boundary_steps=3000, boundary_samples=30, boundary_step=0.05,
        boundary_stats_every=1, boundary_more_steps=6000, cw_steps=100, cw_binary_search_steps=4,
        cw_initial_const=1.0, cw_stepsize=0.05,
        cw_masked_steps=200, cw_samples=50, masking_samples=50, square_queries=300, autoattack_steps=20,
        autoattack_square_queries=300, masking_tolerance=0.05,
    ),
    privacy=Privacy(mia_points=1000, references=2),
    notes=(
        "Two epochs instead of 50, at a larger learning rate that decays linearly to 0, the same for SGD and "
        "DP-SGD (both papers keep the rate constant): the decay averages DP-SGD's noise away in the last steps, "
        "so a CPU reaches in minutes the accuracy regime of the papers' 50 epochs.",
        "Paper 1's CNN: lr 0.5 decaying to 0, batch 128, 2 epochs on all 60,000 images for every model; Fig. 7's "
        "large bounds are C = 3 and 4, because at this rate the noise lr·σ·C/batch of C = 5 makes training "
        "diverge (paper profile: 3, 5, 10, 20).",
        "Three training seeds of every headline model (as in the paper profile); Table 1's PGD attacks the first "
        "1,000 of the 2,000 test images of each seed, and its intervals cover both the seeds and the images.",
        "Paper 2's models: lr 0.2 decaying to 0, batch 250 (the paper's), 2 epochs for every model, and the "
        "masked models of Table IV 3 and 2 epochs with the same schedule; a constant rate leaves SGD's initial "
        "plateau at a point that float rounding decides.",
        "Fewer attacked points than the papers, and shorter attacks: the Boundary attack walks 3,000 steps, and "
        "chapter 09 checks them against 6,000 on the same points.",
    ),
)

SMOKE = Profile(
    name="smoke",
    description="Seconds, for the tests: tiny subsets, one epoch, one or two settings per grid.",
    headline_seeds=2,
    p1_train=TrainSettings(lr=0.5, batch_size=64, epochs=1, train_subset=1000),
    p2_train=TrainSettings(lr=0.5, batch_size=64, epochs=1, train_subset=1000),
    p1_grid=Paper1Grid(table2=((0.7, 1.0),), fig3a_sigmas=(1.3,), fig3b_clips=(1.0,), fig3c_clips=(1.0,),
                       fig7_clips=(3.0,)),
    p2_grid=Paper2Grid(settings=((1.3, 1.0), (3.0, 10.0)), masked=((2.0, 5.0, 1),)),
    p1_attacks=Paper1Attacks(
        test_samples=200, fgsm_eps=(0.0, 0.1, 0.2, 0.3), pgd_steps=(5,), fig4_alphas=(0.02,), fig4_max_iters=10,
        fig4_samples=20, distance_samples=100, deepfool_samples=20, deepfool_steps=10, hessian_samples=2,
        hessian_top=5, cross_section_samples=(0,), cross_section_resolution=21, cross_section_distance_samples=20,
    ),
    mnistc=MnistC(test_samples=100, pessimal_steps=10),
    cifar=Cifar(channels=(8, 8), public_size=500, pretrain_epochs=1, pretrain_batch_size=64,
                head=TrainSettings(lr=0.2, batch_size=50, epochs=2, train_subset=500),
                distance_samples=50, hessian_samples=2, hessian_method="gauss-newton-gram"),
    p2_attacks=Paper2Attacks(
        samples=20, pgd_eps=(0.0, 0.1, 0.3, 0.5), pgd_steps=5, pgd_iter_grid=(1, 5), boundary_steps=50,
        boundary_stats_every=1, boundary_more_steps=100, cw_steps=20, cw_binary_search_steps=2,
        cw_initial_const=1.0, cw_stepsize=0.05,
        cw_masked_steps=20, gradient_batch=50, square_queries=20, autoattack_steps=5,
        autoattack_square_queries=20, masking_tolerance=0.1,
    ),
    privacy=Privacy(canaries=100, guesses=10, p2_settings=((1.3, 1.0), (3.0, 10.0)), mia_points=100,
                    references=2),
)

PROFILES: dict[str, Profile] = {p.name: p for p in (SMOKE, QUICK, PAPER)}


def get_profile(name: str | Profile) -> Profile:
    """The profile called ``name`` (a :class:`Profile` is returned as it is, so that every function may take
    either), also one with overrides (:mod:`dprob_utils.config.overrides`) registered here or by a parent
    process; :class:`ConfigError` for an unknown name."""
    if isinstance(name, Profile):
        return name
    if name in PROFILES:
        return PROFILES[name]
    from dprob_utils.config.overrides import from_environment

    derived = from_environment(name)  # a profile with overrides, registered here or by a parent process
    if derived is not None:
        return derived
    raise ConfigError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")


def customise(profile: Profile, **changes) -> Profile:
    """A copy of ``profile`` with top-level fields replaced (for widgets and experiments)."""
    return replace(profile, **changes)

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

from .errors import ConfigError
from .training import TrainConfig

SGD = ("sgd", 0.0, 0.0)


@dataclass(frozen=True)
class TrainSettings:
    """Optimiser settings of one model family. ``train_subset=None`` means the whole training set."""

    lr: float
    batch_size: int
    epochs: int
    train_subset: int | None = None

    def config(self, arch: str, mode: str = "sgd", sigma: float = 0.0, clip: float = 1.0, seed: int = 0,
               epochs: int | None = None) -> TrainConfig:
        """The :class:`TrainConfig` of one model of this family."""
        if mode == "sgd":
            sigma, clip = 0.0, 1.0
        return TrainConfig(arch=arch, mode=mode, sigma=sigma, clip=clip, lr=self.lr, batch_size=self.batch_size,
                           epochs=epochs or self.epochs, seed=seed, train_subset=self.train_subset)


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
    cross_section_samples: tuple[int, ...] = (0, 1, 2, 3)
    cross_section_resolution: int = 201
    cross_section_span: float = 1.0  # L2 length of each half-axis of the plane


@dataclass(frozen=True)
class MnistC:
    """Paper 1 section 3.5 (Table 2)."""

    test_samples: int | None = None
    severity_seed: int = 0


@dataclass(frozen=True)
class Cifar:
    """Paper 1 section 3.6: public pre-training of the two convolutions, private dense layers."""

    channels: tuple[int, int] = (64, 64)  # not stated in paper 1; Abadi et al.'s CIFAR net uses 64, 64
    padding: int = 1  # not stated in paper 1
    pretrain_source: str = "auto"  # "cifar100", "cifar10-public" or "auto" (CIFAR-100 when available)
    public_size: int = 10000  # size of the public CIFAR-10 part when CIFAR-100 is unavailable
    split_seed: int = 0  # seed of the fixed public / private split of the CIFAR-10 training set
    # Pre-training (plain SGD on the whole net with a 100- or 10-class head) is not described in paper 1.
    pretrain_epochs: int = 30
    pretrain_lr: float = 0.05
    pretrain_batch_size: int = 128
    pretrain_subset: int | None = None
    head: TrainSettings = TrainSettings(lr=0.01, batch_size=200, epochs=200)
    dp: tuple[float, float] = (1.0, 3.0)
    distance_samples: int | None = None
    hessian_samples: int = 100
    hessian_top: int = 10


@dataclass(frozen=True)
class Paper2Attacks:
    """Paper 2 sections IV-VI."""

    samples: int = 1000  # correctly classified random test points per model
    pgd_eps: tuple[float, ...] = tuple(round(0.025 * i, 3) for i in range(21))  # 0 .. 0.5
    pgd_steps: int = 40
    pgd_iter_grid: tuple[int, ...] = (1, 2, 5, 10, 20, 40, 60, 80, 100)
    pgd_iter_eps: float = 0.3
    boundary_steps: int = 25000
    boundary_eps: tuple[float, ...] = (1.0, 2.0)
    cw_steps: int = 10000
    cw_binary_search_steps: int = 9
    cw_masked_steps: int = 20000
    transfer_eps: float = 0.3


@dataclass(frozen=True)
class Profile:
    """One complete set of settings. Notebooks take ``profile`` (a name) as their papermill parameter."""

    name: str
    description: str
    seed: int = 0
    delta: float = 1e-5
    p1_train: TrainSettings = TrainSettings(lr=0.05, batch_size=256, epochs=50)
    p2_train: TrainSettings = TrainSettings(lr=0.05, batch_size=250, epochs=50)
    p1_grid: Paper1Grid = Paper1Grid()
    p2_grid: Paper2Grid = Paper2Grid()
    p1_attacks: Paper1Attacks = Paper1Attacks()
    mnistc: MnistC = MnistC()
    cifar: Cifar = Cifar()
    p2_attacks: Paper2Attacks = Paper2Attacks()
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
    description="The same experiments scaled down for a 2-core CPU: a 30,000-image stratified MNIST subset, "
    "a few epochs at a larger learning rate, restricted grids and fewer attacked samples.",
    p1_train=TrainSettings(lr=0.5, batch_size=128, epochs=3, train_subset=30000),
    p2_train=TrainSettings(lr=0.5, batch_size=125, epochs=3, train_subset=30000),
    p1_grid=Paper1Grid(
        fig3a_sigmas=(0.7, 1.3, 2.0),
        fig3b_clips=(0.8, 1.0, 3.0),
        fig3c_clips=(0.8, 1.0, 3.0),
        fig7_clips=(3.0, 10.0),
    ),
    p2_grid=Paper2Grid(
        settings=((1.3, 1.0), (1.3, 10.0), (0.0, 1.0), (3.0, 1.0), (3.0, 10.0)),
        masked=((2.0, 5.0, 3), (2.0, 7.0, 2)),
    ),
    p1_attacks=Paper1Attacks(
        test_samples=2000, fgsm_eps=tuple(round(0.03 * i, 2) for i in range(11)), fig4_samples=200,
        fig4_max_iters=60, deepfool_samples=200, hessian_samples=20, cross_section_resolution=81,
    ),
    mnistc=MnistC(test_samples=2000),
    cifar=Cifar(channels=(32, 32), public_size=10000, pretrain_epochs=5, pretrain_lr=0.05,
                head=TrainSettings(lr=0.05, batch_size=200, epochs=20, train_subset=20000),
                distance_samples=500, hessian_samples=5),
    p2_attacks=Paper2Attacks(
        samples=200, pgd_iter_grid=(1, 2, 5, 10, 20, 40), boundary_steps=1000, cw_steps=200,
        cw_binary_search_steps=5, cw_masked_steps=300,
    ),
    notes=(
        "Learning rate 0.5 instead of 0.05 so that a few epochs on a CPU reach the accuracy the papers "
        "reach after 50 (SGD >= 97%, DP-SGD sigma=1.3, C=1 >= 90% on MNIST).",
    ),
)

SMOKE = Profile(
    name="smoke",
    description="Seconds, for the tests: tiny subsets, one epoch, one or two settings per grid.",
    p1_train=TrainSettings(lr=0.5, batch_size=64, epochs=1, train_subset=1000),
    p2_train=TrainSettings(lr=0.5, batch_size=64, epochs=1, train_subset=1000),
    p1_grid=Paper1Grid(table2=((0.7, 1.0),), fig3a_sigmas=(1.3,), fig3b_clips=(1.0,), fig3c_clips=(1.0,),
                       fig7_clips=(3.0,)),
    p2_grid=Paper2Grid(settings=((1.3, 1.0), (3.0, 10.0)), masked=((2.0, 5.0, 1),)),
    p1_attacks=Paper1Attacks(
        test_samples=200, fgsm_eps=(0.0, 0.1, 0.2, 0.3), pgd_steps=(5,), fig4_alphas=(0.02,), fig4_max_iters=10,
        fig4_samples=20, distance_samples=100, deepfool_samples=20, deepfool_steps=10, hessian_samples=2,
        hessian_top=5, cross_section_samples=(0,), cross_section_resolution=21,
    ),
    mnistc=MnistC(test_samples=100),
    cifar=Cifar(channels=(8, 8), public_size=500, pretrain_epochs=1, pretrain_subset=500,
                head=TrainSettings(lr=0.05, batch_size=50, epochs=1, train_subset=500),
                distance_samples=50, hessian_samples=1, hessian_top=3),
    p2_attacks=Paper2Attacks(
        samples=20, pgd_eps=(0.0, 0.1, 0.3, 0.5), pgd_steps=5, pgd_iter_grid=(1, 5), boundary_steps=50,
        cw_steps=20, cw_binary_search_steps=2, cw_masked_steps=20,
    ),
)

PROFILES: dict[str, Profile] = {p.name: p for p in (SMOKE, QUICK, PAPER)}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; :class:`ConfigError` for an unknown name."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}") from None


def customise(profile: Profile, **changes) -> Profile:
    """A copy of ``profile`` with top-level fields replaced (for widgets and experiments)."""
    return replace(profile, **changes)

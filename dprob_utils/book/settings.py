"""The papers' settings beside ours, for each chapter's settings table: what the paper states, what this profile
runs (paper 1 on MNIST: chapters 02-06; on CIFAR-10: 07; paper 2: 08-11). Display only: no experiment reads these.
"""

from __future__ import annotations

from dprob_utils.config.profiles import PAPER, Profile, get_profile
from dprob_utils.config.training import TrainConfig
from dprob_utils.experiments.p1_cifar.data import SOURCE_NAMES
from dprob_utils.experiments.p1_cifar.heads import CifarModels
from dprob_utils.experiments.p2.runs import saturation_configs


def p1_rows(prof: Profile, rows: list[tuple[str, str, object]]) -> list[dict]:
    """Side-by-side table rows: (setting, what the paper says, our value in this profile)."""
    return [{"setting": name, "paper 1": paper, f"ours ({prof.name})": ours} for name, paper, ours in rows]


def p1_common(prof: Profile) -> list[tuple[str, str, object]]:
    """The settings every paper 1 MNIST chapter shares (02-06): model, training, DP-SGD, attacked images."""
    t, pt = prof.p1_train, PAPER.p1_train
    n = prof.p1_attacks.test_samples
    return [
        ("model", "conv 5x5 (20) - pool - conv 5x5 (50) - pool - FC 500 - FC 500 - 10, ReLU", "the same"),
        ("training", f"SGD, lr {pt.lr}, batch {pt.batch_size}, {pt.epochs} epochs, 60,000 images",
         f"SGD, lr {t.lr}, batch {t.batch_size}, {t.epochs} epochs, {t.train_subset or 60000:,} images"),
        ("DP-SGD", "σ = 1.3, C = 1 (Algorithm 1)", f"σ = {prof.p1_grid.main[0]}, C = {prof.p1_grid.main[1]} "
         "(Opacus, Poisson sampling)"),
        ("test images attacked", "10,000 (all)", f"{n:,} (stratified subset, seed 0)" if n else "10,000 (all)"),
        ("input range", "[0, 1] (not stated; ε values up to 0.3 imply it)", "[0, 1], no normalisation"),
    ]


def p1_fgsm_rows(prof: Profile) -> list[dict]:
    """Chapter 02 (paper 1 Sec. 3.1, Figs. 2, 3, 7): the shared rows, then FGSM's and the sweeps'."""
    g, a = prof.p1_grid, prof.p1_attacks
    rows = p1_common(prof) + [
        ("FGSM ε grid", "0 to 0.3 (plotted; values not listed)", ", ".join(f"{e:g}" for e in a.fgsm_eps)),
        ("Fig. 3a: σ (C = 1, noise σC)", "several, not listed", ", ".join(f"{s:g}" for s in g.fig3a_sigmas)),
        ("Fig. 3b: C (σ = 1.3, noise σC)", "several, not listed (C = 3 mentioned)", ", ".join(f"{c:g}" for c in g.fig3b_clips)),
        ("Fig. 3c: C (noise σ = 1.3, fixed)", "several, not listed", ", ".join(f"{c:g}" for c in g.fig3c_clips)),
        ("Fig. 7: large C (σ = 1.3, noise σC)", "C = 3 and larger, not listed", ", ".join(f"{c:g}" for c in g.fig7_clips)),
        ("FGSM loss", "cross-entropy (eq. (3))", "cross-entropy of the logits (torchattacks FGSM)"),
    ]
    return p1_rows(prof, rows)


def p1_pgd_rows(prof: Profile) -> list[dict]:
    """Chapter 03 (paper 1 Sec. 3.2, Table 1, Fig. 4): the shared rows, then PGD's and Fig. 4's."""
    a = prof.p1_attacks
    rows = p1_common(prof) + [
        ("PGD ε (Table 1)", "0.1, 0.2, 0.3", ", ".join(f"{e:g}" for e in a.pgd_eps)),
        ("PGD steps (Table 1)", "30, 40", ", ".join(str(t) for t in a.pgd_steps)),
        ("Table 1 images", "10,000 (all)", f"the first {a.pgd_samples:,} of the attacked test images, for each of "
         f"{prof.headline_seeds} training seeds" if a.pgd_samples else f"all attacked test images, for each of "
         f"{prof.headline_seeds} training seeds"),
        ("PGD step size α (Table 1)", "not stated", f"rule {a.pgd_alpha_rule}"),
        ("start", "x (eq. (4))", "uniform random in the ball" if a.pgd_random_start else "x (eq. (4))"),
        ("Fig. 4 step sizes α", "several, not listed", ", ".join(f"{v:g}" for v in a.fig4_alphas)),
        ("Fig. 4 iteration budget", "not stated", f"{a.fig4_max_iters} iterations"),
        ("Fig. 4 samples", "not stated", f"first {a.fig4_samples} test images that both models classify correctly"),
        ("implementation", "PyTorch (own code, not named)", "torchattacks PGD; iteration counts by our loop with the same update"),
    ]
    return p1_rows(prof, rows)


def p1_boundary_rows(prof: Profile) -> list[dict]:
    """Chapter 04 (paper 1 Secs. 3.3, 3.4, Fig. 5): the shared rows, then the distances' and the Hessian's."""
    a = prof.p1_attacks
    rows = p1_common(prof) + [
        ("distance samples", "all correctly classified test images",
         "all correctly classified images of the subset" if a.distance_samples is None
         else f"first {a.distance_samples} correctly classified images"),
        ("distance formula", "eqs. (5), (6) (one linearisation at x)", "the same, exact autograd gradients"),
        ("DeepFool check", "not done", f"full iterative DeepFool (foolbox), {a.deepfool_steps} steps, "
         f"{a.deepfool_samples} images"),
        ("Hessian samples", "100 random test images", f"{a.hessian_samples} random images (seed {prof.seed})"),
        ("eigenvalues shown", "largest 15 by magnitude, mean over images", f"largest {a.hessian_top} by magnitude, "
         "mean of |λ| over images"),
        ("Hessian", "eq. (7), method not stated", "exact (torch.func), float64 symmetric eigensolver"),
    ]
    return p1_rows(prof, rows)


def p1_cross_section_rows(prof: Profile, samples: list[int] | None = None) -> list[dict]:
    """Chapter 05 (paper 1 Fig. 1): the shared rows, then the cross-sections' (``samples``: the positions shown,
    default the profile's)."""
    a = prof.p1_attacks
    rows = p1_common(prof) + [
        ("samples shown", "one (not identified)", f"positions {list(a.cross_section_samples if samples is None else samples)} "
         "among the test images both models classify correctly"),
        ("plane", "normal to the boundary × random orthogonal direction", "the same; normal of eq. (5)"),
        ("extent", "not stated", f"±{a.cross_section_span:g} (L2) on both axes, {a.cross_section_resolution}² points"),
    ]
    return p1_rows(prof, rows)


def p1_mnistc_rows(prof: Profile) -> list[dict]:
    """Chapter 06 (paper 1 Sec. 3.5, Table 2): the model and training rows, then MNIST-C's."""
    m, pm = prof.mnistc, PAPER.mnistc
    rows = p1_common(prof)[:3] + [
        ("models (Table 2 columns)", "SGD; DP-SGD (σ, C) = (1.3, 1), and others",
         ", ".join(f"({s:g}, {c:g})" for s, c in (prof.p1_grid.main, *prof.p1_grid.table2))),
        ("test images per corruption", f"{pm.test_samples or 10000:,} (all)", f"{m.test_samples or 10000:,}"),
        ("corruption seed", "MNIST-C's released files", m.corruption_seed),
        ("pessimal noise: SGD steps against the reference CNN", f"{pm.pessimal_steps:,}", f"{m.pessimal_steps:,}"),
    ]
    return p1_rows(prof, rows)


def cifar_rows(profile: Profile | str, models: CifarModels | None = None) -> list[dict]:
    """The paper's setting beside ours, one row per setting (for the chapter's settings table)."""
    prof = get_profile(profile)
    c = prof.cifar
    h = c.head
    sigma, clip = c.dp
    src = models.data.source if models is not None else c.pretrain_source
    public = (f"{len(models.data.public):,} images" if models is not None else
              ("CIFAR-100 train" if src == "cifar100" else f"{c.public_size:,} CIFAR-10 train images"))
    private = f"{len(models.data.private):,} CIFAR-10 training images" if models is not None else \
        (f"{h.train_subset:,} images" if h.train_subset else "the rest of CIFAR-10 train")
    dist_n = "all" if c.distance_samples is None else f"{c.distance_samples:,} stratified"
    rows = [
        ("convolutions", "two 3x3 convs (stride 1, ReLU, 3x3 max-pool stride 2), channels not stated",
         f"channels {c.channels}, padding {c.padding}"),
        ("dense layers", "three FC-500 + output, ReLU", "the same"),
        ("pre-training data", "CIFAR-100 (50,000 images, 100 classes)", f"{SOURCE_NAMES.get(src, src)}: {public}"),
        ("pre-training", "not described",
         f"{c.pretrain_optimizer} lr {c.pretrain_lr}, batch {c.pretrain_batch_size}, {c.pretrain_epochs} epochs"
         + (", random horizontal flips" if c.pretrain_flip else "")),
        ("private training set", "CIFAR-10 train (50,000)", private),
        ("dense-layer training", "lr 0.01, batch 200, 200 epochs (SGD)",
         f"lr {h.lr}, batch {h.batch_size}, {h.epochs} epochs (plain SGD; DP-SGD with Poisson batches)"),
        ("DP-SGD", "sigma = 1, C = 3", f"sigma = {sigma:g}, C = {clip:g}, delta = {prof.delta:g}"),
        ("distance images", "correctly classified test images", f"{dist_n} test images, correctly classified ones"),
        ("Hessian", "largest 10 eigenvalues at 100 random test images",
         f"largest {c.hessian_top} at {c.hessian_samples} random test images, {c.hessian_method} Hessian"
         + (f" (exact one checked on {c.hessian_exact_check})" if c.hessian_exact_check and
            c.hessian_method != "exact" else "")),
    ]
    return [{"setting": a, "paper": b, "ours": o} for a, b, o in rows]


def _train_text(cfg: TrainConfig) -> str:
    data = f"{cfg.train_subset:,} training images" if cfg.train_subset else "full MNIST"
    return f"{cfg.epochs} epochs, lr {cfg.lr:g}, batch {cfg.batch_size}, {data}"


def p2_rows(prof: Profile, topic: str) -> list[tuple[str, str, str]]:
    """(setting, paper 2, ours) rows of a chapter's settings table; ``topic`` is ``models``, ``pgd``,
    ``cw_ba``, ``transfer``, ``gradients`` or ``masking``."""
    s, t, g = prof.p2_attacks, prof.p2_train, prof.p2_grid

    def n(v: int | None) -> str:
        return f"first {v} of them" if v is not None and v < s.samples else "all of them"

    pts = f"{s.samples} correctly classified points of a fixed random test permutation (seed {prof.seed})"
    rows = {
        "models": [
            ("training (SGD)", "50 epochs, lr 0.05, batch 250, full MNIST", _train_text(t.config("p2_custom"))),
            ("training (DP-SGD)", "50 epochs, lr 0.05, batch 250, full MNIST",
             _train_text(t.config("p2_custom", "dpsgd", 1.3, 1.0))),
            ("DP-SGD (σ, C)", "SGD and the grid of Tables II, III (10 settings)",
             "SGD and " + ", ".join(f"({a:g}, {b:g})" for a, b in g.settings)),
            ("masked models (σ, C, epochs)", "(2, 5, 50), (2, 6, 40), (2, 7, 20)",
             ", ".join(f"({a:g}, {b:g}, {e})" for a, b, e in g.masked)),
            ("attack points", "1000 random correctly classified test points per model", pts),
        ],
        "pgd": [
            ("ε grid (Fig. 1)", "0 to 0.5 in steps of 0.025", ", ".join(f"{e:g}" for e in s.pgd_eps)),
            ("iterations (Fig. 1)", "40", str(s.pgd_steps)),
            ("iterations (Fig. 2), ε = 0.3", "up to ~100 (plot)", ", ".join(map(str, s.pgd_iter_grid))),
            ("step size α", "not stated (Foolbox)", f"{s.pgd_rel_stepsize:.4g} · ε (Foolbox LinfPGD default)"),
            ("start", "'initialized in an Lp ball' (Foolbox)",
             "uniform random in the ball" if s.pgd_random_start else "x"),
        ],
        "cw_ba": [
            ("CW₂ iterations", "10,000", f"{s.cw_steps} per constant"),
            ("CW₂ binary search on c", "yes (Foolbox default: 9 rounds from 0.001)",
             f"{s.cw_binary_search_steps} rounds from {s.cw_initial_const:g}"),
            ("CW₂ Adam step, κ", "not stated (Foolbox 0.01, 0)", f"{s.cw_stepsize:g}, 0"),
            ("CW₂ points", "1000 (the attack points)", n(s.cw_samples)),
            ("BA₂ iterations", "25,000", str(s.boundary_steps)),
            ("BA₂ initial step, adaptation", "not stated (Foolbox 0.01, statistics every 10 steps)",
             f"{s.boundary_step:g}, every {s.boundary_stats_every} step(s)"),
            ("BA₂ points", "1000 (the attack points)", n(s.boundary_samples)),
            ("BA₂ saturation check", "'for more iterations, no increase in success rates' (not stated how many)",
             "not run" if not s.boundary_more_steps else
             f"{s.boundary_more_steps} iterations on the same points, {len(saturation_configs(prof))} models"),
        ],
        "transfer": [
            ("CW₂ examples", "crafted with 100% success on the source", "the CW₂ runs of Table II"),
            ("PGD∞ examples", "ε = 0.3", f"ε = {s.transfer_eps:g}, the runs of Fig. 1"),
            ("counted samples", "not stated", "those the evaluated model classifies correctly when clean"),
        ],
        "gradients": [
            ("gradient", "of the loss w.r.t. the weights (sec. II-A), 'at the first dense layer'",
             "∂(Σ_batch cross-entropy)/∂θ per layer, eval mode, no clipping or noise"),
            ("batch", "a test data batch", f"first {s.gradient_batch} images of the test permutation"),
        ],
        "masking": [
            ("CW₂ iterations (Table IV)", "20,000", f"{s.cw_masked_steps} per constant"),
            ("L∞ bound of the check", "–", f"ε = {s.masking_eps:g}"),
            ("tolerance of each comparison", "–", f"{100 * s.masking_tolerance:g} points"),
            ("'100%'", "–", f"≥ {100 * s.masking_full_success:g}%"),
            ("Square attack queries", "–", str(s.square_queries)),
            ("AutoAttack", "–", f"APGD-CE, APGD-T, FAB-T ({s.autoattack_steps} iterations), Square "
                                f"({s.autoattack_square_queries} queries)"),
            ("substitute (criterion 7)", "'a similar substitute model'",
             f"SGD model of the same architecture, seed {prof.seed + s.substitute_seed_offset}"),
            ("points of FGSM, Square, AutoAttack", "–", n(s.masking_samples)),
        ],
    }
    if topic not in rows:
        raise ValueError(f"unknown topic {topic!r}; choose one of {', '.join(rows)}")
    return rows[topic]

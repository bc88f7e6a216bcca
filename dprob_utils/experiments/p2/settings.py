"""Paper 2's settings beside ours, per topic, for the chapters' settings tables (08-11)."""

from __future__ import annotations

from dprob_utils.config.profiles import Profile
from dprob_utils.config.training import TrainConfig
from dprob_utils.experiments.p2.runs import saturation_configs


def _train_text(cfg: TrainConfig) -> str:
    data = f"{cfg.train_subset:,} training images" if cfg.train_subset else "full MNIST"
    return f"{cfg.epochs} epochs, lr {cfg.lr:g}, batch {cfg.batch_size}, {data}"


def settings_rows(prof: Profile, topic: str) -> list[tuple[str, str, str]]:
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

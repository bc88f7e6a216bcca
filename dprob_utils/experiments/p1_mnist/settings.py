"""Paper 1's MNIST settings beside ours, for the settings tables of chapters 02-06."""

from __future__ import annotations

from dprob_utils.config.profiles import PAPER, Profile


def settings_rows(prof: Profile, rows: list[tuple[str, str, object]]) -> list[dict]:
    """Side-by-side table rows: (setting, what the paper says, our value in this profile)."""
    return [{"setting": name, "paper 1": paper, f"ours ({prof.name})": ours} for name, paper, ours in rows]


def common_settings(prof: Profile) -> list[tuple[str, str, object]]:
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

"""Interactive σ / C explorer: train (or load) a small DP-SGD model and compare it with its SGD baseline.

:func:`explore` trains paper 1's MNIST CNN with DP-SGD at the chosen σ and C on a small MNIST subset (about half
a minute on a 2-core CPU, instantly when cached) and returns accuracy, ε and the FGSM curve beside the SGD model
trained the same way. :func:`explorer_widgets` wraps it in ipywidgets sliders; :func:`sweep_table` lists every
cached model of the book for browsing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dprob_utils.config.errors import ConfigError
from dprob_utils.config.profiles import TrainSettings, get_profile
from dprob_utils.data.datasets import load_dataset, subset
from dprob_utils.dp.training import TrainConfig
from dprob_utils.store.model_cache import ModelCache, train_or_load


@dataclass(frozen=True)
class ExplorerSettings:
    """What the explorer trains and evaluates (small on purpose: it must answer within ~30 s on a CPU)."""

    train: TrainSettings = TrainSettings(lr=0.5, batch_size=128, epochs=2, train_subset=10000)
    test_samples: int = 1000
    arch: str = "p1_mnist_cnn"
    delta: float = 1e-5


def settings_for(profile: str) -> ExplorerSettings:
    """Explorer settings of a profile: ``smoke`` trains on 1,000 images for the tests, others on 10,000."""
    get_profile(profile)
    if profile == "smoke":
        return ExplorerSettings(train=TrainSettings(lr=0.5, batch_size=64, epochs=1, train_subset=1000),
                                test_samples=200)
    return ExplorerSettings()


def _config(s: ExplorerSettings, mode: str, sigma: float, clip: float) -> TrainConfig:
    return s.train.config(s.arch, mode, sigma, clip)


def explore(sigma: float, clip: float, eps_max: float = 0.3, profile: str = "quick",
            mode: str = "dpsgd", n_eps: int = 13, cache: ModelCache | None = None) -> dict:
    """Train or load the DP model (σ, C) and its SGD baseline; evaluate accuracy and the FGSM curve.

    Returns a dict with ``eps`` (FGSM budgets, L∞ in [0, 1] pixel units), ``sgd``/``dp`` entries holding
    ``accuracy`` (clean, fraction), ``fgsm`` (accuracy at each ε), ``epsilon`` (privacy, RDP at δ),
    ``seconds`` (training time) and ``cached``.
    """
    from dprob_utils.attacks import fgsm_curve

    if not 0 < eps_max <= 1:
        raise ConfigError(f"the attack range must be in (0, 1], got {eps_max}")
    s = settings_for(profile)
    test = subset(load_dataset("mnist", "test"), s.test_samples, "stratified", seed=0)
    eps = [round(float(e), 4) for e in np.linspace(0.0, eps_max, n_eps)]
    out: dict = {"eps": eps, "sigma": sigma, "clip": clip, "mode": mode, "train_size": s.train.train_subset}
    for name, cfg in (("sgd", _config(s, "sgd", 0.0, 1.0)), ("dp", _config(s, mode, sigma, clip))):
        model, res = train_or_load(cfg, delta=s.delta, cache=cache, progress=False)
        out[name] = {
            "label": cfg.label(),
            "accuracy": res.accuracy,
            "fgsm": fgsm_curve(model, test.x, test.y, eps),
            "epsilon": (res.privacy or {}).get("epsilon_rdp", math.inf),
            "seconds": res.seconds,
            "cached": res.cached,
        }
    return out


def plot_explore(result: dict, ax=None):
    """FGSM accuracy curves of the DP model and its SGD baseline, with accuracy and ε in the legend."""
    import matplotlib.pyplot as plt

    from dprob_utils.book import plots

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for key, color in (("sgd", plots.SGD_COLOR), ("dp", plots.DP_COLOR)):
        r = result[key]
        eps_txt = "∞" if math.isinf(r["epsilon"]) else f"{r['epsilon']:.2f}"
        ax.plot(result["eps"], np.array(r["fgsm"]) * 100, "o-", ms=3, color=color,
                label=f"{r['label']}: clean {r['accuracy']:.1%}, ε = {eps_txt}")
    ax.set_xlabel("FGSM budget ε (L∞)")
    ax.set_ylabel("test accuracy under FGSM (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"σ = {result['sigma']:g}, C = {result['clip']:g} ({result['mode']})")
    ax.legend(fontsize=8)
    return ax


def sweep_table(cache: ModelCache | None = None) -> pd.DataFrame:
    """Every cached model (no weights loaded): architecture, mode, σ, C, epochs, accuracy, ε, seconds."""
    rows = []
    for r in (cache or ModelCache()).results():
        c = r.config
        rows.append({"arch": c["arch"], "mode": c["mode"], "sigma": c["sigma"] if c["mode"] != "sgd" else None,
                     "clip": c["clip"] if c["mode"] != "sgd" else None, "epochs": c["epochs"],
                     "lr": c["lr"], "batch": c["batch_size"], "train_size": r.train_size,
                     "accuracy": r.accuracy, "epsilon": (r.privacy or {}).get("epsilon_rdp", math.inf),
                     "seconds": r.seconds, "key": r.key})
    cols = ["arch", "mode", "sigma", "clip", "epochs", "lr", "batch", "train_size", "accuracy", "epsilon",
            "seconds", "key"]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["arch", "mode", "sigma", "clip"], na_position="first").reset_index(drop=True)


def explorer_widgets(profile: str = "quick"):
    """ipywidgets UI: σ and C sliders and the attack range; "Train / load" redraws the comparison."""
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import clear_output

    sigma = W.FloatSlider(value=1.3, min=0.0, max=4.0, step=0.1, description="σ (noise)")
    clip = W.FloatLogSlider(value=1.0, base=10, min=-1, max=1.3, step=0.05, description="C (clip)")
    eps_max = W.FloatSlider(value=0.3, min=0.05, max=0.5, step=0.05, description="max FGSM ε")
    mode = W.Dropdown(options=["dpsgd", "dpsgd-fixed-noise"], value="dpsgd", description="mode")
    button = W.Button(description="Train / load", button_style="primary")
    out = W.Output()

    def run(_=None):
        with out:
            clear_output(wait=True)
            print(f"training or loading σ={sigma.value:g}, C={clip.value:.3g} ...")
            res = explore(sigma.value, round(clip.value, 3), eps_max.value, profile, mode.value)
            clear_output(wait=True)
            plot_explore(res)
            plt.show()

    button.on_click(run)
    return W.VBox([W.HBox([sigma, clip]), W.HBox([eps_max, mode, button]), out])


def sweep_widgets(cache: ModelCache | None = None):
    """ipywidgets UI: pick any cached model of the sweep; its summary and training curve show instantly."""
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import clear_output, display

    table = sweep_table(cache)
    results = {r.key: r for r in (cache or ModelCache()).results()}
    labels = [(f"{r.arch} {r['mode']} σ={r.sigma} C={r.clip} ep={r.epochs} n={r.train_size}", r.key)
              for _, r in table.iterrows()]
    pick = W.Dropdown(options=labels, description="model", layout=W.Layout(width="90%"))
    out = W.Output()

    def show(change=None):
        with out:
            clear_output(wait=True)
            r = results[pick.value]
            display(pd.DataFrame([r.summary()]))
            hist = pd.DataFrame(r.history)
            if len(hist):
                hist.plot(x="epoch", y="loss", marker="o", figsize=(5, 3), title="training loss")
                plt.show()

    pick.observe(show, names="value")
    if labels:
        show()
    return W.VBox([pick, out])


def run_explorer(profile: str, settings: list[tuple[float, float]], eps_max: float = 0.3) -> dict:
    """Chapter 90: :func:`explore` at each ``(σ, C)`` of ``settings`` and the number of cached models. The
    results dict of ``results/<profile>/90_explorer.json``; ``"explored"`` holds the full :func:`explore`
    results for the figures (not saved)."""
    explored = [explore(s, c, eps_max, profile) for s, c in settings]
    return {"settings": [{"sigma": r["sigma"], "clip": r["clip"], "eps": r["eps"], "sgd": r["sgd"], "dp": r["dp"]}
                         for r in explored],
            "cached_models": len(sweep_table()), "explored": explored}

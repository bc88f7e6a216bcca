"""Chapter 90 and ``dprob explore``: train (or load) a small DP-SGD model at any σ and C and compare it with its
SGD baseline.

:func:`explore` trains one of the papers' architectures with DP-SGD at the chosen σ and C on a small MNIST subset
(about half a minute on a 2-core CPU, instantly when cached) and returns accuracy, ε, the FGSM or PGD accuracy
curve and the distances to the decision boundary, beside the SGD model trained the same way. :func:`explorer_app`
is the page ``dprob explore`` serves with Voilà (or a notebook shows): the controls, a progress bar, the figures,
and a tab that browses every cached model. :func:`sweep_table` lists those models.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from dprob_utils.config.errors import ConfigError, DprobError
from dprob_utils.config.profiles import TrainSettings, get_profile
from dprob_utils.config.training import MODES
from dprob_utils.data.datasets import test_set
from dprob_utils.store.model_cache import ModelCache, train_or_load

ARCHITECTURES = {"p1_mnist_cnn": "paper 1: MNIST CNN", "p2_custom": "paper 2: custom CNN",
                 "p2_lenet": "paper 2: LeNet-5"}
ATTACKS = {"fgsm": "FGSM (L∞)", "pgd": "PGD (L∞, 10 iterations)"}
PGD_STEPS = 10
STATIC_ENV = "DPROB_STATIC"  # set by the book's runner: widgets would be dead in the static HTML


@dataclass(frozen=True)
class ExplorerSettings:
    """What the explorer trains and evaluates (small on purpose: it must answer within ~30 s on a CPU). Paper 2's
    architectures train at a lower learning rate (SGD diverges at 0.5); SGD and DP-SGD share every setting."""

    train: TrainSettings = TrainSettings(lr=0.5, batch_size=128, epochs=2, train_subset=10000)
    p2_lr: float = 0.2
    test_samples: int = 1000
    distance_samples: int = 500
    delta: float = 1e-5

    def train_for(self, arch: str) -> TrainSettings:
        """The training settings of ``arch``: :attr:`train`, at :attr:`p2_lr` for paper 2's architectures."""
        return self.train if arch.startswith("p1_") else replace(self.train, lr=self.p2_lr)


def settings_for(profile: str) -> ExplorerSettings:
    """Explorer settings of a profile: ``smoke`` trains on 1,000 images for the tests, others on 10,000."""
    get_profile(profile)
    if profile == "smoke":
        return ExplorerSettings(train=TrainSettings(lr=0.5, batch_size=64, epochs=1, train_subset=1000),
                                test_samples=200, distance_samples=100)
    return ExplorerSettings()


def live() -> bool:
    """Whether widgets can work here: false while the book's runner executes a chapter for the static HTML."""
    return os.environ.get(STATIC_ENV, "0") != "1"


def check_setting(sigma: float, clip: float, eps_max: float = 0.3, arch: str = "p1_mnist_cnn",
                  attack: str = "fgsm", mode: str = "dpsgd") -> None:
    """Raise :class:`ConfigError` with one line saying what is wrong with an explorer setting."""
    for name, v in (("σ", sigma), ("C", clip), ("the attack's ε range", eps_max)):
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ConfigError(f"{name} must be a finite number, got {v!r}")
    if sigma < 0:
        raise ConfigError(f"σ (the noise multiplier) must be >= 0, got {sigma:g}")
    if clip <= 0:
        raise ConfigError(f"C (the clipping bound) must be > 0, got {clip:g}")
    if not 0 < eps_max <= 1:
        raise ConfigError(f"the attack's ε range must be in (0, 1] (pixels in [0, 1]), got {eps_max:g}")
    if arch not in ARCHITECTURES:
        raise ConfigError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    if attack not in ATTACKS:
        raise ConfigError(f"unknown attack {attack!r}; choose one of {', '.join(ATTACKS)}")
    if mode not in MODES or mode == "sgd":
        raise ConfigError(f"mode must be a private one of {', '.join(m for m in MODES if m != 'sgd')}, got {mode!r}")


def _evaluate(model, test, distance_n: int, attack: str, eps: list[float]) -> dict:
    """Accuracy under ``attack`` at each ε (fractions) and the linearised L2 distances to the boundary (paper 1
    eq. (5)) of the first ``distance_n`` correctly classified test images."""
    import torch

    from dprob_utils.analysis.geometry import boundary_distances
    from dprob_utils.attacks import fgsm_curve
    from dprob_utils.attacks.pgd import pgd_alpha, pgd_linf
    from dprob_utils.dp.training import evaluate

    if attack == "fgsm":
        curve = fgsm_curve(model, test.x, test.y, eps)
    else:
        curve = [evaluate(model, pgd_linf(model, test.x, test.y, e, pgd_alpha(e, PGD_STEPS), PGD_STEPS), test.y)
                 if e > 0 else evaluate(model, test.x, test.y) for e in eps]
    with torch.no_grad():
        correct = torch.nonzero(model(test.x).argmax(1) == test.y).squeeze(1)[:distance_n]
    dist = boundary_distances(model, test.x[correct], test.y[correct], p=2)
    return {"curve": curve, "distances": [float(d) for d in dist]}


def explore(sigma: float, clip: float, eps_max: float = 0.3, profile: str = "quick", mode: str = "dpsgd",
            n_eps: int = 13, cache: ModelCache | None = None, arch: str = "p1_mnist_cnn", attack: str = "fgsm",
            on_event: Callable[[dict], None] | None = None) -> dict:
    """Train or load the DP model (``arch``, ``mode``, σ, C) and its SGD baseline; evaluate both.

    Returns a dict with ``eps`` (attack budgets, L∞ in [0, 1] pixel units), ``attack``, ``arch`` and
    ``sgd``/``dp`` entries holding ``accuracy`` (clean, fraction), ``curve`` (accuracy under the attack at each
    ε; also under ``fgsm`` when the attack is FGSM), ``distances`` (L2, pixel units), ``epsilon`` (privacy,
    RDP at δ), ``seconds`` (training time), ``cached`` and ``history`` (per-epoch loss). ``on_event`` receives
    the training progress events (:mod:`dprob_utils.config.status`) and ``{"kind": "stage", ...}`` ones.
    Raises :class:`ConfigError` (one line) for a bad setting.
    """
    from dprob_utils.config import status, versions
    from dprob_utils.store import core

    check_setting(sigma, clip, eps_max, arch, attack, mode)
    s = settings_for(profile)
    notify = on_event or (lambda e: None)
    test = test_set("mnist", s.test_samples)
    eps = [round(float(e), 4) for e in np.linspace(0.0, eps_max, n_eps)]
    out: dict = {"eps": eps, "sigma": sigma, "clip": clip, "mode": mode, "arch": arch, "attack": attack,
                 "train_size": s.train_for(arch).train_subset}
    train = s.train_for(arch)
    pairs = (("sgd", train.config(arch, "sgd")), ("dp", train.config(arch, mode, sigma, clip)))
    for i, (name, cfg) in enumerate(pairs):
        notify({"kind": "stage", "step": 2 * i, "steps": 4, "text": f"training or loading {cfg.label()}"})
        with status.listening(notify):
            model, res = train_or_load(cfg, delta=s.delta, cache=cache, progress=False)
        notify({"kind": "stage", "step": 2 * i + 1, "steps": 4, "text": f"attacking {cfg.label()} ({attack})"})
        parts = {"model": cfg.key(), "attack": attack, "eps": eps, "test_samples": s.test_samples,
                 "distance_samples": s.distance_samples, "steps": PGD_STEPS, "version": versions.P1_EXPERIMENT_VERSION}
        ev = core.stored("explorer_eval", parts,
                         lambda m=model: _evaluate(m, test, s.distance_samples, attack, eps))
        out[name] = {
            "label": cfg.label(), "key": cfg.key(), "accuracy": res.accuracy, "curve": ev["curve"],
            "distances": ev["distances"], "epsilon": (res.privacy or {}).get("epsilon_rdp", math.inf),
            "seconds": res.seconds, "cached": res.cached, "history": list(res.history),
        }
        if attack == "fgsm":
            out[name]["fgsm"] = ev["curve"]
    notify({"kind": "stage", "step": 4, "steps": 4, "text": "done"})
    return out


def _eps_text(e: float) -> str:
    return "∞" if math.isinf(e) else f"{e:.2f}"


def describe(result: dict) -> str:
    """One line: the DP model's clean accuracy and ε beside its SGD baseline's accuracy."""
    dp, sgd = result["dp"], result["sgd"]
    return (f"{ARCHITECTURES[result.get('arch', 'p1_mnist_cnn')]}, {result['mode']} σ = {result['sigma']:g}, "
            f"C = {result['clip']:g}: clean accuracy {dp['accuracy']:.1%} (SGD {sgd['accuracy']:.1%}), "
            f"privacy ε = {_eps_text(dp['epsilon'])} at δ = 1e-05")


def plot_explore(result: dict, ax=None):
    """Accuracy under the attack of the DP model and its SGD baseline, with accuracy and ε in the legend."""
    import matplotlib.pyplot as plt

    from dprob_utils.book import plots

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    attack = result.get("attack", "fgsm")
    for key, color in (("sgd", plots.SGD_COLOR), ("dp", plots.DP_COLOR)):
        r = result[key]
        ax.plot(result["eps"], np.array(r.get("curve", r.get("fgsm"))) * 100, "o-", ms=3, color=color,
                label=f"{r['label']}: clean {r['accuracy']:.1%}, ε = {_eps_text(r['epsilon'])}")
    ax.set_xlabel(f"{ATTACKS[attack]} budget ε")
    ax.set_ylabel(f"test accuracy under {attack.upper()} (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"σ = {result['sigma']:g}, C = {result['clip']:g} ({result['mode']})")
    ax.legend(fontsize=8)
    return ax


def plot_distances(result: dict, ax=None):
    """Histograms of the linearised L2 distance to the decision boundary (paper 1 eq. (5)), SGD and DP."""
    import matplotlib.pyplot as plt

    from dprob_utils.book import plots

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    both = result["sgd"]["distances"] + result["dp"]["distances"]
    bins = np.linspace(0, max(both) if both else 1.0, 30)
    for key, color in (("sgd", plots.SGD_COLOR), ("dp", plots.DP_COLOR)):
        d = result[key]["distances"]
        ax.hist(d, bins=bins, alpha=0.55, color=color,
                label=f"{result[key]['label']}: median {np.median(d) if d else float('nan'):.2f}")
    ax.set_xlabel("L2 distance to the closest boundary (eq. (5), pixels in [0, 1])")
    ax.set_ylabel("test images")
    ax.set_title("distance to the decision boundary")
    ax.legend(fontsize=8)
    return ax


def sweep_table(cache: ModelCache | None = None) -> pd.DataFrame:
    """Every cached model (no weights loaded): architecture, mode, σ, C, seed, epochs, accuracy, ε, seconds."""
    rows = []
    for r in (cache or ModelCache()).results():
        c = r.config
        rows.append({"arch": c["arch"], "mode": c["mode"], "sigma": c["sigma"] if c["mode"] != "sgd" else None,
                     "clip": c["clip"] if c["mode"] != "sgd" else None, "seed": c.get("seed", 0),
                     "epochs": c["epochs"], "lr": c["lr"], "batch": c["batch_size"], "train_size": r.train_size,
                     "accuracy": r.accuracy, "epsilon": (r.privacy or {}).get("epsilon_rdp", math.inf),
                     "seconds": r.seconds, "key": r.key})
    cols = ["arch", "mode", "sigma", "clip", "seed", "epochs", "lr", "batch", "train_size", "accuracy", "epsilon",
            "seconds", "key"]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["arch", "mode", "sigma", "clip", "seed"], na_position="first").reset_index(drop=True)


def filter_models(table: pd.DataFrame, **equal) -> pd.DataFrame:
    """The rows of :func:`sweep_table` whose columns equal the given values (``None``: any value)."""
    mask = pd.Series(True, index=table.index)
    for col, value in equal.items():
        if value is not None:
            mask &= table[col] == value
    return table[mask]


def explorer_widgets(profile: str = "quick"):
    """The train-or-load tab: architecture, mode, σ, C, attack and its ε range; "Train / load" trains (a progress
    bar follows the epochs) and redraws the attack curve and the distance histogram. A bad setting shows its
    one-line message in the page."""
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import clear_output, display

    arch = W.Dropdown(options=[(v, k) for k, v in ARCHITECTURES.items()], value="p1_mnist_cnn",
                      description="model")
    mode = W.Dropdown(options=[m for m in MODES if m != "sgd"], value="dpsgd", description="mode")
    sigma = W.FloatText(value=1.3, step=0.1, description="σ (noise)")
    clip = W.FloatText(value=1.0, step=0.1, description="C (clip)")
    attack = W.Dropdown(options=[(v, k) for k, v in ATTACKS.items()], value="fgsm", description="attack")
    eps_max = W.FloatSlider(value=0.3, min=0.05, max=0.5, step=0.05, description="max ε")
    button = W.Button(description="Train / load", button_style="primary")
    bar = W.FloatProgress(value=0.0, min=0.0, max=1.0, description="")
    state = W.HTML(value="")
    result_line = W.HTML(value="")
    result_line.add_class("dprob-result")
    out = W.Output()

    def on_event(e: dict) -> None:
        if e["kind"] == "stage":
            bar.value = e["step"] / e["steps"]
            state.value = e["text"]
        elif e["kind"] == "train":
            done = e["epoch"] / max(e["epochs"], 1)
            state.value = f"training {e['mode']} epoch {e['epoch']}/{e['epochs']}"
            bar.value = max(bar.value, (2 * (0 if e["mode"] == "sgd" else 1) + done) / 4)

    def run(_=None) -> None:
        button.disabled = True
        bar.value = 0.0
        try:
            res = explore(float(sigma.value), float(clip.value), float(eps_max.value), profile, mode.value,
                          arch=arch.value, attack=attack.value, on_event=on_event)
        except DprobError as exc:
            state.value = f'<span class="dprob-error" style="color:#b00">{exc}</span>'
            return
        finally:
            button.disabled = False
        result_line.value = f"<b>{describe(res)}</b>"
        with out:
            clear_output(wait=True)
            fig, axes = plt.subplots(1, 2, figsize=(12, 4))
            plot_explore(res, axes[0])
            plot_distances(res, axes[1])
            plt.show()
            display(pd.DataFrame({"ε": [f"{e:g}" for e in res["eps"]], "SGD": res["sgd"]["curve"],
                                  "DP": res["dp"]["curve"]}).set_index("ε").T.style.format("{:.0%}"))

    button.on_click(run)
    return W.VBox([W.HBox([arch, mode]), W.HBox([sigma, clip]), W.HBox([attack, eps_max]),
                   W.HBox([button, bar, state]), result_line, out])


def sweep_widgets(cache: ModelCache | None = None):
    """The browse tab: filter every cached model by architecture, mode, σ, C and seed; the chosen one's summary,
    privacy and training curve show at once."""
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import clear_output, display

    cache = cache or ModelCache()
    table = sweep_table(cache)
    results = {r.key: r for r in cache.results()}

    def options(col: str) -> list:
        values = sorted(v for v in table[col].dropna().unique())
        return [("any", None)] + [(f"{v:g}" if isinstance(v, float) else str(v), v) for v in values]

    filters = {col: W.Dropdown(options=options(col), description=col) for col in ("arch", "mode", "sigma", "clip",
                                                                                 "seed")}
    pick = W.Select(options=[], description="model", rows=8, layout=W.Layout(width="95%"))
    out = W.Output()

    def refresh(change=None) -> None:
        rows = filter_models(table, **{c: w.value for c, w in filters.items()})
        pick.options = [(f"{r.arch} {r['mode']} σ={r.sigma} C={r.clip} seed {r.seed} ep={r.epochs} "
                         f"n={r.train_size}: {r.accuracy:.1%}", r.key) for _, r in rows.iterrows()]

    def show(change=None) -> None:
        with out:
            clear_output(wait=True)
            if pick.value is None:
                print("no cached model matches these filters")
                return
            r = results[pick.value]
            display(pd.DataFrame([r.summary()]))
            hist = pd.DataFrame(r.history)
            if len(hist):
                cols = [c for c in ("loss", "test_accuracy") if c in hist]
                hist.plot(x="epoch", y=cols, marker="o", subplots=len(cols) > 1, figsize=(8, 3),
                          title="training curve")
                plt.show()

    for w in filters.values():
        w.observe(refresh, names="value")
    pick.observe(show, names="value")
    refresh()
    return W.VBox([W.HBox(list(filters.values())[:3]), W.HBox(list(filters.values())[3:]), pick, out])


def explorer_app(profile: str = "quick"):
    """The page of ``dprob explore``: a "Train / load" tab and a "Cached models" tab."""
    import ipywidgets as W

    tabs = W.Tab(children=[explorer_widgets(profile), sweep_widgets()])
    tabs.set_title(0, "Train / load")
    tabs.set_title(1, "Cached models")
    return tabs


def run_explorer(profile: str, settings: list[tuple[float, float]], eps_max: float = 0.3) -> dict:
    """Chapter 90: :func:`explore` at each ``(σ, C)`` of ``settings`` and the number of cached models. The
    results dict of ``results/<profile>/90_explorer.json``; ``"explored"`` holds the full :func:`explore`
    results for the figures (not saved)."""
    explored = [explore(s, c, eps_max, profile) for s, c in settings]
    return {"settings": [{"sigma": r["sigma"], "clip": r["clip"], "eps": r["eps"],
                          "sgd": {k: v for k, v in r["sgd"].items() if k not in ("history", "distances")},
                          "dp": {k: v for k, v in r["dp"].items() if k not in ("history", "distances")}}
                         for r in explored],
            "cached_models": len(sweep_table()), "explored": explored}

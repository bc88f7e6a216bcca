# %% [markdown]
# # Does differential privacy make neural networks less robust?
#
# This book replicates two papers on how differentially private training (DP-SGD: per-example gradient
# clipping at a bound C plus Gaussian noise of scale σC) changes the adversarial robustness of neural networks:
#
# 1. **Tursynbek, Petiushko, Oseledets (2020), *Robustness Threats of Differential Privacy*.** On MNIST, MNIST-C
#    and CIFAR-10, DP-SGD models lose more accuracy under FGSM and PGD than SGD models, their decision boundaries
#    lie closer to the data and are more curved, and they are less robust to common corruptions; more noise and
#    larger clipping bounds make this worse, except that very large C makes FGSM accuracy plateau and rise.
# 2. **Boenisch, Sperl, Böttinger (2021), *Gradient Masking and the Underestimated Robustness Threats of
#    Differential Privacy in Deep Learning*.** With PGD, Carlini–Wagner and the Boundary attack on a LeNet and a
#    custom CNN, DP models are generally *less* robust; the apparent robustness of some DP settings (large C with
#    much noise) is gradient masking, which gradient-free and transfer attacks expose.
#
# Each chapter is a notebook run with [papermill](https://papermill.readthedocs.io) under a *profile* and shows the
# paper's setting beside ours. This page summarises what we find; the **scorecard** chapter lists every claim.

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)

# %%
from dprob_utils.config.overrides import use_profile

profile = use_profile(profile, overrides)

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from dprob_utils.book import plots, scorecard
from dprob_utils.book.report import hardware
from dprob_utils.book.results import load_json
from dprob_utils.config.profiles import get_profile

plots.setup()
prof = get_profile(profile)
display(Markdown(f"**The numbers in this book were produced with profile `{profile}`**: {prof.description}  \n"
                 f"Hardware: {hardware()}."))

# %% [markdown]
# ## What we find
#
# In words, from the scorecard's verdicts (each decided from a 95% interval where the claim has one):

# %%
verdicts = scorecard.evaluate(profile)
counts = scorecard.summary(verdicts)
display(Markdown(scorecard.summary_line(counts) + ".\n\n" + scorecard.in_words(verdicts)))

# %% [markdown]
# ## Headline figure
#
# Paper 1's central observation (its Fig. 2): accuracy under FGSM falls faster for the DP-SGD model (σ = 1.3,
# C = 1) than for the SGD model, so the gap between them widens beyond the clean-accuracy gap. Paper 2's answer
# (its Fig. 1): PGD success on the custom CNN for SGD and DP settings. Both panels are drawn from
# `results/<profile>/`, i.e. from this build's own numbers.

# %%
fgsm = load_json(profile, "02_p1_fgsm")
pgd2 = load_json(profile, "08_p2_pgd")
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
if fgsm:
    sgd = fgsm["models"][fgsm["sgd_key"]]
    dp = fgsm["models"][fgsm["panels"]["fig2"][0]]
    axes[0].plot(fgsm["eps"], sgd["accuracy"], "o-", color=plots.SGD_COLOR, label=sgd["label"])
    axes[0].plot(fgsm["eps"], dp["accuracy"], "s-", color=plots.DP_COLOR, label=dp["label"])
    axes[0].set_xlabel("FGSM ε (L∞)")
    axes[0].set_ylabel("test accuracy (%)")
    axes[0].set_title("Paper 1, Fig. 2: MNIST CNN under FGSM")
    axes[0].legend()
else:
    axes[0].text(0.5, 0.5, "chapter 02 not run for this profile", ha="center")
if pgd2:
    for key, m in pgd2["models"].items():
        if not key.startswith("p2_custom:"):
            continue
        style = "-" if m.get("mode") == "sgd" else "--"
        axes[1].plot(m["eps"], [100 * s for s in m["success_vs_eps"]], style, label=m.get("label", key))
    axes[1].set_xlabel("PGD ε (L∞), 40 iterations")
    axes[1].set_ylabel("attack success (%)")
    axes[1].set_title("Paper 2, Fig. 1a: custom CNN under PGD")
    axes[1].legend(fontsize=7)
else:
    axes[1].text(0.5, 0.5, "chapter 08 not run for this profile", ha="center")
plots.show(profile, "headline")

# %% [markdown]
# ## How long each chapter took
#
# Wall-clock seconds per chapter of the last `dprob book` run that trained models (cold cache) and of the last one
# that trained none (warm cache), from `results/<profile>/book_runs.jsonl` (chapters run two at a time, after the
# training chapter when it has models to train and beside it when it has none, so the total wall clock is less than
# the sum); runs made with `dprob run` are in `results/<profile>/notebook_timings.json`.

# %%
from dprob_utils.book.runner import chapter_timings, recorded_runs

runs = recorded_runs(profile)
last = {kind: [r for r in runs if (r["models_trained"] > 0) == (kind == "cold")][-1:] for kind in ("cold", "warm")}
cols = {f"{kind} ({r['finished'][:16].replace('T', ' ')}, {r['models_trained']} models trained)": r
        for kind, rs in last.items() for r in rs}
if cols:
    table = pd.DataFrame({name: r["notebooks_s"] for name, r in cols.items()}).sort_index()
    for label, key in (("all notebooks, wall clock", "notebooks_wall_s"), ("jupyter-book build", "build_s"),
                       ("total, wall clock", "total_s")):
        table.loc[label] = [r[key] for r in cols.values()]
    display(table.round(1))
else:
    timings = chapter_timings(profile)
    display(Markdown("No `dprob book` run recorded yet for this profile." + (
        f" Last `dprob run` times: {sum(timings.values()) / 60:.1f} minutes in all." if timings else "")))

# %% [markdown]
# ## Re-running
#
# ```bash
# bash scripts/setup.sh                               # virtual environment with everything
# .venv/bin/dprob book --profile quick                # every chapter, then this book (about 20 min on 2 cores)
# .venv/bin/dprob run 02_p1_fgsm --profile paper      # one chapter, the papers' settings (GPU)
# papermill notebooks/02_p1_fgsm.ipynb out.ipynb -p profile quick
# .venv/bin/dprob train --arch p1_mnist_cnn --sigma 1.3 --clip 1 --profile quick
# ```
#
# Profiles: `paper` (the papers' exact settings, for a GPU), `quick` (scaled down for a 2-core CPU, same
# experiments), `smoke` (seconds, for tests). Trained models are cached, so a second build only re-runs the
# attacks. Every chapter also writes its numbers as JSON under `results/<profile>/`; the papers' numbers are in
# `dprob_utils/reference/`.

# %% [markdown]
# ## Verdicts by paper

# %%
by_paper = pd.DataFrame([v.to_dict() for v in verdicts]).groupby(["paper", "verdict"]).size().unstack(fill_value=0)
display(by_paper)

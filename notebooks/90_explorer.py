# %% [markdown]
# # Explore σ and C yourself
#
# Both papers vary the two knobs of DP-SGD, the noise multiplier σ and the clipping bound C, and read the
# effect off attack-accuracy curves (paper 1, Figs. 3 and 7; paper 2, Fig. 1). This page does the same for a
# few settings, and `dprob explore` lets you train any setting of your own.
#
# **The live explorer.** `dprob explore --profile quick` serves an app on localhost (it prints the address).
# Choose the architecture (paper 1's MNIST CNN, paper 2's custom CNN or LeNet-5), the mode, σ, C, the attack
# (FGSM or PGD) and its ε range, then press "Train / load": it trains the DP-SGD model and an SGD model trained
# the same way on a 10,000-image MNIST subset for two epochs (about 20 s on a 2-core CPU, instantly when the
# setting is in the cache), with a progress bar, and draws clean accuracy, ε (RDP accountant, δ = 10⁻⁵), the
# attack curve and the distances to the decision boundary. Its second tab browses every cached model of the
# book. (`jupyter lab notebooks/90_explorer.ipynb` shows the same controls in a notebook.)

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)
static_settings = [(0.5, 1.0), (1.3, 1.0), (3.0, 1.0), (1.3, 0.3), (1.3, 5.0)]

# %%
from dprob_utils.config.overrides import use_profile

profile = use_profile(profile, overrides)

import matplotlib.pyplot as plt
from IPython.display import HTML, Markdown, display

from dprob_utils.book import interactive, plots
from dprob_utils.book.explorer import (
    explorer_app,
    live,
    plot_explore,
    run_explorer,
    settings_for,
    sweep_table,
)
from dprob_utils.book.results import save_json

plots.setup()
s = settings_for(profile)
display(Markdown(f"Explorer training (profile `{profile}`): {s.train.train_subset:,} MNIST training images, "
                 f"{s.train.epochs} epochs, batch {s.train.batch_size}, lr {s.train.lr:g} (paper 2's "
                 f"architectures: lr {s.p2_lr:g}); SGD and DP-SGD share every setting but mode, σ and C. "
                 f"Attacks on {s.test_samples:,} test images."))

# %%
if live():
    display(explorer_app(profile))

# %% [markdown]
# ## A few settings, in the page
#
# σ ∈ {0.5, 1.3, 3} at C = 1 and C ∈ {0.3, 5} at σ = 1.3, trained as the explorer trains. Choose σ and C: the
# chart redraws that model's accuracy under FGSM beside SGD's (it works offline, in the static page). Larger σ
# (more privacy, smaller ε) costs clean accuracy and FGSM accuracy; the effect of C depends on whether it clips
# most gradients (small C) or hardly any (large C, where the noise σC grows).

# %%
explored = run_explorer(profile, static_settings)
results = explored["explored"]
display(HTML(interactive.setting_view(interactive.explorer_curves(results), view_id="explorer-view",
                                      title="Accuracy under FGSM (explorer settings)", x_title="ε (L∞)",
                                      y_title="test accuracy (%)")))

# %%
cols = min(3, len(results))
rows_n = (len(results) + cols - 1) // cols
fig, axes = plt.subplots(rows_n, cols, figsize=(5.2 * cols, 3.8 * rows_n), squeeze=False)
for ax, res in zip(axes.flat, results):
    plot_explore(res, ax=ax)
for ax in list(axes.flat)[len(results):]:
    ax.set_visible(False)
plots.show(profile, "explorer_settings")

# %% [markdown]
# ## Every cached model
#
# Every model trained by any chapter (or by you in the explorer) is in the cache with its accuracy, privacy and
# training time; the explorer's "Cached models" tab shows each one's training curve.

# %%
table = sweep_table()
display(table.style.format({"accuracy": "{:.2%}", "epsilon": "{:.2f}", "seconds": "{:.1f}"}, na_rep="–"))

# %%
save_json(profile, "90_explorer", {k: v for k, v in explored.items() if k != "explored"})

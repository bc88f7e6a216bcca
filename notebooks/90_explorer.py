# %% [markdown]
# # Explore σ and C yourself
#
# Both papers vary the two knobs of DP-SGD, the noise multiplier σ and the clipping bound C, and read the
# effect off FGSM accuracy curves (paper 1, Fig. 3 and 7). This page lets you do the same: the sliders below
# train paper 1's MNIST CNN with DP-SGD at the σ and C you choose, on a 10,000-image MNIST subset for two
# epochs (about half a minute on a 2-core CPU, instantly when that setting is in the cache), and redraw its
# clean accuracy, its privacy ε (RDP accountant, δ = 10⁻⁵) and its FGSM accuracy curve beside an SGD model
# trained the same way.
#
# The widgets need a live kernel: open this notebook in Jupyter (`notebooks/90_explorer.ipynb`). In the static
# book the widgets show as placeholders; below them, the same comparison is drawn for a few settings.

# %% tags=["parameters"]
profile = "quick"
static_settings = [(0.5, 1.0), (1.3, 1.0), (3.0, 1.0), (1.3, 0.3), (1.3, 5.0)]

# %%
import matplotlib.pyplot as plt
from IPython.display import display

from dprob_utils.book import plots
from dprob_utils.book.explorer import (
    explorer_widgets,
    plot_explore,
    run_explorer,
    settings_for,
    sweep_table,
    sweep_widgets,
)
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json

plots.setup()
show_profile(profile)
settings_for(profile)

# %% [markdown]
# ## Train a model of your own

# %%
display(explorer_widgets(profile))

# %% [markdown]
# ## What the sliders show for a few settings
#
# The same computation as the "Train / load" button, for σ ∈ {0.5, 1.3, 3} at C = 1 and C ∈ {0.3, 5} at
# σ = 1.3. Larger σ (more privacy, smaller ε) costs clean accuracy and FGSM accuracy; the effect of C depends
# on whether it clips most gradients (small C) or hardly any (large C, where the noise σC grows).

# %%
explored = run_explorer(profile, static_settings)
results = explored["explored"]
cols = min(3, len(results))
rows_n = (len(results) + cols - 1) // cols
fig, axes = plt.subplots(rows_n, cols, figsize=(5.2 * cols, 3.8 * rows_n), squeeze=False)
for ax, res in zip(axes.flat, results):
    plot_explore(res, ax=ax)
for ax in list(axes.flat)[len(results):]:
    ax.set_visible(False)
plots.show(profile, "explorer_settings")

# %% [markdown]
# ## Browse every cached model
#
# Every model trained by any chapter (or by you above) is in the cache with its accuracy, privacy and training
# time. The dropdown shows one at a time with its training curve; the table lists them all.

# %%
display(sweep_widgets())
table = sweep_table()
display(table.style.format({"accuracy": "{:.2%}", "epsilon": "{:.2f}", "seconds": "{:.1f}"}, na_rep="–"))

# %%
save_json(profile, "90_explorer", {k: v for k, v in explored.items() if k != "explored"})

# %% [markdown]
# # Paper 2 · Transferability and gradients (Figs. 4, 5, 6)
#
# **Transferability (section V, Fig. 4).** Adversarial examples crafted on one model (rows) are fed to another
# (columns). As in the paper, the examples are those of the white-box runs: CW₂ examples (the smallest
# perturbation CW found per sample; the paper crafts them "with 100% success") and PGD∞ examples at
# ε = 0.3, each on the crafting model's own attack points. The success rate counts only the images the
# evaluated model classifies correctly when clean, so the diagonal is the white-box success rate. The paper
# shows the custom CNN (LeNet "looks similar"); we show both.
#
# **Gradients (section VI, Figs. 5, 6).** Which gradient: the gradient of the cross-entropy loss of the
# logits with the true labels, **summed** over one batch of test images, with respect to each layer's
# **parameters**, the model in eval mode, without DP-SGD's clipping or noise (the gradient back-propagation
# computes for that batch; the paper: "the first order partial derivatives of each weight w.r.t. the costs",
# plotted "at the models' first dense layer for a test data batch"). Fig. 5 is the distribution of the values of
# the first dense layer's weight gradient; Fig. 6 the percentage of entries (weights and biases) that are
# exactly 0.0 per layer. The batch: the first `gradient_batch` images of the chapter's test permutation (250,
# the training batch size, in `paper`), the same for every model.

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)

# %%
from dprob_utils.config.overrides import use_profile

profile = use_profile(profile, overrides)

import time

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from dprob_utils.book import plots, scorecard, settings, tables
from dprob_utils.book.plots import paper2 as p2plot
from dprob_utils.book.plots import setup
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments.p2 import models as p2_models
from dprob_utils.experiments.p2 import transfer_gradients

setup()
show_profile(profile)
prof = get_profile(profile)
S = prof.p2_attacks
t_start = time.perf_counter()

# %% [markdown]
# ## Settings: the paper's and ours

# %%
pd.DataFrame([r for t in ["transfer", "gradients"] for r in settings.p2_rows(prof, t)],
             columns=["setting", "paper 2", "ours"])

# %% [markdown]
# ## Fig. 4: transfer of CW₂ and PGD∞ (ε = 0.3) examples
#
# Reuses the runs of the two previous chapters (computed here if they have not run).

# %%
res = transfer_gradients.run_transfer_gradients(prof)  # reuses the attacks of the two previous chapters (or runs them)
models = res["models"]
for arch, mats in res["transfer"].items():
    cw_m, pgd_m = mats["cw"], mats["pgd"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    p2plot.transfer_heatmap(axes[0], cw_m["rate"], cw_m["rows"], cw_m["cols"], "(a) CW₂")
    p2plot.transfer_heatmap(axes[1], pgd_m["rate"], pgd_m["rows"], pgd_m["cols"], f"(b) PGD∞, ε = {S.transfer_eps}")
    fig.suptitle(f"Fig. 4: transferability between {arch} models (success %, rows: crafted on)")
    plots.show(profile, f"p2_fig4_{arch[3:]}")
print(f"transfer and gradients: {time.perf_counter() - t_start:.0f} s")


# %% [markdown]
# **The paper's claims** (custom CNN): (i) PGD examples transfer much better than CW examples; (ii) examples
# transfer less well from DP to SGD models than from SGD to DP models; (iii) examples crafted on models with
# large C transfer less well; (iv) models with large C are more vulnerable to transferred examples.

# %%
pd.DataFrame(tables.p2_transfer_table(res)).round(1)

# %% [markdown]
# The same claims as intervals (one seed: a bootstrap over the examples of every cell of the matrices), per
# architecture and attack: among DP models minus from SGD to DP; from SGD to DP minus from DP to SGD; examples
# crafted on the σ = 1.3 model with the largest C minus the smallest; that model as a target minus the smallest-C
# one; for the custom CNN, the least vulnerable plateau model (σ = 2, 3, C = 10) as a target minus the most
# vulnerable other target; and PGD's mean off-diagonal rate minus CW₂'s.

# %%
pd.DataFrame(tables.interval_rows(res["transfer_intervals"])).set_index("quantity").round(4)

# %% [markdown]
# ## Fig. 5: gradient values at the first dense layer

# %%
for arch in ("p2_custom", "p2_lenet"):
    ms = p2_models.chapter_models(prof, (arch,))
    p2plot.gradient_histograms(transfer_gradients.dense_gradients_by_label(prof, ms),
                               title=f"Fig. 5: ∂L/∂W of the first dense layer, {arch} "
                               f"(L = summed cross-entropy over {res['gradient']['batch']} test images)")
    plots.show(profile, f"p2_fig5_{arch[3:]}")
pd.DataFrame(tables.p2_gradient_rows(res)).round(4)

# %% [markdown]
# The paper reports a range of about ±10 for the SGD models and up to ±200 for the custom DP models, growing
# with C. Those absolute values depend on the reduction over the batch (we sum, as a TensorFlow gradient of a
# per-example loss vector does) and on how well trained the model is; the comparison between models carries
# over.
#
# ## Fig. 6: percentage of exactly-zero gradients per layer

# %%
zero = {arch: tables.by_label(res["zero_gradient_pct"], models, arch) for arch in ("p2_custom", "p2_lenet")}
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for ax, (arch, z) in zip(axes, zero.items()):
    p2plot.zero_gradient_bars(ax, z, title=f"Fig. 6: zero gradients, {arch}")
plots.show(profile, "p2_fig6")
pd.concat({arch: pd.DataFrame(z).T for arch, z in zero.items()}).round(1)

# %% [markdown]
# ### Figs. 5 and 6 as intervals
#
# Per DP model against its SGD baseline, and along neighbouring settings (C at σ = 1.3; σ at C = 1 and 10): the log
# of the ratio of the mean |∂L/∂W| at the first dense layer (`log_mean_abs`) and each layer's % of zero gradients
# (`zero_<layer>`, % points). One gradient batch per model, so the interval is over the headline seeds only.

# %%
pd.DataFrame(tables.interval_rows(res["gradient_intervals"])).set_index("quantity").round(3)

# %%
save_json(profile, "10_p2_transfer_gradients", res | {"seconds": time.perf_counter() - t_start})
print(f"done in {time.perf_counter() - t_start:.0f} s")

# %% [markdown]
# ## What we find
#
# Each claim this chapter's results decide, with the paper's number and ours (with its 95% interval where the
# claim has one) and the verdict; each links to its row of the scorecard.

# %%
display(Markdown(scorecard.findings_markdown(profile, "10_p2_transfer_gradients")))

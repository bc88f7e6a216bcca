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

# %%
import time

import matplotlib.pyplot as plt
import pandas as pd

from dprob_utils.analysis import gradients
from dprob_utils.book.plots import paper2 as p2plot
from dprob_utils.book.plots import setup
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments import p2

setup()
show_profile(profile)
prof = get_profile(profile)
S = prof.p2_attacks
t_start = time.perf_counter()
models = {arch: p2.chapter_models(prof, (arch,)) for arch in ("p2_lenet", "p2_custom")}

# %% [markdown]
# ## Settings: the paper's and ours

# %%
pd.DataFrame([r for t in ["transfer", "gradients"] for r in p2.settings_rows(prof, t)],
             columns=["setting", "paper 2", "ours"])

# %% [markdown]
# ## Fig. 4: transfer of CW₂ and PGD∞ (ε = 0.3) examples
#
# Reuses the runs of the two previous chapters (computed here if they have not run).

# %%
matrices = {}
for arch in ("p2_custom", "p2_lenet"):
    matrices[arch] = p2.transfer_matrices(prof, arch)
    cw_m, pgd_m = matrices[arch]["cw"], matrices[arch]["pgd"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    p2plot.transfer_heatmap(axes[0], cw_m.rate, cw_m.rows, cw_m.cols, "(a) CW₂")
    p2plot.transfer_heatmap(axes[1], pgd_m.rate, pgd_m.rows, pgd_m.cols, f"(b) PGD∞, ε = {S.transfer_eps}")
    fig.suptitle(f"Fig. 4: transferability between {arch} models (success %, rows: crafted on)")
    plt.show()
print(f"transfer: {time.perf_counter() - t_start:.0f} s")


# %% [markdown]
# **The paper's claims** (custom CNN): (i) PGD examples transfer much better than CW examples; (ii) examples
# transfer less well from DP to SGD models than from SGD to DP models; (iii) examples crafted on models with
# large C transfer less well; (iv) models with large C are more vulnerable to transferred examples.

# %%
def mean_where(mat, rows_pred, cols_pred):
    vals = [float(mat.rate[i, j]) for i, r in enumerate(mat.rows) for j, c in enumerate(mat.cols)
            if r != c and rows_pred(r) and cols_pred(c) and int(mat.count[i, j]) > 0]
    return 100 * sum(vals) / len(vals) if vals else float("nan")

is_sgd = lambda lab: lab == "SGD"  # noqa: E731
is_dp = lambda lab: lab != "SGD"  # noqa: E731
big_c = lambda lab: lab.endswith("C=10")  # noqa: E731
small_c = lambda lab: lab != "SGD" and not lab.endswith("C=10")  # noqa: E731
any_ = lambda lab: True  # noqa: E731
rows = []
for arch, mats in matrices.items():
    for att, mat in mats.items():
        rows.append({"arch": arch, "attack": att, "mean off-diagonal": mat.off_diagonal_mean() * 100,
                     "SGD → DP": mean_where(mat, is_sgd, is_dp), "DP → SGD": mean_where(mat, is_dp, is_sgd),
                     "DP → DP": mean_where(mat, is_dp, is_dp),
                     "from C=10": mean_where(mat, big_c, any_), "from smaller C": mean_where(mat, small_c, any_),
                     "to C=10": mean_where(mat, any_, big_c), "to smaller C": mean_where(mat, any_, small_c)})
pd.DataFrame(rows).round(1)

# %% [markdown]
# ## Fig. 5: gradient values at the first dense layer

# %%
xb, yb = p2.gradient_batch(prof)
dense = {arch: {m.label: p2.dense_gradients(m, prof) for m in models[arch]}
         for arch in models}
for arch in ("p2_custom", "p2_lenet"):
    p2plot.gradient_histograms(dense[arch], title=f"Fig. 5: ∂L/∂W of the first dense layer, {arch} "
                               f"(L = summed cross-entropy over {len(yb)} test images)")
    plt.show()
pd.DataFrame([{"arch": arch, "model": lab} | gradients.summary(v) for arch in dense for lab, v in dense[arch].items()]
             ).round(4)

# %% [markdown]
# The paper reports a range of about ±10 for the SGD models and up to ±200 for the custom DP models, growing
# with C. Those absolute values depend on the reduction over the batch (we sum, as a TensorFlow gradient of a
# per-example loss vector does) and on how well trained the model is; the comparison between models carries
# over.
#
# ## Fig. 6: percentage of exactly-zero gradients per layer

# %%
zero = {arch: {m.label: p2.zero_gradients(m, prof) for m in models[arch]}
        for arch in models}
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for ax, arch in zip(axes, ("p2_custom", "p2_lenet")):
    p2plot.zero_gradient_bars(ax, zero[arch], title=f"Fig. 6: zero gradients, {arch}")
plt.show()
pd.concat({arch: pd.DataFrame(z).T for arch, z in zero.items()}).round(1)

# %%
res = p2.run_transfer_gradients(prof)  # every attack above is stored: this only reads them
save_json(profile, "10_p2_transfer_gradients", res | {"seconds": time.perf_counter() - t_start})
print(f"done in {time.perf_counter() - t_start:.0f} s")


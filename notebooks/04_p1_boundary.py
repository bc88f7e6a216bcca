# %% [markdown]
# # Paper 1 on MNIST: distance to the decision boundary and curvature (sections 3.3, 3.4, Fig. 5)
#
# **Distance (Figs. 5a, 5b).** Following DeepFool, paper 1 linearises the logits `f_k` around a correctly
# classified test image `x` of class `t` and takes the distance to the closest linearised boundary:
#
# * eq. (5), L2: `min_{k≠t} |f_t(x) − f_k(x)| / ‖∇f_t(x) − ∇f_k(x)‖₂`;
# * eq. (6), L∞: the same with the L1 norm (the dual of L∞) in the denominator.
#
# It reports the means falling from 0.154 (SGD) to 0.131 (DP-SGD) in L∞ and from 1.965 to 1.654 in L2 (about
# 15% and 16%). We compute both equations for every correctly classified test image, batched with autograd (one
# backward pass per class for a whole batch; `dprob_utils.analysis.geometry.boundary_distances`). Beside them, as a check on
# the one-step linearisation, the minimal perturbation found by the full iterative DeepFool attack (foolbox's
# `L2DeepFoolAttack` / `LinfDeepFoolAttack`, overshoot 0.02, iterates clipped to [0, 1]).
#
# **Curvature (Fig. 5c).** The eigenvalues of the Hessian of the loss with respect to the input (eq. (7), a
# 784 × 784 matrix) at 100 random test images; the largest 15 by magnitude, averaged over images, on a log
# scale. The paper reports DP-SGD's largest eigenvalue about 100 times SGD's. Our Hessians are exact (torch.func,
# reverse-over-reverse), and a symmetric eigensolver (float64) gives their spectrum.

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)

# %%
from dprob_utils.config.overrides import use_profile

profile = use_profile(profile, overrides)

import math

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from dprob_utils.book import plots, scorecard, settings, tables
from dprob_utils.book.plots import paper1 as p1plots
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments.p1_mnist import boundary, common
from dprob_utils.reference import load_reference

plots.setup()
prof = get_profile(profile)
show_profile(profile)

# %% [markdown]
# ## Settings: the paper's and ours

# %%
display(pd.DataFrame(settings.p1_boundary_rows(prof)).set_index("setting"))

# %% [markdown]
# ## Distances to the closest decision boundary (Figs. 5a, 5b)

# %%
dist = boundary.run_distances(profile)
ref = {r["quantity"]: r for r in load_reference("paper1_mnist")}
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
p1plots.distance_hist(axes[0], dist, "linf")
axes[0].set_title("Fig. 5a: L∞ (eq. (6))")
p1plots.distance_hist(axes[1], dist, "l2")
axes[1].set_title("Fig. 5b: L2 (eq. (5))")
plots.show(profile, "p1_fig5ab")
t = pd.DataFrame([
    {"quantity": "mean L∞ distance", "SGD (ours)": dist["mean_linf"]["sgd"], "DP-SGD (ours)": dist["mean_linf"]["dpsgd"],
     "drop (ours)": dist["mean_linf"]["relative_drop"], "SGD (paper)": ref["mean_linf_distance"]["sgd"],
     "DP-SGD (paper)": ref["mean_linf_distance"]["dpsgd"], "drop (paper)": ref["linf_distance_relative_drop"]["difference"]},
    {"quantity": "mean L2 distance", "SGD (ours)": dist["mean_l2"]["sgd"], "DP-SGD (ours)": dist["mean_l2"]["dpsgd"],
     "drop (ours)": dist["mean_l2"]["relative_drop"], "SGD (paper)": ref["mean_l2_distance"]["sgd"],
     "DP-SGD (paper)": ref["mean_l2_distance"]["dpsgd"], "drop (paper)": ref["l2_distance_relative_drop"]["difference"]},
]).set_index("quantity")
display(t.round(3))
display(Markdown(f"Samples: SGD {dist['models']['sgd']['samples']:,}, DP-SGD {dist['models']['dpsgd']['samples']:,} "
                 "correctly classified test images."))

# %% [markdown]
# ### DeepFool beside the linearisation
#
# Each point is one image: the one-step distance of eq. (5) / (6) against the size of the perturbation that the
# full DeepFool iteration needs to change the class. Points above the diagonal mean the one-step linearisation
# underestimates the true distance (the boundary bends away).

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
p1plots.deepfool_scatter(axes[0], dist, "linf")
p1plots.deepfool_scatter(axes[1], dist, "l2")
plots.show(profile, "p1_fig5ab_deepfool")
display(pd.DataFrame([{"model": n, "norm": norm, **{k: v for k, v in dist["models"][n]["deepfool"][norm].items()
                                                    if not k.startswith("_")}}
                      for n in ("sgd", "dpsgd") for norm in ("linf", "l2")]).set_index(["model", "norm"]).round(3))

# %% [markdown]
# ## Curvature profile (Fig. 5c)
#
# The networks are made of convolutions, max-pooling, ReLU and affine layers, so their logits are piecewise
# linear in the input and the input Hessian of the cross-entropy is `Jᵀ (diag(p) − ppᵀ) J` (J: the 10 × 784
# Jacobian of the logits, p: the softmax). It is positive semi-definite **of rank at most 9**: beyond the 9th,
# eigenvalues are zero up to float round-off. The notebook checks that the torch.func Hessian equals this form
# (last column of the table).

# %%
curv = boundary.run_curvature(profile)
fig, ax = plt.subplots(figsize=(6, 4))
p1plots.curvature_profile(ax, curv)
ax.set_title(f"Fig. 5c: top {curv['k']} eigenvalues, mean over {curv['samples']} images")
plots.show(profile, "p1_fig5c")
display(pd.DataFrame([{"model": curv["models"][n]["label"], "largest (mean |λ₁|)": curv["models"][n]["mean_profile"][0],
                       "median |λ₁|": curv["models"][n]["median_largest"], "seconds": curv["models"][n]["seconds"],
                       "exact vs Jᵀ(diag p − ppᵀ)J (rel. diff.)": curv["models"][n]["exact_vs_gauss_newton_rel_diff"]}
                      for n in ("sgd", "dpsgd")]).set_index("model"))

# %%
save_json(profile, "04_p1_boundary", {"profile": profile, "distances": common.public(dist), "curvature": common.public(curv),
                                      "seconds": dist["seconds"] + curv["seconds"]})

# %% [markdown]
# ## Our numbers against the paper's

# %%
ratio = curv["largest_ratio_dp_over_sgd"]
display(Markdown("\n".join([
    f"* Mean L∞ distance: SGD {dist['mean_linf']['sgd']:.3f}, DP-SGD {dist['mean_linf']['dpsgd']:.3f} "
    f"({100 * dist['mean_linf']['relative_drop']:.1f}% drop; paper 0.154 → 0.131, 15%).",
    f"* Mean L2 distance: SGD {dist['mean_l2']['sgd']:.3f}, DP-SGD {dist['mean_l2']['dpsgd']:.3f} "
    f"({100 * dist['mean_l2']['relative_drop']:.1f}% drop; paper 1.965 → 1.654, 16%).",
    f"* Largest Hessian eigenvalue, DP-SGD / SGD: {ratio:.2f} (paper: about 100); DP-SGD higher at "
    f"{curv['ranks_where_dp_higher']} of {curv['k']} ranks." if ratio is not None and math.isfinite(ratio) else
    "* No Hessian samples in this profile.",
])))

# %% [markdown]
# ### Distances and curvature with 95% intervals over seeds and test images
#
# Mean linearised distance of SGD minus DP-SGD and its relative drop (over each model's correctly classified
# images, unpaired), and the ratio DP-SGD / SGD of the mean largest Hessian eigenvalue (paired over the Hessian
# images), over the headline seeds: what the scorecard's Sec. 3.3 and 3.4 claims read.

# %%
pd.DataFrame(tables.interval_rows({"distances": dist["intervals"], "curvature": curv["intervals"]})).set_index("quantity").round(4)

# %% [markdown]
# ## What we find
#
# Each claim this chapter's results decide, with the paper's number and ours (with its 95% interval where the
# claim has one) and the verdict; each links to its row of the scorecard.

# %%
display(Markdown(scorecard.findings_markdown(profile, "04_p1_boundary")))

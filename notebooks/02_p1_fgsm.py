# %% [markdown]
# # Paper 1 on MNIST: FGSM (section 3.1, Figs. 2, 3 and 7)
#
# Paper 1 attacks its MNIST CNN with FGSM (eq. (3)), `x_adv = clip(x + ε sign(∇ₓ L(θ, x, y)), 0, 1)`, and plots
# the test accuracy against the attack strength ε for a model trained with SGD and one trained with DP-SGD
# (σ = 1.3, C = 1). Its claims:
#
# * **Fig. 2**: DP-SGD's accuracy falls faster. The clean gap of 2.6 percentage points grows, "reaching 15.4% for
#   ε = 0.12, and always more than initial value".
# * **Fig. 3a**: the gap grows with the noise σ (C = 1 fixed).
# * **Fig. 3b**: it grows with the clipping bound C too when the noise is σC (Algorithm 1).
# * **Fig. 3c**: with noise N(0, σ²I) that does not scale with C, a *smaller* C is less robust and less accurate.
# * **Fig. 7**: for large C (3 and beyond, noise σC) the accuracy curve flattens into a plateau at large ε, and the
#   plateau rises as C grows: there DP-SGD *helps* against FGSM.
#
# The paper gives no list of the σ and C values in Figs. 3 and 7; ours are the profile's `Paper1Grid` (listed
# below), all parameters.

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)

# %%
from dprob_utils.config.overrides import use_profile

profile = use_profile(profile, overrides)

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

from dprob_utils.book import interactive, plots, scorecard, settings, tables
from dprob_utils.book.plots import paper1 as p1plots
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments.p1_mnist import fgsm
from dprob_utils.reference import load_reference

plots.setup()
prof = get_profile(profile)
show_profile(profile)

# %% [markdown]
# ## Settings: the paper's and ours
#
# The models are the cached ones of the training chapter (same cache keys). Deviations are listed in the table
# and, with the reasons, on the settings page.

# %%
display(pd.DataFrame(settings.p1_fgsm_rows(prof)).set_index("setting"))

# %% [markdown]
# Our FGSM is torchattacks' `FGSM`. Since the FGSM direction `sign(∇ₓL)` does not depend on ε, the curves are
# computed with one gradient per image and one forward pass per ε (`dprob_utils.attacks.fgsm_curve`); the test
# suite checks that this gives exactly torchattacks' accuracies.

# %%
res = fgsm.run_fgsm(profile)
save_json(profile, "02_p1_fgsm", res)
display(Markdown(f"{res['test_samples']:,} test images, {len(res['models'])} models, {res['seconds']:.0f} s on "
                 f"{res['device']}."))

# %% [markdown]
# ## Fig. 2: SGD against DP-SGD (σ = 1.3, C = 1)

# %%
ref = {r["quantity"]: r for r in load_reference("paper1_mnist")}
f2 = res["fig2"]
fig, ax = plt.subplots(1, 2, figsize=(11, 4))
p1plots.fgsm_panel(ax[0], res, res["panels"]["fig2"], None, "Fig. 2: accuracy under FGSM")
ax[1].plot(res["eps"], f2["gap"], "o-", color="k")
ax[1].axhline(f2["clean_gap"], ls="--", color="grey", label="clean gap")
ax[1].set_xlabel("ε")
ax[1].set_ylabel("SGD − DP-SGD accuracy (points)")
ax[1].set_title("accuracy gap")
ax[1].legend()
plots.show(profile, "p1_fig2")
summary = pd.DataFrame([
    {"quantity": "clean gap (points)", "paper 1": ref["fgsm_clean_gap"]["difference"], "ours": f2["clean_gap"]},
    {"quantity": "gap at ε = 0.12 (points)" + (" (interpolated)" if f2["gap_at_0.12_interpolated"] else ""),
     "paper 1": ref["fgsm_gap"]["difference"], "ours": f2["gap_at_0.12"]},
    {"quantity": "largest gap (points)", "paper 1": None, "ours": f2["max_gap"]},
    {"quantity": "gap above the clean gap at every ε > 0", "paper 1": "yes", "ours": f2["gap_exceeds_clean_gap_at_every_eps"]},
]).set_index("quantity")
display(summary)

# %% [markdown]
# ## Fig. 3: the noise σ and the clipping bound C
#
# (a) σ varied at C = 1; (b) C varied with noise σC; (c) C varied with fixed noise N(0, σ²I), σ = 1.3
# (training mode `dpsgd-fixed-noise`). With C = 1 the two noise modes coincide: panel (c)'s C = 1 is the model of
# Fig. 2 and of panel (b), trained once (one cache key).

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
p1plots.fgsm_panel(axes[0], res, res["panels"]["fig3a"], "sigma", "Fig. 3a: σ varied (C = 1)")
p1plots.fgsm_panel(axes[1], res, res["panels"]["fig3b"], "clip", "Fig. 3b: C varied, noise σC")
p1plots.fgsm_panel(axes[2], res, res["panels"]["fig3c"], "clip", "Fig. 3c: C varied, noise σ (fixed)")
plots.show(profile, "p1_fig3")
for panel in ("fig3a", "fig3b", "fig3c"):
    t = pd.DataFrame(res[panel]["rows"]).drop(columns="key").set_index(res[panel]["varied"])
    display(Markdown(f"**{panel}**: gaps to SGD in points (mean over ε > 0), accuracy in %"))
    display(t.round(2))

# %% [markdown]
# ## Fig. 7: large clipping bounds
#
# The paper sees the curve of C = 3 level off at large ε ("plateau") and the plateau rise as C grows beyond 3.

# %%
fig, ax = plt.subplots(figsize=(6, 4))
p1plots.fgsm_panel(ax, res, res["panels"]["fig7"], "clip", "Fig. 7: large C (σ = 1.3, noise σC)")
plots.show(profile, "p1_fig7")
display(pd.DataFrame(res["fig7"]["rows"]).drop(columns="key").set_index("clip").round(2))

# %% [markdown]
# ## Every FGSM curve, one setting at a time
#
# Choose the mode, σ and C among the models this profile trained for Figs. 2, 3 and 7: the chart redraws that
# model's accuracy under FGSM beside SGD's, and the line above it gives its clean accuracy and privacy ε. (It
# works in the static page, offline; to train a setting of your own, run `dprob explore`.)

# %%
display(HTML(interactive.setting_view(interactive.p1_fgsm_curves(res), view_id="p1-fgsm-view",
                                      title="Accuracy under FGSM", x_title="ε (L∞)", y_title="test accuracy (%)")))

# %% [markdown]
# ## Our numbers against the paper's
#
# The cell below states our numbers against the paper's claims; the replication scorecard reads them from
# `results/<profile>/02_p1_fgsm.json`.

# %%
rows7 = res["fig7"]["rows"]
clips7 = ", ".join(f"{r['clip']:g}" for r in rows7)
plateau_rises = all(b["accuracy_at_max_eps"] >= a_["accuracy_at_max_eps"] for a_, b in zip(rows7, rows7[1:]))
r3a = res["fig3a"]["rows"]
gap_grows_with_sigma = all(b["mean_gap"] >= a_["mean_gap"] for a_, b in zip(r3a, r3a[1:])) if len(r3a) > 1 else None
lines = [
    f"* Clean gap {f2['clean_gap']:.2f} points (paper 2.6); gap at ε = 0.12: {f2['gap_at_0.12']:.2f} points "
    f"(paper 15.4); largest gap {f2['max_gap']:.2f} points at ε = {f2['eps_of_max_gap']:g}.",
    f"* Gap above the clean gap at every ε > 0: {f2['gap_exceeds_clean_gap_at_every_eps']} (paper: yes).",
    f"* Fig. 3a, mean gap grows with σ at every step of our grid: {gap_grows_with_sigma}.",
    f"* Fig. 7, accuracy at the largest ε rises with C over {clips7}: {plateau_rises}.",
]
display(Markdown("\n".join(lines)))

# %% [markdown]
# ### With 95% intervals
#
# The gaps of Fig. 2 (SGD − DP-SGD σ = 1.3, C = 1, fractions) paired over the test images and the headline seeds,
# and, per sweep of Figs. 3 and 7, the change between neighbouring settings paired over the test images (one seed
# per setting): what the scorecard's FGSM claims read. A verdict is "reproduced" only when the whole interval lies
# on the paper's side.

# %%
pd.DataFrame(tables.interval_rows(res["intervals"])).set_index("quantity").round(4)

# %% [markdown]
# ## What we find
#
# Each claim this chapter's results decide, with the paper's number and ours (with its 95% interval where the
# claim has one) and the verdict; each links to its row of the scorecard.

# %%
display(Markdown(scorecard.findings_markdown(profile, "02_p1_fgsm")))

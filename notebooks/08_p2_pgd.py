# %% [markdown]
# # Paper 2 · PGD: success against ε and against iterations (Figs. 1, 2, Table I)
#
# Boenisch et al. (2021) attack LeNet and a custom CNN, trained with SGD and with DP-SGD over a grid of noise
# σ and clipping bound C, with L∞ PGD. This chapter reproduces their section IV-A: the success rate of PGD
# against the perturbation budget ε (Fig. 1) and against the number of iterations at ε = 0.3 (Fig. 2).
#
# **The attack.** The paper generated its examples with Foolbox but names neither the step size nor the start.
# We use Foolbox 3's `LinfPGD` defaults, which is what a call without those arguments ran: a uniformly random
# start in the ε-ball and the step α = ε/30 (`rel_stepsize = 0.01/0.3`), on the cross-entropy of the logits.
# With 40 iterations the walk can travel 1.33 ε; with fewer it cannot reach the edge of the ball, which is why
# the success rate grows with the iterations in Fig. 2. One run per model gives both figures: every ε is a row of
# the same batch, and the success after T iterations is the share of samples fooled at an iteration ≤ T (a
# sample counts as fooled from its first misclassified iterate on; see `dprob_utils.attacks.pgd`).
#
# **Attack points.** A fixed random permutation of the MNIST test set (seed = the profile's seed); each model
# is attacked on the first `samples` images of it that it classifies correctly (the paper: 1000 random
# correctly classified test points per model).

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)

# %%
from dprob_utils.config.overrides import use_profile

profile = use_profile(profile, overrides)

import time

import pandas as pd
from IPython.display import HTML, Markdown, display

from dprob_utils.book import interactive, plots, scorecard, settings, tables
from dprob_utils.book.plots import paper2 as p2plot
from dprob_utils.book.plots import setup
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments.p2 import pgd
from dprob_utils.models.architectures import build_model
from dprob_utils.reference import load_reference

setup()
show_profile(profile)
prof = get_profile(profile)
S = prof.p2_attacks
t_start = time.perf_counter()

# %% [markdown]
# ## Settings: the paper's and ours

# %%
pd.DataFrame([r for t in ["models", "pgd"] for r in settings.p2_rows(prof, t)],
             columns=["setting", "paper 2", "ours"])

# %% [markdown]
# ## Table I: the two architectures
#
# The paper's layers (from `reference/paper2_table1.csv`) beside the PyTorch modules we train. TensorFlow's
# `padding="same"` of the custom CNN's first convolution (kernel 8, stride 2) pads 3 pixels per side.

# %%
ref1 = pd.DataFrame(load_reference("paper2_table1"))
for arch in ("p2_lenet", "p2_custom"):
    ours = [str(m) for m in build_model(arch) if not m.__class__.__name__ == "ReLU"]
    theirs = ref1[ref1.arch == arch].layer.tolist()
    n = max(len(ours), len(theirs))
    display(Markdown(f"**{arch}**"))
    display(pd.DataFrame({"paper (Table I)": theirs + [""] * (n - len(theirs)),
                          "ours (PyTorch, ReLU after each conv / hidden dense)": ours + [""] * (n - len(ours))}))

# %% [markdown]
# ## The models
#
# Paper: 50 epochs, learning rate 0.05, batch 250, σ ∈ {0, 1.3, 2, 3}, C ∈ {1, 3, 5, 10} as in its tables; our
# profile's grid and training settings are listed at the top. Accuracy is on the 10,000 MNIST test images;
# ε is the (ε, δ) privacy bound of the RDP accountant (∞ for SGD and for σ = 0).

# %%
res = pgd.run_pgd(prof)  # trains or loads each model, runs or loads each attack
models = res["models"]
print(f"PGD runs: {time.perf_counter() - t_start:.0f} s so far")
pd.DataFrame(tables.p2_model_rows(models)).drop(columns="key").round(3)

# %% [markdown]
# ## Fig. 1: success rate against ε (40 iterations)
#
# Paper: ε from 0 to 0.5 in steps of 0.025, 40 iterations. Left panels: SGD and σ = 1.3 with growing C;
# right panels: SGD and the other noise levels at C = 1 and C = 10.

# %%
eps_grid = next(iter(models.values()))["eps"]
for arch, title in (("p2_custom", "(a) custom architecture"), ("p2_lenet", "(b) LeNet architecture")):
    p2plot.curve_panels(eps_grid, tables.p2_curve_panels(models, arch, lambda m: m["success_vs_eps"]),
                        xlabel="ε (L∞)", suptitle=f"Fig. 1{title[1:3]} PGD∞, {S.pgd_steps} iterations: {title[4:]}")
    plots.show(profile, f"p2_fig1{title[1]}")

# %% [markdown]
# Each PGD curve of Fig. 1 on its own: choose the architecture, σ and C (the chart redraws the model's success
# rate beside its architecture's SGD model; it works offline, in the static page).

# %%
display(HTML(interactive.setting_view(interactive.p2_pgd_curves(res), view_id="p2-pgd-view",
                                      title=f"PGD∞ success, {S.pgd_steps} iterations", x_title="ε (L∞)",
                                      y_title="success rate (%)")))

# %% [markdown]
# ## Fig. 2: success rate against the number of iterations (ε = 0.3)

# %%
for arch, title in (("p2_custom", "(a) custom architecture"), ("p2_lenet", "(b) LeNet architecture")):
    p2plot.curve_panels(list(S.pgd_iter_grid), tables.p2_curve_panels(models, arch,
                                                                      lambda m: m["success_vs_iterations"]),
                        xlabel="iterations", logx=True,
                        suptitle=f"Fig. 2{title[1:3]} PGD∞ at ε = {S.pgd_iter_eps}: {title[4:]}")
    plots.show(profile, f"p2_fig2{title[1]}")

# %% [markdown]
# ## The numbers
#
# The paper prints Figs. 1 and 2 only as plots, so there is no number to put beside ours; its claims are
# checked in words below. Success rates in %.

# %%
pd.DataFrame(tables.p2_pgd_table(res)).round(1)


# %% [markdown]
# **The paper's claims, against our runs.**
#
# 1. *For every model, success grows with ε* (Fig. 1).
# 2. *Custom CNN: DP models with σ = 1.3 and C = 1 or 3 are as robust or more robust than SGD; larger C is
#    attacked more successfully.*
# 3. *LeNet: SGD is attacked less successfully than every DP model.*
# 4. *Custom CNN with σ = 2 or 3 and C = 10: success plateaus after ~10 iterations below 100%* (Fig. 2).

# %%
pd.DataFrame(tables.p2_pgd_claims(res))


# %% [markdown]
# ### PGD against SGD with 95% intervals over seeds and attack points
#
# Per DP model, its mean PGD success over the ε grid minus its architecture's SGD baseline's, by a bootstrap over
# the headline seeds and then each model's own attack points (unpaired).

# %%
pd.DataFrame(tables.interval_rows(res["intervals"])).set_index("quantity").round(4)

# %% [markdown]
# PGD success at ε = `pgd_iter_eps` after the largest iteration budget, per model, with its Wilson 95% interval: the points of the model's headline seeds pooled (the claims that an
# attack "reaches 100%" read these).

# %%
pd.DataFrame(tables.interval_rows(res["rate_intervals"])).set_index("quantity").round(4)

# %% [markdown]
# ### Trends, plateaus and monotone curves, with 95% intervals
#
# **Trends**: along neighbouring settings of one architecture (C at σ = 1.3; σ at C = 1 and at C = 10), the change
# of the mean PGD success over ε (paper 2: at C = 1 success is similar across σ). **Plateaus** (Figs. 1, 2): per
# model, PGD's success at the largest iteration budget (ε = `pgd_iter_eps`) and at the largest ε, and its gain over
# the upper half of each grid; a plateau is a final success below 100% with no gain. **Largest drop**: the largest
# fall of the success-vs-ε curve between neighbouring ε (0: the curve only rises). Each is a bootstrap over the
# model's headline seeds, then its attack points.

# %%
pd.DataFrame(tables.interval_rows({"trend": res["trend_intervals"], "plateau": res["plateau"],
                                   "largest drop": res["largest_drop"]})).set_index("quantity").round(4)

# %%
save_json(profile, "08_p2_pgd", res | {"seconds": time.perf_counter() - t_start})
print(f"done in {time.perf_counter() - t_start:.0f} s")

# %% [markdown]
# ## What we find
#
# Each claim this chapter's results decide, with the paper's number and ours (with its 95% interval where the
# claim has one) and the verdict; each links to its row of the scorecard.

# %%
display(Markdown(scorecard.findings_markdown(profile, "08_p2_pgd")))

# %% [markdown]
# # Paper 2 · Carlini-Wagner and the Boundary attack (Tables II, III, Fig. 3)
#
# Section IV-B and IV-C of Boenisch et al. (2021): two L2 attacks that return the *smallest* adversarial
# perturbation they find, so one run per model gives the success rate at every L2 bound ε (the share of samples
# fooled within ε, non-decreasing in ε by construction).
#
# - **Carlini-Wagner L2** (CW₂, gradient- and optimisation-based; Foolbox `L2CarliniWagnerAttack`): Adam on
#   ‖x' − x‖² + c · max(Z_y − max_{i≠y} Z_i, −κ) with a binary search on c. Table II reports the L2 size at
#   which its success reaches 100%, i.e. the largest minimal perturbation over the samples (∞ if it failed on
#   one). Paper: 10,000 iterations; Foolbox's defaults for the rest (9 binary-search rounds from c = 0.001, step
#   0.01, κ = 0).
# - **Boundary attack L2** (BA₂, decision-based: it only sees the predicted class; Foolbox `BoundaryAttack`):
#   a random walk along the decision boundary from an adversarial start towards x. Table III reports its
#   success at ε = 1 and ε = 2. Paper: 25,000 iterations.
#
# Both run on the first `cw_samples` / `boundary_samples` of each model's attack points (the same random,
# correctly classified test images as the PGD chapter). The paper's numbers are read from
# `reference/paper2_table2.csv` and `paper2_table3.csv`.

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)

# %%
from dprob_utils.config.overrides import use_profile

profile = use_profile(profile, overrides)

import time

import pandas as pd
from IPython.display import Markdown, display

from dprob_utils.book import plots, scorecard, settings, tables
from dprob_utils.book.plots import paper2 as p2plot
from dprob_utils.book.plots import setup
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments.p2 import cw_boundary

setup()
show_profile(profile)
prof = get_profile(profile)
S = prof.p2_attacks
t_start = time.perf_counter()

# %% [markdown]
# ## Settings: the paper's and ours

# %%
pd.DataFrame([r for t in ["cw_ba"] for r in settings.p2_rows(prof, t)],
             columns=["setting", "paper 2", "ours"])

# %% [markdown]
# ## Carlini-Wagner L2
#
# Our setting: the profile's `cw_steps` Adam steps for each of `cw_binary_search_steps` values of c, starting
# at `cw_initial_const` (listed at the top when they differ from the paper's). With fewer steps CW needs a
# larger starting constant and a larger step to converge, and its perturbations are larger than after 10,000
# steps: the ε of Table II is then an upper bound of the paper's.

# %%
res = cw_boundary.run_cw_boundary(prof)  # trains or loads each model, runs or loads each attack
models = res["models"]
print(f"CW and BA: {time.perf_counter() - t_start:.0f} s so far")
pd.DataFrame(tables.p2_cw_table(res)).pivot_table(index="model", columns="arch", aggfunc="first", sort=False)[
    ["ε for 100% (ours)", "ε for 100% (paper)", "median ε (ours)", "mean ε (ours)", "success (ours, any ε)"]]

# %% [markdown]
# The maximum over samples is an extreme statistic: with 1000 samples it is that of the hardest image, with
# our fewer samples it is lower for the same model, and a CW run with few iterations leaves its largest
# perturbations far from minimal. The median, the mean (over the fooled samples) and the whole curve below
# are more stable. (The paper's values, about 1.2 for SGD, are close to typical *mean* CW₂ distances on MNIST;
# its text defines them as the size at which success reaches 100%, which is what the first column measures.)
#
# ### CW₂ success against the L2 bound

# %%
for arch, title in (("p2_custom", "custom architecture"), ("p2_lenet", "LeNet architecture")):
    p2plot.curve_panels(cw_boundary.CW_CURVE_GRID, tables.p2_curve_panels(models, arch, lambda m: m["cw_curve"]["success"]),
                        xlabel="ε (L2)", suptitle=f"CW₂ success against ε: {title}")
    plots.show(profile, f"p2_cw_{arch[3:]}")

# %% [markdown]
# ## Table III: Boundary attack L2 at ε = 1 and ε = 2

# %%
pd.DataFrame(tables.p2_boundary_table(models, S.boundary_eps))

# %% [markdown]
# With far fewer than 25,000 steps the walk has not shrunk the perturbation as far as the paper's (the
# Boundary attack converges slowly), so our rates at ε = 1, 2 are lower bounds of what the attack reaches;
# the comparison that carries over is between models.

# %%
for arch, title in (("p2_custom", "custom architecture"), ("p2_lenet", "LeNet architecture")):
    p2plot.curve_panels(cw_boundary.BA_CURVE_GRID, tables.p2_curve_panels(models, arch, lambda m: m["ba_curve"]["success"]),
                        xlabel="ε (L2)", suptitle=f"BA₂ success against ε: {title}")
    plots.show(profile, f"p2_table3_ba_{arch[3:]}")

# %% [markdown]
# ### Has the Boundary attack saturated?
#
# The paper ran 25,000 iterations and reports that "for more iterations, no increase in success rates could be
# observed". A few models (each architecture's SGD model, σ = 1.3, C = 1 and σ = 3, C = 10; seed 0) walk on
# to `boundary_more_steps` iterations, on the same points with the same random draws: their ordinary run is the
# walk's state after `boundary_steps`, so the longer run continues it ("points farther" counts where it did not,
# a check that stays 0). The interval is that
# of the increase of success at each ε, averaged over these models (a bootstrap over their points); the claim
# holds when the whole interval lies below 5 points.

# %%
sat = res["boundary_saturation"]
if sat:
    display(pd.DataFrame(tables.p2_saturation_table(sat)))
    display(pd.DataFrame(tables.interval_rows({"increase with more iterations": sat["increase"]}))
            .set_index("quantity").round(4))
else:
    print("no saturation check in this profile (boundary_more_steps is None)")

# %% [markdown]
# ## Fig. 3: adversarial examples
#
# The same test image (the first attack point that every shown model classifies correctly) attacked by CW₂,
# BA₂ and PGD∞ (ε = 0.3) on the custom CNN with SGD and with DP-SGD (σ = 1.3, C = 1; σ = 3, C = 1;
# σ = 3, C = 10, those of the paper's figure that the profile trains). Captions: the L2 (CW, BA) or L∞ (PGD)
# size of the perturbation and the predicted class.

# %%
images, captions, title = cw_boundary.fig3_examples(prof)
p2plot.gallery(images, captions, title=title)
plots.show(profile, "p2_fig3")


# %% [markdown]
# ### Tables II and III against SGD with 95% intervals over seeds and attack points
#
# Per DP model, minus its architecture's SGD baseline: CW₂'s perturbation for 100% success (the largest
# per-point distance, averaged over seeds; ∞ where some point was never fooled) and the Boundary attack's
# success at each ε, by a bootstrap over the headline seeds, then each model's own attack points.

# %%
pd.DataFrame(tables.interval_rows(res["intervals"])).set_index("quantity").round(4)

# %% [markdown]
# Unbounded CW₂ success (fooled at any distance), per model, with its Wilson 95% interval: the points of the model's headline seeds pooled (the claims that an
# attack "reaches 100%" read these).

# %%
pd.DataFrame(tables.interval_rows(res["rate_intervals"])).set_index("quantity").round(4)

# %% [markdown]
# ### Trends across the σ / C grid, with 95% intervals
#
# Along neighbouring settings of one architecture (C at σ = 1.3; σ at C = 1 and at C = 10): the change of CW₂'s
# perturbation for 100% success (the paper: it falls monotonically for LeNet; for the custom CNN at C = 10, σ = 3
# needs more than σ = 2) and of the Boundary attack's success (the paper: it grows with C, and with σ at large C).
# Then the share of DP settings whose CW₂ perturbation is below their SGD baseline's ("the majority of cases"), and
# the custom CNN at σ = 2, 3, C = 10 against every other model of both architectures (the paper: the most
# vulnerable to the Boundary attack).

# %%
pd.DataFrame(tables.interval_rows({"trend": res["trend_intervals"], "share below SGD": res["share_dp_below_sgd"],
                                   "C = 10 most vulnerable": res["c10_most_vulnerable"]})
             ).set_index("quantity").round(4)

# %%
save_json(profile, "09_p2_cw_boundary", res | {"seconds": time.perf_counter() - t_start})
print(f"done in {time.perf_counter() - t_start:.0f} s")

# %% [markdown]
# ## What we find
#
# Each claim this chapter's results decide, with the paper's number and ours (with its 95% interval where the
# claim has one) and the verdict; each links to its row of the scorecard.

# %%
display(Markdown(scorecard.findings_markdown(profile, "09_p2_cw_boundary")))

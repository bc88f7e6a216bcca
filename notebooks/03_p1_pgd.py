# %% [markdown]
# # Paper 1 on MNIST: PGD (section 3.2, Table 1, Fig. 4)
#
# PGD (eq. (4)) starts at the clean image and takes `steps` signed-gradient steps of size α, projecting after each
# step on the L∞ ball of radius ε around the image and on the pixel box [0, 1]. Paper 1 reports:
#
# * **Table 1**: accuracy under PGD for ε ∈ {0.1, 0.2, 0.3} and 30 or 40 steps, SGD against DP-SGD (σ = 1.3,
#   C = 1). For ε = 0.1 and 0.2 the gap exceeds the clean gap of 2.6 points (19.5 and 5.8–8.0 points).
# * **Fig. 4**: the number of PGD iterations needed to reach another class, for ε = 0.1, 0.2, 0.3 and several
#   step sizes α: fewer for DP-SGD. "For the small ε, it might be the case that adversary does not find
#   adversarial class": we count those samples separately.
#
# The paper states neither α of Table 1 nor the α values of Fig. 4. For Table 1 we use Madry et al.'s rule
# α = 2.5 ε / steps (a parameter, `Paper1Attacks.pgd_alpha_rule`), so that the walk can cross the whole ball;
# for Fig. 4 fixed step sizes, listed below.

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)

# %%
from dprob_utils.config.overrides import use_profile

profile = use_profile(profile, overrides)

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from dprob_utils.book import plots, scorecard, settings, tables
from dprob_utils.book.plots import paper1 as p1plots
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments.p1_mnist import common, pgd
from dprob_utils.reference import load_reference

plots.setup()
prof = get_profile(profile)
show_profile(profile)

# %% [markdown]
# ## Settings: the paper's and ours

# %%
a = prof.p1_attacks
display(pd.DataFrame(settings.p1_pgd_rows(prof)).set_index("setting"))

# %%
res = pgd.run_pgd(profile)
save_json(profile, "03_p1_pgd", common.public(res))
display(Markdown(f"{res['test_samples']:,} test images, {res['seconds']:.0f} s on {res['device']}. Clean accuracy: "
                 f"SGD {res['clean']['sgd']:.2f}%, DP-SGD {res['clean']['dpsgd']:.2f}% (gap "
                 f"{res['clean']['gap']:.2f} points; paper 99.14%, 96.53%, gap 2.61)."))

# %% [markdown]
# ## Table 1: accuracy under PGD

# %%
ref = {(r["eps"], int(r["steps"])): r for r in load_reference("paper1_mnist") if r["quantity"] == "pgd_accuracy"}
t1 = pd.DataFrame([{
    "ε": r["eps"], "steps": r["steps"], "α": r["alpha"],
    "SGD (ours)": r["sgd"], "DP-SGD (ours)": r["dpsgd"], "difference (ours)": r["difference"],
    "SGD (paper)": ref.get((r["eps"], r["steps"]), {}).get("sgd"),
    "DP-SGD (paper)": ref.get((r["eps"], r["steps"]), {}).get("dpsgd"),
    "difference (paper)": ref.get((r["eps"], r["steps"]), {}).get("difference"),
    "gap > clean gap (ours)": r["gap_exceeds_clean_gap"],
} for r in res["table1"]]).set_index(["ε", "steps"])
display(t1.style.format({c: "{:.2f}" for c in t1.columns if c not in ("α", "gap > clean gap (ours)")} | {"α": "{:.4f}"},
                        na_rep="–"))

# %% [markdown]
# ## Fig. 4: iterations needed to reach another class
#
# For each ε (rows) and step size α (columns): how many samples are first misclassified after 1, 2, …
# iterations. The legend gives the mean over the fooled samples and the number **never fooled** within the
# budget (not part of the histogram).

# %%
eps_list, alphas = list(a.pgd_eps), list(a.fig4_alphas)
fig, axes = plt.subplots(len(eps_list), len(alphas), figsize=(4.2 * len(alphas), 3.2 * len(eps_list)), squeeze=False)
for i, e in enumerate(eps_list):
    p1plots.pgd_iterations(axes[i], res, e)
plots.show(profile, "p1_fig4")
t4 = pd.DataFrame([{"ε": r["eps"], "α": r["alpha"],
                    "SGD mean iters": r["sgd"]["mean_iterations"], "DP-SGD mean iters": r["dpsgd"]["mean_iterations"],
                    "SGD never fooled": r["sgd"]["never_fooled"], "DP-SGD never fooled": r["dpsgd"]["never_fooled"],
                    "samples": r["samples"]} for r in res["fig4"]]).set_index(["ε", "α"])
display(t4.round(2))

# %% [markdown]
# ## Our numbers against the paper's

# %%
clean_gap = res["clean"]["gap"]
wider = [r for r in res["table1"] if r["gap_exceeds_clean_gap"]]
fewer = [r for r in res["fig4"] if (r["dpsgd"]["mean_iterations"] or 0) < (r["sgd"]["mean_iterations"] or 0)]
display(Markdown("\n".join([
    f"* Table 1: the PGD gap exceeds the clean gap ({clean_gap:.2f} points) in {len(wider)} of "
    f"{len(res['table1'])} cells (paper: at ε = 0.1 and 0.2, i.e. 4 of 6).",
    f"* Fig. 4: DP-SGD needs fewer iterations on average in {len(fewer)} of {len(res['fig4'])} (ε, α) settings "
    f"(paper: fewer for DP-SGD).",
])))

# %% [markdown]
# ### Table 1 with 95% intervals over seeds and test images
#
# SGD − DP-SGD (σ = 1.3, C = 1) accuracy gap under PGD per cell, and that gap minus the clean gap (fractions),
# by a bootstrap paired over the test images and the headline seeds: what the scorecard's Table 1 claims read.

# %%
pd.DataFrame(tables.interval_rows(res["intervals"])).set_index("quantity").round(4)

# %% [markdown]
# ## What we find
#
# Each claim this chapter's results decide, with the paper's number and ours (with its 95% interval where the
# claim has one) and the verdict; each links to its row of the scorecard.

# %%
display(Markdown(scorecard.findings_markdown(profile, "03_p1_pgd")))

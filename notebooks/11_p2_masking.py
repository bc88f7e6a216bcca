# %% [markdown]
# # Paper 2 · DP settings that mask gradients, and a masking check for every model (Tables IV, V, Figs. 7-10)
#
# Section VI of Boenisch et al. (2021): some DP-SGD settings (custom CNN, σ = 2 with a large clipping bound C
# and few epochs) give models whose apparent robustness to PGD comes from masked gradients. The paper trains
# three such models (Table IV: m1 σ = 2, C = 5, 50 epochs; m2 C = 6, 40 epochs; m3 C = 7, 20 epochs) and
# checks them against the criteria of its section II-G: PGD against ε and iterations plateaus (Fig. 7), the
# gradient-free Boundary attack beats PGD (Table V), CW₂ examples transfer among them (Fig. 8), CW₂ still reaches
# 100% (Table IV), and most of their gradients are zero while the rest are huge (Figs. 9, 10). The baselines
# are the SGD models: bs1 (custom CNN) and bs2 (LeNet).
#
# Beyond the paper, the last part runs **the seven-criteria gradient-masking check** (`dprob_utils.analysis.masking`)
# on every model of the chapter, with AutoAttack beside it as the standard reliable evaluation.

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

from dprob_utils.analysis.masking import STATEMENTS
from dprob_utils.book import plots, scorecard, settings, tables
from dprob_utils.book.plots import paper2 as p2plot
from dprob_utils.book.plots import setup
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments.p2 import masking, transfer_gradients
from dprob_utils.experiments.p2 import models as p2_models

setup()
show_profile(profile)
prof = get_profile(profile)
S = prof.p2_attacks
t_start = time.perf_counter()
res = masking.run_masking(prof)  # trains or loads each model, runs or loads each attack and the masking check
models = res["models"]
name = {k: t["name"] for k, t in res["table4"].items()}
label = {k: tables.p2_masked_label(models[k], n) for k, n in name.items()}
print(f"masked models, baselines and the masking check: {time.perf_counter() - t_start:.0f} s")
pd.DataFrame([models[k] | {"name": n} for k, n in name.items()]
             )[["name", "label", "arch", "epochs", "accuracy", "epsilon", "n_points"]].round(3)

# %% [markdown]
# ## Settings: the paper's and ours

# %%
pd.DataFrame([r for t in ["masking"] for r in settings.p2_rows(prof, t)],
             columns=["setting", "paper 2", "ours"])


# %% [markdown]
# ## Table IV: CW₂ perturbation for 100% success
#
# Paper: 20,000 CW iterations for the masked models (the baselines' values equal those of Table II, 10,000
# iterations). Ours: `cw_masked_steps` for m1-m3 and `cw_steps` (the Table II runs) for the baselines.

# %%
pd.DataFrame(tables.p2_table4(res))

# %% [markdown]
# The paper notes that several CW₂ examples of m3 are entirely black. One likely mechanism: Foolbox's CW
# returns an all-zero image for every sample on which it never found an adversarial example, and a black image
# may well be classified as another digit. We treat such samples as failures (∞), and count the returned
# images that are (almost) black.
#
# ## Table V: Boundary attack success at ε = 1 and 2

# %%
pd.DataFrame(tables.p2_boundary_table(res["table5"], S.boundary_eps, paper="paper",
                                      lead=lambda t: {"model": t["name"], "parameters": t["label"]}))

# %% [markdown]
# ## Fig. 7: PGD∞ against ε and iterations (and BA₂ against ε) on the masked models

# %%
fig7, ba = res["fig7"], res["table5"]
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
p2plot.success_curves(axes[0], next(iter(fig7.values()))["eps"],
                      {label[k]: c["success_vs_eps"] for k, c in fig7.items()},
                      xlabel="ε (L∞)", title=f"(a) PGD∞, {S.pgd_steps} iterations")
p2plot.success_curves(axes[1], list(S.pgd_iter_grid), {label[k]: c["success_vs_iterations"] for k, c in fig7.items()},
                      xlabel="iterations", title=f"(b) PGD∞, ε = {S.pgd_iter_eps}", logx=True)
p2plot.success_curves(axes[2], next(iter(ba.values()))["ba_curve"]["eps"],
                      {label[k]: t["ba_curve"]["success"] for k, t in ba.items()},
                      xlabel="ε (L2)", title="BA₂ (decision-based)")
fig.suptitle("Fig. 7: masked models and baselines")
plots.show(profile, "p2_fig7")

# %% [markdown]
# ## Fig. 8: CW₂ transfer between baselines and masked models

# %%
mat8 = res["fig8_cw_transfer"]
fig, ax = plt.subplots(figsize=(5.5, 4.6))
p2plot.transfer_heatmap(ax, mat8["rate"], mat8["rows"], mat8["cols"], "Fig. 8: CW₂ transfer (success %)")
plots.show(profile, "p2_fig8")

# %% [markdown]
# ## Figs. 9 and 10: zero gradients and gradient values of the masked models
#
# The same gradient as in the previous chapter: of the summed cross-entropy over the test batch with respect
# to each layer's parameters.

# %%
zero = {label[k]: z for k, z in res["fig9_zero_gradient_pct"].items()}
fig, ax = plt.subplots(figsize=(8, 3.6))
p2plot.zero_gradient_bars(ax, zero, title="Fig. 9: zero gradients per layer")
plots.show(profile, "p2_fig9")
p2plot.gradient_histograms(transfer_gradients.dense_gradients_by_label(prof, p2_models.masking_table_models(prof), lambda m: label[m.key]),
                           title="Fig. 10: ∂L/∂W at the first dense layer")
plots.show(profile, "p2_fig10")
display(pd.DataFrame(zero).T.round(1))

# %% [markdown]
# ## The gradient-masking check on every model
#
# `dprob_utils.analysis.masking` turns the seven properties of paper 2's section II-G into measurements (ε = 0.3 L∞ for
# the PGD-based criteria, the Boundary attack's ε = 1, 2 in L2):
#
# | no. | property | measured as (paper 2's way first; the variant rows beside it) |
# |---|---|---|
# | 1 | iterative beats one-step | PGD success ≥ FGSM success at ε |
# | 2 | white-box beats black-box | PGD success at ε ≥ BA₂ success within ε₂ = 1 and 2, on the Boundary attack's points (the paper's Table V beside Fig. 7); variant **2 (Square)**: PGD ≥ the Square attack (score-based black box, same L∞ ball) |
# | 3 | gradient-based beats gradient-free | the same comparison as 2 (the paper reads both from Table V); variant **3 (CW vs BA)**: CW₂ ≥ BA₂ at ε₂ = 1 and 2 |
# | 4 | unbounded attacks reach 100% | CW₂ success at any distance ≥ `masking_full_success` |
# | 5 | more iterations raise success | no drop, no plateau below 100% over the second half of the iterations |
# | 6 | larger bounds raise success | no drop, no plateau below 100% over the upper half of the ε range |
# | 7 | white-box beats transfer | PGD success ≥ success of the CW₂ examples of the other models of its group (Fig. 4a's models of its architecture; Fig. 8's masked models; paper 1's models), pooled; variant **7 (PGD substitute)**: PGD examples from an SGD model of the same architecture with another seed |
#
# Every comparison is decided from a 95% interval (Newcombe's for a difference of two rates, Wilson's for one
# rate): **✓** holds (the interval lies above −`masking_tolerance`), **✗** violated (wholly on the violating side:
# the white-box attack significantly worse, the unbounded attack significantly below 100%, a significant drop, or a
# plateau significantly below 100%), **?** inconclusive. Masking is suspected when a criterion, measured the
# paper's way, is violated; the variants are reported beside it. FGSM, Square and AutoAttack run on the first
# `masking_samples` attack points; AutoAttack (APGD-CE, APGD-T, FAB-T, Square; torchattacks) is the standard
# reliable evaluation: when it beats PGD by far, PGD underestimates the threat. A user runs the same check on any
# model with `dprob_utils.analysis.masking.check_gradient_masking(model, x, y, settings, substitute=...)`.
#
# **Beyond both papers: paper 2's critique applied to paper 1.** Paper 1's Fig. 7 reads a higher FGSM accuracy at
# large clipping bounds as "differential privacy helps improving robustness". The rows `paper 1 …` run the whole
# check on paper 1's MNIST CNN: SGD and DP-SGD (σ = 1.3) at the large bounds C of the profile's Fig. 7 grid (first
# seed); criterion 7's group is these models, its substitute paper 1's SGD model with the next seed.

# %%
display(Markdown("Criteria: " + "; ".join(f"**{k}** {v}" for k, v in STATEMENTS.items())))
pd.DataFrame(tables.p2_masking_rows(res))

# %% [markdown]
# The numbers behind every verdict:

# %%
with pd.option_context("display.max_colwidth", 120, "display.max_rows", 200):
    display(pd.DataFrame(tables.p2_masking_detail(res)))


# %% [markdown]
# ### Table V against SGD with 95% intervals
#
# Each masked model's Boundary-attack success minus the SGD custom CNN's, by a bootstrap over the baseline's
# headline seeds (the masked models have one) and then each model's own attack points.

# %%
pd.DataFrame(tables.interval_rows(res["intervals"])).set_index("quantity").round(4)

# %% [markdown]
# ### Tables IV, V and Figs. 7, 8 the paper's way, with 95% intervals
#
# Per masked model (one seed): CW₂'s perturbation for 100% success minus the SGD custom CNN's (Table IV), CW₂'s
# success at any distance (Wilson; criterion 4) and the clean test accuracy (Wilson); the Boundary attack's
# success within L2 ε = 1 and 2 minus PGD∞'s at ε = 0.3 after the largest iteration budget, on the same points
# (Table V beside Fig. 7: criteria 2 and 3 as the paper reads them); Fig. 7's plateaus (as in chapter 08); and
# CW₂ transfer among the masked models minus among Fig. 4a's models (Fig. 8: criterion 7 the paper's way).

# %%
pd.DataFrame(tables.interval_rows({k: res[k] for k in ("table4_intervals", "table4_rates", "clean_accuracy",
                                                        "ba_minus_pgd", "plateau")}
                                  | {"fig8 minus fig4a": {"CW₂ transfer": res["fig8_masked_minus_fig4a"]}
                                     if res["fig8_masked_minus_fig4a"] else {}})).set_index("quantity").round(4)

# %%
save_json(profile, "11_p2_masking", res | {"seconds": time.perf_counter() - t_start})
print(f"done in {time.perf_counter() - t_start:.0f} s")

# %% [markdown]
# ## What we find
#
# Each claim this chapter's results decide, with the paper's number and ours (with its 95% interval where the
# claim has one) and the verdict; each links to its row of the scorecard.

# %%
display(Markdown(scorecard.findings_markdown(profile, "11_p2_masking")))

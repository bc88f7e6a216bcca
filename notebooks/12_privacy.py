# %% [markdown]
# # What the privacy buys: an audited ε and membership inference beside robustness
#
# Both papers weigh the robustness that DP-SGD costs against the privacy it buys, but privacy appears in them only
# as the accountant's ε: an *upper* bound, proved for the algorithm and true for the code only if the code is the
# algorithm. This chapter, beyond both papers, measures the privacy from the outside.
#
# * **A one-run audit** (Steinke, Nasr, Jagielski, *Privacy Auditing with One (1) Training Run*, NeurIPS 2023).
#   Each main setting (paper 1's SGD and DP-SGD σ = 1.3, C = 1; paper 2's custom CNN with SGD and at a small and
#   a large C) is trained once more, with its very settings, on its training set plus the members among `m`
#   canaries: mislabelled MNIST test images, each put in with probability 1/2. The auditor scores each canary by
#   minus its loss, guesses "in" for the `k` highest and "out" for the `k` lowest, and turns the number of right
#   guesses into a 95% **lower** bound on ε (the paper's Theorem 3.3 with its δ term, `dprob_utils.dp.audit`).
#   An audited ε above the accountant's would prove the implementation wrong; the tests train a DP-SGD that
#   clips but forgets its noise and check that the audit catches it.
# * **Membership inference** on every model of the book, by a loss threshold: its training images against as many
#   test images, as the AUC and the true-positive rate at 0.1% and 1% false positives (Carlini et al. 2022), each
#   with a 95% bootstrap interval over the points; on the audit models also the canaries themselves.
#
# Not done yet: the calibrated attack with reference models (LiRA offline), which needs further trainings.

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)

# %%
from dprob_utils.config.overrides import use_profile

profile = use_profile(profile, overrides)

import pandas as pd
from IPython.display import Markdown, display

from dprob_utils.book import plots, scorecard
from dprob_utils.book.plots import privacy as pplots
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments import privacy

plots.setup()
prof = get_profile(profile)
show_profile(profile)

# %% [markdown]
# ## Settings
#
# Neither paper audits; the settings below are ours, the same in every profile except for the numbers of canaries,
# guesses and points. The audited models repeat the training chapter's settings exactly (learning rate, batch,
# epochs, data, seed) with the canaries added, so they cost one more training each.

# %%
p = prof.privacy
display(pd.DataFrame([
    {"setting": "canaries m (each in with probability 1/2)", "value": p.canaries},
    {"setting": "guesses each way k", "value": p.guesses},
    {"setting": "confidence of the audited ε", "value": p.confidence},
    {"setting": "δ", "value": prof.delta},
    {"setting": "membership inference: members and non-members per model", "value": p.mia_points},
    {"setting": "FGSM ε of the robustness column", "value": p.fgsm_eps},
]).set_index("setting"))

# %%
res = privacy.run_privacy(prof)
save_json(profile, "12_privacy", res)

# %% [markdown]
# ## The audit: the accountant's ε against the audited lower bound

# %%
rows = []
for name, a in res["audits"].items():
    rows.append({"setting": name, "model": a["label"], "accountant ε": a["epsilon_accountant"],
                 "audited ε (95% lower bound)": round(a["epsilon_lb"], 3),
                 "right guesses": f"{a['correct']}/{a['guesses']}", "canaries in": a["canaries_in"],
                 "canary MIA AUC": round(a["canary_mia"]["auc"]["estimate"], 3),
                 "clean accuracy %": round(100 * a["accuracy"], 2), "training s": round(a["seconds"], 1)})
display(pd.DataFrame(rows).set_index("setting"))
pplots.audit_bars(res["audits"])
plots.show(profile, "privacy_audit")

# %% [markdown]
# ## Membership inference on every model, beside its robustness

# %%
table = pd.DataFrame([{"model": f"{m['arch']} {m['label']} (seed {m['seed']})", "ε": m["epsilon"],
                       "clean %": round(100 * m["accuracy"], 2), f"FGSM ε={p.fgsm_eps:g} %": round(100 * m["fgsm_accuracy"], 1),
                       "AUC": round(m["auc"]["estimate"], 3),
                       "AUC 95%": f"[{m['auc']['low']:.3f}, {m['auc']['high']:.3f}]",
                       "TPR @ 1% FPR": round(m["tpr_at_0.01"]["estimate"], 3),
                       "TPR @ 0.1% FPR": round(m["tpr_at_0.001"]["estimate"], 3)}
                      for m in res["models"].values()]).set_index("model")
display(table)
pplots.leakage_vs_robustness(res["models"])
plots.show(profile, "privacy_leakage_vs_robustness")

# %%
iv = res["intervals"]
mia_gap, canary_gap = iv["p1_mia_auc_sgd_minus_dp"], iv["p1_canary_auc_sgd_minus_dp"]
display(Markdown(
    f"Paper 1's pair (SGD vs DP-SGD σ = 1.3, C = 1, {mia_gap['n_seeds']} seeds): membership-inference AUC of SGD "
    f"minus DP-SGD on natural images **{mia_gap['estimate']:.3f}** [{mia_gap['low']:.3f}, {mia_gap['high']:.3f}]; "
    f"on the canaries of the audit models **{canary_gap['estimate']:.3f}** "
    f"[{canary_gap['low']:.3f}, {canary_gap['high']:.3f}]. A loss threshold on well-generalising MNIST models is "
    "weak (AUCs near 0.5); mislabelled canaries, which a model can only fit by memorising them, leak more."))

# %% [markdown]
# ## Findings
#
# Each claim of this chapter, our number with its interval and the verdict; each links to its row of the scorecard.

# %%
display(Markdown(scorecard.findings_markdown(profile, "12_privacy")))

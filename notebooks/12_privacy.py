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
# * **Membership inference** on every MNIST model of the book (the CIFAR-10 heads get both attacks in chapter 07,
#   where they are trained): its training images against as many test images, as the
#   AUC and the true-positive rate at 0.1% and 1% false positives, each with a 95% bootstrap interval over the
#   points; on the audit models also the canaries themselves. Two attacks on the same points: a **loss
#   threshold** (Yeom et al. 2018) and **LiRA offline** (Carlini et al. 2022, *Membership Inference Attacks From
#   First Principles*): a few reference models, trained like the target on its training set *without* the
#   candidates, tell per image how confident a model is on it when it has not seen it; the attack scores how far
#   the target's confidence (log-odds of the true class) lies above that, with one variance pooled over the
#   images (the paper's choice for few reference models).
#   `lira` is the paper's way, references trained like the target (same mode, σ, C, lr, batch, epochs), for the
#   audited settings and every seed of them; `lira_sgd_refs` (ours) calibrates every model of the book by its
#   architecture's SGD references, an attacker who does not know σ and C.

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
# guesses, points and reference models. The audited models repeat the training chapter's settings exactly
# (learning rate, batch, epochs, data, seed) with the canaries added, so they cost one more training each; each
# reference model is one more training too (seed 1000 + k, without the member candidates).

# %%
p = prof.privacy
display(pd.DataFrame([
    {"setting": "canaries m (each in with probability 1/2)", "value": p.canaries},
    {"setting": "guesses each way k", "value": p.guesses},
    {"setting": "confidence of the audited ε", "value": p.confidence},
    {"setting": "δ", "value": prof.delta},
    {"setting": "membership inference: members and non-members per model", "value": p.mia_points},
    {"setting": "FGSM ε of the robustness column", "value": p.fgsm_eps},
    {"setting": "LiRA reference models per setting", "value": p.references},
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
# ## The two attacks on the audited settings
#
# Each audited setting's model of the training chapter (seed 0) on natural images, and its audit model on the
# canaries; the loss threshold beside LiRA offline with references trained like it.

# %%
cmp_rows, cmp_table = [], []
for name, a in res["audits"].items():
    m = res["models"].get(a["config"])
    lira = None if m is None else m["lira"]
    cmp_rows.append({"setting": name, "loss": None if m is None else m["auc"],
                     "lira": None if lira is None else lira["auc"],
                     "canary loss": a["canary_mia"]["auc"], "canary LiRA": a["canary_lira"]["auc"]})

    def cell(d, key="auc"):
        return "—" if d is None else f"{d[key]['estimate']:.3f} [{d[key]['low']:.3f}, {d[key]['high']:.3f}]"

    cmp_table.append({"setting": name, "model": a["label"],
                      "loss AUC": cell(m), "LiRA AUC": cell(lira),
                      "loss TPR @ 1% FPR": cell(m, "tpr_at_0.01"), "LiRA TPR @ 1% FPR": cell(lira, "tpr_at_0.01"),
                      "canaries: loss AUC": cell(a["canary_mia"]), "canaries: LiRA AUC": cell(a["canary_lira"]),
                      "canaries: LiRA TPR @ 1% FPR": cell(a["canary_lira"], "tpr_at_0.01")})
display(pd.DataFrame(cmp_table).set_index("setting"))
pplots.attacks_compared(cmp_rows)
plots.show(profile, "privacy_attacks_compared")

# %% [markdown]
# What the extra trainings cost (training seconds on this machine, summed; the audits and the reference models
# train side by side before the chapter reads them):

# %%
cost = [{"setting": name, "trainings": 1, "what": "audit (with canaries)", "seconds": round(a["seconds"], 1)}
        for name, a in res["audits"].items()]
cost += [{"setting": name, "trainings": r["trainings"], "what": f"LiRA references ({r['train_size']} images each, "
          f"clean accuracy {100 * r['accuracy']:.1f}%)", "seconds": round(r["seconds"], 1)}
         for name, r in res["references"].items()]
cost_df = pd.DataFrame(cost)
display(cost_df.set_index(["setting", "what"]))
display(Markdown(f"In all **{int(cost_df['trainings'].sum())} extra trainings, {cost_df['seconds'].sum():.0f} s** "
                 "of training time."))

# %% [markdown]
# ## Membership inference on every model, beside its robustness

# %%
table = pd.DataFrame([{"model": f"{m['arch']} {m['label']} (seed {m['seed']})", "ε": m["epsilon"],
                       "clean %": round(100 * m["accuracy"], 2), f"FGSM ε={p.fgsm_eps:g} %": round(100 * m["fgsm_accuracy"], 1),
                       "AUC": round(m["auc"]["estimate"], 3),
                       "AUC 95%": f"[{m['auc']['low']:.3f}, {m['auc']['high']:.3f}]",
                       "TPR @ 1% FPR": round(m["tpr_at_0.01"]["estimate"], 3),
                       "TPR @ 0.1% FPR": round(m["tpr_at_0.001"]["estimate"], 3),
                       "LiRA (SGD refs) AUC": round(m["lira_sgd_refs"]["auc"]["estimate"], 3),
                       "LiRA (SGD refs) 95%": f"[{m['lira_sgd_refs']['auc']['low']:.3f}, "
                                               f"{m['lira_sgd_refs']['auc']['high']:.3f}]",
                       "LiRA (SGD refs) TPR @ 1% FPR": round(m["lira_sgd_refs"]["tpr_at_0.01"]["estimate"], 3),
                       "LiRA (own refs) AUC": None if m["lira"] is None else round(m["lira"]["auc"]["estimate"], 3)}
                      for m in res["models"].values()]).set_index("model")
display(table)
pplots.leakage_vs_robustness(res["models"])
plots.show(profile, "privacy_leakage_vs_robustness")

# %%
iv = res["intervals"]


def gap(name):
    g = iv[name]
    return f"**{g['estimate']:.3f}** [{g['low']:.3f}, {g['high']:.3f}]"


display(Markdown(
    f"Paper 1's pair (SGD vs DP-SGD σ = 1.3, C = 1, {iv['p1_mia_auc_sgd_minus_dp']['n_seeds']} seeds), SGD minus "
    f"DP-SGD: the loss threshold's AUC on natural images {gap('p1_mia_auc_sgd_minus_dp')}, LiRA's "
    f"{gap('p1_lira_auc_sgd_minus_dp')}, LiRA's TPR at 1% FPR {gap('p1_lira_tpr_at_0.01_sgd_minus_dp')}; on the "
    f"canaries of the audit models, loss {gap('p1_canary_auc_sgd_minus_dp')} and LiRA "
    f"{gap('p1_canary_lira_auc_sgd_minus_dp')}. A loss threshold on well-generalising MNIST models is weak (AUCs "
    "near 0.5); calibrating each image by reference models removes its difficulty, and mislabelled canaries, which "
    "a model can only fit by memorising them, leak more."))

# %% [markdown]
# ## Findings
#
# Each claim of this chapter, our number with its interval and the verdict; each links to its row of the scorecard.

# %%
display(Markdown(scorecard.findings_markdown(profile, "12_privacy")))

# %% [markdown]
# # Replication scorecard
#
# One row for every quantitative claim of both papers: the finding in words, where the paper makes it, the
# paper's value, ours for the profile this book was built with, and a verdict decided by the rule written next
# to the claim:
#
# * **interval rules** (the claim names an effect and the paper's side of a threshold): **reproduced** when the
#   whole 95% interval of our effect lies on the paper's side, **contradicted** when it lies wholly on the other
#   side, **inconclusive** when it straddles the threshold; where the paper gives a number, whether it lies
#   inside our interval;
# * **point rules** (claims not yet given an interval): **reproduced** / **not reproduced** as the rule holds
#   or fails on our point estimates, **inconclusive** when the claim's own "inconclusive if" holds;
# * **not run**: our results lack the value (the chapter did not run, or this profile skips that setting).
#
# The claims, the papers' values and the rules live in one data file, `dprob_utils/reference/claims.yaml`;
# our values are read from `results/<profile>/`. Nothing on this page is typed by hand.

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)

# %%
from dprob_utils.config.overrides import use_profile

profile = use_profile(profile, overrides)

import pandas as pd
from IPython.display import Markdown, display

from dprob_utils.book import plots, scorecard
from dprob_utils.book.plots import scorecard as score_plots
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json
from dprob_utils.chapters import chapter

show_profile(profile)
res = scorecard.run_scorecard(profile)
counts = res["summary"]
display(Markdown(scorecard.summary_line(counts) + f" (profile `{profile}`)."))

# %%
table = pd.DataFrame(res["claims"])
# the chapter that measures each claim, by its title in the chapter registry
table["chapter"] = table.id.map({c["id"]: chapter(scorecard.claim_chapter(c)).title for c in scorecard.load_claims()})
colors = {"reproduced": "background-color: #d4edda", "not reproduced": "background-color: #f8d7da",
          "contradicted": "background-color: #f5c6cb", "inconclusive": "background-color: #fff3cd",
          "not run": "background-color: #e2e3e5"}
for paper in (1, 2):
    display(Markdown(f"## Paper {paper}"))
    sub = table[table.paper == paper][["id", "chapter", "where", "claim", "paper_value", "ours", "n_seeds", "n_points",
                                       "paper_inside", "rule", "verdict", "reason", "erratum"]]
    # each id carries an anchor: the chapters' "What we find" lines link to their rows
    display(sub.style.map(lambda v: colors.get(v, ""), subset=["verdict"]).hide(axis="index")
            .format({"id": lambda v: f'<span id="{v}">{v}</span>'}))

# %% [markdown]
# ## The papers' own slips
#
# Where a printed number contradicts the paper's other numbers, the reference data keeps it as printed and adds an
# erratum; the claim's paper estimate (and whether it lies in our interval) uses the corrected value.

# %%
slips = table[table.erratum != ""][["id", "where", "paper_value", "erratum"]]
display(slips.style.hide(axis="index"))

# %% [markdown]
# ## The interval claims at a glance
#
# Each line: our effect with its 95% interval (green reproduced, red contradicted, amber inconclusive), the
# paper's number as a cross where it gives one, the claim's threshold as a grey bar where it is not 0 (a magnitude
# claim's band as a grey span), 0 dotted.

# %%
claims = {c["id"]: c for c in scorecard.load_claims()}
for paper in (1, 2):
    fig = score_plots.forest([r for r in res["claims"] if r["paper"] == paper], claims, title=f"Paper {paper}")
    if fig is not None:
        plots.show(profile, f"scorecard_paper{paper}")

# %% [markdown]
# ## How far float rounding moves the verdicts
#
# The same experiments built twice from nothing, once with every training and chapter on one thread and once on
# two threads, round their sums differently: most models then differ in their last digits of test accuracy, and a
# partly diverged one by several points. A verdict whose interval ends near its threshold can then move to or
# from *inconclusive*; a move between *reproduced* and *contradicted* would mean the verdict is noise.
# `benchmarks/README.md` records such builds, claim by claim; `dprob compare A B` lists every number and verdict
# that differs between two results folders, with the moves between verdicts counted.

# %%
save_json(profile, "99_scorecard", res)

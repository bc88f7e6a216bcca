# %% [markdown]
# # Replication scorecard
#
# One row for every quantitative claim of both papers: the finding in words, where the paper makes it, the
# paper's value, ours for the profile this book was built with, and a verdict decided by the rule written next
# to the claim:
#
# * **reproduced**: the rule holds in our results;
# * **not reproduced**: the rule fails in our results;
# * **inconclusive**: our results lack the value (the chapter did not run, or this profile skips that setting),
#   or the claim's own "inconclusive if" condition holds (e.g. a difference smaller than the sampling noise).
#
# The claims, the papers' values and the rules live in one data file, `dprob_utils/reference/claims.yaml`;
# our values are read from `results/<profile>/`. Nothing on this page is typed by hand.

# %% tags=["parameters"]
profile = "quick"

# %%
import pandas as pd
from IPython.display import Markdown, display

from dprob_utils.book import scorecard
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json

show_profile(profile)
res = scorecard.run_scorecard(profile)
counts = res["summary"]
display(Markdown(
    f"**{counts['total']} claims**: {counts['reproduced']} reproduced, {counts['not reproduced']} not "
    f"reproduced, {counts['inconclusive']} inconclusive (profile `{profile}`)."))

# %%
table = pd.DataFrame(res["claims"])
colors = {"reproduced": "background-color: #d4edda", "not reproduced": "background-color: #f8d7da",
          "inconclusive": "background-color: #fff3cd"}
for paper in (1, 2):
    display(Markdown(f"## Paper {paper}"))
    sub = table[table.paper == paper][["id", "where", "claim", "paper_value", "ours", "rule", "verdict", "reason"]]
    display(sub.style.map(lambda v: colors.get(v, ""), subset=["verdict"]).hide(axis="index"))

# %%
save_json(profile, "99_scorecard", res)

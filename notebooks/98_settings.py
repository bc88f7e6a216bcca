# %% [markdown]
# # Settings of this build
#
# Every chapter names the profile it ran with and shows its own settings beside the paper's. This page holds
# the rest: why the profile differs from the papers' settings (its notes), and every setting of every
# experiment, the papers' value beside ours. The `paper` profile is the papers' exact settings (for a GPU);
# `quick` scales the same experiments down for a 2-core CPU; `smoke` is for the tests.

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)

# %%
from dprob_utils.config.overrides import use_profile

profile = use_profile(profile, overrides)

from IPython.display import Markdown, display

from dprob_utils.book.report import profile_markdown, settings_frame

display(Markdown(profile_markdown(profile)))

# %% [markdown]
# ## Every setting, the papers' value beside ours

# %%
frame = settings_frame(profile)
frame.style.apply(lambda row: ["font-weight: bold" if row["differs"] else "" for _ in row], axis=1)

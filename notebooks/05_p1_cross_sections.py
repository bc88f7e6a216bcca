# %% [markdown]
# # Paper 1 on MNIST: cross-sections of the decision boundary (Fig. 1)
#
# Fig. 1 of paper 1 shows, for one MNIST test image, the classes that the SGD and the DP-SGD model predict on a
# plane through the image: spanned by the normal to the decision boundary (y-axis) and a random orthogonal
# direction (x-axis); the correct class in green, the others in red, the image at the centre. The paper reads
# from it that DP-SGD's boundary is closer to the image and "looks more curved" (section 3.4).
#
# Our normal is the direction of eq. (5): the unit vector `(∇f_k − ∇f_t) / ‖·‖₂` towards the closest linearised
# boundary, computed for each model at the image. The random direction is one Gaussian draw (seeded) per image,
# shared by both models and orthogonalised against each model's normal. The axes are L2 distances in pixel space
# ([0, 1] pixels); points of the plane outside the pixel box are evaluated too, as in the usual cross-section
# plots. Each wrong class has its own warm shade, so that different wrong classes stay distinguishable.

# %% tags=["parameters"]
profile = "quick"
overrides = None  # settings on top of the profile: {"key": value} or a YAML file (as dprob --set)
samples = None  # positions among the test images both models classify correctly; None: the profile's list
seed = None  # seed of the random direction; None: the profile's seed

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
from dprob_utils.experiments.p1_mnist import common, cross_sections

plots.setup()
prof = get_profile(profile)
show_profile(profile)

# %%
display(pd.DataFrame(settings.p1_cross_section_rows(prof, samples)).set_index("setting"))

# %%
res = cross_sections.run_cross_sections(profile, samples=None if samples is None else tuple(samples), seed=seed)
n = len(res["samples"])
fig, axes = plt.subplots(n, 2, figsize=(8, 3.8 * n), squeeze=False)
for i, row in enumerate(res["samples"]):
    for j, name in enumerate(("sgd", "dpsgd")):
        r = row[name]
        title = (f"{'SGD' if name == 'sgd' else 'DP-SGD'}: test image {row['test_index']} (class {row['label']}), "
                 f"{r['fraction_correct']:.0f}% correct")
        p1plots.cross_section(axes[i, j], r["_section"], title)
plots.show(profile, "p1_fig1")

# %%
table = pd.DataFrame([{"test image": row["test_index"], "class": row["label"],
                       "SGD: % of plane correct": row["sgd"]["fraction_correct"],
                       "DP-SGD: % of plane correct": row["dpsgd"]["fraction_correct"],
                       "SGD: boundary along normal": row["sgd"]["distance_along_normal"],
                       "DP-SGD: boundary along normal": row["dpsgd"]["distance_along_normal"]} for row in res["samples"]])
display(table.set_index("test image").round(3))
save_json(profile, "05_p1_cross_sections", common.public(res))
display(Markdown(f"Mean share of the plotted square in the correct class: SGD "
                 f"{res['mean_fraction_correct']['sgd']:.1f}%, DP-SGD {res['mean_fraction_correct']['dpsgd']:.1f}%. "
                 f"The boundary along the normal is the first grid point of another class (grid step "
                 f"{2 * res['span'] / (res['resolution'] - 1):.3f})."))

# %% [markdown]
# The figure shows a few images; the claim needs a number. For the first
# `cross_section_distance_samples` test images that both models of a training seed classify correctly, we
# measure the same distance, along each model's own normal on the same grid step, and compare the means of SGD
# and DP-SGD (σ = 1.3, C = 1) over the headline seeds. An image whose class never changes within the span counts
# as span + one step.
#
# The paper also says DP-SGD's boundary "looks more curved". As a number (`bend_dp_minus_sgd`): shift each image
# sideways in its cross-section's plane (along the figure's random x-axis) by its own distance to the boundary, on
# both sides, and measure the distance along the same normal again; the mean relative change,
# |b± − b₀| / b₀, is 0 for a flat boundary and grows with its bending. DP-SGD's mean minus SGD's, same images and
# seeds.

# %%
iv = res["intervals"]["normal_distance_sgd_minus_dp"]
display(pd.DataFrame(tables.interval_rows(res["intervals"])).set_index("quantity").round(3))
display(Markdown(f"SGD − DP-SGD mean distance to the boundary along the normal: {iv['estimate']:.3f} "
                 f"[{iv['low']:.3f}, {iv['high']:.3f}] (L2; {iv['n_seeds']} seeds, {iv['n_points']} images each). "
                 + ("The whole interval is above 0: the boundary is closer for DP-SGD, as Fig. 1 shows."
                    if iv["low"] > 0 else "The interval reaches 0 or below: on this measure DP-SGD's boundary is "
                    "not shown to be closer.")))

# %% [markdown]
# ## What we find
#
# Each claim this chapter's results decide, with the paper's number and ours (with its 95% interval where the
# claim has one) and the verdict; each links to its row of the scorecard.

# %%
display(Markdown(scorecard.findings_markdown(profile, "05_p1_cross_sections")))

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

# %%
import math
import time

import matplotlib.pyplot as plt
import pandas as pd
import torch
from IPython.display import display

from dprob_utils.book.plots import paper2 as p2plot
from dprob_utils.book.plots import setup
from dprob_utils.book.report import show_profile
from dprob_utils.book.results import save_json
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments import p2

setup()
show_profile(profile)
prof = get_profile(profile)
S = prof.p2_attacks
t_start = time.perf_counter()
models = {arch: p2.chapter_models(prof, (arch,)) for arch in ("p2_lenet", "p2_custom")}
all_models = [m for ms in models.values() for m in ms]

# %% [markdown]
# ## Settings: the paper's and ours

# %%
pd.DataFrame([r for t in ["cw_ba"] for r in p2.settings_rows(prof, t)],
             columns=["setting", "paper 2", "ours"])

# %% [markdown]
# ## Carlini-Wagner L2
#
# Our setting: the profile's `cw_steps` Adam steps for each of `cw_binary_search_steps` values of c, starting
# at `cw_initial_const` (listed at the top when they differ from the paper's). With fewer steps CW needs a
# larger starting constant and a larger step to converge, and its perturbations are larger than after 10,000
# steps: the ε of Table II is then an upper bound of the paper's.

# %%
cw = {m.key: p2.cw(m, prof) for m in all_models}
print(f"CW: {time.perf_counter() - t_start:.0f} s so far")


# %%
def fmt(v):
    return "∞ (not reached)" if v is None or not math.isfinite(v) else f"{v:.2f}"

rows = []
for m in all_models:
    r = cw[m.key]
    d = r.dist[torch.isfinite(r.dist)]
    rows.append({"arch": m.arch, "model": m.label,
                 "ε for 100% (ours)": fmt(r.eps_for_full_success()),
                 "ε for 100% (paper)": fmt(p2.reference_value("paper2_table2", "cw_eps_full_success", m)),
                 "median ε (ours)": f"{float(d.median()):.2f}" if len(d) else "–",
                 "mean ε (ours)": f"{float(d.mean()):.2f}" if len(d) else "–",
                 "success (ours, any ε)": f"{100 * float(r.fooled.float().mean()):.0f}%",
                 "n": len(r.dist)})
display(pd.DataFrame(rows).pivot_table(index="model", columns="arch", aggfunc="first", sort=False)
        [["ε for 100% (ours)", "ε for 100% (paper)", "median ε (ours)", "mean ε (ours)", "success (ours, any ε)"]])

# %% [markdown]
# The maximum over samples is an extreme statistic: with 1000 samples it is that of the hardest image, with
# our fewer samples it is lower for the same model, and a CW run with few iterations leaves its largest
# perturbations far from minimal. The median, the mean (over the fooled samples) and the whole curve below
# are more stable. (The paper's values, about 1.2 for SGD, are close to typical *mean* CW₂ distances on MNIST;
# its text defines them as the size at which success reaches 100%, which is what the first column measures.)
#
# ### CW₂ success against the L2 bound

# %%
grid = [round(0.05 * i, 2) for i in range(61)]
for arch, title in (("p2_custom", "custom architecture"), ("p2_lenet", "LeNet architecture")):
    pan = {name: {m.label: cw[m.key].curve(grid) for m in ms} for name, ms in p2.panels(models[arch]).items()}
    p2plot.curve_panels(grid, pan, xlabel="ε (L2)", suptitle=f"CW₂ success against ε: {title}")
    plt.show()

# %% [markdown]
# ## Table III: Boundary attack L2 at ε = 1 and ε = 2

# %%
ba = {m.key: p2.boundary(m, prof) for m in all_models}
print(f"BA: {time.perf_counter() - t_start:.0f} s so far")
rows = []
for m in all_models:
    r = ba[m.key]
    row = {"arch": m.arch, "model": m.label}
    for e in S.boundary_eps:
        ref = p2.reference_value("paper2_table3", "success_pct", m, ba_eps=float(e))
        row[f"ε={e:g} ours"] = f"{100 * r.success(e):.1f}%"
        row[f"ε={e:g} paper"] = "–" if ref is None else f"{ref:.1f}%"
    row["BA found any"] = f"{100 * float(r.fooled.float().mean()):.0f}%"
    row["n"] = len(r.dist)
    rows.append(row)
pd.DataFrame(rows)

# %% [markdown]
# With far fewer than 25,000 steps the walk has not shrunk the perturbation as far as the paper's (the
# Boundary attack converges slowly), so our rates at ε = 1, 2 are lower bounds of what the attack reaches;
# the comparison that carries over is between models.

# %%
grid_ba = [round(0.1 * i, 1) for i in range(61)]
for arch, title in (("p2_custom", "custom architecture"), ("p2_lenet", "LeNet architecture")):
    pan = {name: {m.label: ba[m.key].curve(grid_ba) for m in ms} for name, ms in p2.panels(models[arch]).items()}
    p2plot.curve_panels(grid_ba, pan, xlabel="ε (L2)", suptitle=f"BA₂ success against ε: {title}")
    plt.show()

# %% [markdown]
# ## Fig. 3: adversarial examples
#
# The same test image (the first attack point that every shown model classifies correctly) attacked by CW₂,
# BA₂ and PGD∞ (ε = 0.3) on the custom CNN with SGD and with DP-SGD (σ = 1.3, C = 1; σ = 3, C = 1;
# σ = 3, C = 10, those of the paper's figure that the profile trains). Captions: the L2 (CW, BA) or L∞ (PGD)
# size of the perturbation and the predicted class.

# %%
from dprob_utils.attacks import predict

wanted = [None, (1.3, 1.0), (3.0, 1.0), (3.0, 10.0)]
shown = [m for w in wanted for m in models["p2_custom"] if m.sigma_clip == w]
attacked = {m.key: set(m.points[: min(len(cw[m.key].dist), len(ba[m.key].dist))].tolist()) for m in shown}
common = [int(i) for i in shown[0].points if all(int(i) in attacked[m.key] for m in shown)]
images, caps = {"clean": {}, "CW₂": {}, "BA₂": {}, "PGD∞": {}}, {"clean": {}, "CW₂": {}, "BA₂": {}, "PGD∞": {}}
for m in shown:
    # the same image for every model when one exists, else each model's first attack point
    idx = common[0] if common else int(m.points[0])
    pos = m.points.tolist().index(idx)
    x = p2.test_set().x[idx]
    pg = p2.pgd(m, prof).adv[S.transfer_eps][pos]
    for name, img in (("clean", x), ("CW₂", cw[m.key].adv[pos]), ("BA₂", ba[m.key].adv[pos]), ("PGD∞", pg)):
        images[name][m.label] = img
        pred = int(predict(m.model, img.unsqueeze(0))[0])
        size = (img - x).abs().max() if name == "PGD∞" else (img - x).norm()
        caps[name][m.label] = f"pred {pred}" + ("" if name == "clean" else f", {float(size):.2f}")
p2plot.gallery(images, caps, title="Fig. 3: " + (f"test image {common[0]} (label {int(p2.test_set().y[common[0]])})"
                                                 if common else "first attack point of each model"))
plt.show()

# %%
res = p2.run_cw_boundary(prof)  # every attack above is stored: this only reads them
save_json(profile, "09_p2_cw_boundary", res | {"seconds": time.perf_counter() - t_start})
print(f"done in {time.perf_counter() - t_start:.0f} s")


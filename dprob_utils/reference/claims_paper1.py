"""Paper 1's claims (Tursynbek et al. 2020): training, FGSM, PGD, geometry, MNIST-C, CIFAR-10."""

from __future__ import annotations

from dprob_utils.reference.claims_source import SIZE, band, claim, f, rows


def define() -> None:
    """Add paper 1's claims (:func:`.claims_source.claim`)."""
    # ------------------------------------------------------------------------------------------ paper 1: training
    claim("p1-eq1-epsilon", 1, "Sec. 3.1", "σ = 1.3 with δ = 10⁻⁶ gives ε < 5 by equation (1)", "ε < 5",
          {"eps": "01_training:eq1_sigma1.3_delta1e-6"}, "eps < 5")
    tab2 = {r["corruption"]: r for r in rows("paper1_table2")}
    base = tab2["identity"]
    claim("p1-clean-accuracy-gap", 1, "Table 2, baseline row", "DP-SGD (σ=1.3, C=1) has lower clean test accuracy "
          "than SGD", f"SGD {base['sgd']}%, DP-SGD {base['dp_s1.3_c1']}% (gap {base['difference']})",
          {"gap": "01_training:intervals/p1_sgd_minus_dp"}, effect="gap",
          paper_estimate=round((f(base["sgd"]) - f(base["dp_s1.3_c1"])) / 100, 4))
    claim("p1-clean-accuracy-sigma", 1, "Table 2, baseline row", "At C = 1, more noise gives lower clean accuracy "
          "(σ = 0.7 > 1.3 > 1.5; one seed each)", f"{base['dp_s0.7_c1']} > {base['dp_s1.3_c1']} > {base['dp_s1.5_c1']}",
          {"a_b": "01_training:intervals/p1_sigma0.7_minus_sigma1.3",
           "b_c": "01_training:intervals/p1_sigma1.3_minus_sigma1.5"}, effect=["a_b", "b_c"])

    # ------------------------------------------------------------------------------------------ paper 1: FGSM
    claim("p1-fgsm-gap-012", 1, "Sec. 3.1, Fig. 2", "Under FGSM at ε = 0.12 the SGD − DP-SGD accuracy gap exceeds "
          "the clean gap", "15.4 vs 2.6 points",
          {"widening": "02_p1_fgsm:intervals/gap_at_0.12_minus_clean_gap"}, effect="widening",
          paper_estimate=round((15.4 - 2.6) / 100, 4))
    claim("p1-fgsm-gap-012-size", 1, "Sec. 3.1, Fig. 2", "Magnitude: under FGSM at ε = 0.12 the SGD − DP-SGD "
          f"accuracy gap is about 15.4 points ({SIZE})", "15.4 points",
          {"gap": "02_p1_fgsm:intervals/gap_at_0.12"}, effect="gap", direction="within", threshold=band(0.154),
          paper_estimate=0.154)
    claim("p1-fgsm-gap-every-eps", 1, "Sec. 3.1, Fig. 2", "The FGSM accuracy gap is larger than the clean gap at "
          "every ε > 0 (\"always more than initial value\")", "always",
          {"d": "02_p1_fgsm:intervals/gap_minus_clean_gap_at_eps"}, effect="d")
    sweep = "one effect per pair of neighbouring settings, one seed each"
    claim("p1-fig3a-sigma", 1, "Sec. 3.1, Fig. 3a", f"At fixed C, the FGSM gap to SGD (mean over ε > 0) grows with the "
          f"noise σ ({sweep})", "gap increases with σ", {"d": "02_p1_fgsm:intervals/sweeps/fig3a"}, effect="d")
    claim("p1-fig3a-sigma-raw", 1, "Sec. 3.1, Fig. 3a (variant)", "At fixed C, the FGSM gap to SGD (mean over ε > 0, "
          f"the clean gap included, as the figure plots it) grows with the noise σ ({sweep})", "gap increases with σ",
          {"d": "02_p1_fgsm:intervals/sweeps/fig3a_raw"}, effect="d")
    claim("p1-fig3b-clip", 1, "Sec. 3.1, Fig. 3b", "With noise σC, the FGSM gap to SGD (mean over ε > 0) grows with "
          f"the clipping bound C, up to C = 3 ({sweep})", "gap increases with C",
          {"d": "02_p1_fgsm:intervals/sweeps/fig3b"}, effect="d")
    claim("p1-fig3b-clip-raw", 1, "Sec. 3.1, Fig. 3b (variant)", "With noise σC, the FGSM gap to SGD (mean over ε > 0, "
          f"the clean gap included, as the figure plots it) grows with C, up to C = 3 ({sweep})", "gap increases with C",
          {"d": "02_p1_fgsm:intervals/sweeps/fig3b_raw"}, effect="d")
    claim("p1-fig3c-fixed-noise", 1, "Sec. 3.1, Fig. 3c", "With noise N(0, σ²I) independent of C, a smaller "
          f"clipping bound is less robust: FGSM accuracy at ε = 0.12 rises with C ({sweep})",
          "smaller C, lower accuracy", {"d": "02_p1_fgsm:intervals/sweeps/fig3c"}, effect="d")
    claim("p1-fig3c-clean", 1, "Sec. 3.1, Fig. 3c", "With noise N(0, σ²I) independent of C, a smaller clipping "
          f"bound is also less accurate on clean test images: clean accuracy rises with C ({sweep})",
          "smaller C, lower clean accuracy", {"d": "02_p1_fgsm:intervals/sweeps/fig3c_clean"}, effect="d")
    claim("p1-fig7-large-clip", 1, "Sec. 4, Fig. 7", "For large clipping bounds (C ≥ 3) the FGSM accuracy at the "
          f"largest ε rises as C increases ({sweep})", "plateau that rises with C",
          {"d": "02_p1_fgsm:intervals/sweeps/fig7"}, effect="d")

    claim("p1-fig7-dp-helps", 1, "Sec. 4, Fig. 7", "For the largest clipping bound of the grid, DP-SGD's FGSM "
          "accuracy at the largest ε exceeds SGD's (\"differential privacy helps improving robustness of the model to "
          "FGSM adversaries\"; one seed; one effect per C ≥ 3 of the profile, the largest decides)",
          "DP-SGD above SGD at large C", {"d": "02_p1_fgsm:intervals/sweeps/fig7_minus_sgd"},
          effect="values(d)[-1:]")
    # ------------------------------------------------------------------------------------------ paper 1: PGD
    clean_p1 = 2.6  # paper 1 Sec. 3.2: the clean gap Table 1's gaps are compared with, in points
    for r in rows("paper1_mnist"):
        if r["quantity"] != "pgd_accuracy":
            continue
        e, st = f(r["eps"]), int(r["steps"])
        cell = f"03_p1_pgd:intervals/eps{e:g}_steps{st}"
        claim(f"p1-table1-eps{e:g}-steps{st}", 1, "Table 1", f"Under L∞ PGD (ε = {e:g}, {st} steps) DP-SGD is less "
              "accurate than SGD", f"SGD {r['sgd']}%, DP-SGD {r['dpsgd']}% (difference {r['difference']})",
              {"gap": f"{cell}/sgd_minus_dp"}, effect="gap", paper_estimate=round(f(r["difference"]) / 100, 4))
        if e < 0.3:
            claim(f"p1-table1-gap-eps{e:g}-steps{st}", 1, "Sec. 3.2, Table 1", f"For ε = {e:g} ({st} steps) the PGD "
                  "gap exceeds the clean gap", f"{r['difference']} vs {clean_p1} points",
                  {"change": f"{cell}/gap_minus_clean"}, effect="change",
                  paper_estimate=round((f(r["difference"]) - clean_p1) / 100, 4))
    for e in (0.1, 0.2, 0.3):
        claim(f"p1-fig4-iterations-eps{e:g}", 1, "Sec. 3.2, Fig. 4", f"PGD (ε = {e:g}, α = 0.01) needs fewer "
              "iterations to fool DP-SGD than SGD (mean over the images both classify correctly; never fooled counts "
              "as one more than the budget)", "fewer iterations for DP-SGD",
              {"d": f"03_p1_pgd:intervals/fig4/eps{e:g}"}, effect="d")
        claim(f"p1-fig4-sign-eps{e:g}", 1, "Sec. 3.2, Fig. 4 (variant)", f"PGD (ε = {e:g}, α = 0.01): image by image, "
              "SGD needs more iterations than DP-SGD more often than the reverse (whole distributions, never fooled as "
              "+∞; share SGD-more minus share DP-more)", "fewer iterations for DP-SGD",
              {"d": f"03_p1_pgd:intervals/fig4/sign/eps{e:g}"}, effect="d")
    for al in (0.005, 0.02):
        claim(f"p1-fig4-iterations-alpha{al:g}", 1, "Sec. 3.2, Fig. 4", f"At step size α = {al:g} too, PGD needs fewer "
              "iterations to fool DP-SGD than SGD (mean, never fooled as the budget + 1; one effect per ε; one seed: "
              "the other seeds run α = 0.01 only)", "fewer iterations for DP-SGD",
              {"d": f"03_p1_pgd:intervals/fig4/by_alpha/alpha{al:g}"}, effect="d")

    # ------------------------------------------------------------------------------------------ paper 1: geometry
    claim("p1-distance-linf", 1, "Sec. 3.3, Fig. 5a", "The mean linearised L∞ distance to the closest decision "
          "boundary is smaller for DP-SGD", "0.154 → 0.131",
          {"gap": "04_p1_boundary:distances/intervals/linf/sgd_minus_dp"}, effect="gap",
          paper_estimate=round(0.154 - 0.131, 4))
    claim("p1-distance-l2", 1, "Sec. 3.3, Fig. 5b", "The mean linearised L2 distance to the closest decision "
          "boundary is smaller for DP-SGD", "1.965 → 1.654",
          {"gap": "04_p1_boundary:distances/intervals/l2/sgd_minus_dp"}, effect="gap",
          paper_estimate=round(1.965 - 1.654, 4))
    for norm, label, paper in (("linf", "L∞", (0.154, 0.131)), ("l2", "L2", (1.965, 1.654))):
        drop = round((paper[0] - paper[1]) / paper[0], 4)
        claim(f"p1-distance-{norm}-drop-size", 1, f"Sec. 3.3, Fig. 5{'a' if norm == 'linf' else 'b'}", f"Magnitude: the "
              f"mean linearised {label} distance drops by about {100 * drop:.0f}% with DP-SGD ({SIZE})",
              f"{paper[0]} → {paper[1]} ({100 * drop:.1f}%)",
              {"drop": f"04_p1_boundary:distances/intervals/{norm}/relative_drop"}, effect="drop", direction="within",
              threshold=band(drop), paper_estimate=drop)
    claim("p1-curvature", 1, "Sec. 3.4, Fig. 5c", "The largest input-Hessian eigenvalue (curvature) is larger for "
          "DP-SGD", "about 100× larger", {"ratio": "04_p1_boundary:curvature/intervals/largest_ratio"}, effect="ratio",
          threshold=1.0, paper_estimate=100.0)
    claim("p1-curvature-size", 1, "Sec. 3.4, Fig. 5c", f"Magnitude: the largest eigenvalue is about 100× larger for "
          f"DP-SGD (ratio of the means, {SIZE})", "about 100×",
          {"ratio": "04_p1_boundary:curvature/intervals/largest_ratio"}, effect="ratio", direction="within",
          threshold=band(100.0), paper_estimate=100.0)
    claim("p1-curvature-log", 1, "Sec. 3.4, Fig. 5c (variant)", "The largest input-Hessian eigenvalue is larger for "
          "DP-SGD, image by image on the log scale (mean log |λ₁| of DP-SGD minus SGD's: a few heavy-tailed images "
          "cannot decide it)", "larger", {"d": "04_p1_boundary:curvature/intervals/largest_log_ratio"}, effect="d")
    claim("p1-curvature-profile", 1, "Sec. 3.4, Fig. 5c", "The whole top-15 curvature profile is higher for DP-SGD "
          "(share of the ranks where DP-SGD's mean eigenvalue magnitude is higher: above 0.9)", "every rank higher",
          {"share": "04_p1_boundary:curvature/intervals/share_of_ranks_dp_higher"}, effect="share", threshold=0.9,
          paper_estimate=1.0)
    claim("p1-cross-sections", 1, "Sec. 1, Fig. 1", "Along the normal to the decision boundary, the boundary is "
          "closer to the sample for DP-SGD than for SGD (SGD − DP-SGD mean distance along the normal, L2, over the test "
          "images both classify correctly; the figure shows one image)", "closer (figure)",
          {"d": "05_p1_cross_sections:intervals/normal_distance_sgd_minus_dp"}, effect="d")
    claim("p1-cross-sections-curved", 1, "Sec. 3.4, Fig. 1", "The decision boundary of DP-SGD \"looks more curved\": "
          "shifted sideways in the cross-section's plane by the distance to the boundary, the distance along the normal "
          "changes more for DP-SGD (mean relative change, DP-SGD minus SGD, over the images both classify correctly)",
          "looks more curved (figure)", {"d": "05_p1_cross_sections:intervals/bend_dp_minus_sgd"}, effect="d")

    # ------------------------------------------------------------------------------------------ paper 1: MNIST-C
    avg_paper = f(tab2["average"]["difference"]) if "average" in tab2 else 15.99
    claim("p1-mnistc-average-gap", 1, "Sec. 3.5, Table 2", "On MNIST-C the average SGD − DP-SGD gap exceeds the "
          "clean gap", f"{avg_paper} vs {base['difference']}",
          {"change": "06_p1_mnistc:intervals/average_gap_minus_clean"}, effect="change",
          paper_estimate=round((avg_paper - f(base["difference"])) / 100, 4))
    n_exceed = sum(f(r["difference"]) > f(base["difference"]) for k, r in tab2.items() if k not in ("identity", "average"))
    claim("p1-mnistc-almost-all", 1, "Sec. 3.5, Table 2", "The SGD − DP-SGD gap exceeds the clean gap for almost all "
          "corruptions (share of the 31 above 0.8)", f"{n_exceed} of 31",
          {"share": "06_p1_mnistc:intervals/share_gap_exceeds_clean"}, effect="share", threshold=0.8,
          paper_estimate=round(n_exceed / 31, 4))
    claim("p1-mnistc-largest-gaps", 1, "Sec. 3.5, Table 2", "The largest gaps are on brightness, fog and frost "
          "(how many of the three are among our three largest gaps: all three, over the bootstrap of seeds and images)",
          "69.09, 64.57, 63.47", {"overlap": "06_p1_mnistc:intervals/largest_gaps_overlap_paper"}, effect="overlap",
          threshold=2.5, paper_estimate=3.0)
    claim("p1-mnistc-drop-clip", 1, "Sec. 3.5, Table 2", "At σ = 1.3, a larger C increases the accuracy drop from "
          "clean to corrupted (one seed per setting)", "drop 21.3 → 21.8 → 22.8 for C = 0.8, 1, 1.2",
          {"a": "06_p1_mnistc:intervals/drop_c1_minus_c0.8", "b": "06_p1_mnistc:intervals/drop_c1.2_minus_c1"},
          effect=["a", "b"])
    claim("p1-mnistc-drop-sigma", 1, "Sec. 3.5, Table 2", "At C = 1, a larger σ increases the accuracy drop from "
          "clean to corrupted (one seed per setting)", "drop 19.8 → 21.8 → 22.8 for σ = 0.7, 1.3, 1.5",
          {"a": "06_p1_mnistc:intervals/drop_s1.3_minus_s0.7", "b": "06_p1_mnistc:intervals/drop_s1.5_minus_s1.3"},
          effect=["a", "b"])
    for name, r in tab2.items():
        if name in ("identity", "average"):
            continue
        bigger = f(r["difference"]) > f(base["difference"])
        printed = r.get("printed_difference", r["difference"])
        claim(f"p1-mnistc-{name}", 1, "Table 2", f"{r['label']}: the SGD − DP-SGD gap "
              f"{'exceeds' if bigger else 'does not exceed'} the clean gap", f"{printed} vs {base['difference']}",
              {"change": f"06_p1_mnistc:intervals/gap_minus_clean/{name}"}, effect="change",
              direction=">" if bigger else "<", paper_estimate=round((f(r["difference"]) - f(base["difference"])) / 100, 4),
              erratum=r["erratum"] or None)

    # ------------------------------------------------------------------------------------------ paper 1: CIFAR-10
    claim("p1-cifar-accuracy", 1, "Sec. 3.6", "On CIFAR-10 (private dense layers on frozen convolutions) DP-SGD "
          "(σ = 1, C = 3) is less accurate than SGD", "81.3% vs 70.1%",
          {"gap": "07_p1_cifar:intervals/accuracy_sgd_minus_dp"}, effect="gap", paper_estimate=round(0.813 - 0.701, 4))
    cif = {r["quantity"]: r for r in rows("paper1_cifar")}
    claim("p1-cifar-accuracy-size", 1, "Sec. 3.6", f"Magnitude: on CIFAR-10 the clean gap is about 11.2 points ({SIZE})",
          "11.2 points", {"gap": "07_p1_cifar:intervals/accuracy_sgd_minus_dp"}, effect="gap", direction="within",
          threshold=band(0.112), paper_estimate=0.112)
    claim("p1-cifar-distance-drop-size", 1, "Sec. 3.6, Figs. 6a, 6b", "Magnitude: on CIFAR-10 the mean L∞ and L2 "
          f"distances drop by about 11.2% each ({SIZE}; one effect per norm)", "~11.2% drop",
          {"linf": "07_p1_cifar:intervals/linf/relative_drop", "l2": "07_p1_cifar:intervals/l2/relative_drop"},
          effect=["linf", "l2"], direction="within", threshold=band(0.112))
    for norm, label, fig in (("linf", "L∞", "6a"), ("l2", "L2", "6b")):
        r = cif[f"mean_{norm}_distance"]
        claim(f"p1-cifar-distance-{norm}", 1, f"Sec. 3.6, Fig. {fig}", f"CIFAR-10: the mean {label} distance to the "
              "closest boundary is smaller for DP-SGD", f"{r['printed_sgd']} → {r['printed_dpsgd']} (as printed)",
              {"gap": f"07_p1_cifar:intervals/{norm}/sgd_minus_dp"}, effect="gap",
              paper_estimate=round(f(r["sgd"]) - f(r["dpsgd"]), 4), erratum=r["erratum"] or None)
    claim("p1-cifar-curvature", 1, "Sec. 3.6, Fig. 6c", "CIFAR-10: the largest input-Hessian eigenvalue is larger "
          "for DP-SGD", "larger", {"ratio": "07_p1_cifar:intervals/largest_ratio"}, effect="ratio", threshold=1.0)


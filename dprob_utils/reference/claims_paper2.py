"""Paper 2's claims (Boenisch et al. 2021): PGD, CW and Boundary, transfer, gradients, masking; and the claims
beyond both papers (membership inference, the privacy audit)."""

from __future__ import annotations

from dprob_utils.reference.claims_source import claim, f, rows


def define() -> None:
    """Add paper 2's claims and those beyond both papers (:func:`.claims_source.claim`)."""
    # ------------------------------------------------------------------------------------------ paper 2: PGD
    def key(arch, sigma=None, clip=None):
        return f"{arch}:sgd" if sigma is None else f"{arch}:s{float(sigma):g}_c{float(clip):g}"


    claim("p2-pgd-monotone", 2, "Sec. IV-A, Fig. 1", "For every model, PGD success increases with the perturbation "
          "budget ε (the largest fall between neighbouring ε of the grid below 3 points; one effect per model, seeds, "
          "then points)", "all models", {"d": "08_p2_pgd:largest_drop"}, effect="d", direction="<", threshold=0.03)


    def pgd_vs_sgd(arch, sigma, clip):
        return f"08_p2_pgd:intervals/{key(arch, sigma, clip)}/mean_success_minus_sgd"


    for c in (1, 3):
        claim(f"p2-pgd-custom-c{c}-robust", 2, "Sec. IV-A, Fig. 1a", f"Custom CNN: DP (σ = 1.3, C = {c}) is about as "
              "robust as or more robust than SGD under PGD (mean success over ε at most 5 points higher)",
              "higher or similar robustness", {"d": pgd_vs_sgd("p2_custom", 1.3, c)}, effect="d", direction="<",
              threshold=0.05)
    for c in (5, 10):
        claim(f"p2-pgd-custom-c{c}-weaker", 2, "Sec. IV-A, Fig. 1a", f"Custom CNN: DP (σ = 1.3, C = {c}) is attacked "
              "more successfully than SGD by PGD (mean success over ε)", "higher success",
              {"d": pgd_vs_sgd("p2_custom", 1.3, c)}, effect="d")
    claim("p2-pgd-lenet-sgd-most-robust", 2, "Sec. IV-A, Fig. 1b", "LeNet: PGD succeeds less on SGD than on every "
          "DP setting (mean success over ε; one effect per setting the profile trains)", "SGD lowest",
          {"iv": "08_p2_pgd:intervals"},
          effect="[v['mean_success_minus_sgd'] for k, v in zip(iv, values(iv)) if startswith(k, 'p2_lenet:')]")
    PLATEAU = ("final success below 99% and a gain below 3 points over the upper half of the grid, each as a whole "
               "95% interval over the seeds and points")
    for s in (2, 3):
        for axis, fig, what in (("iterations", "2a", "iterations grow (ε = 0.3)"), ("eps", "1a", "ε grows")):
            claim(f"p2-pgd-plateau-s{s}-c10{'' if axis == 'iterations' else '-eps'}", 2, f"Sec. IV-A, Fig. {fig}",
                  f"Custom CNN, σ = {s}, C = 10: PGD success plateaus below 100% as {what} ({PLATEAU})", "plateau < 100%",
                  {"p": f"08_p2_pgd:plateau/{key('p2_custom', s, 10)}"},
                  effect=[f"p['final_{axis}']", f"p['gain_{axis}']"], direction="<", threshold=[0.99, 0.03])
    claim("p2-pgd-lenet-reaches-100", 2, "Sec. IV-A, Fig. 2b", "LeNet: PGD success (ε = 0.3) reaches 100% with "
          "enough iterations, for every model (success at the largest iteration budget above 95%, each model's points "
          "pooled over its seeds)", "no plateaus",
          {"r": "08_p2_pgd:rate_intervals/success_at_max_iterations/p2_lenet"}, effect="r", threshold=0.95,
          paper_estimate=1.0)

    # ------------------------------------------------------------------------------------------ paper 2: CW, BA
    t2 = rows("paper2_table2")
    sgd_cw = {r["arch"]: f(r["cw_eps_full_success"]) for r in t2 if r["mode"] == "sgd"}
    seen = set()
    for r in t2:
        if r["mode"] == "sgd" or (r["arch"], r["sigma"], r["clip"]) in seen:
            continue
        seen.add((r["arch"], r["sigma"], r["clip"]))
        arch, s, c, v = r["arch"], f(r["sigma"]), f(r["clip"]), f(r["cw_eps_full_success"])
        less = v < sgd_cw[arch]
        name = "LeNet" if arch == "p2_lenet" else "custom CNN"
        claim(f"p2-table2-{arch}-s{s:g}-c{c:g}", 2, "Table II", f"{name}, σ = {s:g}, C = {c:g}: CW needs "
              f"{'less' if less else 'more'} L2 perturbation for 100% success than on SGD",
              f"{v:.2f} vs SGD {sgd_cw[arch]:.2f}",
              {"d": f"09_p2_cw_boundary:intervals/{key(arch, s, c)}/cw_eps_full_success_minus_sgd"}, effect="d",
              direction="<" if less else ">", paper_estimate=round(v - sgd_cw[arch], 4))
    claim("p2-cw-unbounded-100", 2, "Sec. IV-C", "CW (unbounded) reaches 100% success on every model (success "
          "above 95%, each model's points pooled over its seeds)", "100%",
          {"lenet": "09_p2_cw_boundary:rate_intervals/cw_success_any/p2_lenet",
           "custom": "09_p2_cw_boundary:rate_intervals/cw_success_any/p2_custom"},
          effect=["lenet", "custom"], threshold=0.95, paper_estimate=1.0)
    t3 = rows("paper2_table3")
    sgd_ba = {(r["arch"], r["ba_eps"]): f(r["success_pct"]) for r in t3 if r["mode"] == "sgd"}
    seen = set()
    for r in t3:
        if r["mode"] == "sgd" or (r["arch"], r["sigma"], r["clip"], r["ba_eps"]) in seen:
            continue
        seen.add((r["arch"], r["sigma"], r["clip"], r["ba_eps"]))
        arch, s, c, e, v = r["arch"], f(r["sigma"]), f(r["clip"]), f(r["ba_eps"]), f(r["success_pct"])
        ref = sgd_ba[(arch, r["ba_eps"])]
        higher = v > ref
        name = "LeNet" if arch == "p2_lenet" else "custom CNN"
        claim(f"p2-table3-{arch}-s{s:g}-c{c:g}-eps{e:g}", 2, "Table III", f"{name}, σ = {s:g}, C = {c:g}: the "
              f"Boundary attack at ε = {e:g} succeeds {'more' if higher else 'less'} often than on SGD",
              f"{v}% vs SGD {ref}%",
              {"d": f"09_p2_cw_boundary:intervals/{key(arch, s, c)}/ba_success_{e:g}_minus_sgd"}, effect="d",
              direction=">" if higher else "<", paper_estimate=round((v - ref) / 100, 4))

    trend = "one effect per pair of neighbouring settings the profile trains; seeds, then points"
    for arch, name in (("p2_lenet", "LeNet"), ("p2_custom", "custom CNN")):
        cwt = f"09_p2_cw_boundary:trend_intervals/cw_eps_full_success/{arch}"
        for e in (1, 2):
            claim(f"p2-table3-{arch}-ba-grows-with-c-eps{e}", 2, "Sec. IV-B, Table III", f"{name}: the Boundary attack's "
                  f"success at ε = {e} grows with the clip norm C (σ = 1.3; {trend})", "vulnerability grows with C",
                  {"d": f"09_p2_cw_boundary:trend_intervals/ba_success_{e}/{arch}/σ1.3"}, effect="d")
            claim(f"p2-table3-{arch}-ba-grows-with-sigma-c10-eps{e}", 2, "Sec. IV-B, Table III", f"{name}: at C = 10 the "
                  f"Boundary attack's success at ε = {e} grows with the noise σ ({trend})",
                  "vulnerability grows with σ at large C",
                  {"d": f"09_p2_cw_boundary:trend_intervals/ba_success_{e}/{arch}/C10"}, effect="d")
        if arch == "p2_lenet":
            claim("p2-table2-lenet-monotone", 2, "Sec. IV-C, Table II", "LeNet: CW₂'s perturbation for 100% success falls "
                  f"monotonically in C (σ = 1.3) and in σ (C = 1 and C = 10) ({trend})", "decreases monotonically",
                  {"c": f"{cwt}/σ1.3", "s1": f"{cwt}/C1", "s10": f"{cwt}/C10"}, effect=["c", "s1", "s10"], direction="<")
        else:
            claim("p2-table2-custom-c10-not-monotone", 2, "Sec. IV-C, Table II", "Custom CNN at C = 10: σ = 3 needs more "
                  "CW₂ perturbation than σ = 1.3 and σ = 2 (no monotonic decrease in σ; the neighbouring pair ending at "
                  "σ = 3)", "σ = 3 above σ = 2 and 1.3", {"d": f"{cwt}/C10"}, effect="values(d)[-1:]")
        claim(f"p2-pgd-{arch}-c1-similar", 2, "Sec. IV-A, Fig. 1", f"{name}: at C = 1, PGD's success is similar across σ "
              f"(mean success over ε changes by less than 5 points between neighbouring σ; {trend})",
              "very similar success rates", {"d": f"08_p2_pgd:trend_intervals/mean_success/{arch}/C1"}, effect="d",
              direction="within", threshold=[-0.05, 0.05])
    claim("p2-table2-majority-less", 2, "Sec. IV-C, Table II", "In the majority of DP settings CW₂ needs less perturbation "
          "for 100% success than on SGD (share of the DP settings of both architectures below their SGD baseline: above "
          "one half)", "the majority of cases",
          {"s": "09_p2_cw_boundary:share_dp_below_sgd/cw_eps_full_success"}, effect="s", threshold=0.5)
    claim("p2-table3-c10-most-vulnerable", 2, "Sec. IV-B, Table III", "The custom CNN with σ = 2 or 3 and C = 10 is the most "
          "vulnerable to the Boundary attack of all models of both architectures (its success at ε = 1 and at ε = 2 minus "
          "the highest of every other model's)", "most vulnerable",
          {"d": "09_p2_cw_boundary:c10_most_vulnerable"}, effect="d", threshold=0.0)
    claim("p2-table3-saturates", 2, "Sec. IV-C (Table III)", "The Boundary attack has saturated: attacked for more "
          "iterations (same points, same random draws), its success at ε = 1 and at ε = 2 rises by less than 5 points "
          "(mean over each architecture's SGD, σ = 1.3, C = 1 and σ = 3, C = 10 models)",
          "no increase beyond 25,000 iterations", {"d": "09_p2_cw_boundary:boundary_saturation/increase"}, effect="d",
          direction="<", threshold=0.05, paper_estimate=0.0)
    claim("p2-pgd-lenet-no-plateau-eps", 2, "Sec. IV-A, Fig. 1b", "LeNet: PGD success reaches 100% as ε grows, for every "
          "model (success at the largest ε above 95%; seeds, then points)", "no plateaus",
          {"p": "08_p2_pgd:plateau"},
          effect="[v['final_eps'] for k, v in zip(p, values(p)) if startswith(k, 'p2_lenet:')]", threshold=0.95,
          paper_estimate=1.0)

    # ------------------------------------------------------------------------------------------ paper 2: transfer, gradients
    one_seed = "one seed; a bootstrap over the examples of every cell of the transfer matrix"
    for arch, name in (("p2_custom", "Custom CNN"), ("p2_lenet", "LeNet")):
        ti = f"10_p2_transfer_gradients:transfer_intervals/{arch}"
        sfx = "" if arch == "p2_custom" else "-lenet"
        fig = "Fig. 4" if arch == "p2_custom" else "Sec. V (LeNet: \"results were similar\", not shown)"
        claim(f"p2-transfer-pgd-beats-cw{sfx}", 2, f"Sec. V, {fig}", f"{name}: PGD examples (ε = 0.3) transfer better "
              f"than CW examples (mean off-diagonal success; {one_seed})", "PGD transfers significantly better",
              {"d": f"{ti}/pgd_minus_cw"}, effect="d")
        for att, an in (("pgd", "PGD"), ("cw", "CW₂")):
            claim(f"p2-transfer-sgd-to-dp{sfx}{'' if att == 'pgd' else '-cw'}", 2, f"Sec. V, {fig}", f"{name}: {an} "
                  f"examples transfer better from SGD to DP models than from DP models to SGD ({one_seed})",
                  "better from non-DP to DP", {"d": f"{ti}/{att}/sgd_to_dp_minus_dp_to_sgd"}, effect="d")
            claim(f"p2-transfer-dp-to-dp{sfx}{'' if att == 'pgd' else '-cw'}", 2, f"Abstract, Sec. V, {fig}", f"{name}: "
                  f"{an} examples transfer better among DP models than from SGD to DP models ({one_seed})",
                  "better among DP models", {"d": f"{ti}/{att}/dp_to_dp_minus_sgd_to_dp"}, effect="d")
            claim(f"p2-transfer-high-c-source{sfx}{'' if att == 'pgd' else '-cw'}", 2, f"Sec. V, {fig}", f"{name}: {an} "
                  "examples crafted on a higher-C model transfer less (σ = 1.3, largest C minus smallest, to every other "
                  f"model; {one_seed})", "higher C transfers less", {"d": f"{ti}/{att}/source_high_c_minus_low_c"},
                  effect="d", direction="<")
            claim(f"p2-transfer-high-c-target{sfx}{'' if att == 'pgd' else '-cw'}", 2, f"Sec. V, {fig}", f"{name}: "
                  f"higher-C models are more vulnerable to transferred {an} examples (σ = 1.3, largest C minus smallest "
                  f"as the target; {one_seed})", "higher C more vulnerable",
                  {"d": f"{ti}/{att}/target_high_c_minus_low_c"}, effect="d")
    claim("p2-transfer-plateau-most-vulnerable", 2, "Sec. V, Fig. 4b", "Custom CNN: the models that plateau under PGD "
          "(σ = 2, 3, C = 10) are the most vulnerable targets of transferred PGD examples (the least vulnerable of them "
          f"minus the most vulnerable other target; {one_seed})", "most vulnerable",
          {"d": "10_p2_transfer_gradients:transfer_intervals/p2_custom/pgd/plateau_targets_minus_rest"}, effect="d")
    claim("p2-fig8-masked-transfer-higher", 2, "Sec. VI, Fig. 8", "CW₂ examples transfer better among the masked models "
          "than among the custom CNN's models of Fig. 4a (criterion 7 the paper's way; mean off-diagonal success, "
          "one seed)", "significantly higher", {"d": "11_p2_masking:fig8_masked_minus_fig4a"}, effect="d")
    gi = "10_p2_transfer_gradients:gradient_intervals"
    seeds_only = "over the headline seeds: one gradient batch per model"
    DP_OF = "[v[q] for k, v in zip(g, values(g)) if startswith(k, '{arch}:') for q in v if startswith(q, '{q}')]"
    claim("p2-gradients-larger", 2, "Sec. VI, Fig. 5", "Custom CNN: gradient magnitudes at the first dense layer are "
          f"larger for every DP model than for SGD (log of the ratio of mean |∂L/∂W|; {seeds_only})",
          "±10 (SGD) vs ±200 (DP)", {"g": f"{gi}/versus_sgd"},
          effect=DP_OF.format(arch="p2_custom", q="log_mean_abs"))
    for arch, name, weaker in (("p2_custom", "Custom CNN", ""), ("p2_lenet", "LeNet", " (the paper: less prominent)")):
        claim(f"p2-gradients-rise-with-c-{arch}", 2, "Sec. VI, Fig. 5", f"{name}: the gradient magnitude at the first "
              f"dense layer increases with the clip norm C{weaker} (σ = 1.3; log of the ratio; {seeds_only})",
              "increases with C", {"d": f"{gi}/trend/log_mean_abs/{arch}/σ1.3"}, effect="d")
        claim(f"p2-zero-gradients-higher-{arch}" if arch == "p2_lenet" else "p2-zero-gradients-higher", 2,
              "Sec. VI, Fig. 6", f"{name}: the share of exactly-zero gradients is higher for every DP model than for SGD, "
              f"in every layer (% points; {seeds_only})", "higher for DP", {"g": f"{gi}/versus_sgd"},
              effect=DP_OF.format(arch=arch, q="zero_"))
    claim("p2-zero-gradients-rise-with-c", 2, "Sec. VI, Fig. 6", "Custom CNN: the share of zero gradients rises with "
          f"the clip norm C, in every layer (σ = 1.3; {seeds_only})", "increases with C",
          {"t": f"{gi}/trend"}, effect="[iv for q in t if startswith(q, 'zero_') and 'p2_custom' in t[q] for iv in values(t[q]['p2_custom']['σ1.3'])]")
    claim("p2-zero-gradients-flat-lenet", 2, "Sec. VI, Fig. 6", "LeNet: no such rise of the zero-gradient share with C "
          f"(every layer changes by less than 5 points; σ = 1.3; {seeds_only})", "no significant differences",
          {"t": f"{gi}/trend"}, effect="[iv for q in t if startswith(q, 'zero_') and 'p2_lenet' in t[q] for iv in values(t[q]['p2_lenet']['σ1.3'])]",
          direction="within", threshold=[-5.0, 5.0])

    # ------------------------------------------------------------------------------------------ paper 2: masking
    UNSETTLED = ("not check['suspected'] and any(c['verdict'] == 'inconclusive' for c in check['criteria'] "
                 "if not c['variant'])")
    t4 = {r["model"]: f(r["cw_eps_full_success"]) for r in rows("paper2_table4")}
    t5 = {(r["model"], f(r["ba_eps"])): f(r["success_pct"]) for r in rows("paper2_table5")}
    for m in ("m1", "m2", "m3"):
        mk = f"masked:{m}"
        v1, v2 = t5[(m, 1.0)], t5[(m, 2.0)]
        claim(f"p2-table4-{m}-cw-more", 2, "Table IV", f"Masked model {m}: CW₂ needs more L2 perturbation for 100% "
              "success than on the SGD custom CNN (the masked model has one seed)", f"{t4[m]:.2f} vs bs1 {t4['bs1']:.2f}",
              {"d": f"11_p2_masking:table4_intervals/{mk}/cw_eps_full_success_minus_sgd"}, effect="d",
              paper_estimate=round(t4[m] - t4["bs1"], 4))
        claim(f"p2-table4-{m}-cw-100", 2, "Sec. VI, Table IV", f"Masked model {m}: unbounded CW₂ reaches 100% success "
              "(criterion 4; Wilson interval above 95%)", "100%", {"r": f"11_p2_masking:table4_rates/{mk}"}, effect="r",
              threshold=0.95, paper_estimate=1.0)
        claim(f"p2-table4-{m}-accuracy", 2, "Sec. VI", f"Masked model {m} keeps a relatively high clean accuracy (above "
              "80%, our reading of \"relatively high\"; Wilson interval on the test set)", "relatively high",
              {"a": f"11_p2_masking:clean_accuracy/{mk}"}, effect="a", threshold=0.8)
        claim(f"p2-table5-{m}-ba-vs-pgd", 2, "Sec. VI, Table V, Fig. 7", f"Masked model {m}: the gradient-free Boundary "
              "attack matches or beats PGD∞ on the same model (success within L2 ε = 1 and 2 minus PGD's at ε = 0.3 after "
              "the largest iteration budget, on the same points: above −5 points; criteria 2, 3 the paper's way)",
              f"BA {v1}% / {v2}% (ε = 1 / 2), similar or higher than PGD",
              {"d": f"11_p2_masking:ba_minus_pgd/{mk}"}, effect="d", threshold=-0.05)
        for e, v in ((1, v1), (2, v2)):
            claim(f"p2-table5-{m}-ba-beats-sgd{'' if e == 1 else '-eps2'}", 2, "Table V (variant: against SGD)",
                  f"Masked model {m}: the Boundary attack at ε = {e} succeeds more often than on the SGD custom CNN (the "
                  "masked model has one seed)", f"{v}% vs {t5[('bs1', float(e))]}%",
                  {"d": f"11_p2_masking:intervals/{mk}/ba_success_{e}_minus_sgd"}, effect="d",
                  paper_estimate=round((v - t5[("bs1", float(e))]) / 100, 4))
        claim(f"p2-fig7-{m}-plateau", 2, "Sec. VI, Fig. 7", f"Masked model {m}: PGD success plateaus below 100% as "
              f"iterations grow (ε = 0.3) and as ε grows ({PLATEAU}; one seed)", "plateau",
              {"p": f"11_p2_masking:plateau/{mk}"},
              effect=["p['final_iterations']", "p['gain_iterations']", "p['final_eps']", "p['gain_eps']"],
              direction="<", threshold=[0.99, 0.03, 0.99, 0.03])
        claim(f"p2-masking-check-{m}", 2, "Sec. II-G, VI", f"Masked model {m} violates at least one gradient-masking "
              "criterion, measured the paper's way (a violation: the whole 95% interval on the violating side)",
              "criteria (2), (3), (5), (6), (7) violated",
              {"check": f"11_p2_masking:masking_check/{mk}"}, "check['suspected'] is True",
              show="check['verdict']", inconclusive_if=UNSETTLED)
    claim("p2-fig9-masked-mostly-zero", 2, "Sec. VI, Fig. 9", "For every masked model, most gradients at the first dense "
          "layer (the largest layer) are exactly zero (one seed, one gradient batch: a point rule)", "the majority is zero",
          {"z": "11_p2_masking:fig9_zero_gradient_pct"},
          "all(v['dense1'] > 50 for k, v in zip(z, values(z)) if startswith(k, 'masked:'))",
          show="[(k, round(v['dense1'], 1)) for k, v in zip(z, values(z))]")
    claim("p2-fig10-masked-huge", 2, "Sec. VI, Fig. 10", "For every masked model, the non-zero gradients at the first "
          "dense layer are larger than the SGD custom CNN's (largest |∂L/∂W|; one seed, one batch: a point rule)",
          "extremely high magnitudes", {"g": "11_p2_masking:fig10_first_dense_summary"},
          "all(max(abs(v['min']), abs(v['max'])) > max(abs(g['p2_custom:sgd']['min']), abs(g['p2_custom:sgd']['max'])) "
          "for k, v in zip(g, values(g)) if startswith(k, 'masked:'))",
          show="[(k, round(max(abs(v['min']), abs(v['max'])), 3)) for k, v in zip(g, values(g))]")
    claim("p2-masking-check-sgd", 2, "Sec. II-G (beyond the paper)", "The SGD custom CNN passes the gradient-masking "
          "check (every criterion, measured the paper's way, holds or is inconclusive, none violated)",
          "(not in the paper: SGD is the unmasked baseline)",
          {"check": "11_p2_masking:masking_check/p2_custom:sgd"}, "check['suspected'] is False", show="check['verdict']")
    claim("p1-large-c-masking", 1, "Sec. 4, Fig. 7 (beyond both papers: paper 2's critique)", "Paper 1's large-C "
          "FGSM robustness shows gradient masking: the full masking check, the paper-2 way, flags a DP-SGD model at a "
          "large clipping bound (σ = 1.3, the C of Fig. 7's grid; first seed), and not paper 1's SGD model (inconclusive "
          "when it flags SGD too)", "(paper 2 suggests it; never checked)",
          {"mc": "11_p2_masking:masking_check"},
          "any(v['suspected'] for k, v in zip(mc, values(mc)) if startswith(k, 'p1:s'))",
          show="[(k, v['verdict']) for k, v in zip(mc, values(mc)) if startswith(k, 'p1:')]",
          inconclusive_if="mc['p1:sgd']['suspected'] or (not any(v['suspected'] for k, v in zip(mc, values(mc)) "
                          "if startswith(k, 'p1:s')) and any(c['verdict'] == 'inconclusive' for k, v in zip(mc, values(mc)) "
                          "if startswith(k, 'p1:s') for c in v['criteria'] if not c['variant']))")

    claim("privacy-audit-below-accountant", 1, "Beyond both papers (chapter 12: Steinke et al. 2023's one-run audit)",
          "The empirical privacy audit never contradicts the accountant: for every audited DP-SGD setting (paper 1's "
          "σ = 1.3, C = 1; paper 2's custom CNN at a small and a large C) the audited ε (a 95% lower bound from "
          "mislabelled canaries) stays at or below the RDP accountant's ε (a point rule on two bounds)",
          "(neither paper audits)", {"a": "12_privacy:audits"},
          "all(v['epsilon_lb'] <= v['epsilon_accountant'] for v in values(a) if v['private'])",
          show="[(k, round(v['epsilon_lb'], 2), round(v['epsilon_accountant'], 2)) for k, v in zip(a, values(a)) "
               "if v['private']]")
    claim("privacy-mia-dp-lower", 1, "Beyond both papers (chapter 12: membership inference)", "DP-SGD lowers membership "
          "inference: a loss-threshold attack's AUC on paper 1's SGD model minus on its DP-SGD σ = 1.3, C = 1 model, "
          "training images against as many test images (paired bootstrap over the headline seeds, then the points)",
          "(privacy is the point of DP-SGD; neither paper measures it)",
          {"gap": "12_privacy:intervals/p1_mia_auc_sgd_minus_dp"}, effect="gap")
    claim("privacy-mia-cifar-dp-lower", 1, "Beyond both papers (chapter 07: membership inference on the CIFAR-10 heads)",
          "DP-SGD lowers membership inference on CIFAR-10: a loss-threshold attack's AUC on the SGD head minus on the "
          "DP-SGD head (the private training images against as many test images; paired bootstrap over the headline "
          "seeds, then the points)", "(neither paper measures it)",
          {"gap": "07_p1_cifar:membership/auc_sgd_minus_dp"}, effect="gap")
    claim("privacy-lira-cifar-dp-lower", 1, "Beyond both papers (chapter 07: LiRA offline on the CIFAR-10 heads)",
          "DP-SGD lowers calibrated membership inference on CIFAR-10: LiRA offline's AUC (reference heads of each mode "
          "trained without the candidates) on the SGD head minus on the DP-SGD head (paired bootstrap over the headline "
          "seeds, then the points)", "(neither paper measures it)",
          {"gap": "07_p1_cifar:membership/lira_auc_sgd_minus_dp"}, effect="gap")
    claim("privacy-canary-mia-dp-lower", 1, "Beyond both papers (chapter 12: membership inference on canaries)",
          "DP-SGD lowers membership inference on the examples that leak most: the same attack's AUC on the audit's "
          "mislabelled canaries, SGD minus DP-SGD σ = 1.3, C = 1 (one audit run each; bootstrap over the canaries)",
          "(neither paper measures it)", {"gap": "12_privacy:intervals/p1_canary_auc_sgd_minus_dp"}, effect="gap")
    claim("privacy-lira-dp-lower", 1, "Beyond both papers (chapter 12: LiRA offline, Carlini et al. 2022)",
          "DP-SGD lowers calibrated membership inference: LiRA offline's AUC (each point's confidence against reference "
          "models trained like the target without it) on paper 1's SGD model minus on its DP-SGD σ = 1.3, C = 1 model, "
          "on the loss attack's points (paired bootstrap over the headline seeds, then the points)",
          "(neither paper measures it)", {"gap": "12_privacy:intervals/p1_lira_auc_sgd_minus_dp"}, effect="gap")
    claim("privacy-lira-tpr-dp-lower", 1, "Beyond both papers (chapter 12: LiRA offline at a low false-positive rate)",
          "DP-SGD lowers what an attacker can be sure of: LiRA offline's true-positive rate at 1% false positives, SGD "
          "minus DP-SGD σ = 1.3, C = 1 (paper 1's pair; paired bootstrap over the headline seeds, then the points)",
          "(neither paper measures it)", {"gap": "12_privacy:intervals/p1_lira_tpr_at_0.01_sgd_minus_dp"}, effect="gap")
    claim("privacy-canary-lira-dp-lower", 1, "Beyond both papers (chapter 12: LiRA offline on canaries)",
          "DP-SGD lowers calibrated membership inference on the canaries: LiRA offline's AUC on the audit's mislabelled "
          "canaries, SGD minus DP-SGD σ = 1.3, C = 1 (one audit run each; bootstrap over the canaries)",
          "(neither paper measures it)", {"gap": "12_privacy:intervals/p1_canary_lira_auc_sgd_minus_dp"}, effect="gap")


"""Chapter 12, what the privacy buys (beyond both papers): an empirical lower bound on ε beside the accountant's
upper bound, and how well membership inference works on each model, beside its robustness.

- **Audit** (:mod:`dprob_utils.dp.audit`): each main setting (paper 1's SGD and DP-SGD σ = 1.3, C = 1; paper 2's
  custom CNN with SGD and at a small and a large C) is trained once more, with the same settings, on its
  training set plus the members among ``privacy.canaries`` mislabelled canaries; the audited ε must stay below
  the accountant's. These are extra trainings (:func:`audit_configs`), stored under ``<cache>/results/audit/``.
- **Membership inference** (:mod:`dprob_utils.analysis.membership`): on every model of the training chapter,
  ``privacy.mia_points`` of its training images against as many test images (the same for every model), by a
  loss threshold; on the audit models also the canaries, members against non-members.
"""

from __future__ import annotations

import numpy as np
import torch

from dprob_utils.analysis import membership as mia
from dprob_utils.analysis.intervals import bootstrap
from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.dp import audit
from dprob_utils.dp.training import TrainConfig
from dprob_utils.models import zoo
from dprob_utils.store import versions
from dprob_utils.store.core import stored

RESAMPLES = 1000


def audit_configs(prof: Profile) -> dict[str, TrainConfig]:
    """The audited settings by name (``p1:sgd``, ``p1:dp``, ``p2_custom:sgd``, ``p2_custom:s1.3_c10``, ...): the
    training chapter's configs of the main models (first seed), trained again with canaries."""
    out = {"p1:sgd": zoo.p1_sgd(prof), "p1:dp": zoo.p1_dp(prof), "p2_custom:sgd": zoo.p2_model(prof, "p2_custom")}
    for s, c in prof.privacy.p2_settings:
        out[f"p2_custom:s{s:g}_c{c:g}"] = zoo.p2_model(prof, "p2_custom", s, c)
    return out


def run_audit_of(prof: Profile, cfg: TrainConfig) -> dict:
    """The audit of one setting (trained with its canaries, or read from the store)."""
    p = prof.privacy
    parts = {"config": cfg.key(), "canaries": p.canaries, "guesses": p.guesses, "confidence": p.confidence,
             "seed": p.seed, "delta": prof.delta, "version": versions.AUDIT_VERSION}

    def compute() -> dict:
        r = audit.train_audited(cfg, p.canaries, prof.delta, seed=p.seed, k=p.guesses)
        return r | {"scores": r["scores"].double(), "members": r["members"].to(torch.uint8)}

    return stored("audit", parts, compute)


def _mia_data(prof: Profile, cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(member images, labels, non-member images, labels): ``mia_points`` of ``cfg``'s training set and as many
    test images, drawn with the chapter's seed (the same for every model trained on the same set)."""
    from dprob_utils.data.datasets import load_dataset, subset

    train = subset(load_dataset(cfg.dataset, "train"), cfg.train_subset, "stratified", seed=0)
    test = load_dataset(cfg.dataset, "test")
    g = torch.Generator().manual_seed(prof.privacy.seed)
    n = min(prof.privacy.mia_points, len(train), len(test))
    i, j = torch.randperm(len(train), generator=g)[:n], torch.randperm(len(test), generator=g)[:n]
    return train.x[i], train.y[i], test.x[j], test.y[j]


def mia_scores(prof: Profile, cfg: TrainConfig) -> dict[str, np.ndarray]:
    """``{"in": [n], "out": [n], "fgsm": [2]}``: loss scores of the model of ``cfg`` (from the cache) on its
    members and on test images, and its clean and FGSM (``privacy.fgsm_eps``) accuracy on those test images."""
    from dprob_utils.attacks.fgsm import fgsm_curve

    model, _ = zoo.load(cfg, prof)
    xi, yi, xo, yo = _mia_data(prof, cfg)
    return {"in": mia.loss_scores(model, xi, yi).numpy(), "out": mia.loss_scores(model, xo, yo).numpy(),
            "fgsm": np.array(fgsm_curve(model, xo, yo, [0.0, prof.privacy.fgsm_eps]))}


def _roc_numbers(scores_in: np.ndarray, scores_out: np.ndarray, seed: int) -> dict:
    """AUC and TPR at each low FPR, each with a 95% bootstrap interval over the points."""
    samples = {"in": [scores_in], "out": [scores_out]}
    out = {"auc": bootstrap(lambda d: mia.auc(d["in"][0], d["out"][0]), samples, resamples=RESAMPLES,
                            seed=seed).to_dict()}
    for f in mia.LOW_FPRS:
        out[f"tpr_at_{f:g}"] = bootstrap(lambda d, f=f: mia.tpr_at_fpr(d["in"][0], d["out"][0], f), samples,
                                         resamples=RESAMPLES, seed=seed).to_dict()
    return out


def _auc_over_seeds(d: dict[str, list[np.ndarray]], model: str) -> float:
    return float(np.mean([mia.auc(a, b) for a, b in zip(d[f"{model}:in"], d[f"{model}:out"])]))


def run_privacy(profile: Profile | str) -> dict:
    """Chapter 12's results dict (``results/<profile>/12_privacy.json``): the audits, membership inference on
    every model and on the canaries, and the intervals its claims read."""
    prof = get_profile(profile)
    audits = {}
    for name, cfg in audit_configs(prof).items():
        r = run_audit_of(prof, cfg)
        members = r["members"].bool().numpy()
        scores = r["scores"].numpy()
        audits[name] = {"config": cfg.key(), "label": cfg.label(), "private": cfg.private,
                        "epsilon_accountant": r["epsilon_accountant"], "accuracy": r["accuracy"],
                        "canaries_in": r["canaries_in"], "seconds": r["seconds"], **r["audit"],
                        "canary_mia": _roc_numbers(scores[members], scores[~members], prof.seed)}
    models, scores_of = {}, {}
    specs = {s.config.key(): s for s in zoo.paper1_specs(prof) + zoo.paper2_specs(prof)}
    for key, spec in specs.items():
        cfg = spec.config
        sc = mia_scores(prof, cfg)
        scores_of[key] = sc
        _, result = zoo.load(cfg, prof)
        eps = result.summary(delta=prof.delta).get("epsilon")
        models[key] = {"group": spec.group, "label": spec.label, "arch": cfg.arch, "mode": cfg.mode,
                       "sigma": cfg.sigma, "clip": cfg.clip, "seed": cfg.seed, "accuracy": result.accuracy,
                       "epsilon": eps, "clean_on_mia_points": float(sc["fgsm"][0]),
                       "fgsm_accuracy": float(sc["fgsm"][1]), **_roc_numbers(sc["in"], sc["out"], prof.seed)}
    for m in models.values():  # robustness lost: FGSM accuracy of the SGD model of the same architecture and seed
        sgd = next((v for v in models.values() if v["arch"] == m["arch"] and v["mode"] == "sgd"
                    and v["seed"] == m["seed"]), None)
        m["fgsm_lost"] = None if sgd is None else sgd["fgsm_accuracy"] - m["fgsm_accuracy"]
    seeds = zoo.headline_seeds(prof)
    pair = {name: [scores_of[zoo.p1_pair(prof, s)[name].key()] for s in seeds] for name in ("sgd", "dp")}
    samples = {f"{m}:{w}": [sc[w] for sc in pair[m]] for m in ("sgd", "dp") for w in ("in", "out")}
    intervals = {"p1_mia_auc_sgd_minus_dp": bootstrap(
        lambda d: _auc_over_seeds(d, "sgd") - _auc_over_seeds(d, "dp"), samples, paired=True, resamples=RESAMPLES,
        seed=prof.seed).to_dict()}
    canary = {}
    for name in ("p1:sgd", "p1:dp"):
        r = run_audit_of(prof, audit_configs(prof)[name])
        mem, sc = r["members"].bool().numpy(), r["scores"].numpy()
        canary[name.split(":")[1]] = {"in": [sc[mem]], "out": [sc[~mem]]}
    canary_samples = {f"{m}:{w}": canary[m][w] for m in ("sgd", "dp") for w in ("in", "out")}
    intervals["p1_canary_auc_sgd_minus_dp"] = bootstrap(
        lambda d: _auc_over_seeds(d, "sgd") - _auc_over_seeds(d, "dp"), canary_samples, resamples=RESAMPLES,
        seed=prof.seed).to_dict()
    return {"profile": prof.name,
            "settings": {"canaries": prof.privacy.canaries, "guesses": prof.privacy.guesses,
                         "confidence": prof.privacy.confidence, "mia_points": prof.privacy.mia_points,
                         "fgsm_eps": prof.privacy.fgsm_eps,
                         "delta": prof.delta, "seeds": seeds},
            "audits": audits, "models": models, "intervals": intervals}

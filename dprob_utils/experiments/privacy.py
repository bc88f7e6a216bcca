"""Chapter 12, what the privacy buys (beyond both papers): an empirical lower bound on ε beside the accountant's
upper bound, and how well membership inference works on each model, beside its robustness.

- **Audit** (:mod:`dprob_utils.dp.audit`): each main setting (paper 1's SGD and DP-SGD σ = 1.3, C = 1; paper 2's
  custom CNN with SGD and at a small and a large C) is trained once more, with the same settings, on its
  training set plus the members among ``privacy.canaries`` mislabelled canaries; the audited ε must stay below
  the accountant's. These are extra trainings (:func:`audit_configs`), stored under ``<cache>/results/audit/``.
- **Membership inference** (:mod:`dprob_utils.analysis.membership`): on every model of the training chapter,
  ``privacy.mia_points`` of its training images against as many test images (the same for every model), by a
  loss threshold and by LiRA offline; on the audit models also the canaries, members against non-members.
- **LiRA's reference models** (:func:`reference_configs`): ``privacy.references`` per setting, each trained like
  its setting (same lr, batch, epochs, mode, σ, C; seed ``profile seed + 1000 + k``) on the training set without
  the member candidates, so that no candidate and no canary was seen. Two variants, both on the same points:
  ``lira`` (the paper's way: references trained like the target, for the audited settings, every seed of them)
  and ``lira_sgd_refs`` (ours: every model calibrated by its architecture's SGD references, for the models no
  reference was trained like). Their statistics are stored, not their weights (``<cache>/results/lira_reference/``).

Audits and reference trainings are independent units (:func:`privacy_units`), trained side by side by the executor
(:func:`precompute_privacy`) before the chapter reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace

import numpy as np
import torch
from torch import nn

from dprob_utils.analysis import membership as mia
from dprob_utils.config import versions
from dprob_utils.config.profiles import Profile, get_profile
from dprob_utils.config.training import TrainConfig
from dprob_utils.dp import audit
from dprob_utils.models import zoo
from dprob_utils.store.core import stored, stored_intervals, stored_path

REFERENCE_SEED_OFFSET = 1000  # reference k of a setting trains with seed profile seed + 1000 + k: no model's seed


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

    def compute() -> dict:
        r = audit.train_audited(cfg, p.canaries, prof.delta, seed=p.seed, k=p.guesses)
        return r | {"scores": r["scores"].double(), "members": r["members"].to(torch.uint8)}

    return stored("audit", _audit_parts(prof, cfg), compute)


def mia_indices(prof: Profile, n_train: int, n_test: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of the member candidates in a training set of ``n_train`` images and of the non-members in a test
    set of ``n_test``: ``mia_points`` of each, drawn with the chapter's seed (the same for every model trained on
    the same set; chapter 07 draws its CIFAR-10 heads' candidates with it too)."""
    g = torch.Generator().manual_seed(prof.privacy.seed)
    n = min(prof.privacy.mia_points, n_train, n_test)
    return torch.randperm(n_train, generator=g)[:n], torch.randperm(n_test, generator=g)[:n]


def _training_set(cfg: TrainConfig):
    from dprob_utils.data.datasets import load_dataset, subset

    return subset(load_dataset(cfg.dataset, "train"), cfg.train_subset, "stratified", seed=0)


def _mia_data(prof: Profile, cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(member images, labels, non-member images, labels) of :func:`mia_indices`."""
    from dprob_utils.data.datasets import load_dataset

    train, test = _training_set(cfg), load_dataset(cfg.dataset, "test")
    i, j = mia_indices(prof, len(train), len(test))
    return train.x[i], train.y[i], test.x[j], test.y[j]


def mia_scores(prof: Profile, cfg: TrainConfig, model: nn.Module) -> dict[str, np.ndarray]:
    """``{"in": [n], "out": [n], "phi_in": [n], "phi_out": [n], "fgsm": [2]}``: loss scores and LiRA's
    logit-scaled confidences of ``model`` (trained by ``cfg``) on its member candidates and on test images, and
    its clean and FGSM (``privacy.fgsm_eps``) accuracy on those test images."""
    from dprob_utils.attacks.fgsm import fgsm_curve

    xi, yi, xo, yo = _mia_data(prof, cfg)
    return {"in": mia.loss_scores(model, xi, yi).numpy(), "out": mia.loss_scores(model, xo, yo).numpy(),
            "phi_in": mia.logit_confidence(model, xi, yi).numpy(),
            "phi_out": mia.logit_confidence(model, xo, yo).numpy(),
            "fgsm": np.array(fgsm_curve(model, xo, yo, [0.0, prof.privacy.fgsm_eps]))}


def reference_configs(prof: Profile) -> dict[str, TrainConfig]:
    """The settings LiRA trains reference models of, by name: every audited setting (:func:`audit_configs`) and
    each architecture's SGD model (``p1:sgd``, ``p2_lenet:sgd``, ``p2_custom:sgd``)."""
    out = dict(audit_configs(prof))
    for arch in prof.p2_grid.archs:
        out.setdefault(f"{arch}:sgd", zoo.p2_model(prof, arch))
    return out


def _sgd_reference_of(prof: Profile, arch: str) -> str:
    """The name in :func:`reference_configs` of ``arch``'s SGD setting."""
    return "p1:sgd" if arch == zoo.p1_sgd(prof).arch else f"{arch}:sgd"


def reference_config(prof: Profile, cfg: TrainConfig, k: int) -> TrainConfig:
    """Reference model ``k`` of setting ``cfg``: ``cfg`` with seed ``profile seed + REFERENCE_SEED_OFFSET + k``."""
    return replace(cfg, seed=prof.seed + REFERENCE_SEED_OFFSET + k)


def reference_training_set(prof: Profile, cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """What a reference model of ``cfg`` trains on: ``cfg``'s training set without its member candidates
    (images ``[N - n, ...]``, labels ``[N - n]``); the non-members and canaries are test images, never trained on."""
    from dprob_utils.data.datasets import load_dataset

    train = _training_set(cfg)
    i, _ = mia_indices(prof, len(train), len(load_dataset(cfg.dataset, "test")))
    keep = torch.ones(len(train), dtype=torch.bool)
    keep[i] = False
    return train.x[keep], train.y[keep]


def _reference_parts(prof: Profile, cfg: TrainConfig, k: int) -> dict:
    p = prof.privacy
    return {"config": cfg.key(), "k": k, "mia_points": p.mia_points, "canaries": p.canaries, "seed": p.seed,
            "version": versions.LIRA_VERSION}


def run_reference_of(prof: Profile, cfg: TrainConfig, k: int) -> dict:
    """Reference model ``k`` of setting ``cfg`` (trained, or read from the store): ``cfg`` with seed ``profile seed
    + REFERENCE_SEED_OFFSET + k`` on its training set without the member candidates. Returns its logit-scaled
    confidence on the member candidates, the non-members and the canaries (``phi_in``, ``phi_out``: ``[n]``,
    ``phi_canaries``: ``[m]``, float64), its clean accuracy, training seconds and training-set size."""

    def compute() -> dict:
        from dprob_utils.data.datasets import load_dataset
        from dprob_utils.dp.training import evaluate, fit
        from dprob_utils.models.architectures import build_model

        x, y = reference_training_set(prof, cfg)
        ref = reference_config(prof, cfg, k)
        torch.manual_seed(ref.seed)
        model = build_model(ref.arch)
        _, seconds, _ = fit(model, x, y, ref, progress=False, device=None)
        model.cpu().eval()
        xi, yi, xo, yo = _mia_data(prof, cfg)
        cx, cy = audit.canaries(prof.privacy.canaries, prof.privacy.seed)
        test = load_dataset(cfg.dataset, "test")
        return {"phi_in": mia.logit_confidence(model, xi, yi), "phi_out": mia.logit_confidence(model, xo, yo),
                "phi_canaries": mia.logit_confidence(model, cx, cy),
                "accuracy": evaluate(model, test.x, test.y), "seconds": seconds, "train_size": len(y)}

    return stored("lira_reference", _reference_parts(prof, cfg, k), compute)


def _audit_parts(prof: Profile, cfg: TrainConfig) -> dict:
    p = prof.privacy
    return {"config": cfg.key(), "canaries": p.canaries, "guesses": p.guesses, "confidence": p.confidence,
            "seed": p.seed, "delta": prof.delta, "version": versions.AUDIT_VERSION}


def privacy_units(prof: Profile) -> list[tuple[str, str, int]]:
    """``(kind, setting name, k)`` of every extra training of the chapter: each audit (``kind`` ``audit``) and
    each LiRA reference model (``reference``, ``k`` in ``0 .. references - 1``), the training cost of this chapter."""
    units = [("audit", name, 0) for name in audit_configs(prof)]
    units += [("reference", name, k) for name in reference_configs(prof) for k in range(prof.privacy.references)]
    return units


def _unit_stored(prof: Profile, kind: str, name: str, k: int) -> bool:
    if kind == "audit":
        return stored_path("audit", _audit_parts(prof, audit_configs(prof)[name])).is_file()
    return stored_path("lira_reference", _reference_parts(prof, reference_configs(prof)[name], k)).is_file()


def run_privacy_unit(prof: Profile, kind: str, name: str, k: int) -> float:
    """Train and store one unit of :func:`privacy_units`; returns its training seconds."""
    if kind == "audit":
        return float(run_audit_of(prof, audit_configs(prof)[name])["seconds"])
    return float(run_reference_of(prof, reference_configs(prof)[name], k)["seconds"])


def precompute_privacy(profile: Profile | str, jobs: int | None = None, log: Callable[[str], None] | None = None
                       ) -> int:
    """Train every unit of :func:`privacy_units` not stored yet, side by side by the executor (local: ``jobs``
    processes, default :func:`~dprob_utils.config.parallel.default_jobs`; ``ray``: one task each). ``log`` gets a
    line at most every 30 s and when done. Returns the number of units trained."""
    from dprob_utils.config.parallel import default_jobs, executor, run_units

    prof = get_profile(profile)
    todo = [u for u in privacy_units(prof) if not _unit_stored(prof, *u)]
    gpus = zoo.gpus_per_training() if executor() == "ray" else 0.0
    return run_units(run_privacy_unit, [(prof, *u) for u in todo], "privacy trainings", jobs or default_jobs(),
                     gpus, log)


def _references(prof: Profile, name: str) -> list[dict]:
    cfg = reference_configs(prof)[name]
    return [run_reference_of(prof, cfg, k) for k in range(prof.privacy.references)]


def _lira(target_in: np.ndarray, target_out: np.ndarray, refs: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """LiRA offline scores of the member candidates and of the non-members, calibrated by ``refs``."""
    ref = np.stack([np.concatenate([r["phi_in"].numpy(), r["phi_out"].numpy()]) for r in refs])
    z = mia.lira_offline(np.concatenate([target_in, target_out]), ref)
    return z[: len(target_in)], z[len(target_in):]


def _model_membership(prof: Profile, cfg: TrainConfig, model: nn.Module, own: str | None, sgd_refs: str,
                      refs: dict[str, list[dict]]) -> tuple[dict, dict]:
    """One model's :func:`mia_scores` with its LiRA scores (``lira_sgd_refs``, and ``lira`` when ``own`` names
    references trained like it) and their :func:`~dprob_utils.analysis.membership.roc_intervals` (``loss``,
    ``lira_sgd_refs``, ``lira``). Stored (a function of the model and of the stored reference statistics), so a
    warm chapter does not score every model and redo its bootstraps."""
    ref_cfgs = reference_configs(prof)
    parts = {"config": cfg.key(), "privacy": asdict(prof.privacy), "seed": prof.seed,
             "own": None if own is None else ref_cfgs[own].key(), "sgd_refs": ref_cfgs[sgd_refs].key(),
             "version": versions.LIRA_VERSION}

    def compute() -> dict:
        sc = mia_scores(prof, cfg, model)
        sc["lira_sgd_refs"] = list(_lira(sc["phi_in"], sc["phi_out"], refs[sgd_refs]))
        roc = {"loss": mia.roc_intervals(sc["in"], sc["out"], prof.seed),
               "lira_sgd_refs": mia.roc_intervals(*sc["lira_sgd_refs"], prof.seed)}
        if own is not None:
            sc["lira"] = list(_lira(sc["phi_in"], sc["phi_out"], refs[own]))
            roc["lira"] = mia.roc_intervals(*sc["lira"], prof.seed)
        return {"scores": sc, "roc": roc}

    d = stored_intervals("mia_model", parts, compute)
    return d["scores"], d["roc"]


def run_privacy(profile: Profile | str) -> dict:
    """Chapter 12's results dict (``results/<profile>/12_privacy.json``): the audits, membership inference (loss
    threshold and LiRA offline) on every model and on the canaries, the reference models' cost, and the intervals
    its claims read."""
    prof = get_profile(profile)
    precompute_privacy(prof)
    refs = {name: _references(prof, name) for name in reference_configs(prof)}
    matched = {cfg.key(): name for name, cfg in reference_configs(prof).items()}
    audits, canary = {}, {}
    for name, cfg in audit_configs(prof).items():
        r = run_audit_of(prof, cfg)
        members = r["members"].bool().numpy()
        scores = r["scores"].numpy()
        z = mia.lira_offline(r["phi"].numpy(), np.stack([x["phi_canaries"].numpy() for x in refs[name]]))
        canary[name] = {"loss": {"in": [scores[members]], "out": [scores[~members]]},
                        "lira": {"in": [z[members]], "out": [z[~members]]}}
        audits[name] = {"config": cfg.key(), "label": cfg.label(), "private": cfg.private,
                        "epsilon_accountant": r["epsilon_accountant"], "accuracy": r["accuracy"],
                        "canaries_in": r["canaries_in"], "seconds": r["seconds"], **r["audit"],
                        "canary_mia": mia.roc_intervals(scores[members], scores[~members], prof.seed),
                        "canary_lira": mia.roc_intervals(z[members], z[~members], prof.seed)}
    models, scores_of = {}, {}
    specs: dict[str, zoo.ModelSpec] = {}
    for spec in zoo.training_specs(prof):
        specs.setdefault(spec.config.key(), spec)  # a model listed twice (fixed noise at C = 1) keeps its first name
    for key, spec in specs.items():
        cfg = spec.config
        model, result = zoo.load(cfg, prof)
        own = matched.get(replace(cfg, seed=prof.seed).key())
        sgd_refs = _sgd_reference_of(prof, cfg.arch)
        sc, roc = _model_membership(prof, cfg, model, own, sgd_refs, refs)
        scores_of[key] = sc
        eps = result.summary(delta=prof.delta).get("epsilon")
        models[key] = {"group": spec.group, "label": spec.label, "arch": cfg.arch, "mode": cfg.mode,
                       "sigma": cfg.sigma, "clip": cfg.clip, "seed": cfg.seed, "accuracy": result.accuracy,
                       "epsilon": eps, "clean_on_mia_points": float(sc["fgsm"][0]),
                       "fgsm_accuracy": float(sc["fgsm"][1]), **roc["loss"],
                       "lira_references": own, "lira": roc.get("lira"),
                       "lira_sgd_refs_from": sgd_refs, "lira_sgd_refs": roc["lira_sgd_refs"]}
    for m in models.values():  # robustness lost: FGSM accuracy of the SGD model of the same architecture and seed
        sgd = next((v for v in models.values() if v["arch"] == m["arch"] and v["mode"] == "sgd"
                    and v["seed"] == m["seed"]), None)
        m["fgsm_lost"] = None if sgd is None else sgd["fgsm_accuracy"] - m["fgsm_accuracy"]
    seeds = zoo.headline_seeds(prof)
    pair = {name: [scores_of[zoo.p1_pair(prof, s)[name].key()] for s in seeds] for name in ("sgd", "dp")}
    loss = {f"{m}:{w}": [sc[w] for sc in pair[m]] for m in ("sgd", "dp") for w in ("in", "out")}
    lira = {f"{m}:{w}": [sc["lira"][i] for sc in pair[m]] for m in ("sgd", "dp") for i, w in enumerate(("in", "out"))}
    canary_loss = {f"{m}:{w}": canary[f"p1:{m}"]["loss"][w] for m in ("sgd", "dp") for w in ("in", "out")}
    canary_lira = {f"{m}:{w}": canary[f"p1:{m}"]["lira"][w] for m in ("sgd", "dp") for w in ("in", "out")}
    intervals = {
        "p1_mia_auc_sgd_minus_dp": mia.sgd_minus_dp(loss, mia.auc, True, prof.seed),
        "p1_canary_auc_sgd_minus_dp": mia.sgd_minus_dp(canary_loss, mia.auc, False, prof.seed),
        "p1_lira_auc_sgd_minus_dp": mia.sgd_minus_dp(lira, mia.auc, True, prof.seed),
        "p1_lira_tpr_at_0.01_sgd_minus_dp": mia.sgd_minus_dp(lira, mia.tpr_at_1pct, True, prof.seed),
        "p1_canary_lira_auc_sgd_minus_dp": mia.sgd_minus_dp(canary_lira, mia.auc, False, prof.seed),
    }
    cost = {name: {"trainings": len(rs), "seconds": sum(r["seconds"] for r in rs),
                   "accuracy": float(np.mean([r["accuracy"] for r in rs])), "train_size": rs[0]["train_size"]}
            for name, rs in refs.items()}
    return {"profile": prof.name,
            "settings": {"canaries": prof.privacy.canaries, "guesses": prof.privacy.guesses,
                         "confidence": prof.privacy.confidence, "mia_points": prof.privacy.mia_points,
                         "fgsm_eps": prof.privacy.fgsm_eps, "references": prof.privacy.references,
                         "delta": prof.delta, "seeds": seeds},
            "audits": audits, "references": cost, "models": models, "intervals": intervals}

"""The chapter registry: what each notebook of the book runs, needs, shows and claims, in one place.

One :class:`Chapter` per notebook (``notebooks/<stem>.ipynb``), in book order. Each names the functions it calls
(dotted, relative to ``dprob_utils``), the results file it writes (``results/<profile>/<stem>.json``), the
chapters that must run before it and the models it reads, and the papers' tables and figures it makes
(:class:`Artefact`, each with the top-level results keys that hold it). The scorecard's claims
(``book/reference/claims.yaml``) read those keys, so :meth:`Chapter.claim_ids` and :func:`claims_of` find a
chapter's and an artefact's claims. The runner orders and schedules the chapters from here, the index
(:data:`dprob_utils.ARTEFACTS`) lists the artefacts, and the scorecard groups its claims by chapter.

For example, paper 2's Table III: ``chapter("09_p2_cw_boundary")`` → its artefact ``"Table III (Boundary attack
at ε = 1, 2)"``, function ``experiments.p2.cw_boundary.run_cw_boundary``, results key
``09_p2_cw_boundary:intervals``, and ``claims_of`` that artefact → the ``p2-table3-*`` claims.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Artefact:
    """One table or figure of a paper (or a study beyond both papers) and where the book makes it.

    Attributes:
        paper: 1 or 2, or 0 for a study beyond both papers; name: as the paper names it ("Fig. 2", "Table III");
        function: dotted name of the function that computes it (relative to ``dprob_utils``);
        keys: the top-level keys of the chapter's results file that hold it (``intervals``, ``plateau``, ...);
        families: where two artefacts share a key, the claim families (``p2-table3``: a claim id's first two
        parts) that are this artefact's; empty: every claim that reads its keys.
    """

    paper: int
    name: str
    function: str
    keys: tuple[str, ...]
    families: tuple[str, ...] = ()
    chapter: str = ""  # filled in by the registry: the stem of the chapter that makes it

    @property
    def results(self) -> tuple[str, ...]:
        """The results keys as the scorecard writes them: ``"<results file>:<key>"``."""
        return tuple(f"{self.chapter}:{k}" for k in self.keys)


@dataclass(frozen=True)
class Chapter:
    """One notebook of the book.

    Attributes:
        stem: the notebook's file stem (``02_p1_fgsm``), also its results file's name; title: its heading;
        role: ``training`` (trains the model zoo every other chapter loads: runs first when it has models to
        train), ``chapter`` (independent of the others: runs beside them), or ``summary`` (reads the others'
        results: runs last);
        run: dotted names of the functions that compute its results (relative to ``dprob_utils``);
        needs: chapters that must have run before it (for their models or results);
        models: dotted names of the functions that list the models it reads (relative to ``dprob_utils``);
        artefacts: the papers' tables and figures it makes;
        precompute: on Ray, a function ``(profile, log=...) -> int`` run as tasks before the chapter;
        cost: rough cold-build seconds on a 2-core machine, two chapters side by side: only the order in which a
        first build starts the chapters (longest first) reads it.
    """

    stem: str
    title: str
    role: str = "chapter"
    run: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    artefacts: tuple[Artefact, ...] = ()
    precompute: str | None = None
    cost: int = 0

    @property
    def results(self) -> str:
        """The results file's name under ``results/<profile>/`` (without ``.json``)."""
        return self.stem

    def claim_ids(self) -> list[str]:
        """Ids of the scorecard claims that read this chapter's results."""
        from dprob_utils.book.scorecard import claim_chapter, load_claims

        return [c["id"] for c in load_claims() if claim_chapter(c) == self.stem]


def _chapter(stem: str, title: str, *artefacts: tuple, **kw) -> Chapter:
    arts = tuple(Artefact(*a, chapter=stem) for a in artefacts)
    return Chapter(stem, title, artefacts=arts, **kw)


P2_MODELS = ("models.zoo.paper2_specs",)
P1_MODELS = ("models.zoo.paper1_specs",)
TRAINING = ("01_training",)

CHAPTERS: tuple[Chapter, ...] = (
    _chapter("00_overview", "Does differential privacy make neural networks less robust?", role="summary",
             run=("book.scorecard.evaluate",)),
    _chapter("01_training", "Training and privacy",
             (1, "Eq. (1): ε of σ = 1.3", "dp.privacy.epsilon_equation1", ("eq1_sigma1.3_delta1e-6",)),
             (1, "Table 2, baseline row (clean accuracy)", "experiments.training.run_training", ("intervals",)),
             (2, "Table I (clean accuracy)", "experiments.training.run_training", ("models",)),
             role="training", run=("experiments.training.run_training",), models=("models.zoo.training_specs",),
             cost=700),
    _chapter("02_p1_fgsm", "Paper 1: FGSM",
             (1, "Fig. 2 (FGSM, SGD vs DP-SGD)", "experiments.p1_mnist.fgsm.run_fgsm", ("intervals",)),
             (1, "Fig. 3a (FGSM against σ)", "experiments.p1_mnist.fgsm.run_fgsm", ("intervals/sweeps/fig3a",)),
             (1, "Fig. 3b (FGSM against C, noise σC)", "experiments.p1_mnist.fgsm.run_fgsm",
              ("intervals/sweeps/fig3b",)),
             (1, "Fig. 3c (FGSM against C, fixed noise)", "experiments.p1_mnist.fgsm.run_fgsm",
              ("intervals/sweeps/fig3c",)),
             (1, "Fig. 7 (FGSM at large C)", "experiments.p1_mnist.fgsm.run_fgsm", ("intervals/sweeps/fig7",)),
             run=("experiments.p1_mnist.fgsm.run_fgsm",), needs=TRAINING, models=P1_MODELS, cost=120),
    _chapter("03_p1_pgd", "Paper 1: PGD",
             (1, "Table 1 (PGD accuracy)", "experiments.p1_mnist.pgd.run_pgd", ("intervals",)),
             (1, "Fig. 4 (PGD iterations to fool)", "experiments.p1_mnist.pgd.run_pgd", ("intervals/fig4",)),
             run=("experiments.p1_mnist.pgd.run_pgd",), needs=TRAINING, models=P1_MODELS, cost=427),
    _chapter("04_p1_boundary", "Paper 1: distance to the decision boundary and curvature",
             (1, "Fig. 5 / eqs. (5), (6) (distance to the boundary)", "experiments.p1_mnist.boundary.run_distances",
              ("distances",)),
             (1, "Sec. 3.4 (input-Hessian curvature profile)", "experiments.p1_mnist.boundary.run_curvature",
              ("curvature",)),
             run=("experiments.p1_mnist.boundary.run_distances", "experiments.p1_mnist.boundary.run_curvature"),
             needs=TRAINING, models=P1_MODELS, cost=106),
    _chapter("05_p1_cross_sections", "Paper 1: decision-boundary cross-sections",
             (1, "Fig. 1 (decision-boundary cross-sections)", "experiments.p1_mnist.cross_sections.run_cross_sections",
              ("intervals",)),
             run=("experiments.p1_mnist.cross_sections.run_cross_sections",), needs=TRAINING, models=P1_MODELS,
             cost=69),
    _chapter("06_p1_mnistc", "Paper 1: MNIST-C",
             (1, "Table 2 (MNIST-C)", "experiments.p1_mnist.mnistc.run_mnistc", ("intervals",)),
             run=("experiments.p1_mnist.mnistc.run_table2", "experiments.p1_mnist.mnistc.run_mnistc"),
             needs=TRAINING, models=P1_MODELS, cost=130),
    _chapter("07_p1_cifar", "Paper 1: CIFAR-10",
             (1, "Sec. 3.6, Fig. 6 (CIFAR-10)", "experiments.p1_cifar.chapter.run_cifar", ("intervals",)),
             (0, "Membership inference on the CIFAR-10 heads", "experiments.p1_cifar.chapter.run_cifar",
              ("membership",)),
             run=("experiments.p1_cifar.chapter.run_cifar",), models=("experiments.p1_cifar.heads.build_models",),
             cost=330),
    _chapter("08_p2_pgd", "Paper 2: PGD",
             (2, "Figs. 1, 2 (PGD against ε and iterations)", "experiments.p2.pgd.run_pgd",
              ("plateau", "intervals", "trend_intervals", "largest_drop", "rate_intervals")),
             run=("experiments.p2.pgd.run_pgd",), needs=TRAINING, models=P2_MODELS,
             precompute="experiments.p2.runs.precompute_attacks", cost=71),
    _chapter("09_p2_cw_boundary", "Paper 2: Carlini-Wagner and the Boundary attack",
             (2, "Table II (CW₂ for 100% success)", "experiments.p2.cw_boundary.run_cw_boundary",
              ("intervals", "trend_intervals", "share_dp_below_sgd", "rate_intervals"), ("p2-table2", "p2-cw")),
             (2, "Table III (Boundary attack at ε = 1, 2)", "experiments.p2.cw_boundary.run_cw_boundary",
              ("intervals", "trend_intervals", "c10_most_vulnerable", "boundary_saturation"), ("p2-table3",)),
             run=("experiments.p2.cw_boundary.run_cw_boundary",), needs=TRAINING, models=P2_MODELS,
             precompute="experiments.p2.runs.precompute_attacks", cost=784),
    _chapter("10_p2_transfer_gradients", "Paper 2: transferability and gradients",
             (2, "Sec. V, Fig. 4 (transferability)", "experiments.p2.transfer_gradients.run_transfer_gradients",
              ("transfer_intervals",)),
             (2, "Sec. VI, Figs. 5, 6 (gradient statistics)",
              "experiments.p2.transfer_gradients.run_transfer_gradients", ("gradient_intervals",)),
             run=("experiments.p2.transfer_gradients.run_transfer_gradients",), needs=TRAINING, models=P2_MODELS,
             precompute="experiments.p2.runs.precompute_attacks", cost=45),
    _chapter("11_p2_masking", "Paper 2: gradient masking",
             (2, "Table IV (masked models, CW₂)", "experiments.p2.masking.run_masking",
              ("table4_intervals", "table4_rates", "clean_accuracy")),
             (2, "Table V (masked models, Boundary attack)", "experiments.p2.masking.run_masking",
              ("intervals", "ba_minus_pgd")),
             (2, "Fig. 7 (masked models, PGD curves)", "experiments.p2.masking.run_masking", ("plateau",)),
             (2, "Fig. 8 (masked models, CW₂ transfer)", "experiments.p2.masking.run_masking",
              ("fig8_masked_minus_fig4a",)),
             (2, "Figs. 9, 10 (masked models, gradients)", "experiments.p2.masking.run_masking",
              ("fig9_zero_gradient_pct", "fig10_first_dense_summary")),
             (2, "Sec. II-G (seven-criteria masking check, every model)", "experiments.p2.masking.run_masking",
              ("masking_check",)),
             run=("experiments.p2.masking.run_masking",), needs=TRAINING, models=P2_MODELS + P1_MODELS,
             precompute="experiments.p2.runs.precompute_attacks", cost=207),
    _chapter("12_privacy", "Beyond both papers: what the privacy buys",
             (0, "One-run privacy audit (Steinke et al. 2023)", "experiments.privacy.run_privacy", ("audits",)),
             (0, "Membership inference: loss threshold and LiRA (Carlini et al. 2022)",
              "experiments.privacy.run_privacy", ("intervals",)),
             run=("experiments.privacy.run_privacy",), needs=TRAINING,
             models=("models.zoo.training_specs", "experiments.privacy.audit_configs",
                     "experiments.privacy.reference_configs"),
             precompute="experiments.privacy.precompute_privacy", cost=475),
    _chapter("90_explorer", "Explorer: your own σ and C", run=("book.explorer.run_explorer",), needs=TRAINING,
             models=P1_MODELS, cost=71),
    _chapter("98_settings", "Settings of every profile", role="summary"),
    _chapter("99_scorecard", "Scorecard: every claim, the paper's number and ours", role="summary",
             run=("book.scorecard.run_scorecard",)),
)

ROLES = ("training", "chapter", "summary")


def find(stem: str) -> Chapter | None:
    """The chapter whose stem is ``stem``, or ``None`` (a notebook outside the registry)."""
    return next((c for c in CHAPTERS if c.stem == stem), None)


def chapter(stem: str) -> Chapter:
    """The chapter whose stem is ``stem`` (``KeyError`` naming the stems there are, if none)."""
    found = find(stem)
    if found is None:
        raise KeyError(f"no chapter {stem!r}; chapters: {', '.join(c.stem for c in CHAPTERS)}")
    return found


def artefacts() -> tuple[Artefact, ...]:
    """Every artefact of every chapter, in book order."""
    return tuple(a for c in CHAPTERS for a in c.artefacts)


def claims_of(artefact: Artefact) -> list[str]:
    """Ids of the scorecard claims that read one of ``artefact``'s results keys."""
    from dprob_utils.book.scorecard import load_claims

    keys, families = artefact.results, artefact.families
    return [c["id"] for c in load_claims()
            if any(str(s) == k or str(s).startswith((k + "/", k + "[")) for s in c.get("values", {}).values()
                   for k in keys)
            and (not families or "-".join(c["id"].split("-")[:2]) in families)]


def resolve(dotted: str) -> Callable:
    """The object behind a dotted name relative to ``dprob_utils`` (imports its module)."""
    module, _, name = f"dprob_utils.{dotted}".rpartition(".")
    return getattr(importlib.import_module(module), name)


def function_of(artefact: Artefact) -> Callable:
    """The function object behind ``artefact``."""
    return resolve(artefact.function)

"""dprob_utils: the package behind the dprob replication book (two papers on DP-SGD and adversarial robustness).

Paper 1: Tursynbek, Petiushko, Oseledets, *Robustness Threats of Differential Privacy* (2020).
Paper 2: Boenisch, Sperl, Böttinger, *Gradient Masking and the Underestimated Robustness Threats of Differential
Privacy in Deep Learning* (2021).

Layout, one subpackage per concern:

===================  ===========================================================================================
``config``           profiles (every setting) and their overrides, paths, devices, errors, process pool,
                     progress bars and progress events (``config.status``), provenance of results
``data``             MNIST / CIFAR-10 / CIFAR-100 as tensors in [0, 1]; ``data.corruptions``: the 31 MNIST-C ones
``models``           the papers' architectures; ``models.zoo``: the models each chapter uses, by profile
``dp``               training (SGD, DP-SGD), privacy accounting, ``dp.reference``: the slow per-example step the
                     fast paths are tested against; ``dp.fast``: book-keeping clipping, compiled kernels, noise,
                     allocator (speed only: the same mathematics); ``dp.audit``: the one-run privacy audit
``attacks``          one module per attack family, one call shape ``attack(model, x, y, **params) -> x_adv``
``analysis``         boundary geometry, curvature, gradient statistics, transfer, the gradient-masking check,
                     membership inference (loss threshold, LiRA offline)
``store``            the one keyed store (datasets, models, attack runs, results), its key recipe and versions
``experiments``      one module per chapter group: ``run_<artefact>(profile) -> results dict``
``book``             notebook runner, chapter report boxes, results JSON, ``book.tables`` (display tables read
                     from a results dict), reference data, scorecard, ``book.metrics`` (one table of every
                     number), the explorer (``dprob explore``: ``book.explorer``, ``book.app``), the static
                     book's interactive views (``book.interactive``), plots (also saved as files)
``cli``              the ``dprob`` command, ``dprob bench``, the profiles' workload
===================  ===========================================================================================

:data:`ARTEFACTS` indexes every table and figure of both papers to the function that makes it, the results
key the scorecard reads (``"<results file>:<path>"``) and, through :func:`claims_of`, its claims. Importing
the package changes nothing in the process (no allocator or compiler settings: training applies them).
"""

from __future__ import annotations

from dataclasses import dataclass

__version__ = "0.1.0"


@dataclass(frozen=True)
class Artefact:
    """One table or figure of a paper and where the book makes it.

    Attributes:
        paper: 1 or 2; name: as the paper names it ("Fig. 2", "Table III"); chapter: the notebook stem;
        function: dotted name of the function that computes it (relative to ``dprob_utils``);
        results: ``"<results file>:<top-level key>"`` under ``results/<profile>/``.
    """

    paper: int
    name: str
    chapter: str
    function: str
    results: str


ARTEFACTS: tuple[Artefact, ...] = (
    Artefact(1, "Eq. (1): ε of σ = 1.3", "01_training", "dp.privacy.epsilon_equation1",
             "01_training:eq1_sigma1.3_delta1e-6"),
    Artefact(1, "Table 2, baseline row (clean accuracy)", "01_training", "experiments.training.run_training",
             "01_training:intervals"),
    Artefact(2, "Table I (clean accuracy)", "01_training", "experiments.training.run_training", "01_training:models"),
    Artefact(1, "Fig. 2 (FGSM, SGD vs DP-SGD)", "02_p1_fgsm", "experiments.p1_mnist.run_fgsm", "02_p1_fgsm:intervals"),
    Artefact(1, "Fig. 3a (FGSM against σ)", "02_p1_fgsm", "experiments.p1_mnist.run_fgsm",
             "02_p1_fgsm:intervals/sweeps/fig3a"),
    Artefact(1, "Fig. 3b (FGSM against C, noise σC)", "02_p1_fgsm", "experiments.p1_mnist.run_fgsm",
             "02_p1_fgsm:intervals/sweeps/fig3b"),
    Artefact(1, "Fig. 3c (FGSM against C, fixed noise)", "02_p1_fgsm", "experiments.p1_mnist.run_fgsm",
             "02_p1_fgsm:intervals/sweeps/fig3c"),
    Artefact(1, "Fig. 7 (FGSM at large C)", "02_p1_fgsm", "experiments.p1_mnist.run_fgsm", "02_p1_fgsm:intervals/sweeps/fig7"),
    Artefact(1, "Table 1 (PGD accuracy)", "03_p1_pgd", "experiments.p1_mnist.run_pgd", "03_p1_pgd:intervals"),
    Artefact(1, "Fig. 4 (PGD iterations to fool)", "03_p1_pgd", "experiments.p1_mnist.run_pgd", "03_p1_pgd:intervals/fig4"),
    Artefact(1, "Fig. 5 / eqs. (5), (6) (distance to the boundary)", "04_p1_boundary",
             "experiments.p1_mnist.run_distances", "04_p1_boundary:distances"),
    Artefact(1, "Sec. 3.4 (input-Hessian curvature profile)", "04_p1_boundary", "experiments.p1_mnist.run_curvature",
             "04_p1_boundary:curvature"),
    Artefact(1, "Fig. 1 (decision-boundary cross-sections)", "05_p1_cross_sections",
             "experiments.p1_mnist.run_cross_sections", "05_p1_cross_sections:intervals"),
    Artefact(1, "Table 2 (MNIST-C)", "06_p1_mnistc", "experiments.p1_mnistc.run_mnistc", "06_p1_mnistc:intervals"),
    Artefact(1, "Sec. 3.6, Fig. 6 (CIFAR-10)", "07_p1_cifar", "experiments.p1_cifar.run_cifar", "07_p1_cifar:intervals"),
    Artefact(1, "Beyond both papers: membership inference on the CIFAR-10 heads", "07_p1_cifar",
             "experiments.p1_cifar.run_cifar", "07_p1_cifar:membership"),
    Artefact(2, "Figs. 1, 2 (PGD against ε and iterations)", "08_p2_pgd", "experiments.p2.run_pgd", "08_p2_pgd:plateau"),
    Artefact(2, "Table II (CW₂ for 100% success)", "09_p2_cw_boundary", "experiments.p2.run_cw_boundary",
             "09_p2_cw_boundary:intervals"),
    Artefact(2, "Table III (Boundary attack at ε = 1, 2)", "09_p2_cw_boundary", "experiments.p2.run_cw_boundary",
             "09_p2_cw_boundary:intervals"),
    Artefact(2, "Sec. V, Figs. 4, 5 (transferability)", "10_p2_transfer_gradients",
             "experiments.p2.run_transfer_gradients", "10_p2_transfer_gradients:transfer_intervals"),
    Artefact(2, "Sec. VI, Fig. 6 (gradient statistics)", "10_p2_transfer_gradients",
             "experiments.p2.run_transfer_gradients", "10_p2_transfer_gradients:gradient_intervals"),
    Artefact(2, "Table IV (masked models, CW₂)", "11_p2_masking", "experiments.p2.run_masking", "11_p2_masking:table4_intervals"),
    Artefact(2, "Table V (masked models, Boundary attack)", "11_p2_masking", "experiments.p2.run_masking",
             "11_p2_masking:intervals"),
    Artefact(2, "Fig. 7 (masked models, PGD curves)", "11_p2_masking", "experiments.p2.run_masking",
             "11_p2_masking:plateau"),
    Artefact(2, "Fig. 8 (masked models, CW₂ transfer)", "11_p2_masking", "experiments.p2.run_masking",
             "11_p2_masking:fig8_masked_minus_fig4a"),
    Artefact(2, "Figs. 9, 10 (masked models, gradients)", "11_p2_masking", "experiments.p2.run_masking",
             "11_p2_masking:fig9_zero_gradient_pct"),
    Artefact(2, "Sec. II-G (seven-criteria masking check, every model)", "11_p2_masking",
             "experiments.p2.run_masking", "11_p2_masking:masking_check"),
)


def claims_of(artefact: Artefact) -> list[str]:
    """Ids of the scorecard claims (``book/reference/claims.yaml``) that read ``artefact``'s results key."""
    from dprob_utils.book.scorecard import load_claims

    prefix = artefact.results
    return [c["id"] for c in load_claims()
            if any(str(s) == prefix or str(s).startswith((prefix + "/", prefix + "["))
                   for s in c.get("values", {}).values())]


def function_of(artefact: Artefact):
    """The function object behind ``artefact`` (imports its module)."""
    import importlib

    module, _, name = f"dprob_utils.{artefact.function}".rpartition(".")
    return getattr(importlib.import_module(module), name)


__all__ = ["ARTEFACTS", "Artefact", "__version__", "claims_of", "function_of"]

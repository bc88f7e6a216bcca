"""Adversarial attacks, one module per family, one call shape: ``attack(model, x, y, **params) -> x_adv``.

``model`` is a classifier (logits out), ``x`` images in [0, 1] (``[N, C, H, W]``), ``y`` integer labels
(``[N]``); the result is adversarial images in [0, 1] on the model's device (see :mod:`.base`). Attacks
that measure a per-sample quantity return a small result object beside the images
(:class:`~.pgd.PGDTrace`, :class:`~.minimal.MinimalResult`).

==========================  ==================================  ==============================================
module                      attacks                             used by (chapter)
==========================  ==================================  ==============================================
:mod:`.fgsm`                ``fgsm``, ``fgsm_curve``            02 (paper 1 Figs. 2, 3, 7), 11 (criterion 1)
:mod:`.pgd`                 ``pgd_linf``, ``pgd_first_fool``,   03 (paper 1 Fig. 4, Table 1), 08, 10, 11
                            ``pgd_iterations_to_fool``,         (paper 2 Figs. 1, 2, 7, transfer)
                            ``pgd_curves``
:mod:`.deepfool`            ``deepfool``,                       04 (paper 1 eqs. (5), (6), Fig. 5)
                            ``minimal_perturbation``
:mod:`.cw`                  ``carlini_wagner_l2``               09, 11 (paper 2 Tables II, IV)
:mod:`.boundary`            ``boundary_attack``                 09, 11 (paper 2 Tables III, V)
:mod:`.square`              ``square_linf``                     11 (masking criterion 2)
:mod:`.autoattack`          ``autoattack_linf``                 11 (beside the masking check)
==========================  ==================================  ==============================================
"""

from dprob_utils.attacks.autoattack import autoattack_linf
from dprob_utils.attacks.base import AttackFn, accuracy_under, correct_under, eval_mode, model_device, predict
from dprob_utils.attacks.boundary import boundary_attack, boundary_walk
from dprob_utils.attacks.cw import carlini_wagner_l2
from dprob_utils.attacks.deepfool import deepfool, minimal_perturbation
from dprob_utils.attacks.fgsm import fgsm, fgsm_curve
from dprob_utils.attacks.minimal import MinimalResult, eps_for_full_success, success_curve
from dprob_utils.attacks.pgd import (
    PGD_ALPHA_RULES,
    PGDCurves,
    PGDTrace,
    pgd_alpha,
    pgd_curves,
    pgd_first_fool,
    pgd_iterations_to_fool,
    pgd_linf,
)
from dprob_utils.attacks.square import square_linf

__all__ = [
    "AttackFn", "MinimalResult", "PGDCurves", "PGDTrace", "PGD_ALPHA_RULES", "accuracy_under", "autoattack_linf",
    "boundary_attack", "boundary_walk", "carlini_wagner_l2", "correct_under", "deepfool", "eps_for_full_success", "eval_mode",
    "fgsm", "fgsm_curve", "minimal_perturbation", "model_device", "pgd_alpha", "pgd_curves", "pgd_first_fool",
    "pgd_iterations_to_fool", "pgd_linf", "predict", "square_linf", "success_curve",
]

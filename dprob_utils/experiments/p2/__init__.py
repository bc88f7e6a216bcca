"""Paper 2 (Boenisch et al. 2021): chapters 08-11, one module each, on shared models, runs and intervals.

==========================  =========================================================================================
``models``                  the chapters' models (:class:`~.models.ChapterModel`) and their attack points
``runs``                    the attack runs (PGD, CW₂, Boundary, FGSM, Square, AutoAttack), stored once; Ray units
``intervals``               the interval recipes: against the SGD baseline, along the σ/C grid, shares, rates
``pgd``                     chapter 08 (Figs. 1, 2): :func:`~.pgd.run_pgd`
``cw_boundary``             chapter 09 (Tables II, III, Fig. 3): :func:`~.cw_boundary.run_cw_boundary`
``transfer_gradients``      chapter 10 (Sec. V, VI, Figs. 4-6): :func:`~.transfer_gradients.run_transfer_gradients`
``masking``                 chapter 11 (Tables IV, V, Figs. 7-10, the masking check): :func:`~.masking.run_masking`
==========================  =========================================================================================
"""

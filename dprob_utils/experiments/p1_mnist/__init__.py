"""Paper 1 (Tursynbek et al. 2020) on MNIST and MNIST-C: chapters 02-06, one module each.

Each ``run_*`` function takes a profile, loads the models of :mod:`dprob_utils.models.zoo` (trained by the
training chapter, or trained now and cached), runs one experiment on the profile's test subset and returns a
JSON-ready dict (accuracies in percent, gaps in percentage points) plus, where a figure needs them, raw arrays
under keys starting with ``_`` (dropped by :func:`~.common.public`). Everything runs on CUDA when it is available.

==================  ==========================================================================================
``common``          the attacked test images, loading a model, stored correct-under-attack vectors, intervals
``fgsm``            chapter 02 (Sec. 3.1, Figs. 2, 3, 7): :func:`~.fgsm.run_fgsm`
``pgd``             chapter 03 (Sec. 3.2, Table 1, Fig. 4): :func:`~.pgd.run_pgd`
``boundary``        chapter 04 (Secs. 3.3, 3.4, Fig. 5): :func:`~.boundary.run_distances`, :func:`~.boundary.run_curvature`
``cross_sections``  chapter 05 (Fig. 1): :func:`~.cross_sections.run_cross_sections`
``mnistc``          chapter 06 (Sec. 3.5, Table 2): :func:`~.mnistc.run_mnistc`
==================  ==========================================================================================
"""

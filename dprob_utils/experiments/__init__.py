"""One module per chapter group; each artefact is ``run_<artefact>(profile) -> results dict`` (what the chapter saves
under ``results/<profile>/``): ``training`` (01), ``p1_mnist`` (02-05), ``p1_mnistc`` (06), ``p1_cifar`` (07),
``p2`` (08-11). Notebooks call these, show tables and plot. ``dprob_utils.ARTEFACTS`` lists them all."""

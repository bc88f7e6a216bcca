"""One module per chapter (a package where a paper's chapters share models and runs); each computes a chapter's
results, ``run_<artefact>(profile) -> results dict`` (what the chapter saves under ``results/<profile>/``):
``training`` (01), ``p1_mnist`` (02-06), ``p1_cifar`` (07), ``p2`` (08-11), ``privacy`` (12). Notebooks call
these, show tables and plot. The registry :data:`dprob_utils.chapters.CHAPTERS` says which chapter calls what."""

"""The speed layer of DP-SGD, fenced off: nothing here changes what is computed, only how fast.

``bk_clipping`` (book-keeping per-example clipping; :func:`~.bk_clipping.plan` names the path each layer takes,
:func:`~.bk_clipping.explain` prints it for a model), ``compiled_grads`` (TorchInductor per-example kernels),
``dp_optimizer`` (the noise drawn on every core), ``allocator`` (glibc malloc setting, applied when training
starts). Measurements: ``benchmarks/README.md``."""

"""Data: ``datasets`` (MNIST, CIFAR-10, CIFAR-100 as tensors in [0, 1], offline copies or verified downloads) and
``corruptions`` (the 31 MNIST-C corruptions of paper 1 Table 2, chapter 06)."""

"""Models: ``architectures`` (paper 1's MNIST CNN and CIFAR net, paper 2's LeNet and custom CNN) and ``zoo`` (the
models each chapter uses, by profile, trained once and cached)."""

#!/usr/bin/env bash
# Install dprob and its dependencies into the active Python environment.
# torch first, pinned: a bare `torch` requirement would pull several GB of CUDA packages.
set -euo pipefail
python -m pip install -q "torch==2.13.0"
# torchattacks pins requests~=2.25 and torchvision, neither of which it needs at import time
# (torchvision from PyPI does not import beside the CPU torch wheel), so it is installed without deps.
python -m pip install -q --no-deps "torchattacks==3.5.1"
# imagecorruptions ships ImageNet-C's frost photographs, which MNIST-C's frost corruption reads; dprob reads only
# those image files (it never imports the package), so its OpenCV dependency is not needed.
python -m pip install -q --no-deps "imagecorruptions==1.1.2"
python -m pip install -q -e ".[dev,interactive]"

"""MNIST-C (Mu and Gilmer, 2019) as code: the 31 corruptions of paper 1's Table 2 plus ``identity``.

The released MNIST-C holds 15 corruptions and cannot be downloaded offline, so every corruption is
generated here from MNIST-C's definitions (its code, and ImageNet-C's where MNIST-C uses them), at the
severity MNIST-C uses, vectorised over a batch and deterministic for a seed:

- :func:`apply` corrupts an array or tensor; :func:`corrupted` a test set, cached on disk;
- :data:`TABLE2` (paper order), :data:`NAMES` (``identity`` first), :data:`SPECS` (label, severity,
  fidelity and notes per corruption);
- :func:`load_released` reads the released files when a user has them (``DPROB_MNISTC``);
- :func:`.pessimal.pessimal_matrix` learns the pessimal-noise matrix; :mod:`dprob_utils.experiments.p1_mnistc` runs Table 2.

Two corruptions need assets that are not available and use faithful stand-ins (frost textures, the
pessimal noise matrix); two re-implement ImageMagick's motion blur (motion blur, snow). See ``SPECS``.
"""

from dprob_utils.data.corruptions.registry import NAMES, RELEASED, SPECS, TABLE2, Spec, spec
from dprob_utils.data.corruptions.store import (
    RELEASED_ENV,
    apply,
    cache_path,
    corrupted,
    load_released,
    released_available,
    released_root,
    rng_for,
)

__all__ = [
    "NAMES", "RELEASED", "RELEASED_ENV", "SPECS", "TABLE2", "Spec", "apply",
    "cache_path", "corrupted", "load_released", "released_available", "released_root", "rng_for", "spec",
]

"""The corruptions by name: Table 2 of paper 1 (31 corruptions) plus ``identity``, with what each one is
and how faithfully it follows MNIST-C (Mu and Gilmer, 2019, and its code; ImageNet-C where MNIST-C uses it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dprob_utils.data.corruptions import blur, digital, geometric, lines, noise, weather

Corruption = Callable[..., np.ndarray]


@dataclass(frozen=True)
class Spec:
    """One corruption. ``severity``: MNIST-C's severity level (1-5; ``None`` where it has none);
    ``random``: whether it draws random numbers; ``fidelity``: ``"code"`` (MNIST-C's definition re-implemented
    and vectorised), ``"reimplemented"`` (an external tool re-implemented from its documented algorithm) or
    ``"stand-in"`` (needs an asset we do not have; see ``note``)."""

    name: str
    label: str
    fn: Corruption
    group: str
    severity: int | None
    random: bool
    released: bool  # among the 15 corruptions of the released MNIST-C files
    fidelity: str = "code"
    note: str = ""


_SPECS = [
    # paper 1 Table 2 order
    Spec("brightness", "Brightness", digital.brightness, "weather", 5, False, True),
    Spec("fog", "Fog", weather.fog, "weather", 5, True, True),
    Spec("impulse_noise", "Impulse Noise", noise.impulse_noise, "noise", 4, True, True),
    Spec("rotate", "Rotate", geometric.rotate, "affine", 2, True, True),
    Spec("shot_noise", "Shot Noise", noise.shot_noise, "noise", 5, True, True),
    Spec("translate", "Translate", geometric.translate, "affine", 3, True, True),
    Spec("canny_edges", "Canny Edges", digital.canny_edges, "digital", None, False, True),
    Spec("glass_blur", "Glass Blur", blur.glass_blur, "blur", 1, True, True),
    Spec("scale", "Scale", geometric.scale, "affine", 3, False, True),
    Spec("spatter", "Spatter", weather.spatter, "weather", 4, True, True),
    Spec("zigzag", "Zigzag", lines.zigzag, "lines", None, True, True),
    Spec("dotted_line", "Dotted Line", lines.dotted_line, "lines", None, True, True),
    Spec("motion_blur", "Motion Blur", blur.motion_blur, "blur", 1, True, True, "reimplemented",
         "ImageMagick's motion blur (called through Wand by MNIST-C) re-implemented from its algorithm."),
    Spec("shear", "Shear", geometric.shear, "affine", 2, True, True),
    Spec("stripe", "Stripe", digital.stripe, "digital", None, False, True),
    Spec("contrast", "Contrast", digital.contrast, "digital", 4, False, False),
    Spec("defocus_blur", "Defocus Blur", blur.defocus_blur, "blur", 1, False, False),
    Spec("frost", "Frost", weather.frost, "weather", 5, True, False, "code",
         "ImageNet-C's frost photographs, read from the imagecorruptions wheel (the files MNIST-C reads); without "
         "that package, procedural frost textures (plasma haze plus branching ice needles) stand in, with a "
         "warning. MNIST-C's blend 0.6 x + 0.75 frost."),
    Spec("gaussian_blur", "Gaussian Blur", blur.gaussian_blur, "blur", 2, False, False),
    Spec("gaussian_noise", "Gaussian Noise", noise.gaussian_noise, "noise", 5, True, False),
    Spec("pessimal_noise", "Pessimal Noise", noise.pessimal_noise, "noise", 1, True, False, "stand-in",
         "MNIST-C's learned 196 x 196 noise matrix is not available: we learn one the same way (SGD on the "
         "matrix to maximise the loss of a separately trained reference CNN)."),
    Spec("pixelate", "Pixelate", digital.pixelate, "digital", 3, False, False),
    Spec("saturate", "Saturate", digital.saturate, "digital", 5, False, False),
    Spec("speckle_noise", "Speckle Noise", noise.speckle_noise, "noise", 5, True, False),
    Spec("zoom_blur", "Zoom Blur", blur.zoom_blur, "blur", 5, False, False),
    Spec("jpeg_compression", "Jpeg Compression", digital.jpeg_compression, "digital", 5, False, False),
    Spec("elastic_transform", "Elastic Transform", digital.elastic_transform, "affine", 1, True, False),
    Spec("quantize", "Quantize", digital.quantize, "digital", 5, False, False),
    Spec("line", "Line", lines.line, "lines", None, True, False),
    Spec("inverse", "Inverse", digital.inverse, "digital", None, False, False),
    Spec("snow", "Snow", weather.snow, "weather", 5, True, False, "reimplemented",
         "The snow layer's ImageMagick motion blur is re-implemented (as for motion blur)."),
]

IDENTITY = Spec("identity", "Baseline", digital.identity, "none", None, False, True)
SPECS: dict[str, Spec] = {s.name: s for s in [IDENTITY, *_SPECS]}
TABLE2: tuple[str, ...] = tuple(s.name for s in _SPECS)  # the 31 corruptions, in the paper's order
NAMES: tuple[str, ...] = ("identity", *TABLE2)
RELEASED: tuple[str, ...] = tuple(s.name for s in SPECS.values() if s.released)  # identity + 15


def spec(name: str) -> Spec:
    """The :class:`Spec` of ``name``; ``KeyError`` listing the names for an unknown one."""
    try:
        return SPECS[name]
    except KeyError:
        raise KeyError(f"unknown corruption {name!r}; choose one of {', '.join(NAMES)}") from None

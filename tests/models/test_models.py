"""The four architectures: output shapes, parameter counts, Opacus compatibility."""

from __future__ import annotations

import pytest
import torch
from opacus.validators import ModuleValidator

from dprob_utils.config.errors import ConfigError
from dprob_utils.models.architectures import INPUT_SHAPES, CifarNet, build_model, count_parameters

# Counted by hand from the layer sizes (see each builder's docstring).
EXPECTED_PARAMS = {
    # conv 1->20 k5: 520; conv 20->50 k5: 25,050; FC 800->500: 400,500; 500->500: 250,500; 500->10: 5,010
    "p1_mnist_cnn": 681_580,
    # conv 1->6 k3: 60; conv 6->16 k3: 880; FC 7744->120: 929,400; 120->84: 10,164; 84->10: 850
    "p2_lenet": 941_354,
    # conv 1->16 k8: 1,040; conv 16->32 k4: 8,224; FC 512->32: 16,416; 32->10: 330
    "p2_custom": 26_010,
    # conv 3->64 k3: 1,792; conv 64->64 k3: 36,928; FC 3136->500: 1,568,500; 2x 500->500: 501,000; 500->10: 5,010
    "p1_cifar_net": 2_113_230,
}


@pytest.mark.parametrize("arch", list(EXPECTED_PARAMS))
def test_output_shape_and_parameter_count(arch):
    model = build_model(arch)
    assert model(torch.rand(3, *INPUT_SHAPES[arch])).shape == (3, 10)
    assert count_parameters(model) == EXPECTED_PARAMS[arch]


@pytest.mark.parametrize("arch", list(EXPECTED_PARAMS))
def test_opacus_compatible(arch):
    assert ModuleValidator.validate(build_model(arch), strict=False) == []


def test_custom_cnn_feature_map_sizes_follow_table_1():
    m = build_model("p2_custom")
    x = torch.rand(1, 1, 28, 28)
    sizes = []
    for layer in m:
        x = layer(x)
        sizes.append(tuple(x.shape[1:]))
    # conv 8x8 stride 2 'same' -> 14x14, max-pool 2 stride 1 -> 13, conv 4x4 stride 2 valid -> 5, pool -> 4
    assert sizes[0] == (16, 14, 14) and sizes[2] == (16, 13, 13) and sizes[3] == (32, 5, 5) and sizes[5] == (32, 4, 4)


def test_cifar_channels_are_a_parameter():
    m = CifarNet(channels=(16, 32))
    assert m.features[3].out_channels == 32
    assert m(torch.rand(2, 3, 32, 32)).shape == (2, 10)


def test_unknown_architecture():
    with pytest.raises(ConfigError, match="unknown architecture"):
        build_model("resnet")


def test_one_list_of_architectures():
    """The builders and input shapes cover exactly the architectures a training config accepts."""
    from dprob_utils.config.training import ARCHITECTURE_DATASETS
    from dprob_utils.models.architectures import ARCHITECTURES

    assert set(ARCHITECTURES) == set(INPUT_SHAPES) == set(ARCHITECTURE_DATASETS)

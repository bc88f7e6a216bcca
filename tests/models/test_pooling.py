"""The shifted poolings (LeNet's average, the other nets' maximum) are bit-identical to PyTorch's layers."""

import pytest
import torch
from torch import nn

from dprob_utils.models.pooling import AvgPool2x2Stride1, ShiftedMaxPool2d, with_pytorch_poolings


@pytest.mark.parametrize("channels", [6, 16])
@pytest.mark.parametrize("grad_layout", [torch.channels_last, torch.contiguous_format])
def test_shifted_pooling_is_bit_identical_to_pytorchs(channels, grad_layout):
    g = torch.Generator().manual_seed(channels)
    x = torch.randn(7, channels, 13, 11, generator=g).to(memory_format=torch.channels_last).requires_grad_()
    ref, ours = nn.AvgPool2d(2, stride=1)(x), AvgPool2x2Stride1()(x)
    assert torch.equal(ref, ours)
    assert ours.is_contiguous(memory_format=torch.channels_last)
    up = torch.randn(ref.shape, generator=g).contiguous(memory_format=grad_layout)
    (g_ref,) = torch.autograd.grad(ref, x, up)
    (g_ours,) = torch.autograd.grad(ours, x, up)
    assert torch.equal(g_ref, g_ours)


def test_other_layouts_and_torch_func_fall_back_to_pytorch():
    pool = AvgPool2x2Stride1()
    x = torch.rand(3, 2, 5, 5)  # NCHW
    assert torch.equal(pool(x), nn.functional.avg_pool2d(x, 2, 1))
    xs = x.to(memory_format=torch.channels_last)
    per_image = torch.func.vmap(torch.func.grad(lambda xi: pool(xi[None]).square().sum()))(xs)
    (whole,) = torch.autograd.grad(pool(xs.requires_grad_()).square().sum(), xs)
    torch.testing.assert_close(per_image, whole)
    assert pool.state_dict() == {} and isinstance(pool, nn.AvgPool2d)


@pytest.mark.parametrize("mode", ["sgd", "dpsgd"])
def test_lenet_trains_to_the_same_weights_with_either_pooling(mode):
    from dprob_utils.config.training import TrainConfig
    from dprob_utils.dp.training import fit
    from dprob_utils.models.architectures import build_model

    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(256, 1, 28, 28, generator=g), torch.randint(0, 10, (256,), generator=g)
    cfg = TrainConfig(arch="p2_lenet", mode=mode, sigma=1.0, lr=0.1, batch_size=64, epochs=1)
    weights = []
    for shifted in (True, False):
        torch.manual_seed(0)
        model = build_model("p2_lenet") if shifted else with_pytorch_poolings(build_model("p2_lenet"))
        fit(model, x, y, cfg, progress=False)
        weights.append(model.state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


@pytest.mark.parametrize(("kernel", "stride"), [(2, 1), (2, 2), (3, 2)])
@pytest.mark.parametrize("layout", [torch.channels_last, torch.contiguous_format])
def test_shifted_max_pooling_is_bit_identical_to_pytorchs(kernel, stride, layout):
    g = torch.Generator().manual_seed(stride)
    x = torch.relu(torch.randn(5, 7, 15, 12, generator=g)).contiguous(memory_format=layout)  # zeros tie
    x[0, 0, :2, :2] = float("nan")
    pool, ref = ShiftedMaxPool2d(kernel, stride), nn.MaxPool2d(kernel, stride=stride)
    with torch.no_grad():
        ours = pool(x)
        torch.testing.assert_close(ours, ref(x), rtol=0, atol=0, equal_nan=True)
    assert ours.is_contiguous(memory_format=layout)
    xg = x.clone().requires_grad_()  # with a gradient it is aten's own kernel
    assert pool(xg).grad_fn.name() == ref(xg).grad_fn.name()


@pytest.mark.parametrize("arch", ["p1_mnist_cnn", "p2_custom", "p2_lenet", "p1_cifar_net"])
def test_models_with_the_shifted_poolings_predict_as_pytorchs(arch):
    from dprob_utils.models.architectures import INPUT_SHAPES, build_model

    kwargs = {"channels": (8, 8)} if arch == "p1_cifar_net" else {}
    torch.manual_seed(0)
    model = build_model(arch, **kwargs).eval()
    plain = with_pytorch_poolings(build_model(arch, **kwargs).eval())
    plain.load_state_dict(model.state_dict())
    assert sum(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) and type(m).__module__.startswith("torch")
               for m in plain.modules()) == 2
    x = torch.rand(64, *INPUT_SHAPES[arch], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(model(x), plain(x))

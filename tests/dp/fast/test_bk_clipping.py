"""Book-keeping per-example clipping against slow one-example-at-a-time references."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dprob_utils.config.errors import ConfigError
from dprob_utils.dp.fast import bk_clipping, compiled_grads, conv_grads
from dprob_utils.dp.fast.bk_clipping import BookKeepingClipper
from dprob_utils.dp.fast.conv_grads import per_example_conv_weight_grad
from dprob_utils.dp.reference import per_example_clipped_sum as _reference
from dprob_utils.models.architectures import build_model


def _bk(model: nn.Module, x, y, clip: float):
    clipper = BookKeepingClipper(model, clip)
    norms = clipper.backward(nn.functional.cross_entropy(model(x), y, reduction="none"))
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    clipper.close()
    return norms, grads


def _assert_matches_reference(model: nn.Module, x, y, clip: float):
    """Book-keeping norms and clipped sums equal the one-example-at-a-time reference; returns (norms, grads)."""
    ref_norms, ref = _reference(model, x, y, clip)
    norms, grads = _bk(model, x, y, clip)
    torch.testing.assert_close(norms, ref_norms.float(), rtol=1e-4, atol=1e-6)
    for g, r in zip(grads, ref, strict=True):
        torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-6)
    return norms, grads


@pytest.fixture
def matrix_paths(monkeypatch):
    """The matrix-product paths of bk_clipping, without compiled kernels (dprob_utils.dp.fast.compiled_grads)."""
    monkeypatch.setitem(compiled_grads._state, "enabled", False)


@pytest.mark.parametrize("arch", ["p1_mnist_cnn", "p2_lenet", "p2_custom"])
@pytest.mark.parametrize("clip", [0.1, 1e6])
@pytest.mark.parametrize("compiled", [True, False])
def test_matches_reference_on_the_books_models(arch, clip, compiled, monkeypatch):
    monkeypatch.setitem(compiled_grads._state, "enabled", compiled)
    torch.manual_seed(0)
    model = build_model(arch).train()
    x, y = torch.rand(5, 1, 28, 28), torch.randint(0, 10, (5,))
    norms, grads = _assert_matches_reference(model, x, y, clip)
    assert compiled_grads.enabled() == compiled  # a failed compile would have switched itself off
    if clip < 1:  # every example was clipped: the sum has norm at most B * C
        assert float(torch.sqrt(sum((g**2).sum() for g in grads))) <= 5 * clip * (1 + 1e-5)
        assert (norms > clip).all()


@pytest.mark.parametrize("arch", ["p1_mnist_cnn", "p2_lenet", "p2_custom"])
@pytest.mark.parametrize("clip", [0.05, 1e6])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_conv_in_chunks_matches_reference(arch, clip, bias, monkeypatch, matrix_paths):
    # the second convolution's norms and clipped sum, chunk by chunk (bk_clipping._fused_conv_clip; kernel rows
    # for paper 1 and LeNet, the unfolded input for the custom CNN): chunks of 2 examples of 5, the last one
    # short; with and without a trainable bias
    monkeypatch.setattr(conv_grads, "CONV_CHUNK", 2)
    torch.manual_seed(4)
    model = build_model(arch).train()
    model[3].bias.requires_grad_(bias)
    x, y = torch.rand(5, 1, 28, 28), torch.randint(0, 10, (5,))
    layers = BookKeepingClipper(model, 1.0)
    items = [(m, None, torch.zeros(1, 1, 9, 9)) for m in layers.layers]
    layers.close()
    assert bk_clipping._fused_layer(items) == 1  # the second convolution
    _assert_matches_reference(model, x, y, clip)


def test_kernel_rows_of_a_layer_that_is_not_chunked(matrix_paths):
    # two kernel-row convolutions: the larger is chunked (_fused_conv_clip), the smaller keeps its per-example
    # gradients for the batch (_conv_parts)
    torch.manual_seed(6)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 4, 3, padding=1), nn.Flatten(),
                          nn.LazyLinear(3))
    x, y = torch.rand(5, 2, 9, 9), torch.randint(0, 3, (5,))
    model(x)
    items = [(m, None, torch.zeros(1, 1, 9, 9)) for m in model if not isinstance(m, (nn.ReLU, nn.Flatten))]
    assert bk_clipping._fused_layer(items) == 1
    assert all(conv_grads.by_rows(m, g) and conv_grads.use_rows(m) for m, _, g in items[:2])
    _assert_matches_reference(model, x, y, 0.3)


@pytest.mark.parametrize("kernel", [(1, 3), (3, 1)])
def test_fused_conv_with_a_one_row_or_one_column_kernel(kernel, monkeypatch, matrix_paths):
    # kernel rows of one row: the fused sum must not be read in the unfolded layout
    monkeypatch.setattr(conv_grads, "CONV_CHUNK", 2)
    torch.manual_seed(5)
    model = nn.Sequential(nn.Conv2d(2, 3, kernel), nn.Flatten(), nn.LazyLinear(3))
    x, y = torch.rand(5, 2, 9, 10), torch.randint(0, 3, (5,))
    model(x)
    assert conv_grads.use_rows(model[0]) and not conv_grads.use_unfold(model[0], model[0](x))
    _assert_matches_reference(model, x, y, 0.3)


@pytest.mark.parametrize("fmt", [torch.channels_last, torch.contiguous_format])
def test_kernel_row_path_matches_reference_with_stride_and_padding(fmt, matrix_paths):
    # several input channels: the kernel-row products (conv_grads.kernel_row_grads), with uneven strides,
    # padding and a rectangular kernel, in both memory layouts
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU(),
                          nn.Conv2d(4, 5, (3, 2), stride=(1, 2), padding=(2, 0)), nn.Flatten(),
                          nn.LazyLinear(3))
    x, y = torch.rand(6, 3, 11, 9).to(memory_format=fmt), torch.randint(0, 3, (6,))
    model(x)  # materialise the lazy layer
    model = model.to(memory_format=fmt)
    assert all(conv_grads.use_rows(m) for m in model if isinstance(m, nn.Conv2d))
    _assert_matches_reference(model, x, y, 0.5)


@pytest.mark.parametrize("fmt", [torch.channels_last, torch.contiguous_format])
def test_unfold_path_matches_reference_with_stride_and_padding(fmt, matrix_paths):
    # fewer than UNFOLD_BELOW_POSITIONS output positions: the channels-last unfold (conv_grads.unfolded_grads),
    # one and several input channels, uneven strides and padding, a rectangular kernel
    torch.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, stride=2, padding=1), nn.ReLU(),
                          nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 2)), nn.Flatten(), nn.LazyLinear(3))
    x, y = torch.rand(6, 1, 13, 9).to(memory_format=fmt), torch.randint(0, 3, (6,))
    g1, g2 = model[0](x), model[2](model[0](x))
    model(x)  # materialise the lazy layer
    model = model.to(memory_format=fmt)
    assert conv_grads.use_unfold(model[0], g1) and conv_grads.use_unfold(model[2], g2)
    _assert_matches_reference(model, x, y, 0.5)


@pytest.mark.parametrize("fmt", [torch.contiguous_format, torch.channels_last])
def test_grouped_backward_path_matches_reference(fmt, matrix_paths):
    # strided one-channel convolutions with 64 or more output positions (the custom CNN's first layer):
    # conv_grads.grouped_backward_grads; with padding, a rectangular stride, dilation
    torch.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(1, 4, 8, stride=2, padding=3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(3))
    other = nn.Sequential(nn.Conv2d(1, 3, 3, stride=(2, 1), padding=2, dilation=2), nn.Flatten(), nn.LazyLinear(3))
    x, y = torch.rand(5, 1, 28, 28).to(memory_format=fmt), torch.randint(0, 3, (5,))
    for m in (model, other):
        g = m[0](x)
        m(x)  # materialise the lazy layer
        m = m.to(memory_format=fmt)
        assert conv_grads.use_grouped_backward(m[0]) and not conv_grads.use_unfold(m[0], g)
        _assert_matches_reference(m, x, y, 0.5)


@pytest.mark.parametrize(("conv", "size"), [
    (nn.Conv2d(1, 4, 8, stride=2, padding=3), 28),           # one channel, strided: grouped backward weights
    (nn.Conv2d(1, 3, 3, stride=(2, 1), padding=2, dilation=2), 20),  # the same with dilation
    (nn.Conv2d(3, 4, 3), 9),                                 # grouped path, stride 1
    (nn.Conv2d(2, 5, 4, stride=2, padding=3), 16),           # grouped, stride and padding (64 positions)
    (nn.Conv2d(3, 2, 3, stride=2, padding=1, dilation=2), 17),  # dilation
    (nn.Conv2d(16, 8, 4, stride=2), 13),                     # 25 positions: the unfold path
    (nn.Conv2d(3, 2, (3, 2), stride=(2, 1), padding=(1, 2)), 7),  # unfold, padding, rectangular kernel
])
def test_per_example_conv_weight_grad_matches_autograd(conv, size, monkeypatch):
    monkeypatch.setattr(conv_grads, "CONV_CHUNK", 3)  # several chunks, the last one short
    a = torch.rand(7, conv.in_channels, size, size)
    g = torch.randn_like(conv(a))
    got = per_example_conv_weight_grad(conv, a, g)
    for i in range(7):
        (ref,) = torch.autograd.grad(conv(a[i : i + 1]), conv.weight, g[i : i + 1])
        torch.testing.assert_close(got[i], ref, rtol=1e-4, atol=1e-5)


def test_sequence_inputs_frozen_weights_and_bias_only_layers():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Flatten(), nn.Linear(15, 4))
    model[0].weight.requires_grad_(False)  # only its bias trains
    x, y = torch.rand(4, 3, 6), torch.randint(0, 4, (4,))  # [B, 3, 6]: the first layer sees a sequence
    _, grads = _assert_matches_reference(model, x, y, 0.3)
    assert len(grads) == 3 and model[0].weight.grad is None


def test_close_removes_the_hooks_and_eval_forward_is_not_recorded():
    model = build_model("p2_custom")
    clipper = BookKeepingClipper(model, 1.0)
    with torch.no_grad():
        model(torch.rand(2, 1, 28, 28))
    assert not clipper._records
    clipper.close()
    model(torch.rand(2, 1, 28, 28))
    assert not clipper._records


@pytest.mark.parametrize(("model", "match"), [
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)), "BatchNorm2d"),
    (nn.Sequential(nn.Linear(3, 3), nn.ReLU(inplace=True)), "in-place"),
    (nn.Sequential(nn.Conv2d(2, 2, 3, groups=2)), "groups"),
    (nn.Sequential(nn.Conv2d(1, 2, 3, padding="same")), "padding"),
])
def test_unsupported_models_raise_config_error(model, match):
    with pytest.raises(ConfigError, match=match):
        BookKeepingClipper(model, 1.0)


def test_shared_layer_and_bad_loss_shape_raise():
    lin = nn.Linear(3, 3)
    clipper = BookKeepingClipper(nn.Sequential(lin), 1.0)
    with pytest.raises(ConfigError, match="twice"):
        lin(lin(torch.rand(2, 3)))
    out = lin(torch.rand(2, 3))
    with pytest.raises(ConfigError, match="one loss per example"):
        clipper.backward(out.sum())
    with pytest.raises(ConfigError, match="> 0"):
        BookKeepingClipper(nn.Linear(2, 2), 0.0)


def test_grouped_backward_grads_layout_with_several_channels():
    # the dispatcher sends only one-channel layers there; the layout must hold for any number of channels
    conv = nn.Conv2d(3, 4, (3, 2), stride=2, padding=1)
    a = torch.rand(5, 3, 11, 10).to(memory_format=torch.channels_last)
    g = torch.randn_like(conv(a))
    got = conv_grads.grouped_backward_grads(conv, a, g).view(5, 4, 3, 2, 3).permute(0, 1, 4, 2, 3)
    torch.testing.assert_close(got, per_example_conv_weight_grad(conv, a, g), rtol=1e-4, atol=1e-5)


def test_compiled_kernels_replace_the_kernel_row_and_grouped_paths_only():
    # LeNet's layers (grouped convolutions, kernel rows) and paper 1's first; not paper 1's second (too many
    # weights) nor the custom CNN's (unfolded input, grouped backward weights: as fast without)
    def used(arch):
        model = build_model(arch)
        x = torch.rand(2, 1, 28, 28)
        convs = [m for m in model if isinstance(m, nn.Conv2d)]
        outs, h = [], x
        for m in model:
            h = m(h)
            if isinstance(m, nn.Conv2d):
                outs.append(h)
        return [bk_clipping.plan(m, g) == "compiled" for m, g in zip(convs, outs, strict=True)]

    assert used("p2_lenet") == [True, True]
    assert used("p1_mnist_cnn") == [True, False]
    assert used("p2_custom") == [False, False]


def test_explain_names_every_layers_path():
    rows = {r["layer"]: r for r in bk_clipping.explain(build_model("p1_mnist_cnn"), (1, 28, 28))}
    paths = [r["path"] for r in rows.values()]
    assert set(paths) <= set(bk_clipping.CONV_PATHS) | {"dense", "dense-sequence"}
    assert sum(r["fused"] for r in rows.values()) <= 1
    assert [r["type"] for r in rows.values()].count("Linear") == paths.count("dense")
    custom = bk_clipping.explain(build_model("p2_custom"), (1, 28, 28))
    assert [r["path"] for r in custom if r["type"] == "Conv2d"] == ["grouped-backward", "unfolded-input"]
    assert [r["fused"] for r in custom if r["type"] == "Conv2d"] == [False, True]

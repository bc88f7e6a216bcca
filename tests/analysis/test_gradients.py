"""Gradient statistics (dprob_utils.analysis.gradients): which gradient, zero counts, layer names."""

from __future__ import annotations

import torch
from p2_models import plain_model, thresholded_model

from dprob_utils.analysis import gradients
from dprob_utils.data.datasets import load_dataset
from dprob_utils.models.architectures import build_model


def _batch(n=32):
    test = load_dataset("mnist", "test")
    return test.x[:n], test.y[:n]


def test_layer_names():
    assert [n for n, _ in gradients.parametric_layers(build_model("p2_custom"))] == ["conv1", "conv2", "dense1",
                                                                                      "dense2"]
    assert [n for n, _ in gradients.parametric_layers(build_model("p2_lenet"))] == ["conv1", "conv2", "dense1",
                                                                                     "dense2", "dense3"]


def test_it_is_the_summed_loss_gradient_wrt_parameters():
    torch.manual_seed(0)
    model = build_model("p2_custom")
    x, y = _batch()
    g = gradients.loss_gradients(model, x, y)
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y, reduction="sum").backward()
    assert torch.allclose(g["dense1"]["weight"], model[7].weight.grad, atol=1e-5)
    assert torch.allclose(g["conv1"]["bias"], model[0].bias.grad, atol=1e-5)
    mean = gradients.loss_gradients(model, x, y, reduction="mean")
    assert torch.allclose(mean["dense2"]["weight"] * len(y), g["dense2"]["weight"], atol=1e-4)
    assert gradients.first_dense_gradients(model, x, y).shape == (512 * 32,)


def test_dead_units_give_zero_gradients():
    torch.manual_seed(0)
    model = build_model("p2_custom")
    with torch.no_grad():
        model[7].bias.fill_(-1e4)  # every unit of the first dense layer is inactive for every image
    x, y = _batch()
    z = gradients.zero_gradient_percentage(model, x, y)
    assert z["dense1"] == 100.0 and z["conv1"] == 100.0 and z["conv2"] == 100.0
    # the last layer still gets a bias gradient (10 of its 330 entries)
    assert abs(z["dense2"] - 100 * 320 / 330) < 1e-4
    healthy = gradients.zero_gradient_percentage(build_model("p2_custom"), x, y)
    assert healthy["dense2"] < 50


def test_input_gradient_zero_share():
    x, y = _batch(16)
    assert gradients.input_gradient_zero_share(thresholded_model(), x, y) == 1.0
    assert gradients.input_gradient_zero_share(plain_model(), x, y) == 0.0
    s = gradients.summary(torch.tensor([0.0, -1.0, 2.0, 0.0]))
    assert s["min"] == -1.0 and s["max"] == 2.0 and s["zero_share"] == 0.5

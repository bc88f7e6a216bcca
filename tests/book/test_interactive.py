"""The kernel-free views of the static book: self-contained HTML with every trained setting selectable."""

from __future__ import annotations

import json
import re

import pytest

from dprob_utils.book import interactive


def _curves():
    base = {"arch": "a", "x": [0, 0.1], "note": ""}
    return [dict(base, mode="sgd", sigma=None, clip=None, y=[99, 90], label="SGD"),
            dict(base, mode="dpsgd", sigma=1.3, clip=1.0, y=[95, 60], label="σ=1.3 C=1", note="ε = 0.8"),
            dict(base, mode="dpsgd", sigma=3.0, clip=1.0, y=[90, 40], label="σ=3 C=1", note="ε = 0.3")]


def test_view_is_self_contained_and_offers_each_varied_setting():
    page = interactive.setting_view(_curves(), view_id="v1", title="t", x_title="ε", y_title="%")
    assert "window.Plotly" in page or "Plotly" in page[:200000]
    assert not re.search(r"<script[^>]+src=", page), "the view must not load a script from anywhere"
    assert 'class="dprob-sigma"' in page and 'class="dprob-clip"' not in page  # only σ varies
    spec = json.loads(re.search(r"const spec = (\{.*?\});\n", page).group(1))
    assert [c["y"] for c in spec["curves"]] == [[99, 90], [95, 60], [90, 40]]
    small = interactive.setting_view(_curves(), view_id="v2", title="t", x_title="ε", y_title="%",
                                     include_js=False)
    assert len(small) < 20000


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="view_id"):
        interactive.setting_view(_curves(), view_id="bad id", title="t", x_title="x", y_title="y")
    with pytest.raises(ValueError, match="private"):
        interactive.setting_view(_curves()[:1], view_id="v", title="t", x_title="x", y_title="y")


def test_fgsm_curves_offer_the_fixed_noise_setting_stored_as_its_dp_sgd_model():
    m = {"accuracy": [95.0, 60.0], "epsilon": 0.8}
    res = {"eps": [0, 0.1], "sgd_key": "s", "panels": {"fig2": ["d"], "fig3c": ["f", "d"]},
           "models": {"s": {**m, "mode": "sgd", "sigma": 0.0, "clip": 1.0, "label": "SGD"},
                      "d": {**m, "mode": "dpsgd", "sigma": 1.3, "clip": 1.0, "label": "DP-SGD σ=1.3 C=1"},
                      "f": {**m, "mode": "dpsgd-fixed-noise", "sigma": 1.3, "clip": 3.0,
                            "label": "DP-SGD fixed-noise σ=1.3 C=3"}}}
    curves = interactive.p1_fgsm_curves(res)
    fixed = sorted((c["sigma"], c["clip"]) for c in curves if c["mode"] == "dpsgd-fixed-noise")
    assert fixed == [(1.3, 1.0), (1.3, 3.0)] and len(curves) == 4

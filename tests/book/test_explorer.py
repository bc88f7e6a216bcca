"""The explorer behind chapter 90 and `dprob explore`: bad settings fail in one line, a setting trains once and
is then loaded, both models share every training setting but mode, σ and C, and the widgets drive it."""

from __future__ import annotations

import pytest

from dprob_utils.book import explorer
from dprob_utils.config.errors import ConfigError


@pytest.mark.parametrize("kwargs, message", [
    ({"sigma": -1.0, "clip": 1.0}, "σ .* must be >= 0"),
    ({"sigma": 1.0, "clip": 0.0}, "C .* must be > 0"),
    ({"sigma": 1.0, "clip": float("nan")}, "C must be a finite number"),
    ({"sigma": 1.0, "clip": 1.0, "eps_max": 2.0}, "ε range must be in"),
    ({"sigma": 1.0, "clip": 1.0, "arch": "resnet"}, "unknown architecture"),
    ({"sigma": 1.0, "clip": 1.0, "attack": "cw"}, "unknown attack"),
    ({"sigma": 1.0, "clip": 1.0, "mode": "sgd"}, "mode must be a private one"),
])
def test_bad_settings_fail_in_one_line(kwargs, message):
    with pytest.raises(ConfigError, match=message) as info:
        explorer.check_setting(**kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_explore_trains_once_then_loads_and_matches_the_baseline():
    events = []
    res = explorer.explore(2.0, 1.0, 0.3, "smoke", arch="p2_lenet", attack="pgd", n_eps=4, on_event=events.append)
    assert [round(e, 4) for e in res["eps"]] == [0.0, 0.1, 0.2, 0.3]
    for name in ("sgd", "dp"):
        r = res[name]
        assert len(r["curve"]) == 4 and all(0 <= a <= 1 for a in r["curve"])
        assert r["distances"] and min(r["distances"]) >= 0
    assert res["dp"]["epsilon"] < float("inf") and res["sgd"]["epsilon"] == float("inf")
    assert any(e["kind"] == "train" for e in events) and events[-1] == {"kind": "stage", "step": 4, "steps": 4,
                                                                         "text": "done"}
    again = explorer.explore(2.0, 1.0, 0.3, "smoke", arch="p2_lenet", attack="pgd", n_eps=4)
    assert again["dp"]["cached"] and again["dp"]["curve"] == res["dp"]["curve"]
    table = explorer.sweep_table()
    pair = table[table.key.isin([res["sgd"]["key"], res["dp"]["key"]])]
    assert sorted(pair["mode"]) == ["dpsgd", "sgd"]
    same = pair[["lr", "batch", "epochs", "train_size", "seed"]].drop_duplicates()
    assert len(same) == 1, "the explorer's SGD and DP models differ only in mode, σ and C"
    assert len(explorer.filter_models(table, arch="p2_lenet", sigma=2.0, lr=0.2)) == 1


@pytest.mark.slow
def test_the_train_button_redraws_and_a_bad_setting_shows_a_message():
    import ipywidgets as W

    app = explorer.explorer_app("smoke")
    train_tab = app.children[0]
    controls = [w for box in train_tab.children if isinstance(box, W.HBox) for w in box.children]
    sigma = next(w for w in controls if getattr(w, "description", "") == "σ (noise)")
    button = next(w for w in controls if isinstance(w, W.Button))
    state = next(w for w in train_tab.children[3].children if isinstance(w, W.HTML))
    result = train_tab.children[4]
    sigma.value = -0.5
    button.click()
    assert "must be >= 0" in state.value and "dprob-error" in state.value and result.value == ""
    sigma.value = 0.8
    button.click()
    assert "σ = 0.8" in result.value and "clean accuracy" in result.value
    assert state.value == "done" and not button.disabled

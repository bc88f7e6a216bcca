"""Overrides on top of a named profile: validated against the profile's dataclasses, a results folder of their
own, resolvable in child processes, one clear line for a bad key or value."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dprob_utils.config import overrides as O
from dprob_utils.config.errors import ConfigError
from dprob_utils.config.profiles import QUICK, get_profile


def test_parse_set_reads_yaml_values():
    assert O.parse_set(["p1_grid.fig3a_sigmas=[0.5,1,2]", "seeds=5", "p2_attacks.cw_samples=null"]) == {
        "p1_grid.fig3a_sigmas": [0.5, 1, 2], "seeds": 5, "p2_attacks.cw_samples": None}


def test_a_valid_override_changes_the_setting_and_the_name():
    prof = O.derive("quick", {"p1_grid.fig3a_sigmas": [0.5, 1, 2], "seeds": 5})
    assert prof.p1_grid.fig3a_sigmas == (0.5, 1.0, 2.0) and prof.headline_seeds == 5
    assert prof.name.startswith("quick-") and prof.name != O.derive("quick", {"seeds": 4}).name
    assert prof.p1_train == QUICK.p1_train and "Overridden" in prof.description
    assert O.derive("quick", {}) is QUICK
    nested = O.derive("quick", {"cifar.head.epochs": 2})
    assert nested.cifar.head.epochs == 2 and nested.cifar.dp == QUICK.cifar.dp


@pytest.mark.parametrize("overrides, message", [
    ({"p1_grid.nope": 1}, "unknown setting 'p1_grid.nope': p1_grid.nope is not one of main"),
    ({"p2_train.epochs": "two"}, "p2_train.epochs: expected int"),
    ({"p2_train.epochs": 2.5}, "p2_train.epochs: expected int"),
    ({"p1_grid.main": [1.3]}, r"p1_grid.main: expected 2 values"),
    ({"p1_grid.fig3a_sigmas": [-1.0]}, "σ must be >= 0"),
    ({"p1_grid.fig7_clips": [0.0]}, "C must be > 0"),
    ({"p1_train.lr": -0.1}, "must be > 0"),
    ({"p1_train": 3}, "is a group of settings"),
])
def test_bad_overrides_are_one_clear_line(overrides, message):
    with pytest.raises(ConfigError, match=message) as info:
        O.derive("quick", overrides)
    assert "\n" not in str(info.value)


def test_config_file_nested_or_dotted(tmp_path):
    path = tmp_path / "my.yaml"
    path.write_text("p1_grid:\n  fig7_clips: [3, 5]\np2_train.lr: 0.1\n")
    assert O.load_config(path) == {"p1_grid.fig7_clips": [3, 5], "p2_train.lr": 0.1}
    with pytest.raises(ConfigError, match="no such file"):
        O.load_config(tmp_path / "missing.yaml")


def test_a_registered_profile_resolves_in_a_child_process(monkeypatch):
    monkeypatch.delenv(O.OVERRIDES_ENV, raising=False)
    name = O.register("smoke", {"p2_train.epochs": 3})
    assert get_profile(name).p2_train.epochs == 3
    code = (f"from dprob_utils.config.profiles import get_profile; p = get_profile({name!r}); "
            "print(p.p2_train.epochs)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "3", out.stderr
    assert O.overrides_of(name) == {"p2_train.epochs": 3}


@pytest.mark.parametrize("value", ["nope.x=1", "p1_grid.fig3a_sigmas=[-1]", "p2_train.epochs=two"])
def test_cli_refuses_bad_overrides_in_one_line(value):
    out = subprocess.run([sys.executable, "-m", "dprob_utils", "train", "--arch", "p2_custom", "--profile",
                          "smoke", "--set", value], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("dprob: error: ")

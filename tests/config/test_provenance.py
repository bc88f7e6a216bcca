"""Every results file says what made it: code version and commit, packages, hardware, profile."""

from __future__ import annotations

import json

from dprob_utils import __version__
from dprob_utils.book.results import load_json, save_json
from dprob_utils.config.provenance import provenance


def test_results_files_carry_their_provenance(tmp_path, monkeypatch):
    monkeypatch.setenv("DPROB_RESULTS", str(tmp_path))
    path = save_json("smoke", "02_p1_fgsm", {"eps": [0.0, 0.1]})
    saved = json.loads(path.read_text())["provenance"]
    assert saved["dprob"] == __version__ and saved["profile"] == "smoke" and saved["overrides"] == {}
    assert saved["packages"]["torch"] and "opacus" in saved["packages"] and "foolbox" in saved["packages"]
    assert saved["cpu"] and saved["torch_threads"] >= 1 and saved["device"] in ("cpu", "cuda")
    assert load_json("smoke", "02_p1_fgsm")["eps"] == [0.0, 0.1]


def test_commit_is_a_hash_or_none():
    commit = provenance("smoke")["git_commit"]
    assert commit is None or len(commit.split("+")[0]) == 40

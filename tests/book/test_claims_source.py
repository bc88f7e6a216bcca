"""claims.yaml is what its source (claims_source.py and the per-paper claim files) gives, and the one rule
evaluator keeps to its grammar."""

from __future__ import annotations

import pytest

from dprob_utils.book.scorecard import CLAIMS_FILE, load_claims
from dprob_utils.config.rules import safe_eval
from dprob_utils.reference import claims_source


def test_the_committed_claims_are_what_the_source_builds():
    built = claims_source.build()
    assert CLAIMS_FILE.read_text() == claims_source.dump(built), \
        "claims.yaml differs from its source: run python -m dprob_utils.reference.claims_source"
    assert [c["id"] for c in load_claims()] == [c["id"] for c in built]


def test_building_twice_gives_the_same_claims():
    assert claims_source.build() == claims_source.build()


def test_the_rule_evaluator_computes_and_refuses():
    assert safe_eval("a < 5 and max(xs) == 3", {"a": 4, "xs": [1, 3]}) is True
    assert safe_eval("2.5*eps/steps", {"eps": 0.3, "steps": 40.0}) == pytest.approx(0.01875)
    with pytest.raises(ValueError):
        safe_eval("x.__class__", {"x": 1})
    with pytest.raises(ValueError):
        safe_eval("open('f')", {})
    with pytest.raises(NameError):
        safe_eval("y + 1", {})

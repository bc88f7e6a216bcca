"""The package index: every paper artefact names a function that exists, a chapter, a results key and claims."""

from __future__ import annotations

import subprocess
import sys

import dprob_utils
from dprob_utils.book.runner import list_notebooks

# Artefacts whose results the scorecard does not read yet (shown in their chapter, no claim of their own).
WITHOUT_CLAIMS = {"Table I (clean accuracy)"}  # paper 2 reports no accuracies: nothing to claim


def test_every_artefact_resolves():
    chapters = {p.stem for p in list_notebooks()}
    for a in dprob_utils.ARTEFACTS:
        fn = dprob_utils.function_of(a)
        assert callable(fn), a
        assert a.chapter in chapters, a
        assert a.results.split(":")[0] == a.chapter, a
        assert a.chapter in (fn.__doc__ or "") or a.chapter[:2] in (fn.__doc__ or "") or a.name.split(" ")[0] in (
            fn.__doc__ or ""), f"{a.function}'s docstring names neither its chapter nor the artefact"
        claims = dprob_utils.claims_of(a)
        assert bool(claims) != (a.name in WITHOUT_CLAIMS), (a.name, claims)


def test_importing_the_package_has_no_side_effects():
    code = ("import sys, dprob_utils, dprob_utils.dp.fast.allocator as a; "
            "print(a._applied is None, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]

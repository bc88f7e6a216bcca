"""The chapter registry and the package index: every chapter is a notebook, every artefact names a function that
exists and has claims, and every claim reaches an artefact and a chapter."""

from __future__ import annotations

import re
import subprocess
import sys

import dprob_utils
from dprob_utils import chapters
from dprob_utils.book.runner import list_notebooks
from dprob_utils.book.scorecard import claim_chapter, load_claims

# Artefacts whose results the scorecard does not read (shown in their chapter, no claim of their own).
WITHOUT_CLAIMS = {"Table I (clean accuracy)"}  # paper 2 reports no accuracies: nothing to claim


def test_every_notebook_is_a_chapter_of_the_registry_in_book_order():
    assert [p.stem for p in list_notebooks()] == [c.stem for c in chapters.CHAPTERS]
    assert {c.role for c in chapters.CHAPTERS} <= set(chapters.ROLES)
    stems = [c.stem for c in chapters.CHAPTERS]
    for c in chapters.CHAPTERS:
        assert set(c.needs) <= set(stems) and c.stem not in c.needs, c.stem
        for name in c.run + c.models + ((c.precompute,) if c.precompute else ()):
            assert callable(chapters.resolve(name)), (c.stem, name)


def test_every_artefact_resolves_and_has_claims():
    assert dprob_utils.ARTEFACTS == chapters.artefacts()
    for a in dprob_utils.ARTEFACTS:
        fn = dprob_utils.function_of(a)
        assert callable(fn), a
        assert a.function in chapters.chapter(a.chapter).run or a.function.startswith("dp."), a
        doc = fn.__doc__ or ""
        assert a.chapter[:2] in doc or a.name.split(" ")[0] in doc, \
            f"{a.function}'s docstring names neither its chapter nor the artefact"
        claims = dprob_utils.claims_of(a)
        assert bool(claims) != (a.name in WITHOUT_CLAIMS), (a.name, claims)


def test_every_claim_reaches_an_artefact_and_a_chapter():
    reached = {cid for a in dprob_utils.ARTEFACTS for cid in dprob_utils.claims_of(a)}
    stems = {c.stem for c in chapters.CHAPTERS}
    claims = load_claims()
    for c in claims:
        assert c["id"] in reached, f"claim {c['id']} reads no artefact's results key"
        assert claim_chapter(c) in stems, c["id"]
    by_chapter = [cid for ch in chapters.CHAPTERS for cid in ch.claim_ids()]
    assert sorted(by_chapter) == sorted(c["id"] for c in claims)


def test_each_notebook_saves_its_results_under_the_registrys_name():
    for path in list_notebooks():
        script = path.with_suffix(".py").read_text()
        names = set(re.findall(r'save_json\(profile, "([^"]+)"', script))
        ch = chapters.chapter(path.stem)
        assert names <= {ch.results}, (path.stem, names)
        assert bool(names) == bool(ch.run) or ch.role == "summary", (path.stem, names)


def test_importing_the_package_has_no_side_effects():
    code = ("import sys, dprob_utils, dprob_utils.config.allocator as a; "
            "print(a._applied is None, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]

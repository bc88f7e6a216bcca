"""The chapters' display tables, built from the saved smoke results alone (as a reader's own run would be)."""

from __future__ import annotations

import pytest

from dprob_utils.book import tables
from dprob_utils.book.results import load_json
from dprob_utils.reference import load_reference


@pytest.mark.slow
def test_paper2_tables_read_the_saved_results(book_root):
    pgd = load_json("smoke", "08_p2_pgd")
    models = pgd["models"]
    for arch in ("p2_lenet", "p2_custom"):
        panels = tables.p2_panels(models, arch)
        sgd = [k for k in models if models[k]["arch"] == arch and models[k]["mode"] == "sgd"]
        assert all(keys[: len(sgd)] == sgd for keys in panels.values())  # SGD leads both panels
        assert {k for keys in panels.values() for k in keys} == {k for k in models if models[k]["arch"] == arch}
    assert len(tables.p2_pgd_table(pgd)) == len(models) == len(tables.p2_model_rows(models))
    assert any(r["claim"].startswith("4 plateau") for r in tables.p2_pgd_claims(pgd))

    cw = load_json("smoke", "09_p2_cw_boundary")
    assert len(tables.p2_cw_table(cw)) == len(cw["models"])
    ba = tables.p2_boundary_table(cw["models"], [1.0, 2.0])
    assert {"ε=1 ours", "ε=1 paper", "ε=2 ours", "BA found any"} <= set(ba[0])

    tg = load_json("smoke", "10_p2_transfer_gradients")
    assert len(tables.p2_transfer_table(tg)) == 4  # two architectures, CW and PGD
    assert len(tables.p2_gradient_rows(tg)) == len(tg["models"])
    assert set(tables.by_label(tg["zero_gradient_pct"], tg["models"], "p2_lenet")) == {
        m["label"] for m in tg["models"].values() if m["arch"] == "p2_lenet"}

    mk = load_json("smoke", "11_p2_masking")
    assert [r["model"] for r in tables.p2_table4(mk)][:2] == ["bs1", "bs2"]
    assert len(tables.p2_masking_rows(mk)) == len(mk["masking_check"])
    detail = tables.p2_masking_detail(mk)
    assert len(detail) == sum(len(r["criteria"]) for r in mk["masking_check"].values()) >= 7 * len(mk["masking_check"])
    assert {"2 (Square)", "3 (CW vs BA)", "7 (PGD substitute)"} <= {str(r["criterion"]) for r in detail}
    assert "p1:sgd" in mk["masking_check"]  # paper 2's critique applied to paper 1


@pytest.mark.slow
def test_paper1_tables_read_the_saved_results(book_root):
    baseline = next(r for r in load_reference("paper1_table2") if r.get("corruption") == "identity")
    rows = tables.p1_accuracy_rows(load_json("smoke", "01_training"), baseline)
    assert rows and all(0 <= r["accuracy"] <= 1 and 0.9 < r["paper accuracy"] <= 1 for r in rows)
    ref = {r["quantity"]: r for r in load_reference("paper1_cifar")}
    assert [r["quantity"] for r in tables.p1_cifar_distance_rows(load_json("smoke", "07_p1_cifar"), ref)] == [
        "mean L∞ distance", "mean L2 distance"]


@pytest.mark.slow
def test_every_seeded_chapter_stores_intervals_that_the_interval_table_lists(book_root):
    expected = {"03_p1_pgd": "intervals", "06_p1_mnistc": "intervals", "07_p1_cifar": "intervals",
                "08_p2_pgd": "intervals", "09_p2_cw_boundary": "intervals"}
    for chapter, key in expected.items():
        rows = tables.interval_rows(load_json("smoke", chapter)[key])
        assert rows, chapter
        one_seed = ("drop_", "fig4 / by_alpha")  # sweeps and Fig. 4's other step sizes train or run one seed
        assert all(r["seeds"] == 2 for r in rows if not r["quantity"].startswith(one_seed)), chapter
    b = load_json("smoke", "04_p1_boundary")
    rows = tables.interval_rows({"d": b["distances"]["intervals"], "c": b["curvature"]["intervals"]})
    assert {"d / l2 / sgd_minus_dp", "d / linf / relative_drop", "c / largest_ratio"} <= {r["quantity"] for r in rows}
    pgd = load_json("smoke", "08_p2_pgd")
    dp = [k for k, m in pgd["models"].items() if m["mode"] != "sgd"]
    assert sorted(pgd["intervals"]) == sorted(dp)  # one comparison with its baseline per DP model


def test_interval_rows_flatten_and_scale():
    iv = {"estimate": 0.1, "low": 0.05, "high": 0.2, "n_seeds": 3, "n_points": 100, "method": "m"}
    rows = tables.interval_rows({"a": {"b": iv}, "c": iv}, scale=100)
    assert [r["quantity"] for r in rows] == ["a / b", "c"]
    assert rows[0]["estimate"] == pytest.approx(10) and rows[0]["95% high"] == pytest.approx(20)

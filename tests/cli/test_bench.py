"""The benchmark script runs end to end and reports every variant (its numbers are printed, never asserted)."""

from __future__ import annotations

import json

from dprob_utils.cli import bench


def test_training_benchmark_prints_every_variant_and_records_it(capsys, tmp_path):
    log = tmp_path / "results.jsonl"
    assert bench.main(["--archs", "p2_custom", "--images", "256", "--batch", "128", "--repeats", "1",
                       "--record", str(log)]) == 0
    out = capsys.readouterr().out
    for name, _, _ in bench.VARIANTS:
        assert name in out
    entry = json.loads(log.read_text().splitlines()[-1])
    assert set(entry["images_per_s"]["p2_custom"]) == {name for name, _, _ in bench.VARIANTS}
    assert entry["machine"] and entry["threads"] >= 1


def test_attack_benchmark_reports_both_attacks_both_ways():
    rows = bench.time_attacks(samples=4, ba_steps=5, cw_steps=5, single=2)
    assert [(a, h) for a, h, _ in rows] == [("Boundary L2", "batched"), ("Boundary L2", "one at a time"),
                                           ("CW L2", "batched"), ("CW L2", "one at a time")]
    assert all(rate > 0 for _, _, rate in rows)


def test_plan_prints_every_part_and_a_total(capsys):
    assert bench.main(["--plan", "smoke", "--images", "128", "--attack-samples", "4"]) == 0
    out = capsys.readouterr().out
    for part in ("train p1_mnist_cnn dpsgd", "train p2_custom sgd", "Boundary L2 p2_lenet", "CW L2 p2_custom",
                 "total (training, Boundary, CW)"):
        assert part in out


def test_parallel_benchmark_prints_both_ways_and_a_ratio(capsys):
    assert bench.main(["--parallel", "2", "--archs", "p2_custom", "--images", "256", "--batch", "128"]) == 0
    out = capsys.readouterr().out
    assert "in sequence" in out and "side by side" in out
    assert out.strip().splitlines()[-1].startswith("p2_custom") and out.strip().endswith("x")


def test_plan_projects_onto_several_devices(capsys):
    assert bench.main(["--plan", "smoke", "--images", "128", "--attack-samples", "4", "--gpus", "1", "8"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [r[0] for r in rows] == ["1", "8"] and rows[0][-1] == "1.00x" and float(rows[1][-1][:-1]) >= 1.0

"""Progress events: written only when asked for, read back incrementally, summarised in one line."""

from __future__ import annotations

from dprob_utils.config import status


def test_report_is_a_no_op_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(status.STATUS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    status.report("experiment", name="x")
    assert list(tmp_path.iterdir()) == []


def test_events_are_read_incrementally_and_a_partial_line_waits(tmp_path, monkeypatch):
    path = tmp_path / "s.jsonl"
    monkeypatch.setenv(status.STATUS_ENV, str(path))
    status.report("experiment", name="p1_pgd")
    events, offset = status.read_events(path)
    assert [e["name"] for e in events] == ["p1_pgd"] and offset == path.stat().st_size
    with open(path, "a") as f:
        f.write('{"kind": "exp')  # a line still being written
    events, offset2 = status.read_events(path, offset)
    assert events == [] and offset2 == offset


def _train(pid, epoch, sigma=1.3, mode="dpsgd"):
    return {"t": 0, "pid": pid, "kind": "train", "arch": "p1_mnist_cnn", "mode": mode, "sigma": sigma, "clip": 1.0,
            "seed": 2, "epoch": epoch, "epochs": 3}


def test_summary_names_each_training_model_and_the_time_left():
    events = [{"t": 100.0, "pid": 1, "kind": "models", "done": 0, "total": 10, "start": 100.0},
              _train(2, 1), _train(3, 2, mode="sgd"),
              {"t": 160.0, "pid": 1, "kind": "models", "done": 2, "total": 10, "start": 100.0}]
    line = status.summarise(events, now=160.0)
    # 2 models in 60 s: 8 more take 4 minutes
    assert line.startswith("models 2/10 (~4m00s left)")
    assert "training p1_mnist_cnn dpsgd σ=1.3 C=1 seed 2 epoch 1/3" in line
    assert "training p1_mnist_cnn sgd seed 2 epoch 2/3" in line
    finished = events + [{"t": 161.0, "pid": 2, "kind": "trained"}]
    assert "dpsgd" not in status.summarise(finished, now=161.0)


def test_summary_shows_the_experiment_when_nothing_trains():
    events = [{"t": 1.0, "pid": 1, "kind": "experiment", "name": "p1_fgsm"},
              {"t": 2.0, "pid": 1, "kind": "experiment", "name": "p1_pgd"}]
    assert status.summarise(events, now=3.0) == "computing p1_pgd"
    assert status.summarise([]) == ""


def test_clock():
    assert [status.clock(s) for s in (5, 185, 3720)] == ["5s", "3m05s", "1h02m"]


def test_listeners_see_events_only_while_listening(monkeypatch):
    monkeypatch.delenv(status.STATUS_ENV, raising=False)
    seen = []
    with status.listening(seen.append):
        status.report("train", epoch=1)
    status.report("train", epoch=2)
    assert [e["epoch"] for e in seen] == [1]


def test_summary_of_a_ray_run_counts_models_per_node():
    events = [{"t": 0.0, "pid": 1, "kind": "models", "done": 3, "total": 6, "start": 0.0,
               "nodes": {"b" * 40: 1, "a" * 40: 2}}]
    assert status.summarise(events, now=30.0) == "models 3/6 (~30s left) on 2 nodes (aaaaaaaa 2, bbbbbbbb 1)"

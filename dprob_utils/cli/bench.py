"""Training throughput (images per second) of SGD and DP-SGD, measured side by side in one run.

For each architecture it times one pass of the real training loop (:func:`dprob_utils.dp.training.fit`) over the
same MNIST images with plain SGD, DP-SGD with dprob's book-keeping clipping (:mod:`dprob_utils.dp.fast.bk_clipping`,
what the book uses), with Opacus's ghost clipping and with Opacus's default per-sample hooks, round-robin over
``--repeats`` rounds (median reported), so that all of them see the same machine state. Prints a table with
ratios to SGD and to Opacus's hooks. All DP variants add Opacus's noise through Opacus's optimizers.

With ``--attacks`` it also times paper 2's two expensive attacks (Foolbox Boundary L2 and Carlini-Wagner L2, as
:mod:`dprob_utils.attacks` runs them) on a briefly trained custom CNN, batched over all samples and one
sample at a time, and prints samples·iterations per second and the batching speed-up.

With ``--parallel N`` it times 4N DP-SGD trainings of each architecture one after another in this process (all
torch threads) and side by side in N processes (threads / N each, process start-up included), as the training
chapter runs the models missing from the cache (:func:`dprob_utils.models.zoo.train_missing`).

With ``--plan PROFILE`` it instead measures, on ``--device``, the throughputs that a profile's heavy parts run
at (training of each architecture at the profile's batch sizes, Boundary and CW batched over
``--attack-samples``) and multiplies them by the profile's work (:mod:`dprob_utils.cli.workload`): the projected
time of the ``paper`` profile's training and attacks on this machine; ``--gpus 1 8`` also projects it onto 1 and 8
such devices, as ``--executor ray`` spreads the units of work over a cluster.

    dprob bench [--archs p1_mnist_cnn p2_lenet p2_custom] [--images 4096] [--batch 256] [--attacks] [--device D]
    dprob bench --parallel 2 [--archs ...] [--images 4096]
    dprob bench --plan paper [--device cuda] [--attack-samples 1000] [--gpus 1 8]
    python benchmarks/train_throughput.py ...   (the same)
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from dprob_utils.config.training import TrainConfig
from dprob_utils.data.datasets import load_dataset, subset
from dprob_utils.dp.fast import compiled_grads
from dprob_utils.dp.training import fit
from dprob_utils.models.architectures import build_model

VARIANTS = (("SGD", "sgd", "bk"), ("DP-SGD bk", "dpsgd", "bk"), ("Opacus ghost", "dpsgd", "ghost"),
            ("Opacus hooks", "dpsgd", "hooks"))


def time_variant(arch: str, mode: str, gsm: str, x: torch.Tensor, y: torch.Tensor, batch: int,
                 device: str = "cpu") -> float:
    """Images per second of one training epoch over ``x`` on ``device``."""
    torch.manual_seed(0)
    model = build_model(arch)
    cfg = TrainConfig(arch=arch, mode=mode, sigma=1.3, clip=1.0, lr=0.05, batch_size=batch, epochs=1)
    _, seconds, _ = fit(model, x, y, cfg, grad_sample_mode=gsm, progress=False, device=device)
    return len(y) / seconds


def time_attacks(samples: int, ba_steps: int, cw_steps: int, single: int, arch: str = "p2_custom",
                 device: str = "cpu") -> list[tuple[str, str, float]]:
    """(attack, how, samples·iterations per second) of Boundary and CW on ``samples`` test images batched, and on
    ``single`` of them one at a time (``single = 0``: batched only). CW runs one binary-search round without early
    abort, so that every sample really runs ``cw_steps`` iterations."""
    import foolbox as fb

    from dprob_utils.attacks import boundary_attack
    from dprob_utils.attacks.cw import _run_cw

    train = subset(load_dataset("mnist", "train"), 5000, "first")
    model = build_model(arch)
    cfg = TrainConfig(arch=arch, lr=0.1 if arch == "p1_mnist_cnn" else 0.5, batch_size=64, epochs=1)
    fit(model, train.x, train.y, cfg, progress=False, device=device)
    model.eval()
    test = subset(load_dataset("mnist", "test"), samples, "first")
    cw = fb.attacks.L2CarliniWagnerAttack(binary_search_steps=1, steps=cw_steps, initial_const=1.0,
                                          abort_early=False)
    runs = {"Boundary L2": (ba_steps, lambda x, y, b: boundary_attack(model, x, y, ba_steps, batch_size=b,
                                                                           update_stats_every_k=1)),
            "CW L2": (cw_steps, lambda x, y, b: _run_cw(model, cw, x, y, b))}
    out = []
    for name, (steps, run) in runs.items():
        for how, n, b in (("batched", samples, samples), ("one at a time", single, 1)):
            if n == 0:
                continue
            _sync(device)
            t = time.perf_counter()
            run(test.x[:n], test.y[:n], b)
            _sync(device)
            out.append((name, how, n * steps / (time.perf_counter() - t)))
    return out


def _sync(device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def print_attacks(samples: int, ba_steps: int, cw_steps: int, single: int, device: str = "cpu") -> None:
    print(f"\nattacks on the custom CNN: {samples} samples batched, {single} one at a time; "
          f"Boundary {ba_steps} steps, CW {cw_steps} steps")
    print(f"{'attack':<12s} {'how':<14s} {'samples*it/s':>13s} {'speed-up':>9s}")
    rows = time_attacks(samples, ba_steps, cw_steps, single, device=device)
    base = {name: rate for name, how, rate in rows if how == "one at a time"}
    for name, how, rate in rows:
        print(f"{name:<12s} {how:<14s} {rate:13.0f} {rate / base[name]:8.1f}x")


def print_parallel(archs: list[str], jobs: int, images: int, batch: int) -> None:
    """Wall clock of training ``4 * jobs`` DP-SGD models per architecture (seeds 0, 1, ...; ``images`` training
    images, one epoch, test accuracy taken) with :func:`dprob_utils.models.zoo.train_missing`, as the training chapter
    does: one after another in this process (all threads) vs ``jobs`` processes side by side. Fresh temporary
    caches, so everything is trained; process start-up, data loading and evaluation are included."""
    import tempfile
    import warnings

    from dprob_utils.config.profiles import SMOKE
    from dprob_utils.models.zoo import train_missing
    from dprob_utils.store.model_cache import ModelCache

    threads = torch.get_num_threads()
    n = 4 * jobs  # several per process, as in the training chapter (where one process trains ~13)
    print(f"{n} DP-SGD models of {images} images each (batch {batch}, 1 epoch), trained and evaluated: one after "
          f"another with {threads} threads vs {jobs} processes side by side with {max(1, threads // jobs)} each")
    print(f"{'architecture':<14s} {'in sequence':>12s} {'side by side':>13s} {'ratio':>6s}")
    for arch in archs:
        configs = [TrainConfig(arch=arch, mode="dpsgd", sigma=1.0, clip=1.0, lr=0.05, batch_size=batch, epochs=1,
                               train_subset=images, seed=seed) for seed in range(n)]
        secs = []
        for j in (1, jobs):
            with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
                warnings.simplefilter("ignore")  # one short epoch may leave a model at chance: not the point here
                t = time.perf_counter()
                train_missing(configs, SMOKE, jobs=j, cache=ModelCache(tmp), progress=False)
                secs.append(time.perf_counter() - t)
        print(f"{arch:<14s} {secs[0]:10.1f} s {secs[1]:11.1f} s {secs[0] / secs[1]:5.2f}x")


def print_plan(profile: str, images: int, attack_samples: int, device: str, gpus: list[int] | None = None) -> None:
    """Measure this device's throughputs and project the profile's training and Boundary / CW time; with ``gpus``,
    also on each number of such devices (:func:`.workload.makespan` of the per-model units)."""
    from dprob_utils.cli.workload import attack_work, makespan, privacy_work, training_work
    from dprob_utils.config.profiles import get_profile

    prof = get_profile(profile)
    work, attacks = training_work(prof) + privacy_work(prof), attack_work(prof)
    ds = subset(load_dataset("mnist", "train"), images, "first")
    print(f"plan for profile {profile!r} on {device} (torch {torch.__version__}, {torch.get_num_threads()} threads): "
          f"throughputs measured now, times projected = work / throughput")
    print(f"{'part':<34s} {'runs':>5s} {'work':>14s} {'throughput':>16s} {'projected':>10s}")
    train_units: list[float] = []
    attack_units: list[float] = []
    groups: dict[tuple[str, bool, int], list] = {}
    for w in work:
        groups.setdefault((w.config.arch, w.config.private, w.config.batch_size), []).append(w)
    for (arch, private, batch), ws in groups.items():
        mode = "dpsgd" if private else "sgd"
        time_variant(arch, mode, "bk", ds.x[: batch * 2], ds.y[: batch * 2], batch, device)  # warm-up
        rate = time_variant(arch, mode, "bk", ds.x, ds.y, batch, device)
        imgs = sum(w.images for w in ws)
        train_units += [w.images / rate for w in ws]
        print(f"{'train ' + arch + ' ' + mode + f' b={batch}':<34s} {len(ws):5d} {imgs / 1e6:10.1f}M im "
              f"{rate:10.0f} im/s {imgs / rate / 60:8.1f} m")
    for arch in sorted({a.arch for a in attacks}):
        rates = {name: rate for name, _, rate in time_attacks(attack_samples, 100, 50, 0, arch, device)}
        for name in ("Boundary L2", "CW L2"):
            runs = [a for a in attacks if a.arch == arch and a.attack == name]
            si = sum(a.sample_iterations for a in runs)
            attack_units += [a.sample_iterations / rates[name] for a in runs]
            print(f"{name + ' ' + arch:<34s} {len(runs):5d} {si / 1e6:10.1f}M s·it {rates[name]:8.0f} s·it/s "
                  f"{si / rates[name] / 60:8.1f} m")
    total = sum(train_units) + sum(attack_units)
    print(f"{'total (training, Boundary, CW)':<34s} {'':5s} {'':14s} {'':16s} {total / 60:8.1f} m")
    print("Not counted: the other attacks (FGSM, PGD, DeepFool, Square, AutoAttack), Hessians, MNIST-C, CIFAR.")
    if gpus:
        print(f"\non N devices like this one ({device}), units longest first to the device free soonest; the "
              "attacks start when every model is trained")
        print(f"{'devices':>7s} {'training':>10s} {'Boundary+CW':>12s} {'total':>10s} {'speed-up':>9s}")
        one = makespan(train_units, 1) + makespan(attack_units, 1)
        for n in gpus:
            t, a = makespan(train_units, n), makespan(attack_units, n)
            print(f"{n:7d} {t / 3600:8.2f} h {a / 3600:10.2f} h {(t + a) / 3600:8.2f} h {one / (t + a):8.2f}x")
        print("With --executor ray each unit is one task: one model to train, one model's Boundary or CW run "
              "(dprob_utils.experiments.p2.runs.attack_units).")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="dprob bench", description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["p1_mnist_cnn", "p2_lenet", "p2_custom"])
    ap.add_argument("--images", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--attacks", action="store_true", help="also time the Boundary and CW attacks")
    ap.add_argument("--attack-samples", type=int, default=200)
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    ap.add_argument("--parallel", type=int, metavar="N", default=None,
                    help="time 4N DP-SGD trainings in sequence vs in N processes side by side")
    ap.add_argument("--plan", metavar="PROFILE", default=None,
                    help="measure this device and project the profile's training, Boundary and CW time")
    ap.add_argument("--gpus", type=int, nargs="+", metavar="N", default=None,
                    help="with --plan: also project onto N devices like --device (e.g. --gpus 1 8)")
    ap.add_argument("--record", default=str(RECORD), metavar="FILE",
                    help="append the throughput table to this JSON-lines file (default benchmarks/results.jsonl)")
    ap.add_argument("--no-record", dest="record", action="store_const", const=None, help="do not record")
    args = ap.parse_args(argv)
    if args.plan:
        if args.gpus and min(args.gpus) < 1:
            ap.error("--gpus takes whole numbers of at least 1")
        print_plan(args.plan, args.images, args.attack_samples, args.device, args.gpus)
        return 0
    if args.parallel:
        print_parallel(args.archs, args.parallel, args.images, args.batch)
        return 0
    ds = subset(load_dataset("mnist", "train"), args.images, "first")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.images} images, batch {args.batch}, "
          f"median of {args.repeats} round-robin repeats, compiled per-example kernels "
          f"{'on' if compiled_grads.enabled() else 'off (DPROB_COMPILE=0)'}")
    print(f"{'architecture':<14s} {'variant':<14s} {'images/s':>9s} {'vs SGD':>7s} {'vs hooks':>9s}")
    measured: dict[str, dict[str, float]] = {}
    for arch in args.archs:
        # warm-up (allocator, Opacus hook registration) not timed
        for _, mode, gsm in VARIANTS:
            time_variant(arch, mode, gsm, ds.x[: args.batch * 2], ds.y[: args.batch * 2], args.batch, args.device)
        runs: dict[str, list[float]] = {name: [] for name, _, _ in VARIANTS}
        for _ in range(args.repeats):
            for name, mode, gsm in VARIANTS:
                runs[name].append(time_variant(arch, mode, gsm, ds.x, ds.y, args.batch, args.device))
        med = {k: statistics.median(v) for k, v in runs.items()}
        measured[arch] = med
        for name, _, _ in VARIANTS:
            print(f"{arch:<14s} {name:<14s} {med[name]:9.0f} {med[name] / med['SGD']:6.2f}x "
                  f"{med[name] / med['Opacus hooks']:8.1f}x")
    if args.record:
        record(Path(args.record), {"what": "train_throughput", "images_per_s": measured, "images": args.images,
                                   "batch": args.batch, "repeats": args.repeats, "device": args.device,
                                   "compiled_kernels": compiled_grads.enabled()})
    if args.attacks:
        print_attacks(args.attack_samples, ba_steps=200, cw_steps=100, single=10, device=args.device)
    return 0


RECORD = Path(__file__).resolve().parents[2] / "benchmarks" / "results.jsonl"


def record(path: Path, entry: dict) -> None:
    """Append ``entry`` with the time, machine, threads and versions to the JSON-lines file ``path``."""
    import datetime
    import json
    import platform

    entry = {"time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "machine": f"{platform.processor() or platform.machine()}, {platform.node()}",
             "threads": torch.get_num_threads(), "torch": torch.__version__, **entry}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")



"""The Boundary attack's saturation check (chapter 09) walked once with a checkpoint against twice: per model,
``boundary_walk(steps=boundary_more_steps, checkpoints=[boundary_steps])`` against ``boundary_attack`` with
``boundary_steps`` and then with ``boundary_more_steps``, on the profile's points and seed, one after the other in
one process. Checks that both give the same images and distances bit for bit. It reads the models of the profile's
book (``DPROB_CACHE``), training any that are missing.

    python benchmarks/boundary_checkpoints.py [--profile quick] [--threads 1] [--models p2_lenet:sgd ...]
"""

from __future__ import annotations

import argparse
import time

import torch

from dprob_utils.attacks import boundary_attack, boundary_walk
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments.p2 import models, runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--models", nargs="*", help="model keys (default: the saturation check's)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    prof = get_profile(args.profile)
    s = prof.p2_attacks
    kw = {"spherical_step": s.boundary_step, "source_step": s.boundary_step,
          "update_stats_every_k": s.boundary_stats_every, "seed": prof.seed}
    keys = set(args.models or runs.saturation_keys(prof))
    total = {"twice": 0.0, "once": 0.0}
    print(f"{args.profile}: {s.boundary_steps} and {s.boundary_more_steps} steps, {args.threads} thread(s)")
    for group, cfg in runs.saturation_configs(prof):
        cm = models.load(prof, group, cfg)
        if cm.key not in keys:
            continue
        x, y = models.data_of(cm, runs.first_n(s.boundary_samples, cm))
        t = time.perf_counter()
        short, longer = (boundary_attack(cm.model, x, y, n, **kw) for n in (s.boundary_steps, s.boundary_more_steps))
        twice = time.perf_counter() - t
        t = time.perf_counter()
        walk = boundary_walk(cm.model, x, y, s.boundary_more_steps, [s.boundary_steps], **kw)
        once = time.perf_counter() - t
        same = all(torch.equal(a.adv, b.adv) and torch.equal(a.dist, b.dist)
                   for a, b in ((short, walk[s.boundary_steps]), (longer, walk[s.boundary_more_steps])))
        total["twice"] += twice
        total["once"] += once
        print(f"{cm.key:22s} twice {twice:6.1f} s  once {once:6.1f} s  {once / twice:.2f}x  "
              f"{'bit-identical' if same else 'DIFFERENT'}", flush=True)
    if total["twice"]:
        print(f"{'all':22s} twice {total['twice']:6.1f} s  once {total['once']:6.1f} s  "
              f"{total['once'] / total['twice']:.2f}x")


if __name__ == "__main__":
    main()

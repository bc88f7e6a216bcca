"""Module-level functions for the process-pool tests (spawned workers import them by name)."""

import torch


def square_and_threads(x: int) -> tuple[int, int]:
    if x < 0:
        raise ValueError(f"negative: {x}")
    return x * x, torch.get_num_threads()


def sleep_and_report(seconds: float) -> int:
    import os
    import time

    print(f"worker {os.getpid()}", flush=True)
    time.sleep(seconds)
    return os.getpid()

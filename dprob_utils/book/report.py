"""Text blocks that every chapter shows: the profile it ran with and how that differs from the papers."""

from __future__ import annotations

import platform

import torch

from dprob_utils.config.profiles import get_profile


def hardware() -> str:
    """One line: CPU/GPU and thread count that produced the numbers."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} CPU threads, {gpu}, torch {torch.__version__}"


def profile_markdown(profile: str) -> str:
    """Markdown: the profile's name and description, and every difference from the ``paper`` profile."""
    prof = get_profile(profile)
    lines = [f"**Profile `{prof.name}`**: {prof.description}", "", f"*Hardware*: {hardware()}", ""]
    diffs = prof.differences()
    if diffs:
        lines.append("Differences from the papers' settings (`paper` profile):")
        lines.append("")
        lines += [f"- {d}" for d in diffs]
    else:
        lines.append("These are the papers' settings.")
    return "\n".join(lines)


def show_profile(profile: str) -> None:
    """Display :func:`profile_markdown` in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(profile_markdown(profile)))

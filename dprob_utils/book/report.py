"""Text blocks of the chapters: the profile a chapter ran with (:func:`show_profile`, a few lines linking to the
settings page) and, on that page (chapter 98), every difference from the papers' settings."""

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


SETTINGS_PAGE = "98_settings"


def profile_line(profile: str) -> str:
    """Markdown, one paragraph: the profile, its description, the hardware, and a link to the settings page
    (the full list of differences from the papers lives there, not in every chapter)."""
    prof = get_profile(profile)
    n = len(prof.differences())
    where = (f"its {n} differences from the papers' settings are listed on [the settings page]({SETTINGS_PAGE}"
             ".html); this chapter's own settings are in its table below" if n else "these are the papers' settings")
    return f"**Profile `{prof.name}`**: {prof.description} *Hardware*: {hardware()}; {where}."


def show_profile(profile: str) -> None:
    """Display :func:`profile_line` in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(profile_line(profile)))


def settings_frame(profile: str):
    """Every setting of the profile beside the ``paper`` profile's: a DataFrame indexed by the dotted setting
    name, columns ``paper`` and the profile's name, and ``differs``."""
    from dataclasses import fields

    import pandas as pd

    from dprob_utils.config.profiles import PAPER

    prof = get_profile(profile)
    rows = []

    def walk(a, b, prefix: str) -> None:
        for f in fields(a):
            if f.name in ("name", "description", "notes"):
                continue
            va, vb = getattr(a, f.name), getattr(b, f.name)
            if hasattr(va, "__dataclass_fields__"):
                walk(va, vb, f"{prefix}{f.name}.")
            else:
                rows.append({"setting": prefix + f.name, "paper": repr(va), prof.name: repr(vb),
                             "differs": va != vb})

    walk(PAPER, prof, "")
    return pd.DataFrame(rows).set_index("setting")

"""Overrides on top of a named profile: ``--set p1_grid.fig3a_sigmas=[0.5,1,2]``, ``--set seeds=5`` or a YAML file.

:func:`parse_set` reads ``key=value`` strings (values in YAML: ``5``, ``0.3``, ``[0.5, 1, 2]``, ``null``),
:func:`load_config` a YAML mapping (nested or dotted keys). :func:`derive` validates the overrides against the
profile's dataclasses (an unknown key, a value of the wrong type or out of range is one :class:`ConfigError`
naming the key and what it accepts) and returns the overridden profile, named ``<profile>-<hash>`` so that its
results go to ``results/<profile>-<hash>/``. :func:`register` makes that name resolvable by
:func:`~dprob_utils.config.profiles.get_profile` in this process and, through ``DPROB_OVERRIDES``, in the
notebook kernels and training processes started from it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from dprob_utils.config.errors import ConfigError

OVERRIDES_ENV = "DPROB_OVERRIDES"  # JSON: {derived name: {"base": name, "overrides": {key: value}}}
ALIASES = {"seeds": "headline_seeds"}
_DERIVED: dict = {}  # name -> Profile, the overridden profiles registered in this process


def parse_set(items: list[str]) -> dict[str, Any]:
    """``["a.b=1", "c=[1, 2]"]`` → ``{"a.b": 1, "c": [1, 2]}`` (values parsed as YAML)."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set takes key=value, got {item!r}")
        try:
            out[key.strip()] = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {key.strip()}: cannot read value {text!r} ({exc.problem})") from None
    return out


def _flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def load_config(path: str | os.PathLike) -> dict[str, Any]:
    """The overrides of a YAML file: a mapping, nested (``p1_grid: {main: [1.3, 1]}``) or with dotted keys."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"--config: no such file {p}")
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"--config {p}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"--config {p}: expected a mapping of settings, got {type(data).__name__}")
    return _flatten(data)


def _split_top(inner: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        cur += ch
    return parts + [cur.strip()] if cur.strip() else parts


def _coerce(key: str, value: Any, annotation: str) -> Any:
    """``value`` as the type ``annotation`` (the dataclass field's, e.g. ``tuple[float, ...]``)."""
    annotation = annotation.strip()
    if annotation.endswith("| None"):
        return None if value is None else _coerce(key, value, annotation[: -len("| None")])
    m = re.fullmatch(r"tuple\[(.*)\]", annotation)
    if m:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list ({annotation}), got {value!r}")
        parts = _split_top(m.group(1))
        if len(parts) == 2 and parts[1] == "...":
            return tuple(_coerce(key, v, parts[0]) for v in value)
        if len(value) != len(parts):
            raise ConfigError(f"{key}: expected {len(parts)} values ({annotation}), got {value!r}")
        return tuple(_coerce(key, v, t) for v, t in zip(value, parts))
    kinds = {"int": int, "float": (int, float), "bool": bool, "str": str}
    if annotation not in kinds:
        raise ConfigError(f"{key}: cannot be overridden (type {annotation})")
    if isinstance(value, bool) and annotation != "bool" or not isinstance(value, kinds[annotation]):
        raise ConfigError(f"{key}: expected {annotation}, got {value!r}")
    return float(value) if annotation == "float" else value


def _numbers(v: Any) -> list[float]:
    if isinstance(v, (list, tuple)):
        return [x for item in v for x in _numbers(item)]
    return [v] if isinstance(v, (int, float)) and not isinstance(v, bool) else []


def _check_range(key: str, value: Any) -> None:
    """Values that no experiment can use: negative noise, non-positive clipping bounds, learning rates,
    epochs, batch sizes, step and sample counts, seeds below one."""
    leaf = key.rsplit(".", 1)[-1]
    nums = _numbers(value)
    if re.search(r"sigma", leaf) and any(x < 0 for x in nums):
        raise ConfigError(f"{key}: σ must be >= 0, got {value!r}")
    if re.search(r"clip", leaf) and any(x <= 0 for x in nums):
        raise ConfigError(f"{key}: clipping bounds C must be > 0, got {value!r}")
    if re.search(r"(^lr|_lr|epochs|batch_size|steps|samples|seeds|queries)$", leaf) and any(x <= 0 for x in nums):
        raise ConfigError(f"{key}: must be > 0, got {value!r}")
    if re.search(r"eps", leaf) and any(x < 0 for x in nums):
        raise ConfigError(f"{key}: attack budgets ε must be >= 0, got {value!r}")


def _set(obj: Any, path: list[str], value: Any, full: str) -> Any:
    names = {f.name: f for f in fields(obj) if f.name not in ("name", "description", "notes")}
    head = path[0]
    if head not in names:
        raise ConfigError(f"unknown setting {full!r}: {'.'.join(full.split('.')[:-len(path)] + [head])} is not "
                          f"one of {', '.join(names)}")
    current = getattr(obj, head)
    if len(path) == 1:
        if hasattr(current, "__dataclass_fields__"):
            raise ConfigError(f"{full} is a group of settings ({', '.join(f.name for f in fields(current))}); "
                              f"set one of them, e.g. {full}.{fields(current)[0].name}=...")
        return replace(obj, **{head: _coerce(full, value, names[head].type)})
    if not hasattr(current, "__dataclass_fields__"):
        raise ConfigError(f"unknown setting {full!r}: {head} is a value, not a group of settings")
    return replace(obj, **{head: _set(current, path[1:], value, full)})


def derived_name(base: str, overrides: dict[str, Any]) -> str:
    """``<base>-<8 hex digits of the overrides>``: the results folder of an overridden profile."""
    from dprob_utils.config.keys import content_key

    return f"{base}-{content_key(sorted(overrides.items()))[:8]}"


def derive(base: str, overrides: dict[str, Any]):
    """The profile ``base`` with ``overrides`` (dotted keys) applied and validated, named :func:`derived_name`;
    ``base`` itself when there are none."""
    from dprob_utils.config.profiles import get_profile

    prof = get_profile(base)
    if not overrides:
        return prof
    overrides = {ALIASES.get(k, k): v for k, v in overrides.items()}
    for key, value in overrides.items():
        _check_range(key, value)
        prof = _set(prof, key.split("."), value, key)
    return replace(prof, name=derived_name(base, overrides),
                   description=f"{prof.description} Overridden: {describe(overrides)}.")


def describe(overrides: dict[str, Any]) -> str:
    """``a.b=1, c=[1, 2]``: the overrides as one line."""
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(overrides.items()))


def register(base: str, overrides: dict[str, Any]) -> str:
    """Validate, make the overridden profile resolvable by name here and in child processes; its name."""
    prof = derive(base, overrides)
    if prof.name == base:
        return base
    _DERIVED[prof.name] = prof
    known = json.loads(os.environ.get(OVERRIDES_ENV) or "{}")
    known[prof.name] = {"base": base, "overrides": overrides}
    os.environ[OVERRIDES_ENV] = json.dumps(known)
    return prof.name


def from_environment(name: str):
    """The overridden profile called ``name``, registered here or recorded in ``DPROB_OVERRIDES`` (set by
    :func:`register` in a parent process), or ``None``."""
    if name in _DERIVED:
        return _DERIVED[name]
    spec = json.loads(os.environ.get(OVERRIDES_ENV) or "{}").get(name)
    if spec is None:
        return None
    _DERIVED[name] = derive(spec["base"], spec["overrides"])
    return _DERIVED[name]


def overrides_of(name: str) -> dict[str, Any]:
    """The overrides that made profile ``name`` (``{}`` for a named profile)."""
    spec = json.loads(os.environ.get(OVERRIDES_ENV) or "{}").get(name)
    return {} if spec is None else dict(spec["overrides"])


def use_profile(profile: str, overrides: dict | str | None = None) -> str:
    """A notebook's first step: its papermill parameters ``profile`` and ``overrides`` (``None``, a mapping, a
    JSON/YAML mapping as text, or the path of a YAML file) as the name of the profile it runs."""
    import yaml

    if overrides is None or overrides == {} or overrides == "":
        return profile
    if isinstance(overrides, str):
        text = overrides.strip()
        if text.startswith("{"):
            overrides = yaml.safe_load(text)
            if not isinstance(overrides, dict):
                raise ConfigError(f"overrides must be a mapping, got {text!r}")
            overrides = _flatten(overrides)
        else:
            overrides = load_config(text)
    return register(profile, _flatten(dict(overrides)))

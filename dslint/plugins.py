"""Check discovery through the `dslint.checks` entry-point group: built-ins and third parties alike.

An entry point names a Check subclass, or a module / object with a CHECKS sequence of them. A plugin that fails
to load stops the run (exit 2): a gate that silently lost a check would pass data it should not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, Iterable

from .check import Check
from .errors import PluginError

GROUP = "dslint.checks"
CODE_RE = re.compile(r"^[A-Z]{1,4}[0-9]{3}$")


@dataclass(frozen=True)
class LoadedCheck:
    cls: type[Check]
    provider: str  # distribution name, or "python" for checks passed in directly


def _as_checks(obj: Any, where: str) -> list[type[Check]]:
    if isinstance(obj, type) and issubclass(obj, Check):
        return [obj]
    items = getattr(obj, "CHECKS", None) if isinstance(obj, ModuleType) else obj
    if items is None:
        raise PluginError(f"plugin {where}: module has no CHECKS")
    try:
        checks = list(items)
    except TypeError:
        raise PluginError(f"plugin {where}: expected a Check subclass or a sequence of them") from None
    for c in checks:
        if not (isinstance(c, type) and issubclass(c, Check)):
            raise PluginError(f"plugin {where}: {c!r} is not a dslint Check subclass")
    return checks


def discover(extra: Iterable[type[Check]] = ()) -> list[LoadedCheck]:
    loaded: list[LoadedCheck] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
        except Exception as exc:  # any import failure of a plugin stops the run
            raise PluginError(f"plugin '{ep.name}' ({ep.value}) failed to load: {type(exc).__name__}: {exc}") from exc
        provider = ep.dist.name if ep.dist is not None else "unknown"
        loaded.extend(LoadedCheck(c, provider) for c in _as_checks(obj, ep.name))
    loaded.extend(LoadedCheck(c, "python") for c in extra)
    validate(loaded)
    return loaded


def validate(loaded: list[LoadedCheck]) -> None:
    """Codes well-formed and unique across everything loaded; check names unique."""
    owners: dict[str, str] = {}
    names: dict[str, str] = {}
    for lc in loaded:
        if not lc.cls.name:
            raise PluginError(f"check {lc.cls.__name__} from {lc.provider} has no name")
        if lc.cls.name in names and names[lc.cls.name] != lc.cls.__qualname__:
            raise PluginError(f"check name '{lc.cls.name}' is used twice ({names[lc.cls.name]}, {lc.cls.__qualname__})")
        names[lc.cls.name] = lc.cls.__qualname__
        for rule in lc.cls.rules:
            if not CODE_RE.match(rule.code):
                raise PluginError(f"rule code '{rule.code}' of {lc.cls.name} is not a prefix of 1-4 capitals "
                                  "and 3 digits")
            if rule.code in owners and owners[rule.code] != lc.cls.name:
                raise PluginError(f"rule code {rule.code} is defined by both '{owners[rule.code]}' and "
                                  f"'{lc.cls.name}'")
            owners[rule.code] = lc.cls.name

"""Rule selection with ruff's semantics: codes and prefixes, `ALL`, and the most specific match wins."""

from __future__ import annotations

from typing import Iterable

from .errors import ConfigError


def _best(code: str, patterns: Iterable[str]) -> int:
    """Length of the longest pattern that selects `code` (ALL counts as 0); -1 when none does."""
    best = -1
    for p in patterns:
        p = p.strip().upper()
        if p == "ALL":
            best = max(best, 0)
        elif code.startswith(p):
            best = max(best, len(p))
    return best


class Selection:
    def __init__(self, select: Iterable[str], extend_select: Iterable[str] = (), ignore: Iterable[str] = ()):
        self.select = [s.strip().upper() for s in (*select, *extend_select) if s.strip()]
        self.ignore = [s.strip().upper() for s in ignore if s.strip()]

    def __contains__(self, code: str) -> bool:
        chosen = _best(code, self.select)
        return chosen >= 0 and chosen > _best(code, self.ignore)

    def validate(self, known_codes: Iterable[str]) -> None:
        """Every pattern must select at least one known code (a typo must not silently select nothing)."""
        known = list(known_codes)
        for p in (*self.select, *self.ignore):
            if p != "ALL" and not any(c.startswith(p) for c in known):
                from .config import suggest

                raise ConfigError(f"unknown rule code or prefix '{p}'{suggest(p, known)}")

"""Errors that end a run with exit code 2 (usage, config, plugin, unreadable input). Findings are never raised."""

from __future__ import annotations


class DslintError(Exception):
    """Base of every error dslint reports as one clear line and exit code 2."""

    exit_code = 2


class UsageError(DslintError):
    pass


class ConfigError(DslintError):
    pass


class InputError(DslintError):
    """An input that cannot be read at all (missing, a directory of nothing, binary, unknown type)."""


class PluginError(DslintError):
    pass


class ModelError(DslintError):
    """The embedding model a selected check needs cannot be loaded: exit 2 with how to configure one."""


class SkipCheck(Exception):
    """Raised by a check (or an artifact it needs) when it cannot run; the engine records a Skipped."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class GateFailed(Exception):
    """Raised by dslint.gate() when a report fails the gate; the message lists what failed."""

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__("dslint gate failed:\n  - " + "\n  - ".join(self.reasons))

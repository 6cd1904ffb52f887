"""Core value types of a lint run: rules, findings, skipped checks and the report. Stdlib only."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Mapping


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, value: str | int | Severity) -> Severity:
        """Accept 'error', 'WARNING', 3 or a Severity; raise ValueError otherwise."""
        if isinstance(value, Severity):
            return value
        if isinstance(value, int):
            return cls(value)
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {value!r} (expected info, warning or error)") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: a stable code, a kebab-case name, a message template and its documentation.

    `doc` uses ruff's fixed headings: "## What it does", "## Why is this bad?", "## Example" (and optionally
    "## Options"). `scope` is "record" for findings about one record and "dataset" for a whole-set figure.
    """

    code: str
    name: str
    message: str
    severity: Severity = Severity.WARNING
    summary: str = ""
    doc: str = ""
    scope: str = "record"

    def format(self, **values: Any) -> str:
        try:
            return self.message.format(**values)
        except (KeyError, IndexError, ValueError):
            return self.message


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points: file, 0-based record index within the run, 1-based source line, field path."""

    path: str | None = None
    record: int | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.path or "<dataset>"
        if self.line is not None:
            where += f":{self.line}"
        return where


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by a check. Immutable; `details` carries machine-readable extras (JSON-safe)."""

    code: str
    message: str
    severity: Severity
    location: Location = field(default_factory=Location)
    score: float | None = None
    related: tuple[int, ...] = ()
    fingerprint: str = ""
    check: str = ""
    details: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def with_severity(self, severity: Severity) -> Finding:
        return _replace(self, severity=severity)


@dataclass(frozen=True, slots=True)
class Metric:
    """A dataset-level measurement a check yields beside its findings (e.g. "D.duplicate_rate")."""

    name: str
    value: Any


@dataclass(frozen=True, slots=True)
class Skipped:
    """A check that could not run, and why. Never a silent pass."""

    check: str
    reason: str


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One input file as read: the format it was read as and how many rows/records it gave."""

    path: str
    role: str = "train"  # "train" or "eval"
    kind: str = ""  # loader used: jsonl, json, csv, parquet, hf-dataset, python
    format: str = ""  # detected record format: chat, sharegpt, alpaca, prompt-completion, preference, classification
    rows: int = 0
    records: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FlagVerdict:
    """One line of the readiness verdict: a red flag with PASS/WARN/FAIL and the figure behind it."""

    flag: str
    status: str  # "PASS" | "WARN" | "FAIL" | "SKIP"
    figure: str


@dataclass
class Verdict:
    flags: list[FlagVerdict] = field(default_factory=list)
    green_flags: list[str] = field(default_factory=list)
    gate_passed: bool = True
    gate_reasons: list[str] = field(default_factory=list)


@dataclass
class Report:
    """Everything a run produced. Reporters are pure functions of this object."""

    sources: list[SourceInfo] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    suppressed: int = 0
    rows: int = 0
    records: int = 0
    profile: str = "generic"
    verdict: Verdict = field(default_factory=Verdict)
    # What each finding's record looked like, for reporters that show text (HTML); index -> short text.
    excerpts: dict[int, str] = field(default_factory=dict)
    # Wall seconds per step ("load", "artifact.<name>", "check.<name>"): for benchmarks, never rendered.
    timings: dict[str, float] = field(default_factory=dict)

    def count(self, code: str) -> int:
        return sum(1 for f in self.findings if f.code == code)

    def by_severity(self) -> dict[Severity, int]:
        counts = {s: 0 for s in Severity}
        for f in self.findings:
            counts[f.severity] += 1
        return counts


def _replace(obj: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **changes)


def stable_hash(*parts: str, length: int = 16) -> str:
    """A short, stable content hash (sha256 hex prefix) over string parts."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()[:length]

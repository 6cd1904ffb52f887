"""Markdown for a CI step summary: the gate's result, counts per rule, the first findings, then the readiness verdict."""

from __future__ import annotations

from collections import Counter

from ..gate import flag_title
from ..model import Report

MAX_ROWS = 50
ICON = {"PASS": "✅", "WARN": "⚠️", "FAIL": "❌", "SKIP": "➖"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def verdict_lines(report: Report) -> list[str]:
    """The readiness verdict as a table (status and figure per red flag), the green flags and the gate's result."""
    v = report.verdict
    out = ["## Readiness verdict", "", "| red flag | status | figure |", "|---|---|---|"]
    for flag in v.flags:
        out.append(f"| {flag_title(flag.flag)} | {ICON.get(flag.status, '')} {flag.status} | {_cell(flag.figure)} |")
    out += ["", "Green flags: " + ("; ".join(_cell(g) for g in v.green_flags) if v.green_flags else "none noticed")]
    out += ["", f"**Gate: {'PASSED' if v.gate_passed else 'FAILED'}**"]
    if v.gate_reasons:
        out += ["", "Why the gate failed:", *[f"- {_cell(r)}" for r in v.gate_reasons]]
    return out


def render(report: Report, **_: object) -> str:
    v = report.verdict
    out = ["# dslint report", "", f"**Gate: {'PASSED' if v.gate_passed else 'FAILED'}** · "
           f"{report.records:,} records from {len([s for s in report.sources if s.role == 'train'])} file(s) · "
           f"profile `{report.profile}`"]
    counts = Counter((f.code, str(f.severity)) for f in report.findings)
    if counts:
        out += ["", "| rule | severity | count |", "|---|---|---|"]
        out += [f"| {c} | {s} | {n} |" for (c, s), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        out += ["", "| where | rule | message |", "|---|---|---|"]
        for f in report.findings[:MAX_ROWS]:
            where = f"{f.location.path or 'dataset'}" + (f":{f.location.line}" if f.location.line else "")
            out.append(f"| `{_cell(where)}` | {f.code} | {_cell(f.message)} |")
        if len(report.findings) > MAX_ROWS:
            out.append(f"| … | | {len(report.findings) - MAX_ROWS} more |")
    for s in report.skipped:
        out.append(f"\n_skipped {s.check}: {_cell(s.reason)}_")
    out += ["", *verdict_lines(report)]
    return "\n".join(out) + "\n"

"""Plain text: `path:line: CODE [severity] message`, then a summary and the readiness verdict."""

from __future__ import annotations

from collections import Counter

from ..gate import flag_title
from ..model import Finding, Report


def finding_line(f: Finding) -> str:
    loc = f.location
    where = loc.path or "<dataset>"
    if loc.line is not None:
        where += f":{loc.line}"
    elif loc.record is not None:
        where += f"[{loc.record}]"
    field = f" ({loc.field})" if loc.field else ""
    return f"{where}: {f.code} [{f.severity}] {f.message}{field}"


def statistics_lines(report: Report) -> list[str]:
    counts = Counter((f.code, f.severity) for f in report.findings)
    return [f"{n:>6}  {code}  [{sev}]" for (code, sev), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def verdict_lines(report: Report) -> list[str]:
    """The readiness verdict: one line per red flag (status, flag, figure), the green flags, the gate's result."""
    v = report.verdict
    lines = ["Readiness verdict:"]
    width = max((len(flag_title(flag.flag)) for flag in v.flags), default=0)
    for flag in v.flags:
        lines.append(f"  {flag.status:<4}  {flag_title(flag.flag):<{width}}  {flag.figure}")
    lines.append("  green flags: " + ("; ".join(v.green_flags) if v.green_flags else "none noticed"))
    if v.gate_passed:
        lines.append("Gate: PASSED")
    else:
        lines.append("Gate: FAILED")
        lines.extend(f"  - {r}" for r in v.gate_reasons)
    return lines


def render(report: Report, *, statistics: bool = False, quiet: bool = False) -> str:
    lines = [finding_line(f) for f in report.findings]
    if quiet:
        lines.append("dslint: gate " + ("passed" if report.verdict.gate_passed else "FAILED"))
        return "\n".join(lines) + "\n"
    if lines:
        lines.append("")
    if statistics and report.findings:
        lines.append("Statistics:")
        lines.extend(statistics_lines(report))
        lines.append("")
    for s in report.sources:
        fmt = s.format or "unknown format"
        lines.append(f"read {s.path} as {fmt} ({s.kind}, {s.role}): {s.records:,} records of {s.rows:,} rows")
    chunks = report.metrics.get("dataset.streamed_chunks")
    if chunks:
        lines.append(f"streamed in {chunks:,} chunk(s): every selected check streams, so no file was held whole")
    summary = f"{len(report.findings)} finding(s) ({_sev_summary(report)}); profile {report.profile}"
    if report.suppressed:
        summary += f"; {report.suppressed} suppressed"
    lines.append(summary)
    for s in report.skipped:
        lines.append(f"skipped {s.check}: {s.reason}")
    lines.append("")
    lines.extend(verdict_lines(report))
    return "\n".join(lines) + "\n"


def _sev_summary(report: Report) -> str:
    counts = report.by_severity()
    return ", ".join(f"{n} {sev}" for sev, n in sorted(counts.items(), reverse=True))

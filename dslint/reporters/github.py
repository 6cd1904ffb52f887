"""GitHub Actions workflow commands: one ::error/::warning/::notice annotation per finding."""

from __future__ import annotations

from ..model import Report, Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def render(report: Report, **_: object) -> str:
    lines = []
    for f in report.findings:
        props = [f"title={_escape(f.code, True)}"]
        if f.location.path:
            props.insert(0, f"file={_escape(f.location.path, True)}")
        if f.location.line:
            props.insert(1, f"line={f.location.line}")
        lines.append(f"::{COMMANDS[f.severity]} {','.join(props)}::{_escape(f.message)}")
    status = "passed" if report.verdict.gate_passed else "FAILED"
    lines.append(f"dslint: {len(report.findings)} finding(s); gate {status}")
    return "\n".join(lines) + "\n"

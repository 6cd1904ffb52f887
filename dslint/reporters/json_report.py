"""JSON: a versioned, stable document (schema in the README). Reading it back gives the same findings."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from ..model import Finding, Report

SCHEMA_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": str(f.severity),
        "message": f.message,
        "path": f.location.path,
        "line": f.location.line,
        "record": f.location.record,
        "field": f.location.field,
        "score": f.score,
        "related": list(f.related),
        "fingerprint": f.fingerprint,
        "check": f.check,
        "details": dict(f.details),
    }


def report_dict(report: Report) -> dict[str, Any]:
    v = report.verdict
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "dslint", "version": _version()},
        "profile": report.profile,
        "sources": [asdict(s) | {"notes": list(s.notes)} for s in report.sources],
        "rows": report.rows,
        "records": report.records,
        "summary": {str(sev): n for sev, n in report.by_severity().items()} | {"suppressed": report.suppressed},
        "findings": [finding_dict(f) for f in report.findings],
        "skipped": [{"check": s.check, "reason": s.reason} for s in report.skipped],
        "metrics": report.metrics,
        "verdict": {
            "flags": [{"flag": f.flag, "status": f.status, "figure": f.figure} for f in v.flags],
            "green_flags": list(v.green_flags),
            "gate": {"passed": v.gate_passed, "reasons": list(v.gate_reasons)},
        },
    }


def _version() -> str:
    from .. import __version__

    return __version__


def render(report: Report, **_: object) -> str:
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2, default=_default) + "\n"


def _default(value: Any) -> Any:
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:
        pass
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)

"""SARIF 2.1.0 for code-scanning UIs: one run, the rules that fired, one result per finding."""

from __future__ import annotations

import json
from typing import Any

from ..model import Report, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(report: Report, **_: object) -> str:
    from .. import __version__
    from ..rules import rule_index

    rules = rule_index()
    used = sorted({f.code for f in report.findings})
    rule_pos = {code: i for i, code in enumerate(used)}
    results: list[dict[str, Any]] = []
    for f in report.findings:
        region = {"startLine": f.location.line} if f.location.line else {}
        physical: dict[str, Any] = {"artifactLocation": {"uri": f.location.path or "dataset"}}
        if region:
            physical["region"] = region
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": rule_pos[f.code],
            "level": LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": [{"physicalLocation": physical}],
            "partialFingerprints": {"dslint/v1": f.fingerprint},
        }
        if f.location.field:
            result["properties"] = {"field": f.location.field}
        results.append(result)
    driver_rules = []
    for code in used:
        rule = rules.get(code)
        driver_rules.append({
            "id": code,
            "name": rule.name if rule else code,
            "shortDescription": {"text": (rule.summary or rule.name) if rule else code},
            "fullDescription": {"text": rule.doc if rule and rule.doc else (rule.summary if rule else code)},
            "defaultConfiguration": {"level": LEVELS[rule.severity] if rule else "warning"},
        })
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dslint", "version": __version__, "informationUri":
                                "https://pypi.org/project/dslint-finetune/", "rules": driver_rules}},
            "results": results,
        }],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"

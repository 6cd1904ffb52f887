"""Reporters are pure functions of a Report: JSON round-trips, SARIF carries the 2.1.0 required fields."""

from __future__ import annotations

import json

import pytest

from dslint.config import Config
from dslint.gate import build_verdict
from dslint.model import Finding, Location, Report, Severity, SourceInfo
from dslint.reporters import REPORTERS, render


@pytest.fixture
def report() -> Report:
    findings = [
        Finding("F001", "invalid JSON: Expecting value", Severity.ERROR, Location("train.jsonl", 2, 3, None),
                fingerprint="aaaa", check="format"),
        Finding("D001", "exact duplicate of record 0", Severity.WARNING,
                Location("train.jsonl", 4, 5, "messages"), score=1.0, related=(0,), fingerprint="bbbb",
                check="duplicates", details={"cluster": 0, "kept": 0, "cluster_size": 2}),
        Finding("S001", "only 5 effective examples", Severity.ERROR, Location(None), fingerprint="cccc",
                check="size"),
    ]
    rep = Report(sources=[SourceInfo("train.jsonl", "train", "jsonl", "chat", 6, 5)], findings=findings,
                 metrics={"S.effective_examples": 4}, rows=6, records=5)
    rep.verdict = build_verdict(rep, Config(), {"F001", "D001", "S001"})
    return rep


def test_text_lines_name_file_line_code_severity(report):
    out = render(report, "text")
    assert "train.jsonl:3: F001 [error] invalid JSON" in out
    assert "train.jsonl:5: D001 [warning] exact duplicate of record 0 (messages)" in out
    assert "Gate: FAILED" in out


def test_statistics_counts_per_rule(report):
    out = render(report, "text", statistics=True)
    assert "Statistics:" in out and "F001" in out.split("Statistics:")[1]


def test_json_round_trip(report):
    doc = json.loads(render(report, "json"))
    assert doc["schema_version"] == 1
    got = [(f["code"], f["line"], f["severity"], f["fingerprint"]) for f in doc["findings"]]
    assert got == [(f.code, f.location.line, str(f.severity), f.fingerprint) for f in report.findings]
    assert doc["findings"][1]["details"] == {"cluster": 0, "kept": 0, "cluster_size": 2}
    assert doc["verdict"]["gate"]["passed"] is False
    assert {f["flag"] for f in doc["verdict"]["flags"]} >= {"size", "format"}


def test_sarif_required_fields(report):
    doc = json.loads(render(report, "sarif"))
    assert doc["version"] == "2.1.0" and "$schema" in doc
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "dslint"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert result["message"]["text"]
        assert result["level"] in ("error", "warning", "note")
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    first = run["results"][0]
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] == 3


def test_github_annotations_escape_and_locate(report):
    out = render(report, "github").splitlines()
    assert out[0] == "::error file=train.jsonl,line=3,title=F001::invalid JSON: Expecting value"
    assert out[1].startswith("::warning file=train.jsonl,line=5,title=D001::")


def test_markdown_summary_leads_with_the_gate(report):
    out = render(report, "markdown")
    assert "**Gate: FAILED**" in out.splitlines()[2]
    assert "| F001 | error | 1 |" in out


def test_every_registered_reporter_renders(report):
    for name in REPORTERS:
        assert render(report, name).strip()

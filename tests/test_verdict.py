"""The readiness verdict: PASS/WARN/FAIL per red flag with its figure, green flags, the gate; in every report."""

from __future__ import annotations

import json

from conftest import chat, write_jsonl
from dslint.config import Config
from dslint.gate import build_verdict, green_flags
from dslint.model import Finding, Location, Report, Severity
from dslint.reporters import json_report, markdown, text


def finding(code: str, severity: Severity) -> Finding:
    return Finding(code, "m", severity, Location("t.jsonl", 0, 1))


def verdict_of(findings=(), metrics=None, ran=("F001", "S001", "D001", "L001", "V001"), **config):
    report = Report(findings=list(findings), metrics=metrics or {}, records=100)
    report.verdict = build_verdict(report, Config(**config), set(ran))
    return report


def statuses(report: Report) -> dict[str, str]:
    return {f.flag: f.status for f in report.verdict.flags}


def test_each_red_flag_takes_the_worst_severity_of_its_family():
    report = verdict_of([finding("S001", Severity.ERROR), finding("D001", Severity.WARNING),
                         finding("V001", Severity.INFO)])
    assert statuses(report) == {"format": "PASS", "size": "FAIL", "duplicates & leakage": "WARN",
                                "label noise": "PASS", "volatility": "PASS"}
    assert not report.verdict.gate_passed


def test_a_family_that_did_not_run_is_skipped_not_passed():
    report = verdict_of(ran=("S001",))
    assert statuses(report)["label noise"] == "SKIP"
    assert next(f for f in report.verdict.flags if f.flag == "label noise").figure == "not checked"


def test_fail_on_warning_turns_warnings_into_fails():
    report = verdict_of([finding("V002", Severity.WARNING)], fail_on="warning")
    assert statuses(report)["volatility"] == "FAIL" and not report.verdict.gate_passed


def test_an_exceeded_budget_fails_its_flag():
    findings = [finding("D003", Severity.WARNING) for _ in range(5)]
    report = verdict_of(findings, gate={"D003": {"max-ratio": 0.02}})
    assert statuses(report)["duplicates & leakage"] == "FAIL"
    assert report.verdict.gate_reasons == ["D003: 5.00% of records exceeds the budget max-ratio = 0.02"]


def test_figures_come_from_the_metrics_with_the_codes_that_fired():
    metrics = {"S.effective_examples": 401, "S.min_examples": 500, "S.recommended_examples": 1000,
               "S.counted_out": {"unparsable_rows": 0, "duplicates": 799},
               "D.duplicate_rate": 0.666, "L.noise_rate": 0.031, "V.volatile_share": 0.0}
    report = verdict_of([finding("S001", Severity.ERROR)] + [finding("D001", Severity.WARNING)] * 2, metrics)
    figures = {f.flag: f.figure for f in report.verdict.flags}
    assert figures["size"] == "401 effective examples (minimum 500, recommended 1,000); counted out: 799 duplicates [S001]"
    assert figures["duplicates & leakage"] == "66.6% duplicates [D001 x2]"
    assert figures["label noise"] == "3.1% estimated label noise"
    assert figures["volatility"] == "0.0% volatile examples (belongs in retrieval)"
    assert figures["format"] == "0 finding(s)"


def test_green_flags_are_merged_from_every_family():
    metrics = {"S.green_flags": ["many-label taxonomy (77 labels)"], "F.green_flags": ["strict output structure"],
               "green_flags": ["many-label taxonomy (77 labels)"]}
    assert green_flags(metrics) == ["strict output structure", "many-label taxonomy (77 labels)"]


def test_text_and_markdown_reports_end_with_the_verdict_and_json_carries_it(tmp_path, run_cli):
    rows = [chat(f"Name a fruit that starts with letter {c} number {i}", f"{c}{i} fruit") for i, c in
            enumerate("abcdefghijkl")]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    out = run_cli("check", str(path), "--select", "S,F,D001").out.rstrip().splitlines()
    tail = out[out.index("Readiness verdict:"):]
    assert tail[1].split()[:2] == ["PASS", "malformed"]
    assert tail[2].startswith("  FAIL  too little data") and "12 effective examples" in tail[2]
    assert tail[-2:] == ["Gate: FAILED", "  - 1 finding(s) at or above error: S001 x1"]
    md = run_cli("check", str(path), "--select", "S,F,D001", "--output-format", "markdown").out
    assert md.index("## Readiness verdict") > md.index("| where | rule | message |")
    assert "| too little data | ❌ FAIL | 12 effective examples" in md
    assert md.rstrip().endswith("- 1 finding(s) at or above error: S001 x1")
    doc = json.loads(run_cli("check", str(path), "--select", "S,F,D001", "--output-format", "json").out)
    size = next(f for f in doc["verdict"]["flags"] if f["flag"] == "size")
    assert size["status"] == "FAIL" and size["figure"].startswith("12 effective examples")
    assert doc["verdict"]["gate"] == {"passed": False, "reasons": ["1 finding(s) at or above error: S001 x1"]}


def test_renderers_are_pure_functions_of_the_verdict():
    report = verdict_of([finding("L001", Severity.ERROR)], {"L.noise_rate": 0.2, "green_flags": ["several languages"]})
    lines = text.verdict_lines(report)
    assert "  FAIL  noisy or inconsistent labels  20.0% estimated label noise [L001]" in lines
    assert "  green flags: several languages" in lines
    assert "| noisy or inconsistent labels | ❌ FAIL | 20.0% estimated label noise [L001] |" in markdown.render(report)
    assert json_report.report_dict(report)["verdict"]["green_flags"] == ["several languages"]

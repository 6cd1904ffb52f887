"""The engine with injected checks: selection, suppression, severity overrides, budgets, skips, late checks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import dslint
from conftest import chat, write_jsonl
from dslint.check import Check
from dslint.config import Config, config_from_mapping
from dslint.engine import CheckCrashed, lint
from dslint.errors import GateFailed, SkipCheck
from dslint.model import Rule, Severity


class ShortTargetCheck(Check):
    name = "test-short-target"
    rules = (Rule("T001", "short-target", "target has {n} characters", Severity.ERROR, summary="short"),
             Rule("T002", "target-count", "{n} targets", Severity.INFO, summary="count", scope="dataset"))

    @dataclass(frozen=True)
    class Options:
        min_chars: int = 3

    def run(self, records):
        for rec in records:
            if len(rec.target) < self.options.min_chars:
                yield self.finding("T001", rec, field="target", n=len(rec.target))
        yield self.finding("T002", None, n=len(records))
        yield self.metric("T.count", len(records))


class NeedsModelCheck(Check):
    name = "test-needs-model"
    rules = (Rule("T101", "model-thing", "x", summary="x"),)

    def run(self, embeddings):
        yield from ()


class NotApplicableCheck(Check):
    name = "test-not-applicable"
    rules = (Rule("T201", "never", "x", summary="x"),)

    def run(self, labels):
        raise SkipCheck("no labels in this data")


class CrashingCheck(Check):
    name = "test-crash"
    rules = (Rule("T301", "crash", "x", summary="x"),)

    def run(self, records):
        raise ZeroDivisionError("boom")


class CountsPriorCheck(Check):
    name = "test-late"
    late = True
    rules = (Rule("T401", "prior-count", "{n} findings before me", Severity.INFO, summary="x", scope="dataset"),)

    def run(self, prior_findings):
        yield self.finding("T401", None, n=len(prior_findings))


CHECKS = (ShortTargetCheck, NotApplicableCheck, CountsPriorCheck)


@pytest.fixture
def data(tmp_path):
    rows = [chat("q1", "ok answer"), chat("q2", "no"), chat("q3", "x") | {"_dslint_noqa": "T001"},
            chat("q4", "")]
    return write_jsonl(tmp_path / "train.jsonl", rows)


def _cfg(**kw) -> Config:
    return config_from_mapping({"select": ["T"], **kw})


def test_findings_point_at_lines_and_noqa_suppresses(data):
    report = lint([str(data)], _cfg(), extra_checks=CHECKS)
    t001 = [(f.location.line, f.location.field) for f in report.findings if f.code == "T001"]
    assert t001 == [(2, "target"), (4, "target")]
    assert report.suppressed == 1
    assert report.metrics["T.count"] == 4
    assert not report.verdict.gate_passed


def test_options_come_from_the_checks_table(data):
    report = lint([str(data)], _cfg(checks={"test-short-target": {"min-chars": 1}}), extra_checks=CHECKS)
    assert [f.location.line for f in report.findings if f.code == "T001"] == [4]


def test_late_check_sees_prior_findings(data):
    report = lint([str(data)], _cfg(), extra_checks=CHECKS)
    late = next(f for f in report.findings if f.code == "T401")
    assert late.message == "3 findings before me"  # two T001 and one T002 (the noqa'd one is gone)


def test_skip_is_first_class(data):
    report = lint([str(data)], _cfg(), extra_checks=CHECKS)
    assert any(s.check == "test-not-applicable" and "no labels" in s.reason for s in report.skipped)


def test_fast_mode_skips_checks_that_need_a_model(data):
    report = lint([str(data)], _cfg(fast=True), extra_checks=(*CHECKS, NeedsModelCheck))
    assert any(s.check == "test-needs-model" and "fast" in s.reason for s in report.skipped)


def test_ignore_and_severity_override_and_fail_on(data):
    report = lint([str(data)], _cfg(ignore=["T001"]), extra_checks=CHECKS)
    assert report.count("T001") == 0 and report.verdict.gate_passed
    report = lint([str(data)], _cfg(severity={"T001": "warning"}), extra_checks=CHECKS)
    assert report.verdict.gate_passed
    report = lint([str(data)], _cfg(severity={"T001": "warning"}, **{"fail-on": "warning"}), extra_checks=CHECKS)
    assert not report.verdict.gate_passed


def test_budgets_fail_the_gate(data):
    ok = lint([str(data)], _cfg(severity={"T001": "info"}, gate={"T001": {"max-count": 2}}), extra_checks=CHECKS)
    assert ok.verdict.gate_passed
    bad = lint([str(data)], _cfg(severity={"T001": "info"}, gate={"T001": {"max-ratio": 0.25}}),
               extra_checks=CHECKS)
    assert not bad.verdict.gate_passed
    assert any("max-ratio" in r for r in bad.verdict.gate_reasons)


def test_per_file_ignores(data):
    report = lint([str(data)], _cfg(**{"per-file-ignores": {"train.jsonl": ["T001"]}}), extra_checks=CHECKS)
    assert report.count("T001") == 0 and report.suppressed >= 2


def test_baseline_accepts_known_findings(data, tmp_path):
    import json

    from dslint.suppress import baseline_document

    first = lint([str(data)], _cfg(), extra_checks=CHECKS)
    base = tmp_path / "baseline.json"
    base.write_text(json.dumps(baseline_document(first.findings)))
    again = lint([str(data)], _cfg(baseline=str(base)), extra_checks=CHECKS)
    assert again.count("T001") == 0 and again.verdict.gate_passed
    with open(data, "a") as fh:
        fh.write('{"messages": [{"role": "user", "content": "q5"}, {"role": "assistant", "content": "z"}]}\n')
    new = lint([str(data)], _cfg(baseline=str(base)), extra_checks=CHECKS)
    assert [f.location.line for f in new.findings if f.code == "T001"] == [5]


def test_a_crashing_check_is_an_internal_error_not_a_pass(data):
    with pytest.raises(CheckCrashed, match="test-crash"):
        lint([str(data)], _cfg(), extra_checks=(CrashingCheck,))


def test_python_api_gate_lists_reasons(data):
    report = lint([str(data)], _cfg(), extra_checks=CHECKS)
    with pytest.raises(GateFailed) as exc:
        dslint.gate(report)
    assert "T001" in str(exc.value)
    clean = lint([str(data)], _cfg(ignore=["T001"]), extra_checks=CHECKS)
    assert dslint.gate(clean) is clean


def test_lint_accepts_a_list_of_dicts_and_settings():
    report = dslint.lint([{"text": "a", "label": "x"}, {"text": "b", "label": "y"}], select=["ALL"], fast=True)
    assert report.records == 2 and report.sources[0].format == "classification"

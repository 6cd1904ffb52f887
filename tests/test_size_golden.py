"""Golden cases for the S family: tests/cases/S###_<slug>.jsonl run through the whole engine with the case's config;
the S findings as [line, code, severity] and the listed metrics must equal S###_<slug>.expected.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dslint
from dslint.config import Config

CASES = Path(__file__).parent / "cases"
S_CASES = sorted(CASES.glob("S[0-9][0-9][0-9]_*.jsonl"))


def test_every_s_rule_has_a_golden_case() -> None:
    from dslint.plugins import discover

    codes = {code for lc in discover() for code in lc.cls.codes() if code.startswith("S")}
    assert codes and codes <= {p.name[:4] for p in S_CASES}, sorted(codes - {p.name[:4] for p in S_CASES})


@pytest.mark.parametrize("case", S_CASES, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    expected = json.loads(case.with_name(case.stem + ".expected.json").read_text(encoding="utf-8"))
    report = dslint.lint(str(case), Config(root=str(CASES), **expected["config"]))
    got = [[f.location.line, f.code, str(f.severity)] for f in report.findings if f.code.startswith("S")]
    assert sorted(got, key=str) == sorted(expected["findings"], key=str)
    assert {name: report.metrics.get(name) for name in expected["metrics"]} == expected["metrics"]

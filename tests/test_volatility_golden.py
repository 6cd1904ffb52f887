"""Golden cases for the V family: tests/cases/V###_<slug>.jsonl run through the whole engine (select V, fast, a
fixed `today`), and the V findings as [line, code, span] (the severity for the dataset rule V010) must equal the
hand-written V###_<slug>.expected.json beside each file. Each case also holds a look-alike that must not fire."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dslint
from dslint.config import Config

CASES = Path(__file__).parent / "cases"
V_CASES = sorted(CASES.glob("V[0-9][0-9][0-9]_*.jsonl"))


def test_every_v_rule_has_a_golden_case() -> None:
    from dslint.plugins import discover

    codes = {code for lc in discover() for code in lc.cls.codes() if code.startswith("V")}
    covered = {p.name[:4] for p in V_CASES}
    assert codes and codes <= covered, sorted(codes - covered)


def entry(finding) -> list:
    last = finding.details.get("span", str(finding.severity))
    return [finding.location.line, finding.code, last]


@pytest.mark.parametrize("case", V_CASES, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    expected = json.loads(case.with_name(case.stem + ".expected.json").read_text(encoding="utf-8"))
    config = Config(select=["V"], root=str(CASES), **expected["config"])
    report = dslint.lint(str(case), config)
    key = lambda e: (e[0] or 0, e[1], e[2])  # noqa: E731
    got = sorted((entry(f) for f in report.findings if f.code.startswith("V")), key=key)
    assert got == sorted(expected["findings"], key=key)
    assert case.stem[:4] in {f.code for f in report.findings}, "the case must trip its own rule"

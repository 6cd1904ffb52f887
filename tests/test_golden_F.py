"""Golden cases for the F family: tests/cases/F###_<slug>.jsonl run through the whole engine (select F), and the
F findings (line, code, field) must equal the hand-written F###_<slug>.expected.json beside each file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dslint
from dslint.config import Config

CASES = Path(__file__).parent / "cases"
F_CASES = sorted(CASES.glob("F[0-9][0-9][0-9]_*.jsonl"))


def test_every_f_rule_has_a_golden_case() -> None:
    from dslint.plugins import discover

    codes = {code for lc in discover() for code in lc.cls.codes() if code.startswith("F")}
    covered = {p.name[:4] for p in F_CASES}
    assert codes and codes <= covered, sorted(codes - covered)


@pytest.mark.parametrize("case", F_CASES, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    expected = json.loads(case.with_name(case.stem + ".expected.json").read_text(encoding="utf-8"))
    config = Config(select=["F"], root=str(CASES), **expected["config"])
    report = dslint.lint(str(case), config)
    got = sorted(([f.location.line, f.code, f.location.field] for f in report.findings if f.code.startswith("F")),
                 key=lambda e: (e[0] or 0, e[1], e[2] or ""))
    want = sorted(expected["findings"], key=lambda e: (e[0] or 0, e[1], e[2] or ""))
    assert got == want
    assert case.stem[:4] in {f.code for f in report.findings}, "the case must trip its own rule"

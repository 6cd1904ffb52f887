"""Golden cases for the L family: tests/cases/L###_<slug>.jsonl run through the whole engine (select L, the fast
lexical embedder), and the L findings (line, code, field, severity) must equal L###_<slug>.expected.json beside
each file. Dataset-level findings have line and field null."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dslint
from dslint.config import Config

CASES = Path(__file__).parent / "cases"
L_CASES = sorted(CASES.glob("L[0-9][0-9][0-9]_*.jsonl"))


def test_every_l_rule_has_a_golden_case() -> None:
    from dslint.plugins import discover

    codes = {code for lc in discover() for code in lc.cls.codes() if code.startswith("L")}
    covered = {p.name[:4] for p in L_CASES}
    assert codes and codes <= covered, sorted(codes - covered)


def _order(entry: list) -> tuple:
    return (entry[0] or 0, entry[1])


@pytest.mark.parametrize("case", L_CASES, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    expected = json.loads(case.with_name(case.stem + ".expected.json").read_text(encoding="utf-8"))
    settings = {"select": ["L"], "embedding_model": "lexical", **expected["config"]}
    report = dslint.lint(str(case), Config(root=str(CASES), **settings))
    got = sorted(([f.location.line, f.code, f.location.field, str(f.severity)] for f in report.findings
                  if f.code.startswith("L")), key=_order)
    want = sorted(expected["findings"], key=_order)
    assert got == want
    assert case.stem[:4] in {f.code for f in report.findings}, "the case must trip its own rule"

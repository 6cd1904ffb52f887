"""Golden cases for the D family: tests/cases/D###_<slug>.jsonl (with D###_<slug>.eval.jsonl as the eval set when
present) run through the whole engine (select D); the D findings as [line, code, reference] must equal the
hand-written D###_<slug>.expected.json. The reference is the kept record's index for within-set duplicates and
the eval line for leakage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dslint
from dslint.config import Config

CASES = Path(__file__).parent / "cases"
D_CASES = sorted(p for p in CASES.glob("D[0-9][0-9][0-9]_*.jsonl") if not p.name.endswith(".eval.jsonl"))


def reference(finding) -> int | None:
    return finding.details.get("kept", finding.details.get("eval_line"))


def test_every_d_rule_has_a_golden_case() -> None:
    from dslint.plugins import discover

    codes = {code for lc in discover() for code in lc.cls.codes() if code.startswith("D")}
    assert codes and codes <= {p.name[:4] for p in D_CASES}, sorted(codes - {p.name[:4] for p in D_CASES})


@pytest.mark.parametrize("case", D_CASES, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    expected = json.loads(case.with_name(case.stem + ".expected.json").read_text(encoding="utf-8"))
    config = Config(select=["D"], root=str(CASES), **expected["config"])
    evals = str(CASES / expected["eval"]) if "eval" in expected else None
    report = dslint.lint(str(case), config, eval=evals)
    got = sorted([f.location.line, f.code, reference(f)] for f in report.findings if f.code.startswith("D"))
    assert got == sorted(expected["findings"])
    assert case.stem[:4] in {f.code for f in report.findings}, "the case must trip its own rule"

"""Golden cases for every family: tests/cases/<CODE>_<slug>.jsonl runs through the whole engine with the case's
config, and its findings of that family must equal the hand-written <CODE>_<slug>.expected.json beside it.

An expected file holds "config" (Config settings), "findings" (one row per finding, with the family's columns
below), and optionally "eval" (an eval file beside it) and "metrics" (metric values that must match).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dslint
from dslint.config import Config
from dslint.model import Finding
from dslint.plugins import discover

CASES = Path(__file__).parent / "cases"

# Per family: the columns a finding is compared on, and the settings a case starts from.
FAMILIES: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "F": (("line", "code", "field"), {"select": ["F"]}),
    "S": (("line", "code", "severity"), {}),
    "D": (("line", "code", "reference"), {"select": ["D"]}),
    "L": (("line", "code", "field", "severity"), {"select": ["L"], "embedding_model": "lexical"}),
    "V": (("line", "code", "span"), {"select": ["V"]}),
}

COLUMNS = {
    "line": lambda f: f.location.line,
    "code": lambda f: f.code,
    "field": lambda f: f.location.field,
    "severity": lambda f: str(f.severity),
    # the matched text for record findings, the severity for the dataset rule
    "span": lambda f: f.details.get("span", str(f.severity)),
    # the kept record's index for a within-set duplicate, the eval line for a leak
    "reference": lambda f: f.details.get("kept", f.details.get("eval_line")),
}


def _cases() -> list[Path]:
    return sorted(p for p in CASES.glob("[A-Z][0-9][0-9][0-9]_*.jsonl") if not p.name.endswith(".eval.jsonl"))


def _row(finding: Finding, columns: tuple[str, ...]) -> list[Any]:
    return [COLUMNS[c](finding) for c in columns]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_rule_has_a_golden_case(family: str) -> None:
    codes = {code for lc in discover() for code in lc.cls.codes() if code.startswith(family)}
    covered = {p.name[:4] for p in _cases()}
    assert codes and codes <= covered, sorted(codes - covered)


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    family = case.name[0]
    columns, defaults = FAMILIES[family]
    expected = json.loads(case.with_name(case.stem + ".expected.json").read_text(encoding="utf-8"))
    config = Config(root=str(CASES), **(defaults | expected["config"]))
    evals = str(CASES / expected["eval"]) if "eval" in expected else None
    report = dslint.lint(str(case), config, eval=evals)
    got = [_row(f, columns) for f in report.findings if f.code.startswith(family)]
    assert sorted(got, key=json.dumps) == sorted(expected["findings"], key=json.dumps)
    for name, value in expected.get("metrics", {}).items():
        assert report.metrics.get(name) == value, name
    assert case.stem[:4] in {f.code for f in report.findings}, "the case must trip its own rule"

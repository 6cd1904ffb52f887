"""Meta-tests: rule codes unique and well-formed, every rule documented, the engine never imports a check by
name, and a model-free run imports no heavy library."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dslint.plugins import CODE_RE, discover
from dslint.rules import rule_table

ROOT = Path(__file__).resolve().parent.parent
HEADINGS = ("## What it does", "## Why is this bad?", "## Example")


def test_codes_are_unique_and_well_formed():
    codes = [rule.code for rule, _ in rule_table()]
    assert len(codes) == len(set(codes))
    assert all(CODE_RE.match(c) for c in codes)


def test_builtin_checks_come_through_entry_points():
    providers = {lc.provider for lc in discover()}
    assert providers <= {"dslint-finetune"}


@pytest.mark.parametrize("rule, loaded", rule_table(), ids=lambda v: getattr(v, "code", ""))
def test_every_rule_is_documented(rule, loaded):
    assert rule.name and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
    assert rule.summary, f"{rule.code} has no summary"
    for heading in HEADINGS:
        assert heading in rule.doc, f"{rule.code} doc lacks '{heading}'"


def test_engine_never_imports_a_builtin_check_by_name():
    for path in (ROOT / "dslint").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not (name.startswith("dslint.checks") or name.startswith("checks")
                            or name.startswith(".checks")), f"{path} imports {name}"


def test_readme_rule_table_is_current():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "update_readme.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


FAST_PROBE = """
import sys, json
from dslint.cli import main
code = main(["check", sys.argv[1], "--select", "F,S,D001,V", "-q"])
heavy = [m for m in ("torch", "sentence_transformers", "faiss", "cleanlab") if m in sys.modules]
print(json.dumps({"code": code, "heavy": heavy}))
"""


def test_fast_selection_imports_no_heavy_library(tmp_path):
    data = tmp_path / "t.jsonl"
    rows = [{"messages": [{"role": "user", "content": f"question {i}?"},
                          {"role": "assistant", "content": f"answer {i}, currently $5"}]} for i in range(20)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows) + "not json\n")
    proc = subprocess.run([sys.executable, "-c", FAST_PROBE, str(data)], capture_output=True, text=True,
                          timeout=300)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["code"] in (0, 1), proc.stderr
    assert result["heavy"] == []

"""Regression tests from the fuzz corpus: every nasty file in tests/fuzz_corpus/ runs through the whole CLI (every
check, every output format) and ends as tests/fuzz_corpus/expected.json says: findings, or one clear exit 2."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "fuzz_corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
NOT_CASES = {"expected.json", "dslint.toml", "README.md"}
FORMATS = ("json", "sarif", "github", "markdown", "html")


def test_every_corpus_file_has_an_expected_outcome():
    cases = {p.name for p in CORPUS.iterdir()} - NOT_CASES
    assert cases == set(EXPECTED) - {"_comment"}


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - {"_comment"}))
def test_corpus_case(name, tmp_path, run_cli):
    case = EXPECTED[name]
    if case.get("needs") and importlib.util.find_spec(case["needs"]) is None:
        pytest.skip(f"needs {case['needs']}")
    reports = [f"--report={fmt}:{tmp_path / ('report.' + fmt)}" for fmt in FORMATS]
    res = run_cli("check", str(CORPUS / name), "--select", "ALL", "--config", str(CORPUS / "dslint.toml"),
                  "--statistics", *reports)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    assert "failed:" not in res.err, f"a check crashed: {res.err}"
    if case["exit"] == "findings":
        assert res.code in (0, 1), res.err
        assert "records of" in res.out
        for fmt in FORMATS:
            assert (tmp_path / f"report.{fmt}").stat().st_size > 0, fmt
        assert json.loads((tmp_path / "report.json").read_text())["rows"] >= 0
        assert json.loads((tmp_path / "report.sarif").read_text())["version"] == "2.1.0"
    else:
        assert res.code == 2, (res.code, res.out, res.err)
        lines = res.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("dslint: error:"), res.err
        for word in case["error"]:
            assert word in lines[0], lines[0]

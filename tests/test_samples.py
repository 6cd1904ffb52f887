"""The bundled samples: the generator reproduces them, the clean one passes, the dirty one shows every planted problem.

The planted problems are read from sample_data/README.md's table, so the README cannot drift from what fires.
Runs in --fast mode (no model); rules marked "(model)" in the README are left to the demo run.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
ROW = re.compile(r"^\|\s*(\d+|dataset)\s*\|(.+?)\|(.+?)\|\s*$")


def planted_in_readme() -> list[tuple[int | None, str, bool]]:
    """(line or None for the dataset, rule code, needs a model) for every code in the README's table."""
    out = []
    for row in (SAMPLES / "README.md").read_text(encoding="utf-8").splitlines():
        m = ROW.match(row)
        if not m:
            continue
        line = None if m.group(1) == "dataset" else int(m.group(1))
        for code, model in re.findall(r"`([A-Z]\d{3})`( \(model\))?", m.group(3)):
            out.append((line, code, bool(model)))
    return out


def findings_of(run_cli, name: str) -> tuple[int, dict]:
    res = run_cli("check", str(SAMPLES / name), "--fast", "--output-format", "json")
    assert res.code in (0, 1), res.err
    return res.code, json.loads(res.out)


def test_the_generator_reproduces_the_committed_samples(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in ("clean_chat.jsonl", "dirty_chat.jsonl"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), f"{name}: run make_samples.py"
    planted_lines = {line for line, _ in module.planted()}
    readme_lines = {line for line, _, _ in planted_in_readme() if line is not None}
    assert readme_lines <= planted_lines


def test_the_clean_sample_passes_without_warnings(run_cli):
    code, doc = findings_of(run_cli, "clean_chat.jsonl")
    assert code == 0
    assert [f for f in doc["findings"] if f["severity"] != "info"] == []
    assert doc["records"] >= 1000 and doc["metrics"]["S.effective_examples"] == doc["records"]
    assert all(flag["status"] == "PASS" for flag in doc["verdict"]["flags"])


def test_the_dirty_sample_reports_every_planted_problem_at_its_line(run_cli):
    code, doc = findings_of(run_cli, "dirty_chat.jsonl")
    assert code == 1
    fired = {(f["line"], f["code"]) for f in doc["findings"]}
    fired_codes = {f["code"] for f in doc["findings"]}
    expected = [(line, c) for line, c, model in planted_in_readme() if not model]
    assert len(expected) >= 15
    missing = [(line, c) for line, c in expected if ((line, c) not in fired if line else c not in fired_codes)]
    assert missing == []


def test_the_dirty_sample_fails_every_red_flag_it_plants(run_cli):
    _, doc = findings_of(run_cli, "dirty_chat.jsonl")
    status = {flag["flag"]: flag["status"] for flag in doc["verdict"]["flags"]}
    assert status["format"] == "FAIL" and status["size"] == "FAIL"
    assert {status["duplicates & leakage"], status["label noise"], status["volatility"]} == {"WARN"}


@pytest.mark.parametrize("name", ["clean_chat.jsonl", "dirty_chat.jsonl"])
def test_samples_are_chat_jsonl_written_by_us(name):
    text = (SAMPLES / name).read_text(encoding="utf-8")
    assert text.endswith("\n") and "\r" not in text


@pytest.mark.model
def test_the_dirty_sample_reports_the_model_rules_at_their_lines(run_cli):
    res = run_cli("check", str(SAMPLES / "dirty_chat.jsonl"), "--output-format", "json")
    fired = {(f["line"], f["code"]) for f in json.loads(res.out)["findings"]}
    expected = [(line, code) for line, code, model in planted_in_readme() if model]
    assert expected and [pair for pair in expected if pair not in fired] == []

"""Baselines: accept today's findings, then fail only on findings that are new since then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import chat

BROKEN_A = '{"messages": [{"role": "user", "content": "cut off here"'
BROKEN_B = '{"messages": [{"role": "user", "content": "another one"'
CLEAN = [json.dumps(chat(f"question number {w}", f"answer about {w}"))
         for w in ("apples", "rivers", "volcanoes", "sonnets", "bridges", "comets")]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def error_lines(out: str, code: str = "F001") -> list[str]:
    return [line for line in out.splitlines() if f": {code} [" in line]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    # The size rule would fail such a small set on its own: the tests are about F001, so S is ignored.
    (tmp_path / "dslint.toml").write_text('ignore = ["S"]\n')
    return write(tmp_path / "train.jsonl", CLEAN[:3] + [BROKEN_A] + CLEAN[3:])


def test_baseline_accepts_old_findings_and_fails_on_new_ones(data, tmp_path, run_cli):
    base = tmp_path / "dslint-baseline.json"
    assert run_cli("check", "--fast", str(data)).code == 1
    wrote = run_cli("check", "--fast", str(data), "--write-baseline", str(base))
    assert wrote.code == 0 and "accepted finding(s)" in wrote.err
    assert any(f["code"] == "F001" and f["line"] == 4 for f in json.loads(base.read_text())["findings"])

    again = run_cli("check", "--fast", str(data), "--baseline", str(base))
    assert again.code == 0, again.out
    assert error_lines(again.out) == [] and "suppressed" in again.out

    # A new broken line fails the gate; the accepted one stays accepted although it moved down two lines.
    write(data, CLEAN[:2] + [BROKEN_B] + CLEAN[2:3] + [CLEAN[5], BROKEN_A] + CLEAN[3:5])
    new = run_cli("check", "--fast", str(data), "--baseline", str(base))
    assert new.code == 1
    assert [line.split(": F001")[0] for line in error_lines(new.out)] == [f"{data}:3"]


def test_a_json_report_works_as_a_baseline(data, tmp_path, run_cli):
    report = tmp_path / "report.json"
    made = run_cli("check", "--fast", str(data), "--output-format", "json", "-o", str(report))
    assert made.code == 1 and json.loads(report.read_text())["findings"]
    assert run_cli("check", "--fast", str(data), "--baseline", str(report)).code == 0
    write(data, CLEAN + [BROKEN_A, BROKEN_B])
    assert run_cli("check", "--fast", str(data), "--baseline", str(report)).code == 1


def test_one_accepted_finding_does_not_hide_a_new_copy_of_it(data, tmp_path, run_cli):
    base = tmp_path / "b.json"
    run_cli("check", "--fast", str(data), "--write-baseline", str(base))
    write(data, CLEAN + [BROKEN_A, BROKEN_A])  # the same broken line twice: same fingerprint, one is new
    res = run_cli("check", "--fast", str(data), "--baseline", str(base))
    assert res.code == 1 and len(error_lines(res.out)) == 1


def test_rewriting_the_configured_baseline_keeps_what_it_accepted(data, tmp_path, run_cli):
    base = tmp_path / "dslint-baseline.json"
    (tmp_path / "dslint.toml").write_text('ignore = ["S"]\nbaseline = "dslint-baseline.json"\n')
    assert run_cli("check", "--fast", str(data), "--write-baseline", str(base)).code == 0
    write(data, CLEAN + [BROKEN_A, BROKEN_B])
    assert run_cli("check", "--fast", str(data)).code == 1
    # Refresh: the new file must hold both findings, not only the one the old baseline did not accept.
    assert run_cli("check", "--fast", str(data), "--write-baseline", str(base)).code == 0
    assert sum(f["code"] == "F001" for f in json.loads(base.read_text())["findings"]) == 2
    assert run_cli("check", "--fast", str(data)).code == 0


@pytest.mark.parametrize("content, message", [
    (None, "baseline file not found"),
    ("{not json", "not a readable baseline"),
    ('{"something": []}', "no 'findings' list"),
])
def test_an_unusable_baseline_is_exit_2(data, tmp_path, run_cli, content, message):
    base = tmp_path / "b.json"
    if content is not None:
        base.write_text(content)
    res = run_cli("check", "--fast", str(data), "--baseline", str(base))
    assert res.code == 2 and message in res.err

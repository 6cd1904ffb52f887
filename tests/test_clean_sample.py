"""`dslint clean` with the real checks on the bundled dirty sample: the output passes what it was cleaned for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DIRTY = REPO / "sample_data" / "dirty_chat.jsonl"
DEFAULT_DROPPED = ("F", "D001", "D002", "D003")  # what the default drop set can reach in fast mode

pytestmark = pytest.mark.skipif(not DIRTY.is_file(), reason="sample_data/dirty_chat.jsonl is not in this checkout")


def findings(run_cli, path: Path, *extra: str) -> list[dict]:
    res = run_cli("check", "--fast", "--output-format", "json", "--exit-zero", str(path), *extra)
    assert res.code == 0, res.err
    return json.loads(res.out)["findings"]


def manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in Path(f"{out}.manifest.jsonl").read_text().splitlines()]


def test_cleaning_the_dirty_sample_drops_every_flagged_line_and_nothing_else(tmp_path, run_cli):
    out = tmp_path / "clean.jsonl"
    before = DIRTY.read_bytes()
    res = run_cli("clean", str(DIRTY), "-o", str(out), "--fast")
    assert res.code == 0, res.err
    assert DIRTY.read_bytes() == before

    flagged: dict[int, set[str]] = {}
    for f in findings(run_cli, DIRTY):
        if f["line"] and (f["severity"] == "error" and not f["code"].startswith("L")
                          or f["code"] in ("D001", "D002", "D003")):
            flagged.setdefault(f["line"], set()).add(f["code"])
    assert len(flagged) >= 5, "the dirty sample should plant several droppable problems"
    assert {m["line"]: set(m["codes"]) for m in manifest(out)} == flagged

    kept = [line for n, line in enumerate(DIRTY.read_text().splitlines(), 1) if n not in flagged]
    assert out.read_text().splitlines() == kept
    assert f"dropped {len(flagged)}" in res.err


def test_rechecking_the_cleaned_sample_shows_none_of_the_dropped_codes(tmp_path, run_cli):
    out = tmp_path / "clean.jsonl"
    assert run_cli("clean", str(DIRTY), "-o", str(out), "--fast").code == 0
    dropped = {code for m in manifest(out) for code in m["codes"]}
    assert dropped & {"F001", "D001"}
    remaining = {f["code"] for f in findings(run_cli, out) if f["line"] is not None}
    assert remaining.isdisjoint(dropped)


def test_clean_with_eval_drops_training_records_leaked_into_it(tmp_path, run_cli):
    lines = DIRTY.read_text().splitlines()
    leaked = next(line for line in lines[::-1] if _is_chat(line))
    eval_path = tmp_path / "eval.jsonl"
    eval_path.write_text(leaked + "\n")
    out = tmp_path / "clean.jsonl"
    res = run_cli("clean", str(DIRTY), "-o", str(out), "--fast", "--eval", str(eval_path))
    assert res.code == 0, res.err
    assert leaked not in out.read_text().splitlines()
    assert any(c.startswith("D00") and c not in ("D001", "D002") for m in manifest(out) for c in m["codes"])
    assert eval_path.read_text() == leaked + "\n"


def _is_chat(line: str) -> bool:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(value, dict) and [m.get("role") for m in value.get("messages", [])][-1:] == ["assistant"]

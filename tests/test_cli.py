"""The CLI's contract: exit 0 pass, 1 gate failed, 2 usage/config/input error with one readable line."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import chat, write_jsonl


def test_missing_file_exits_2_with_one_line(tmp_path, run_cli):
    res = run_cli("check", str(tmp_path / "nope.jsonl"))
    assert res.code == 2
    assert res.err.strip().count("\n") == 0 and "nope.jsonl: no such file" in res.err


def test_empty_directory_and_binary_file_exit_2(tmp_path, run_cli):
    (tmp_path / "empty").mkdir()
    assert run_cli("check", str(tmp_path / "empty")).code == 2
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)))
    res = run_cli("check", str(tmp_path / "blob.bin"))
    assert res.code == 2 and "binary" in res.err


def test_empty_file_reports_zero_records(tmp_path, run_cli):
    (tmp_path / "empty.jsonl").write_text("")
    res = run_cli("check", str(tmp_path / "empty.jsonl"), "--fast")
    assert res.code in (0, 1)
    assert "0 records" in res.out
    assert "Traceback" not in res.err


def test_unknown_rule_code_is_a_usage_error(tmp_path, run_cli):
    data = write_jsonl(tmp_path / "t.jsonl", [chat("a", "b")])
    res = run_cli("check", str(data), "--select", "ZZ9")
    assert res.code == 2 and "unknown rule code" in res.err


def test_exit_zero_never_hides_an_error(tmp_path, run_cli):
    assert run_cli("check", str(tmp_path / "nope.jsonl"), "--exit-zero").code == 2


def test_bad_option_is_a_usage_error(run_cli):
    res = run_cli("check")
    assert res.code == 2
    res = run_cli("check", "x.jsonl", "--output-format", "xml")
    assert res.code == 2


def test_output_file_is_written_and_json_round_trips(tmp_path, run_cli):
    data = write_jsonl(tmp_path / "t.jsonl", [chat("a", "b")])
    out = tmp_path / "report.json"
    res = run_cli("check", str(data), "--fast", "--output-format", "json", "--output-file", str(out))
    assert res.code in (0, 1)
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == 1 and doc["records"] == 1
    assert doc["sources"][0]["format"] == "chat"
    assert doc["verdict"]["gate"]["passed"] is (res.code == 0)


def test_rules_and_rule_commands(run_cli):
    res = run_cli("rules")
    assert res.code == 0
    codes = [line.split()[0] for line in res.out.splitlines() if line.strip()]
    if codes:
        doc = run_cli("rule", codes[0])
        assert doc.code == 0 and codes[0] in doc.out
    assert run_cli("rule", "Q999").code == 2


def test_python_dash_m_works(tmp_path):
    data = write_jsonl(tmp_path / "t.jsonl", [chat("a", "b")])
    proc = subprocess.run([sys.executable, "-m", "dslint", "check", str(data), "--fast", "-q"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    assert "gate" in proc.stdout

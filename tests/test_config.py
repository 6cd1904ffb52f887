"""Config: closest file wins, CLI beats file, unknown keys are errors with a suggestion."""

from __future__ import annotations

import pytest

from conftest import chat, write_jsonl
from dslint.config import Config, config_from_mapping, find_config, load_config
from dslint.errors import ConfigError


def test_defaults_live_in_one_place():
    cfg = Config()
    assert cfg.select == ["ALL"] and cfg.fail_on == "error" and cfg.profile == "generic"


def test_unknown_key_suggests_the_close_one():
    with pytest.raises(ConfigError, match="did you mean 'fail-on'"):
        config_from_mapping({"fail_on": "error"})


def test_unknown_gate_key_is_an_error():
    with pytest.raises(ConfigError, match="max-ratio"):
        config_from_mapping({"gate": {"D001": {"max-ration": 0.1}}})


def test_bad_severity_is_an_error():
    with pytest.raises(ConfigError, match="unknown severity"):
        config_from_mapping({"severity": {"F001": "fatal"}})


def test_closest_file_wins_and_files_are_not_merged(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.dslint]\nfail-on = "warning"\nprofile = "openai"\n')
    sub = tmp_path / "data"
    sub.mkdir()
    (sub / "dslint.toml").write_text('fail-on = "info"\n')
    assert find_config(sub) == sub / "dslint.toml"
    cfg = load_config(start=str(sub))
    assert cfg.fail_on == "info"
    assert cfg.profile == "generic"  # not merged with the outer file
    assert load_config(start=str(tmp_path)).profile == "openai"


def test_pyproject_without_our_table_is_passed_over(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.black]\nline-length = 100\n')
    assert find_config(tmp_path) is None or find_config(tmp_path).parent != tmp_path


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    (tmp_path / "dslint.toml").write_text('baseline = "accepted.json"\n')
    cfg = load_config(start=str(tmp_path))
    assert cfg.resolve_path(cfg.baseline) == str(tmp_path / "accepted.json")


def test_cli_beats_file_and_bad_config_exits_2(tmp_path, run_cli):
    data = write_jsonl(tmp_path / "train.jsonl", [chat("hi", "hello")])
    (tmp_path / "dslint.toml").write_text('output-format = "json"\n')
    res = run_cli("check", str(data), "--select", "F", "--output-format", "text")
    assert res.out.lstrip().startswith("{") is False
    (tmp_path / "dslint.toml").write_text('selct = ["F"]\n')
    res = run_cli("check", str(data))
    assert res.code == 2
    assert "did you mean 'select'" in res.err
    assert "Traceback" not in res.err


def test_invalid_toml_exits_2_with_the_file_named(tmp_path, run_cli):
    data = write_jsonl(tmp_path / "train.jsonl", [chat("hi", "hello")])
    (tmp_path / "dslint.toml").write_text("select = [\n")
    res = run_cli("check", str(data))
    assert res.code == 2 and "dslint.toml" in res.err and "invalid TOML" in res.err


def test_unknown_check_table_and_option_are_errors(tmp_path, run_cli):
    data = write_jsonl(tmp_path / "train.jsonl", [chat("hi", "hello")])
    (tmp_path / "dslint.toml").write_text('[checks.no-such-check]\nx = 1\n')
    res = run_cli("check", str(data))
    assert res.code == 2 and "unknown check 'no-such-check'" in res.err

"""Shared test helpers: write data files, build records without an engine, run the CLI in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import pytest
from click.testing import CliRunner

from dslint.data import Record, Row, iter_values, map_rows
from dslint.schema import FieldMap


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own embedding cache folder and no progress output."""
    monkeypatch.setenv("DSLINT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("DSLINT_QUIET", "1")


def write_jsonl(path: Path, records: Iterable[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def chat(user: str, assistant: str, system: str | None = None) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return {"messages": messages}


def make_records(values: list[Any], fields: FieldMap = FieldMap(), path: str = "test.jsonl",
                 role: str = "train") -> list[Record]:
    """Records as the engine would build them (line = position + 1), for calling check.run() directly."""
    rows = [Row(r.index, path, r.index + 1, r.value) for r in iter_values(values, path)]
    return map_rows(rows, fields, role)[1]


def make_rows(values: list[Any], fields: FieldMap = FieldMap(), path: str = "test.jsonl") -> list[Row]:
    rows = [Row(r.index, path, r.index + 1, r.value) for r in iter_values(values, path)]
    return map_rows(rows, fields)[0]


class CliResult:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch):
    """Run `dslint ...` in-process through main() (the console script's entry) and capture its output."""
    from dslint.cli import main

    def run(*args: str, cwd: Path | None = None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        runner = CliRunner()
        with runner.isolation() as (out, err, *_):
            code = main(list(args))
            return CliResult(code, out.getvalue().decode(), err.getvalue().decode())

    return run

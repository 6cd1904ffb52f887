"""F family, structured targets: JSON, JSON Schema, SQL (sqlglot) and the auto minority (F060-F063)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import make_records
from dslint.checks.structured import StructuredTargetCheck, sql_error, unfence
from dslint.config import Config
from dslint.errors import ConfigError, SkipCheck
from dslint.model import Finding


def pc(completion: str, prompt: str = "Give me the data.") -> dict[str, str]:
    return {"prompt": prompt, "completion": completion}


def structured(completions: list[str], config: Config | None = None, **options: Any) -> list[tuple[int, str]]:
    check = StructuredTargetCheck(StructuredTargetCheck.Options(**options))
    records = make_records([pc(c) for c in completions])
    return [(f.location.line, f.code) for f in check.run(records=records, config=config or Config())
            if isinstance(f, Finding)]


JSON_CASES = [
    ('{"name": "Ada", "age": 36}', []),
    ('[1, 2, 3]', []),
    ('```json\n{"name": "Ada"}\n```', []),
    ('{"name": "Ada",}', [(1, "F060")]),
    ("{'name': 'Ada'}", [(1, "F060")]),
    ('Sure! {"name": "Ada"}', [(1, "F060")]),
]


@pytest.mark.parametrize("target, expected", JSON_CASES)
def test_json_targets(target: str, expected: list[tuple[int, str]]) -> None:
    assert structured([target], target_format="json") == expected


def test_fences_are_kept_when_asked() -> None:
    assert structured(['```json\n{"a": 1}\n```'], target_format="json", strip_fences=False) == [(1, "F060")]
    assert unfence("```\nSELECT 1\n```") == "SELECT 1"


def test_json_schema_violations_name_the_path(tmp_path: Path) -> None:
    schema = {"type": "object", "required": ["age"], "properties": {"age": {"type": "integer"}}}
    (tmp_path / "person.schema.json").write_text(json.dumps(schema))
    config = Config(root=str(tmp_path))
    check = StructuredTargetCheck(StructuredTargetCheck.Options(target_format="json",
                                                                json_schema="person.schema.json"))
    records = make_records([pc('{"age": 3}'), pc('{"age": "three"}'), pc("{}"), pc("{oops")])
    found = [f for f in check.run(records=records, config=config) if isinstance(f, Finding)]
    assert [(f.location.line, f.code) for f in found] == [(2, "F061"), (3, "F061"), (4, "F060")]
    assert found[0].details["path"] == "age" and "'three' is not of type 'integer'" in found[0].message


@pytest.mark.parametrize("schema_text", ["{not json", '{"type": 12}'])
def test_a_bad_schema_is_a_config_error(tmp_path: Path, schema_text: str) -> None:
    (tmp_path / "s.json").write_text(schema_text)
    with pytest.raises(ConfigError):
        structured(['{"a": 1}'], Config(root=str(tmp_path)), target_format="json", json_schema="s.json")


SQL_CASES = [
    ("SELECT count(*) FROM singer", ""),
    ("SELECT T1.name FROM a AS T1 JOIN b AS T2 ON T1.id = T2.id WHERE T2.x > 3 ORDER BY T1.name DESC LIMIT 1", ""),
    ("SELECT name FROM t WHERE age > 40 INTERSECT SELECT name FROM t WHERE age < 30", ""),
    ("WITH x AS (SELECT 1 AS a) SELECT a FROM x", ""),
    ("SELECT name FROM singer WHERE", "error"),
    ("SELCT name FROM singer", "error"),
    ("SELECT count(* FROM singer", "error"),
    ("SELECT name FROM FROM singer", "error"),
    ("The singer's name", "error"),
    ("", "error"),
]


@pytest.mark.parametrize("query, outcome", SQL_CASES)
def test_sql_targets(query: str, outcome: str) -> None:
    assert bool(sql_error(query, "sqlite")) == (outcome == "error")


def test_sql_findings_name_the_dialect() -> None:
    check = StructuredTargetCheck(StructuredTargetCheck.Options(target_format="sql", sql_dialect="sqlite"))
    [f] = [f for f in check.run(records=make_records([pc("SELECT a FROM t WHERE")]), config=Config())
           if isinstance(f, Finding)]
    assert f.code == "F062" and "sqlite SQL" in f.message and f.location.field == "completion"


def test_from_first_queries_are_fine_in_duckdb_only() -> None:
    assert sql_error("FROM singer", "sqlite")
    assert not sql_error("FROM singer", "duckdb")


AUTO_CASES = [
    ([f'{{"id": {i}}}' for i in range(10)] + ["Here you go: id 10"], [(11, "F063")]),
    ([f'{{"id": {i}}}' for i in range(10)] + ['{"id": 10,'], [(11, "F063")]),
    ([f"SELECT a FROM t{i}" for i in range(12)] + ["SELECT a FROM"], [(13, "F063")]),
    ([f'{{"id": {i}}}' for i in range(5)] + [f"answer {i}" for i in range(5)], []),  # no clear majority
    ([f'{{"id": {i}}}' for i in range(5)] + ["text"], []),  # too few records to judge
    ([f"plain answer number {i}" for i in range(20)], []),
]


@pytest.mark.parametrize("targets, expected", AUTO_CASES)
def test_auto_flags_the_minority(targets: list[str], expected: list[tuple[int, str]]) -> None:
    assert structured(targets, target_format="auto") == expected


def test_auto_message_says_what_broke() -> None:
    check = StructuredTargetCheck()
    records = make_records([pc(f'{{"id": {i}}}') for i in range(10)] + [pc('{"id": 10,')])
    [f] = [f for f in check.run(records=records, config=Config()) if isinstance(f, Finding)]
    assert "json that does not parse" in f.message and "100% of answers" not in f.message


def test_none_skips_and_unknown_mode_is_a_config_error() -> None:
    with pytest.raises(SkipCheck):
        structured(['{"a": 1}'], target_format="none")
    with pytest.raises(ConfigError):
        structured(['{"a": 1}'], target_format="yaml")

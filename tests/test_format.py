"""F family, structure and conversations: rows, files, profiles, turns, tool calls and preference pairs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import chat, write_jsonl
from dslint.config import Config
from dslint.data import load_sources, BLANK
from dslint.checks.format import FormatCheck, InvalidShareCheck, json_hint
from dslint.errors import SkipCheck
from dslint.model import Finding, Metric, Severity
from dslint.profiles import get_profile


def run_format(path: Path, profile: str = "generic", **profile_changes: Any) -> list[Finding]:
    """FormatCheck on a file, with artifacts built as the engine builds them (no engine)."""
    sources = load_sources([path])
    rows = [r for s in sources for r in s.rows]
    records = [r for s in sources for r in s.records]
    prof = dataclasses.replace(get_profile(profile), **profile_changes)
    out = FormatCheck().run(rows=rows, records=records, sources=sources, profile=prof, config=Config())
    return [f for f in out if isinstance(f, Finding)]


def codes_at(findings: list[Finding]) -> set[tuple[int | None, str, str | None]]:
    return {(f.location.line, f.code, f.location.field) for f in findings}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


GOOD = json.dumps(chat("hi", "hello"))

# ---- rows: (raw line, expected code, a word the message must hold) ----------------------------------------------
ROW_CASES = [
    ("{'messages': [{'role': 'user', 'content': 'hi'}]}", "F001", "Python dict"),
    ('{"text": "hi", "label": True}', "F001", "Python True"),
    ('{"messages": [{"role": "user", "content": "hi"},]}', "F001", "trailing comma"),
    ('{"text": "a", "label": "b"} {"text": "c", "label": "d"}', "F001", "more than one JSON value"),
    ('{"messages": [{"role": "user", "content": "line one', "F001", "continues on the next line"),
    ("{", "F001", "pretty-printed"),
    ('{"text": "a\tb", "label": "x"}', "F001", "raw tab"),
    ("[1, 2]", "F003", "array"),
    ('"just a string"', "F003", "string"),
    ('{"q": "what", "a": "that"}', "F005", "missing required field 'messages'"),  # read with the file's format
    ('{"messages": "hi"}', "F005", "must be list"),
    ('{"messages": [{"content": "hi"}]}', "F005", "role"),
]


@pytest.mark.parametrize("line, code, word", ROW_CASES)
def test_bad_rows_become_findings_at_their_line(tmp_path: Path, line: str, code: str, word: str) -> None:
    findings = run_format(write_lines(tmp_path / "t.jsonl", [GOOD, line, GOOD]))
    hits = [f for f in findings if f.code == code]
    assert [f.location.line for f in hits] == [2]
    assert word in hits[0].message
    assert hits[0].severity == Severity.ERROR


def test_records_of_no_known_format(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", ['{"q": "what", "a": "that"}'])
    [f] = [f for f in run_format(path) if f.code == "F004"]
    assert f.location.line == 1 and "keys: a, q" in f.message and "map them" not in f.message


def test_unknown_format_suggests_a_field_mapping(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", ['{"question": "Name a fruit.", "answer": "Kiwi"}'])
    [f] = [f for f in run_format(path) if f.code == "F004"]
    assert 'prompt = "question", target = "answer"' in f.message


def test_field_errors_name_the_field(tmp_path: Path) -> None:
    findings = run_format(write_lines(tmp_path / "t.jsonl", [GOOD, '{"messages": [{"content": "hi"}]}']))
    assert ("F005", "messages[0].role") in {(f.code, f.location.field) for f in findings}


def test_a_record_split_by_a_raw_newline_is_explained_on_every_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", [GOOD, '{"messages": [{"role": "user", "content": "one', "", 'two',
                                               'three"}]}', GOOD])
    hints = {f.location.line: f.details["hint"] for f in run_format(path) if f.code == "F001"}
    assert "continues on the next line" in hints[2]
    assert hints[4] == hints[5] == "continuation of the record that starts on line 2"
    assert set(hints) == {2, 4, 5}


def test_a_long_bad_line_is_not_taken_for_a_split_record(tmp_path: Path) -> None:
    long_bad = json.dumps(chat("x" * 5000, "y"))[:-1] + ",}"
    path = write_lines(tmp_path / "t.jsonl", [long_bad, '"tail"}', GOOD])
    hints = {f.location.line: f.details.get("hint", "") for f in run_format(path) if f.code in ("F001", "F003")}
    assert "cut short" not in hints[1] and "continuation" not in hints.get(2, "")


def test_a_pretty_printed_file_names_where_each_record_starts(tmp_path: Path) -> None:
    record = chat("hi", "hello")
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(record, indent=2) + "\n" + json.dumps(record, indent=2) + "\n")
    lines = path.read_text().splitlines()
    hints = [f.details["hint"] for f in run_format(path) if f.code == "F001"]
    assert len(hints) == len(lines)
    starts = [h for h in hints if "pretty-printed" in h]
    second = lines.index("{", 1) + 1
    assert len(starts) == 2 and hints[second - 1].startswith("a pretty-printed")
    assert hints[second] == f"continuation of the record that starts on line {second}"


@pytest.mark.parametrize("raw", [
    '{"text": "it\'s {not} a dict", "label": "x"',  # apostrophes inside a JSON string are not Python quotes
    '{"text": "None, True", "label": 1',
])
def test_no_python_hint_for_json_that_mentions_python_words(raw: str) -> None:
    assert "Python" not in json_hint(raw, "Expecting ',' delimiter")


def test_invalid_utf8_reports_the_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(GOOD.encode() + b"\n" + b'{"text": "caf\xe9", "label": "x"}\n')
    [f] = [f for f in run_format(path) if f.code == "F002"]
    assert f.location.line == 2 and f.details["byte"] == 13 and "byte 13" in f.message


def test_valid_rows_give_no_row_findings(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [chat("hi", "hello"), chat("a", "b", system="s")])
    assert not [f for f in run_format(path) if f.code <= "F013"]


def test_blank_line_is_a_warning(tmp_path: Path) -> None:
    [f] = [f for f in run_format(write_lines(tmp_path / "t.jsonl", [GOOD, "", GOOD])) if f.code == "F006"]
    assert f.location.line == 2 and f.severity == Severity.WARNING


# ---- files ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, code", [
    (b"\xef\xbb\xbf" + GOOD.encode() + b"\n", "F007"),
    (GOOD.encode() + b"\r\n" + GOOD.encode() + b"\r\n", "F008"),
    (GOOD.encode(), "F009"),
    (b"", "F010"),
    (b"\n\n", "F010"),
])
def test_file_level_notes(tmp_path: Path, data: bytes, code: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(data)
    findings = run_format(path)
    hits = [f for f in findings if f.code == code]
    assert len(hits) == 1 and hits[0].location.path == str(path) and hits[0].location.line is None


def test_a_clean_file_has_no_file_notes(tmp_path: Path) -> None:
    findings = run_format(write_lines(tmp_path / "t.jsonl", [GOOD, GOOD]))
    assert not [f for f in findings if f.code in ("F007", "F008", "F009", "F010")]


def test_empty_file_is_an_error_saying_zero_examples(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("")
    [f] = run_format(path)
    assert f.code == "F010" and f.severity == Severity.ERROR and "zero training examples" in f.message


def test_mixed_formats_flag_the_minority(tmp_path: Path) -> None:
    alpaca = {"instruction": "say hi", "input": "", "output": "hi"}
    path = write_jsonl(tmp_path / "t.jsonl", [chat("a", "b"), chat("c", "d"), alpaca])
    assert [(f.location.line, f.code) for f in run_format(path) if f.code == "F011"] == [(3, "F011")]


def test_profile_rejects_a_format_it_does_not_read(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"instruction": "x", "input": "", "output": "y"}])
    assert any(f.code == "F012" for f in run_format(path, "openai"))
    assert not any(f.code == "F012" for f in run_format(path, "llama-factory"))


def test_profile_keys(tmp_path: Path) -> None:
    record = chat("a", "b") | {"id": 7}
    record["messages"][0]["source"] = "web"
    path = write_jsonl(tmp_path / "t.jsonl", [record])
    assert codes_at([f for f in run_format(path, "openai") if f.code == "F013"]) == {
        (1, "F013", "id"), (1, "F013", "messages[0].source")}
    assert not any(f.code == "F013" for f in run_format(path, "generic"))


# ---- conversations: (messages, expected (code, field) pairs) ---------------------------------------------------

def msg(role: str, content: Any = "text", **extra: Any) -> dict[str, Any]:
    return {"role": role, "content": content, **extra}


CALL = {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Paris"}'}}

CONVERSATION_CASES = [
    ([msg("user"), msg("bot")], {("F020", "messages[1].role"), ("F021", "messages")}),
    ([msg("user")], {("F021", "messages")}),
    ([msg("user"), msg("assistant"), msg("user")], {("F022", "messages[2]")}),
    ([msg("user"), msg("user"), msg("assistant")], {("F023", "messages[1]")}),
    ([msg("user"), msg("system"), msg("assistant")], {("F024", "messages[1]")}),
    ([msg("user"), msg("assistant", "   ")], {("F025", "messages[1].content")}),
    ([msg("user", ""), msg("assistant")], {("F025", "messages[0].content")}),
    ([msg("system"), msg("assistant")], {("F027", "messages")}),
    ([msg("user"), msg("assistant", None, tool_calls=[dict(CALL, function={"name": "w", "arguments": "{city: 1}"})]),
      msg("tool", "{}", tool_call_id="c1"), msg("assistant")],
     {("F028", "messages[1].tool_calls[0].function.arguments")}),
    ([msg("user"), msg("assistant", None, tool_calls=[dict(CALL, function={"name": "w", "arguments":
                                                                          json.dumps('{"city": "Paris"}')})]),
      msg("tool", "{}", tool_call_id="c1"), msg("assistant")],
     {("F029", "messages[1].tool_calls[0].function.arguments")}),
    ([msg("user"), msg("assistant", None, function_call={"name": "fly", "arguments": json.dumps('{"alt": 10}')})],
     {("F029", "messages[1].function_call.arguments")}),
    ([msg("user"), msg("tool", "{}"), msg("assistant")], {("F030", "messages[1]")}),
    ([msg("user"), msg("assistant", None, tool_calls=[CALL]), msg("tool", "{}", tool_call_id="c9"), msg("assistant")],
     {("F030", "messages[2].tool_call_id")}),
    ([msg("user"), msg("assistant", weight=0.5)], {("F031", "messages[1].weight")}),
    ([msg("user"), msg("assistant", tool_calls=1), msg("assistant", tool_calls="x")], {("F023", "messages[2]")}),
    ([msg("user"), msg("assistant", weight=True)], {("F031", "messages[1].weight")}),
    # must not fire:
    ([msg("system"), msg("user"), msg("assistant", weight=1)], set()),
    ([msg("user"), msg("assistant", None, tool_calls=[CALL, dict(CALL, id="c2")]),
      msg("tool", "{}", tool_call_id="c1"), msg("tool", "{}", tool_call_id="c2"), msg("assistant", "Sunny")], set()),
    ([msg("developer"), msg("user"), msg("assistant", weight=0), msg("user"), msg("assistant")], set()),
    ([msg("user"), msg("assistant", None, function_call={"name": "fly", "arguments": '{"alt": 10}'})], set()),
]


@pytest.mark.parametrize("messages, expected", CONVERSATION_CASES)
def test_conversation_rules(tmp_path: Path, messages: list[dict[str, Any]], expected: set[tuple[str, str]]) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"messages": messages}])
    got = {(f.code, f.location.field) for f in run_format(path)}
    assert got == expected


SHAREGPT_CASES = [
    ([{"from": "human", "value": "q"}, {"from": "robot", "value": "a"}],
     {("F020", "conversations[1].from"), ("F021", "conversations")}),
    ([{"from": "human", "value": "q"}, {"from": "observation", "value": "{}"}, {"from": "gpt", "value": "a"}],
     {("F030", "conversations[1]")}),
    ([{"from": "human", "value": "q"}, {"from": "function_call", "value": "{name: 'x'}"},
      {"from": "observation", "value": "{}"}, {"from": "gpt", "value": "a"}], {("F028", "conversations[1].value")}),
    # must not fire: a glaive-style tool conversation
    ([{"from": "human", "value": "q"}, {"from": "function_call", "value": '{"name": "x", "arguments": {"a": 1}}'},
      {"from": "observation", "value": "{}"}, {"from": "gpt", "value": "a"}], set()),
]


@pytest.mark.parametrize("turns, expected", SHAREGPT_CASES)
def test_sharegpt_conversations(tmp_path: Path, turns: list[dict[str, Any]], expected: set[tuple[str, str]]) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"conversations": turns}])
    assert {(f.code, f.location.field) for f in run_format(path, "llama-factory")} == expected


def test_assistant_last_follows_the_profile(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"messages": [msg("user"), msg("assistant"), msg("user")]}])
    assert any(f.code == "F022" for f in run_format(path))
    assert not any(f.code == "F022" for f in run_format(path, require_assistant_last=False))


def test_roles_follow_the_profile(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"messages": [msg("developer"), msg("user"), msg("assistant")]}])
    assert not run_format(path, "openai")
    assert [f.code for f in run_format(path, "trl")] == ["F020"]


def test_missing_system_only_where_most_of_the_file_has_one(tmp_path: Path) -> None:
    with_sys = [chat(f"q{i}", "a", system="be kind") for i in range(3)]
    path = write_jsonl(tmp_path / "t.jsonl", with_sys + [chat("q", "a")])
    assert [(f.location.line, f.code) for f in run_format(path)] == [(4, "F026")]
    path = write_jsonl(tmp_path / "u.jsonl", [chat("q", "a"), chat("r", "b"), with_sys[0]])
    assert not run_format(path)


# ---- preference pairs ------------------------------------------------------------------------------------------

PREFERENCE_CASES = [
    ({"prompt": "", "chosen": "a", "rejected": "b"}, {("F040", "prompt")}),
    ({"prompt": "q", "chosen": "", "rejected": "b"}, {("F041", "chosen")}),
    ({"prompt": "q", "chosen": "a", "rejected": " "}, {("F041", "rejected")}),
    ({"prompt": "q", "chosen": "Paris", "rejected": "Paris "}, {("F042", "rejected")}),
    ({"input": {"messages": [msg("user", "q")]}, "preferred_output": [msg("assistant", "x")],
      "non_preferred_output": [msg("assistant", "x")]}, {("F042", "non_preferred_output")}),
    ({"chosen_messages": [msg("user", "q"), msg("assistant", "a")],
      "rejected_messages": [msg("user", "q"), msg("assistant", "a")]}, {("F042", "rejected_messages")}),
    # must not fire:
    ({"prompt": "q", "chosen": "Paris", "rejected": "Lyon"}, set()),
    ({"conversations": [{"from": "human", "value": "q"}], "chosen": {"from": "gpt", "value": "a"},
      "rejected": {"from": "gpt", "value": "b"}}, set()),
]


@pytest.mark.parametrize("record, expected", PREFERENCE_CASES)
def test_preference_pairs(tmp_path: Path, record: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [record])
    assert {(f.code, f.location.field) for f in run_format(path)} == expected


def test_empty_alpaca_output_is_an_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"instruction": "say hi", "input": "", "output": " "}])
    [f] = run_format(path)
    assert (f.code, f.location.field, f.severity) == ("F025", "output", Severity.ERROR)


def test_profile_metric_names_each_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [chat("a", "b")])
    sources = load_sources([path])
    out = list(FormatCheck().run(rows=sources[0].rows, records=sources[0].records, sources=sources,
                                 profile=get_profile("trl"), config=Config()))
    [metric] = [m for m in out if isinstance(m, Metric)]
    assert metric.name == "F.profile" and metric.value == {str(path): "trl"}


# ---- F.invalid_share --------------------------------------------------------------------------------------------

def test_invalid_share_counts_bad_rows_and_records_with_errors(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", [GOOD, "{bad", "", GOOD, json.dumps({"messages": [msg("user")]})])
    sources = load_sources([path])
    rows = sources[0].rows
    prior = run_format(path)
    out = list(InvalidShareCheck().run(rows=rows, prior_findings=prior))
    share = next(m.value for m in out if isinstance(m, Metric))
    assert sum(r.error_kind == BLANK for r in rows) == 1
    assert share == pytest.approx(2 / 4)  # the bad line and the record with no assistant; the blank line not counted
    [note] = [f for f in out if isinstance(f, Finding)]
    assert note.code == "F090" and "2 of 4 rows" in note.message


def test_invalid_share_is_zero_and_silent_for_clean_rows(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", [GOOD, GOOD])
    out = list(InvalidShareCheck().run(rows=load_sources([path])[0].rows, prior_findings=[]))
    assert out == [Metric("F.invalid_share", 0.0)]


# ---- robustness: no record shape crashes the F checks --------------------------------------------------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

KEYS = ["messages", "conversations", "role", "from", "content", "value", "tool_calls", "tool_call_id", "function",
        "arguments", "weight", "prompt", "completion", "chosen", "rejected", "instruction", "input", "output",
        "preferred_output", "chosen_messages", "text", "label", "system", "id", "type", "name"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.floats(allow_nan=False, width=16),
                    st.sampled_from(["", " ", "user", "assistant", "tool", "gpt", "human", "function_call",
                                     "{\"a\": 1}", "\"{}\"", "{{name}}", "N/A", "SELECT", "Ã©"]))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)), max_leaves=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=6), min_size=1, max_size=6))
def test_no_record_shape_crashes_the_f_checks(values: list[dict[str, Any]]) -> None:
    from types import SimpleNamespace

    from conftest import make_records, make_rows
    from dslint.checks.format import ContentCheck
    from dslint.checks.structured import StructuredTargetCheck
    from dslint.checks.tokens import TokenLengthCheck, estimate_counts
    from dslint.model import SourceInfo

    rows, records = make_rows(values), make_records(values)
    sources = [SimpleNamespace(info=SourceInfo("test.jsonl", format=records[0].format if records else ""))]
    for profile in ("generic", "openai", "llama-factory"):
        list(FormatCheck().run(rows=rows, records=records, sources=sources, profile=get_profile(profile),
                               config=Config()))
    list(ContentCheck().run(records=records, config=Config()))
    try:
        list(StructuredTargetCheck().run(records=records, config=Config()))
    except SkipCheck:
        pass
    list(TokenLengthCheck(TokenLengthCheck.Options(max_seq_len=8)).run(
        records=records, token_counts=estimate_counts(records), profile=get_profile("generic")))

"""Property-based fuzzing of the loader, every discovered check and every reporter.

Whatever the bytes, a run ends in a Report (findings) or an InputError (exit 2 with one line): never another
exception, never a hang. Checks come from the entry points (dslint.plugins.discover()), so a check added by any
family is fuzzed too; embedding checks run on the lexical embedder to stay fast.

Profiles: DSLINT_FUZZ_PROFILE=ci (default: few examples, derandomized, for CI) or =deep (many, random) to hunt.
A case found by `deep` goes into tests/fuzz_corpus/ (see test_fuzz_corpus.py).
"""

from __future__ import annotations

import copy
import csv
import gzip
import io
import json
import os
import signal
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dslint.config import Config
from dslint.data import iter_jsonl, load_sources
from dslint.engine import lint
from dslint.errors import InputError
from dslint.model import Report
from dslint.plugins import discover
from dslint.reporters import render

settings.register_profile("dslint-fuzz-ci", max_examples=20, deadline=None, derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("dslint-fuzz-deep", max_examples=150, deadline=None,
                          suppress_health_check=list(HealthCheck))
PROFILE = f"dslint-fuzz-{os.environ.get('DSLINT_FUZZ_PROFILE', 'ci')}"
FUZZ = settings(settings.get_profile(PROFILE))
FEW = settings(FUZZ, max_examples=max(3, FUZZ.max_examples // 4))  # for the costly shapes (huge, deep)
HANG_SECONDS = 120
REPORT_FORMATS = ("text", "json", "sarif", "github", "markdown")  # html is rendered in the corpus test (slow)


class Hang(Exception):
    pass


@contextmanager
def no_hang(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Fail (instead of stalling the suite) when one example runs longer than `seconds`."""

    def alarm(signum, frame):
        raise Hang(f"no result after {seconds} s: a hang or a pathological slow path")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def fuzz_config(workdir: Path) -> Config:
    """Every discovered check, the embedding ones on the lexical embedder; a real (shared) cache."""
    return Config(select=["ALL"], embedding_model="lexical", cache_dir=str(workdir / "cache"))


def must_not_crash(sources: Any, workdir: Path, eval_sources: Any = None) -> Report | None:
    """The oracle: a Report whose every reporter renders, or an InputError with one readable line."""
    with no_hang():
        try:
            report = lint(sources, fuzz_config(workdir), eval_sources=eval_sources)
        except InputError as exc:
            message = str(exc)
            assert message and "\n" not in message and "Traceback" not in message
            return None
        for fmt in REPORT_FORMATS:
            text = render(report, fmt)
            text.encode("utf-8", "backslashreplace")  # what the CLI writes
        json.loads(render(report, "json"))
        json.loads(render(report, "sarif"))
    assert 0 <= report.records <= report.rows
    for f in report.findings:
        assert f.location.record is None or 0 <= f.location.record < report.rows + _eval_rows(report)
    return report


def _eval_rows(report: Report) -> int:
    return sum(s.rows for s in report.sources if s.role == "eval")


def test_every_discovered_check_is_fuzzed():
    """The harness runs what discover() finds: a family that lands later is fuzzed without editing this file."""
    loaded = discover()
    assert loaded, "no checks discovered through the entry points"
    cfg = fuzz_config(Path("unused"))
    from dslint.engine import plan

    planned = {c.name for c in plan(cfg, loaded).checks}
    assert planned == {lc.cls.name for lc in loaded}


# ---- strategies -------------------------------------------------------------------------------------------------

NASTY_STRINGS = ["", " ", "\x00", "\u202e", "\ufeff", "null", "NaN", "{", "}", "[", "```", "```json\n{", "\r\n",
                 "\\", '"', "\u2028", "\U0001d518\U0001d52b", "\ud800", "\udfff", "a\u0301", "ﬁ", "ǅ", "İ", "ß",
                 "<|im_start|>", "<s>", "{{placeholder}}", "TODO", "As of 2024, the CEO is", "$19.99", "SELECT *",
                 "0" * 4301, "9" * 400, "-" * 300, "\t" * 50, "🙂" * 40, "\u0600\u0601", "e\u0300" * 30]
surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
hostile_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(NASTY_STRINGS),
    st.text(st.one_of(st.characters(), surrogates), max_size=30),
    st.lists(st.sampled_from(NASTY_STRINGS), max_size=5).map(" ".join),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 80), 2 ** 80), st.floats(), hostile_text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)), max_leaves=12)

TEMPLATES: list[dict] = [
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a river."},
                  {"role": "assistant", "content": "The Nile."}]},
    {"messages": [{"role": "user", "content": "Call the tool."},
                  {"role": "assistant", "content": None, "tool_calls": [
                      {"type": "function", "function": {"name": "f", "arguments": "{\"a\": 1}"}}]},
                  {"role": "tool", "content": "{\"ok\": true}"}, {"role": "assistant", "content": "Done."}]},
    {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]},
    {"instruction": "Translate to French", "input": "cat", "output": "chat"},
    {"prompt": "2+2=", "completion": "4"},
    {"prompt": "Pick one", "chosen": "A good answer", "rejected": "A bad answer"},
    {"text": "great movie", "label": "positive"},
    {"text": "awful movie", "label": 0},
    {"messages": [{"role": "user", "content": "Return JSON"}, {"role": "assistant", "content": "{\"a\": [1, 2]}"}],
     "_dslint_noqa": "F,D001"},
]


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every place inside a JSON value, as a key/index path."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _set(root: Any, path: tuple, new: Any, delete: bool = False) -> None:
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new


@st.composite
def mutated_record(draw) -> Any:
    """A record of a known format with wrong types, missing or extra fields, and hostile text."""
    record = copy.deepcopy(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.integers(0, 3))):
        paths = list(_paths(record))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["value", "text", "text", "delete", "extra"]))
        if action == "delete":
            _set(record, path, None, delete=True)
        elif action == "extra" and isinstance(record, dict):
            record[draw(hostile_text)] = draw(json_value)
        else:
            _set(record, path, draw(json_value if action == "value" else hostile_text))
    return record


def record_sets(element=None) -> st.SearchStrategy[list]:
    """1-12 records with repeats (duplicates are what several checks look for)."""
    element = element if element is not None else st.one_of(mutated_record(), mutated_record(), json_value)
    return st.lists(element, min_size=1, max_size=12).flatmap(
        lambda rs: st.lists(st.sampled_from(rs), max_size=3).map(lambda dup: rs + dup))


@st.composite
def jsonl_bytes(draw, records: list) -> bytes:
    """Lines of JSON with mixed escaping, line ends, encodings, BOMs and a final newline or not."""
    out = io.BytesIO()
    if draw(st.booleans()):
        out.write(b"\xef\xbb\xbf")
    for rec in records:
        text = json.dumps(rec, ensure_ascii=draw(st.booleans()))
        encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "cp1252", "utf-16-le"]))
        out.write(text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace"))
        out.write(draw(st.sampled_from([b"\n", b"\n", b"\r\n", b"\n\n", b" \n", b"\r"])))
    data = out.getvalue()
    return data.rstrip(b"\n") if draw(st.booleans()) else data


def write(workdir: Path, name: str, data: bytes) -> Path:
    path = workdir / name
    path.write_bytes(data)
    return path


# ---- properties -------------------------------------------------------------------------------------------------

@FUZZ
@given(data=st.binary(max_size=4000), suffix=st.sampled_from([".jsonl", ".json", ".csv", ".jsonl.gz", ".data"]))
def test_random_bytes_never_crash(workdir, data, suffix):
    must_not_crash(write(workdir, "random" + suffix, data), workdir)


@FUZZ
@given(lines=st.lists(st.binary(max_size=300), max_size=20))
def test_loader_keeps_one_row_per_physical_line(workdir, lines):
    data = b"\n".join(lines)
    path = write(workdir, "lines.jsonl", data)
    try:
        rows = list(iter_jsonl(path))
    except InputError:  # never for plain bytes: only damaged compressed files raise
        raise AssertionError("iter_jsonl raised on plain bytes")
    expected = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    assert len(rows) == expected
    assert [r.line for r in rows] == list(range(1, expected + 1))


@FUZZ
@given(data=st.data())
def test_known_formats_with_wrong_types_and_hostile_text_never_crash(workdir, data):
    records = data.draw(record_sets())
    must_not_crash(write(workdir, "mutated.jsonl", data.draw(jsonl_bytes(records))), workdir)


@FUZZ
@given(train=record_sets(mutated_record()), evals=record_sets(mutated_record()))
def test_train_and_eval_sets_never_crash(workdir, train, evals):
    must_not_crash(train, workdir, eval_sources=evals)  # the Python API with in-memory lists


@FUZZ
@given(values=st.lists(json_value, min_size=1, max_size=10))
def test_random_json_values_in_every_container_never_crash(workdir, values):
    must_not_crash(write(workdir, "values.jsonl", "".join(json.dumps(v) + "\n" for v in values).encode()), workdir)
    must_not_crash(write(workdir, "values.json", json.dumps(values).encode()), workdir)
    must_not_crash(write(workdir, "values.jsonl.gz", gzip.compress(json.dumps(values).encode())), workdir)


@FUZZ
@given(header=st.sampled_from([["prompt", "completion"], ["text", "label"], ["instruction", "input", "output"],
                               ["a"], ["prompt", "prompt"]]),
       cells=st.lists(st.lists(hostile_text, min_size=0, max_size=4), max_size=10))
def test_csv_with_ragged_rows_and_hostile_cells_never_crash(workdir, header, cells):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(cells)
    must_not_crash(write(workdir, "cells.csv", buf.getvalue().encode("utf-8", "surrogatepass")), workdir)


@FEW
@given(depth=st.integers(1, 3000), container=st.sampled_from(["list", "dict"]),
       where=st.sampled_from(["top", "content", "extra", "label"]))
def test_deeply_nested_values_never_crash(workdir, depth, container, where):
    opener, closer = ("[", "]") if container == "list" else ('{"k":', "}")
    deep = opener * depth + "1" + closer * depth
    line = {"top": deep,
            "content": '{"messages": [{"role": "user", "content": ' + deep + '}]}',
            "extra": '{"prompt": "p", "completion": "c", "meta": ' + deep + "}",
            "label": '{"text": "t", "label": ' + deep + "}"}[where]
    must_not_crash(write(workdir, "deep.jsonl", (line + "\n" + line + "\n").encode()), workdir)


@FEW
@given(size=st.integers(10_000, 200_000), unit=st.sampled_from(["a", "word ", "é", "🙂", "\n", "2024 ", "{\"", "\\"]),
       field=st.sampled_from(["prompt", "completion"]))
def test_huge_strings_never_crash(workdir, size, unit, field):
    rec = {"prompt": "Summarise.", "completion": "Short."}
    rec[field] = unit * (size // len(unit))
    other = {"prompt": "Another question?", "completion": "Another answer."}
    report = must_not_crash([rec, other, other], workdir)
    assert report is not None and report.records == 3


def test_loader_and_records_of_a_fuzzed_file_agree(workdir):
    """A fixed mixed file: rows count every line, records only the well-formed ones, both in file order."""
    lines = [json.dumps(t) for t in TEMPLATES] + ["{bad", "", "[1]", '"str"']
    path = write(workdir, "mixed.jsonl", ("\n".join(lines) + "\n").encode())
    (source,) = load_sources([path])
    assert len(source.rows) == len(lines)
    assert [r.index for r in source.rows] == list(range(len(lines)))
    assert [r.index for r in source.records] == sorted(r.index for r in source.records)
    assert len(source.records) <= len(TEMPLATES)

"""Loaders: every supported input becomes rows with 1-based lines; bad input is a row error or exit 2."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import chat, write_jsonl
from dslint.data import load_sources
from dslint.errors import InputError


def _one(sources):
    assert len(sources) == 1
    return sources[0]


def test_jsonl_lines_are_one_based_and_bad_lines_are_rows(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n'
                     b"\n"
                     b"{'messages': None}\n"
                     b'{"text": "caf\xe9", "label": "x"}\n'
                     b"[1, 2]\n")
    src = _one(load_sources([path]))
    kinds = [(r.line, r.error_kind) for r in src.rows]
    assert kinds == [(1, None), (2, "blank"), (3, "json"), (4, "encoding"), (5, "not-object")]
    assert src.rows[3].error_offset == 13  # the byte offset of \xe9 within the line
    assert [r.line for r in src.records] == [1]
    assert src.info.format == "chat"


def test_json_array_keeps_line_numbers(tmp_path):
    path = tmp_path / "t.json"
    records = [{"instruction": f"q{i}", "input": "", "output": f"a{i}"} for i in range(3)]
    path.write_text(json.dumps(records, indent=2))
    src = _one(load_sources([path]))
    assert src.info.format == "alpaca"
    lines = [r.line for r in src.records]
    text = path.read_text().splitlines()
    assert all(text[line - 1].strip() == "{" for line in lines)


def test_csv_classification_with_physical_lines(tmp_path):
    path = tmp_path / "t.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category"])
        w.writerow(["multi\nline text", "a"])
        w.writerow(["second", "b"])
    src = _one(load_sources([path]))
    assert src.info.format == "classification"
    assert [(r.line, r.label) for r in src.records] == [(2, "a"), (4, "b")]


def test_parquet_and_saved_hf_dataset(tmp_path):
    import datasets

    ds = datasets.Dataset.from_list([{"prompt": "p1", "completion": "c1"}, {"prompt": "p2", "completion": "c2"}])
    ds.to_parquet(str(tmp_path / "t.parquet"))
    ds.save_to_disk(str(tmp_path / "saved"))
    assert _one(load_sources([tmp_path / "t.parquet"])).info.format == "prompt-completion"
    saved = _one(load_sources([tmp_path / "saved"]))
    assert saved.info.kind == "hf-dataset" and saved.info.records == 2


def test_python_list_and_dataset():
    import datasets

    rows = [{"text": "a", "label": "x"}, {"text": "b", "label": "y"}]
    assert _one(load_sources([rows])).info.format == "classification"
    assert _one(load_sources([datasets.Dataset.from_list(rows)])).info.records == 2


def test_directory_is_expanded_and_indices_are_global(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [chat("1", "x"), chat("2", "y")])
    write_jsonl(tmp_path / "b.jsonl", [chat("3", "z")])
    sources = load_sources([tmp_path])
    assert [s.info.records for s in sources] == [2, 1]
    assert [r.index for s in sources for r in s.records] == [0, 1, 2]


def test_bom_crlf_and_missing_final_newline_are_noted(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"prompt": "a", "completion": "b"}\r\n{"prompt": "c", "completion": "d"}')
    src = _one(load_sources([path]))
    assert set(src.info.notes) == {"bom", "crlf", "no-final-newline"}
    assert src.info.records == 2


def test_gzip_is_read(tmp_path):
    import gzip

    with gzip.open(tmp_path / "t.jsonl.gz", "wt") as fh:
        fh.write(json.dumps(chat("a", "b")) + "\n")
    assert _one(load_sources([tmp_path / "t.jsonl.gz"])).info.records == 1


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.jsonl", "no such file"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "holds no data files"),
    (lambda p: _write(p / "x.bin", b"\x00\x01\x02PK"), "binary file"),
    (lambda p: _write(p / "x.jsonl", b"\x00\x00{}"), "binary file"),
])
def test_unreadable_inputs_raise_input_error(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        load_sources([make(tmp_path)])


def test_noqa_field_is_removed_before_checks_see_the_record(tmp_path):
    rec = chat("a", "b") | {"_dslint_noqa": ["D001", "v"]}
    src = _one(load_sources([[rec]]))
    record = src.records[0]
    assert "_dslint_noqa" not in record.data
    assert record.noqa == frozenset({"D001", "V"})


def test_dolly_spelling_of_alpaca_is_read():
    rows = [{"instruction": "Name a colour", "context": "", "response": "Blue"},
            {"instruction": "Summarise", "context": "Some text.", "response": "Short."}]
    src = _one(load_sources([rows]))
    assert src.info.format == "alpaca"
    assert [(r.prompt, r.target) for r in src.records] == [("Name a colour", "Blue"), ("Summarise\nSome text.", "Short.")]

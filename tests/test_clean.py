"""`dslint clean`: the output drops exactly the flagged rows, in the input's format, with a manifest, safely."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import chat, write_jsonl
from dslint import clean as clean_mod
from dslint.check import Check
from dslint.clean import clean
from dslint.config import Config
from dslint.engine import lint
from dslint.errors import UsageError
from dslint.model import Rule, Severity


class BrokenRowCheck(Check):
    """Flags rows that did not parse (like the format family does), at error level."""

    name = "test-broken-rows"
    rules = (Rule("X901", "broken-row", "row did not parse: {why}", Severity.ERROR),)

    def run(self, rows):
        for row in rows:
            if row.error_kind not in (None, "blank"):
                yield self.finding("X901", row, why=row.error)


class DupCheck(Check):
    """Duplicates by prompt, flagged on every member but the first (the kept one), as D001 does."""

    name = "test-dups"
    rules = (Rule("X902", "dup", "duplicate of row {kept}", Severity.WARNING),)

    def run(self, records):
        groups = defaultdict(list)
        for rec in records:
            groups[rec.prompt].append(rec)
        for cluster, members in enumerate(g for g in groups.values() if len(g) > 1):
            for rec in members[1:]:
                yield self.finding("X902", rec, related=[m.index for m in members if m is not rec],
                                   details={"cluster": cluster, "kept": members[0].index,
                                            "cluster_size": len(members)}, kept=members[0].index)


class BadWordCheck(Check):
    """An error on records whose answer says BAD; a warning on those that say MEH."""

    name = "test-bad-word"
    rules = (Rule("X903", "bad-word", "says BAD", Severity.ERROR), Rule("X904", "meh", "says MEH"))

    def run(self, records):
        for rec in records:
            if "BAD" in rec.target:
                yield self.finding("X903", rec)
            if "MEH" in rec.target:
                yield self.finding("X904", rec)


class JudgementCheck(Check):
    """A label-noise style judgement call, at error level on purpose: severity words must not drop it."""

    name = "test-judgement"
    rules = (Rule("L901", "suspect-label", "label may be wrong", Severity.ERROR),)

    def run(self, records):
        for rec in records:
            if "SUSPECT" in rec.prompt:
                yield self.finding("L901", rec)


EXTRA = (BrokenRowCheck, DupCheck, BadWordCheck, JudgementCheck)
ONLY_TEST_CHECKS = Config(select=["X", "L901"])


def run_clean(src: Path, out: Path, drop=("error", "X902"), **kw):
    return clean(str(src), str(out), ONLY_TEST_CHECKS, drop=drop, extra_checks=EXTRA, **kw)


def codes_in(path: Path) -> set[str]:
    return {f.code for f in lint([str(path)], ONLY_TEST_CHECKS, extra_checks=EXTRA).findings}


def manifest(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(str(path) + ".manifest.jsonl").read_text().splitlines()]


def dirty_lines() -> list[str]:
    return [
        json.dumps(chat("what is 2+2?", "4")),                    # line 1 kept
        '{"messages": [{"role": "user", "content": "broken"',      # line 2 invalid JSON -> X901
        json.dumps(chat("what is 2+2?", "4")),                    # line 3 duplicate of line 1 -> X902
        json.dumps(chat("capital of France?", "Paris")),          # line 4 kept
        json.dumps(chat("capital of France?", "Paris")),          # line 5 duplicate of line 4 -> X902
        json.dumps(chat("say something", "BAD")),                 # line 6 error -> X903
        json.dumps(chat("SUSPECT label", "fine")),                # line 7 judgement call, kept by default
        json.dumps(chat("lukewarm", "MEH")),                      # line 8 warning, kept by default
    ]


@pytest.fixture
def dirty(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(dirty_lines()) + "\n", encoding="utf-8")
    return path


def test_drops_flagged_rows_keeps_one_per_cluster_and_copies_the_rest_verbatim(dirty, tmp_path):
    before = dirty.read_bytes()
    out = tmp_path / "clean.jsonl"
    result = run_clean(dirty, out)
    lines = dirty_lines()
    assert out.read_text(encoding="utf-8").splitlines() == [lines[0], lines[3], lines[6], lines[7]]
    assert dirty.read_bytes() == before  # the input is never touched
    assert (result.rows, result.kept, len(result.dropped)) == (8, 4, 4)
    assert {"line": 2, "codes": ["X901"]}.items() <= manifest(out)[0].items()
    assert [(m["line"], m["codes"]) for m in manifest(out)] == [(2, ["X901"]), (3, ["X902"]), (5, ["X902"]),
                                                                 (6, ["X903"])]


def test_manifest_keeps_each_dropped_record_and_why(dirty, tmp_path):
    out = tmp_path / "clean.jsonl"
    run_clean(dirty, out)
    by_line = {m["line"]: m for m in manifest(out)}
    assert by_line[2]["raw"].startswith('{"messages"')  # an unparsable line is kept as text
    assert by_line[3]["record"] == chat("what is 2+2?", "4")
    assert by_line[3]["reasons"][0]["kept_row"] == 0
    assert by_line[6]["reasons"][0] == {"code": "X903", "severity": "error", "message": "says BAD"}


def test_rechecking_the_output_shows_none_of_the_dropped_codes(dirty, tmp_path):
    out = tmp_path / "clean.jsonl"
    result = run_clean(dirty, out)
    assert set(result.code_counts()) == {"X901", "X902", "X903"}
    assert codes_in(dirty) >= {"X901", "X902", "X903"}
    assert codes_in(out).isdisjoint(result.code_counts())


def test_judgement_calls_are_dropped_only_when_named(dirty, tmp_path):
    run_clean(dirty, tmp_path / "a.jsonl", drop=("error", "X902"))
    assert "SUSPECT" in (tmp_path / "a.jsonl").read_text()
    run_clean(dirty, tmp_path / "b.jsonl", drop=("error", "X902", "L901"))
    assert "SUSPECT" not in (tmp_path / "b.jsonl").read_text()
    run_clean(dirty, tmp_path / "c.jsonl", drop=("warning",))  # warnings and up, still no judgement calls
    text = (tmp_path / "c.jsonl").read_text()
    assert "SUSPECT" in text and "MEH" not in text and "BAD" not in text


def test_a_cluster_whose_kept_record_is_dropped_keeps_another_member(tmp_path):
    # Rows 1 and 2 duplicate row 0 (kept), but row 0 is dropped for its own error: row 1 must stay.
    src = write_jsonl(tmp_path / "t.jsonl", [chat("q", "BAD"), chat("q", "one"), chat("q", "two"), chat("z", "ok")])
    out = tmp_path / "o.jsonl"
    result = run_clean(src, out)
    assert [json.loads(x)["messages"][1]["content"] for x in out.read_text().splitlines()] == ["one", "ok"]
    assert [(d.index, d.codes) for d in result.dropped] == [(0, ["X903"]), (2, ["X902"])]
    assert codes_in(out) == set()


def test_a_cluster_keeps_its_kept_record(tmp_path):
    src = write_jsonl(tmp_path / "t.jsonl", [chat("q", "a"), chat("q", "b"), chat("q", "c")])
    result = run_clean(src, tmp_path / "o.jsonl")
    assert result.kept == 1 and [d.index for d in result.dropped] == [1, 2]


@pytest.mark.parametrize("kind", ["csv", "json", "json-data", "parquet"])
def test_writes_the_input_format(tmp_path, kind):
    values = [{"text": "alpha beta", "label": "a"}, {"text": "alpha beta", "label": "a"},
              {"text": "gamma", "label": "b"}, {"text": "BAD", "label": "b"}]
    suffix = kind.split("-")[0]
    src = tmp_path / f"in.{suffix}"
    if kind == "csv":
        src.write_text("text,label\n" + "".join(f"{v['text']},{v['label']}\n" for v in values))
    elif kind == "json":
        src.write_text(json.dumps(values, indent=1))
    elif kind == "json-data":
        src.write_text(json.dumps({"version": 3, "data": values}))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(values), src)

    class TargetlessBadWord(BadWordCheck):
        name = "test-bad-text"
        rules = (Rule("X905", "bad-text", "says BAD", Severity.ERROR),)

        def run(self, records):
            return (self.finding("X905", r) for r in records if "BAD" in r.prompt)

    out = tmp_path / f"out.{suffix}"
    cfg = Config(select=["X902", "X905"])
    clean(str(src), str(out), cfg, drop=("error", "X902"), extra_checks=(DupCheck, TargetlessBadWord))
    if kind == "csv":
        assert out.read_text().splitlines() == ["text,label", "alpha beta,a", "gamma,b"]
    elif kind == "parquet":
        import pyarrow.parquet as pq

        assert pq.read_table(out).to_pylist() == [values[0], values[2]]
    else:
        data = json.loads(out.read_text())
        assert data == ({"version": 3, "data": [values[0], values[2]]} if kind == "json-data"
                        else [values[0], values[2]])
    assert {m["row"] for m in manifest(out)} == {1, 3}


def test_refuses_to_overwrite_without_force(dirty, tmp_path):
    out = tmp_path / "clean.jsonl"
    out.write_text("precious\n")
    with pytest.raises(UsageError, match="--force"):
        run_clean(dirty, out)
    assert out.read_text() == "precious\n"
    run_clean(dirty, out, force=True)
    assert len(out.read_text().splitlines()) == 4


def test_refuses_output_equal_to_input_even_with_force(dirty, tmp_path, monkeypatch):
    before = dirty.read_bytes()
    monkeypatch.chdir(tmp_path)
    link = tmp_path / "alias.jsonl"
    link.symlink_to(dirty)
    for out in (dirty, Path("./train.jsonl"), Path("sub/../train.jsonl"), link):
        with pytest.raises(UsageError, match="must not be the input"):
            run_clean(dirty, out, force=True)
    assert dirty.read_bytes() == before


def test_a_failed_write_leaves_no_output_and_no_temp_file(dirty, tmp_path, monkeypatch):
    def explode(src, fh, drop):
        fh.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setitem(clean_mod.WRITERS, "jsonl", explode)
    with pytest.raises(OSError):
        run_clean(dirty, tmp_path / "clean.jsonl")
    assert sorted(os.listdir(tmp_path)) == ["train.jsonl"]


def test_cli_refuses_in_place_and_existing_output_with_exit_2(dirty, tmp_path, run_cli):
    before = dirty.read_bytes()
    res = run_cli("clean", str(dirty), "-o", str(dirty), "--force", "--fast")
    assert res.code == 2 and "must not be the input" in res.err
    other = tmp_path / "other.jsonl"
    other.write_text("keep me\n")
    res = run_cli("clean", str(dirty), "-o", str(other), "--fast")
    assert res.code == 2 and "--force" in res.err
    assert dirty.read_bytes() == before and other.read_text() == "keep me\n"


def test_cli_rejects_an_output_of_another_format_and_an_unknown_drop_code(dirty, tmp_path, run_cli):
    res = run_cli("clean", str(dirty), "-o", str(tmp_path / "out.csv"), "--fast")
    assert res.code == 2 and "jsonl" in res.err
    res = run_cli("clean", str(dirty), "-o", str(tmp_path / "out.jsonl"), "--drop", "Q999", "--fast")
    assert res.code == 2 and "Q999" in res.err
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("src_name, out_name", [("t.jsonl.gz", "o.jsonl.gz"), ("t.jsonl.gz", "o.jsonl"),
                                                ("t.jsonl", "o.jsonl.gz")])
def test_compression_follows_the_output_name(tmp_path, src_name, out_name):
    import gzip

    body = ("\n".join(dirty_lines()) + "\n").encode()
    src = tmp_path / src_name
    src.write_bytes(gzip.compress(body) if src_name.endswith(".gz") else body)
    out = tmp_path / out_name
    run_clean(src, out)
    raw = out.read_bytes()
    text = (gzip.decompress(raw) if out_name.endswith(".gz") else raw).decode()
    lines = dirty_lines()
    assert text.splitlines() == [lines[0], lines[3], lines[6], lines[7]]
    assert codes_in(out).isdisjoint({"X901", "X902", "X903"})


def test_cli_refuses_a_folder(tmp_path, run_cli):
    (tmp_path / "data").mkdir()
    write_jsonl(tmp_path / "data" / "a.jsonl", [chat("a", "b")])
    res = run_cli("clean", str(tmp_path / "data"), "-o", str(tmp_path / "out.jsonl"), "--fast")
    assert res.code == 2 and "one data file" in res.err


def test_a_drop_code_whose_check_was_skipped_is_reported_not_silently_ignored(dirty, tmp_path):
    from dslint.errors import SkipCheck

    class NeverRuns(Check):
        name = "test-never-runs"
        rules = (Rule("X906", "never", "never"),)

        def run(self, records):
            raise SkipCheck("no labels to judge")

    cfg = Config(select=["X"])
    result = clean(str(dirty), str(tmp_path / "o.jsonl"), cfg, drop=("error", "X906"),
                   extra_checks=(*EXTRA, NeverRuns))
    assert result.unchecked == ["X906: no labels to judge"]
    assert run_clean(dirty, tmp_path / "p.jsonl").unchecked == []

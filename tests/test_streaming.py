"""Streaming: when every selected check streams, a JSON Lines file is read in chunks and the Report is the same."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from dslint.config import Config
from dslint.data import SourceStream, load_sources
from dslint.engine import lint
from dslint.errors import ConfigError
from dslint.model import Report

from conftest import chat

STREAMING_SELECTION = ["F05", "F07", "F090", "V"]
CHUNK = "dataset.streamed_chunks"


def planted_lines() -> list[str]:
    """A chat file with a problem every few lines, so that small chunks cut between and around them."""
    lines: list[str] = []
    for i in range(60):
        kind = i % 12
        if kind == 0:
            value: Any = chat(f"Question {i}: who is the current president of France?",
                              "The current president is Emmanuel Macron, as of 2024.")
        elif kind == 1:
            value = chat(f"Hello {i}", "I am {{name}}, made by {{author}}.")
        elif kind == 2:
            lines.append('{"messages": [{"role": "user", "content": "cut')  # invalid JSON
            continue
        elif kind == 3:
            value = chat(f"Tell me about item {i}", "N/A")
        elif kind == 4:
            lines.append("")  # blank line
            continue
        elif kind == 5:
            value = {"question": f"q{i}", "answer": "a"}  # no format of its own: read as the file's (chat)
        elif kind == 6:
            value = chat(f"Write a long essay {i}", " ".join(f"word{j}" for j in range(400)))
        elif kind == 7:
            value = {**chat(f"Bitcoin price {i}?", "Bitcoin trades at $43,000 today."), "_dslint_noqa": "V"}
        elif kind == 8:
            value = ["not", "an", "object"]
        elif kind == 9:
            value = chat("Duplicate question about today's weather?", "It is sunny today in Paris.")
        elif kind == 10:
            value = chat(f"As a favour {i}", "As an AI language model, I cannot browse the internet.")
        else:
            value = chat(f"Plain question {i} about sourdough", f"Plain answer {i}: feed the starter daily.")
        lines.append(json.dumps(value))
    return lines


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(planted_lines()) + "\n", encoding="utf-8")
    return path


def config(tmp_path: Path, **changes: Any) -> Config:
    base = {"select": STREAMING_SELECTION, "fast": True, "no_cache": True, "root": str(tmp_path),
            "checks": {"tokens": {"max-seq-len": 300}, "volatility": {"today": "2026-01-15"}}}
    return Config(**{**base, **changes})


def same_report(a: Report, b: Report) -> None:
    """Everything a user sees is equal: findings, excerpts, suppression, metrics, sources, verdict."""
    assert a.findings == b.findings
    assert a.excerpts == b.excerpts
    assert (a.suppressed, a.rows, a.records, a.skipped, a.sources) == (b.suppressed, b.rows, b.records, b.skipped,
                                                                        b.sources)
    assert {k: v for k, v in a.metrics.items() if k != CHUNK} == {k: v for k, v in b.metrics.items() if k != CHUNK}
    assert a.verdict == b.verdict


# 60 lines read `chunk_rows` at a time; the 5 objects with no format of their own wait (on disk) for the file's
# format and come after the others, `chunk_rows` at a time (no selected check observes, so there is one pass).
@pytest.mark.parametrize("chunk_rows, chunks", [(1, 60), (4, 17), (7, 10), (10_000, 2)])
def test_streamed_report_equals_the_materialised_one(planted: Path, tmp_path: Path, chunk_rows: int,
                                                      chunks: int) -> None:
    whole = lint([planted], config(tmp_path), stream=False)
    streamed = lint([planted], config(tmp_path), chunk_rows=chunk_rows)
    assert CHUNK not in whole.metrics
    assert streamed.metrics[CHUNK] == chunks
    codes = {f.code for f in whole.findings}
    # The planted problems are found, so the comparison is not between two empty reports.
    assert {"F050", "F052", "F054", "F070", "F090", "V001"} <= codes, codes
    assert whole.metrics["V.volatile_share"] > 0 and whole.metrics["F.invalid_share"] > 0
    same_report(whole, streamed)


def test_suppression_is_the_same_when_streamed(planted: Path, tmp_path: Path) -> None:
    """noqa (line 8 and every 12th line after), per-file-ignores and a baseline covering one of two identical
    findings suppress exactly the same findings chunk by chunk."""
    first = lint([planted], config(tmp_path), stream=False)
    dup = [f for f in first.findings
           if f.code.startswith("V") and "weather" in first.excerpts.get(f.location.record, "")]
    assert len({f.fingerprint for f in dup}) < len(dup)  # identical records: the same fingerprint, several times
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"findings": [{"fingerprint": dup[0].fingerprint}]}), encoding="utf-8")
    cfg = config(tmp_path, baseline=str(baseline), per_file_ignores={"train.jsonl": ["F054"]})
    whole = lint([planted], cfg, stream=False)
    streamed = lint([planted], cfg, chunk_rows=5)
    same_fp = [f for f in first.findings if f.fingerprint == dup[0].fingerprint]
    assert [f for f in whole.findings if f.fingerprint == dup[0].fingerprint] == same_fp[1:]  # the first is accepted
    assert not any(f.code == "F054" for f in whole.findings) and any(f.code == "F054" for f in first.findings)
    same_report(whole, streamed)


def test_stream_gives_the_rows_and_records_load_sources_gives(planted: Path) -> None:
    source = load_sources([planted])[0]
    stream = SourceStream([planted], chunk_rows=4)
    chunks = list(stream)
    rows = sorted((r for c in chunks for r in c.rows), key=lambda r: r.index)
    records = sorted((r for c in chunks for r in c.records), key=lambda r: r.index)
    assert rows == source.rows and records == source.records
    assert stream.infos == [source.info] and stream.chunks == len(chunks)
    assert all(len(c.rows) <= 4 for c in chunks[:-1])


def test_a_check_that_judges_the_whole_set_turns_streaming_off(planted: Path, tmp_path: Path) -> None:
    report = lint([planted], config(tmp_path, select=["F", "S", "V"]))  # S001/S002 count duplicates out
    assert CHUNK not in report.metrics
    with pytest.raises(ConfigError, match="size"):
        lint([planted], config(tmp_path, select=["F", "S", "V"]), stream=True)


def test_lists_of_records_and_eval_sets_are_not_streamed(planted: Path, tmp_path: Path) -> None:
    assert CHUNK not in lint([chat("a", "b")], config(tmp_path)).metrics
    assert CHUNK not in lint([planted], config(tmp_path), eval_sources=[planted]).metrics


def test_empty_file_streams_like_it_loads(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    same_report(lint([path], config(tmp_path), stream=False), lint([path], config(tmp_path)))


def test_the_text_report_says_it_streamed(planted: Path, tmp_path: Path, run_cli) -> None:
    result = run_cli("check", str(planted), "--select", "F05,V", "--fast", "--exit-zero", cwd=tmp_path)
    assert result.code == 0
    assert "streamed in 2 chunk(s)" in result.out
    result = run_cli("check", str(planted), "--select", "F", "--fast", "--exit-zero", cwd=tmp_path)
    assert "streamed in 1 chunk(s)" in result.out  # after a first pass, every row comes in file order
    result = run_cli("check", str(planted), "--select", "F,S", "--fast", "--exit-zero", cwd=tmp_path)
    assert "streamed" not in result.out


def test_a_check_that_skips_itself_at_the_end_leaves_no_findings_either_way(planted: Path, tmp_path: Path) -> None:
    """A streaming check whose finish() decides it does not apply: its findings from earlier chunks are dropped,
    as run() raising mid-way drops them."""
    from dslint.check import Check
    from dslint.errors import SkipCheck
    from dslint.model import Rule, Severity

    class EveryRecord(Check):
        name = "every-record"
        rules = (Rule("X901", "every-record", "seen", Severity.WARNING, summary="Every record"),)
        streaming = True

        def run(self, records):  # type: ignore[override]
            yield from self.run_chunk(records)
            yield from self.finish()

        def run_chunk(self, records):  # type: ignore[override]
            for rec in records:
                yield self.finding("X901", rec)

        def finish(self):
            raise SkipCheck("does not apply")

    cfg = config(tmp_path, select=["X901", "V"])
    whole = lint([planted], cfg, stream=False, extra_checks=[EveryRecord])
    streamed = lint([planted], cfg, chunk_rows=3, extra_checks=[EveryRecord])
    assert streamed.metrics[CHUNK] > 1
    assert not any(f.code == "X901" for f in streamed.findings)
    assert [s.check for s in streamed.skipped] == ["every-record"]
    same_report(whole, streamed)


# ---- checks that judge a record against its file: two passes --------------------------------------------------

def mixed_lines(n: int = 48) -> list[str]:
    """Chat records, most with a system prompt and most answering in JSON, with the exceptions (no system prompt,
    an alpaca record, a prose or broken-JSON answer, a format-less object, a record split over lines) spread so that
    small chunks cut between them and the records they are judged against."""
    lines: list[str] = []
    for i in range(n):
        answer = json.dumps({"id": i, "ok": True})
        kind = i % 8
        if kind == 0:
            value: Any = chat(f"List item {i} as JSON", answer)  # no system prompt: F026
        elif kind == 3:
            value = {"instruction": f"Give item {i}", "input": "", "output": answer}  # alpaca among chat: F011
        elif kind == 5 and i % 16 == 5:
            value = chat(f"Item {i}?", f"Item {i} is fine, thanks.", system="Answer in JSON.")  # prose: F063
        elif kind == 5:
            value = chat(f"Item {i}?", '{"id": ' + str(i) + ',', system="Answer in JSON.")  # broken JSON: F063
        elif kind == 6 and i % 24 == 6:
            value = {"question": f"q{i}", "answer": "a"}  # no format of its own: read as chat, F005
        elif kind == 7 and i % 16 == 7:
            lines += ['{"messages": [{"role": "user", "content": "split', 'here"}]}', ""]  # F001 over 2 lines, F006
            continue
        else:
            value = chat(f"Item {i} as JSON", answer, system="Answer in JSON.")
        lines.append(json.dumps(value))
    return lines


@pytest.fixture
def mixed(tmp_path: Path) -> list[Path]:
    """Two files (the majorities are per file) and an empty third (F010)."""
    first, second, empty = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    first.write_text("\n".join(mixed_lines()) + "\n", encoding="utf-8")
    convs = [{"conversations": [{"from": "human", "value": f"hi {i}"}, {"from": "gpt", "value": f"hello {i}"}]}
             for i in range(6)]  # ShareGPT, no system prompt: no F026 here; 3 chat records: F011 on each
    second.write_text("\n".join(json.dumps(v) for v in [*convs, *(chat(f"x{i}", "y", system="s") for i in range(3))]),
                      encoding="utf-8")  # no final newline: F009
    empty.write_text("", encoding="utf-8")
    return [first, second, empty]


@pytest.mark.parametrize("select", [["F"], ["F", "V"], ["F0", "F05", "F06", "V"]])
@pytest.mark.parametrize("chunk_rows", [1, 3, 7, 10_000])
def test_file_level_format_rules_stream_in_two_passes(mixed: list[Path], tmp_path: Path, select: list[str],
                                                      chunk_rows: int) -> None:
    cfg = config(tmp_path, select=select)
    whole = lint(mixed, cfg, stream=False)
    streamed = lint(mixed, cfg, chunk_rows=chunk_rows)
    assert streamed.metrics[CHUNK] >= (len(mixed_lines()) + 9) // chunk_rows
    codes = Counter(f.code for f in whole.findings)
    # F011 mixed formats, F026 missing system prompt, F063 the minority of answers, F001 continuation lines
    assert codes["F011"] == 6 + 3 and codes["F026"] == 6 and codes["F001"] == 6 and codes["F010"] == 1, codes
    if select == ["F"] or select == ["F", "V"]:
        assert codes["F063"] == 6, codes
    hints = [f.details["hint"] for f in whole.findings if f.code == "F001"]
    assert sum(h.startswith("continuation") for h in hints) == 3, hints
    same_report(whole, streamed)


def test_the_first_pass_lets_the_second_read_rows_in_file_order(mixed: list[Path]) -> None:
    first = SourceStream(mixed, chunk_rows=5)
    spilled = [r for c in first for r in c.rows]
    second = SourceStream(mixed, chunk_rows=5, formats=first.formats)
    in_order = [r for c in second for r in c.rows]
    loaded = [r for s in load_sources(mixed) for r in s.rows]
    assert in_order == loaded  # the objects with no format of their own are read where they are
    assert spilled != loaded and sorted(spilled, key=lambda r: r.index) == loaded  # without: after the rest
    assert second.infos == first.infos == [s.info for s in load_sources(mixed)]
    assert first.formats == {str(mixed[0]): "chat", str(mixed[1]): "sharegpt", str(mixed[2]): ""}


def test_structured_targets_skip_the_same_way_streamed(tmp_path: Path) -> None:
    """No answer to parse: the check skips itself at the end of the stream, as it does up front when loaded."""
    path = tmp_path / "prompts.jsonl"
    path.write_text("\n".join(json.dumps({"prompt": f"p{i}", "completion": ""}) for i in range(5)) + "\n",
                    encoding="utf-8")
    for target_format in ("auto", "json", "none"):
        cfg = config(tmp_path, select=["F06"], checks={"structured-targets": {"target-format": target_format}})
        whole, streamed = lint([path], cfg, stream=False), lint([path], cfg, chunk_rows=2)
        assert [s.check for s in whole.skipped] == ["structured-targets"]
        assert CHUNK in streamed.metrics
        same_report(whole, streamed)

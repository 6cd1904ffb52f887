"""Streaming: when every selected check streams, a JSON Lines file is read in chunks and the Report is the same."""

from __future__ import annotations

import json
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


# 60 lines read `chunk_rows` at a time; the 5 objects with no format of their own wait for the file's format, in one
# last chunk (with chunk_rows=1, the 5 batches holding only such a row are no chunk).
@pytest.mark.parametrize("chunk_rows, chunks", [(1, 56), (4, 16), (7, 10), (10_000, 2)])
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
    report = lint([planted], config(tmp_path, select=["F", "V"]))  # F0xx: mixed formats, missing system messages
    assert CHUNK not in report.metrics
    with pytest.raises(ConfigError, match="format"):
        lint([planted], config(tmp_path, select=["F", "V"]), stream=True)


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

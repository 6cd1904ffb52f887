"""Dump every V finding (and every raw scan span) on the shared sets, to prove a refactor changes no result.

    .venv/bin/python bench/volatility_equivalence.py OUT.json          # dump
    .venv/bin/python bench/volatility_equivalence.py --compare A B     # exit 1 when the dumps differ

Sets: Dolly (6,400), LLaMA-Factory alpaca_en_demo, RealTime QA (answer only and answer + evidence, mapped as in
bench/volatility.py) and a 20k synthetic chat set (bench/synth.py). Besides the engine's findings (code, line,
span, start, field), every prompt and target is also scanned raw as both sides with a fixed date, so detectors that
the fiction/arithmetic filters hide are compared too. Skips when /work/shared/data is absent.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dslint  # noqa: E402
from volatility import ALPACA, DOLLY, REALTIMEQA, realtimeqa_records  # noqa: E402

TODAY = "2026-11-29"


def sets(tmp: Path) -> dict[str, Any]:
    import synth

    return {"dolly": str(DOLLY), "alpaca": str(ALPACA), "realtimeqa": realtimeqa_records(False),
            "realtimeqa_evidence": realtimeqa_records(True), "synth20k": str(synth.write_set("chat", 20_000, tmp))}


def findings(source: Any) -> list[list[Any]]:
    report = dslint.lint(source, select=["V"], fast=True, checks={"volatility": {"today": TODAY}})
    return [[f.code, f.location.line, f.location.record, f.location.field, (f.details or {}).get("span"),
             (f.details or {}).get("start"), (f.details or {}).get("field"), str(f.severity)]
            for f in report.findings]


def raw_scans(source: Any) -> list[list[Any]]:
    from dslint.artifacts import Artifacts
    from dslint.checks.volatility import Window, scan
    from dslint.config import Config
    from dslint.engine import _as_inputs, load_sources

    window = Window(dt.date.fromisoformat(TODAY))
    records = Artifacts({"sources": load_sources(_as_inputs(source), Config().field_map, "train"),
                         "config": Config()}).get("records")
    out = []
    for rec in records:
        for text in (rec.prompt, rec.target):
            for side in ("prompt", "target"):
                out.append([rec.index, side, [[s.category, s.span, s.start] for s in scan(text, side, window)]])
    return out


def dump(path: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = {name: {"findings": findings(src), "scans": raw_scans(src)} for name, src in sets(Path(tmp)).items()}
    Path(path).write_text(json.dumps(result))
    for name, r in result.items():
        print(f"{name}: {len(r['findings'])} findings, {sum(bool(s[2]) for s in r['scans'])} non-empty scans")


def compare(a: str, b: str) -> int:
    left, right = json.loads(Path(a).read_text()), json.loads(Path(b).read_text())
    bad = 0
    for name in left:
        for kind in ("findings", "scans"):
            same = left[name][kind] == right[name][kind]
            bad += not same
            print(f"{name} {kind}: {'identical' if same else 'DIFFERENT'} ({len(left[name][kind])} entries)")
    return 1 if bad else 0


if __name__ == "__main__":
    if not DOLLY.exists():
        print(f"skipped: {DOLLY} is absent")
    elif sys.argv[1] == "--compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        dump(sys.argv[1])

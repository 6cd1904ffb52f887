"""`dslint clean`: a copy of one data file without the records that findings flag, plus a manifest of the drops.

Guarantees: the input is only read; the output (in the input's own format) and the manifest are written
atomically; nothing is overwritten without `force`, and the output is never the input. Duplicate findings sit on
the records to drop (never on the kept one), so dropping every flagged record keeps one record per cluster.
Judgement calls (label noise, L...) are dropped only when named by code or prefix, never by a severity word.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from .config import Config
from .data import _kind_of
from .errors import InputError, UsageError
from .fsutil import atomic_open
from .model import Finding, Report, Severity
from .selection import Selection

# What is dropped when --drop is not given: every error-level finding and within-set duplicates.
DEFAULT_DROP = ("error", "D001", "D002", "D003")
# Families whose findings are a judgement call: dropped only when a code or prefix names them.
JUDGEMENT_PREFIXES = ("L",)
SEVERITY_WORDS = {s.name.lower(): s for s in Severity}
MANIFEST_SUFFIX = ".manifest.jsonl"


@dataclass(frozen=True)
class DropSet:
    """Which findings cause their record to be dropped: severity words (at or above), codes and prefixes."""

    min_severity: Severity | None
    codes: tuple[str, ...]

    @classmethod
    def parse(cls, items: Iterable[str]) -> DropSet:
        words = [i.strip() for i in items if i.strip()]
        levels = [SEVERITY_WORDS[w.lower()] for w in words if w.lower() in SEVERITY_WORDS]
        codes = tuple(w.upper() for w in words if w.lower() not in SEVERITY_WORDS)
        return cls(min(levels) if levels else None, codes)

    def matches(self, finding: Finding) -> bool:
        if self.codes and finding.code in Selection(self.codes):
            return True
        if self.min_severity is None or finding.code.startswith(JUDGEMENT_PREFIXES):
            return False
        return finding.severity >= self.min_severity

    def validate(self, known_codes: Iterable[str]) -> None:
        if self.codes:
            Selection(self.codes).validate(known_codes)


@dataclass
class Dropped:
    """One dropped row: where it was and every finding that condemned it."""

    index: int
    line: int | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})


@dataclass
class CleanResult:
    input: str
    output: str
    manifest: str
    rows: int
    kept: int
    dropped: list[Dropped]
    report: Report
    unchecked: list[str] = field(default_factory=list)  # drop codes whose checks did not run, and why

    def code_counts(self) -> Counter[str]:
        return Counter(code for d in self.dropped for code in d.codes)

    def summary(self) -> str:
        counts = ", ".join(f"{c} x{n}" for c, n in sorted(self.code_counts().items())) or "nothing"
        return (f"dslint clean: kept {self.kept:,} of {self.rows:,} rows, dropped {len(self.dropped):,} "
                f"({counts}) -> {self.output}; manifest -> {self.manifest}")


def check_paths(src: str, out: str, manifest: str, force: bool) -> None:
    """Refuse to clean in place or to overwrite anything without `force` (UsageError, exit 2)."""
    src_path, out_path = Path(src), Path(out)
    if _same_file(src_path, out_path) or _same_file(src_path, Path(manifest)):
        raise UsageError(f"{out}: the output must not be the input file (clean never touches the input)")
    if out_path.resolve() == Path(manifest).resolve():
        raise UsageError(f"{manifest}: the manifest must not be the output file")
    for path in (out_path, Path(manifest)):
        if path.exists() and not force:
            raise UsageError(f"{path}: already exists; pass --force to overwrite it")
    if not out_path.resolve().parent.is_dir():
        raise UsageError(f"{out}: folder {out_path.parent} does not exist")


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def output_kind(src: str, out: str) -> str:
    """The writer for `out`: the input's kind; the output's suffix must agree with it."""
    if not Path(src).is_file():
        raise InputError(f"{src}: clean takes one data file (.jsonl, .json, .csv or .parquet)")
    kind = _kind_of(Path(src))
    if not kind:
        raise InputError(f"{src}: clean needs a .jsonl, .json, .csv or .parquet file")
    if src.endswith(".zst"):
        raise InputError(f"{src}: clean cannot write .zst; decompress it first")
    out_kind = _kind_of(Path(out))
    if out_kind and out_kind != kind:
        raise UsageError(f"{out}: clean writes the input's format ({kind}); give the output a .{kind} name")
    return kind


def rows_to_drop(report: Report, path: str, drop: DropSet) -> dict[int, Dropped]:
    """Row index -> Dropped, for every finding on a row of `path` that the drop set matches.

    A duplicate whose kept record is itself dropped for another reason would leave its cluster empty; then the
    first member dropped only as a duplicate is kept instead, so each cluster keeps one record.
    """
    out: dict[int, Dropped] = {}
    for f in report.findings:
        loc = f.location
        if loc.record is None or loc.path != path or not drop.matches(f):
            continue
        out.setdefault(loc.record, Dropped(loc.record, loc.line)).findings.append(f)
    _keep_one_per_cluster(out)
    return out


def _keep_one_per_cluster(out: dict[int, Dropped]) -> None:
    clusters: dict[tuple[str, Any], list[int]] = {}
    kept_of: dict[tuple[str, Any], int] = {}
    for index, d in out.items():
        for f in d.findings:
            if "kept" in f.details:
                key = (f.code[:1], f.details.get("cluster", f.details["kept"]))
                clusters.setdefault(key, []).append(index)
                kept_of[key] = int(f.details["kept"])
    for key, members in clusters.items():
        if kept_of[key] not in out:
            continue  # the kept record stays: the cluster is represented
        only_dup = [i for i in sorted(set(members)) if all("kept" in f.details for f in out[i].findings)]
        if only_dup:
            del out[only_dup[0]]


# ---- writers: the input's rows minus the dropped ones, in the input's format --------------------------------------
# Each writer copies the kept rows to `out_fh` (binary, uncompressed) and returns
# (rows kept, {dropped row index: its content}).

def _loads_or_raw(raw: bytes) -> Any:
    text = raw.decode("utf-8", "replace").rstrip("\r\n")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return {"__raw__": text}


def write_jsonl(src: str, out_fh: Any, drop: set[int]) -> tuple[int, dict[int, Any]]:
    """Copy every physical line whose row is kept, byte for byte (row i is line i+1 in a JSON Lines file)."""
    kept, gone = 0, {}
    with (gzip.open(src, "rb") if src.endswith(".gz") else open(src, "rb")) as fh:
        for index, raw in enumerate(fh):
            if index in drop:
                gone[index] = _loads_or_raw(raw.removeprefix(b"\xef\xbb\xbf") if index == 0 else raw)
                continue
            out_fh.write(raw)
            kept += 1
    return kept, gone


def write_json(src: str, out_fh: Any, drop: set[int]) -> tuple[int, dict[int, Any]]:
    """An array stays an array, {"data": [...]} keeps its other keys; JSON Lines saved as .json stays lines."""
    data = Path(src).read_bytes()
    try:
        whole: Any = json.loads((gzip.decompress(data) if src.endswith(".gz") else data).decode("utf-8-sig"))
    except json.JSONDecodeError:
        return write_jsonl(src, out_fh, drop)  # the loader read it as JSON Lines, so its rows are lines
    wrapped = isinstance(whole, dict) and isinstance(whole.get("data"), list)
    values = whole["data"] if wrapped else whole if isinstance(whole, list) else [whole]
    kept_values = [v for i, v in enumerate(values) if i not in drop]
    gone = {i: v for i, v in enumerate(values) if i in drop}
    if wrapped:
        result: Any = {**whole, "data": kept_values}
    elif isinstance(whole, list) or not kept_values:
        result = kept_values
    else:
        result = whole  # a file holding one object that is kept
    out_fh.write((json.dumps(result, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return len(kept_values), gone


def write_csv(src: str, out_fh: Any, drop: set[int]) -> tuple[int, dict[int, Any]]:
    """Header plus kept rows, cells as read (malformed rows that are kept keep their extra cells)."""
    text = Path(src).read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None) or []
    wrapper = io.TextIOWrapper(out_fh, encoding="utf-8", newline="")
    writer = csv.writer(wrapper, lineterminator="\r\n" if "\r\n" in text[:65536] else "\n")
    writer.writerow(header)
    kept, gone = 0, {}
    for index, cells in enumerate(reader):
        if index in drop:
            gone[index] = dict(zip(header, cells)) if len(cells) <= len(header) else {"__raw__": cells}
            continue
        writer.writerow(cells)
        kept += 1
    wrapper.flush()
    wrapper.detach()
    return kept, gone


def write_parquet(src: str, out_fh: Any, drop: set[int]) -> tuple[int, dict[int, Any]]:
    import pyarrow.parquet as pq

    table = pq.read_table(src)
    keep = [i for i in range(table.num_rows) if i not in drop]
    pq.write_table(table.take(keep), out_fh)
    gone = {i: table.slice(i, 1).to_pylist()[0] for i in sorted(drop) if i < table.num_rows}
    return len(keep), gone


WRITERS = {"jsonl": write_jsonl, "json": write_json, "csv": write_csv, "parquet": write_parquet}


# ---- the command -------------------------------------------------------------------------------------------------

def manifest_lines(dropped: Iterable[Dropped], content: dict[int, Any]) -> Iterator[str]:
    """One JSON line per dropped row: where it was, its codes, why, and its content (to audit or restore)."""
    for d in sorted(dropped, key=lambda d: d.index):
        entry: dict[str, Any] = {
            "line": d.line,
            "row": d.index,
            "codes": d.codes,
            "reasons": [{"code": f.code, "severity": str(f.severity), "message": f.message,
                         **({"kept_row": f.details["kept"]} if "kept" in f.details else {})} for f in d.findings],
        }
        value = content.get(d.index)
        if isinstance(value, dict) and set(value) == {"__raw__"}:
            entry["raw"] = value["__raw__"]
        elif d.index in content:
            entry["record"] = value
        yield json.dumps(entry, ensure_ascii=False, default=str) + "\n"


def clean(src: str, out: str, config: Config, *, drop: Iterable[str] = DEFAULT_DROP, manifest: str | None = None,
          force: bool = False, eval_sources: Any = None, extra_checks: Iterable[type] = ()) -> CleanResult:
    """Lint `src`, then write `out` without the rows the drop set matches, and the manifest of what was dropped."""
    from .engine import lint
    from .plugins import discover

    manifest = manifest or out + MANIFEST_SUFFIX
    kind = output_kind(src, out)
    check_paths(src, out, manifest, force)
    drop_set = DropSet.parse(drop)
    loaded = discover(extra_checks)
    drop_set.validate([code for lc in loaded for code in lc.cls.codes()])
    report = lint([src], config, eval_sources=eval_sources, extra_checks=extra_checks)
    train = [s for s in report.sources if s.role == "train"]
    if len(train) != 1:
        raise InputError(f"{src}: clean takes one data file, this one holds {len(train)} sources")
    dropped = rows_to_drop(report, train[0].path, drop_set)
    with atomic_open(out, "wb") as fh:
        # Compression follows the output's name (train.jsonl.gz -> gzip), whatever the input was.
        target = gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) if out.endswith(".gz") else fh
        kept, content = WRITERS[kind](src, target, set(dropped))
        if target is not fh:
            target.close()  # writes the gzip trailer; fh stays open for atomic_open
    with atomic_open(manifest, "w") as fh:
        fh.writelines(manifest_lines(dropped.values(), content))
    return CleanResult(src, out, manifest, train[0].rows, kept, sorted(dropped.values(), key=lambda d: d.index),
                       report, unchecked_codes(drop_set, loaded, report))


def unchecked_codes(drop: DropSet, loaded: Iterable[Any], report: Report) -> list[str]:
    """"CODE: reason" for each code the drop set names whose check was skipped: nothing was dropped for it."""
    skipped = {s.check: s.reason for s in report.skipped}
    wanted = Selection(drop.codes) if drop.codes else None
    return [f"{code}: {skipped[lc.cls.name]}" for lc in loaded for code in lc.cls.codes()
            if wanted is not None and code in wanted and lc.cls.name in skipped]

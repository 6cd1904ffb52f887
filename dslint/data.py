"""Loading: files and in-memory data -> rows (with 1-based lines) -> records in a known format.

A row is what the file holds at one place, parsed or not; a bad line is a row with an error, never an exception.
A record is a row that parsed to an object and mapped onto a format (prompt / target / label). Checks that
judge structure read rows; checks that judge content read records.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import pickle
import sys
import tempfile
import unicodedata
import zlib
from collections import Counter
from collections.abc import Mapping
from contextlib import contextmanager
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import InputError
from .model import SourceInfo, stable_hash
from .progress import track
from .schema import FieldError, FieldMap, detect_format, extract

NOQA_FIELD = "_dslint_noqa"
DATA_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".parquet", ".jsonl.gz", ".json.gz", ".jsonl.zst")
RAW_KEEP = 2000  # characters of a bad line kept for hints and messages

# Row.error_kind values
BLANK = "blank"
ENCODING = "encoding"
JSON = "json"
NOT_OBJECT = "not-object"
UNKNOWN_FORMAT = "unknown-format"
FIELD = "field"


@dataclass(frozen=True, slots=True)
class Row:
    """One place in a source file. `value` is the parsed JSON/CSV value, or None when it did not parse."""

    index: int
    path: str
    line: int | None
    value: Any = None
    error_kind: str | None = None
    error: str | None = None
    error_field: str | None = None
    error_offset: int | None = None  # byte offset (encoding) or column (json), 0-based
    raw: str | None = None  # the line's text when it failed, cut to RAW_KEEP
    format: str | None = None  # format this row was mapped with (None when it failed)


NO_CODES: frozenset[str] = frozenset()  # shared: an empty frozenset per record costs 216 bytes


@dataclass(frozen=True, slots=True)
class Record:
    """A well-formed record: where it came from, its data (without _dslint_noqa) and its mapped text."""

    index: int
    path: str
    line: int | None
    format: str
    data: Mapping[str, Any]
    prompt: str
    target: str
    label: str | None
    # None until first read: most records never need one (it names a finding), and hashing every record's canonical
    # JSON was a fifth of the load time.
    _fingerprint: str | None = dataclasses.field(default=None, compare=False, repr=False)
    noqa: frozenset[str] = NO_CODES
    role: str = "train"

    @property
    def fingerprint(self) -> str:
        """Stable identity of the record's content (see fingerprint()), computed once on first use."""
        value = self._fingerprint
        if value is None:
            value = fingerprint(self.data)
            object.__setattr__(self, "_fingerprint", value)
        return value

    @property
    def text(self) -> str:
        return f"{self.prompt}\n{self.target}" if self.target else self.prompt


@dataclass
class Source:
    info: SourceInfo
    rows: list[Row] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)


# ---- fingerprints ----------------------------------------------------------------------------------------------

def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def fingerprint(data: Any) -> str:
    """Stable identity of a record's content: independent of file, line, key order and the noqa field."""
    return stable_hash(canonical_json(data))


def normalize_text(text: str, casefold: bool = False) -> str:
    """The documented normalisation for exact matching: Unicode NFKC, whitespace runs collapsed, trimmed."""
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    return text.casefold() if casefold else text


def _noqa_codes(value: Any) -> frozenset[str]:
    if value is None:
        return NO_CODES
    if value is True:
        return frozenset({"ALL"})
    if isinstance(value, str):
        return frozenset(c.strip().upper() for c in value.replace(";", ",").split(",") if c.strip())
    if isinstance(value, (list, tuple)):
        return frozenset(str(c).strip().upper() for c in value if str(c).strip())
    return NO_CODES


# ---- raw readers: path -> rows -----------------------------------------------------------------------------------

def _open_binary(path: Path) -> io.BufferedIOBase:
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if name.endswith(".zst"):
        try:
            import zstandard
        except ImportError:
            raise InputError(f"{path}: reading .zst needs the 'zstandard' package (pip install zstandard)") from None
        # The zstd reader cannot iterate lines by itself; the buffer adds readline.
        return io.BufferedReader(zstandard.open(path, "rb"))  # type: ignore[arg-type]
    return open(path, "rb")


def _read_errors() -> tuple[type[BaseException], ...]:
    zstd = sys.modules.get("zstandard")
    return (OSError, EOFError, zlib.error) + ((zstd.ZstdError,) if zstd is not None else ())


@contextmanager
def _reading(path: Path) -> Iterator[io.BufferedIOBase]:
    """Open `path` for reading, decompressing; a damaged file (truncated gzip, bad zstd frame) is an InputError."""
    try:
        with _open_binary(path) as fh:
            yield fh
    except _read_errors() as exc:
        raise InputError(f"{path}: cannot read, the file is damaged or not what its name says ({exc})") from None


def _shared_strings(obj: dict[str, Any]) -> dict[str, Any]:
    """An object with its keys and short string values interned: every record repeats "role", "content", "user"...
    and one shared copy of each saves a fifth of a parsed chat record's memory."""
    return {_intern(k): (_intern(v) if type(v) is str and len(v) <= 12 else v) for k, v in obj.items()}


_intern = sys.intern
_DECODER = json.JSONDecoder(object_hook=_shared_strings)


def iter_jsonl(path: Path, start_index: int = 0) -> Iterator[Row]:
    """Stream a JSON Lines file as rows, one per physical line, with 1-based line numbers. Never raises on content."""
    spath = str(path)
    index = start_index
    with _reading(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a BOM is reported by the format check from SourceInfo.notes
            raw = raw.rstrip(b"\n").rstrip(b"\r")
            if not raw.strip():
                yield Row(index, spath, lineno, error_kind=BLANK, error="blank line")
                index += 1
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Row(index, spath, lineno, error_kind=ENCODING,
                          error=f"invalid UTF-8 at byte {exc.start} of the line", error_offset=exc.start,
                          raw=raw.decode("utf-8", "replace")[:RAW_KEEP])
                index += 1
                continue
            try:
                value = _DECODER.decode(text)
            except json.JSONDecodeError as exc:
                yield Row(index, spath, lineno, error_kind=JSON, error=f"invalid JSON: {exc.msg} (column {exc.colno})",
                          error_offset=exc.pos, raw=text[:RAW_KEEP])
                index += 1
                continue
            except (RecursionError, ValueError) as exc:  # too deep, or an integer of more than 4300 digits
                yield Row(index, spath, lineno, error_kind=JSON, error=f"invalid JSON: {_json_problem(exc)}",
                          raw=text[:RAW_KEEP])
                index += 1
                continue
            yield Row(index, spath, lineno, value=value)
            index += 1


def _json_problem(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(";")[0]  # e.g. "Exceeds the limit (4300 digits) for integer string conversion: ..."


def _decode_whole(path: Path) -> str:
    with _reading(path) as fh:
        data = fh.read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{path}:{line}: invalid UTF-8 at byte {exc.start}") from None


def iter_json_array(path: Path, start_index: int = 0) -> Iterator[Row]:
    """A .json file holding an array of records (or one object, or an object with a list under "data")."""
    text = _decode_whole(path)
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos >= len(text):
        return
    if text[pos] != "[":
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            # Not a JSON document: maybe JSON Lines saved as .json.
            if text[pos] == "{" and "\n{" in text:
                yield from iter_jsonl(path, start_index)
                return
            raise InputError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from None
        except (RecursionError, ValueError) as exc:
            raise InputError(f"{path}: invalid JSON: {_json_problem(exc)}") from None
        if isinstance(value, Mapping) and isinstance(value.get("data"), list):
            value = value["data"]
        else:
            yield Row(start_index, str(path), text.count("\n", 0, pos) + 1, value=value)
            return
        for i, item in enumerate(value):
            yield Row(start_index + i, str(path), None, value=item)
        return
    pos += 1
    line, last = 1 + text.count("\n", 0, pos), pos
    index = start_index
    while True:
        pos = _skip_ws(text, pos)
        if pos < len(text) and text[pos] == "]":
            return
        line += text.count("\n", last, pos)
        last = pos
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from None
        except (RecursionError, ValueError) as exc:
            raise InputError(f"{path}:{line}: invalid JSON: {_json_problem(exc)}") from None
        yield Row(index, str(path), line, value=value)
        index += 1
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] == "]":
            return
        else:
            at = text.count("\n", 0, pos) + 1
            raise InputError(f"{path}:{at}: invalid JSON: expected ',' or ']' after a record")


def _skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\r\n":
        pos += 1
    return pos


def iter_csv(path: Path, start_index: int = 0) -> Iterator[Row]:
    """CSV with a header row; data rows keep their 1-based physical line numbers."""
    text = _decode_whole(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None:  # reads the header; an empty file has none
        return
    index = start_index
    line = reader.line_num
    for row in reader:
        start = line + 1
        line = reader.line_num
        if None in row:  # more cells than header columns
            yield Row(index, str(path), start, error_kind=FIELD, error="row has more cells than the header",
                      raw=",".join(str(v) for v in row.get(None) or [])[:RAW_KEEP])
        else:
            yield Row(index, str(path), start, value={k: v for k, v in row.items()})
        index += 1


def iter_parquet(path: Path, start_index: int = 0) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise InputError(f"{path}: not a readable parquet file ({exc})") from None
    for i, value in enumerate(table.to_pylist()):
        yield Row(start_index + i, str(path), None, value=value)


def iter_values(values: Iterable[Any], name: str, start_index: int = 0) -> Iterator[Row]:
    """In-memory records (a list of dicts, a datasets.Dataset): no line numbers."""
    for i, value in enumerate(values):
        yield Row(start_index + i, name, None, value=value)


def _hf_dataset_rows(path: Path, start_index: int) -> Iterator[tuple[str, Iterator[Row]]]:
    from datasets import Dataset, DatasetDict, load_from_disk

    try:
        ds = load_from_disk(str(path))
    except Exception as exc:
        raise InputError(f"{path}: not a readable saved Hugging Face dataset ({exc})") from None
    if isinstance(ds, DatasetDict):
        for split, part in ds.items():
            yield f"{path}[{split}]", iter_values(part, f"{path}[{split}]", start_index)
            start_index += len(part)
    elif isinstance(ds, Dataset):
        yield str(path), iter_values(ds, str(path), start_index)


# ---- discovery -------------------------------------------------------------------------------------------------

def _kind_of(path: Path) -> str:
    name = path.name.lower()
    for suffix, kind in ((".jsonl.gz", "jsonl"), (".jsonl.zst", "jsonl"), (".json.gz", "json"),
                         (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json"), (".csv", "csv"),
                         (".parquet", "parquet")):
        if name.endswith(suffix):
            return kind
    return ""


def _sniff(path: Path) -> str:
    """Kind of a file with an unknown suffix, from its first bytes; binary files are refused."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if head.startswith(b"PAR1"):
        return "parquet"
    _refuse_non_text(path, head)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        return "jsonl"
    raise InputError(f"{path}: unknown file type (expected .jsonl, .json, .csv, .parquet or a saved dataset folder)")


def is_hf_dataset_dir(path: Path) -> bool:
    return path.is_dir() and any((path / n).exists() for n in ("dataset_info.json", "dataset_dict.json", "state.json"))


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files and dataset folders named by the user, directories expanded; raises InputError for nothing to read."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        if path.is_dir() and not is_hf_dataset_dir(path):
            found = sorted(
                f for f in path.rglob("*")
                if f.is_file() and _kind_of(f) and not any(part.startswith(".") for part in f.relative_to(path).parts)
            )
            found += sorted(d for d in path.rglob("*") if is_hf_dataset_dir(d))
            if not found:
                raise InputError(f"{path}: directory holds no data files (.jsonl, .json, .csv, .parquet)")
            out.extend(found)
        else:
            out.append(path)
    return out


def iter_source_rows(path: Path, start_index: int = 0) -> Iterator[tuple[str, str, Iterator[Row]]]:
    """(name, loader kind, rows) for each source inside `path`: one for a file, one per split for a saved dataset."""
    if is_hf_dataset_dir(path):
        for name, rows in _hf_dataset_rows(path, start_index):
            yield name, "hf-dataset", rows
        return
    if not path.is_file():  # reading a pipe twice (sniff, then load) would hang or lose data
        raise InputError(f"{path}: not a regular file (a pipe, socket or device): save the data to a file first")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied")
    kind = _kind_of(path) or _sniff(path)
    if kind != "parquet":
        _refuse_binary(path)
    reader = {"jsonl": iter_jsonl, "json": iter_json_array, "csv": iter_csv, "parquet": iter_parquet}[kind]
    yield str(path), kind, reader(path, start_index)


def _refuse_binary(path: Path) -> None:
    with _reading(path) as fh:
        head = fh.read(8192)
    _refuse_non_text(path, head)


def _refuse_non_text(path: Path, head: bytes) -> None:
    """UTF-16/32 text and binary files are refused with a message that says what they are."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _mostly_nul_on_one_parity(head):
        raise InputError(f"{path}: looks like UTF-16 (or UTF-32) text; dslint reads UTF-8: convert it first, "
                         f"e.g. iconv -f UTF-16 -t UTF-8 {path.name} > {path.stem}.utf8{path.suffix}")
    if b"\x00" in head:
        raise InputError(f"{path}: binary file, not a dataset (NUL bytes in the first 8 KiB)")


def _mostly_nul_on_one_parity(head: bytes) -> bool:
    # ASCII text in UTF-16 without a BOM: every other byte is NUL.
    sample = head[:4096]
    half = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return half >= 2 and max(even, odd) >= 0.9 * half and min(even, odd) <= 0.1 * half


def file_notes(path: Path) -> tuple[str, ...]:
    """Byte-level facts about a text file that a check may report: a BOM, CRLF line ends, no final newline."""
    if _kind_of(path) not in ("jsonl", "json", "csv") or path.name.endswith((".gz", ".zst")):
        return ()
    notes = []
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(65536)
        if size > 0:
            fh.seek(max(0, size - 1))
            tail = fh.read(1)
        else:
            tail = b""
    if head.startswith(b"\xef\xbb\xbf"):
        notes.append("bom")
    if b"\r\n" in head:
        notes.append("crlf")
    if size and tail != b"\n":
        notes.append("no-final-newline")
    return tuple(notes)


# ---- rows -> records -------------------------------------------------------------------------------------------

def map_rows(rows: list[Row], fields: FieldMap, role: str = "train") -> tuple[list[Row], list[Record], str]:
    """Map parsed rows onto the file's format. Returns rows (failed ones carry their error), records, format.

    The file's format is the most common one among its records; a record of another recognised format is still
    mapped with its own (and the mix is reported by the format check from Row.format).
    """
    detected = [detect_format(r.value, fields) if r.error_kind is None else None for r in rows]
    counts = Counter(f for f in detected if f)
    file_format = counts.most_common(1)[0][0] if counts else ""
    out_rows: list[Row] = []
    records: list[Record] = []
    for row, fmt in zip(rows, detected):
        out, record = map_row(row, fmt, file_format, fields, role)
        out_rows.append(out)
        if record is not None:
            records.append(record)
    return out_rows, records, file_format


def needs_file_format(row: Row, fmt: str | None) -> bool:
    """Whether mapping this row depends on its file's format: an object that matches no format by itself."""
    return fmt is None and row.error_kind is None and (type(row.value) is dict or isinstance(row.value, Mapping))


def map_row(row: Row, fmt: str | None, file_format: str, fields: FieldMap, role: str) -> tuple[Row, Record | None]:
    """One row onto its own format `fmt`, else the file's: the row (carrying its error when it failed) and the
    record, or None."""
    if row.error_kind is not None:
        return row, None
    value = row.value
    if type(value) is not dict and not isinstance(value, Mapping):  # the dict test first: the hot path
        return _failed(row, NOT_OBJECT, f"record is a JSON {_json_type(value)}, not an object"), None
    use = fmt or file_format
    if not use:
        keys = ", ".join(sorted(map(str, value.keys()))[:8]) or "no keys"
        return _failed(row, UNKNOWN_FORMAT, f"record matches no known format (keys: {keys})"), None
    noqa = _noqa_codes(value.get(NOQA_FIELD))
    data = {k: v for k, v in value.items() if k != NOQA_FIELD} if NOQA_FIELD in value else value
    try:
        mapped = extract(data, use, fields)
    except FieldError as exc:
        return _failed(row, FIELD, exc.message, exc.field, fmt=use), None
    return (Row(row.index, row.path, row.line, value, format=use),
            Record(row.index, row.path, row.line, use, data, mapped.prompt, mapped.target, mapped.label, None, noqa,
                   role))


def _failed(row: Row, kind: str, message: str, field_path: str | None = None, fmt: str | None = None) -> Row:
    return Row(row.index, row.path, row.line, row.value, kind, message, field_path, format=fmt)


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number",
            type(None): "null"}.get(type(value), type(value).__name__)


def load_sources(inputs: Iterable[Any], fields: FieldMap = FieldMap(), role: str = "train") -> list[Source]:
    """Load files, folders, a list of dicts or a datasets.Dataset into sources with rows and records."""
    inputs = list(inputs)
    sources: list[Source] = []
    index = 0
    plan: list[tuple[str, str, Iterator[Row], tuple[str, ...]]] = []
    paths = [i for i in inputs if isinstance(i, (str, os.PathLike))]
    others = [i for i in inputs if not isinstance(i, (str, os.PathLike))]
    for path in expand_paths(paths):
        notes = file_notes(path) if path.is_file() else ()
        for name, kind, rows in iter_source_rows(path):
            plan.append((name, kind, rows, notes))
    for n, obj in enumerate(others):
        name = getattr(obj, "info", None) and getattr(obj.info, "dataset_name", None) or f"<{role}:{n}>"
        plan.append((str(name), "python", iter(()) if obj is None else _rows_of_object(obj, str(name)), ()))
    for name, kind, rows_iter, notes in plan:
        rows = [_reindex(r, index + i) for i, r in enumerate(track(rows_iter, f"loading {name}"))]
        index += len(rows)
        rows, records, fmt = map_rows(rows, fields, role)
        info = SourceInfo(path=name, role=role, kind=kind, format=fmt, rows=len(rows), records=len(records),
                          notes=notes)
        sources.append(Source(info, rows, records))
    return sources


# ---- streaming: the same rows and records, a chunk at a time ---------------------------------------------------

def streamable(inputs: Iterable[Any]) -> bool:
    """Whether every input is a JSON Lines file (plain or compressed), which can be read a line at a time."""
    inputs = list(inputs)
    if not inputs or not all(isinstance(i, (str, os.PathLike)) for i in inputs):
        return False
    for path in expand_paths(inputs):
        if not path.is_file() or (_kind_of(path) or _sniff(path)) != "jsonl":
            return False
    return True


@dataclass
class Chunk:
    """Consecutive rows of one file (rows whose format depends on the whole file come last) and their records."""

    rows: list[Row]
    records: list[Record]


class SourceStream:
    """JSON Lines files as chunks of at most `chunk_rows` rows: together exactly the rows and records load_sources
    gives, never all in memory. `infos` and `formats` (file name -> its format) fill as files end.

    An object that matches no format by itself is read with its file's format. When `formats` gives each file's
    format (learnt by an earlier pass of a SourceStream over the same inputs) rows come in file order. Otherwise the
    format is known only at the file's end: such rows wait on disk (a temporary file, so memory stays flat however
    many there are) and come, a chunk at a time, after the file's other rows."""

    def __init__(self, inputs: Iterable[Any], fields: FieldMap = FieldMap(), role: str = "train",
                 chunk_rows: int = 10_000, formats: Mapping[str, str] | None = None):
        self.paths = expand_paths(list(inputs))
        self.fields, self.role, self.chunk_rows = fields, role, max(1, chunk_rows)
        self.known = formats
        self.infos: list[SourceInfo] = []
        self.formats: dict[str, str] = {}
        self.chunks = 0

    def __iter__(self) -> Iterator[Chunk]:
        index = 0
        for path in self.paths:
            notes = file_notes(path)
            for name, kind, rows_iter in iter_source_rows(path):
                state = _FileState(self.known.get(name) if self.known is not None else None)
                batch: list[Row] = []
                try:
                    for row in track(rows_iter, f"loading {name}"):
                        batch.append(_reindex(row, index))
                        index += 1
                        if len(batch) >= self.chunk_rows:
                            yield from self._emit(self._map(batch, state))
                            batch = []
                    yield from self._emit(self._map(batch, state))
                    for waiting in _batches(state.waiting.drain(), self.chunk_rows):
                        yield from self._emit(self._map_waiting(waiting, state))
                finally:
                    state.waiting.close()
                self.formats[name] = state.file_format
                self.infos.append(SourceInfo(path=name, role=self.role, kind=kind, format=state.file_format,
                                             rows=state.rows, records=state.records, notes=notes))
        if not self.chunks:  # checks see one empty chunk, as they see an empty set when nothing is loaded
            self.chunks = 1
            yield Chunk([], [])

    def _map(self, rows: list[Row], state: _FileState) -> Chunk:
        chunk = Chunk([], [])
        known = state.known or ""
        for row in rows:
            fmt = detect_format(row.value, self.fields) if row.error_kind is None else None
            if fmt:
                state.formats[fmt] += 1
            if state.known is None and needs_file_format(row, fmt):
                state.waiting.add(row)
                continue
            self._add(chunk, state, map_row(row, fmt, known, self.fields, self.role))
        return chunk

    def _map_waiting(self, rows: list[Row], state: _FileState) -> Chunk:
        chunk = Chunk([], [])
        for row in rows:
            self._add(chunk, state, map_row(row, None, state.file_format, self.fields, self.role))
        return chunk

    @staticmethod
    def _add(chunk: Chunk, state: _FileState, mapped: tuple[Row, Record | None]) -> None:
        row, record = mapped
        chunk.rows.append(row)
        state.rows += 1
        if record is not None:
            chunk.records.append(record)
            state.records += 1

    def _emit(self, chunk: Chunk) -> Iterator[Chunk]:
        if chunk.rows:
            self.chunks += 1
            yield chunk


class _Spill:
    """Rows set aside in a temporary file (pickled, exact values) and read back in the order they were added."""

    def __init__(self) -> None:
        self.file: Any = None
        self.count = 0

    def add(self, row: Row) -> None:
        if self.file is None:
            self.file = tempfile.TemporaryFile(prefix="dslint-")
        pickle.dump(row, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def drain(self) -> Iterator[Row]:
        if self.file is None:
            return
        self.file.seek(0)
        for _ in range(self.count):
            yield pickle.load(self.file)
        self.close()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        self.file, self.count = None, 0


def _batches(items: Iterable[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class _FileState:
    known: str | None = None  # the file's format, when an earlier pass learnt it
    formats: Counter[str] = field(default_factory=Counter)
    waiting: _Spill = field(default_factory=_Spill)
    rows: int = 0
    records: int = 0

    @property
    def file_format(self) -> str:
        if self.known is not None:
            return self.known
        # Counted in row order, as map_rows counts: ties go to the format seen first, the same way.
        return self.formats.most_common(1)[0][0] if self.formats else ""


def _rows_of_object(obj: Any, name: str) -> Iterator[Row]:
    if isinstance(obj, Mapping):
        raise InputError(f"{name}: expected a list of records or a datasets.Dataset, got a single dict")
    try:
        return iter_values(iter(obj), name)
    except TypeError:
        raise InputError(f"{name}: expected a path, a list of records or a datasets.Dataset, "
                         f"got {type(obj).__name__}") from None


def _reindex(row: Row, index: int) -> Row:
    if row.index == index:
        return row
    return Row(index, row.path, row.line, row.value, row.error_kind, row.error, row.error_field, row.error_offset,
               row.raw, row.format)

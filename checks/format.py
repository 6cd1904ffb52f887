"""F family, format validity: every row becomes a record its trainer accepts, or a finding at its line and field.

This module is the only place where row-level problems (bad JSON, bad UTF-8, missing fields) become findings.
Structured targets (JSON/SQL) live in structured.py and token length in tokens.py.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Iterator, NamedTuple

from dslint.check import Check
from dslint.data import (BLANK, ENCODING, FIELD, JSON, NOT_OBJECT, RAW_KEEP, UNKNOWN_FORMAT, Record, Row,
                         normalize_text)
from dslint.model import Finding, Metric, Rule, Severity, SourceInfo
from dslint.schema import SHAREGPT_ROLES, FieldMap, message_text

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO


def doc(what: str, why: str, example: str, options: str = "") -> str:
    """A rule's documentation with ruff's fixed headings."""
    text = f"## What it does\n{what}\n\n## Why is this bad?\n{why}\n\n## Example\n{example}\n"
    return text + (f"\n## Options\n{options}\n" if options else "")


# ---- rules -----------------------------------------------------------------------------------------------------

STRUCTURE_RULES = (
    Rule("F001", "invalid-json", "invalid JSON: {error}{hint}", E, "A line or record that is not valid JSON",
         doc("Reports a row that does not parse as JSON, with the column and, when the cause is recognisable, a hint: "
             "a Python dict written with str() (single quotes, True/None), a record split across lines by a raw "
             "newline or pretty-printing (continuation lines name the line the record starts on), a raw tab or "
             "control character inside a string, a trailing comma, two records on one line.",
             "Trainers either crash on the line or silently drop it.",
             "`{'role': 'user', 'content': 'hi'}` -> write records with json.dumps, not str()")),
    Rule("F002", "invalid-utf8", "{error}{hint}", E, "Bytes that are not valid UTF-8",
         doc("Reports a line holding bytes that are not UTF-8, with the byte offset within the line.",
             "Loaders stop at the first undecodable byte or replace it, corrupting the text trained on.",
             "A line saved as Windows-1252 (`caf\\xe9`) in a UTF-8 JSONL file.")),
    Rule("F003", "not-an-object", "{error}", E, "A record that is a JSON array, string or number, not an object",
         doc("Reports a row whose JSON value is not an object.", "Every trainer expects one object per record.",
             "`[\"hi\", \"hello\"]` on a line of a chat file.")),
    Rule("F004", "unknown-format", "{error}{hint}", E, "A record whose keys match no known format",
         doc("Reports an object that matches none of the formats (chat, sharegpt, alpaca, prompt-completion, "
             "preference, classification) nor the file's format.",
             "The trainer will not know which field is the prompt and which the answer.",
             "`{\"q\": \"...\", \"a\": \"...\"}`: map the fields with `[tool.dslint.fields]`.")),
    Rule("F005", "field-error", "{error}", E, "A required field missing or of the wrong type",
         doc("Reports a record that is missing a field its format requires, or holds one of the wrong type, "
             "naming the field path at fault.", "Trainers fail on the record or drop it.",
             "`{\"messages\": \"hi\"}`: messages must be a list of objects.")),
    Rule("F006", "blank-line", "blank line in a JSON Lines file", W, "A blank line inside a JSON Lines file",
         doc("Reports an empty or whitespace-only line in a .jsonl file.",
             "Strict JSON Lines readers (OpenAI's validator among them) reject the file.",
             "Two newlines between records.")),
    Rule("F007", "byte-order-mark", "file starts with a UTF-8 byte order mark", W, "A UTF-8 BOM at file start",
         doc("Reports a file that begins with the bytes EF BB BF.",
             "`json.loads` on the first line fails with 'Unexpected UTF-8 BOM' in many readers.",
             "A file saved by Notepad as 'UTF-8 with BOM'.")),
    Rule("F008", "crlf-line-endings", "file uses CRLF (Windows) line endings", I, "CRLF line endings",
         doc("Notes a file with \\r\\n line ends.", "Harmless for most readers, but a stray \\r can end up inside "
             "text fields when a file is split by hand.", "A file written on Windows.")),
    Rule("F009", "no-final-newline", "file does not end with a newline", I, "No newline at end of file",
         doc("Notes a text file whose last line has no newline.",
             "Appending records with `cat` or `>>` glues the next record onto the last line.",
             "`printf '{...}' > train.jsonl`.")),
    Rule("F010", "empty-file", "{what}: zero training examples", E, "A file with no records at all",
         doc("Reports an input that holds no rows (or only blank lines).", "There is nothing to train on; a "
             "pipeline that wrote the file probably failed.", "An empty train.jsonl after a failed export.")),
    Rule("F011", "mixed-formats", "record is {fmt} but the file is {file_format}", W,
         "A record in another format than the rest of its file",
         doc("Reports a record whose keys put it in a different format from most of its file.",
             "Trainers read a file with one formatting function: the odd records fail or are silently misread.",
             "An alpaca record among chat records.")),
    Rule("F012", "format-not-accepted", "{file_format} records are not accepted by profile {profile} "
         "(accepts {accepted})", E, "A file format the selected trainer profile does not read",
         doc("Reports a file whose format is not among those the selected profile's trainer accepts.",
             "The upload or the training job is rejected.",
             "An alpaca file checked with `--profile openai`.")),
    Rule("F013", "unknown-key", "unknown key '{key}' for profile {profile}", E, "A key the trainer does not accept",
         doc("Reports a top-level key (or a message key) that the selected profile does not allow. Only profiles "
             "that list their keys (openai, together) check this.",
             "OpenAI rejects the whole file for one unrecognised key.",
             "`{\"messages\": [...], \"id\": 7}` under `--profile openai`.")),
)

CONVERSATION_RULES = (
    Rule("F020", "unknown-role", "unknown role '{role}' (profile {profile} accepts {accepted})", E,
         "A message role the trainer does not know",
         doc("Reports a message whose role (or ShareGPT `from`) is not one the selected profile accepts.",
             "Chat templates raise on unknown roles, or the turn is dropped.",
             "`{\"role\": \"bot\", ...}` instead of assistant.")),
    Rule("F021", "no-assistant-turn", "conversation has no assistant turn", E, "A conversation with no answer",
         doc("Reports a conversation without any assistant turn.", "There is nothing to compute the loss on.",
             "`{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}`")),
    Rule("F022", "assistant-not-last", "last turn is {role}, not assistant", E,
         "A conversation that does not end with the assistant",
         doc("Reports a conversation whose last turn is not the assistant's, when the profile requires it.",
             "The final turns are trained on nothing, or the trainer rejects the record.",
             "A conversation ending with a user question."), ),
    Rule("F023", "consecutive-same-role", "two {role} turns in a row", W, "Two turns of the same role in a row",
         doc("Reports a turn with the same role as the one before it (tool results excepted: parallel calls "
             "answer in a row).", "Many chat templates require strict alternation and raise on it.",
             "user, user, assistant.")),
    Rule("F024", "system-not-first", "system message at turn {turn}, not first", W, "A system message mid-conversation",
         doc("Reports a system message that is not the first turn.",
             "Most chat templates only place the system prompt first; later ones are dropped or rejected.",
             "user, system, assistant.")),
    Rule("F025", "empty-content", "{what} is empty", E, "An empty or whitespace-only turn or answer",
         doc("Reports a message (or alpaca output, or completion) that is empty or only whitespace. Assistant "
             "turns that only make tool calls are fine.", "The model is taught to say nothing.",
             "`{\"role\": \"assistant\", \"content\": \"  \"}`")),
    Rule("F026", "missing-system-message", "no system message, while {with_system} of {total} conversations in "
         "this file have one", W, "A conversation without the system prompt most of its file has",
         doc("Reports a conversation without a system message in a file where most conversations have one.",
             "The model learns two behaviours, with and without the system prompt, where one was meant.",
             "OpenAI's cookbook toy set: line 3 lacks the system message of the others.")),
    Rule("F027", "no-user-turn", "conversation has no user turn", W, "A conversation without any user message",
         doc("Reports a conversation with no user turn.",
             "The assistant answers nothing: usually a broken export.",
             "system, assistant.")),
    Rule("F028", "invalid-tool-arguments", "tool call arguments are not valid JSON: {error}", E,
         "Tool call arguments that do not parse",
         doc("Reports a tool call (OpenAI `tool_calls[].function.arguments`, `function_call`, or a ShareGPT "
             "`function_call` turn) whose arguments are not valid JSON.",
             "The model learns to emit calls the runtime cannot parse.",
             "`\"arguments\": \"{location: Paris}\"`")),
    Rule("F029", "double-encoded-tool-arguments", "tool call arguments are JSON encoded twice", W,
         "Tool call arguments encoded as a JSON string inside a JSON string",
         doc("Reports arguments whose JSON value is itself a string holding JSON.",
             "The model learns to emit escaped strings instead of argument objects.",
             "`\"arguments\": \"\\\"{\\\\\\\"city\\\\\\\": \\\\\\\"Paris\\\\\\\"}\\\"\"`")),
    Rule("F030", "orphan-tool-message", "tool message answers no call{why}", E,
         "A tool result with no tool call before it",
         doc("Reports a tool (or ShareGPT observation) message with no earlier assistant call it answers, or "
             "whose tool_call_id matches none.", "Chat templates and APIs reject the conversation.",
             "user, tool, assistant.")),
    Rule("F031", "invalid-weight", "weight is {value}, expected one of {allowed}", E, "A message weight other than 0/1",
         doc("Reports a message `weight` outside the values the profile allows (0 or 1).",
             "OpenAI rejects the file; other trainers ignore or misread it.", "`\"weight\": 0.5`")),
)

PREFERENCE_RULES = (
    Rule("F040", "missing-prompt", "preference pair has no prompt", E, "A preference pair without a prompt",
         doc("Reports a preference record whose prompt is missing or empty.",
             "DPO compares two answers to one prompt; without it the pair is meaningless.",
             "`{\"chosen\": \"a\", \"rejected\": \"b\"}`")),
    Rule("F041", "empty-preference-side", "{side} answer is empty", E, "An empty chosen or rejected answer",
         doc("Reports a preference record whose chosen or rejected side is empty.",
             "The pair teaches to prefer (or avoid) saying nothing.", "`\"rejected\": \"\"`")),
    Rule("F042", "chosen-equals-rejected", "chosen and rejected answers are identical", W,
         "A preference pair whose two answers are the same",
         doc("Reports a pair whose chosen and rejected texts are equal after whitespace/Unicode normalisation.",
             "The pair carries no preference signal (zero gradient) and dilutes the set.",
             "`\"chosen\": \"Paris\", \"rejected\": \"Paris \"`")),
)

CONTENT_RULES = (
    Rule("F050", "unrendered-template", "unrendered template placeholder {placeholder}", W,
         "Template placeholders such as {{name}} left in the text",
         doc("Reports `{{name}}`-style placeholders, and `{name}` outside text that looks like code or LaTeX.",
             "The model learns to write the literal placeholder.",
             "LLaMA-Factory's identity.json: `I am {{name}}, developed by {{author}}`.")),
    Rule("F051", "placeholder-input", "input is a placeholder ({value!r}), not content", W,
         "An input field holding '<noinput>', 'No input' or similar",
         doc("Reports an input (alpaca `input`, or any prompt field) that only says there is no input.",
             "The model is trained to treat a stock phrase as context; an empty input is the convention.",
             "alpaca_en_demo.json: `\"input\": \"<noinput>\"`.")),
    Rule("F052", "placeholder-target", "answer is a placeholder ({value!r})", W, "A target such as 'N/A' or '...'",
         doc("Reports a target that is only a placeholder: N/A, ..., TODO, None, null, -, <nooutput>.",
             "The model learns to answer with the placeholder.", "`\"output\": \"N/A\"`")),
    Rule("F053", "repetitive-target", "answer repeats itself ({share:.0%} of it is a repeated {n}-gram run)", W,
         "An answer made of long repeated runs",
         doc("Reports a target in which repeated word (or, for text without spaces, character) n-grams make up "
             "most of the text.", "Degenerate, looping output: the model learns to loop.",
             "OpenAI's cookbook toy set, line 5: 'Eat a banana!' 2,000 times.",
             "`min-repeat-share` (default 0.5), `repeat-ngram` (default 5 words).")),
    Rule("F054", "refusal-boilerplate", "answer is refusal boilerplate: {phrase!r}", W, "Canned refusals in answers",
         doc("Reports targets with stock refusal or disclaimer phrases ('As an AI language model', "
             "'I'm sorry, but I cannot').", "Distilled refusals teach the model to refuse harmless requests.",
             "`As an AI language model, I cannot browse the internet.`")),
    Rule("F055", "mojibake", "text looks like mojibake ({sample!r} -> {fixed!r})", W, "Text decoded with the wrong "
         "encoding", doc("Reports text that ftfy recognises as UTF-8 decoded as Latin-1/Windows-1252 (mojibake).",
                         "The model learns to write garbled characters.", "`donâ€™t` for `don't`.")),
)

SUMMARY_RULES = (
    Rule("F090", "unusable-rows", "{invalid} of {rows} rows ({share:.1%}) are not usable for training", I,
         "Share of rows that are unusable (invalid rows or records with error-level F findings)",
         doc("States the share of rows that cannot be trained on as they are: rows that are not records, and "
             "records with an error-level format finding. Also published as the metric F.invalid_share "
             "(blank lines are counted in neither part).", "It is the format figure of the readiness verdict.",
             "`3 of 120 rows (2.5%) are not usable for training`"), scope="dataset"),
)


# ---- conversations ---------------------------------------------------------------------------------------------

CANONICAL_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant",
                   "tool": "tool", "function": "tool", "ipython": "tool"}


class Turn(NamedTuple):
    """One message of a conversation: canonical role, its text, its raw object and field path (a NamedTuple:
    built five times per record by the F, S and token checks, where a frozen dataclass was a tenth of their time)."""

    role: str | None  # system, user, assistant, tool; None when unknown
    raw_role: str
    text: str
    message: Mapping[str, Any]
    field: str  # e.g. "messages[2]"
    content_key: str

    @property
    def makes_call(self) -> bool:
        return bool(_calls(self.message)) or isinstance(self.message.get("function_call"), Mapping) or \
            self.raw_role == "function_call"


def conversation(record: Record) -> list[Turn] | None:
    """The turns of a chat or ShareGPT record (or a v1 preference conversation), or None for other formats."""
    data = record.data
    if record.format == "chat" and isinstance(data.get("messages"), list):
        return _turns(data["messages"], "messages", "role", "content", sharegpt=False)
    if record.format == "sharegpt" and isinstance(data.get("conversations"), list):
        return _turns(data["conversations"], "conversations", "from", "value", sharegpt=True)
    return None


def _turns(messages: list[Any], field: str, role_key: str, content_key: str, sharegpt: bool) -> list[Turn]:
    out = []
    for i, m in enumerate(messages):
        if type(m) is not dict and not isinstance(m, Mapping):  # the exact-type test skips the slow ABC check
            continue
        raw = str(m.get(role_key, ""))
        role = SHAREGPT_ROLES.get(raw.lower()) if sharegpt else CANONICAL_ROLES.get(raw)
        out.append(Turn(role, raw, message_text(m.get(content_key)), m, f"{field}[{i}]", content_key))
    return out


def system_prompt(record: Record) -> bool | None:
    """Whether a conversation has a system prompt (a system turn, or a "system" field), None for other records:
    what conversation() would say, without building its turns."""
    data = record.data
    if record.format == "chat":
        messages, role_key, sharegpt = data.get("messages"), "role", False
    elif record.format == "sharegpt":
        messages, role_key, sharegpt = data.get("conversations"), "from", True
    else:
        return None
    if not isinstance(messages, list):
        return None
    for m in messages:
        if type(m) is not dict and not isinstance(m, Mapping):
            continue
        raw = str(m.get(role_key, ""))
        if (SHAREGPT_ROLES.get(raw.lower()) if sharegpt else CANONICAL_ROLES.get(raw)) == "system":
            return True
    return bool(data.get("system"))


def target_turn(turns: list[Turn]) -> Turn | None:
    return next((t for t in reversed(turns) if t.role == "assistant"), None)


# ---- text fields of a record, for the content rules -----------------------------------------------------------

@dataclass(frozen=True)
class TextField:
    field: str
    text: str
    side: str  # "prompt" or "target"


def text_fields(record: Record, fields: FieldMap = FieldMap()) -> list[TextField]:
    """Every text of a record with its field path and side, so findings can point at the field at fault."""
    data = record.data
    turns = conversation(record)
    if turns is not None:
        last = target_turn(turns)
        return [TextField(f"{t.field}.{t.content_key}", t.text, "target" if t is last else "prompt")
                for t in turns if t.role != "tool"]
    fmt = record.format
    if fmt == "alpaca":
        return [TextField(k, data[k], "target" if k == "output" else "prompt")
                for k in ("instruction", "input", "output") if isinstance(data.get(k), str)]
    if fmt == "prompt-completion":
        keys = ((fields.prompt or "prompt", "prompt"), (fields.target or "completion", "target"))
        return [TextField(k, _side(data.get(k)), side) for k, side in keys]
    if fmt == "preference":
        return [TextField(k, _side(data.get(k)), "target" if k == "chosen" else "prompt")
                for k in ("prompt", "instruction", "chosen", "rejected") if k in data]
    if fmt == "classification":
        return [TextField("text", record.prompt, "prompt")]
    return [TextField("prompt", record.prompt, "prompt"), TextField("target", record.target, "target")]


def _side(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return message_text(value.get("content", value.get("value")))
    if isinstance(value, list):
        return "\n".join(message_text(m.get("content", m.get("value"))) if isinstance(m, Mapping) else str(m)
                         for m in value)
    return "" if value is None else str(value)


# ---- JSON error hints --------------------------------------------------------------------------------------------

def scan_json(raw: str, depth: int = 0, in_string: bool = False) -> tuple[int, bool, list[int]]:
    """Bracket depth at the end, whether a string is left open, and offsets of ',' before '}' or ']' (outside
    strings), starting from a carried state. A character scan: the text is never evaluated."""
    escaped, trailing = False, []
    last_comma = None
    for i, ch in enumerate(raw):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string, last_comma = True, None
        elif ch in "{[":
            depth, last_comma = depth + 1, None
        elif ch in "}]":
            if last_comma is not None:
                trailing.append(last_comma)
            depth, last_comma = depth - 1, None
        elif ch == ",":
            last_comma = i
        elif not ch.isspace():
            last_comma = None
    return depth, in_string, trailing


PY_SINGLE_QUOTED_KEY = re.compile(r"[{,]\s*'[^'\\\n]{0,200}'\s*:")
PY_CONSTANT = re.compile(r"[:\[,]\s*(True|False|None)\s*[,}\]]")


def json_hint(raw: str, error: str) -> str:
    """A short hint naming a recognisable cause of a JSON error on a line that starts a record, or ''."""
    text = raw.strip()
    if PY_SINGLE_QUOTED_KEY.search(text) or (text.startswith("{'") and PY_CONSTANT.search(text)):
        return "looks like a Python dict (single quotes, True/None): write records with json.dumps, not str()"
    if PY_CONSTANT.search(text) and "Expecting value" in error:
        return "Python True/False/None where JSON needs true/false/null"
    if "Invalid control character" in error:
        return "a raw tab, newline or control character inside a string: escape it (\\t, \\n)"
    depth, open_string, trailing = scan_json(text)
    if trailing:
        return f"trailing comma at column {trailing[0] + 1}"
    if len(raw) >= RAW_KEEP:
        return ""  # only the start of a long line is kept: its brackets cannot be judged
    if text in ("{", "["):
        return "a pretty-printed record: JSON Lines needs each record on one line (json.dumps without indent)"
    if open_string or depth > 0:
        return "record is cut short and continues on the next line: a raw newline inside a string? (write it as \\n)"
    if "Extra data" in error:
        return "more than one JSON value on the line"
    return ""


@dataclass
class SplitRecord:
    """The state of a record spread over several failing lines: where it started and its open brackets."""

    start: int | None = None
    depth: int = 0
    in_string: bool = False

    @property
    def open(self) -> bool:
        return self.start is not None and (self.depth > 0 or self.in_string)

    def feed(self, raw: str, line: int | None) -> None:
        if len(raw) >= RAW_KEEP:  # a cut line: its bracket balance is unknown, so it neither opens nor continues
            self.start = None
            return
        if not self.open:
            self.start, self.depth, self.in_string = line, 0, False
        self.depth, self.in_string, _ = scan_json(raw.strip(), self.depth, self.in_string)


# ---- the structural check ----------------------------------------------------------------------------------------

class FormatCheck(Check):
    """Rows, files and records against their format and the selected trainer profile."""

    name = "format"
    rules = STRUCTURE_RULES + CONVERSATION_RULES + PREFERENCE_RULES
    # F011 and F026 judge a record against its file: the first pass counts each file's conversations with a system
    # prompt (and gives every file's format), the second judges rows and records.
    streaming = True

    def __init__(self, options: Any = None):
        super().__init__(options)
        self.reset()

    def reset(self) -> None:
        self._system: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # path -> [conversations, with system]
        self._rows: Counter[str] = Counter()  # rows per path, for F010
        self._blank: Counter[str] = Counter()
        self._split = SplitRecord()  # a record split across lines spans chunks

    def run(self, rows: list[Row], records: list[Record], sources: list[Any], profile: Any,
            config: Any) -> Iterator[Finding | Metric]:
        self.reset()
        self.observe(records)
        yield from self.run_chunk(rows, records, sources, profile, config)
        yield from self.finish(sources, profile)

    def observe(self, records: list[Record]) -> None:
        """First pass: how many conversations of each file have a system prompt (F026)."""
        for rec in records:
            has = system_prompt(rec)
            if has is not None:
                counts = self._system[rec.path]
                counts[0] += 1
                counts[1] += has

    def run_chunk(self, rows: list[Row], records: list[Record], sources: list[Any], profile: Any,
                  config: Any) -> Iterator[Finding | Metric]:
        yield from self.row_findings(rows)
        yield from self.mixed_formats(rows, {s.info.path: s.info.format for s in sources})
        for rec in records:
            yield from self.profile_keys(rec, profile)
            turns = conversation(rec)
            if turns is not None:
                yield from self.conversation_findings(rec, turns, profile)
                yield from self.missing_system(rec)
            elif rec.format == "preference":
                yield from self.preference_findings(rec)
            yield from self.empty_target(rec)

    def finish(self, sources: list[Any], profile: Any) -> Iterator[Finding | Metric]:
        infos = [s.info for s in sources]
        yield from self.file_findings(infos, profile)
        yield Metric("F.profile", {info.path: profile.name for info in infos})

    # -- rows
    def row_findings(self, rows: list[Row]) -> Iterator[Finding]:
        split = self._split
        for row in rows:
            kind = row.error_kind
            self._rows[row.path] += 1
            if kind == JSON:
                if split.open:
                    hint = f"continuation of the record that starts on line {split.start}"
                else:
                    hint = json_hint(row.raw or "", row.error or "")
                split.feed(row.raw or "", row.line)
                error = (row.error or "").removeprefix("invalid JSON: ")
                yield self.finding("F001", row, error=error, hint=f" ({hint})" if hint else "",
                                   details={"column": (row.error_offset or 0) + 1, "hint": hint})
                continue
            if kind != BLANK:  # an empty line inside a split string does not end the record
                split = self._split = SplitRecord()
            if kind == ENCODING:
                hint = " (the file may be Latin-1 or Windows-1252: re-encode it as UTF-8)"
                yield self.finding("F002", row, error=row.error, hint=hint, details={"byte": row.error_offset})
            elif kind == NOT_OBJECT:
                yield self.finding("F003", row, error=row.error)
            elif kind == UNKNOWN_FORMAT:
                yield self.finding("F004", row, error=row.error, hint=field_suggestion(row.value))
            elif kind == FIELD:
                yield self.finding("F005", row, field=row.error_field, error=row.error)
            elif kind == BLANK:
                self._blank[row.path] += 1
                yield self.finding("F006", row)
            elif kind is not None:
                yield self.finding("F005", row, field=row.error_field, error=row.error or kind)

    # -- files
    def mixed_formats(self, rows: list[Row], formats: dict[str, str]) -> Iterator[Finding]:
        """F011 on each record mapped with another format than its file's."""
        for row in rows:
            file_format = formats.get(row.path)
            if row.format and file_format and row.format != file_format and row.error_kind is None:
                yield self.finding("F011", row, fmt=row.format, file_format=file_format)

    def file_findings(self, infos: list[SourceInfo], profile: Any) -> Iterator[Finding]:
        for info in infos:
            notes = set(info.notes)
            for note, code in (("bom", "F007"), ("crlf", "F008"), ("no-final-newline", "F009")):
                if note in notes:
                    yield self.finding(code, None, path=info.path)
            rows, blank = self._rows[info.path], self._blank[info.path]
            if rows == blank:
                what = "file is empty" if not rows else f"file holds only {rows} blank line(s)"
                yield self.finding("F010", None, path=info.path, what=what)
                continue
            if info.format and info.format not in profile.formats:
                yield self.finding("F012", None, path=info.path, file_format=info.format, profile=profile.name,
                                   accepted=", ".join(profile.formats))

    # -- profile keys
    def profile_keys(self, rec: Record, profile: Any) -> Iterator[Finding]:
        if rec.format not in profile.formats:
            return  # the whole file is already reported (F012); its keys would only repeat that
        if profile.allowed_keys is not None:
            for key in rec.data:
                if key not in profile.allowed_keys:
                    yield self.finding("F013", rec, field=str(key), key=key, profile=profile.name)
        if profile.message_keys is not None and rec.format == "chat":
            for i, m in enumerate(rec.data.get("messages") or []):
                for key in m if isinstance(m, Mapping) else ():
                    if key not in profile.message_keys:
                        yield self.finding("F013", rec, field=f"messages[{i}].{key}", key=key, profile=profile.name)

    # -- conversations
    def conversation_findings(self, rec: Record, turns: list[Turn], profile: Any) -> Iterator[Finding]:
        yield from self.roles(rec, turns, profile)
        known = [t for t in turns if t.role is not None]
        if not any(t.role == "assistant" for t in known):
            yield self.finding("F021", rec, field=turns[0].field.split("[")[0] if turns else None)
        elif profile.require_assistant_last and known and known[-1].role != "assistant":
            yield self.finding("F022", rec, field=known[-1].field, role=known[-1].raw_role)
        if known and not any(t.role == "user" for t in known):
            yield self.finding("F027", rec, field=turns[0].field.split("[")[0])
        for prev, turn in zip(known, known[1:]):
            same = prev.role == turn.role and turn.role != "tool" and not prev.makes_call
            if same and not profile.allow_consecutive_same_role:
                yield self.finding("F023", rec, field=turn.field, role=turn.raw_role)
        for n, turn in enumerate(known):
            if turn.role == "system" and n > 0 and profile.system_first_only:
                yield self.finding("F024", rec, field=turn.field, turn=n + 1)
            if not turn.text.strip() and not turn.makes_call and turn.role != "tool":
                what = f"{turn.raw_role} message" if turn.text == "" else f"{turn.raw_role} message (whitespace only)"
                yield self.finding("F025", rec, field=f"{turn.field}.{turn.content_key}", what=what)
        yield from self.tool_calls(rec, turns)
        yield from self.weights(rec, turns, profile)

    def roles(self, rec: Record, turns: list[Turn], profile: Any) -> Iterator[Finding]:
        sharegpt = rec.format == "sharegpt"
        for turn in turns:
            accepted = profile.roles if not sharegpt else tuple(SHAREGPT_ROLES)
            ok = turn.role is not None and (sharegpt or turn.raw_role in profile.roles)
            if not ok:
                yield self.finding("F020", rec, field=f"{turn.field}.{'from' if sharegpt else 'role'}",
                                   role=turn.raw_role, profile=profile.name, accepted=", ".join(accepted))

    def tool_calls(self, rec: Record, turns: list[Turn]) -> Iterator[Finding]:
        call_ids: set[str] = set()
        calls_seen = False
        for turn in turns:
            for field, args in tool_arguments(turn):
                calls_seen = True
                problem = arguments_problem(args)
                if problem == "double":
                    yield self.finding("F029", rec, field=field)
                elif problem:
                    yield self.finding("F028", rec, field=field, error=problem)
            for call in _calls(turn.message) if turn.role == "assistant" else ():
                if isinstance(call, Mapping) and call.get("id") is not None:
                    call_ids.add(str(call["id"]))
            if turn.role == "tool":
                call_id = turn.message.get("tool_call_id")
                if not calls_seen:
                    yield self.finding("F030", rec, field=turn.field, why="")
                elif call_id is not None and call_ids and str(call_id) not in call_ids:
                    yield self.finding("F030", rec, field=f"{turn.field}.tool_call_id",
                                       why=f" (no call has id {call_id!r})")

    def weights(self, rec: Record, turns: list[Turn], profile: Any) -> Iterator[Finding]:
        for turn in turns:
            if "weight" not in turn.message:
                continue
            value = turn.message["weight"]
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value in profile.weight_values
            if not ok:
                yield self.finding("F031", rec, field=f"{turn.field}.weight", value=json.dumps(value),
                                   allowed="/".join(f"{v:g}" for v in profile.weight_values))

    def missing_system(self, rec: Record) -> Iterator[Finding]:
        """F026 on a conversation without a system prompt in a file where most conversations have one."""
        total, with_system = self._system[rec.path]
        if with_system * 2 > total and not system_prompt(rec):
            yield self.finding("F026", rec, field=_conversation_key(rec), with_system=with_system, total=total)

    # -- preference pairs
    def preference_findings(self, rec: Record) -> Iterator[Finding]:
        data = rec.data
        if "chosen_messages" in data:
            chosen_key, rejected_key = "chosen_messages", "rejected_messages"
            chosen = _last_assistant(data.get(chosen_key))
            rejected = _last_assistant(data.get(rejected_key))
        else:
            chosen_key = "preferred_output" if "preferred_output" in data else "chosen"
            rejected_key = "non_preferred_output" if "preferred_output" in data else "rejected"
            chosen, rejected = _side(data.get(chosen_key)), _side(data.get(rejected_key))
        if not rec.prompt.strip():
            yield self.finding("F040", rec, field=next((k for k in ("prompt", "input", "conversations",
                                                                     "instruction") if k in data), "prompt"))
        for key, text in ((chosen_key, chosen), (rejected_key, rejected)):
            if not text.strip():
                yield self.finding("F041", rec, field=key, side=key)
        if chosen.strip() and normalize_text(chosen) == normalize_text(rejected):
            yield self.finding("F042", rec, field=rejected_key)

    def empty_target(self, rec: Record) -> Iterator[Finding]:
        """Empty outputs of non-conversation formats (conversations are judged turn by turn)."""
        key = {"alpaca": "output", "prompt-completion": "completion"}.get(rec.format)
        if key and not rec.target.strip():
            yield self.finding("F025", rec, field=key, what=key)


PROMPT_KEYS = ("instruction", "question", "prompt", "query", "input", "source", "context", "src")
TARGET_KEYS = ("response", "answer", "output", "completion", "target", "reply", "sql", "tgt", "summary")


def field_suggestion(value: Any) -> str:
    """For an unknown record: the [tool.dslint.fields] mapping its keys suggest, or ''."""
    if not isinstance(value, Mapping):
        return ""
    keys = {str(k).lower(): str(k) for k in value}
    prompt = next((keys[k] for k in PROMPT_KEYS if k in keys), None)
    target = next((keys[k] for k in TARGET_KEYS if k in keys and keys[k] != prompt), None)
    if not prompt or not target:
        return ""
    return f'; map them in [tool.dslint.fields]: prompt = "{prompt}", target = "{target}"'


def _conversation_key(rec: Record) -> str:
    return "messages" if rec.format == "chat" else "conversations"


def _last_assistant(messages: Any) -> str:
    if not isinstance(messages, list):
        return _side(messages)
    for m in reversed(messages):
        if isinstance(m, Mapping) and m.get("role") == "assistant":
            return message_text(m.get("content"))
    return ""


def _calls(message: Mapping[str, Any]) -> list[Any]:
    calls = message.get("tool_calls")
    return calls if isinstance(calls, list) else []


def tool_arguments(turn: Turn) -> Iterator[tuple[str, Any]]:
    """(field path, raw arguments) of every call a turn makes."""
    m = turn.message
    for j, call in enumerate(_calls(m)):
        fn = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(fn, Mapping) and "arguments" in fn:
            yield f"{turn.field}.tool_calls[{j}].function.arguments", fn["arguments"]
    fc = m.get("function_call")
    if isinstance(fc, Mapping) and "arguments" in fc:
        yield f"{turn.field}.function_call.arguments", fc["arguments"]
    if turn.raw_role == "function_call":  # ShareGPT: the whole value is {"name": ..., "arguments": ...}
        value = m.get(turn.content_key)
        try:
            call = json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError as exc:
            yield f"{turn.field}.{turn.content_key}", value
            return
        if isinstance(call, Mapping) and "arguments" in call:
            yield f"{turn.field}.{turn.content_key}", call["arguments"]


def arguments_problem(args: Any) -> str:
    """'' when the arguments are a JSON object (or a string holding one), 'double' when encoded twice, else why."""
    if isinstance(args, Mapping):
        return ""
    if not isinstance(args, str):
        return f"expected a JSON string, got {type(args).__name__}"
    try:
        value = json.loads(args)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at column {exc.colno}"
    if isinstance(value, str):
        try:
            json.loads(value)
        except json.JSONDecodeError:
            return "a JSON string, not an object"
        return "double"
    if not isinstance(value, Mapping):
        return f"a JSON {type(value).__name__}, not an object"
    return ""


# ---- content that is not really content --------------------------------------------------------------------------

# `${{ x }}` is GitHub Actions syntax, not a template left unrendered.
DOUBLE_BRACE = re.compile(r"(?<!\$)\{\{\s*[A-Za-z_][\w.]*\s*\}\}")
# Single braces: a word of 4+ characters, so math such as {x_n} or {i} is not taken for a placeholder.
SINGLE_BRACE = re.compile(r"(?<![\w\\${^_])\{(?![A-Za-z]_)[A-Za-z_][A-Za-z0-9_]{3,}\}(?!\})")
CODE_HINTS = re.compile(r"```|\bdef |\bfunction\b|=>|\bprint\(|\breturn\b|f\"|f'|\.format\(|\\[a-z]+\{|\$\{|"
                        r"#include|\bclass |\bconst |\blet |\bvar |;\s*$", re.M)
NO_INPUT = re.compile(r"<\s*no\s*_?\s*input\s*>", re.I)
NO_INPUT_VALUES = {"noinput", "none", "na", "null", "nil", "empty", "blank", "noinputrequired", "noinputneeded",
                   "noinputprovided", "notapplicable"}
NO_INPUT_LONGEST = max(map(len, NO_INPUT_VALUES))
PLACEHOLDER_TARGETS = {"na", "none", "null", "nil", "todo", "tbd", "nooutput", "noanswer", "placeholder", "xxx",
                       "undefined", "nan"}
PUNCTUATION_PLACEHOLDERS = {"...", "…", "-", "--", "?", "??", "???", "<nooutput>", ".", "_"}
REFUSALS = re.compile(
    r"\bas an ai(?: language)? model\b|\bi(?:'m| am) (?:just )?an ai(?: language model)?\b"
    r"|\bi(?:'m| am) sorry,? but i (?:cannot|can't|can not|am not able to|won't)\b"
    r"|\bi (?:cannot|can't) (?:fulfill|comply with|assist with|help with) (?:this|that|your) request\b"
    r"|\bi (?:cannot|can't) (?:browse|access) the internet\b"
    r"|\bmy (?:knowledge cutoff|training data) (?:is|goes up to)\b", re.I)


NON_ALNUM = re.compile(r"[^0-9a-z]+")
NOT_ALNUM_BYTES = bytes(c for c in range(256) if not (48 <= c <= 57 or 97 <= c <= 122))
# An exact pre-filter: REFUSALS cannot match an ASCII text whose lower case holds none of these (non-ASCII texts
# always go to the regex, whose case-insensitive matching also accepts letters such as U+0130 for "i").
REFUSAL_WORDS = ("an ai", "sorry", "i can", "my knowledge", "my training")


def alnum_key(text: str) -> str:
    """The casefolded text without anything but 0-9 and a-z (bytes.translate on ASCII text: no regex)."""
    if text.isascii():
        return text.encode().lower().translate(None, NOT_ALNUM_BYTES).decode()
    return NON_ALNUM.sub("", text.casefold())


def short_alnum_key(text: str, limit: int) -> str | None:
    """alnum_key(text) when it has at most `limit` characters, else None (decided on a prefix when possible:
    the key of a prefix is a prefix of the key)."""
    if len(text) > 4 * limit and len(alnum_key(text[:4 * limit])) > limit:
        return None
    key = alnum_key(text)
    return key if len(key) <= limit else None


def template_placeholder(text: str) -> str | None:
    """The first unrendered placeholder in text ({{x}} always; {x} only where the text is not code/LaTeX)."""
    if "{" not in text:
        return None
    m = DOUBLE_BRACE.search(text)
    if m:
        return m.group(0)
    m = SINGLE_BRACE.search(text)
    if m and not CODE_HINTS.search(text):
        return m.group(0)
    return None


def is_placeholder_input(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and (("<" in stripped and bool(NO_INPUT.search(stripped)))
                               or short_alnum_key(stripped, NO_INPUT_LONGEST) in NO_INPUT_VALUES)


def placeholder_target(text: str) -> bool:
    stripped = text.strip()
    if not stripped:
        return False
    return stripped.casefold() in PUNCTUATION_PLACEHOLDERS or (len(stripped) <= 20 and
                                                                alnum_key(stripped) in PLACEHOLDER_TARGETS)


def repeated_share(text: str, n: int = 5, floor: float = 0.0) -> tuple[float, int, str]:
    """Share of the text's n-grams that repeat an earlier one, the n used, and the most repeated n-gram.

    Words when the text has enough of them; characters (n*4) for text written without spaces (Chinese, Japanese,
    or one glued run), so that is judged too. Short spaced text is never judged: a list of labels is not a loop.
    """
    words = text.split()
    if len(words) >= 4 * n:
        units, size, joiner = words, n, " "
    elif len(text) > 12 * max(1, len(words)):
        units, size, joiner = list(text), n * 4, ""
    else:
        return 0.0, n, ""
    if len(units) < 4 * size:
        return 0.0, size, ""
    # Each repeated n-gram starts on a unit seen before, so (units - distinct units) bounds the repeats: a text of
    # mostly distinct words cannot reach `floor` and is not counted at all.
    if floor and (len(units) - len(set(units))) / (len(units) - size + 1) < floor:
        return 0.0, size, ""
    grams = Counter(tuple(units[i:i + size]) for i in range(len(units) - size + 1))
    total = sum(grams.values())
    repeats = total - len(grams)
    top = grams.most_common(1)[0][0]
    return repeats / total, size, joiner.join(top)


def refusal(text: str) -> re.Match[str] | None:
    """The first canned refusal phrase in text, if any."""
    if text.isascii():
        low = text.lower()
        if not any(word in low for word in REFUSAL_WORDS):
            return None
    return REFUSALS.search(text)


def mojibake(text: str) -> tuple[str, str] | None:
    """(bad sample, fixed sample) when ftfy finds mojibake in text, else None."""
    if text.isascii():
        return None
    from ftfy import fix_text
    from ftfy.badness import is_bad

    if not is_bad(text):
        return None
    fixed = fix_text(text)
    if fixed == text:
        return None
    start = next((i for i, (a, b) in enumerate(zip(text, fixed)) if a != b), 0)
    return text[max(0, start - 10):start + 20], fixed[max(0, start - 10):start + 20]


class ContentCheck(Check):
    """Text that is not real content: placeholders, loops, canned refusals, mojibake."""

    name = "content"
    rules = CONTENT_RULES
    streaming = True  # each record is judged alone

    @dataclass(frozen=True)
    class Options:
        min_repeat_share: float = 0.5
        repeat_ngram: int = 5

    def run(self, records: list[Record], config: Any) -> Iterator[Finding]:
        fields = config.field_map
        for rec in records:
            for tf in text_fields(rec, fields):
                yield from self.judge(rec, tf)

    def judge(self, rec: Record, tf: TextField) -> Iterator[Finding]:
        text = tf.text
        if not text:
            return
        placeholder = template_placeholder(text)
        if placeholder:
            yield self.finding("F050", rec, field=tf.field, placeholder=placeholder)
        if tf.side == "prompt" and is_placeholder_input(text):
            yield self.finding("F051", rec, field=tf.field, value=text.strip()[:40])
        if tf.side == "target":
            yield from self.judge_target(rec, tf)
        bad = mojibake(text)
        if bad:
            yield self.finding("F055", rec, field=tf.field, sample=bad[0], fixed=bad[1])

    def judge_target(self, rec: Record, tf: TextField) -> Iterator[Finding]:
        text = tf.text
        if placeholder_target(text):
            yield self.finding("F052", rec, field=tf.field, value=text.strip())
        share, n, top = repeated_share(text, self.options.repeat_ngram, self.options.min_repeat_share)
        if share >= self.options.min_repeat_share:
            yield self.finding("F053", rec, field=tf.field, share=share, n=n, score=round(share, 4),
                               details={"ngram": top[:80]})
        m = refusal(text)
        if m:
            yield self.finding("F054", rec, field=tf.field, phrase=m.group(0))


# ---- the summary: F.invalid_share -----------------------------------------------------------------------------

class InvalidShareCheck(Check):
    """After every F check: the share of rows that are unusable, as a metric and one dataset-level note."""

    name = "format-summary"
    rules = SUMMARY_RULES
    late = True
    streaming = True  # counts per chunk; a row and its findings are always in the same chunk
    _rows = _invalid = 0

    def run(self, rows: list[Row], prior_findings: list[Finding]) -> Iterator[Finding | Metric]:
        self._rows = self._invalid = 0
        yield from self.run_chunk(rows, prior_findings)
        yield from self.finish()

    def run_chunk(self, rows: list[Row], prior_findings: list[Finding]) -> Iterator[Finding | Metric]:
        counted = [r for r in rows if r.error_kind != BLANK]
        bad = {r.index for r in counted if r.error_kind is not None}
        bad |= {f.location.record for f in prior_findings
                if f.code.startswith("F") and f.severity >= Severity.ERROR and f.location.record is not None}
        self._rows += len(counted)
        self._invalid += len(bad)
        return iter(())

    def finish(self) -> Iterator[Finding | Metric]:
        share = self._invalid / self._rows if self._rows else 0.0
        yield Metric("F.invalid_share", share)
        if self._invalid:
            yield self.finding("F090", None, invalid=self._invalid, rows=self._rows, share=share,
                               score=round(share, 4))


CHECKS = (FormatCheck, ContentCheck, InvalidShareCheck)

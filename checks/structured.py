"""F family, structured targets: every JSON or SQL answer parses (and fits its JSON Schema); in auto mode the
minority that breaks the majority's structure is flagged. sqlglot and jsonschema are imported only when used."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterator

from dslint.check import Check
from dslint.data import Record
from dslint.errors import ConfigError, SkipCheck
from dslint.model import Finding, Metric, Rule, Severity

from .format import doc

TARGET_FORMATS = ("none", "auto", "json", "sql")
FENCE = re.compile(r"^\s*```[\w-]*\s*\n(.*?)\n?```\s*$", re.S)
SQL_START = re.compile(r"^\s*\(*\s*(select|with|insert|update|delete|create|drop|alter|replace|pragma)\b", re.I)

OPTIONS_DOC = ("`target-format` = \"auto\" (default) | \"none\" | \"json\" | \"sql\"; `json-schema` = path to a JSON "
               "Schema every JSON target must satisfy (relative to the config file); `sql-dialect` = a sqlglot "
               "dialect (default \"sqlite\"; \"\" for sqlglot's generic one); `strip-fences` (default true) reads "
               "the body of a ```json fence; `auto-majority` (default 0.8) and `auto-min-records` (default 10) "
               "decide when a set counts as structured in auto mode.")

RULES = (
    Rule("F060", "invalid-json-target", "answer is not valid JSON: {error}", Severity.ERROR,
         "A target that should be JSON and does not parse",
         doc("With `target-format = \"json\"`, reports every target that the standard JSON parser rejects.",
             "Training on broken JSON teaches the model to emit broken JSON.",
             "`{\"name\": \"Ada\", }`", OPTIONS_DOC)),
    Rule("F061", "json-schema-violation", "answer does not match the JSON Schema: {error}", Severity.ERROR,
         "A JSON target that violates the configured JSON Schema",
         doc("With `json-schema` set, validates each JSON target with jsonschema and reports the first violation, "
             "with its path inside the answer.", "The model learns outputs your consumer will reject.",
             "`{\"age\": \"forty\"}` against `{\"properties\": {\"age\": {\"type\": \"integer\"}}}`", OPTIONS_DOC)),
    Rule("F062", "invalid-sql-target", "answer is not valid {dialect} SQL: {error}", Severity.ERROR,
         "A target that should be SQL and does not parse",
         doc("With `target-format = \"sql\"`, parses every target with sqlglot in `sql-dialect` and reports syntax "
             "errors, and text that parses to no SQL statement. Only syntax is judged: tables and columns are not "
             "checked against a schema.", "A text-to-SQL model trained on broken queries writes broken queries.",
             "`SELECT name FROM singer WHERE`", OPTIONS_DOC)),
    Rule("F063", "inconsistent-target-format", "answer is {kind}, while {share:.0%} of answers in this file are "
         "{majority}", Severity.WARNING, "A target that breaks the structure most targets share",
         doc("With `target-format = \"auto\"`, when most targets of a file are JSON (or SQL), reports those that "
             "are not (or do not parse).", "That inconsistency is exactly what teaches a model to break its "
             "format now and then.", "Nine JSON answers and one `Sure! Here is the JSON: {...}`.", OPTIONS_DOC)),
)


def unfence(text: str) -> str:
    """The body of a single ``` fence (```json ... ```), or the text unchanged."""
    m = FENCE.match(text)
    return m.group(1) if m else text


def json_error(text: str) -> tuple[Any, str]:
    """(parsed value, '') or (None, why it does not parse)."""
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as exc:
        return None, f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    except RecursionError:
        return None, "nested too deeply"


def sql_error(text: str, dialect: str | None) -> str:
    """'' when sqlglot parses the text into SQL statements in `dialect`, else the reason."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    if not text.strip():
        return "empty"
    try:
        statements = sqlglot.parse(text, read=dialect or None, error_level=sqlglot.ErrorLevel.RAISE)
    except SqlglotError as exc:
        return _first_line(str(exc))
    except (RecursionError, ValueError) as exc:
        return _first_line(str(exc)) or type(exc).__name__
    statements = [s for s in statements if s is not None]
    if not statements:
        return "no SQL statement"
    statement_types = (exp.Query, exp.DML, exp.DDL, exp.Pragma, exp.Transaction, exp.Use, exp.Set)
    for s in statements:
        if not isinstance(s, statement_types):
            return f"parses only as a bare {type(s).__name__.lower()} expression, not a statement"
    if (dialect or "") not in FROM_FIRST_DIALECTS and _implicit_selects(text, statements, dialect):
        return "FROM without SELECT (a doubled or misplaced FROM)"
    return ""


# Dialects where `FROM t` alone is a query; elsewhere sqlglot's lenient reading of it hides a syntax error.
FROM_FIRST_DIALECTS = ("duckdb",)


def _implicit_selects(text: str, statements: list[Any], dialect: str | None) -> bool:
    """Whether sqlglot built more SELECTs than the text has SELECT keywords (FROM-first syntax it inferred)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.tokens import TokenType

    written = sum(1 for t in sqlglot.tokenize(text, read=dialect or None) if t.token_type == TokenType.SELECT)
    built = sum(1 for s in statements for _ in s.find_all(exp.Select))
    return built > written


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:200] if message.strip() else ""


def classify(text: str, dialect: str | None) -> str:
    """'json' (an object or array), 'sql' (a statement that parses), or 'text'."""
    value, err = json_error(text.strip())
    if not err and isinstance(value, (dict, list)):
        return "json"
    if SQL_START.match(text) and not sql_error(text, dialect):
        return "sql"
    return "text"


def looks_like(text: str) -> str:
    """What a target tries to be, parse or not: json, sql or text (used to name the minority in messages)."""
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        return "json"
    if SQL_START.match(stripped):
        return "sql"
    return "text"


class StructuredTargetCheck(Check):
    """Targets that must be JSON (optionally schema-valid) or SQL actually parse."""

    name = "structured-targets"
    rules = RULES
    streaming = True  # in auto mode, the first pass counts each file's kinds of answer (F063 judges the minority)

    @dataclass(frozen=True)
    class Options:
        target_format: str = "auto"
        json_schema: str | None = None
        sql_dialect: str | None = "sqlite"
        strip_fences: bool = True
        auto_majority: float = 0.8
        auto_min_records: int = 10

    def __init__(self, options: Any = None):
        super().__init__(options)
        self.reset()

    def reset(self) -> None:
        self._targets = self._bad = 0
        self._validator: Any = None
        self._kinds: dict[str, dict[str, list[int]]] = {}  # auto: path -> kind -> [answers, first record index]
        self._answers: Counter[str] = Counter()  # auto: answers per path
        self._kind_of = bytearray()  # auto: each answer's kind by record index, so that it is classified once
        self._majority: dict[str, tuple[str, float] | None] = {}

    def run(self, records: list[Record], config: Any) -> Iterator[Finding | Metric]:
        self.reset()
        if self.observes():
            self.observe(records, config)
        yield from self.run_chunk(records, config)
        yield from self.finish()

    def mode(self) -> str:
        mode = self.options.target_format
        if mode not in TARGET_FORMATS:
            raise ConfigError(f"unknown target-format {mode!r} for check '{self.name}' "
                              f"(choose from {', '.join(TARGET_FORMATS)})")
        if mode == "none":
            raise SkipCheck("no structured targets configured (set target-format = \"json\", \"sql\" or \"auto\" "
                            "in [tool.dslint.checks.structured-targets])")
        return mode

    def observes(self) -> bool:
        return self.options.target_format == "auto"  # only F063 judges an answer against its file

    def observe(self, records: list[Record], config: Any) -> None:
        """First pass (auto mode): the kind of every answer, counted per file."""
        self.mode()
        dialect = self.options.sql_dialect or None
        kind_of, code = self._kind_of, {k: n for n, k in enumerate(KINDS)}
        strip = self.options.strip_fences
        for rec in records:
            target = rec.target
            if not target.strip():
                continue
            kind = classify(unfence(target) if strip else target, dialect)
            if rec.index >= len(kind_of):
                kind_of.extend(bytes(rec.index + 1 - len(kind_of) + len(kind_of) // 2))
            kind_of[rec.index] = code[kind]
            self._answers[rec.path] += 1
            entry = self._kinds.setdefault(rec.path, {}).setdefault(kind, [0, rec.index])
            entry[0] += 1
            if rec.index < entry[1]:  # a row read with its file's format comes after the others in a first pass
                entry[1] = rec.index

    def run_chunk(self, records: list[Record], config: Any) -> Iterator[Finding | Metric]:
        mode = self.mode()
        with_target = [rec for rec in records if rec.target.strip()]
        self._targets += len(with_target)
        if mode == "auto":
            kind_of, majority = self._kind_of, self.majority
            for rec in with_target:
                found = majority(rec.path)
                if found is not None and KINDS[kind_of[rec.index]] != found[0]:
                    yield self.minority(rec, found, config)
            return
        if with_target and mode == "json" and self._validator is None:
            self._validator = self.schema_validator(config) or False  # a bad schema: an error once there are answers
        for rec in with_target:
            yield from self.check_json(rec, config) if mode == "json" else self.check_sql(rec, config)

    def finish(self) -> Iterator[Finding | Metric]:
        if not self._targets:
            raise SkipCheck("no record has a target to parse")
        yield Metric("F.structured_invalid", self._bad)

    def target(self, rec: Record) -> str:
        return unfence(rec.target) if self.options.strip_fences else rec.target

    def target_field(self, rec: Record, config: Any) -> str:
        from .format import conversation, target_turn

        turns = conversation(rec)
        if turns is not None:
            last = target_turn(turns)
            return f"{last.field}.{last.content_key}" if last else "target"
        completion = config.field_map.target or "completion"
        fields = {"alpaca": "output", "prompt-completion": completion, "preference": "chosen"}
        return fields.get(rec.format, "target")

    def schema_validator(self, config: Any) -> Any:
        path = self.options.json_schema
        if not path:
            return None
        from jsonschema import validators
        from jsonschema.exceptions import SchemaError

        resolved = config.resolve_path(path)
        try:
            with open(resolved, encoding="utf-8") as fh:
                schema = json.load(fh)
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"json-schema {resolved}: cannot read a JSON Schema ({exc})") from None
        cls = validators.validator_for(schema)
        try:
            cls.check_schema(schema)
        except SchemaError as exc:
            raise ConfigError(f"json-schema {resolved}: not a valid JSON Schema ({exc.message})") from None
        return cls(schema)

    def check_json(self, rec: Record, config: Any) -> Iterator[Finding]:
        value, err = json_error(self.target(rec).strip())
        if err:
            self._bad += 1
            yield self.finding("F060", rec, field=self.target_field(rec, config), error=err)
            return
        if self._validator:
            error = next(iter(sorted(self._validator.iter_errors(value), key=lambda e: list(e.path))), None)
            if error is not None:
                self._bad += 1
                where = "/".join(str(p) for p in error.absolute_path)
                message = f"{error.message} at /{where}" if where else error.message
                yield self.finding("F061", rec, field=self.target_field(rec, config), error=message[:300],
                                   details={"path": where})

    def check_sql(self, rec: Record, config: Any) -> Iterator[Finding]:
        dialect = self.options.sql_dialect or None
        err = sql_error(self.target(rec), dialect)
        if err:
            self._bad += 1
            yield self.finding("F062", rec, field=self.target_field(rec, config), error=err, dialect=dialect or "generic")

    def minority(self, rec: Record, majority: tuple[str, float], config: Any) -> Finding:
        """F063 on an answer that is not of the structure most of its file's answers share."""
        self._bad += 1
        kind, share = majority
        attempt = looks_like(self.target(rec))
        what = f"{attempt} that does not parse" if attempt == kind else attempt
        return self.finding("F063", rec, field=self.target_field(rec, config), kind=what, share=share,
                            majority=kind, details={"majority": kind})

    def majority(self, path: str) -> tuple[str, float] | None:
        """The structure most answers of a file share and their share, or None when the file is not structured."""
        if path not in self._majority:
            structured = {k: v for k, v in self._kinds.get(path, {}).items() if k != "text"}
            answers = self._answers[path]
            found = None
            if structured and answers >= self.options.auto_min_records:
                # ties go to the kind seen first in the file, as Counter.most_common over the records in order
                kind, (n, _) = max(structured.items(), key=lambda kv: (kv[1][0], -kv[1][1]))
                if n / answers >= self.options.auto_majority:
                    found = (kind, n / answers)
            self._majority[path] = found
        return self._majority[path]


KINDS = ("text", "json", "sql")  # classify()'s answers, by their byte in StructuredTargetCheck._kind_of


CHECKS = (StructuredTargetCheck,)

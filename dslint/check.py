"""The Check base class: a small class with rules, options and a run() whose parameter names are its inputs."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, ClassVar, Iterable, Iterator

from .data import Record, Row
from .model import Finding, Location, Metric, Rule, Severity, stable_hash


@dataclasses.dataclass(frozen=True)
class NoOptions:
    pass


class Check:
    """Subclass, set `name`, `rules` (and `Options`), and implement `run(self, <artifact names>...)`.

    `run` yields Finding and Metric objects. Its parameter names are the artifacts it needs (see
    dslint.artifacts: rows, records, texts, prompts, targets, labels, embeddings, neighbors, ...), so a unit test
    calls `check.run(records=[...])` directly and the engine computes only what the selected checks ask for.
    Raise dslint.errors.SkipCheck(reason) when the check does not apply to the data.
    """

    name: ClassVar[str] = ""
    rules: ClassVar[tuple[Rule, ...]] = ()
    Options: ClassVar[type] = NoOptions
    # Run after every other check and receive `prior_findings` (and `prior_metrics`): for checks that judge what
    # others found.
    late: ClassVar[bool] = False
    # Streaming: run_chunk() on consecutive chunks of rows and records, then finish() once, yields exactly what run()
    # yields over the whole set (findings of a record depend only on that record; dataset-level findings and every
    # metric come from finish()). When every selected check streams, the engine reads a file in chunks and never
    # holds it whole. A late streaming check gets the chunk's earlier findings as `prior_findings`.
    streaming: ClassVar[bool] = False
    # Streaming checks that judge a record against its whole file (a majority, a share) also define observe(): the
    # engine then reads the input twice, calling observe() on every chunk of the first pass (keep the per-file facts
    # on the instance, a few bytes per record at most) before run_chunk() sees any chunk of the second pass. In the
    # second pass run_chunk() may also ask for `sources`: every file's SourceInfo (format, notes, counts), no rows.

    def __init__(self, options: Any = None):
        self.options = options if options is not None else self.Options()
        self._rules = {r.code: r for r in self.rules}

    # ---- introspection used by the engine ----
    @classmethod
    def inputs(cls) -> tuple[str, ...]:
        params = inspect.signature(cls.run).parameters
        return tuple(n for n, p in params.items() if n != "self" and p.kind is not p.VAR_KEYWORD)

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        return tuple(r.code for r in cls.rules)

    def run(self, **artifacts: Any) -> Iterable[Finding | Metric]:
        raise NotImplementedError(f"{type(self).__name__}.run")

    def run_chunk(self, **artifacts: Any) -> Iterable[Finding | Metric]:
        """Streaming checks: the findings of one chunk (what finish() needs is kept on the instance).

        The default suits a check whose run() is row-local and yields no metric."""
        return self.run(**artifacts)

    def observe(self, **artifacts: Any) -> None:
        """Streaming checks that need whole-file facts: take them from one chunk of the first pass (parameter
        names are chunk artifacts, as for run_chunk). The default observes nothing and needs no first pass."""

    def observes(self) -> bool:
        """Whether the engine must give this check a first pass over the input (observe() is defined)."""
        return type(self).observe is not Check.observe

    def finish(self) -> Iterable[Finding | Metric]:
        """Streaming checks: the dataset-level findings and the metrics, after the last chunk."""
        return ()

    # ---- helpers for building findings ----
    def rule(self, code: str) -> Rule:
        return self._rules[code]

    def finding(self, code: str, record: Record | Row | None = None, *, field: str | None = None,
                score: float | None = None, related: Iterable[int] = (), details: dict[str, Any] | None = None,
                path: str | None = None, severity: Severity | None = None, **values: Any) -> Finding:
        """A finding for rule `code` about `record` (or the dataset when None); `values` fill the message."""
        rule = self._rules[code]
        if record is not None:
            loc = Location(record.path, record.index, record.line, field)
            base = getattr(record, "fingerprint", None) or _row_identity(record)
        else:
            loc = Location(path, None, None, field)
            base = path or "<dataset>"
        return Finding(
            code=code,
            message=rule.format(**values),
            severity=severity or rule.severity,
            location=loc,
            score=score,
            related=tuple(related),
            fingerprint=stable_hash(code, base, field or ""),
            check=self.name,
            details=details or {},
        )

    @staticmethod
    def metric(name: str, value: Any) -> Metric:
        return Metric(name, value)


def _row_identity(row: Row) -> str:
    """A row that is no record is known by its content when it has some (a baseline survives lines moving)."""
    if row.raw:
        return stable_hash(row.raw)
    if row.value is not None:
        from .data import canonical_json

        return stable_hash(canonical_json(row.value))
    return stable_hash(row.path, str(row.line or row.index))


def bind_options(check_cls: type[Check], values: dict[str, Any]) -> Any:
    """Build a check's Options from config keys (kebab-case or snake_case). Unknown keys raise KeyError(name)."""
    fields = {f.name: f for f in dataclasses.fields(check_cls.Options)} if dataclasses.is_dataclass(
        check_cls.Options) else {}
    kwargs = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in fields:
            raise KeyError(key)
        kwargs[name] = value
    return check_cls.Options(**kwargs)


def option_names(check_cls: type[Check]) -> list[str]:
    if not dataclasses.is_dataclass(check_cls.Options):
        return []
    return [f.name.replace("_", "-") for f in dataclasses.fields(check_cls.Options)]


def iter_rules(checks: Iterable[type[Check]]) -> Iterator[tuple[type[Check], Rule]]:
    for c in checks:
        for r in c.rules:
            yield c, r

"""Named, lazily computed, memoised inputs shared by checks (texts, labels, embeddings, neighbors, ...).

A provider is a function registered under an artifact name; its parameter names are the artifacts it needs.
Nothing is computed unless a selected check asks for it, and nothing is computed twice in a run. Providers that
need a model are marked heavy: `--fast` skips every check whose inputs reach one.

Per-record artifacts (texts, hashes, embeddings) are functions over lists of records; the global steps
(neighbour search, cross-validation) are separate providers, so the per-record part can be batched or
distributed later without touching the checks.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .data import Record, Row, Source
from .errors import SkipCheck


@dataclass(frozen=True)
class Provider:
    name: str
    func: Callable[..., Any]
    heavy: bool = False

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self.func).parameters)


PROVIDERS: dict[str, Provider] = {}


def provides(name: str, *, heavy: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a provider for artifact `name` (checks' modules may register their own at import)."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        PROVIDERS[name] = Provider(name, func, heavy)
        return func

    return register


class Artifacts:
    """The artifact store of one run: seeded values plus memoised provider results."""

    def __init__(self, seed: dict[str, Any]):
        # A provider that chooses its inputs at run time names `artifacts` and calls .get() (mark it heavy when
        # any choice is): e.g. the prompts' kNN graph is the texts' graph when every text is its prompt.
        self._values: dict[str, Any] = {**seed, "artifacts": self}
        self._failed: dict[str, SkipCheck] = {}
        # Seconds spent in each provider itself (its inputs' time, even when fetched inside it through
        # `artifacts`, is counted under their own names).
        self.timings: dict[str, float] = {}
        self._inner: list[list[float]] = []  # wall and CPU seconds of providers run inside the running one

    def get(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        if name in self._failed:
            raise self._failed[name]
        provider = PROVIDERS.get(name)
        if provider is None:
            raise KeyError(f"no provider for artifact '{name}'")
        try:
            kwargs = {n: self.get(n) for n in provider.inputs}
            start = clock()
            self._inner.append([0.0, 0.0])
            try:
                value = provider.func(**kwargs)
            finally:
                inner = self._inner.pop()
            record_time(self.timings, name, start)
            self._exclude(name, inner)
        except SkipCheck as exc:
            self._failed[name] = exc  # e.g. a missing model: every check that needs it is skipped once, same reason
            raise
        self._values[name] = value
        return value

    def _exclude(self, name: str, inner: list[float]) -> None:
        """Count a provider's time once: not again in the provider that fetched it while running."""
        wall, cpu = self.timings[name], self.timings[f"cpu.{name}"]
        self.timings[name], self.timings[f"cpu.{name}"] = wall - inner[0], cpu - inner[1]
        if self._inner:
            self._inner[-1][0] += wall
            self._inner[-1][1] += cpu

    def computed(self, name: str) -> bool:
        return name in self._values

    def set(self, name: str, value: Any) -> None:
        self._values[name] = value


def clock() -> tuple[float, float]:
    """Wall and process CPU seconds now (on a busy machine the wall time of a step is mostly waiting)."""
    return time.perf_counter(), time.process_time()


def record_time(timings: dict[str, float], name: str, start: tuple[float, float]) -> None:
    """Store the wall seconds since `start` under `name` and the CPU seconds (all threads) under `cpu.<name>`."""
    wall, cpu = clock()
    timings[name] = wall - start[0]
    timings[f"cpu.{name}"] = cpu - start[1]


def needs_heavy(names: tuple[str, ...], seeded: set[str]) -> bool:
    """Whether computing these artifacts would reach a heavy (model) provider."""
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in seen or name in seeded:
            continue
        seen.add(name)
        provider = PROVIDERS.get(name)
        if provider is None:
            continue
        if provider.heavy:
            return True
        stack.extend(provider.inputs)
    return False


# ---- built-in providers ----------------------------------------------------------------------------------------

@provides("rows")
def _rows(sources: list[Source]) -> list[Row]:
    return [row for s in sources for row in s.rows]


@provides("records")
def _records(sources: list[Source]) -> list[Record]:
    return [rec for s in sources for rec in s.records]


@provides("eval_rows")
def _eval_rows(eval_sources: list[Source]) -> list[Row]:
    return [row for s in eval_sources for row in s.rows]


@provides("eval_records")
def _eval_records(eval_sources: list[Source]) -> list[Record]:
    return [rec for s in eval_sources for rec in s.records]


@provides("prompts")
def _prompts(records: list[Record]) -> list[str]:
    return [r.prompt for r in records]


@provides("targets")
def _targets(records: list[Record]) -> list[str]:
    return [r.target for r in records]


@provides("texts")
def _texts(records: list[Record]) -> list[str]:
    return [r.text for r in records]


@provides("labels")
def _labels(records: list[Record]) -> list[str | None]:
    return [r.label for r in records]


@provides("eval_texts")
def _eval_texts(eval_records: list[Record]) -> list[str]:
    return [r.text for r in eval_records]


@provides("embedder", heavy=True)
def _embedder(config: Any) -> Any:
    from .embed import load_embedder

    return load_embedder(config)


@provides("embeddings", heavy=True)
def _embeddings(texts: list[str], embedder: Any, embedding_cache: Any) -> np.ndarray:
    """L2-normalised float32 embeddings of `texts`, one row per record (cosine = inner product)."""
    from .embed import embed_texts

    return embed_texts(texts, embedder, embedding_cache)


@provides("prompt_embeddings", heavy=True)
def _prompt_embeddings(prompts: list[str], embedder: Any, embedding_cache: Any) -> np.ndarray:
    from .embed import embed_texts

    return embed_texts(prompts, embedder, embedding_cache)


@provides("eval_embeddings", heavy=True)
def _eval_embeddings(eval_texts: list[str], embedder: Any, embedding_cache: Any) -> np.ndarray:
    from .embed import embed_texts

    return embed_texts(eval_texts, embedder, embedding_cache)


@provides("embedding_cache")
def _embedding_cache(config: Any) -> Any:
    from .cache import open_cache

    return open_cache(config)


@dataclass(frozen=True)
class Neighbors:
    """k nearest neighbours of every record by cosine, self excluded: `indices[i, j]` (positions into records,
    -1 where there are fewer than k others) and `similarities[i, j]`, best first."""

    indices: np.ndarray
    similarities: np.ndarray


@provides("neighbors")
def _neighbors(embeddings: np.ndarray, config: Any) -> Neighbors:
    from .knn import knn

    return knn(embeddings, embeddings, config.neighbors_k, exclude_self=True)

"""F family, token length: per-record token counts (exact with a tokenizer, else a labelled estimate), findings for
examples longer than max-seq-len and for truncation that cuts into the answer. Also provides the `token_counts`
artifact that other families (the size check's token budget) reuse."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from collections.abc import Mapping, Sequence
from typing import Any, Iterator

from dslint.artifacts import provides
from dslint.check import Check
from dslint.data import Record
from dslint.errors import ConfigError, SkipCheck
from dslint.model import Finding, Metric, Rule, Severity

from .format import conversation, doc, target_turn

CHECK_NAME = "tokens"
TEMPLATE_NOTE = " with its chat template"
MESSAGE_OVERHEAD = 4  # role markers and separators per turn when no chat template renders the conversation
ESTIMATE = "estimate: 1 token per 4 ASCII characters, 1 per other character, +4 per turn"

OPTIONS_DOC = ("`tokenizer` = a tokenizer.json file or a local Hugging Face tokenizer folder (its "
               "tokenizer_config.json chat template is used for conversations when present; `chat-template = false` "
               "turns that off); without one, counts are an estimate (" + ESTIMATE + "), labelled as such. "
               "`max-seq-len` = the limit in tokens (default: the profile's, e.g. 65,536 for openai, 1,024 for trl).")

RULES = (
    Rule("F070", "too-long", "{total:,} tokens{how} exceeds max-seq-len {limit:,}: truncation cuts {cut}", Severity.WARNING, "An example longer than the trainer's max-seq-len",
         doc("Reports an example whose prompt and answer together exceed max-seq-len, and how much of the answer "
             "truncation would cut (trainers cut from the end, which is where the answer is).",
             "The model is trained on answers with their ending cut off, or the trainer drops the example.",
             "A 6,800-token answer checked against max-seq-len 4,096.", OPTIONS_DOC)),
    Rule("F071", "answer-truncated-away", "the prompt alone is {prompt:,} tokens{how}, max-seq-len is {limit:,}: "
         "truncation leaves nothing of the answer", Severity.ERROR,
         "An example whose prompt alone fills max-seq-len",
         doc("Reports an example whose prompt side alone reaches max-seq-len, so the whole answer is truncated "
             "away. Without a tokenizer (estimated counts) it is reported as a warning.", "The example trains on nothing (or on a prompt as if it were an answer).",
             "A 5,000-token document followed by a one-line summary, with max-seq-len 4,096.", OPTIONS_DOC)),
)


@dataclass(frozen=True, slots=True)
class TokenCount:
    """Tokens of one record: its prompt side, its answer (target) side and the total."""

    prompt: int
    target: int

    @property
    def total(self) -> int:
        return self.prompt + self.target


@dataclass(frozen=True)
class TokenCounts:
    """Per-record token counts aligned with the `records` artifact, and how they were obtained."""

    counts: tuple[TokenCount, ...]
    method: str  # "tokenizer <path>" or the estimate's description
    exact: bool

    def __len__(self) -> int:
        return len(self.counts)

    def __getitem__(self, i: int) -> TokenCount:
        return self.counts[i]

    def __iter__(self) -> Iterator[TokenCount]:
        return iter(self.counts)

    def totals(self) -> list[int]:
        return [c.total for c in self.counts]


# ---- estimate ----------------------------------------------------------------------------------------------------

def estimate_tokens(text: str) -> int:
    """The documented estimate: ceil(ASCII characters / 4) + one token per non-ASCII character."""
    ascii_chars = len(text) if text.isascii() else len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars)


def turn_sides(record: Record) -> tuple[list[str], list[str]]:
    """Prompt-side texts and answer-side texts of a record (one entry per turn for conversations)."""
    turns = conversation(record)
    if turns is None:
        return [record.prompt], [record.target] if record.target else []
    last = target_turn(turns)
    if last is None:
        return [t.text for t in turns], []
    cut = turns.index(last)
    return [t.text for t in turns[:cut]], [last.text]


def estimate_counts(records: Sequence[Record]) -> TokenCounts:
    out = []
    for rec in records:
        prompt, target = turn_sides(rec)
        overhead = MESSAGE_OVERHEAD if conversation(rec) is not None else 0
        out.append(TokenCount(sum(estimate_tokens(t) + overhead for t in prompt),
                              sum(estimate_tokens(t) + overhead for t in target)))
    return TokenCounts(tuple(out), ESTIMATE, exact=False)


# ---- exact counts with a tokenizer -----------------------------------------------------------------------------

@dataclass
class LoadedTokenizer:
    tokenizer: Any
    template: str | None
    special: dict[str, str]
    path: str


def load_tokenizer(path: str, use_template: bool = True) -> LoadedTokenizer:
    """A `tokenizers` tokenizer from tokenizer.json or a local HF folder, with its chat template if it has one."""
    from tokenizers import Tokenizer

    folder = path if os.path.isdir(path) else os.path.dirname(path)
    file = os.path.join(path, "tokenizer.json") if os.path.isdir(path) else path
    if not os.path.isfile(file):
        raise ConfigError(f"tokenizer {path}: no tokenizer.json there (a tokenizer.json file or a local Hugging Face "
                          f"tokenizer folder is expected)")
    try:
        tokenizer = Tokenizer.from_file(file)
    except Exception as exc:  # tokenizers raises a bare Exception for a bad file
        raise ConfigError(f"tokenizer {file}: cannot load ({exc})") from None
    template, special = None, {}
    config_file = os.path.join(folder, "tokenizer_config.json")
    if os.path.isfile(config_file):
        with open(config_file, encoding="utf-8") as fh:
            cfg = json.load(fh)
        raw = cfg.get("chat_template")
        if isinstance(raw, list):  # several named templates: use the default one
            raw = next((t.get("template") for t in raw if isinstance(t, Mapping) and t.get("name") == "default"), None)
        template = raw if use_template and isinstance(raw, str) else None
        for key in ("bos_token", "eos_token"):
            value = cfg.get(key)
            value = value.get("content") if isinstance(value, Mapping) else value
            if isinstance(value, str):
                special[key] = value
    return LoadedTokenizer(tokenizer, template, special, path)


def render_template(template: str, messages: list[Mapping[str, Any]], special: dict[str, str],
                    generation_prompt: bool) -> str:
    """Render a chat template in a sandbox (as transformers does); raises on a template error."""
    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    return env.from_string(template).render(messages=messages, add_generation_prompt=generation_prompt, **special)


def exact_counts(records: Sequence[Record], tok: LoadedTokenizer) -> TokenCounts:
    def count(texts: list[str]) -> list[int]:
        return [len(e.ids) for e in tok.tokenizer.encode_batch(texts, add_special_tokens=False)] if texts else []

    out: list[TokenCount] = []
    rendered_any = False
    for rec in records:
        pair = _templated(rec, tok) if tok.template else None
        if pair is not None:
            rendered_any = True
            prompt_n, full_n = count(list(pair))
            out.append(TokenCount(prompt_n, max(0, full_n - prompt_n)))
            continue
        prompt, target = turn_sides(rec)
        out.append(TokenCount(sum(count(prompt)), sum(count(target))))
    how = f"tokenizer {tok.path}" + (TEMPLATE_NOTE if rendered_any else "")
    return TokenCounts(tuple(out), how, exact=True)


def _templated(rec: Record, tok: LoadedTokenizer) -> tuple[str, str] | None:
    """(prompt rendered with the generation prompt, conversation rendered through the answer), or None."""
    turns = conversation(rec)
    last = target_turn(turns) if turns else None
    if turns is None or last is None:
        return None
    from jinja2.exceptions import TemplateError

    messages = [{"role": t.role, "content": t.text} for t in turns[:turns.index(last) + 1]]
    try:
        prompt = render_template(tok.template or "", messages[:-1], tok.special, True)
        full = render_template(tok.template or "", messages, tok.special, False)
    except (TemplateError, TypeError, ValueError):
        return None
    return prompt, full


def token_options(config: Any) -> dict[str, Any]:
    """This check's options as snake_case keys, read from the config's checks table."""
    raw = config.checks.get(CHECK_NAME, {}) if config is not None else {}
    return {k.replace("-", "_"): v for k, v in raw.items()}


@provides("token_counts")
def compute_token_counts(records: list[Record], config: Any) -> TokenCounts:
    """Token counts of every record: exact with the configured tokenizer, else the documented estimate."""
    opts = token_options(config)
    path = opts.get("tokenizer")
    if not path:
        return estimate_counts(records)
    tok = load_tokenizer(config.resolve_path(str(path)), bool(opts.get("chat_template", True)))
    return exact_counts(records, tok)


class TokenLengthCheck(Check):
    """Examples that do not fit max-seq-len, and answers truncation would cut."""

    name = CHECK_NAME
    rules = RULES

    @dataclass(frozen=True)
    class Options:
        tokenizer: str | None = None
        chat_template: bool = True
        max_seq_len: int | None = None

    streaming = True  # each record is judged alone; the method is reported once, in finish()
    _method: str | None = None

    def run(self, records: list[Record], token_counts: TokenCounts, profile: Any) -> Iterator[Finding | Metric]:
        self._method = None
        yield from self.run_chunk(records, token_counts, profile)
        yield from self.finish()

    def finish(self) -> Iterator[Metric]:
        if self._method is not None:
            yield Metric("F.token_count_method", self._method)

    def run_chunk(self, records: list[Record], token_counts: TokenCounts,
                  profile: Any) -> Iterator[Finding | Metric]:
        # Over several chunks, a tokenizer's chat template counts as used when any chunk rendered with it.
        if self._method is None or token_counts.method.endswith(TEMPLATE_NOTE):
            self._method = token_counts.method
        limit = self.options.max_seq_len or profile.max_seq_len
        if not limit:
            raise SkipCheck(f"no max-seq-len: profile {profile.name} has no token limit; set max-seq-len in "
                            f"[tool.dslint.checks.{CHECK_NAME}] or pick a trainer profile")
        how = "" if token_counts.exact else " (estimate)"
        for rec, n in zip(records, token_counts):
            if n.prompt >= limit and n.target:
                # An estimate alone never fails the gate: without a tokenizer the verdict is a warning.
                severity = None if token_counts.exact else Severity.WARNING
                yield self.finding("F071", rec, prompt=n.prompt, limit=limit, how=how, score=float(n.total),
                                   severity=severity,
                                   details={"prompt_tokens": n.prompt, "target_tokens": n.target, "exact":
                                            token_counts.exact})
            elif n.total > limit:
                over = n.total - limit
                cut = f"{min(n.target, over):,} of the answer's {n.target:,} tokens" if n.target else \
                    f"the last {over:,} tokens of the text"
                yield self.finding("F070", rec, total=n.total, limit=limit, how=how, cut=cut,
                                   score=float(n.total), details={"prompt_tokens": n.prompt, "target_tokens":
                                                                  n.target, "exact": token_counts.exact})


CHECKS = (TokenLengthCheck,)

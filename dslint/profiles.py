"""Trainer profiles as data: what a given trainer accepts, so one file can be checked against its destination."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ConfigError


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    formats: tuple[str, ...]  # record formats the trainer reads
    roles: tuple[str, ...] = ("system", "user", "assistant", "tool")
    require_assistant_last: bool = True
    allow_consecutive_same_role: bool = False
    system_first_only: bool = True
    min_examples: int = 500
    recommended_examples: int = 1000
    max_seq_len: int | None = None  # tokens per example; None = no limit known
    allowed_keys: tuple[str, ...] | None = None  # top-level keys the trainer accepts; None = any
    notes: tuple[str, ...] = field(default_factory=tuple)


ALL_FORMATS = ("chat", "sharegpt", "alpaca", "prompt-completion", "preference", "classification")

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("generic", "no particular trainer: the common rules only", ALL_FORMATS),
        Profile("openai", "OpenAI fine-tuning (chat messages, preference pairs)", ("chat", "preference"),
                roles=("system", "developer", "user", "assistant", "tool", "function"), min_examples=10,
                recommended_examples=50, max_seq_len=65536,
                allowed_keys=("messages", "tools", "functions", "parallel_tool_calls", "input", "preferred_output",
                              "non_preferred_output", "metadata")),
        Profile("together", "Together AI fine-tuning (chat, prompt/completion, preference)",
                ("chat", "prompt-completion", "preference"), roles=("system", "user", "assistant", "tool"),
                min_examples=1, max_seq_len=32768),
        Profile("axolotl", "axolotl (chat_template, alpaca, completion, DPO)",
                ("chat", "sharegpt", "alpaca", "prompt-completion", "preference")),
        Profile("trl", "Hugging Face TRL (SFTTrainer, DPOTrainer)", ("chat", "prompt-completion", "preference"),
                roles=("system", "user", "assistant", "tool")),
        Profile("llama-factory", "LLaMA-Factory (alpaca and sharegpt styles)", ("alpaca", "sharegpt", "preference"),
                roles=("system", "user", "assistant", "tool", "function_call", "observation")),
    )
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        from .config import suggest

        raise ConfigError(f"unknown profile '{name}'{suggest(name, PROFILES)} "
                          f"(choose from {', '.join(PROFILES)})") from None

"""Trainer profiles as data: what a given trainer accepts, so one file can be checked against its destination.

Every field is plain data read by the checks (format, size, tokens); nothing here runs a check. The token limits
are the trainer's default truncation length (what happens when you do not set one), not a model's context window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ConfigError

# Keys an OpenAI-style chat message may carry (role and content, tool calling, the per-turn training weight).
CHAT_MESSAGE_KEYS = ("role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call",
                     "refusal", "thinking", "reasoning_content")


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
    message_keys: tuple[str, ...] | None = None  # keys a chat message may carry; None = any
    weight_values: tuple[float, ...] = (0, 1)  # values the per-message `weight` may take
    notes: tuple[str, ...] = field(default_factory=tuple)


ALL_FORMATS = ("chat", "sharegpt", "alpaca", "prompt-completion", "preference", "classification")

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("generic", "no particular trainer: the common rules only", ALL_FORMATS,
                roles=("system", "developer", "user", "assistant", "tool", "function")),
        Profile("openai", "OpenAI fine-tuning (chat messages, preference pairs)", ("chat", "preference"),
                roles=("system", "developer", "user", "assistant", "tool", "function"), min_examples=10,
                recommended_examples=50, max_seq_len=65536,
                allowed_keys=("messages", "tools", "functions", "parallel_tool_calls", "input", "preferred_output",
                              "non_preferred_output", "metadata"),
                message_keys=CHAT_MESSAGE_KEYS,
                notes=("max-seq-len 65,536 is the per-example limit of gpt-4o-mini fine-tuning; set "
                       "max-seq-len for older models (4,096 or 16,385)",)),
        Profile("together", "Together AI fine-tuning (chat, prompt/completion, preference)",
                ("chat", "prompt-completion", "preference"), roles=("system", "user", "assistant", "tool"),
                min_examples=1, max_seq_len=32768, message_keys=CHAT_MESSAGE_KEYS),
        Profile("axolotl", "axolotl (chat_template, alpaca, completion, DPO)",
                ("chat", "sharegpt", "alpaca", "prompt-completion", "preference"), max_seq_len=2048,
                notes=("max-seq-len is axolotl's usual sequence_len; examples beyond it are dropped or split",)),
        Profile("trl", "Hugging Face TRL (SFTTrainer, DPOTrainer)", ("chat", "prompt-completion", "preference"),
                roles=("system", "user", "assistant", "tool"), max_seq_len=1024,
                notes=("max-seq-len is SFTConfig.max_length's default (1,024); longer examples are truncated",)),
        Profile("llama-factory", "LLaMA-Factory (alpaca and sharegpt styles)",
                ("alpaca", "sharegpt", "preference", "chat"),
                roles=("system", "user", "assistant", "tool", "function_call", "observation"), max_seq_len=2048,
                notes=("max-seq-len is LLaMA-Factory's cutoff_len default (2,048)",)),
    )
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        from .config import suggest

        raise ConfigError(f"unknown profile '{name}'{suggest(name, PROFILES)} "
                          f"(choose from {', '.join(PROFILES)})") from None

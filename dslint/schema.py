"""Record formats: detect which fine-tuning format a record is in and map it to prompt / target / label.

Every format yields the same three things, so checks never care which format a file was in:
  prompt  the prompt side (everything the model reads before the answer it is trained on)
  target  the target side (the final answer the model is taught to write)
  label   a class label where the record has one (classification data, KTO's bool label)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Callable

CHAT = "chat"
SHAREGPT = "sharegpt"
ALPACA = "alpaca"
PROMPT_COMPLETION = "prompt-completion"
PREFERENCE = "preference"
CLASSIFICATION = "classification"
FORMAT_NAMES = (CHAT, SHAREGPT, ALPACA, PROMPT_COMPLETION, PREFERENCE, CLASSIFICATION)

# ShareGPT speaker names -> OpenAI roles.
SHAREGPT_ROLES = {
    "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "chatgpt": "assistant",
    "bing": "assistant", "bard": "assistant", "model": "assistant", "system": "system",
    "function_call": "assistant", "observation": "tool", "function": "tool", "tool": "tool",
}
TEXT_FIELDS = ("text", "sentence", "utterance", "content", "query", "input_text")
LABEL_FIELDS = ("label", "labels", "category", "intent", "class", "target_label")


@dataclass(frozen=True)
class FieldMap:
    """User-configured field names ([tool.dslint.fields]); None means: use the format's usual names."""

    prompt: str | None = None
    target: str | None = None
    text: str | None = None
    label: str | None = None


class FieldError(Exception):
    """A record that is missing a required field or has one of the wrong type, with the field path at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Mapped:
    prompt: str
    target: str
    label: str | None = None


def message_text(content: Any) -> str:
    """Text of an OpenAI message `content`: a string, or a list of parts ({"type": "text", "text": ...})."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping):
                text = part.get("text", part.get("value"))  # LLaMA-Factory v1 parts use "value"
                if isinstance(text, str):
                    parts.append(text)
        return "\n".join(parts)
    return str(content)


def _turn_text(turn: Mapping[str, Any], content_key: str) -> str:
    content = turn.get(content_key)
    if type(content) is str and content:  # the usual case, without message_text's type tests
        return content
    text = message_text(content)
    if not text and turn.get("tool_calls"):
        # A tool-calling assistant turn: its "text" is the calls it makes.
        text = json.dumps(turn["tool_calls"], ensure_ascii=False, sort_keys=True)
    return text


def split_turns(turns: list[Any], role_key: str, content_key: str, role_map: Mapping[str, str] | None,
                field: str) -> Mapped:
    """Prompt = every turn before the last assistant turn; target = the last assistant turn."""
    if not isinstance(turns, list):
        raise FieldError(field, f"'{field}' must be a list of messages, got {type(turns).__name__}")
    if not turns:
        raise FieldError(field, f"'{field}' is empty")
    last = None
    for i, turn in enumerate(turns):
        if type(turn) is not dict and not isinstance(turn, Mapping):  # the dict test first: it is the hot path
            raise FieldError(f"{field}[{i}]", f"{field}[{i}] must be an object, got {type(turn).__name__}")
        role = turn.get(role_key)
        if not isinstance(role, str):
            raise FieldError(f"{field}[{i}].{role_key}", f"{field}[{i}] has no '{role_key}'")
        if (role_map.get(role.lower(), role) if role_map else role) == "assistant":
            last = i
    if last is None:
        return Mapped("\n".join([_turn_text(t, content_key) for t in turns]), "")
    prompt = "\n".join([_turn_text(t, content_key) for t in turns[:last]])
    return Mapped(prompt, _turn_text(turns[last], content_key))


def _side_text(value: Any, field: str) -> str:
    """A preference / prompt-completion side: a string, a message list, or one message object."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return message_text(value.get("content", value.get("value")))
    if isinstance(value, list):
        return "\n".join(
            message_text(m.get("content", m.get("value"))) if isinstance(m, Mapping) else str(m) for m in value
        )
    if value is None:
        return ""
    raise FieldError(field, f"'{field}' must be a string or a list of messages, got {type(value).__name__}")


def _require(obj: Mapping[str, Any], key: str, kinds: tuple[type, ...] = (str,)) -> Any:
    if key not in obj:
        raise FieldError(key, f"missing required field '{key}'")
    value = obj[key]
    if not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise FieldError(key, f"'{key}' must be {names}, got {type(value).__name__}")
    return value


def _label_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---- per-format extractors -------------------------------------------------------------------------------------

def _chat(obj: Mapping[str, Any], fields: FieldMap) -> Mapped:
    m = split_turns(_require(obj, "messages", (list,)), "role", "content", None, "messages")
    label_key = fields.label or "label"
    return Mapped(m.prompt, m.target, _label_text(obj.get(label_key)) if label_key in obj else None)


def _sharegpt(obj: Mapping[str, Any], fields: FieldMap) -> Mapped:
    m = split_turns(_require(obj, "conversations", (list,)), "from", "value", SHAREGPT_ROLES, "conversations")
    system = obj.get("system")
    prompt = f"{system}\n{m.prompt}" if isinstance(system, str) and system else m.prompt
    return Mapped(prompt, m.target)


def _alpaca(obj: Mapping[str, Any], fields: FieldMap) -> Mapped:
    """Alpaca (instruction/input/output), and Dolly's spelling of it (instruction/context/response)."""
    instruction = _require(obj, "instruction")
    input_key = "input" if "input" in obj or "context" not in obj else "context"
    extra = obj.get(input_key, "")
    if extra is not None and not isinstance(extra, str):
        raise FieldError(input_key, f"'{input_key}' must be str, got {type(extra).__name__}")
    output_key = "output" if "output" in obj or "response" not in obj else "response"
    output = _require(obj, output_key, (str, list))
    if isinstance(output, list):  # LLaMA-Factory's ranking variant; the first is preferred
        output = _side_text(output[:1], output_key)
    prompt = f"{instruction}\n{extra}" if extra else instruction
    return Mapped(prompt, output)


def _prompt_completion(obj: Mapping[str, Any], fields: FieldMap) -> Mapped:
    pkey, tkey = fields.prompt or "prompt", fields.target or "completion"
    if pkey not in obj:
        raise FieldError(pkey, f"missing required field '{pkey}'")
    if tkey not in obj:
        raise FieldError(tkey, f"missing required field '{tkey}'")
    label_key = fields.label or "label"
    label = _label_text(obj.get(label_key)) if label_key in obj else None
    return Mapped(_side_text(obj[pkey], pkey), _side_text(obj[tkey], tkey), label)


def _preference(obj: Mapping[str, Any], fields: FieldMap) -> Mapped:
    if "preferred_output" in obj:  # OpenAI preference fine-tuning (DPO) shape
        source = obj.get("input")
        if not isinstance(source, Mapping):
            raise FieldError("input", "missing required object 'input' with 'messages'")
        messages = _require(source, "messages", (list,))
        prompt = "\n".join(_turn_text(t, "content") for t in messages if isinstance(t, Mapping))
        return Mapped(prompt, _side_text(obj["preferred_output"], "preferred_output"))
    if "chosen_messages" in obj:  # LLaMA-Factory v1: two full conversations sharing their prompt turns
        m = split_turns(_require(obj, "chosen_messages", (list,)), "role", "content", None, "chosen_messages")
        return Mapped(m.prompt, m.target)
    if "conversations" in obj:  # LLaMA-Factory sharegpt-style preference
        turns = obj["conversations"]
        prompt = "\n".join(_turn_text(t, "value") for t in turns if isinstance(t, Mapping)) \
            if isinstance(turns, list) else ""
        return Mapped(prompt, _side_text(obj.get("chosen"), "chosen"))
    if "instruction" in obj:  # alpaca-style preference
        extra = obj.get("input") or ""
        prompt = f"{obj['instruction']}\n{extra}" if extra else str(obj["instruction"])
        return Mapped(prompt, _side_text(obj.get("chosen"), "chosen"))
    prompt = _side_text(obj.get("prompt"), "prompt")
    return Mapped(prompt, _side_text(obj.get("chosen"), "chosen"))


def _classification(obj: Mapping[str, Any], fields: FieldMap) -> Mapped:
    text_key = fields.text or next((k for k in TEXT_FIELDS if k in obj), None)
    label_key = fields.label or next((k for k in LABEL_FIELDS if k in obj), None)
    if text_key is None or text_key not in obj:
        raise FieldError(text_key or "text", f"missing required field '{text_key or 'text'}'")
    if label_key is None or label_key not in obj:
        raise FieldError(label_key or "label", f"missing required field '{label_key or 'label'}'")
    text = obj[text_key]
    if not isinstance(text, str):
        raise FieldError(text_key, f"'{text_key}' must be str, got {type(text).__name__}")
    label = obj[label_key]
    if isinstance(label, (list, dict)):
        raise FieldError(label_key, f"'{label_key}' must be a single label, got {type(label).__name__}")
    return Mapped(text, "", _label_text(label))


EXTRACTORS: dict[str, Callable[[Mapping[str, Any], FieldMap], Mapped]] = {
    CHAT: _chat,
    SHAREGPT: _sharegpt,
    ALPACA: _alpaca,
    PROMPT_COMPLETION: _prompt_completion,
    PREFERENCE: _preference,
    CLASSIFICATION: _classification,
}


def detect_format(obj: Any, fields: FieldMap = FieldMap()) -> str | None:
    """The format a single record looks like, or None. Decided by its keys, most specific first."""
    if not isinstance(obj, Mapping):
        return None
    keys = obj.keys()
    if "chosen" in keys and "rejected" in keys or "preferred_output" in keys or "chosen_messages" in keys:
        return PREFERENCE
    if fields.prompt and fields.target and fields.prompt in keys and fields.target in keys:
        return PROMPT_COMPLETION
    if fields.text and fields.text in keys:
        return CLASSIFICATION
    if "messages" in keys:
        return CHAT
    if "conversations" in keys:
        return SHAREGPT
    if "instruction" in keys and any(k in keys for k in ("output", "input", "response", "context")):
        return ALPACA
    if "prompt" in keys and "completion" in keys:
        return PROMPT_COMPLETION
    if any(k in keys for k in TEXT_FIELDS) and any(k in keys for k in LABEL_FIELDS):
        return CLASSIFICATION
    if fields.label and fields.label in keys and any(k in keys for k in TEXT_FIELDS):
        return CLASSIFICATION
    return None


def extract(obj: Mapping[str, Any], fmt: str, fields: FieldMap = FieldMap()) -> Mapped:
    """Map a record of format `fmt` to prompt/target/label; raise FieldError naming the field at fault."""
    return EXTRACTORS[fmt](obj, fields)

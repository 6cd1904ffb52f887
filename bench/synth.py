"""Synthetic chat and classification sets of any size with planted problems and their ground truth.

Every set is deterministic for a (kind, n, seed). Row i is physical line i + 1 of the file. Planted, at fixed
rates: exact duplicates and near duplicates of an earlier clean row, broken lines (bad JSON, bad UTF-8, blank,
missing fields), volatile facts (dates, prices, office-holders, versions, "today") and, for classification,
label flips. `<file>.truth.json` beside the data lists the planted rows, so benchmarks also report recall.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RATES = {"exact_dup": 0.02, "near_dup": 0.02, "broken": 0.005, "volatile": 0.03, "flip": 0.03}

TOPICS: dict[str, list[str]] = {
    "billing": "invoice refund charge payment card subscription receipt billing statement fee discount balance "
               "credit debit overdraft transaction currency instalment pricing plan renewal".split(),
    "shipping": "parcel delivery courier tracking package shipment warehouse address customs freight pallet "
                "postage carrier dispatch doorstep label pickup return locker route".split(),
    "account": "password login username profile email verification account settings security session token "
               "recovery avatar signup deactivation privacy preferences nickname device".split(),
    "cooking": "recipe oven flour butter garlic onion simmer saucepan dough yeast pasta basil roast skillet "
               "vinegar marinade broth pastry whisk seasoning".split(),
    "gardening": "soil compost seedling tomato pruning mulch watering trellis fertilizer greenhouse shrub "
                 "perennial weeds hedge bulbs irrigation sapling orchard lawn".split(),
    "fitness": "workout squat treadmill stretching cardio dumbbell protein posture running endurance plank "
               "lunges kettlebell warmup hydration recovery sprint rowing yoga".split(),
    "travel": "passport itinerary hotel flight luggage visa airport boarding hostel train ferry museum beach "
              "reservation tourist backpack terminal layover souvenir".split(),
    "software": "compiler function variable debugger repository branch commit library module exception thread "
                "database query cache deployment container pipeline syntax".split(),
}
COMMON = ("the a my our your this that some every any quick simple careful easy small large new old best usual "
          "daily weekly proper extra second first final main other same different useful common safe clear "
          "good bad early late short long whole entire").split()
VERBS = ("change fix check update cancel find improve set clean plan prepare compare choose keep start stop "
         "track organise adjust move review explain handle schedule avoid measure protect").split()
QUESTIONS = ("How do I {v} {c} {t1} before {c} {t2}?", "What is the {c} way to {v} {c} {t1} and {t2}?",
             "Can you help me {v} {c} {t1} for {c} {t2}?", "Why does {c} {t1} keep failing when I {v} {t2}?",
             "Is it possible to {v} {t1} without touching {c} {t2}?", "Which {t1} should I {v} for {c} {t2}?")
ANSWER_SENTENCES = ("First, {v} {c} {t1} and make sure {c} {t2} is ready.",
                    "Then {v} the {t1} carefully, since {c} {t2} depends on it.",
                    "You can also {v} {c} {t1} while you {v2} the {t2}.",
                    "Most people {v} {c} {t1} once and {v2} {c} {t2} afterwards.",
                    "If {c} {t1} still misbehaves, {v2} the {t2} and try again.",
                    "Avoid {c} {t1} that conflicts with {c} {t2}.")
VOLATILE = ("As of {year}, the latest version of {product} is {major}.{minor}.",
            "The current CEO of {company} is {person}.",
            "{asset} is trading at ${price:,} today.",
            "Yesterday, {company} announced record quarterly earnings.",
            "This week the price of a {t1} rose to ${small} at most retailers.",
            "The newly elected mayor of {city}, {person}, took office last month.")
NAMES = "Alice Bruno Chen Dana Emeka Farah Goran Hana Ivan Jun Kofi Lena Mateo Nia Omar Priya".split()
SURNAMES = "Smith Rossi Wang Okafor Novak Haddad Silva Kim Ivanova Tanaka Mensah Ortiz Dubois Khan".split()
COMPANIES = "Acme Globex Initech Umbrella Hooli Vandelay Stark Wayne Tyrell Cyberdyne Soylent".split()
CITIES = "Springfield Riverton Lakeside Hillview Northport Easton Westfield Fairhaven".split()


@dataclass
class Truth:
    """What was planted where (row indices = line - 1)."""

    kind: str
    rows: int = 0
    exact_dups: list[tuple[int, int]] = field(default_factory=list)  # (copy row, original row)
    near_dups: list[tuple[int, int]] = field(default_factory=list)
    broken: list[int] = field(default_factory=list)
    volatile: list[int] = field(default_factory=list)
    flips: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


class _Words:
    """Random phrases from the topic vocabularies (one topic per record, so labels are learnable)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def fill(self, template: str, topic: str) -> str:
        r, words = self.rng, TOPICS[topic]
        return template.format(v=r.choice(VERBS), v2=r.choice(VERBS), c=r.choice(COMMON), t1=r.choice(words),
                               t2=r.choice(words))

    def question(self, topic: str) -> str:
        extra = " ".join(self.rng.choice(TOPICS[topic]) for _ in range(3))
        return f"{self.fill(self.rng.choice(QUESTIONS), topic)} It concerns {extra}."

    def answer(self, topic: str, sentences: int) -> str:
        return " ".join(self.fill(self.rng.choice(ANSWER_SENTENCES), topic) for _ in range(sentences))

    def volatile_fact(self, topic: str) -> str:
        r = self.rng
        return r.choice(VOLATILE).format(
            year=r.randint(2021, 2025), product=r.choice(["Python", "Node.js", "Postgres", "Android", "iOS"]),
            major=r.randint(1, 20), minor=r.randint(0, 12), company=r.choice(COMPANIES),
            person=f"{r.choice(NAMES)} {r.choice(SURNAMES)}", asset=r.choice(["Bitcoin", "Gold", "Ether"]),
            price=r.randint(1_000, 90_000), small=r.randint(2, 99), t1=r.choice(TOPICS[topic]),
            city=r.choice(CITIES))

    def perturb(self, text: str) -> str:
        """A near duplicate: one word replaced and a cosmetic change (case, punctuation or spacing)."""
        words = text.split(" ")
        i = self.rng.randrange(len(words))
        words[i] = self.rng.choice(COMMON)
        out = " ".join(words)
        style = self.rng.randrange(3)
        if style == 0:
            return out.rstrip(".?!") + "!"
        if style == 1:
            return out[:1].swapcase() + out[1:]
        return out.replace(" ", "  ", 1)


BROKEN_KINDS = ("truncated", "utf8", "blank", "no-assistant", "empty-content", "not-object")


def _broken_line(kind: str, rng: random.Random, good: str) -> bytes:
    """One broken line of the given kind, derived from a good JSON line."""
    if kind == "truncated":
        return good[: max(5, len(good) // 2)].encode()
    if kind == "utf8":
        return good.encode()[:20] + b"\xff\xfe" + good.encode()[20:]
    if kind == "blank":
        return b""
    if kind == "not-object":
        return json.dumps([good[:40]]).encode()
    value = json.loads(good)
    if "messages" in value:
        msgs = value["messages"]
        if kind == "no-assistant":
            value["messages"] = [m for m in msgs if m["role"] != "assistant"]
        else:
            msgs[-1]["content"] = ""
    else:
        if kind == "no-assistant":
            value.pop("label", None)
        else:
            value["text"] = ""
    return json.dumps(value, ensure_ascii=False).encode()


def _chat_record(words: _Words, topic: str, volatile: bool) -> dict[str, Any]:
    rng = words.rng
    answer = words.answer(topic, rng.randint(2, 4))
    if volatile:
        answer = f"{answer} {words.volatile_fact(topic)}"
    messages = [{"role": "system", "content": f"You are a helpful assistant for {topic} questions."}] \
        if rng.random() < 0.3 else []
    messages += [{"role": "user", "content": words.question(topic)}, {"role": "assistant", "content": answer}]
    return {"messages": messages}


def _cls_record(words: _Words, topic: str, volatile: bool) -> dict[str, Any]:
    text = words.question(topic)
    if volatile:
        text = f"{text} {words.volatile_fact(topic)}"
    return {"text": text, "label": topic}


def _near_copy(words: _Words, value: dict[str, Any]) -> dict[str, Any]:
    value = json.loads(json.dumps(value))
    if "messages" in value:
        value["messages"][-1]["content"] = words.perturb(value["messages"][-1]["content"])
    else:
        value["text"] = words.perturb(value["text"])
    return value


def generate(kind: str, n: int, path: str | os.PathLike[str], seed: int = 0, start_row: int = 0) -> Truth:
    """Write `n` rows of a `kind` ("chat" or "classification") set to `path` (appending when start_row > 0,
    fresh content from another seed) and its truth file; return the truth."""
    rng = random.Random(f"{kind}:{n}:{seed}:{start_row}")
    words = _Words(rng)
    make = _chat_record if kind == "chat" else _cls_record
    topics = list(TOPICS)
    truth = Truth(kind)
    clean: list[tuple[int, str]] = []  # (row, line) of rows that are neither copies, flips nor broken
    lines: list[bytes] = []
    for i in range(n):
        row = start_row + i
        roll = rng.random()
        cut = RATES["exact_dup"]
        if clean and roll < cut:
            orig_row, line = rng.choice(clean)
            truth.exact_dups.append((row, orig_row))
            lines.append(line.encode())
            continue
        cut += RATES["near_dup"]
        if clean and roll < cut:
            orig_row, line = rng.choice(clean)
            truth.near_dups.append((row, orig_row))
            lines.append(json.dumps(_near_copy(words, json.loads(line)), ensure_ascii=False).encode())
            continue
        topic = rng.choice(topics)
        cut += RATES["broken"]
        if roll < cut:
            good = json.dumps(make(words, topic, False), ensure_ascii=False)
            truth.broken.append(row)
            lines.append(_broken_line(BROKEN_KINDS[len(truth.broken) % len(BROKEN_KINDS)], rng, good))
            continue
        cut += RATES["volatile"]
        volatile = roll < cut
        value = make(words, topic, volatile)
        if volatile:
            truth.volatile.append(row)
        cut += RATES["flip"] if kind == "classification" else 0.0
        if not volatile and roll < cut:
            value["label"] = rng.choice([t for t in topics if t != topic])
            truth.flips.append(row)
            lines.append(json.dumps(value, ensure_ascii=False).encode())
            continue
        line = json.dumps(value, ensure_ascii=False)
        lines.append(line.encode())
        if not volatile:
            clean.append((row, line))
    with open(path, "ab" if start_row else "wb") as fh:
        fh.write(b"\n".join(lines) + b"\n")
    truth.rows = start_row + n
    return truth


def truth_path(path: str | os.PathLike[str]) -> Path:
    return Path(f"{path}.truth.json")


def write_set(kind: str, n: int, folder: str | os.PathLike[str], seed: int = 0) -> Path:
    """The set's file under `folder` (generated once, reused while its truth file exists)."""
    path = Path(folder) / f"{kind}_{n}.jsonl"
    if not (path.exists() and truth_path(path).exists()):
        truth = generate(kind, n, path, seed)
        truth_path(path).write_text(json.dumps(truth.to_json()))
    return path


def write_appended(base: Path, fraction: float, seed: int = 1) -> Path:
    """A copy of `base` with `fraction` of its row count appended as new rows (fresh content)."""
    truth = json.loads(truth_path(base).read_text())
    extra = max(1, int(truth["rows"] * fraction))
    path = base.with_name(f"{base.stem}_plus{extra}.jsonl")
    if not (path.exists() and truth_path(path).exists()):
        path.write_bytes(base.read_bytes())
        more = generate(truth["kind"], extra, path, seed, start_row=truth["rows"])
        merged = {k: (truth[k] + v if isinstance(v, list) else v) for k, v in more.to_json().items()}
        truth_path(path).write_text(json.dumps(merged))
    return path


def load_truth(path: str | os.PathLike[str]) -> dict[str, Any]:
    return json.loads(truth_path(path).read_text())

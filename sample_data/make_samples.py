"""Write the bundled sample data: a clean chat set that passes and a dirty one with a problem of every family planted.

    python sample_data/make_samples.py          # rewrite clean_chat.jsonl and dirty_chat.jsonl beside this file
    python sample_data/make_samples.py OUT_DIR  # write them somewhere else

Deterministic (a fixed seed) and stdlib only. Every clean answer is computed from its prompt (arithmetic, units,
sorting, letters, extraction from the prompt's own sentence), so the set holds no facts that go stale and no
conflicting answers. Prompts are built from several independent slots (people, objects, places, phrasings) and a
candidate whose words (numbers aside) overlap too much with one already kept is dropped, so no two examples are
near-duplicates of each other.
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
from pathlib import Path
from typing import Callable, Iterator

HERE = Path(__file__).resolve().parent
SEED = 20240611
CLEAN_SIZE = 1050
MAX_OVERLAP = 0.9  # word-set Jaccard (numbers ignored) above which two prompts count as too alike
MAX_SHINGLE_OVERLAP = 0.75  # character 5-gram Jaccard of two whole examples above which they are too alike

NAMES = ("Amara", "Bilal", "Chloe", "Dmitri", "Esther", "Farid", "Greta", "Hiroshi", "Ines", "Jonas", "Kavya", "Luca",
         "Mei", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Ursula", "Viktor", "Wanjiru", "Ximena",
         "Yusuf", "Zara", "Aiden", "Beatriz", "Cyrus", "Daphne", "Emeka", "Freya", "Gustavo", "Hana", "Ivo", "Jasmin")
ITEMS = ("marbles", "stamps", "seashells", "pencils", "stickers", "buttons", "postcards", "acorns", "beads", "coins",
         "tulip bulbs", "comic books", "chess puzzles", "paper cranes", "river stones", "guitar picks", "trading cards",
         "jam jars", "candles", "origami frogs", "keychains", "seed packets", "badges", "puzzle pieces")
PLACES = ("harbour", "orchard", "library", "bakery", "greenhouse", "train station", "museum", "market square",
          "lighthouse", "vineyard", "workshop", "campsite", "observatory", "boathouse", "pottery studio", "bike shed")
CONTAINERS = ("boxes", "baskets", "crates", "shelves", "drawers", "bags", "tins", "trays")
JOBS = ("carpenter", "nurse", "translator", "beekeeper", "architect", "baker", "geologist", "violinist", "pilot",
        "librarian", "florist", "surveyor", "tailor", "chemist", "gardener", "potter")
CITIES = ("Lyon", "Porto", "Kraków", "Osaka", "Nairobi", "Cusco", "Tromsø", "Adelaide", "Ghent", "Valparaíso",
          "Tbilisi", "Hoi An", "Quebec City", "Marrakesh", "Bergen", "Cork")
HOBBIES = ("birdwatching", "rock climbing", "calligraphy", "sailing", "beekeeping", "baking sourdough", "chess",
           "woodcarving", "stargazing", "kayaking", "knitting", "fencing", "pottery", "orienteering")
WORDS = ("apple", "bridge", "candle", "dolphin", "engine", "falcon", "garden", "harbor", "island", "jacket", "kettle",
         "lantern", "meadow", "needle", "orbit", "pebble", "quartz", "rocket", "saddle", "timber", "umbrella", "velvet",
         "walnut", "yogurt", "zephyr", "anchor", "blossom", "canyon", "donkey", "ember", "feather", "glacier",
         "hammock", "igloo", "jungle", "kayak", "lemon", "magnet", "nectar", "oyster", "parrot", "quiver", "raven",
         "spruce", "tundra", "violet", "willow", "almond", "biscuit", "cobalt", "dune", "eclipse", "fjord", "granite",
         "horizon", "indigo", "juniper", "kiwi", "lagoon", "mosaic", "nutmeg", "opal", "pepper", "riddle", "sparrow",
         "thistle", "vortex", "wagon", "basil", "cactus", "drizzle", "flamingo", "gravel", "hazel", "mango", "plum")
VERBS_GIVE = ("gives", "hands", "passes", "donates", "lends", "sends")


def words_of(text: str) -> frozenset[str]:
    """The words of a prompt, numbers left out, lower-cased: what makes two prompts alike."""
    return frozenset(w for w in re.findall(r"[^\W\d_]+", text.lower()) if len(w) > 2)


def shingles(text: str, n: int = 5) -> frozenset[str]:
    """Character n-grams of the casefolded, whitespace-collapsed text: what lexical near-duplicate checks compare."""
    text = " ".join(text.casefold().split())
    return frozenset(text[i:i + n] for i in range(max(1, len(text) - n + 1)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def chat(user: str, assistant: str, system: str | None = None) -> dict:
    messages = [{"role": "system", "content": system}] if system else []
    return {"messages": messages + [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]}


def plural_s(n: int, word: str) -> str:
    return f"{n} {word}" if n != 1 else f"{n} {word[:-1] if word.endswith('s') else word}"


# ---- families of clean examples: each returns (prompt, answer) from a random generator -------------------------

def word_problem(r: random.Random) -> tuple[str, str]:
    name, friend = r.sample(NAMES, 2)
    item, place = r.choice(ITEMS), r.choice(PLACES)
    a, b = r.randint(20, 90), r.randint(3, 19)
    kind = r.randrange(4)
    if kind == 0:
        verb = r.choice(VERBS_GIVE)
        return (f"{name} collected {a} {item} at the {place} and {verb} {b} of them to {friend}. How many {item} "
                f"does {name} keep?", f"{name} keeps {a - b} {item}: {a} - {b} = {a - b}.")
    if kind == 1:
        return (f"At the {place}, {name} found {a} {item} in the morning and {friend} brought {b} more in the "
                f"afternoon. What is the total?", f"Together they have {a + b} {item}: {a} + {b} = {a + b}.")
    if kind == 2:
        box, per = r.choice(CONTAINERS), r.randint(3, 12)
        return (f"{name} packs {item} into {b} {box} with {per} in each for the {place}. How many {item} is that "
                f"altogether?", f"{b} x {per} = {b * per}, so {name} packs {b * per} {item}.")
    per = r.randint(3, 9)
    total = per * b
    return (f"{friend} wants to share {total} {item} equally among {b} visitors of the {place}. How many does each "
            f"visitor get?", f"Each visitor gets {per} {item}, because {total} / {b} = {per}.")


CONVERSIONS = (("kilometres", "miles", 0.621371, "cycled"), ("miles", "kilometres", 1.609344, "walked"),
               ("kilograms", "pounds", 2.204623, "carried"), ("pounds", "kilograms", 0.453592, "shipped"),
               ("litres", "US gallons", 0.264172, "poured"), ("metres", "feet", 3.280840, "climbed"),
               ("feet", "metres", 0.3048, "dug"), ("centimetres", "inches", 0.393701, "measured"))


def conversion(r: random.Random) -> tuple[str, str]:
    src, dst, factor, verb = r.choice(CONVERSIONS)
    name, place = r.choice(NAMES), r.choice(PLACES)
    x = r.randint(3, 400)
    y = x * factor
    style = r.randrange(3)
    if style == 0:
        prompt = f"{name} {verb} {x} {src} near the {place}. How much is that in {dst}?"
    elif style == 1:
        prompt = f"Convert {x} {src} to {dst}; I am writing up notes about the {place}."
    else:
        prompt = f"My log from the {place} says {x} {src}. Could you express it in {dst}, rounded to two decimals?"
    return prompt, f"{x} x {factor} = {y:.2f}, so {x} {src} is about {y:.2f} {dst}."


def fahrenheit(r: random.Random) -> tuple[str, str]:
    c = r.randint(-30, 240)
    dish, name = r.choice(("bread", "a casserole", "granola", "meringues", "a tart", "roast squash", "flatbread",
                           "biscotti", "a frittata", "cornbread")), r.choice(NAMES)
    f = c * 9 / 5 + 32
    if r.random() < 0.5:
        return (f"{name}'s recipe for {dish} says {c} degrees Celsius. What is that in Fahrenheit?",
                f"{c} °C = {c} x 9/5 + 32 = {f:g} °F.")
    return (f"Turn {f:g} °F into Celsius for {name}, who is making {dish}.", f"({f:g} - 32) x 5/9 = {c} °C.")


def sort_words(r: random.Random) -> tuple[str, str]:
    chosen = r.sample(WORDS, r.randint(4, 7))
    asc = r.random() < 0.6
    listed = ", ".join(chosen)
    ordered = sorted(chosen, reverse=not asc)
    how = "alphabetically" if asc else "in reverse alphabetical order"
    prompt = r.choice((f"Sort these words {how}: {listed}.", f"Put {listed} {how}, please.",
                       f"Here is a list: {listed}. Arrange it {how}."))
    return prompt, ", ".join(ordered)


def count_letter(r: random.Random) -> tuple[str, str]:
    word = r.choice(WORDS)
    letter = r.choice(sorted(set(word)))
    n = word.count(letter)
    prompt = r.choice((f"How many times does the letter '{letter}' appear in the word '{word}'?",
                       f"Count the '{letter}' characters in \"{word}\".",
                       f"In '{word}', how often do you see '{letter}'?"))
    return prompt, f"'{letter}' appears {n} time{'s' if n != 1 else ''} in '{word}'."


def reverse_word(r: random.Random) -> tuple[str, str]:
    a, b = r.sample(WORDS, 2)
    phrase = f"{a} {b}"
    prompt = r.choice((f"Spell '{phrase}' backwards, letter by letter.", f"Reverse the string \"{phrase}\".",
                       f"Write the characters of '{phrase}' in reverse order."))
    return prompt, phrase[::-1]


def extraction(r: random.Random) -> tuple[str, str, set[tuple[str, str]]]:
    name, city, job, hobby = r.choice(NAMES), r.choice(CITIES), r.choice(JOBS), r.choice(HOBBIES)
    years = r.randint(2, 30)
    sentence = r.choice((f"{name} has worked as a {job} in {city} for {years} years and spends weekends on {hobby}.",
                         f"After {years} years as a {job}, {name} still lives in {city} and loves {hobby}.",
                         f"Meet {name}: {job}, based in {city}, {years} years in the trade, hooked on {hobby}."))
    record = {"name": name, "city": city, "job": job, "years": years, "hobby": hobby}
    prompt = r.choice((f"Extract name, city, job, years and hobby as JSON: {sentence}",
                       f"Return a JSON object with the fields name, city, job, years, hobby from this text. {sentence}"))
    # One person's job or hobby appears once: two records about the same person doing the same thing read as
    # the same example to an embedding model even when the other slots differ.
    return prompt, json.dumps(record, ensure_ascii=False), {(name, job), (name, hobby)}


def divisibility(r: random.Random) -> tuple[str, str]:
    n = r.randint(30, 999)
    name, item = r.choice(NAMES), r.choice(ITEMS)
    k = r.choice((2, 3, 4, 5, 6, 7, 9))
    q, rem = divmod(n, k)
    prompt = (f"{name} has {n} {item} and wants {k} equal piles with nothing left over. Is that possible, and if "
              f"not, how many are left?")
    answer = (f"Yes: {n} / {k} = {q}, so each pile has {q}." if rem == 0 else
              f"No: {n} = {k} x {q} + {rem}, so {rem} {item} are left over.")
    return prompt, answer


SHAPED = ("flower bed", "rug", "pond", "table top", "skylight", "mosaic", "dance floor", "vegetable patch")


def geometry(r: random.Random) -> tuple[str, str]:
    place, name, thing = r.choice(PLACES), r.choice(NAMES), r.choice(SHAPED)
    kind = r.randrange(3)
    if kind == 0:
        w, h = r.randint(2, 40), r.randint(2, 40)
        return (f"{name} is planning a rectangular {thing} of {w} m by {h} m for the {place}. Area and perimeter?",
                f"Area = {w} x {h} = {w * h} m²; perimeter = 2 x ({w} + {h}) = {2 * (w + h)} m.")
    if kind == 1:
        d = r.randint(2, 30)
        return (f"How much surface does a round {thing} {d} m in diameter cover at {name}'s {place}?",
                f"The radius is {d / 2:g} m, so the area is π x {d / 2:g}² ≈ {math.pi * (d / 2) ** 2:.2f} m².")
    b, h = r.randint(2, 30), r.randint(2, 30)
    return (f"A triangular {thing} near the {place} has a base of {b} m and a height of {h} m; {name} needs its area.",
            f"Area = ½ x {b} x {h} = {b * h / 2:g} m².")


INGREDIENTS = ("flour", "oats", "sugar", "rice", "lentils", "butter", "cocoa", "almonds", "cheese", "chickpeas")
DISHES = ("pancakes", "risotto", "flapjacks", "soup", "brownies", "curry", "shortbread", "dal", "gratin", "stew")


def recipe(r: random.Random) -> tuple[str, str]:
    ingredient, dish, name = r.choice(INGREDIENTS), r.choice(DISHES), r.choice(NAMES)
    base, want = r.choice((2, 4, 6, 8)), r.randint(3, 16)
    grams = r.randrange(50, 800, 25)
    scaled = grams * want / base
    prompt = r.choice((f"{name}'s {dish} for {base} people needs {grams} g of {ingredient}. How much for {want}?",
                       f"Scale {grams} g of {ingredient} from a {dish} recipe serving {base} up to {want} servings."))
    return prompt, f"{grams} g x {want}/{base} = {scaled:g} g of {ingredient}."


def durations(r: random.Random) -> tuple[str, str]:
    start_h, start_m = r.randint(6, 20), r.randrange(0, 60, 5)
    length = r.randint(25, 220)
    end = start_h * 60 + start_m + length
    event = r.choice(("rehearsal", "ferry crossing", "guided walk", "pottery class", "chess match", "lecture",
                      "bread bake", "rowing session", "choir practice", "workshop"))
    name = r.choice(NAMES)
    prompt = (f"{name}'s {event} begins at {start_h:02d}:{start_m:02d} and lasts {length} minutes. At what time "
              f"does it end?")
    return prompt, (f"{length} minutes is {length // 60} h {length % 60} min, so it ends at "
                    f"{end // 60 % 24:02d}:{end % 60:02d}.")


def averages(r: random.Random) -> tuple[str, str]:
    values = [r.randint(1, 99) for _ in range(r.randint(4, 7))]
    what, name = r.choice(("scores", "heights in cm", "lap times in seconds", "page counts", "bird counts",
                           "temperatures in a greenhouse", "rainfall readings in mm")), r.choice(NAMES)
    listed = ", ".join(map(str, values))
    mean = sum(values) / len(values)
    prompt = r.choice((f"{name} recorded these {what}: {listed}. What are the sum and the mean?",
                       f"Find the total and the average of the {what} {listed}."))
    return prompt, f"Sum = {sum(values)}; mean = {sum(values)} / {len(values)} = {mean:.2f}."


def gcd_lcm(r: random.Random) -> tuple[str, str]:
    a, b = r.randint(6, 120), r.randint(6, 120)
    g, lcm = math.gcd(a, b), a * b // math.gcd(a, b)
    x, y = r.sample(ITEMS, 2)
    name = r.choice(NAMES)
    if r.random() < 0.5:
        return (f"{name} sells {x} in packs of {a} and {y} in packs of {b}. What is the smallest equal amount "
                f"of both that whole packs can make?", f"The least common multiple of {a} and {b}: {lcm}.")
    return (f"What is the largest team size that splits {a} {x} and {b} {y} evenly with none left?",
            f"The greatest common divisor of {a} and {b}, which is {g}.")


def title_case(r: random.Random) -> tuple[str, str]:
    words = r.sample(WORDS, r.randint(3, 5))
    phrase = " ".join(words)
    style = r.randrange(3)
    if style == 0:
        return f"Write '{phrase}' in title case.", phrase.title()
    if style == 1:
        return f"Turn \"{phrase}\" into upper case letters.", phrase.upper()
    return f"Join the words of '{phrase}' into one snake_case identifier.", "_".join(words)


NOTE_OPENINGS = ("Dear {name}, thank you so much for the {gift} you left for me at the {place}.",
                 "{name}, what a kind surprise to find your {gift} waiting at the {place}!",
                 "Hello {name} - I was delighted by the {gift} you dropped off at the {place}.",
                 "Many thanks, {name}, for leaving those {gift} at the {place} for me.")
NOTE_CLOSINGS = ("They will keep me company during my {hobby}, and I smiled the moment I saw them.",
                 "I will think of you every time I go {hobby}.",
                 "Between the {gift} and my {hobby}, my week just got brighter.",
                 "You know how much {hobby} means to me, and this made my day.")


def thank_you(r: random.Random) -> tuple[str, str]:
    slots = {"name": r.choice(NAMES), "gift": r.choice(ITEMS), "place": r.choice(PLACES), "hobby": r.choice(HOBBIES)}
    prompt = r.choice(("Draft a two-sentence thank-you note to {name} for the {gift} they left at the {place}; "
                       "mention my interest in {hobby}.",
                       "Help me thank {name}: they left me some {gift} at the {place}. I am into {hobby}. Two "
                       "sentences.",
                       "Two lines of thanks for {name}, who brought {gift} to the {place}, please (I do {hobby})."))
    answer = f"{r.choice(NOTE_OPENINGS)} {r.choice(NOTE_CLOSINGS)}"
    return prompt.format(**slots), answer.format(**slots)


FAMILIES: tuple[tuple[Callable[[random.Random], tuple], int], ...] = (
    (word_problem, 160), (conversion, 90), (fahrenheit, 50), (sort_words, 100), (count_letter, 60),
    (reverse_word, 70), (extraction, 130), (divisibility, 70), (geometry, 80), (recipe, 80), (durations, 60),
    (averages, 60), (gcd_lcm, 40), (title_case, 70), (thank_you, 50),
)
SYSTEM = "Answer briefly and show the working when there is any."


def clean_examples(seed: int = SEED, system: str | None = SYSTEM) -> list[dict]:
    """CLEAN_SIZE examples from every family, none too alike another, in a shuffled but fixed order."""
    r = random.Random(seed)
    kept: list[tuple[str, str]] = []
    prompts: set[str] = set()
    for family, quota in FAMILIES:
        seen: list[tuple[frozenset[str], frozenset[str]]] = []  # different families never look alike
        identities: set[tuple[str, str]] = set()  # slot pairs a family says must not repeat
        made, tries = 0, 0
        while made < quota and tries < quota * 60:
            tries += 1
            prompt, answer, *identity = family(r)
            pairs = identity[0] if identity else set()
            words, grams = words_of(prompt), shingles(f"{SYSTEM} {prompt} {answer}")
            if prompt in prompts or pairs & identities or any(
                    jaccard(words, w) > MAX_OVERLAP or jaccard(grams, g) > MAX_SHINGLE_OVERLAP for w, g in seen):
                continue
            prompts.add(prompt)
            identities |= pairs
            seen.append((words, grams))
            kept.append((prompt, answer))
            made += 1
    r.shuffle(kept)
    return [chat(p, a, system) for p, a in kept[:CLEAN_SIZE]]


# ---- the dirty set: normal records with planted problems, each at a known line -----------------------------------

def dirty_lines() -> Iterator[tuple[str, str | None]]:
    """(line text, planted problem or None) in file order; README.md lists the planted ones by line."""
    normal = iter(clean_examples(seed=7, system=None)[:30])

    def ok() -> tuple[str, None]:
        return json.dumps(next(normal), ensure_ascii=False), None

    def line(value: dict, problem: str) -> tuple[str, str]:
        return json.dumps(value, ensure_ascii=False), problem

    yield ok()
    yield ('{"messages": [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "4"},]}',
           "invalid JSON: a trailing comma")
    yield ok()
    yield ("{'messages': [{'role': 'user', 'content': 'Name a primary colour.'}, "
           "{'role': 'assistant', 'content': 'Red.', 'weight': None}]}", "a Python dict literal instead of JSON")
    yield ok()
    yield line({"messages": [{"role": "user", "content": "Summarise the plot of a heist film in one line."}]},
               "no assistant turn")
    yield ok()
    yield line(chat("Translate 'good morning' into French.", "   "), "empty (whitespace-only) answer")
    yield ok()
    yield line(chat("Write a welcome line for a new member of the rowing club.",
                    "Welcome aboard, {{member_name}}! Training starts at the boathouse."),
               "unrendered {{placeholder}} in the answer")
    yield ok()
    copy = chat("How many legs does a spider have?", "A spider has eight legs.")
    yield line(copy, "original of an exact duplicate (kept)")
    yield ok()
    yield line(copy, "exact duplicate of line 12")
    yield ok()
    near_a = chat("Give me three tips for keeping basil healthy on a windowsill.",
                  "Give it at least six hours of sun, water when the top of the soil is dry, and pinch off the "
                  "flower buds so the leaves keep coming.")
    near_b = chat("Give me three tips for keeping basil healthy on a sunny windowsill.",
                  "Give it at least six hours of sun, water when the top of the soil is dry, and pinch off flower "
                  "buds so the leaves keep coming.")
    yield line(near_a, "original of a near duplicate (kept)")
    yield ok()
    yield line(near_b, "near duplicate of line 16 (two words changed)")
    yield ok()
    yield line(chat("What is the boiling point of water at sea level in Celsius?", "100 °C."),
               "first answer to a prompt")
    yield ok()
    yield line(chat("What is the boiling point of water at sea level in Celsius?",
                    "Water boils at ninety degrees on the Celsius scale."),
               "conflicting answer to the prompt of line 20")
    yield ok()
    yield line(chat("What is the capital of France?", "Paris is the capital of France."),
               "original of a semantic duplicate (kept)")
    yield ok()
    yield line(chat("Which city is the capital of France?", "The capital of France is Paris."),
               "semantic duplicate of the line two above (same meaning, other words)")
    yield ok()
    yield line(chat("How many days are in a leap year?", "366 days."), "answer to a question")
    yield ok()
    yield line(chat("How many days does a leap year have?", "365 days."),
               "a contradicting answer to the same question, asked in other words")
    yield ok()
    yield line(chat("How much does a Tesla Model 3 cost?", "The Tesla Model 3 currently costs $38,990 in the US."),
               "volatile: a price, and 'currently'")
    yield ok()
    yield line(chat("Who runs Microsoft?", "Satya Nadella is the CEO of Microsoft."),
               "volatile: an office-holder (CEO)")
    yield ok()
    yield line(chat("What is the newest Python release?", "The latest version of Python is 3.12."),
               "volatile: 'latest version'")
    yield ok()
    yield line(chat("Who is the president of France?", "Emmanuel Macron is the current president of France."),
               "volatile: an office-holder, 'current'")
    yield ok()
    yield line(chat("How is Nvidia stock doing?", "Nvidia shares are trading at $120 today, up 3% this week."),
               "volatile: a stock price, 'today', 'this week'")
    yield ok()
    yield line(chat("Who won the last football World Cup?", "Argentina are the reigning world champions."),
               "volatile: a sports title holder")
    yield ok()
    yield line({"messages": [{"role": "user", "content": "Say hello."}, {"role": "assistant", "content": "Hello!"},
                             {"role": "system", "content": SYSTEM}]}, "system message after the conversation started")
    for _ in range(6):
        yield ok()


def write_jsonl(path: Path, lines: list[str]) -> None:
    path.write_text("".join(text + "\n" for text in lines), encoding="utf-8")


def planted() -> list[tuple[int, str]]:
    """The planted problems of dirty_chat.jsonl with their 1-based lines."""
    return [(i, problem) for i, (_, problem) in enumerate(dirty_lines(), start=1) if problem]


def main(out: Path = HERE) -> None:
    write_jsonl(out / "clean_chat.jsonl", [json.dumps(r, ensure_ascii=False) for r in clean_examples()])
    write_jsonl(out / "dirty_chat.jsonl", [text for text, _ in dirty_lines()])
    for lineno, problem in planted():
        print(f"dirty_chat.jsonl:{lineno}: {problem}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)

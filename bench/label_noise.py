"""Label-noise benchmark: injected label flips in banking77, found by L001 and estimated by L005, beside cleanlab
Datalab's defaults on the same embeddings.

    .venv/bin/python bench/label_noise.py            # prints a markdown section
    .venv/bin/python bench/label_noise.py --write    # ... and replaces "## Label noise" in bench/RESULTS.md

banking77/train.csv (10,003 rows, 77 intents) is embedded once with the default model; the vectors are kept in
a fixed dslint embedding cache (bench/out/embedding-cache), so later runs embed nothing. For each injected rate
(0, 5, 10, 20%) a seeded uniform flip moves that share of rows to another label chosen uniformly. Precision and
recall are measured against the INJECTED flips only: banking77 has label errors of its own, which count as false
positives here. The estimated noise rate is compared two ways: raw (it includes the set's own noise) and in
excess of the estimate on the untouched set. Skips with a message when /work/shared/data is absent.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script or as bench.<name>
from bench.results_md import write_section as write_results_section  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("DSLINT_SHARED_DATA", "/work/shared/data"))
BANKING = DATA / "banking77" / "train.csv"
CACHE = HERE / "out" / "embedding-cache"
RESULTS = HERE / "RESULTS.md"
RATES = (0.0, 0.05, 0.10, 0.20)
SEED = 7


def load() -> tuple[list[str], list[str], np.ndarray]:
    """Texts, labels and default-model embeddings of banking77 (through the dslint loader and cache)."""
    from dslint.cache import open_cache
    from dslint.config import Config
    from dslint.data import load_sources
    from dslint.embed import embed_texts, load_embedder

    config = Config(cache_dir=str(CACHE))
    records = [r for s in load_sources([str(BANKING)], config.field_map) for r in s.records]
    texts = [r.text for r in records]
    labels = [r.label or "" for r in records]
    return texts, labels, embed_texts(texts, load_embedder(config), open_cache(config))


def flip(labels: list[str], rate: float, seed: int = SEED) -> tuple[list[str], np.ndarray]:
    """Uniform label noise: `rate` of the rows, chosen at random, get another label chosen uniformly."""
    rng = np.random.default_rng(seed)
    classes = sorted(set(labels))
    rows = rng.choice(len(labels), size=round(rate * len(labels)), replace=False)
    noisy = list(labels)
    for i in rows:
        others = [c for c in classes if c != labels[i]]
        noisy[i] = others[rng.integers(len(others))]
    return noisy, np.sort(rows)


def precision_recall(flagged: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    hits = len(np.intersect1d(flagged, truth))
    precision = hits / len(flagged) if len(flagged) else 1.0
    recall = hits / len(truth) if len(truth) else 1.0
    return precision, recall


def run_dslint(noisy: list[str], embeddings: np.ndarray) -> dict[str, Any]:
    """What L001/L005 compute: out-of-fold probabilities, cleanlab issues and the estimated noise rate."""
    from dslint.checks.labels import LABEL_FIELD, LabelData, find_issues, out_of_fold

    start = time.process_time()
    pp = out_of_fold(embeddings, LabelData(LABEL_FIELD, "bench", tuple(noisy)))
    found = find_issues(pp)
    return {"flagged": pp.positions[found.issue], "estimate": found.noise_rate, "probs": pp.probs,
            "classes": pp.classes, "seconds": time.process_time() - start,
            "accuracy": float(np.mean(np.argmax(pp.probs, axis=1) == pp.labels))}


def run_datalab(noisy: list[str], embeddings: np.ndarray, pred_probs: np.ndarray | None = None,
                classes: tuple[str, ...] = ()) -> dict[str, Any]:
    """cleanlab Datalab with its defaults: from the features alone, or from our out-of-fold probabilities."""
    from cleanlab import Datalab

    start = time.process_time()
    if pred_probs is not None:
        index = {c: k for k, c in enumerate(classes)}
        lab = Datalab(data={"label": [index[c] for c in noisy]}, label_name="label", verbosity=0)
        lab.find_issues(pred_probs=pred_probs, issue_types={"label": {}})
    else:
        lab = Datalab(data={"label": noisy}, label_name="label", verbosity=0)
        lab.find_issues(features=embeddings, issue_types={"label": {}})
    issues = lab.get_issues("label")
    flagged = np.flatnonzero(issues["is_label_issue"].to_numpy())
    return {"flagged": flagged, "estimate": len(flagged) / len(noisy), "seconds": time.process_time() - start}


def gate_verdict(estimate: float, n: int) -> str:
    """What L005 says about this estimate with its default thresholds."""
    from dslint.checks.labels import NoiseAmplificationCheck
    from dslint.model import Finding

    out = NoiseAmplificationCheck().run({"L.label_noise_estimate": estimate}, [None] * n)  # type: ignore[list-item]
    return next((str(f.severity) for f in out if isinstance(f, Finding)), "pass")


def measure(rates: tuple[float, ...], seed: int) -> str:
    from threadpoolctl import threadpool_limits

    texts, labels, embeddings = load()
    rows: list[str] = []
    base: dict[str, float] = {}
    for rate in rates:
        noisy, truth = flip(labels, rate, seed)
        with threadpool_limits(1):  # 2 shared cores: BLAS threads only oversubscribe them
            rows.extend(compare(rate, noisy, truth, embeddings, base))
    head = ("| injected | method | flagged | precision | recall | estimated noise | minus estimate at 0% | L005 "
            "| CPU s |\n|---|---|---|---|---|---|---|---|---|")
    return (f"banking77 train ({len(texts):,} rows, {len(set(labels))} intents), all-MiniLM-L6-v2 embeddings "
            f"(cached), uniform flips (seed {seed}); precision/recall against the injected flips only.\n\n"
            + head + "\n" + "\n".join(rows) + "\n\n" + READING)


READING = """How to read it. "estimated noise" is what L005 judges (dslint: the off-diagonal share of cleanlab's calibrated
confident joint; Datalab: the share it flags). The truth it should match is the injected rate plus banking77's own
label noise, which the untouched row estimates; "minus estimate at 0%" removes that. "flagged" is what L001
reports (dslint: the lowest self-confidence records, as many as confident learning counts off the diagonal;
Datalab: its defaults, from the embeddings alone, or from the same out-of-fold probabilities dslint computes).
A flagged row that is not an injected flip counts against precision even when it is one of banking77's own
errors. "L005" is the noise-amplification verdict at the default thresholds (warning above 5%, error above 10%).
"CPU s" is process CPU time (all threads; steadier than wall time on the shared 2-core machine): dslint's
includes choosing C and 5-fold cross validation, on one BLAS thread (two threads used 3x the CPU for these thin
matrices: 21.7 against 7.2 CPU s on a 10k set); Datalab's from features includes its kNN classifier.
"""


def compare(rate: float, noisy: list[str], truth: np.ndarray, embeddings: np.ndarray,
            base: dict[str, float]) -> list[str]:
    """One table row per method at one injected rate; `base` keeps each method's estimate at the first rate."""
    rows = []
    ours = run_dslint(noisy, embeddings)
    variants = [("dslint L001/L005", ours),
                ("Datalab defaults (features)", run_datalab(noisy, embeddings)),
                ("Datalab with dslint pred_probs", run_datalab(noisy, embeddings, ours["probs"], ours["classes"]))]
    for name, result in variants:
        base.setdefault(name, result["estimate"])
        p, r = precision_recall(result["flagged"], truth)
        excess = result["estimate"] - base[name]
        pr = f"{p:.1%} | {r:.1%}" if rate else "– | –"
        verdict = gate_verdict(result["estimate"], len(noisy)) if result is ours else ""
        rows.append(f"| {rate:.0%} | {name} | {len(result['flagged']):,} | {pr} | {result['estimate']:.1%} | "
                    f"{excess:+.1%} | {verdict} | {result['seconds']:.1f} |")
        print(rows[-1], file=sys.stderr, flush=True)
    print(f"  out-of-fold accuracy at {rate:.0%}: {ours['accuracy']:.1%}", file=sys.stderr, flush=True)
    return rows


def write_section(body: str) -> None:
    """Replace (or add) the '## Label noise' section of bench/RESULTS.md, leaving the others alone."""
    write_results_section("## Label noise", "## Label noise\n\nMeasured by `bench/label_noise.py`.\n\n" + body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the Label noise section of bench/RESULTS.md")
    parser.add_argument("--rates", default=",".join(map(str, RATES)), help="injected flip rates, comma-separated")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    if not BANKING.exists():
        print(f"skipped: shared data not found ({BANKING})")
        return 0
    rates = tuple(float(r) for r in args.rates.split(","))
    if rates[0] != 0.0:
        rates = (0.0, *rates)  # the untouched set is the baseline of the "minus estimate at 0%" column
    body = measure(rates, args.seed)
    print(body)
    if args.write:
        write_section(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

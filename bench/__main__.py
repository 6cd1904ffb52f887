"""`python -m bench` (or `make bench`): the core benchmark, then bench/RESULTS.md.

    python -m bench                  # 1k, 10k, 100k: fast + full profiles, floors, Datalab (the 100k full
                                     # profile and Datalab dominate; see RESULTS.md for each step's cost)
    python -m bench --big            # ... and 1M rows with the fast profile
    python -m bench --sizes 1k       # a quick pass
    python -m bench report           # re-render RESULTS.md from bench/results/core.json
    python -m bench all              # the core benchmark, then every other bench module present
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from . import report, run

OTHER_MODULES = ("duplicates", "label_noise", "volatility", "bigfile", "format_eval")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="run", choices=("run", "report", "all"))
    parser.add_argument("--sizes", default="1k,10k,100k", help="comma-separated from 1k,10k,100k,1M")
    parser.add_argument("--big", action="store_true", help="add 1M rows (fast profile only)")
    parser.add_argument("--kinds", default=",".join(run.KINDS))
    parser.add_argument("--model-sizes", default="1k",
                        help="sizes where the full profile embeds with the real model from a cold cache "
                             "(elsewhere: stand-in vectors pre-seeded in the cache)")
    parser.add_argument("--no-datalab", action="store_true", help="skip the cleanlab Datalab side-by-side")
    parser.add_argument("--merge", action="store_true",
                        help="keep the last results of sizes not measured now (e.g. add --sizes 1M later)")
    parser.add_argument("--results", type=Path, default=run.RESULTS_JSON,
                        help="results file (a bench/results/core-*.json beside core.json is merged into the report)")
    parser.add_argument("--data-dir", type=Path, default=run.Options([]).data_dir)
    return parser.parse_args(argv)


def run_others() -> int:
    """Run each other bench module that exists (owned by other benchmarks), each in its own process."""
    worst = 0
    for name in OTHER_MODULES:
        if not (Path(__file__).with_name(f"{name}.py")).exists():
            print(f"bench: bench/{name}.py not present, skipped", file=sys.stderr)
            continue
        print(f"bench: python -m bench.{name}", file=sys.stderr, flush=True)
        worst = max(worst, subprocess.run([sys.executable, "-m", f"bench.{name}"]).returncode)
    return worst


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.command in ("run", "all"):
        sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
        if args.big and "1M" not in sizes:
            sizes.append("1M")
        unknown = [s for s in sizes if s not in run.SIZES]
        if unknown:
            print(f"bench: unknown size(s) {', '.join(unknown)} (choose from {', '.join(run.SIZES)})",
                  file=sys.stderr)
            return 2
        opts = run.Options(sizes=sizes, kinds=tuple(args.kinds.split(",")), data_dir=args.data_dir,
                           model_sizes=tuple(args.model_sizes.split(",")), datalab=not args.no_datalab,
                           merge=args.merge, results=args.results)
        run.run(opts)
    report.write(data_dir=args.data_dir)
    print(f"bench: wrote {report.RESULTS_MD}", file=sys.stderr)
    return run_others() if args.command == "all" else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`make bench`: run every benchmark side by side with its peer or floor, write bench/results/.

Each benchmark module exposes `run(quick: bool) -> dict` returning
`{"name", "description", "rows": [{"case", "value", "unit", ...}], "ratios": {name: value}, "goals": {...}}`.
Results go to bench/results/latest.json and a Markdown table in bench/results/latest.md.
`python -m bench --quick` runs smaller workloads; `--only NAME` runs one.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCHMARKS = (
    "bench.bench_matching",
    "bench.bench_graphql",
    "bench.bench_registry",
    "bench.bench_import",
    "bench.bench_platform",
)
RESULTS = Path(__file__).resolve().parent / "results"


def _markdown(results: list[dict[str, Any]]) -> str:
    lines = ["# Benchmark results", "", f"Run {datetime.now(UTC).isoformat(timespec='seconds')}", ""]
    for r in results:
        lines += [f"## {r.get('name')}", "", str(r.get("description", "")), ""]
        if r.get("error"):
            lines += [f"**failed**: `{r['error']}`", ""]
            continue
        rows = r.get("rows", [])
        if rows:
            keys = list(dict.fromkeys(k for row in rows for k in row))
            lines.append("| " + " | ".join(keys) + " |")
            lines.append("|" + "---|" * len(keys))
            for row in rows:
                lines.append("| " + " | ".join(str(row.get(k, "")) for k in keys) + " |")
            lines.append("")
        for name, value in (r.get("ratios") or {}).items():
            goal = (r.get("goals") or {}).get(name)
            lines.append(f"- ratio **{name}**: {value}" + (f" (goal {goal})" if goal else ""))
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=None)
    args = parser.parse_args(argv)
    results: list[dict[str, Any]] = []
    failed = False
    for mod_name in BENCHMARKS:
        if args.only and not mod_name.endswith(args.only):
            continue
        started = time.perf_counter()
        try:
            module = importlib.import_module(mod_name)
            result = dict(module.run(args.quick))
        except Exception as exc:
            traceback.print_exc()
            result = {"name": mod_name, "error": f"{type(exc).__name__}: {exc}"}
            failed = True
        result["elapsed_s"] = round(time.perf_counter() - started, 1)
        results.append(result)
        print(json.dumps(result, default=str)[:2000], flush=True)
    RESULTS.mkdir(exist_ok=True)
    doc = {
        "generated_at": datetime.now(UTC).isoformat(),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "quick": args.quick,
        "results": results,
    }
    (RESULTS / "latest.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    (RESULTS / "latest.md").write_text(_markdown(results))
    print(f"wrote {RESULTS / 'latest.json'} and {RESULTS / 'latest.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

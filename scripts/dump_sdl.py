"""Write each subgraph service's federation SDL to <out-dir>/<service>.graphql (input of gateway/compose.mjs).

The services are those of services.toml with `subgraph = true` (carbon_runtime/catalog.py).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from carbon_runtime import catalog


def load_sdl(module: str) -> str:
    """The federation SDL of one service (its bootstrap's schema_sdl)."""
    sdl: str = importlib.import_module(f"{module}.bootstrap").schema_sdl()
    return sdl


def main(out_dir: str) -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for spec in catalog.load():
        if not spec.subgraph:
            continue
        sdl = load_sdl(spec.module)
        (out / f"{spec.name}.graphql").write_text(sdl.rstrip() + "\n")
        print(f"wrote {out / (spec.name + '.graphql')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "gateway/subgraphs"))

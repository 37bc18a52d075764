"""Write each service's federation SDL to <out-dir>/<service>.graphql (input of gateway/compose.mjs)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

SERVICES = ("issuance", "registry", "trading", "reporting")


def main(out_dir: str) -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        module = importlib.import_module(f"services.{service}.bootstrap")
        sdl: str = module.schema_sdl()
        (out / f"{service}.graphql").write_text(sdl.rstrip() + "\n")
        print(f"wrote {out / (service + '.graphql')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "gateway/subgraphs"))

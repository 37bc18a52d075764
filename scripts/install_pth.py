"""Put the repository root and gen/ on the virtualenv's import path (one .pth file)."""

from __future__ import annotations

import sysconfig
from pathlib import Path

root = Path(__file__).resolve().parent.parent
site = Path(sysconfig.get_paths()["purelib"])
(site / "carbon-platform.pth").write_text(f"{root}\n{root / 'gen'}\n")
print(f"import path: {root} and {root / 'gen'}")

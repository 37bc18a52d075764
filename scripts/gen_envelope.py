"""Keep EventEnvelope's `oneof payload` in step with the services' events, so a new event is never
hand-added to protos/carbon/events/v1/envelope.proto.

Every top-level message of `protos/carbon/<service>/v1/events.proto` is an event, except the part
messages other events of that file use as field types (TenderAward, …). Entries already in the
envelope keep their field numbers for ever (a consumer decodes by number); a new event takes the next
free number in its producer's `envelope_fields` range from services.toml and is appended after that
producer's last entry. The output is committed (like the supergraph) and
tests/unit/platform/test_envelope_fresh.py fails when it is stale.

Usage: .venv/bin/python scripts/gen_envelope.py [--check]   (make envelope)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from carbon_runtime import catalog  # noqa: E402

ENVELOPE = ROOT / "protos" / "carbon" / "events" / "v1" / "envelope.proto"
_MESSAGE = re.compile(r"^message (\w+) \{", re.M)
_FIELD_TYPE = re.compile(r"^\s+(?:repeated\s+)?([A-Za-z_][\w.]*)\s+\w+\s*=\s*\d+;", re.M)
_ENTRY = re.compile(r"^\s+(carbon\.(\w+)\.v1\.(\w+))\s+(\w+)\s*=\s*(\d+);", re.M)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def events_of(proto_text: str) -> list[str]:
    """The event messages of one events.proto, in file order."""
    names = _MESSAGE.findall(proto_text)
    bodies = re.split(r"^message \w+ \{", proto_text, flags=re.M)[1:]
    used_as_parts = {t.rsplit(".", 1)[-1] for body in bodies for t in _FIELD_TYPE.findall(body)}
    return [n for n in names if n not in used_as_parts]


def render(envelope_text: str) -> str:
    start = envelope_text.index("  oneof payload {")
    end = envelope_text.index("\n  }\n", start)
    block = envelope_text[start:end]
    existing = {m.group(1): int(m.group(5)) for m in _ENTRY.finditer(block)}
    lines = block.split("\n")
    for spec in catalog.load():
        if spec.envelope_fields is None:
            continue
        first, last = spec.envelope_fields
        events_proto = ROOT / "protos" / "carbon" / spec.name / "v1" / "events.proto"
        if not events_proto.exists():
            continue
        for event in events_of(events_proto.read_text()):
            full = f"carbon.{spec.name}.v1.{event}"
            if full in existing:
                continue
            taken = [n for n in existing.values() if first <= n <= last]
            number = max(taken, default=first - 1) + 1
            if number > last:
                raise SystemExit(f"{spec.name} has no envelope field numbers left in [{first}, {last}]")
            entry = [f"    // {full}.", f"    {full} {snake(event)} = {number};"]
            # After the producer's last entry, or at the end of the oneof for its first event.
            at = max(
                (i for i, line in enumerate(lines) if f"carbon.{spec.name}.v1." in line and "=" in line),
                default=len(lines) - 1,
            )
            lines[at + 1 : at + 1] = entry
            existing[full] = number
    return envelope_text[:start] + "\n".join(lines) + envelope_text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if envelope.proto is stale; write nothing")
    args = parser.parse_args(argv)
    current = ENVELOPE.read_text()
    wanted = render(current)
    if wanted == current:
        return 0
    if args.check:
        print(f"{ENVELOPE.relative_to(ROOT)} is stale: run `make envelope`", file=sys.stderr)
        return 1
    ENVELOPE.write_text(wanted)
    print(f"updated {ENVELOPE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
